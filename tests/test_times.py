"""Issue 19, items 4 and 5: times as people say them, and the hour from 1 to 6 that needs its half of the day.

The table reads from a fixed `now`: Monday 2026-12-07 10:00 in Shanghai (weeks start on Monday,
so 上周五 is Friday 12-04 and 本周二 is tomorrow, 12-08), or Monday 2027-01-04 for the turn of the year.
"""

import subprocess
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from redprop.errors import InvalidValue
from redprop.parsing import parse_date, parse_instant, read_instant
from conftest import built_once, now

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=SH)
NEW_YEAR = datetime(2027, 1, 4, 10, 0, tzinfo=SH)
LEAP = datetime(2027, 3, 1, 10, 0, tzinfo=SH)

READ = [  # (typed, now, the local day and time read — a day alone when the time of day is not said)
    # an hour from 1 to 6 with its half of the day, or a leading zero, or an hour that cannot be at night
    ("03:40", MONDAY, "2026-12-07 03:40"), ("15:40", MONDAY, "2026-12-07 15:40"), ("凌晨3点40", MONDAY, "2026-12-07 03:40"),
    ("下午3点40", MONDAY, "2026-12-07 15:40"), ("3:40 pm", MONDAY, "2026-12-07 15:40"), ("7点", MONDAY, "2026-12-07 07:00"),
    ("0:30", MONDAY, "2026-12-07 00:30"), ("夜里3点", MONDAY, "2026-12-07 03:00"), ("夜里11点", MONDAY, "2026-12-07 23:00"), ("早上6点", MONDAY, "2026-12-07 06:00"), ("2026-12-02T03:40", MONDAY, "2026-12-02 03:40"),
    # Chinese numerals
    ("下午三点", MONDAY, "2026-12-07 15:00"), ("晚上七点半", MONDAY, "2026-12-07 19:30"), ("十点一刻", MONDAY, "2026-12-07 10:15"),
    ("十点三刻", MONDAY, "2026-12-07 10:45"), ("下午两点", MONDAY, "2026-12-07 14:00"), ("十二点", MONDAY, "2026-12-07 12:00"),
    ("九点零五", MONDAY, "2026-12-07 09:05"), ("二十三点", MONDAY, "2026-12-07 23:00"), ("八点钟", MONDAY, "2026-12-07 08:00"),
    ("十二月四日", MONDAY, "2026-12-04"), ("二〇二六年十二月四日 上午十点", MONDAY, "2026-12-04 10:00"),
    # weekdays: the most recent, today included; 上周, 本周, 上上周 count from this week's Monday
    ("周五", MONDAY, "2026-12-04"), ("星期五", MONDAY, "2026-12-04"), ("礼拜五", MONDAY, "2026-12-04"),
    ("周一", MONDAY, "2026-12-07"), ("周二", MONDAY, "2026-12-01"), ("星期天", MONDAY, "2026-12-06"),
    ("上周五", MONDAY, "2026-12-04"), ("上周一", MONDAY, "2026-11-30"), ("上个星期六", MONDAY, "2026-12-05"),
    ("本周二", MONDAY, "2026-12-08"), ("上上周三", MONDAY, "2026-11-25"), ("周五下午3点", MONDAY, "2026-12-04 15:00"),
    ("上周二下午三点", MONDAY, "2026-12-01 15:00"), ("上周五 10:00", MONDAY, "2026-12-04 10:00"),
    ("周五", NEW_YEAR, "2027-01-01"), ("上周三", NEW_YEAR, "2026-12-30"),
    # dates with dots and slashes; without the year, the most recent such day
    ("12.4", MONDAY, "2026-12-04"), ("12/4", MONDAY, "2026-12-04"), ("2026.12.4", MONDAY, "2026-12-04"),
    ("2026/12/4", MONDAY, "2026-12-04"), ("12.4 15:00", MONDAY, "2026-12-04 15:00"), ("12/4 15:00", MONDAY, "2026-12-04 15:00"),
    ("12.7", MONDAY, "2026-12-07"), ("12月8日", MONDAY, "2025-12-08"), ("12月28日 下午3点", NEW_YEAR, "2026-12-28 15:00"),
    ("2月29日", LEAP, "2024-02-29"),
    # the evening a day word carries; N天前 is a day
    ("昨晚8点", MONDAY, "2026-12-06 20:00"), ("今早7点半", MONDAY, "2026-12-07 07:30"), ("昨晚", MONDAY, "2026-12-06"),
    ("3天前", MONDAY, "2026-12-04"), ("三天前", MONDAY, "2026-12-04"), ("3 days ago", MONDAY, "2026-12-04"),
    ("2周前", MONDAY, "2026-11-23"), ("3天前 9:30", MONDAY, "2026-12-04 09:30"), ("2h ago", MONDAY, "2026-12-07 08:00"),
]


@pytest.mark.parametrize("typed, now, expected", READ, ids=[case[0] for case in READ])
def test_a_time_as_people_say_it(typed, now, expected):
    moment, with_time = read_instant(typed, now=now, tz=SH)
    assert moment.tzinfo is not None
    assert (moment.strftime("%Y-%m-%d %H:%M") if with_time else moment.date().isoformat()) == expected
    assert with_time or moment.time().isoformat() == "00:00:00"


REFUSED = [  # (typed, words of the one-line refusal)
    ("3点40", "Is 3点40 03:40 at night or 15:40 in the afternoon? Write 下午3点40 or 15:40"),
    ("3:40", "Is 3:40 03:40 at night or 15:40 in the afternoon? Write 下午3:40 or 15:40"),
    ("三点半", "Is 三点半 03:30 at night or 15:30 in the afternoon? Write 下午三点半 or 15:30"),
    ("两点", "02:00 at night or 14:00"), ("6点", "06:00 at night or 18:00"), ("1点", "01:00 at night or 13:00"),
    ("12月2日 3点40", "Write 12月2日 下午3点40 or 12月2日 15:40"), ("上周五 3点", "Write 上周五 下午3点 or 上周五 15:00"),
    ("Nov 20 2026 3:40", "Write Nov 20 2026 3:40 PM or Nov 20 2026 15:40"),
    ("昨晚3点", "晚上 does not go with 3"), ("十二月三十二日", "not a real date"), ("2月30日", "not a real date"),
    ("上周五 下午", "expected a time like '上周五 9:30'"), ("周八", "not a time redprop understands"),
    ("99999999 days ago", "not a real date"),
]


@pytest.mark.parametrize("typed, words", REFUSED, ids=[case[0] for case in REFUSED])
def test_what_is_refused_says_why(typed, words):
    with pytest.raises(InvalidValue) as refused:
        read_instant(typed, now=MONDAY, tz=SH)
    assert words in str(refused.value)


def test_a_file_written_on_a_24_hour_clock_is_read_as_written():
    assert parse_instant("2026/11/20 3:40", now=MONDAY, tz=SH, relative=False, clock24=True) == datetime(
        2026, 11, 20, 3, 40, tzinfo=SH)
    with pytest.raises(InvalidValue, match="relative to today"):
        parse_instant("上周五 10:00", now=MONDAY, tz=SH, relative=False, clock24=True)


def test_a_day_said_without_its_time_is_refused_for_an_event_with_the_form_to_type():
    with pytest.raises(InvalidValue, match=r"'3天前 9:30'"):
        parse_instant("3天前", now=MONDAY, tz=SH, bare_date="refuse")
    assert parse_instant("3天前", now=MONDAY, tz=SH, bare_date="end") == datetime(2026, 12, 4, 23, 59, 59, tzinfo=SH)


@pytest.mark.parametrize("typed, expected, ahead", [
    ("上周五", date(2026, 12, 4), False), ("3天前", date(2026, 12, 4), False), ("12.25", date(2025, 12, 25), False),
    ("周五", date(2026, 12, 11), True), ("周一", date(2026, 12, 7), True), ("12月4日", date(2027, 12, 4), True),
    ("12.25", date(2026, 12, 25), True), ("下周一", date(2026, 12, 14), False),
])
def test_a_date_is_the_most_recent_one_or_for_what_is_planned_the_next(typed, expected, ahead):
    assert parse_date(typed, today=MONDAY.date(), ahead=ahead) == expected


def test_the_time_patterns_are_compiled_only_when_a_time_is_read():
    code = ("import redprop.parsing as p, redprop.households, redprop.cli; before = p._grammar.cache_info().currsize; "
            "p.clean_phone('138 1234 0015'); p.normalize_key('8-2-301'); print(before, p._grammar.cache_info().currsize)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() == ["0", "0"]


# ---------------------------------------------------------------------------------------
# through the CLI


@pytest.fixture
@built_once
def estate(db, run):
    for args in (
        ("household", "add", "8-2-301", "--head", "熊秀英", "--grid", "G18"),
        ("staff", "add", "王建国", "--role", "楼栋长", "--covers", "8"),
    ):
        assert run(*args).exit_code == 0
    return db


def _days_around(shift):
    """The day `shift(today)` names, read before and after the command (a test may cross midnight)."""
    return lambda: shift(now().astimezone(SH).date())


def test_a_visit_last_friday_afternoon(estate, run, run_json):
    last_friday = _days_around(lambda today: today - timedelta(days=today.weekday() + 3))
    before = last_friday()
    visit = run_json("visit", "log", "8-2-301", "--by", "王建国", "--at", "上周五下午3点", "--outcome", "平安")
    assert visit["at"] in {f"{day.isoformat()}T15:00:00+08:00" for day in (before, last_friday())}
    assert visit["time_known"] is True


def test_an_hour_from_1_to_6_without_its_half_of_the_day_is_refused_in_both_languages(estate, run, run_json):
    opening = ("issue", "open", "--kind", "problem", "--category", "报修", "--channel", "热线", "--household", "8-2-301",
               "--title", "楼道灯坏了", "--at", "3点40")
    chinese = run(*opening)
    assert chinese.exit_code == 4 and chinese.stdout == ""
    assert chinese.stderr == "redprop: --at：3点40 是凌晨 03:40 还是下午 15:40？请写 下午3点40 或 15:40\n"
    english = run(*opening, lang="en")
    assert english.exit_code == 4
    assert english.stderr == "redprop: --at: Is 3点40 03:40 at night or 15:40 in the afternoon? Write 下午3点40 or 15:40\n"
    assert run_json("issue", "list", "--status", "all") == [], "nothing written"
    assert run_json(*opening[:-1], "03:40")["reported_at"].endswith("T03:40:00+08:00"), "a leading zero is taken as written"


def test_a_visit_three_days_ago_has_its_time_unknown(estate, run, run_json):
    three_days_ago = _days_around(lambda today: today - timedelta(days=3))
    before = three_days_ago()
    visit = run_json("visit", "log", "8-2-301", "--by", "王建国", "--at", "3天前", "--outcome", "平安")
    assert visit["time_known"] is False
    assert visit["at"] in {f"{day.isoformat()}T23:59:59+08:00" for day in (before, three_days_ago())}
    listed = run("visit", "list", "--household", "8-2-301").stdout
    assert visit["at"][:10] in listed and "23:59" not in listed, "shown as the date only"
    refused = run("issue", "open", "--kind", "problem", "--category", "报修", "--channel", "热线", "--household",
                  "8-2-301", "--title", "灯坏", "--at", "3天前", lang="en")
    assert refused.exit_code == 4 and "a day without the time" in refused.stderr and "'3天前 9:30'" in refused.stderr


def test_the_chinese_help_of_at_gives_chinese_examples(db, run):
    shown = run("visit", "log", "--help").stdout
    assert "上周五下午3点" in shown and "yesterday" not in shown and "ago" not in shown
