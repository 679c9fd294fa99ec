"""Issue 21, items 1–3: nothing leaks, nothing is lost without a word, undo never puts back the
wrong thing. Through the CLI, on real database files; the damaged and shortened files are made
here, by code.

1. A sensitive focus group (上访, 精神病人, 矫正) and everything written about a membership of one
   read 敏感 (`sensitive`) in every command's output, in every format and both languages, unless
   `--show-sensitive`: the change log, `household history`, `undo`, confirmations and errors.
2. Committed work that disappears (a damaged or truncated -wal, an older copy put in place of
   the file) is found at the next open by the mark beside the database; a value that cannot be
   read is damage.
3. Undo does not reach across a restore, an accepted loss or a migration that rewrote the rows;
   undoing an undo makes the change count again; an import's undo costs about what the import did.
"""

import gc
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest
from typer.main import get_command

from redprop.cli import app
from redprop.errors import ExitCode

# Everything a sensitive membership may not show without --show-sensitive: the groups' slugs, their
# Chinese and English labels, what was written about the memberships, and the file they came in.
SECRETS = (
    "correction", "矫正人员", "Under community correction",
    "mental_illness_risk", "易肇事肇祸精神病人家庭", "Family with a mentally ill member at risk",
    "petitioner", "上访群众家庭", "Family of a petitioner",
    "社区矫正期至2027年3月", "精神分裂症服药中", "多次赴京上访", "康复", "Recovered",
)
AT = "2026-11-24 08:00"


def ok(run, *args):
    result = run(*args)
    assert result.exit_code == 0, (args, result.output)
    return result


@pytest.fixture
def sensitive(db, run, tmp_path):
    """Two households in sensitive groups — one with a note, one whose member left (with a reason),
    one imported from a file named for its group — a visit and an issue at them, and an ordinary
    household in an ordinary group beside them."""
    ok(run, "household", "add", "12-2-302", "--head", "潘永宇", "--phone", "13800000001")
    ok(run, "household", "add", "8-2-301", "--head", "熊秀英", "--phone", "13800000002")
    ok(run, "household", "add", "5-1-202", "--head", "谭晨睿")
    ok(run, "resident", "add", "8-2-301", "熊小明")
    ok(run, "staff", "add", "杜丽娟", "--role", "楼栋长", "--covers", "12")
    ok(run, "group", "join", "12-2-302", "correction", "--note", "社区矫正期至2027年3月", "--since", "2026-06-18")
    ok(run, "group", "join", "8-2-301", "易肇事肇祸精神病人家庭", "--resident", "熊小明", "--note", "精神分裂症服药中",
       "--since", "2026-05-01")
    ok(run, "group", "leave", "8-2-301", "mental_illness_risk", "--resident", "熊小明", "--reason", "康复", "--on",
       "2026-09-01")
    ok(run, "group", "join", "8-2-301", "独居老人", "--since", "2026-01-01")
    roster = tmp_path / "上访群众家庭名单.csv"
    roster.write_text("户号,人群,开始日期,备注\n5-1-202,上访群众家庭,2026-03-01,多次赴京上访\n", encoding="utf-8")
    ok(run, "group", "import", roster)
    ok(run, "visit", "log", "12-2-302", "--by", "杜丽娟", "--outcome", "not_home", "--at", "2026-11-20 10:00")
    ok(run, "issue", "open", "--kind", "problem", "--category", "repair", "--channel", "patrol", "--household",
       "12-2-302", "--title", "水管漏水", "--at", "2026-11-20 10:05")
    return db


def _commands():
    """Every command of the command line (its words), and whether it takes --format."""
    found = {}

    def walk(command, path):
        if hasattr(command, "list_commands"):
            ctx = command.context_class(command)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), (*path, name))
        else:
            found[" ".join(path)] = any("--format" in p.opts for p in command.params)

    walk(get_command(app), ())
    return found


# Each command with what it is given, in the order the walk runs them (the reads first, the writes
# after, undo and restore last). Every command of the line is here or among those left out below.
WALK = [
    ("household show", ["12-2-302"]), ("household show", ["8-2-301", "--at", AT]), ("household history", ["12-2-302"]),
    ("household history", ["8-2-301"]), ("household history", ["5-1-202"]), ("household list", []),
    ("resident list", ["8-2-301"]), ("staff list", []), ("grid list", []),
    ("group members", ["correction"]), ("group members", ["elderly_alone"]),
    ("visit list", []), ("visit due", ["--at", AT]), ("visit plan", []),
    ("issue show", ["1"]), ("issue list", ["--status", "all"]), ("issue category list", []),
    ("policy show", []), ("holidays show", ["2026"]), ("overdue", ["--at", AT]), ("today", ["--staff", "杜丽娟", "--at", AT]),
    ("stats", ["--from", "2026-11-01", "--at", AT]),
    ("ledger", ["focus", "--from", "2026-01-01", "--to", "2026-11-30", "-o", "{tmp}/out/focus.xlsx"]),
    ("ledger", ["focus", "--from", "2026-01-01", "--to", "2026-11-30", "-o", "{tmp}/out/focus.csv"]),
    ("ledger", ["households", "-o", "{tmp}/out/households.xlsx"]),
    ("ledger", ["visits", "--from", "2026-11-01", "--to", "2026-11-30", "-o", "{tmp}/out/visits.xlsx"]),
    ("report week", ["--at", AT]), ("report month", ["--month", "2026-11", "--at", AT]),
    ("log", []), ("log", ["--household", "12-2-302"]), ("log", ["--household", "8-2-301"]),
    ("log", ["--household", "5-1-202"]), ("log", ["--issue", "1"]),
    ("community show", []), ("config show", []), ("check", []), ("backup", ["{tmp}/walk-backup.db"]),
    ("copy", ["{tmp}/redprop.db", "{tmp}/out/walk-copy.db"]),
    ("export open311", ["{tmp}/open311", "--from", "2026-11-01", "--to", "2026-11-30"]),
    # what a worker types about these households: confirmations and errors
    ("group join", ["12-2-302", "correction"]), ("group join", ["12-2-302", "矫正人员", "--since", "2026-07-01"]),
    ("group leave", ["8-2-301", "mental_illness_risk", "--resident", "熊小明"]),
    ("group import", ["{tmp}/上访群众家庭名单.csv"]),
    ("household edit", ["12-2-302", "--phone", "13800000009"]), ("household add", ["12-2-303", "--head", "王五"]),
    ("resident add", ["12-2-302", "潘小宇"]), ("resident edit", ["12-2-302", "潘小宇", "--phone", "13800000010"]),
    ("visit log", ["12-2-302", "--by", "杜丽娟", "--outcome", "well", "--at", "2026-11-21 09:00"]),
    ("visit void", ["2", "--reason", "录错"]),
    ("issue assign", ["1", "--to", "杜丽娟"]), ("issue arrive", ["1"]), ("issue note", ["1", "已上门"]),
    ("issue wait", ["1", "--for", "parts"]), ("issue resume", ["1"]), ("issue plan", ["1", "--note", "换管"]),
    ("issue escalate", ["1", "--meeting", "2026-12-20 15:00"]), ("issue edit", ["1", "--tier", "major"]),
    ("issue resolve", ["1"]), ("issue rate", ["1", "4"]), ("issue close", ["1"]),
    ("issue reopen", ["1", "--note", "又漏了"]), ("issue void", ["1", "--reason", "重复登记"]),
    ("issue open", ["--kind", "problem", "--category", "parking", "--channel", "patrol", "--place", "1栋", "--title",
                    "堵车", "--order", "12345-1", "--order-from", "12345", "--order-due", "3个工作日"]),
    ("issue sign", ["12345-1"]), ("issue urge", ["12345-1", "--from", "街道"]),
    ("issue extend", ["12345-1", "--to", "2027-01-10 17:00", "--reason", "等配件", "--approved-by", "街道"]),
    ("issue reply", ["12345-1", "--text", "已处理", "--solved", "no", "--why-not", "等配件"]),
    ("issue verify", ["12345-1", "--failed"]), ("issue return", ["12345-1", "--reason", "非本社区"]),
    ("issue category add", ["bikes", "--zh", "车棚", "--en", "Bike shed"]),
    ("issue category edit", ["bikes", "--upstream", "市政设施/车棚"]),
    ("staff add", ["王芳", "--role", "网格员"]), ("staff leave", ["王芳", "--hand-to", "杜丽娟"]),
    ("grid add", ["G01"]), ("grid edit", ["G01", "--code", "530324001001001"]),
    ("household move-out", ["12-2-303", "--on", "2026-11-23"]),
    ("policy set", ["--follow-up", "2d"]), ("holidays set", ["2027-02-04", "休", "--name", "春节"]),
    ("community edit", ["--code", "530324001001"]),
    ("config set", ["me", "杜丽娟"]), ("config unset", ["me"]),
    ("household import", ["{tmp}/households.csv"]), ("resident import", ["{tmp}/residents.csv"]),
    ("staff import", ["{tmp}/staff.csv"]), ("grid import", ["{tmp}/grids.csv"]), ("visit import", ["{tmp}/visits.csv"]),
    ("issue import", ["{tmp}/issues.csv"]), ("holidays import", ["{tmp}/2027.json"]),
    # the change log once more, and undo: every entry about a sensitive membership, previewed and refused
    ("log", ["--all"]),
    ("undo", ["--dry-run", "--anyone"]), ("undo", ["1", "--dry-run", "--anyone"]),
    ("undo", ["6", "--dry-run", "--anyone"]), ("undo", ["7", "--dry-run", "--anyone"]),
    ("undo", ["8", "--dry-run", "--anyone"]), ("undo", ["10", "--dry-run", "--anyone"]),
    ("undo", ["6", "--anyone"]), ("undo", ["--anyone", "--yes"]),
    ("restore", ["{tmp}/walk-backup.db"]),
]
LEFT_OUT = {  # why these are not walked: none of them says anything about anyone's membership
    "init": "makes a new, empty database",
    "demo": "builds the sample community's own database",
    "group list": "the catalogue of focus groups, the same in every community: it names groups, not anyone in them",
    "group add": "a new group in the catalogue",
    "group edit": "a group of the catalogue",
    "grant": "a shared database's login given a community: says the login and the community, nobody's data",
    "revoke": "a shared database's login's grant taken back: says the login and the community, nobody's data",
}


def _files(tmp: Path) -> None:
    """The files the walk imports: one row each, about the households above."""
    sheets = {
        "households.csv": "户号,户主,电话\n12-2-304,赵强,13800000011\n",
        "residents.csv": "户号,姓名\n12-2-302,潘大宇\n",
        "staff.csv": "姓名,角色\n孙网格,网格员\n",
        "grids.csv": "网格,名称\nG02,二号网格\n",
        "visits.csv": "户号,走访人,时间,结果\n12-2-302,杜丽娟,2026-11-22 09:00,平安\n",
        "issues.csv": "报告时间,类型,类别,渠道,户号,标题,等级,状态\n2026/11/22 9:00,问题,报修,巡查,12-2-302,灯坏了,一般,待派单\n",
    }
    for name, text in sheets.items():
        (tmp / name).write_text(text, encoding="utf-8")
    (tmp / "2027.json").write_text(json.dumps({"year": 2027, "papers": [], "days": [
        {"name": "春节", "date": "2027-02-05", "isOffDay": True}]}), encoding="utf-8")


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret.casefold() in text.casefold()]


def _written(folder: Path) -> str:
    """Every file the walk wrote, as text (a workbook's sheets unzipped)."""
    parts = []
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".csv", ".json") and "名单" not in path.name:
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
        elif path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                parts += [book.read(n).decode("utf-8", "replace") for n in book.namelist() if n.endswith(".xml")]
    return "\n".join(parts)


def test_every_command_in_every_format_and_language_masks_a_sensitive_membership(sensitive, run, tmp_path):
    commands = _commands()
    walked = {name for name, _args in WALK}
    assert walked | set(LEFT_OUT) == set(commands), "a command neither walked nor left out for a reason"
    _files(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    seen = []
    for name, args in WALK:
        args = [a.replace("{tmp}", str(tmp_path)) for a in args]
        formats = [[], ["-f", "json"], ["-f", "csv"]] if commands[name] else [[]]
        if name in ("report week", "report month", "today"):
            formats.append(["-o", str(out / f"{name.replace(' ', '-')}-{len(seen)}.html")])
        for lang in ("zh", "en"):
            for fmt in formats:
                result = run(*name.split(), *args, *fmt, lang=lang)
                said = result.stdout + result.stderr
                assert "Traceback" not in said, (name, args)
                assert not _leaks(said), (name, args, fmt, lang, _leaks(said), said)
                seen.append((name, result.exit_code))
            if name in ("undo", "restore", "group join", "group leave") or commands[name] is False:
                break  # a write once is enough: its confirmation or its error was read above, in Chinese
    assert not _leaks(_written(out)), _leaks(_written(out))
    codes = dict(seen)
    assert codes["log"] == codes["household history"] == codes["undo"] == 0
    assert codes["group join"] == ExitCode.INVALID and codes["group members"] == 0


def test_the_log_shows_the_mask_and_shows_the_group_when_asked(sensitive, run, run_json):
    entries = run_json("log", "--household", "12-2-302")
    joined = next(e for e in entries if "group join" in e["command"])
    assert joined["masked"] and joined["command"].endswith("12-2-302 sensitive --note sensitive --since 2026-06-18")
    [membership] = [c for c in joined["changes"] if c["table"] == "memberships" and c["op"] == "insert"]
    assert membership["after"]["group_code"] == membership["after"]["note"] == "sensitive"
    visit = next(e for e in entries if "visit log" in e["command"])
    assert visit["masked"], "a plain visit log touched the membership's contact columns"
    assert all(c["after"]["group_code"] == "sensitive" for c in visit["changes"] if c["table"] == "memberships")
    table = run("log", "--household", "12-2-302").stdout
    assert "敏感" in table and "sensitive" not in table
    assert "sensitive" in run("log", "--household", "12-2-302", lang="en").stdout
    shown = run_json("log", "--household", "12-2-302", "--show-sensitive")
    assert "correction --note '社区矫正期至2027年3月'" in next(e for e in shown if "group join" in e["command"])["command"]
    assert "社区矫正期至2027年3月" in run("household", "history", "12-2-302", "--show-sensitive").stdout
    plain = next(e for e in run_json("log") if e["command"].endswith("'独居老人' --since 2026-01-01"))
    assert not plain["masked"], "an ordinary group is said as it is"


def test_confirmations_and_errors_about_a_sensitive_membership_say_敏感(sensitive, run, run_json):
    again = run("group", "join", "12-2-302", "correction")
    assert again.exit_code == ExitCode.INVALID
    assert again.stderr.strip() == "redprop: 12-2-302 自 2026-06-18 起已列入该人群（敏感）"
    joined = run_json("group", "join", "12-2-302", "petitioner", "--note", "x")
    assert joined["group"] == "sensitive"
    assert "敏感" in run("group", "leave", "12-2-302", "上访群众家庭", "--reason", "其他").stdout
    gone = run("group", "leave", "12-2-302", "petitioner", lang="en")
    assert gone.exit_code == ExitCode.NOT_FOUND and "(sensitive)" in gone.stderr and "petitioner" not in gone.stderr
    refused = run("group", "members", "矫正人员")
    assert refused.exit_code == ExitCode.INVALID and "--show-sensitive" in refused.stderr and "矫正人员" not in refused.stderr
    blocked = run("undo", "1", "--anyone", lang="en")  # the household's entry: the sensitive join came after it
    assert blocked.exit_code == ExitCode.INVALID and "'sensitive' --note 'sensitive'" in blocked.stderr
    assert "'敏感' --note '敏感'" in run("undo", "1", "--anyone").stderr


# --------------------------------------------------------------------------------------------
# 2. No silent loss


def _snapshot(db: Path, into: Path) -> Path:
    """The database as a crash leaves it: the file, its -wal (another connection keeps it from being
    folded in) and its mark, copied under the same name into another folder."""
    into.mkdir()
    for suffix in ("", "-wal", "-mark"):
        shutil.copy(f"{db}{suffix}", into / f"{db.name}{suffix}")
    return into / db.name


def _thirty_entries(run, db) -> sqlite3.Connection:
    holder = sqlite3.connect(db)  # a reader that stays: the -wal is not folded in when the commands end
    holder.execute("SELECT count(*) FROM settings").fetchone()
    for n in range(30):
        ok(run, "household", "add", f"1-1-{101 + n}", "--head", f"住户{n}")
    return holder


@pytest.mark.parametrize("harm", ["flipped", "truncated"])
@pytest.mark.sqlite_only("a SQLite file's -wal, mark, backup and restore")
def test_committed_work_lost_from_the_wal_is_said_at_the_next_open(db, run, tmp_path, harm):
    holder = _thirty_entries(run, db)
    copy = _snapshot(db, tmp_path / "crashed")
    holder.close()
    wal = Path(f"{copy}-wal")
    data = bytearray(wal.read_bytes())
    page = sqlite3.connect(db).execute("PRAGMA page_size").fetchone()[0]
    frames = (len(data) - 32) // (24 + page)
    if harm == "flipped":  # a byte inside a frame two thirds in: SQLite drops it and every frame after it
        at = 32 + (24 + page) * (frames * 2 // 3) + 24 + 100
        data[at] ^= 0xFF
    else:
        data = data[:32 + (24 + page) * (frames // 2) + 10]
    wal.write_bytes(bytes(data))

    def at_copy(*args):
        from typer.testing import CliRunner

        return CliRunner().invoke(app, ["--db", str(copy), "--lang", "en", *args])

    found = at_copy("household", "list", "-f", "json")
    assert found.exit_code == ExitCode.DATABASE and found.stdout == ""
    line = found.stderr.strip()
    assert "\n" not in line and "has lost" in line and "entries of the change log" in line
    missing = int(line.split("has lost ")[1].split()[0])
    assert 1 <= missing <= 30
    kept = json.loads(at_copy("household", "list", "-f", "json").stdout)
    assert len(kept) == 30 - missing, "reading goes on, and the count is the count of what is gone"
    refused = at_copy("household", "add", "9-9-999", "--head", "王五")
    assert refused.exit_code == ExitCode.DATABASE and "check --accept-loss" in refused.stderr
    checked = at_copy("check")
    assert checked.exit_code == ExitCode.DATABASE and "has lost" in checked.stdout
    accepted = at_copy("check", "--accept-loss")
    assert accepted.exit_code == 0 and f"{missing} entries" in accepted.stderr
    assert at_copy("household", "add", "9-9-999", "--head", "王五").exit_code == 0, "writing goes on"
    assert at_copy("check").exit_code == 0


@pytest.mark.sqlite_only("a SQLite file's -wal, mark, backup and restore")
def test_a_file_replaced_by_an_older_copy_is_found_and_a_restore_puts_things_right(db, run, tmp_path):
    ok(run, "household", "add", "1-1-101", "--head", "甲")
    ok(run, "backup", tmp_path / "good.db")
    older = tmp_path / "older.db"
    ok(run, "backup", older)
    for n in range(3):
        ok(run, "household", "add", f"1-1-{102 + n}", "--head", f"乙{n}")
    gc.collect()  # the connections of the commands run in this process, closed as a command's own process would
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    for side in ("-wal", "-shm"):
        Path(f"{db}{side}").unlink(missing_ok=True)
    shutil.copy(older, db)  # put back by hand, as a worker might, instead of `redprop restore`
    found = run("overdue", "--check", lang="en")
    assert found.exit_code == ExitCode.DATABASE, "cron mails it: never 0 or 1"
    assert "has lost 3 entries" in found.stderr
    assert run("household", "list").exit_code == 0
    assert run("staff", "add", "新同事", "--role", "网格员").exit_code == ExitCode.DATABASE
    assert run("restore", tmp_path / "good.db").exit_code == 0
    assert run("staff", "add", "新同事", "--role", "网格员").exit_code == 0, "a restore puts the mark right"


@pytest.mark.sqlite_only("a SQLite file's -wal, mark, backup and restore")
def test_the_mark_is_private_beside_the_database_and_names_its_newest_entry(db, run):
    """(A read-only database works without one: test_safety's read-only copy has none and cannot get one.)"""
    mark = Path(f"{db}-mark")
    assert mark.exists() and (mark.stat().st_mode & 0o777) == 0o600
    ok(run, "household", "add", "1-1-101", "--head", "甲")
    assert json.loads(mark.read_text().splitlines()[0])["entry"] == run_log_newest(db)
    mark.unlink()
    ok(run, "household", "list")
    assert mark.exists(), "a database without a mark gets one"
    Path(f"{db}-mark").write_text("garbage")
    ok(run, "household", "list")
    assert json.loads(mark.read_text().splitlines()[0])["entry"] == run_log_newest(db), "an unreadable mark is made anew"


def run_log_newest(db) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT max(id) FROM log_entries").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.sqlite_only("a SQLite file's -wal, mark, backup and restore")
def test_a_value_that_cannot_be_read_is_damage(db, run, tmp_path):
    ok(run, "household", "add", "8-2-301", "--head", "熊秀英")
    ok(run, "household", "add", "8-2-302", "--head", "王五")
    conn = sqlite3.connect(db)
    conn.execute("UPDATE households SET head = CAST(X'E7868AFFE7A780' AS TEXT) WHERE key = '8-2-301'")  # 熊 + a flipped byte
    conn.commit()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "SQLite's own check passes"
    conn.close()
    listed = run("household", "list", lang="en")
    assert listed.exit_code == ExitCode.DATABASE and "damaged" in listed.stderr and "\n" not in listed.stderr.strip()
    assert "Could not decode" in listed.stderr and "with text" not in listed.stderr, "the value itself is not repeated"
    assert Path(f"{db}.damaged").exists()
    assert run("staff", "add", "新同事", "--role", "网格员").exit_code == ExitCode.DATABASE, "writes refused"
    checked = run("check", lang="en")
    assert checked.exit_code == ExitCode.DATABASE and "households row 1: a value cannot be read" in checked.stdout
    quick = run("check", "--quick", lang="en")
    assert quick.exit_code == ExitCode.DATABASE, "a quick check does not lift the note either"


# --------------------------------------------------------------------------------------------
# 3. Undo never restores the wrong rows


@pytest.mark.sqlite_only("a SQLite file's -wal, mark, backup and restore")
def test_undo_does_not_reach_across_a_restore(db, run, run_json, tmp_path):
    ok(run, "household", "add", "1-1-101", "--head", "甲")
    ok(run, "backup", tmp_path / "b.db")
    ok(run, "household", "add", "1-1-102", "--head", "乙")
    restored = run("restore", tmp_path / "b.db", lang="en")
    assert restored.exit_code == 0 and "undo does not reach across it" in restored.stderr
    [entry] = [e for e in run_json("log") if e["boundary"] == "restore"]
    assert entry["file"] == "b.db" and len(entry["file_sha256"]) == 64
    bare = run("undo", lang="en")
    assert bare.exit_code == ExitCode.NOT_FOUND and f"since entry #{entry['id']}" in bare.stderr
    older = run("undo", "1", lang="en")
    assert older.exit_code == ExitCode.INVALID and "does not reach across" in older.stderr
    assert run("undo", entry["id"], lang="en").exit_code == ExitCode.INVALID, "a restore is not undone"
    assert [h["key"] for h in run_json("household", "list")] == ["1-1-101"]
    ok(run, "household", "add", "1-1-103", "--head", "丙")
    ok(run, "undo")
    assert [h["key"] for h in run_json("household", "list")] == ["1-1-101"], "what came after the restore is undone"


@pytest.mark.sqlite_only("edits the database file by hand with sqlite3")
def test_a_migration_that_rewrote_rows_is_a_boundary_for_them(db, run, run_json, db_path):
    """A database written by a redprop before names and phones were normalised: an older entry's
    undo must not write `熊 秀英` or `138 1234 0015` back once migration m010 rewrote them."""
    from conftest import undo_later_migrations

    ok(run, "household", "add", "8-2-301", "--head", "熊秀英")
    ok(run, "household", "add", "8-2-302", "--head", "王五", "--phone", "13812340016")
    conn = sqlite3.connect(db_path)

    def as_then(command, sql):  # a command of the older redprop, logged by its triggers
        entry = conn.execute("INSERT INTO log_entries (at, user, command) VALUES ('2026-11-01T00:00:00+00:00', 'old', ?)"
                             " RETURNING id", (command,)).fetchone()[0]
        conn.execute("UPDATE log_state SET entry_id = ?", (entry,))
        conn.execute(sql)
        conn.execute("UPDATE log_state SET entry_id = NULL")
        return entry

    edited = as_then("redprop household edit 8-2-301 --head '熊 秀英' --phone '138 1234 0015'",
                     "UPDATE households SET head = '熊 秀英', phone = '138 1234 0015' WHERE key = '8-2-301'")
    noted = as_then("redprop household edit 8-2-301 --note 独居", "UPDATE households SET note = '独居' WHERE key = '8-2-301'")
    spaced = as_then("redprop household edit 8-2-302 --phone 13812340098",
                     "UPDATE households SET phone = '13812340098' WHERE key = '8-2-302'")
    undo_later_migrations(conn, "m010_names_and_phones_as_typed_now")
    conn.commit()
    conn.close()
    households = {h["key"]: h for h in run_json("household", "list")}
    assert (households["8-2-301"]["head"], households["8-2-301"]["phone"]) == ("熊秀英", "13812340015")
    migration = next(e for e in run_json("log") if e["boundary"] == "migration")
    assert migration["command"] == "migration m010_names_and_phones_as_typed_now"
    assert {c["after"]["head"] for c in migration["changes"]} == {"熊秀英"}
    for entry in (edited, noted, spaced):
        refused = run("undo", entry, "--anyone", lang="en")
        assert refused.exit_code == ExitCode.INVALID, entry
        assert "m010_names_and_phones_as_typed_now" in refused.stderr and "does not write back" in refused.stderr
    assert run("undo", migration["id"], "--anyone").exit_code == ExitCode.INVALID, "a migration is not undone"
    households = {h["key"]: h for h in run_json("household", "list")}
    assert (households["8-2-301"]["head"], households["8-2-301"]["phone"]) == ("熊秀英", "13812340015")
    assert households["8-2-302"]["phone"] == "13812340098"


@pytest.mark.sqlite_only("edits the database file by hand with sqlite3")
def test_a_row_changed_outside_the_log_is_not_written_over(db, run, run_json, db_path):
    """A database migrated before migrations were logged: the row no longer holds what the entry
    left, and nothing in the log says why — undo refuses; an entry that wrote other columns of it
    is undone in those columns only."""
    ok(run, "household", "add", "8-2-301", "--head", "熊 秀英", "--phone", "13812340015")
    ok(run, "household", "edit", "8-2-301", "--head", "熊  秀 英")  # stored as typed now: 熊秀英
    ok(run, "household", "edit", "8-2-301", "--note", "独居")
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE households SET phone = '13812340099'")  # outside redprop
    conn.commit()
    conn.close()
    ok(run, "undo")  # the note: its column still holds what the entry left
    assert run_json("household", "list")[0]["note"] is None
    ok(run, "household", "edit", "8-2-301", "--phone", "13812340015")
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE households SET phone = '138 1234 0015'")  # as an unlogged rewrite would leave it
    conn.commit()
    conn.close()
    refused = run("undo", lang="en")
    assert refused.exit_code == ExitCode.INVALID and "not record" in refused.stderr
    assert run_json("household", "list")[0]["phone"] == "138 1234 0015", "nothing written over"


def test_undo_of_an_undo_makes_the_change_count_again(db, run, run_json, sample_data):
    ok(run, "grid", "import", sample_data / "grids.csv")
    ok(run, "household", "import", sample_data / "households.csv")
    imported = run_json("log", "--limit", "1")[0]["id"]
    ok(run, "undo")
    undone = run_json("log", "--limit", "1")[0]
    assert undone["undoes"] == imported and run_json("household", "list") == []
    ok(run, "undo", undone["id"])
    assert len(run_json("household", "list")) == 350, "made again"
    entries = {e["id"]: e for e in run_json("log")}
    assert entries[imported]["undone_by"] is None, "the import counts as done again"
    assert entries[undone["id"]]["undone_by"] == undone["id"] + 1
    again = [c for c in entries[undone["id"] + 1]["changes"]]
    assert again == [{"table": "households", "row": 1, "op": "inserted", "through": 350, "before": None}], \
        "put back under their numbers, logged as a range"
    preview = run_json("undo", "--dry-run")
    assert preview["undone"] == imported, "a bare undo finds the change made again"
    ok(run, "undo")
    assert run_json("household", "list") == []
    assert run_json("log", "--limit", "1")[0]["undoes"] == imported


def test_undo_of_the_undo_of_an_edit_puts_the_edit_back(db, run, run_json):
    ok(run, "household", "add", "8-2-301", "--head", "熊秀英", "--phone", "13800000001")
    ok(run, "household", "edit", "8-2-301", "--phone", "13800000002")
    ok(run, "undo")
    assert run_json("household", "list")[0]["phone"] == "13800000001"
    ok(run, "undo", "3")
    assert run_json("household", "list")[0]["phone"] == "13800000002", "the edit made again"
    assert run_json("undo", "--dry-run")["undone"] == 2, "a bare undo finds the edit, not the undo of the undo"
    ok(run, "undo")
    assert run_json("household", "list")[0]["phone"] == "13800000001"


@pytest.mark.sqlite_only("edits the database file by hand with sqlite3")
def test_undoing_an_import_of_issues_deletes_through_an_index(db):
    """The undo of an import deletes its issues by range; each deletion makes SQLite look for the
    issues marked duplicates of it, through the index m013 adds (without it, a pass over every
    issue per deletion: 17,587 issues took 40 s)."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = ON")
    plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT 1 FROM issues WHERE duplicate_of = 5"))
    conn.close()
    assert "issues_duplicate" in plan, plan
