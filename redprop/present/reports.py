"""The morning list and the statistics as people read them."""

from redprop.errors import N_
from redprop.present.care import DUE_LEGEND, alert
from redprop.present.holidays import PROVISIONAL_LEGEND, marked, warn_provisional
from redprop.present.output import Format, Output
from redprop.present.table import Column, Table
from redprop.present.times import duration, minute
from redprop.vocab import CHANNELS, ISSUE_KINDS, PROMISE_CODES, PROMISES, STATUSES, TIER_CODES

OVERDUE_TABLE = Table((  # one table per section; a holder's name heads their group of rows
    Column("holder", "Handler", keep=True, group=True),
    Column("number", "Issue", "right", keep=True),
    Column("promise", "Promise", drop=1),
    Column("due", "Due", drop=3),
    Column("late", "Late", "right", keep=True),
    Column("where", "Where", keep=True),
    Column("title", "Title", keep=True),
    Column("tier", "Tier", drop=6),
    Column("status", "Status", drop=5),
    Column("area", "Area staff", wrap=True, drop=4),  # unassigned issues: who covers the place, to call about it
))
SOON_TABLE = Table(tuple(c if c.key != "late" else Column("late", "Left", "right", keep=True)
                         for c in OVERDUE_TABLE.columns))
ORDER_COLUMN = Column("order", "Work order", drop=7)  # from 12345 or the grid centre: its source and number


def with_orders(table: Table, items: list[dict]) -> Table:
    """The table with a column for the work orders among the items, if there are any."""
    if not any(i.get("order") for i in items):
        return table
    at = [c.key for c in table.columns].index("title") + 1
    return Table((*table.columns[:at], ORDER_COLUMN, *table.columns[at:]), table.title)
CALLS_TABLE = Table((  # resolved issues whose follow-up call (回访) is late, under who resolved them
    Column("holder", "Handler", keep=True, group=True),
    Column("number", "Issue", "right", keep=True),
    Column("resolved", "Resolved", drop=3),
    Column("due", "Call due", drop=2),
    Column("late", "Late", "right", keep=True),
    Column("where", "Where", keep=True),
    Column("title", "Title", keep=True),
    Column("reporter", "Reported by", drop=1),
))
VISITS_TABLE = Table((
    Column("holder", "Responsible", keep=True, group=True),  # the first responsible (grid workers first); "staff" has them all
    Column("alert", "!", keep=True),
    Column("household", "Address", keep=True),
    Column("head", "Head", keep=True),
    Column("phone", "Phone", drop=1),
    Column("groups", "Focus groups", wrap=True, drop=2),
    Column("days_since_seen", "Days unseen", "right", keep=True),
    Column("staff", "All responsible", wrap=True, drop=3),  # goes before the phone on a narrow terminal
))
OVERDUE_FIELDS = ["section", "id", "title", "promise", "due_at", "late_minutes", "handler", "status", "tier", "kind",
                  "category", "household", "place", "building", "grid", "reported_at", "area_staff", "head", "phone",
                  "groups", "days_since_seen", "last_seen_at", "failed_attempts", "escalated", "staff", "resolved_at",
                  "reporter", "order", "provisional"]
MISSED_SEVERAL = "+"  # on a promise: other promises of the issue are overdue too
OVERDUE_LEGEND = N_("+ another promise of the issue is overdue too (the earliest is shown)")
URGED = "‼"  # before the title of a work order urged from above (督办)
URGED_LEGEND = N_("‼ a work order urged from above (督办), with how many times")


def overdue(out: Output, report: dict) -> None:
    """`redprop overdue`: the JSON document, one CSV row per item, or the list for people."""
    warn_provisional(out, report["summary"].get("provisional_years"))
    if out.fmt == Format.json:
        out.document(report)
    elif out.fmt == Format.csv:
        rows = [{**i, "section": "overdue"} for i in report["issues"]]
        rows += [{**i, "section": "due_soon"} for i in report["due_soon"]]
        rows += [{**i, "section": "follow_up"} for i in report.get("follow_ups", [])]
        rows += [{**v, "section": "visit"} for v in report["visits"]]
        out.listing(OVERDUE_TABLE, rows, fields=OVERDUE_FIELDS)
    else:
        _overdue_text(out, report)


def _issue_line(out: Output, item: dict) -> dict:
    labels = out.labels
    order = item.get("order")
    title = item["title"]
    if order and order["urges"]:
        title = f"{URGED}{out._('urged {count}×', count=order['urges'])} {title}"
    return {
        **item,
        "number": f"#{item['id']}",
        "promise": labels.of(PROMISE_CODES, item["promise"]) + (MISSED_SEVERAL if len(item["missed"]) > 1 else ""),
        "due": marked(minute(item["due_at"]), item.get("provisional")),
        "late": duration(out, item["late_minutes"]),
        "where": item["household"] or item["place"] or "",
        "tier": labels.of(TIER_CODES, item["tier"]),
        "status": labels.of(STATUSES, item["status"]),
        "area": item["area_staff"] if not item["handler"] else None,
        "title": title,
        "order": f"{order['source']} {order['number']}" if order else None,
    }


def grouped(items: list[dict], key) -> list[dict]:
    """Rows in groups (in the order each group first appears), a blank row between groups, the
    key on every row (a table shows it on a group's first row, a card on every card): each
    worker finds their own part."""
    groups: dict[str, list[dict]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    rows: list[dict] = []
    for holder, group in groups.items():
        if rows:
            rows.append({})
        rows.extend({**item, "holder": holder} for item in group)
    return rows


def _overdue_text(out: Output, report: dict) -> None:
    s = report["summary"]
    title = out._("Overdue list · {at}", at=minute(s["at"]))
    narrowed = [s.get("staff"), s.get("buildings") and out._("building {building}", building=out.separator.join(s["buildings"]))]
    title = " · ".join([title, *filter(None, narrowed)])
    out.line(f"{s['community']} {title}" if s["community"] else title)
    window = duration(out, s["soon_minutes"])
    sections = [
        (out._("Past a promise ({count})", count=len(report["issues"])), report["issues"], OVERDUE_TABLE),
        (out._("Due within {window} ({count})", window=window, count=len(report["due_soon"])), report["due_soon"], SOON_TABLE),
    ]
    for heading, items, table in sections:
        if items:
            out.line()
            lines = [_issue_line(out, i) for i in items]
            out.table(with_orders(table, items), grouped(lines, lambda i: i["handler"] or out._("Unassigned")),
                      title=f"== {heading} ==")
            if any(line["promise"].endswith(MISSED_SEVERAL) for line in lines):
                out.line(out._(OVERDUE_LEGEND))
            if any(line["title"].startswith(URGED) for line in lines):
                out.line(out._(URGED_LEGEND))
            if any(i.get("provisional") for i in items):
                out.line(out._(PROVISIONAL_LEGEND))
    calls = report.get("follow_ups") or []
    if calls:
        out.line()
        rows = [{**c, "number": f"#{c['id']}", "resolved": minute(c["resolved_at"]),
                 "due": marked(minute(c["due_at"]), c["provisional"]), "late": duration(out, c["late_minutes"]),
                 "where": c["household"] or c["place"] or ""} for c in calls]
        out.table(CALLS_TABLE, grouped(rows, lambda c: c["handler"] or out._("Unassigned")),
                  title="== " + out._("Follow-up calls late ({count})", count=len(calls)) + " ==")
        if any(c["provisional"] for c in calls):
            out.line(out._(PROVISIONAL_LEGEND))
    if report["visits"]:
        out.line()
        nobody = out._("Nobody covers")
        rows = [{**v, "alert": alert(out, v), "groups": [out.labels.group(g) for g in v["groups"]]} for v in report["visits"]]
        # One row per household, under its first responsible person (a grid worker before a building
        # leader), with everyone responsible in the last column: the section's count stays the number of
        # households, a WeChat paste does not repeat them, and a worker scanning for their name finds
        # every household they share, not only those they lead.
        # Asked for one person's part, every household is theirs: listed under their name.
        out.table(VISITS_TABLE, grouped(rows, lambda v: s.get("staff") or (v["staff"] or [nobody])[0]),
                  title="== " + out._("Visits due ({count})", count=len(report["visits"])) + " ==")
        if any(r["alert"] for r in rows):
            out.line(out._(DUE_LEGEND))
    out.line()
    out.line(summary_line(out, s))


def summary_line(out: Output, s: dict) -> str:
    """The last line. Missed promises are counted per promise and an issue can miss several, so
    they read as "of these", not as parts adding up to the issues; zeros are left out."""
    wording = {"arrive": N_("{count} not on site in time"), "resolve": N_("{count} not resolved in time"),
               "plan": N_("{count} without a plan in time")}
    p = s["overdue_by_promise"]
    wording.update(sign=N_("{count} orders not signed for in time"), order=N_("{count} orders past their deadline"))
    p = {**p, **s.get("orders_overdue", {})}
    missed = out.separator.join(out._(wording[k], count=p[k]) for k in (*PROMISES, "sign", "order") if p.get(k))
    details = ([out._("of these, {missed}", missed=missed)] if missed else []) + (
        [out._("{count} unassigned", count=s["unassigned"])] if s["unassigned"] else [])
    inside = out._(" ({details})", details=out._("; ").join(details)) if details else ""
    calls = out._(", {count} follow-up calls late", count=s["follow_ups"]) if s.get("follow_ups") else ""
    return out._("Summary: {overdue} overdue{inside}, {soon} due soon{calls}, {visits} visits due ({escalated} escalated)",
                 overdue=s["overdue"], inside=inside, soon=s["due_soon"], calls=calls, visits=s["visits"],
                 escalated=s["escalated_visits"])


STATS_TABLE = Table((
    Column("label", "Group", keep=True),
    Column("problems", "Problems", "right", keep=True),
    Column("wishes", "Wishes", "right", keep=True),
    Column("arrive_share", "On site in time", "right", drop=3),
    Column("resolve_share", "Resolved in time", "right", keep=True),
    Column("plan_share", "Plan in time", "right", drop=4),
    Column("median_arrive", "Median to site", "right", drop=2),
    Column("median_resolve", "Median to resolve", "right", drop=1),
    Column("rating", "Avg rating", "right", drop=5),
    Column("calls", "Calls made", "right", drop=6),
    Column("calls_on_time", "Calls on time", "right", drop=7),
))
STATS_FIELDS = [  # for spreadsheets and scripts: plain numbers (shares as decimals, minutes), blank when none
    "group", "issues", "problems", "wishes",
    *(f"{p}_{n}" for p in PROMISES for n in ("kept", "missed", "kept_share")),
    "median_arrive_minutes", "median_resolve_minutes", "average_rating", "rating_sum", "ratings", "satisfied", "satisfied_share",
    "follow_up_owed", "follow_up_made", "follow_up_on_time", "follow_up_made_share", "follow_up_on_time_share",
    "unfinished", "overdue", "provisional_years",
]


def _group_label(out: Output, by: str | None, group) -> str:
    if group == "all":
        return out._("Total")
    if group is None:
        if by == "source":
            return out._("Not an order")
        return out._("Unassigned") if by == "handler" else "—"
    if by == "tier":
        return out.labels.of(TIER_CODES, group)
    if by == "kind":
        return out.labels.of(ISSUE_KINDS, group)
    if by == "category":
        return out.labels.category(group)
    if by == "channel":
        return out.labels.of(CHANNELS, group)
    return str(group)


def stats_cells(out: Output, by: str | None, row: dict) -> dict:
    cells = {**row, "label": _group_label(out, by, row["group"])}
    for p in PROMISES:
        share, decided = row[f"{p}_kept_share"], row[f"{p}_kept"] + row[f"{p}_missed"]
        cells[f"{p}_share"] = f"{share * 100:.0f}% ({row[f'{p}_kept']}/{decided})" if share is not None else "—"
    for key in ("arrive", "resolve"):
        value = row[f"median_{key}_minutes"]
        cells[f"median_{key}"] = duration(out, value) if value is not None else "—"
    cells["rating"] = f"{row['average_rating']:.2f} ({row['ratings']})" if row["average_rating"] is not None else "—"
    owed = row["follow_up_owed"]
    for key, count, share in (("calls", "follow_up_made", "follow_up_made_share"),
                              ("calls_on_time", "follow_up_on_time", "follow_up_on_time_share")):
        cells[key] = f"{row[share] * 100:.0f}% ({row[count]}/{owed})" if owed else "—"
    return cells


STREET_STATS_TABLE = Table((*STATS_TABLE.columns[:5], Column("coverage", "Visit coverage", "right", keep=True),
                           *STATS_TABLE.columns[5:]))  # by community: the street's ranking, 按时办结率 then 走访覆盖率
COVERAGE_FIELDS = ["households_in_care", "households_covered", "visit_coverage_share"]


def _street_cells(out: Output, row: dict) -> dict:
    share, in_care = row["visit_coverage_share"], row["households_in_care"]
    return {**stats_cells(out, "community", row),
            "coverage": f"{share * 100:.0f}% ({row['households_covered']}/{in_care})" if share is not None else "—"}


def stats(out: Output, rows: list[dict], by: str | None) -> None:
    """`redprop stats`: a row per group, with the figures of the work orders from above beside
    the issues' (`orders_…`, `order_…`; for people, a table of their own); by community (the
    street's), each community's 走访覆盖率 too."""
    from redprop.present import orders

    street = by == "community"
    warn_provisional(out, sorted({y for r in rows for y in r.get("provisional_years", ())}))
    if out.fmt != Format.table:
        out.listing(STATS_TABLE, [orders.translated(out, r) for r in rows],
                    fields=STATS_FIELDS + (COVERAGE_FIELDS if street else []) + orders.STATS_FIELDS)
        return
    if street:
        out.listing(STREET_STATS_TABLE, rows, lambda r: _street_cells(out, r))
    else:
        out.listing(STATS_TABLE, rows, lambda r: stats_cells(out, by, r), STATS_FIELDS)
    figures = [(r, orders.from_stats(r)) for r in rows]
    if any(orders.any_orders(f) for _r, f in figures):
        out.line()
        out.table(orders.breakdown_table(by, "Group"),
                  [orders.breakdown_cells(f, _group_label(out, by, r["group"])) for r, f in figures],
                  title="== " + out._("Work orders from above") + " ==")
