"""What the speed relies on: no benchmarked command reads a big table whole.

Every command benchmarks/bench.py times (the list is benchmarks/commands.py) runs here through
the CLI on a generated mid-size district (benchmarks/district.py: 2,000 households with their
residents and focus groups, 20,000 visits — the last month typed in, each in the change log —
and 20,000 issues) with realistic statistics (ANALYZE), with SQLite's trace on
(`REDPROP_TRACE_SQL`). Every statement it ran is then explained (`EXPLAIN QUERY PLAN`) on that
database and on the same file as redprop leaves it (no statistics), and the test fails on a full
scan or a skip-scan of a table that grows with the district: visits, issues, issue steps,
memberships, the change log. So are the statements of the triggers (the trace shows only the
statement that fired them) and, with foreign keys on, what a delete looks up. Not counted as
full: a scan that reads rows in the order asked for and stops at the statement's LIMIT, the scan
of a partial index small by design (the unfinished issues), a complete listing's own pass.

This is the suite's only speed check: no timings. A plan printed here is what to fix (an index,
a predicate a partial index needs, a planner hint); KNOWN lists the scans not fixed yet.
"""

import json
import re
import shutil
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from redprop.cli import app

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from commands import EVERY_COMMAND, ISSUE_IMPORT, MONTH_IMPORT, STREAMS, UNDO, read_facts  # noqa: E402
from district import build_district  # noqa: E402
from issues_csv import write_issues  # noqa: E402

HOUSEHOLDS = 2_000
BIG = {"visits", "issues", "issue_steps", "memberships", "log_entries", "log_changes"}
# Partial indexes that hold what is pending or exceptional, not the district's history: reading one
# whole reads the unfinished issues, the few replayed or open for weeks, the voided, the calls not yet
# made, the households knocked at in vain — a few hundred rows however long the history.
SMALL_BY_DESIGN = {"issues_unfinished", "issues_open_long", "issues_replay", "issues_voided", "issues_follow_up",
                   "issues_provisional", "visits_voided", "memberships_knocks"}
EXPLAINED = ("SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "REPLACE")
REPLAYED = ("CREATE", "DROP", "ALTER")  # the temporary tables and indexes a command made, for what follows
KNOWN: dict[str, str] = {  # scans found and not fixed yet (issue 22); strict: the test fails once one is gone, to strike it here
}


def run(db: Path, *args, env=None, codes=(0,)) -> None:
    result = CliRunner().invoke(app, ["--db", str(db), *map(str, args)], env=env, catch_exceptions=False)
    assert result.exit_code in codes, result.output


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """The mid-size district, built once: `analyzed` (ANALYZE run), where the commands run, and
    `as_left`, as redprop left it; the same two of its care data (no issues yet) for the import
    of the history; the values the commands are written with."""
    folder = tmp_path_factory.mktemp("district")
    now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(microsecond=0)
    build_district(folder, households=HOUSEHOLDS, now=now, redprop=run)
    states = {"district": {"as_left": folder / "district.db", "analyzed": folder / "district-analyzed.db"},
              "care": {"as_left": folder / "care.db", "analyzed": folder / "care-analyzed.db"}}
    for both in states.values():
        shutil.copyfile(both["as_left"], both["analyzed"])
        conn = sqlite3.connect(both["analyzed"])
        conn.execute("ANALYZE")
        conn.close()
    conn = sqlite3.connect(states["district"]["analyzed"])
    values = read_facts(lambda sql: conn.execute(sql).fetchall())
    conn.close()
    # The imports smaller: tracing costs an import dear (a hundred rows' statement, again for each row's trigger)
    history = write_issues(folder / "history.csv", 2_000, HOUSEHOLDS, now)
    month = write_issues(folder / "month.csv", 100, HOUSEHOLDS, now, years=1 / 12, ref="MX")
    values.update(roster=folder / "households.csv", issues=history, month_issues=month, out=folder)
    return {**states, "values": values, "folder": folder}


def traced(district, db: Path, command) -> list[str]:
    """Every statement `command` ran on `db`, in order, its values filled in."""
    trace = district["folder"] / "trace.jsonl"
    trace.unlink(missing_ok=True)
    filled = command.filled(district["values"])
    run(db, *filled.args, env={"REDPROP_TRACE_SQL": str(trace)}, codes=filled.codes)
    return [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]


def tables_named(sql: str, tables: set[str]) -> dict[str, set[str]]:
    """What each name in a plan line may stand for: a table, or an alias given to one."""
    named: dict[str, set[str]] = {t: {t} for t in tables}
    for table, alias in re.findall(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", sql, re.I):
        if table.lower() in tables and alias:
            named.setdefault(alias.lower(), set()).add(table.lower())
    return named


LIMITED = re.compile(r"\bLIMIT\s+\d+\s*(?:OFFSET\s+\d+\s*)?$", re.I)


def stops_at_limit(sql: str, name: str) -> bool:
    """Whether the SELECT that reads `name` (a table or its alias) ends with a LIMIT: the
    statement itself, or the parenthesised subquery it is read in (a bounded count's
    `SELECT count(*) FROM (SELECT 1 FROM visits v … LIMIT 10001)`)."""
    found = False
    for match in re.finditer(rf"\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", sql, re.I):
        if name.lower() not in {(match.group(1) or "").lower(), (match.group(2) or "").lower()}:
            continue
        depth, start = 0, None  # the innermost parenthesis open at the match
        for i in range(match.start() - 1, -1, -1):
            if sql[i] == ")":
                depth += 1
            elif sql[i] == "(":
                if depth == 0:
                    start = i
                    break
                depth -= 1
        if start is None:
            scope = sql
        else:
            depth, end = 0, len(sql)
            for i in range(start, len(sql)):
                depth += {"(": 1, ")": -1}.get(sql[i], 0)
                if depth == 0:
                    end = i
                    break
            scope = sql[start + 1:end]
        if not LIMITED.search(scope.strip()):
            return False
        found = True
    return found


def bad_plan_lines(sql: str, plan: list[tuple], tables: set[str], whole: bool = False) -> list[str]:
    """The lines of `plan` (EXPLAIN QUERY PLAN rows: id, parent, _, detail) that read a big table
    whole or skip along an index. Not counted: a scan that reads rows in the order asked for and
    stops at a LIMIT (the statement's, or that of the subquery it reads in; no sort), the scan of
    a partial index small by design, and for a complete listing (`whole`) its own pass over the
    table — but not a scan run per row."""
    named = tables_named(sql, tables)
    sorted_here = any(detail.startswith("USE TEMP B-TREE FOR ORDER BY") for *_, detail in plan)
    rows = {row[0]: row for row in plan}

    def per_row(row) -> bool:  # inside a subquery run again for each row of an outer loop
        while row[1] in rows:
            row = rows[row[1]]
            if row[3].startswith("CORRELATED"):
                return True
        return False

    bad = []
    for row in plan:
        match = re.match(r"(SCAN|SEARCH) (\S+)(.*)", row[3])
        if not match or not named.get(match.group(2).lower(), set()) & BIG:
            continue
        kind, rest = match.group(1), match.group(3)
        if kind == "SEARCH":
            if "ANY(" in rest:  # a skip-scan: every value of the index's first column tried in turn
                bad.append(row[3])
        elif not ((stops_at_limit(sql, match.group(2)) and not sorted_here) or set(rest.split()) & SMALL_BY_DESIGN
                  or (whole and not per_row(row))):
            bad.append(row[3])
    return bad


def explain(db: Path, statements: list[str]) -> dict[str, list[tuple]]:
    """Each distinct statement's plan, explained in the order the command ran them (the temporary
    tables and indexes it made, made again first), in a transaction rolled back. With foreign keys
    on, as redprop runs — a delete looks for the rows pointing at each row it removes — but for an
    insert: its plan then shows a search for rows pointing at the new one that runs only while a
    deferred violation is pending (never, in redprop)."""
    plans: dict[str, list[tuple]] = {}
    for foreign_keys in (True, False):  # the pragma cannot change inside a transaction: a pass each
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute(f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}")
        conn.execute("BEGIN")
        try:
            for sql in statements:
                word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
                if word in REPLAYED:
                    try:
                        conn.execute(sql)
                    except sqlite3.OperationalError:
                        pass  # already there, or already gone
                elif word in EXPLAINED and sql not in plans:
                    inserts = word == "INSERT" and not re.match(r"INSERT\s+OR\s+REPLACE", sql.lstrip(), re.I)
                    if inserts != foreign_keys:
                        plans[sql] = [tuple(row) for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
        finally:
            conn.execute("ROLLBACK")
            conn.close()
    return plans


def scans(states: dict, statements: list[str], whole: bool = False) -> list[str]:
    """The statements that scan, each with its plan, on the database analyzed and as left."""
    found = []
    for state, db in states.items():
        conn = sqlite3.connect(db)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        conn.close()
        for sql, plan in explain(db, statements).items():
            if bad := bad_plan_lines(sql, plan, tables, whole):
                found.append(f"[{state}] {sql}\n    " + "\n    ".join(row[3] for row in plan) + f"\n  -> {bad}")
    return found


def known(command):
    reason = KNOWN.get(command.name)
    return pytest.param(command, marks=pytest.mark.xfail(strict=True, reason=reason) if reason else ())


@pytest.mark.parametrize("command", [known(c) for c in EVERY_COMMAND], ids=lambda c: c.name)
def test_no_benchmarked_command_scans_a_big_table(district, command):
    statements = traced(district, district["district"]["analyzed"], command)
    assert any(s.lstrip().upper().startswith(("SELECT", "WITH")) for s in statements), "the command read the database"
    found = scans(district["district"], statements, whole=command in STREAMS)
    assert not found, "\n\n".join(found)


def test_the_import_of_a_districts_history_scans_nothing_big(district):
    care = district["folder"] / "care-import.db"
    shutil.copyfile(district["care"]["analyzed"], care)
    found = scans(district["care"], traced(district, care, ISSUE_IMPORT))
    assert not found, "\n\n".join(found)


def test_a_months_import_and_its_undo_scan_nothing_big(district):
    db = district["district"]["analyzed"]
    statements = traced(district, db, MONTH_IMPORT) + traced(district, db, UNDO)
    assert any("DELETE" in s.upper() for s in statements), "the undo deleted the imported issues"
    found = scans(district["district"], statements)
    assert not found, "\n\n".join(found)


def test_the_triggers_read_through_indexes(district):
    """What the triggers run (the trace shows only the statement that fired them): each statement
    of each trigger's body, its NEW and OLD values standing as literals."""
    conn = sqlite3.connect(district["district"]["as_left"])
    bodies = [sql for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")]
    conn.close()
    statements = []
    for body in bodies:
        inner = re.sub(r"\b(?:NEW|OLD)\.(?:\"\w+\"|\w+)", "1", body[re.search(r"\bBEGIN\b", body).end():])
        statements += [s.strip() for s in re.sub(r"\bEND\s*$", "", inner.strip()).split(";") if s.strip()]
    assert any("memberships" in s for s in statements), "the contact triggers were read"
    found = scans(district["district"], statements)
    assert not found, "\n\n".join(found)


@pytest.mark.parametrize("sql, plan, bad", [
    ("SELECT * FROM visits v WHERE v.note = 'x'", [(2, 0, 0, "SCAN v")], ["SCAN v"]),
    ("SELECT * FROM visits WHERE household_id = 1 ORDER BY at DESC LIMIT 5",
     [(5, 0, 0, "SEARCH visits USING INDEX visits_staff (ANY(staff_id) AND at<?)")],
     ["SEARCH visits USING INDEX visits_staff (ANY(staff_id) AND at<?)"]),
    ("SELECT count(*) FROM issues", [(3, 0, 0, "SCAN issues USING COVERING INDEX issues_last_step")],
     ["SCAN issues USING COVERING INDEX issues_last_step"]),
    ("SELECT * FROM issues i ORDER BY i.reported_at DESC LIMIT 50", [(3, 0, 0, "SCAN i USING INDEX issues_reported")], []),
    ("SELECT * FROM issues i WHERE i.title = 'x' ORDER BY i.title LIMIT 50",
     [(3, 0, 0, "SCAN i"), (9, 0, 0, "USE TEMP B-TREE FOR ORDER BY")], ["SCAN i"]),
    ("SELECT * FROM issues i INDEXED BY issues_unfinished WHERE i.household_id = 3",
     [(3, 0, 0, "SCAN i USING INDEX issues_unfinished")], []),
    ("SELECT * FROM households h WHERE h.note = 'x'", [(2, 0, 0, "SCAN h")], []),
    ("SELECT count(*) FROM (SELECT 1 FROM visits v WHERE v.voided_at IS NULL LIMIT 10001) AS counted",
     [(3, 0, 0, "CO-ROUTINE counted"), (5, 3, 0, "SCAN v"), (12, 0, 0, "SCAN counted")], []),
    ("SELECT count(*) FROM (SELECT 1 FROM visits v LIMIT 10001) AS counted JOIN issues i ON i.title = 'x'",
     [(5, 3, 0, "SCAN v"), (12, 0, 0, "SCAN i")], ["SCAN i"]),
])
def test_the_guard_tells_a_scan_from_a_read_that_stops(sql, plan, bad):
    tables = {"visits", "issues", "households"}
    assert bad_plan_lines(sql, plan, tables) == bad


def test_a_complete_listing_may_pass_over_its_table_but_not_once_per_row():
    sql = "SELECT v.*, (SELECT count(*) FROM issues i WHERE i.title = v.note) FROM visits v"
    plan = [(2, 0, 0, "SCAN v"), (4, 0, 0, "CORRELATED SCALAR SUBQUERY 1"), (7, 4, 0, "SCAN i")]
    assert bad_plan_lines(sql, plan, {"visits", "issues"}, whole=True) == ["SCAN i"]


def test_a_household_added_and_undone_scans_nothing_big(district):
    """Deleting a household looks up the rows pointing at it (its visits, voided or not, among
    them: m016's index), as an undone `household add` does."""
    db = district["folder"] / "household-undo.db"
    shutil.copyfile(district["district"]["analyzed"], db)
    add = type(UNDO)("household add", ("household", "add", "9999-1-101", "--head", "测试"))
    statements = traced(district, db, add) + traced(district, db, UNDO)
    assert any(s.lstrip().upper().startswith("DELETE FROM HOUSEHOLDS") for s in statements), "the undo deleted it"
    found = scans({"analyzed": db}, statements)
    assert not found, "\n\n".join(found)


def test_the_log_of_a_household_finds_the_rows_pointing_at_it_off_an_index(district):
    """`log --household`: the changes to its residents, memberships, visits and issues are found by
    the household their row images name (m017's index), not by reading every such change."""
    command = type(UNDO)("log --household {house}", ("log", "--household", "{house}"))
    statements = [s for s in traced(district, district["district"]["analyzed"], command) if "household_id" in s]
    assert statements, "the log was read by the rows pointing at the household"
    for state, db in district["district"].items():
        plans = explain(db, statements)
        assert all(any("log_changes_household (tbl=? AND <expr>=?)" in row[3] for row in plan) for plan in plans.values()), \
            f"[{state}] {plans}"
