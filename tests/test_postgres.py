"""redprop on a shared PostgreSQL database: several communities side by side, each sealed by the
database's own grants (through redprop and through raw SQL alike), the server's failures in one
line, writes that wait only for their own community, eight writers at once losing nothing.

Against a real server (tests/pg_server.py: the embedded one, or $REDPROP_TEST_POSTGRES).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pg_server import as_login, data_directory
from redprop.cli import app
from redprop.errors import ExitCode

psycopg = pytest.importorskip("psycopg")

REPO = Path(__file__).resolve().parent.parent
A, B = "530324001001", "530324001002"
A_NAME, B_NAME = "美仑盛景小区", "紫荆小区"


def cli(url, *args, env=None, lang=None):
    language = ["--lang", lang] if lang else []
    return CliRunner().invoke(app, ["--db", url, *language, *map(str, args)], env=env, catch_exceptions=False)


def cli_json(url, *args, env=None):
    result = cli(url, *args, "--format", "json", env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def one_line(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def admin(url):
    return psycopg.connect(url, autocommit=True)


@pytest.fixture
def street(pg_database):
    """A shared database with two communities, each with a household at 8-2-301."""
    url = pg_database()
    assert cli(url, "init", "--community", A_NAME, "--code", A).exit_code == 0
    assert cli(url, "init", "--community", B_NAME, "--code", B).exit_code == 0
    assert cli(url, "--community", A, "household", "add", "8-2-301", "--head", "熊秀英").exit_code == 0
    assert cli(url, "household", "add", "8-2-301", "--head", "王芳", "--community", B_NAME).exit_code == 0
    return url


def make_login(url, login, password=None):
    with admin(url) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{login}"')
        conn.execute(f'CREATE ROLE "{login}" LOGIN' + (f" PASSWORD '{password}'" if password else ""))


def test_a_command_on_a_file_never_imports_the_postgresql_driver(tmp_path):
    db = tmp_path / "one.db"
    code = ("import sys; from redprop.cli import app\n"
            f"for args in (['init', '--community', 'x'], ['household', 'add', '8-2-301'], ['household', 'list']):\n"
            f"    app(['--db', {str(db)!r}, *args], standalone_mode=False)\n"
            "print(sorted(m for m in sys.modules if m.startswith(('psycopg', 'redprop.store.postgres'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_two_communities_in_one_database_each_see_only_their_own(street):
    assert [(h["key"], h["head"]) for h in cli_json(street, "household", "list", "--community", A)] == [("8-2-301", "熊秀英")]
    assert [(h["key"], h["head"]) for h in cli_json(street, "household", "list", "--community", B_NAME)] == [("8-2-301", "王芳")]
    assert cli_json(street, "household", "list", env={"REDPROP_COMMUNITY": B})[0]["head"] == "王芳"
    [entry] = cli_json(street, "log", "--community", B)
    assert entry["command"].endswith(f"household add 8-2-301 --head '王芳' --community '{B_NAME}'")
    shown = cli_json(street, "community", "show", "--community", A)
    assert (shown["community"], shown["code"]) == (A_NAME, A)


def test_a_missing_or_unknown_community_is_one_line_listing_those_there(street):
    for args in (("household", "list"), ("household", "list", "--community", "999999999999")):
        result = cli(street, *args, lang="en")
        assert result.exit_code == ExitCode.USAGE
        line = one_line(result)
        assert A in line and B in line and A_NAME in line
    result = cli(street, "init", "--community", A_NAME, "--code", "530324001003", lang="en")
    assert result.exit_code == ExitCode.INVALID and "already holds" in one_line(result)


def test_a_database_holding_one_community_needs_none(pg_database):
    url = pg_database()
    assert cli(url, "init", "--community", A_NAME).exit_code == 0
    assert cli(url, "household", "add", "1-1-101").exit_code == 0
    assert [h["key"] for h in cli_json(url, "household", "list")] == ["1-1-101"]
    assert cli(url, "community", "edit", "--code", A).exit_code == 0  # the registry knows it by its code from now on
    assert cli(url, "init", "--community", B_NAME, "--code", B).exit_code == 0
    assert [h["key"] for h in cli_json(url, "household", "list", "--community", A)] == ["1-1-101"]


def test_each_community_is_sealed_by_the_database_itself(street):
    for login in ("worker_a", "street_office", "stranger"):
        make_login(street, login)
    assert cli(street, "grant", "worker_a", "--community", A).exit_code == 0
    assert cli(street, "grant", "street_office", "--street").exit_code == 0
    worker, office, stranger = (as_login(street, name) for name in ("worker_a", "street_office", "stranger"))

    # the worker: its community through redprop, nothing of the other, through redprop or by hand
    added = cli(worker, "household", "add", "9-1-101", "--community", A)
    assert added.exit_code == 0, added.output
    assert len(cli_json(worker, "household", "list", "--community", A)) == 2
    for args in (("household", "list"), ("household", "add", "9-1-101")):
        denied = cli(worker, *args, "--community", B, lang="en")
        assert denied.exit_code == ExitCode.DENIED
        assert "worker_a" in one_line(denied) and B in one_line(denied)
    with psycopg.connect(worker) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"SELECT head FROM community_{B}.households").fetchall()
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"DELETE FROM community_{B}.households")
        conn.rollback()
        assert {r[0] for r in conn.execute("SELECT code FROM redprop.communities")} == {A, B}  # names and codes: no secret

    # the street: reads every community, writes none
    for code in (A, B):
        assert len(cli_json(office, "household", "list", "--community", code)) >= 1
    refused = cli(office, "household", "add", "9-9-909", "--community", A, lang="en")
    assert refused.exit_code == ExitCode.DENIED
    assert "may read this community but not write it" in one_line(refused)
    with psycopg.connect(office) as conn:
        assert conn.execute(f"SELECT count(*) FROM community_{B}.households").fetchone()[0] == 1
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"UPDATE community_{A}.households SET head = 'x'")

    # a login granted nothing sees no community's data; revoke takes a grant back
    assert cli(stranger, "household", "list", "--community", A).exit_code == ExitCode.DENIED
    assert cli(street, "revoke", "worker_a", "--community", A).exit_code == 0
    assert cli(worker, "household", "list", "--community", A).exit_code == ExitCode.DENIED
    assert cli(street, "grant", "nobody_here", "--community", A).exit_code == ExitCode.NOT_FOUND


def test_the_log_names_the_person_else_the_postgresql_login(street):
    make_login(street, "worker_b")
    assert cli(street, "grant", "worker_b", "--community", B).exit_code == 0
    worker = as_login(street, "worker_b")
    assert cli(worker, "household", "add", "9-1-101", "--community", B).exit_code == 0
    assert cli(worker, "household", "add", "9-1-102", "--community", B, env={"REDPROP_USER": "王芳"}).exit_code == 0
    assert [e["user"] for e in cli_json(street, "log", "--community", B)][:2] == ["王芳", "worker_b"]


def test_a_server_that_cannot_be_used_is_one_line_naming_it_without_its_password(pg_database):
    url = pg_database()
    missing = url.replace("/redprop_t", "/no_such_database_", 1)
    result = cli(missing, "household", "list", lang="en")
    assert result.exit_code == ExitCode.DATABASE
    assert "no_such_database_" in one_line(result) and "cannot connect" in one_line(result)

    nowhere = "postgresql://someone:s3cret@/redprop?host=/nonexistent-socket-folder"
    result = cli(nowhere, "household", "list", lang="en")
    assert result.exit_code == ExitCode.DATABASE
    assert "s3cret" not in result.stderr and "someone@" in one_line(result)

    folder = data_directory()
    if folder is None:
        pytest.skip("the wrong password is tried on the embedded server, whose pg_hba.conf the test may edit")
    assert cli(url, "init", "--community", A_NAME).exit_code == 0
    make_login(url, "pw_login", "right-one")
    hba = Path(folder, "pg_hba.conf")
    before = hba.read_text()
    try:
        hba.write_text("local all pw_login scram-sha-256\n" + before)
        with admin(url) as conn:
            conn.execute("SELECT pg_reload_conf()")
        result = cli(as_login(url, "pw_login", "wrong-one"), "household", "list", lang="en")
        assert result.exit_code == ExitCode.DATABASE
        assert "password authentication failed" in one_line(result)
        assert "wrong-one" not in result.stderr and "right-one" not in result.stderr
        assert cli(url, "grant", "pw_login", "--community", A_NAME).exit_code == 0
        assert cli(as_login(url, "pw_login", "right-one"), "household", "list").exit_code == 0
    finally:
        hba.write_text(before)
        with admin(url) as conn:
            conn.execute("SELECT pg_reload_conf()")


def _hold_write_lock(url, code):
    """An open transaction holding a community's write lock, as a redprop write in progress does."""
    conn = admin(url)
    conn.execute("BEGIN")
    conn.execute(f"SET LOCAL search_path = community_{code}")
    conn.execute("SELECT pg_advisory_xact_lock(to_regnamespace(current_schema())::oid::bigint)")
    conn.execute("UPDATE log_state SET bulk = 0")
    return conn


def test_a_write_in_one_community_never_waits_for_another_and_a_long_lock_is_one_line(street):
    holder = _hold_write_lock(street, A)
    try:
        free = cli(street, "household", "add", "9-1-101", "--community", B, env={"REDPROP_BUSY_TIMEOUT": "0"})
        assert free.exit_code == 0, free.output  # not a moment's wait: community A's lock is A's alone
        busy = cli(street, "household", "add", "9-1-101", "--community", A, env={"REDPROP_BUSY_TIMEOUT": "0.3"})
        assert busy.exit_code == ExitCode.DATABASE
        assert "正忙" in one_line(busy)
        assert len(cli_json(street, "household", "list", "--community", A)) == 1  # readers never wait
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert [h["key"] for h in cli_json(street, "household", "list", "--community", A)] == ["8-2-301"]


def _redprop(url, *args):
    env = {**os.environ, "REDPROP_BUSY_TIMEOUT": "120", "REDPROP_COMMUNITY": A}
    return subprocess.Popen([sys.executable, "-m", "redprop", "--db", url, *map(str, args)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_eight_writers_at_once_in_one_community_lose_nothing_and_leave_check_clean(street, tmp_path):
    def ok(*args):
        result = cli(street, "--community", A, *args)
        assert result.exit_code == 0, result.output

    for key in ("1-1-101", "1-1-102", "1-1-103", "1-1-104"):
        ok("household", "add", key)
    ok("staff", "add", "李明", "--role", "grid_worker")
    for n in (1, 2):
        ok("issue", "open", "--kind", "problem", "--category", "repair", "--channel", "hotline", "--household", "1-1-101",
           "--title", f"漏水{n}", "--at", "2026-11-20 09:00")
    ok("household", "add", "9-9-999")
    undone = cli_json(street, "log", "--community", A, "--limit", "1")[0]["id"]
    roster = tmp_path / "visits.csv"
    roster.write_text("户号,时间,走访人,方式,结果\n" + "".join(f"1-1-10{n},2026/11/21 10:0{n},李明,走访,平安\n"
                                                            for n in (1, 2, 3, 4)), encoding="utf-8")
    writers = [
        _redprop(street, "visit", "log", "1-1-101", "--by", "李明", "--outcome", "well", "--at", "2026-11-22 09:00"),
        _redprop(street, "visit", "log", "1-1-102", "--by", "李明", "--outcome", "refused", "--at", "2026-11-22 09:05"),
        _redprop(street, "visit", "log", "1-1-103", "--by", "李明", "--outcome", "not_home", "--at", "2026-11-22 09:10"),
        _redprop(street, "issue", "assign", "1", "--to", "李明", "--at", "2026-11-20 09:02"),
        _redprop(street, "issue", "arrive", "2", "--by", "李明", "--at", "2026-11-20 09:03"),
        _redprop(street, "visit", "import", roster),
        _redprop(street, "undo", str(undone)),
        _redprop(street, "household", "add", "2-1-201", "--head", "赵强"),
    ]
    outcomes = [(w.args, *w.communicate(timeout=300)) for w in writers]
    for writer, (args, _out, err) in zip(writers, outcomes):
        assert writer.returncode == 0, (args, err)
    assert len(cli_json(street, "--community", A, "visit", "list")) == 3 + 4
    keys = [h["key"] for h in cli_json(street, "--community", A, "household", "list")]
    assert "2-1-201" in keys and "9-9-999" not in keys
    first, second = (cli_json(street, "--community", A, "issue", "show", n) for n in ("1", "2"))
    assert first["handler"] == "李明" and second["arrived_at"]
    assert len(cli_json(street, "log", "--community", A)) == 9 + 8
    check = cli(street, "--community", A, "check")
    assert check.exit_code == 0, check.output


def test_the_readme_section_runs_as_written_on_the_test_server(pg_database, monkeypatch):
    import re
    import shlex

    monkeypatch.chdir(REPO)
    readme = (REPO / "README.md").read_text(encoding="utf-8").split("## A shared database", 1)[1]
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    admin_block = blocks[0]
    [worker_block] = [b for b in blocks if "household list --building" in b]  # (test_street_postgres runs the others)
    url = pg_database()
    example = "postgresql://jiedao@db.example/street"
    for login in ("wang", "tongji"):
        make_login(url, login)
    lines = [shlex.split(line, comments=True) for line in admin_block.splitlines()]
    assert lines[0] == ["export", f"REDPROP_DB={example}"]
    env = {"REDPROP_DB": url}
    for words in filter(None, lines[1:]):
        assert words[0] == "redprop"
        result = CliRunner().invoke(app, words[1:], env=env, catch_exceptions=False)
        assert result.exit_code == 0, f"{shlex.join(words)}\n{result.output}"
    [worker] = [shlex.split(line, comments=True) for line in worker_block.splitlines() if line.strip()]
    worker = [as_login(url, "wang") if w == example.replace("jiedao", "wang") else w for w in worker]
    listed = CliRunner().invoke(app, [*worker[1:], "--format", "json"], catch_exceptions=False)
    assert listed.exit_code == 0, listed.output
    assert {h["building"] for h in json.loads(listed.stdout)} == {"8"}
    assert cli(as_login(url, "wang"), "household", "show", "8-2-301").exit_code == 0  # 美仑盛景's, not 紫荆's
    assert "王芳" not in cli(as_login(url, "wang"), "household", "show", "8-2-301").stdout
    assert cli(as_login(url, "tongji"), "--community", B_NAME, "household", "add", "1-1-101").exit_code == ExitCode.DENIED


def test_every_migration_says_its_ddl_on_postgresql_too():
    """A migration names each piece of its DDL (`_run(conn, NAME, SQLITE_DDL)`): PostgreSQL's of the
    same name is written beside it, by hand, in store/postgres_ddl.py — a new migration without it
    would leave a shared database behind."""
    import re

    from redprop.store.postgres_ddl import DDL

    source = (REPO / "redprop" / "store" / "migrations.py").read_text(encoding="utf-8")
    named = re.findall(r'_run\(\s*conn, "([^"]+)"', source)
    assert len(named) >= 12
    assert [name for name in named if name not in DDL] == []
    assert sorted(DDL) == sorted(named), "no DDL for a migration that does not exist"
