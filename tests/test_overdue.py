"""`redprop overdue`: the morning list at fixed moments, against expectations computed by hand.

The scene, 2026-11-16 (5341, round the clock), minutes late as of 10:00 in brackets:
  U normal 07:00 → 刘磊; nobody on site; resolved 10:30 (typed in later)
      at 10:00: on site due 07:05 (175 late) and resolved due 07:30 (150 late)
  P normal 08:00 → 刘磊; on site 08:04; resolution due 08:30 (90 late)
  Q major 09:00, unassigned; on site due 09:05 (55 late); resolution due 13:00
  R normal 09:45 → 郭涛; on site 09:48; resolution due 10:15: due soon (15 left)
  T complex 11-15 10:30 → 姜红华; on site 10:33; plan due 11-16 10:30: due soon (30 left)
  S normal 08:30 → 郭涛; on site 08:33, resolved 08:50: nothing to say
  V normal 10:30: not reported yet at 10:00
"""

import json

import pytest
from conftest import built_once

AT = "2026-11-16 10:00"


def local(text: str) -> str:
    return text.replace(" ", "T") + ":00+08:00"


@pytest.fixture
@built_once
def scene(db, run, run_json):
    for args in (
        ("household", "add", "8-2-301", "--head", "熊秀英", "--grid", "G18"),
        ("household", "add", "3-1-201", "--head", "王建国", "--grid", "G05"),
        ("staff", "add", "刘磊", "--role", "网格员", "--covers", "G18"),
        ("staff", "add", "郭涛", "--role", "物业人员"),
        ("staff", "add", "姜红华", "--role", "治安调解员", "--covers", "3"),
    ):
        assert run(*args).exit_code == 0

    def issue(title, at, tier="normal", to=None, household="8-2-301", place=None):
        args = ["issue", "open", "--title", title, "--tier", tier, "--at", at, "--kind", "problem", "--category", "报修",
                "--channel", "热线"]
        args += ["--place", place, "--building", "3"] if place else ["--household", household]
        args += ["--to", to] if to else []
        return run_json(*args)["id"]

    ids = {
        "U": issue("楼道灯坏了", "2026-11-16 07:00", to="刘磊"),
        "P": issue("水管漏水", "2026-11-16 08:00", to="刘磊"),
        "Q": issue("消防通道被占", "2026-11-16 09:00", "major", place="3栋门口"),
        "R": issue("门禁坏了", "2026-11-16 09:45", to="郭涛", household="3-1-201"),
        "T": issue("楼前种树纠纷", "2026-11-15 10:30", "complex", to="姜红华", household="3-1-201"),
        "S": issue("下水道堵塞", "2026-11-16 08:30", to="郭涛"),
        "V": issue("犬只吠叫", "2026-11-16 10:30"),
    }
    for name, at in (("P", "08:04"), ("R", "09:48"), ("S", "08:33")):
        run_json("issue", "arrive", ids[name], "--at", f"2026-11-16 {at}")
    run_json("issue", "arrive", ids["T"], "--at", "2026-11-15 10:33")
    run_json("issue", "resolve", ids["S"], "--at", "2026-11-16 08:50")
    run_json("issue", "resolve", ids["U"], "--at", "2026-11-16 10:30")
    return ids


def test_overdue_json_at_a_fixed_moment(scene, run_json):
    report = run_json("overdue", "--at", AT)
    assert list(report) == ["issues", "due_soon", "follow_ups", "visits", "summary"]
    late = [(i["id"], i["promise"], i["due_at"], i["late_minutes"], i["handler"], i["missed"]) for i in report["issues"]]
    assert late == [
        (scene["U"], "arrive", local("2026-11-16 07:05"), 175, "刘磊", ["arrive", "resolve"]),
        (scene["P"], "resolve", local("2026-11-16 08:30"), 90, "刘磊", ["resolve"]),
        (scene["Q"], "arrive", local("2026-11-16 09:05"), 55, None, ["arrive"]),
    ]
    assert report["issues"][0]["title"] == "楼道灯坏了" and report["issues"][0]["late"] == "2h 55m"
    assert report["issues"][2]["place"] == "3栋门口" and report["issues"][2]["area_staff"] == ["姜红华"]
    soon = [(i["id"], i["promise"], i["due_at"], i["late_minutes"]) for i in report["due_soon"]]
    assert soon == [(scene["R"], "resolve", local("2026-11-16 10:15"), -15),
                    (scene["T"], "plan", local("2026-11-16 10:30"), -30)]
    assert report["visits"] == []
    summary = report["summary"]
    assert summary["at"] == local(AT) and summary["community"] == "测试小区"
    assert (summary["overdue"], summary["due_soon"], summary["visits"], summary["unassigned"]) == (3, 2, 0, 1)
    assert summary["overdue_by_promise"] == {"arrive": 2, "resolve": 2, "plan": 0}


def test_a_moment_before_steps_typed_in_later(scene, run_json):
    # Q's arrival at 09:30 is typed in only now: as things stood at 10:00 it had happened...
    run_json("issue", "arrive", scene["Q"], "--at", "2026-11-16 09:30")
    assert [i["id"] for i in run_json("overdue", "--at", AT)["issues"]] == [scene["U"], scene["P"]]
    # ...but not yet at 09:20
    at_0920 = run_json("overdue", "--at", "2026-11-16 09:20")["issues"]
    assert [(i["id"], i["late_minutes"]) for i in at_0920] == [(scene["U"], 135), (scene["P"], 50), (scene["Q"], 15)]
    # U's resolution (10:30) came after 10:00, whenever it was typed: listed at 10:00, gone at 10:40
    assert scene["U"] not in [i["id"] for i in run_json("overdue", "--at", "2026-11-16 10:40")["issues"]]
    # before anything was reported there is nothing; V does not exist at 10:00
    empty = run_json("overdue", "--at", "2026-11-15 10:00")
    assert empty["issues"] == [] and empty["due_soon"] == []
    assert scene["V"] not in [i["id"] for i in run_json("overdue", "--at", AT)["due_soon"]]


def test_due_soon_window(scene, run_json):
    wide = run_json("overdue", "--at", AT, "--soon", "4h")
    assert [i["id"] for i in wide["due_soon"]] == [scene["R"], scene["T"]], "Q's 13:00 is an issue already late"
    narrow = run_json("overdue", "--at", AT, "--soon", "20m")
    assert [i["id"] for i in narrow["due_soon"]] == [scene["R"]]


def test_piped_plain_text_grouped_by_handler(scene, run):
    result = run("overdue", "--at", AT)
    assert result.exit_code == 0
    text = result.stdout
    assert "\x1b[" not in text, "no colour in a pipe"
    lines = text.splitlines()
    assert lines[0] == "测试小区 超时清单 · 2026-11-16 10:00"
    start = lines.index("== 超时未办 (3) ==")
    assert lines[start + 1].split() == ["处理人", "编号", "承诺", "期限", "超时", "地点", "标题", "等级", "状态", "片区人员"]
    # 刘磊's part first (the latest issue is his), his name on its first row; then the unassigned one
    # with the staff covering that area
    assert lines[start + 3].split() == ["刘磊", "#1", "到场+", "2026-11-16", "07:05", "2小时55分", "8-2-301", "楼道灯坏了", "一般", "已派单"]
    assert lines[start + 4].split() == ["#2", "解决", "2026-11-16", "08:30", "1小时30分", "8-2-301", "水管漏水", "一般", "已到场"]
    assert lines[start + 5] == ""
    assert lines[start + 6].split() == ["未派单", "#3", "到场", "2026-11-16", "09:05", "55分钟", "3栋门口", "消防通道被占", "重大", "待派单", "姜红华"]
    assert lines[start + 7] == "+ 还有其他承诺也已超时（表中列出最早到期的一项）", "what 到场+ means"
    soon = lines.index("== 1小时 内到期 (2) ==")
    assert lines[soon + 3].split()[:3] == ["郭涛", "#4", "解决"] and lines[soon + 5].split()[:3] == ["姜红华", "#5", "书面方案"]
    assert lines[-1] == "合计：超时 3 件（其中未按时到场 2 件、未按时解决 2 件；未派单 1 件），即将到期 2 件，待走访 0 户（升级 0）"
    english = run("--lang", "en", "overdue", "--at", AT).stdout
    assert "Unassigned" in english and "+ another promise of the issue is overdue too" in english
    assert english.splitlines()[-1] == (
        "Summary: 3 overdue (of these, 2 not on site in time, 2 not resolved in time; 1 unassigned),"
        " 2 due soon, 0 visits due (0 escalated)")


def test_everyone_covering_a_place_or_a_household_is_named(scene, run):
    for name, role in (("周建军", "楼栋长"), ("李梅", "网格员"), ("陈刚", "网格员")):
        assert run("staff", "add", name, "--role", role, "--covers", "3").exit_code == 0
    assert run("group", "join", "3-1-201", "独居老人", "--since", "2026-11-01").exit_code == 0
    lines = run("overdue", "--at", AT).stdout.splitlines()
    unassigned = next(line for line in lines if line.startswith("未派单"))
    assert unassigned.endswith("待派单  李梅, 陈刚, 周建军, 姜红华"), "every area staff member, not the first two"
    visits = lines.index("== 待走访 (1) ==")
    assert lines[visits + 1].split()[-1] == "全部责任人"
    household = lines[visits + 3]
    assert household.startswith("李梅 ") and household.endswith("李梅, 陈刚, 周建军"), "the building leader sees 3-1-201 too"


def test_the_due_soon_window_is_shown_as_a_duration(scene, run):
    text = run("overdue", "--at", AT, "--soon", "1d").stdout
    assert "== 1天 内到期 (2) ==" in text
    assert "== Due within 1h 30m (2) ==" in run("--lang", "en", "overdue", "--at", AT, "--soon", "90m").stdout


def test_table_on_a_terminal(scene, run, monkeypatch):
    """(tests/test_terminal.py runs the real thing, under a pseudo-terminal)"""
    from redprop.present.output import Output

    monkeypatch.setattr(Output, "terminal", True)
    monkeypatch.setenv("COLUMNS", "200")
    text = run("overdue", "--at", AT).stdout
    assert "┏" in text or "━" in text, "a Rich table on a terminal"
    assert "刘磊" in text and "楼道灯坏了" in text and "合计" in text


def test_csv_has_one_row_per_line_of_the_report(scene, run):
    lines = run("overdue", "--at", AT, "--format", "csv").stdout.splitlines()
    assert lines[0].startswith("community,community_code,section,id,title,promise,due_at,late_minutes,handler,"), "the JSON fields"
    assert [line.split(",")[2] for line in lines[1:]] == ["overdue", "overdue", "overdue", "due_soon", "due_soon"]


def test_check_exit_codes(scene, run):
    assert run("overdue", "--at", AT, "--check").exit_code == 1
    assert run("overdue", "--at", AT).exit_code == 0, "without --check the report alone"
    calm = run("overdue", "--at", "2026-11-16 07:02", "--check")
    assert calm.exit_code == 0, "only due soon at 07:02"
    assert "即将到期 1 件" in calm.stdout


def test_visits_due_are_part_of_the_report(scene, run, run_json):
    assert run("group", "join", "3-1-201", "独居老人", "--since", "2026-11-01").exit_code == 0
    report = run_json("overdue", "--at", AT)
    assert [v["household"] for v in report["visits"]] == ["3-1-201"]
    assert report["summary"]["visits"] == 1
    assert run("overdue", "--at", "2026-11-16 07:02", "--check").exit_code == 1, "a household not seen is overdue too"
    text = run("overdue", "--at", AT).stdout
    assert "== 待走访 (1) ==" in text and "3-1-201" in text and "王建国" in text and "姜红华" not in text.split("待走访")[1]
    assert run("visit", "log", "3-1-201", "--by", "姜红华", "--at", "2026-11-16 08:00", "--outcome", "well").exit_code == 0
    assert run_json("overdue", "--at", AT)["visits"] == []


def test_resolved_late_is_not_listed_but_counted(scene, run_json):
    report = run_json("overdue", "--at", "2026-11-16 10:40")
    assert scene["U"] not in [i["id"] for i in report["issues"]]
    [total] = run_json("stats", "--at", "2026-11-16 10:40", "--from", "2026-11-16", "--to", "2026-11-16")
    assert total["resolve_missed"] >= 1


def test_overdue_on_an_empty_database(db, run):
    result = run("overdue", "--check", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"]["overdue"] == 0
    for soon in ("soon", "99999999d"):
        bad = run("overdue", "--soon", soon)
        assert bad.exit_code == 4 and bad.stderr.startswith("redprop: --soon") and bad.stderr.count("\n") == 1


def test_a_past_moment_finds_issues_resolved_soon_after_and_long_after(db, run, run_json):
    """Open at a moment = reported by then and resolved after it: found through the week after the
    moment, or through the few issues that stayed open longer than a week."""
    assert run("household", "add", "8-2-301").exit_code == 0
    ids = {}
    for name, reported, resolved in (("week", "2026-11-01 09:00", "2026-11-04 09:00"),
                                     ("month", "2026-10-01 09:00", "2026-11-12 09:00"),
                                     ("early", "2026-11-01 08:00", "2026-11-01 08:20")):
        ids[name] = run_json("issue", "open", "--kind", "problem", "--category", "repair", "--channel", "hotline",
                             "--household", "8-2-301", "--title", name, "--at", reported)["id"]
        run_json("issue", "resolve", ids[name], "--at", resolved)
    late = {i["id"]: i["late_minutes"] for i in run_json("overdue", "--at", "2026-11-03 09:00")["issues"]}
    assert late == {ids["week"]: 2 * 1440 - 5, ids["month"]: 33 * 1440 - 5}, "nobody on site since 09:05"
    assert [i["id"] for i in run_json("overdue", "--at", "2026-11-10 09:00")["issues"]] == [ids["month"]]
    assert run_json("overdue", "--at", "2026-11-13 09:00")["issues"] == []
    listed = [r["id"] for r in run_json("issue", "list", "--at", "2026-11-03 09:00")]
    assert listed == [ids["week"], ids["month"]]
