"""`redprop overdue` (the morning list) and `redprop stats`, and the labels issue commands share.

Kept apart from the issue commands so that the cron job loads only what it prints.
"""

from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.cli.common import AtOption, FormatOption
from redprop.present.render import Column, Format, emit, print_json, print_text

overdue_app = common.sub_app("The morning list.")  # one command each: `redprop overdue`, `redprop stats`
stats_app = common.sub_app("Statistics.")

OVERDUE_COLUMNS = [  # one table per section; a holder's name heads their group of rows
    Column("holder", "处理人", "Handler"),
    Column("number", "编号", "Issue", "right"),
    Column("promise_label", "承诺", "Promise"),
    Column("due", "期限", "Due"),
    Column("late", "超时", "Late", "right"),
    Column("where", "地点", "Where"),
    Column("title", "标题", "Title"),
    Column("tier_label", "等级", "Tier"),
    Column("status_label", "状态", "Status"),
    Column("area", "片区人员", "Area staff"),  # unassigned issues: who covers the place, to call about it
]
SOON_COLUMNS = [c if c.key != "late" else Column("left", "剩余", "Left", "right") for c in OVERDUE_COLUMNS]
VISIT_COLUMNS = [
    Column("holder", "责任人", "Staff"),  # the first responsible (grid workers first); "staff_text" has them all
    Column("alert", "!", "!"),
    Column("household", "户号", "Address"),
    Column("head", "户主", "Head"),
    Column("phone", "电话", "Phone"),
    Column("groups_text", "重点人群", "Focus groups"),
    Column("days_since_seen", "未见天数", "Days unseen", "right"),
    Column("staff_text", "全部责任人", "All responsible"),
]
MISSED_SEVERAL = "+"  # on a promise: other promises of the issue are overdue too
OVERDUE_LEGEND = {
    "zh": "+ 还有其他承诺也已超时（表中列出最早到期的一项）",
    "en": "+ another promise of the issue is overdue too (the earliest is shown)",
}
OVERDUE_CSV = [
    Column("section", "", ""), Column("handler", "", ""), Column("id", "", ""), Column("household", "", ""),
    Column("place", "", ""), Column("title", "", ""), Column("promise", "", ""), Column("due_at", "", ""),
    Column("late_minutes", "", ""), Column("status", "", ""), Column("tier", "", ""), Column("head", "", ""),
    Column("phone", "", ""), Column("days_since_seen", "", ""), Column("staff", "", ""),
]
STATS_COLUMNS = [
    Column("label", "分组", "Group"),
    Column("problems", "问题", "Problems", "right"),
    Column("wishes", "需求", "Wishes", "right"),
    Column("arrive_share", "按时到场", "On site in time", "right"),
    Column("resolve_share", "按时解决", "Resolved in time", "right"),
    Column("plan_share", "按时方案", "Plan in time", "right"),
    Column("median_arrive", "到场中位", "Median to site", "right"),
    Column("median_resolve", "解决中位", "Median to resolve", "right"),
    Column("rating_text", "平均评价", "Avg rating", "right"),
]

STATS_CSV = [  # for spreadsheets and scripts: plain numbers (shares as decimals, minutes), blank when none
    Column(key, "", "") for key in (
        "group", "label", "issues", "problems", "wishes",
        *(f"{p}_{n}" for p in ("arrive", "resolve", "plan") for n in ("kept", "missed", "kept_share")),
        "median_arrive_minutes", "median_resolve_minutes", "average_rating", "ratings",
    )
]


def is_zh() -> bool:
    return common.state.lang == "zh"


def local_time(iso: Optional[str]) -> str:
    return iso[:16].replace("T", " ") if iso else ""


def minutes_text(value) -> str:
    if value is None:
        return ""
    from datetime import timedelta

    from redprop.parsing import show_duration

    return show_duration(timedelta(minutes=abs(value)))


_CATEGORY_CACHE: dict = {}


def categories():
    if "catalogue" not in _CATEGORY_CACHE:
        from redprop.issues.records import load_categories

        _CATEGORY_CACHE["catalogue"] = load_categories(common.open_db())
    return _CATEGORY_CACHE["catalogue"]


def promise_label(slug: str) -> str:
    from redprop.policy.terms import PROMISE_CODES

    return PROMISE_CODES.label(slug, common.state.lang)



@overdue_app.command("overdue")
def overdue(
    at: AtOption = None,
    fmt: FormatOption = Format.table,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when anything is overdue (for cron), 0 otherwise.")] = False,
    soon: Annotated[str, typer.Option("--soon", help="How far ahead 'due soon' looks (default 1h).")] = "1h",
    show_sensitive: Annotated[bool, typer.Option("--show-sensitive", help="Name sensitive focus groups instead of masking them.")] = False,
):
    """The morning list: issues past a promise, issues due within the hour, households not visited.

    Grouped by who holds each issue, plain text when piped (cron mail, a WeChat paste);
    --check exits 1 when anything is overdue. Crontab, mailing only when something is:

    \b
    0 8 * * * redprop --db /srv/mlsj.db overdue --check > /tmp/overdue.txt || mail -s 超时清单 office@example.org < /tmp/overdue.txt
    """
    from redprop.errors import ExitCode, InvalidValue
    from redprop.reports.overdue import anything_overdue, overdue_report
    from redprop.policy.terms import MAX_PROMISE_DAYS, parse_duration

    store = common.open_db()
    try:
        duration = parse_duration(soon)
    except ValueError as e:
        raise InvalidValue(f"--soon: {e}") from None
    if duration.too_long():
        raise InvalidValue(f"--soon: {soon!r} looks further ahead than any promise ({MAX_PROMISE_DAYS} days at most)")
    window = duration.span(None)
    report = overdue_report(store, common.moment(store, at), soon=window, lang=common.state.lang,
                            show_sensitive=show_sensitive)
    if fmt == Format.json:
        print_json(report)
    elif fmt == Format.csv:
        _overdue_csv(report)
    else:
        _overdue_text(report)
    if check and anything_overdue(report):
        raise typer.Exit(int(ExitCode.CHECK_FAILED))


def _issue_line(item: dict) -> dict:
    from redprop.issues.records import STATUSES
    from redprop.policy.terms import TIER_CODES

    lang = common.state.lang
    return {
        **item,
        "number": f"#{item['id']}",
        "promise_label": promise_label(item["promise"]) + (MISSED_SEVERAL if len(item["missed"]) > 1 else ""),
        "due": local_time(item["due_at"]),
        "late": item["late"],
        "left": item["late"].lstrip("-"),
        "where": item["household"] or item["place"] or "",
        "tier_label": TIER_CODES.label(item["tier"], lang),
        "status_label": STATUSES.label(item["status"], lang),
    }


def _grouped(items: list[dict], key) -> list[dict]:
    """Rows in groups (in the order each group first appears), the key shown on a group's
    first row only and a blank row between groups: each worker finds their own part."""
    groups: dict[str, list[dict]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    rows: list[dict] = []
    for holder, group in groups.items():
        if rows:
            rows.append({})
        rows.extend({**item, "holder": holder if n == 0 else ""} for n, item in enumerate(group))
    return rows


def _overdue_text(report: dict) -> None:
    from datetime import timedelta

    from redprop.parsing import show_duration

    lang, zh = common.state.lang, is_zh()
    s = report["summary"]
    unassigned = "未派单" if zh else "Unassigned"
    print_text(f"{s['community'] + ' ' if s['community'] else ''}{'超时清单' if zh else 'Overdue list'} · {local_time(s['at'])}")
    window = show_duration(timedelta(minutes=s["soon_minutes"]))
    sections = [
        ("超时未办" if zh else "Past a promise", report["issues"], OVERDUE_COLUMNS),
        (f"{window} 内到期" if zh else f"Due within {window}", report["due_soon"], SOON_COLUMNS),
    ]
    for title, items, columns in sections:
        if items:
            print_text()
            lines = [_issue_line(i) for i in items]
            for line in lines:
                if not line["handler"]:
                    line["area"] = ", ".join(line["area_staff"])
            emit(_grouped(lines, lambda i: i["handler"] or unassigned), columns, Format.table, lang,
                 title=f"== {title} ({len(items)}) ==")
            if any(line["promise_label"].endswith(MISSED_SEVERAL) for line in lines):
                print_text(OVERDUE_LEGEND[lang])
    if report["visits"]:
        print_text()
        nobody = "未分配" if zh else "Nobody covers"
        rows = []
        for v in report["visits"]:
            alert = f"‼ {v.get('failed_attempts', 0)}{'次未遇' if zh else ' knocks'}" if v.get("escalated") else ""
            rows.append({**v, "alert": alert, "groups_text": ", ".join(v.get("group_labels") or v.get("groups") or []),
                         "staff_text": ", ".join(v.get("staff") or [])})
        # One row per household, under its first responsible person (a grid worker before a building
        # leader), with everyone responsible in the last column: the section's count stays the number of
        # households, a WeChat paste does not repeat them, and a worker scanning for their name finds
        # every household they share, not only those they lead.
        emit(_grouped(rows, lambda v: (v.get("staff") or [nobody])[0]), VISIT_COLUMNS, Format.table, lang,
             title=f"== {'待走访' if zh else 'Visits due'} ({len(report['visits'])}) ==")
    print_text()
    print_text(_summary_line(s))


def _summary_line(s: dict) -> str:
    """The last line. Missed promises are counted per promise and an issue can miss several, so
    they read as "of these" (其中), not as parts adding up to the issues; zeros are left out."""
    p = s["overdue_by_promise"]
    if is_zh():
        wording = {"arrive": "未按时到场", "resolve": "未按时解决", "plan": "未按时出方案"}
        missed = "、".join(f"{wording[k]} {p[k]} 件" for k in wording if p[k])
        details = ([f"其中{missed}"] if missed else []) + ([f"未派单 {s['unassigned']} 件"] if s["unassigned"] else [])
        inside = f"（{'；'.join(details)}）" if details else ""
        return (f"合计：超时 {s['overdue']} 件{inside}，即将到期 {s['due_soon']} 件，"
                f"待走访 {s['visits']} 户（升级 {s['escalated_visits']}）")
    wording = {"arrive": "not on site in time", "resolve": "not resolved in time", "plan": "no plan in time"}
    missed = ", ".join(f"{p[k]} {wording[k]}" for k in wording if p[k])
    details = ([f"of these, {missed}"] if missed else []) + ([f"{s['unassigned']} unassigned"] if s["unassigned"] else [])
    inside = f" ({'; '.join(details)})" if details else ""
    return (f"Summary: {s['overdue']} overdue{inside}, {s['due_soon']} due soon, "
            f"{s['visits']} visits due ({s['escalated_visits']} escalated)")


def _overdue_csv(report: dict) -> None:
    from redprop.present.render import print_csv

    rows = [{**i, "section": "overdue"} for i in report["issues"]]
    rows += [{**i, "section": "due_soon"} for i in report["due_soon"]]
    rows += [{**v, "section": "visit", "staff": ",".join(v.get("staff") or [])} for v in report["visits"]]
    print_csv(rows, OVERDUE_CSV)


@stats_app.command("stats")
def stats(
    from_: Annotated[Optional[str], typer.Option("--from", help="Issues reported on or after this day.")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="Issues reported on or before this day.")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Group by tier, category, channel, handler, building or grid.")] = None,
    at: AtOption = None,
    fmt: FormatOption = Format.table,
):
    """How the promise was kept: problems and wishes, share of promises kept, median times, average rating.

    \b
    Example: redprop stats --from 2026-11-01 --to 2026-11-30 --by handler
    """
    from redprop.errors import InvalidValue
    from redprop.issues.records import CHANNELS
    from redprop.policy.terms import TIER_CODES
    from redprop.reports.stats import GROUPINGS, issue_stats

    store = common.open_db()
    if by is not None and by not in GROUPINGS:
        raise InvalidValue(f"--by takes one of: {', '.join(GROUPINGS)}")
    first, last = common.day(store, from_, False, "--from"), common.day(store, to, False, "--to")
    if first and last and last < first:
        raise InvalidValue(f"--to {last} is before --from {first}")
    rows = issue_stats(store, common.moment(store, at), first, last, by)
    lang, zh = common.state.lang, is_zh()
    for row in rows:
        group = row["group"]
        if group == "all":
            row["label"] = "合计" if zh else "Total"
        elif group is None:
            row["label"] = {"handler": "未派单" if zh else "Unassigned"}.get(by, "—")
        elif by == "tier":
            row["label"] = TIER_CODES.label(group, lang)
        elif by == "category":
            row["label"] = categories().label(group, lang)
        elif by == "channel":
            row["label"] = CHANNELS.label(group, lang)
        else:
            row["label"] = str(group)
    if fmt == Format.json:
        print_json(rows)
        return
    if fmt == Format.csv:
        from redprop.present.render import print_csv

        print_csv(rows, STATS_CSV)
        return
    for row in rows:
        for p in ("arrive", "resolve", "plan"):
            share = row[f"{p}_kept_share"]
            decided = row[f"{p}_kept"] + row[f"{p}_missed"]
            row[f"{p}_share"] = f"{share * 100:.0f}% ({row[f'{p}_kept']}/{decided})" if share is not None else "—"
        row["median_arrive"] = minutes_text(row["median_arrive_minutes"]) if row["median_arrive_minutes"] is not None else "—"
        row["median_resolve"] = minutes_text(row["median_resolve_minutes"]) if row["median_resolve_minutes"] is not None else "—"
        row["rating_text"] = f"{row['average_rating']:.2f} ({row['ratings']})" if row["average_rating"] is not None else "—"
    emit(rows, STATS_COLUMNS, fmt, lang)
