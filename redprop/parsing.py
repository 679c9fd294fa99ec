"""What people type, read the way they write it: times, dates, addresses, phones, counts.

Each function takes the text as typed and returns the stored value or raises InvalidValue
with a reason short enough to follow `row 12, column 电话: `.

Instants are stored as ISO 8601 in UTC (`2026-11-20T01:30:00+00:00`): with one fixed offset
the text sorts and compares in time order, so SQL can filter on it with plain indexes.
Dates (moved in, joined a group) are stored as `YYYY-MM-DD` local dates.

Workers type times after the fact in whatever form their hands know; `parse_instant`
accepts ISO 8601, `2026-11-20 9:30`, `2026/11/20 9:30`, `2026/9/5 9:30` (Excel's Chinese
default), `2026.12.4`, `2026年11月20日 9:30`, `11/20/2026 09:30:00 AM`, `11月30日 15:00`,
`十二月四日`, `11-30 15:00`, `12.4 15:00`, `12/4 15:00`, `today 9:30`, `昨天 14:00`, `前天下午3点`,
`昨晚8点`, `周五`, `上周五 10:00`, `上上周三下午三点`, `2h ago`, `3天前`, a bare `9:30`, `上午9:30`,
`下午3点`, `晚上七点半`, `十点一刻`, `9点半` (today) and `now`. Nothing here reads the clock: `now`
is always passed in.

Two rules make what people say one instant. An hour from 1 to 6 typed without a part of the
day (上午, 下午, 凌晨…) and without a leading zero (`3点40`, `3:40`, `三点半`) is refused with
both readings: a building leader back from an afternoon visit writes `3点40` and means 15:40,
and the tool cannot know (`03:40` and `15:40` are taken as written; a file written by a system
on a 24-hour clock is read as written too). A weekday (`周五`) or a date without its year
(`12.4`) is the most recent such day, today included: things are recorded after they happened
(a planned day, `ahead=True`, is the next one).
"""

import re
import unicodedata
from functools import cache
from datetime import date, datetime, time, timedelta, timezone, tzinfo

from redprop.errors import N_, InvalidValue, Message
from redprop.store.instants import from_db, show_local_iso, to_db  # noqa: F401 (the stored form, handed on)

_RELATIVE_DAY = {  # days before today
    "today": 0, "今天": 0, "今日": 0, "今晚": 0, "今早": 0, "今晨": 0,
    "yesterday": 1, "昨天": 1, "昨日": 1, "昨晚": 1,
    "前天": 2, "前晚": 2,
    "tomorrow": -1, "明天": -1, "明日": -1, "明晚": -1, "明早": -1,
    "后天": -2,
}
_WORD_PERIOD = {"今晚": "晚上", "昨晚": "晚上", "前晚": "晚上", "明晚": "晚上", "今早": "早上", "今晨": "早上", "明早": "早上"}
_NOW = {"now", "现在", "刚才"}
_UNIT_MINUTES = {
    "m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1, "分钟": 1,
    "h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60, "小时": 60, "个小时": 60,
    "d": 1440, "day": 1440, "days": 1440, "天": 1440,
    "w": 10080, "week": 10080, "weeks": 10080, "周": 10080, "个星期": 10080, "个礼拜": 10080,
}
# A time of day as people say it: 9:30, 14:00:05, 09:30 AM, 上午9:30, 下午3点, 晚上八点, 9点30, 9点半, 十点一刻
_PERIODS = {"上午": "am", "早上": "am", "早晨": "am", "清晨": "am", "凌晨": "night", "中午": "noon",
            "下午": "pm", "午后": "pm", "傍晚": "pm", "晚上": "evening", "夜里": "late", "夜间": "late", "半夜": "night"}
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_WEEKDAYS = {**{c: i for i, c in enumerate("一二三四五六")}, "日": 6, "天": 6, **{str(i + 1): i for i in range(7)}}
_WEEK_SHIFT = {None: None, "本": 0, "这": 0, "上": -1, "上上": -2, "下": 1, "下下": 2}
BARE_DATE = ("start", "refuse", "end")  # what a day without a time of day stands for
# The years a date may fall in: those whose public holidays redprop knows (policy.holidays: the
# lunar and solar-term dates of the `holidays` package's China rules run from 1950 to 2100), so
# that every deadline can be counted on its calendar; a year outside is refused where it is typed.
FIRST_YEAR, LAST_YEAR = 1950, 2100


def check_year(year: int, text: str) -> int:
    """The year, if redprop keeps dates in it; otherwise InvalidValue naming the years it keeps."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidValue("{text!r}: redprop keeps dates from {first} to {last}, the years whose public holidays it"
                           " knows", text=text, first=FIRST_YEAR, last=LAST_YEAR)
    return year


class _Grammar:
    """The patterns of days and times, compiled on first use: most commands read no time."""

    def __init__(self):
        num = "(?:\\d{1,2}|[零〇一二两三四五六七八九十]{1,3})"  # 12 or 十二
        words = "|".join(sorted(_RELATIVE_DAY, key=len, reverse=True))
        periods = "|".join(sorted(_PERIODS, key=len, reverse=True))
        # A day as people say it, at the start of what they typed
        self.day = re.compile(
            rf"^(?:(?P<word>{words})"
            r"|(?P<ago>\d+|[零〇一二两三四五六七八九十]{1,3})\s*(?P<unit>天|days?|d|周|个星期|个礼拜|weeks?|w)\s*(?:以前|之前|前|ago)"
            r"|(?P<shift>上上|上|本|这|下下|下)?个?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
            r"|(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)"
            rf"|(?P<cy>\d{{4}}|[零〇一二三四五六七八九]{{4}})年(?P<cm>{num})月(?P<cd>{num})[日号]"
            r"|(?P<um>\d{1,2})/(?P<ud>\d{1,2})/(?P<uy>\d{4})"
            rf"|(?P<nm>{num})月(?P<nd>{num})[日号]"  # the most recent one
            r"|(?P<hm>\d{1,2})[-/.](?P<hd>\d{1,2})(?![\d:：./-]))"  # the most recent one
        )
        self.clock = re.compile(
            rf"^(?P<period>{periods})?\s*"
            r"(?:(?P<h>\d{1,2})[:：](?P<mi>\d{2})(?:[:：](?P<s>\d{2})(?:\.\d+)?)?"
            rf"|(?P<hc>{num})[点时](?:钟|(?P<half>半)|(?P<q>[一二两三123])刻|(?P<mi2>{num})分?|整)?)"
            r"\s*(?P<ampm>[ap]\.?m\.?)?$"
        )
        self.ago = re.compile(  # an exact time ago; whole days and weeks are days (see `_day`)
            r"^(\d+(?:\.\d+)?)\s*(" + "|".join(sorted(_UNIT_MINUTES, key=len, reverse=True)) + r")\s*(?:ago|以前|之前|前)$"
        )
        self.separator = re.compile(r"^[\stT,，]*")


# The module's patterns are kept as text and compiled the first time one is used: compiling
# them all costs every start, and most commands read no address, phone or time.
_compiled = cache(re.compile)


@cache
def _grammar() -> _Grammar:
    return _Grammar()


def _number(text: str) -> int | None:
    """A number as written: `12`, `十二`, `二十三`, `两`, `零五` (minutes), `二〇二六` (a year)."""
    if text.isascii():
        return int(text)
    tens, ten, ones = text.partition("十")
    try:
        if ten:
            if len(tens) > 1 or len(ones) > 1:
                return None
            return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
        return int("".join(str(_CN_DIGITS[char]) for char in text))
    except KeyError:
        return None


def _make_date(year, month, day, text: str) -> date:
    if isinstance(year, (int, str)) and str(year).isdigit():
        check_year(int(year), text)
    try:
        return date(int(year), int(month), int(day))
    except (TypeError, ValueError):
        raise InvalidValue("{text!r} is not a real date", text=text) from None


def _make_time(hour, minute, second, ampm, text: str) -> time:
    hour, minute, second = int(hour), int(minute or 0), int(second or 0)
    if ampm:
        if not 1 <= hour <= 12:
            raise InvalidValue("{text!r}: hour {hour} does not go with {ampm}", text=text, hour=hour, ampm=ampm.upper())
        hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise InvalidValue("{text!r} is not a real time of day", text=text)
    return time(hour, minute, second)


def _period_hour(period: str, hour: int, text: str) -> int:
    """The hour on the 24-hour clock of `hour` said with 上午/下午/晚上…; impossible pairs refused."""
    kind = _PERIODS[period]
    if kind == "am" and hour <= 12:
        return hour
    if kind == "night" and (hour <= 6 or hour == 12):
        return 0 if hour == 12 else hour
    if kind == "noon" and (11 <= hour <= 13 or 1 <= hour <= 2):
        return hour + 12 if hour <= 2 else hour
    if kind == "pm" and 1 <= hour <= 23:
        return hour + 12 if hour < 12 else hour
    if kind == "evening" and (5 <= hour <= 11 or 17 <= hour <= 23):
        return hour + 12 if hour < 12 else hour
    if kind == "late" and (hour <= 5 or hour == 12 or 7 <= hour <= 11 or 19 <= hour <= 23):  # 夜里3点, 夜里11点
        return 0 if hour == 12 else hour + 12 if 7 <= hour <= 11 else hour
    raise InvalidValue("{text!r}: {period} does not go with {hour} o'clock", text=text, period=period, hour=hour)


def _clock(m: re.Match, text: str, before: str = "", day_period: str | None = None, clock24: bool = False) -> time:
    """The time of day of a `_Grammar.clock` match (`before` is the day typed before it, lower-cased);
    `day_period` is the part of the day a day word carries (昨晚)."""
    hour_text = m.group("h") or m.group("hc")
    hour, minute = _number(hour_text), m.group("mi") or m.group("mi2")
    minute = _number(minute) if minute else 30 if m.group("half") else 15 * _number(m.group("q")) if m.group("q") else 0
    if hour is None or minute is None:
        raise InvalidValue("{text!r} is not a real time of day", text=text)
    ampm = (m.group("ampm") or "").replace(".", "") or None
    period = m.group("period") or day_period
    if period:
        if ampm:
            raise InvalidValue("{text!r}: give either {period} or {ampm}, not both", text=text, period=period,
                               ampm=ampm.upper())
        hour = _period_hour(period, hour, text)
    elif not (ampm or clock24) and 1 <= hour <= 6 and hour_text[0] not in "0零〇" and minute <= 59:
        _refuse_either_half(text, hour, minute, before + "下午" + m.string, before + f"{hour + 12:02d}:{minute:02d}")
    return _make_time(hour, minute, m.group("s"), ampm, text)


def _refuse_either_half(text: str, hour: int, minute: int, afternoon: str, clock: str):
    """`3点40`: 03:40 at night, or 15:40 in the afternoon? Both readings, and the two ways to say the likelier."""
    early, late = f"{hour:02d}:{minute:02d}", f"{hour + 12:02d}:{minute:02d}"
    raise InvalidValue("Is {text} {early} at night or {late} in the afternoon? Write {afternoon} or {clock}",
                       text=text.strip(), early=early, late=late, afternoon=afternoon, clock=clock)


def _day(m: re.Match, today: date, text: str, ahead: bool = False, after: date | None = None) -> tuple[date, bool]:
    """(the day named, whether it depends on today: a day word, a weekday, N天前, a date without its year).
    `after`: a bare weekday or a date without its year is the first one on or after that day."""
    g = m.groupdict()
    if g["word"]:
        return today - timedelta(days=_RELATIVE_DAY[g["word"]]), True
    if g["ago"]:
        count = _number(g["ago"])
        weeks = g["unit"] not in ("天", "d", "day", "days")
        try:
            return today - timedelta(days=count * (7 if weeks else 1)), True
        except (TypeError, OverflowError):
            raise InvalidValue("{text!r} is not a real date", text=text) from None
    if g["wd"]:
        if after is not None and _WEEK_SHIFT[g["shift"]] is None:
            return _weekday(_WEEKDAYS[g["wd"]], None, after, True), True
        return _weekday(_WEEKDAYS[g["wd"]], _WEEK_SHIFT[g["shift"]], today, ahead), True
    if g["y"]:
        return _make_date(g["y"], g["m"], g["d"], text), False
    if g["cy"]:
        return _make_date(_number(g["cy"]), _number(g["cm"]), _number(g["cd"]), text), False
    if g["uy"]:
        return _make_date(g["uy"], g["um"], g["ud"], text), False
    month, day = (_number(g["nm"]), _number(g["nd"])) if g["nm"] else (int(g["hm"]), int(g["hd"]))
    if after is not None:
        return _without_year(month, day, after, True, text), True
    return _without_year(month, day, today, ahead, text), True


def _weekday(weekday: int, week: int | None, today: date, ahead: bool) -> date:
    """周五 (the most recent Friday, today included; with `ahead`, the next), 上周五, 本周二, 上上周三.

    Weeks start on Monday."""
    if week is not None:
        return today - timedelta(days=today.weekday()) + timedelta(days=7 * week + weekday)
    if ahead:
        return today + timedelta(days=(weekday - today.weekday()) % 7)
    return today - timedelta(days=(today.weekday() - weekday) % 7)


def _without_year(month, day, today: date, ahead: bool, text: str) -> date:
    """12月4日 is the most recent 4 December, today included (with `ahead`, the next one)."""
    step = 1 if ahead else -1
    for years in range(9):  # 29 February comes back within 8 years
        try:
            candidate = date(today.year + step * years, month, day)
        except (TypeError, ValueError):
            continue
        if (candidate >= today) if ahead else (candidate <= today):
            return candidate
    raise InvalidValue("{text!r} is not a real date", text=text)


def _local(day: date, clock: time, tz: tzinfo, text: str | None = None) -> datetime:
    """That local day and time as an aware instant. In a zone with daylight saving, a time the
    clocks skip (spring forward) or pass twice (fall back) is refused: it names no one instant."""
    moment = datetime.combine(day, clock).replace(tzinfo=tz)
    if text is not None:
        check_local_time(moment, text)
    return moment


def check_local_time(moment: datetime, text: str) -> None:
    """Refuse a local time that does not exist, or exists twice, in its zone."""
    naive = moment.replace(tzinfo=None)
    back = moment.astimezone(timezone.utc).astimezone(moment.tzinfo).replace(tzinfo=None)
    shown = naive.strftime("%Y-%m-%d %H:%M")
    if back != naive:
        raise InvalidValue("{text!r}: {time} does not exist in {zone}: the clocks jump forward that night",
                           text=text, time=shown, zone=str(moment.tzinfo))
    if moment.replace(fold=1).utcoffset() != moment.replace(fold=0).utcoffset():
        raise InvalidValue("{text!r}: {time} happens twice in {zone} (the clocks go back that night);"
                           " give the offset, like {example}", text=text, time=shown, zone=str(moment.tzinfo),
                           example=naive.strftime("%Y-%m-%dT%H:%M") + moment.replace(fold=0).strftime("%z")[:3] + ":00")


_RELATIVE_IN_FILE = N_("{text!r} is relative to today; a file needs the date itself (2026-11-20 9:30)")


def read_instant(text: str, *, now: datetime, tz: tzinfo, relative: bool = True, ahead: bool = False,
                 clock24: bool = False, after: date | None = None) -> tuple[datetime, bool]:
    """(the instant typed, whether it said a time of day); a day alone is its first instant.

    See `parse_instant` for the forms read."""
    raw = text
    text = unicodedata.normalize("NFKC", text).strip()
    lower = text.lower()
    if not text:
        raise InvalidValue("empty time")
    grammar = _grammar()
    ago = grammar.ago.match(lower)
    if lower in _NOW or (ago and not (ago.group(1).isdigit() and _UNIT_MINUTES[ago.group(2)] >= 1440)):
        if not relative:
            raise InvalidValue(_RELATIVE_IN_FILE, text=raw)
        if lower in _NOW:
            return now, True
        minutes = float(ago.group(1)) * _UNIT_MINUTES[ago.group(2)]
        if minutes > (now.year - FIRST_YEAR + 1) * 366 * 1440:  # before the first year (or any calendar's)
            check_year(FIRST_YEAR - 1, raw)
        moment = now - timedelta(minutes=minutes)  # 2h ago: exact
        check_year(moment.astimezone(tz).year, raw)
        return moment, True
    today = now.astimezone(tz).date()
    m = grammar.day.match(lower)
    if m:
        rest = lower[m.end():]
        rest = rest[grammar.separator.match(rest).end():]
        clock = grammar.clock.match(rest) if rest else None
        if not rest or clock:
            day, depends = _day(m, today, raw, ahead, after)
            check_year(day.year, raw)
            if depends and not relative:
                raise InvalidValue(_RELATIVE_IN_FILE, text=raw)
            if not rest:
                return _local(day, time(0, 0), tz, raw), False
            before = lower[: len(lower) - len(rest)]
            return _local(day, _clock(clock, raw, before, _WORD_PERIOD.get(m.group("word")), clock24), tz, raw), True
        if m.group("word") or m.group("wd") or m.group("ago"):
            raise InvalidValue("{text!r}: expected a time like '{word} 9:30' or '{word} 下午3点'", text=raw,
                               word=text[:m.end()])
    else:
        clock = grammar.clock.match(lower)
        if clock:  # a bare 9:34 or 下午3点 is today's
            if not relative:
                raise InvalidValue("{text!r} has no date; a file needs the date itself (2026-11-20 9:30)", text=raw)
            return _local(today, _clock(clock, raw, clock24=clock24), tz, raw), True
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _english_date(text, clock24)
    if parsed is None:
        raise InvalidValue("{text!r} is not a time redprop understands (try 2026-11-20 9:30, 11月30日 15:00,"
                           " 昨天 下午3点, 'yesterday 9:30' or '2h ago')", text=raw)
    with_time = bool(re.search(r"\d[:：]\d|[AaPp]\.?[Mm]", text))
    check_year(parsed.year, raw)
    if parsed.tzinfo:
        return parsed, with_time
    moment = parsed.replace(tzinfo=tz)
    check_local_time(moment, raw)
    return moment, with_time


def parse_instant(text: str, *, now: datetime, tz: tzinfo, relative: bool = True, bare_date: str = "start",
                  ahead: bool = False, clock24: bool = False, after: date | None = None) -> datetime:
    """Read a time as typed; a time without an offset is the community's local time.

    Reads ISO 8601, `2026-11-20 9:30`, `2026/11/20 9:30`, `2026/9/5 9:30` (Excel's Chinese
    default), `2026.12.4`, `2026年11月20日 9:30`, `11/20/2026 09:30:00 AM`; without the year
    (the most recent such day) `11月30日 15:00`, `十二月四日`, `11-30 15:00`, `12.4`, `12/4`; a day
    word (`today`, `昨天`, `前天`, `明天`; `昨晚`, `今早` carry their part of the day); a weekday
    (`周五`, `星期五`, `礼拜天`: the most recent, today included; `本周二`, `上周五`, `上上周三`,
    `下周一`: weeks start on Monday); `3天前`, `2周前` (a day: its time is not said); `2h ago`,
    `30分钟前`, `now`; and a time of day alone (today's) — written `9:30`, `上午9:30`, `下午3:30`,
    `下午3点`, `晚上八点`, `9点30`, `九点半`, `十点一刻`, `9时30分` — after any day form, with or without a
    space (`昨天上午9:30`, `上周五下午三点`). An hour from 1 to 6 needs its part of the day or a leading
    zero (see the module's docstring).

    `relative=False` refuses what depends on the day it is read (`yesterday 9:30`, `11-30 9:30`,
    `2h ago`): in a file they would mean another moment each day the file is imported.
    `bare_date` says what a day without a time of day stands for: its first instant ("start",
    as for a listing's --at), nothing ("refuse": an event needs its time, and the error shows
    the form), or its last second ("end": a visit whose time is not known).
    `ahead` reads a weekday or a date without its year as the next one (a planned meeting);
    `after` as the first one on or after that day (the end of a range, after its start);
    `clock24` reads `3:40` as 03:40, for a file written by a system on a 24-hour clock.
    """
    moment, with_time = read_instant(text, now=now, tz=tz, relative=relative, ahead=ahead, clock24=clock24, after=after)
    if with_time or bare_date == "start":
        return moment
    if bare_date == "refuse":
        example = unicodedata.normalize("NFKC", text).strip()
        raise InvalidValue("{text!r} is a day without the time it happened; give the time too, like '{example} 9:30'",
                           text=text, example=example)
    return end_of_day(moment.date(), tz)


def end_of_day(day: date, tz: tzinfo) -> datetime:
    """The last second of a local day (a visit known only by its date counts from then)."""
    return _local(day + timedelta(days=1), time(0, 0), tz) - timedelta(seconds=1)


def _english_date(text: str, clock24: bool = False) -> datetime | None:
    """Last resort, for what other systems export in English: `20 Nov 2026 9:30`, `Nov 20, 2026 9:30 AM`.

    Only with a four-digit year and a month name, so that dateutil never has to guess which
    number is the day (6/5/2026 is read above, as Excel's month-first US form).
    """
    if not re.search(r"\d{4}", text) or not re.search(r"[A-Za-z]{3}", text):
        return None
    import warnings

    from dateutil import parser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a zone name dateutil does not know ("PST") is refused, not ignored
            parsed = parser.parse(text)
    except (ValueError, OverflowError, Warning):
        return None
    hour = re.search(r"(?<![\d:：])[1-6]([:：]\d\d)", text)
    if hour and not clock24 and not re.search(r"[AaPp]\.?[Mm]", text):
        start, end = hour.span()
        _refuse_either_half(text, parsed.hour, parsed.minute, text[:end] + " PM" + text[end:],
                            text[:start] + f"{parsed.hour + 12}" + text[start + 1:])
    return parsed


def parse_date(text: str, *, today: date, ahead: bool = False, after: date | None = None) -> date:
    """Read a calendar date as typed (2026-11-20, 2026/9/5, 2026年9月5日, 2026.12.4; without its
    year, the most recent one: 11月30日, 11-30, 12.4, 12/4; today, 昨天, 前天, 明天, 周五, 上周五, 3天前).
    `ahead`: a weekday or a date without its year is the next one (the end of a membership);
    `after`: the first one on or after that day (the end of a range: `--from 12-1 --to 12-31`
    typed on 7 December ends this December, not last)."""
    text = unicodedata.normalize("NFKC", text).strip()
    lower = text.lower()
    grammar = _grammar()
    m = grammar.day.match(lower)
    if m:
        rest = lower[m.end():]
        if not rest:
            day = _day(m, today, text, ahead, after)[0]
            check_year(day.year, text)
            return day
        if grammar.clock.match(rest[grammar.separator.match(rest).end():]):
            raise InvalidValue("{text!r}: expected a date without a time", text=text)
    raise InvalidValue("{text!r} is not a date redprop understands (try 2026-11-20, 2026/11/20 or 11月30日)", text=text)


def local_day_start(day: date, tz: tzinfo) -> datetime:
    """The first instant of a local calendar day."""
    return _local(day, time(0, 0), tz)


def show_time(text_or_moment, tz: tzinfo) -> str:
    """A stored instant as a worker reads it: local `2026-11-20 09:30`."""
    if text_or_moment is None:
        return ""
    moment = from_db(text_or_moment) if isinstance(text_or_moment, str) else text_or_moment
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


_WORKING_SPAN = (
    r"(?i)^([0-9]+|[零〇一二两三四五六七八九十]+)\s*(?:个)?\s*(工作日|工作天|working\s*days?|工作时|工作小时|working\s*hours?)$")
_WORKING_WORDS = ("工作日", "工作天", "工作时", "工作小时", "working")


def parse_working_span(text: str) -> tuple[int, str] | None:
    """`3个工作日` → (3, "days"), `24个工作时` → (24, "hours") (also 三个工作日, 3 working days);
    None when the text says no working time at all (a deadline written as a time). A text that
    says working time in a form not understood (`3个工作日x`) is refused, not read as a time."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    m = _compiled(_WORKING_SPAN).match(raw)
    if m is None:
        if any(word in raw.lower() for word in _WORKING_WORDS):
            raise InvalidValue("{text!r} is not a deadline redprop understands (like 3个工作日, 24个工作时 or"
                               " 2026-12-09 17:30)", text=text)
        return None
    count = _number(m.group(1))
    if count is None or not 1 <= count <= 365:
        raise InvalidValue("{text!r}: the number of working days or hours must be from 1 to 365", text=text)
    return count, "days" if m.group(2).lower().replace(" ", "") in ("工作日", "工作天", "workingday", "workingdays") else "hours"


def show_duration(delta: timedelta) -> str:
    """`2d 3h`, `45m`: short enough for a table column and a WeChat message."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


_BUILDING = r"^(?:第)?([0-9A-Za-z]+)\s*(?:栋|幢|号楼|楼|座|号)?$"
_UNIT = r"^(?:第)?([0-9A-Za-z]+)\s*(?:单元|单|门)?$"
_ROOM = r"^([0-9A-Za-z]+)\s*(?:室|号|房)?$"
_PHONE = r"^\+?[0-9][0-9 \-]{2,24}$"
_CHINESE_ADDRESS = (
    r"^(?:第)?([0-9A-Za-z]+)\s*(?:栋|幢|号楼|楼|座)\s*(?:(?:第)?([0-9A-Za-z]+)\s*单元)?\s*([0-9A-Za-z]+)\s*(?:室|号)?$"
)


def _nfkc(text: str | None) -> str:
    """Full-width digits, letters and dashes from a Chinese input method, as plain ones (３栋 → 3栋)."""
    text = text or ""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _part(pattern: str, text: str | None, refusal: str) -> str:
    """The code in `text`, upper-cased; else InvalidValue(refusal), a template naming {text}."""
    text = _nfkc(text).strip()
    m = _compiled(pattern).match(text)
    if not m:
        raise InvalidValue(refusal, text=text)
    return m.group(1).upper()


def clean_building(text: str | None) -> str:
    if not (text or "").strip():
        raise InvalidValue("no building")
    return _at_most_4_digits(_part(_BUILDING, text, N_("{text!r} is not a building (like 3, 3栋, 3号楼)")),
                             N_("building {text} has more than 4 digits"))


def clean_unit(text: str | None) -> str:
    """'' for a building without units."""
    if not (text or "").strip():
        return ""
    return _part(_UNIT, text, N_("{text!r} is not a unit (like 2, 2单元)"))


def clean_room(text: str | None) -> str:
    if not (text or "").strip():
        raise InvalidValue("no room")
    return _at_most_4_digits(_part(_ROOM, text, N_("{text!r} is not a room (like 301, 301室)")),
                             N_("room {text} has more than 4 digits"))


def _at_most_4_digits(code: str, refusal: str) -> str:
    """Building and room numbers have at most 4 digits (a longer one is a phone or a slip)."""
    if len(code) > 4 and (code.isdigit() or len(code) > 8):
        raise InvalidValue(refusal, text=code)
    return code


_GRID = r"^([0-9A-Za-z][0-9A-Za-z_]*)$"


def clean_grid(text: str | None) -> str:
    """A grid point's code, like G07 (upper-cased)."""
    text = _nfkc(text).strip()
    if not text:
        raise InvalidValue("no grid point code")
    if not _compiled(_GRID).match(text):
        raise InvalidValue("{text!r} is not a grid point code (letters and digits, like G07)", text=text)
    return text.upper()


def address_key(building: str, unit: str, room: str) -> str:
    return f"{building}-{unit}-{room}" if unit else f"{building}-{room}"


def parse_address_key(text: str) -> tuple[str, str, str]:
    """8-2-301, 8-301, or 8栋2单元301室 → (building, unit, room)."""
    text = _nfkc(text).strip()
    parts = text.split("-")
    if len(parts) == 3:
        return clean_building(parts[0]), clean_unit(parts[1]), clean_room(parts[2])
    if len(parts) == 2:
        return clean_building(parts[0]), "", clean_room(parts[1])
    m = _compiled(_CHINESE_ADDRESS).match(text)
    if m:
        return m.group(1).upper(), (m.group(2) or "").upper(), m.group(3).upper()
    raise InvalidValue("{text!r} is not an address key (building-unit-room like 8-2-301, or 8-301)", text=text)


def normalize_key(text: str) -> str:
    return address_key(*parse_address_key(text))


def clean_phone(text: str | None) -> str | None:
    """A phone number as offices write it, kept as text so a landline keeps its leading zero.

    A mobile is 11 digits starting with 1, stored as its digits: spaces, dashes and a +86,
    0086 or 86 prefix are removed (`138 1234 0015`, `+86 138-1234-0015` → `13812340015`). A
    landline keeps its area code and one dash (`0874 8552052` → `0874-8552052`); a local
    number of 7 or 8 digits, or a foreign one after its `+`, is kept as written.
    """
    if text and len(text) == 11 and text[0] == "1" and text.isascii() and text.isdigit():
        return text  # the common case, as it is stored
    text = _nfkc(text).strip()
    if not text:
        return None
    if not _compiled(_PHONE).match(text):
        raise InvalidValue("{text!r} is not a phone number (digits, spaces, '-' and a leading '+')", text=text)
    digits = text.replace(" ", "").replace("-", "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
            break
    else:
        if digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
            digits = digits[2:]
        elif digits.startswith("+"):
            return text  # another country's number, as written
    if digits.startswith("1"):
        if len(digits) != 11:
            raise InvalidValue("{text!r} is not a mobile number (11 digits starting with 1; it has {count})",
                               text=text, count=len(digits))
        return digits
    if digits.startswith("0"):
        parts = [p for p in re.split(r"[ \-]+", text.removeprefix("+86").removeprefix("0086").strip(" -")) if p]
        if len(parts) >= 2 and parts[0].startswith("0") and 3 <= len(parts[0]) <= 4:
            area, number = parts[0], "".join(parts[1:])
        else:
            size = 3 if digits[1] in "12" else 4  # 010 and 02x are Beijing and the big cities; the rest 0xxx
            area, number = digits[:size], digits[size:]
        if not 7 <= len(number) <= 8:
            raise InvalidValue("{text!r} is not a landline number (area code and 7 or 8 digits, like 0874-8552052)",
                               text=text)
        return f"{area}-{number}"
    if 7 <= len(digits) <= 8:
        return digits
    raise InvalidValue("{text!r} is not a phone number (a mobile of 11 digits, or a landline like 0874-8552052)", text=text)


def phone_digits(text: str) -> str | None:
    """The digits of a search term that looks like (part of) a phone number, else None."""
    compact = re.sub(r"[\s\-+()（）]", "", _nfkc(text))
    if len(compact) in (13, 15) and compact.startswith(("86", "0086")) and compact[-11] == "1":
        compact = compact[-11:]  # +86 138…: a mobile is stored without its country code
    return compact if len(compact) >= 3 and compact.isdigit() else None


def clean_count(text: str | None) -> int | None:
    """The number of people living in a household (人口): `3`, `3.0` from Excel, `3人`, `3口`."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = int(float(text)) if re.fullmatch(r"\d+(\.0+)?", text) else int(text.rstrip("人口"))
    except ValueError:
        raise InvalidValue("{text!r} is not a number of people", text=text) from None
    if not 1 <= value <= 30:
        raise InvalidValue("{text!r} people in one household: give 1 to 30", text=text)
    return value


def clean_year(text: str | None) -> int | None:
    text = (text or "").strip().removesuffix("年")
    if not text:
        return None
    if not re.fullmatch(r"\d{4}", text) or not 1890 <= int(text) <= 2200:
        raise InvalidValue("{text!r} is not a birth year (like 1948)", text=text)
    return int(text)


def clean_date(text: str | None, today: date) -> str | None:
    text = (text or "").strip()
    if not text:
        return None
    # Excel cells read from .xlsx arrive as 2010-06-18 00:00:00.
    if text.endswith(" 00:00:00"):
        text = text[:-9]
    return parse_date(text, today=today).isoformat()


# What typed or imported text may not carry (it would reach the plain-text morning list pasted
# into WeChat, or a terminal, and act instead of show): control characters (an ANSI escape
# starts with ESC), bidirectional controls and zero-width characters.
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_ZERO_WIDTH = "\u180e\u200b-\u200d\u2060-\u2064\ufeff"
# A byte that is not UTF-8, typed on a terminal in another encoding, reaches Python as a lone surrogate.
_NOT_UTF8 = "\ud800-\udfff"
_UNSAFE_IN_NOTES = f"[{_CONTROL}{_BIDI}{_ZERO_WIDTH}{_NOT_UTF8}\u2028\u2029]"  # tab, newline and CR allowed
_UNSAFE_IN_LINES = f"[\t\n\r{_CONTROL}{_BIDI}{_ZERO_WIDTH}{_NOT_UTF8}\u2028\u2029]"
_KINDS = ((f"[{_BIDI}]", N_("a right-to-left or bidirectional control")),  # compiled only to say what was refused
          (f"[{_NOT_UTF8}]", N_("a byte that is not UTF-8")),
          (f"[{_ZERO_WIDTH}]", N_("a zero-width character")),
          ("\x1b", N_("an escape code (ESC)")),
          ("[\t\n\r\u2028\u2029]", N_("a tab or line break")))
# Chinese characters (with the CJK symbols offices use between them): a space between two is
# padding (`赵 强`, `钱　进`), not part of the name.
_CJK = "\u2e80-\u2fff\u3005-\u3007\u3021-\u3029\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
_SPACES = "\\s+"


@cache
def _cjk_gap() -> re.Pattern:  # compiled when a name has a space in it: its ranges cost 2 ms on every start
    return re.compile(f"(?<=[{_CJK}])\\s+(?=[{_CJK}])")


def _refuse_unsafe(text: str, pattern: str) -> None:
    m = _compiled(pattern).search(text)
    if m is None:
        return
    char = m.group()
    kind = next((k for p, k in _KINDS if re.match(p, char)), N_("a control character"))
    code = f"0x{ord(char) - 0xDC00:02X}" if 0xDC80 <= ord(char) <= 0xDCFF else f"U+{ord(char):04X}"  # the byte typed
    raise InvalidValue("has {kind} ({code}) at character {at}; type it again without it",
                       kind=Message(kind), code=code, at=m.start() + 1)


def clean_past_date(text: str | None, today: date, what: str) -> str | None:
    """A date that has happened (moving in, a membership's start): a planned one is refused.
    `what` names it, a msgid with {day}."""
    day = clean_date(text, today)
    if day is not None and day > today.isoformat():
        raise InvalidValue(what, day=day)
    return day


MOVED_IN_FUTURE = N_("moved in on {day}, which is in the future; record a move once it has happened")
SINCE_FUTURE = N_("starts on {day}, which is in the future; record the membership once it has begun")


def clean_text(text: str | None) -> str | None:
    """A note: any text, tabs and line breaks included, but nothing a terminal would obey."""
    text = (text or "").strip()
    if text and not (text.isascii() and text.isprintable()):
        _refuse_unsafe(text, _UNSAFE_IN_NOTES)
    return text or None


def clean_line(text: str | None) -> str | None:
    """A title, a place: one line of text, nothing a terminal would obey."""
    text = (text or "").strip()
    if text and not (text.isascii() and text.isprintable()):
        _refuse_unsafe(text, _UNSAFE_IN_LINES)
    return text or None


def cleaned(text: str | None, cleaner, option: str):
    """`cleaner(text)`, its refusal naming the option the text came from (`--title: has …`)."""
    try:
        return cleaner(text)
    except InvalidValue as error:
        raise InvalidValue("{option}: {reason}", option=option, reason=error.message) from None


def normalize_name(text: str) -> str:
    """A person's name as it is kept and matched: no spaces between Chinese characters (`赵 强`,
    `钱　进` padded to line up), other runs of spaces (full-width too) one space."""
    text = text.strip()
    if text.isascii():
        return " ".join(text.split()) if "  " in text or "\t" in text else text
    if not any(char.isspace() for char in text):  # a no-break space pasted from Excel is a space too
        return text
    return _compiled(_SPACES).sub(" ", _cjk_gap().sub("", text.replace("\u3000", " "))).strip()


def clean_name(text: str | None) -> str | None:
    """A person's name: one line, nothing unsafe, spaces normalised (see `normalize_name`)."""
    text = (text or "").replace("\u3000", " ").strip()
    if not text:
        return None
    if not (text.isascii() and text.isprintable()):
        _refuse_unsafe(text, _UNSAFE_IN_LINES)
    return normalize_name(text)


def cleared_columns(names: list[str] | None, clearable: dict[str, str]) -> list[str]:
    """The columns `--clear FIELD …` empties: FIELD is an option's name (`note`, `moved-in`)."""
    columns = []
    for name in names or ():
        key = name.strip().lstrip("-").lower().replace("_", "-")
        if key not in clearable:
            raise InvalidValue("--clear {name!r}: choose one of {fields}", name=name, fields=list(clearable))
        columns.append(clearable[key])
    return list(dict.fromkeys(columns))


def split_list(text: str | None) -> list[str]:
    """'3,5,G07' or '3，5、G07' → ['3', '5', 'G07']."""
    return [p.strip() for p in re.split(r"[,，、;；\s]+", text or "") if p.strip()]


def contains_pattern(text: str) -> str:
    """A LIKE pattern (with ESCAPE '\\') matching `text` anywhere, % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
