"""One application object per invocation: its own database, its own language, its own clock.

Nothing carries the database or the language from one invocation to the next, so one process
(this test run) can alternate databases and languages with no reset between them; and the
presentation receives its labels from the command instead of querying.
"""

import pytest
import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from typer.testing import CliRunner

from redprop.cli import app

REPO = Path(__file__).resolve().parent.parent


def test_two_databases_and_two_languages_alternate_in_one_process(tmp_path):
    runner = CliRunner()

    def run(db, lang, *args, **options):
        return runner.invoke(app, ["--db", str(db), *args, "--lang", lang], catch_exceptions=False, **options)

    first, second = tmp_path / "first.db", tmp_path / "second.db"
    for db, community, key, head, veteran in ((first, "甲小区", "1-1-101", "张三", ("退役军人", "Veteran")),
                                                (second, "乙小区", "2-1-202", "李四", ("老兵", "Old soldier"))):
        assert run(db, "zh", "init", "--community", community).exit_code == 0
        assert run(db, "zh", "household", "add", key, "--head", head, "--moved-in", "2020-01-01").exit_code == 0
        # the same slug, labelled differently in each community's own catalogue
        assert run(db, "zh", "group", "add", "veteran", "--zh", veteran[0], "--en", veteran[1]).exit_code == 0
        assert run(db, "zh", "group", "join", key, "veteran", "--since", "2026-01-01").exit_code == 0

    expected = {
        (first, "zh"): ("1-1-101", "2-1-202", "户主", "退役军人", "未找到住户 9-9-9", "登记一次走访"),
        (second, "en"): ("2-1-202", "1-1-101", "Head", "Old soldier", "no household 9-9-9", "Record a visit"),
        (first, "en"): ("1-1-101", "2-1-202", "Head", "Veteran", "no household 9-9-9", "Record a visit"),
        (second, "zh"): ("2-1-202", "1-1-101", "户主", "老兵", "未找到住户 9-9-9", "登记一次走访"),
    }
    for _round in range(2):
        for (db, lang), (mine, theirs, header, group, missing, help_text) in expected.items():
            listed = run(db, lang, "household", "list")
            assert listed.exit_code == 0 and mine in listed.stdout and theirs not in listed.stdout, (db, lang)
            assert listed.stdout.splitlines()[0].split()[1] == header, (lang, listed.stdout)
            members = run(db, lang, "group", "members", "veteran")
            assert group in members.stdout, (db, lang, members.stdout)
            assert missing in run(db, lang, "household", "show", "9-9-9").stderr
            assert help_text in run(db, lang, "visit", "--help").stdout
            mistyped = run(db, lang, "overdu")
            assert mistyped.exit_code == 2 and ("是否要输入" if lang == "zh" else "did you mean") in mistyped.stderr


def test_the_language_may_come_from_the_environment_of_each_invocation(db, run):
    """REDPROP_LANG read afresh on every invocation, in turns."""
    for lang, word in (("en", "no household"), ("zh", "未找到住户"), ("en", "no household")):
        assert word in run("household", "show", "9-9-9", env={"REDPROP_LANG": lang}).stderr


def test_the_clock_is_the_applications_and_a_caller_may_hand_in_another(db, db_path):
    """A visit logged without --at is logged at the application's now, in the community's zone."""
    runner = CliRunner()

    def run(*args, **options):
        return runner.invoke(app, ["--db", str(db_path), *args], catch_exceptions=False, **options)

    assert run("household", "add", "8-2-301", "--head", "熊秀英").exit_code == 0
    assert run("staff", "add", "杜丽娟", "--role", "网格员").exit_code == 0
    fixed = datetime(2026, 3, 1, 1, 30, tzinfo=timezone.utc)  # 09:30 in Asia/Shanghai
    logged = run("visit", "log", "8-2-301", "--by", "杜丽娟", "--outcome", "well", "-f", "json",
                 obj={"clock": lambda: fixed})
    assert logged.exit_code == 0, logged.output
    assert json.loads(logged.stdout)["at"] == "2026-03-01T09:30:00+08:00"
    later = run("visit", "log", "8-2-301", "--by", "杜丽娟", "--outcome", "well", "-f", "json")
    assert json.loads(later.stdout)["at"] > "2026-03-02", "without a clock handed in, the machine's"


@pytest.mark.sqlite_only("edits the database file by hand with sqlite3")
def test_a_command_reads_the_catalogues_only_when_its_output_shows_their_labels(db, db_path, run):
    """The community's focus groups and categories are read for a table that shows them, never
    for JSON (codes, not labels) nor for a listing without them."""
    assert run("household", "add", "8-2-301", "--head", "熊秀英").exit_code == 0
    with sqlite3.connect(db_path) as conn:  # the catalogues out of reach: a command that reads them fails
        conn.execute("ALTER TABLE focus_groups RENAME TO focus_groups_away")
        conn.execute("ALTER TABLE issue_categories RENAME TO issue_categories_away")
    for args in (["household", "list"], ["staff", "list"], ["visit", "list"], ["issue", "list", "-f", "json"]):
        assert run(*args).exit_code == 0, args
    assert run("issue", "list").exit_code != 0, "a table of issues shows their categories"


def test_presentation_never_queries():
    """present/ receives its labels: no SQL, no loader of the domain's, no store opened there."""
    found = []
    for path in (REPO / "redprop" / "present").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for word in (".execute(", "load_groups", "load_categories", "open_store", ".conn"):
            if word in text:
                found.append(f"{path.name}: {word}")
    assert not found, found


def test_no_module_global_carries_the_database_or_the_language():
    """What the application object replaced stays gone: no `state`, no module-level language."""
    import redprop.cli.common as common
    import redprop.present.i18n as i18n

    assert not hasattr(common, "state") and not hasattr(common, "open_db")
    assert not hasattr(i18n, "_language") and not hasattr(i18n, "_catalogue") and not hasattr(i18n, "set_language")
