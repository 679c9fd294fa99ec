"""Issues another system exported, written in bulk: what the issue import (exchange/issues.py)
calls once it has read and checked a file's rows.

`ImportedIssues` is the writer: new issues in report order with their cached state computed
here (the promise in force at the report, or the file's own due time; the settled figures),
and issues imported before brought up to what the file says now, with the steps it adds. An
imported issue's steps stay on its row (`imported_steps`, see migration m003) except for the
few waiting or escalated ones, whose hold is written out as steps with the rest.

A row's values, as the import cleaned them: reported_at, kind, category, channel, tier,
due_at, arrived_at, planned_at, resolved_at (stored instants or None), rating (1–5 or None),
status (a status slug, or "" when the file gives none), handler (a staff name or None),
building, where ((household key or None, place or None)), title, description, reporter, ref.
"""

import bisect
from datetime import datetime

from redprop.errors import InvalidValue, Message
from redprop.issues.commands import write_steps
from redprop.issues.figures import settled_figures
from redprop.issues.lifecycle import IMPORTED_NOTE, Step, imported_steps, replay
from redprop.issues.records import PROVISIONAL_BITS, get_issue_row, history, open_long
from redprop.parsing import show_time, to_db
from redprop.policy.terms import KINDS, TermsCache
from redprop.store import Store
from redprop.store.sql import assignments, marks
from redprop.vocab import PROMISES, TIERS

ISSUE_COLUMNS = (
    "id", "kind", "category", "channel", "household_id", "place", "building", "grid", "reporter", "title", "description",
    "policy_id", "own_due_at", "reported_at", "recorded_at", "source", "source_key", "tier", "status", "handler_id",
    "assigned_at", "arrived_at", "planned_at", "resolved_at", "closed_at", "rating", "rated_at", "arrive_due",
    "resolve_due", "plan_due", "first_due_at", "last_step_at", "replay", "imported_steps", "open_long", "provisional",
    "called_at", "settled_at", "figures", "arrive_seconds", "resolve_seconds",
)
STEP_COLUMNS = ("issue_id", "action", "at", "recorded_at", "by_id", "staff_id", "value", "meeting_at", "decision", "note")
BIG = 10_000  # rows from which a file big beside the issues on record has the indexes rebuilt after it


class ImportedIssues:
    """The writer of an import's issues, inside its write (`store.write(bulk=True)`).

    `households`: address key → (id, building, grid point); `staff`: name → id — what the
    import looked every row's names up in. With `expected_rows` (a file's size tells them
    before they are read) more than a quarter of the issues already there, every index of the
    issues and their steps that the import does not read (all but the unique ones) is dropped
    and built again, sorted, by `finish`: kept row by row, a million issues' two dozen indexes
    outgrow the cache and each insert waits on random pages (the import ran at a third of its
    speed). A write rolled back (a refused file, a dry run) brings them back as they were."""

    def __init__(self, store: Store, now: datetime, households: dict, staff: dict, expected_rows: int = 0):
        self.store, self.conn, self.tz, self.now = store, store.conn, store.tz, now
        self.households, self.staff, self.stamp = households, staff, to_db(now)
        self.terms = TermsCache(store)
        policies = self.conn.execute("SELECT id, effective_at FROM policies ORDER BY effective_at, id").fetchall()
        self.starts = [p["effective_at"] for p in policies]
        self.ids = [p["id"] for p in policies]
        self.spans = {}  # (policy, kind, tier) → the promised spans, when its clock runs round the clock
        for policy_id in self.ids:
            t = self.terms.get(policy_id)
            for kind in KINDS:
                for tier in TIERS:
                    self.spans[(policy_id, kind, tier)] = None if t.schedule else [t.span(kind, tier, p) for p in PROMISES]
        self.next_id = self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM issues").fetchone()[0]
        existing = self.next_id - 1
        big = expected_rows >= BIG and expected_rows * 4 >= existing
        self.dropped = store.drop_indexes(("issues", "issue_steps")) if big else []

    def finish(self) -> None:
        """The import is whole: build again the indexes dropped for it."""
        self.store.build_indexes(self.dropped)
        self.dropped = []

    def known(self, keys: list[str]) -> dict[str, int]:
        """key → id of the issues imported before under these keys (`ref`, or report time, place and title)."""
        found = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            for r in self.conn.execute(
                f"SELECT id, source_key FROM issues WHERE source_key IN ({marks(len(chunk))})", chunk
            ):
                found[r["source_key"]] = r["id"]
        return found

    def add(self, fresh: list) -> None:
        """New issues, (key, values) each, numbered in the order they were reported."""
        if fresh:
            fresh = sorted(fresh, key=lambda rv: rv[1]["reported_at"])
            issue_rows, step_rows = self._rows(fresh)
            self.store.insert_many("issues", ISSUE_COLUMNS, issue_rows)
            self.store.insert_many("issue_steps", STEP_COLUMNS, step_rows)
            self.next_id += len(fresh)

    def _rows(self, fresh: list) -> tuple[list, list]:
        stamp, terms, spans, starts, ids = self.stamp, self.terms, self.spans, self.starts, self.ids
        households, staff = self.households, self.staff
        issue_rows, step_rows = [], []
        for issue_id, (key, v) in enumerate(fresh, start=self.next_id):
            reported, status, resolved = v["reported_at"], v["status"], v["resolved_at"]
            household, place = v["where"]
            household_id, building, grid = households[household] if household else (None, v["building"], None)
            handler_id = staff[v["handler"]] if v["handler"] else None
            provisional = 0
            if v["due_at"]:
                policy_id, dues = None, (None, v["due_at"], None)
            else:
                policy_id = ids[bisect.bisect_right(starts, reported) - 1] if starts[0] <= reported else ids[0]
                fixed = spans[(policy_id, v["kind"], v["tier"])]
                start = datetime.fromisoformat(reported)  # UTC: a sum of it prints as the stored form
                if fixed is not None:
                    try:
                        dues = tuple((start + span).isoformat() if span is not None else None for span in fixed)
                    except OverflowError:  # only a policy stored before `policy set` capped promises
                        raise InvalidValue("a deadline of the promise in force falls past the calendar's end;"
                                           " correct the promise with `redprop policy set`") from None
                else:
                    t = terms.get(policy_id)
                    computed = t.base_deadlines(v["kind"], v["tier"], start)
                    dues = tuple(to_db(computed[p]) if computed[p] else None for p in PROMISES)
                    provisional = sum(PROVISIONAL_BITS[p] for p in PROMISES if t.provisional_years(start, computed[p]))
            held = status in ("waiting_resident", "waiting_parts", "escalated")
            if not held:
                status = "closed" if status == "closed" else _derived_status(v)
            closed = resolved if status == "closed" else None
            present = [d for d in dues if d]
            last = max(filter(None, (reported, v["arrived_at"], v["planned_at"], resolved)))
            rated = resolved if v["rating"] is not None else None  # also called_at: the file's rating was its call
            settled = settled_figures({
                "reported_at": reported, "assigned_at": reported if handler_id else None, "arrived_at": v["arrived_at"],
                "planned_at": v["planned_at"], "resolved_at": resolved, "closed_at": closed, "rated_at": rated,
                "called_at": rated, "rating": v["rating"], "arrive_due": dues[0], "resolve_due": dues[1],
                "plan_due": dues[2], "follow_up_due": None})
            issue_rows.append((
                issue_id, v["kind"], v["category"], v["channel"], household_id, place, building, grid, v["reporter"],
                v["title"], v["description"], policy_id, v["due_at"], reported, stamp, "import", key, v["tier"],
                status, handler_id, reported if handler_id else None, v["arrived_at"], v["planned_at"], resolved, closed,
                v["rating"], rated, *dues, min(present) if present else None,
                last, int(held), int(not held), int(open_long(reported, resolved)), provisional, rated,
                settled["settled_at"], settled["figures"], settled["arrive_seconds"], settled["resolve_seconds"],
            ))
            if held:
                hold_at = v["arrived_at"] or reported
                steps = imported_steps({
                    "reported_at": reported, "recorded_at": stamp, "tier": v["tier"], "handler": v["handler"],
                    "handler_id": handler_id, "arrived_at": v["arrived_at"], "planned_at": v["planned_at"],
                    "resolved_at": resolved, "closed_at": closed, "rating": v["rating"]})
                steps.append(Step("escalate", hold_at, stamp) if status == "escalated"
                             else Step("wait", hold_at, stamp, value=status))
                step_rows.extend(
                    (issue_id, s.action, s.at, s.recorded_at, s.by_id, s.staff_id, s.value, s.meeting_at, s.decision,
                     s.note)
                    for s in sorted(steps, key=Step.order)
                )
        return issue_rows, step_rows

    def update(self, issue_id: int, v: dict) -> str:
        """Bring an issue imported before up to what the file says now: 'unchanged' or 'updated'.
        Refused (InvalidValue, nothing of it written) when the file contradicts redprop's record."""
        conn, tz = self.conn, self.tz
        current = get_issue_row(conn, issue_id)
        state = replay(current, history(conn, [current])[issue_id], tz=tz)
        stamp = self.stamp
        handler = v["handler"]
        wanted: list[Step] = []
        problems = []
        if handler and handler != state.handler:
            # the file tells history: its handler may have left since (no check of staff.active, as for new rows)
            wanted.append(Step("assign", max(v["reported_at"], state.last_step_at), stamp, staff=handler,
                               staff_id=self.staff[handler]))
        if v["planned_at"] and not state.planned_at:
            wanted.append(Step("plan", v["planned_at"], stamp, by=handler, note=IMPORTED_NOTE))
        if v["arrived_at"] and not state.arrived_at:
            wanted.append(Step("arrive", v["arrived_at"], stamp, by=handler))
        elif v["arrived_at"] and v["arrived_at"] != state.arrived_at:
            problems.append(Message("on site at {file}, but redprop has {redprop}", file=show_time(v["arrived_at"], tz),
                                    redprop=show_time(state.arrived_at, tz)))
        if v["resolved_at"] and not state.resolved_at:
            wanted.append(Step("resolve", v["resolved_at"], stamp, by=handler))
        elif v["resolved_at"] and v["resolved_at"] != state.resolved_at:
            problems.append(Message("resolved at {file}, but redprop has {redprop}", file=show_time(v["resolved_at"], tz),
                                    redprop=show_time(state.resolved_at, tz)))
        elif not v["resolved_at"] and state.resolved_at:
            problems.append(Message("unfinished, but redprop has it resolved at {when}",
                                    when=show_time(state.resolved_at, tz)))
        if v["status"] == "closed" and not state.closed_at:
            wanted.append(Step("close", v["resolved_at"], stamp, by=handler))
        if v["rating"] is not None and v["rating"] != state.rating:
            wanted.append(Step("rate", v["resolved_at"], stamp, by=handler, value=str(v["rating"])))
        if problems:
            raise InvalidValue("issue #{id} {problems}", id=issue_id, problems=problems)
        statics = {"title": v["title"], "description": v["description"], "kind": v["kind"], "category": v["category"],
                   "channel": v["channel"], "reporter": v["reporter"]}
        changed = {k: val for k, val in statics.items() if val is not None and val != current[k]}
        if not wanted and not changed:
            return "unchanged"
        if changed:
            conn.execute(f"UPDATE issues SET {assignments(changed)} WHERE id = ${len(changed) + 1}",
                         (*changed.values(), issue_id))
        if wanted:  # undone alone if refused: the rest of the import goes on
            with self.store.savepoint("import_update"):
                write_steps(conn, tz, issue_id, wanted, self.terms)
        return "updated"


def _derived_status(v: dict) -> str:
    if v["resolved_at"]:
        return "resolved"
    if v["arrived_at"]:
        return "on_site"
    return "assigned" if v["handler"] else "new"
