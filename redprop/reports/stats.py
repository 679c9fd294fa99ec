"""How the office kept its promise: counts, share of promises kept, medians, ratings.

Over the issues reported in a range of local days, as things stood at a moment (now by
default), optionally grouped by kind, tier, category, channel, handler, building, grid or the
source of a work order from above:
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
  (`provisional_years`: those deadlines are estimates from the statutory holidays);
- beside them (`orders`), the street's rates of the work orders from above, each picked by
  its own dates in the same days (see reports.orders).

At district scale a year is hundreds of thousands of issues: the issues whose past can be
read off their cached columns (all but a few) are aggregated by SQLite in one pass; the
few with a history to replay (waits, reopens, reassignments…) are evaluated in Python
with the same rules.
"""

import bisect
import statistics
from collections import Counter
from datetime import date, datetime, timedelta

from redprop.errors import InvalidValue
from redprop.issues.promises import Moment
from redprop.issues.figures import ARRIVED_BIT, FIGURE_SHIFT, OPEN_BIT, RATING_SHIFT
from redprop.issues.records import ISSUE_SELECT

from redprop.parsing import from_db, local_day_start, to_db
from redprop.store import Store
from redprop.store.sql import Params, marks
from redprop.vocab import PROMISES

KINDS = ("problem", "wish")
WISH_BIT = 1 << 13  # beside the packed figures (bits 0-12): the issue is a wish
# A LIMIT no query reaches: it keeps a subquery whole (SQLite would otherwise flatten it into the
# query around it and lose the index it reads), in SQL both engines take (SQLite's LIMIT -1 is not).
NO_LIMIT = (1 << 63) - 1

GROUPINGS = ("kind", "tier", "category", "channel", "handler", "building", "grid", "source")
_SQL_GROUP = {
    "kind": "i.kind", "tier": "i.tier", "category": "i.category", "channel": "i.channel", "building": "i.building", "grid": "i.grid",
    "handler": "CASE WHEN i.assigned_at <= $1 THEN s.name END", None: "'all'",
    # who dispatched a work order: an issue with one is always replayed (its order is in its steps),
    # so every issue read off its cache has none
    "source": "NULL",
}
SHARED_GROUPINGS = GROUPINGS[:-1]  # what the report's breakdowns read in one pass
# Every statement below takes the moment the figures are as of as its first value ($1), then the
# range's ends and the boundaries of the periods inside it, numbered by `_figures`.


class _Tally:
    def __init__(self):
        self.issues = self.problems = self.wishes = self.rating_sum = self.ratings = self.satisfied = 0
        self.unfinished = self.overdue = 0
        self.kept = dict.fromkeys(PROMISES, 0)
        self.missed = dict.fromkeys(PROMISES, 0)
        self.to_arrive: list[float] = []  # seconds from the report
        self.to_resolve: list[float] = []
        self.medians = None  # (to arrive, to resolve) in minutes, when counted off the indexes
        self.calls_owed = self.calls_made = self.calls_on_time = 0
        self.provisional_years: set[int] = set()

    def add(self, other: "_Tally") -> None:
        self.provisional_years |= other.provisional_years
        for name in ("issues", "problems", "wishes", "rating_sum", "ratings", "satisfied", "unfinished", "overdue",
                     "calls_owed", "calls_made", "calls_on_time"):
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
        medians = self.medians or (_median_minutes(self.to_arrive), _median_minutes(self.to_resolve))
        result["median_arrive_minutes"], result["median_resolve_minutes"] = medians
        result["average_rating"] = round(self.rating_sum / self.ratings, 2) if self.ratings else None
        result["rating_sum"] = self.rating_sum  # the average's numerator: what adds up across communities
        result["ratings"] = self.ratings
        result["satisfied"] = self.satisfied
        result["satisfied_share"] = round(self.satisfied / self.ratings, 4) if self.ratings else None
        owed = self.calls_owed
        result["follow_up_owed"] = owed
        result["follow_up_made"] = self.calls_made
        result["follow_up_on_time"] = self.calls_on_time
        result["follow_up_made_share"] = round(self.calls_made / owed, 4) if owed else None
        result["follow_up_on_time_share"] = round(self.calls_on_time / owed, 4) if owed else None
        result["unfinished"] = self.unfinished
        result["overdue"] = self.overdue
        result["provisional_years"] = sorted(self.provisional_years)
        return result


    @classmethod
    def of_row(cls, row: dict) -> "_Tally":
        """A row's counts back in a tally (no durations: its medians cannot be added up)."""
        tally = cls()
        for name in ("issues", "problems", "wishes", "rating_sum", "ratings", "satisfied", "unfinished", "overdue"):
            setattr(tally, name, row[name])
        tally.calls_owed, tally.calls_made, tally.calls_on_time = (
            row["follow_up_owed"], row["follow_up_made"], row["follow_up_on_time"])
        for p in PROMISES:
            tally.kept[p], tally.missed[p] = row[f"{p}_kept"], row[f"{p}_missed"]
        tally.provisional_years = set(row["provisional_years"])
        return tally


def summed_rows(rows: list[dict], group) -> dict:
    """`issue_stats` rows of several communities as one row of `group`: every count added and
    every share worked out again from the added counts (never the shares averaged), the work
    orders' figures alike; the medians None (a median of medians is not the whole's median)."""
    from redprop.reports.rates import summed

    total = _Tally()
    for row in rows:
        total.add(_Tally.of_row(row))
    total.medians = (None, None)
    orders = summed([{k: v for k, v in row.items() if k.startswith(("order_", "orders_"))} for row in rows])
    return {**total.row(group), **orders}


def issue_stats(store: Store, at: datetime, date_from: date | None, date_to: date | None, by: str | None) -> list[dict]:
    """One row per group (by None: one row, group 'all'), then a total row 'all' when grouped."""
    if by is not None and by not in GROUPINGS:
        raise InvalidValue("--by takes one of: {choices}", choices=list(GROUPINGS))
    start = local_day_start(date_from, store.tz) if date_from else None
    end = local_day_start(date_to + timedelta(days=1), store.tz) if date_to else None
    [rows] = _figures(store, at, [start, end], by)
    from redprop.reports.orders import add_order_rates

    return add_order_rates(store, at, to_db(start) if start else None, to_db(end) if end else None, by, rows,
                           lambda group: _Tally().row(group))


def period_stats(store: Store, at: datetime, days: list[date], by: str | None, medians: bool = True,
                 shared: dict | None = None) -> list[list[dict]]:
    """`issue_stats` for each of the consecutive periods that start on `days` (the last day is
    where the last period ends, not included), in one pass: rows per period, as issue_stats gives
    them for `--from` the period's first day `--to` its last (without `medians`, none: the
    counts alone, a lighter pass). Calls for several groupings of the same periods and moment
    that pass the same `shared` dict read the issues' rows once between them."""
    if by is not None and by not in GROUPINGS:
        raise InvalidValue("--by takes one of: {choices}", choices=list(GROUPINGS))
    return _figures(store, at, [local_day_start(d, store.tz) for d in days], by, medians, shared)


def _figures(store: Store, at: datetime, bounds: list, by: str | None, medians: bool = True,
             shared: dict | None = None) -> list[list[dict]]:
    """The rows of each period between consecutive `bounds` (instants; None: unbounded)."""
    moment = Moment(store, at)
    params = Params()
    where = [f"i.reported_at <= {params(moment.text)}", "i.voided_at IS NULL"]  # $1; a voided issue counts nowhere
    texts = [to_db(b) if b is not None else None for b in bounds]
    if texts[0] is not None:
        where.append(f"i.reported_at >= {params(texts[0])}")
    if texts[-1] is not None:
        where.append(f"i.reported_at < {params(texts[-1])}")
    filtered = Params(params)  # the values of `where` alone
    inner = texts[1:-1]  # the boundaries inside the range: a period's index is how many are passed
    period_sql = "0" if not inner else "(" + " + ".join(f"CASE WHEN i.reported_at >= {params(t)} THEN 1 ELSE 0 END"
                                                         for t in inner) + ")"

    def period_of(reported_at: str) -> int:
        return bisect.bisect_right(inner, reported_at)

    tallies: dict = {}
    _aggregate_replayed(store, moment, by, where, filtered, period_of, tallies)
    fast = by in (None, "kind")  # off the indexes of settled figures, without reading a row
    _aggregate_cached(store, by, where, params, period_sql, tallies, medians, settled_rows=not fast, shared=shared)
    totals = _aggregate_settled(store, by, texts, moment.text, tallies, medians) if fast else {}
    _provisional(store, moment, by, where, params, period_sql, tallies)
    result = []
    for period in range(len(bounds) - 1):
        groups = {g: t for (p, g), t in tallies.items() if p == period}
        if by is None and not groups:
            groups["all"] = _Tally()
        rows = [groups[g].row(g) for g in sorted(groups, key=lambda g: (g is None, str(g)))]
        if by is not None:
            total = _Tally()
            for t in groups.values():
                total.add(t)
            total.medians = totals.get(period)
            rows.append(total.row("all"))
        result.append(rows)
    return result


def _tally(tallies: dict, key) -> _Tally:
    tally = tallies.get(key)
    if tally is None:
        tally = tallies[key] = _Tally()
    return tally


def _from(by) -> str:
    """The issues (the staff table only to name a handler)."""
    staff = " LEFT JOIN staff s ON s.id = i.handler_id" if by == "handler" else ""
    return f"FROM issues i{staff}"


def _aggregate_cached(store: Store, by, where: list[str], params: list, period_sql: str, tallies: dict,
                      medians: bool = True, settled_rows: bool = True, shared: dict | None = None) -> None:
    """The issues read off their cache (replay = 0), grouped by tier, category, channel, handler,
    building or grid (without `settled_rows`, by none or kind: _aggregate_settled counts those
    off the indexes): the settled ones (all but the newest) row by row, counted by their packed
    figures, the rest with each promise worked out as of the moment."""
    group = _SQL_GROUP[by]
    condition = " AND ".join(["i.replay = 0", *where])
    # One pass: a row per issue as plain tuples (SQLite's GROUP BY would sort them all), counted
    # by its packed figures in C (Counter), its seconds kept for the medians.
    settled = f"""
        SELECT {period_sql} AS p, {group} AS g, i.figures + CASE WHEN i.kind = 'wish' THEN {WISH_BIT} ELSE 0 END,
            {"i.arrive_seconds, i.resolve_seconds" if medians else "NULL, NULL"}
        {_from(by)} WHERE {condition} AND i.settled_at < $1
    """
    cursor = store.tuple_cursor()
    counted: Counter = Counter()
    if not settled_rows:  # counted off the indexes instead (_aggregate_settled)
        rows = []
    elif shared is not None and not medians and by is not None:
        # several groupings of the same issues: their rows read once, with every group column
        key = (period_sql, tuple(params))
        if key not in shared:
            columns = ", ".join(_SQL_GROUP[g] for g in SHARED_GROUPINGS)
            shared[key] = cursor.execute(
                f"SELECT {period_sql}, i.figures + CASE WHEN i.kind = 'wish' THEN {WISH_BIT} ELSE 0 END, {columns}"
                f" FROM issues i LEFT JOIN staff s ON s.id = i.handler_id WHERE {condition} AND i.settled_at < $1",
                params).fetchall()
        column = 2 + SHARED_GROUPINGS.index(by)
        counted = Counter((r[0], r[column], r[1]) for r in shared[key])
        rows = []
    else:
        rows = cursor.execute(settled, params).fetchall()
    if rows:
        periods, groups, figures, arrivals, resolutions = zip(*rows)  # columns, transposed in C
        del rows
        if not medians:
            counted = Counter(zip(periods, groups, figures))
            for key in set(zip(periods, groups)):
                _tally(tallies, key)
        else:
            keys = list(zip(periods, groups))
            counted = Counter(zip(periods, groups, figures))
            lists = {}
            for key in set(keys):
                tally = _tally(tallies, key)
                lists[key] = (tally.to_arrive.append, tally.to_resolve.append)
            for key, a, r in zip(keys, arrivals, resolutions):
                to_arrive, to_resolve = lists[key]
                if a is not None:
                    to_arrive(a)
                if r is not None:
                    to_resolve(r)
    _add_counted(tallies, counted)
    _aggregate_unsettled(store, by, where, params, period_sql, tallies, medians, cursor)


def _add_counted(tallies: dict, counted) -> None:
    """Issues counted by (period, group, packed figures with WISH_BIT) into their tallies."""
    arrive, resolve, plan, call = (FIGURE_SHIFT[k] for k in ("arrive", "resolve", "plan", "follow_up"))
    for (p, g, figures), n in counted.items():
        tally = _tally(tallies, (p, g))
        tally.issues += n
        if figures & WISH_BIT:
            tally.wishes += n
        else:
            tally.problems += n
        unmet = False
        for promise, shift in (("arrive", arrive), ("resolve", resolve), ("plan", plan)):
            code = figures >> shift & 3
            if code == 1:
                tally.kept[promise] += n
            elif code:
                tally.missed[promise] += n
                unmet = unmet or code == 3
        code = figures >> call & 3
        if code:
            tally.calls_owed += n
            tally.calls_made += n if code != 3 else 0
            tally.calls_on_time += n if code == 1 else 0
        rating = figures >> RATING_SHIFT & 7
        if rating:
            tally.ratings += n
            tally.rating_sum += rating * n
            tally.satisfied += n if rating >= 4 else 0
        if figures & OPEN_BIT:
            tally.unfinished += n
            tally.overdue += n if unmet else 0


def _aggregate_unsettled(store: Store, by, where: list[str], params: list, period_sql: str, tallies: dict,
                         medians: bool, cursor) -> None:
    """The issues of the cache not settled by the moment (the newest, or a moment in the past)."""
    group = _SQL_GROUP[by]
    condition = " AND ".join(["i.replay = 0", *where])
    # The rest (reported or still running near the moment): as the cache stood at the moment.
    # An arrival or a plan never follows the resolution on such a row (such a step is refused),
    # so "met by arrival, else by resolution" is a CASE. Each promise becomes one code per row
    # (1 kept, 2 met late, 3 unmet past its deadline, 0 not decided or no promise).
    def code_sql(due: str, met: str) -> str:
        return (f"CASE WHEN {due} IS NULL THEN 0 WHEN {met} IS NOT NULL THEN CASE WHEN {met} > {due} THEN 2 ELSE 1 END"
                f" WHEN {due} < $1 THEN 3 ELSE 0 END")

    met = {
        "arrive": "CASE WHEN i.arrived_at <= $1 THEN i.arrived_at WHEN i.resolved_at <= $1 THEN i.resolved_at END",
        "resolve": "CASE WHEN i.resolved_at <= $1 THEN i.resolved_at END",
        "plan": "CASE WHEN i.planned_at <= $1 THEN i.planned_at WHEN i.resolved_at <= $1 THEN i.resolved_at END",
    }
    handler_group = "CASE WHEN i.assigned_at <= $1 THEN s.name END" if by == "handler" else group
    counts = f"""
        SELECT p, g, count(*) AS issues, count(*) FILTER (WHERE kind = 'problem') AS problems,
            count(*) FILTER (WHERE kind = 'wish') AS wishes,
            {", ".join(f"count(*) FILTER (WHERE {p} = 1) AS {p}_kept, count(*) FILTER (WHERE {p} >= 2) AS {p}_missed"
                       for p in PROMISES)},
            coalesce(sum(rating), 0) AS rating_sum, count(rating) AS ratings, count(*) FILTER (WHERE rating >= 4) AS satisfied,
            count(*) FILTER (WHERE open) AS unfinished,
            count(*) FILTER (WHERE open AND (arrive = 3 OR resolve = 3 OR plan = 3)) AS overdue,
            count(*) FILTER (WHERE call = 1 OR call = 2 OR call = 3) AS calls_owed,
            count(*) FILTER (WHERE call = 1 OR call = 2) AS calls_made, count(*) FILTER (WHERE call = 1) AS calls_on_time
        FROM (
            SELECT {period_sql} AS p, {handler_group} AS g, i.kind,
                {", ".join(f"{code_sql(f'i.{p}_due', met[p])} AS {p}" for p in PROMISES)},
                CASE WHEN i.rated_at <= $1 THEN i.rating END AS rating,
                i.resolved_at IS NULL OR i.resolved_at > $1 AS open,
                CASE WHEN i.follow_up_due IS NULL OR i.resolved_at > $1 THEN 0
                     WHEN i.called_at <= $1 THEN CASE WHEN i.called_at > i.follow_up_due THEN 2 ELSE 1 END
                     WHEN i.follow_up_due < $1 THEN 3 ELSE 0 END AS call
            FROM issues i {store.indexed_by('issues_unsettled')} LEFT JOIN staff s ON s.id = i.handler_id
            WHERE {condition} AND i.settled_at >= $1 LIMIT {NO_LIMIT}
        ) AS unsettled GROUP BY p, g
    """
    for r in store.conn.execute(counts, params):
        tally = _tally(tallies, (r["p"], r["g"]))
        tally.issues += r["issues"]
        tally.problems += r["problems"]
        tally.wishes += r["wishes"]
        tally.rating_sum += int(r["rating_sum"])
        tally.ratings += r["ratings"]
        tally.satisfied += r["satisfied"] or 0
        tally.unfinished += r["unfinished"] or 0
        tally.overdue += r["overdue"] or 0
        tally.calls_owed += r["calls_owed"] or 0
        tally.calls_made += r["calls_made"] or 0
        tally.calls_on_time += r["calls_on_time"] or 0
        for p in PROMISES:
            tally.kept[p] += r[f"{p}_kept"]
            tally.missed[p] += r[f"{p}_missed"]
    durations = f"""
        SELECT {period_sql} AS p, {handler_group} AS g, CASE WHEN i.arrived_at <= $1 THEN i.arrive_seconds END,
            CASE WHEN i.resolved_at <= $1 THEN i.resolve_seconds END
        FROM issues i {store.indexed_by('issues_unsettled')} LEFT JOIN staff s ON s.id = i.handler_id
        WHERE {condition} AND i.settled_at >= $1 AND (i.arrived_at <= $1 OR i.resolved_at <= $1)
    """
    for p, g, a, r in cursor.execute(durations, params) if medians else ():
        tally = tallies[p, g]
        if a is not None:
            tally.to_arrive.append(a)
        if r is not None:
            tally.to_resolve.append(r)


def _settled(moment: str) -> str:
    """Settled before the moment (the placeholder of its value): what the indexes below hold."""
    return f"replay = 0 AND voided_at IS NULL AND settled_at < {moment}"


def _aggregate_settled(store: Store, by, texts: list, moment: str, tallies: dict, medians: bool) -> dict:
    """The issues settled by the moment, by period and kind: for each kind and packed figures
    (found by skipping along `issues_figures`), the length of its range of report times in each
    period. The medians walk the minutes of `issues_arrive_minutes` / `issues_resolve_minutes`."""
    conn = store.conn
    kinds_figures = []
    by_figures = store.indexed_by("issues_figures")
    step = (f"SELECT figures FROM issues {by_figures} WHERE kind = $1 AND figures > $2"
            " AND replay = 0 AND voided_at IS NULL ORDER BY figures LIMIT 1")
    for kind in KINDS:  # one seek a value: (kind, figures) > (?, ?) would walk the index
        last = -1
        while (row := conn.execute(step, (kind, last)).fetchone()) is not None:
            last = row[0]
            kinds_figures.append((kind, last))
    periods = len(texts) - 1
    ranges = []
    for n in range(periods):
        start = texts[n] if texts[n] is not None else ""
        end = texts[n + 1] if texts[n + 1] is not None else "~"  # after every stored instant
        ranges.append((start, min(end, moment + " ")))  # reported by the moment (inclusive)
    count = (f"SELECT count(*) FROM issues {by_figures} WHERE kind = $1 AND figures = $2"
             f" AND reported_at >= $3 AND reported_at < $4 AND {_settled('$5')}")
    counted: Counter = Counter()
    settled = {}  # (period, kind) → (issues with an arrival, resolved issues), settled
    for kind, figures in kinds_figures:
        key = figures | (WISH_BIT if kind == "wish" else 0)
        for n, (start, end) in enumerate(ranges):
            found = conn.execute(count, (kind, figures, start, end, moment)).fetchone()[0] if start < end else 0
            if found:
                counted[n, "all" if by is None else kind, key] += found
                arrived, resolved = settled.get((n, kind), (0, 0))
                settled[n, kind] = (arrived + (found if figures & ARRIVED_BIT else 0),
                                    resolved + (found if not figures & OPEN_BIT else 0))
    _add_counted(tallies, counted)
    totals: dict = {}  # period → the medians of both kinds (the total row of by=kind)
    if not medians:
        return totals
    for n, (start, end) in enumerate(ranges):
        groups = [("all", KINDS)] if by is None else [(k, (k,)) for k in KINDS] + [(None, KINDS)]
        for group, kinds in groups:
            if group is None:  # the total row of by=kind: both kinds, the replayed of both
                extra = [t for (p, g), t in tallies.items() if p == n]
            else:
                extra = [tallies[n, group]] if (n, group) in tallies else []
            values = []
            for measure, index, column, which in (("arrive", "issues_arrive_minutes", "arrive_seconds", 0),
                                                  ("resolve", "issues_resolve_minutes", "resolve_seconds", 1)):
                own = sorted(v for t in extra for v in (t.to_arrive if which == 0 else t.to_resolve))
                total = sum(settled.get((n, k), (0, 0))[which] for k in kinds)
                values.append(_walk_median(conn, store.indexed_by(index), column, kinds, start, end, moment, total, own))
            if group is None:
                totals[n] = tuple(values)
            elif (n, group) in tallies or any(v is not None for v in values):  # no row for a kind with no issues
                _tally(tallies, (n, group)).medians = tuple(values)
    return totals


def _walk_median(conn, hint: str, column: str, kinds, start: str, end: str, moment: str, settled: int,
                 own: list) -> float | None:
    """The median, in minutes, of `column` over the settled issues of these kinds reported in
    [start, end) and the values `own` (sorted seconds of the others): the minutes are walked in
    order, each one's count read off the index range (the one `hint` names), until the middle is
    reached; only the middle minute's seconds are read."""
    size = settled + len(own)
    if not size:
        return None
    ranks = ((size - 1) // 2, size // 2)
    minute = f"{column} / 60"
    nxt = (f"SELECT {minute} FROM issues {hint} WHERE kind = $1 AND {minute} > $2 AND {column} IS NOT NULL"
           f" AND replay = 0 AND voided_at IS NULL ORDER BY {minute} LIMIT 1")
    in_minute = (f"FROM issues {hint} WHERE kind IN ({marks(len(kinds), 5)}) AND {minute} = $1 AND reported_at >= $2"
                 f" AND reported_at < $3 AND {column} IS NOT NULL AND {_settled('$4')}")
    before = 0  # values below the current minute
    found: list = []
    current = -1
    o = 0  # own values below the current minute
    while len(found) < 2:
        following = [r[0] for k in kinds if (r := conn.execute(nxt, (k, current)).fetchone())] if settled else []
        row = (min(following) if following else None,)
        candidates = [x for x in (row[0], int(own[o] // 60) if o < len(own) else None) if x is not None]
        if not candidates:
            break
        current = min(candidates)
        here = conn.execute(f"SELECT count(*) {in_minute}", (current, start, end, moment, *kinds)).fetchone()[0] \
            if settled else 0
        mine = 0
        while o + mine < len(own) and int(own[o + mine] // 60) == current:
            mine += 1
        inside = here + mine
        for rank in ranks[len(found):]:
            if before <= rank < before + inside:
                seconds = sorted([*(v for (v,) in conn.execute(f"SELECT {column} {in_minute}",
                                                               (current, start, end, moment, *kinds))),
                                  *own[o:o + mine]]) if here else own[o:o + mine]
                found.append(seconds[rank - before])
        before += inside
        o += mine
    return round((found[0] + found[-1]) / 2 / 60, 1) if found else None


def _median_minutes(seconds: list) -> float | None:
    return round(statistics.median(seconds) / 60, 1) if seconds else None


def _aggregate_replayed(store: Store, moment: Moment, by, where: list[str], params: list, period_of, tallies: dict) -> None:
    sql = f"{ISSUE_SELECT} WHERE i.replay = 1 AND {' AND '.join(where)}"
    rows = store.conn.execute(sql, params).fetchall()
    sources = {}
    if by == "source":
        from redprop.issues.orders import load_orders

        sources = {i: o["source"] for i, o in load_orders(store.conn, [r["id"] for r in rows]).items()}
    for row, state, _ in moment.states(rows):
        if by is None:
            group = "all"
        elif by == "source":
            group = sources.get(row["id"])
        elif by == "tier":
            group = state.tier
        elif by == "handler":
            group = state.handler
        else:
            group = row[by]
        tally = _tally(tallies, (period_of(row["reported_at"]), group))
        tally.issues += 1
        tally.problems += row["kind"] == "problem"
        tally.wishes += row["kind"] == "wish"
        if state.rating is not None:
            tally.rating_sum += state.rating
            tally.ratings += 1
            tally.satisfied += state.rating >= 4
        overdue = False
        for outcome in moment.outcomes(row, state):
            if outcome.state == "kept":
                tally.kept[outcome.promise] += 1
            elif outcome.state in ("missed", "overdue"):
                tally.missed[outcome.promise] += 1
            overdue = overdue or outcome.state == "overdue"
        if state.resolved_at is None:
            tally.unfinished += 1
            tally.overdue += overdue
        call = moment.follow_up(row, state)
        if call is not None and call.state in ("kept", "missed", "overdue"):
            tally.calls_owed += 1
            tally.calls_made += call.state != "overdue"
            tally.calls_on_time += call.state == "kept"
        reported = from_db(row["reported_at"])
        if state.arrived_at:
            tally.to_arrive.append((from_db(state.arrived_at) - reported).total_seconds())
        if state.resolved_at:
            tally.to_resolve.append((from_db(state.resolved_at) - reported).total_seconds())


def _provisional(store: Store, moment: Moment, by, where: list[str], params: list, period_sql: str, tallies: dict) -> None:
    """The years not loaded in the holiday calendar behind the deadlines of each group: read off
    the few issues marked provisional (their own small index), by their deadlines' local dates."""
    condition = " AND ".join(["i.provisional > 0", *where])
    sql = (f"SELECT {period_sql} AS p, {_SQL_GROUP[by]} AS g, i.reported_at, i.arrive_due, i.resolve_due, i.plan_due, i.follow_up_due"
           f" FROM issues i {store.indexed_by('issues_provisional')} LEFT JOIN staff s ON s.id = i.handler_id"
           f" WHERE {condition}")
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
        _tally(tallies, (r["p"], r["g"])).provisional_years.update(calendar.unknown_years(first, max(first, last)))
