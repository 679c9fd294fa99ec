"""The store: WAL, schema versions migrated on open, and two workers writing at the same moment."""

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from redprop.errors import ExitCode
from redprop.store.migrations import MIGRATIONS, migrate

pytestmark = pytest.mark.sqlite_only("SQLite's WAL, user_version and locks (test_postgres.py has the server's)")

REPO = Path(__file__).resolve().parent.parent


def user_version(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_init_makes_a_wal_database_at_the_latest_version(db):
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        settings = dict(conn.execute("SELECT key, value FROM settings"))
    finally:
        conn.close()
    assert settings["community"] == "测试小区"
    assert settings["timezone"] == "Asia/Shanghai"
    assert settings["created_at"].endswith("+08:00")


def test_instants_are_stored_as_iso_8601_with_their_offset(db, run):
    assert run("household", "add", "8-2-301").exit_code == 0
    conn = sqlite3.connect(db)
    try:
        created_at, updated_at = conn.execute("SELECT created_at, updated_at FROM households").fetchone()
    finally:
        conn.close()
    for stamp in (created_at, updated_at):
        assert stamp.endswith("+00:00") and "T" in stamp


def test_a_database_from_an_older_redprop_is_upgraded_in_place(run, run_json, db_path):
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    assert migrate(conn, MIGRATIONS[:1]) == 1
    conn.execute(
        "INSERT INTO households (key, building, unit, room, head, phone, created_at, updated_at)"
        " VALUES ('8-2-301', '8', '2', '301', '熊秀英', '0874-8123456', '2020-01-01T00:00:00+00:00',"
        " '2020-01-01T00:00:00+00:00')"
    )
    conn.close()
    assert user_version(db_path) == 1

    shown = run_json("household", "show", "8-2-301")
    assert (shown["head"], shown["phone"]) == ("熊秀英", "0874-8123456")
    assert user_version(db_path) == len(MIGRATIONS)
    conn = sqlite3.connect(db_path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert conn.execute("SELECT count(*) FROM households").fetchone()[0] == 1
    finally:
        conn.close()
    assert {"focus_groups", "memberships", "visits"} <= tables
    # And it goes on working as a database of this version.
    assert run("household", "add", "8-2-302", "--head", "邵俊飞").exit_code == 0
    assert [r["key"] for r in run_json("household", "list")] == ["8-2-301", "8-2-302"]


def test_a_database_from_a_newer_redprop_is_refused(db, run):
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()
    result = run("household", "list")
    assert result.exit_code == ExitCode.DATABASE
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "较新版本" in lines[0]
    assert user_version(db) == 99, "a newer database is left as it was"


def test_a_file_that_is_not_a_database_is_one_line(run, db_path):
    db_path.write_bytes(b"\x00not sqlite\x00" * 200)
    result = run("household", "list")
    assert result.exit_code == ExitCode.DATABASE
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


# --- two workers at the same moment --------------------------------------------------------------


def redprop_process(db, *args, env=None):
    """Start `python -m redprop --db DB *args` as another worker's process would."""
    return subprocess.Popen(
        [sys.executable, "-m", "redprop", "--db", str(db), *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def hold_write_lock(db):
    """Another worker's open write transaction (BEGIN IMMEDIATE, one row written, not committed)."""
    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO grids (code, name, created_at, updated_at) VALUES ('G01', '一号网格', '2026-01-01T00:00:00+00:00',"
        " '2026-01-01T00:00:00+00:00')"
    )
    return conn


def test_a_second_writer_waits_for_the_first_and_succeeds(db, run_json):
    holder = hold_write_lock(db)
    committed_at = []

    def commit_later():
        time.sleep(1.0)
        holder.execute("COMMIT")
        committed_at.append(time.monotonic())

    thread = threading.Thread(target=commit_later)
    thread.start()
    try:
        process = redprop_process(db, "household", "add", "8-2-301", "--head", "熊秀英")
        stdout, stderr = process.communicate(timeout=60)
        finished_at = time.monotonic()
    finally:
        thread.join()
        holder.close()
    assert process.returncode == 0, stderr
    assert "熊秀英" in stdout
    assert finished_at > committed_at[0], "the second writer finished only after the first committed"
    assert [r["key"] for r in run_json("household", "list")] == ["8-2-301"]
    assert [g["code"] for g in run_json("grid", "list")] == ["G01"], "the first worker's write is kept too"


def test_still_locked_after_the_timeout_is_one_line(db, run_json):
    holder = hold_write_lock(db)
    try:
        process = redprop_process(db, "household", "add", "8-2-301", env={"REDPROP_BUSY_TIMEOUT": "0.2"})
        stdout, stderr = process.communicate(timeout=60)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert process.returncode == ExitCode.DATABASE
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "正忙" in lines[0]
    assert stdout == ""
    assert run_json("household", "list") == []


def test_readers_are_not_blocked_by_a_writer(db, run):
    assert run("household", "add", "8-2-301", "--head", "熊秀英").exit_code == 0
    holder = hold_write_lock(db)
    try:
        process = redprop_process(db, "household", "list", env={"REDPROP_BUSY_TIMEOUT": "0.2"})
        stdout, stderr = process.communicate(timeout=60)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert process.returncode == 0, stderr
    assert "熊秀英" in stdout


def test_a_blank_database_migrates_to_the_expected_shape(tmp_path):
    """Every migration applied to an empty file gives the tables and columns the code relies on: a
    record's fields as its catalogue declares them (a field added there needs its migration)."""
    import sqlite3

    import sqlite_utils

    from redprop.groups import MEMBERSHIP
    from redprop.visits import VISIT
    from redprop.households import HOUSEHOLD, RESIDENT
    from redprop.staff import GRID, STAFF
    from redprop.store.migrations import MIGRATIONS, migrate

    path = tmp_path / "blank.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn) == len(MIGRATIONS)
    conn.close()
    db = sqlite_utils.Database(path)

    stamps = {"created_at", "updated_at"}
    expected = {  # a record's table: its catalogue's fields (fields.py), and what its writers keep beside them
        "households": {"id", *HOUSEHOLD.columns(), *stamps},
        "residents": {"id", *RESIDENT.columns(), *stamps},
        "staff": {"id", *STAFF.columns(), *stamps},
        "grids": {*GRID.columns(), *stamps},
        "memberships": {"id", *MEMBERSHIP.columns(), "recorded_at", "left_recorded_at", "last_contact_at", "knocks"},
        "visits": VISIT.columns(),
        "log_entries": {"id", "at", "user", "command", "file", "file_sha256", "counts", "undoes", "undone_by", "boundary"},
        "log_changes": {"id", "entry_id", "tbl", "row_key", "op", "before", "after"},
        "holiday_days": {"day", "off", "name", "source", "recorded_at"},
        "holiday_years": {"year", "source", "detail", "recorded_at"},
        "issue_steps": {"id", "issue_id", "action", "at", "recorded_at", "by_id", "staff_id", "value", "meeting_at",
                        "decision", "note", "party", "reason"},
        "orders": {"issue_id", "source", "number", "due_given", "due_text", "upstream_type", "caller_phone", "due_at",
                   "sign_due", "signed_at", "returned_at", "replied_at", "solved", "closed_at", "reworks", "urges",
                   "extensions"},
        "issue_categories": {"code", "zh", "en", "position", "upstream"},
    }
    for table, columns in expected.items():
        assert set(db[table].columns_dict) == columns, table
    assert {fk.other_table for fk in db["visits"].foreign_keys} == {"households", "residents", "staff"}
    assert db["focus_groups"].count == 14 and db["issue_categories"].count == 10
    contact = {"visits_keep_contact", "visits_void_contact", "visits_gone_contact", "memberships_start_contact"}
    assert {t.name for t in db.triggers if not t.name.startswith("log_audit_")} == contact
    audited = {t.table for t in db.triggers if t.name.startswith("log_audit_")}
    assert audited == set(db.table_names()) - {"log_entries", "log_changes", "log_state"}, "every table is in the change log"
    assert {"follow_up_due", "called_at", "provisional", "visit_id"} <= set(db["issues"].columns_dict)
    assert db["holiday_years"].count == 23, "m007 carries the years chinesecalendar 1.11 knew (2004-2026), whatever is installed"


def test_a_fresh_database_gets_the_holidays_its_migration_was_released_with(db_path, monkeypatch):
    """Migration m007 seeds the years chinesecalendar 1.11.0 knew, carried with the migration: a
    database made next year, with a newer chinesecalendar or none, gets the same days."""
    import types
    from datetime import date

    def seeded(calendar_module) -> tuple[list, list]:
        monkeypatch.setitem(sys.modules, "chinese_calendar", calendar_module)
        monkeypatch.setitem(sys.modules, "chinese_calendar.constants", getattr(calendar_module, "constants", None))
        conn = sqlite3.connect(":memory:", isolation_level=None)
        migrate(conn)
        years = conn.execute("SELECT year, source, detail FROM holiday_years ORDER BY year").fetchall()
        days = conn.execute("SELECT day, off, name FROM holiday_days ORDER BY day").fetchall()
        conn.close()
        return years, days

    newer = types.ModuleType("chinese_calendar")  # a later release: one more year, a day moved
    newer.__version__ = "9.0.0"
    newer.constants = types.SimpleNamespace(
        Holiday=[], holidays={date(2026, 10, 1): "国庆节", date(2027, 1, 1): "元旦", date(2026, 10, 9): "国庆节"},
        workdays={date(2026, 10, 10): "国庆节"})
    for installed in (newer, None):  # None: the package is not installed at all
        years, days = seeded(installed)
        assert [y for y, _, _ in years] == list(range(2004, 2027))
        assert {(source, detail) for _, source, detail in years} == {("package", "chinesecalendar 1.11.0")}
        assert len(days) == 771 and days[0] == ("2004-01-01", 1, "元旦") and days[-1] == ("2026-10-10", 0, "国庆节")
        assert ("2026-10-07", 1, "国庆节") in days and not any(day.startswith("2027") for day, _, _ in days)
