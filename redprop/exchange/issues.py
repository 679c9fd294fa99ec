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
contradicts, the row is refused. Rows are checked with plain functions and written with
executemany: an import runs at tens of thousands of rows a second.
"""

import bisect
import re
from itertools import islice
from datetime import datetime, timedelta
from pathlib import Path

from redprop.errors import N_, InvalidValue, Message, RedpropError
from redprop.exchange.sheets import DEFAULT_MAX_ROWS, Field, ImportResult, finish, no_cyclic_gc, read_sheet, row_error
from redprop.issues.categories import load_categories
from redprop.issues.commands import write_steps
from redprop.issues.lifecycle import IMPORTED_NOTE, Step, imported_steps, replay
from redprop.issues.records import PROVISIONAL_BITS, get_issue_row, history, open_long, settled_figures
from redprop.parsing import (
    clean_building, clean_line, clean_name, clean_text, normalize_key, normalize_name, parse_instant, show_time, to_db,
)
from redprop.policy.terms import KINDS, TermsCache
from redprop.store import Store
from redprop.vocab import CHANNELS, FINISHED, ISSUE_KINDS, PROMISES, STATUSES, TIER_CODES, TIERS

ISSUE_FIELDS = [
    Field("ref", ("编号", "工单号", "单号", "工单编号", "reference", "external_id")),
    Field("reported_at", ("报告时间", "反映时间", "受理时间", "登记时间", "上报时间", "reported", "时间"), required=True),
    Field("kind", ("类型", "清单", "清单类型")),
    Field("category", ("类别", "分类", "问题类别", "问题分类")),
    Field("channel", ("渠道", "来源", "反映渠道", "受理渠道")),
    Field("household", ("户号", "住户", "房号", "household_key")),
    Field("place", ("地点", "位置", "地址", "公共区域", "location", "where")),
    Field("building", ("楼栋", "楼号")),
    Field("title", ("标题", "事项", "问题", "诉求")),
    Field("description", ("描述", "内容", "详情", "问题描述", "诉求内容", "details")),
    Field("tier", ("等级", "级别", "问题等级")),
    Field("handler", ("处理人", "经办人", "责任人", "承办人")),
    Field("reporter", ("反映人", "报告人", "联系人")),
    Field("due_at", ("期限", "截止时间", "应办结时间", "到期时间", "办理期限", "due")),
    Field("arrived_at", ("到场时间", "arrived")),
    Field("planned_at", ("方案时间", "书面方案时间", "planned")),
    Field("resolved_at", ("解决时间", "办结时间", "完成时间", "resolved")),
    Field("status", ("状态", "办理状态")),
    Field("rating", ("评分", "满意度", "评价", "回访评分")),
]
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
    rows, errors, ignored, headers = read_sheet(path, ISSUE_FIELDS, sheet, max_rows)
    if "household" not in headers and "place" not in headers:
        raise InvalidValue("{file}: no column for household (户号) or place (地点)", file=path.name)
    if "title" not in headers and "description" not in headers:
        raise InvalidValue("{file}: no column for title (标题) or description (描述)", file=path.name)
    cleaner = _Cleaner(store, now)
    result = ImportResult(dry_run=dry_run, ignored_columns=ignored)
    conflicts: list[Message] = []
    # A bulk load: 64 MB for index pages; the keys met so far in the temporary database's cache
    # (25 MB for a million: kept there, not in a file, so that looking them up costs no system
    # calls), while the indexes rebuilt at the end sort in temporary files rather than in memory
    # (a million issues peaked at 366 MB with temp_store = MEMORY, 282 MB so); and no foreign-key
    # lookups per row — every household, staff member, category and policy a row names was looked
    # up while checking it, and the write transaction holds them still (the pragmas cannot change
    # inside a transaction).
    store.conn.execute("PRAGMA cache_size = -65536")
    store.conn.execute("PRAGMA temp_store = FILE")
    store.conn.execute("PRAGMA temp.cache_size = -32768")
    store.conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with store.write(bulk=True, source=path, counts=result) as conn:
            writer = _Writer(store, conn, now, cleaner)
            rebuilt = _without_indexes(conn, path.stat().st_size // ROW_BYTES)
            seen = _Seen(conn)
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
                existing = _existing(conn, [key for _, key, _ in batch])
                fresh = [(key, values) for row, key, values in batch if key not in existing]
                writer.insert(fresh)
                result.added += len(fresh)
                for row, key, values in batch:
                    if key in existing:
                        outcome = _update(store, existing[key], values, now, cleaner, row, conflicts)
                        if outcome:
                            setattr(result, outcome, getattr(result, outcome) + 1)
            # raises, rolling back, unless --skip-invalid
            errors.extend(conflicts)
            finish(result, errors, skip_invalid, N_("issue"))
            if dry_run:
                raise _DryRun()  # rolled back: the dropped indexes come back with it, unbuilt work spared
            for statement in rebuilt:
                conn.execute(statement)
    except _DryRun:
        pass
    finally:
        store.conn.execute("PRAGMA foreign_keys = ON")
    return result


ROW_BYTES = 150  # about what a row of an issue export takes: the file's size tells its rows before they are read


def _without_indexes(conn, rows: int) -> list[str]:
    """For a file of (by its size) more rows than a quarter of the issues already there, every
    index of the issues and their steps that the import does not read (all but the unique ones)
    is dropped now and built again, sorted, at the end of the same transaction: kept row by row,
    a million issues' two dozen indexes outgrow the cache and each insert waits on random pages
    (the import ran at a third of its speed). The statements that rebuild them."""
    existing = conn.execute("SELECT max(id) FROM issues").fetchone()[0] or 0
    if rows < 10_000 or rows * 4 < existing:
        return []
    indexes = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('issues', 'issue_steps')"
        " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'").fetchall()
    for name, _sql in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in indexes]


class _Seen:
    """The keys met so far in the file: the key's hash → the row it was first met on and a
    fingerprint of its values (row << 32 | 32 bits), in a temporary table of the import's
    transaction, in SQLite's memory rather than Python's (a million keys take 25 MB there, 110 MB
    as a dict). Two different
    keys sharing a 64-bit hash in one file is a chance of about one in 10^7 for a million rows."""

    def __init__(self, conn):
        self.conn = conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS import_seen (hash INTEGER PRIMARY KEY, first INTEGER NOT NULL)")
        conn.execute("DELETE FROM temp.import_seen")

    def met(self, hashes) -> dict[int, int]:
        hashes, found = list(hashes), {}
        for start in range(0, len(hashes), 500):
            part = hashes[start:start + 500]
            found.update(self.conn.execute(
                f"SELECT hash, first FROM temp.import_seen WHERE hash IN ({','.join('?' * len(part))})", part))
        return found

    def add(self, new: dict[int, int]) -> None:
        self.conn.executemany("INSERT INTO temp.import_seen (hash, first) VALUES (?, ?)", new.items())


def _existing(conn, keys: list[str]) -> dict[str, int]:
    found = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        for r in conn.execute(
            f"SELECT id, source_key FROM issues WHERE source_key IN ({','.join('?' * len(chunk))})", chunk
        ):
            found[r["source_key"]] = r["id"]
    return found


class _Writer:
    """Writes new issues with executemany; the cache columns are computed here.

    An issue's imported steps stay on its row (`imported_steps`, see migration m003) except
    for the few waiting or escalated ones, whose hold is written out as steps with the rest.
    """

    def __init__(self, store: Store, conn, now: datetime, c: _Cleaner):
        self.conn, self.c, self.stamp = conn, c, to_db(now)
        self.terms = TermsCache(store)
        policies = conn.execute("SELECT id, effective_at FROM policies ORDER BY effective_at, id").fetchall()
        self.starts = [p["effective_at"] for p in policies]
        self.ids = [p["id"] for p in policies]
        self.spans = {}  # (policy, kind, tier) → the promised spans, when its clock runs round the clock
        for policy_id in self.ids:
            t = self.terms.get(policy_id)
            for kind in KINDS:
                for tier in TIERS:
                    self.spans[(policy_id, kind, tier)] = None if t.schedule else [t.span(kind, tier, p) for p in PROMISES]
        self.next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM issues").fetchone()[0]

    def insert(self, fresh: list) -> None:
        """New issues, numbered in the order they were reported."""
        if fresh:
            fresh = sorted(fresh, key=lambda rv: rv[1]["reported_at"])
            _insert(self, self.conn, fresh)
            self.next_id += len(fresh)


def _insert(w: _Writer, conn, fresh: list) -> None:
    c, stamp, terms, spans, starts, ids, next_id = w.c, w.stamp, w.terms, w.spans, w.starts, w.ids, w.next_id
    issue_rows, step_rows = [], []
    for issue_id, (key, v) in enumerate(fresh, start=next_id):
        reported, status, resolved = v["reported_at"], v["status"], v["resolved_at"]
        household, place = v["where"]
        household_id, building, grid = c.households[household] if household else (None, v["building"], None)
        handler_id = c.staff[v["handler"]] if v["handler"] else None
        provisional = 0
        if v["due_at"]:
            policy_id, dues = None, (None, v["due_at"], None)
        else:
            policy_id = ids[bisect.bisect_right(starts, reported) - 1] if starts[0] <= reported else ids[0]
            fixed = spans[(policy_id, v["kind"], v["tier"])]
            start = datetime.fromisoformat(reported)  # UTC: a sum of it prints as the stored form
            if fixed is not None:
                try:
                    dues = tuple((start + span).isoformat() if span is not None else None for span in fixed)
                except OverflowError:  # only a policy stored before `policy set` capped promises
                    raise InvalidValue("a deadline of the promise in force falls past the calendar's end;"
                                       " correct the promise with `redprop policy set`") from None
            else:
                t = terms.get(policy_id)
                computed = t.base_deadlines(v["kind"], v["tier"], start)
                dues = tuple(to_db(computed[p]) if computed[p] else None for p in PROMISES)
                provisional = sum(PROVISIONAL_BITS[p] for p in PROMISES if t.provisional_years(start, computed[p]))
        held = status in ("waiting_resident", "waiting_parts", "escalated")
        if not held:
            status = "closed" if status == "closed" else _derived_status(v)
        closed = resolved if status == "closed" else None
        present = [d for d in dues if d]
        last = max(filter(None, (reported, v["arrived_at"], v["planned_at"], resolved)))
        rated = resolved if v["rating"] is not None else None  # also called_at: the file's rating was its call
        settled = settled_figures({
            "reported_at": reported, "assigned_at": reported if handler_id else None, "arrived_at": v["arrived_at"],
            "planned_at": v["planned_at"], "resolved_at": resolved, "closed_at": closed, "rated_at": rated,
            "called_at": rated, "rating": v["rating"], "arrive_due": dues[0], "resolve_due": dues[1],
            "plan_due": dues[2], "follow_up_due": None})
        issue_rows.append((
            issue_id, v["kind"], v["category"], v["channel"], household_id, place, building, grid, v["reporter"],
            v["title"], v["description"], policy_id, v["due_at"], reported, stamp, "import", key, v["tier"],
            status, handler_id, reported if handler_id else None, v["arrived_at"], v["planned_at"], resolved, closed,
            v["rating"], rated, *dues, min(present) if present else None,
            last, int(held), int(not held), int(open_long(reported, resolved)), provisional, rated,
            settled["settled_at"], settled["figures"], settled["arrive_seconds"], settled["resolve_seconds"],
        ))
        if held:
            hold_at = v["arrived_at"] or reported
            steps = imported_steps({
                "reported_at": reported, "recorded_at": stamp, "tier": v["tier"], "handler": v["handler"],
                "handler_id": handler_id, "arrived_at": v["arrived_at"], "planned_at": v["planned_at"],
                "resolved_at": resolved, "closed_at": closed, "rating": v["rating"]})
            steps.append(Step("escalate", hold_at, stamp) if status == "escalated" else Step("wait", hold_at, stamp, value=status))
            step_rows.extend(
                (issue_id, s.action, s.at, s.recorded_at, s.by_id, s.staff_id, s.value, s.meeting_at, s.decision, s.note)
                for s in sorted(steps, key=Step.order)
            )
    conn.executemany(
        "INSERT INTO issues (id, kind, category, channel, household_id, place, building, grid, reporter, title,"
        " description, policy_id, own_due_at, reported_at, recorded_at, source, source_key, tier, status,"
        " handler_id, assigned_at, arrived_at, planned_at, resolved_at, closed_at, rating, rated_at, arrive_due,"
        " resolve_due, plan_due, first_due_at, last_step_at, replay, imported_steps, open_long, provisional, called_at,"
        " settled_at, figures, arrive_seconds, resolve_seconds)"
        f" VALUES ({', '.join('?' * 41)})",
        issue_rows,
    )
    conn.executemany(
        "INSERT INTO issue_steps (issue_id, action, at, recorded_at, by_id, staff_id, value, meeting_at, decision, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        step_rows,
    )


def _derived_status(v: dict) -> str:
    if v["resolved_at"]:
        return "resolved"
    if v["arrived_at"]:
        return "on_site"
    return "assigned" if v["handler"] else "new"


def _update(store: Store, issue_id: int, v: dict, now: datetime, c: _Cleaner, row, conflicts: list) -> str | None:
    """Bring an issue imported before up to what the file says now; 'unchanged', 'updated' or None (refused)."""
    conn = store.conn
    current = get_issue_row(conn, issue_id)
    state = replay(current, history(conn, [current])[issue_id], tz=c.tz)
    stamp = to_db(now)
    handler = v["handler"]
    wanted: list[Step] = []
    problems = []
    if handler and handler != state.handler:
        # the file tells history: its handler may have left since (no check of staff.active, as for new rows)
        wanted.append(Step("assign", max(v["reported_at"], state.last_step_at), stamp, staff=handler,
                           staff_id=c.staff[handler]))
    if v["planned_at"] and not state.planned_at:
        wanted.append(Step("plan", v["planned_at"], stamp, by=handler, note=IMPORTED_NOTE))
    if v["arrived_at"] and not state.arrived_at:
        wanted.append(Step("arrive", v["arrived_at"], stamp, by=handler))
    elif v["arrived_at"] and v["arrived_at"] != state.arrived_at:
        problems.append(Message("on site at {file}, but redprop has {redprop}", file=show_time(v["arrived_at"], c.tz),
                                redprop=show_time(state.arrived_at, c.tz)))
    if v["resolved_at"] and not state.resolved_at:
        wanted.append(Step("resolve", v["resolved_at"], stamp, by=handler))
    elif v["resolved_at"] and v["resolved_at"] != state.resolved_at:
        problems.append(Message("resolved at {file}, but redprop has {redprop}", file=show_time(v["resolved_at"], c.tz),
                                redprop=show_time(state.resolved_at, c.tz)))
    elif not v["resolved_at"] and state.resolved_at:
        problems.append(Message("unfinished, but redprop has it resolved at {when}", when=show_time(state.resolved_at, c.tz)))
    if v["status"] == "closed" and not state.closed_at:
        wanted.append(Step("close", v["resolved_at"], stamp, by=handler))
    if v["rating"] is not None and v["rating"] != state.rating:
        wanted.append(Step("rate", v["resolved_at"], stamp, by=handler, value=str(v["rating"])))
    if problems:
        conflicts.append(row_error(row.number, Message("issue #{id} {problems}", id=issue_id, problems=problems)))
        return None
    statics = {"title": v["title"], "description": v["description"], "kind": v["kind"], "category": v["category"],
               "channel": v["channel"], "reporter": v["reporter"]}
    changed = {k: val for k, val in statics.items() if val is not None and val != current[k]}
    if not wanted and not changed:
        return "unchanged"
    if changed:
        conn.execute(f"UPDATE issues SET {', '.join(f'{k} = ?' for k in changed)} WHERE id = ?", (*changed.values(), issue_id))
    if wanted:
        try:
            _add_steps_in_import(store, issue_id, wanted)
        except RedpropError as e:
            conflicts.append(row_error(row.number, e.message))
            return None
    return "updated"


def _add_steps_in_import(store: Store, issue_id: int, steps: list[Step]) -> None:
    """Steps for one updated issue inside the import's transaction, undone alone if refused."""
    conn = store.conn
    conn.execute("SAVEPOINT import_update")
    try:
        write_steps(conn, store.tz, issue_id, steps, TermsCache(store))
    except BaseException:
        conn.execute("ROLLBACK TO import_update")
        conn.execute("RELEASE import_update")
        raise
    conn.execute("RELEASE import_update")
