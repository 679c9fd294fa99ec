"""Promises at a moment: each deadline of an issue, kept, missed, overdue, pending or paused.

Deadlines come from the policy in force when the issue was reported, for its tier,
counted from the report; a change of tier recomputes them from the same report time and
the same policy; a later policy change does not touch them. An issue imported with its
own due time has that as its one (resolution) deadline, fixed. A promise is met by its
step (arrival, written plan, resolution); arriving or planning is also taken as met when
the issue is resolved without that step. While an issue sits in a pause status of its
policy its clocks stop; after a reopen, the time it sat resolved does not count against
the resolution promise (the clock resumes where it stopped, as help-desk SLA engines do),
so a hasty resolution that failed is late only by the time really lost.

The follow-up call (回访) is a promise of its own, counted from the current resolution: kept
by the first rating after it (`issue rate`). An issue imported from another system has none.
A deadline counted across a year whose holiday arrangement is not loaded is *provisional*.
"""

from datetime import datetime
from typing import NamedTuple

from redprop.issues.lifecycle import State, Step, replay, state_from_row
from redprop.issues.records import PROVISIONAL_BITS, history
from redprop.parsing import from_db, to_db
from redprop.policy.terms import TermsCache
from redprop.store import Store
from redprop.vocab import PROMISES


class Outcome(NamedTuple):  # not a dataclass: one costs half a millisecond of every start
    """One promise of one issue as things stood at a moment."""

    promise: str
    due: str | None  # effective deadline (pauses counted); None while an open pause stops the clock
    met_at: str | None
    state: str  # kept / missed / overdue / pending / paused
    provisional: bool = False  # counted across a year whose holiday arrangement is not loaded


class Moment:
    """Reads issues as things stood at one moment, sharing the policies it has read."""

    def __init__(self, store: Store, at: datetime):
        self.store = store
        self.at = at
        self.text = to_db(at)
        self.tz = store.tz
        self.terms = TermsCache(store)
        self._known_years = None
        self._orders: dict = {}
        self._upstream = None

    def upstream(self, grid: str | None, category: str) -> tuple[str | None, str | None]:
        """The codes that go up of an issue's grid point (15 digits) and category (the class the
        platforms file it under), read once per moment."""
        if self._upstream is None:
            conn = self.store.conn
            self._upstream = (dict(conn.execute("SELECT code, upstream_code FROM grids WHERE upstream_code IS NOT NULL")),
                              dict(conn.execute("SELECT code, upstream FROM issue_categories WHERE upstream IS NOT NULL")))
        grids, categories = self._upstream
        return grids.get(grid), categories.get(category)

    def order_row(self, issue_id: int):
        """The `orders` row of an issue that carries a work order (read once per moment)."""
        if issue_id not in self._orders:
            self._orders[issue_id] = self.store.conn.execute("SELECT * FROM orders WHERE issue_id = $1",
                                                             (issue_id,)).fetchone()
        return self._orders[issue_id]

    def states(self, rows) -> list[tuple[object, State, list[Step] | None]]:
        """(row, state at the moment, steps if they had to be read) for issues reported by then."""
        rows = [r for r in rows if r["reported_at"] <= self.text]
        need = [r for r in rows if r["replay"]]
        steps = history(self.store.conn, need) if need else {}
        result = []
        for row in rows:
            if row["replay"]:
                result.append((row, replay(row, steps[row["id"]], self.text, self.tz), steps[row["id"]]))
            else:
                result.append((row, state_from_row(row, self.text, self.tz), None))
        return result

    def base_deadlines(self, row, tier: str) -> dict[str, str | None]:
        if row["own_due_at"]:
            return {"arrive": None, "resolve": row["own_due_at"], "plan": None}
        if tier == row["tier"]:
            return {"arrive": row["arrive_due"], "resolve": row["resolve_due"], "plan": row["plan_due"]}
        dues = self.terms.get(row["policy_id"]).base_deadlines(row["kind"], tier, from_db(row["reported_at"]))
        return {p: to_db(d) if d else None for p, d in dues.items()}

    def _provisional(self, row, promise: str, due: str | None, recounted: bool) -> bool:
        """Whether this deadline was counted across a year not loaded: the row says so for the
        stored deadlines; one recounted here (paused, re-tiered) is checked again."""
        if due is None or row["own_due_at"]:
            return False
        if not recounted:
            return bool(row["provisional"] & PROVISIONAL_BITS[promise])
        if row["policy_id"] is None:
            return False
        terms = self.terms.get(row["policy_id"])
        if terms.schedule is None:
            return False
        start = row["reported_at"] if promise != "follow_up" else None
        return bool(terms.provisional_years(from_db(start or due), from_db(due)))

    def outcomes(self, row, state: State) -> list[Outcome]:
        """Each promise: its effective deadline and whether it was kept, missed, is overdue or pending."""
        now = self.text
        bases = self.base_deadlines(row, state.tier)
        retiered = state.tier != row["tier"]
        results = []
        for promise in PROMISES:
            base = bases[promise]
            if base is None:
                continue
            if promise == "resolve":
                met = state.resolved_at
            else:
                done = state.arrived_at if promise == "arrive" else state.planned_at
                met = min(filter(None, (done, state.first_resolved_at)), default=None)
            due = base
            recounted = retiered
            if (state.holds or (promise == "resolve" and state.finished)) and not row["own_due_at"]:
                due = self._paused_deadline(row, state, promise, met or now)
                recounted = recounted or due != base
            if met is not None:
                outcome = "kept" if due is None or met <= due else "missed"
            elif due is None:
                outcome = "paused"
            else:
                outcome = "overdue" if due < now else "pending"
            results.append(Outcome(promise, due, met, outcome, self._provisional(row, promise, due, recounted)))
        return results

    def order_outcomes(self, row, state: State) -> list[Outcome]:
        """A work order's two deadlines beside the issue's promises: signed for within the
        policy's limit (kept by the signing, or by closing it unsigned) and closed (结案) by
        its deadline after extensions. None for an issue without an order, or one returned."""
        order = state.order
        if order is None or order.returned_at:
            return []
        results = []
        if row["policy_id"] is not None:
            signing = self.terms.get(row["policy_id"]).sign_deadline(from_db(order.dispatched_at))
            if signing is not None:
                results.append(self._outcome("sign", to_db(signing), order.signed_at or order.closed_at))
        results.append(self._outcome("order", order.due_at, order.closed_at))
        return results

    def _outcome(self, promise: str, due: str, met: str | None) -> Outcome:
        if met is not None:
            return Outcome(promise, due, met, "kept" if met <= due else "missed")
        return Outcome(promise, due, None, "overdue" if due < self.text else "pending")

    def follow_up(self, row, state: State) -> Outcome | None:
        """The follow-up call after the current resolution, or None (unresolved, or no such promise)."""
        if not state.resolved_at or row["source"] == "import" or row["policy_id"] is None:
            return None
        if row["resolved_at"] == state.resolved_at:
            due = row["follow_up_due"]
            provisional = bool(row["provisional"] & PROVISIONAL_BITS["follow_up"])
        else:  # as of a moment before a later resolution
            terms = self.terms.get(row["policy_id"])
            resolved = from_db(state.resolved_at)
            counted = terms.follow_up_deadline(resolved)
            due = to_db(counted) if counted else None
            provisional = bool(counted and terms.provisional_years(resolved, counted))
        if due is None:
            return None
        met = state.called_at
        if met is not None:
            outcome = "kept" if met <= due else "missed"
        else:
            outcome = "overdue" if due < self.text else "pending"
        return Outcome("follow_up", due, met, outcome, provisional)

    def unknown_years(self, outcomes, reported_at: str) -> list[int]:
        """The years not loaded in the holiday calendar behind these provisional deadlines."""
        provisional = [o for o in outcomes if o and o.provisional and o.due]
        if not provisional:
            return []
        years = set()
        calendar = self.terms.calendar
        for o in provisional:
            start = reported_at if o.promise != "follow_up" else o.due
            first, last = (from_db(t).astimezone(self.tz).date() for t in (min(start, o.due), o.due))
            years.update(calendar.unknown_years(first, last))
        return sorted(years)

    def _paused_deadline(self, row, state: State, promise: str, limit: str) -> str | None:
        terms = self.terms.get(row["policy_id"])
        spans = [(start, end) for status, start, end in state.holds if status in terms.pause_statuses]
        if promise == "resolve":
            spans += [tuple(span) for span in state.finished]
        spans = [(from_db(s), from_db(e) if e else None) for s, e in spans if s < limit]
        if not spans:
            return self.base_deadlines(row, state.tier)[promise]
        due = terms.deadline(row["kind"], state.tier, promise, from_db(row["reported_at"]), tuple(spans))
        return to_db(due) if due is not None else None

    def minutes(self, text: str) -> int:
        """Minutes from `text` to the moment: positive when the moment is later."""
        return int((self.at - from_db(text)).total_seconds() // 60)


def late_minutes(outcome: Outcome, moment: Moment) -> int | None:
    """How late (positive) or how early (negative) a promise was met, or is as of the moment."""
    if outcome.due is None:
        return None
    end = outcome.met_at or moment.text
    return int((from_db(end) - from_db(outcome.due)).total_seconds() // 60)
