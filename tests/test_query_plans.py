"""What the speed relies on: the hot commands read the big tables through their indexes.

Each command runs in-process on the demo community with SQLite's trace on, every statement
it runs is explained (`EXPLAIN QUERY PLAN`), and a full scan of a table that grows with the
district (issues, visits, memberships, households, residents, steps, the log) fails the test.
Remove a planner hint (`+m.since`, `INDEXED BY`, `LIMIT -1`) or an index and a plan here
changes. This is the suite's only speed check: no timings.
"""

import re
import sqlite3

import pytest
from typer.testing import CliRunner

AT = "2026-11-24 08:00"
BIG = ("issues", "issue_steps", "visits", "memberships", "households", "residents", "log_changes")
HOT = [
    ("overdue", "--at", AT),
    ("overdue",),
    ("visit", "due"),
    ("visit", "due", "--at", AT),
    ("issue", "show", "302"),
    ("issue", "list", "--at", AT),
    ("issue", "list", "--status", "all", "--handler", "邓俊芬", "--limit", "20"),
    ("issue", "list", "--status", "all", "--category", "repair", "--limit", "20"),
    ("issue", "list", "--status", "all", "--channel", "wechat", "--limit", "20"),
    ("issue", "list", "--status", "all", "--grid", "G18", "--limit", "20"),
    ("issue", "list", "--status", "all", "--building", "8", "--limit", "20"),
    ("issue", "list", "--status", "all", "--from", "2026-11-01", "--to", "2026-11-07", "--limit", "20"),
    ("household", "list", "--building", "8"),
    ("household", "show", "8-2-301"),
    ("visit", "list", "--household", "8-2-301", "--limit", "20"),
    ("stats", "--from", "2026-11-01", "--to", "2026-11-30", "--at", AT),
    ("stats", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "category", "--at", AT),
    ("stats", "--at", AT),
    ("report", "week", "--at", AT),
    ("report", "month", "--month", "2026-10", "--at", AT),
]


@pytest.fixture(scope="module")
def demo_db(module_demo):
    return module_demo  # made by `redprop demo` once a session, copied for this module


def statements_of(db, args, monkeypatch) -> list[str]:
    """Every SELECT the command ran, with its values filled in (the trace's expanded SQL)."""
    import redprop.store.sqlite as engine

    seen: list[str] = []
    connect = engine.connect

    def traced(*a, **k):
        conn = connect(*a, **k)
        conn.set_trace_callback(seen.append)
        return conn

    monkeypatch.setattr(engine, "connect", traced)
    from redprop.cli import app

    result = CliRunner().invoke(app, ["--db", str(db), *args, "-f", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return [s for s in seen if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def full_scans(conn, sql: str) -> list[str]:
    plan = conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()
    scans = []
    for row in plan:
        detail = row[-1]
        match = re.match(r"SCAN (\w+)(?: AS \w+)?(.*)$", detail)
        if match and match.group(1) in BIG and "USING" not in match.group(2):
            scans.append(detail)
    return scans


@pytest.mark.parametrize("args", HOT, ids=lambda a: " ".join(a))
def test_the_hot_commands_read_big_tables_through_indexes(demo_db, args, monkeypatch):
    statements = statements_of(demo_db, args, monkeypatch)
    assert statements, "the command read the database"
    conn = sqlite3.connect(demo_db)
    try:
        problems = {sql: scans for sql in statements if (scans := full_scans(conn, sql))}
    finally:
        conn.close()
    assert not problems, "\n\n".join(f"{sql}\n  -> {scans}" for sql, scans in problems.items())


EXPECTED_INDEX = [  # a filtered listing reads its newest rows off the index of what it filters by
    (("issue", "list", "--status", "all", "--handler", "邓俊芬", "--limit", "20"), "issues_handler"),
    (("issue", "list", "--status", "all", "--handler", "邓俊芬", "--limit", "20"), "issues_replay"),
    (("issue", "list", "--status", "all", "--category", "repair", "--limit", "20"), "issues_category"),
    (("issue", "list", "--status", "all", "--channel", "wechat", "--limit", "20"), "issues_channel"),
    (("issue", "list", "--status", "all", "--grid", "G18", "--limit", "20"), "issues_grid"),
    (("issue", "list", "--status", "all", "--building", "8", "--limit", "20"), "issues_building"),
    (("issue", "list", "--status", "resolved", "--limit", "20"), "issues_status"),
    (("issue", "list", "--at", AT), "issues_unfinished"),
    (("overdue", "--at", AT), "issues_unfinished"),
    (("household", "list", "--limit", "20"), "households_address"),
    (("visit", "list", "--outcome", "not_home", "--limit", "20"), "visits_outcome"),
    (("visit", "due",), "memberships_knocks"),
    (("stats", "--from", "2026-11-01", "--to", "2026-11-30", "--at", AT), "issues_figures"),
    (("stats", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "kind", "--at", AT), "issues_figures"),
    (("stats", "--from", "2026-11-01", "--to", "2026-11-30", "--at", AT), "issues_arrive_minutes"),
    (("stats", "--from", "2026-11-01", "--to", "2026-11-30", "--at", AT), "issues_resolve_minutes"),
    (("stats", "--from", "2026-11-01", "--to", "2026-11-30", "--at", AT), "issues_unsettled"),
    (("report", "month", "--month", "2026-10", "--at", AT), "issues_figures"),
    (("report", "week", "--at", AT), "visits_at"),
]


@pytest.mark.parametrize("args, index", EXPECTED_INDEX, ids=lambda a: " ".join(a) if isinstance(a, tuple) else a)
def test_each_filter_reads_its_own_index(demo_db, args, index, monkeypatch):
    statements = statements_of(demo_db, args, monkeypatch)
    conn = sqlite3.connect(demo_db)
    try:
        plans = [" | ".join(r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + sql)) for sql in statements]
    finally:
        conn.close()
    assert any(index in plan for plan in plans), f"no statement read {index}:\n" + "\n".join(plans)
    assert not any("USE TEMP B-TREE FOR ORDER BY" in plan and ("issues" in plan or "households" in plan)
                   for plan in plans), "a listing sorted in memory instead of read in order"
