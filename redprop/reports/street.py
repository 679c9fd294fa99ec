"""The street's picture (街道): its communities side by side, worst first, and their total.

A street office ranks its 10–30 communities every week or month and wants figures, not
residents' files. Each community's figures here are worked out by the community's own
functions on its own store — `period_report`, `overdue_report`, `issue_stats` — exactly as
that community's office sees them; this module only puts them side by side and adds them up.
The total's every rate is the communities' numerators over their denominators added
(reports.rates.summed), never an average of their shares; a median cannot be added and is
None in the total.

Rows run worst first: the report and stats by 按时办结率 (solved on time, lowest first; a
community with nothing decided yet after those with a rate), then 走访覆盖率 (stats counts it
as the report does, at the end of its days); the morning list by the number overdue, most first. Every
row names its community (`community`, `community_code`: "" when no code is set); the total
row is `community` "all", as `stats`' total group.

Data only: codes, numbers and the rates' English definitions.
"""

from datetime import date, datetime, timedelta

from redprop.codes import community_columns
from redprop.reports.rates import summed
from redprop.store import Store

TOTAL = "all"  # the total row's community (as stats' total group)
REPORT_SECTIONS = ("problems", "wishes", "care", "orders")
# the morning list's summary, less what is no count: its moment and window (the picture's own), its
# community (the row's), the part of it asked for (the picture takes each community whole)
UNCOUNTED = ("at", "community", "soon_minutes", "staff", "buildings")


def _total() -> dict:
    return {"community": TOTAL, "community_code": ""}


def _lowest(share: float | None) -> tuple:
    """A share's place in a ranking, lowest first, one with nothing counted after every other."""
    return (share is None, share or 0.0)


def _by_name(row: dict) -> tuple:
    return (row["community_code"] == "", row["community_code"], row["community"])


def street_report(stores: list[Store], kind: str, at: datetime, period: str | None = None) -> dict:
    """Each community's weekly or monthly report (its headline figures: problems, wishes, care,
    work orders), worst first, with the street's total and the total's trend."""
    from redprop.reports.periodic import period_report

    reports = [(community_columns(store), period_report(store, kind, at, period)) for store in stores]
    rows = [{**who, **{key: report[key] for key in REPORT_SECTIONS}} for who, report in reports]
    rows.sort(key=lambda r: (*_lowest(r["problems"]["solved_on_time"]["rate"]),
                             *_lowest(r["care"]["visit_coverage"]["rate"]), *_by_name(r)))
    first = reports[0][1]
    trend = []
    for n, period_figures in enumerate(first["trend"]):
        each = [report["trend"][n] for _who, report in reports]
        trend.append({"period": period_figures["period"],
                      **summed([{k: v for k, v in t.items() if k != "period"} for t in each])})
    return {
        "period": first["period"],
        "at": first["at"],
        "complete": all(report["complete"] for _who, report in reports),
        "communities": rows,
        "total": {**_total(), **summed([{key: row[key] for key in REPORT_SECTIONS} for row in rows])},
        "trend": trend,
        "provisional_years": sorted({y for _who, report in reports for y in report["provisional_years"]}),
    }


def street_overdue(stores: list[Store], at: datetime, soon: timedelta) -> dict:
    """Each community's morning list counted (`overdue_report`'s summary: overdue, due soon,
    follow-up calls late, visits due…), most overdue first, and the street's total; a row's
    `anything_overdue` is what `overdue --check` fails on."""
    from redprop.reports.overdue import anything_overdue, overdue_report

    rows = []
    for store in stores:
        report = overdue_report(store, at, soon=soon)
        counts = {k: v for k, v in report["summary"].items() if k not in UNCOUNTED}
        rows.append({**community_columns(store), **counts, "anything_overdue": anything_overdue(report)})
    rows.sort(key=lambda r: (-r["overdue"], -r["follow_ups"], -r["visits"], -r["due_soon"], *_by_name(r)))
    counts = [{k: v for k, v in r.items() if k not in ("community", "community_code")} for r in rows]
    return {
        "at": at.astimezone(stores[0].tz).isoformat(timespec="seconds"),
        "soon_minutes": int(soon.total_seconds() // 60),
        "communities": rows,
        "total": {**_total(), **summed(counts)},
    }


def _coverage(in_care: int, covered: int) -> dict:
    """`stats`' way with a share: the counts and the share beside them (None when none in care)."""
    return {"households_in_care": in_care, "households_covered": covered,
            "visit_coverage_share": round(covered / in_care, 4) if in_care else None}


def street_stats(stores: list[Store], at: datetime, date_from: date | None, date_to: date | None) -> list[dict]:
    """`stats` of each community (its group: the community's name) with its 走访覆盖率 at the
    end of the days asked for (or at `at`, if sooner), worst first, then the street's total row
    (group "all")."""
    from redprop.parsing import local_day_start
    from redprop.reports.periodic import visit_coverage
    from redprop.reports.stats import issue_stats, summed_rows

    rows = []
    for store in stores:
        [row] = issue_stats(store, at, date_from, date_to, None)
        who = community_columns(store)
        end = min(local_day_start(date_to + timedelta(days=1), store.tz), at) if date_to else at
        rows.append({**who, **row, "group": who["community"], **_coverage(*visit_coverage(store, end))})

    def rank(row: dict) -> tuple:
        kept = row["resolve_kept"] + row["plan_kept"]  # 按时办结: resolution and written-plan promises, as the report's
        decided = kept + row["resolve_missed"] + row["plan_missed"]
        return (*_lowest(kept / decided if decided else None), *_lowest(row["visit_coverage_share"]), *_by_name(row))

    rows.sort(key=rank)
    total = {**summed_rows(rows, TOTAL), **_total(),
             **_coverage(sum(r["households_in_care"] for r in rows), sum(r["households_covered"] for r in rows))}
    return rows + [{**_total(), **total}]  # the community first, as in every row
