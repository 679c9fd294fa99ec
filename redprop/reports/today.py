"""One person's day (`redprop today`): whom to see, what they hold, whom to call back.

For one staff member, as of a moment: the households they are responsible for (the buildings
and grid points they cover) that are due a visit by the end of that day or already overdue,
worst first — escalated ones first, then the longest overdue; the unfinished issues they
hold, the nearest deadline first; and the resolved issues whose follow-up call (回访) they owe
and is late. Narrowed to some buildings when asked. What the morning list says of the whole
community, said of one person, so that a building leader has a list of his own.
"""

from datetime import datetime, timedelta

from redprop.visits import due_visits
from redprop.issues.promises import Moment
from redprop.issues.reading import IssueFilter, list_issues
from redprop.parsing import local_day_start
from redprop.reports.overdue import late_calls
from redprop.staff import get_staff
from redprop.store import Store


def my_day(store: Store, at: datetime, staff: str, *, buildings: list[str] | None = None,
           show_sensitive: bool = False) -> dict:
    """`{"staff", "at", "buildings", "visits": […], "issues": […], "follow_ups": […], "summary": {…}}`."""
    person = get_staff(store, staff)["name"]
    tz = store.tz
    day = at.astimezone(tz).date()
    tomorrow = local_day_start(day + timedelta(days=1), tz)
    visits = due_visits(store, at, staff=person, buildings=buildings, show_sensitive=show_sensitive, horizon=tomorrow)
    issues = [dict(record, next_deadline=next_deadline(record)) for record in list_issues(store, at, IssueFilter(handler=person))
              if not buildings or record["building"] in buildings]
    issues.sort(key=lambda r: (r["next_deadline"] is None, (r["next_deadline"] or {}).get("due_at") or "", r["id"]))
    provisional = {year for record in issues for year in record["provisional_years"]}
    calls = late_calls(store, Moment(store, at), provisional, person, buildings)
    return {
        "staff": person,
        "at": at.astimezone(tz).isoformat(timespec="seconds"),
        "day": day.isoformat(),
        "community": store.community,
        "buildings": buildings,
        "visits": visits,
        "issues": issues,
        "follow_ups": calls,
        "summary": {"visits": len(visits), "escalated": sum(1 for v in visits if v["escalated"]),
                    "overdue_visits": sum(1 for v in visits if v["overdue_days"] is not None),
                    "issues": len(issues), "overdue_issues": sum(1 for i in issues if i["overdue"]),
                    "follow_ups": len(calls), "provisional_years": sorted(provisional)},
    }


def next_deadline(record: dict) -> dict | None:
    """The promise of an issue to keep next: overdue ones first (the earliest), else the nearest
    pending one; a paused clock has no time to show."""
    pending = [d for d in record["deadlines"] if d["state"] in ("overdue", "pending", "paused")]
    if not pending:
        return None
    return min(pending, key=lambda d: (d["state"] != "overdue", d["due_at"] or "~"))
