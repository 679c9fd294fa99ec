"""The ledgers (台账) an office hands on: households, focus groups, visits, problems, wishes.

Each ledger is a period of local days and a stream of records — codes and values (slugs,
ids, local dates and datetimes, numbers), one record per row, never all of them in memory:
at district scale a month of visits is 170,000 records and the history of issues a million.
What a record says is decided here; how it reads (headers, labels, Excel) in `present`.

- households (住户台账): the roster on the last day of the period, in address order — each
  household as `household list` gives it (its catalogue's fields, households.HOUSEHOLD), with
  its focus groups that day; the ledger shows the very columns `household import` reads, so
  the file re-imports unchanged;
- focus (重点人群台账): everyone who was in a focus group at some time in the period (a
  household, or one resident), with their groups, the tightest cadence, since/until, and
  the household's last contact by the end of the period;
- visits (走访台账): the visits of the period, oldest first;
- problems (问题清单) and wishes (需求清单): the issues reported in the period, oldest first,
  each as things stood at `at`: status, handler, the times of each step, every promise kept,
  missed, overdue or pending, the follow-up call, the rating;
- orders (工单台账): the work orders from above dispatched in the period, oldest first, as
  things stood at `at` — the reply sheet the platforms want back: signed, replied (what was
  done, solved or not, why not), closed, on time, extended, urged, reworked, the rating; a
  returned order is there, marked so.

Voided visits and issues are in no ledger. Sensitive groups are masked (`sensitive`) unless
`show_sensitive`. `--grid`/`--building` narrow every ledger to the households (or issues) there.
"""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from redprop.groups import ShownGroups, load_groups
from redprop.visits import CONTACT_OUTCOMES
from redprop.households import HOUSEHOLD, address_order
from redprop.issues.promises import Moment
from redprop.issues.records import ISSUE_SELECT
from redprop.parsing import from_db, local_day_start, to_db
from redprop.staff import get_staff, staff_areas
from redprop.store import Store
from redprop.store.sql import Params


@dataclass
class Ledger:
    kind: str  # a LEDGER_KINDS slug
    community: str
    first: date  # the period, local days, both included
    last: date
    at: datetime  # as things stood then
    records: Iterator[dict]
    grid: str | None = None  # the filters it was narrowed by
    buildings: list[str] | None = None
    staff: str | None = None


def ledger(store: Store, kind: str, *, first: date, last: date, at: datetime, grid: str | None = None,
           buildings: list[str] | None = None, staff: str | None = None, show_sensitive: bool = False) -> Ledger:
    """The ledger of `kind` for the local days `first`..`last`, as things stood at `at`.

    `staff` narrows it to one person's part: the households and members in the areas they
    cover, the visits they made, the issues they held at `at`."""
    tz = store.tz
    start = local_day_start(first, tz)
    end = min(local_day_start(last + timedelta(days=1), tz), at + timedelta(seconds=1))  # exclusive
    where: dict = {"grid": grid, "building": buildings}
    person = get_staff(store, staff) if staff else None
    if person is not None and kind in ("households", "focus"):
        where["areas"] = staff_areas(store, person["id"])
    elif person is not None and kind == "visits":
        where["staff_id"] = person["id"]
    known = min(last, at.astimezone(tz).date())  # a roster as of a past moment knows no later family
    if kind == "households":
        records = _households(store, known, where, show_sensitive)
    elif kind == "focus":
        records = _focus(store, first, max(first, known), end, where, show_sensitive)
    elif kind == "visits":
        records = _visits(store, start, end, where, show_sensitive)
    elif kind == "orders":
        records = _orders(store, start, end, at, where)
    else:
        records = _issues(store, "problem" if kind == "problems" else "wish", start, end, at, where,
                          person["name"] if person is not None else None)
    return Ledger(kind, store.community, first, last, at, records, grid, buildings, person["name"] if person else None)


def _filters(where: dict, table: str, first: int) -> tuple[str, list]:
    """` AND h.grid = $3 AND h.building IN ($4, $5)`… for the filters given (numbered from `first`:
    the statement's values before them come first), and their values: `areas` (the buildings and
    grid points a person covers) on the household, `staff_id` (who made a visit) on the visit."""
    params = Params([None] * (first - 1))
    sql = []
    for column, value in where.items():
        if value is None:
            continue
        if column == "areas":
            areas = params.many(value) or "NULL"
            sql.append(f" AND ({table}.building IN ({areas}) OR {table}.grid IN ({areas}))")
        elif column == "staff_id":
            sql.append(f" AND v.staff_id = {params(value)}")
        elif isinstance(value, list):
            sql.append(f" AND {table}.{column} IN ({params.many(value)})")
        else:
            sql.append(f" AND {table}.{column} = {params(value)}")
    return "".join(sql), params[first - 1:]


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _households(store: Store, day: date, where: dict, show_sensitive: bool) -> Iterator[dict]:
    """The households living there on `day`, in address order, with their focus groups that day."""
    shown = ShownGroups(load_groups(store), show_sensitive)
    extra, params = _filters(where, "h", 2)
    sql = (
        f"SELECT h.*, (SELECT {store.joined('m.group_code', 'm.group_code')} FROM memberships m WHERE m.household_id = h.id"
        "  AND m.since <= $1 AND (m.until IS NULL OR m.until > $1)) AS groups"
        " FROM households h WHERE (h.moved_in_on IS NULL OR h.moved_in_on <= $1)"
        f" AND (h.moved_out_on IS NULL OR h.moved_out_on > $1){extra} ORDER BY {address_order(store, 'h.')}"
    )
    read = HOUSEHOLD.reader("groups")  # the household as `household list` gives it, with its groups that day
    for r in store.conn.execute(sql, [day.isoformat(), *params]):
        yield read(r, groups=shown(r["groups"].split(",")) if r["groups"] else [])


def _focus(store: Store, first: date, last: date, end: datetime, where: dict, show_sensitive: bool) -> Iterator[dict]:
    """Each member (a household, or one of its residents) in a focus group at some time in the
    period, with the household's last contact before `end`."""
    shown = ShownGroups(load_groups(store), show_sensitive)
    extra, params = _filters(where, "h", 4)
    contacts = ", ".join(f"'{o}'" for o in CONTACT_OUTCOMES)
    sql = (
        "SELECT m.household_id, m.resident_id, m.group_code, m.since, m.until, g.cadence_days,"
        " h.key, h.head, h.phone, h.grid, r.name AS resident, r.phone AS resident_phone,"
        " (SELECT MAX(v.at) FROM visits v WHERE v.household_id = m.household_id AND v.voided_at IS NULL"
        f"  AND v.at < $1 AND v.outcome IN ({contacts})) AS last_contact_at"
        " FROM memberships m JOIN households h ON h.id = m.household_id"
        " JOIN focus_groups g ON g.code = m.group_code LEFT JOIN residents r ON r.id = m.resident_id"
        f" WHERE m.since <= $2 AND (m.until IS NULL OR m.until > $3){extra}"
        f" ORDER BY {address_order(store, 'h.')}, m.resident_id IS NOT NULL, r.name, m.resident_id, m.since"
    )
    rows = store.conn.execute(sql, [to_db(end), last.isoformat(), first.isoformat(), *params])
    tz = store.tz
    for _member, memberships in itertools.groupby(rows, key=lambda r: (r["household_id"], r["resident_id"])):
        memberships = list(memberships)  # one member's few memberships
        one = memberships[0]
        last_contact = from_db(one["last_contact_at"])
        yield {
            "household": one["key"],
            "name": one["resident"] or one["head"],
            "whole_household": one["resident_id"] is None,
            "phone": one["resident_phone"] or one["phone"],
            "grid": one["grid"],
            "groups": shown(m["group_code"] for m in memberships),
            "cadence_days": min(m["cadence_days"] for m in memberships),
            "since": _day(min(m["since"] for m in memberships)),
            "until": None if any(m["until"] is None for m in memberships) else _day(max(m["until"] for m in memberships)),
            "last_contact_at": last_contact.astimezone(tz) if last_contact else None,
            "days_since_contact": (end - last_contact).days if last_contact else None,
        }


def _visits(store: Store, start: datetime, end: datetime, where: dict, show_sensitive: bool) -> Iterator[dict]:
    """The visits made in [start, end), oldest first, each with the household's focus groups that day."""
    shown = ShownGroups(load_groups(store), show_sensitive)
    tz = store.tz
    extra, params = _filters(where, "h", 3)
    of_households, household_params = _filters({k: v for k, v in where.items() if k != "staff_id"}, "h", 3)
    first, last = start.astimezone(tz).date().isoformat(), end.astimezone(tz).date().isoformat()
    groups_of: dict[int, list[tuple]] = {}  # the memberships of the period: a few per member household
    for household_id, since, until, code in store.conn.execute(
        "SELECT m.household_id, m.since, m.until, m.group_code FROM memberships m JOIN households h ON h.id = m.household_id"
        f" WHERE m.since <= $1 AND (m.until IS NULL OR m.until > $2){of_households}", [last, first, *household_params],
    ):
        groups_of.setdefault(household_id, []).append((since, until, code))
    sql = (
        "SELECT v.id, v.household_id, v.at, v.time_known, v.kind, v.outcome, v.need, v.note,"
        " h.key, h.head, h.grid, s.name AS staff, r.name AS resident,"
        " (SELECT i.id FROM issues i WHERE i.visit_id = v.id) AS issue"
        " FROM visits v JOIN households h ON h.id = v.household_id LEFT JOIN staff s ON s.id = v.staff_id"
        " LEFT JOIN residents r ON r.id = v.resident_id"
        f" WHERE v.at >= $1 AND v.at < $2 AND v.voided_at IS NULL{extra} ORDER BY v.at, v.id"
    )
    for r in store.conn.execute(sql, [to_db(start), to_db(end), *params]):
        at = from_db(r["at"]).astimezone(tz)
        day = at.date().isoformat()
        codes = [code for since, until, code in groups_of.get(r["household_id"], ())
                 if since <= day and (until is None or until > day)]
        yield {
            "id": r["id"], "at": at if r["time_known"] else at.date(), "household": r["key"], "head": r["head"],
            "grid": r["grid"], "groups": shown(codes), "resident": r["resident"], "kind": r["kind"],
            "outcome": r["outcome"], "need": r["need"], "by": r["staff"], "note": r["note"], "issue": r["issue"],
        }


def _issues(store: Store, kind: str, start: datetime, end: datetime, at: datetime, where: dict,
            handler: str | None = None) -> Iterator[dict]:
    """The issues of `kind` reported in [start, end), oldest first, each as things stood at `at`
    (with `handler`, those they held then)."""
    moment = Moment(store, at)
    tz = store.tz
    extra, params = _filters(where, "i", 4)
    rows = store.conn.execute(
        f"{ISSUE_SELECT} WHERE i.reported_at >= $1 AND i.reported_at < $2 AND i.kind = $3 AND i.voided_at IS NULL{extra}"
        " ORDER BY i.reported_at, i.id",
        [to_db(start), to_db(end), kind, *params],
    )
    def when(text: str | None) -> datetime | None:
        return from_db(text).astimezone(tz) if text else None

    while True:
        chunk = rows.fetchmany(500)
        if not chunk:
            return
        for row, state, _steps in moment.states(chunk):
            if handler is not None and state.handler != handler:
                continue
            promises = {o.promise: o.state for o in moment.outcomes(row, state)}
            call = moment.follow_up(row, state)
            yield {
                "id": row["id"], "reported_at": when(row["reported_at"]), "category": row["category"],
                "channel": row["channel"], "household": row["household_key"], "place": row["place"],
                "title": row["title"], "reporter": row["reporter"], "tier": state.tier, "status": state.status,
                "handler": state.handler, "arrived_at": when(state.arrived_at), "planned_at": when(state.planned_at),
                "resolved_at": when(state.resolved_at), "closed_at": when(state.closed_at),
                "arrive": promises.get("arrive"), "resolve": promises.get("resolve"), "plan": promises.get("plan"),
                "follow_up": call.state if call else None, "rating": state.rating,
            }


def _orders(store: Store, start: datetime, end: datetime, at: datetime, where: dict) -> Iterator[dict]:
    """The work orders dispatched in [start, end), oldest first, each as things stood at `at`:
    a returned one too (marked by its stage), a voided one not."""
    from redprop.issues.orders import load_orders, stage

    moment = Moment(store, at)
    tz = store.tz
    extra, params = _filters(where, "i", 3)
    rows = store.conn.execute(
        f"{ISSUE_SELECT} WHERE i.id IN (SELECT issue_id FROM orders) AND i.reported_at >= $1 AND i.reported_at < $2{extra}"
        " ORDER BY i.reported_at, i.id", [to_db(start), to_db(end), *params]).fetchall()
    orders = load_orders(store.conn, [r["id"] for r in rows])

    def when(text: str | None) -> datetime | None:
        return from_db(text).astimezone(tz) if text else None

    for row, state, steps in moment.states(rows):
        o = orders[row["id"]]
        if row["voided_at"] and not o["returned_at"]:
            continue  # voided, as in every ledger
        order = state.order
        grid_code, upstream = moment.upstream(row["grid"], row["category"])
        reply = next((s for s in reversed(steps or []) if s.action == "reply" and s.at <= moment.text), None)
        yield {
            "number": o["number"], "source": o["source"], "upstream_type": o["upstream_type"],
            "content": row["description"] or row["title"], "dispatched_at": when(order.dispatched_at),
            "signed_at": when(order.signed_at), "due_at": when(order.due_at), "handler": state.handler,
            "stage": stage(order), "reply": reply.note if reply else None,
            "solved": None if reply is None else reply.value == "yes", "why_not": reply.reason if reply else None,
            "closed_at": when(order.closed_at),
            "on_time": None if order.closed_at is None else order.closed_at <= order.due_at,
            "extended": bool(order.extended), "urges": len(order.urged), "reworks": len(order.failed),
            "rating": state.rating, "grid": row["grid"], "grid_code": grid_code, "category": row["category"],
            "category_upstream": upstream, "issue": row["id"],
        }
