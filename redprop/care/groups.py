"""Focus groups (重点人群) and who belongs to them, for which dates.

Membership is a span of local days: a member from `since` up to, not including, `until`.
A group with a default length ("newly moved in" for 90 days) gives a new membership its
`until` when it is joined, so expiry is a fact of the dates and needs no cron job. Leaving
sets `until` and keeps the row: "who was newly unemployed in March?" stays answerable.
"""

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from redprop.vocab import Catalogue, Code
from redprop.store import Store
from redprop.errors import InvalidValue, NotFound
from redprop.households import address_order, get_household, get_resident
from redprop.parsing import to_db

SENSITIVE_LABEL = "sensitive (敏感)"

LEAVE_REASONS = Catalogue(
    "reason for leaving",
    [
        Code("found_work", "找到工作", "Found work", ("就业", "再就业")),
        Code("recovered", "康复", "Recovered", ("出院", "痊愈")),
        Code("moved_out", "迁出", "Moved out", ("搬走",)),
        Code("died", "去世", "Died", ("死亡", "病故")),
        Code("ended", "期满", "Period ended", ("解除", "结束")),
        Code("other", "其他", "Other"),
    ],
)
DUTIES = Catalogue(
    "duty",
    [
        Code("visit", "六访", "Visit (六访)"),
        Code("ask", "五问", "Ask after (五问)"),
        Code("care", "关爱", "Care"),
    ],
)


@dataclass(frozen=True)
class Group:
    code: str
    zh: str
    en: str
    duty: str
    cadence_days: int
    default_days: int | None
    sensitive: bool

    def label(self, lang: str, show_sensitive: bool = True) -> str:
        if self.sensitive and not show_sensitive:
            return SENSITIVE_LABEL
        return self.zh if lang == "zh" else self.en

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def load_groups(store: Store) -> dict[str, Group]:
    return {
        r["code"]: Group(r["code"], r["zh"], r["en"], r["duty"], r["cadence_days"], r["default_days"], bool(r["sensitive"]))
        for r in store.conn.execute("SELECT * FROM focus_groups ORDER BY rowid")
    }


def group_catalogue(groups: dict[str, Group]) -> Catalogue:
    return Catalogue("focus group", [Code(g.code, g.zh, g.en) for g in groups.values()])


def resolve_group(store: Store, text: str) -> Group:
    groups = load_groups(store)
    return groups[group_catalogue(groups).resolve(text)]


def save_group(store: Store, code: str, values: dict, *, create: bool) -> Group:
    """Add a group (create) or change one; values hold zh, en, duty, cadence_days, default_days, sensitive."""
    values = {k: v for k, v in values.items() if v is not None}
    for field in ("cadence_days", "default_days"):
        if field in values and values[field] <= 0:
            raise InvalidValue(f"{field.replace('_', ' ')} must be a positive number of days")
    try:
        with store.write() as conn:
            if create:
                code = code.strip().lower().replace("-", "_").replace(" ", "_")
                if not code.isidentifier():
                    raise InvalidValue(f"{code!r} is not a slug (letters, digits and _ like elderly_alone)")
                missing = [f for f in ("zh", "en") if f not in values]
                if missing:
                    raise InvalidValue("a new group needs --zh and --en labels")
                if code in load_groups(store):
                    raise InvalidValue(f"group {code} already exists; use `group edit`")
                values.setdefault("cadence_days", 7)
                values.setdefault("duty", "care")
                values.setdefault("sensitive", False)
                columns = ["code", *values]
                conn.execute(
                    f"INSERT INTO focus_groups ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                    (code, *values.values()),
                )
            else:
                code = resolve_group(store, code).code
                if not values:
                    raise InvalidValue("nothing to change: give --cadence, --default-days, --zh, --en, --duty or --sensitive")
                assignments = ", ".join(f"{k} = ?" for k in values)
                conn.execute(f"UPDATE focus_groups SET {assignments} WHERE code = ?", (*values.values(), code))
    except sqlite3.IntegrityError:
        raise InvalidValue("another group already has that Chinese or English label") from None
    return load_groups(store)[code]


def _member_target(store: Store, household_key: str, resident: str | None, on: date):
    household = get_household(store, household_key, on=on)
    resident_row = get_resident(store, household, resident) if resident else None
    return household, resident_row


def join_group(
    store: Store, household_key: str, group_text: str, *, resident: str | None, since: date,
    until: date | None, note: str | None, now: datetime,
) -> dict:
    group = resolve_group(store, group_text)
    household, resident_row = _member_target(store, household_key, resident, since)
    if household["moved_in_on"] and since.isoformat() < household["moved_in_on"]:
        raise InvalidValue(f"--since {since} is before {household['key']} moved in ({household['moved_in_on']})")
    if household["moved_out_on"] and since.isoformat() >= household["moved_out_on"]:
        raise InvalidValue(f"{household['key']} moved out on {household['moved_out_on']}, before --since {since}")
    if until is None and group.default_days:
        until = since + timedelta(days=group.default_days)
    if until is not None and until < since:
        raise InvalidValue(f"--until {until} is before --since {since}")
    resident_id = resident_row["id"] if resident_row else None
    with store.write() as conn:
        clash = conn.execute(
            "SELECT since, until FROM memberships WHERE household_id = ? AND resident_id IS ? AND group_code = ?"
            " AND (until IS NULL OR until > ?) AND (? IS NULL OR since < ?)",
            (household["id"], resident_id, group.code, since.isoformat(), until and until.isoformat(),
             until and until.isoformat()),
        ).fetchone()
        if clash:
            who = resident or household["key"]
            span = f"since {clash['since']}" + (f" until {clash['until']}" if clash["until"] else "")
            raise InvalidValue(f"{who} is already in {group.zh} ({group.code}) {span}")
        conn.execute(
            "INSERT INTO memberships (household_id, resident_id, group_code, since, until, note, recorded_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (household["id"], resident_id, group.code, since.isoformat(), until and until.isoformat(), note, to_db(now)),
        )
    return {"household": household["key"], "resident": resident, "group": group.code,
            "since": since.isoformat(), "until": until and until.isoformat()}


def leave_group(
    store: Store, household_key: str, group_text: str, *, resident: str | None, on: date,
    reason: str | None, now: datetime,
) -> dict:
    group = resolve_group(store, group_text)
    household, resident_row = _member_target(store, household_key, resident, on)
    resident_id = resident_row["id"] if resident_row else None
    with store.write() as conn:
        row = conn.execute(
            "SELECT * FROM memberships WHERE household_id = ? AND resident_id IS ? AND group_code = ?"
            " AND since <= ? AND (until IS NULL OR until > ?) ORDER BY since DESC LIMIT 1",
            (household["id"], resident_id, group.code, on.isoformat(), on.isoformat()),
        ).fetchone()
        if row is None:
            who = resident or household["key"]
            raise NotFound(f"{who} is not in {group.zh} ({group.code}) on {on}")
        conn.execute(
            "UPDATE memberships SET until = ?, left_reason = ?, left_recorded_at = ? WHERE id = ?",
            (on.isoformat(), reason, to_db(now), row["id"]),
        )
    return {"household": household["key"], "resident": resident, "group": group.code,
            "since": row["since"], "until": on.isoformat(), "left_reason": reason}


MEMBERSHIP_SQL = """
    SELECT m.*, h.key AS household, h.head, h.phone, h.grid, r.name AS resident
    FROM memberships m
    JOIN households h ON h.id = m.household_id
    LEFT JOIN residents r ON r.id = m.resident_id
"""


def membership_row(row, group: Group, lang: str, show_sensitive: bool, on: date | None = None) -> dict:
    masked = group.sensitive and not show_sensitive
    current = on is not None and row["since"] <= on.isoformat() and (row["until"] is None or row["until"] > on.isoformat())
    return {
        "household": row["household"],
        "resident": row["resident"],
        "head": row["head"],
        "phone": row["phone"],
        "grid": row["grid"],
        "group": "sensitive" if masked else group.code,
        "group_label": group.label(lang, show_sensitive),
        "since": row["since"],
        "until": row["until"],
        "left_reason": None if masked else row["left_reason"],
        "left_reason_label": None if masked else LEAVE_REASONS.label(row["left_reason"], lang),
        "current": current,
    }


def list_members(
    store: Store, group_text: str, *, on: date | None, between: tuple[date, date] | None,
    lang: str, show_sensitive: bool,
) -> list[dict]:
    """Members on a day, or at any time in a range of days ('who was newly unemployed in March?')."""
    group = resolve_group(store, group_text)
    if group.sensitive and not show_sensitive:
        raise InvalidValue(f"{group.zh} ({group.code}) is a sensitive group: add --show-sensitive to list its members")
    sql = MEMBERSHIP_SQL + " WHERE m.group_code = ?"
    params: list = [group.code]
    first, last = between if between else (on, on)
    sql += " AND m.since <= ? AND (m.until IS NULL OR m.until > ?)"
    params += [last.isoformat(), first.isoformat()]
    sql += " ORDER BY " + address_order("h.") + ", m.since"
    return [membership_row(r, group, lang, show_sensitive, on) for r in store.conn.execute(sql, params)]


def household_memberships(store: Store, household_id: int, on: date, lang: str, show_sensitive: bool) -> list[dict]:
    """Every membership of a household, current ones first, as known on day `on`."""
    groups = load_groups(store)
    rows = store.conn.execute(
        MEMBERSHIP_SQL + " WHERE m.household_id = ? AND m.since <= ? ORDER BY m.since DESC", (household_id, on.isoformat())
    ).fetchall()
    result = [membership_row(r, groups[r["group_code"]], lang, show_sensitive, on) for r in rows]
    for row in result:
        if row["until"] and row["until"] > on.isoformat():
            row["left_reason"] = None  # it had not ended yet on that day
    result.sort(key=lambda r: not r["current"])
    return result
