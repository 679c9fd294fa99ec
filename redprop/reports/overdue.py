"""The morning list (`redprop overdue`): what has broken the promise, what is about to, who is unseen.

As of a moment (now for cron, `--at` for any other): every unfinished issue past a
deadline it has not met — on site, resolved, written plan — with how late and who holds
it; the issues that will break a promise within the next hour ("due soon"); the resolved
issues whose follow-up call (回访) is late; and the households overdue for a home visit
(`visit due`). An issue resolved or closed by that
moment is not listed even if it was resolved late; `stats` counts those.

The issue half reads the partial index of unfinished issues (plus, for a past moment,
those resolved after it) bounded by each issue's earliest deadline, so its cost follows
the number of open issues, not the size of the table. A work order from above adds its two
deadlines (signed for, closed by its deadline) to its issue's, and stays on the list past its
issue's resolution until it is verified (结案); an urged order says so. How late is wall-clock time past
the effective deadline (the deadline itself counts only working time when the policy
says so, and waits that pause the clock).
"""

from datetime import datetime, timedelta

from redprop.errors import InvalidValue
from redprop.issues.lifecycle import State
from redprop.issues.promises import Moment, Outcome
from redprop.issues.reading import follow_up_rows, open_order_rows, unfinished_rows
from redprop.parsing import show_duration, show_local_iso, to_db
from redprop.store import Store

DEFAULT_SOON = timedelta(hours=1)


def soon_window(text: str) -> timedelta:
    """How far ahead "due soon" looks, as typed (`1h`, `30m`, `2小时`)."""
    from redprop.policy.terms import MAX_PROMISE_DAYS, parse_duration

    try:
        duration = parse_duration(text)
    except InvalidValue as e:
        raise InvalidValue("--soon: {reason}", reason=e.message) from None
    if duration.too_long():
        raise InvalidValue("--soon: {text!r} looks further ahead than any promise ({days} days at most)", text=text,
                           days=MAX_PROMISE_DAYS)
    return duration.span(None)


def overdue_report(store: Store, at: datetime, *, soon: timedelta = DEFAULT_SOON, show_sensitive: bool = False,
                   staff: str | None = None, buildings: list[str] | None = None, visits: bool = True) -> dict:
    """`{"issues": [...], "due_soon": [...], "follow_ups": [...], "visits": [...], "summary": {...}}` as of `at`.

    Narrowed to one person (`staff`: the issues and follow-up calls they hold, the unassigned
    issues in the areas they cover, the households they are responsible for) and to some
    buildings, when asked; the summary then counts what is listed. Without `visits`, the
    households due a visit are left for `add_visits` (their "visits" None until then): a list
    drawn for people in order works them out only when it reaches them."""
    moment = Moment(store, at)
    horizon = to_db(at + soon)
    rows = unfinished_rows(store, moment.text, [], due_before=horizon)
    listed = {r["id"] for r in rows}
    rows += [r for r in open_order_rows(store.conn, moment.text, horizon) if r["id"] not in listed]
    late_items, soon_items = [], []
    provisional_years: set[int] = set()
    covering: dict = {}

    def area_staff() -> dict:
        if not covering:
            covering.update(_area_staff(store) or {None: []})
        return covering

    for row, state, _ in moment.states(rows):
        if state.voided_at:  # voided, or its order returned as not ours
            continue
        # a work order's deadlines stand beside the issue's promises, and outlive its resolution
        outcomes = ([] if state.resolved_at else moment.outcomes(row, state)) + moment.order_outcomes(row, state)
        late = [o for o in outcomes if o.state == "overdue"]
        coming = [o for o in outcomes if o.state == "pending" and o.due < horizon]
        if not late and not coming:
            continue
        listed = late or coming
        if buildings and row["building"] not in buildings:
            continue
        if staff and not _theirs(staff, state.handler, row, area_staff):
            continue
        if any(o.provisional for o in listed):
            provisional_years.update(moment.unknown_years(listed, row["reported_at"]))
        if late:
            late_items.append(_item(row, state, min(late, key=lambda o: o.due), late, moment, area_staff))
        else:
            soon_items.append(_item(row, state, min(coming, key=lambda o: o.due), [], moment, area_staff))
    late_items.sort(key=lambda i: (-i["late_minutes"], i["id"]))
    soon_items.sort(key=lambda i: (-i["late_minutes"], i["id"]))
    calls = late_calls(store, moment, provisional_years, staff, buildings)
    summary = _summary(store, at, soon, late_items, soon_items)
    summary["follow_ups"] = len(calls)
    summary["provisional_years"] = sorted(provisional_years)
    summary["staff"], summary["buildings"] = staff, buildings
    report = {
        "issues": late_items,
        "due_soon": soon_items,
        "follow_ups": calls,
        "visits": None,
        "summary": summary,
    }
    if visits:
        add_visits(store, report, at, show_sensitive=show_sensitive, staff=staff, buildings=buildings)
    return report


def add_visits(store: Store, report: dict, at: datetime, *, show_sensitive: bool = False, staff: str | None = None,
               buildings: list[str] | None = None) -> None:
    """The households due a visit as of `at` into a morning list made without them, counted in its summary."""
    visits = _visits(store, at, show_sensitive, staff, buildings)
    report["visits"] = visits
    report["summary"]["visits"] = len(visits)
    report["summary"]["escalated_visits"] = sum(1 for v in visits if v.get("escalated"))


def late_calls(store: Store, moment: Moment, provisional_years: set, staff: str | None = None,
               buildings: list[str] | None = None) -> list[dict]:
    """Resolved issues (not closed) whose follow-up call is late as of the moment, latest first;
    those `staff` holds, in some `buildings`, when asked."""
    return [c for c in _follow_ups(store, moment, provisional_years)
            if (not staff or c["handler"] == staff) and (not buildings or c["building"] in buildings)]


def _follow_ups(store: Store, moment: Moment, provisional_years: set) -> list[dict]:
    """Resolved issues (not closed) whose follow-up call is late as of the moment, latest first."""
    items = []
    for row, state, _ in moment.states(follow_up_rows(store, moment.text)):
        if not state.resolved_at or state.closed_at:
            continue
        call = moment.follow_up(row, state)
        if call is None or call.state != "overdue":
            continue
        if call.provisional:
            provisional_years.update(moment.unknown_years([call], row["reported_at"]))
        minutes = moment.minutes(call.due)
        items.append({
            "id": row["id"],
            "title": row["title"],
            "promise": "follow_up",
            "due_at": show_local_iso(call.due, moment.tz),
            "late_minutes": minutes,
            "late": show_duration(timedelta(minutes=minutes)),
            "resolved_at": show_local_iso(state.resolved_at, moment.tz),
            "handler": state.handler,
            "reporter": row["reporter"],
            **_about(row, state, moment),
            "provisional": call.provisional,
        })
    items.sort(key=lambda i: (-i["late_minutes"], i["id"]))
    return items


def _order(moment: Moment, row, state: State) -> dict | None:
    """The work order an item of the morning list is: its number and source, how often urged."""
    if state.order is None:
        return None
    order = moment.order_row(row["id"])
    return {"number": order["number"], "source": order["source"], "urges": len(state.order.urged)}


def _item(row, state: State, shown: Outcome, late: list[Outcome], moment: Moment, area_staff) -> dict:
    minutes = moment.minutes(shown.due)
    around = []
    if not state.handler:  # nobody holds it: who covers the place, to call about it
        staff = area_staff()
        around = list(dict.fromkeys(staff.get(row["grid"], []) + staff.get(row["building"], [])))
    return {
        "id": row["id"],
        "title": row["title"],
        "promise": shown.promise,
        "due_at": show_local_iso(shown.due, moment.tz),
        "late_minutes": minutes,
        "late": show_duration(timedelta(minutes=minutes)) if minutes >= 0 else "-" + show_duration(timedelta(minutes=-minutes)),
        "handler": state.handler,
        "missed": [o.promise for o in late],
        **_about(row, state, moment),
        "area_staff": around,
        "order": _order(moment, row, state),
        "provisional": shown.provisional,  # the deadline shown; summary.provisional_years names every year behind the list
    }


def _about(row, state: State, moment: Moment) -> dict:
    """What every section of the morning list says of an issue after its deadline and handler."""
    return {"status": state.status, "tier": state.tier, "kind": row["kind"], "category": row["category"],
            "household": row["household_key"], "place": row["place"], "building": row["building"],
            "grid": row["grid"], "reported_at": show_local_iso(row["reported_at"], moment.tz)}


def _theirs(staff: str, handler: str | None, row, area_staff) -> bool:
    """An issue is a person's when they hold it, or nobody does and it is in an area they cover."""
    if handler:
        return handler == staff
    covering = area_staff()
    return staff in covering.get(row["grid"], []) or staff in covering.get(row["building"], [])


def _area_staff(store: Store) -> dict[str, list[str]]:
    """area → every active staff member covering it, grid workers and building leaders first:
    who to call about an unassigned issue there."""
    result: dict[str, list[str]] = {}
    for area, name in store.conn.execute(
        "SELECT a.area, s.name FROM staff_areas a JOIN staff s ON s.id = a.staff_id WHERE s.active = 1"
        " ORDER BY s.role = 'grid_worker' DESC, s.role = 'building_leader' DESC, s.name"
    ):
        result.setdefault(area, []).append(name)
    return result


def _visits(store: Store, at: datetime, show_sensitive: bool, staff: str | None, buildings: list[str] | None) -> list[dict]:
    if store.conn.execute("SELECT 1 FROM memberships LIMIT 1").fetchone() is None:
        return []  # no focus groups kept here: nobody can be due a visit
    from redprop.care.visits import due_visits

    return due_visits(store, at, show_sensitive=show_sensitive, staff=staff, buildings=buildings)


def _summary(store: Store, at: datetime, soon: timedelta, late: list, coming: list) -> dict:
    """The counts of the morning list; those of the households due a visit are `add_visits`'s."""
    by_promise = {"arrive": 0, "resolve": 0, "plan": 0}
    by_order = {"sign": 0, "order": 0}  # a work order's deadlines
    for item in late:
        for promise in item["missed"]:
            (by_promise if promise in by_promise else by_order)[promise] += 1
    return {
        "at": at.astimezone(store.tz).isoformat(timespec="seconds"),
        "community": store.community,
        "overdue": len(late),
        "due_soon": len(coming),
        "visits": None,
        "overdue_by_promise": by_promise,
        "orders_overdue": by_order,
        "urged_orders": sum(1 for item in late + coming if item["order"] and item["order"]["urges"]),
        "unassigned": sum(1 for item in late if not item["handler"]),
        "escalated_visits": None,
        "soon_minutes": int(soon.total_seconds() // 60),
    }


def anything_overdue(report: dict) -> bool:
    """What `overdue --check` fails on: an issue past a promise, a late follow-up call, or a
    household overdue for a visit."""
    return bool(report["issues"] or report.get("follow_ups") or report["visits"])
