"""Importing issues exported by another system (a hotline, an old spreadsheet).

Columns (Chinese or English headers): reported_at, kind, category, channel, household or
place, title or description, tier, handler, due_at, arrived_at, resolved_at, status,
rating — and optionally ref (the other system's number, 编号), reporter, building (for a
place), planned_at (the written plan, 方案时间). Same file rules as the rosters: UTF-8 / BOM /
GBK / .xlsx, `row N, column X: reason`, nothing written if any row is bad unless
--skip-invalid. Blank kind, category, channel and tier mean problem, other, other, normal.

Each row becomes an issue with the steps its columns tell (reported; assigned to the
handler at the report time, when the file does not say when; on site; resolved; closed at
the resolution time; rated), so that it reads like any other issue "as of" any moment.
A row with its own due time keeps that as its one (resolution) deadline; without one it
gets the promise in force at its report time, like any other issue. The file's status is
taken as it stands: a low rating does not reopen an imported issue (the other system had
its follow-up already). A row that contradicts itself is refused: resolved before it was
reported (or arrived before it, or due before it), a finished status without a resolution
time, an unfinished status with one, a rating on an unresolved issue, a time in the future.

Re-importing the same file changes nothing: an issue is known again by its `ref`, or
without one by its report time, place and title. When the file has moved on (the issue is
now resolved there), the missing steps are added; when it says something redprop's record
contradicts, the row is refused. Rows are checked here with plain functions and written in
bulk by the issues' own writer (issues.imported): an import runs at tens of thousands of rows
a second.
"""

import re
from itertools import islice
from datetime import datetime, timedelta
from pathlib import Path

from redprop.errors import N_, InvalidValue, Message, RedpropError
from redprop.exchange.sheets import DEFAULT_MAX_ROWS, ImportResult, finish, no_cyclic_gc, read_sheet, row_error
from redprop.issues.categories import load_categories
from redprop.issues.fields import ISSUE
from redprop.issues.imported import ImportedIssues
from redprop.parsing import (
    clean_building, clean_line, clean_name, clean_text, normalize_key, normalize_name, parse_instant, show_time, to_db,
)
from redprop.store import Store
from redprop.vocab import CHANNELS, FINISHED, ISSUE_KINDS, STATUSES, TIER_CODES

_OPEN_WORDS = {"open", "opened", "打开", "未完成", "未办结"}
_FUTURE_SLACK = timedelta(minutes=1)


class _DryRun(Exception):
    """Rolls back an import that was only a dry run."""


class _Cleaner:
    """Plain functions reading one row's cells; each failure names its column."""

    def __init__(self, store: Store, now: datetime):
        self.now, self.tz = now, store.tz
        self.categories = load_categories(store)
        self.households = {
            r["key"]: (r["id"], r["building"], r["grid"])
            for r in store.conn.execute("SELECT id, key, building, grid FROM households")
        }
        self.staff = {normalize_name(r["name"]): r["id"] for r in store.conn.execute("SELECT id, name FROM staff")}
        self.latest = to_db(now + _FUTURE_SLACK)
        self._codes: dict = {}
        self._offsets: dict = {}

    def code(self, catalogue, text: str, default: str) -> str:
        if not text:
            return default
        key = (catalogue.name, text)
        if key not in self._codes:
            self._codes[key] = catalogue.resolve(text)
        return self._codes[key]

    def instant(self, text: str, future: bool = False) -> str | None:
        """A time as the other system wrote it; only a due time may lie in the future.

        The common forms (2026-11-20 09:30, 2026/11/20 9:30) are read here, with the zone's
        offset looked up once per local hour (offsets change only on the hour); the others,
        and any error, go through parse_instant.
        """
        if not text:
            return None
        m = _PLAIN_TIME.match(text)
        moment = None
        if m:
            y, mo, d, h, mi, sec = m.groups()
            hour = (y, mo, d, h)
            offset = self._offsets.get(hour)
            try:
                if offset is None:
                    probe = datetime(int(y), int(mo), int(d), int(h), tzinfo=self.tz)
                    offset = probe.utcoffset()
                    if probe.replace(fold=1).utcoffset() != offset:
                        raise ValueError("an hour daylight saving skips or repeats")  # parse_instant says which
                    self._offsets[hour] = offset
                moment = (datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec or 0)) - offset).isoformat() + "+00:00"
            except ValueError:
                moment = None  # not a real date or time: parse_instant words the error
        if moment is None:
            if text.endswith(" 00:00:00") and len(text) > 19:  # Excel date cells
                text = text[:-9]
            moment = to_db(parse_instant(text, now=self.now, tz=self.tz, clock24=True))
        if moment > self.latest and not future:
            raise InvalidValue("{text!r} is in the future", text=text)
        return moment

    def rating(self, text: str) -> int | None:
        if not text:
            return None
        value = text.removesuffix("分").removesuffix("星").strip()
        if value.endswith(".0"):
            value = value[:-2]
        if not value.isdigit() or not 1 <= int(value) <= 5:
            raise InvalidValue("{text!r} is not a rating from 1 to 5", text=text)
        return int(value)

    def status(self, text: str) -> str:
        return "new" if text.strip().lower() in _OPEN_WORDS else self.code(STATUSES, text, "")

    def handler(self, text: str) -> str | None:
        if not text:
            return None
        text = normalize_name(text)
        if text not in self.staff:
            raise InvalidValue("no staff member {text!r} (add them with `redprop staff add`)", text=text)
        return text

    def where(self, household: str, place: str):
        """(household key or None, place or None): a place that is a known address is that household."""
        if household:
            key = household if household in self.households else normalize_key(household)
            if key not in self.households:
                raise InvalidValue("no household {key} (import the households roster first)", key=key)
            return key, place or None
        if place:
            try:
                key = normalize_key(place)
            except InvalidValue:
                key = None
            if key in self.households:
                return key, None
            return None, place
        raise InvalidValue("no household (户号) or place (地点)")


_PLAIN_TIME = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")
_READERS = [  # field, how to read it: the order the errors of a row are listed in
    ("reported_at", lambda c, t: c.instant(t) if t else _no_report_time()),
    ("kind", lambda c, t: c.code(ISSUE_KINDS, t, "problem")),
    ("category", lambda c, t: c.code(c.categories, t, "other")),
    ("channel", lambda c, t: c.code(CHANNELS, t, "other")),
    ("tier", lambda c, t: c.code(TIER_CODES, t, "normal")),
    ("due_at", lambda c, t: c.instant(t, future=True)),
    ("arrived_at", lambda c, t: c.instant(t)),
    ("planned_at", lambda c, t: c.instant(t)),
    ("resolved_at", lambda c, t: c.instant(t)),
    ("rating", lambda c, t: c.rating(t)),
    ("status", lambda c, t: c.status(t)),
    ("handler", lambda c, t: c.handler(t)),
    ("building", lambda c, t: clean_building(t) if t else None),
    ("title", lambda c, t: clean_line(t)),
    ("description", lambda c, t: clean_text(t)),
    ("reporter", lambda c, t: clean_name(t)),
    ("place", lambda c, t: clean_line(t)),
]


def _clean(row, c: _Cleaner) -> tuple[dict | None, list[Message]]:
    """One row's values, or the `row N, column X: reason` list of what is wrong with it.

    Rows are read straight through; only a row that fails is read again field by field,
    to name every bad column (most rows are good, and this keeps the import fast).
    """
    get = row.cells.get
    instant, code = c.instant, c.code
    try:
        reported = instant(get("reported_at", ""))
        if reported is None:
            raise InvalidValue("no report time")
        values = {
            "reported_at": reported,
            "kind": code(ISSUE_KINDS, get("kind", ""), "problem"),
            "category": code(c.categories, get("category", ""), "other"),
            "channel": code(CHANNELS, get("channel", ""), "other"),
            "tier": code(TIER_CODES, get("tier", ""), "normal"),
            "due_at": instant(get("due_at", ""), True),
            "arrived_at": instant(get("arrived_at", "")),
            "planned_at": instant(get("planned_at", "")),
            "resolved_at": instant(get("resolved_at", "")),
            "rating": c.rating(get("rating", "")),
            "status": c.status(get("status", "")),
            "handler": c.handler(get("handler", "")),
            "building": clean_building(get("building")) if get("building") else None,
            "where": c.where(get("household", ""), clean_line(get("place", "")) or ""),
        }
        title, description = clean_line(get("title", "")) or "", clean_text(get("description", ""))
        reporter = clean_name(get("reporter", ""))
    except RedpropError:
        return None, _errors(row, c)
    if not title and not description:
        return None, _errors(row, c)
    values["title"] = title or _first_line(description)
    values["description"] = description
    values["reporter"] = reporter
    values["ref"] = get("ref") or None
    return values, _contradictions(row, values, c)


def _errors(row, c: _Cleaner) -> list[Message]:
    errors = []

    def column(name):
        return row.headers.get(name) or name

    for name, read in _READERS:
        try:
            read(c, row.get(name))
        except RedpropError as e:
            errors.append(row_error(row.number, e.message, column(name)))
    try:
        c.where(row.get("household"), row.get("place"))
    except RedpropError as e:
        where = row.headers.get("household") or row.headers.get("place") or "household"
        errors.append(row_error(row.number, e.message, where))
    if not row.get("title") and not row.get("description"):
        column = row.headers.get("title") or row.headers.get("description") or "title"
        errors.append(row_error(row.number, Message("no title or description"), column))
    return errors


def _no_report_time():
    raise InvalidValue("no report time")


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 30 else line[:29] + "…"


_BEFORE_REPORT = {  # a time the report cannot follow
    "arrived_at": N_("on site at {when}, before it was reported ({reported})"),
    "planned_at": N_("planned at {when}, before it was reported ({reported})"),
    "resolved_at": N_("resolved at {when}, before it was reported ({reported})"),
    "due_at": N_("due at {when}, before it was reported ({reported})"),
}
_AFTER_RESOLUTION = {  # a time the resolution cannot precede
    "arrived_at": N_("on site at {when}, after it was resolved ({resolved})"),
    "planned_at": N_("planned at {when}, after it was resolved ({resolved})"),
}


def _contradictions(row, v: dict, c: _Cleaner) -> list[Message]:
    """What a row says that cannot all be true, each naming its column."""
    when = lambda text: show_time(text, c.tz)  # noqa: E731
    errors = []

    def refuse(name: str, template: str, **values) -> None:
        errors.append(row_error(row.number, Message(template, **values), row.headers.get(name, name)))

    reported, resolved, status = v["reported_at"], v["resolved_at"], v["status"]
    for name, template in _BEFORE_REPORT.items():
        if v[name] and v[name] < reported:
            refuse(name, template, when=when(v[name]), reported=when(reported))
    for name, template in _AFTER_RESOLUTION.items():
        if v[name] and resolved and v[name] > resolved:
            refuse(name, template, when=when(v[name]), resolved=when(resolved))
    code = STATUSES.get(status)
    if status in FINISHED and not resolved:
        refuse("status", N_("status {status} but no resolution time"), status=code)
    if status and status not in FINISHED and resolved:
        refuse("status", N_("status {status} (unfinished) but resolved at {when}"), status=code, when=when(resolved))
    if status == "on_site" and not v["arrived_at"]:
        refuse("status", N_("status {status} but no time on site"), status=code)
    if status == "assigned" and not v["handler"]:
        refuse("status", N_("status {status} but no handler"), status=code)
    if status == "reopened":
        refuse("status", N_("a reopened issue cannot be imported; import it unfinished"))
    if v["rating"] is not None and not resolved:
        refuse("rating", N_("a rating but the issue is not resolved"))
    return errors


def _key(v: dict) -> str:
    household, place = v["where"]
    return v["ref"] or f"{v['reported_at']}|{household or place}|{v['title']}"


CHUNK = 10_000  # rows checked, then written, at a time: a big file's rows do not all wait in memory


def import_issues(store: Store, path: Path, now: datetime, *, dry_run=False, skip_invalid=False, sheet=None,
                  max_rows=DEFAULT_MAX_ROWS) -> ImportResult:
    """Load issues exported by another system; see the module's docstring for the rules.

    The file is read as a stream: rows are checked and written a chunk at a time inside one
    transaction, so memory does not grow with the file; any bad row
    (without --skip-invalid) rolls the whole of it back, so nothing is written, as with
    the rosters. A key met twice in the file with different values refuses the later row.
    The cyclic garbage collector is paused meanwhile: the rows make no cycles, and with a
    million of them alive its passes cost a third of the import.
    """
    with no_cyclic_gc():
        return _import_issues(store, path, now, dry_run, skip_invalid, sheet, max_rows)


def _import_issues(store: Store, path: Path, now: datetime, dry_run, skip_invalid, sheet, max_rows) -> ImportResult:
    rows, errors, ignored, headers = read_sheet(path, ISSUE.imported(), sheet, max_rows)
    if "household" not in headers and "place" not in headers:
        raise InvalidValue("{file}: no column for household (户号) or place (地点)", file=path.name)
    if "title" not in headers and "description" not in headers:
        raise InvalidValue("{file}: no column for title (标题) or description (描述)", file=path.name)
    cleaner = _Cleaner(store, now)
    result = ImportResult(dry_run=dry_run, ignored_columns=ignored)
    conflicts: list[Message] = []
    try:
        with store.bulk_load(), store.write(bulk=True, source=path, counts=result):
            issues = ImportedIssues(store, now, cleaner.households, cleaner.staff, path.stat().st_size // ROW_BYTES)
            seen = _Seen(store)
            while chunk := list(islice(rows, CHUNK)):
                cleaned = []
                for row in chunk:
                    values, row_errors = _clean(row, cleaner)
                    if row_errors:
                        errors.extend(row_errors)
                        continue
                    key = _key(values)
                    cleaned.append((row, key, values, hash(key), hash(tuple(values.values())) & 0xFFFFFFFF))
                del chunk
                earlier = seen.met(h for *_, h, _mark in cleaned)
                batch, new = [], {}
                for row, key, values, hashed, mark in cleaned:
                    first = earlier.get(hashed) or new.get(hashed)
                    if first is not None:
                        if first & 0xFFFFFFFF != mark:
                            errors.append(row_error(row.number, Message(
                                "the same issue as row {other} with different values", other=first >> 32)))
                        continue
                    new[hashed] = row.number << 32 | mark
                    batch.append((row, key, values))
                seen.add(new)
                del cleaned, earlier, new
                if (errors or conflicts) and not skip_invalid:
                    continue  # it will all be refused: check the rest, write nothing more
                existing = issues.known([key for _, key, _ in batch])
                fresh = [(key, values) for row, key, values in batch if key not in existing]
                issues.add(fresh)
                result.added += len(fresh)
                for row, key, values in batch:
                    if key in existing:
                        try:
                            outcome = issues.update(existing[key], values)
                        except RedpropError as e:
                            conflicts.append(row_error(row.number, e.message))
                            continue
                        setattr(result, outcome, getattr(result, outcome) + 1)
            # raises, rolling back, unless --skip-invalid
            errors.extend(conflicts)
            finish(result, errors, skip_invalid, N_("issue"))
            if dry_run:
                raise _DryRun()  # rolled back: the dropped indexes come back with it, unbuilt work spared
            issues.finish()
    except _DryRun:
        pass
    return result


ROW_BYTES = 150  # about what a row of an issue export takes: the file's size tells its rows before they are read


class _Seen:
    """The keys met so far in the file: the key's hash → the row it was first met on and a
    fingerprint of its values (row << 32 | 32 bits), kept in the store's temporary storage
    rather than Python's memory (store.temporary_map). Two different keys sharing a 64-bit hash
    in one file is a chance of about one in 10^7 for a million rows."""

    def __init__(self, store: Store):
        self.keys = store.temporary_map("import_seen")

    def met(self, hashes) -> dict[int, int]:
        return self.keys.get_many(hashes)

    def add(self, new: dict[int, int]) -> None:
        self.keys.put_many(new)
