"""Reading the State Council's holiday arrangement from a file: `redprop holidays import FILE`.

Two shapes are read, told apart by the file's content:
- NateScarlet/holiday-cn's `{year}.json`: `{"year": 2027, "papers": [...], "days": [{"name":
  "元旦", "date": "2027-01-01", "isOffDay": true}, …]}` (a day of a neighbouring year listed in
  it, as a make-up day sometimes is, is kept too; the year loaded is the file's `year`);
- a CSV `date,休|班[,name]`, with or without a header row, in UTF-8 (with or without BOM) or
  GBK: every year it names is loaded.
The whole file is checked first: any bad row refuses it (`row N: …`, exit 5) and nothing is written.
A holiday file is small (holiday-cn's year is 5 KB): one over HOLIDAY_FILE_LIMIT, JSON nested
deeper than HOLIDAY_DEPTH_LIMIT, or a fifo or device instead of a file is refused in one line
before it is parsed.
"""

import csv
import io
import json
import re
from datetime import date, datetime
from pathlib import Path

from redprop.errors import ImportRefused, InvalidValue, Message
from redprop.exchange.limits import HOLIDAY_DEPTH_LIMIT, HOLIDAY_FILE_LIMIT
from redprop.exchange.sheets import open_import, row_error
from redprop.issues.calendar import load_arrangement
from redprop.policy.holidays import check_holiday_year, parse_mark
from redprop.store import Store


def import_holidays(store: Store, path: Path, now: datetime) -> dict:
    """Load the arrangement(s) a file holds and recount the provisional deadlines of open issues."""
    years = read_arrangement(path, now.date())
    return load_arrangement(store, years, path.name, now)


def read_arrangement(path: Path, today: date) -> dict[int, dict]:
    """{year: {date: (off, name)}} from a holiday-cn JSON or a CSV file."""
    with open_import(path, HOLIDAY_FILE_LIMIT, Message("a holiday file holds a year's arrangement, or a few")) as f:
        data = f.read()
    text = _decode(data, path)
    if text.lstrip().startswith("{"):
        _check_depth(text, path)
        return _from_json(text, path)
    return _from_csv(text, path, today)


def _decode(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidValue("{file}: not a text file in UTF-8 or GBK", file=path.name)


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def _check_depth(text: str, path: Path) -> None:
    """Refuse JSON nested deeper than a holiday file is (before the parser recurses into it)."""
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > HOLIDAY_DEPTH_LIMIT:
            raise InvalidValue("{file}: JSON nested more than {limit} levels deep; a holiday file is not (holiday-cn's"
                               " has 3)", file=path.name, limit=HOLIDAY_DEPTH_LIMIT)


def _from_json(text: str, path: Path) -> dict[int, dict]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidValue("{file}: not valid JSON ({reason})", file=path.name, reason=str(e)) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("days"), list):
        raise InvalidValue("{file}: expected holiday-cn's JSON: year, and days with name, date and isOffDay",
                           file=path.name)
    year = doc.get("year")
    errors, days = [], {}
    for number, item in enumerate(doc["days"], start=1):
        try:
            if not isinstance(item, dict):
                raise InvalidValue("not an object")
            day = _date(str(item.get("date", "")))
            off = item.get("isOffDay")
            if not isinstance(off, bool):
                raise InvalidValue("isOffDay is {value!r}, not true or false", value=off)
            if day in days and days[day][0] != off:
                raise InvalidValue("{day} listed both as a day off and as a working day", day=day.isoformat())
            days[day] = (off, str(item.get("name") or "").strip() or None)
        except InvalidValue as e:
            errors.append(Message("day {number}: {reason}", number=number, reason=e.message))
    if not isinstance(year, int):
        years = {d.year for d in days}
        if len(years) != 1:
            raise InvalidValue("{file}: no \"year\" and days of several years", file=path.name)
        year = years.pop()
    try:
        check_holiday_year(year)
    except InvalidValue as error:
        raise InvalidValue("{file}: {reason}", file=path.name, reason=error.message) from None
    _refuse(errors, path)
    return {year: days}


def _from_csv(text: str, path: Path, today: date) -> dict[int, dict]:
    errors, years = [], {}
    rows = list(csv.reader(io.StringIO(text)))
    for number, cells in enumerate(rows, start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if number == 1 and not _looks_like_date(cells[0]):
            continue  # a header row
        try:
            if len(cells) < 2:
                raise InvalidValue("expected date,休|班[,name]")
            day = _date(cells[0], today)
            off = parse_mark(cells[1])
        except InvalidValue as e:
            errors.append(row_error(number, e.message))
            continue
        days = years.setdefault(day.year, {})
        if day in days and days[day][0] != off:
            errors.append(row_error(number, Message("{day} listed both as a day off and as a working day", day=day.isoformat())))
        days[day] = (off, (cells[2] if len(cells) > 2 else "") or None)
    _refuse(errors, path)
    if not years:
        raise InvalidValue("{file}: no days in it (expected date,休|班[,name])", file=path.name)
    return years


def _looks_like_date(text: str) -> bool:
    return any(ch.isdigit() for ch in text[:4])


def _date(text: str, today: date | None = None) -> date:
    from redprop.parsing import parse_date

    return parse_date(text, today=today or date(2000, 1, 1))  # a year outside those redprop keeps is refused


def _refuse(errors: list, path: Path) -> None:
    if errors:
        raise ImportRefused("{file}: holiday import refused: {bad} bad row(s), nothing written", errors,
                            file=path.name, bad=len(errors))
