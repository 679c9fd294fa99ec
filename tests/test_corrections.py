"""Mistakes can be put right and nothing is lost: the change log, undo, void, clearing a field,
a household's whole history, staff who leave. Through the CLI, on real database files."""

import json
import sqlite3

import pytest

from redprop.errors import ExitCode
from conftest import built_once

AT = "2026-11-24 08:00"


def dump(db) -> list[str]:
    """The database as SQL, the change log left out (it records the undo too)."""
    conn = sqlite3.connect(db)
    lines = [line for line in conn.iterdump() if "log_entries" not in line and "log_changes" not in line
             and "log_state" not in line]
    conn.close()
    return lines


@pytest.fixture
@built_once
def community(db, run, sample_data):
    for what, file in [("grid", "grids.csv"), ("household", "households.csv"), ("resident", "residents.csv"),
                       ("staff", "staff.csv"), ("group", "memberships.csv"), ("visit", "visits.csv")]:
        assert run(what, "import", sample_data / file).exit_code == 0
    return db


def test_a_forgotten_outcome_is_refused_and_nothing_is_written(community, run, run_json):
    before = len(run_json("visit", "list", "--household", "8-2-301"))
    result = run("visit", "log", "8-2-301", "--by", "杜丽娟", "--note", "又敲门没人应", lang="en")
    assert result.exit_code == ExitCode.INVALID and result.stderr.count("\n") == 1
    assert "--outcome" in result.stderr and "not_home" in result.stderr and "well" in result.stderr
    assert len(run_json("visit", "list", "--household", "8-2-301")) == before


def test_a_wrong_visit_voided_brings_the_household_back_escalated(community, run, run_json):
    def due():
        return {d["household"]: d for d in run_json("visit", "due", "--at", AT)}

    assert due()["8-2-301"]["escalated"], "熊秀英: three knocks in a row"
    wrong = run_json("visit", "log", "8-2-301", "--by", "杜丽娟", "--at", "2026-11-23 10:00", "--outcome", "well")
    assert "8-2-301" not in due(), "the mistaken 平安 hides her"
    voided = run_json("visit", "void", wrong["id"], "--reason", "结果录错，实为敲门未应")
    assert voided["voided"] and voided["void_reason"] == "结果录错，实为敲门未应"
    back = due()["8-2-301"]
    assert back["escalated"] and back["failed_attempts"] == 3 and back["last_seen_at"].startswith("2026-11-14")
    assert wrong["id"] not in [v["id"] for v in run_json("visit", "list", "--household", "8-2-301")]
    kept = [v for v in run_json("visit", "list", "--household", "8-2-301", "--voided") if v["id"] == wrong["id"]]
    assert kept and kept[0]["voided"], "kept on record, marked"
    shown = run("household", "show", "8-2-301", "--at", AT).stdout
    assert "结果录错" in shown, "household show marks it"
    again = run("visit", "void", wrong["id"], "--reason", "x", lang="en")
    assert again.exit_code == ExitCode.INVALID and "already voided" in again.stderr


@pytest.mark.sqlite_only("edits the database file by hand with sqlite3")
def test_undo_of_an_import_restores_the_database_exactly(db, run, run_json, sample_data):
    assert run("grid", "import", sample_data / "grids.csv").exit_code == 0
    before = dump(db)
    assert run("household", "import", sample_data / "households.csv").exit_code == 0
    entry = run_json("log", "--limit", "1")[0]
    assert entry["file"] == "households.csv" and len(entry["file_sha256"]) == 64 and entry["counts"]["added"] == 350
    assert entry["changes"] == [{"table": "households", "row": 1, "op": "inserted", "through": 350, "before": None}]
    assert run("undo").exit_code == 0
    assert dump(db) == before
    assert run_json("household", "list") == []


def test_undo_of_an_import_is_refused_once_a_visit_was_logged_for_it(db, run, run_json, sample_data):
    assert run("grid", "import", sample_data / "grids.csv").exit_code == 0
    assert run("household", "import", sample_data / "households.csv").exit_code == 0
    imported = run_json("log", "--limit", "1")[0]["id"]
    assert run("staff", "add", "杜丽娟", "--role", "楼栋长").exit_code == 0
    assert run("visit", "log", "8-2-301", "--by", "杜丽娟", "--outcome", "well").exit_code == 0
    visit = run_json("log", "--limit", "1")[0]["id"]
    refused = run("undo", imported, lang="en")
    assert refused.exit_code == ExitCode.INVALID and refused.stderr.count("\n") == 1
    assert f"#{visit}" in refused.stderr and "visit log" in refused.stderr
    assert len(run_json("household", "list")) == 350, "nothing undone"
    assert run("undo").exit_code == 0 and run("undo", imported).exit_code == 0, "once the visit is undone, the import can be"
    assert run_json("household", "list") == []


def test_undo_of_an_edit_restores_the_old_values(db, run, run_json):
    assert run("household", "add", "8-2-301", "--head", "熊秀英", "--phone", "0874-8123456", "--note", "独居").exit_code == 0
    assert run("household", "edit", "8-2-301", "--phone", "13800000001", "--clear", "note").exit_code == 0
    edited = run_json("household", "list")[0]
    assert (edited["phone"], edited["note"]) == ("13800000001", None)
    change = run_json("log", "--limit", "1")[0]["changes"][0]
    assert change["before"]["note"] == "独居" and change["after"]["note"] is None, "NULLs are logged too"
    preview = run("undo", "--dry-run")
    assert preview.exit_code == 0 and run_json("household", "list")[0]["phone"] == "13800000001", "a dry run writes nothing"
    assert run("undo").exit_code == 0
    restored = run_json("household", "list")[0]
    assert (restored["phone"], restored["note"]) == ("0874-8123456", "独居")
    assert run_json("log", "--limit", "1")[0]["undoes"] == 2, "the undo is an entry itself"


def test_clearing_a_field_and_what_imports_never_clear(db, run, run_json, tmp_path):
    assert run("household", "add", "8-2-301", "--head", "熊秀英", "--grid", "G18", "--note", "独居").exit_code == 0
    both = run("household", "edit", "8-2-301", "--note", "x", "--clear", "note", lang="en")
    assert both.exit_code == ExitCode.INVALID and "not both" in both.stderr
    unknown = run("household", "edit", "8-2-301", "--clear", "colour", lang="en")
    assert unknown.exit_code == ExitCode.INVALID and "moved-in" in unknown.stderr
    roster = tmp_path / "r.csv"
    roster.write_text("户号,户主,网格,备注\n8-2-301,熊秀英,,\n", encoding="utf-8")
    assert run("household", "import", roster).exit_code == 0
    assert run_json("household", "list")[0]["note"] == "独居", "an empty cell never erases"
    assert run("resident", "add", "8-2-301", "熊秀英", "--phone", "13800000001").exit_code == 0
    assert run_json("resident", "edit", "8-2-301", "熊秀英", "--clear", "phone")["phone"] is None
    assert run("staff", "add", "王芳", "--role", "楼栋长", "--phone", "13800000002", "--covers", "8").exit_code == 0
    cleared = run_json("staff", "add", "王芳", "--clear", "phone", "--clear", "covers")
    assert cleared["phone"] is None and cleared["covers"] == []


def test_the_log_names_who_typed_what(db, run, run_json):
    assert run("household", "add", "8-2-301", "--head", "熊秀英", env={"REDPROP_USER": "孙网格"}).exit_code == 0
    entry = run_json("log")[0]
    assert entry["user"] == "孙网格" and "household add 8-2-301" in entry["command"]
    assert entry["changes"][0]["table"] == "households" and entry["changes"][0]["after"]["head"] == "熊秀英"
    assert set(entry) >= {"id", "at", "user", "command", "summary", "changes"}
    assert run_json("log", "--household", "8-2-301")[0]["id"] == entry["id"]
    assert run_json("log", "--household", "8-2-301", "--since", "2099-01-01") == []
    assert "熊秀英" in run("log").stdout and "住户" in run("log").stdout


@pytest.mark.sqlite_only("edits the database file by hand with sqlite3")
def test_log_and_undo_alone_in_a_fresh_process_know_the_rows_the_domain_registered(db, run, run_json):
    """`log` and `undo` load only their own modules: the store learns which rows belong to a
    household or an issue, and what to redo after an undo, from the domain's registrations,
    which must be in place even so (a new process, as cron or a worker runs it)."""
    import subprocess
    import sys

    def alone(*args):
        done = subprocess.run([sys.executable, "-m", "redprop", "--db", str(db), *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if "json" in args else done.stdout

    assert run("household", "add", "8-2-301", "--head", "熊秀英").exit_code == 0
    assert run("resident", "add", "8-2-301", "熊秀英").exit_code == 0
    resident = run_json("log")[0]["id"]
    issue = run_json("issue", "open", "--kind", "problem", "--category", "repair", "--channel", "patrol",
                     "--household", "8-2-301", "--title", "水管漏水", "--at", "2026-11-23 09:00")["id"]
    opened = run_json("log")[0]["id"]
    [before] = run_json("stats", "--from", "2026-11-23", "--to", "2026-11-23", "--at", "2026-11-30 08:00")
    assert run("issue", "resolve", issue, "--at", "2026-11-23 09:20").exit_code == 0
    resolved = run_json("log")[0]["id"]
    assert {resident, opened, resolved} <= {e["id"] for e in alone("log", "--household", "8-2-301", "-f", "json")}
    assert [e["id"] for e in alone("log", "--issue", str(issue), "-f", "json")] == [resolved, opened]
    conn = sqlite3.connect(db)  # as an entry logged before migration m009: only the undo's registered work resettles
    conn.execute("UPDATE log_changes SET before = json_remove(before, '$.settled_at', '$.figures', '$.arrive_seconds',"
                 " '$.resolve_seconds') WHERE tbl = 'issues' AND entry_id = ?", (resolved,))
    conn.commit()
    conn.close()
    alone("undo")
    assert run_json("stats", "--from", "2026-11-23", "--to", "2026-11-23", "--at", "2026-11-30 08:00") == [before]


@pytest.fixture
def desk(community, run, run_json):
    """Two issues at 8-2-301 and one in a public place, under 5341."""
    def open_(title, at, **where):
        place = ["--household", where["household"]] if "household" in where else ["--place", where["place"]]
        return run_json("issue", "open", "--kind", "problem", "--category", "报修", "--channel", "热线", *place,
                        "--title", title, "--at", at)

    first = open_("水管漏水", "2026-11-23 10:00", household="8-2-301")
    return {"first": first, "open_": open_}


def test_a_duplicate_is_warned_voided_and_counted_nowhere(desk, run, run_json):
    result = run("issue", "open", "--kind", "problem", "--category", "报修", "--channel", "微信群", "--household", "8-2-301",
                 "--title", "楼上漏水", "--at", "2026-11-23 11:00", lang="en")
    assert result.exit_code == 0 and f"#{desk['first']['id']}" in result.stderr and "warning" in result.stderr
    second = json.loads(run("issue", "show", "2", "-f", "json").stdout)
    far = run("issue", "open", "--kind", "problem", "--category", "报修", "--channel", "热线", "--household", "8-2-301",
              "--title", "又漏了", "--at", "2026-11-21 09:00", lang="en")
    assert "warning" not in far.stderr, "more than 24 hours before: no warning (the report time, not the clock)"
    overdue_ids = lambda: [i["id"] for i in run_json("overdue", "--at", AT)["issues"]]  # noqa: E731
    assert second["id"] in overdue_ids()
    stats_before = run_json("stats", "--at", AT)[0]["issues"]
    voided = run_json("issue", "void", second["id"], "--reason", "重复登记", "--duplicate-of", desk["first"]["id"])
    assert voided["voided"] and voided["duplicate_of"] == desk["first"]["id"]
    assert second["id"] not in overdue_ids()
    assert run_json("stats", "--at", AT)[0]["issues"] == stats_before - 1
    assert second["id"] not in [i["id"] for i in run_json("issue", "list", "--status", "all")]
    assert second["id"] in [i["id"] for i in run_json("issue", "list", "--status", "all", "--voided")]
    shown = run("issue", "show", second["id"]).stdout
    assert "重复登记" in shown and f"#{desk['first']['id']}" in shown, "it stays in issue show, marked"
    refused = run("issue", "resolve", second["id"], lang="en")
    assert refused.exit_code == ExitCode.INVALID and "voided" in refused.stderr


def test_undo_of_an_issue_step_restores_overdue_as_it_was(desk, run, run_json):
    before = run_json("overdue", "--at", AT)
    assert run("issue", "resolve", desk["first"]["id"], "--at", "2026-11-23 11:00").exit_code == 0
    assert run_json("overdue", "--at", AT) != before
    assert run("undo").exit_code == 0
    assert run_json("overdue", "--at", AT) == before
    assert run_json("issue", "show", desk["first"]["id"])["status"] == "new"


def test_issue_list_finds_text_in_title_description_reporter_or_place(desk, run, run_json):
    desk["open_"]("路灯不亮", "2026-11-23 12:00", place="5栋前道路")
    assert [i["title"] for i in run_json("issue", "list", "--search", "漏水")] == ["水管漏水"]
    assert [i["title"] for i in run_json("issue", "list", "--search", "5栋")] == ["路灯不亮"]
    assert run_json("issue", "list", "--search", "100%") == []


def test_staff_leave_hands_over_every_unfinished_issue(desk, run, run_json):
    first = desk["first"]["id"]
    done = desk["open_"]("门禁坏了", "2026-11-23 09:00", place="东门")["id"]
    for issue in (first, done):
        assert run("issue", "assign", issue, "--to", "刘磊", "--at", "2026-11-23 12:00").exit_code == 0
    assert run("issue", "resolve", done, "--at", "2026-11-23 13:00").exit_code == 0
    result = run_json("staff", "leave", "刘磊", "--hand-to", "杜丽娟")
    assert result["issues"] == [first]
    assert run_json("issue", "show", first)["handler"] == "杜丽娟"
    assert [s["action"] for s in run_json("issue", "show", first)["steps"]][-1] == "assign"
    assert run_json("issue", "show", done)["handler"] == "刘磊", "finished issues stay as they were"
    staff = {s["name"]: s for s in run_json("staff", "list")}
    assert not staff["刘磊"]["active"]


def test_a_relet_flat_shows_both_families(community, run, run_json):
    assert run("issue", "open", "--kind", "problem", "--category", "报修", "--channel", "热线", "--household", "8-2-301",
               "--title", "水管漏水", "--at", "2026-11-20 10:00").exit_code == 0
    assert run("household", "move-out", "8-2-301", "--on", "2026-11-25").exit_code == 0
    assert run("household", "add", "8-2-301", "--head", "新租户").exit_code == 0
    old = run_json("household", "show", "8-2-301", "--at", AT)
    assert old["head"] == "熊秀英" and old["groups"] and old["visits"], "the family that lived there then, with its own"
    assert [i["title"] for i in old["issues"]] == ["水管漏水"], "and its unfinished issues"
    new = run_json("household", "show", "8-2-301")
    assert new["head"] == "新租户" and new["groups"] == [] and new["visits"] == []
    history = run_json("household", "history", "8-2-301")
    assert [f["head"] for f in history["families"]] == ["熊秀英", "新租户"]
    events = [e["event"] for e in history["timeline"]]
    assert {"moved_in", "joined", "visit", "issue_step", "moved_out", "log"} <= set(events)
    times = [e["at"] for e in history["timeline"]]
    assert times == sorted(times, key=lambda t: t[:10]), "one timeline, by when things happened"
    text = run("household", "history", "8-2-301").stdout
    assert "熊秀英" in text and "新租户" in text and "水管漏水" in text
    moved_out, moved_in = [e["id"] for e in run_json("log", "--limit", "2")][::-1]
    refused = run("undo", str(moved_out), "--dry-run", lang="en")
    assert refused.exit_code == 4 and f"undo #{moved_in} first" in refused.stderr, "the new family holds the address"
    assert run("undo", str(moved_in)).exit_code == 0 and run("undo", str(moved_out)).exit_code == 0
    assert run_json("household", "show", "8-2-301")["head"] == "熊秀英", "undone in order, the old family is back"


def test_the_cached_state_of_every_issue_equals_its_replayed_steps(desk, run, run_json, db, sample_data):
    """After a mixed workload: an import, steps of every kind, a void and an undo."""
    assert run("issue", "import", sample_data / "issues.csv").exit_code == 0
    some = [i["id"] for i in run_json("issue", "list", "--at", AT)][:6]
    for verb in (["assign", "--to", "杜丽娟"], ["arrive"], ["wait", "--for", "parts"], ["resume"], ["resolve"]):
        for issue in some[:3]:
            run("issue", verb[0], issue, *verb[1:])
    run("issue", "rate", some[0], "1")
    run("issue", "edit", some[3], "--tier", "major")
    run("issue", "void", some[4], "--reason", "误录")
    run("issue", "escalate", some[5])
    assert run("undo").exit_code == 0
    from redprop.issues.lifecycle import replay
    from redprop.issues.records import ISSUE_SELECT, cache_columns, history
    from redprop.store import open_store

    store = open_store(db)
    rows = store.conn.execute(ISSUE_SELECT).fetchall()
    steps = history(store.conn, rows)
    wrong = []
    for row in rows:
        expected = cache_columns(replay(row, steps[row["id"]], tz=store.tz))
        cached = {k: row[k] for k in expected}
        if expected != cached:
            wrong.append((row["id"], {k: (cached[k], v) for k, v in expected.items() if cached[k] != v}))
    assert not wrong, wrong[:3]


def test_a_listing_longer_than_the_count_goes_says_more_than(db, run, run_json, tmp_path):
    """The "N more" of a page is counted no further than COUNT_BOUND + 1 rows: past it, "more than"."""
    from redprop.store.sql import COUNT_BOUND

    rows = COUNT_BOUND + 20
    lines = ["编号,报告时间,类型,类别,渠道,地点,标题,状态,解决时间"]
    lines += [f"B{n:06d},2026/10/{1 + n % 28} {8 + n % 10}:{n % 60:02d},问题,报修,热线,1栋,楼道灯坏了,已解决,"
              f"2026/10/{1 + n % 28} {9 + n % 10}:{n % 60:02d}" for n in range(rows)]
    sheet = tmp_path / "many.csv"
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run("issue", "import", sheet).exit_code == 0
    assert run("issue", "list", "--status", "all").stdout.splitlines()[-1] == \
        f"另有超过 {COUNT_BOUND - 50} 条未显示：用 --limit N 显示更多，用 --all 显示全部"
    assert run("issue", "list", "--status", "resolved", lang="en").stdout.splitlines()[-1].startswith(
        f"more than {COUNT_BOUND - 50} not shown")
    assert len(run_json("issue", "list", "--status", "all")) == rows, "JSON for scripts stays complete"
    some = run("issue", "list", "--status", "all", "--from", "2026-10-01", "--to", "2026-10-01").stdout.splitlines()
    assert some[-1].startswith(f"另有 {len(run_json('issue', 'list', '--status', 'all', '--from', '2026-10-01', '--to', '2026-10-01')) - 50} 条"), \
        "below the bound, the exact count"


def test_a_long_history_listing_shows_the_newest_50_and_says_how_many_more(community, run, run_json, sample_data):
    assert run("issue", "import", sample_data / "issues.csv").exit_code == 0
    table = run("issue", "list", "--status", "all", "--at", AT).stdout.splitlines()
    every = run_json("issue", "list", "--status", "all", "--at", AT)
    assert len(every) == 335, "JSON for scripts stays complete"
    assert table[-1] == f"另有 {335 - 50} 条未显示：用 --limit N 显示更多，用 --all 显示全部"
    assert sum(line.startswith("#") or line.lstrip().startswith("#") for line in table) == 50
    assert len(run("issue", "list", "--status", "all", "--all", "--at", AT).stdout.splitlines()) == 335 + 2
    mine = run_json("issue", "list", "--status", "all", "--handler", "邓俊芬")
    counted = run("issue", "list", "--status", "all", "--handler", "邓俊芬", "--limit", "3").stdout.splitlines()[-1]
    assert counted.startswith(f"另有 {len(mine) - 3} 条"), "the count follows the filter"
    visits = run("visit", "list").stdout.splitlines()
    assert visits[-1].startswith(f"另有 {len(run_json('visit', 'list')) - 50} 条")
    assert run("visit", "void", str(run_json("visit", "list")[0]["id"]), "--reason", "录错").exit_code == 0
    for extra in ((), ("--voided",), ("--to", "2026-11-20"), ("--voided", "--to", "2026-11-20")):
        listed = len(run_json("visit", "list", *extra))
        assert run("visit", "list", *extra).stdout.splitlines()[-1].startswith(f"另有 {listed - 50} 条"), extra
    assert run("household", "list").stdout.splitlines()[-1].startswith("另有 300 条") and "--every" in run("household", "list").stdout
    assert "另有" not in run("household", "list", "--building", "8").stdout, "with a filter, every match"
    assert run("issue", "void", str(every[0]["id"]), "--reason", "录重了").exit_code == 0
    for status in ("all", "done", "resolved", "closed"):
        listed = run_json("issue", "list", "--status", status)
        shown = run("issue", "list", "--status", status, "--limit", "3").stdout.splitlines()[-1]
        assert len(listed) > 3 and shown.startswith(f"另有 {len(listed) - 3} 条"), (status, "a voided issue is not counted")
