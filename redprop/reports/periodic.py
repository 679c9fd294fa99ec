"""The weekly and monthly report (周报, 月报): what the office hands upward.

The issue figures are `stats` for the period (reports.stats.period_stats: the same code,
grouped by kind, category, grid point and handler), read into the shape of the 12345
bulletins: received, 按时到场率, 按时办结率, 满意率, 回访率 — each rate with its numerator,
denominator and definition — the median minutes, and what was unfinished and overdue when
the period ended. Work orders from above: 签收及时率, 结案率, 按期结案率, 返工率, 延期率,
退回率 and 督办, in total and by source, grid point and handler (reports.orders). Care:
走访覆盖率 at the end of the period, the visits made (contacts and knocks), the households
unseen longer than their cadence and the escalations. The same figures for the 8 periods
before, oldest first, make the trend.

Data only: codes, numbers, instants; the definitions are English templates that the
presentation says in the worker's language.
"""

import bisect
from datetime import date, datetime, timedelta

from redprop.visits import CONTACT_OUTCOMES, ESCALATE_AFTER, ESCALATE_GROUP
from redprop.errors import N_, InvalidValue
from redprop.parsing import local_day_start, show_local_iso, to_db
from redprop.reports.rates import shaped_rate
from redprop.reports.stats import period_stats
from redprop.store import Store

TREND_PERIODS = 8  # periods before the one reported
KINDS = ("problem", "wish")
BREAKDOWNS = (("category", "by_category"), ("grid", "by_grid"), ("handler", "by_handler"))

DEFINITIONS = {
    "arrive_on_time": N_("on-site promises kept by their deadline, among those decided (met, or past their deadline)"),
    "solved_on_time": N_("resolution and written-plan promises kept by their deadline, among those decided"),
    "satisfaction": N_("issues rated 4 or 5, among the issues rated"),
    "follow_up": N_("resolved issues whose follow-up call was made, among those whose call was made or is past due"),
    "visit_coverage": N_("households with a current focus-group member at the end of the period that had a contact"
                         " (seen, in need or refusing; not a knock) within their cadence, among all such households"),
}


def rate(numerator: int, denominator: int, name: str) -> dict:
    """A rate as the report carries it: counts, the share (None when nothing was counted) and
    what was counted, in words."""
    return shaped_rate(numerator, denominator, DEFINITIONS[name])


def issue_figures(row: dict, medians: bool = True) -> dict:
    """A stats row read as the report's figures (the medians only where they were counted: the
    period's headline figures, not its breakdowns or the trend)."""
    solved = row["resolve_kept"] + row["plan_kept"]
    decided = solved + row["resolve_missed"] + row["plan_missed"]
    figures = {
        "received": row["issues"],
        "arrive_on_time": rate(row["arrive_kept"], row["arrive_kept"] + row["arrive_missed"], "arrive_on_time"),
        "solved_on_time": rate(solved, decided, "solved_on_time"),
        "satisfaction": rate(row["satisfied"], row["ratings"], "satisfaction"),
        "follow_up": rate(row["follow_up_made"], row["follow_up_owed"], "follow_up"),
    }
    if medians:
        figures["median_arrive_minutes"] = row["median_arrive_minutes"]
        figures["median_resolve_minutes"] = row["median_resolve_minutes"]
    return figures


def last_complete(kind: str, at: datetime, tz) -> date:
    """The first day of the last period (week from Monday, month) that ended by `at`."""
    today = at.astimezone(tz).date()
    if kind == "week":
        return today - timedelta(days=today.weekday() + 7)
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def period_start(kind: str, day: date) -> date:
    """The first day of the week (Monday) or month that holds `day`."""
    return day - timedelta(days=day.weekday()) if kind == "week" else day.replace(day=1)


def parse_month(text: str, today: date) -> date:
    """`2026-11`, `2026/11`, `2026年11月` (or any day of it, `2026-11-05`): the month's first day."""
    import re

    from redprop.parsing import check_year, parse_date

    raw = text.strip()
    match = re.fullmatch(r"(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*月?", raw)
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12:
            return date(check_year(year, raw), month, 1)
    try:
        return parse_date(raw, today=today).replace(day=1)
    except InvalidValue:
        raise InvalidValue("{text!r} is not a month (like 2026-11)", text=text) from None


def _shift(kind: str, first: date, periods: int) -> date:
    """The first day `periods` periods after (negative: before) the period starting on `first`."""
    if kind == "week":
        return first + timedelta(days=7 * periods)
    months = first.year * 12 + first.month - 1 + periods
    return date(months // 12, months % 12 + 1, 1)


def _label(kind: str, first: date) -> str:
    if kind == "week":
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{first.year}-{first.month:02d}"


def choose_period(store: Store, kind: str, at: datetime, period: str | None) -> date:
    """The first day of the period asked for: any day of a week (`--week`), a month (`--month
    2026-11`), or by default the last complete one before `at`."""
    tz = store.tz
    if period is None:
        return last_complete(kind, at, tz)
    today = at.astimezone(tz).date()
    if kind == "week":
        from redprop.parsing import parse_date

        return period_start(kind, parse_date(period, today=today))
    return parse_month(period, today)


def period_report(store: Store, kind: str, at: datetime, period: str | None = None) -> dict:
    """The report of the week or month asked for (see choose_period), as things stood at `at`."""
    if kind not in ("week", "month"):
        raise InvalidValue("a report is of a week or a month, not {kind!r}", kind=kind)
    first = choose_period(store, kind, at, period)
    tz = store.tz
    starts = [_shift(kind, first, n) for n in range(-TREND_PERIODS, 2)]  # 9 periods and the end of the last
    end = local_day_start(starts[-1], tz)
    if local_day_start(first, tz) > at:
        raise InvalidValue("the period {label} had not begun at {at}", label=_label(kind, first),
                           at=show_local_iso(to_db(at), tz))
    closed = min(end, at)  # the end of the period, or the moment if it is still running
    by_kind = period_stats(store, at, starts, "kind", medians=False)  # the trend: rates and counts
    [current] = period_stats(store, at, starts[-2:], "kind")
    [at_close] = period_stats(store, closed, starts[-2:], "kind", medians=False)
    issues = {}
    for k in KINDS:
        figures = issue_figures(_group(current, k))
        closing = _group(at_close, k)
        figures["unfinished"], figures["overdue"] = closing["unfinished"], closing["overdue"]
        issues[k] = figures
    breakdowns = {}
    shared: dict = {}  # the period's issues, read once for the three breakdowns
    for by, key in BREAKDOWNS:
        [rows] = period_stats(store, at, starts[-2:], by, medians=False, shared=shared)
        breakdowns[key] = [{by: r["group"], "problems": r["problems"], "wishes": r["wishes"], **issue_figures(r, False)}
                           for r in rows if r["group"] != "all"]
    ends = [min(local_day_start(d, tz), at) for d in starts[1:]]
    days = [(e - timedelta(microseconds=1)).astimezone(tz).date().isoformat() for e in ends]
    members = Members(_members(store, days[0], days[-1]), days[0], days[-1])
    care_by_period = [_care(store, members, e, by_grid=n == len(ends) - 1) for n, e in enumerate(ends)]
    care_now = care_by_period[-1]
    for row in breakdowns["by_grid"]:
        n, covered, _unseen = care_now.get(row["grid"], (0, 0, 0))
        row["visit_coverage"] = rate(covered, n, "visit_coverage")
    known = {r["grid"] for r in breakdowns["by_grid"]}
    for grid in sorted((g for g in care_now if g not in known), key=lambda g: (g is None, str(g))):
        n, covered, _unseen = care_now[grid]
        empty = issue_figures(_group([], None), False)
        breakdowns["by_grid"].append({"grid": grid, "problems": 0, "wishes": 0, **empty,
                                      "visit_coverage": rate(covered, n, "visit_coverage")})
    breakdowns["by_grid"].sort(key=lambda r: (r["grid"] is None, str(r["grid"])))
    contacts, knocks = _visits_made(store, local_day_start(first, tz), closed)
    totals = _sum_care(care_now)
    care = {
        "visit_coverage": rate(totals[1], totals[0], "visit_coverage"),
        "households_in_care": totals[0],
        "visits": contacts + knocks, "contacts": contacts, "knocks": knocks,
        "unseen_households": totals[2],
        "escalations": _escalations(store, closed),
    }
    trend = []
    for n, rows in enumerate(by_kind):
        covered = _sum_care(care_by_period[n])
        trend.append({
            "period": _period(kind, starts[n], starts[n + 1]),
            "problems": issue_figures(_group(rows, "problem"), False),
            "wishes": issue_figures(_group(rows, "wish"), False),
            "visit_coverage": rate(covered[1], covered[0], "visit_coverage"),
        })
    years = sorted({y for rows in (current, at_close) for r in rows for y in r.get("provisional_years", ())})
    orders = _orders(store, at, local_day_start(first, tz), end)
    return {
        "community": store.community,
        "period": _period(kind, first, starts[-1]),
        "at": show_local_iso(to_db(at), tz),
        "complete": end <= at,
        "problems": issues["problem"],
        "wishes": issues["wish"],
        "care": care,
        **breakdowns,
        "trend": trend,
        **orders,
        "provisional_years": years,
    }


ORDER_BREAKDOWNS = (("source", "orders_by_source"), ("grid", "orders_by_grid"), ("handler", "orders_by_handler"))


def _orders(store: Store, at: datetime, start: datetime, end: datetime) -> dict:
    """The street's rates of the work orders from above for the period, in total and by source,
    grid point and handler (reports.orders: each picked by the dates its definition names)."""
    from redprop.reports.orders import grouped_rates, order_facts, order_rates

    first, last = to_db(start), to_db(end)
    facts = order_facts(store, at, first, last) if store.conn.execute("SELECT 1 FROM orders LIMIT 1").fetchone() else []
    result = {"orders": order_rates(facts, first, last)}
    for by, key in ORDER_BREAKDOWNS:
        result[key] = [{by: r.pop("group"), **r} for r in grouped_rates(facts, first, last, by) if r["group"] != "all"]
    return result


def _period(kind: str, first: date, following: date) -> dict:
    return {"kind": kind, "label": _label(kind, first), "from": first.isoformat(),
            "to": (following - timedelta(days=1)).isoformat()}


def _group(rows: list[dict], group) -> dict:
    for r in rows:
        if r["group"] == group:
            return r
    from redprop.reports.stats import _Tally

    return _Tally().row(group)


def _sum_care(by_grid: dict) -> tuple[int, int, int]:
    return tuple(sum(v[i] for v in by_grid.values()) for i in range(3))


def visit_coverage(store: Store, end: datetime) -> tuple[int, int]:
    """走访覆盖率 as things stood at `end`, as the report counts it: (households in care, those
    contacted within their cadence) — for `stats --by community`, which ranks by it."""
    day = (end - timedelta(microseconds=1)).astimezone(store.tz).date().isoformat()
    in_care, covered, _unseen = _sum_care(_care(store, Members(_members(store, day, day), day, day), end, by_grid=False))
    return in_care, covered


def _members(store: Store, first: str, last: str) -> list[tuple]:
    """The memberships current on some day from `first` to `last` (local days) with their group's
    cadence and their household's grid point and move-out day: (household id, since, until,
    cadence, grid, moved out on), read once for all the periods — off the index by end (the
    current ones, and those ended since `first`), not the history of every membership."""
    select = ("SELECT m.household_id, m.since, m.until, g.cadence_days, h.grid, h.moved_out_on"
              f" FROM memberships m {store.indexed_by('memberships_until')} JOIN focus_groups g ON g.code = m.group_code"
              " JOIN households h ON h.id = m.household_id WHERE m.since <= $2 AND ")
    # two ranges of the index, not one pass over it with an OR
    return store.conn.execute(f"{select}m.until IS NULL UNION ALL {select}m.until > $1", (first, last)).fetchall()


def _in_care(members, day: str, base: dict | None = None) -> dict[int, tuple]:
    """{household: (tightest cadence, earliest start, grid)} of the memberships current on `day`,
    added to those of `base` (left as it is)."""
    care = dict(base) if base else {}
    for household, since, until, cadence, grid, moved_out in members:
        if since <= day and (until is None or until > day) and (moved_out is None or moved_out > day):
            entry = care.get(household)
            care[household] = (cadence, since, grid) if entry is None else (
                min(entry[0], cadence), min(entry[1], since), grid)
    return care


class Members:
    """The memberships, split once for a run of periods from the day `first` to `last`: the
    households whose every membership is current on every day of it (and who live there all
    along) are gathered once, by cadence; only the others are looked at for each day."""

    def __init__(self, rows: list[tuple], first: str, last: str):
        def steady(r) -> bool:
            return r[1] <= first and (r[2] is None or r[2] > last) and (r[5] is None or r[5] > last)

        changing = {r[0] for r in rows if not steady(r)}
        self.steady = _in_care([r for r in rows if r[0] not in changing], first)
        self.changing = [r for r in rows if r[0] in changing]
        self.by_cadence: dict[int, set] = {}  # cadence → the steady households
        for household, entry in self.steady.items():
            self.by_cadence.setdefault(entry[0], set()).add(household)
        self.starts = sorted((entry[1], household) for household, entry in self.steady.items())

    def current(self, day: str) -> dict[int, tuple]:
        """{household: (tightest cadence, earliest start, grid)} of the households whose
        memberships change in the run, as of `day` (the steady ones are `steady`)."""
        return _in_care(self.changing, day)

    def started_after(self, day: str) -> set:
        """The steady households whose care started after `day` (a few, near the run's start)."""
        return {household for _since, household in self.starts[bisect.bisect_right(self.starts, (day, float("inf"))):]}


def _care(store: Store, members: Members, end: datetime, by_grid: bool = True) -> dict:
    """{grid: (households in care, contacted within their cadence, unseen longer than it)} as things
    stood at `end` ({None: …} for all of them without `by_grid`): households with a current
    focus-group member on the period's last day (the day `end` falls in, or before it at
    midnight), by the tightest cadence of their groups, the way `visit due` counts: contacted
    within the cadence when a contact (seen, in need, refusing) is later than `end` less the
    cadence; unseen when neither a contact nor the start of care is. The steady households are
    counted as sets (`members`), one by one only for the grid breakdown."""
    tz = store.tz
    day = (end - timedelta(microseconds=1)).astimezone(tz).date().isoformat()
    changing = members.current(day)
    cadences = sorted(set(members.by_cadence) | {entry[0] for entry in changing.values()})
    contact = ", ".join(f"'{o}'" for o in CONTACT_OUTCOMES)
    cursor = store.tuple_cursor()
    counts: dict = {}
    for cadence in cadences:
        cutoff = end - timedelta(days=cadence)
        cutoff_day = cutoff.astimezone(tz).date().isoformat()
        # households contacted after the cut-off: one range of the covering index on visit time, each
        # household once (a server sends a month's 30,000 households, not its 150,000 visits), handed
        # over as one text (a row each would cost more than the range)
        [joined] = cursor.execute(
            f"SELECT {store.joined('CAST(household_id AS TEXT)')} FROM (SELECT DISTINCT household_id FROM visits"
            f" {store.indexed_by('visits_at')} WHERE at > $1 AND at < $2 AND voided_at IS NULL AND outcome IN ({contact}))"
            f" AS contacted", (to_db(cutoff), to_db(end))).fetchone()
        seen = set(map(int, joined.split(","))) if joined else set()
        steady = members.by_cadence.get(cadence, set())
        mine = {h for h, entry in changing.items() if entry[0] == cadence}
        if not by_grid:
            tally = counts.setdefault(None, [0, 0, 0])
            unseen = steady - seen
            tally[0] += len(steady) + len(mine)
            tally[1] += len(steady) - len(unseen) + len(mine & seen)
            tally[2] += len(unseen - members.started_after(cutoff_day)) + sum(
                1 for h in mine - seen if changing[h][1] <= cutoff_day)
            continue
        for group in (steady, mine):
            entries = members.steady if group is steady else changing
            for h in group:
                entry = entries[h]
                tally = counts.setdefault(entry[2], [0, 0, 0])
                tally[0] += 1
                if h in seen:
                    tally[1] += 1
                elif entry[1] <= cutoff_day:
                    tally[2] += 1
    return {g: tuple(v) for g, v in counts.items() if v[0]}


def _visits_made(store: Store, start: datetime, end: datetime) -> tuple[int, int]:
    """(contacts, knocks) among the visits made from `start` to before `end`: one range of the
    index by outcome and time for each outcome."""
    from redprop.vocab import VISIT_OUTCOMES

    contacts = knocks = 0
    for slug in sorted({code.slug for code in VISIT_OUTCOMES.codes.values()}):
        n = store.conn.execute(f"SELECT count(*) FROM visits {store.indexed_by('visits_outcome')} WHERE outcome = $1 AND at >= $2"
                               " AND at < $3 AND voided_at IS NULL", (slug, to_db(start), to_db(end))).fetchone()[0]
        if slug in CONTACT_OUTCOMES:
            contacts += n
        else:
            knocks += n
    return contacts, knocks


def _escalations(store: Store, end: datetime) -> int:
    """Households of elderly people living alone with three knocks or more in a row since their
    last contact, as things stood at `end` (the top of `visit due`)."""
    day = (end - timedelta(microseconds=1)).astimezone(store.tz).date().isoformat()
    contact = ", ".join(f"'{o}'" for o in CONTACT_OUTCOMES)
    sql = f"""
        SELECT count(*) FROM (
            SELECT DISTINCT m.household_id AS h FROM memberships m {store.indexed_by('memberships_group')}
            WHERE m.group_code = $1 AND m.since <= $2 AND (m.until IS NULL OR m.until > $2)
        ) c JOIN households hh ON hh.id = c.h
        WHERE (hh.moved_out_on IS NULL OR hh.moved_out_on > $2) AND (
            SELECT count(*) FROM visits v WHERE v.household_id = c.h AND v.voided_at IS NULL AND v.at < $3
            AND v.at > coalesce((SELECT MAX(at) FROM visits w WHERE w.household_id = c.h AND w.voided_at IS NULL
                                 AND w.at < $3 AND w.outcome IN ({contact})), '')) >= {ESCALATE_AFTER}
    """
    return store.conn.execute(sql, (ESCALATE_GROUP, day, to_db(end))).fetchone()[0]
