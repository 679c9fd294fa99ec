"""The figures an issue settles on, packed for `stats` (the columns of migration m009).

One spelling of the rule, used by the writer of an issue's cached columns
(issues.records.write_state), the bulk import and undo (`resettle`, registered below as the
work the store does after undoing a change to an issue). Migration m009 filled the columns of
existing rows with its own frozen copy of this rule, as it stood at release.
"""

from redprop.parsing import from_db
from redprop.store import hooks

# The `figures` column (migration m009): each promise's outcome once nothing more can happen
# to it (2 bits each: 0 no promise, 1 kept, 2 met late, 3 unmet past its deadline), the rating
# (0 none), whether the issue is unfinished and whether it has an arrival (it has a time to
# arrive). Valid as of any moment after `settled_at`.
FIGURE_SHIFT = {"arrive": 0, "resolve": 2, "plan": 4, "follow_up": 6}
RATING_SHIFT, OPEN_BIT, ARRIVED_BIT = 8, 1 << 11, 1 << 12
EVENTS = ("reported_at", "assigned_at", "arrived_at", "planned_at", "resolved_at", "closed_at", "rated_at", "called_at",
           "arrive_due", "resolve_due", "plan_due", "follow_up_due")


def settled_figures(c) -> dict:
    """`settled_at` (the last instant at which anything recorded on the row happens or falls
    due: later, without a new step, its figures no longer change), `figures` (see FIGURE_SHIFT)
    and the seconds from the report to the arrival and to the resolution, from an issue's cached
    columns (a row or a dict). What `stats` reads off one index for all but the newest issues."""
    def code(due, met):
        if due is None:
            return 0
        if met is None:
            return 3
        return 2 if met > due else 1

    resolved = c["resolved_at"]
    figures = (code(c["arrive_due"], c["arrived_at"] or resolved) << FIGURE_SHIFT["arrive"]
               | code(c["resolve_due"], resolved) << FIGURE_SHIFT["resolve"]
               | code(c["plan_due"], c["planned_at"] or resolved) << FIGURE_SHIFT["plan"]
               | code(c["follow_up_due"], c["called_at"]) << FIGURE_SHIFT["follow_up"]
               | ((c["rating"] or 0) if c["rated_at"] else 0) << RATING_SHIFT
               | (0 if resolved else OPEN_BIT)
               | (ARRIVED_BIT if c["arrived_at"] else 0))
    reported = from_db(c["reported_at"])

    def seconds(text):
        return int((from_db(text) - reported).total_seconds()) if text else None

    return {"settled_at": max(c[k] for k in EVENTS if c[k]), "figures": figures,
            "arrive_seconds": seconds(c["arrived_at"]), "resolve_seconds": seconds(resolved)}


@hooks.after_undo("issues")
def resettle(conn, ids) -> None:
    """Write the settled figures of these issues again from their cached columns: after an undo,
    which restores the columns its log entry holds (an entry logged before migration m009 holds
    none of these). In bulk — the undo of an undone import puts back thousands — and only where
    they differ (each write is logged with the undo)."""
    names = ("id", "rating", *EVENTS, *SETTLED)
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        marks = ", ".join(f"${n}" for n in range(1, len(part) + 1))
        changed = []
        for row in conn.execute(f"SELECT {', '.join(names)} FROM issues WHERE id IN ({marks})", part).fetchall():
            row = dict(zip(names, row))
            s = settled_figures(row)
            if any(s[k] != row[k] for k in SETTLED):
                changed.append((s["settled_at"], s["figures"], s["arrive_seconds"], s["resolve_seconds"], row["id"]))
        conn.executemany("UPDATE issues SET settled_at = $1, figures = $2, arrive_seconds = $3, resolve_seconds = $4"
                         " WHERE id = $5", changed)


SETTLED = ("settled_at", "figures", "arrive_seconds", "resolve_seconds")  # what settled_figures writes
CHUNK = 500  # issues read at a time (SQLite takes up to 32,766 values in a statement)
