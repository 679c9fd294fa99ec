"""The promise as policy: 5341 by default, changed by a community, working hours, paused clocks.

Deadlines are computed by hand. Calendar facts used (chinese_calendar 1.11, as in
test_worktime.py): 2026-09-30 Wed is a workday; 10-01 Thu .. 10-07 Wed are National Day
holidays; 10-08 Thu and 10-09 Fri are workdays; 10-10 Sat is a 调休 make-up workday;
November 2026 has no official arrangement (Mon 11-16 .. Fri 11-20 work, 11-21/22 rest).
"""

import json

import pytest

from redprop.policy.terms import DEFAULT_POLICY, Duration, parse_duration
from conftest import built_once

OFFICE_HOURS = "08:30-12:00,14:00-18:00"


@pytest.fixture
@built_once
def office(db, run):
    """A community with one household, a place-less public area and two staff."""
    for args in (
        ("household", "add", "8-2-301", "--head", "熊秀英", "--grid", "G18"),
        ("staff", "add", "刘磊", "--role", "网格员", "--covers", "G18"),
        ("staff", "add", "郭涛", "--role", "物业人员"),
    ):
        assert run(*args).exit_code == 0
    return db


def open_issue(run_json, at, tier="normal", **extra):
    args = ["issue", "open", "--kind", "problem", "--category", "报修", "--channel", "热线", "--household", "8-2-301",
            "--title", "水管漏水", "--tier", tier, "--at", at]
    for key, value in extra.items():
        args += [f"--{key}", value]
    return run_json(*args)


def deadlines(record) -> dict:
    return {d["promise"]: d["due_at"] for d in record["deadlines"]}


def local(text: str) -> str:
    """'2026-11-16 09:05' → the ISO form JSON carries."""
    return text.replace(" ", "T") + ":00+08:00"


# ---------------------------------------------------------------------------------------
# pure: durations


@pytest.mark.parametrize("typed, expected", [
    ("5m", Duration(0, 5)), ("30 min", Duration(0, 30)), ("4h", Duration(0, 240)), ("1h30m", Duration(0, 90)),
    ("1.5h", Duration(0, 90)), ("1d", Duration(1, 0)), ("5分钟", Duration(0, 5)), ("4小时", Duration(0, 240)),
    ("1天", Duration(1, 0)), ("45", Duration(0, 45)), ("2d4h", Duration(2, 240)),
])
def test_durations_as_people_write_them(typed, expected):
    assert parse_duration(typed) == expected


@pytest.mark.parametrize("typed", ["abc", "0m", "", "5x", "0.5d", "m5", "0.5m"])
def test_durations_refused(typed):
    with pytest.raises(ValueError):
        parse_duration(typed)


def test_a_day_is_a_working_day_under_working_hours():
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from redprop.policy.terms import parse_hours
    from redprop.policy.worktime import WorkSchedule

    schedule = WorkSchedule(tz=ZoneInfo("Asia/Shanghai"), hours=parse_hours(OFFICE_HOURS))
    assert Duration(1, 0).span(schedule) == timedelta(hours=7, minutes=30)
    assert Duration(1, 0).span(None) == timedelta(days=1)
    assert Duration(2, 30).span(schedule) == timedelta(hours=15, minutes=30)


def test_the_migrations_seed_the_same_5341_as_the_code():
    from redprop.store.migrations import FOLLOW_UP, POLICY_5341, WISH_PROMISE

    assert {**json.loads(POLICY_5341), "wish": WISH_PROMISE, "follow_up": FOLLOW_UP} == DEFAULT_POLICY


# ---------------------------------------------------------------------------------------
# 5341 and a changed policy, through the CLI


def test_shipped_policy_is_5341(office, run, run_json):
    policy = run_json("policy", "show")
    assert policy["name"] == "5341"
    assert policy["normal"] == {"arrive": "5m", "resolve": "30m", "plan": None}
    assert policy["major"] == {"arrive": "5m", "resolve": "4h", "plan": None}
    assert policy["complex"] == {"arrive": "5m", "resolve": None, "plan": "1d"}
    assert policy["hours"] is None and policy["pause_statuses"] == []
    text = run("policy", "show").stdout
    assert "5341" in text and "30分钟" in text and "全天候" in text and "30m" not in text, "said in Chinese; JSON keeps 30m"


@pytest.mark.parametrize("tier, expected", [
    ("normal", {"arrive": "2026-11-16 09:05", "resolve": "2026-11-16 09:30"}),
    ("major", {"arrive": "2026-11-16 09:05", "resolve": "2026-11-16 13:00"}),
    ("complex", {"arrive": "2026-11-16 09:05", "plan": "2026-11-17 09:00"}),
])
def test_each_tier_under_5341(office, run_json, tier, expected):
    record = open_issue(run_json, "2026-11-16 09:00", tier)
    assert deadlines(record) == {k: local(v) for k, v in expected.items()}


def test_5341_counts_round_the_clock(office, run_json):
    record = open_issue(run_json, "2026-11-21 23:58", "normal")  # a Saturday night
    assert deadlines(record) == {"arrive": local("2026-11-22 00:03"), "resolve": local("2026-11-22 00:28")}


@pytest.mark.parametrize("tier, expected", [
    ("normal", {"arrive": "2026-11-16 09:05", "resolve": "2026-11-16 10:00"}),
    ("major", {"arrive": "2026-11-16 09:10", "resolve": "2026-11-16 17:00"}),
    ("complex", {"arrive": "2026-11-16 09:05", "resolve": "2026-11-21 09:00", "plan": "2026-11-18 09:00"}),
])
def test_each_tier_under_a_changed_policy(office, run, run_json, tier, expected):
    result = run("policy", "set", "--resolve", "normal=1h", "--resolve", "major=8h", "--resolve", "complex=5d",
                 "--arrive", "major=10m", "--plan", "complex=2d", "--from", "2026-11-01 00:00")
    assert result.exit_code == 0, result.output
    record = open_issue(run_json, "2026-11-16 09:00", tier)
    assert deadlines(record) == {k: local(v) for k, v in expected.items()}


def test_a_promise_applying_to_every_tier_and_one_removed(office, run, run_json):
    assert run("policy", "set", "--arrive", "15m", "--resolve", "normal=none", "--from", "2026-11-01").exit_code == 0
    policy = run_json("policy", "show")
    assert [policy[t]["arrive"] for t in ("normal", "major", "complex")] == ["15m", "15m", "15m"]
    assert policy["normal"]["resolve"] is None and policy["name"] == "custom"
    assert deadlines(open_issue(run_json, "2026-11-16 09:00")) == {"arrive": local("2026-11-16 09:15")}


def test_a_later_policy_does_not_rewrite_the_past(office, run, run_json):
    before = open_issue(run_json, "2026-11-16 09:00")
    assert run("policy", "set", "--resolve", "normal=2h", "--from", "2026-11-16 12:00").exit_code == 0
    assert deadlines(run_json("issue", "show", before["id"]))["resolve"] == local("2026-11-16 09:30")
    after = open_issue(run_json, "2026-11-16 13:00")
    assert deadlines(after)["resolve"] == local("2026-11-16 15:00")
    # typed in now but reported before the change: the promise in force when it was reported
    backdated = open_issue(run_json, "2026-11-16 11:00")
    assert deadlines(backdated)["resolve"] == local("2026-11-16 11:30")
    history = run_json("policy", "show", "--history")
    assert [p["normal"]["resolve"] for p in history] == ["30m", "2h"]
    assert run_json("policy", "show", "--at", "2026-11-16 11:59")["version"] == 1


def test_a_change_of_tier_recomputes_from_the_report_under_the_issues_policy(office, run, run_json):
    record = open_issue(run_json, "2026-11-16 09:00")
    assert run("policy", "set", "--resolve", "major=8h", "--from", "2026-11-16 09:10").exit_code == 0
    edited = run_json("issue", "edit", record["id"], "--tier", "major", "--at", "2026-11-16 09:20")
    assert edited["tier"] == "major"
    # the 5341 in force at 09:00 still rules this issue: major = 4 hours from the report
    assert deadlines(edited) == {"arrive": local("2026-11-16 09:05"), "resolve": local("2026-11-16 13:00")}
    before = run_json("issue", "show", record["id"], "--at", "2026-11-16 09:15")
    assert before["tier"] == "normal" and deadlines(before)["resolve"] == local("2026-11-16 09:30")


# ---------------------------------------------------------------------------------------
# working hours, holidays and 调休


@pytest.fixture
@built_once
def office_hours(office, run):
    result = run("policy", "set", "--hours", OFFICE_HOURS, "--from", "2026-01-01 00:00")
    assert result.exit_code == 0, result.output
    return office


@pytest.mark.parametrize("reported, tier, expected", [
    # across a night: 10 min Tuesday evening, 20 min Wednesday morning
    ("2026-11-17 17:50", "normal", {"arrive": "2026-11-17 17:55", "resolve": "2026-11-18 08:50"}),
    # across a weekend: 15 min Friday, 3h30 Monday morning, 15 min after lunch
    ("2026-11-20 17:45", "major", {"arrive": "2026-11-20 17:50", "resolve": "2026-11-23 14:15"}),
    # reported on a Saturday: counts from Monday 08:30
    ("2026-11-21 10:00", "normal", {"arrive": "2026-11-23 08:35", "resolve": "2026-11-23 09:00"}),
    # National Day: 15 min on 09-30, then nothing until Thursday 10-08
    ("2026-09-30 17:45", "normal", {"arrive": "2026-09-30 17:50", "resolve": "2026-10-08 08:45"}),
    # the make-up Saturday 10-10 is a working day
    ("2026-10-09 17:45", "normal", {"arrive": "2026-10-09 17:50", "resolve": "2026-10-10 08:45"}),
    # a plan within 1 day = one working day (7.5 h): the same time the next working day
    ("2026-11-16 10:00", "complex", {"arrive": "2026-11-16 10:05", "plan": "2026-11-17 10:00"}),
    # a report during lunch counts from 14:00
    ("2026-11-16 12:30", "normal", {"arrive": "2026-11-16 14:05", "resolve": "2026-11-16 14:30"}),
])
def test_working_hours(office_hours, run_json, reported, tier, expected):
    assert deadlines(open_issue(run_json, reported, tier)) == {k: local(v) for k, v in expected.items()}


def test_without_the_official_calendar_national_day_is_worked(office_hours, run, run_json):
    assert run("policy", "set", "--no-chinese-calendar", "--from", "2026-09-01").exit_code == 0
    record = open_issue(run_json, "2026-09-30 17:45")
    assert deadlines(record)["resolve"] == local("2026-10-01 08:45")


def test_the_communitys_own_holidays_and_workdays(office_hours, run, run_json):
    assert run("policy", "set", "--holidays", "2026-11-23", "--workdays", "2026-11-21", "--from", "2026-11-01").exit_code == 0
    record = open_issue(run_json, "2026-11-20 17:45")  # Saturday 11-21 worked, Monday 11-23 off
    assert deadlines(record)["resolve"] == local("2026-11-21 08:45")
    policy = run_json("policy", "show")
    assert policy["holidays"] == ["2026-11-23"] and policy["workdays"] == ["2026-11-21"]


# ---------------------------------------------------------------------------------------
# the paused clock


def test_a_pause_status_stops_the_clock(office, run, run_json):
    assert run("policy", "set", "--pause", "等待配件", "--from", "2026-11-01").exit_code == 0
    issue = open_issue(run_json, "2026-11-16 09:00", to="郭涛")["id"]
    run_json("issue", "arrive", issue, "--at", "2026-11-16 09:03")
    waiting = run_json("issue", "wait", issue, "--for", "parts", "--at", "2026-11-16 09:10")
    assert waiting["status"] == "waiting_parts"
    paused = run_json("issue", "show", issue, "--at", "2026-11-16 10:00")
    resolve = next(d for d in paused["deadlines"] if d["promise"] == "resolve")
    assert resolve["state"] == "paused" and resolve["due_at"] is None
    run_json("issue", "resume", issue, "--at", "2026-11-16 10:10")
    # 10 minutes had run when the clock stopped at 09:10; the other 20 count from 10:10
    assert deadlines(run_json("issue", "show", issue))["resolve"] == local("2026-11-16 10:30")
    assert deadlines(run_json("issue", "show", issue, "--at", "2026-11-16 09:05"))["resolve"] == local("2026-11-16 09:30")
    assert run_json("overdue", "--at", "2026-11-16 10:20")["issues"] == []
    late = run_json("overdue", "--at", "2026-11-16 10:40")["issues"]
    assert [(i["id"], i["promise"], i["late_minutes"]) for i in late] == [(issue, "resolve", 10)]


def test_a_wait_the_policy_does_not_name_does_not_stop_the_clock(office, run, run_json):
    assert run("policy", "set", "--pause", "waiting_parts", "--from", "2026-11-01").exit_code == 0
    issue = open_issue(run_json, "2026-11-16 09:00", to="郭涛")["id"]
    run_json("issue", "arrive", issue, "--at", "2026-11-16 09:03")
    run_json("issue", "wait", issue, "--for", "resident", "--at", "2026-11-16 09:10")
    late = run_json("overdue", "--at", "2026-11-16 10:00")["issues"]
    assert [(i["id"], i["late_minutes"], i["status"]) for i in late] == [(issue, 30, "waiting_resident")]


def test_pauses_count_only_working_time(office_hours, run, run_json):
    assert run("policy", "set", "--pause", "waiting_resident", "--from", "2026-11-01").exit_code == 0
    issue = open_issue(run_json, "2026-11-20 17:00", "major", to="郭涛")["id"]  # Friday: 1h Fri + 3h Mon → 11:30
    assert deadlines(run_json("issue", "show", issue))["resolve"] == local("2026-11-23 11:30")
    run_json("issue", "wait", issue, "--for", "resident", "--at", "2026-11-20 17:30")
    run_json("issue", "resume", issue, "--at", "2026-11-23 09:00")
    # paused 17:30 Fri .. 09:00 Mon = 30 min Friday + 30 min Monday of working time
    assert deadlines(run_json("issue", "show", issue))["resolve"] == local("2026-11-23 14:30")


# ---------------------------------------------------------------------------------------
# bad input: one line, exit 4, nothing changed


EVERY_DAY = "mon,tue,wed,thu,fri,sat,sun"


@pytest.mark.parametrize("args, words", [
    (["--resolve", "normal=abc"], "--resolve normal: 'abc' is not a duration"),
    (["--resolve", "urgent=1h"], "unknown tier"),
    (["--hours", "09:00-08:00"], "hours"),
    (["--hours", "9 to 5"], "working hours"),
    (["--weekend", "周八"], "day of the week"),
    (["--pause", "lunch"], "unknown waiting status"),
    (["--holidays", "2026-02-30"], "not a real date"),
    (["--holidays", "2026-11-23", "--workdays", "2026-11-23"], "both"),
    ([], "nothing to change"),
    # promises and schedules under which no deadline can be counted
    (["--arrive", "99999999d"], "--arrive normal: '99999999d' is longer than 90 days"),
    (["--resolve", "major=2161h"], "--resolve major: '2161h' is longer than 90 days"),
    (["--hours", "08:00-18:00", "--plan", "complex=1000d"], "--plan complex: '1000d' is longer than 90 days"),
    (["--hours", "08:00-18:00", "--weekend", EVERY_DAY], "--weekend: every day of the week would be a rest day"),
    (["--hours", "08:00-08:01", "--resolve", "normal=2000h"], "--resolve normal=2000h: too long to count"),
    # an empty value is a slip, not a way to remove a promise
    (["--arrive", ""], "--arrive '' is empty; use 'none' to remove"),
    (["--resolve", "normal="], "--resolve 'normal=' is empty; use 'none' to remove"),
    (["--hours", ""], "--hours is empty; use 'none' to remove"),
    (["--pause", " "], "--pause is empty; use 'none' to remove"),
])
def test_bad_policy_values_are_one_line_errors(office, run, run_json, args, words):
    result = run("policy", "set", *args, lang="en")
    assert result.exit_code == 4
    assert words in result.stderr and result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert len(run_json("policy", "show", "--history")) == 1


def days_from(first: str, count: int) -> str:
    from datetime import date, timedelta

    start = date.fromisoformat(first)
    return ",".join(str(start + timedelta(days=n)) for n in range(count))


def test_holidays_leaving_no_working_time_are_refused(office, run, run_json):
    result = run("policy", "set", "--hours", OFFICE_HOURS, "--holidays", days_from("2026-01-01", 1200), "--from", "2026-01-01",
                 lang="en")
    assert result.exit_code == 4 and result.stderr.count("\n") == 1
    assert "--holidays/--weekend: no working time at all in the 3 years from 2026-01-01" in result.stderr
    assert len(run_json("policy", "show", "--history")) == 1


@pytest.mark.sqlite_only("edits the database file by hand with sqlite3")
def test_a_promise_that_cannot_be_counted_is_a_one_line_error_when_opening(office, run, run_json, db):
    """The safety net: a policy `policy set` could not foresee (its holidays start after it comes into
    force), or one stored before it checked promises, makes `issue open` refuse in one line."""
    import sqlite3

    later = run("policy", "set", "--hours", OFFICE_HOURS, "--holidays", days_from("2022-01-01", 1461), "--from", "2021-01-01")
    assert later.exit_code == 0, later.output
    assert open_issue(run_json, "2021-06-01 09:00")["id"] == 1, "2021 still has working days"
    result = run("issue", "open", "--kind", "problem", "--category", "报修", "--channel", "热线", "--household", "8-2-301",
                 "--title", "水管漏水", "--at", "2022-06-01 09:00", lang="en")
    assert result.exit_code == 4 and result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert "gives no arrive deadline for a normal issue" in result.stderr and "redprop policy set" in result.stderr

    terms = dict(DEFAULT_POLICY, normal={"arrive": "99999999d", "resolve": "30m", "plan": None})
    with sqlite3.connect(db) as conn:  # as `policy set` stored it before it capped promises at 90 days
        conn.execute("INSERT INTO policies (effective_at, recorded_at, terms, note) VALUES (?, ?, ?, NULL)",
                     ("2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00", json.dumps(terms)))
    result = run("issue", "open", "--kind", "problem", "--category", "报修", "--channel", "热线", "--household", "8-2-301",
                 "--title", "水管漏水", "--at", "2026-11-16 09:00", lang="en")
    assert result.exit_code == 4 and result.stderr.count("\n") == 1 and "out of range" in result.stderr
    assert [i["id"] for i in run_json("issue", "list", "--status", "all")] == [1], "nothing half-written"
