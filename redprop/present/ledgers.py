"""The ledgers (台账) as files people hand on: Excel workbooks in the office layout, or CSV for Excel.

A ledger's columns are decided here — their headers in the worker's language, their widths,
what kind of cell each is — and each record's codes become labels (独居老人, 已解决, 按时). The
household ledger's headers are the ones `household import` reads (楼栋, 单元, 门牌号, 户主, 电话,
人口, 网格, 入住日期, 备注; Building, Unit, Room… in English), so the file goes back in unchanged.

`FILE.xlsx`: see `present.xlsx`. `FILE.csv`: the same table (序号 first, then the columns) in
UTF-8 with a BOM and CRLF lines, as Excel opens it, headers in the worker's language, every text
a spreadsheet would run as a formula written with a leading `'` (formats.csv_value).

Every file is written whole or not at all (into a hidden file beside it, renamed at the end),
readable by its owner only (mode 0600, whatever the umask): it holds residents' personal data.
"""

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from redprop.errors import N_, InvalidValue
from redprop.households import HOUSEHOLD
from redprop.present.formats import csv_value
from redprop.store.files import written_whole
from redprop.present.output import Output
from redprop.present.xlsx import CODE, DATE, DATETIME, NUMBER, TEXT, WRAP, Sheet, SheetColumn, write_workbook
from redprop.vocab import (
    CHANNELS, LEDGER_KINDS, ORDER_STAGES, PROMISE_STATES, STATUSES, TIER_CODES, VISIT_KINDS, VISIT_OUTCOMES,
)

SUFFIXES = (".xlsx", ".csv")


@dataclass(frozen=True)
class LedgerColumn:
    header: str  # English msgid
    width: float
    kind: str
    value: Callable[[dict], object]


def check_output(path: Path, suffixes=SUFFIXES) -> str:
    """The format a file name asks for (`xlsx` or `csv`), checked before any work is done."""
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise InvalidValue("-o {path}: name a file ending in {suffixes}", path=str(path), suffixes=" / ".join(suffixes))
    if path.is_dir():
        raise InvalidValue("{path} is a folder, not a file", path=str(path))
    return suffix[1:]


def _memo(function: Callable[[object], str]) -> Callable[[object], str]:
    """The same labelling function, working out each code's label once."""
    seen: dict = {}

    def labelled(code):
        try:
            return seen[code]
        except KeyError:
            seen[code] = result = function(code)
            return result
        except TypeError:  # a list: not a key
            return function(code)

    return labelled


class _Labels:
    """A ledger's codes as words, each worked out once."""

    def __init__(self, out: Output):
        labels = out.labels
        self.group_names = _memo(labels.group)
        self.category = _memo(labels.category)
        self.channel = _memo(lambda c: labels.of(CHANNELS, c))
        self.status = _memo(lambda c: labels.of(STATUSES, c))
        self.tier = _memo(lambda c: labels.of(TIER_CODES, c))
        self.promise = _memo(lambda c: labels.of(PROMISE_STATES, c))
        self.visit_kind = _memo(lambda c: labels.of(VISIT_KINDS, c))
        self.outcome = _memo(lambda c: labels.of(VISIT_OUTCOMES, c))
        self.order_stage = _memo(lambda c: labels.of(ORDER_STAGES, c))
        self._groups: dict[tuple, str] = {}
        self.separator = out.separator

    def groups(self, codes: list[str]) -> str:
        key = tuple(codes)
        text = self._groups.get(key)
        if text is None:
            text = self._groups[key] = self.separator.join(self.group_names(c) for c in codes)
        return text


def _text(value) -> str | None:
    return None if value is None else str(value)


def _cell(field, labels: _Labels) -> Callable[[dict], object]:
    """A field's ledger cell (fields.Cell): its codes as labels, a date as a date."""
    name = field.name
    if field.codes == "groups":
        return lambda r: labels.groups(r[name])
    if field.ledger.kind == DATE:
        return lambda r: _day(r[name])
    return lambda r: r[name]


def _day(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def ledger_columns(out: Output, kind: str, labels: _Labels) -> list[LedgerColumn]:
    """The columns of a ledger after 序号: header, width, cell kind, and the cell of a record."""
    if kind == "households":
        return [LedgerColumn(f.ledger.label or f.label, f.ledger.width, f.ledger.kind, _cell(f, labels))
                for f in HOUSEHOLD.ledgered()]
    if kind == "focus":
        return [
            LedgerColumn("Address", 11, CODE, lambda r: r["household"]),
            LedgerColumn("Name", 12, TEXT, lambda r: r["name"]),
            LedgerColumn("Member", 8, TEXT, lambda r: out._("whole household") if r["whole_household"] else out._("in person")),
            LedgerColumn("Phone", 15, CODE, lambda r: r["phone"]),
            LedgerColumn("Grid", 8, CODE, lambda r: r["grid"]),
            LedgerColumn("Focus groups", 24, WRAP, lambda r: labels.groups(r["groups"])),
            LedgerColumn("Cadence (days)", 11, NUMBER, lambda r: r["cadence_days"]),
            LedgerColumn("In the group since", 12, DATE, lambda r: r["since"]),
            LedgerColumn("Left on", 12, DATE, lambda r: r["until"]),
            LedgerColumn("Last contact", 17, DATETIME, lambda r: r["last_contact_at"]),
            LedgerColumn("Days since contact", 12, NUMBER, lambda r: r["days_since_contact"]),
        ]
    if kind == "visits":
        return [
            LedgerColumn("Visit no.", 8, CODE, lambda r: _text(r["id"])),
            LedgerColumn("Visited at", 17, DATETIME, lambda r: r["at"]),
            LedgerColumn("Address", 11, CODE, lambda r: r["household"]),
            LedgerColumn("Head", 12, TEXT, lambda r: r["head"]),
            LedgerColumn("Grid", 8, CODE, lambda r: r["grid"]),
            LedgerColumn("Focus groups", 20, WRAP, lambda r: labels.groups(r["groups"])),
            LedgerColumn("Person visited", 10, TEXT, lambda r: r["resident"]),
            LedgerColumn("Visit type", 8, TEXT, lambda r: labels.visit_kind(r["kind"])),
            LedgerColumn("Outcome", 10, TEXT, lambda r: labels.outcome(r["outcome"])),
            LedgerColumn("Need", 24, WRAP, lambda r: r["need"]),
            LedgerColumn("Visitor", 10, TEXT, lambda r: r["by"]),
            LedgerColumn("Note", 24, WRAP, lambda r: r["note"]),
            LedgerColumn("Issue opened", 9, CODE, lambda r: _text(r["issue"])),
        ]
    if kind == "orders":
        return order_columns(out, labels)
    common = [
        LedgerColumn("Issue no.", 8, CODE, lambda r: _text(r["id"])),
        LedgerColumn("Reported", 17, DATETIME, lambda r: r["reported_at"]),
        LedgerColumn("Category", 10, TEXT, lambda r: labels.category(r["category"])),
        LedgerColumn("Channel", 12, TEXT, lambda r: labels.channel(r["channel"])),
        LedgerColumn("Where", 14, WRAP, lambda r: " ".join(filter(None, (r["household"], r["place"])))),
        LedgerColumn("Title", 26, WRAP, lambda r: r["title"]),
        LedgerColumn("Reported by", 10, TEXT, lambda r: r["reporter"]),
    ]
    if kind == "problems":
        return common + [
            LedgerColumn("Tier", 8, TEXT, lambda r: labels.tier(r["tier"])),
            LedgerColumn("Status", 9, TEXT, lambda r: labels.status(r["status"])),
            LedgerColumn("Handler", 10, TEXT, lambda r: r["handler"]),
            LedgerColumn("On site at", 17, DATETIME, lambda r: r["arrived_at"]),
            LedgerColumn("Resolved", 17, DATETIME, lambda r: r["resolved_at"]),
            LedgerColumn("On site in time", 9, TEXT, lambda r: labels.promise(r["arrive"])),
            LedgerColumn("Solved in time", 9, TEXT, lambda r: labels.promise(r["resolve"])),
            LedgerColumn("Plan in time", 9, TEXT, lambda r: labels.promise(r["plan"])),
            LedgerColumn("Follow-up call", 9, TEXT, lambda r: labels.promise(r["follow_up"])),
            LedgerColumn("Rating", 7, NUMBER, lambda r: r["rating"]),
        ]
    return common + [
        LedgerColumn("Status", 9, TEXT, lambda r: labels.status(r["status"])),
        LedgerColumn("Handler", 10, TEXT, lambda r: r["handler"]),
        LedgerColumn("Replied at", 17, DATETIME, lambda r: r["planned_at"]),
        LedgerColumn("Resolved", 17, DATETIME, lambda r: r["resolved_at"]),
        LedgerColumn("Reply in time", 9, TEXT, lambda r: labels.promise(r["plan"])),
        LedgerColumn("Follow-up call", 9, TEXT, lambda r: labels.promise(r["follow_up"])),
        LedgerColumn("Rating", 7, NUMBER, lambda r: r["rating"]),
    ]


def order_columns(out: Output, labels: _Labels) -> list[LedgerColumn]:
    """The reply sheet of the work orders from above (工单台账): the platforms' columns, then
    the codes that go up beside the community's own (grid point, category)."""
    def yes_no(value) -> str | None:
        return None if value is None else (out._("Yes") if value else out._("No"))

    return [
        LedgerColumn("Order no.", 20, CODE, lambda r: r["number"]),  # 工单编号
        LedgerColumn("Source", 10, TEXT, lambda r: r["source"]),  # 来源
        LedgerColumn("Type of request", 14, TEXT, lambda r: r["upstream_type"]),  # 诉求类型
        LedgerColumn("Request", 28, WRAP, lambda r: r["content"]),  # 诉求内容
        LedgerColumn("Dispatched", 17, DATETIME, lambda r: r["dispatched_at"]),  # 派单时间
        LedgerColumn("Signed for", 17, DATETIME, lambda r: r["signed_at"]),  # 签收时间
        LedgerColumn("Deadline", 17, DATETIME, lambda r: r["due_at"]),  # 办结时限
        LedgerColumn("Handler", 10, TEXT, lambda r: r["handler"]),  # 处理人
        LedgerColumn("Order status", 10, TEXT, lambda r: labels.order_stage(r["stage"])),  # 工单状态: 退回…
        LedgerColumn("What was done", 28, WRAP, lambda r: r["reply"]),  # 办理情况
        LedgerColumn("Solved", 8, TEXT, lambda r: yes_no(r["solved"])),  # 是否解决
        LedgerColumn("Why not solved", 20, WRAP, lambda r: r["why_not"]),  # 未解决原因
        LedgerColumn("Closed", 17, DATETIME, lambda r: r["closed_at"]),  # 结案时间
        LedgerColumn("On time", 8, TEXT, lambda r: yes_no(r["on_time"])),  # 按期
        LedgerColumn("Extended", 8, TEXT, lambda r: yes_no(r["extended"])),  # 延期
        LedgerColumn("Times urged", 8, NUMBER, lambda r: r["urges"]),  # 督办次数
        LedgerColumn("Times reworked", 8, NUMBER, lambda r: r["reworks"]),  # 返工次数
        LedgerColumn("Follow-up rating", 9, NUMBER, lambda r: r["rating"]),  # 回访满意度
        LedgerColumn("Grid", 8, CODE, lambda r: r["grid"]),
        LedgerColumn("Grid code", 17, CODE, lambda r: r["grid_code"]),  # 网格编码
        LedgerColumn("Category", 10, TEXT, lambda r: labels.category(r["category"])),
        LedgerColumn("Upstream class", 16, TEXT, lambda r: r["category_upstream"]),  # 上级分类
        LedgerColumn("Issue no.", 8, CODE, lambda r: _text(r["issue"])),
    ]


NUMBER_COLUMN = LedgerColumn("No.", 6, NUMBER, lambda r: None)  # 序号
FILLED_IN_BY = N_("Filled in by:")
CHECKED_BY = N_("Checked by:")


def period_line(out: Output, community: str, first: date, last: date, made_on: date) -> tuple[str, str, str]:
    return (out._("Reporting unit: {unit}", unit=community),
            out._("Period: {first} to {last}", first=first.isoformat(), last=last.isoformat()),
            out._("Date filled in: {day}", day=made_on.isoformat()))


def ledger_title(out: Output, community: str, name: str, grid: str | None = None, buildings: list[str] | None = None,
                 staff: str | None = None) -> str:
    title = out._("{community} {ledger}", community=community, ledger=name).strip()
    where = [w for w in (buildings and out._("building {building}", building=out.separator.join(buildings)),
                         grid and out._("grid {grid}", grid=grid), staff) if w]
    return out._("{title} ({where})", title=title, where=out.separator.join(where)) if where else title


def numbered(records: Iterable[dict], columns: list[LedgerColumn]) -> Iterable[list]:
    """Each record as its row of cells, 序号 first."""
    values = [c.value for c in columns]
    for number, record in enumerate(records, start=1):
        row = [value(record) for value in values]
        row.insert(0, number)
        yield row


def write_table(path: Path, fmt: str, sheets: list[Sheet]) -> list[Sheet]:
    """Sheets to `path`: a workbook, or (one sheet) CSV for Excel."""
    with written_whole(path) as stream:
        if fmt == "xlsx":
            return write_workbook(stream, sheets)
        (sheet,) = sheets
        write_csv_for_excel(stream, sheet)
        return [sheet]


def _csv_cell(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return csv_value(value)


def write_csv_for_excel(stream, sheet: Sheet) -> None:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([c.header for c in sheet.columns])
    count = 0
    for row in sheet.rows:
        writer.writerow([_csv_cell(v) for v in row])
        count += 1
    sheet.written = count
    text.flush()
    text.detach()


def ledger_file(out: Output, ledger, path: Path, made_on: date) -> None:
    """`redprop ledger KIND -o FILE`: the file, and one line on stderr saying what was written where."""
    fmt = check_output(path)
    labels = _Labels(out)
    columns = [NUMBER_COLUMN, *ledger_columns(out, ledger.kind, labels)]
    name = out.language.label(LEDGER_KINDS.get(ledger.kind))
    sheet = Sheet(
        name=name,
        title=ledger_title(out, ledger.community, name, ledger.grid, ledger.buildings, ledger.staff),
        period_line=period_line(out, ledger.community, ledger.first, ledger.last, made_on),
        columns=[SheetColumn(out._(c.header), c.width, c.kind) for c in columns],
        rows=numbered(ledger.records, columns[1:]),
        footer=(out._(FILLED_IN_BY), out._(CHECKED_BY)),
    )
    write_table(path, fmt, [sheet])
    out.note(out._("{ledger}: {rows} rows written to {path}", ledger=name, rows=sheet.written, path=str(path)))


def plan_columns(labels: _Labels) -> list[LedgerColumn]:
    """The round sheet's columns after 序号, the last one empty: ticked and signed on the round."""
    return [
        LedgerColumn("Address", 11, CODE, lambda r: r["household"]),
        LedgerColumn("Head", 12, TEXT, lambda r: r["head"]),
        LedgerColumn("Phone", 15, CODE, lambda r: r["phone"]),
        LedgerColumn("Grid", 8, CODE, lambda r: r["grid"]),
        LedgerColumn("Focus groups", 22, WRAP, lambda r: labels.groups(r["groups"])),
        LedgerColumn("Days unseen", 8, NUMBER, lambda r: r["days_since_seen"]),
        LedgerColumn("Due on", 12, DATE, lambda r: date.fromisoformat(r["due_at"][:10])),
        LedgerColumn("Knocks", 8, NUMBER, lambda r: r["failed_attempts"] or None),
        LedgerColumn("Visited ✓ / signature", 20, TEXT, lambda r: None),
    ]


def plan_file(out: Output, rows: list[dict], path: Path, *, community: str, first: date, last: date, made_on: date) -> None:
    """`visit plan -o FILE.xlsx`: the week's round sheets, one sheet per person (the unassigned
    last), in the ledger layout with an empty column to tick and sign."""
    check_output(path, (".xlsx",))
    columns = [NUMBER_COLUMN, *plan_columns(_Labels(out))]
    people = list(dict.fromkeys(r["staff"] for r in rows))
    name = out._("Visit rounds")
    title = out._("{community} {ledger}", community=community, ledger=name).strip()
    sheets = []
    for person in people or [None]:
        who = (person or out._("unassigned")) if people else None
        sheets.append(Sheet(
            name=who or name,
            title=out._("{title} ({where})", title=title, where=who) if who else title,
            period_line=period_line(out, community, first, last, made_on),
            columns=[SheetColumn(out._(c.header), c.width, c.kind) for c in columns],
            rows=numbered([r for r in rows if r["staff"] == person], columns[1:]),
            footer=(out._(FILLED_IN_BY), out._(CHECKED_BY)),
            row_height=30,
        ))
    write_table(path, "xlsx", sheets)
    out.note(out._("{ledger}: {rows} rows written to {path}", ledger=name, rows=sum(s.written for s in sheets), path=str(path)))
