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
# What the monthly report's breakdowns by grid point and handler read in one pass, without medians:
# the settled issues' figures off an index by report time that holds them with these columns
# (m014), not the table's rows. A settled issue's handler is its row's (handler_id is set by the
# assignment that sets assigned_at, before the issue settled): named from the staff table.
SHARED_GROUPINGS = {"grid": "i.grid", "handler": "i.handler_id"}
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
    fast = by in (None, "kind") or by in SETTLED_INDEXES  # off the indexes of settled figures, without reading a row
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
    building or grid (without `settled_rows`, by none, kind or category: _aggregate_settled counts those
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
    elif shared is not None and not medians and by in SHARED_GROUPINGS:
        # several groupings of the same issues: their rows read once, with every group column
        key = (period_sql, tuple(params))
        if key not in shared:
            shared[key] = cursor.execute(
                f"SELECT {period_sql}, i.figures + CASE WHEN i.kind = 'wish' THEN {WISH_BIT} ELSE 0 END,"
                f" {', '.join(SHARED_GROUPINGS.values())} FROM issues i {store.indexed_by('issues_reported_figures')}"
                f" WHERE {condition} AND i.settled_at < $1", params).fetchall()
        column = 2 + list(SHARED_GROUPINGS).index(by)
        counted = Counter((r[0], r[column], r[1]) for r in shared[key])
        if by == "handler":
            names = dict(store.conn.execute("SELECT id, name FROM staff").fetchall())
            named: Counter = Counter()
            for (p, handler_id, figures), n in counted.items():
                named[p, names.get(handler_id), figures] += n
            counted = named
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


# The indexes the settled figures are counted off (no row read): by kind and packed figures, and
# the minutes to arrive and to resolve (migration m009); and, for a grouping whose column (NOT
# NULL) leads indexes of its own before the kind, the same led by it (m014). Every grouping's own
# indexes would cost each import and each write: only the category, which the office's bulletins
# and the monthly report break their figures down by, has them; the others are read row by row.
SETTLED_INDEXES = {
    None: ("issues_figures", "issues_arrive_minutes", "issues_resolve_minutes"),
    "category": ("issues_category_figures", "issues_category_arrive", "issues_category_resolve"),
}


def _lead_values(conn, hint: str, column: str) -> list:
    """The values of `column` among the settled-figure rows of its index, one seek each."""
    first = f"SELECT {column} FROM issues {hint} WHERE replay = 0 AND voided_at IS NULL ORDER BY {column} LIMIT 1"
    following = (f"SELECT {column} FROM issues {hint} WHERE {column} > $1 AND replay = 0 AND voided_at IS NULL"
                 f" ORDER BY {column} LIMIT 1")
    values = []
    while (row := conn.execute(following, (values[-1],)).fetchone() if values else conn.execute(first).fetchone()):
        values.append(row[0])
    return values


def _aggregate_settled(store: Store, by, texts: list, moment: str, tallies: dict, medians: bool) -> dict:
    """The issues settled by the moment, by period and group (by none, kind, or a grouping of
    SETTLED_INDEXES): for each group value, kind and packed figures (found by skipping along the
    figures index), the length of its range of report times in each period. The medians walk the
    minutes of the arrive / resolve minutes indexes."""
    conn = store.conn
    lead = by if by in SETTLED_INDEXES else None  # the grouping's column leads its own indexes
    figures_index, *minutes_indexes = SETTLED_INDEXES[lead]
    by_figures = store.indexed_by(figures_index)
    leads = _lead_values(conn, by_figures, lead) if lead else [None]
    lead_at = {}  # the lead's condition at each placeholder number it may take
    if lead:
        lead_at = {n: f" AND {lead} = ${n}" for n in (3, 6)}
    combinations = []  # (lead value, kind, packed figures)
    for value in leads:
        step = (f"SELECT figures FROM issues {by_figures} WHERE kind = $1 AND figures > $2"
                f" AND replay = 0 AND voided_at IS NULL{lead_at.get(3, '')} ORDER BY figures LIMIT 1")
        for kind in KINDS:  # one seek a value: (kind, figures) > (?, ?) would walk the index
            last = -1
            while (row := conn.execute(step, (kind, last) + ((value,) if lead else ())).fetchone()) is not None:
                last = row[0]
                combinations.append((value, kind, last))
    periods = len(texts) - 1
    ranges = []
    for n in range(periods):
        start = texts[n] if texts[n] is not None else ""
        end = texts[n + 1] if texts[n + 1] is not None else "~"  # after every stored instant
        ranges.append((start, min(end, moment + " ")))  # reported by the moment (inclusive)
    count = (f"SELECT count(*) FROM issues {by_figures} WHERE kind = $1 AND figures = $2"
             f" AND reported_at >= $3 AND reported_at < $4 AND {_settled('$5')}{lead_at.get(6, '')}")
    counted: Counter = Counter()
    settled = {}  # (period, group, kind) → (issues with an arrival, resolved issues), settled
    for value, kind, figures in combinations:
        key = figures | (WISH_BIT if kind == "wish" else 0)
        group = value if lead else "all" if by is None else kind
        for n, (start, end) in enumerate(ranges):
            found = conn.execute(count, (kind, figures, start, end, moment) + ((value,) if lead else ())).fetchone()[0] \
                if start < end else 0
            if found:
                counted[n, group, key] += found
                arrived, resolved = settled.get((n, group, kind), (0, 0))
                settled[n, group, kind] = (arrived + (found if figures & ARRIVED_BIT else 0),
                                           resolved + (found if not figures & OPEN_BIT else 0))
    _add_counted(tallies, counted)
    totals: dict = {}  # period → the medians of every group together (the total row of a grouping)
    if not medians:
        return totals
    lead_column = lead or "kind"  # the column the walk counts by: the kind leads m009's indexes
    values = leads if lead else list(KINDS)
    hints = [store.indexed_by(i) for i in minutes_indexes]
    jumps = [store.indexed_by(i) for i in SETTLED_INDEXES[None][1:]]  # led by the kind: a seek to a minute
    for n, (start, end) in enumerate(ranges):
        others = {g: t for (p, g), t in tallies.items() if p == n}  # the replayed and unsettled, by group
        if by is None:
            names = []  # one row: the total of both kinds
        else:
            names = sorted(set(values) | set(others), key=str)
        found = []
        for which, column in ((0, "arrive_seconds"), (1, "resolve_seconds")):
            def settled_of(group) -> int:
                return sum(v[which] for (p, g, _k), v in settled.items() if p == n and (group is None or g == group))

            def own_of(tally_list) -> list:
                return sorted(v for t in tally_list for v in (t.to_arrive if which == 0 else t.to_resolve))

            groups = {g: (settled_of(g), own_of([others[g]] if g in others else [])) for g in names}
            total = (settled_of(None), own_of(others.values()))
            found.append(_walk_medians(conn, hints[which], jumps[which], column, lead_column, values, groups, total,
                                       start, end, moment))
        for group in names:
            medians = (found[0][group], found[1][group])
            if (n, group) in tallies or any(v is not None for v in medians):  # no row for a group with no issues
                _tally(tallies, (n, group)).medians = medians
        if by is None:
            if (n, "all") in tallies or any(f[None] is not None for f in found):
                _tally(tallies, (n, "all")).medians = (found[0][None], found[1][None])
        else:
            totals[n] = (found[0][None], found[1][None])
    return totals


class _Walk:
    """One median being found by `_walk_medians`: its ranks in the sorted values, the values
    below the minute the walk is at, its own values (sorted seconds, read off no index)."""

    def __init__(self, settled: int, own: list):
        size = settled + len(own)
        self.ranks = ((size - 1) // 2, size // 2) if size else ()
        self.own, self.o, self.before, self.found = own, 0, 0, []

    @property
    def done(self) -> bool:
        return len(self.found) == len(self.ranks)

    def own_in(self, minute: int) -> int:
        """Its own values in `minute` (and any of an earlier minute not yet passed)."""
        mine = 0
        while self.o + mine < len(self.own) and int(self.own[self.o + mine] // 60) <= minute:
            mine += 1
        return mine

    def wanted(self, inside: int) -> list[int]:
        """The ranks, within the minute, of those of its middle values the minute holds."""
        return [rank - self.before for rank in self.ranks[len(self.found):] if self.before <= rank < self.before + inside]

    def take(self, counts: Counter, wanted: list[int]) -> None:
        """The middle values, from the minute's values (value → how many have it)."""
        below = 0
        for value in sorted(counts):
            below += counts[value]
            while wanted and wanted[0] < below:
                self.found.append(value)
                wanted.pop(0)

    def median(self) -> float | None:
        return round((self.found[0] + self.found[-1]) / 2 / 60, 1) if self.found else None


def _walk_medians(conn, hint: str, jump: str, column: str, lead: str, values: list, groups: dict, total: tuple,
                  start: str, end: str, moment: str) -> dict:
    """The medians, in minutes, of `column` over the settled issues reported in [start, end) and
    the values held apart (the replayed and unsettled issues' seconds, sorted): of each group
    (`groups`: {value of `lead`: (settled issues, values apart)}) and, under None, of every value
    of `lead` in `values` together (`total`: settled issues, values apart). One walk over the
    minutes in order — the next one, else a seek along `jump` (led by the kind) to the next
    holding a value — each minute's count per group read off the index range `hint` names (led by
    `lead`), until every middle is reached; only a middle minute's values are read, counted by
    value (a minute holds at most 60 whole seconds). Reading every group's minute at once reads
    the district's issues up to the highest middle once, not once per group and again for the total."""
    walks = {g: _Walk(*settled_own) for g, settled_own in groups.items()}
    walks[None] = _Walk(*total)
    any_settled = total[0] > 0
    minute = f"{column} / 60"
    nxt = (f"SELECT {minute} FROM issues {jump} WHERE kind = $1 AND {minute} > $2 AND {column} IS NOT NULL"
           f" AND replay = 0 AND voided_at IS NULL ORDER BY {minute} LIMIT 1")

    kinds = "" if lead == "kind" else f" AND kind IN ({', '.join(repr(k) for k in KINDS)})"

    def read(m: int, active: list, by_value: bool) -> dict:
        """{group: count} of minute `m` (by_value: {group: Counter of its seconds}); when only
        the total is walked, all under None."""
        if not active or not any_settled:
            return {}
        apart = any(g is not None and not w.done for g, w in walks.items())  # a group's own count is wanted
        group = f"{lead}, " if apart else ""
        grouping = ", ".join(filter(None, (lead if apart else "", column if by_value else "")))
        sql = (f"SELECT {group}{column + ', ' if by_value else ''}count(*) FROM issues {hint}"
               f" WHERE {lead} IN ({marks(len(active), 5)}){kinds} AND {minute} = $1 AND reported_at >= $2"
               f" AND reported_at < $3 AND {column} IS NOT NULL AND {_settled('$4')}"
               f"{' GROUP BY ' + grouping if grouping else ''}")
        rows = conn.execute(sql, (m, start, end, moment, *active)).fetchall()
        if not apart:
            rows = [(None, *r) for r in rows]
        if not by_value:
            return dict(rows)
        result: dict = {}
        for g, value, count in rows:
            result.setdefault(g, Counter())[value] += count
        return result

    current = -1
    while not all(w.done for w in walks.values()):
        active = values if not walks[None].done else [v for v in values if v in walks and not walks[v].done]
        current += 1  # the minutes near a median are dense: the next one first
        counts = read(current, active, False)
        mine = {g: w.own_in(current) for g, w in walks.items()}
        if not any(counts.values()) and not any(mine.values()):  # none in it: on to the next minute any value is in
            following = [r[0] for k in KINDS if (r := conn.execute(nxt, (k, current)).fetchone())] if any_settled else []
            candidates = following + [int(w.own[w.o] // 60) for w in walks.values() if w.o < len(w.own)]
            if not candidates:
                break
            current = max(current + 1, min(candidates))
            counts = read(current, active, False)
            mine = {g: w.own_in(current) for g, w in walks.items()}
        inside = {g: (sum(counts.values()) if g is None else counts.get(g, 0)) + mine[g] for g in walks}
        wanted = {g: got for g, w in walks.items() if not w.done and (got := w.wanted(inside[g]))}
        if wanted:  # a middle minute: its values
            detail = read(current, active, True)
            for g, ranks in wanted.items():
                w = walks[g]
                counts_here = Counter()
                for group, counter in detail.items():
                    if g is None or group == g:
                        counts_here.update(counter)
                counts_here.update(w.own[w.o:w.o + mine[g]])
                w.take(counts_here, ranks)
        for g, w in walks.items():
            w.before += inside[g]
            w.o += mine[g]
    return {g: w.median() for g, w in walks.items()}


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
