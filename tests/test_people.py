"""People, not root (issue 19): who is working, their own day, words as people say them, what
was recorded said back, filters where people need them.

On the demo community as of 2026-11-24 08:00: 杜丽娟 is the building leader of building 8, where
熊秀英 (8-2-301, living alone) has not answered three knocks; 刘磊 the grid worker of G15–G18.
"""

import csv
import io
import json
import shutil
import stat
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from redprop.cli import app

AT = "2026-11-24 08:00"


def config_file(tmp_path) -> Path:
    return tmp_path / "xdg-config" / "redprop" / "config.toml"


# -- who is working ---------------------------------------------------------------------------


def test_config_set_show_unset_and_the_file_is_the_users_own(demo, run, run_json, tmp_path):
    assert run("config", "set", "me", "杜丽娟").exit_code == 0
    assert run("config", "set", "lang", "en").exit_code == 0
    path = config_file(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "it names the worker: the user's own"
    shown = {r["key"]: r for r in json.loads(CliRunner().invoke(app, ["config", "show", "-f", "json"]).stdout)}
    assert (shown["me"]["value"], shown["me"]["source"], shown["me"]["where"]) == ("杜丽娟", "file", str(path))
    assert shown["lang"]["value"] == "en" and shown["db"]["source"] == "default"
    # the file's language is spoken when neither the line nor the environment says
    assert "Setting" in CliRunner().invoke(app, ["config", "show"]).stdout
    assert "设定" in run("config", "show", lang="zh").stdout, "an option beats the file"
    assert "设定" in CliRunner().invoke(app, ["config", "show"], env={"REDPROP_LANG": "zh"}).stdout, "and so does the environment"
    assert run("config", "unset", "lang").exit_code == 0
    assert "lang" not in path.read_text(encoding="utf-8") and "杜丽娟" in path.read_text(encoding="utf-8")
    wrong = run("config", "set", "colour", "red", lang="en")
    assert wrong.exit_code == 4 and "me, db, lang" in wrong.stderr
    assert run("config", "set", "lang", "fr").exit_code == 4


def test_the_database_comes_from_the_option_then_the_environment_then_the_file(demo, tmp_path):
    runner = CliRunner()
    assert runner.invoke(app, ["config", "set", "db", str(demo)]).exit_code == 0
    listed = runner.invoke(app, ["household", "show", "8-2-301", "-f", "json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout)["head"] == "熊秀英", "the file's database"
    other = tmp_path / "other.db"
    assert runner.invoke(app, ["--db", str(other), "init"]).exit_code == 0
    assert runner.invoke(app, ["household", "show", "8-2-301"], env={"REDPROP_DB": str(other)}).exit_code == 3
    assert runner.invoke(app, ["--db", str(other), "household", "show", "8-2-301"]).exit_code == 3
    # REDPROP_CONFIG names another file, which `config set` then writes
    elsewhere = tmp_path / "elsewhere.toml"
    assert runner.invoke(app, ["config", "set", "db", str(other)], env={"REDPROP_CONFIG": str(elsewhere)}).exit_code == 0
    assert str(other) in elsewhere.read_text(encoding="utf-8") and str(demo) in config_file(tmp_path).read_text(encoding="utf-8")


def test_by_defaults_to_me_and_the_log_records_me(demo, run, run_json):
    assert run("config", "set", "me", "杜丽娟").exit_code == 0
    visit = run_json("visit", "log", "8-2-301", "--at", "2026-11-24 09:10", "--outcome", "不在家")
    assert visit["by"] == "杜丽娟"
    assert run_json("log", "--limit", "1")[0]["user"] == "杜丽娟", "the change log records me, not the login"
    voided = run_json("visit", "void", visit["id"], "--reason", "录错")
    assert voided["voided_by"] == "杜丽娟"
    # with REDPROP_USER, for one shell, another person
    other = run("visit", "log", "8-2-301", "--at", "2026-11-24 09:20", "--outcome", "平安", "-f", "json",
                env={"REDPROP_USER": "刘磊"})
    assert json.loads(other.stdout)["by"] == "刘磊"


def test_a_me_who_is_not_staff_is_one_clear_line_when_a_write_needs_a_staff_member(demo, run, run_json, db_path,
                                                                                     tmp_path):
    assert run("config", "set", "me", "杜丽帆").exit_code == 0
    refused = run("visit", "log", "8-2-301", "--at", "2026-11-24 09:10", "--outcome", "不在家", lang="en")
    assert refused.exit_code == 3 and refused.stderr.count("\n") == 1
    assert "杜丽帆" in refused.stderr and "杜丽娟" in refused.stderr and "config set me" in refused.stderr
    # a step that does not need one keeps its own default (the handler)
    step = run_json("issue", "note", "305", "配件已订", "--at", "2026-11-24 09:00")
    assert step["steps"][-1]["by"] == "邓俊芬"
    nobody = CliRunner().invoke(app, ["--db", str(db_path), "--lang", "en", "visit", "log", "8-2-301", "--outcome", "well"],
                                env={"XDG_CONFIG_HOME": str(tmp_path / "none")})
    assert nobody.exit_code == 2 and "--by" in nobody.stderr and "config set me" in nobody.stderr


def test_me_narrows_no_listing(demo, run, run_json):
    everyone = run_json("visit", "due", "--at", AT)
    assert run("config", "set", "me", "杜丽娟").exit_code == 0
    assert run_json("visit", "due", "--at", AT) == everyone
    assert len(run_json("overdue", "--at", AT)["visits"]) == len(everyone)


# -- words as people say them ---------------------------------------------------------------


@pytest.mark.parametrize("args, option, suggested", [
    (("issue", "open", "--place", "3栋", "--title", "狗叫", "--channel", "热线", "--category", "狗"), "--category", "犬只"),
    (("visit", "log", "8-2-301", "--by", "杜丽娟", "--outcome", "没在家"), "--outcome", "不在家"),
    (("visit", "log", "8-2-301", "--by", "王树材", "--outcome", "不在家"), None, "王树林"),
    (("issue", "open", "--place", "3栋", "--title", "x", "--category", "犬只", "--channel", "窗囗"), "--channel", "一站式窗口"),
])
def test_the_closest_word_is_suggested(demo, run, args, option, suggested):
    result = run(*args)
    assert result.exit_code in (3, 4) and result.stderr.count("\n") == 1, result.stderr
    assert f"是否要输入 {suggested}" in result.stderr, result.stderr
    if option:
        assert option in result.stderr


def test_issue_open_defaults_the_kind_and_the_reporter(demo, run_json):
    issue = run_json("issue", "open", "--household", "8-2-301", "--category", "报修", "--channel", "热线",
                     "--title", "水龙头坏了", "--at", "2026-11-24 08:30")
    assert (issue["kind"], issue["reporter"]) == ("problem", "熊秀英")


def test_a_problem_heard_at_the_door_counts_its_taker_on_site_as_the_visit_path_does(demo, run, run_json):
    door = run_json("issue", "open", "--household", "8-2-301", "--category", "犬只", "--channel", "走访", "--by", "杜丽娟",
                    "--title", "楼下狗叫扰民", "--at", "2026-11-24 09:00")
    visit = run_json("visit", "log", "8-2-302", "--by", "杜丽娟", "--at", "2026-11-24 09:05", "--outcome", "需要帮助",
                     "--need", "楼道灯坏了", "--open-issue", "--category", "设施")
    through_visit = run_json("issue", "show", visit["issue"])
    for issue in (door, through_visit):
        arrive = next(d for d in issue["deadlines"] if d["promise"] == "arrive")
        assert arrive["state"] == "kept" and issue["arrived_at"] == issue["reported_at"], issue["id"]
        assert [(s["action"], s["by"]) for s in issue["steps"]] == [("open", "杜丽娟"), ("arrive", "杜丽娟")]
    heard = run_json("issue", "open", "--place", "3栋", "--category", "犬只", "--channel", "热线", "--by", "杜丽娟",
                     "--title", "电话反映", "--at", "2026-11-24 09:10")
    assert heard["arrived_at"] is None, "a call taken at the desk is not a visit on site"


# -- what was recorded, said back -------------------------------------------------------------


def test_a_confirmation_names_the_head_and_the_groups(demo, run, run_json):
    said = run("visit", "log", "8-2-301", "--by", "杜丽娟", "--at", "2026-11-24 09:10", "--outcome", "不在家").stdout
    assert "8-2-301 熊秀英（独居老人）" in said
    english = run("visit", "log", "8-2-301", "--by", "杜丽娟", "--at", "2026-11-24 09:15", "--outcome", "well", lang="en")
    assert "8-2-301 熊秀英 (Elderly living alone)" in english.stdout
    # a sensitive group is masked
    shown = run("visit", "log", "9-1-401", "--by", "张俊燕", "--at", "2026-11-24 09:20", "--outcome", "平安").stdout
    assert "9-1-401 乔鹏（敏感）" in shown and "精神" not in shown
    opened = run("issue", "open", "--household", "8-2-301", "--category", "报修", "--channel", "热线", "--title", "漏水",
                 "--at", "2026-11-24 09:30").stdout
    assert "8-2-301 熊秀英（独居老人）" in opened
    assert "熊秀英（独居老人）" in run("issue", "resolve", "327", "--by", "郭涛", "--at", "2026-11-24 09:40").stdout
    joined = run("group", "join", "8-2-302", "新近失业居民", "--since", "2026-11-20")
    assert joined.exit_code == 0, joined.stderr
    joined = joined.stdout
    assert "8-2-302 邵俊飞" in joined and "新近失业居民" in joined
    assert run_json("group", "leave", "8-2-302", "新近失业居民", "--on", "2026-11-23")["head"] == "邵俊飞"


def test_voiding_a_visit_that_opened_an_issue_says_the_issue_stays(demo, run, run_json):
    visit = run_json("visit", "log", "8-2-302", "--by", "杜丽娟", "--at", "2026-11-24 09:05", "--outcome", "需要帮助",
                     "--need", "楼道灯坏了", "--open-issue", "--category", "设施")
    voided = run("visit", "void", str(visit["id"]), "--reason", "录错")
    assert f"事项 #{visit['issue']} 不随之作废" in voided.stderr and "已登记" not in voided.stderr
    assert run_json("issue", "show", str(visit["issue"]))["status"] != "void"


def test_visit_list_and_issue_list_carry_the_head(demo, run, run_json):
    visits = run_json("visit", "list", "--household", "8-2-301", "--limit", "1")
    assert visits[0]["head"] == "熊秀英"
    assert "户主" in run("visit", "list", "--limit", "3").stdout.splitlines()[0]
    issues = run_json("issue", "list", "--household", "11-1-502")
    assert issues and all(i["head"] == "邓俊芬" or i["head"] for i in issues)
    assert "户主" in run("issue", "list", "--limit", "3").stdout.splitlines()[0]


# -- filters ------------------------------------------------------------------------------------


def test_building_and_staff_narrow_every_list(demo, run, run_json, tmp_path):
    due = run_json("visit", "due", "--at", AT)
    mine = run_json("visit", "due", "--at", AT, "--building", "5,8")
    assert mine and {v["building"] for v in mine} <= {"5", "8"}
    assert len(mine) == sum(1 for v in due if v["building"] in ("5", "8"))
    assert run("visit", "due", "--building", "99").exit_code == 3, "a building no household is in is a typo"
    report = run_json("overdue", "--at", AT, "--staff", "杜丽娟")
    assert report["visits"] and all("杜丽娟" in v["staff"] for v in report["visits"])
    assert all(i["handler"] in (None, "杜丽娟") for i in report["issues"] + report["due_soon"])
    only = run_json("overdue", "--at", AT, "--building", "8")
    assert {v["building"] for v in only["visits"]} == {"8"} and all(i["building"] == "8" for i in only["issues"])
    # the due section files each household under the person asked for, not the grid worker
    text = run("overdue", "--at", AT, "--staff", "杜丽娟").stdout
    section = text.split("== 待走访")[1]
    assert section.splitlines()[3].startswith("杜丽娟")
    ledger = tmp_path / "住户台账.xlsx"
    assert run("ledger", "households", "--building", "5,8", "-o", ledger).exit_code == 0
    sheet = load_workbook(ledger).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows.index(next(r for r in rows if r and r[0] == "序号"))
    buildings = {str(r[rows[header].index("楼栋")]) for r in rows[header + 1:] if isinstance(r[0], int)}
    assert buildings == {"5", "8"} and "5、8栋" in rows[0][0]
    visits = tmp_path / "走访台账.csv"
    assert run("ledger", "visits", "--staff", "杜丽娟", "--from", "2026-11-01", "--to", "2026-11-30", "-o", visits).exit_code == 0
    rows = list(csv.reader(io.StringIO(visits.read_text(encoding="utf-8-sig"))))
    header = next(r for r in rows if r and r[0] == "序号")
    by = {r[header.index("走访人")] for r in rows if r and r[0].isdigit()}
    assert by == {"杜丽娟"}


# -- my day -------------------------------------------------------------------------------------


def test_today_is_my_own_list_worst_first(demo, run, run_json):
    refused = run("today", "--at", AT, lang="en")
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1 and "config set me" in refused.stderr
    assert run("config", "set", "me", "刘磊").exit_code == 0
    day = run_json("today", "--at", AT)
    assert day["staff"] == "刘磊"
    visits = day["visits"]
    assert visits[0]["household"] == "8-2-301" and visits[0]["escalated"], "the escalated household first"
    overdue = [v["overdue_days"] for v in visits if not v["escalated"] and v["overdue_days"] is not None]
    assert overdue == sorted(overdue, reverse=True), "then the most days overdue"
    assert all("刘磊" in v["staff"] for v in visits)
    assert all(v["due_at"] < "2026-11-25" for v in visits), "due by the end of today"
    everyone = run_json("visit", "due", "--at", AT, "--staff", "刘磊")
    assert {v["household"] for v in everyone} <= {v["household"] for v in visits}
    assert [i["handler"] for i in day["issues"]] == ["刘磊"] * len(day["issues"]) and day["issues"]
    assert day["issues"][0]["next_deadline"]["promise"] in ("arrive", "resolve", "plan")
    other = run_json("today", "--at", AT, "--staff", "邓俊芬")
    assert other["staff"] == "邓俊芬" and [i["id"] for i in other["issues"]][:1] == [305]
    text = run("today", "--at", AT).stdout
    assert "刘磊的待办" in text and "8-2-301 熊秀英" in text and "连续 3 次未遇" in text
    rows = list(csv.DictReader(io.StringIO(run("today", "--at", AT, "-f", "csv").stdout)))
    assert {r["section"] for r in rows} >= {"visit", "issue"} and rows[0]["household"] == "8-2-301"
    narrowed = run_json("today", "--at", AT, "--building", "7")
    assert {v["building"] for v in narrowed["visits"]} == {"7"}


def test_today_writes_an_a4_page_that_a_browser_draws(demo, run, run_json, tmp_path):
    path = tmp_path / "today.html"
    result = run("today", "--at", AT, "--staff", "刘磊", "-o", path)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    html = path.read_text(encoding="utf-8")
    assert "@page { size: A4" in html and "http" not in html and "<script" not in html
    for household in run_json("today", "--at", AT, "--staff", "刘磊")["visits"]:
        assert household["household"] in html and household["head"] in html
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("headless Chromium is not installed")
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", path.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0 and "熊秀英" in dom.stdout and "</html>" in dom.stdout
    shot = tmp_path / "today.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=794,1123", path.as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000, "the page was drawn"


# -- a range's end -------------------------------------------------------------------------------


def test_a_range_end_without_its_year_is_read_after_its_start(demo, db_path, tmp_path):
    """Typed on 7 December: --from 12-1 --to 12-31 is this December, not an error about last year's."""
    december = datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)
    runner = CliRunner()

    def run(*args):
        return runner.invoke(app, ["--db", str(db_path), *args], obj={"clock": lambda: december}, catch_exceptions=False)

    path = tmp_path / "问题清单.xlsx"
    result = run("ledger", "problems", "--from", "12-1", "--to", "12-31", "-o", str(path))
    assert result.exit_code == 0, result.output
    assert "统计期间：2026-12-01 至 2026-12-31" in [c.value for c in load_workbook(path).active[2]]
    stats = run("stats", "--from", "11-1", "--to", "11-30", "-f", "json")
    assert stats.exit_code == 0 and json.loads(stats.stdout)[0]["issues"] > 0
    listed = run("issue", "list", "--status", "all", "--from", "11-20", "--to", "11-21", "-f", "json")
    assert listed.exit_code == 0 and json.loads(listed.stdout)
    assert run("stats", "--from", "2026-12-01", "--to", "2026-11-30").exit_code == 4, "an end before the start is refused"
    assert json.loads(run("stats", "--to", "12-31", "-f", "json").stdout)[0]["issues"] == 0, "no start: the most recent"


# -- undo on a shared database ---------------------------------------------------------------


def test_undo_takes_back_your_own_and_another_persons_only_when_asked(demo, run, run_json):
    assert run("config", "set", "me", "杜丽娟").exit_code == 0
    mine = run_json("visit", "log", "8-2-301", "--at", "2026-11-24 09:10", "--outcome", "不在家")
    theirs = run("visit", "log", "8-2-101", "--by", "刘磊", "--at", "2026-11-24 09:20", "--outcome", "平安", "-f", "json",
                 env={"REDPROP_USER": "刘磊"})
    theirs = json.loads(theirs.stdout)
    colleague = run_json("log", "--limit", "1")[0]
    assert colleague["user"] == "刘磊"
    # a bare undo takes back my newest entry, not the colleague's newer one
    undone = run("undo", lang="en")
    assert undone.exit_code == 0 and "by 杜丽娟" in undone.stdout, undone.output
    ids = {v["id"] for v in run_json("visit", "list", "--from", "2026-11-24")}
    assert mine["id"] not in ids and theirs["id"] in ids
    nothing = run("undo", lang="en")
    assert nothing.exit_code == 3 and "--anyone" in nothing.stderr
    # an explicit entry of another person's needs --anyone, which names them
    refused = run("undo", colleague["id"], lang="en")
    assert refused.exit_code == 4 and "刘磊" in refused.stderr and "--anyone" in refused.stderr
    assert run("undo", "--visit", theirs["id"]).exit_code == 4
    preview = run("undo", "--visit", theirs["id"], "--anyone", "--dry-run", lang="en")
    assert preview.exit_code == 0 and f"#{colleague['id']} by 刘磊" in preview.stdout
    assert theirs["id"] in {v["id"] for v in run_json("visit", "list", "--from", "2026-11-24")}, "a dry run writes nothing"
    assert run("undo", "--anyone").exit_code == 0
    assert not run_json("visit", "list", "--from", "2026-11-24")
    assert run("undo", "--visit", "1", "--issue", "2").exit_code == 4


def test_undo_issue_takes_back_the_newest_entry_that_changed_it(demo, run, run_json):
    assert run("config", "set", "me", "郭涛").exit_code == 0
    assert run("issue", "note", "327", "已联系维修", "--at", "2026-11-24 08:30").exit_code == 0
    assert run("issue", "resolve", "327", "--at", "2026-11-24 09:00").exit_code == 0
    assert run("household", "edit", "8-2-301", "--note", "钥匙在邻居家").exit_code == 0  # newer, about something else
    assert run("undo", "--issue", "#327").exit_code == 0
    issue = run_json("issue", "show", "327")
    assert issue["status"] != "resolved" and issue["steps"][-1]["action"] == "note", "the resolve taken back, the note kept"
    assert run_json("household", "show", "8-2-301")["note"] == "钥匙在邻居家"
