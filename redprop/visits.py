"""Home visits (走访) and the list of households not seen for too long.

A visit sits at the moment it happened (`at`), whenever it was typed in (`recorded_at`).
A *contact* is a visit where someone was actually reached — seen and well, seen and in
need, or seen and refusing; "not at home" is only a knock. A household in a focus group
is due when its last contact (or the start of its membership, if later or if there was
none) is older than the tightest cadence of its current groups. Three knocks in a row
on an elderly person living alone (the 熊婆婆 story in seed 002) escalate to the top.
"""

import json
from datetime import date, datetime, timedelta

from redprop.groups import ShownGroups, current_groups, load_groups
from redprop.errors import N_, InvalidValue, NotFound
from redprop.fields import Field, Record, Show
from redprop.households import get_household, get_resident, lived_there
from redprop.parsing import clean_text, cleaned, from_db, local_day_start, show_local_iso, to_db
from redprop.staff import get_staff, responsible_staff, staff_areas
from redprop.store import Store, hooks
from redprop.store.sql import Params, bounded_count, marks
from redprop.vocab import VISIT_KINDS, VISIT_OUTCOMES, Choices

CONTACT_OUTCOMES = ("well", "needs_help", "refused")
ESCALATE_GROUP = "elderly_alone"
ESCALATE_AFTER = 3  # knocks in a row without a contact

hooks.points_at("visits", "household_id", "households")  # a visit is part of its household's story
hooks.subject("visit_id", "visits", one=True)  # `undo --visit N`: the entries that changed this visit


def clean_kind(text: str) -> str:
    """A visit's kind; a round sheet that says none made home visits."""
    return VISIT_KINDS.resolve(text) if text.strip() else "visit"


# A visit's fields (see fields.py). When it happened is read against the community's clock and
# zone, so the import brings the cleaner of `at`.
VISIT = Record("visits", (
    Field("id", N_("Visit"), show=Show("right", keep=True)),
    Field("household", N_("Address"), column="household_id", show=Show(keep=True)),
    Field("head", N_("Head"), column=None, show=Show(drop=1)),  # the household's, said back with its address
    Field("at", N_("When"), headers=("时间", "走访时间", "日期时间", "at", "time"), required=True, show=Show(keep=True, after="id")),
    Field("recorded_at"),
    Field("by", N_("Visitor"), headers=("走访人", "人员", "工作人员", "by", "staff"), required=True, column="staff_id",
          show=Show(drop=3)),
    Field("resident", headers=("走访对象", "对象", "resident"), column="resident_id"),
    Field("kind", N_("Visit type"), clean_kind, headers=("方式", "类型", "kind"), show=Show(drop=4)),
    Field("outcome", N_("Outcome"), VISIT_OUTCOMES.resolve, headers=("结果", "情况", "outcome"), required=True,
          show=Show(keep=True)),
    Field("need", N_("Need"), clean_text, headers=("需求", "need"), show=Show(wrap=True, drop=2)),
    Field("note", N_("Note"), clean_text, headers=("备注", "note"), show=Show(wrap=True, drop=5)),
    Field("time_known"),
    Field("issue", column=None),
    Field("issue_link", N_("Issue opened"), column=None, listed=False, show=Show(drop=6)),
    Field("voided", column=None),
    Field("voided_at"),
    Field("voided_by"),
    Field("void_reason"),
))


def log_visit(
    store: Store, household_key: str, *, by: str | None, at: datetime, kind: str, outcome: str,
    need: str | None, note: str | None, resident: str | None, now: datetime, time_known: bool = True,
    issue: dict | None = None,
) -> dict:
    """Record a visit. `time_known` False: only its day was given (`at` is the end of that day).
    `issue` ({"category", "tier", "kind"}) opens the need found as an issue in the same step:
    reported at the visit, through the visit channel, at the household, the visitor the first
    on site; the issue and the visit name each other."""
    need, note = cleaned(need, clean_text, "--need"), cleaned(note, clean_text, "--note")
    if issue is not None:
        if outcome != "needs_help" or not (need and need.strip()):
            raise InvalidValue("--open-issue opens the need found: give --outcome needs_help and --need TEXT")
        if not by:
            raise InvalidValue("--open-issue: say who visited (--by), the first on site")
    if not outcome:  # no silent default: "seen and well" would hide an unanswered door
        raise InvalidValue("say what happened: --outcome {choices}", choices=Choices(tuple(VISIT_OUTCOMES.codes.values())))
    if outcome == "needs_help" and not (need or note):
        raise InvalidValue("outcome needs_help: say with what (--need TEXT)")
    household = get_household(store, household_key, on=at.astimezone(store.tz).date())
    check_lived_there(household, at.astimezone(store.tz).date())
    resident_row = get_resident(store, household, resident) if resident else None
    staff = get_staff(store, by) if by else None
    with store.write() as conn:
        visit_id = conn.execute(
            f"INSERT INTO visits ({', '.join(VISIT_COLUMNS)}, time_known) VALUES ({marks(len(VISIT_COLUMNS) + 1)})"
            " RETURNING id",
            (household["id"], resident_row and resident_row["id"], staff and staff["id"], to_db(at), to_db(now),
             kind, outcome, need, note, int(time_known)),
        ).fetchone()[0]
        if issue is not None:
            from redprop.issues.commands import NewIssue, insert_issue

            text = need.strip()
            title = text.splitlines()[0][:30]
            new = NewIssue(kind=issue.get("kind") or "problem", category=issue["category"], channel="visit",
                           title=title, tier=issue.get("tier") or "normal", household=household["key"],
                           reporter=resident_row["name"] if resident_row else household["head"],
                           description=text if text != title else None)
            insert_issue(store, conn, new, at, now, by=staff["name"], visit_id=visit_id, arrived_by=staff["name"])
    return said_back(store, visit_id, household["id"], at)



VISIT_COLUMNS = ("household_id", "resident_id", "staff_id", "at", "recorded_at", "kind", "outcome", "need", "note")


def insert_visits(store: Store, rows: list[tuple]) -> None:
    """The writer of visits a round sheet brought (inside the caller's write): each row the values
    of VISIT_COLUMNS, checked by the caller. `log_visit` writes one the same way, with its id back."""
    store.insert_many("visits", VISIT_COLUMNS, rows)


def void_visit(store: Store, visit_id: int, *, reason: str, by: str, now: datetime) -> dict:
    """A visit recorded by mistake stays on record, marked with who voided it, when and why, and
    counts nowhere: the household's contact columns are recomputed without it (a trigger)."""
    reason = cleaned(reason, clean_text, "--reason")
    if not reason or not reason.strip():
        raise InvalidValue("say why it is voided: --reason TEXT")
    with store.write() as conn:
        row = conn.execute("SELECT id, voided_at, household_id, at FROM visits WHERE id = $1", (visit_id,)).fetchone()
        if row is None:
            raise NotFound("no visit #{id} (see `redprop visit list`)", id=visit_id)
        if row["voided_at"]:
            raise InvalidValue("visit #{id} was already voided", id=visit_id)
        conn.execute("UPDATE visits SET voided_at = $1, voided_by = $2, void_reason = $3 WHERE id = $4",
                     (to_db(now), by, reason.strip(), visit_id))
    return said_back(store, visit_id, row["household_id"], from_db(row["at"]))


def said_back(store: Store, visit_id: int, household_id: int, at: datetime) -> dict:
    """A visit as its confirmation says it back: with the household's head and its focus groups
    on the day (a sensitive one masked), so that a wrong address shows as a wrong name."""
    record = next(_visit_rows(store, ["v.id = $1"], [visit_id]))
    return {**record, "groups": current_groups(store, household_id, at.astimezone(store.tz).date())}


def check_lived_there(household, day: date) -> None:
    """A visit to a household is on a day it lived there; the error says which end was crossed."""
    if lived_there(household["moved_in_on"], household["moved_out_on"], day.isoformat()):
        return
    if household["moved_in_on"] and day.isoformat() < household["moved_in_on"]:
        raise InvalidValue("{key} moved in on {moved_in}, after {day}", key=household["key"],
                           moved_in=household["moved_in_on"], day=day.isoformat())
    raise InvalidValue("{key} moved out on {moved_out}, before {day}", key=household["key"],
                       moved_out=household["moved_out_on"], day=day.isoformat())


def visit_row(row, tz) -> dict:
    return {
        "id": row["id"],
        "household": row["household"],
        "head": row["head"],
        "at": show_local_iso(row["at"], tz),
        "recorded_at": show_local_iso(row["recorded_at"], tz),
        "by": row["staff_name"],
        "resident": row["resident_name"],
        "kind": row["kind"],
        "outcome": row["outcome"],
        "need": row["need"],
        "note": row["note"],
        "time_known": bool(row["time_known"]),
        "issue": row["issue_id"],
        "voided": row["voided_at"] is not None,
        "voided_at": show_local_iso(row["voided_at"], tz),
        "voided_by": row["voided_by"],
        "void_reason": row["void_reason"],
    }


def list_visits(
    store: Store, *, household: str | None = None, staff: str | None = None, since: datetime | None = None,
    until: datetime | None = None, outcome: str | None = None, limit: int | None = None,
    household_id: int | None = None, voided: bool = False, count: bool = False,
):
    """Visits newest first; `until` is the --at moment: visits after it have not happened yet.

    `household` is an address: the visits of every household that lived there. Voided visits
    are left out unless `voided` (then they are listed too, marked). A stream, read as it is
    listed; with `count`, how many there are instead."""
    where, params = [] if voided else ["v.voided_at IS NULL"], Params()
    if household:
        where.append(f"h.key = {params(get_household(store, household)['key'])}")
    if household_id is not None:
        where.append(f"v.household_id = {params(household_id)}")
    if staff:
        where.append(f"v.staff_id = {params(get_staff(store, staff)['id'])}")
    if since:
        where.append(f"v.at >= {params(to_db(since))}")
    if until:
        where.append(f"v.at <= {params(to_db(until))}")
    if outcome:
        where.append(f"v.outcome = {params(outcome)}")
    if count:
        return _count_visits(store, where, params)
    return _visit_rows(store, where, params, limit, voided)


def _count_visits(store: Store, where: list[str], params: list) -> int:
    """How many visits `list_visits` would list, counted no further than COUNT_BOUND + 1 (more:
    "more than"): the first rows of the index the filter reads, not a million visits."""
    joined = " JOIN households h ON h.id = v.household_id" if any("h." in w for w in where) else ""
    condition = " WHERE " + " AND ".join(where) if where else ""
    return store.conn.execute(bounded_count(f"SELECT 1 FROM visits v{joined}{condition}"), params).fetchone()[0]


def _visit_rows(store: Store, where: list[str], params: list, limit: int | None = None, voided: bool = False):
    def select(visits: str, conditions: list[str]) -> str:
        sql = (
            "SELECT v.*, h.key AS household, h.head, s.name AS staff_name, r.name AS resident_name,"
            f" (SELECT i.id FROM issues i WHERE i.visit_id = v.id) AS issue_id FROM {visits}"
            " JOIN households h ON h.id = v.household_id LEFT JOIN staff s ON s.id = v.staff_id"
            " LEFT JOIN residents r ON r.id = v.resident_id"
        )
        return sql + (" WHERE " + " AND ".join(conditions) if conditions else "")

    if voided:
        # The indexes by household and by time hold only the visits not voided: those are read off
        # them, the voided ones (a few) off their own index, and the two merged in order — not a
        # pass over every visit of the district. (Both halves take the same `$n` values.)
        sql = (select("visits v", [*where, "v.voided_at IS NULL"]) + " UNION ALL "
               + select(f"visits v {store.indexed_by('visits_voided')}", [*where, "v.voided_at IS NOT NULL"])
               + " ORDER BY at DESC")
    else:
        sql = select("visits v", where) + " ORDER BY v.at DESC"  # the index on at: a limited listing reads only its rows
    if limit:
        sql += f" LIMIT {int(limit)}"
    return (visit_row(r, store.tz) for r in store.conn.execute(sql, params))


def _care_from_cache(store: Store, day: date, loosest_cutoff: str) -> dict[int, list]:
    """Current member households that may be due, from the contact columns the triggers keep.

    Exact when no visit is dated after the moment asked about — always so for "now", as
    visits in the future are refused. A household seen after the loosest cut-off (that of
    its tightest possible cadence) cannot be due and is left in the database.
    """
    # Three index ranges (never seen, not seen since the cut-off, knocked in vain) rather than
    # one OR, which SQLite would answer by reading every membership; `+m.since` keeps it so.
    part = (
        "SELECT m.household_id, g.cadence_days, m.since, m.group_code, m.last_contact_at, m.knocks"
        " FROM memberships m JOIN focus_groups g ON g.code = m.group_code"
        f" WHERE {{}} AND {store.unindexed('m.since')} <= $1 AND (m.until IS NULL OR m.until > $1)"
    )
    sql = " UNION ALL ".join(part.format(w) for w in (  # a literal 3: the partial index memberships_knocks applies
        "m.last_contact_at IS NULL", "m.last_contact_at <= $2", f"m.knocks >= {ESCALATE_AFTER} AND m.last_contact_at > $2"))
    care: dict[int, list] = {}
    for household_id, cadence, since, code, last, knocks in store.tuple_cursor().execute(sql, (day.isoformat(), loosest_cutoff)):
        entry = care.get(household_id)
        if entry is None:
            care[household_id] = [cadence, since, [code], last, knocks]
        else:
            entry[0], entry[1] = min(entry[0], cadence), min(entry[1], since)
            entry[2].append(code)
    return care


def _care_recomputed(store: Store, day: date, at: datetime) -> dict[int, list]:
    """Every current member household with its last contact and knocks as they stood at `at`."""
    current = store.conn.execute(
        f"SELECT m.household_id, MIN(g.cadence_days), MIN(m.since), {store.joined('m.group_code', distinct=True)}"
        " FROM memberships m JOIN focus_groups g ON g.code = m.group_code"
        " WHERE m.since <= $1 AND (m.until IS NULL OR m.until > $1) GROUP BY m.household_id",
        (day.isoformat(),),
    ).fetchall()
    if not current:
        return {}
    widest = max(row[1] for row in current)
    recent = {  # one index scan over the last `widest` days: last contact, last visit of any outcome
        household_id: (last_contact, last_visit)
        for household_id, last_contact, last_visit in store.conn.execute(
            "SELECT household_id, MAX(CASE WHEN outcome IN ('well', 'needs_help', 'refused') THEN at END), MAX(at)"
            " FROM visits WHERE at > $1 AND at <= $2 AND voided_at IS NULL GROUP BY household_id",
            (to_db(at - timedelta(days=widest)), to_db(at)),
        )
    }
    care = {}
    for household_id, cadence, since, codes in current:
        last, last_any = recent.get(household_id, (None, None))
        knocks = 0
        if last is None or last_any > last:  # knocks to count, or no contact lately: walk back
            last, knocks = _contact_before(store, household_id, at)
        care[household_id] = [cadence, since, codes.split(","), last, knocks]
    return care


def _contact_before(store: Store, household_id: int, at: datetime) -> tuple[str | None, int]:
    """(last contact at or before `at`, knocks after it) for one household.

    The same rule as the trigger that keeps the contact columns: a knock at the very second
    of the last contact is not "after" it.
    """
    moment = to_db(at)
    last = store.conn.execute(
        "SELECT MAX(at) FROM visits WHERE household_id = $1 AND at <= $2 AND voided_at IS NULL"
        " AND outcome IN ('well', 'needs_help', 'refused')",
        (household_id, moment),
    ).fetchone()[0]
    knocks = store.conn.execute(
        "SELECT count(*) FROM visits WHERE household_id = $1 AND at > $2 AND at <= $3 AND voided_at IS NULL",
        (household_id, last or "", moment)
    ).fetchone()[0]
    return last, knocks


def due_visits(
    store: Store, at: datetime, *, grid: str | None = None, staff: str | None = None,
    buildings: list[str] | None = None, show_sensitive: bool = False, horizon: datetime | None = None,
) -> list[dict]:
    """Households due a visit as things stood at `at`: escalated first, then the most overdue.
    Narrowed to a grid point, to the areas a staff member covers, to some buildings.

    With `horizon`, also those that will fall due before it (for planning a week's rounds).
    Stored instants are UTC text, so "seen since the cut-off?" is a string comparison. A
    district's list is a thousand rows and more: each is worked out with one parse of its
    reference time, and what recurs (the start of care on a day, the names of a set of groups,
    who covers an area) once.
    """
    tz = store.tz
    day = at.astimezone(tz).date()
    cadences = [r[0] for r in store.conn.execute("SELECT DISTINCT cadence_days FROM focus_groups")]
    # Due when the reference (last contact, or start of care if later) is at or before the cut-off.
    cutoff = {c: to_db(at - timedelta(days=c)) for c in cadences}
    planned = {c: to_db(horizon - timedelta(days=c)) for c in cadences} if horizon else {}
    later_visits = store.conn.execute("SELECT 1 FROM visits WHERE at > $1 AND voided_at IS NULL LIMIT 1", (to_db(at),)).fetchone()
    if later_visits:
        care = _care_recomputed(store, day, at)
    else:
        loosest = max(planned.values()) if horizon else max(cutoff.values())
        care = _care_from_cache(store, day, loosest)
    care_began = {}
    due = []
    for household_id, (cadence, since, codes, last, knocks) in care.items():
        began = care_began.get(since)
        if began is None:
            began = care_began[since] = to_db(local_day_start(date.fromisoformat(since), tz))
        reference = max(last, began) if last else began
        escalated = knocks >= ESCALATE_AFTER and ESCALATE_GROUP in codes
        falls_due = reference <= cutoff[cadence] or (horizon is not None and reference < planned[cadence])
        if falls_due or escalated:
            due.append((household_id, cadence, codes, last, reference, knocks, escalated))
    if not due:
        return []
    households = _households_by_id(store, [d[0] for d in due])
    covering = responsible_staff(store)
    areas = set(staff_areas(store, get_staff(store, staff)["id"])) if staff else None
    show_groups = ShownGroups(load_groups(store), show_sensitive)  # the same few sets of groups recur on many rows

    responsible: dict[tuple, list] = {}  # (grid, building) → everyone covering it: the same few pairs recur

    def names_for(grid_code, building):
        names = responsible.get((grid_code, building))
        if names is None:
            names = responsible[grid_code, building] = list(dict.fromkeys(covering.get(grid_code, []) + covering.get(building, [])))
        return names

    rows = []
    today = day.isoformat()
    days = {c: timedelta(days=c) for c in cadences}
    for household_id, cadence, codes, last, reference, knocks, escalated in due:
        key, head, phone, building, grid_code, moved_out_on = households[household_id]
        if moved_out_on and moved_out_on <= today:
            continue
        if grid and grid_code != grid or buildings and building not in buildings:
            continue
        if areas is not None and building not in areas and grid_code not in areas:
            continue
        reference_at = from_db(reference)
        unseen = (at - reference_at).days
        due_at = reference_at + days[cadence]
        rows.append(({
            "household": key,
            "head": head,
            "phone": phone,
            "building": building,
            "grid": grid_code,
            "groups": show_groups(codes),
            "cadence_days": cadence,
            "last_seen_at": show_local_iso(last, tz),
            "days_since_seen": unseen,
            "never_seen": last is None,
            "due_at": due_at.astimezone(tz).isoformat(),
            "overdue_days": unseen - cadence if unseen >= cadence else None,  # days past due_at, once it has passed
            "failed_attempts": knocks,
            "escalated": escalated,
            "staff": list(names_for(grid_code, building)),
        }, (not escalated, due_at, key)))
    rows.sort(key=lambda r: r[1])
    return [row for row, _order in rows]


def _households_by_id(store: Store, ids: list[int]) -> dict[int, tuple]:
    """id → (key, head, phone, building, grid, moved_out_on). One query for any number of ids; in
    id order, the pages are read in file order."""
    return {
        household_id: house
        for household_id, *house in store.tuple_cursor().execute(
            "SELECT id, key, head, phone, building, grid, moved_out_on FROM households"
            f" WHERE id IN ({store.json_values('$1', 'INTEGER')})",
            (json.dumps(sorted(ids)),),
        )
    }


def week_bounds(day: date, tz) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, local time."""
    monday = day - timedelta(days=day.weekday())
    return local_day_start(monday, tz), local_day_start(monday + timedelta(days=7), tz)


def plan_rounds(store: Store, week_of: date, now: datetime, show_sensitive: bool, *, staff: str | None = None,
                buildings: list[str] | None = None) -> list[dict]:
    """This week's due visits, one list per staff member, by the buildings/grid points they cover.

    Each household is on the list of every person responsible for it (the grid worker's and the
    building leader's alike: whoever passes first sees them, and neither finds them missing), or,
    with `staff`, on that person's list only; one that nobody covers is listed as unassigned.
    """
    start, end = week_bounds(week_of, store.tz)
    known_at = now if now < end else start  # a past week's plan is the one its Monday would have printed
    due = due_visits(store, known_at, horizon=end, show_sensitive=show_sensitive, staff=staff, buildings=buildings)
    person = get_staff(store, staff)["name"] if staff else None
    rows = []
    for row in due:
        for name in [person] if person else row["staff"] or [None]:
            rows.append({"staff": name, **{k: row[k] for k in (
                "household", "head", "phone", "grid", "groups", "days_since_seen", "due_at",
                "failed_attempts", "escalated")}})
    rows.sort(key=lambda r: (r["staff"] is None, r["staff"] or "", not r["escalated"], r["due_at"]))
    return rows
