"""Home visits (走访) and the list of households not seen for too long.

A visit sits at the moment it happened (`at`), whenever it was typed in (`recorded_at`).
A *contact* is a visit where someone was actually reached — seen and well, seen and in
need, or seen and refusing; "not at home" is only a knock. A household in a focus group
is due when its last contact (or the start of its membership, if later or if there was
none) is older than the tightest cadence of its current groups. Three knocks in a row
on an elderly person living alone (the 熊婆婆 story in seed 002) escalate to the top.
"""

from datetime import date, datetime, timedelta

from redprop.catalogue import Catalogue, Code
from redprop.db import Store
from redprop.errors import InvalidValue
from redprop.groups import load_groups
from redprop.households import get_household, get_resident
from redprop.staff import get_staff, responsible_staff
from redprop.timeutil import from_db, local_day_start, show_local_iso, to_db

KINDS = Catalogue(
    "visit kind",
    [
        Code("round", "巡查", "Round", ("两巡", "巡")),
        Code("visit", "走访", "Home visit", ("入户", "六访", "访")),
        Code("ask", "问询", "Asking after", ("五问", "问")),
        Code("phone", "电话", "Phone call", ("电话联系", "call")),
    ],
)
OUTCOMES = Catalogue(
    "outcome",
    [
        Code("well", "平安", "Seen and well", ("正常", "良好", "ok", "seen")),
        Code("not_home", "不在家", "Not at home", ("无人", "未见", "敲门未应", "no_answer")),
        Code("needs_help", "需要帮助", "Needs help", ("需帮助", "有需求", "help")),
        Code("refused", "拒绝", "Refused", ("拒访",)),
    ],
)
CONTACT_OUTCOMES = ("well", "needs_help", "refused")
ESCALATE_GROUP = "elderly_alone"
ESCALATE_AFTER = 3  # knocks in a row without a contact


def log_visit(
    store: Store, household_key: str, *, by: str | None, at: datetime, kind: str, outcome: str,
    need: str | None, note: str | None, resident: str | None, now: datetime,
) -> dict:
    if outcome == "needs_help" and not (need or note):
        raise InvalidValue("outcome needs_help: say with what (--need TEXT)")
    household = get_household(store, household_key)
    resident_row = get_resident(store, household, resident) if resident else None
    staff = get_staff(store, by) if by else None
    with store.write() as conn:
        visit_id = conn.execute(
            "INSERT INTO visits (household_id, resident_id, staff_id, at, recorded_at, kind, outcome, need, note)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (household["id"], resident_row and resident_row["id"], staff and staff["id"], to_db(at), to_db(now),
             kind, outcome, need, note),
        ).lastrowid
    return {"id": visit_id, "household": household["key"], "resident": resident, "by": by, "at": to_db(at),
            "kind": kind, "outcome": outcome, "need": need, "note": note}


def visit_row(row, tz) -> dict:
    return {
        "id": row["id"],
        "household": row["household"],
        "at": show_local_iso(row["at"], tz),
        "recorded_at": show_local_iso(row["recorded_at"], tz),
        "by": row["staff_name"],
        "resident": row["resident_name"],
        "kind": row["kind"],
        "outcome": row["outcome"],
        "need": row["need"],
        "note": row["note"],
    }


def list_visits(
    store: Store, *, household: str | None = None, staff: str | None = None, since: datetime | None = None,
    until: datetime | None = None, outcome: str | None = None, limit: int | None = None,
) -> list[dict]:
    """Visits newest first; `until` is the --at moment: visits after it have not happened yet."""
    where, params = [], []
    if household:
        where.append("v.household_id = ?")
        params.append(get_household(store, household)["id"])
    if staff:
        where.append("v.staff_id = ?")
        params.append(get_staff(store, staff)["id"])
    if since:
        where.append("v.at >= ?")
        params.append(to_db(since))
    if until:
        where.append("v.at <= ?")
        params.append(to_db(until))
    if outcome:
        where.append("v.outcome = ?")
        params.append(outcome)
    sql = (
        "SELECT v.*, h.key AS household, s.name AS staff_name, r.name AS resident_name FROM visits v"
        " JOIN households h ON h.id = v.household_id LEFT JOIN staff s ON s.id = v.staff_id"
        " LEFT JOIN residents r ON r.id = v.resident_id"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY v.at DESC, v.id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [visit_row(r, store.tz) for r in store.conn.execute(sql, params)]


def _current_memberships(store: Store, day: date) -> dict[int, dict]:
    """household id → tightest cadence, when its care began, and its current groups, on local day `day`."""
    groups = load_groups(store)
    current: dict[int, dict] = {}
    for household_id, code, since in store.conn.execute(
        "SELECT m.household_id, m.group_code, m.since FROM memberships m JOIN households h ON h.id = m.household_id"
        " WHERE m.since <= ?1 AND (m.until IS NULL OR m.until > ?1)"
        " AND (h.moved_out_on IS NULL OR h.moved_out_on > ?1)",
        (day.isoformat(),),
    ):
        group = groups[code]
        entry = current.setdefault(household_id, {"cadence": group.cadence_days, "since": since, "codes": []})
        entry["cadence"] = min(entry["cadence"], group.cadence_days)
        entry["since"] = min(entry["since"], since)
        if code not in entry["codes"]:
            entry["codes"].append(code)
    return current


def _recent_contacts(store: Store, start: datetime, at: datetime) -> dict[int, tuple[str | None, int]]:
    """household id → (last contact in (start, at], knocks since it) from one index scan."""
    seen: dict[int, tuple[str | None, int]] = {}
    for household_id, visit_at, outcome in store.conn.execute(
        "SELECT household_id, at, outcome FROM visits WHERE at > ? AND at <= ? ORDER BY at",
        (to_db(start), to_db(at)),
    ):
        last, knocks = seen.get(household_id, (None, 0))
        seen[household_id] = (visit_at, 0) if outcome in CONTACT_OUTCOMES else (last, knocks + 1)
    return seen


def _contact_before(store: Store, household_id: int, at: datetime) -> tuple[str | None, int]:
    """(last contact at or before `at`, knocks after it) for one household, walking its visits backwards."""
    knocks = 0
    for visit_at, outcome in store.conn.execute(
        "SELECT at, outcome FROM visits WHERE household_id = ? AND at <= ? ORDER BY at DESC", (household_id, to_db(at))
    ):
        if outcome in CONTACT_OUTCOMES:
            return visit_at, knocks
        knocks += 1
    return None, knocks


def due_visits(
    store: Store, at: datetime, *, grid: str | None = None, staff: str | None = None,
    show_sensitive: bool = False, lang: str = "zh", horizon: datetime | None = None,
) -> list[dict]:
    """Households due a visit as things stood at `at`: escalated first, then the most overdue.

    With `horizon`, also those that will fall due by then (for planning a week's rounds).
    """
    tz = store.tz
    day = at.astimezone(tz).date()
    current = _current_memberships(store, day)
    if not current:
        return []
    widest = max(entry["cadence"] for entry in current.values())
    window_start = at - timedelta(days=widest)
    recent = _recent_contacts(store, window_start, at)
    groups = load_groups(store)
    due = []
    for household_id, entry in current.items():
        last, knocks = recent.get(household_id, (None, 0))
        if last is None:  # no contact in the window: look further back, for this household only
            last, knocks = _contact_before(store, household_id, at)
        care_began = local_day_start(date.fromisoformat(entry["since"]), tz)
        last_seen = from_db(last)
        reference = max(last_seen, care_began) if last_seen else care_began
        due_at = reference + timedelta(days=entry["cadence"])
        escalated = ESCALATE_GROUP in entry["codes"] and knocks >= ESCALATE_AFTER
        falls_due = due_at <= at or (horizon is not None and due_at < horizon)
        if not (falls_due or escalated):
            continue
        due.append((household_id, entry, last_seen, reference, due_at, knocks, escalated))
    if not due:
        return []
    households = _households_by_id(store, [d[0] for d in due])
    covering = responsible_staff(store)
    areas = _staff_areas(store, staff) if staff else None
    rows = []
    for household_id, entry, last_seen, reference, due_at, knocks, escalated in due:
        h = households[household_id]
        if grid and h["grid"] != grid:
            continue
        if areas is not None and h["building"] not in areas and h["grid"] not in areas:
            continue
        names = list(dict.fromkeys(covering.get(h["grid"], []) + covering.get(h["building"], [])))
        codes = sorted(entry["codes"], key=list(groups).index)
        masked = [c for c in codes if groups[c].sensitive and not show_sensitive]
        rows.append({
            "household": h["key"],
            "head": h["head"],
            "phone": h["phone"],
            "building": h["building"],
            "grid": h["grid"],
            "groups": [("sensitive" if c in masked else c) for c in codes],
            "group_labels": list(dict.fromkeys(groups[c].label(lang, show_sensitive) for c in codes)),
            "cadence_days": entry["cadence"],
            "last_seen_at": show_local_iso(to_db(last_seen), tz) if last_seen else None,
            "days_since_seen": (at - reference).days,
            "never_seen": last_seen is None,
            "due_at": show_local_iso(to_db(due_at), tz),
            "overdue_days": (at - due_at).days if due_at <= at else None,
            "failed_attempts": knocks,
            "escalated": escalated,
            "staff": names,
            "_order": (not escalated, due_at),
        })
    rows.sort(key=lambda r: r.pop("_order"))
    return rows


def _households_by_id(store: Store, ids: list[int]) -> dict[int, dict]:
    result = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for row in store.conn.execute(
            f"SELECT id, key, head, phone, building, grid FROM households WHERE id IN ({','.join('?' * len(chunk))})",
            chunk,
        ):
            result[row["id"]] = dict(row)
    return result


def _staff_areas(store: Store, name: str) -> set[str]:
    staff = get_staff(store, name)
    return {r[0] for r in store.conn.execute("SELECT area FROM staff_areas WHERE staff_id = ?", (staff["id"],))}


def week_bounds(day: date, tz) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, local time."""
    monday = day - timedelta(days=day.weekday())
    return local_day_start(monday, tz), local_day_start(monday + timedelta(days=7), tz)


def plan_rounds(store: Store, week_of: date, now: datetime, lang: str, show_sensitive: bool) -> list[dict]:
    """This week's due visits, one list per staff member, by the buildings/grid points they cover.

    A household covered by several people goes to whoever has the fewest so far, grid
    workers and building leaders first; one that nobody covers is listed as unassigned.
    """
    _, end = week_bounds(week_of, store.tz)
    known_at = min(now, end - timedelta(seconds=1))  # what we know: now, or the last moment of a past week
    due = due_visits(store, known_at, horizon=end, lang=lang, show_sensitive=show_sensitive)
    load: dict[str, int] = {}
    rows = []
    for row in due:
        candidates = row["staff"]
        person = min(candidates, key=lambda n: (load.get(n, 0), candidates.index(n))) if candidates else None
        if person:
            load[person] = load.get(person, 0) + 1
        rows.append({"staff": person or "", **{k: row[k] for k in (
            "household", "head", "phone", "grid", "groups", "group_labels", "days_since_seen", "due_at",
            "failed_attempts", "escalated")}})
    rows.sort(key=lambda r: (r["staff"] == "", r["staff"], not r["escalated"], r["due_at"]))
    return rows
