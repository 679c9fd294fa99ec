"""Residents' issues (问题清单 / 需求清单): a lifecycle of dated steps, and the state at any moment.

An issue is the list of its steps. Every step sits at the time it happened (`at`, from
`--at`) and keeps the time it was typed in (`recorded_at`); an entry typed more than an
hour after it happened is *backdated* and says so. "As of a moment" means as things
stood then: an issue reported later does not exist yet, a step that happened later has
not happened yet, however early it was typed in. `replay` rebuilds the state at any
moment from the steps; a cache of the state after all steps sits on the issue row
(`cache_columns`), and for the great majority of issues — one handler, no waiting, no
reopening, no change of tier — it is enough to read any past moment off the cache too
(`state_from_row`). The others carry `replay = 1` and have their steps read. An imported
issue's steps are read off its own columns (`imported_steps`) until a worker adds one.

Lifecycle: new → assigned → on site → resolved → closed, with reopen; steps may skip
ahead (whoever is nearest goes on site before anyone is formally assigned). Waiting for
the resident or for parts, and escalation to a joint meeting (联席会议), are holds: they
stop the clock only if the issue's policy names them. Impossible steps are refused with
one line: resolving what is already resolved or closed, closing what is not resolved,
anything dated before the report, a rating outside 1-5 or before resolution. A step typed
in late may land between earlier-recorded ones; the whole history is replayed and a step
that would make a later one impossible is refused too.

Deadlines (promises): each issue takes them from the policy in force when it was reported,
for its tier, counted from the report; a change of tier recomputes them from the same
report time and the same policy; a later policy change does not touch them. An issue
imported with its own due time has that as its one (resolution) deadline, fixed. A
promise is met by its step (arrival, written plan, resolution); arriving or planning is
also taken as met when the issue is resolved without that step. While an issue sits in a
pause status of its policy its clocks stop; after a reopen, the time it sat resolved does
not count against the resolution promise (the clock resumes where it stopped, as
help-desk SLA engines do), so a hasty resolution that failed is late only by the time
really lost.
"""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from redprop.vocab import Catalogue, Code
from redprop.store import Store
from redprop.errors import InvalidValue, NotFound
from redprop.policy.terms import PROMISES, WAITING_CODES, TermsCache
from redprop.parsing import from_db, show_local_iso, show_time, to_db

BACKDATED_AFTER = timedelta(hours=1)
IMPORTED_NOTE = "imported"  # the note on steps an import told; timelines label it in the chosen language
LONG_OPEN = timedelta(days=7)  # issues resolved later than this after their report are flagged `open_long`

KINDS = Catalogue("kind", [
    Code("problem", "问题", "Problem", ("问题清单",)),
    Code("wish", "需求", "Wish", ("需求清单", "愿望", "心愿", "demand")),
])
CHANNELS = Catalogue("channel", [
    Code("window", "一站式窗口", "One-stop window", ("窗口", "一站式", "服务窗口")),
    Code("hotline", "热线/服务点", "Hotline / service point", ("热线", "服务点", "电话", "1890", "phone")),
    Code("wechat", "微信群", "WeChat group", ("微信", "weixin")),
    Code("wish_wall", "许愿墙", "Wish wall", ("心愿墙",)),
    Code("patrol", "巡查", "Patrol", ("巡逻", "巡查发现")),
    Code("visit", "走访", "Home visit", ("入户", "入户走访")),
    Code("other", "其他", "Other"),
])
STATUSES = Catalogue("status", [
    Code("new", "待派单", "New", ("待处理", "新建", "未处理", "已受理", "pending", "reported")),
    Code("assigned", "已派单", "Assigned", ("处理中", "办理中", "已分派", "in_progress")),
    Code("on_site", "已到场", "On site", ("到场", "现场处理")),
    Code("waiting_resident", "等待居民", "Waiting for the resident"),
    Code("waiting_parts", "等待配件", "Waiting for parts"),
    Code("escalated", "联席会议", "Escalated to a joint meeting", ("提交联席会议", "已上报")),
    Code("reopened", "重新打开", "Reopened", ("重开",)),
    Code("resolved", "已解决", "Resolved", ("已完成", "已处理", "解决", "solved", "done")),
    Code("closed", "已关闭", "Closed", ("已办结", "办结", "结案", "关闭")),
])
UNFINISHED = ("new", "assigned", "on_site", "waiting_resident", "waiting_parts", "escalated", "reopened")
FINISHED = ("resolved", "closed")
ACTIONS = Catalogue("step", [
    Code("open", "报告", "Reported"),
    Code("assign", "派单", "Assigned"),
    Code("arrive", "到场", "On site"),
    Code("wait", "等待", "Waiting"),
    Code("resume", "恢复处理", "Resumed"),
    Code("plan", "书面方案", "Written plan"),
    Code("escalate", "联席会议", "Joint meeting"),
    Code("resolve", "解决", "Resolved"),
    Code("close", "关闭", "Closed"),
    Code("reopen", "重新打开", "Reopened"),
    Code("rate", "回访评价", "Follow-up rating"),
    Code("note", "备注", "Note"),
    Code("retier", "调整等级", "Tier changed"),
])
PARTIES = Catalogue("party", [
    Code("residents_committee", "居委会", "Residents' committee", ("社区居委会", "居民委员会")),
    Code("owners_committee", "业委会", "Owners' committee", ("业主委员会",)),
    Code("property_company", "物业公司", "Property company", ("物业", "红色物业")),
    Code("party_committee", "社区党委", "Community party committee", ("党委", "社区党组织")),
    Code("housing_office", "房管部门", "Housing office", ("房管所", "房管局")),
    Code("police", "派出所", "Police station", ("公安", "警务室")),
    Code("other", "其他", "Other"),
])
DEFAULT_PARTIES = ("residents_committee", "owners_committee", "property_company")
OUTCOMES = Catalogue("outcome", [
    Code("kept", "按时", "Kept"),
    Code("missed", "超时完成", "Missed"),
    Code("overdue", "已超时", "Overdue"),
    Code("pending", "未到期", "Pending"),
    Code("paused", "暂停计时", "Paused"),
])
VERBS = {
    "open": "open", "assign": "assign", "arrive": "record arrival on", "wait": "put on hold",
    "resume": "resume", "plan": "record a plan for", "escalate": "escalate", "resolve": "resolve",
    "close": "close", "reopen": "reopen", "rate": "rate", "note": "add a note to", "retier": "change the tier of",
}


def load_categories(store: Store) -> Catalogue:
    """The community's category catalogue (editable with `issue category`)."""
    rows = store.conn.execute("SELECT code, zh, en FROM issue_categories ORDER BY position, code").fetchall()
    return Catalogue("category", [Code(r["code"], r["zh"], r["en"]) for r in rows])


def parse_issue_id(text) -> int:
    raw = str(text).strip().lstrip("#＃").strip()
    if not raw.isdigit():
        raise InvalidValue(f"{text!r} is not an issue number (like 37 or #37)")
    return int(raw)


# ---------------------------------------------------------------------------------------
# Steps and the state they add up to. Times are stored UTC text, which compares in time order.


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
    holds: list = field(default_factory=list)  # [status, from, to or None]
    finished: list = field(default_factory=list)  # [resolved, reopened]: sat resolved
    escalation: dict | None = None
    replay: bool = False
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
            raise InvalidValue(f"it was closed at {self._when(self.closed_at)}; reopen it first")
        if self.resolved_at:
            raise InvalidValue(f"it was already resolved at {self._when(self.resolved_at)}; reopen it first")

    def apply(self, step: Step) -> None:
        """Advance by one step, or raise InvalidValue saying why the step is impossible here."""
        action, at = step.action, step.at
        if action != "open" and at < self.reported_at:
            raise InvalidValue(f"{self._when(at)} is before it was reported ({self._when(self.reported_at)})")
        if action == "assign":
            self._refuse_if_finished()
            if self.handler_id is not None:
                self.replay = True
            self.handler, self.handler_id = step.staff, step.staff_id
            self.assigned_at = self.assigned_at or at
            if self.work in ("new", "reopened"):
                self.work = "assigned"
        elif action == "arrive":
            self._refuse_if_finished()
            self.arrived_at = self.arrived_at or at
            self.work = "on_site"
            self._end_hold(at)
        elif action == "wait":
            self._refuse_if_finished()
            if self.hold == step.value:
                raise InvalidValue(f"it is already {WAITING_CODES.label(step.value, 'en').lower()}")
            self._end_hold(at)
            self.holds.append([step.value, at, None])
            self.hold = step.value
            self.replay = True
        elif action == "resume":
            if not self.hold:
                raise InvalidValue("it is not waiting, so there is nothing to resume")
            self._end_hold(at)
        elif action == "escalate":
            self._refuse_if_finished()
            if step.meeting_at and step.meeting_at < self.reported_at:
                raise InvalidValue(
                    f"the meeting ({self._when(step.meeting_at)}) is before it was reported ({self._when(self.reported_at)})"
                )
            meeting = step.meeting_at or (self.escalation or {}).get("meeting_at")
            if step.decision and meeting and at < meeting:
                raise InvalidValue(
                    f"the decision is dated {self._when(at)}, before the meeting it decides ({self._when(meeting)});"
                    " record it with --at after the meeting"
                )
            self.replay = True
            escalation = dict(self.escalation or {"at": at})
            for key in ("parties", "meeting_at", "decision"):
                value = {"parties": step.value, "meeting_at": step.meeting_at, "decision": step.decision}[key]
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
        elif action == "plan":
            self._refuse_if_finished()
            self.planned_at = self.planned_at or at
        elif action == "resolve":
            self._refuse_if_finished()
            self._end_hold(at)
            self.resolved_at = at
            self.first_resolved_at = self.first_resolved_at or at
        elif action == "close":
            if self.closed_at:
                raise InvalidValue(f"it was already closed at {self._when(self.closed_at)}")
            if not self.resolved_at:
                raise InvalidValue("it is not resolved yet; resolve it first (issue resolve)")
            self.closed_at = at
        elif action == "reopen":
            if not self.resolved_at:
                raise InvalidValue("it is not resolved or closed, so there is nothing to reopen")
            self.finished.append([self.resolved_at, at])
            self.resolved_at = self.closed_at = None
            self.work = "reopened"
            self.replay = True
        elif action == "rate":
            if not self.resolved_at:
                raise InvalidValue("a rating is the follow-up (回访) after resolution, and it is not resolved")
            if self.rating is not None:
                self.replay = True
            self.rating, self.rated_at = int(step.value), at
        elif action == "retier":
            if self.closed_at:
                raise InvalidValue(f"it was closed at {self._when(self.closed_at)}; reopen it first")
            if step.value == self.tier:
                raise InvalidValue(f"it is already {step.value}")
            self.tier = step.value
            self.replay = True
        elif action not in ("open", "note"):
            raise InvalidValue(f"unknown step {action!r}")
        if at > self.last_step_at:
            self.last_step_at = at


def replay(row, steps: list[Step], until: str | None = None, tz=None) -> State:
    """The state after the steps that happened by `until` (all of them without it)."""
    state = State(reported_at=row["reported_at"], tier=_first_tier(row, steps), tz=tz)
    for step in steps:
        if until is not None and step.at > until:
            break
        state.apply(step)
    return state


def _first_tier(row, steps: list[Step]) -> str:
    """The tier the issue was reported with: the open step's value, else the row's tier."""
    for step in steps:
        if step.action == "open" and step.value:
            return step.value
    return row["tier"]


def state_from_row(row, until: str, tz=None) -> State:
    """The state at `until` of an issue whose cache tells its whole past (replay = 0)."""
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
    return state


# ---------------------------------------------------------------------------------------
# Reading issues: the row with its household and handler, the steps, the promises.

ISSUE_SELECT = (
    "SELECT i.*, h.key AS household_key, s.name AS handler FROM issues i"
    " LEFT JOIN households h ON h.id = i.household_id LEFT JOIN staff s ON s.id = i.handler_id"
)


def load_steps(conn, issue_ids: list[int]) -> dict[int, list[Step]]:
    """The steps of these issues in time order (ties in the order they were typed in)."""
    result: dict[int, list[Step]] = {i: [] for i in issue_ids}
    for start in range(0, len(issue_ids), 500):
        chunk = issue_ids[start:start + 500]
        for r in conn.execute(
            "SELECT st.*, b.name AS by_name, t.name AS staff_name FROM issue_steps st"
            " LEFT JOIN staff b ON b.id = st.by_id LEFT JOIN staff t ON t.id = st.staff_id"
            f" WHERE st.issue_id IN ({','.join('?' * len(chunk))}) ORDER BY st.issue_id, st.at, st.id",
            chunk,
        ):
            result[r["issue_id"]].append(Step(
                r["action"], r["at"], r["recorded_at"], r["id"], r["by_name"], r["by_id"], r["staff_name"],
                r["staff_id"], r["value"], r["meeting_at"], r["decision"], r["note"],
            ))
    return result


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


def history(conn, rows) -> dict[int, list[Step]]:
    """The steps of these issues: from issue_steps, or read off the row while `imported_steps`."""
    result = load_steps(conn, [r["id"] for r in rows])
    for row in rows:
        if row["imported_steps"]:
            result[row["id"]] = sorted(imported_steps(row) + result[row["id"]], key=Step.order)
    return result


def get_issue_row(conn, issue_id: int):
    row = conn.execute(f"{ISSUE_SELECT} WHERE i.id = ?", (issue_id,)).fetchone()
    if row is None:
        raise NotFound(f"no issue #{issue_id}")
    return row


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


def backdated(recorded_at: str, at: str) -> bool:
    return from_db(recorded_at) - from_db(at) > BACKDATED_AFTER


def late_minutes(outcome: Outcome, moment: Moment) -> int | None:
    """How late (positive) or how early (negative) a promise was met, or is as of the moment."""
    if outcome.due is None:
        return None
    end = outcome.met_at or moment.text
    return int((from_db(end) - from_db(outcome.due)).total_seconds() // 60)


def issue_record(row, state: State, outcomes: list[Outcome], moment: Moment) -> dict:
    """The shape of an issue in JSON and listings: slugs for codes, local ISO times."""
    tz = moment.tz
    iso = lambda text: show_local_iso(text, tz)  # noqa: E731
    return {
        "id": row["id"],
        "title": row["title"],
        "kind": row["kind"],
        "category": row["category"],
        "channel": row["channel"],
        "household": row["household_key"],
        "place": row["place"],
        "building": row["building"],
        "grid": row["grid"],
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
        "overdue": any(o.state == "overdue" for o in outcomes),
        "deadlines": [
            {"promise": o.promise, "due_at": iso(o.due), "met_at": iso(o.met_at), "state": o.state,
             "late_minutes": late_minutes(o, moment)}
            for o in outcomes
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
        "value": json.loads(step.value) if step.action == "note" and step.value else step.value,
        "meeting_at": show_local_iso(step.meeting_at, tz),
        "decision": step.decision,
        "note": step.note,
    }


def show_issue(store: Store, issue_id: int, at: datetime) -> dict:
    """One issue as things stood at `at`, with its promises and its timeline up to then."""
    moment = Moment(store, at)
    row = get_issue_row(store.conn, issue_id)
    if row["reported_at"] > moment.text:
        raise NotFound(
            f"issue #{issue_id} had not been reported yet at {show_time(at, store.tz)}"
            f" (reported {show_time(row['reported_at'], store.tz)})"
        )
    steps = history(store.conn, [row])[issue_id]
    state = replay(row, steps, moment.text, store.tz)
    record = issue_record(row, state, moment.outcomes(row, state), moment)
    record["steps"] = [step_record(s, store.tz) for s in steps if s.at <= moment.text]
    return record


# ---------------------------------------------------------------------------------------
# Writing: opening an issue and adding steps. Each write replays the whole history.


@dataclass
class NewIssue:
    kind: str
    category: str
    channel: str
    title: str
    tier: str = "normal"
    household: str | None = None  # address key
    place: str | None = None
    building: str | None = None
    reporter: str | None = None
    description: str | None = None


def staff_id(conn, name: str | None, *, handler: bool = False) -> int | None:
    """The staff member's id. With `handler`, they are to be handed an issue: only someone still
    in post can be (a step done *by* someone since gone may still be typed in after the fact)."""
    if not name:
        return None
    row = conn.execute("SELECT id, active FROM staff WHERE name = ?", (name.strip(),)).fetchone()
    if row is None:
        raise NotFound(f"no staff member {name.strip()!r} (see `redprop staff list`)")
    if handler and not row["active"]:
        raise InvalidValue(f"{name.strip()} is no longer active; assign it to someone in post (see `redprop staff list`)")
    return row["id"]


def open_issue(store: Store, new: NewIssue, at: datetime, now: datetime, *, by: str | None = None,
               to: str | None = None) -> dict:
    """Record a reported issue with the deadlines of the policy in force when it was reported."""
    from redprop.households import get_household

    if not new.title or not new.title.strip():
        raise InvalidValue("an issue needs a title (--title)")
    if not new.household and not (new.place and new.place.strip()):
        raise InvalidValue("say where: --household KEY (8-2-301) or --place TEXT for a public area")
    terms_cache = TermsCache(store)
    with store.write() as conn:
        household_id, building, grid = None, new.building, None
        if new.household:
            household = get_household(store, new.household)
            household_id, building, grid = household["id"], household["building"], household["grid"]
        by_id, to_id = staff_id(conn, by), staff_id(conn, to, handler=True)
        policy_id, terms = terms_cache.in_force(at)
        reported = to_db(at)
        issue_id = conn.execute(
            "INSERT INTO issues (kind, category, channel, household_id, place, building, grid, reporter, title,"
            " description, policy_id, reported_at, recorded_at, tier, status, last_step_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?)",
            (new.kind, new.category, new.channel, household_id, (new.place or "").strip() or None, building, grid,
             new.reporter, new.title.strip(), new.description, policy_id, reported, to_db(now), new.tier, reported),
        ).lastrowid
        steps = [Step("open", reported, to_db(now), by=by, by_id=by_id, value=new.tier)]
        if to_id is not None:
            steps.append(Step("assign", reported, to_db(now), by=by, by_id=by_id, staff=to.strip(), staff_id=to_id))
        _insert_steps(conn, issue_id, steps)
        row = get_issue_row(conn, issue_id)
        state = replay(row, steps, tz=store.tz)
        _write_cache(conn, row, state, terms_cache)
    return show_issue(store, issue_id, max(at, now))


def add_steps(store: Store, issue_id: int, steps: list[Step]) -> State:
    """Add steps to an issue's history, after checking the whole history still holds together."""
    with store.write() as conn:
        return write_steps(conn, store.tz, issue_id, steps, TermsCache(store))


def write_steps(conn, tz, issue_id: int, steps: list[Step], terms_cache: TermsCache) -> State:
    """add_steps inside the caller's transaction."""
    row = get_issue_row(conn, issue_id)
    if row["imported_steps"]:  # write out what the import told before adding to it
        _insert_steps(conn, issue_id, imported_steps(row))
        conn.execute("UPDATE issues SET imported_steps = 0 WHERE id = ?", (issue_id,))
        row = get_issue_row(conn, issue_id)
    past = load_steps(conn, [issue_id])[issue_id]
    for step in steps:
        if step.by_id is None and step.by:
            step.by_id = staff_id(conn, step.by)
        if step.staff_id is None and step.staff:
            step.staff_id = staff_id(conn, step.staff, handler=True)
    state = _checked_replay(row, past, steps, tz)
    _insert_steps(conn, issue_id, steps)
    _write_cache(conn, row, state, terms_cache)
    return state


def _checked_replay(row, history: list[Step], new: list[Step], tz) -> State:
    ordered = sorted(history + new, key=Step.order)
    state = State(reported_at=row["reported_at"], tier=_first_tier(row, history), tz=tz)
    for step in ordered:
        is_new = any(step is n for n in new)
        if is_new and step.by is None and step.action not in ("open", "assign"):
            step.by, step.by_id = state.handler, state.handler_id  # default: whoever holds it then
        try:
            state.apply(step)
        except InvalidValue as e:
            first = new[0]
            verb = VERBS.get(first.action, first.action)
            if is_new:
                raise InvalidValue(f"cannot {verb} issue #{row['id']}: {e}") from None
            raise InvalidValue(
                f"cannot {verb} issue #{row['id']} at {show_time(first.at, tz)}: the {ACTIONS.label(step.action, 'en').lower()}"
                f" step already recorded at {show_time(step.at, tz)} would no longer make sense ({e})"
            ) from None
    return state


def _insert_steps(conn, issue_id: int, steps: list[Step]) -> None:
    conn.executemany(
        "INSERT INTO issue_steps (issue_id, action, at, recorded_at, by_id, staff_id, value, meeting_at, decision, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(issue_id, s.action, s.at, s.recorded_at, s.by_id, s.staff_id, s.value, s.meeting_at, s.decision, s.note)
         for s in steps],
    )


def cache_columns(state: State) -> dict:
    return {
        "tier": state.tier, "status": state.status, "handler_id": state.handler_id,
        "assigned_at": state.assigned_at, "arrived_at": state.arrived_at, "planned_at": state.planned_at,
        "resolved_at": state.resolved_at, "closed_at": state.closed_at, "rating": state.rating,
        "rated_at": state.rated_at, "last_step_at": state.last_step_at, "replay": int(state.replay),
        "open_long": int(open_long(state.reported_at, state.resolved_at)),
    }


def open_long(reported_at: str, resolved_at: str | None) -> bool:
    return bool(resolved_at) and from_db(resolved_at) - from_db(reported_at) > LONG_OPEN


def _write_cache(conn, row, state: State, terms_cache: TermsCache) -> None:
    """Store the state after all steps on the issue row, with the current tier's base deadlines."""
    columns = cache_columns(state)
    if row["own_due_at"]:
        dues = {"arrive": None, "resolve": row["own_due_at"], "plan": None}
    elif row["arrive_due"] is None and row["resolve_due"] is None and row["plan_due"] is None or state.tier != row["tier"]:
        computed = terms_cache.get(row["policy_id"]).base_deadlines(state.tier, from_db(row["reported_at"]))
        dues = {p: to_db(d) if d else None for p, d in computed.items()}
    else:
        dues = {"arrive": row["arrive_due"], "resolve": row["resolve_due"], "plan": row["plan_due"]}
    columns.update({f"{p}_due": d for p, d in dues.items()})
    earliest = [d for d in (row["first_due_at"], *dues.values()) if d]
    columns["first_due_at"] = min(earliest) if earliest else None
    conn.execute(
        f"UPDATE issues SET {', '.join(f'{k} = ?' for k in columns)} WHERE id = ?", (*columns.values(), row["id"])
    )


@dataclass
class IssueEdits:
    """Corrections to what was recorded; None leaves a field as it is. The tier is a dated step."""

    title: str | None = None
    description: str | None = None
    kind: str | None = None
    category: str | None = None
    channel: str | None = None
    reporter: str | None = None
    place: str | None = None
    household: str | None = None

    def given(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def edit_issue(store: Store, issue_id: int, edits: IssueEdits, tier: str | None, at: datetime, now: datetime,
               by: str | None = None) -> None:
    """Correct an issue's details (recorded as a note) and/or change its tier (a step at `at`)."""
    from redprop.households import get_household

    given = edits.given()
    if not given and tier is None:
        raise InvalidValue("nothing to change: give --tier or a field to correct (--title, --category, …)")
    if given:
        with store.write() as conn:
            row = get_issue_row(conn, issue_id)
            columns = {k: v for k, v in given.items() if k != "household"}
            if "household" in given:
                household = get_household(store, given["household"])
                columns.update(household_id=household["id"], building=household["building"], grid=household["grid"])
            if "title" in columns and not columns["title"].strip():
                raise InvalidValue("the title cannot be empty")
            conn.execute(
                f"UPDATE issues SET {', '.join(f'{k} = ?' for k in columns)} WHERE id = ?", (*columns.values(), row["id"])
            )
            # what changed, {field: [was, now]}, in the step's value: timelines label it in the chosen language
            changed = {k: [row[k] if k != "household" else row["household_key"], v] for k, v in given.items()}
            note = Step("note", to_db(max(now, from_db(row["reported_at"]))), to_db(now), by=by,
                        value=json.dumps(changed, ensure_ascii=False))
            write_steps(conn, store.tz, issue_id, [note], TermsCache(store))
    if tier is not None:
        add_steps(store, issue_id, [Step("retier", to_db(at), to_db(now), by=by, value=tier)])


# ---------------------------------------------------------------------------------------
# Listing


@dataclass
class IssueFilter:
    status: str = "open"  # open (unfinished), done, all, or one status slug
    kind: str | None = None
    category: str | None = None
    channel: str | None = None
    tier: str | None = None
    building: str | None = None
    grid: str | None = None
    handler: str | None = None
    household: str | None = None
    reported_from: datetime | None = None
    reported_to: datetime | None = None  # exclusive
    overdue: bool = False
    limit: int | None = None


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
        raise InvalidValue(
            f"unknown status {text!r}; choose open (unfinished, the default), done, all, or one of: "
            + ", ".join(f"{c.slug} ({c.zh})" for c in STATUSES.codes.values())
        ) from None


def unfinished_rows(conn, at_text: str, where: list[str], params: list, due_before: str | None = None):
    """Issues that may have been unfinished at `at_text` (a superset: the caller checks each),
    read through the partial index of unfinished issues (named: without statistics SQLite
    would rather walk the report-time index, i.e. all of history), the index of resolution
    times for the week after the moment, and the small index of issues open longer."""
    extra = "".join(f" AND {w}" for w in where)
    due = " AND i.first_due_at < ?" if due_before else ""
    tail = [*([due_before] if due_before else []), *params]
    week_after = to_db(from_db(at_text) + LONG_OPEN)
    unfinished = ISSUE_SELECT.replace("FROM issues i", "FROM issues i INDEXED BY issues_unfinished")
    sql = (
        f"{unfinished} WHERE i.resolved_at IS NULL AND i.reported_at <= ?{due}{extra}"
        f" UNION ALL {ISSUE_SELECT} WHERE i.resolved_at > ? AND i.resolved_at <= ? AND i.reported_at <= ?{due}{extra}"
        f" UNION ALL {ISSUE_SELECT} WHERE i.open_long = 1 AND i.reported_at <= ? AND i.resolved_at > ?{due}{extra}"
    )
    return conn.execute(sql, [at_text, *tail, at_text, week_after, at_text, *tail, at_text, week_after, *tail]).fetchall()


def list_issues(store: Store, at: datetime, f: IssueFilter) -> list[dict]:
    """Issues as things stood at `at`, newest report first."""
    moment = Moment(store, at)
    where, params = [], []
    for column, value in (("kind", f.kind), ("category", f.category), ("channel", f.channel),
                          ("building", f.building), ("grid", f.grid)):
        if value is not None:
            where.append(f"i.{column} = ?")
            params.append(value)
    if f.household:
        from redprop.households import get_household

        where.append("i.household_id = ?")
        params.append(get_household(store, f.household)["id"])
    if f.handler:
        where.append("(i.handler_id = ? OR i.replay = 1)")
        params.append(staff_id(store.conn, f.handler))
    if f.tier:
        where.append("(i.tier = ? OR i.replay = 1)")
        params.append(f.tier)
    if f.reported_from:
        where.append("i.reported_at >= ?")
        params.append(to_db(f.reported_from))
    if f.reported_to:
        where.append("i.reported_at < ?")
        params.append(to_db(f.reported_to))
    if f.status == "open" or f.status in UNFINISHED or f.overdue:
        rows = unfinished_rows(store.conn, moment.text, where, params, moment.text if f.overdue else None)
    else:
        where.insert(0, "i.reported_at <= ?")
        params.insert(0, moment.text)
        if f.status in ("done", *FINISHED):
            where.append("(i.resolved_at <= ? OR i.replay = 1)")
            params.append(moment.text)
        rows = store.conn.execute(f"{ISSUE_SELECT} WHERE {' AND '.join(where)}", params).fetchall()
    handler = f.handler.strip() if f.handler else None
    rows = sorted(rows, key=lambda r: (r["reported_at"], r["id"]), reverse=True)
    records = []
    for start in range(0, len(rows), 200):  # newest first, and no further than --limit asks
        for row, state, _ in moment.states(rows[start:start + 200]):
            status = state.status
            if f.status == "open" and status in FINISHED or f.status == "done" and status not in FINISHED:
                continue
            if f.status not in ("open", "done", "all") and status != f.status:
                continue
            if handler and state.handler != handler or f.tier and state.tier != f.tier:
                continue
            outcomes = moment.outcomes(row, state)
            if f.overdue and (status in FINISHED or not any(o.state == "overdue" for o in outcomes)):
                continue
            records.append(issue_record(row, state, outcomes, moment))
            if f.limit and len(records) == f.limit:
                return records
    return records


# ---------------------------------------------------------------------------------------
# The category catalogue


def list_categories(store: Store) -> list[dict]:
    rows = store.conn.execute(
        "SELECT c.code, c.zh, c.en, (SELECT count(*) FROM issues i WHERE i.category = c.code) AS issues"
        " FROM issue_categories c ORDER BY c.position, c.code"
    ).fetchall()
    return [dict(r) for r in rows]


def save_category(store: Store, code: str, zh: str | None, en: str | None, new_code: str | None = None,
                  adding: bool = False) -> dict:
    """Add a category, or change an existing one's labels (or slug: its issues follow)."""
    import re
    import sqlite3

    def slug(text: str) -> str:
        text = text.strip().lower().replace("-", "_").replace(" ", "_")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", text):
            raise InvalidValue(f"{text!r} is not a category code (lower-case letters, digits and _, like bike_shed)")
        return text

    with store.write() as conn:
        if adding:
            code = slug(code)
            if not zh or not en:
                raise InvalidValue("a new category needs both labels: --zh 车棚 --en 'Bicycle shed'")
            if conn.execute("SELECT 1 FROM issue_categories WHERE code = ?", (code,)).fetchone():
                raise InvalidValue(f"category {code} already exists; use `issue category edit`")
            position = conn.execute("SELECT coalesce(max(position), 0) + 1 FROM issue_categories").fetchone()[0]
            values = (code, zh.strip(), en.strip(), position)
            sql, params = "INSERT INTO issue_categories (code, zh, en, position) VALUES (?, ?, ?, ?)", values
        else:
            code = load_categories(store).resolve(code)
            changes = {k: v.strip() for k, v in (("zh", zh), ("en", en)) if v}
            if new_code:
                changes["code"] = slug(new_code)
            if not changes:
                raise InvalidValue("nothing to change: give --zh, --en or --code")
            sql = f"UPDATE issue_categories SET {', '.join(f'{k} = ?' for k in changes)} WHERE code = ?"
            params = (*changes.values(), code)
            code = changes.get("code", code)
        try:
            conn.execute(sql, params)
        except sqlite3.IntegrityError:
            raise InvalidValue("another category already has that code or label") from None
    return next(c for c in list_categories(store) if c["code"] == code)
