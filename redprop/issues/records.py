"""Issues in the store: the row with its household and handler, its steps, and the one writer
of the state cached on the row.

`issue_steps` is the record: every step sits at the time it happened (`at`) with the time it
was typed in (`recorded_at`). The columns of `issues` after `source_key` cache the state
after all steps (see migration m003), so that the morning list reads indexes instead of
replaying history. `write_state` is the only code that writes them, whoever adds steps:
a command, an import or an undo.
"""

from datetime import timedelta

from redprop.errors import InvalidValue, NotFound
from redprop.issues.lifecycle import State, Step, imported_steps
from redprop.parsing import from_db, to_db

LONG_OPEN = timedelta(days=7)  # issues resolved later than this after their report are flagged `open_long`

ISSUE_SELECT = (
    "SELECT i.*, h.key AS household_key, s.name AS handler FROM issues i"
    " LEFT JOIN households h ON h.id = i.household_id LEFT JOIN staff s ON s.id = i.handler_id"
)


def parse_issue_id(text) -> int:
    raw = str(text).strip().lstrip("#＃").strip()
    if not raw.isdigit():
        raise InvalidValue("{text!r} is not an issue number (like 37 or #37)", text=text)
    return int(raw)


def get_issue_row(conn, issue_id: int):
    row = conn.execute(f"{ISSUE_SELECT} WHERE i.id = ?", (issue_id,)).fetchone()
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
            f" WHERE st.issue_id IN ({','.join('?' * len(chunk))}) ORDER BY st.issue_id, st.at, st.id",
            chunk,
        ):
            result[r["issue_id"]].append(Step(
                r["action"], r["at"], r["recorded_at"], r["id"], r["by_name"], r["by_id"], r["staff_name"],
                r["staff_id"], r["value"], r["meeting_at"], r["decision"], r["note"],
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
        "INSERT INTO issue_steps (issue_id, action, at, recorded_at, by_id, staff_id, value, meeting_at, decision, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(issue_id, s.action, s.at, s.recorded_at, s.by_id, s.staff_id, s.value, s.meeting_at, s.decision, s.note)
         for s in steps],
    )


def staff_id(conn, name: str | None, *, handler: bool = False) -> int | None:
    """The staff member's id. With `handler`, they are to be handed an issue: only someone still
    in post can be (a step done *by* someone since gone may still be typed in after the fact)."""
    if not name:
        return None
    row = conn.execute("SELECT id, active FROM staff WHERE name = ?", (name.strip(),)).fetchone()
    if row is None:
        raise NotFound("no staff member {name!r} (see `redprop staff list`)", name=name.strip())
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
        "rated_at": state.rated_at, "last_step_at": state.last_step_at, "replay": int(state.replay),
        "open_long": int(open_long(state.reported_at, state.resolved_at)),
        "voided_at": state.voided_at, "duplicate_of": state.duplicate_of,
    }


def write_state(conn, row, state: State, terms_cache) -> None:
    """Store the state after all steps on the issue row, with the current tier's base deadlines.

    The one writer of the cached columns: every step, import update and undo comes here."""
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
