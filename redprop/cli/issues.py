"""`redprop issue …`, `redprop policy …`, `redprop overdue` and `redprop stats`."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.cli.common import AtOption, FormatOption
from redprop.cli.reports import categories, is_zh, local_time, minutes_text, promise_label
from redprop.present.render import Column, Format, emit, emit_record, print_json, print_text

app = common.sub_app("Residents' issues (问题清单/需求清单): open, assign, arrive, resolve…, show, list, import.")
category_app = common.sub_app("The category catalogue (乱停车, 犬只, 报修…): list, add, edit.")
policy_app = common.sub_app("The response-time promise (5341 by default): show, set.")
app.add_typer(category_app, name="category")

IssueId = Annotated[str, typer.Argument(help="The issue number, like 37 or #37.")]
By = Annotated[Optional[str], typer.Option("--by", help="Who did it (a staff member; default: the handler, if any).")]
Note = Annotated[Optional[str], typer.Option("--note", help="A note kept with the step.")]
Household = Annotated[Optional[str], typer.Option("--household", help="The household's address key, like 8-2-301.")]
Place = Annotated[Optional[str], typer.Option("--place", help="A public place instead of a household, like '3栋门口'.")]

CARD = [
    Column("number", "编号", "Issue"),
    Column("title", "标题", "Title"),
    Column("kind_label", "类型", "Kind"),
    Column("category_label", "类别", "Category"),
    Column("channel_label", "渠道", "Channel"),
    Column("where", "地点", "Where"),
    Column("reporter", "反映人", "Reported by"),
    Column("tier_label", "等级", "Tier"),
    Column("status_label", "状态", "Status"),
    Column("handler", "处理人", "Handler"),
    Column("reported", "报告时间", "Reported"),
    Column("escalation_text", "联席会议", "Joint meeting"),
    Column("rating", "评价", "Rating"),
    Column("description", "描述", "Description"),
]
DEADLINE_COLUMNS = [
    Column("promise_label", "承诺", "Promise"),
    Column("due", "期限", "Due"),
    Column("met", "完成于", "Met at"),
    Column("outcome_label", "结果", "Outcome"),
    Column("margin", "差额", "Margin"),
]
STEP_COLUMNS = [
    Column("when", "时间", "When"),
    Column("action_label", "步骤", "Step"),
    Column("by", "经办人", "By"),
    Column("detail", "内容", "Detail"),
    Column("typed", "补录", "Typed in"),
]
LIST_COLUMNS = [
    Column("number", "编号", "Issue", "right"),
    Column("reported_local", "报告时间", "Reported"),
    Column("kind_label", "类型", "Kind"),
    Column("category_label", "类别", "Category"),
    Column("title", "标题", "Title"),
    Column("where", "地点", "Where"),
    Column("tier_label", "等级", "Tier"),
    Column("status_label", "状态", "Status"),
    Column("handler", "处理人", "Handler"),
    Column("next", "下一期限", "Next deadline"),
]
CATEGORY_COLUMNS = [
    Column("code", "代码", "Code"),
    Column("zh", "中文", "Chinese"),
    Column("en", "English", "English"),
    Column("issues", "件数", "Issues", "right"),
]
def _labelled(record: dict) -> dict:
    """Table-only label columns beside an issue's slugs (JSON keeps the plain fields)."""
    from redprop.issues.records import CHANNELS, KINDS, STATUSES
    from redprop.policy.terms import TIER_CODES

    lang = common.state.lang
    record["number"] = f"#{record['id']}"
    record["kind_label"] = KINDS.label(record["kind"], lang)
    record["category_label"] = categories().label(record["category"], lang)
    record["channel_label"] = CHANNELS.label(record["channel"], lang)
    record["tier_label"] = TIER_CODES.label(record["tier"], lang)
    record["status_label"] = STATUSES.label(record["status"], lang)
    record["where"] = " ".join(filter(None, (record.get("household"), record.get("place"))))
    reported = record["reported_local"] = local_time(record.get("reported_at"))
    if record.get("backdated"):
        reported += f" (补录 {local_time(record['recorded_at'])})" if is_zh() else f" (typed in {local_time(record['recorded_at'])})"
    elif record.get("imported"):
        reported += " (导入)" if is_zh() else " (imported)"
    record["reported"] = reported
    escalation = record.get("escalation")
    if escalation:
        from redprop.issues.records import PARTIES

        parts = ["、".join(PARTIES.label(p, lang) for p in escalation["parties"])] if escalation["parties"] else []
        if escalation["meeting_at"]:
            parts.append(("会议 " if is_zh() else "meeting ") + local_time(escalation["meeting_at"]))
        if escalation["decision"]:
            parts.append(("决定：" if is_zh() else "decided: ") + escalation["decision"])
        record["escalation_text"] = "; ".join(parts) or ("已提交" if is_zh() else "escalated")
    next_due = [d for d in record.get("deadlines", []) if d["state"] in ("overdue", "pending", "paused")]
    if next_due:
        d = min(next_due, key=lambda d: d["due_at"] or "~")
        label = promise_label(d["promise"])
        if d["state"] == "overdue":
            record["next"] = f"{label} {'超时' if is_zh() else 'late'} {minutes_text(d['late_minutes'])}"
        elif d["state"] == "paused":
            record["next"] = f"{label} {'暂停' if is_zh() else 'paused'}"
        else:
            record["next"] = f"{label} {local_time(d['due_at'])}"
    return record


def _deadline_rows(record: dict) -> list[dict]:
    from redprop.issues.records import OUTCOMES

    rows = []
    for d in record["deadlines"]:
        late = d["late_minutes"]
        if d["state"] in ("missed", "overdue"):
            margin = f"{'超时' if is_zh() else 'late'} {minutes_text(late)}"
        elif d["state"] == "kept":
            margin = f"{'提前' if is_zh() else 'early'} {minutes_text(late)}" if late else ""
        elif d["state"] == "pending":
            margin = f"{'剩余' if is_zh() else 'left'} {minutes_text(late)}"
        else:
            margin = "计时暂停" if is_zh() else "clock stopped"
        rows.append({
            "promise_label": promise_label(d["promise"]),
            "due": local_time(d["due_at"]) or ("暂停" if is_zh() else "paused"),
            "met": local_time(d["met_at"]),
            "outcome_label": OUTCOMES.label(d["state"], common.state.lang),
            "margin": margin,
        })
    return rows


def _step_rows(record: dict) -> list[dict]:
    from redprop.issues.records import ACTIONS, IMPORTED_NOTE, PARTIES
    from redprop.policy.terms import TIER_CODES, WAITING_CODES

    lang = common.state.lang
    rows = []
    for s in record["steps"]:
        detail = []
        if s["action"] == "open":
            from redprop.issues.records import CHANNELS

            detail.append(" · ".join(filter(None, (record["reporter"], CHANNELS.label(record["channel"], lang)))))
        if s["to"]:
            detail.append(f"→ {s['to']}")
        if s["action"] == "wait" and s["value"]:
            detail.append(WAITING_CODES.label(s["value"], lang))
        if s["action"] == "retier" and s["value"]:
            detail.append(f"→ {TIER_CODES.label(s['value'], lang)}")
        if s["action"] == "rate" and s["value"]:
            detail.append(f"{s['value']}/5")
        if s["action"] == "reopen" and s["value"]:  # reopened by a low rating
            detail.append(f"{'评价' if is_zh() else 'rating'} {s['value']}/5")
        if s["action"] == "note" and s["value"]:  # a correction: {field: [was, now]}
            detail.append(_correction_text(s["value"]))
        if s["action"] == "escalate":
            if s["value"]:
                detail.append("、".join(PARTIES.label(p, lang) for p in s["value"].split(",")))
            if s["meeting_at"]:
                detail.append(("会议 " if is_zh() else "meeting ") + local_time(s["meeting_at"]))
            if s["decision"]:
                detail.append(("决定：" if is_zh() else "decided: ") + s["decision"])
        if s["note"] == IMPORTED_NOTE:
            detail.append("导入" if is_zh() else "imported")
        elif s["note"]:
            detail.append(s["note"])
        rows.append({
            "when": local_time(s["at"]),
            "action_label": ACTIONS.label(s["action"], lang),
            "by": s["by"],
            "detail": ("；" if is_zh() else "; ").join(d for d in detail if d),
            "typed": local_time(s["recorded_at"]) if s["backdated"] else "",
        })
    return rows


def _correction_text(changes: dict) -> str:
    """`更正 标题：门禁坏了 → 门禁又坏了，类别：报修 → 设施` in the chosen language."""
    from redprop.issues.records import CHANNELS, KINDS

    lang, zh = common.state.lang, is_zh()
    headers = {c.key.removesuffix("_label"): c.header(lang) for c in CARD}
    headers["household"] = headers["place"] = headers["where"]
    codes = {"kind": KINDS, "category": categories(), "channel": CHANNELS}

    def shown(field: str, value) -> str:
        if field in codes and value:
            return codes[field].label(value, lang)
        return value or "—"

    parts = [f"{headers.get(field, field)}{'：' if zh else ': '}{shown(field, was)} → {shown(field, now)}"
             for field, (was, now) in changes.items()]
    return ("更正 " if zh else "corrected ") + ("，" if zh else ", ").join(parts)


def _print_issue(record: dict, fmt: Format, timeline: bool = False) -> None:
    lang = common.state.lang
    if fmt == Format.json:
        print_json(record)
        return
    _labelled(record)
    emit_record(record, CARD, fmt, lang)
    if fmt == Format.csv:
        return
    if record["deadlines"]:
        print_text()
        emit(_deadline_rows(record), DEADLINE_COLUMNS, fmt, lang, title="承诺 Promises" if is_zh() else "Promises")
    if timeline:
        print_text()
        emit(_step_rows(record), STEP_COLUMNS, fmt, lang, title="经过 Timeline" if is_zh() else "Timeline")


def _id(text: str) -> int:
    from redprop.issues.records import parse_issue_id

    return parse_issue_id(text)


def _step(issue: str, action: str, at: Optional[str], by: Optional[str], fmt: Format, **fields) -> None:
    """Record one step (at --at, typed in now) and print the issue as it stands after it."""
    from redprop.issues.records import Step, add_steps, show_issue
    from redprop.parsing import to_db

    store = common.open_db()
    issue_id = _id(issue)
    happened, now = common.past_moment(store, at), common.now(store)
    steps = [Step(action, to_db(happened), to_db(now), by=by.strip() if by else None, **fields)]
    if action == "rate" and int(fields["value"]) <= 2:
        # the reopen step keeps the rating that caused it; the timeline labels it in the chosen language
        steps.append(Step("reopen", to_db(happened), to_db(now), by=steps[0].by, value=fields["value"]))
    add_steps(store, issue_id, steps)
    if len(steps) > 1:
        from redprop.present.render import message

        message(f"issue #{issue_id} reopened: rating {fields['value']} of 5")
    _print_issue(show_issue(store, issue_id, max(happened, now)), fmt)


@app.command("open")
def open_(
    kind: Annotated[str, typer.Option("--kind", help="problem 问题 (问题清单) or wish 需求 (需求清单).")],
    category: Annotated[str, typer.Option("--category", help="parking 乱停车, dogs 犬只, repair 报修, sanitation 环境卫生, security 治安, dispute 邻里纠纷, noise 噪音, facilities 设施, greening 绿化, other 其他 (or the community's own: issue category list).")],
    channel: Annotated[str, typer.Option("--channel", help="window 一站式窗口, hotline 热线/服务点, wechat 微信群, wish_wall 许愿墙, patrol 巡查, visit 走访, other 其他.")],
    title: Annotated[str, typer.Option("--title", help="What it is, in a few words.")],
    household: Household = None,
    place: Place = None,
    tier: Annotated[str, typer.Option("--tier", help="normal 一般, major 重大, complex 特殊复杂: picks the deadlines.")] = "normal",
    at: AtOption = None,
    reporter: Annotated[Optional[str], typer.Option("--reporter", help="Who reported it (a resident's name).")] = None,
    description: Annotated[Optional[str], typer.Option("--description", help="The details.")] = None,
    building: Annotated[Optional[str], typer.Option("--building", help="With --place: the building it is in (for lists and stats).")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="The staff member who took the report.")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="Assign it at once to this staff member.")] = None,
    fmt: FormatOption = Format.table,
):
    """Record a problem or wish a resident reported; prints its number and deadlines.

    \b
    Example: redprop issue open --kind problem --category 乱停车 --channel 热线 --place '3栋门口' --title '消防通道被占' --at '2026-11-20 9:30'
    """
    from redprop.issues.records import CHANNELS, KINDS, NewIssue, load_categories, open_issue
    from redprop.policy.terms import TIER_CODES
    from redprop.parsing import clean_building

    store = common.open_db()
    if household and place:
        from redprop.errors import InvalidValue

        raise InvalidValue("give either --household or --place, not both (a household's own problem, or a public area)")
    new = NewIssue(
        kind=KINDS.resolve(kind), category=load_categories(store).resolve(category), channel=CHANNELS.resolve(channel),
        title=title, tier=TIER_CODES.resolve(tier), household=household, place=place,
        building=clean_building(building) if building else None, reporter=reporter, description=description,
    )
    happened = common.past_moment(store, at)
    record = open_issue(store, new, happened, common.now(store), by=by, to=to)
    from redprop.present.render import message

    message(f"opened issue #{record['id']}")
    _print_issue(record, fmt)


@app.command("assign")
def assign(issue: IssueId,
           to: Annotated[str, typer.Option("--to", help="The staff member who will handle it.")],
           at: AtOption = None, by: By = None, note: Note = None, fmt: FormatOption = Format.table):
    """Hand an issue to a staff member (again, to reassign it). Example: redprop issue assign 37 --to 刘磊"""
    _step(issue, "assign", at, by, fmt, staff=to.strip(), note=note)


@app.command("arrive")
def arrive(issue: IssueId, at: AtOption = None, by: By = None, note: Note = None, fmt: FormatOption = Format.table):
    """Record that someone is on site (it need not be assigned first). Example: redprop issue arrive 37 --at 9:34 --by 刘磊"""
    _step(issue, "arrive", at, by, fmt, note=note)


@app.command("wait")
def wait(issue: IssueId,
         for_: Annotated[str, typer.Option("--for", help="resident 等待居民 or parts 等待配件.")] = "resident",
         at: AtOption = None, by: By = None, note: Note = None, fmt: FormatOption = Format.table):
    """Put an issue on hold; the clock stops if the policy names the status. Example: redprop issue wait 37 --for parts"""
    from redprop.vocab import Catalogue
    from redprop.errors import InvalidValue
    from redprop.policy.terms import WAITING_CODES

    if _means_a_meeting(for_):
        raise InvalidValue("to wait for a joint meeting, use `issue escalate`")
    # the holds --for accepts, so that an unknown value's error offers only these
    waits = Catalogue("waiting status", [c for c in WAITING_CODES.codes.values() if c.slug != "escalated"])
    _step(issue, "wait", at, by, fmt, value=waits.resolve(for_), note=note)


def _means_a_meeting(text: str) -> bool:
    from redprop.errors import InvalidValue
    from redprop.policy.terms import WAITING_CODES

    try:
        return WAITING_CODES.resolve(text) == "escalated"
    except InvalidValue:
        return False


@app.command("resume")
def resume(issue: IssueId, at: AtOption = None, by: By = None, note: Note = None, fmt: FormatOption = Format.table):
    """End a wait: the clock runs again. Example: redprop issue resume 37 --note 配件已到"""
    _step(issue, "resume", at, by, fmt, note=note)


@app.command("resolve")
def resolve(issue: IssueId, note: Note = None, at: AtOption = None, by: By = None, fmt: FormatOption = Format.table):
    """Record that the problem is solved. Example: redprop issue resolve 37 --note 已换灯泡"""
    _step(issue, "resolve", at, by, fmt, note=note)


@app.command("plan")
def plan(issue: IssueId,
         note: Annotated[str, typer.Option("--note", help="The written plan, or where it is filed.")],
         at: AtOption = None, by: By = None, fmt: FormatOption = Format.table):
    """Record the written plan for a complex issue. Example: redprop issue plan 37 --note '方案：增设非机动车棚'"""
    from redprop.errors import InvalidValue

    if not note.strip():
        raise InvalidValue("a plan needs its text: --note '…'")
    _step(issue, "plan", at, by, fmt, note=note)


@app.command("escalate")
def escalate(
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
    from redprop.issues.records import DEFAULT_PARTIES, PARTIES
    from redprop.parsing import to_db
    from redprop.parsing import split_list

    store = common.open_db()
    parties = [PARTIES.resolve(p) for p in split_list(with_)] if with_ else None
    if parties is None and not decision:
        parties = list(DEFAULT_PARTIES)
    meeting_at = to_db(common.moment(store, meeting, "--meeting")) if meeting else None
    _step(issue, "escalate", at, by, fmt, value=",".join(parties) if parties else None, meeting_at=meeting_at,
          decision=decision.strip() if decision else None, note=note)


@app.command("close")
def close(issue: IssueId, at: AtOption = None, by: By = None, note: Note = None, fmt: FormatOption = Format.table):
    """Close a resolved issue. Example: redprop issue close 37"""
    _step(issue, "close", at, by, fmt, note=note)


@app.command("reopen")
def reopen(issue: IssueId, at: AtOption = None, by: By = None, note: Note = None, fmt: FormatOption = Format.table):
    """Reopen a resolved or closed issue. Example: redprop issue reopen 37 --note 居民反映灯又坏了"""
    _step(issue, "reopen", at, by, fmt, note=note)


@app.command("rate")
def rate(issue: IssueId,
         rating: Annotated[str, typer.Argument(help="The resident's rating, 1 to 5 (2 or less reopens the issue).")],
         comment: Annotated[Optional[str], typer.Option("--comment", help="What the resident said.")] = None,
         at: AtOption = None, by: By = None, fmt: FormatOption = Format.table):
    """Record the follow-up call (回访) and the resident's rating. Example: redprop issue rate 37 5 --comment 很满意"""
    from redprop.errors import InvalidValue

    value = rating.strip()
    if not value.isdigit() or not 1 <= int(value) <= 5:
        raise InvalidValue(f"a rating is a whole number from 1 to 5, not {rating!r}")
    _step(issue, "rate", at, by, fmt, value=str(int(value)), note=comment)


@app.command("note")
def note_(issue: IssueId, text: Annotated[str, typer.Argument(help="The note.")],
          at: AtOption = None, by: By = None, fmt: FormatOption = Format.table):
    """Add a note to an issue's timeline. Example: redprop issue note 37 '已联系车主挪车'"""
    from redprop.errors import InvalidValue

    if not text.strip():
        raise InvalidValue("the note is empty")
    _step(issue, "note", at, by, fmt, note=text.strip())


@app.command("edit")
def edit(
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
    from redprop.issues.records import CHANNELS, KINDS, IssueEdits, edit_issue, load_categories, show_issue
    from redprop.policy.terms import TIER_CODES

    store = common.open_db()
    issue_id = _id(issue)
    edits = IssueEdits(
        title=title, description=description, kind=KINDS.resolve(kind) if kind else None,
        category=load_categories(store).resolve(category) if category else None,
        channel=CHANNELS.resolve(channel) if channel else None, reporter=reporter, place=place, household=household,
    )
    happened, now = common.past_moment(store, at), common.now(store)
    edit_issue(store, issue_id, edits, TIER_CODES.resolve(tier) if tier else None, happened, now, by=by)
    _print_issue(show_issue(store, issue_id, max(happened, now)), fmt)


@app.command("show")
def show(issue: IssueId, at: AtOption = None, fmt: FormatOption = Format.table):
    """An issue with every deadline met or missed and its timeline, as things stood at --at.

    \b
    Example: redprop issue show 37 --at '2026-11-20 10:00'
    """
    from redprop.issues.records import show_issue

    store = common.open_db()
    _print_issue(show_issue(store, _id(issue), common.moment(store, at)), fmt, timeline=True)


@app.command("list")
def list_(
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
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="At most this many rows.")] = None,
    at: AtOption = None,
    fmt: FormatOption = Format.table,
):
    """Issues as things stood at --at (default now), newest first. Example: redprop issue list --handler 刘磊 --overdue"""
    from datetime import timedelta

    from redprop.issues.records import CHANNELS, KINDS, IssueFilter, list_issues, load_categories, parse_status_filter
    from redprop.policy.terms import TIER_CODES
    from redprop.parsing import local_day_start
    from redprop.parsing import clean_building, clean_grid

    store = common.open_db()
    first, last = common.day(store, from_, False, "--from"), common.day(store, to, False, "--to")
    common.check_range(first, last, "--from/--to")
    rows = list_issues(store, common.moment(store, at), IssueFilter(
        status=parse_status_filter(status), kind=KINDS.resolve(kind) if kind else None,
        category=load_categories(store).resolve(category) if category else None,
        channel=CHANNELS.resolve(channel) if channel else None, tier=TIER_CODES.resolve(tier) if tier else None,
        building=clean_building(building) if building else None, grid=clean_grid(grid) if grid else None,
        handler=handler, household=household,
        reported_from=local_day_start(first, store.tz) if first else None,
        reported_to=local_day_start(last + timedelta(days=1), store.tz) if last else None,
        overdue=overdue, limit=limit,
    ))
    if fmt != Format.json:
        rows = [_labelled(r) for r in rows]
    emit(rows, LIST_COLUMNS, fmt, common.state.lang)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A .csv (UTF-8, UTF-8 with BOM or GBK) or .xlsx file.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row and report, write nothing.")] = False,
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Write the good rows, list the refused ones, exit 0.")] = False,
    sheet: Annotated[Optional[str], typer.Option("--sheet", help="Worksheet of an .xlsx file (default: the first).")] = None,
    fmt: FormatOption = Format.table,
):
    """Load issues from another system (报告时间, 类型, 类别, 渠道, 户号/地点, 标题/描述, 等级, 处理人, 期限, 到场时间, 解决时间, 状态, 评分).

    \b
    Example: redprop issue import 热线工单.xlsx --dry-run
    """
    from redprop.cli.households import run_import
    from redprop.exchange.issues import import_issues

    run_import(import_issues, file, dry_run, skip_invalid, sheet, fmt)


@category_app.command("list")
def category_list(fmt: FormatOption = Format.table):
    """The categories, with how many issues each has. Example: redprop issue category list"""
    from redprop.issues.records import list_categories

    emit(list_categories(common.open_db()), CATEGORY_COLUMNS, fmt, common.state.lang)


@category_app.command("add")
def category_add(
    code: Annotated[str, typer.Argument(help="A short English slug, like bike_shed.")],
    zh: Annotated[Optional[str], typer.Option("--zh", help="The Chinese label, like 车棚.")] = None,
    en: Annotated[Optional[str], typer.Option("--en", help="The English label, like 'Bicycle shed'.")] = None,
    fmt: FormatOption = Format.table,
):
    """Add a category. Example: redprop issue category add bike_shed --zh 车棚 --en 'Bicycle shed'"""
    from redprop.issues.records import save_category

    emit_record(save_category(common.open_db(), code, zh, en, adding=True), CATEGORY_COLUMNS, fmt, common.state.lang)


@category_app.command("edit")
def category_edit(
    code: Annotated[str, typer.Argument(help="The category, by slug or either label.")],
    zh: Annotated[Optional[str], typer.Option("--zh", help="A new Chinese label.")] = None,
    en: Annotated[Optional[str], typer.Option("--en", help="A new English label.")] = None,
    new_code: Annotated[Optional[str], typer.Option("--code", help="A new slug (its issues follow).")] = None,
    fmt: FormatOption = Format.table,
):
    """Change a category's labels or slug. Example: redprop issue category edit dogs --zh 犬只扰民"""
    from redprop.issues.records import save_category

    emit_record(save_category(common.open_db(), code, zh, en, new_code), CATEGORY_COLUMNS, fmt, common.state.lang)


# ---------------------------------------------------------------------------------------
# policy


def _policy_lines(p: dict) -> list[str]:
    from redprop.policy.terms import PROMISES, TIER_CODES, WAITING_CODES

    lang, zh = common.state.lang, is_zh()
    since = local_time(p["effective_at"]) or ("一直" if zh else "always")
    lines = [f"{'承诺' if zh else 'Promise'} {p['name']}  (v{p['version']}, {'生效' if zh else 'in force from'} {since})"]
    rows = []
    for tier in ("normal", "major", "complex"):
        row = {"tier": TIER_CODES.label(tier, lang)}
        for promise in PROMISES:
            row[promise] = p[tier].get(promise) or "—"
        rows.append(row)
    from redprop.present.render import plain_table

    columns = [Column("tier", "等级", "Tier")] + [
        Column(pr, promise_label(pr), promise_label(pr)) for pr in PROMISES
    ]
    lines.append(plain_table(rows, columns, lang))
    if p["hours"]:
        calendar = ("按国家法定节假日与调休" if zh else "with China's public holidays and 调休 days") if p["chinese_calendar"] else ("不含法定节假日" if zh else "without the public-holiday calendar")
        lines.append(f"{'工作时间' if zh else 'Working hours'}: {', '.join(p['hours'])}; {calendar}; "
                     f"{'休息日' if zh else 'rest days'}: {', '.join(_weekday(d) for d in p['weekend']) or '—'}")
        if p["holidays"]:
            lines.append(f"{'另休' if zh else 'Extra holidays'}: {', '.join(p['holidays'])}")
        if p["workdays"]:
            lines.append(f"{'另上班' if zh else 'Extra workdays'}: {', '.join(p['workdays'])}")
    else:
        lines.append("计时：全天候（不分工作时间）" if zh else "Clock: round the clock")
    pauses = ", ".join(WAITING_CODES.label(s, lang) for s in p["pause_statuses"]) or ("无" if zh else "none")
    lines.append(f"{'暂停计时的状态' if zh else 'Statuses that stop the clock'}: {pauses}")
    if p["note"]:
        lines.append(f"{'备注' if zh else 'Note'}: {p['note']}")
    return lines


def _weekday(slug: str) -> str:
    from redprop.policy.terms import WEEKDAYS

    return "周" + "一二三四五六日"[WEEKDAYS.index(slug)] if is_zh() else slug.capitalize()


@policy_app.command("show")
def policy_show(at: AtOption = None,
                history: Annotated[bool, typer.Option("--history", help="Every version, oldest first.")] = False,
                fmt: FormatOption = Format.table):
    """The promise in force (durations per tier, working hours, pause statuses). Example: redprop policy show"""
    from redprop.policy.terms import policy_history, show_policy

    store = common.open_db()
    policies = policy_history(store) if history else [show_policy(store, common.moment(store, at))]
    if fmt == Format.json:
        print_json(policies if history else policies[0])
        return
    for i, p in enumerate(policies):
        if i:
            print_text()
        for line in _policy_lines(p):
            print_text(line)


@policy_app.command("set")
def policy_set(
    arrive: Annotated[Optional[list[str]], typer.Option("--arrive", metavar="[TIER=]TIME", help="On-site time: 10m for every tier, or major=10m; 'none' removes it.")] = None,
    resolve: Annotated[Optional[list[str]], typer.Option("--resolve", metavar="[TIER=]TIME", help="Resolution time: normal=1h, major=8h, complex=5d.")] = None,
    plan: Annotated[Optional[list[str]], typer.Option("--plan", metavar="[TIER=]TIME", help="Written-plan time: complex=1d.")] = None,
    hours: Annotated[Optional[str], typer.Option("--hours", help="Working hours, like 08:30-12:00,14:00-18:00; 'none' counts round the clock.")] = None,
    chinese_calendar: Annotated[Optional[bool], typer.Option("--chinese-calendar/--no-chinese-calendar", help="Under working hours, rest on China's public holidays and work the 调休 make-up days (default on).")] = None,
    weekend: Annotated[Optional[str], typer.Option("--weekend", help="Weekly rest days, like sat,sun or 周日; 'none' for none.")] = None,
    holidays: Annotated[Optional[str], typer.Option("--holidays", help="The community's own extra days off, like 2026-12-31,2027-01-04 (replaces the list).")] = None,
    workdays: Annotated[Optional[str], typer.Option("--workdays", help="The community's own extra working days (replaces the list).")] = None,
    pause: Annotated[Optional[str], typer.Option("--pause", help="Statuses that stop the clock: waiting_resident,waiting_parts,escalated; 'none' for none.")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="A name for the promise, like 5341.")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Start from the shipped 5341 promise instead of the one in force.")] = False,
    from_: Annotated[Optional[str], typer.Option("--from", help="In force from this moment (default now); issues reported earlier keep their deadlines.")] = None,
    note: Note = None,
    fmt: FormatOption = Format.table,
):
    """Change the promise from a moment on; issues already reported keep their deadlines.

    Durations: 5m, 30m, 4h, 1h30m, 1d (a day is one working day under working hours).
    Example: redprop policy set --resolve normal=1h --hours 08:30-12:00,14:00-18:00 --pause waiting_resident,waiting_parts
    """
    from redprop.errors import InvalidValue
    from redprop.policy.terms import PolicyChanges, parse_promise_options, set_policy

    store = common.open_db()
    promises = {}
    for promise, specs in (("arrive", arrive), ("resolve", resolve), ("plan", plan)):
        promises.update(parse_promise_options(promise, specs or []))
    changes = PolicyChanges(promises=promises, name=name, hours=hours, chinese_calendar=chinese_calendar,
                            weekend=weekend, holidays=holidays, workdays=workdays, pause_statuses=pause)
    if not reset and not promises and all(
        getattr(changes, k) is None for k in ("name", "hours", "chinese_calendar", "weekend", "holidays", "workdays", "pause_statuses")
    ):
        raise InvalidValue("nothing to change: give --arrive, --resolve, --plan, --hours, --pause … (see --help)")
    now = common.now(store)
    effective = common.moment(store, from_, "--from") if from_ else now
    policy = set_policy(store, changes, effective, now, note, reset=reset)
    if fmt == Format.json:
        print_json(policy)
        return
    for line in _policy_lines(policy):
        print_text(line)


