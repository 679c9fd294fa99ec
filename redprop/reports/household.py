"""One household as it stood at a moment, and everything that ever happened at an address."""

from datetime import datetime

from redprop.groups import household_memberships, load_groups
from redprop.visits import list_visits
from redprop.households import get_household, household_row, households_at, residents_of
from redprop.issues.reading import IssueFilter, list_issues, show_issue
from redprop.parsing import local_day_start, show_local_iso
from redprop.store import Store
from redprop.store.log import list_entries


def household_details(store: Store, key: str, at: datetime, show_sensitive: bool = False) -> dict:
    """A household as it stood at `at`: its people, its focus groups (current first), its last
    visits (voided ones marked) and its unfinished issues."""
    day = at.astimezone(store.tz).date()
    row = get_household(store, key, on=day)
    details = household_row(row)
    details["residents"] = residents_of(store, row["id"], row["key"], on=day)
    details["groups"] = household_memberships(store, row["id"], day, show_sensitive)
    details["visits"] = list(list_visits(store, household_id=row["id"], until=at, limit=5, voided=True))
    details["issues"] = list(list_issues(store, at, IssueFilter(status="open", household_id=row["id"])))
    return details


def household_history(store: Store, key: str, at: datetime, show_sensitive: bool = False) -> dict:
    """Every family that lived at an address — its dates, people, focus groups, visits (voided ones
    marked), issues with their steps — and the log entries about them, in one timeline ordered by
    when things happened (a day without a time at the start of that day)."""
    tz = store.tz
    ids = households_at(store, key)
    groups = load_groups(store)
    families, events = [], []

    def on_day(day: str) -> str:
        return local_day_start(datetime.fromisoformat(day).date(), tz).isoformat()

    def event(when: str, family: int, kind: str, precise: bool = True, **detail) -> None:
        events.append({"at": when if precise else when[:10], "sort": when if precise else on_day(when), "household_id": family,
                       "event": kind, **detail})

    for household_id in ids:
        row = store.conn.execute("SELECT * FROM households WHERE id = $1", (household_id,)).fetchone()
        family = {"household_id": household_id, **household_row(row),
                  "residents": residents_of(store, household_id, row["key"])}
        families.append(family)
        if row["moved_in_on"]:
            event(row["moved_in_on"], household_id, "moved_in", False, head=row["head"])
        else:
            event(show_local_iso(row["created_at"], tz), household_id, "added", head=row["head"])
        if row["moved_out_on"]:
            event(row["moved_out_on"], household_id, "moved_out", False, head=row["head"])
        for resident in family["residents"]:
            if resident["moved_out_on"]:
                event(resident["moved_out_on"], household_id, "resident_moved_out", False, name=resident["name"])
        for m in store.conn.execute(
                "SELECT m.*, r.name AS resident FROM memberships m LEFT JOIN residents r ON r.id = m.resident_id"
                " WHERE m.household_id = $1 ORDER BY m.since", (household_id,)):
            group = groups[m["group_code"]]
            shown = group.shown(show_sensitive)
            event(m["since"], household_id, "joined", False, group=shown, resident=m["resident"])
            if m["until"]:
                masked = shown != group.code
                event(m["until"], household_id, "left", False, group=shown, resident=m["resident"],
                      reason=None if masked else m["left_reason"])
        for visit in list(list_visits(store, household_id=household_id, voided=True)):
            event(visit["at"], household_id, "visit", visit=visit["id"], by=visit["by"], outcome=visit["outcome"],
                  need=visit["need"], note=visit["note"], voided=visit["voided"], voided_by=visit["voided_by"],
                  void_reason=visit["void_reason"])
        for issue in list_issues(store, at, IssueFilter(status="all", household_id=household_id, voided=True)):
            record = show_issue(store, issue["id"], at)
            for step in record["steps"]:
                event(step["at"], household_id, "issue_step", issue=issue["id"], title=issue["title"], action=step["action"],
                      by=step["by"], to=step["to"], note=step["note"], voided=record["voided"])
    for entry in reversed(list(list_entries(store, household_ids=ids, show_private=show_sensitive))):  # oldest first
        event(entry["at"], None, "log", entry=entry["id"], user=entry["user"], command=entry["command"],
              masked=entry["masked"])
    events.sort(key=lambda e: (e.pop("sort"), e["event"] == "log"))
    return {"address": families[-1]["key"], "families": families, "timeline": events}
