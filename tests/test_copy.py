"""`redprop copy SOURCE TARGET` (issue 18 item 5): one community whole — every row, the change log,
the holidays — into a new database, or in place of an older copy with --replace; the rows of
every table counted on both sides and both sides checked, nothing written unless all agree;
an interrupted copy (kill -9, Ctrl-C) leaves the target as it was. SQLite file to SQLite file."""

import csv
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from test_street import as_json, invoke, ok

AT = "2026-11-24 08:00"


def one_line(result, code: int, *words):
    assert result.exit_code == code, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)


@pytest.fixture
def source(demo_file, tmp_path, monkeypatch):
    """The demo community with a code and a few changes in its change log."""
    monkeypatch.setenv("REDPROP_USER", "杜丽娟")
    path = tmp_path / "mlsj.db"
    shutil.copyfile(demo_file, path)
    ok("--db", path, "community", "edit", "--code", "530324001001")
    ok("--db", path, "household", "add", "30-1-101", "--head", "新住户")
    ok("--db", path, "issue", "resolve", "305", "--at", "2026-11-24 09:00")
    return path


def rows_of(path) -> dict:
    """Every table's rows, by row number and column name: what a copy must carry exactly."""
    conn = sqlite3.connect(path)
    found = {}
    for table, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        number = "" if "WITHOUT ROWID" in sql.upper() else "rowid AS row_number, "
        cursor = conn.execute(f'SELECT {number}* FROM "{table}"')
        names = [d[0] for d in cursor.description]
        found[table] = sorted((tuple(sorted(zip(names, row), key=lambda p: p[0])) for row in cursor), key=repr)
    schema = sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall(), key=repr)
    conn.close()
    return {"tables": found, "schema": schema}


def digest(path) -> str:
    """What a database holds (not its bytes: opening it may checkpoint its WAL)."""
    return hashlib.sha256(repr(rows_of(path)).encode()).hexdigest()


def test_a_copy_is_the_community_row_for_row_and_works_as_the_original(source, tmp_path):
    target = tmp_path / "backup" / "mlsj-copy.db"
    target.parent.mkdir()
    result = ok("copy", source, target)
    assert "美仑盛景小区" in result.stderr and "530324001001" in result.stderr
    assert rows_of(target) == rows_of(source), "every row of every table, with its row number; the same schema"
    assert os.stat(target).st_mode & 0o077 == 0, "private, as every database redprop makes"
    assert as_json("--db", target, "check") ["ok"] is True
    log = as_json("--db", target, "log", "--all")
    assert log == as_json("--db", source, "log", "--all") and len(log) >= 3, "the change log travels"
    assert as_json("--db", target, "report", "week", "--at", AT) == as_json("--db", source, "report", "week", "--at", AT)
    assert as_json("--db", target, "holidays", "show", "2026") == as_json("--db", source, "holidays", "show", "2026")
    ok("--db", target, "undo")  # the last entry (the resolution) reversed in the copy, not in the original
    assert as_json("--db", target, "issue", "show", "305")["status"] != "resolved"
    assert as_json("--db", source, "issue", "show", "305")["status"] == "resolved"
    ok("--db", target, "undo")
    assert invoke("--db", target, "household", "show", "30-1-101").exit_code == 3
    ok("--db", source, "restore", target)  # a copy is a backup `restore` takes
    assert invoke("--db", source, "household", "show", "30-1-101").exit_code == 3


def test_the_copy_reports_every_tables_rows(source, tmp_path):
    result = as_json("copy", source, tmp_path / "copy.db")
    conn = sqlite3.connect(source)
    for table, rows in result["rows"].items():
        assert rows == conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0], table
    assert {"households", "issues", "log_entries", "log_changes", "holiday_days"} <= set(result["rows"])
    assert result["rows"]["log_entries"] >= 3 and result["created"] is True
    assert (result["community"], result["community_code"]) == ("美仑盛景小区", "530324001001")


def test_a_target_holding_data_is_refused_whole_unless_replace(source, tmp_path):
    target = tmp_path / "copy.db"
    ok("copy", source, target)
    ok("--db", source, "household", "add", "30-1-102", "--head", "又一户")
    before = digest(target)
    one_line(invoke("copy", source, target), 4, "copy.db", "--replace")
    assert digest(target) == before, "refused whole: nothing written"
    ok("--db", target, "household", "add", "30-1-103", "--head", "只在副本里")  # the copy's own entry, since gone
    ok("copy", source, target, "--replace")
    assert rows_of(target) == rows_of(source)
    assert as_json("--db", target, "household", "show", "30-1-102")["head"] == "又一户"
    ok("--db", target, "household", "add", "30-1-104", "--head", "再添一户")  # no loss found: its mark is the copy's
    assert as_json("--db", target, "check")["ok"] is True


def test_a_new_empty_community_of_the_same_code_takes_the_copy(source, tmp_path):
    target = tmp_path / "fresh.db"
    ok("--db", target, "init", "--community", "美仑盛景小区", "--code", "530324001001")
    ok("copy", source, target)  # an empty community holds no data: no --replace needed
    assert rows_of(target)["tables"] == rows_of(source)["tables"]


def test_another_communitys_database_is_never_the_target(source, tmp_path):
    other = tmp_path / "other.db"
    ok("--db", other, "init", "--community", "乙小区", "--code", "530324001002")
    before = digest(other)
    for extra in ((), ("--replace",)):
        one_line(invoke("copy", source, other, *extra), 4, "530324001002", "530324001001")
    assert digest(other) == before
    one_line(invoke("copy", source, source), 4, "mlsj.db")


def test_a_source_that_fails_its_check_is_not_copied(source, tmp_path):
    conn = sqlite3.connect(source)  # another tool wrote behind redprop's back: a cached state now wrong
    conn.execute("UPDATE issues SET handler_id = NULL WHERE id = 12")
    conn.commit()
    conn.close()
    target = tmp_path / "copy.db"
    result = invoke("copy", source, target)
    one_line(result, 6, "mlsj.db", "check")
    assert not target.exists() and not list(tmp_path.glob(".copy.db*"))


# -- interrupted ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_source(tmp_path_factory):
    """A community of 60,000 households: a copy long enough to be interrupted half-way."""
    folder = tmp_path_factory.mktemp("big")
    roster = folder / "households.csv"
    with open(roster, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["楼栋", "单元", "门牌号", "户主", "电话", "网格", "人口", "入住日期", "备注"])
        for i in range(60000):
            out.writerow([i // 600 + 1, i // 100 % 6 + 1, 101 + i % 100, "张三", "13800000000", "G01", 3, "2020-01-01",
                          "备注" * 10])
    path = folder / "big.db"
    ok("--db", path, "init", "--community", "大社区", "--code", "530324001009")
    ok("--db", path, "household", "import", roster, "--new-grids")
    return path


def writing(path) -> bool:
    """Whether a write transaction holds the database at `path` (the copy is writing into it)."""
    try:
        conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def interrupted_copy(source, target, how, *extra, into=None) -> int:
    """Run `redprop copy` in its own process and send it `how` once it is writing into `into`
    (default: the target; a new target is written under a temporary name beside it)."""
    process = subprocess.Popen([sys.executable, "-m", "redprop", "copy", str(source), str(target), *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        candidates = [into] if into else list(target.parent.glob(f".{target.name}.*.part"))
        if any(writing(c) for c in candidates if c.exists()):
            process.send_signal(how)
            break
        time.sleep(0.005)
    process.wait(timeout=120)
    return process.returncode


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill -9", "Ctrl-C"])
def test_an_interrupted_copy_into_a_new_file_leaves_no_file(big_source, tmp_path, how):
    target = tmp_path / "copy.db"
    code = interrupted_copy(big_source, target, how)
    assert code != 0, "the copy was interrupted while it wrote"
    assert not target.exists()
    ok("copy", big_source, target)  # and the next copy removes what the killed one left beside it
    assert not list(tmp_path.glob(".copy.db.*")) and as_json("--db", target, "check", "--quick")["ok"] is True


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill -9", "Ctrl-C"])
def test_an_interrupted_replace_leaves_the_target_as_it_was(big_source, source, tmp_path, how):
    target = tmp_path / "big-copy.db"
    ok("--db", target, "init", "--community", "大社区", "--code", "530324001009")
    ok("--db", target, "household", "add", "1-1-101", "--head", "原有住户")
    before = digest(target)
    code = interrupted_copy(big_source, target, how, "--replace", into=target)
    assert code != 0, "the copy was interrupted while it wrote"
    assert digest(target) == before, "the target as it was"
    assert as_json("--db", target, "check")["ok"] is True
    assert [h["head"] for h in as_json("--db", target, "household", "list")] == ["原有住户"]
