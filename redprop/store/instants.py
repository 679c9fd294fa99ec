"""The stored form of an instant: ISO 8601 in UTC, to the second, with its offset.

With one fixed offset the text sorts and compares in time order, so SQL can filter on it with
plain indexes; instants are shown in the community's time zone.
"""

from datetime import datetime, timezone, tzinfo


def to_db(moment: datetime) -> str:
    """The stored form of an instant: UTC, seconds, explicit offset (sorts as text)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime reached the store")
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def from_db(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def show_local_iso(text: str | None, tz: tzinfo) -> str | None:
    """A stored instant as ISO 8601 in local time with its offset, for JSON output."""
    if not text:
        return None
    return from_db(text).astimezone(tz).isoformat(timespec="seconds")
