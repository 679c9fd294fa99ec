"""The street's picture and `copy` on a shared PostgreSQL database (issue 18 items 4-5): an office's
file copied into a community of the server and back into a file, row for row; a street login's
roll-up over every community it may read, the same figures as the files'; an interrupted copy into
the server leaves it as it was.

Against a real server (tests/pg_server.py: the embedded one, or $REDPROP_TEST_POSTGRES).
"""

import json
import shutil
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from pg_server import as_login
from redprop.cli import app
from test_copy import rows_of
from test_street import as_json, invoke, ok

psycopg = pytest.importorskip("psycopg")

AT = "2026-11-24 08:00"
A, B, C = "530324001001", "530324001002", "530324001003"


@pytest.fixture
def files(demo_file, tmp_path):
    """Two offices' files: the demo community (with its code) and a small one."""
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    shutil.copyfile(demo_file, a)
    ok("--db", a, "community", "edit", "--code", A)
    ok("--db", b, "init", "--community", "乙小区", "--code", B)
    ok("--db", b, "issue", "open", "--kind", "problem", "--category", "乱停车", "--channel", "巡查", "--place", "1栋",
       "--title", "楼下乱停车", "--at", "2026-11-17 09:00")
    ok("--db", b, "issue", "resolve", "1", "--at", "2026-11-17 09:20")
    return a, b


def test_a_file_copied_into_the_server_and_back_is_the_same_row_for_row(files, pg_database, tmp_path):
    url = pg_database()
    a, _b = files
    made = as_json("copy", a, url)
    assert made["created"] is True and made["community_code"] == A
    with psycopg.connect(url) as conn:  # ready for its first commands: the planner's statistics, the visibility map
        planned = conn.execute("SELECT count(*) FROM pg_stats WHERE schemaname = %s AND tablename = 'issues'",
                               (f"community_{A}",)).fetchone()[0]
        vacuumed = conn.execute("SELECT vacuum_count FROM pg_stat_all_tables WHERE relid = %s::regclass",
                                (f"community_{A}.issues",)).fetchone()[0]
    assert planned > 0 and vacuumed > 0, "the copy VACUUM ANALYZEd what it wrote"
    assert as_json("--db", url, "--community", A, "check")["ok"] is True
    assert as_json("--db", url, "report", "week", "--at", AT, "--community", A) == as_json("--db", a, "report", "week",
                                                                                             "--at", AT)
    assert as_json("--db", url, "--community", A, "log", "--all") == as_json("--db", a, "log", "--all")
    back = tmp_path / "back.db"
    ok("copy", url, back, "--community", A)
    assert rows_of(back)["tables"] == rows_of(a)["tables"], "every row, with its row number, back in a file"
    assert as_json("--db", back, "check")["ok"] is True
    ok("--db", a, "restore", back)  # the file a server's community is backed up into is a backup `restore` takes
    refused = invoke("copy", a, url)
    assert refused.exit_code == 4 and "--replace" in refused.stderr
    ok("--db", url, "--community", A, "household", "add", "30-1-101", "--head", "服务器上新登记")
    ok("copy", a, url, "--replace")
    assert invoke("--db", url, "--community", A, "household", "show", "30-1-101").exit_code == 3, "replaced whole"


def test_the_street_login_reads_every_community_the_same_as_their_files(files, pg_database):
    url = pg_database()
    a, b = files
    ok("copy", a, url)
    ok("copy", b, url)
    ok("--db", url, "init", "--community", "丙小区", "--code", C)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('DROP ROLE IF EXISTS "jiedao"')
        conn.execute('CREATE ROLE "jiedao" LOGIN')
    ok("--db", url, "grant", "jiedao", "--street")
    street = as_login(url, "jiedao")
    picture = as_json("report", "week", "--db", street, "--by", "community", "--at", AT)
    from_files = as_json("report", "week", "--db", a, "--db", b, "--by", "community", "--at", AT)
    assert [r["community_code"] for r in picture["communities"]] == [A, B, C], "29/41, then 1/1, then none decided"
    assert picture["communities"][:2] == from_files["communities"], "the same figures as the offices' own files"
    overdue = invoke("overdue", "--db", street, "--by", "community", "--at", AT, "--check")
    assert overdue.exit_code == 1
    stats = as_json("stats", "--db", street, "--by", "community", "--at", AT)
    assert [r["community_code"] for r in stats][-1] == "" and len(stats) == 4
    one = invoke("--db", street, "--community", A, "household", "add", "1-1-101", "--head", "x")
    assert one.exit_code == 7, "the street reads and writes none"


def test_a_login_reading_a_community_it_was_not_granted_is_refused_never_an_empty_picture(files, pg_database):
    from test_postgres import make_login

    url = pg_database()
    a, b = files
    ok("copy", a, url)
    ok("copy", b, url)
    for login in ("wang", "nobody"):
        make_login(url, login)
    ok("--db", url, "grant", "wang", "--community", A)
    wang, nobody = as_login(url, "wang"), as_login(url, "nobody")
    own = as_json("report", "week", "--db", wang, "--by", "community", "--at", AT)
    assert [r["community_code"] for r in own["communities"]] == [A], "a community's login: its own community"
    for args in (("report", "week", "--db", wang, "--community", B), ("overdue", "--db", wang, "--community", B, "--check"),
                 ("stats", "--db", wang, "--community", B), ("report", "week", "--db", nobody),
                 ("overdue", "--db", nobody, "--check"), ("stats", "--db", nobody)):
        refused = invoke(*args, "--by", "community", "--at", AT)
        assert refused.exit_code == 7 and refused.stdout == "", (args, refused.output)
        assert len(refused.stderr.strip().splitlines()) == 1 and "grant" in refused.stderr, refused.stderr


def test_a_community_copied_between_two_servers_databases_and_back_into_a_file(files, pg_database, tmp_path):
    street, other = pg_database(), pg_database()
    a, b = files
    ok("copy", a, street)
    ok("copy", b, street)
    made = as_json("copy", street, other, "--community", B)
    assert (made["created"], made["community_code"], made["community"]) == (True, B, "乙小区")
    assert as_json("--db", other, "report", "week", "--at", AT) == as_json("--db", b, "report", "week", "--at", AT)
    again = invoke("copy", street, other, "--community", B)
    assert again.exit_code == 4 and "--replace" in again.stderr
    assert as_json("copy", street, other, "--community", B, "--replace")["replaced"] is True
    back = tmp_path / "b-back.db"
    ok("copy", other, back)  # one community there: none to name
    assert rows_of(back)["tables"] == rows_of(b)["tables"]


def writing_to(url) -> bool:
    """Whether a copy is writing into the server: a transaction of redprop's that has written
    (the new community's whole build is one transaction, committed at its end)."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'redprop'"
                            " AND backend_xid IS NOT NULL").fetchone()[0] > 0


def interrupt_copy(how, source, url, *options) -> None:
    """`redprop copy SOURCE URL OPTIONS` in a process of its own, sent `how` once it is writing into
    the server; returns when the server has rolled its transaction back."""
    process = subprocess.Popen([sys.executable, "-m", "redprop", "copy", str(source), url, *options],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if writing_to(url):
            process.send_signal(how)
            break
        time.sleep(0.005)
    process.wait(timeout=120)
    assert process.returncode != 0, process.stderr.read()
    time.sleep(0.5)  # the server notices the connection gone and rolls its transaction back


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill -9", "Ctrl-C"])
def test_an_interrupted_copy_leaves_the_server_as_it_was(files, pg_database, how):
    url = pg_database()
    a, _b = files
    ok("--db", url, "init", "--community", "丙小区", "--code", C)
    with psycopg.connect(url, autocommit=True) as conn:
        before = conn.execute("SELECT code, name, schema FROM redprop.communities ORDER BY code").fetchall()
    interrupt_copy(how, a, url)
    with psycopg.connect(url, autocommit=True) as conn:
        after = conn.execute("SELECT code, name, schema FROM redprop.communities ORDER BY code").fetchall()
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'community_%'")}
    assert after == before and schemas == {b[2] for b in before}, "no community left half-made"
    ok("copy", a, url)
    assert as_json("--db", url, "--community", A, "check")["ok"] is True


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["kill -9", "Ctrl-C"])
def test_an_interrupted_replace_leaves_the_servers_community_as_it_was(files, pg_database, how):
    url = pg_database()
    a, _b = files
    ok("copy", a, url)
    ok("--db", url, "--community", A, "household", "add", "30-1-101", "--head", "服务器上新登记")
    before = as_json("--db", url, "--community", A, "log", "--all")
    interrupt_copy(how, a, url, "--replace")
    assert as_json("--db", url, "--community", A, "household", "show", "30-1-101")["head"] == "服务器上新登记"
    assert as_json("--db", url, "--community", A, "log", "--all") == before, "its rows and its log as they were"
    assert as_json("--db", url, "--community", A, "check")["ok"] is True


def test_the_readme_parts_on_copy_and_the_street_run_as_written(pg_database, tmp_path, monkeypatch):
    """README's "A shared database": the administrator's block, then an office's file copied in and a
    community copied back out, then the street's login's roll-up — as written, on the test server."""
    import re
    import shlex

    from test_postgres import REPO, make_login

    monkeypatch.chdir(REPO)
    readme = (REPO / "README.md").read_text(encoding="utf-8").split("## A shared database", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    [admin_block] = [b for b in blocks if "redprop init" in b]
    [copy_block] = [b for b in blocks if "redprop copy" in b]
    [street_block] = [b for b in blocks if "--by community" in b]
    url = pg_database()
    for login in ("wang", "tongji"):
        make_login(url, login)
    example = "postgresql://jiedao@db.example/street"

    def run_block(block: str, env: dict) -> None:
        for words in filter(None, (shlex.split(line, comments=True) for line in block.splitlines())):
            if words[0] == "export":
                continue
            words = [url if w == example else w for w in words]
            result = CliRunner().invoke(app, words[1:], env=env, catch_exceptions=False)
            assert result.exit_code == 0, f"{shlex.join(words)}\n{result.output}"

    run_block(admin_block, {"REDPROP_DB": url})
    jer = tmp_path / "jer.db"
    ok("--db", jer, "init", "--community", "涧二社区", "--code", C)
    ok("--db", jer, "issue", "open", "--kind", "problem", "--category", "报修", "--channel", "热线", "--place", "5栋",
       "--title", "路灯不亮", "--at", "2026-11-18 09:00")
    monkeypatch.chdir(tmp_path)
    run_block(copy_block, {"REDPROP_DB": url})
    assert [i["title"] for i in as_json("--db", url, "--community", C, "issue", "list", "--status", "all")] == ["路灯不亮"]
    backup = tmp_path / "mlsj-2026-12-01.db"
    assert len(as_json("--db", backup, "household", "list", "--all")) == 350 and as_json("--db", backup, "check")["ok"]
    street = as_login(url, "tongji")
    assert street.split("@")[0].endswith("tongji")
    run_block(street_block.replace("postgresql://tongji@db.example/street", street), {"REDPROP_DB": street})
    picture = json.loads(CliRunner().invoke(app, ["report", "week", "--by", "community", "--at", "2026-11-24 08:00",
                                                  "-f", "json"], env={"REDPROP_DB": street}).stdout)
    assert [r["community_code"] for r in picture["communities"]] == [C, A, B], "路灯不亮 late; the others none decided"
    assert (tmp_path / "街道月报.html").exists()
