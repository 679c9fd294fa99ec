"""Files only where they belong (issue 21, item 4, and the last sentence of item 2).

Backup rotation removes only copies of this database, known by what they hold; backups go only
into a folder of this account's own that nobody else can write, never through a default
`backups/` that is a symbolic link; no output (`-o`, a backup) is ever written to a fifo, a device
or a socket, nor into a temporary file someone planted; what an interrupted write leaves is
removed by the next write to the same place and listed by `check`; a full disk under any output
is one line; a file that is not a database, given as --db, is called that and nothing is written
beside it.

The hostile files are made here, by code. A write "killed half-way" is a redprop process that
kills itself with SIGKILL at the worst moment — its temporary file complete, not yet renamed into
place — so the test does not race a real kill against the write. A full disk is a file-size limit
(RLIMIT_FSIZE) on the process, as in test_safety.
"""

import fcntl
import os
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from test_safety import REPO, cli, one_line, raw

from redprop.errors import ExitCode

pytestmark = pytest.mark.sqlite_only("backups and files beside a SQLite database")

AT = "2026-11-24 08:00"
NOBODY = 65534  # another account, for the tests that run as root


def names(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


# --------------------------------------------------------------------------------------------
# Rotation removes only this database's backups, known by what they hold


def test_rotation_removes_only_this_databases_backups_whatever_else_is_named_like_one(demo, run, tmp_path):
    folder = tmp_path / "nightly"
    folder.mkdir()
    assert run("backup", tmp_path / "ours.db").exit_code == 0
    for stamp in ("2026-11-01-030000", "2026-11-02-030000"):
        shutil.copyfile(tmp_path / "ours.db", folder / f"redprop-{stamp}.db")
    (folder / "redprop-2020-13-45-999999.db").write_text("a text file that only looks like a backup", encoding="utf-8")
    other = tmp_path / "other" / "redprop.db"  # another community's database, of the same file name
    other.parent.mkdir()
    cli("init", "--community", "别的小区", db=other, check=True)
    cli("backup", other.parent / "theirs.db", db=other, check=True)
    shutil.copyfile(other.parent / "theirs.db", folder / "redprop-2026-10-01-030000.db")
    result = run("backup", folder, "--keep", "1", lang="en")
    assert result.exit_code == 0, result.output
    kept = names(folder)
    assert "redprop-2020-13-45-999999.db" in kept, "a text file named like a backup stays"
    assert "redprop-2026-10-01-030000.db" in kept, "another database's backup stays"
    assert "redprop-2026-11-01-030000.db" not in kept and "redprop-2026-11-02-030000.db" not in kept
    assert len(kept) == 3 and result.stderr.count("removed the older backup") == 2


def test_a_backup_made_before_databases_had_an_identity_is_known_by_its_creation(demo, run, tmp_path):
    folder = tmp_path / "nightly"
    folder.mkdir()
    assert run("backup", tmp_path / "ours.db").exit_code == 0
    for stamp, created in (("2026-11-01-030000", None), ("2026-11-02-030000", "2020-01-01T00:00:00+08:00")):
        copy = folder / f"redprop-{stamp}.db"
        shutil.copyfile(tmp_path / "ours.db", copy)
        raw(copy, "DELETE FROM settings WHERE key = 'database_id'")  # as an older redprop made it
        if created:
            raw(copy, "UPDATE settings SET value = ? WHERE key = 'created_at'", created)  # another database
    assert run("backup", folder, "--keep", "1").exit_code == 0
    kept = names(folder)
    assert "redprop-2026-11-01-030000.db" not in kept, "same creation moment and community: this database's"
    assert "redprop-2026-11-02-030000.db" in kept and len(kept) == 2


def test_every_database_carries_an_identity_and_its_backups_carry_it_too(demo, run, tmp_path):
    (ours,) = raw(demo, "SELECT value FROM settings WHERE key = 'database_id'")[0]
    assert len(ours) == 32 and run("backup", tmp_path / "copy.db").exit_code == 0
    assert raw(tmp_path / "copy.db", "SELECT value FROM settings WHERE key = 'database_id'") == [(ours,)]
    other = tmp_path / "other.db"
    cli("init", db=other, check=True)
    assert raw(other, "SELECT value FROM settings WHERE key = 'database_id'") != [(ours,)]


# --------------------------------------------------------------------------------------------
# Backup folders of one's own


def _refused_backup(run, folder, *args):
    before = names(folder) if folder.is_dir() else None
    result = run("backup", f"{folder}/", *args, lang="en")
    assert result.exit_code == ExitCode.USAGE, result.output
    line = one_line(result.stderr)
    assert (names(folder) if folder.is_dir() else None) == before, "nothing written there"
    return line


@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o770])
def test_a_backup_folder_others_can_write_is_refused(demo, run, tmp_path, mode):
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(mode)
    assert "can be written by other accounts" in _refused_backup(run, folder, "--keep", "3")


def test_a_backup_folder_of_another_account_is_refused(demo, run, tmp_path):
    if os.geteuid() == 0:
        folder = tmp_path / "theirs"
        folder.mkdir(mode=0o755)
        os.chown(folder, NOBODY, NOBODY)
    else:
        folder = Path("/")  # root's, and not writable by others
    assert "belongs to another account" in _refused_backup(run, folder)


def test_a_default_backups_folder_that_is_a_symlink_is_refused_and_nothing_follows_it(demo, run, tmp_path):
    shared = tmp_path / "world-writable"
    shared.mkdir()
    shared.chmod(0o1777)
    (demo.parent / "backups").symlink_to(shared)
    for args in ([], ["--keep", "2"]):
        result = run("backup", *args, lang="en")
        assert result.exit_code == ExitCode.USAGE
        assert "symbolic link" in one_line(result.stderr)
    assert names(shared) == []
    mine = tmp_path / "mine"
    mine.mkdir()
    (demo.parent / "elsewhere").symlink_to(mine)  # a link given by name is the worker's own choice
    assert run("backup", f"{demo.parent / 'elsewhere'}/").exit_code == 0 and len(names(mine)) == 1


# --------------------------------------------------------------------------------------------
# Outputs: only regular files, never replaced, never blocked on


@pytest.fixture
def specials(tmp_path):
    """A fifo, a socket and a link to a device, each named as an output would be."""
    made = {}
    for name in ("fifo.csv", "fifo.html", "fifo.xlsx", "fifo.db"):
        os.mkfifo(tmp_path / name)
        made[name] = tmp_path / name
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "socket.xlsx"))
    made["socket.xlsx"] = tmp_path / "socket.xlsx"
    (tmp_path / "null.csv").symlink_to("/dev/null")
    made["null.csv"] = tmp_path / "null.csv"
    yield made
    server.close()


OUTPUTS = [
    (["ledger", "problems", "--from", "2026-11-01", "--to", "2026-11-30", "-o"], "fifo.csv", "fifo"),
    (["ledger", "households", "-o"], "fifo.xlsx", "fifo"),
    (["ledger", "visits", "-o"], "null.csv", "device"),
    (["report", "week", "--at", AT, "-o"], "fifo.html", "fifo"),
    (["visit", "plan", "-o"], "socket.xlsx", "socket"),
    (["backup"], "fifo.db", "fifo"),
]


@pytest.mark.parametrize("args, name, kind", OUTPUTS, ids=[f"{a[0]} {n}" for a, n, _ in OUTPUTS])
def test_an_output_to_a_fifo_device_or_socket_is_refused_in_one_line(demo, specials, args, name, kind):
    target = specials[name]
    before = os.lstat(target)
    done = subprocess.run([sys.executable, "-m", "redprop", "--db", str(demo), "--lang", "en", *args, str(target)],
                          capture_output=True, text=True, cwd=REPO, timeout=120)  # a blocked write would hang here
    assert done.returncode == ExitCode.USAGE, done.stderr
    assert kind in one_line(done.stderr) and "not a file" in done.stderr
    after = os.lstat(target)
    assert (after.st_ino, stat.S_IFMT(after.st_mode)) == (before.st_ino, stat.S_IFMT(before.st_mode)), "never replaced"
    assert not [n for n in names(target.parent) if n.endswith(".part")]


def test_a_planted_temporary_file_is_never_written_into(demo, run, tmp_path):
    """Older redprops wrote to `.NAME.PID.part`: a name anyone could plant ahead, as a link to a
    file of theirs, or as a file they own. Now the name is unpredictable and created exclusively."""
    victim = tmp_path / "victim.txt"
    victim.write_text("someone's file", encoding="utf-8")
    target = tmp_path / "ledger.csv"
    for pid in range(os.getpid() - 50, os.getpid() + 50):
        if pid != os.getpid():
            (tmp_path / f".ledger.csv.{pid}.part").symlink_to(victim)
    planted = tmp_path / f".ledger.csv.{os.getpid()}.part"  # this very process's name, as a root writer would use it
    planted.write_text("planted", encoding="utf-8")
    if os.geteuid() == 0:
        os.chown(planted, NOBODY, NOBODY)
    assert run("ledger", "visits", "-o", target).exit_code == 0
    assert victim.read_text(encoding="utf-8") == "someone's file"
    assert planted.read_text(encoding="utf-8") == "planted", "another account's file is left alone"
    assert sum(1 for n in names(tmp_path) if n.startswith(".ledger.csv.")) == 100, "links are not followed or removed"
    assert target.read_bytes().startswith(b"\xef\xbb\xbf") and stat.S_IMODE(target.stat().st_mode) == 0o600


# --------------------------------------------------------------------------------------------
# What an interrupted write leaves: removed by the next write there, listed by check

KILLED_AT = """
import os, signal, sys
from redprop.cli import app
def killed(*args, **kwargs):  # the write is complete, not yet in place: kill -9 now
    os.kill(os.getpid(), signal.SIGKILL)
setattr(os, sys.argv[1], killed)
app(sys.argv[2:])
"""


def killed_during(step: str, db: Path, *args) -> None:
    """Run redprop, killed with SIGKILL at `step` (os.replace: a ledger's rename; os.link: a backup's)."""
    done = subprocess.run([sys.executable, "-c", KILLED_AT, step, "--db", str(db), *map(str, args)],
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == -signal.SIGKILL, done.stderr


def parts(folder: Path) -> list[str]:
    return [n for n in names(folder) if n.startswith(".") and (n.endswith(".part") or ".partial-" in n)]


def test_leftovers_of_a_killed_ledger_and_backup_are_listed_by_check_and_removed_by_the_next_write(demo, run):
    folder, backups = demo.parent, demo.parent / "backups"
    killed_during("replace", demo, "ledger", "households", "-o", folder / "住户台账.csv")
    (first,) = parts(folder)
    killed_during("replace", demo, "ledger", "households", "-o", folder / "住户台账.csv")
    (ledger,) = parts(folder)  # the second write removed what the first left, and left its own
    killed_during("link", demo, "backup")
    (copy,) = parts(backups)
    assert ledger != first and ledger.startswith(".住户台账.csv.") and len(ledger.split(".")[-2]) == 16, "unpredictable"
    assert "熊秀英" in (folder / ledger).read_text(encoding="utf-8-sig"), "it holds residents' data"
    assert not (folder / "住户台账.csv").exists() and [n for n in names(backups) if not n.startswith(".")] == []
    checked = run("check", lang="en")
    assert checked.exit_code == 0 and checked.stdout.startswith("ok")
    assert checked.stderr.count("interrupted") == 2 and ledger in checked.stderr and copy in checked.stderr
    assert run("ledger", "households", "-o", folder / "住户台账.csv").exit_code == 0
    assert parts(folder) == [] and (folder / "住户台账.csv").exists()
    assert run("backup").exit_code == 0
    assert parts(backups) == [] and len(names(backups)) == 1
    assert run("check").stderr == ""


def test_a_temporary_file_of_a_write_under_way_is_not_taken_for_a_leftover(demo, run, tmp_path):
    """Another worker writing the same ledger holds its temporary file locked: it is not removed."""
    other = tmp_path / ".plan.xlsx.0123456789abcdef.part"
    other.write_bytes(b"being written")
    with open(other, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert run("visit", "plan", "-o", tmp_path / "plan.xlsx").exit_code == 0
        assert other.exists()
    assert run("visit", "plan", "-o", tmp_path / "plan.xlsx").exit_code == 0
    assert not other.exists(), "once its writer is gone, the next write removes it"


# --------------------------------------------------------------------------------------------
# A full disk under any output

FULL = [
    ["ledger", "visits", "--from", "2026-01-01", "--to", "2026-11-30", "-o", "visits.xlsx"],
    ["ledger", "visits", "--from", "2026-01-01", "--to", "2026-11-30", "-o", "visits.csv"],
    ["report", "week", "--at", AT, "-o", "report.html"],
    ["visit", "plan", "-o", "plan.xlsx"],
    ["backup"],
    ["backup", "copy.db"],
]


@pytest.mark.parametrize("args", FULL, ids=" ".join)
def test_a_full_disk_under_any_output_is_one_line_and_leaves_nothing(demo, tmp_path, args):
    out = tmp_path / "out"
    out.mkdir()
    args = [str(out / a) if "." in a and not a.startswith("20") else a for a in args]
    if args[-1].endswith((".xlsx", ".csv", ".html")):
        Path(args[-1]).write_text("last month's", encoding="utf-8")  # an older file of that name stays as it was
    before = {n: (out / n).read_bytes() for n in names(out)}
    done = cli(*args, db=demo, limit_bytes=40 * 1024)  # above the -shm SQLite needs, below every output
    assert done.returncode == ExitCode.DATABASE, done.stderr
    line = one_line(done.stderr)
    assert "无法写入" in line and "意外" not in line and "unexpected" not in line
    assert {n: (out / n).read_bytes() for n in names(out)} == before
    backups = demo.parent / "backups"
    assert not backups.exists() or names(backups) == []


# --------------------------------------------------------------------------------------------
# A file that is not a database, given as --db


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("roster.csv", "楼栋,门牌号\n8,301\n")
    return path


@pytest.mark.parametrize("make", [lambda p: p.write_text("户主,电话\n熊秀英,13812340015\n", encoding="utf-8") and p,
                                  _zip], ids=["text", "zip"])
def test_a_text_or_zip_file_given_as_db_is_not_a_database_and_nothing_is_written_beside_it(tmp_path, make):
    path = tmp_path / "mlsj.db"
    make(path)
    content = path.read_bytes()
    for args in (["household", "list"], ["overdue", "--check"], ["check"], ["household", "add", "8-2-301"],
                 ["backup"]):
        done = cli(*args, db=path)
        assert done.returncode == ExitCode.DATABASE, (args, done.stderr)
        line = one_line(done.stderr)
        assert "不是 redprop 数据库" in line and "损坏" not in line
    assert names(tmp_path) == ["mlsj.db"] and path.read_bytes() == content, "no .damaged note, no -wal, no backup"


def test_a_fifo_given_as_db_is_not_a_database_and_is_never_opened(tmp_path):
    fifo = tmp_path / "mlsj.db"
    os.mkfifo(fifo)
    done = subprocess.run([sys.executable, "-m", "redprop", "--db", str(fifo), "household", "list"],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == ExitCode.DATABASE and "不是 redprop 数据库" in one_line(done.stderr)
    assert names(tmp_path) == ["mlsj.db"]


def test_a_database_whose_pages_are_damaged_is_still_called_damaged_and_noted(demo, run):
    conn = sqlite3.connect(demo)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    with open(demo, "r+b") as f:  # the header stays; page 1's schema is garbage
        f.seek(100)
        f.write(bytes((i * 37 + 11) % 256 for i in range(3000)))
    result = run("household", "list")
    assert result.exit_code == ExitCode.DATABASE and "损坏" in one_line(result.stderr)
    assert (demo.parent / "redprop.db.damaged").exists()
