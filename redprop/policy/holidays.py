"""China's public holidays and 调休 make-up working days, as data the office keeps current.

Every November the State Council publishes the next year's arrangement: which days are off
(休) and which weekend days become make-up working days (班). redprop keeps it in the
database (`holiday_days`, one row per named day, and `holiday_years`, the years whose
arrangement is loaded and where it came from): seeded with the years the `chinesecalendar`
package knew at the release of migration m007 (1.11.0, 2004–2026, carried with the migration),
then kept current by `redprop holidays import FILE`
(NateScarlet/holiday-cn's `{year}.json`, or a CSV `date,休|班[,name]`) and `redprop holidays
set DATE 休|班` for typing the notice by hand.

Dates are kept from 1950 to 2100 (`parsing.FIRST_YEAR`, `LAST_YEAR`): the years whose lunar
dates the `holidays` package knows, so every year `holidays show` and `--at` accept has its
statutory holidays. A year nobody has loaded yet is *provisional*: it is known only by the statutory holidays
that the law fixes (元旦 1 January; 春节 from 除夕 through 初三; 清明; 劳动节 1–2 May; 端午;
中秋; 国庆 1–3 October — the 2025 rules), with no bridge days and no make-up working days.
The lunar and solar-term dates come from the `holidays` package's China rules (its guessed
"observed" days left out). A deadline counted across such a year is marked provisional, and
is recomputed once the year's arrangement is loaded.

`HolidayCalendar` is a plain value: deadline arithmetic takes it as a parameter (inside the
WorkSchedule) and never reads the store or the clock.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from redprop.errors import InvalidValue

OFF, WORK = True, False
SOURCES = ("package", "file", "typed")  # where a loaded year came from; otherwise "provisional"

# The statutory holidays (全国年节及纪念日放假办法, as amended from 2025), by the English names
# of the `holidays` package's China rules (matched by a word of each, so that a rewording of
# the package does not lose a day silently: tests pin 2027 and 2028).
STATUTORY = (  # (a word of the package's name, the name redprop keeps)
    ("New Year's Day", "元旦"),
    ("Chinese New Year", "春节"),
    ("Tomb", "清明节"),
    ("Lab", "劳动节"),
    ("Dragon Boat", "端午节"),
    ("Mid-Autumn", "中秋节"),
    ("National Day", "国庆节"),
)


@dataclass(frozen=True, eq=False)
class HolidayCalendar:
    """Named days of the loaded years, and which years are loaded (the rest are provisional)."""

    days: dict = field(default_factory=dict)  # date -> (off: bool, name or None)
    years: frozenset = frozenset()  # years whose arrangement is loaded
    sources: dict = field(default_factory=dict)  # year -> (source, detail)

    def named(self, day: date) -> bool | None:
        """OFF for a holiday, WORK for a make-up working day, None for an ordinary day."""
        if day.year in self.years:
            entry = self.days.get(day)
            return None if entry is None else entry[0]
        return OFF if day in provisional_days(day.year) else None

    def known(self, year: int) -> bool:
        return year in self.years

    def unknown_years(self, first: date, last: date) -> list[int]:
        """The years from `first` to `last` (inclusive) that are provisional."""
        return [y for y in range(first.year, last.year + 1) if y not in self.years]


def check_holiday_year(year: int) -> int:
    """The year, if redprop knows its holidays: the years dates may fall in (parsing.FIRST_YEAR to
    LAST_YEAR), every one of which has its statutory holidays; otherwise one line saying so."""
    from redprop.parsing import FIRST_YEAR, LAST_YEAR

    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidValue("{year}: redprop knows China's public holidays from {first} to {last} (the years whose lunar"
                           " dates it knows) and keeps dates only in those", year=year, first=FIRST_YEAR, last=LAST_YEAR)
    return year


def provisional_days(year: int) -> dict[date, str]:
    """The statutory holidays of a year nobody has loaded: date -> name (元旦, 春节…)."""
    return dict(_provisional(year))


@cache
def _provisional(year: int) -> tuple:
    if not 1 <= year <= 9998:
        return ()
    try:
        from holidays.countries.china import China

        found = China(years=year, observed=False, language="en_US")
    except Exception:  # noqa: BLE001 - a year the package cannot compute: the weekend rule alone
        return ()
    result = []
    for day, names in sorted(found.items()):
        ours = [zh for word, zh in STATUTORY if any(word in n for n in str(names).split("; "))]
        if ours:
            result.append((day, "、".join(dict.fromkeys(ours))))
    return tuple(result)


@cache
def package_calendar() -> HolidayCalendar:
    """The calendar of the installed `chinesecalendar` package alone: what deadline arithmetic
    uses when no database calendar is given (tests, checks)."""
    days, years = package_days()
    return HolidayCalendar(days={d: (off, name) for d, (off, name) in days.items()}, years=frozenset(years),
                           sources={y: ("package", package_detail()) for y in years})


def package_days() -> tuple[dict, list[int]]:
    """{date: (off, name)} and the years the chinesecalendar package knows."""
    from chinese_calendar import constants

    names = {h.value: getattr(h, "chinese", h.value) for h in constants.Holiday}
    days = {}
    for day, name in constants.holidays.items():
        days[day] = (OFF, names.get(str(name), str(name)))
    for day, name in constants.workdays.items():
        days[day] = (WORK, names.get(str(name), str(name)))
    years = sorted({d.year for d in days})
    return days, years


def package_detail() -> str:
    import chinese_calendar

    return f"chinesecalendar {getattr(chinese_calendar, '__version__', '')}".strip()


# -- the calendar in the store ---------------------------------------------------------------

def load_calendar(conn) -> HolidayCalendar:
    """The database's calendar: every named day of the loaded years."""
    years = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT year, source, detail FROM holiday_years")}
    days = {}
    for day, off, name in conn.execute("SELECT day, off, name FROM holiday_days"):
        days[date.fromisoformat(day)] = (bool(off), name)
    return HolidayCalendar(days=days, years=frozenset(years), sources=years)


def parse_mark(text: str) -> bool:
    """休 (a day off) or 班 (a make-up working day), as the notice writes them."""
    word = str(text).strip().lower()
    if word in OFF_WORDS:
        return OFF
    if word in WORK_WORDS:
        return WORK
    raise InvalidValue("{text!r} is neither 休 (a day off) nor 班 (a make-up working day)", text=text)


def parse_day_mark(text: str) -> bool | None:
    """`holidays set`'s mark: 休, 班, or none (an ordinary day again)."""
    if str(text).strip().lower() in {"none", "-", "—", "无", "ordinary", "普通", "清除", "取消"}:
        return None
    return parse_mark(text)


OFF_WORDS = {"休", "假", "放假", "休息", "off", "holiday", "rest", "true", "1"}
WORK_WORDS = {"班", "上班", "补班", "工作日", "work", "workday", "false", "0"}


# A day or a year written again takes the new values (the change log records an update, which
# undo puts back).
_DAY_AGAIN = (" ON CONFLICT (day) DO UPDATE SET off = excluded.off, name = excluded.name, source = excluded.source,"
              " recorded_at = excluded.recorded_at")
_YEAR_AGAIN = (" ON CONFLICT (year) DO UPDATE SET source = excluded.source, detail = excluded.detail,"
               " recorded_at = excluded.recorded_at")


def write_year(conn, year: int, days: dict, source: str, detail: str | None, now: datetime) -> None:
    """Replace one year's arrangement by `days` ({date: (off, name)}) and mark the year loaded."""
    from redprop.parsing import to_db

    stamp = to_db(now)
    conn.execute("DELETE FROM holiday_days WHERE day >= $1 AND day < $2", (f"{year:04d}-01-01", f"{year + 1:04d}-01-01"))
    conn.executemany(
        f"INSERT INTO holiday_days (day, off, name, source, recorded_at) VALUES ($1, $2, $3, $4, $5){_DAY_AGAIN}",
        [(d.isoformat(), int(off), name, source, stamp) for d, (off, name) in sorted(days.items())],
    )
    conn.execute(f"INSERT INTO holiday_years (year, source, detail, recorded_at) VALUES ($1, $2, $3, $4){_YEAR_AGAIN}",
                 (year, source, detail, stamp))


def write_day(conn, day: date, off: bool | None, name: str | None, now: datetime) -> str:
    """Type one day of the notice: 休, 班, or None to make it an ordinary day again.

    A year not loaded yet is first filled with its statutory holidays (the law fixes them; the
    notice adds bridge days and make-up days), then marked as typed. Returns the year's
    source before the change ('provisional' when it was not loaded)."""
    from redprop.parsing import to_db

    row = conn.execute("SELECT source FROM holiday_years WHERE year = $1", (day.year,)).fetchone()
    before = row[0] if row else "provisional"
    stamp = to_db(now)
    if row is None:
        conn.executemany(
            f"INSERT INTO holiday_days (day, off, name, source, recorded_at) VALUES ($1, 1, $2, 'typed', $3){_DAY_AGAIN}",
            [(d.isoformat(), n, stamp) for d, n in provisional_days(day.year).items()],
        )
    if off is None:
        conn.execute("DELETE FROM holiday_days WHERE day = $1", (day.isoformat(),))
    else:
        if not name:
            kept = conn.execute("SELECT name FROM holiday_days WHERE day = $1", (day.isoformat(),)).fetchone()
            name = kept[0] if kept else None
        conn.execute(f"INSERT INTO holiday_days (day, off, name, source, recorded_at) VALUES ($1, $2, $3, 'typed', $4){_DAY_AGAIN}",
                     (day.isoformat(), int(off), name, stamp))
    detail = None if before in ("provisional", "typed") else _typed_over(before, conn, day.year)
    conn.execute(f"INSERT INTO holiday_years (year, source, detail, recorded_at) VALUES ($1, 'typed', $2, $3){_YEAR_AGAIN}",
                 (day.year, detail, stamp))
    return before


def _typed_over(before: str, conn, year: int) -> str | None:
    row = conn.execute("SELECT detail FROM holiday_years WHERE year = $1", (year,)).fetchone()
    return f"{before}: {row[0]}" if row and row[0] else before


def show_year(store, year: int) -> dict:
    """A year's holidays and make-up working days, and where the year's data came from."""
    check_holiday_year(year)
    calendar = load_calendar(store.conn)
    if calendar.known(year):
        source, detail = calendar.sources[year]
        days = [{"date": d.isoformat(), "off": off, "name": name}
                for d, (off, name) in sorted(calendar.days.items()) if d.year == year]
    else:
        source, detail = "provisional", None
        days = [{"date": d.isoformat(), "off": True, "name": name} for d, name in provisional_days(year).items()]
    return {
        "year": year,
        "source": source,
        "detail": detail,
        "provisional": source == "provisional",
        "days": days,
        "off_days": sum(1 for d in days if d["off"]),
        "make_up_days": sum(1 for d in days if not d["off"]),
    }
