"""One household as it stood at a moment: its people, focus groups and last visits."""

from datetime import datetime

from redprop.care.groups import household_memberships
from redprop.care.visits import list_visits
from redprop.households import get_household, household_row, residents_of
from redprop.store import Store


def household_details(store: Store, key: str, at: datetime, show_sensitive: bool = False) -> dict:
    """A household as it stood at `at`: its people, its focus groups (current first) and last visits."""
    day = at.astimezone(store.tz).date()
    row = get_household(store, key, on=day)
    details = household_row(row)
    details["residents"] = residents_of(store, row["id"], row["key"], on=day)
    details["groups"] = household_memberships(store, row["id"], day, show_sensitive)
    details["visits"] = list_visits(store, household_id=row["id"], until=at, limit=5)
    return details
