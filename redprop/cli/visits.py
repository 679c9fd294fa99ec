"""`redprop visit …`: log home visits, list them, and see who is due."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.cli.common import AtOption, Buildings, DryRun, StaffFilter, FileArg, FormatOption, Key, Sheet, ShowSensitive, SkipInvalid, run_import, MaxRows
from redprop.exchange.limits import DEFAULT_MAX_ROWS
from redprop.present import care as show
from redprop.present.output import Format

visit_app = common.sub_app("Home visits (走访): log, list, due, plan, import.")


@visit_app.command("log")
def log(ctx: typer.Context, household: Key,
        by: Annotated[Optional[str], typer.Option("--by", help="Who visited (a staff member's name; default: you, `redprop config set me`).")] = None,
        at: AtOption = None,
        kind: Annotated[str, typer.Option("--kind", help="round 巡查, visit 走访, ask 问询, phone 电话.")] = "visit",
        outcome: Annotated[Optional[str], typer.Option("--outcome", help="What happened (required): well 平安, not_home 不在家, needs_help 需要帮助, refused 拒绝.")] = None,
        need: Annotated[Optional[str], typer.Option("--need", help="With what, when the outcome is needs_help.")] = None,
        note: Annotated[Optional[str], typer.Option("--note", help="Anything worth keeping.")] = None,
        resident: Annotated[Optional[str], typer.Option("--resident", help="The person visited, if one in particular.")] = None,
        open_issue: Annotated[bool, typer.Option("--open-issue", help="Open the need found as an issue (channel 走访, this household, the visitor on site).")] = False,
        category: Annotated[Optional[str], typer.Option("--category", help="With --open-issue: the issue's category (报修, 设施…).")] = None,
        tier: Annotated[Optional[str], typer.Option("--tier", help="With --open-issue: normal 一般 (default), major 重大, complex 特殊复杂.")] = None,
        issue_kind: Annotated[Optional[str], typer.Option("--issue-kind", help="With --open-issue: problem 问题 (default) or wish 需求.")] = None,
        fmt: FormatOption = Format.table):
    """Record a visit, after the fact if need be; a day alone (--at 昨天) is kept as that day, time unknown.

    \b
    Example: redprop visit log 8-2-301 --by 李建国 --at "yesterday 9:30" --outcome not_home
    Example: redprop visit log 8-2-301 --by 杜丽娟 --outcome 需要帮助 --need 厨房水管漏水 --open-issue --category 报修
    """
    from redprop.care.visits import log_visit
    from redprop.errors import InvalidValue
    from redprop.vocab import ISSUE_KINDS, TIER_CODES, VISIT_KINDS, VISIT_OUTCOMES

    app = ctx.obj
    store = app.store
    issue = None
    if open_issue:
        if not category:
            raise InvalidValue("--open-issue needs the issue's --category (报修, 设施…)")
        issue = {"category": app.word(app.catalogue("categories"), category, "--category"),
                 "tier": app.word(TIER_CODES, tier, "--tier") if tier else None,
                 "kind": app.word(ISSUE_KINDS, issue_kind, "--issue-kind") if issue_kind else None}
    elif category or tier or issue_kind:
        raise InvalidValue("--category, --tier and --issue-kind go with --open-issue")
    at_moment, time_known = app.visit_moment(at)
    row = log_visit(store, household, by=app.doer(by, required=True), at=at_moment, kind=app.word(VISIT_KINDS, kind, "--kind"),
                    outcome=app.word(VISIT_OUTCOMES, outcome, "--outcome") if outcome or not open_issue else None, need=need, note=note, resident=resident,
                    now=app.now(), time_known=time_known, issue=issue)
    show.visit(app.output(fmt, groups=True), row)


@visit_app.command("void")
def void(ctx: typer.Context, visit: Annotated[int, typer.Argument(help="The visit's number (see `visit list`).")],
         reason: Annotated[str, typer.Option("--reason", help="Why it is voided, e.g. 误录：实际敲门未应.")],
         fmt: FormatOption = Format.table):
    """Void a visit recorded by mistake: it stays on record, marked, and counts nowhere. Example: redprop visit void 812 --reason 结果录错"""
    from redprop.care.visits import void_visit

    app = ctx.obj
    store = app.store
    show.visit(app.output(fmt, groups=True), void_visit(store, visit, reason=reason, by=app.user, now=app.now()), voided=True)


@visit_app.command("list")
def list_(ctx: typer.Context, household: Annotated[Optional[str], typer.Option("--household", help="Only this household.")] = None,
          staff: Annotated[Optional[str], typer.Option("--staff", "--by", help="Only visits by this person.")] = None,
          from_: Annotated[Optional[str], typer.Option("--from", help="From this time/day.")] = None,
          to: Annotated[Optional[str], typer.Option("--to", help="Up to this time, or the end of this day.")] = None,
          outcome: Annotated[Optional[str], typer.Option("--outcome", help="Only this outcome.")] = None,
          limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="At most this many, newest first (a table shows the newest 50 by default).")] = None,
          all_: Annotated[bool, typer.Option("--all", help="Every visit, not the newest 50.")] = False,
          voided: Annotated[bool, typer.Option("--voided", help="List voided visits too, marked.")] = False,
          fmt: FormatOption = Format.table):
    """Visits, newest first. Example: redprop visit list --household 8-2-301 --from 2026-11-01"""
    from redprop.care.visits import list_visits
    from redprop.present.output import Page, page_size
    from redprop.vocab import VISIT_OUTCOMES

    app = ctx.obj
    store = app.store
    since = app.moment(from_, "--from") if from_ else None
    until = app.end_moment(to, "--to", since)
    common.check_range(since, until, "--from/--to")
    wanted = dict(household=household, staff=staff, since=since, until=until,
                  outcome=VISIT_OUTCOMES.resolve(outcome) if outcome else None, voided=voided)
    size = page_size(fmt, limit, all_)
    show.visits(app.output(fmt), list_visits(store, **wanted, limit=size),
                Page(size, lambda: list_visits(store, **wanted, count=True)))


@visit_app.command("due")
def due(ctx: typer.Context, at: AtOption = None,
        grid: Annotated[Optional[str], typer.Option("--grid", help="Only this grid point.")] = None,
        staff: StaffFilter = None, building: Buildings = None,
        show_sensitive: ShowSensitive = False, fmt: FormatOption = Format.table):
    """Households in focus groups not contacted within their cadence, escalations first.

    \b
    Example: redprop visit due --grid G18
    Example: redprop visit due --building 5,8
    """
    from redprop.care.visits import due_visits
    from redprop.staff import known_grid

    app = ctx.obj
    store = app.store
    rows = due_visits(store, app.moment(at), grid=known_grid(store, grid) if grid else None, staff=app.staff_name(staff),
                      buildings=app.buildings(building), show_sensitive=show_sensitive)
    show.due_list(app.output(fmt, groups=True), rows)


@visit_app.command("plan")
def plan(ctx: typer.Context, week: Annotated[Optional[str], typer.Option("--week", help="Any day of the week to plan (default this week).")] = None,
         staff: Annotated[Optional[str], typer.Option("--staff", help="Only this person's list.")] = None,
         building: Buildings = None,
         show_sensitive: ShowSensitive = False, fmt: FormatOption = Format.table,
         output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the round sheets to FILE.xlsx: one sheet per person, in the ledger layout, with a column to tick and sign.")] = None):
    """This week's due visits, a list per person: each household is on the list of every person responsible for it (who covers its building or grid point), or with --staff on that person's list only.

    \b
    Example: redprop visit plan --format csv
    Example: redprop visit plan --staff 杜丽娟 -o 本周走访.xlsx
    """
    from datetime import timedelta

    from redprop.care.visits import plan_rounds

    app = ctx.obj
    store = app.store
    day = app.day(week, option="--week")
    if output is not None:
        from redprop.present.ledgers import check_output

        check_output(output, (".xlsx",))
    rows = plan_rounds(store, day, app.now(), show_sensitive, staff=app.staff_name(staff), buildings=app.buildings(building))
    if output is None:
        show.week_plan(app.output(fmt, groups=True), rows)
        return
    from redprop.present.ledgers import plan_file

    monday = day - timedelta(days=day.weekday())
    plan_file(app.output(groups=True), rows, output, community=store.community, first=monday,
              last=monday + timedelta(days=6), made_on=app.now().date())


@visit_app.command("import")
def import_(ctx: typer.Context, file: FileArg, dry_run: DryRun = False, skip_invalid: SkipInvalid = False, sheet: Sheet = None, max_rows: MaxRows = DEFAULT_MAX_ROWS,
            fmt: FormatOption = Format.table):
    """Load a visit round sheet (户号 or 楼栋/单元/门牌号, 时间, 走访人, 方式, 结果, 需求, 备注). Example: redprop visit import sample_data/visits.csv"""
    from redprop.exchange.care import import_visits

    app = ctx.obj
    run_import(app, import_visits, file, dry_run, skip_invalid, sheet, fmt, max_rows)
