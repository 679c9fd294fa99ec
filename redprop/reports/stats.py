"""How the office kept its promise: counts, share of promises kept, medians, ratings.

Over the issues reported in a range of local days, as things stood at a moment (now by
default), optionally grouped by tier, category, channel, handler, building or grid:
- problems and wishes counted;
- for each promise (on site, resolved, written plan), the share kept among those decided:
  kept = met by its deadline; missed = met late, or unmet with the deadline passed.
  Promises still running (or paused) are not yet decided and not counted;
- median minutes from report to arrival (issues with an arrival step) and to resolution
  (the current resolution of issues resolved by then), in wall-clock time;
- the average of the latest rating of each rated issue;
- the follow-up calls (回访) after a resolution: owed (made, or due and not made), made, and
  made on time (by the policy's follow-up deadline); issues imported from another system owe none;
- the years whose holiday arrangement was not loaded behind any deadline counted
  (`provisional_years`: those deadlines are estimates from the statutory holidays).

At district scale a year is hundreds of thousands of issues: the issues whose past can be
read off their cached columns (all but a few) are aggregated by SQLite in one pass; the
few with a history to replay (waits, reopens, reassignments…) are evaluated in Python
with the same rules.
"""

import statistics
from datetime import date, datetime, timedelta

from redprop.errors import InvalidValue
from redprop.issues.promises import Moment
from redprop.issues.records import ISSUE_SELECT
from redprop.parsing import from_db, local_day_start, to_db
from redprop.store import Store
from redprop.vocab import PROMISES

GROUPINGS = ("tier", "category", "channel", "handler", "building", "grid")
_SQL_GROUP = {
    "tier": "i.tier", "category": "i.category", "channel": "i.channel", "building": "i.building", "grid": "i.grid",
    "handler": "CASE WHEN i.assigned_at <= :m THEN s.name END", None: "'all'",
}


class _Tally:
    def __init__(self):
        self.issues = self.problems = self.wishes = self.rating_sum = self.ratings = 0
        self.kept = dict.fromkeys(PROMISES, 0)
        self.missed = dict.fromkeys(PROMISES, 0)
        self.to_arrive: list[float] = []
        self.to_resolve: list[float] = []
        self.calls_owed = self.calls_made = self.calls_on_time = 0
        self.provisional_years: set[int] = set()

    def add(self, other: "_Tally") -> None:
        self.provisional_years |= other.provisional_years
        for name in ("issues", "problems", "wishes", "rating_sum", "ratings", "calls_owed", "calls_made", "calls_on_time"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for p in PROMISES:
            self.kept[p] += other.kept[p]
            self.missed[p] += other.missed[p]
        self.to_arrive += other.to_arrive
        self.to_resolve += other.to_resolve

    def row(self, group) -> dict:
        result = {"group": group, "issues": self.issues, "problems": self.problems, "wishes": self.wishes}
        for p in PROMISES:
            decided = self.kept[p] + self.missed[p]
            result[f"{p}_kept"] = self.kept[p]
            result[f"{p}_missed"] = self.missed[p]
            result[f"{p}_kept_share"] = round(self.kept[p] / decided, 4) if decided else None
        result["median_arrive_minutes"] = _median(self.to_arrive)
        result["median_resolve_minutes"] = _median(self.to_resolve)
        result["average_rating"] = round(self.rating_sum / self.ratings, 2) if self.ratings else None
        result["ratings"] = self.ratings
        owed = self.calls_owed
        result["follow_up_owed"] = owed
        result["follow_up_made"] = self.calls_made
        result["follow_up_on_time"] = self.calls_on_time
        result["follow_up_made_share"] = round(self.calls_made / owed, 4) if owed else None
        result["follow_up_on_time_share"] = round(self.calls_on_time / owed, 4) if owed else None
        result["provisional_years"] = sorted(self.provisional_years)
        return result


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def issue_stats(store: Store, at: datetime, date_from: date | None, date_to: date | None, by: str | None) -> list[dict]:
    """One row per group (by None: one row, group 'all'), then a total row 'all' when grouped."""
    if by is not None and by not in GROUPINGS:
        raise InvalidValue("--by takes one of: {choices}", choices=list(GROUPINGS))
    moment = Moment(store, at)
    params = {"m": moment.text}
    where = ["i.reported_at <= :m", "i.voided_at IS NULL"]  # a voided issue counts nowhere
    if date_from:
        where.append("i.reported_at >= :start")
        params["start"] = to_db(local_day_start(date_from, store.tz))
    if date_to:
        where.append("i.reported_at < :end")
        params["end"] = to_db(local_day_start(date_to + timedelta(days=1), store.tz))
    tallies: dict = {}
    _aggregate_cached(store, by, where, params, tallies)
    _aggregate_replayed(store, moment, by, where, params, tallies)
    _provisional(store, moment, by, where, params, tallies)
    if by is None and not tallies:
        tallies["all"] = _Tally()
    rows = [tallies[g].row(g) for g in sorted(tallies, key=lambda g: (g is None, str(g)))]
    if by is not None:
        total = _Tally()
        for t in tallies.values():
            total.add(t)
        rows.append(total.row("all"))
    return rows


def _tally(tallies: dict, group) -> _Tally:
    tally = tallies.get(group)
    if tally is None:
        tally = tallies[group] = _Tally()
    return tally


def _aggregate_cached(store: Store, by, where: list[str], params: dict, tallies: dict) -> None:
    group = _SQL_GROUP[by]
    condition = " AND ".join(["i.replay = 0", *where])
    # For an issue read off its cache (replay = 0) an arrival or a plan never follows the
    # resolution (such a step is refused), so "met by arrival, else by resolution" is a CASE.
    # Each promise becomes one code per row (1 kept, 2 missed, 0 not decided or no promise);
    # LIMIT -1 keeps SQLite from inlining the codes into every sum that reads them.
    def code(due: str, met: str) -> str:
        return f"CASE WHEN {due} IS NULL THEN 0 WHEN {met} IS NOT NULL THEN 1 + ({met} > {due}) WHEN {due} < :m THEN 2 ELSE 0 END"

    met = {
        "arrive": "CASE WHEN i.arrived_at <= :m THEN i.arrived_at WHEN i.resolved_at <= :m THEN i.resolved_at END",
        "resolve": "CASE WHEN i.resolved_at <= :m THEN i.resolved_at END",
        "plan": "CASE WHEN i.planned_at <= :m THEN i.planned_at WHEN i.resolved_at <= :m THEN i.resolved_at END",
    }
    counts = f"""
        SELECT g, count(*) AS issues, sum(kind = 'problem') AS problems, sum(kind = 'wish') AS wishes,
            {", ".join(f"sum({p} = 1) AS {p}_kept, sum({p} = 2) AS {p}_missed" for p in PROMISES)},
            total(rating) AS rating_sum, count(rating) AS ratings,
            sum(call = 1 OR call = 2 OR call = 3) AS calls_owed, sum(call = 1 OR call = 2) AS calls_made,
            sum(call = 1) AS calls_on_time
        FROM (
            SELECT {group} AS g, i.kind, {", ".join(f"{code(f'i.{p}_due', met[p])} AS {p}" for p in PROMISES)},
                CASE WHEN i.rated_at <= :m THEN i.rating END AS rating,
                CASE WHEN i.follow_up_due IS NULL OR i.resolved_at > :m THEN 0
                     WHEN i.called_at <= :m THEN 1 + (i.called_at > i.follow_up_due)
                     WHEN i.follow_up_due < :m THEN 3 ELSE 0 END AS call
            FROM issues i LEFT JOIN staff s ON s.id = i.handler_id WHERE {condition} LIMIT -1
        ) GROUP BY g
    """
    for r in store.conn.execute(counts, params):
        tally = _tally(tallies, r["g"])
        tally.issues += r["issues"]
        tally.problems += r["problems"]
        tally.wishes += r["wishes"]
        tally.rating_sum += int(r["rating_sum"])
        tally.ratings += r["ratings"]
        tally.calls_owed += r["calls_owed"] or 0
        tally.calls_made += r["calls_made"] or 0
        tally.calls_on_time += r["calls_on_time"] or 0
        for p in PROMISES:
            tally.kept[p] += r[f"{p}_kept"]
            tally.missed[p] += r[f"{p}_missed"]
    durations = f"""
        SELECT {group} AS g,
            CASE WHEN i.arrived_at <= :m THEN (julianday(i.arrived_at) - julianday(i.reported_at)) * 1440.0 END AS a,
            CASE WHEN i.resolved_at <= :m THEN (julianday(i.resolved_at) - julianday(i.reported_at)) * 1440.0 END AS r
        FROM issues i LEFT JOIN staff s ON s.id = i.handler_id
        WHERE {condition} AND (i.arrived_at <= :m OR i.resolved_at <= :m)
    """
    # A year of a district is a million rows: plain tuples (no Row objects), appends bound once.
    cursor = store.conn.cursor()
    cursor.row_factory = None
    appenders = {g: (t.to_arrive.append, t.to_resolve.append) for g, t in tallies.items()}
    for g, a, r in cursor.execute(durations, params):
        to_arrive, to_resolve = appenders[g]
        if a is not None:
            to_arrive(a)
        if r is not None:
            to_resolve(r)


def _aggregate_replayed(store: Store, moment: Moment, by, where: list[str], params: dict, tallies: dict) -> None:
    sql = f"{ISSUE_SELECT} WHERE i.replay = 1 AND {' AND '.join(where)}"
    rows = store.conn.execute(sql, params).fetchall()
    for row, state, _ in moment.states(rows):
        if by is None:
            group = "all"
        elif by == "tier":
            group = state.tier
        elif by == "handler":
            group = state.handler
        else:
            group = row[by]
        tally = _tally(tallies, group)
        tally.issues += 1
        tally.problems += row["kind"] == "problem"
        tally.wishes += row["kind"] == "wish"
        if state.rating is not None:
            tally.rating_sum += state.rating
            tally.ratings += 1
        for outcome in moment.outcomes(row, state):
            if outcome.state == "kept":
                tally.kept[outcome.promise] += 1
            elif outcome.state in ("missed", "overdue"):
                tally.missed[outcome.promise] += 1
        call = moment.follow_up(row, state)
        if call is not None and call.state in ("kept", "missed", "overdue"):
            tally.calls_owed += 1
            tally.calls_made += call.state != "overdue"
            tally.calls_on_time += call.state == "kept"
        reported = from_db(row["reported_at"])
        if state.arrived_at:
            tally.to_arrive.append(round((from_db(state.arrived_at) - reported).total_seconds() / 60, 3))
        if state.resolved_at:
            tally.to_resolve.append(round((from_db(state.resolved_at) - reported).total_seconds() / 60, 3))


def _provisional(store: Store, moment: Moment, by, where: list[str], params: dict, tallies: dict) -> None:
    """The years not loaded in the holiday calendar behind the deadlines of each group: read off
    the few issues marked provisional (their own small index), by their deadlines' local dates."""
    condition = " AND ".join(["i.provisional > 0", *where])
    sql = (f"SELECT {_SQL_GROUP[by]} AS g, i.reported_at, i.arrive_due, i.resolve_due, i.plan_due, i.follow_up_due"
           f" FROM issues i INDEXED BY issues_provisional LEFT JOIN staff s ON s.id = i.handler_id WHERE {condition}")
    rows = store.conn.execute(sql, params).fetchall()
    if not rows:
        return
    calendar = moment.terms.calendar
    tz = store.tz
    for r in rows:
        first = from_db(r["reported_at"]).astimezone(tz).date()
        dues = [from_db(d).astimezone(tz).date() for d in (r["arrive_due"], r["resolve_due"], r["plan_due"],
                                                           r["follow_up_due"]) if d]
        last = max(dues, default=first)
        _tally(tallies, r["g"]).provisional_years.update(calendar.unknown_years(first, max(first, last)))
