"""The holiday calendar changes, and the open issues whose deadlines counted on it follow.

A deadline already fixed never changes — except here: when a year's arrangement is imported
or typed, the open issues whose deadlines were provisional (counted across that year on its
statutory holidays alone) are counted again from the same report time and the same policy,
because the law did not change, only what we knew of it. Unfinished issues have all their
deadlines recounted; resolved ones whose follow-up call is still owed, the call's alone.
One write transaction holds the calendar change and the recount.
"""

from datetime import date, datetime

from redprop.issues.lifecycle import replay
from redprop.issues.records import history, issue_select, write_state
from redprop.policy.holidays import write_day, write_year
from redprop.policy.terms import TermsCache
from redprop.store import Store

_PROVISIONAL_OPEN = (  # read through the small index of provisional issues
    " WHERE i.provisional > 0 AND (i.resolved_at IS NULL OR ((i.provisional & 8) <> 0 AND i.called_at IS NULL AND i.closed_at IS NULL))"
)


def recount_provisional(store: Store, conn) -> list[int]:
    """Recount the provisional deadlines of open issues with the calendar as it now stands
    (inside the caller's transaction); the ids of the issues whose deadlines or marks changed."""
    rows = conn.execute(issue_select(store.indexed_by("issues_provisional")) + _PROVISIONAL_OPEN).fetchall()
    if not rows:
        return []
    terms = TermsCache(store)  # reads the calendar as this transaction has written it
    steps = history(conn, rows)
    changed = []
    watched = ("arrive_due", "resolve_due", "plan_due", "follow_up_due", "provisional")
    for row in rows:
        state = replay(row, steps[row["id"]], tz=store.tz)
        write_state(conn, row, state, terms, recompute=True if row["resolved_at"] is None else "follow_up")
        after = conn.execute(f"SELECT {', '.join(watched)} FROM issues WHERE id = $1", (row["id"],)).fetchone()
        if tuple(after) != tuple(row[k] for k in watched):
            changed.append(row["id"])
    return changed


def set_holiday(store: Store, day: date, off: bool | None, name: str | None, now: datetime) -> dict:
    """Type one day of the State Council's notice (休 / 班, or None: an ordinary day again)."""
    with store.write() as conn:
        before = write_day(conn, day, off, name, now)
        changed = recount_provisional(store, conn)
        kept = conn.execute("SELECT off, name FROM holiday_days WHERE day = $1", (day.isoformat(),)).fetchone()
    return {
        "date": day.isoformat(),
        "mark": None if kept is None else ("off" if kept["off"] else "work"),
        "name": kept["name"] if kept else None,
        "year_was": before,
        "recomputed": changed,
    }


def load_arrangement(store: Store, years: dict, detail: str, now: datetime) -> dict:
    """Replace the arrangement of each year in `years` ({year: {date: (off, name)}}) by a file's."""
    with store.write() as conn:
        for year, days in sorted(years.items()):
            write_year(conn, year, days, "file", detail, now)
        changed = recount_provisional(store, conn)
    return {
        "file": detail,
        "years": [{"year": y, "off_days": sum(1 for off, _ in d.values() if off),
                   "make_up_days": sum(1 for off, _ in d.values() if not off)} for y, d in sorted(years.items())],
        "recomputed": changed,
    }
