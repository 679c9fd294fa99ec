"""Reading the State Council's holiday arrangement from a file: `redprop holidays import FILE`.

Two shapes are read, told apart by the file's content:
- NateScarlet/holiday-cn's `{year}.json`: `{"year": 2027, "papers": [...], "days": [{"name":
  "元旦", "date": "2027-01-01", "isOffDay": true}, …]}` (a day of a neighbouring year listed in
  it, as a make-up day sometimes is, is kept too; the year loaded is the file's `year`);
- a CSV `date,休|班[,name]`, with or without a header row, in UTF-8 (with or without BOM) or
  GBK: every year it names is loaded.
The whole file is checked first: any bad row refuses it (`row N: …`, exit 5) and nothing is written.
"""

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

from redprop.errors import ImportRefused, InvalidValue, Message, NotFound
from redprop.exchange.sheets import row_error
from redprop.issues.calendar import load_arrangement
from redprop.policy.holidays import parse_mark
from redprop.store import Store


def import_holidays(store: Store, path: Path, now: datetime) -> dict:
    """Load the arrangement(s) a file holds and recount the provisional deadlines of open issues."""
    years = read_arrangement(path, now.date())
    return load_arrangement(store, years, path.name, now)


def read_arrangement(path: Path, today: date) -> dict[int, dict]:
    """{year: {date: (off, name)}} from a holiday-cn JSON or a CSV file."""
    if not path.exists():
        raise NotFound("no file {path}", path=str(path))
    if path.is_dir():
        raise InvalidValue("{path} is a folder, not a file", path=str(path))
    data = path.read_bytes()
    text = _decode(data, path)
    if text.lstrip().startswith("{"):
        return _from_json(text, path)
    return _from_csv(text, path, today)


def _decode(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidValue("{file}: not a text file in UTF-8 or GBK", file=path.name)


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
    if not 1900 <= year <= 2200:
        raise InvalidValue("{file}: {year} is not a year redprop keeps holidays for (1900–2200)", file=path.name, year=year)
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

    day = parse_date(text, today=today or date(2000, 1, 1))
    if not 1900 <= day.year <= 2200:
        raise InvalidValue("{day}: not a year redprop keeps holidays for (1900–2200)", day=day.isoformat())
    return day


def _refuse(errors: list, path: Path) -> None:
    if errors:
        raise ImportRefused("{file}: holiday import refused: {bad} bad row(s), nothing written", errors,
                            file=path.name, bad=len(errors))
