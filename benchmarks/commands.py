"""Every command the benchmark times, in one list: benchmarks/bench.py times them and
tests/test_query_plans.py explains every statement they run, so a command added here is both
timed and guarded.

A command is written with `{names}` filled from the database it runs on (`read_facts`): a
household in a focus group, its building leader, an issue half-way through the history, an
unfinished one, the last complete month before the newest issue… and from the files the caller
made (`{roster}`, `{month_issues}`, `{out}`). Reports run as of an hour after the newest issue
(`{at}`): the data is generated relative to the day it was built.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Command:
    name: str  # as printed: the command line without `redprop --db FILE`, {names} filled
    args: tuple[str, ...]
    codes: tuple[int, ...] = (0,)  # the exit codes that mean it ran (`overdue --check`: 1 = something is overdue)

    def filled(self, values: dict) -> "Command":
        return Command(self.name.format(**values), tuple(str(a).format(**values) for a in self.args), self.codes)


def command(line: str, codes: tuple[int, ...] = (0,)) -> Command:
    """A command from its line (words split on spaces; a {name} may stand for a value with spaces)."""
    return Command(line, tuple(line.split()), codes)


PIPED_TARGET = 8.0  # × `python -c pass`
TERMINAL_TARGET = 1.2  # × the bare Typer + Rich app
LISTING_TARGET = 1.3  # × `issue show`

# What a worker types: piped within 8× `python -c pass`, on an 80×24 terminal within 1.2× the bare app (issue 22).
WORKER = [
    command("household show {house}"),
    command("overdue"),
    command("overdue --check", codes=(0, 1)),
    command("visit due"),
    command("issue list --handler {handler} --status all"),
    command("issue show {issue}"),
    command("issue note {unfinished} 已电话联系居民"),
    command("visit log {house} --by {handler} --outcome well"),
]
# Timed the same way since earlier rounds.
MORE_WORKER = [
    command("household list --building {building}"),
    command("household list"),
    command("visit list"),
    command("issue list --status all"),
    command("log"),
    command("issue assign {unfinished} --to {handler}"),
    command("issue open --kind problem --category parking --channel patrol --place 1栋消防通道 --title 乱停车堵住消防通道"),
]
# Filtered listings, each within 1.3× `issue show` (the first named by issue 22).
BESIDE_ISSUE_SHOW = [
    command("issue list --status resolved"),
    command("issue list --category parking --status all"),
    command("issue list --channel hotline --status all"),
    command("issue list --grid {grid} --status all"),
    command("issue list --building {building} --status all"),
    command("issue list --from {week_ago} --status all"),
    command("issue list"),
]
# The reports beside the bare Typer + Rich app, each with its target (the first three named by issue 22).
REPORTS = [
    (command("stats --from {year_ago} --to {day} --at {at} --by category"), 3.0),
    (command("report month --month {month} --at {at} -f json"), 3.0),
    (command("ledger problems --from {month_first} --to {month_last} --at {at} -o {out}/problems.xlsx"), 10.0),
    (command("stats --from {year_ago} --to {day} --at {at}"), 3.0),
    (command("stats --at {at}"), 6.0),
    (command("report month --month {month} --at {at} -o {out}/report.html"), 10.0),
]
# Complete listings streamed to a script: peak memory under 100 MB.
STREAMS = [
    command("household list -f csv"),
    command("visit list -f json"),
    command("issue list --status all -f json"),
    command("log -f json"),
]
HOUSEHOLD_IMPORT = command("household import {roster}")
ISSUE_IMPORT = command("issue import {issues}")  # a district's history (throughput, peak memory)
MONTH_IMPORT = command("issue import {month_issues}")  # a month more, then its undo
UNDO = command("undo")

EVERY_COMMAND = [*WORKER, *MORE_WORKER, *BESIDE_ISSUE_SHOW, *(c for c, _ in REPORTS), *STREAMS, HOUSEHOLD_IMPORT]


def read_facts(query: Callable[[str], list]) -> dict:
    """The values the commands are written with, read off the database by `query(sql) -> rows`
    (plain SQL, so that another engine answers it too)."""
    members = query("SELECT count(*) FROM memberships")[0][0]
    house, building, grid = query(
        "SELECT key, building, grid FROM households WHERE id = (SELECT household_id FROM memberships"
        f" ORDER BY household_id LIMIT 1 OFFSET {members // 2})")[0]
    issues = query("SELECT count(*) FROM issues")[0][0]
    issue = query(f"SELECT id FROM issues ORDER BY id LIMIT 1 OFFSET {issues // 2}")[0][0]
    unfinished = query("SELECT min(id) FROM issues WHERE resolved_at IS NULL AND voided_at IS NULL")[0][0]
    zone = ZoneInfo(query("SELECT value FROM settings WHERE key = 'timezone'")[0][0])
    newest = datetime.fromisoformat(query("SELECT max(reported_at) FROM issues")[0][0]).astimezone(zone)
    end = newest + timedelta(hours=1)
    day = end.date()
    month_last = day.replace(day=1) - timedelta(days=1)
    return {
        "house": house, "building": building, "grid": grid, "handler": f"楼长{building}", "issue": issue,
        "unfinished": unfinished, "at": end.strftime("%Y-%m-%dT%H:%M"), "day": day.isoformat(),
        "year_ago": (day - timedelta(days=365)).isoformat(), "week_ago": (day - timedelta(days=7)).isoformat(),
        "month": month_last.strftime("%Y-%m"), "month_first": month_last.replace(day=1).isoformat(),
        "month_last": month_last.isoformat(),
    }

