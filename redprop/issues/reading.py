"""Reading issues as things stood at a moment: one issue with its timeline, and listings.

"As of a moment" means as things stood then: an issue reported later does not exist yet,
a step that happened later has not happened yet, however early it was typed in. For the
great majority of issues — one handler, no waiting, no reopening, no change of tier — the
past is read off the cached columns (`state_from_row`); the others carry `replay = 1` and
have their steps read.
"""

import json
from datetime import datetime
from typing import NamedTuple

from redprop.errors import InvalidValue, NotFound
from redprop.issues.lifecycle import State, Step, backdated, replay
from redprop.issues.orders import order_record
from redprop.issues.promises import Moment, Outcome, late_minutes
from redprop.issues.records import ISSUE_SELECT, LONG_OPEN, get_issue_row, history, issue_select, staff_id
from redprop.parsing import from_db, show_local_iso, show_time, to_db
from redprop.store import Store
from redprop.store.sql import COUNT_BOUND, Condition, Params, bounded_count
from redprop.vocab import FINISHED, STATUSES, UNFINISHED, Choices


def issue_record(row, state: State, outcomes: list[Outcome], moment: Moment) -> dict:
    """The shape of an issue in JSON and listings: slugs for codes, local ISO times."""
    tz = moment.tz
    iso = lambda text: show_local_iso(text, tz)  # noqa: E731
    call = moment.follow_up(row, state)
    ordered = moment.order_outcomes(row, state)
    promises = outcomes + ordered + ([call] if call else [])
    order_row = moment.order_row(row["id"]) if state.order is not None else None
    returned = order_row is not None and order_row["returned_at"] is not None  # as on record, like a void
    grid_code, category_upstream = moment.upstream(row["grid"], row["category"])
    return {
        "id": row["id"],
        "title": row["title"],
        "kind": row["kind"],
        "category": row["category"],
        "category_upstream": category_upstream,
        "channel": row["channel"],
        "household": row["household_key"],
        "head": row["household_head"],
        "place": row["place"],
        "building": row["building"],
        "grid": row["grid"],
        "grid_code": grid_code,
        "reporter": row["reporter"],
        "description": row["description"],
        "tier": state.tier,
        "status": state.status,
        "handler": state.handler,
        "reported_at": iso(row["reported_at"]),
        "recorded_at": iso(row["recorded_at"]),
        "backdated": row["source"] is None and backdated(row["recorded_at"], row["reported_at"]),
        "imported": row["source"] == "import",
        "assigned_at": iso(state.assigned_at),
        "arrived_at": iso(state.arrived_at),
        "planned_at": iso(state.planned_at),
        "resolved_at": iso(state.resolved_at),
        "closed_at": iso(state.closed_at),
        "rating": state.rating,
        "escalation": _escalation_record(state.escalation, tz),
        "voided": row["voided_at"] is not None and not returned,
        "returned": returned,
        "duplicate_of": row["duplicate_of"],
        "overdue": any(o.state == "overdue" for o in outcomes + ordered),
        "follow_up_overdue": call is not None and call.state == "overdue" and state.closed_at is None,
        "provisional": any(o.provisional for o in promises),
        "provisional_years": moment.unknown_years(promises, row["reported_at"]),
        "visit": row["visit_id"],
        "order": order_record(order_row, state, tz) if order_row is not None else None,
        "deadlines": [
            {"promise": o.promise, "due_at": iso(o.due), "met_at": iso(o.met_at), "state": o.state,
             "late_minutes": late_minutes(o, moment), "provisional": o.provisional}
            for o in promises
        ],
    }


def _escalation_record(escalation: dict | None, tz) -> dict | None:
    if not escalation:
        return None
    return {
        "at": show_local_iso(escalation.get("at"), tz),
        "parties": (escalation.get("parties") or "").split(",") if escalation.get("parties") else [],
        "meeting_at": show_local_iso(escalation.get("meeting_at"), tz),
        "decision": escalation.get("decision"),
    }


def step_record(step: Step, tz) -> dict:
    return {
        "action": step.action,
        "at": show_local_iso(step.at, tz),
        "recorded_at": show_local_iso(step.recorded_at, tz),
        "backdated": backdated(step.recorded_at, step.at),
        "by": step.by,
        "to": step.staff,
        "value": _step_value(step, tz),
        "meeting_at": show_local_iso(step.meeting_at, tz),
        "decision": step.decision,
        "note": step.note,
        "party": step.party,
        "reason": step.reason,
    }


def _step_value(step: Step, tz):
    """A correction's {field: [was, now]}; a deadline an order step set, as a local time; else as stored."""
    if step.action == "note" and step.value:
        return json.loads(step.value)
    if step.action in ("dispatch", "extend"):
        return show_local_iso(step.value, tz)
    return step.value


def show_issue(store: Store, issue_id: int, at: datetime) -> dict:
    """One issue as things stood at `at`, with its promises and its timeline up to then."""
    moment = Moment(store, at)
    row = get_issue_row(store.conn, issue_id)
    if row["reported_at"] > moment.text:
        raise NotFound("issue #{id} had not been reported yet at {at} (reported {reported})", id=issue_id,
                       at=show_time(at, store.tz), reported=show_time(row["reported_at"], store.tz))
    steps = history(store.conn, [row])[issue_id]
    state = replay(row, steps, moment.text, store.tz)
    record = issue_record(row, state, moment.outcomes(row, state), moment)
    if row["household_id"] is not None:  # said back beside the head's name (a sensitive one masked)
        from redprop.groups import current_groups

        record["groups"] = current_groups(store, row["household_id"], at.astimezone(store.tz).date())
    record["steps"] = [step_record(s, store.tz) for s in steps if s.at <= moment.text]
    return record


class IssueFilter(NamedTuple):  # not a dataclass: one costs half a millisecond of every start
    status: str = "open"  # open (unfinished), done, all, or one status slug
    kind: str | None = None
    category: str | None = None
    channel: str | None = None
    tier: str | None = None
    building: str | None = None
    grid: str | None = None
    handler: str | None = None
    household: str | None = None
    household_id: int | None = None  # one family, not whoever lives at the address now
    reported_from: datetime | None = None
    reported_to: datetime | None = None  # exclusive
    overdue: bool = False
    limit: int | None = None
    search: str | None = None  # text in the title, description, reporter or place
    voided: bool = False  # list voided issues too


STATUS_FILTERS = {
    "open": "open", "unfinished": "open", "未完成": "open", "未办结": "open", "进行中": "open",
    "done": "done", "finished": "done", "已完成": "done", "已办结": "done",
    "all": "all", "全部": "all", "any": "all",
}


def parse_status_filter(text: str) -> str:
    word = text.strip().lower()
    if word in STATUS_FILTERS:
        return STATUS_FILTERS[word]
    try:
        return STATUSES.resolve(text)
    except InvalidValue:
        raise InvalidValue("unknown status {text!r}; choose open (unfinished, the default), done, all, or one of: {choices}",
                           text=text, choices=Choices(tuple(STATUSES.codes.values()))) from None


def unfinished_rows(store: Store, at_text: str, where: list[Condition], due_before: str | None = None):
    """Issues that may have been unfinished at `at_text` (a superset: the caller checks each),
    read through the partial index of unfinished issues (named: without statistics SQLite
    would rather walk the report-time index, i.e. all of history), the index of resolution
    times for the week after the moment, and the small index of issues open longer."""
    p = Params()
    at, week_after = p(at_text), p(to_db(from_db(at_text) + LONG_OPEN))
    due = f" AND i.first_due_at < {p(due_before)}" if due_before else ""
    extra = " AND " + p.where([Condition("i.voided_at IS NULL"), *where])
    unfinished = issue_select(store.indexed_by("issues_unfinished"))
    sql = (
        f"{unfinished} WHERE i.resolved_at IS NULL AND i.reported_at <= {at}{due}{extra}"
        f" UNION ALL {ISSUE_SELECT} WHERE i.resolved_at > {at} AND i.resolved_at <= {week_after} AND i.reported_at <= {at}"
        f"{due}{extra}"
        f" UNION ALL {ISSUE_SELECT} WHERE i.open_long = 1 AND i.reported_at <= {at} AND i.resolved_at > {week_after}{due}{extra}"
    )
    return store.conn.execute(sql, p).fetchall()


def open_order_rows(conn, at_text: str, due_before: str):
    """Issues whose work order was still to be handled at `at_text` — not closed (结案), not
    returned — with a deadline before `due_before` (a superset: the caller checks each). An
    order outlives its issue's resolution until it is verified, so the morning list reads
    these beside the unfinished issues: the orders' own small index, and for a past moment
    the few closed or returned since."""
    orders = ("SELECT issue_id FROM orders WHERE closed_at IS NULL AND returned_at IS NULL"
              " AND (due_given < $1 OR (signed_at IS NULL AND sign_due < $1))"
              " UNION SELECT issue_id FROM orders WHERE (closed_at > $2 OR returned_at > $2) AND (due_given < $1 OR sign_due < $1)")
    return conn.execute(f"{ISSUE_SELECT} WHERE i.id IN ({orders}) AND i.reported_at <= $2", (due_before, at_text)).fetchall()


def follow_up_rows(store: Store, at_text: str):
    """Resolved issues whose follow-up call was due before `at_text` and not made by then (a
    superset: the caller checks each). Three small index ranges: calls still owed (the partial
    index of uncalled, unclosed issues), and for a past moment those called or closed since."""
    owed = issue_select(store.indexed_by("issues_follow_up"))
    sql = (
        f"{owed} WHERE i.follow_up_due IS NOT NULL AND i.called_at IS NULL AND i.closed_at IS NULL"
        " AND i.follow_up_due < $1 AND i.resolved_at <= $1"
        f" UNION ALL {ISSUE_SELECT} WHERE i.follow_up_due IS NOT NULL AND i.called_at IS NOT NULL AND i.called_at > $1"
        " AND i.follow_up_due < $1 AND i.resolved_at <= $1"
        f" UNION ALL {ISSUE_SELECT} WHERE i.follow_up_due IS NOT NULL AND i.called_at IS NULL AND i.closed_at IS NOT NULL"
        " AND i.closed_at > $1 AND i.follow_up_due < $1 AND i.resolved_at <= $1"
    )
    return store.conn.execute(sql, (at_text,)).fetchall()


def _conditions(store: Store, f: IssueFilter) -> list[Condition]:
    """SQL conditions of a filter, but the handler's (see `_candidates`)."""
    where = []
    for column, value in (("kind", f.kind), ("category", f.category), ("channel", f.channel),
                          ("building", f.building), ("grid", f.grid)):
        if value is not None:
            where.append(Condition("i." + column + " = {}", (value,)))
    if f.household:
        from redprop.households import get_household

        where.append(Condition("i.household_id = {}", (get_household(store, f.household)["id"],)))
    if f.household_id is not None:
        where.append(Condition("i.household_id = {}", (f.household_id,)))
    if f.tier:
        where.append(Condition("(i.tier = {} OR i.replay = 1)", (f.tier,)))
    if f.search:
        from redprop.parsing import contains_pattern, normalize_name

        # the reporter is a name: matched without spaces, as names are kept (`赵 强` finds 赵强)
        where.append(Condition(
            "(" + " OR ".join(f"i.{c} LIKE {{0}} ESCAPE '\\'" for c in ("title", "description", "place"))
            + " OR replace(replace(i.reporter, ' ', ''), '\u3000', '') LIKE {1} ESCAPE '\\')",
            (contains_pattern(f.search.strip()), contains_pattern(normalize_name(f.search).replace(" ", "")))))
    if f.reported_from:
        where.append(Condition("i.reported_at >= {}", (to_db(f.reported_from),)))
    if f.reported_to:
        where.append(Condition("i.reported_at < {}", (to_db(f.reported_to),)))
    return where


def _unfinished_path(f: IssueFilter) -> bool:
    return f.status == "open" or f.status in UNFINISHED or f.overdue


def _candidates(store: Store, moment: Moment, f: IssueFilter, count: bool = False):
    """The rows that may be listed, newest report first, as a stream: unfinished ones through
    their small index; any others newest first through the index of what is filtered, stopping
    where the caller stops. A handler's issues are two streams merged: those read off their cache
    (handler index) and the few whose past must be replayed (reassigned or waited: any handler)."""
    conn = store.conn
    where = _conditions(store, f)
    handler_id = staff_id(conn, f.handler) if f.handler else None
    reported = Condition("i.reported_at <= {}", (moment.text,))
    if _unfinished_path(f):
        if count:  # counted by listing them (count_issues): not read here as well
            return None
        if handler_id is not None:
            where.append(Condition("(i.handler_id = {} OR i.replay = 1)", (handler_id,)))
        rows = unfinished_rows(store, moment.text, where, moment.text if f.overdue else None)
        if f.voided:
            rows += _select(store, [Condition("i.voided_at IS NOT NULL"), reported, *where]).fetchall()
        return iter(sorted(rows, key=lambda r: (r["reported_at"], r["id"]), reverse=True))
    filters = where
    where = [reported, *where]
    if not f.voided:
        where.append(Condition("i.voided_at IS NULL"))
    if f.status in ("done", *FINISHED):
        where.append(Condition("(i.resolved_at <= {} OR i.replay = 1)", (moment.text,)))
    streams = [(where, "")]
    cached = None
    if handler_id is not None or f.status not in ("all", "done"):
        # Read off the cache (by the handler's or the status's index), the cached status being the
        # state after every step, so exact for a moment after an issue's last one; and the few
        # whose past must be replayed, or whose last step came after the moment (none, as of now:
        # that stream, which no index orders by report, is left out when it would be empty).
        cached = (Condition("i.handler_id = {}", (handler_id,)) if handler_id is not None
                  else Condition("i.status = {}", (f.status,)))
        streams = [(where + [cached, Condition("i.replay = 0"), Condition("i.last_step_at <= {}", (moment.text,))], ""),
                   (where + [Condition("i.replay = 1")], "")]
        if _stepped_after(conn, moment.text):  # read off the index of last steps, then sorted
            streams.append((where + [Condition("i.replay = 0"), Condition("i.last_step_at > {}", (moment.text,))],
                            store.indexed_by("issues_last_step")))
    if count:
        if cached is None and f.status in ("done", *FINISHED):
            cached = Condition("i.resolved_at <= {}", (moment.text,))
        return _count(store, moment, filters, cached, f.voided)
    cursors = [_select(store, stream, hint, " ORDER BY i.reported_at DESC, i.id DESC", f.limit or 100)
               for stream, hint in streams]
    if len(cursors) == 1:
        return cursors[0]
    import heapq

    return heapq.merge(*cursors, key=lambda r: (r["reported_at"], r["id"]), reverse=True)


def _select(store: Store, where: list[Condition], hint: str = "", order: str = "", first: int = 0):
    """A cursor over the issues meeting every condition (read through the index `hint` names);
    with an `order`, a stream read as far as the caller reads (`first`: how far it may)."""
    p = Params()
    sql = f"{issue_select(hint)} WHERE {p.where(where)}{order}"
    return store.stream(sql, p, first) if order else store.conn.execute(sql, p)


def _stepped_after(conn, moment: str) -> bool:
    return conn.execute("SELECT 1 FROM issues WHERE last_step_at > $1 LIMIT 1", (moment,)).fetchone() is not None


def _count(store: Store, moment: Moment, filters: list[Condition], cached: Condition | None, voided: bool) -> int:
    """How many issues a filter matches, off the cache (exact as of now; for a past moment an
    estimate), counted no further than COUNT_BOUND + 1 (more: "more than"): the issues reported
    by the moment that the index of the filter holds, less the voided ones among them (read off
    their own small index) — so that the count reads neither the rows to look at their voided
    mark nor, past the bound, the entries of a million issues."""
    conn = store.conn
    where = [Condition("i.reported_at <= {}", (moment.text,)), *filters] + ([cached] if cached else [])
    params = Params()
    condition = params.where(where)
    void = 0 if voided else conn.execute(
        f"SELECT count(*) FROM issues i {store.indexed_by('issues_voided')} WHERE i.voided_at IS NOT NULL AND {condition}",
        params).fetchone()[0]
    total = conn.execute(bounded_count(f"SELECT 1 FROM issues i WHERE {condition}", COUNT_BOUND + void), params).fetchone()[0]
    return total - void


def list_issues(store: Store, at: datetime, f: IssueFilter):
    """Issues as things stood at `at`, newest report first, as a stream (no further than f.limit)."""
    moment = Moment(store, at)
    for row, state, outcomes in _listed(store, moment, f):
        yield issue_record(row, state, outcomes, moment)


def _listed(store: Store, moment: Moment, f: IssueFilter):
    """What `list_issues` lists, before it is made a record: (row, state, outcomes) each."""
    import itertools

    rows = _candidates(store, moment, f)
    handler = f.handler.strip() if f.handler else None
    listed = 0
    while True:
        # read as many as are still wanted (a page of 50 reads 50 rows, not 200, when most are
        # listed), at most 200 at a time
        chunk = list(itertools.islice(rows, min(200, f.limit - listed) if f.limit else 200))
        if not chunk:
            return
        for row, state, _ in moment.states(chunk):
            status = state.status
            if f.status == "open" and status in FINISHED or f.status == "done" and status not in FINISHED:
                continue
            if f.status not in ("open", "done", "all") and status != f.status:
                continue
            if handler and state.handler != handler or f.tier and state.tier != f.tier:
                continue
            outcomes = moment.outcomes(row, state)
            if f.overdue and (status in FINISHED or not any(o.state == "overdue"
                                                             for o in outcomes + moment.order_outcomes(row, state))):
                continue
            yield row, state, outcomes
            listed += 1
            if f.limit and listed == f.limit:
                return


def count_issues(store: Store, at: datetime, f: IssueFilter) -> int:
    """How many issues `list_issues` lists without a limit: counted in SQL off the cached state
    (exact as of now; for a past moment, with a handler or a status, an estimate) no further than
    COUNT_BOUND + 1, or, for the unfinished ones, by listing them (they are few)."""
    moment = Moment(store, at)
    counted = _candidates(store, moment, f, count=True)
    if counted is None:
        return sum(1 for _ in _listed(store, moment, f._replace(limit=None)))
    return counted
