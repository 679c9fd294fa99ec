"""Working-time deadlines: expectations computed by hand from the 08:30-12:00 / 14:00-18:00 day.

Facts from chinese_calendar 1.11.0 that the cases rely on (checked with is_workday /
get_holiday_detail), as migration m007 carries them into every database: the schedules here
count by that calendar (`RELEASED`), not by whichever chinesecalendar is installed:
- 2026-02-14 Sat is a make-up workday; 2026-02-15 Sun .. 2026-02-23 Mon are Spring Festival
  holidays; 2026-02-24 Tue is a workday.
- 2026-09-20 Sun is a make-up workday (National Day); 2026-09-25 Fri .. 09-27 Sun are
  Mid-autumn holidays; 09-28 .. 09-30 (Mon-Wed) are workdays.
- 2026-10-01 Thu .. 10-07 Wed are National Day holidays; 10-08 Thu and 10-09 Fri are
  workdays; 10-10 Sat is a make-up workday; 10-11 Sun is an ordinary day off.
- November 2026 has no official arrangement: Mon 11-16 .. Fri 11-20 work, Sat 11-21 and
  Sun 11-22 rest.
- That calendar has no data for 2027, so 2027 is provisional: its
  statutory holidays only (Fri 2027-01-01 元旦 rests; 春节 2027-02-05 除夕 .. 02-08 初三), no
  bridge days, no make-up working days; ordinary days follow the weekend rule.
"""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from redprop.policy.worktime import (
    NEVER,
    WorkSchedule,
    add_working_time,
    calendar_covers,
    is_workday,
    working_time_between,
)

SH = ZoneInfo("Asia/Shanghai")


def released_calendar():
    """The holiday calendar a database is made with: the years migration m007 carries (what
    chinesecalendar 1.11.0 knew, 2004-2026), whatever chinesecalendar is installed today."""
    import sqlite3

    from redprop.policy.holidays import load_calendar
    from redprop.store.migrations import migrate

    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(conn)
        return load_calendar(conn)
    finally:
        conn.close()


RELEASED = released_calendar()
OFFICE = WorkSchedule(tz=SH, calendar=RELEASED)
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
NO_WORKDAYS = WorkSchedule(tz=SH, calendar=RELEASED, use_chinese_calendar=False, weekend=frozenset(range(7)))


def at(month_day: str, clock: str, year: int = 2026) -> datetime:
    """'11-20', '17:00' → 2026-11-20 17:00 in Shanghai."""
    month, day = map(int, month_day.split("-"))
    hour, minute = map(int, clock.split(":"))
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def utc(month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=timezone.utc)


def d(text: str) -> date:
    return date.fromisoformat(text)


ADD_CASES = [
    # (id, start, duration, schedule, pauses, expected deadline)
    ("inside morning", at("11-17", "09:00"), 30 * MIN, OFFICE, (), at("11-17", "09:30")),
    ("crosses lunch: 10 min + 20 min", at("11-17", "11:50"), 30 * MIN, OFFICE, (), at("11-17", "14:20")),
    ("ends exactly at lunch, not at 14:00", at("11-17", "11:30"), 30 * MIN, OFFICE, (), at("11-17", "12:00")),
    ("ends exactly at closing", at("11-17", "17:00"), HOUR, OFFICE, (), at("11-17", "18:00")),
    ("start at 12:00 counts from 14:00", at("11-17", "12:00"), 30 * MIN, OFFICE, (), at("11-17", "14:30")),
    ("start during lunch", at("11-17", "12:30"), 30 * MIN, OFFICE, (), at("11-17", "14:30")),
    ("start before opening", at("11-17", "07:00"), 30 * MIN, OFFICE, (), at("11-17", "09:00")),
    ("across a night: 30 min + 30 min", at("11-18", "17:30"), HOUR, OFFICE, (), at("11-19", "09:00")),
    ("Friday 17:00 + 4h: 1h Fri, 3h Mon", at("11-20", "17:00"), 4 * HOUR, OFFICE, (), at("11-23", "11:30")),
    ("start on Saturday counts from Monday", at("11-21", "10:00"), HOUR, OFFICE, (), at("11-23", "09:30")),
    # 24h of working time = 3 days x 7.5h (Mon-Wed) + 1.5h Thursday
    ("one day of working time", at("11-16", "08:30"), timedelta(days=1), OFFICE, (), at("11-19", "10:00")),
    ("zero duration is the start, even at night", at("11-17", "20:00"), timedelta(0), OFFICE, (), at("11-17", "20:00")),
    # official calendar
    ("National Day skipped: 1h 9-30, 1h 10-08", at("09-30", "17:00"), 2 * HOUR, OFFICE, (), at("10-08", "09:30")),
    ("Mid-autumn skipped: 1h 9-24, 1h 9-28", at("09-24", "17:00"), 2 * HOUR, OFFICE, (), at("09-28", "09:30")),
    ("Spring Festival skipped: 30m 2-14, 30m 2-24", at("02-14", "17:30"), HOUR, OFFICE, (), at("02-24", "09:00")),
    ("make-up Saturday 10-10 counts", at("10-09", "17:30"), HOUR, OFFICE, (), at("10-10", "09:00")),
    ("make-up Saturday 2-14 counts", at("02-13", "17:30"), HOUR, OFFICE, (), at("02-14", "09:00")),
    ("make-up Sunday 9-20 counts", at("09-18", "17:00"), 2 * HOUR, OFFICE, (), at("09-20", "09:30")),
    (
        "without the official calendar 10-01 is a plain Thursday",
        at("09-30", "17:00"), 2 * HOUR, WorkSchedule(tz=SH, calendar=RELEASED, use_chinese_calendar=False), (), at("10-01", "09:30"),
    ),
    # community overrides
    (
        "extra holiday on Monday 11-23",
        at("11-20", "17:00"), 4 * HOUR, WorkSchedule(tz=SH, calendar=RELEASED, extra_holidays=frozenset({d("2026-11-23")})), (),
        at("11-24", "11:30"),
    ),
    (
        "extra workday on Saturday 11-21",
        at("11-20", "17:00"), 4 * HOUR, WorkSchedule(tz=SH, calendar=RELEASED, extra_workdays=frozenset({d("2026-11-21")})), (),
        at("11-21", "11:30"),
    ),
    (
        "extra workday beats the official holiday 10-01",
        at("09-30", "17:00"), 2 * HOUR, WorkSchedule(tz=SH, calendar=RELEASED, extra_workdays=frozenset({d("2026-10-01")})), (),
        at("10-01", "09:30"),
    ),
    (
        "extra holiday beats the make-up Saturday 10-10 (10-11 Sun rests too)",
        at("10-09", "17:30"), HOUR, WorkSchedule(tz=SH, calendar=RELEASED, extra_holidays=frozenset({d("2026-10-10")})), (),
        at("10-12", "09:00"),
    ),
    (
        "Sunday-only weekend: ordinary Saturday 10-17 works",
        at("10-16", "17:30"), HOUR, WorkSchedule(tz=SH, calendar=RELEASED, weekend=frozenset({6})), (), at("10-17", "09:00"),
    ),
    (
        "Sunday-only weekend: official holidays still rest",
        at("09-30", "17:00"), 2 * HOUR, WorkSchedule(tz=SH, calendar=RELEASED, weekend=frozenset({6})), (), at("10-08", "09:30"),
    ),
    # 2027 is not covered: provisional, New Year's Day (a Friday) rests by law, then the weekend
    ("into uncovered 2027: 1h 12-31, 1h 2027-01-04", at("12-31", "17:00"), 2 * HOUR, OFFICE, (),
     at("01-04", "09:30", 2027)),
    ("provisional Spring Festival 2027: Thu 02-04 17:00 + 2h → Tue 02-09", at("02-04", "17:00", 2027), 2 * HOUR,
     OFFICE, (), at("02-09", "09:30", 2027)),
    ("provisional 2028: 元旦 a Saturday, no bridge: Fri 12-31 17:00 + 2h → Mon 2028-01-03",
     at("12-31", "17:00", 2027), 2 * HOUR, OFFICE, (), at("01-03", "09:30", 2028)),
    ("2027 weekend rule: Fri 17:00 + 2h → Mon", at("01-08", "17:00", 2027), 2 * HOUR, OFFICE, (),
     at("01-11", "09:30", 2027)),
    # round the clock
    ("round the clock: 5 minutes over midnight", at("11-20", "23:58"), 5 * MIN, None, (), at("11-21", "00:03")),
    ("round the clock: 1 day through a holiday", at("09-30", "17:00"), timedelta(days=1), None, (),
     at("10-01", "17:00")),
    # pauses
    ("pause 09:10-09:40 shifts by 30 min", at("11-17", "09:00"), HOUR,
     OFFICE, ((at("11-17", "09:10"), at("11-17", "09:40")),), at("11-17", "10:30")),
    # counted 11:00-11:30, paused 11:30-12:00 and 14:00-14:30, then 1.5h from 14:30
    ("pause over lunch shifts by paused working time only", at("11-17", "11:00"), 2 * HOUR,
     OFFICE, ((at("11-17", "11:30"), at("11-17", "14:30")),), at("11-17", "16:00")),
    ("overlapping pauses merge, in any order", at("11-17", "09:00"), HOUR,
     OFFICE, ((at("11-17", "09:20"), at("11-17", "09:40")), (at("11-17", "09:10"), at("11-17", "09:30"))),
     at("11-17", "10:30")),
    ("a pause inside another changes nothing", at("11-17", "09:00"), HOUR,
     OFFICE, ((at("11-17", "09:10"), at("11-17", "09:40")), (at("11-17", "09:15"), at("11-17", "09:20"))),
     at("11-17", "10:30")),
    ("a zero-length pause changes nothing", at("11-17", "09:00"), HOUR,
     OFFICE, ((at("11-17", "09:10"), at("11-17", "09:10")),), at("11-17", "10:00")),
    ("pause begun before start", at("11-17", "09:00"), 30 * MIN,
     OFFICE, ((at("11-17", "08:00"), at("11-17", "09:15")),), at("11-17", "09:45")),
    ("pause given in UTC (01:10-01:40Z = 09:10-09:40)", at("11-17", "09:00"), HOUR,
     OFFICE, ((utc(11, 17, 1, 10), utc(11, 17, 1, 40)),),
     at("11-17", "10:30")),
    ("pause over the weekend and Monday morning", at("11-20", "17:00"), 2 * HOUR,
     OFFICE, ((at("11-20", "17:30"), at("11-23", "12:00")),), at("11-23", "15:30")),
    ("round the clock with a pause", at("11-17", "10:00"), HOUR,
     None, ((at("11-17", "10:15"), at("11-17", "10:45")),), at("11-17", "11:30")),
    ("open pause stops the clock", at("11-17", "09:00"), HOUR, OFFICE, ((at("11-17", "09:30"), None),), NEVER),
    ("open pause from before the start", at("11-17", "09:00"), HOUR, OFFICE, ((at("11-16", "15:00"), None),), NEVER),
    ("open pause round the clock", at("11-17", "09:00"), HOUR, None, ((at("11-17", "09:30"), None),), NEVER),
    ("open pause after the deadline does not matter", at("11-17", "09:00"), HOUR,
     OFFICE, ((at("11-17", "10:30"), None),), at("11-17", "10:00")),
    ("open pause starting exactly at the deadline", at("11-17", "09:00"), HOUR,
     OFFICE, ((at("11-17", "10:00"), None),), at("11-17", "10:00")),
]


@pytest.mark.parametrize(
    "start, duration, schedule, pauses, expected", [case[1:] for case in ADD_CASES], ids=[case[0] for case in ADD_CASES]
)
def test_add_working_time(start, duration, schedule, pauses, expected):
    deadline = add_working_time(start, duration, schedule, pauses)
    assert deadline == expected
    if deadline is not NEVER:
        assert deadline.tzinfo is start.tzinfo


@pytest.mark.parametrize(
    "start, duration, schedule, pauses, expected",
    [case[1:] for case in ADD_CASES if case[5] is not NEVER],
    ids=[case[0] for case in ADD_CASES if case[5] is not NEVER],
)
def test_time_up_to_the_deadline_is_the_duration(start, duration, schedule, pauses, expected):
    """The two functions agree: counting from start to the deadline gives back the duration."""
    assert working_time_between(start, expected, schedule, pauses) == duration


def test_start_in_utc_gives_the_same_instant_in_utc():
    start = utc(11, 20, 9, 0)  # Friday 17:00 in Shanghai
    deadline = add_working_time(start, 4 * HOUR, OFFICE)
    assert deadline == at("11-23", "11:30")
    assert deadline.tzinfo is timezone.utc
    assert (deadline.hour, deadline.minute) == (3, 30)


BERLIN = ZoneInfo("Europe/Berlin")
BERLIN_ALL_DAY = WorkSchedule(
    tz=BERLIN, hours=((time(0, 0), time(0, 0)),), use_chinese_calendar=False, weekend=frozenset()
)


def test_round_the_clock_is_exact_across_a_dst_change():
    """Berlin skips 02:00-03:00 on 2026-03-29: two real hours after 01:00 is 04:00 local."""
    deadline = add_working_time(datetime(2026, 3, 29, 1, 0, tzinfo=BERLIN), 2 * HOUR, None)
    assert deadline == datetime(2026, 3, 29, 4, 0, tzinfo=BERLIN)


def test_working_hours_are_real_hours_across_a_dst_change():
    """The all-day period of 2026-03-29 in Berlin lasts 23 real hours."""
    day_start = datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN)
    assert working_time_between(day_start, day_start + timedelta(days=2), BERLIN_ALL_DAY) == 47 * HOUR
    assert add_working_time(day_start, 23 * HOUR, BERLIN_ALL_DAY) == datetime(2026, 3, 30, 0, 0, tzinfo=BERLIN)


BETWEEN_CASES = [
    # (id, start, end, schedule, pauses, expected)
    ("over a weekend: 1h Fri + 1h Mon", at("11-20", "17:00"), at("11-23", "09:30"), OFFICE, (), 2 * HOUR),
    ("a plain week: 5 x 7.5h", at("11-16", "00:00"), at("11-23", "00:00"), OFFICE, (), 37.5 * HOUR),
    # workdays 9-28, 9-29, 9-30, 10-08, 10-09, 10-10 (make-up Saturday)
    ("National Day fortnight: 6 x 7.5h", at("09-28", "00:00"), at("10-12", "00:00"), OFFICE, (), 45 * HOUR),
    ("evening to morning is zero", at("11-17", "18:00"), at("11-18", "08:30"), OFFICE, (), timedelta(0)),
    ("end before start is zero", at("11-17", "10:00"), at("11-17", "09:00"), OFFICE, (), timedelta(0)),
    ("with a pause", at("11-17", "09:00"), at("11-17", "10:00"),
     OFFICE, ((at("11-17", "09:10"), at("11-17", "09:40")),), 30 * MIN),
    ("weekend with a pause: 30m Fri + 30m Mon", at("11-20", "17:00"), at("11-23", "09:30"),
     OFFICE, ((at("11-20", "17:30"), at("11-23", "09:00")),), HOUR),
    ("open pause counts nothing after it", at("11-17", "09:00"), at("11-18", "12:00"),
     OFFICE, ((at("11-17", "10:00"), None),), HOUR),
    ("round the clock: 2 days", at("11-20", "10:00"), at("11-22", "10:00"), None, (), 48 * HOUR),
    ("round the clock with an open pause", at("11-17", "10:00"), at("11-17", "12:00"),
     None, ((at("11-17", "11:00"), None),), HOUR),
    ("no workdays at all: zero, without walking on", at("11-16", "00:00"), at("11-23", "00:00"),
     NO_WORKDAYS, (), timedelta(0)),
    ("end given in UTC (02:00Z = 10:00)", at("11-17", "09:00"), utc(11, 17, 2, 0),
     OFFICE, (), HOUR),
]


@pytest.mark.parametrize(
    "start, end, schedule, pauses, expected",
    [case[1:] for case in BETWEEN_CASES],
    ids=[case[0] for case in BETWEEN_CASES],
)
def test_working_time_between(start, end, schedule, pauses, expected):
    assert working_time_between(start, end, schedule, pauses) == expected


@pytest.mark.parametrize(
    "schedule, day, expected",
    [
        (OFFICE, d("2026-11-20"), True),  # ordinary Friday
        (OFFICE, d("2026-11-21"), False),  # ordinary Saturday
        (OFFICE, d("2026-10-05"), False),  # National Day, a Monday
        (OFFICE, d("2026-10-10"), True),  # make-up Saturday
        (OFFICE, d("2026-09-20"), True),  # make-up Sunday
        (OFFICE, d("2026-02-16"), False),  # Spring Festival, a Monday
        (OFFICE, d("2027-01-01"), False),  # uncovered year: 元旦 by law
        (OFFICE, d("2027-01-02"), False),  # uncovered year: a Saturday
        (OFFICE, d("2027-01-04"), True),  # uncovered year: no bridge day guessed
        (OFFICE, d("2027-10-04"), True),  # uncovered year: 国庆 is 1-3 October by law
        (OFFICE, d("2027-09-15"), False),  # uncovered year: 中秋 (lunar 8-15)
        (WorkSchedule(tz=SH, calendar=RELEASED, use_chinese_calendar=False), d("2026-10-05"), True),
        (WorkSchedule(tz=SH, calendar=RELEASED, use_chinese_calendar=False), d("2026-10-10"), False),
        (WorkSchedule(tz=SH, calendar=RELEASED, extra_workdays=frozenset({d("2026-10-05")})), d("2026-10-05"), True),
        (WorkSchedule(tz=SH, calendar=RELEASED, extra_holidays=frozenset({d("2026-11-20")})), d("2026-11-20"), False),
        (WorkSchedule(tz=SH, calendar=RELEASED, weekend=frozenset({6})), d("2026-11-21"), True),  # Saturday, Sunday-only weekend
        (WorkSchedule(tz=SH, calendar=RELEASED, weekend=frozenset({6})), d("2026-10-03"), False),  # Saturday in National Day
    ],
)
def test_is_workday(schedule, day, expected):
    assert is_workday(schedule, day) is expected


@pytest.mark.parametrize(
    "day, expected",
    [(d("2026-12-31"), True), (d("2004-01-01"), True), (d("2027-01-01"), False), (d("2003-12-31"), False)],
)
def test_calendar_covers(day, expected):
    assert calendar_covers(day, OFFICE) is expected


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: add_working_time(datetime(2026, 11, 17, 9, 0), HOUR, OFFICE), id="naive start"),
        pytest.param(lambda: add_working_time(at("11-17", "09:00"), -MIN, OFFICE), id="negative duration"),
        pytest.param(lambda: add_working_time(at("11-17", "09:00"), HOUR, NO_WORKDAYS), id="never a workday"),
        pytest.param(
            lambda: working_time_between(at("11-17", "09:00"), at("11-17", "09:00") + timedelta(days=4 * 365), OFFICE),
            id="span over 3 years",
        ),
        pytest.param(
            lambda: add_working_time(
                at("11-17", "09:00"), HOUR, OFFICE, ((at("11-17", "10:00"), at("11-17", "09:00")),)
            ),
            id="pause ending before it starts",
        ),
        pytest.param(
            lambda: working_time_between(at("11-17", "09:00"), datetime(2026, 11, 17, 10, 0), OFFICE), id="naive end"
        ),
        pytest.param(lambda: WorkSchedule(tz=SH, calendar=RELEASED, hours=()), id="no hours"),
        pytest.param(lambda: WorkSchedule(tz=SH, calendar=RELEASED, hours=((time(14), time(12)),)), id="period ends before it starts"),
        pytest.param(
            lambda: WorkSchedule(tz=SH, calendar=RELEASED, hours=((time(8), time(12)), (time(11), time(18)))), id="overlapping periods"
        ),
        pytest.param(
            lambda: WorkSchedule(
                tz=SH, extra_holidays=frozenset({d("2026-11-20")}), extra_workdays=frozenset({d("2026-11-20")})
            ),
            id="day both extra holiday and workday",
        ),
    ],
)
def test_rejects(call):
    with pytest.raises(ValueError):
        call()


def test_period_ending_at_midnight_runs_to_the_end_of_the_day():
    evening = WorkSchedule(tz=SH, calendar=RELEASED, hours=((time(20, 0), time(0, 0)),))
    # Friday 23:00 + 2h: 1h to midnight, then Monday 20:00 + 1h
    assert add_working_time(at("11-20", "23:00"), 2 * HOUR, evening) == at("11-23", "21:00")


def test_provisional_years_are_the_statutory_holidays_of_the_law():
    """2027 and 2028 as the law fixes them (lunar and solar-term dates from the `holidays`
    package), without bridge days or make-up days: what a year not loaded is counted on."""
    from redprop.policy.holidays import provisional_days

    assert provisional_days(2027) == {
        d("2027-01-01"): "元旦",
        d("2027-02-05"): "春节", d("2027-02-06"): "春节", d("2027-02-07"): "春节", d("2027-02-08"): "春节",
        d("2027-04-05"): "清明节", d("2027-05-01"): "劳动节", d("2027-05-02"): "劳动节", d("2027-06-09"): "端午节",
        d("2027-09-15"): "中秋节",
        d("2027-10-01"): "国庆节", d("2027-10-02"): "国庆节", d("2027-10-03"): "国庆节",
    }
    days_2028 = provisional_days(2028)
    assert [day.isoformat() for day in days_2028] == [
        "2028-01-01", "2028-01-25", "2028-01-26", "2028-01-27", "2028-01-28", "2028-04-04", "2028-05-01",
        "2028-05-02", "2028-05-28", "2028-10-01", "2028-10-02", "2028-10-03"]
    assert days_2028[d("2028-10-03")] == "中秋节、国庆节", "中秋 falls on 国庆 in 2028: one day, both names"
    assert calendar_covers(d("2026-06-01"), OFFICE) and not calendar_covers(d("2028-06-01"), OFFICE)
