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
"""

from dataclasses import dataclass
from datetime import datetime

from redprop.issues.lifecycle import State, Step, replay, state_from_row
from redprop.issues.records import history
from redprop.parsing import from_db, to_db
from redprop.policy.terms import TermsCache
from redprop.store import Store
from redprop.vocab import PROMISES


@dataclass
class Outcome:
    """One promise of one issue as things stood at a moment."""

    promise: str
    due: str | None  # effective deadline (pauses counted); None while an open pause stops the clock
    met_at: str | None
    state: str  # kept / missed / overdue / pending / paused


class Moment:
    """Reads issues as things stood at one moment, sharing the policies it has read."""

    def __init__(self, store: Store, at: datetime):
        self.store = store
        self.at = at
        self.text = to_db(at)
        self.tz = store.tz
        self.terms = TermsCache(store)

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
        dues = self.terms.get(row["policy_id"]).base_deadlines(tier, from_db(row["reported_at"]))
        return {p: to_db(d) if d else None for p, d in dues.items()}

    def outcomes(self, row, state: State) -> list[Outcome]:
        """Each promise: its effective deadline and whether it was kept, missed, is overdue or pending."""
        now = self.text
        bases = self.base_deadlines(row, state.tier)
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
            if (state.holds or (promise == "resolve" and state.finished)) and not row["own_due_at"]:
                due = self._paused_deadline(row, state, promise, met or now)
            if met is not None:
                outcome = "kept" if due is None or met <= due else "missed"
            elif due is None:
                outcome = "paused"
            else:
                outcome = "overdue" if due < now else "pending"
            results.append(Outcome(promise, due, met, outcome))
        return results

    def _paused_deadline(self, row, state: State, promise: str, limit: str) -> str | None:
        terms = self.terms.get(row["policy_id"])
        spans = [(start, end) for status, start, end in state.holds if status in terms.pause_statuses]
        if promise == "resolve":
            spans += [tuple(span) for span in state.finished]
        spans = [(from_db(s), from_db(e) if e else None) for s, e in spans if s < limit]
        if not spans:
            return self.base_deadlines(row, state.tier)[promise]
        due = terms.deadline(state.tier, promise, from_db(row["reported_at"]), tuple(spans))
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
