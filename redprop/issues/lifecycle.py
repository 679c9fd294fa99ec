"""An issue's lifecycle: dated steps, and the state they add up to at any moment. Pure: no store.

An issue is the list of its steps. Every step sits at the time it happened (`at`, from
`--at`) and keeps the time it was typed in (`recorded_at`); an entry typed more than an
hour after it happened is *backdated* and says so. "As of a moment" means as things stood
then: a step that happened later has not happened yet, however early it was typed in.
Times are stored UTC text, which compares in time order.

new → assigned → on site → resolved → closed, with reopen; steps may skip ahead (whoever
is nearest goes on site before anyone is formally assigned). Waiting for the resident or
for parts, and escalation to a joint meeting (联席会议), are holds: they stop the clock
only if the issue's policy names them. Impossible steps are refused with one line:
resolving what is already resolved or closed, closing what is not resolved, anything
dated before the report, a rating before resolution.

An issue may carry a work order from above (12345, the grid centre): dispatched with its
deadline (the `dispatch` step, at the report time), then signed for (`sign`), returned as not
ours (`return`: the issue leaves every count, its history kept), given a later deadline
(`extend`), urged from above (`urge`), replied to (`reply`: what was done, solved or not and
why) and verified (`verify`): a verification that passes closes the order (结案); one that
fails reopens the issue for rework (返工) and wants a new reply. A reply alone never closes
an order, and nothing is verified before it is replied to.

`State.apply` dispatches each step to the method named for its action; the methods say
what the step does to the state, or why it cannot happen.
"""

from datetime import timedelta

from redprop.errors import InvalidValue
from redprop.parsing import from_db, show_time
from redprop.vocab import TIER_CODES, WAITING_CODES

BACKDATED_AFTER = timedelta(hours=1)
REOPEN_AT_RATING = 2  # a follow-up rating this low means it was not really solved
IMPORTED_NOTE = "imported"  # the note on steps an import told; timelines label it in the chosen language


class _Record:
    """What a dataclass would give the three classes below — equality field by field, a repr
    naming the fields — read off their `_fields`. Written out, not dataclasses: making a
    dataclass costs half a millisecond of every start, and each of these is made per issue
    or per step, so its __init__ is written out too."""

    _fields: tuple = ()
    __hash__ = None  # mutable, compared by value: unhashable, as a dataclass

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return tuple(getattr(self, f) for f in self._fields) == tuple(getattr(other, f) for f in other._fields)

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}({', '.join(f'{f}={getattr(self, f)!r}' for f in self._fields)})"


class Step(_Record):
    _fields = ("action", "at", "recorded_at", "id", "by", "by_id", "staff", "staff_id", "value", "meeting_at", "decision",
               "note", "party", "reason")

    def __init__(self, action: str, at: str, recorded_at: str, id: int | None = None, by: str | None = None,
                 by_id: int | None = None, staff: str | None = None, staff_id: int | None = None, value: str | None = None,
                 meeting_at: str | None = None, decision: str | None = None, note: str | None = None,
                 party: str | None = None, reason: str | None = None):
        self.action, self.at, self.recorded_at, self.id = action, at, recorded_at, id
        self.by, self.by_id, self.staff, self.staff_id = by, by_id, staff, staff_id
        self.value, self.meeting_at, self.decision, self.note = value, meeting_at, decision, note
        self.party = party  # extend: who approved it; urge: who urged
        self.reason = reason  # reply: why it was not solved

    def order(self):
        return (self.at, self.id if self.id is not None else float("inf"))


class Order(_Record):
    """The work order an issue carries, as things stood at a moment (who sent it and its number
    are in `orders`; its life is in the issue's steps)."""

    _fields = ("dispatched_at", "due_given", "due_at", "extended", "signed_at", "returned_at", "replied_at", "solved",
               "last_reply_at", "closed_at", "failed", "urged")

    def __init__(self, dispatched_at: str, due_given: str, due_at: str, extended: list | None = None,
                 signed_at: str | None = None, returned_at: str | None = None, replied_at: str | None = None,
                 solved: bool | None = None, last_reply_at: str | None = None, closed_at: str | None = None,
                 failed: list | None = None, urged: list | None = None):
        self.dispatched_at = dispatched_at
        self.due_given = due_given  # the deadline as dispatched
        self.due_at = due_at  # after extensions
        self.extended = [] if extended is None else extended  # [at, old deadline, new deadline]
        self.signed_at, self.returned_at = signed_at, returned_at
        self.replied_at = replied_at  # the reply awaiting verification (None once a verification failed)
        self.solved, self.last_reply_at = solved, last_reply_at
        self.closed_at = closed_at  # 结案: the verification that passed
        self.failed = [] if failed is None else failed  # when verifications failed (返工)
        self.urged = [] if urged is None else urged  # when it was urged (督办)


def backdated(recorded_at: str, at: str) -> bool:
    return from_db(recorded_at) - from_db(at) > BACKDATED_AFTER


class State(_Record):
    """An issue as things stood at one moment."""

    _fields = ("reported_at", "tier", "tz", "work", "hold", "handler", "handler_id", "assigned_at", "arrived_at",
               "planned_at", "first_resolved_at", "resolved_at", "closed_at", "rating", "rated_at", "called_at", "holds",
               "finished", "escalation", "voided_at", "duplicate_of", "replay", "last_step_at", "order")

    def __init__(self, reported_at: str, tier: str, tz: object = None, work: str = "new", hold: str | None = None,
                 handler: str | None = None, handler_id: int | None = None, assigned_at: str | None = None,
                 arrived_at: str | None = None, planned_at: str | None = None, first_resolved_at: str | None = None,
                 resolved_at: str | None = None, closed_at: str | None = None, rating: int | None = None,
                 rated_at: str | None = None, called_at: str | None = None, holds: list | None = None,
                 finished: list | None = None, escalation: dict | None = None, voided_at: str | None = None,
                 duplicate_of: int | None = None, replay: bool = False, last_step_at: str = "",
                 order: Order | None = None):
        self.reported_at, self.tier, self.tz = reported_at, tier, tz
        self.work = work  # new / assigned / on_site / reopened
        self.hold = hold  # waiting_resident / waiting_parts / escalated
        self.handler, self.handler_id, self.assigned_at, self.arrived_at = handler, handler_id, assigned_at, arrived_at
        self.planned_at, self.first_resolved_at, self.resolved_at = planned_at, first_resolved_at, resolved_at
        self.closed_at, self.rating, self.rated_at = closed_at, rating, rated_at
        self.called_at = called_at  # the follow-up call (回访): the first rating since the current resolution
        self.holds = [] if holds is None else holds  # [status, from, to or None]
        self.finished = [] if finished is None else finished  # [resolved, reopened]: sat resolved
        self.escalation = escalation
        self.voided_at = voided_at  # a correction: the issue should never have been recorded (or is a duplicate)
        self.duplicate_of = duplicate_of
        self.replay = replay  # the cached columns alone cannot tell this past
        self.last_step_at = last_step_at
        self.order = order  # a work order from above

    @property
    def returned(self) -> bool:
        """Its order was returned as not ours: the issue counts nowhere, like a voided one."""
        return self.order is not None and self.order.returned_at is not None

    @property
    def status(self) -> str:
        if self.closed_at:
            return "closed"
        if self.resolved_at:
            return "resolved"
        return self.hold or self.work

    def _when(self, text: str) -> str:
        return show_time(text, self.tz) if self.tz else text

    def _end_hold(self, at: str) -> None:
        if self.hold:
            self.holds[-1][2] = at
            self.hold = None

    def _refuse_if_finished(self) -> None:
        if self.closed_at:
            raise InvalidValue("it was closed at {when}; reopen it first", when=self._when(self.closed_at))
        if self.resolved_at:
            raise InvalidValue("it was already resolved at {when}; reopen it first", when=self._when(self.resolved_at))

    def apply(self, step: Step) -> None:
        """Advance by one step, or raise InvalidValue saying why the step is impossible here."""
        if step.action != "open" and step.at < self.reported_at:
            raise InvalidValue("{when} is before it was reported ({reported})",
                               when=self._when(step.at), reported=self._when(self.reported_at))
        method = getattr(self, f"_{step.action}", None)
        if method is None:
            raise InvalidValue("unknown step {action!r}", action=step.action)
        if self.returned and step.action != "note":
            raise InvalidValue("its order was returned at {when}", when=self._when(self.order.returned_at))
        if self.voided_at and step.action != "note":
            raise InvalidValue("it was voided at {when}", when=self._when(self.voided_at))
        method(step)
        if step.at > self.last_step_at:
            self.last_step_at = step.at

    def _open(self, step: Step) -> None:
        pass

    def _note(self, step: Step) -> None:
        pass

    def _assign(self, step: Step) -> None:
        self._refuse_if_finished()
        if self.handler_id is not None:
            self.replay = True
        self.handler, self.handler_id = step.staff, step.staff_id
        self.assigned_at = self.assigned_at or step.at
        if self.work in ("new", "reopened"):
            self.work = "assigned"

    def _arrive(self, step: Step) -> None:
        self._refuse_if_finished()
        self.arrived_at = self.arrived_at or step.at
        self.work = "on_site"
        self._end_hold(step.at)

    def _wait(self, step: Step) -> None:
        self._refuse_if_finished()
        if self.hold == step.value:
            raise InvalidValue("it is already {status}", status=WAITING_CODES.get(step.value))
        self._end_hold(step.at)
        self.holds.append([step.value, step.at, None])
        self.hold = step.value
        self.replay = True

    def _resume(self, step: Step) -> None:
        if not self.hold:
            raise InvalidValue("it is not waiting, so there is nothing to resume")
        self._end_hold(step.at)

    def _escalate(self, step: Step) -> None:
        self._refuse_if_finished()
        at = step.at
        if step.meeting_at and step.meeting_at < self.reported_at:
            raise InvalidValue("the meeting ({meeting}) is before it was reported ({reported})",
                               meeting=self._when(step.meeting_at), reported=self._when(self.reported_at))
        meeting = step.meeting_at or (self.escalation or {}).get("meeting_at")
        if step.decision and meeting and at < meeting:
            raise InvalidValue("the decision is dated {when}, before the meeting it decides ({meeting});"
                               " record it with --at after the meeting", when=self._when(at), meeting=self._when(meeting))
        self.replay = True
        escalation = dict(self.escalation or {"at": at})
        for key, value in (("parties", step.value), ("meeting_at", step.meeting_at), ("decision", step.decision)):
            if value:
                escalation[key] = value
        self.escalation = escalation
        if step.decision:
            if self.hold == "escalated":
                self._end_hold(at)
        elif self.hold != "escalated":
            self._end_hold(at)
            self.holds.append(["escalated", at, None])
            self.hold = "escalated"

    def _plan(self, step: Step) -> None:
        self._refuse_if_finished()
        self.planned_at = self.planned_at or step.at

    def _resolve(self, step: Step) -> None:
        self._refuse_if_finished()
        self._end_hold(step.at)
        self.resolved_at = step.at
        self.first_resolved_at = self.first_resolved_at or step.at
        self.called_at = None  # this resolution's call is still to be made

    def _close(self, step: Step) -> None:
        if self.closed_at:
            raise InvalidValue("it was already closed at {when}", when=self._when(self.closed_at))
        if not self.resolved_at:
            raise InvalidValue("it is not resolved yet; resolve it first (issue resolve)")
        self.closed_at = step.at

    def _reopen(self, step: Step) -> None:
        if not self.resolved_at:
            raise InvalidValue("it is not resolved or closed, so there is nothing to reopen")
        self.finished.append([self.resolved_at, step.at])
        self.resolved_at = self.closed_at = None
        self.work = "reopened"
        self.replay = True

    def _rate(self, step: Step) -> None:
        if not self.resolved_at:
            raise InvalidValue("a rating is the follow-up (回访) after resolution, and it is not resolved")
        if self.rating is not None:
            self.replay = True
        self.rating, self.rated_at = int(step.value), step.at
        self.called_at = self.called_at or step.at

    def _void(self, step: Step) -> None:
        self.voided_at = step.at
        self.duplicate_of = int(step.value) if step.value else None

    # -- a work order from above ----------------------------------------------------------

    def _dispatch(self, step: Step) -> None:
        if self.order is not None:
            raise InvalidValue("it already carries a work order")
        if step.value <= step.at:
            raise InvalidValue("the order's deadline ({due}) is not after its dispatch ({when})",
                               due=self._when(step.value), when=self._when(step.at))
        self.order = Order(dispatched_at=step.at, due_given=step.value, due_at=step.value)
        self.replay = True  # the cached columns do not tell an order's past

    def _open_order(self) -> Order:
        """The order, still to be handled: not closed (verified), not returned."""
        order = self.order
        if order is None:
            raise InvalidValue("it carries no work order (an order is given when the issue is opened: --order)")
        if order.closed_at:
            raise InvalidValue("its order was closed (verified) at {when}", when=self._when(order.closed_at))
        return order

    def _sign(self, step: Step) -> None:
        order = self._open_order()
        if order.signed_at:
            raise InvalidValue("its order was already signed for at {when}", when=self._when(order.signed_at))
        order.signed_at = step.at

    def _return(self, step: Step) -> None:
        order = self._open_order()
        order.returned_at = step.at
        self.voided_at = step.at  # not ours: out of every list of work and every count but the returns

    def _extend(self, step: Step) -> None:
        order = self._open_order()
        if step.value <= order.due_at:
            raise InvalidValue("the new deadline {new} is not after the deadline it extends ({old})",
                               new=self._when(step.value), old=self._when(order.due_at))
        order.extended.append([step.at, order.due_at, step.value])
        order.due_at = step.value

    def _urge(self, step: Step) -> None:
        self._open_order().urged.append(step.at)

    def _reply(self, step: Step) -> None:
        order = self._open_order()
        solved = step.value == "yes"
        if solved and not self.resolved_at:
            raise InvalidValue("the reply says solved, but the issue is not resolved; resolve it first (issue resolve)")
        order.replied_at = order.last_reply_at = step.at
        order.solved = solved

    def _verify(self, step: Step) -> None:
        order = self._open_order()
        if order.replied_at is None:
            if order.failed:
                raise InvalidValue("nothing to verify: its rework has no new reply yet (issue reply)")
            raise InvalidValue("nothing to verify: its order has no reply yet (issue reply)")
        if step.value == "passed":
            order.closed_at = step.at
            return
        order.failed.append(step.at)
        order.replied_at = order.solved = None
        if self.resolved_at:  # rework: the issue is open again
            self.finished.append([self.resolved_at, step.at])
            self.resolved_at = self.closed_at = None
            self.work = "reopened"

    def _retier(self, step: Step) -> None:
        if self.closed_at:
            raise InvalidValue("it was closed at {when}; reopen it first", when=self._when(self.closed_at))
        if step.value == self.tier:
            raise InvalidValue("it is already {tier}", tier=TIER_CODES.get(step.value))
        self.tier = step.value
        self.replay = True


def replay(row, steps: list[Step], until: str | None = None, tz=None) -> State:
    """The state after the steps that happened by `until` (all of them without it)."""
    state = State(reported_at=row["reported_at"], tier=first_tier(row, steps), tz=tz)
    for step in steps:
        if until is not None and step.at > until:
            break
        state.apply(step)
    return state


def first_tier(row, steps: list[Step]) -> str:
    """The tier the issue was reported with: the open step's value, else the row's tier."""
    for step in steps:
        if step.action == "open" and step.value:
            return step.value
    return row["tier"]


def state_from_row(row, until: str, tz=None) -> State:
    """The state at `until` of an issue whose cached columns tell its whole past (replay = 0)."""
    state = State(reported_at=row["reported_at"], tier=row["tier"], tz=tz, last_step_at=row["last_step_at"])
    assigned = row["assigned_at"]
    if assigned and assigned <= until:
        state.handler, state.handler_id, state.assigned_at, state.work = row["handler"], row["handler_id"], assigned, "assigned"
    arrived = row["arrived_at"]
    if arrived and arrived <= until:
        state.arrived_at, state.work = arrived, "on_site"
    if row["planned_at"] and row["planned_at"] <= until:
        state.planned_at = row["planned_at"]
    resolved = row["resolved_at"]
    if resolved and resolved <= until:
        state.resolved_at = state.first_resolved_at = resolved
        if row["closed_at"] and row["closed_at"] <= until:
            state.closed_at = row["closed_at"]
        if row["rated_at"] and row["rated_at"] <= until:
            state.rating, state.rated_at = row["rating"], row["rated_at"]
        if row["called_at"] and row["called_at"] <= until:
            state.called_at = row["called_at"]
    return state


def imported_steps(facts) -> list[Step]:
    """The steps an imported issue's facts tell, in time order: reported (with its tier),
    assigned to the handler at the report time (the file does not say when), on site, written
    plan, resolved, closed and rated at the resolution time. `facts` is an issue row, or the
    same keys from an import row."""
    reported, stamp = facts["reported_at"], facts["recorded_at"]
    handler, handler_id = facts["handler"], facts["handler_id"]
    steps = [Step("open", reported, stamp, value=facts["tier"], note=IMPORTED_NOTE)]
    if handler_id is not None:
        steps.append(Step("assign", reported, stamp, staff=handler, staff_id=handler_id))
    for action, column in (("arrive", "arrived_at"), ("plan", "planned_at"), ("resolve", "resolved_at"),
                           ("close", "closed_at")):
        if facts[column]:
            steps.append(Step(action, facts[column], stamp, by=handler, by_id=handler_id))
    if facts["rating"] is not None:
        steps.append(Step("rate", facts["resolved_at"], stamp, by=handler, by_id=handler_id, value=str(facts["rating"])))
    for i, step in enumerate(steps, start=1):  # on ties, in this order, before any step typed in later
        step.id = -100 + i
    return steps
