"""`redprop issue …`: residents' issues, one command per step, and the category catalogue."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from redprop.cli import common, orders
from redprop.errors import N_
from redprop.cli.common import AtOption, By, DryRun, FormatOption, Sheet, SkipInvalid, issue_step, run_import, MaxRows
from redprop.exchange.limits import DEFAULT_MAX_ROWS
from redprop.present import issues as show
from redprop.present.output import Format

issue_app = common.sub_app("Residents' issues (问题清单/需求清单): open, assign, arrive, resolve…, show, list, import.")
category_app = common.sub_app("The category catalogue (乱停车, 犬只, 报修…): list, add, edit.")
issue_app.add_typer(category_app, name="category")

IssueId = Annotated[str, typer.Argument(help="The issue number, like 37 or #37, or its work order's number, like 12345-20261204-0031.")]
Note = Annotated[Optional[str], typer.Option("--note", help="A note kept with the step.")]
Household = Annotated[Optional[str], typer.Option("--household", help="The household's address key, like 8-2-301.")]
Place = Annotated[Optional[str], typer.Option("--place", help="A public place instead of a household, like '3栋门口'.")]


def _id(store, text: str) -> int:
    """An issue's number (37, #37), or the number of the work order it carries
    (12345-20261204-0031), as the order verbs take it."""
    from redprop.issues.records import parse_issue_id

    if any(c.isdigit() for c in str(text)) and "-" in str(text):
        from redprop.issues.orders import find_issue

        return find_issue(store.conn, text)
    return parse_issue_id(text)


def _step(app, verb: str, issue: str, at: Optional[str], by: Optional[str], fmt: Format, *args, **fields) -> None:
    issue_step(app, verb, _id(app.store, issue), at, by, fmt, *args, **fields)


@issue_app.command("open")
def open_(
    ctx: typer.Context,
    kind: Annotated[Optional[str], typer.Option("--kind", help="problem 问题 (问题清单, the default) or wish 需求 (需求清单).")] = None,
    category: Annotated[Optional[str], typer.Option("--category", help="parking 乱停车, dogs 犬只, repair 报修, sanitation 环境卫生, security 治安, dispute 邻里纠纷, noise 噪音, facilities 设施, greening 绿化, other 其他 (or the community's own: issue category list). Asked for on a terminal.")] = None,
    channel: Annotated[Optional[str], typer.Option("--channel", help="window 一站式窗口, hotline 热线/服务点, wechat 微信群, wish_wall 许愿墙, patrol 巡查, visit 走访, other 其他. Asked for on a terminal.")] = None,
    title: Annotated[Optional[str], typer.Option("--title", help="What it is, in a few words. Asked for on a terminal.")] = None,
    household: Household = None,
    place: Place = None,
    tier: Annotated[str, typer.Option("--tier", help="normal 一般, major 重大, complex 特殊复杂: picks the deadlines.")] = "normal",
    at: AtOption = None,
    reporter: Annotated[Optional[str], typer.Option("--reporter", help="Who reported it (a resident's name; default: the household's head).")] = None,
    description: Annotated[Optional[str], typer.Option("--description", help="The details.")] = None,
    building: Annotated[Optional[str], typer.Option("--building", help="With --place: the building it is in (for lists and stats).")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="The staff member who took the report (default: you, `redprop config set me`); on a visit or a patrol they are on site at the report time.")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="Assign it at once to this staff member.")] = None,
    order: Annotated[Optional[str], typer.Option("--order", help="A work order from above: its number, like 12345-20261204-0031 (with --order-from and --order-due).")] = None,
    order_from: Annotated[Optional[str], typer.Option("--order-from", help="Who dispatched the order: 12345, 网格中心…")] = None,
    order_due: Annotated[Optional[str], typer.Option("--order-due", help="The order's deadline: a time (2026-12-09 17:30), or 3个工作日 / 24个工作时 from its dispatch (--at).")] = None,
    fmt: FormatOption = Format.table,
):
    """Record a problem or wish a resident reported, or a work order from above; prints its number and deadlines.

    A word missing or unknown (category, channel…) is asked for on a terminal, with the
    choices numbered; in a script it is one line listing them.

    \b
    Example: redprop issue open --category 乱停车 --channel 热线 --place '3栋门口' --title '消防通道被占' --at '2026-11-20 9:30'
    Example: redprop issue open --household 8-2-301 --channel 走访 --category 犬只 --title 楼下狗叫扰民
    Example: redprop issue open --category 乱停车 --channel 热线 --place '3栋门口' --title '消防通道被占' --order 12345-20261204-0031 --order-from 12345 --order-due 3个工作日
    """
    from redprop.issues.commands import NewIssue, open_issue
    from redprop.parsing import clean_building
    from redprop.vocab import CHANNELS, ISSUE_KINDS, TIER_CODES

    app = ctx.obj
    store = app.store
    new = NewIssue(
        kind=app.word(ISSUE_KINDS, kind, "--kind") if kind else "problem",
        category=app.word(app.catalogue("categories"), category, "--category"),
        channel=app.word(CHANNELS, channel, "--channel"), title=app.text(title, "--title", N_("Title")),
        tier=app.word(TIER_CODES, tier, "--tier"), household=household, place=place,
        building=clean_building(building) if building else None, reporter=reporter, description=description,
    )
    record = open_issue(store, new, app.past_moment(at), app.now(), by=app.doer(by), to=to,
                        order=orders.new_order(order, order_from, order_due))
    show.opened(app.output(fmt, categories=True, groups=True), record)


@issue_app.command("assign")
def assign(ctx: typer.Context, issue: IssueId,
           to: Annotated[str, typer.Option("--to", help="The staff member who will handle it.")],
           at: AtOption = None, by: By = None, note: Note = None, fmt: FormatOption = Format.table):
    """Hand an issue to a staff member (again, to reassign it). Example: redprop issue assign 37 --to 刘磊"""
    _step(ctx.obj, "assign", issue, at, by, fmt, to, note=note)


@issue_app.command("arrive")
def arrive(ctx: typer.Context, issue: IssueId, at: AtOption = None, by: By = None, note: Note = None, fmt: FormatOption = Format.table):
    """Record that someone is on site (it need not be assigned first). Example: redprop issue arrive 37 --at 9:34 --by 刘磊"""
    _step(ctx.obj, "arrive", issue, at, by, fmt, note=note)


@issue_app.command("wait")
def wait(ctx: typer.Context, issue: IssueId,
         for_: Annotated[str, typer.Option("--for", help="resident 等待居民 or parts 等待配件.")] = "resident",
         at: AtOption = None, by: By = None, note: Note = None, fmt: FormatOption = Format.table):
    """Put an issue on hold; the clock stops if the policy names the status. Example: redprop issue wait 37 --for parts"""
    from redprop.errors import InvalidValue
    from redprop.vocab import WAITING_CODES

    app = ctx.obj
    try:
        status = WAITING_CODES.resolve(for_)  # a joint meeting is refused by the verb, pointing to `escalate`
    except InvalidValue:
        status = WAITING_CODES.only(("waiting_resident", "waiting_parts")).resolve(for_)  # the error lists what --for takes
    _step(app, "wait", issue, at, by, fmt, status, note=note)


@issue_app.command("resume")
def resume(ctx: typer.Context, issue: IssueId, at: AtOption = None, by: By = None, note: Note = None, fmt: FormatOption = Format.table):
    """End a wait: the clock runs again. Example: redprop issue resume 37 --note 配件已到"""
    _step(ctx.obj, "resume", issue, at, by, fmt, note=note)


@issue_app.command("resolve")
def resolve(ctx: typer.Context, issue: IssueId, note: Note = None, at: AtOption = None, by: By = None, fmt: FormatOption = Format.table):
    """Record that the problem is solved. Example: redprop issue resolve 37 --note 已换灯泡"""
    _step(ctx.obj, "resolve", issue, at, by, fmt, note=note)


@issue_app.command("plan")
def plan(ctx: typer.Context, issue: IssueId,
         note: Annotated[str, typer.Option("--note", help="The written plan, or where it is filed.")],
         at: AtOption = None, by: By = None, fmt: FormatOption = Format.table):
    """Record the written plan for a complex issue. Example: redprop issue plan 37 --note '方案：增设非机动车棚'"""
    _step(ctx.obj, "plan", issue, at, by, fmt, note)


@issue_app.command("escalate")
def escalate(
    ctx: typer.Context,
    issue: IssueId,
    meeting: Annotated[Optional[str], typer.Option("--meeting", help="When the joint meeting (联席会议) is or was held.")] = None,
    with_: Annotated[Optional[str], typer.Option("--with", help="Who sits at it, comma-separated (default 居委会,业委会,物业公司; also 社区党委, 房管部门, 派出所).")] = None,
    decision: Annotated[Optional[str], typer.Option("--decision", help="What the meeting decided (ends the wait for it).")] = None,
    at: AtOption = None, by: By = None, note: Note = None, fmt: FormatOption = Format.table,
):
    """Take an issue to a joint meeting, or record the meeting's decision.

    \b
    Example: redprop issue escalate 37 --meeting '2026-11-28 15:00' ; later: redprop issue escalate 37 --decision '增设车棚，物业出资'
    """
    from redprop.parsing import split_list
    from redprop.vocab import DEFAULT_PARTIES, PARTIES

    app = ctx.obj
    parties = [PARTIES.resolve(p) for p in split_list(with_)] if with_ else None
    if parties is None and not decision:
        parties = list(DEFAULT_PARTIES)
    meeting_at = app.moment(meeting, "--meeting", ahead=True) if meeting else None
    _step(app, "escalate", issue, at, by, fmt, parties=parties, meeting_at=meeting_at, decision=decision, note=note)


@issue_app.command("close")
def close(ctx: typer.Context, issue: IssueId, at: AtOption = None, by: By = None, note: Note = None, fmt: FormatOption = Format.table):
    """Close a resolved issue. Example: redprop issue close 37"""
    _step(ctx.obj, "close", issue, at, by, fmt, note=note)


@issue_app.command("reopen")
def reopen(ctx: typer.Context, issue: IssueId, at: AtOption = None, by: By = None, note: Note = None, fmt: FormatOption = Format.table):
    """Reopen a resolved or closed issue. Example: redprop issue reopen 37 --note 居民反映灯又坏了"""
    _step(ctx.obj, "reopen", issue, at, by, fmt, note=note)


@issue_app.command("rate")
def rate(ctx: typer.Context, issue: IssueId,
         rating: Annotated[str, typer.Argument(help="The resident's rating, 1 to 5 (2 or less reopens the issue).")],
         comment: Annotated[Optional[str], typer.Option("--comment", help="What the resident said.")] = None,
         at: AtOption = None, by: By = None, fmt: FormatOption = Format.table):
    """Record the follow-up call (回访) and the resident's rating. Example: redprop issue rate 37 5 --comment 很满意"""
    _step(ctx.obj, "rate", issue, at, by, fmt, rating, comment=comment)


@issue_app.command("void")
def void(ctx: typer.Context, issue: IssueId,
         reason: Annotated[str, typer.Option("--reason", help="Why it should not count, e.g. 重复登记.")],
         duplicate_of: Annotated[Optional[str], typer.Option("--duplicate-of", help="The issue it repeats, like 12 or #12.")] = None,
         by: By = None, fmt: FormatOption = Format.table):
    """Void an issue recorded by mistake or twice: it stays in `issue show`, marked, and counts nowhere else. Example: redprop issue void 38 --reason 重复登记 --duplicate-of 37"""
    _step(ctx.obj, "void", issue, None, by, fmt, reason, duplicate_of=_id(ctx.obj.store, duplicate_of) if duplicate_of else None)


@issue_app.command("note")
def note_(ctx: typer.Context, issue: IssueId, text: Annotated[str, typer.Argument(help="The note.")],
          at: AtOption = None, by: By = None, fmt: FormatOption = Format.table):
    """Add a note to an issue's timeline. Example: redprop issue note 37 '已联系车主挪车'"""
    _step(ctx.obj, "note", issue, at, by, fmt, text)


@issue_app.command("edit")
def edit(
    ctx: typer.Context,
    issue: IssueId,
    tier: Annotated[Optional[str], typer.Option("--tier", help="A new tier (a dated step at --at): the deadlines are recomputed.")] = None,
    at: AtOption = None,
    title: Annotated[Optional[str], typer.Option("--title", help="Correct the title.")] = None,
    description: Annotated[Optional[str], typer.Option("--description", help="Correct the description.")] = None,
    kind: Annotated[Optional[str], typer.Option("--kind", help="Correct the kind.")] = None,
    category: Annotated[Optional[str], typer.Option("--category", help="Correct the category.")] = None,
    channel: Annotated[Optional[str], typer.Option("--channel", help="Correct the channel.")] = None,
    reporter: Annotated[Optional[str], typer.Option("--reporter", help="Correct who reported it.")] = None,
    household: Household = None,
    place: Place = None,
    by: By = None,
    fmt: FormatOption = Format.table,
):
    """Change an issue's tier (its deadlines follow) or correct its details.

    \b
    Example: redprop issue edit 37 --tier major --at '2026-11-20 9:40'
    """
    from redprop.issues.commands import IssueEdits, edit_issue
    from redprop.vocab import CHANNELS, ISSUE_KINDS, TIER_CODES

    app = ctx.obj
    store = app.store
    edits = IssueEdits(
        title=title, description=description, kind=ISSUE_KINDS.resolve(kind) if kind else None,
        category=app.catalogue("categories").resolve(category) if category else None,
        channel=CHANNELS.resolve(channel) if channel else None, reporter=reporter, place=place, household=household,
    )
    record = edit_issue(store, _id(store, issue), edits, TIER_CODES.resolve(tier) if tier else None,
                        app.past_moment(at), app.now(), by=app.doer(by))
    show.issue(app.output(fmt, categories=True, groups=True), record)


@issue_app.command("show")
def show_(ctx: typer.Context, issue: IssueId, at: AtOption = None, fmt: FormatOption = Format.table):
    """An issue with every deadline met or missed and its timeline, as things stood at --at.

    \b
    Example: redprop issue show 37 --at '2026-11-20 10:00'
    """
    from redprop.issues.reading import show_issue

    app = ctx.obj
    store = app.store
    show.issue(app.output(fmt, categories=True, groups=True), show_issue(store, _id(store, issue), app.moment(at)), timeline=True)


@issue_app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[str, typer.Option("--status", help="open (unfinished, default), done, all, or a status: new assigned on_site waiting_resident waiting_parts escalated reopened resolved closed.")] = "open",
    kind: Annotated[Optional[str], typer.Option("--kind", help="problem or wish.")] = None,
    category: Annotated[Optional[str], typer.Option("--category", help="A category (乱停车, parking…).")] = None,
    channel: Annotated[Optional[str], typer.Option("--channel", help="A channel (热线, wechat…).")] = None,
    tier: Annotated[Optional[str], typer.Option("--tier", help="normal, major or complex.")] = None,
    building: Annotated[Optional[str], typer.Option("--building", "-b", help="Only this building.")] = None,
    grid: Annotated[Optional[str], typer.Option("--grid", help="Only this grid point.")] = None,
    handler: Annotated[Optional[str], typer.Option("--handler", help="Only issues this staff member holds.")] = None,
    household: Household = None,
    from_: Annotated[Optional[str], typer.Option("--from", help="Reported on or after this day.")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="Reported on or before this day.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those past a deadline they have not met.")] = False,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="At most this many rows (a table shows the newest 50 by default).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every row, not the newest 50.")] = False,
    search: Annotated[Optional[str], typer.Option("--search", "-s", help="Text in the title, description, reporter or place.")] = None,
    voided: Annotated[bool, typer.Option("--voided", help="List voided issues too, marked.")] = False,
    at: AtOption = None,
    fmt: FormatOption = Format.table,
):
    """Issues as things stood at --at (default now), newest first. Example: redprop issue list --handler 刘磊 --overdue"""
    from datetime import timedelta

    from redprop.issues.reading import IssueFilter, count_issues, list_issues, parse_status_filter
    from redprop.parsing import clean_building, clean_grid, local_day_start
    from redprop.present.output import Page, page_size
    from redprop.vocab import CHANNELS, ISSUE_KINDS, TIER_CODES

    app = ctx.obj
    store = app.store
    first, last = app.days(from_, to)
    moment, size = app.moment(at), page_size(fmt, limit, all_)
    wanted = IssueFilter(
        status=parse_status_filter(status), kind=ISSUE_KINDS.resolve(kind) if kind else None,
        category=app.catalogue("categories").resolve(category) if category else None,
        channel=CHANNELS.resolve(channel) if channel else None, tier=TIER_CODES.resolve(tier) if tier else None,
        building=clean_building(building) if building else None, grid=clean_grid(grid) if grid else None,
        handler=handler, household=household,
        reported_from=local_day_start(first, store.tz) if first else None,
        reported_to=local_day_start(last + timedelta(days=1), store.tz) if last else None,
        overdue=overdue, limit=size, search=search, voided=voided,
    )
    show.issues(app.output(fmt, categories=True), list_issues(store, moment, wanted), Page(size, lambda: count_issues(store, moment, wanted)))


@issue_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .csv (UTF-8, UTF-8 with BOM, GBK or UTF-16) or .xlsx file.")],
    dry_run: DryRun = False, skip_invalid: SkipInvalid = False, sheet: Sheet = None,
    max_rows: MaxRows = DEFAULT_MAX_ROWS,
    order_from: Annotated[Optional[str], typer.Option("--order-from", help="An order sheet without a 来源 column: who dispatched its orders (12345, 网格中心…).")] = None,
    fmt: FormatOption = Format.table,
):
    """Load issues from another system (报告时间, 类型, 类别, 渠道, 户号/地点, 标题/描述, 等级, 处理人, 期限, 到场时间, 解决时间, 状态, 评分),
    or an order sheet from 12345 or the grid centre (工单编号, 来源, 诉求类型, 诉求内容, 诉求人, 联系电话, 地址, 派单时间, 办结时限).

    \b
    Example: redprop issue import sample_data/issues.csv --dry-run
    Example: redprop issue import 12345工单.xlsx
    """
    from redprop.exchange.orders import import_orders, is_order_sheet

    app = ctx.obj
    if is_order_sheet(file, sheet):
        run_import(app, import_orders, file, dry_run, skip_invalid, sheet, fmt, max_rows, source=order_from)
        return
    from redprop.errors import InvalidValue
    from redprop.exchange.issues import import_issues

    if order_from:
        raise InvalidValue("--order-from is for an order sheet (with 派单时间 or 办结时限); {file} is not one", file=file.name)
    run_import(app, import_issues, file, dry_run, skip_invalid, sheet, fmt, max_rows)


@category_app.command("list")
def category_list(ctx: typer.Context, fmt: FormatOption = Format.table):
    """The categories, with how many issues each has. Example: redprop issue category list"""
    from redprop.issues.categories import list_categories

    app = ctx.obj
    show.categories(app.output(fmt), list_categories(app.store))


@category_app.command("add")
def category_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="A short English slug, like bike_shed.")],
    zh: Annotated[Optional[str], typer.Option("--zh", help="The Chinese label, like 车棚.")] = None,
    en: Annotated[Optional[str], typer.Option("--en", help="The English label, like 'Bicycle shed'.")] = None,
    upstream: Annotated[Optional[str], typer.Option("--upstream", help="The class the platforms above file it under, like 街面秩序/乱停车.")] = None,
    fmt: FormatOption = Format.table,
):
    """Add a category. Example: redprop issue category add bike_shed --zh 车棚 --en 'Bicycle shed'"""
    from redprop.issues.categories import save_category

    app = ctx.obj
    show.category(app.output(fmt), save_category(app.store, code, zh, en, adding=True, upstream=upstream))


@category_app.command("edit")
def category_edit(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The category, by slug or either label.")],
    zh: Annotated[Optional[str], typer.Option("--zh", help="A new Chinese label.")] = None,
    en: Annotated[Optional[str], typer.Option("--en", help="A new English label.")] = None,
    new_code: Annotated[Optional[str], typer.Option("--code", help="A new slug (its issues follow).")] = None,
    upstream: Annotated[Optional[str], typer.Option("--upstream", help="The class the platforms above file it under, like 街面秩序/乱停车 ('none' clears it): an order sheet's 诉求类型 finds the category through it.")] = None,
    fmt: FormatOption = Format.table,
):
    """Change a category's labels, slug or upstream class.

    \b
    Example: redprop issue category edit dogs --zh 犬只扰民
    Example: redprop issue category edit parking --upstream 街面秩序/乱停车
    """
    from redprop.issues.categories import save_category

    app = ctx.obj
    show.category(app.output(fmt), save_category(app.store, code, zh, en, new_code, upstream=upstream))


orders.register(issue_app)
