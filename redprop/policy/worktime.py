"""Deadlines that count only working time, as help-desk SLA engines do.

A community may promise "solved within 4 hours" meaning 4 hours of office time: working
hours on working days, where working days follow China's public holidays and 调休 make-up
days (a `HolidayCalendar`: the database's, see `policy.holidays`; the chinesecalendar
package's when none is given), plus the community's own overrides. The clock also stops
while an issue waits (for the resident, for parts): those pauses do not count.

All instants must be timezone-aware; arithmetic is done in UTC so that zones with daylight
saving time stay exact. Nothing here reads the clock.

Boundaries: periods and pauses are half-open [from, to). A deadline that uses up the
duration exactly at the end of a period is that end (11:30 + 30 min → 12:00, not 14:00);
a start outside working hours or inside a pause counts from the next counted instant.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from redprop.errors import InvalidSetting

NEVER = None  # add_working_time's answer when an open pause stops the clock for good
_MIDNIGHT = time(0, 0)
_MAX_WALK = timedelta(days=3 * 366)  # a walk this long means the schedule never works
_ONE_DAY = timedelta(days=1)

Span = tuple[datetime, datetime | None]  # UTC [from, to); to None = without end


@dataclass(frozen=True)
class WorkSchedule:
    """When the office's clock runs. An `hours` end of 00:00 means midnight at the day's end."""

    tz: ZoneInfo
    hours: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(18, 0)))
    use_chinese_calendar: bool = True  # official holidays and 调休 make-up days
    calendar: object = None  # HolidayCalendar; None: the chinesecalendar package's (with provisional years)
    extra_holidays: frozenset[date] = frozenset()  # the community's own days off
    extra_workdays: frozenset[date] = frozenset()  # the community's own make-up days
    weekend: frozenset[int] = frozenset({5, 6})  # date.weekday() values

    def __post_init__(self):
        if not self.hours:
            raise InvalidSetting("a schedule needs at least one working period")
        previous_end = timedelta(0)
        for opens, closes in self.hours:
            period_start, period_end = _since_midnight(opens), _since_midnight(closes) or _ONE_DAY
            if period_start < previous_end or period_end <= period_start:
                raise InvalidSetting("working hours must be ascending, non-empty, non-overlapping periods")
            previous_end = period_end
        both = self.extra_holidays & self.extra_workdays
        if both:
            raise InvalidSetting("days both extra holidays and extra workdays: {days}", days=[str(d) for d in sorted(both)])


def holiday_calendar(schedule: WorkSchedule):
    """The schedule's holiday calendar (the chinesecalendar package's when it names none)."""
    if schedule.calendar is not None:
        return schedule.calendar
    from redprop.policy.holidays import package_calendar

    return package_calendar()


def calendar_covers(day: date, schedule: WorkSchedule | None = None) -> bool:
    """Whether the calendar has the official arrangement for that day's year (not provisional)."""
    from redprop.policy.holidays import package_calendar

    calendar = holiday_calendar(schedule) if schedule is not None else package_calendar()
    return calendar.known(day.year)


def is_workday(schedule: WorkSchedule, day: date) -> bool:
    """Community overrides first, then official holidays and 调休 days, then the weekly rest days.

    The official calendar only decides days it names (a holiday or a make-up day); ordinary
    days follow `schedule.weekend`, so a community resting only on Sundays still works on
    ordinary Saturdays. A year whose arrangement is not loaded names its statutory holidays
    only (provisional: no bridge days, no make-up days).
    """
    if day in schedule.extra_workdays:
        return True
    if day in schedule.extra_holidays:
        return False
    if schedule.use_chinese_calendar:
        named = holiday_calendar(schedule).named(day)
        if named is not None:
            return not named
    return day.weekday() not in schedule.weekend


def provisional_years(schedule: WorkSchedule | None, start: datetime, end: datetime | None) -> list[int]:
    """The years not loaded in the calendar that a deadline counted from `start` to `end`
    crossed: the deadline is provisional when this is not empty. Round the clock, or without
    the public-holiday calendar, no deadline depends on it."""
    if schedule is None or not schedule.use_chinese_calendar or end is None:
        return []
    first, last = start.astimezone(schedule.tz).date(), end.astimezone(schedule.tz).date()
    return holiday_calendar(schedule).unknown_years(first, max(first, last))


def add_working_time(
    start: datetime,
    duration: timedelta,
    schedule: WorkSchedule | None,
    pauses: tuple[tuple[datetime, datetime | None], ...] = (),
) -> datetime | None:
    """The instant when `duration` of counted time has elapsed after `start`, in start's zone.

    `schedule` None counts round the clock. Returns NEVER (None) when an open pause (end
    None) stops the clock before the duration is used up.
    """
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    begin = _utc(start, "start")
    if not duration:
        return start
    remaining = duration
    for opens, closes in _counted(begin, schedule, pauses):
        if closes is None or closes - opens >= remaining:
            return (opens + remaining).astimezone(start.tzinfo)
        remaining -= closes - opens
    return NEVER


def add_working_days(start: datetime, days: int, schedule: WorkSchedule) -> datetime:
    """The same time of day on the `days`-th working day after the day of `start` (an order due
    in 3个工作日, dispatched Friday 10:00, is due Wednesday 10:00), in start's zone. A start on a
    day off counts as made at the start of working hours on the next working day (dispatched
    Sunday 10:00: Monday at the first period's opening, so due Thursday at that opening).
    Working days are the schedule's: holidays and 调休 as loaded, the community's own days."""
    if days < 0:
        raise ValueError("days must not be negative")
    _utc(start, "start")
    tz = schedule.tz
    local = start.astimezone(tz)
    day, clock = local.date(), local.timetz().replace(tzinfo=None)
    limit = day + _MAX_WALK
    if not is_workday(schedule, day):
        day = _next_workday(schedule, day, limit)
        clock = schedule.hours[0][0]
    for _ in range(days):
        day = _next_workday(schedule, day, limit)
    return _instant(day, clock, tz).astimezone(start.tzinfo)


def _next_workday(schedule: WorkSchedule, day: date, limit: date) -> date:
    day += _ONE_DAY
    while not is_workday(schedule, day):
        if day > limit:
            raise InvalidSetting("walked over 3 years of calendar: check the schedule")
        day += _ONE_DAY
    return day


def working_time_between(
    start: datetime,
    end: datetime,
    schedule: WorkSchedule | None,
    pauses: tuple[tuple[datetime, datetime | None], ...] = (),
) -> timedelta:
    """Counted time in [start, end): zero if end <= start; pauses and off-hours excluded."""
    begin, finish = _utc(start, "start"), _utc(end, "end")
    total = timedelta(0)
    for opens, closes in _counted(begin, schedule, pauses, until=finish):
        if opens >= finish:
            break
        total += (finish if closes is None else min(closes, finish)) - opens
    return total


def _utc(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")
    return moment.astimezone(timezone.utc)


def _sorted_pauses(pauses: tuple[tuple[datetime, datetime | None], ...]) -> list[Span]:
    """Pauses in UTC by start; _counted skips past overlaps, so they need no merging."""
    spans = []
    for paused, resumed in pauses:
        paused = _utc(paused, "pause start")
        if resumed is not None:
            resumed = _utc(resumed, "pause end")
            if resumed < paused:
                raise ValueError(f"pause ends before it starts: {paused} .. {resumed}")
        spans.append((paused, resumed))
    return sorted(spans, key=lambda span: span[0])


def _working_periods(begin: datetime, schedule: WorkSchedule | None, until: datetime | None) -> Iterator[Span]:
    """Working periods from `begin` on, day by day up to the day of `until` if given.

    Raises ValueError once the walk passes 3 years: the schedule (nearly) never works.
    """
    if schedule is None:
        yield begin, None
        return
    limit = begin + _MAX_WALK
    day = begin.astimezone(schedule.tz).date()
    while True:
        day_start = _instant(day, _MIDNIGHT, schedule.tz)
        if until is not None and day_start >= until:
            return
        if day_start > limit:
            raise InvalidSetting("walked over 3 years of calendar: check the schedule")
        if is_workday(schedule, day):
            for opens, closes in schedule.hours:
                period_start = _instant(day, opens, schedule.tz)
                period_end = _instant(day + _ONE_DAY if closes == _MIDNIGHT else day, closes, schedule.tz)
                if period_end > begin:
                    yield max(period_start, begin), period_end
        day += _ONE_DAY


def _counted(
    begin: datetime, schedule: WorkSchedule | None, pauses, until: datetime | None = None
) -> Iterator[Span]:
    """Working periods from `begin` with the pauses cut out; stops at an open pause."""
    pending = _sorted_pauses(pauses)
    index = 0
    for opens, closes in _working_periods(begin, schedule, until):
        while index < len(pending) and pending[index][1] is not None and pending[index][1] <= opens:
            index += 1
        cursor = opens
        while True:
            if index == len(pending) or (closes is not None and pending[index][0] >= closes):
                yield cursor, closes
                break
            paused, resumed = pending[index]
            if paused > cursor:
                yield cursor, paused
            if resumed is None:
                return
            cursor = max(cursor, resumed)  # a pause inside an earlier one changes nothing
            if closes is not None and cursor >= closes:
                break
            index += 1


def _instant(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz).astimezone(timezone.utc)


def _since_midnight(clock: time) -> timedelta:
    return timedelta(hours=clock.hour, minutes=clock.minute, seconds=clock.second, microseconds=clock.microsecond)
