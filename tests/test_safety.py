"""Trustworthy with the file itself: a damaged page is one line and exit 6 (never 1, never a
traceback), `check`, `backup` and `restore`, private files whatever the umask, a read-only
copy that still serves every read, an `init` that fails leaving nothing, paths too long.

The damaged and read-only files are made here, by code, from the demo community: a page of the
households table overwritten with garbage (its root page found through sqlite_master), a copy
chmod 0444 in a folder chmod 0555 (read as another account when the tests run as root, since
root ignores permissions), a full disk simulated by a file-size limit on the process.
"""

import os
import resource
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from redprop.errors import ExitCode

pytestmark = pytest.mark.sqlite_only("a SQLite file's damage, permissions, backups and locks (test_postgres.py has the server's)")

REPO = Path(__file__).resolve().parent.parent
AT = "2026-11-24 08:00"  # the demo's moment


def cli(*args, db=None, umask=None, user=None, limit_bytes=None, env=None, check=False):
    """redprop in a process of its own (as a cron job runs it)."""
    def prepare():
        if umask is not None:
            os.umask(umask)
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
        if user is not None:
            os.setgid(user)
            os.setuid(user)

    line = [sys.executable, "-m", "redprop", *(["--db", str(db)] if db else []), *map(str, args)]
    environment = {**os.environ, "REDPROP_LANG": "zh", "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    environment.pop("REDPROP_DB", None)
    done = subprocess.run(line, capture_output=True, text=True, preexec_fn=prepare, env=environment, cwd=REPO)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def raw(path, sql, *args):
    """Rows read past redprop (`?` placeholders): from the file, or from the one community of a
    test database on the PostgreSQL server."""
    if isinstance(path, str) and path.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(path, cursor_factory=psycopg.RawCursor) as conn:
            schema = conn.execute("SELECT schema FROM redprop.communities").fetchone()[0]
            conn.execute(f'SET search_path = "{schema}"')
            parts = sql.split("?")
            numbered = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))
            return [tuple(r) for r in conn.execute(numbered, args).fetchall()]
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


def damage(path: Path, table: str = "households") -> None:
    """Overwrite the root page of `table` with garbage, after folding the WAL into the file."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    finally:
        conn.close()
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(bytes((i * 37 + 11) % 256 for i in range(page_size)))


# --------------------------------------------------------------------------------------------
# A damaged file


def test_a_damaged_households_page_makes_household_list_exit_6_with_one_line(demo, run):
    damage(demo)
    result = run("household", "list")
    assert result.exit_code == ExitCode.DATABASE
    assert result.stdout == ""
    line = one_line(result.stderr)
    assert "损坏" in line and "redprop check" in line and "redprop restore" in line


def test_a_damaged_file_as_a_cron_job_sees_it_one_line_and_exit_6(demo):
    damage(demo)
    done = cli("overdue", "--check", "--at", AT, db=demo)
    assert done.returncode == ExitCode.DATABASE, "never 1, which would read as 'something is overdue'"
    assert "损坏" in one_line(done.stderr)


SWEEP = [  # what a worker types, reads and writes alike, against the demo community
    ["household", "list"], ["household", "list", "--search", "熊"], ["household", "show", "8-2-301"],
    ["household", "history", "8-2-301"], ["household", "list", "-f", "csv"], ["household", "list", "-f", "json"],
    ["household", "add", "99-1-101", "--head", "王五"], ["household", "edit", "8-2-301", "--phone", "13800000000"],
    ["household", "move-out", "8-2-301"], ["resident", "list", "8-2-301"],
    ["resident", "add", "8-2-301", "熊小明"], ["staff", "list"], ["grid", "list"],
    ["staff", "add", "新同事", "--role", "grid_worker"], ["group", "list"], ["group", "members", "elderly_alone"],
    ["group", "join", "8-2-301", "hardship", "--since", "2026-11-01"],
    ["visit", "log", "8-2-301", "--by", "杜丽娟", "--at", "2026-11-23 09:40", "--outcome", "well"],
    ["visit", "list"], ["visit", "due", "--at", AT], ["visit", "plan"],
    ["issue", "open", "--kind", "problem", "--category", "repair", "--channel", "巡查", "--household", "8-2-301",
     "--title", "漏水"],
    ["issue", "open", "--kind", "problem", "--category", "parking", "--channel", "巡查", "--place", "1栋", "--title", "堵车"],
    ["issue", "list", "--at", AT], ["issue", "show", "1"], ["issue", "assign", "1", "--to", "杜丽娟"],
    ["issue", "resolve", "2"], ["issue", "category", "list"], ["policy", "show"], ["holidays", "show", "2026"],
    ["overdue", "--at", AT], ["overdue", "--check", "--at", AT], ["overdue", "-f", "json", "--at", AT],
    ["stats", "--from", "2026-11-01"], ["log"], ["undo"], ["check"], ["check", "--quick"], ["backup"],
]


def test_no_command_exits_1_or_escapes_as_a_traceback_on_a_damaged_file(demo, run):
    damage(demo)
    entries = lambda: raw(demo, "SELECT count(*) FROM log_entries")[0][0]  # noqa: E731 - not a damaged table
    codes = {}
    for args in SWEEP:
        before = entries()
        result = run(*args)  # in-process with catch_exceptions=False: an escaping error fails the test here
        codes[" ".join(args)] = result.exit_code
        assert result.exit_code != 1 or args[:2] == ["overdue", "--check"], (args, result.stderr)
        assert "Traceback" not in result.output
        if result.exit_code != 0 and args[0] != "check":  # check lists what is wrong on stdout
            one_line(result.stderr)
            assert entries() == before, f"{args}: a write that met the damage wrote nothing"
    refused = [c for c, code in codes.items() if code == ExitCode.DATABASE]
    assert codes["household list"] == codes["household show 8-2-301"] == codes["check"] == ExitCode.DATABASE
    assert codes["household add 99-1-101 --head 王五"] == ExitCode.DATABASE
    assert codes["backup"] == ExitCode.DATABASE, "a damaged file is not backed up"
    for write in ("staff add 新同事 --role grid_worker", "issue open --kind problem --category parking --channel 巡查"
                  " --place 1栋 --title 堵车", "undo"):
        assert codes[write] == ExitCode.DATABASE, f"{write}: once damage was met, nothing more is written"
    assert codes["policy show"] == codes["staff list"] == 0, "what is undamaged can still be read"
    assert len(refused) >= 25, codes


def test_once_damage_is_met_no_write_goes_in_until_check_says_ok_or_a_backup_is_restored(demo, run, tmp_path):
    assert run("backup", tmp_path / "good.db").exit_code == 0
    damage(demo)
    assert run("household", "list").exit_code == ExitCode.DATABASE  # meets the damage
    refused = run("staff", "add", "新同事", "--role", "grid_worker")  # would not touch the damaged table
    assert refused.exit_code == ExitCode.DATABASE
    assert "已被发现损坏" in one_line(refused.stderr) and "household list" in refused.stderr
    assert raw(demo, "SELECT count(*) FROM staff WHERE name = '新同事'") == [(0,)]
    assert run("restore", tmp_path / "good.db").exit_code == 0
    assert run("staff", "add", "新同事", "--role", "grid_worker").exit_code == 0, "a restore lifts the note"
    raw(demo, "PRAGMA wal_checkpoint(TRUNCATE)")
    pristine = demo.read_bytes()  # as last written (an older copy would have lost entries: test_loss.py)
    damage(demo)
    run("overdue", "--at", AT)
    assert run("staff", "add", "又一位", "--role", "grid_worker").exit_code == ExitCode.DATABASE
    demo.write_bytes(pristine)  # the file mended (say, put back by hand): check finds it whole
    assert run("check").exit_code == 0
    assert run("staff", "add", "又一位", "--role", "grid_worker").exit_code == 0, "a check that says ok lifts it"


def test_commands_in_their_own_process_never_print_a_traceback_on_a_damaged_file(demo):
    damage(demo)
    for args in (["household", "list"], ["visit", "due", "--at", AT], ["issue", "list", "--at", AT], ["check"]):
        done = cli(*args, db=demo)
        assert done.returncode in (0, ExitCode.DATABASE), (args, done.stderr)
        assert "Traceback" not in done.stderr
        if done.returncode and args[0] != "check":
            one_line(done.stderr)


def test_check_says_ok_on_a_good_file_and_lists_the_damage_on_a_damaged_one(demo, run):
    good = run("check")
    assert good.exit_code == 0, good.output
    assert good.stdout.startswith("ok") and "335" in good.stdout and good.stderr == ""
    assert run("check", "--quick").exit_code == 0
    damage(demo)
    bad = run("check", "--lang", "en")
    assert bad.exit_code == ExitCode.DATABASE
    assert "malformed" in bad.stdout and "problems found" in bad.stdout.splitlines()[-1]


def test_check_finds_an_issue_state_a_contact_column_and_a_trigger_that_disagree_with_the_records(demo, run):
    raw(demo, "UPDATE issues SET status = CASE status WHEN 'closed' THEN 'resolved' ELSE 'closed' END WHERE id = 7")
    raw(demo, "UPDATE memberships SET knocks = knocks + 2 WHERE id = (SELECT min(id) FROM memberships)")
    raw(demo, "DROP TRIGGER visits_keep_contact")
    result = run("check", "--lang", "en")
    assert result.exit_code == ExitCode.DATABASE
    assert "issue #7: status on record differ from the replay of its steps" in result.stdout
    assert "membership " in result.stdout and "knocks" in result.stdout
    assert "lacks trigger visits_keep_contact" in result.stdout
    quick = run("check", "--quick", "--lang", "en")
    assert quick.exit_code == ExitCode.DATABASE and "issue #7" not in quick.stdout, "--quick does not replay issues"


# --------------------------------------------------------------------------------------------
# Paths and init


def test_a_5000_character_db_path_is_exit_2_with_one_line(tmp_path):
    long = tmp_path / ("a" * 5000)
    deep = tmp_path.joinpath(*["ab"] * 1700)
    for path in (long, deep):
        for args in (["household", "list"], ["init"], ["overdue", "--check"], ["backup"], ["restore", "x.db"]):
            done = cli(*args, db=path)
            assert done.returncode == ExitCode.USAGE, (args, done.stderr[:300])
            line = one_line(done.stderr)
            assert len(line) < 300, "the path is shortened, not printed whole"
    assert os.listdir(tmp_path) == []


def test_a_file_argument_the_system_cannot_use_is_exit_2_with_one_line(db, run, tmp_path):
    for path in (tmp_path / ("a" * 300 + ".csv"), tmp_path.joinpath(*["ab"] * 2500, "x.csv"), Path("/etc/passwd/x.csv")):
        result = run("household", "import", path)
        assert result.exit_code == ExitCode.USAGE, result.stderr[:300]
        assert len(one_line(result.stderr)) < 300


def test_an_init_that_fails_on_a_full_disk_leaves_no_file_and_the_next_init_works(tmp_path):
    db = tmp_path / "mlsj.db"
    done = cli("init", "--community", "美仑盛景小区", db=db, limit_bytes=64 * 1024)  # the disk fills mid-way
    assert done.returncode == ExitCode.DATABASE
    assert "没有留下" in one_line(done.stderr) or "nothing was left" in done.stderr
    assert os.listdir(tmp_path) == [], "neither the database nor a half-built one"
    cli("init", "--community", "美仑盛景小区", db=db, check=True)
    assert raw(db, "SELECT value FROM settings WHERE key = 'community'") == [("美仑盛景小区",)]


def test_init_takes_the_place_of_an_empty_file_a_failed_init_once_left_but_never_of_a_database(tmp_path, run, db_path):
    db_path.write_bytes(b"")
    assert run("init", "--community", "测试小区").exit_code == 0
    assert raw(db_path, "SELECT value FROM settings WHERE key = 'community'") == [("测试小区",)]
    again = run("init")
    assert again.exit_code == ExitCode.INVALID and "已存在" in one_line(again.stderr)


# --------------------------------------------------------------------------------------------
# Private files


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_database_its_wal_and_shm_and_backups_are_0600_under_umask_022(tmp_path, run, db_path):
    cli("init", db=db_path, umask=0o022, check=True)
    assert mode(db_path) == 0o600
    old = os.umask(0o022)
    held = None
    try:
        held = sqlite3.connect(db_path)  # another worker's command, reading still: the -wal and -shm stay
        held.execute("SELECT count(*) FROM settings").fetchall()
        assert run("household", "add", "8-2-301", "--head", "熊秀英").exit_code == 0
        assert mode(f"{db_path}-wal") == 0o600 and mode(f"{db_path}-shm") == 0o600
    finally:
        os.umask(old)
        if held is not None:
            held.close()
    cli("backup", db=db_path, umask=0o022, check=True)
    folder = tmp_path / "backups"
    (copy,) = folder.iterdir()
    assert mode(folder) == 0o700 and mode(copy) == 0o600
    cli("restore", copy, db=db_path, umask=0o022, check=True)
    (aside,) = tmp_path.glob("redprop.db.before-restore-*")
    assert mode(aside) == 0o600 and mode(db_path) == 0o600


def test_even_umask_000_makes_nothing_readable_by_others(tmp_path):
    db = tmp_path / "open.db"
    cli("init", db=db, umask=0o000, check=True)
    cli("household", "add", "8-2-301", db=db, umask=0o000, check=True)
    cli("backup", tmp_path / "copy.db", db=db, umask=0o000, check=True)
    made = [p for p in tmp_path.iterdir()]
    assert {p.name for p in made} == {"open.db", "open.db-mark", "copy.db"}, "the mark of what it held (store/mark.py)"
    assert all(mode(p) == 0o600 for p in made)


def test_check_warns_when_the_database_can_be_read_by_others(db, run):
    assert run("check").stderr == ""
    os.chmod(db, 0o644)
    result = run("check", "--lang", "en")
    assert result.exit_code == 0, "a warning, not damage"
    assert "can be read by other accounts" in result.stderr and "chmod 600" in result.stderr


# --------------------------------------------------------------------------------------------
# Read-only


def immutable(path: Path, on: bool) -> None:
    subprocess.run(["chattr", "+i" if on else "-i", str(path)], check=True, capture_output=True)


@pytest.fixture
def read_only_copy(demo):
    """The demo database as a 0444 file in a 0555 folder. Root writes through any permission,
    so as root both are also made immutable (chattr +i): read-only for root as on a read-only share."""
    folder = Path(tempfile.mkdtemp(prefix="redprop-ro-"))
    copy = folder / "mlsj.db"
    conn = sqlite3.connect(demo)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    shutil.copyfile(demo, copy)
    os.chmod(copy, 0o444)
    os.chmod(folder, 0o555)
    as_root = os.geteuid() == 0
    try:
        if as_root:
            try:
                immutable(copy, True)
                immutable(folder, True)
            except (OSError, subprocess.CalledProcessError):
                pytest.skip("running as root without chattr +i: no way to make a file read-only for root")
        yield copy
    finally:
        if as_root:
            for path in (folder, copy):
                subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        os.chmod(folder, 0o755)
        shutil.rmtree(folder)


def test_a_read_only_copy_serves_every_read_and_refuses_a_write_in_one_line(read_only_copy):
    copy = read_only_copy
    before = copy.read_bytes()
    overdue = cli("overdue", "--at", AT, db=copy)
    assert overdue.returncode == 0 and "熊秀英" in overdue.stdout, overdue.stderr
    assert not Path(f"{copy}-mark").exists(), "a read-only database works without the mark of what it held"
    assert cli("overdue", "--check", "--at", AT, db=copy).returncode == ExitCode.CHECK_FAILED
    for args in (["household", "list"], ["household", "show", "8-2-301"], ["visit", "due", "--at", AT],
                 ["issue", "list", "--at", AT], ["issue", "show", "1"], ["household", "history", "8-2-301"],
                 ["visit", "plan"], ["visit", "list"], ["group", "members", "elderly_alone"], ["staff", "list"],
                 ["policy", "show"], ["holidays", "show", "2026"], ["stats", "--from", "2026-11-01"], ["check"], ["log"]):
        done = cli(*args, db=copy)
        assert done.returncode == 0, (args, done.stderr)
    households = cli("household", "list", "-f", "json", db=copy)
    assert households.returncode == 0 and households.stdout.count('"key"') == 350
    write = cli("household", "add", "99-1-101", "--head", "王五", db=copy)
    assert write.returncode == ExitCode.DATABASE
    assert "只读" in one_line(write.stderr)
    assert copy.read_bytes() == before and sorted(os.listdir(copy.parent)) == ["mlsj.db"], "not a byte changed"


# --------------------------------------------------------------------------------------------
# Backup and restore


WRITER = """
import sys
from redprop.cli import app
db, count = sys.argv[1], int(sys.argv[2])
for n in range(count):
    try:
        app(["--db", db, "household", "add", f"70-1-{n + 1}", "--head", f"住户{n}"])
    except SystemExit as done:
        assert done.code == 0, done.code
"""


def households(path) -> int:
    return raw(path, "SELECT count(*) FROM households")[0][0]


def test_a_backup_taken_while_another_process_writes_is_whole_and_restores(demo, tmp_path):
    start = households(demo)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(demo), "150"], cwd=REPO)
    try:
        while households(demo) < start + 10 and writer.poll() is None:  # the writer is under way
            pass
        made = cli("backup", f"{tmp_path / 'nightly'}/", "--keep", "3", db=demo)
        assert made.returncode == 0, made.stderr
    finally:
        assert writer.wait() == 0
    (copy,) = (tmp_path / "nightly").iterdir()
    assert raw(copy, "PRAGMA integrity_check") == [("ok",)]
    in_copy = households(copy)
    assert start + 10 <= in_copy <= start + 150
    added = raw(copy, "SELECT count(*) FROM log_entries WHERE command LIKE '%household add 70-1-%'")[0][0]
    assert in_copy - start == added, "one moment: every household in the copy has its log entry and no more"
    assert households(demo) == start + 150
    restored = cli("restore", copy, db=demo)
    assert restored.returncode == 0, restored.stderr
    assert households(demo) == in_copy
    assert cli("check", db=demo).returncode == 0
    (aside,) = demo.parent.glob("redprop.db.before-restore-*")
    assert households(aside) == start + 150 and raw(aside, "PRAGMA integrity_check") == [("ok",)]


def test_backup_keeps_the_newest_n_and_a_damaged_database_never_replaces_a_good_backup(demo, tmp_path, run):
    folder = tmp_path / "kept"
    folder.mkdir()
    assert run("backup", tmp_path / "earlier.db").exit_code == 0
    for stamp in ("2026-11-01-030000", "2026-11-02-030000", "2026-11-03-030000"):  # older copies of this database
        shutil.copyfile(tmp_path / "earlier.db", folder / f"redprop-{stamp}.db")
    (folder / "notes.txt").write_text("not a backup")
    assert run("backup", folder, "--keep", "2").exit_code == 0
    names = sorted(p.name for p in folder.iterdir())
    assert names[0] == "notes.txt" and names[1] == "redprop-2026-11-03-030000.db" and len(names) == 3
    damage(demo)
    refused = run("backup", folder, "--keep", "1")
    assert refused.exit_code == ExitCode.DATABASE
    assert sorted(p.name for p in folder.iterdir()) == names, "nothing removed, no partial file left"


def test_restore_refuses_a_damaged_backup_and_changes_nothing(demo, tmp_path, run):
    assert run("backup", tmp_path / "one.db").exit_code == 0
    damage(tmp_path / "one.db")
    before = households(demo)
    result = run("restore", tmp_path / "one.db")
    assert result.exit_code == ExitCode.DATABASE
    assert "不可用" in one_line(result.stderr) or "未做任何改动" in result.stderr
    assert households(demo) == before and not list(demo.parent.glob("*.before-restore-*"))
    assert run("restore", tmp_path / "missing.db").exit_code == ExitCode.NOT_FOUND, "as any file not there"


def test_restore_puts_a_backup_in_place_of_a_damaged_database(demo, tmp_path, run):
    assert run("backup", tmp_path / "good.db").exit_code == 0
    damage(demo)
    assert run("household", "list").exit_code == ExitCode.DATABASE
    assert run("restore", tmp_path / "good.db").exit_code == 0
    assert run("check").exit_code == 0
    assert len(run("household", "list", "-f", "json").stdout.split('"key"')) == 351


def test_the_readme_nightly_backup_line_runs_under_cron_and_mails_only_a_failure(demo, tmp_path):
    """The crontab line of README's backups section, under cron's bare PATH with a fake `mail`."""
    import re

    section = (REPO / "README.md").read_text(encoding="utf-8").split("## Private files, backups and a damaged file", 1)[1]
    line = next(x for x in re.search(r"```cron\n(.*?)```", section, re.S).group(1).splitlines() if x and x[0] != "#")
    command = line.split(None, 5)[5]
    assert "/opt/redprop/bin/redprop" in command and "backup" in command and "--keep" in command
    bin_dir, sent, folder = tmp_path / "bin", tmp_path / "sent", tmp_path / "backups"
    bin_dir.mkdir()
    (bin_dir / "mail").write_text(f'#!/bin/sh\n{{ echo "subject: $2"; cat; }} >> {sent}\n', encoding="utf-8")
    (bin_dir / "mail").chmod(0o755)
    redprop = Path(sys.executable).with_name("redprop")
    if not redprop.exists():
        pytest.skip("redprop is not installed as a command")

    def nightly(db: Path) -> str:
        script = (command.replace("/opt/redprop/bin/redprop", str(redprop)).replace("/srv/redprop/mlsj.db", str(db))
                  .replace("/srv/redprop/backups/", f"{folder}/"))
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "SHELL": "/bin/sh"}
        subprocess.run(["/bin/sh", "-c", script], env=env, timeout=120, check=False)
        return sent.read_text(encoding="utf-8") if sent.exists() else ""

    assert nightly(demo) == "", "a good night: no mail"
    (copy,) = folder.iterdir()
    assert raw(copy, "PRAGMA integrity_check") == [("ok",)] and mode(copy) == 0o600
    damage(demo)
    mail = nightly(demo)
    assert mail.startswith("subject: redprop 备份失败") and "损坏" in mail
    assert list(folder.iterdir()) == [copy], "the good copy stays"


def test_a_read_only_copy_with_unread_changes_in_its_wal_is_refused_not_read_stale(read_only_copy, tmp_path):
    copy = read_only_copy
    folder = copy.parent
    if os.geteuid() == 0:
        immutable(folder, False)
    os.chmod(folder, 0o755)
    Path(f"{copy}-wal").write_bytes(b"\0" * 4096)  # a -wal beside it, as copied from a live database
    os.chmod(folder, 0o555)
    if os.geteuid() == 0:
        immutable(folder, True)
    done = cli("household", "list", db=copy)
    assert done.returncode == ExitCode.DATABASE
    assert "-wal" in one_line(done.stderr)
