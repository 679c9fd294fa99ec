"""Issues in the store: the row with its household and handler, its steps, and the one writer
of the state cached on the row.

`issue_steps` is the record: every step sits at the time it happened (`at`) with the time it
was typed in (`recorded_at`). The columns of `issues` after `source_key` cache the state
after all steps (see migration m003), so that the morning list reads indexes instead of
replaying history, and so do the columns of `orders` after `caller_phone` for an issue's
work order (m012). `write_state` is the only code that writes them, whoever adds steps:
a command, an import or an undo. An order returned as not ours counts nowhere: its issue's
`voided_at` is the return's time.
"""

from datetime import timedelta

from redprop.errors import InvalidValue, NotFound
from redprop.issues.lifecycle import Order, State, Step, imported_steps
from redprop.parsing import from_db, normalize_name, to_db
from redprop.issues.figures import EVENTS, settled_figures
from redprop.store import hooks
from redprop.store.sql import assignments, marks

# The change log's `--issue`: the issue's row and its steps; and an issue at a household is
# part of that household's story.
hooks.subject("issue_id", "issues", one=True)
hooks.points_at("issue_steps", "issue_id", "issues")
hooks.points_at("issues", "household_id", "households")

LONG_OPEN = timedelta(days=7)  # issues resolved later than this after their report are flagged `open_long`

_ISSUE_COLUMNS = "SELECT i.*, h.key AS household_key, h.head AS household_head, s.name AS handler"
_ISSUE_JOINS = "LEFT JOIN households h ON h.id = i.household_id LEFT JOIN staff s ON s.id = i.handler_id"
ISSUE_SELECT = f"{_ISSUE_COLUMNS} FROM issues i {_ISSUE_JOINS}"


def issue_select(hint: str = "") -> str:
    """ISSUE_SELECT, the issues read through the index a planner's hint names (Store.indexed_by)."""
    return f"{_ISSUE_COLUMNS} FROM issues i {hint} {_ISSUE_JOINS}" if hint else ISSUE_SELECT


def parse_issue_id(text) -> int:
    raw = str(text).strip().lstrip("#＃").strip()
    if not raw.isdigit():
        raise InvalidValue("{text!r} is not an issue number (like 37 or #37)", text=text)
    return int(raw)


def get_issue_row(conn, issue_id: int):
    row = conn.execute(f"{ISSUE_SELECT} WHERE i.id = $1", (issue_id,)).fetchone()
    if row is None:
        raise NotFound("no issue #{id}", id=issue_id)
    return row


def load_steps(conn, issue_ids: list[int]) -> dict[int, list[Step]]:
    """The steps of these issues in time order (ties in the order they were typed in)."""
    result: dict[int, list[Step]] = {i: [] for i in issue_ids}
    for start in range(0, len(issue_ids), 500):
        chunk = issue_ids[start:start + 500]
        for r in conn.execute(
            "SELECT st.*, b.name AS by_name, t.name AS staff_name FROM issue_steps st"
            " LEFT JOIN staff b ON b.id = st.by_id LEFT JOIN staff t ON t.id = st.staff_id"
            f" WHERE st.issue_id IN ({marks(len(chunk))}) ORDER BY st.issue_id, st.at, st.id",
            chunk,
        ):
            result[r["issue_id"]].append(Step(
                r["action"], r["at"], r["recorded_at"], r["id"], r["by_name"], r["by_id"], r["staff_name"],
                r["staff_id"], r["value"], r["meeting_at"], r["decision"], r["note"], r["party"], r["reason"],
            ))
    return result


def history(conn, rows) -> dict[int, list[Step]]:
    """The steps of these issues: from issue_steps, or read off the row while `imported_steps`."""
    result = load_steps(conn, [r["id"] for r in rows])
    for row in rows:
        if row["imported_steps"]:
            result[row["id"]] = sorted(imported_steps(row) + result[row["id"]], key=Step.order)
    return result


def insert_steps(conn, issue_id: int, steps: list[Step]) -> None:
    conn.executemany(
        "INSERT INTO issue_steps (issue_id, action, at, recorded_at, by_id, staff_id, value, meeting_at, decision, note,"
        " party, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        [(issue_id, s.action, s.at, s.recorded_at, s.by_id, s.staff_id, s.value, s.meeting_at, s.decision, s.note,
          s.party, s.reason) for s in steps],
    )


def staff_id(conn, name: str | None, *, handler: bool = False) -> int | None:
    """The staff member's id. With `handler`, they are to be handed an issue: only someone still
    in post can be (a step done *by* someone since gone may still be typed in after the fact)."""
    if not name:
        return None
    name = normalize_name(name)
    row = conn.execute("SELECT id, active FROM staff WHERE name = $1", (name,)).fetchone()
    if row is None:
        from redprop.staff import unknown_staff

        raise unknown_staff(conn, name)
    if handler and not row["active"]:
        raise InvalidValue("{name} is no longer active; assign it to someone in post (see `redprop staff list`)",
                           name=name.strip())
    return row["id"]


def open_long(reported_at: str, resolved_at: str | None) -> bool:
    return bool(resolved_at) and from_db(resolved_at) - from_db(reported_at) > LONG_OPEN


def cache_columns(state: State) -> dict:
    return {
        "tier": state.tier, "status": state.status, "handler_id": state.handler_id,
        "assigned_at": state.assigned_at, "arrived_at": state.arrived_at, "planned_at": state.planned_at,
        "resolved_at": state.resolved_at, "closed_at": state.closed_at, "rating": state.rating,
        "rated_at": state.rated_at, "called_at": state.called_at, "last_step_at": state.last_step_at, "replay": int(state.replay),
        "open_long": int(open_long(state.reported_at, state.resolved_at)),
        "voided_at": state.voided_at, "duplicate_of": state.duplicate_of,
    }


PROVISIONAL_BITS = {"arrive": 1, "resolve": 2, "plan": 4, "follow_up": 8}  # the `provisional` column

# `settled_at`, `figures`, `arrive_seconds`, `resolve_seconds`: see issues.figures (migration m009)


def write_state(conn, row, state: State, terms_cache, *, recompute: bool | str = False) -> None:
    """Store the state after all steps on the issue row, with the base deadlines of its kind and
    current tier and the follow-up call's deadline after the current resolution.

    The one writer of the cached columns: every step, import update and undo comes here.
    `recompute` counts the deadlines again from the same report time and policy (the kind was
    corrected, or a year's holiday arrangement arrived where they were provisional): True for
    all of them, "follow_up" for the call alone (a resolved issue's other promises are decided)."""
    columns = cache_columns(state)
    recount_call = recompute is True or recompute == "follow_up"
    recompute = recompute is True
    provisional = row["provisional"] & ~PROVISIONAL_BITS["follow_up"]
    kind = row["kind"]
    if row["own_due_at"]:
        dues = {"arrive": None, "resolve": row["own_due_at"], "plan": None}
        provisional = 0
    elif (recompute or state.tier != row["tier"]
          or row["arrive_due"] is None and row["resolve_due"] is None and row["plan_due"] is None):
        terms = terms_cache.get(row["policy_id"])
        reported = from_db(row["reported_at"])
        computed = terms.base_deadlines(kind, state.tier, reported)
        dues = {p: to_db(d) if d else None for p, d in computed.items()}
        provisional = sum(PROVISIONAL_BITS[p] for p, d in computed.items() if terms.provisional_years(reported, d))
    else:
        dues = {"arrive": row["arrive_due"], "resolve": row["resolve_due"], "plan": row["plan_due"]}
    columns.update({f"{p}_due": d for p, d in dues.items()})
    follow_up = None
    if state.resolved_at and row["source"] != "import":  # another system's issues had that system's calls
        if not recount_call and row["follow_up_due"] and row["resolved_at"] == state.resolved_at:
            follow_up = row["follow_up_due"]
            provisional |= row["provisional"] & PROVISIONAL_BITS["follow_up"]
        elif row["policy_id"] is not None:
            terms = terms_cache.get(row["policy_id"])
            resolved = from_db(state.resolved_at)
            due = terms.follow_up_deadline(resolved)
            follow_up = to_db(due) if due else None
            if due and terms.provisional_years(resolved, due):
                provisional |= PROVISIONAL_BITS["follow_up"]
    columns["follow_up_due"] = follow_up
    columns["provisional"] = provisional
    earliest = [d for d in (row["first_due_at"], *dues.values()) if d]
    columns["first_due_at"] = min(earliest) if earliest else None
    columns.update(settled_figures({**{k: row[k] for k in EVENTS}, **columns}))
    conn.execute(f"UPDATE issues SET {assignments(columns)} WHERE id = ${len(columns) + 1}", (*columns.values(), row["id"]))
    if state.order is not None:
        order = order_columns(state.order)
        conn.execute(f"UPDATE orders SET {assignments(order)} WHERE issue_id = ${len(order) + 1}",
                     (*order.values(), row["id"]))


def order_columns(order: Order) -> dict:
    """The state of an issue's work order after all its steps, as the `orders` row caches it."""
    return {
        "due_at": order.due_at, "signed_at": order.signed_at, "returned_at": order.returned_at,
        "replied_at": order.replied_at, "solved": None if order.solved is None else int(order.solved),
        "closed_at": order.closed_at, "reworks": len(order.failed), "urges": len(order.urged),
        "extensions": len(order.extended),
    }
