"""What workers do to issues: one function per verb, each a dated step in the issue's history.

open, assign, arrive, wait, resume, plan, escalate, resolve, close, reopen, rate (a rating
of 2 or less reopens the issue), note, edit; and a work order's sign, return, extend, urge,
reply and verify (see issues.orders). Each step happened at `at` and is typed in at
`now`; the whole history is replayed with it before anything is written, so a step typed
in late that would make a later one impossible is refused too. The state cached on the
issue row is written by `records.write_state`, and by nothing else.
"""

import json
from datetime import datetime, timedelta
from typing import NamedTuple

from redprop.errors import N_, InvalidValue, Message, naming
from redprop.issues.lifecycle import REOPEN_AT_RATING, State, Step, first_tier, imported_steps, replay
from redprop.issues.orders import insert_order, order_deadline
from redprop.issues.reading import show_issue
from redprop.issues.records import get_issue_row, insert_steps, load_steps, staff_id, write_state
from redprop.parsing import clean_line, clean_name, clean_text, cleaned, from_db, normalize_name, show_time, to_db
from redprop.policy.terms import TermsCache
from redprop.store import Store
from redprop.store.sql import assignments
from redprop.vocab import STEPS


VERBS = {  # what the worker was doing, for "cannot … issue #12: …"
    "open": N_("open"), "assign": N_("assign"), "arrive": N_("record arrival on"), "wait": N_("put on hold"),
    "resume": N_("resume"), "plan": N_("record a plan for"), "escalate": N_("escalate"), "resolve": N_("resolve"),
    "close": N_("close"), "reopen": N_("reopen"), "rate": N_("rate"), "note": N_("add a note to"),
    "retier": N_("change the tier of"), "void": N_("void"), "dispatch": N_("record the order of"),
    "sign": N_("sign for"), "return": N_("return"), "extend": N_("extend the order of"),
    "urge": N_("record the urging of"), "reply": N_("reply to"), "verify": N_("verify"),
}


class NewIssue(NamedTuple):  # not a dataclass: one costs half a millisecond of every start
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


# Channels where the staff member taking the report hears it where it is: at the door (走访), on a
# patrol (巡查). They are on site at the report time, as the visitor of `visit log --open-issue` is.
IN_PERSON_CHANNELS = ("visit", "patrol")


def open_issue(store: Store, new: NewIssue, at: datetime, now: datetime, *, by: str | None = None,
               to: str | None = None, order=None) -> dict:
    """Record a reported issue with the deadlines of the policy in force when it was reported; and
    the unfinished issues it may repeat (`possible_duplicates`). A staff member who took it in
    person (`by`, on a visit or a patrol) is on site at the report time. With `order`
    (issues.orders.NewOrder), a work order from above, dispatched at `at`."""
    with store.write() as conn:
        issue_id = insert_issue(store, conn, new, at, now, by=by, to=to, order=order,
                                arrived_by=by if by and new.channel in IN_PERSON_CHANNELS else None)
        duplicates = possible_duplicates(conn, get_issue_row(conn, issue_id))
    return {**show_issue(store, issue_id, max(at, now)), "possible_duplicates": duplicates}


def insert_issue(store: Store, conn, new: NewIssue, at: datetime, now: datetime, *, by: str | None = None,
                 to: str | None = None, visit_id: int | None = None, arrived_by: str | None = None,
                 order=None) -> int:
    """open_issue inside the caller's transaction; with `visit_id`, the issue a visit found, with
    `arrived_by` (the visitor) on site at the report time; with `order`, the work order it is. At
    a household, the reporter is its head unless said otherwise."""
    from redprop.households import get_household

    new = new._replace(title=cleaned(new.title, clean_line, "--title"), place=cleaned(new.place, clean_line, "--place"),
                  description=cleaned(new.description, clean_text, "--description"),
                  reporter=cleaned(new.reporter, clean_name, "--reporter"))
    if not new.title:
        raise InvalidValue("an issue needs a title (--title)")
    if new.household and new.place:
        raise InvalidValue("give either --household or --place, not both (a household's own problem, or a public area)")
    if not new.household and not (new.place and new.place.strip()):
        raise InvalidValue("say where: --household KEY (8-2-301) or --place TEXT for a public area")
    terms_cache = TermsCache(store)
    household_id, building, grid = None, new.building, None
    if new.household:
        household = get_household(store, new.household, on=at.astimezone(store.tz).date() if visit_id else None)
        household_id, building, grid = household["id"], household["building"], household["grid"]
        new = new._replace(reporter=new.reporter or household["head"])
    by_id, to_id = staff_id(conn, by), staff_id(conn, to, handler=True)
    policy_id, terms = terms_cache.in_force(at)
    reported, stamp = to_db(at), to_db(now)
    issue_id = conn.execute(
        "INSERT INTO issues (kind, category, channel, household_id, place, building, grid, reporter, title,"
        " description, policy_id, reported_at, recorded_at, tier, status, last_step_at, visit_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'new', $15, $16) RETURNING id",
        (new.kind, new.category, new.channel, household_id, (new.place or "").strip() or None, building, grid,
         new.reporter, new.title.strip(), new.description, policy_id, reported, stamp, new.tier, reported, visit_id),
    ).fetchone()[0]
    steps = [Step("open", reported, stamp, by=by, by_id=by_id, value=new.tier)]
    if order is not None:
        steps.append(insert_order(conn, store, issue_id, order, at, now, terms, by=by))
        steps[-1].by_id = by_id
    if to_id is not None:
        steps.append(Step("assign", reported, stamp, by=by, by_id=by_id, staff=normalize_name(to), staff_id=to_id))
    if arrived_by:
        steps.append(Step("arrive", reported, stamp, by=arrived_by, by_id=staff_id(conn, arrived_by)))
    insert_steps(conn, issue_id, steps)
    row = get_issue_row(conn, issue_id)
    write_state(conn, row, replay(row, steps, tz=store.tz), terms_cache)
    return issue_id


def _step(store: Store, issue_id: int, action: str, at: datetime, now: datetime, by: str | None, **fields) -> dict:
    """One step at `at`, typed in at `now`; the issue as it stands after it."""
    for name in ("note", "decision"):
        if fields.get(name) is not None:
            fields[name] = cleaned(fields[name], clean_text, f"--{name}")
    steps = [Step(action, to_db(at), to_db(now), by=normalize_name(by) if by else None, **fields)]
    add_steps(store, issue_id, steps)
    return show_issue(store, issue_id, max(at, now))


def assign(store, issue_id, to: str, *, at, now, by=None, note=None) -> dict:
    return _step(store, issue_id, "assign", at, now, by, staff=normalize_name(to), note=note)


def arrive(store, issue_id, *, at, now, by=None, note=None) -> dict:
    return _step(store, issue_id, "arrive", at, now, by, note=note)


def wait(store, issue_id, status: str, *, at, now, by=None, note=None) -> dict:
    """Hold the issue waiting for the resident or for parts (a joint meeting is `escalate`)."""
    if status == "escalated":
        raise InvalidValue("to wait for a joint meeting, use `issue escalate`")
    return _step(store, issue_id, "wait", at, now, by, value=status, note=note)


def resume(store, issue_id, *, at, now, by=None, note=None) -> dict:
    return _step(store, issue_id, "resume", at, now, by, note=note)


def plan(store, issue_id, text: str, *, at, now, by=None) -> dict:
    if not text or not text.strip():
        raise InvalidValue("a plan needs its text: --note '…'")
    return _step(store, issue_id, "plan", at, now, by, note=text.strip())


def escalate(store, issue_id, *, parties: list[str] | None, meeting_at: datetime | None, decision: str | None,
             at, now, by=None, note=None) -> dict:
    """To a joint meeting (联席会议): who sits at it, when; later, what it decided (which ends the wait)."""
    return _step(store, issue_id, "escalate", at, now, by, value=",".join(parties) if parties else None,
                 meeting_at=to_db(meeting_at) if meeting_at else None,
                 decision=decision.strip() if decision else None, note=note)


def resolve(store, issue_id, *, at, now, by=None, note=None) -> dict:
    return _step(store, issue_id, "resolve", at, now, by, note=note)


def close(store, issue_id, *, at, now, by=None, note=None) -> dict:
    return _step(store, issue_id, "close", at, now, by, note=note)


def reopen(store, issue_id, *, at, now, by=None, note=None) -> dict:
    return _step(store, issue_id, "reopen", at, now, by, note=note)


def rate(store, issue_id, rating: str, *, at, now, by=None, comment=None) -> dict:
    """The follow-up call (回访) and the resident's rating; 2 or less reopens the issue."""
    value = str(rating).strip()
    if not value.isdigit() or not 1 <= int(value) <= 5:
        raise InvalidValue("a rating is a whole number from 1 to 5, not {rating!r}", rating=rating)
    stamp, happened, who = to_db(now), to_db(at), by.strip() if by else None
    steps = [Step("rate", happened, stamp, by=who, value=str(int(value)), note=comment)]
    if int(value) <= REOPEN_AT_RATING:
        # the reopen step keeps the rating that caused it; the timeline says so
        steps.append(Step("reopen", happened, stamp, by=who, value=str(int(value))))
    add_steps(store, issue_id, steps)
    return show_issue(store, issue_id, max(at, now))


def void(store, issue_id, reason: str, *, duplicate_of: int | None = None, at, now, by=None) -> dict:
    """An issue recorded by mistake, or twice: it stays in `issue show`, marked with who and why,
    and counts nowhere else (not in `overdue`, `stats`, default listings)."""
    reason = cleaned(reason, clean_text, "--reason")
    if not reason:
        raise InvalidValue("say why it is voided: --reason TEXT")
    if duplicate_of is not None:
        if duplicate_of == issue_id:
            raise InvalidValue("issue #{id} cannot be a duplicate of itself", id=issue_id)
        get_issue_row(store.conn, duplicate_of)
    return _step(store, issue_id, "void", at, now, by, note=reason.strip(),
                 value=str(duplicate_of) if duplicate_of is not None else None)


# -- the verbs of a work order from above (see issues.orders) -----------------------------------

def _text(text: str | None, option: str, what: str) -> str:
    value = cleaned(text, clean_text, option)
    if not value or not value.strip():
        raise InvalidValue(what)
    return value.strip()


def sign(store, issue_id: int, *, at, now, by=None, note=None) -> dict:
    """签收: the office has the order; late after the policy's sign-for limit."""
    return _step(store, issue_id, "sign", at, now, by, note=note)


def return_order(store, issue_id: int, reason: str, *, at, now, by=None) -> dict:
    """退回: not ours. The issue leaves every list of work and every count but the returns."""
    reason = _text(reason, "--reason", N_("say why it is returned: --reason TEXT"))
    return _step(store, issue_id, "return", at, now, by, note=reason)


def extend(store, issue_id: int, to: str, reason: str, approved_by: str, *, at, now, by=None) -> dict:
    """延期: the order's deadline moves to `to` (a time, or N个工作日 from the deadline it
    extends); the old one stays in the timeline."""
    reason = _text(reason, "--reason", N_("say why it is extended: --reason TEXT"))
    approved = cleaned(approved_by, clean_name, "--approved-by")
    if not approved:
        raise InvalidValue("say who approved the extension: --approved-by NAME")
    row = get_issue_row(store.conn, issue_id)
    current = store.conn.execute("SELECT due_at FROM orders WHERE issue_id = $1", (issue_id,)).fetchone()
    if current is None:
        raise InvalidValue("cannot extend the order of issue #{id}: it carries no work order", id=issue_id)
    terms = TermsCache(store).get(row["policy_id"])
    with naming("--to"):
        due = order_deadline(terms, from_db(current[0]), to, now, store.tz)
    return _step(store, issue_id, "extend", at, now, by, value=to_db(due), note=reason, party=approved)


def urge(store, issue_id: int, source: str, *, at, now, by=None, note=None) -> dict:
    """督办: someone above urged the order (counted, and marked in the morning list)."""
    party = cleaned(source, clean_line, "--from")
    if not party:
        raise InvalidValue("say who urged it: --from TEXT")
    return _step(store, issue_id, "urge", at, now, by, party=party, note=note)


def reply(store, issue_id: int, text: str, solved: bool, why_not: str | None, *, at, now, by=None) -> dict:
    """反馈: what was done (办理情况), whether it was solved (是否解决) and if not, why (未解决原因).
    Solved wants the issue resolved; the order waits for verification."""
    text = _text(text, "--text", N_("say what was done: --text TEXT"))
    why = cleaned(why_not, clean_text, "--why-not")
    if solved and why:
        raise InvalidValue("--why-not is for a reply that says not solved (--solved no)")
    if not solved and not (why and why.strip()):
        raise InvalidValue("say why it was not solved: --why-not TEXT")
    return _step(store, issue_id, "reply", at, now, by, note=text, value="yes" if solved else "no",
                 reason=why.strip() if why else None)


def verify(store, issue_id: int, passed: bool, *, at, now, by=None, note=None) -> dict:
    """核查: passed closes the order (结案) at that time; failed reopens the issue for rework (返工)."""
    return _step(store, issue_id, "verify", at, now, by, value="passed" if passed else "failed", note=note)


DUPLICATE_WINDOW = timedelta(hours=24)


def possible_duplicates(conn, row) -> list[int]:
    """Unfinished issues of the same category at the same household or place, reported within a
    day of this one's report (its --at, not the clock): maybe the same issue reported twice."""
    reported = from_db(row["reported_at"])
    where = "household_id = $3" if row["household_id"] is not None else "household_id IS NULL AND place = $3"
    return [r[0] for r in conn.execute(
        f"SELECT id FROM issues WHERE id != $1 AND category = $2 AND {where} AND resolved_at IS NULL AND voided_at IS NULL"
        " AND reported_at BETWEEN $4 AND $5 ORDER BY id",
        (row["id"], row["category"], row["household_id"] if row["household_id"] is not None else row["place"],
         to_db(reported - DUPLICATE_WINDOW), to_db(reported + DUPLICATE_WINDOW)))]


def note(store, issue_id, text: str, *, at, now, by=None) -> dict:
    if not text or not text.strip():
        raise InvalidValue("the note is empty")
    return _step(store, issue_id, "note", at, now, by, note=text.strip())


def add_steps(store: Store, issue_id: int, steps: list[Step]) -> State:
    """Add steps to an issue's history, after checking the whole history still holds together."""
    with store.write() as conn:
        return write_steps(conn, store.tz, issue_id, steps, TermsCache(store))


def write_steps(conn, tz, issue_id: int, steps: list[Step], terms_cache: TermsCache, *,
                recompute: bool = False) -> State:
    """add_steps inside the caller's transaction (`recompute`: see records.write_state)."""
    row = get_issue_row(conn, issue_id)
    if row["imported_steps"]:  # write out what the import told before adding to it
        insert_steps(conn, issue_id, imported_steps(row))
        conn.execute("UPDATE issues SET imported_steps = 0 WHERE id = $1", (issue_id,))
        row = get_issue_row(conn, issue_id)
    past = load_steps(conn, [issue_id])[issue_id]
    for step in steps:
        if step.by_id is None and step.by:
            step.by_id = staff_id(conn, step.by)
        if step.staff_id is None and step.staff:
            step.staff_id = staff_id(conn, step.staff, handler=True)
    state = _checked_replay(row, past, steps, tz)
    insert_steps(conn, issue_id, steps)
    write_state(conn, row, state, terms_cache, recompute=recompute)
    return state


def _checked_replay(row, history: list[Step], new: list[Step], tz) -> State:
    ordered = sorted(history + new, key=Step.order)
    state = State(reported_at=row["reported_at"], tier=first_tier(row, history), tz=tz)
    for step in ordered:
        is_new = any(step is n for n in new)
        if is_new and step.by is None and step.action not in ("open", "assign"):
            step.by, step.by_id = state.handler, state.handler_id  # default: whoever holds it then
        try:
            state.apply(step)
        except InvalidValue as e:
            verb = Message(VERBS.get(new[0].action, new[0].action))
            if is_new:
                raise InvalidValue("cannot {verb} issue #{id}: {reason}", verb=verb, id=row["id"], reason=e.message) from None
            raise InvalidValue(
                "cannot {verb} issue #{id} at {at}: the {step} step already recorded at {when} would no longer make"
                " sense ({reason})", verb=verb, id=row["id"], at=show_time(new[0].at, tz), step=STEPS.get(step.action),
                when=show_time(step.at, tz), reason=e.message,
            ) from None
    return state


def hand_over(store: Store, name: str, to: str, *, on: datetime, now: datetime) -> dict:
    """A staff member leaves: inactive from now on (kept on record), and every issue they hold
    unfinished goes to `to`, each a reassignment step in its timeline (at `on`, or at the issue's
    report if that is later). Finished issues keep their handler."""
    from redprop.staff import get_staff

    leaving, heir = get_staff(store, name), get_staff(store, to)
    if leaving["id"] == heir["id"]:
        raise InvalidValue("{name} cannot hand their issues to themselves", name=leaving["name"])
    if not heir["active"]:
        raise InvalidValue("{name} is no longer active; hand the issues to someone in post (see `redprop staff list`)",
                           name=heir["name"])
    terms = TermsCache(store)
    with store.write() as conn:
        held = [r[0] for r in conn.execute(
            "SELECT id FROM issues WHERE handler_id = $1 AND resolved_at IS NULL AND voided_at IS NULL ORDER BY id",
            (leaving["id"],))]
        for issue_id in held:
            reported = get_issue_row(conn, issue_id)["reported_at"]
            step = Step("assign", max(to_db(on), reported), to_db(now), staff=heir["name"], staff_id=heir["id"],
                        note=None)
            write_steps(conn, store.tz, issue_id, [step], terms)
        conn.execute("UPDATE staff SET active = 0, updated_at = $1 WHERE id = $2", (to_db(now), leaving["id"]))
    return {"name": leaving["name"], "hand_to": heir["name"], "issues": held}


class IssueEdits(NamedTuple):
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
        return {k: v for k, v in self._asdict().items() if v is not None}


def edit_issue(store: Store, issue_id: int, edits: IssueEdits, tier: str | None, at: datetime, now: datetime,
               by: str | None = None) -> dict:
    """Correct an issue's details (recorded as a note) and/or change its tier (a step at `at`)."""
    from redprop.households import get_household

    given = edits.given()
    if not given and tier is None:
        raise InvalidValue("nothing to change: give --tier or a field to correct (--title, --category, …)")
    if given:
        with store.write() as conn:
            row = get_issue_row(conn, issue_id)
            cleaners = {"title": clean_line, "place": clean_line, "description": clean_text, "reporter": clean_name}
            for name, cleaner in cleaners.items():
                if name in given:
                    given[name] = cleaned(given[name], cleaner, f"--{name}") or ""
            columns = {k: v for k, v in given.items() if k != "household"}
            if "household" in given:
                household = get_household(store, given["household"])
                columns.update(household_id=household["id"], building=household["building"], grid=household["grid"])
            if "title" in columns and not columns["title"].strip():
                raise InvalidValue("the title cannot be empty")
            conn.execute(f"UPDATE issues SET {assignments(columns)} WHERE id = ${len(columns) + 1}",
                         (*columns.values(), row["id"]))
            # what changed, {field: [was, now]}, in the step's value: timelines label it in the chosen language
            changed = {k: [row[k] if k != "household" else row["household_key"], v] for k, v in given.items()}
            correction = Step("note", to_db(max(now, from_db(row["reported_at"]))), to_db(now), by=by,
                              value=json.dumps(changed, ensure_ascii=False))
            # a corrected kind (problem ↔ wish) takes the other kind's promises, from the same report time
            write_steps(conn, store.tz, issue_id, [correction], TermsCache(store), recompute="kind" in columns)
    if tier is not None:
        add_steps(store, issue_id, [Step("retier", to_db(at), to_db(now), by=by, value=tier)])
    return show_issue(store, issue_id, max(at, now))
