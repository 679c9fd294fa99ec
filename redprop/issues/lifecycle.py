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

`State.apply` dispatches each step to the method named for its action; the methods say
what the step does to the state, or why it cannot happen.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from redprop.errors import InvalidValue
from redprop.parsing import from_db, show_time
from redprop.vocab import TIER_CODES, WAITING_CODES

BACKDATED_AFTER = timedelta(hours=1)
REOPEN_AT_RATING = 2  # a follow-up rating this low means it was not really solved
IMPORTED_NOTE = "imported"  # the note on steps an import told; timelines label it in the chosen language


@dataclass
class Step:
    action: str
    at: str
    recorded_at: str
    id: int | None = None
    by: str | None = None
    by_id: int | None = None
    staff: str | None = None
    staff_id: int | None = None
    value: str | None = None
    meeting_at: str | None = None
    decision: str | None = None
    note: str | None = None

    def order(self):
        return (self.at, self.id if self.id is not None else float("inf"))


def backdated(recorded_at: str, at: str) -> bool:
    return from_db(recorded_at) - from_db(at) > BACKDATED_AFTER


@dataclass
class State:
    """An issue as things stood at one moment."""

    reported_at: str
    tier: str
    tz: object = None
    work: str = "new"  # new / assigned / on_site / reopened
    hold: str | None = None  # waiting_resident / waiting_parts / escalated
    handler: str | None = None
    handler_id: int | None = None
    assigned_at: str | None = None
    arrived_at: str | None = None
    planned_at: str | None = None
    first_resolved_at: str | None = None
    resolved_at: str | None = None
    closed_at: str | None = None
    rating: int | None = None
    rated_at: str | None = None
    called_at: str | None = None  # the follow-up call (回访): the first rating since the current resolution
    holds: list = field(default_factory=list)  # [status, from, to or None]
    finished: list = field(default_factory=list)  # [resolved, reopened]: sat resolved
    escalation: dict | None = None
    voided_at: str | None = None  # a correction: the issue should never have been recorded (or is a duplicate)
    duplicate_of: int | None = None
    replay: bool = False  # the cached columns alone cannot tell this past
    last_step_at: str = ""

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
