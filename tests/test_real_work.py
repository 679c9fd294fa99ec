"""Issue 11 through the CLI: promises per kind, the follow-up call, holidays past 2026, times as
people say them, and a need found on a visit opened as an issue.

Facts the cases rely on (computed by hand, 08:30-12:00 + 14:00-18:00 = 7.5 h a working day):
- chinesecalendar 1.11 knows 2004-2026; 2027 is provisional until imported: its statutory days
  are 2027-01-01 (Fri, 元旦), 02-05 .. 02-08 (春节, 除夕 .. 初三), 04-05, 05-01/02, 06-09, 09-15,
  10-01 .. 10-03; no bridge days, no make-up working days.
- From Tue 2026-12-01 09:00, 25 working days: December has 22 working days to Thu 12-31 09:00
  (Dec 2026 has no holiday), Fri 2027-01-01 rests by law, then Mon 01-04, Tue 01-05, Wed 01-06
  09:00. With 01-04 declared off as well, Thu 01-07 09:00.
"""

import json
import sqlite3
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import built_once, invoke, machine_clock, now

SH = ZoneInfo("Asia/Shanghai")
ISO = "+08:00"


def local(text: str) -> str:
    return text.replace(" ", "T") + ":00" + ISO


@pytest.fixture
@built_once
def estate(db, run):
    for args in (
        ("household", "add", "8-2-301", "--head", "熊秀英", "--grid", "G18"),
        ("staff", "add", "刘磊", "--role", "网格员", "--covers", "G18"),
        ("staff", "add", "杜丽娟", "--role", "楼栋长", "--covers", "8"),
    ):
        result = run(*args)
        assert result.exit_code == 0, result.output
    return db


def open_issue(run_json, at, kind="problem", title="楼道灯坏了", **extra):
    args = ["issue", "open", "--kind", kind, "--category", "报修", "--channel", "热线", "--household", "8-2-301",
            "--title", title, "--at", at]
    for key, value in extra.items():
        args += [f"--{key}", value]
    return run_json(*args)


def line_of(text: str, start: str) -> list[str]:
    return next(line.split() for line in text.splitlines() if line.startswith(start))


def deadlines(record):
    return {d["promise"]: d for d in record["deadlines"]}


def one_line(result, code, *words):
    assert result.exit_code == code, result.output
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


# ---------------------------------------------------------------------------------------
# promises per kind


def test_a_wish_from_the_wish_wall_gets_a_written_reply_not_an_emergency(estate, run, run_json):
    wish = run_json("issue", "open", "--kind", "需求", "--category", "绿化", "--channel", "许愿墙", "--place", "中心花园",
                    "--title", "希望增设休息长椅", "--at", "2026-11-20 9:30")
    assert [(d["promise"], d["due_at"]) for d in wish["deadlines"]] == [("plan", local("2026-11-23 09:30"))]
    an_hour_later = run_json("overdue", "--at", "2026-11-20 10:30")
    assert an_hour_later["issues"] == [] and an_hour_later["due_soon"] == []
    assert run("overdue", "--at", "2026-11-20 10:30", "--check").exit_code == 0
    three_days = run_json("overdue", "--at", "2026-11-23 09:31")
    assert [(i["id"], i["promise"], i["late_minutes"]) for i in three_days["issues"]] == [(wish["id"], "plan", 1)]
    assert run("overdue", "--at", "2026-11-23 09:31", "--check").exit_code == 1
    # a plan (the written reply) in time keeps it off the list, even while it waits for a joint meeting
    run_json("issue", "plan", wish["id"], "--note", "答复：提交联席会议", "--at", "2026-11-22 16:00")
    run_json("issue", "escalate", wish["id"], "--at", "2026-11-22 16:05")
    assert run_json("overdue", "--at", "2026-12-01 08:00")["issues"] == []
    problem = open_issue(run_json, "2026-11-20 9:30")
    assert [(d["promise"], d["due_at"]) for d in problem["deadlines"]] == [
        ("arrive", local("2026-11-20 09:35")), ("resolve", local("2026-11-20 10:00"))], "problems keep 5341"


def test_policy_set_kind_wish_changes_only_wishes(estate, run, run_json):
    before = run_json("policy", "show")
    changed = run_json("policy", "set", "--kind", "wish", "--plan", "1d", "--plan", "complex=2d", "--from", "2026-11-01 00:00")
    assert changed["wish"]["normal"] == {"arrive": None, "resolve": None, "plan": "1d"}
    assert changed["wish"]["complex"]["plan"] == "2d"
    assert {t: changed[t] for t in ("normal", "major", "complex")} == {t: before[t] for t in ("normal", "major", "complex")}
    wish = open_issue(run_json, "2026-11-20 9:30", kind="wish", title="希望增设车棚")
    problem = open_issue(run_json, "2026-11-20 9:30")
    assert [(d["promise"], d["due_at"]) for d in wish["deadlines"]] == [("plan", local("2026-11-21 09:30"))]
    assert [d["promise"] for d in problem["deadlines"]] == ["arrive", "resolve"]
    shown = run("policy", "show", lang="en").stdout
    assert "Wish" in shown and "Problem" in shown and "Follow-up call" in shown
    rows = run("policy", "show", "--format", "csv").stdout.splitlines()
    assert len(rows) == 7 and rows[0].split(",")[6:8] == ["kind", "tier"], "one row per kind and tier"
    one_line(run("policy", "set", "--kind", "colour", "--plan", "1d", lang="en"), 4, "unknown kind")


def test_correcting_the_kind_takes_the_other_kinds_promises(estate, run_json):
    issue = open_issue(run_json, "2026-11-20 9:30")
    corrected = run_json("issue", "edit", issue["id"], "--kind", "wish")
    assert [(d["promise"], d["due_at"]) for d in corrected["deadlines"]] == [("plan", local("2026-11-23 09:30"))]


@pytest.mark.sqlite_only("edits the database file by hand with sqlite3")
def test_an_existing_database_gets_the_wish_promise_from_the_migration_on(tmp_path, run_json, db_path):
    """A database made before wishes had promises of their own: its wish keeps the 5341 deadlines
    it was given; a wish reported after the migration gets the shipped reply within 3 days."""
    from redprop.store.migrations import MIGRATIONS, migrate

    conn = sqlite3.connect(db_path, isolation_level=None)
    migrate(conn, MIGRATIONS[:3])
    conn.executemany("INSERT INTO settings (key, value) VALUES (?, ?)", [("community", "旧小区"), ("timezone", "Asia/Shanghai")])
    conn.execute("INSERT INTO households (key, building, unit, room, created_at, updated_at)"
                 " VALUES ('8-2-301', '8', '2', '301', '2026-01-01', '2026-01-01')")
    conn.execute(
        "INSERT INTO issues (kind, category, channel, household_id, title, policy_id, reported_at, recorded_at, tier,"
        " status, arrive_due, resolve_due, first_due_at, last_step_at)"
        " VALUES ('wish', 'greening', 'wish_wall', 1, '旧愿望', 1, '2026-11-20T01:30:00+00:00', '2026-11-20T01:30:00+00:00',"
        " 'normal', 'new', '2026-11-20T01:35:00+00:00', '2026-11-20T02:00:00+00:00', '2026-11-20T01:35:00+00:00',"
        " '2026-11-20T01:30:00+00:00')")
    conn.close()
    history = run_json("policy", "show", "--history")
    assert len(history) == 2 and history[1]["wish"]["normal"]["plan"] == "3d" and history[1]["follow_up"] == "3d"
    assert history[0]["wish"]["normal"] == history[0]["normal"], "before: wishes were promised what problems were"
    old = run_json("issue", "show", "1")
    assert [(d["promise"], d["due_at"]) for d in old["deadlines"]] == [
        ("arrive", local("2026-11-20 09:35")), ("resolve", local("2026-11-20 10:00"))], "fixed deadlines stay"
    # The migration's policy is in force from when it ran, by the machine's clock: the issue is
    # opened after it by that clock (the tests' own may be behind it).
    opened = invoke(db_path, "issue", "open", "--kind", "wish", "--category", "绿化", "--channel", "许愿墙", "--household",
                    "8-2-301", "--title", "新愿望", "-f", "json", clock=machine_clock)
    assert [d["promise"] for d in json.loads(opened.stdout)["deadlines"]] == ["plan"]


# ---------------------------------------------------------------------------------------
# the follow-up call


def test_a_late_follow_up_call_is_listed_by_overdue_and_counted_by_stats(estate, run, run_json):
    late = open_issue(run_json, "2026-11-16 9:00", title="门禁坏了", to="刘磊")["id"]
    on_time = open_issue(run_json, "2026-11-16 9:00", title="楼道灯坏了", to="刘磊")["id"]
    for issue in (late, on_time):
        run_json("issue", "arrive", issue, "--at", "2026-11-16 09:04")
        run_json("issue", "resolve", issue, "--at", "2026-11-16 09:20")
    run_json("issue", "rate", on_time, "5", "--at", "2026-11-18 10:00")
    report = run_json("overdue", "--at", "2026-11-19 09:30")
    assert report["issues"] == []
    assert [(c["id"], c["due_at"], c["late_minutes"], c["handler"]) for c in report["follow_ups"]] == [
        (late, local("2026-11-19 09:20"), 10, "刘磊")]
    assert report["summary"]["follow_ups"] == 1
    assert run("overdue", "--at", "2026-11-19 09:30", "--check").exit_code == 1, "--check counts late calls"
    text = run("overdue", "--at", "2026-11-19 09:30").stdout
    assert "回访超时 (1)" in text and "门禁坏了" in text and "回访超时 1 件" in text
    csv_rows = run("overdue", "--at", "2026-11-19 09:30", "--format", "csv").stdout.splitlines()
    assert csv_rows[1].startswith("测试小区,,follow_up,")
    assert run_json("overdue", "--at", "2026-11-19 09:10")["follow_ups"] == [], "not due yet"
    [before] = run_json("stats", "--at", "2026-11-19 09:30")
    assert (before["follow_up_owed"], before["follow_up_made"], before["follow_up_on_time"]) == (2, 1, 1)
    run_json("issue", "rate", late, "4", "--at", "2026-11-19 15:00")
    [after] = run_json("stats", "--at", "2026-11-20 00:00")
    assert (after["follow_up_owed"], after["follow_up_made"], after["follow_up_on_time"]) == (2, 2, 1)
    assert (after["follow_up_made_share"], after["follow_up_on_time_share"]) == (1.0, 0.5)
    assert run_json("overdue", "--at", "2026-11-20 00:00")["follow_ups"] == []
    assert run_json("overdue", "--at", "2026-11-19 09:30")["follow_ups"][0]["id"] == late, "as things stood then"
    table = run("stats", "--at", "2026-11-20 00:00", lang="en").stdout
    assert "100% (2/2)" in table and "50% (1/2)" in table


def test_the_follow_up_promise_is_the_policys_and_imports_owe_none(estate, run, run_json, tmp_path):
    run_json("policy", "set", "--follow-up", "2d", "--from", "2026-11-01 00:00")
    issue = open_issue(run_json, "2026-11-16 9:00")["id"]
    resolved = run_json("issue", "resolve", issue, "--at", "2026-11-16 09:20")
    assert deadlines(resolved)["follow_up"]["due_at"] == local("2026-11-18 09:20")
    sheet = tmp_path / "hotline.csv"
    sheet.write_text("编号,报告时间,类型,类别,渠道,户号,标题,解决时间,状态\n"
                     "H1,2026-11-16 9:00,问题,报修,热线,8-2-301,水管漏水,2026-11-16 10:00,已解决\n", encoding="utf-8")
    assert run("issue", "import", sheet).exit_code == 0
    report = run_json("overdue", "--at", "2026-11-25 08:00")
    assert [c["id"] for c in report["follow_ups"]] == [issue], "the imported issue's call was the other system's"
    imported = [r for r in run_json("issue", "list", "--status", "all") if r["imported"]][0]
    assert "follow_up" not in deadlines(imported)
    run_json("policy", "set", "--follow-up", "none", "--from", "2026-11-20 00:00")
    later = open_issue(run_json, "2026-11-21 9:00")["id"]
    assert "follow_up" not in deadlines(run_json("issue", "resolve", later, "--at", "2026-11-21 09:20"))


# ---------------------------------------------------------------------------------------
# holidays


HOLIDAY_CN_2027 = {  # the shape of NateScarlet/holiday-cn's 2027.json (days made up for the test)
    "year": 2027,
    "papers": [],
    "days": [
        {"name": "元旦", "date": "2027-01-01", "isOffDay": True},
        {"name": "元旦", "date": "2027-01-02", "isOffDay": True},
        {"name": "元旦", "date": "2027-01-03", "isOffDay": True},
        {"name": "元旦", "date": "2027-01-04", "isOffDay": True},
        {"name": "元旦", "date": "2027-01-09", "isOffDay": False},
        {"name": "春节", "date": "2027-02-05", "isOffDay": True},
    ],
}


@pytest.fixture
@built_once
def office_hours(estate, run_json):
    run_json("policy", "set", "--hours", "08:30-12:00,14:00-18:00", "--resolve", "normal=25d", "--from", "2026-11-01 00:00")
    return estate


def test_importing_2027_changes_a_deadline_that_was_provisional(office_hours, run, run_json, tmp_path):
    issue = open_issue(run_json, "2026-12-01 9:00")
    due = deadlines(issue)["resolve"]
    assert (due["due_at"], due["provisional"]) == (local("2027-01-06 09:00"), True), "元旦 by law, no bridge day"
    assert issue["provisional_years"] == [2027] and deadlines(issue)["arrive"]["provisional"] is False
    run_json("issue", "arrive", issue["id"], "--at", "2026-12-01 09:04")
    shown = run("issue", "show", issue["id"])
    assert "2027年节假日安排尚未导入（redprop holidays import），期限按法定节日暂估" in shown.stderr
    assert shown.stderr.count("\n") == 1 and "~2027-01-06 09:00" in shown.stdout and "暂估" in shown.stdout
    overdue = run("overdue", "--at", "2027-01-08 08:00", "--format", "json")
    assert overdue.exit_code == 0 and "2027年节假日安排尚未导入" in overdue.stderr
    report = json.loads(overdue.stdout)
    assert [(i["id"], i["promise"], i["provisional"]) for i in report["issues"]] == [(issue["id"], "resolve", True)]
    assert report["summary"]["provisional_years"] == [2027]
    check = run("overdue", "--at", "2027-01-08 08:00", "--check")
    assert check.exit_code == 1 and check.stderr.count("\n") == 1, "cron's exit code is unchanged, one warning line"
    stats = run("stats", "--at", "2027-01-08 08:00", "--format", "json")
    assert "2027年节假日安排尚未导入" in stats.stderr and json.loads(stats.stdout)[0]["provisional_years"] == [2027]

    before = run_json("holidays", "show", "2027")
    assert (before["source"], before["provisional"], before["make_up_days"]) == ("provisional", True, 0)
    assert [d["date"] for d in before["days"]][:5] == ["2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08"]
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(HOLIDAY_CN_2027, ensure_ascii=False), encoding="utf-8")
    loaded = run("holidays", "import", path)
    assert loaded.exit_code == 0, loaded.output
    assert "2027年：放假 5 天，调休上班 1 天（2027.json）" in loaded.stdout and f"#{issue['id']}" in loaded.stderr

    after = run("issue", "show", issue["id"], "--format", "json")
    assert after.stderr == "", "nothing provisional any more"
    due = deadlines(json.loads(after.stdout))["resolve"]
    assert (due["due_at"], due["provisional"]) == (local("2027-01-07 09:00"), False), "01-04 declared off"
    report = run_json("overdue", "--at", "2027-01-08 08:00")
    assert report["issues"][0]["provisional"] is False and report["summary"]["provisional_years"] == []
    assert run("stats", "--at", "2027-01-08 08:00").stderr == ""
    shown = run_json("holidays", "show", "2027")
    assert (shown["source"], shown["detail"], shown["provisional"]) == ("file", "2027.json", False)
    assert [(d["date"], d["off"]) for d in shown["days"]][3:5] == [("2027-01-04", True), ("2027-01-09", False)]
    text = run("holidays", "show", "2027").stdout
    assert line_of(text, "2027-01-09") == ["2027-01-09", "周六", "班", "元旦"] and "2027年1月" in text


def test_holidays_show_before_and_after_and_typed_by_hand(office_hours, run, run_json):
    package = run_json("holidays", "show", "2026")
    assert (package["source"], package["detail"]) == ("package", "chinesecalendar 1.11.0")
    assert {"date": "2026-02-14", "off": False, "name": "春节"} in package["days"]
    text = run("holidays", "show", "2027").stdout
    assert "暂估（法定节日）" in text and "尚未导入" in text and line_of(text, "2027-02-05") == ["2027-02-05", "周五", "休", "春节"]
    english = run("holidays", "show", "2027", lang="en").stdout
    assert "Provisional (statutory holidays)" in english and "Spring Festival" in english and "Day off" in english
    issue = open_issue(run_json, "2026-12-01 9:00")["id"]
    typed = run("holidays", "set", "2027-01-04", "休", "--name", "元旦")
    assert typed.exit_code == 0 and f"#{issue}" in typed.stderr
    assert deadlines(run_json("issue", "show", issue))["resolve"]["due_at"] == local("2027-01-07 09:00")
    shown = run_json("holidays", "show", "2027")
    assert shown["source"] == "typed" and shown["off_days"] == 14, "the 13 statutory days, and the typed one"
    undone = run_json("holidays", "set", "2027-01-04", "none")
    assert undone["mark"] is None and undone["recomputed"] == []
    assert deadlines(run_json("issue", "show", issue))["resolve"]["due_at"] == local("2027-01-07 09:00"), (
        "no longer provisional: a change to a loaded year leaves deadlines already fixed as they are")
    one_line(run("holidays", "set", "2027-01-04", "maybe", lang="en"), 4, "neither 休")
    grid = run("holidays", "show", "2028").stdout
    assert line_of(grid, "2028-01-25") == ["2028-01-25", "周二", "休", "春节"], "2028 provisional too: 春节 from 除夕"


def test_holidays_import_a_csv_and_refuse_a_bad_file(office_hours, run, run_json, tmp_path):
    sheet = tmp_path / "2028.csv"
    sheet.write_text("日期,休班,名称\n2028-01-01,休,元旦\n2028-01-25,休,春节\n2028-02-19,班,春节\n", encoding="gbk")
    assert run("holidays", "import", sheet).exit_code == 0
    shown = run_json("holidays", "show", "2028")
    assert (shown["source"], shown["off_days"], shown["make_up_days"]) == ("file", 2, 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("2029-01-01,休\n2029-02-30,休\n2029-03-01,maybe\n", encoding="utf-8")
    refused = run("holidays", "import", bad, lang="en")
    assert refused.exit_code == 5 and "row 2" in refused.stderr and "row 3" in refused.stderr
    assert run_json("holidays", "show", "2029")["source"] == "provisional", "nothing written"
    broken = tmp_path / "2029.json"
    broken.write_text('{"year": 2029, "days": [{"date": "2029-01-01", "isOffDay": "yes"}]}', encoding="utf-8")
    assert run("holidays", "import", broken).exit_code == 5


# ---------------------------------------------------------------------------------------
# times as people say them


def _today():
    return now().astimezone(SH).date()


PHRASES = [  # (typed, days before today or a fixed date, HH:MM)
    ("上午9:30", 0, "09:30"), ("下午3:30", 0, "15:30"), ("下午3点", 0, "15:00"), ("晚上8点", 0, "20:00"),
    ("9点30", 0, "09:30"), ("9点半", 0, "09:30"), ("今天下午3点", 0, "15:00"), ("前天 14:00", 2, "14:00"),
    ("前天 下午3点", 2, "15:00"), ("昨天上午9:30", 1, "09:30"), ("前天下午3点", 2, "15:00"),
    ("昨天 9点半", 1, "09:30"), ("11月30日 15:00", "11-30", "15:00"), ("11-30 15:00", "11-30", "15:00"),
    ("11月30日下午3点", "11-30", "15:00"), ("2026-11-20 下午3点", "2026-11-20", "15:00"),
    ("2026年11月20日 上午9点30", "2026-11-20", "09:30"), ("中午12点", 0, "12:00"), ("凌晨2点", 0, "02:00"),
]


@pytest.mark.parametrize("typed, day, clock", PHRASES, ids=[p[0] for p in PHRASES])
def test_every_time_phrase_is_the_right_instant_in_shanghai(db, run_json, typed, day, clock):
    today = _today()
    if isinstance(day, int):
        on = today - timedelta(days=day)
    elif len(day) == 5:  # without its year: the most recent one
        on = today.replace(month=int(day[:2]), day=int(day[3:]))
        on = on if on <= today else on.replace(year=today.year - 1)
    else:
        on = datetime.fromisoformat(day).date()
    assert run_json("overdue", "--at", typed)["summary"]["at"] == f"{on.isoformat()}T{clock}:00+08:00"


@pytest.mark.parametrize("typed, words", [
    ("晚上12点", "晚上 does not go with 12"), ("上午13点", "上午 does not go with 13"), ("25:00", "not a real time"),
    ("下午3点 PM", "not both"), ("昨天 下午", "expected a time like"), ("11-31 9:00", "not a real date"),
])
def test_time_phrases_refused(db, run, typed, words):
    one_line(run("overdue", "--at", typed, lang="en"), 4, words)


def test_an_event_needs_its_time_of_day_a_visit_may_have_only_its_date(estate, run, run_json):
    for typed, example in (("昨天", "'昨天 9:30'"), ("2026-11-20", "'2026-11-20 9:30'")):
        refused = run("issue", "open", "--kind", "problem", "--category", "报修", "--channel", "热线",
                      "--household", "8-2-301", "--title", "灯坏", "--at", typed)
        one_line(refused, 4, "--at", example)
    issue = open_issue(run_json, "2026-11-20 9:30")["id"]
    one_line(run("issue", "arrive", issue, "--at", "前天", lang="en"), 4, "a day without the time", "'前天 9:30'")
    visit = run_json("visit", "log", "8-2-301", "--by", "杜丽娟", "--at", "昨天", "--outcome", "平安")
    yesterday = _today() - timedelta(days=1)
    assert visit["at"] == f"{yesterday.isoformat()}T23:59:59+08:00" and visit["time_known"] is False
    listed = run("visit", "list", "--household", "8-2-301").stdout
    assert yesterday.isoformat() in listed and "23:59" not in listed, "shown as the date only"
    today = run_json("visit", "log", "8-2-301", "--by", "杜丽娟", "--at", "今天", "--outcome", "平安")
    assert today["time_known"] is False and today["at"] <= now().astimezone(SH).isoformat(), "today's: not in the future"


def test_a_local_time_that_daylight_saving_skips_or_repeats_is_refused(run):
    assert run("init", "--community", "X", "--timezone", "America/New_York").exit_code == 0
    one_line(run("overdue", "--at", "2026-03-08 02:30", lang="en"), 4, "does not exist", "jump forward")
    one_line(run("overdue", "--at", "2026-11-01 01:30", lang="en"), 4, "happens twice", "-04:00")
    one_line(run("overdue", "--at", "2026-11-01 1:30", lang="en"), 4, "01:30 at night or 13:30")
    assert run("overdue", "--at", "2026-11-01T01:30-05:00").exit_code == 0


# ---------------------------------------------------------------------------------------
# a need found on a visit


def test_a_need_found_on_a_visit_opens_a_linked_issue(estate, run, run_json):
    visit = run_json("visit", "log", "8-2-301", "--by", "杜丽娟", "--at", "2026-11-20 10:00", "--outcome", "需要帮助",
                     "--need", "厨房水管漏水", "--open-issue", "--category", "报修", "--tier", "重大")
    issue = run_json("issue", "show", visit["issue"])
    assert (issue["channel"], issue["household"], issue["tier"], issue["title"], issue["visit"]) == (
        "visit", "8-2-301", "major", "厨房水管漏水", visit["id"])
    assert (issue["reported_at"], issue["arrived_at"], issue["reporter"]) == (local("2026-11-20 10:00"),) * 2 + ("熊秀英",)
    assert [(s["action"], s["by"]) for s in issue["steps"]] == [("open", "杜丽娟"), ("arrive", "杜丽娟")]
    assert deadlines(issue)["arrive"]["state"] == "kept", "the visitor was the first on site"
    assert run_json("visit", "list", "--household", "8-2-301")[0]["issue"] == issue["id"]
    card = run("issue", "show", issue["id"], lang="en").stdout
    assert f"opened on visit #{visit['id']}" in card
    one_line(run("visit", "log", "8-2-301", "--by", "杜丽娟", "--open-issue", "--category", "报修", lang="en"), 4,
             "--outcome needs_help")
    one_line(run("visit", "log", "8-2-301", "--by", "杜丽娟", "--outcome", "needs_help", "--need", "x", "--open-issue",
                 lang="en"), 4, "--category")
    assert len(run_json("issue", "list", "--status", "all")) == 1, "a refused visit opened nothing"
