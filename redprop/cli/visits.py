"""`redprop visit …`: log home visits, list them, and see who is due."""

from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.cli.common import AtOption, FormatOption
from redprop.cli.households import DryRun, FileArg, Key, Sheet, SkipInvalid, run_import
from redprop.present.render import Column, Format, emit, emit_record

app = common.sub_app("Home visits (走访): log, list, due, plan, import.")

VISIT_COLUMNS = [
    Column("at_local", "时间", "When"),
    Column("household", "户号", "Address"),
    Column("by", "走访人", "By"),
    Column("kind_label", "方式", "Kind"),
    Column("outcome_label", "结果", "Outcome"),
    Column("need", "需求", "Need"),
    Column("note", "备注", "Note"),
]
DUE_COLUMNS = [
    Column("alert", "!", "!"),
    Column("household", "户号", "Address"),
    Column("head", "户主", "Head"),
    Column("phone", "电话", "Phone"),
    Column("group_labels", "重点人群", "Focus groups"),
    Column("days_since_seen", "未见天数", "Days unseen", "right"),
    Column("cadence_days", "周期", "Cadence", "right"),
    Column("last_seen", "上次见到", "Last seen"),
    Column("failed_attempts", "连续未遇", "Knocks", "right"),
    Column("staff", "责任人", "Staff"),
]
PLAN_COLUMNS = [
    Column("staff", "责任人", "Staff"),
    Column("alert", "!", "!"),
    Column("household", "户号", "Address"),
    Column("head", "户主", "Head"),
    Column("phone", "电话", "Phone"),
    Column("group_labels", "重点人群", "Focus groups"),
    Column("due_on", "应访日期", "Due on"),
    Column("days_since_seen", "未见天数", "Days unseen", "right"),
]

ShowSensitive = Annotated[bool, typer.Option("--show-sensitive", help="Name sensitive groups instead of masking them.")]


def with_visit_labels(rows):
    from redprop.care.visits import KINDS, OUTCOMES

    lang = common.state.lang
    for row in rows:
        row["at_local"] = (row["at"] or "")[:16].replace("T", " ")
        row["kind_label"] = KINDS.label(row["kind"], lang)
        row["outcome_label"] = OUTCOMES.label(row["outcome"], lang)
    return rows


def due_alert(row) -> str:
    if row["escalated"]:
        return f"‼ {row['failed_attempts']}次未遇" if common.state.lang == "zh" else f"‼ {row['failed_attempts']} knocks"
    return "!" if row.get("overdue_days") is not None and row["overdue_days"] >= 7 else ""


DUE_LEGEND = {
    "zh": "‼ 独居老人连续未遇，已升级，请今天上门；! 超期一周以上",
    "en": "‼ elderly person living alone, knocks in a row unanswered: escalated, go today; ! a week or more overdue",
}


def with_due_labels(rows):
    """Table-only columns of a due list; JSON keeps the plain fields."""
    never = "从未" if common.state.lang == "zh" else "never"
    for row in rows:
        row["alert"] = due_alert(row)
        row["last_seen"] = (row["last_seen_at"] or never)[:16].replace("T", " ")
    return rows


@app.command("log")
def log(household: Key,
        by: Annotated[str, typer.Option("--by", help="Who visited (a staff member's name).")],
        at: AtOption = None,
        kind: Annotated[str, typer.Option("--kind", help="round 巡查, visit 走访, ask 问询, phone 电话.")] = "visit",
        outcome: Annotated[str, typer.Option("--outcome", help="well 平安, not_home 不在家, needs_help 需要帮助, refused 拒绝.")] = "well",
        need: Annotated[Optional[str], typer.Option("--need", help="With what, when the outcome is needs_help.")] = None,
        note: Annotated[Optional[str], typer.Option("--note", help="Anything worth keeping.")] = None,
        resident: Annotated[Optional[str], typer.Option("--resident", help="The person visited, if one in particular.")] = None,
        fmt: FormatOption = Format.table):
    """Record a visit, after the fact if need be. Example: redprop visit log 8-2-301 --by 李建国 --at "yesterday 9:30" --outcome not_home"""
    from redprop.care.visits import KINDS, OUTCOMES, log_visit

    store = common.open_db()
    row = log_visit(store, household, by=by, at=common.past_moment(store, at), kind=KINDS.resolve(kind),
                    outcome=OUTCOMES.resolve(outcome), need=need, note=note, resident=resident, now=common.now(store))
    emit_record(row if fmt == Format.json else with_visit_labels([row])[0], VISIT_COLUMNS, fmt, common.state.lang)


@app.command("list")
def list_(household: Annotated[Optional[str], typer.Option("--household", help="Only this household.")] = None,
          staff: Annotated[Optional[str], typer.Option("--staff", "--by", help="Only visits by this person.")] = None,
          from_: Annotated[Optional[str], typer.Option("--from", help="From this time/day.")] = None,
          to: Annotated[Optional[str], typer.Option("--to", help="Up to this time, or the end of this day.")] = None,
          outcome: Annotated[Optional[str], typer.Option("--outcome", help="Only this outcome.")] = None,
          limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="At most this many, newest first.")] = None,
          fmt: FormatOption = Format.table):
    """Visits, newest first. Example: redprop visit list --household 8-2-301 --from 2026-11-01"""
    from redprop.care.visits import OUTCOMES, list_visits

    store = common.open_db()
    since, until = common.moment(store, from_, "--from") if from_ else None, common.end_moment(store, to, "--to")
    common.check_range(since, until, "--from/--to")
    rows = list_visits(store, household=household, staff=staff, since=since, until=until,
                       outcome=OUTCOMES.resolve(outcome) if outcome else None, limit=limit)
    emit(rows if fmt == Format.json else with_visit_labels(rows), VISIT_COLUMNS, fmt, common.state.lang)


@app.command("due")
def due(at: AtOption = None,
        grid: Annotated[Optional[str], typer.Option("--grid", help="Only this grid point.")] = None,
        staff: Annotated[Optional[str], typer.Option("--staff", help="Only what this person covers.")] = None,
        show_sensitive: ShowSensitive = False, fmt: FormatOption = Format.table):
    """Households in focus groups not contacted within their cadence, escalations first. Example: redprop visit due --grid G18"""
    from redprop.staff import known_grid
    from redprop.care.visits import due_visits

    store = common.open_db()
    rows = due_visits(store, common.moment(store, at), grid=known_grid(store, grid) if grid else None, staff=staff,
                      show_sensitive=show_sensitive, lang=common.state.lang)
    emit(rows if fmt == Format.json else with_due_labels(rows), DUE_COLUMNS, fmt, common.state.lang)
    if fmt == Format.table and any(row["alert"] for row in rows):
        from redprop.present.render import print_text

        print_text(DUE_LEGEND[common.state.lang])


@app.command("plan")
def plan(week: Annotated[Optional[str], typer.Option("--week", help="Any day of the week to plan (default this week).")] = None,
         show_sensitive: ShowSensitive = False, fmt: FormatOption = Format.table):
    """This week's due visits split among staff by what they cover, a list per person. Example: redprop visit plan --format csv"""
    from redprop.present.render import print_text
    from redprop.care.visits import plan_rounds

    store = common.open_db()
    rows = plan_rounds(store, common.day(store, week), common.now(store), common.state.lang, show_sensitive)
    for row in rows:
        row["due_on"] = row["due_at"][:10]
    if fmt != Format.table:
        emit(rows, PLAN_COLUMNS, fmt, common.state.lang)
        return
    with_due_labels_plan = [dict(r, alert=("‼" if r["escalated"] else "")) for r in rows]
    people = list(dict.fromkeys(r["staff"] for r in with_due_labels_plan))
    if not people:
        print_text("本周无应访户" if common.state.lang == "zh" else "nothing due this week")
    for person in people:
        mine = [r for r in with_due_labels_plan if r["staff"] == person]
        nobody = "未分配" if common.state.lang == "zh" else "unassigned"
        emit(mine, PLAN_COLUMNS[1:], fmt, common.state.lang, title=f"{person or nobody} ({len(mine)})")
        print_text()


@app.command("import")
def import_(file: FileArg, dry_run: DryRun = False, skip_invalid: SkipInvalid = False, sheet: Sheet = None,
            fmt: FormatOption = Format.table):
    """Load a visit round sheet (户号 or 楼栋/单元/门牌号, 时间, 走访人, 方式, 结果, 需求, 备注). Example: redprop visit import 走访记录.csv"""
    from redprop.exchange.care import import_visits

    run_import(import_visits, file, dry_run, skip_invalid, sheet, fmt)
