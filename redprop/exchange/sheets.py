"""Reading the rosters offices keep in Excel, and loading them in one transaction.

A file becomes numbered rows of text (row 1 is the header, as in Excel), whatever its
encoding (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16 "Unicode text") or form (.csv, .tsv,
.xlsx). Every value stays text until a cleaner from `values` reads it, so a phone number's
leading zero survives. Each importer checks every row first and names each bad one as
`row N, column X: reason`; then it writes all good rows in one transaction, or nothing.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain
from pathlib import Path
from typing import Callable

from redprop.errors import ImportRefused, InvalidValue, Message, NotFound, RedpropError


@dataclass(frozen=True)
class Field:
    name: str
    headers: tuple[str, ...]  # accepted spellings, Chinese and English
    required: bool = False


@dataclass(slots=True)
class Row:
    number: int  # as Excel numbers it: the header is row 1
    cells: dict[str, str]  # field name -> text
    headers: dict[str, str]  # field name -> the header as written in the file

    def get(self, name: str) -> str:
        return self.cells.get(name, "")


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: list[Message] = field(default_factory=list)  # row errors (see `row_error`), in row order
    dry_run: bool = False
    ignored_columns: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "refused": self.refused_rows, "dry_run": self.dry_run}

    @property
    def refused_rows(self) -> int:
        """Rows refused (a row with two bad cells has two errors but is one row)."""
        return len({row_of(e) for e in self.refused})


def row_error(row: int, reason, column: str | None = None) -> Message:
    """`row 12, column 电话: reason` (row numbers as Excel shows them; the column as the file names it)."""
    if column is None:
        return Message("row {row}: {reason}", row=row, reason=reason)
    return Message("row {row}, column {column}: {reason}", row=row, column=column, reason=reason)


def row_of(error: Message) -> int:
    return error.values.get("row", 0)


def column_letter(index: int) -> str:
    """Excel's name for the column at 0-based `index`: A … Z, AA …"""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# A ledger's numbering column (序号) is never data: not reported as an ignored column.
NUMBERING_HEADERS = ("序号", "no.", "no")
# The footer of an office ledger (填表人：…  审核人：…) ends its table: not a row of data.
FOOTER_WORDS = ("填表人", "审核人", "制表人", "填报人", "负责人", "filled in by", "checked by")


def _is_footer(cells: list[str]) -> bool:
    texts = [c.strip().casefold() for c in cells if c.strip()]
    return bool(texts) and all(t.startswith(FOOTER_WORDS) for t in texts)


def _fold_header(text: str) -> str:
    return text.strip().lstrip("\ufeff").casefold().replace(" ", "").replace("_", "").replace("-", "")


def _decode(data: bytes, path: Path) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as e:
        raise InvalidValue("{file}: not UTF-8 or GBK/GB18030 text (byte {byte}); save it from Excel as CSV",
                           file=path.name, byte=e.start) from None


def _excel_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _read_xlsx(path: Path, sheet: str | None) -> list[list[str]]:
    try:
        from openpyxl import load_workbook
    except ImportError:  # pragma: no cover - declared dependency
        raise InvalidValue("reading .xlsx needs openpyxl (pip install openpyxl)") from None
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged file
        raise InvalidValue("{file}: not a readable .xlsx workbook ({error})", file=path.name, error=e.__class__.__name__) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InvalidValue("{file} has no sheet {sheet!r}; it has: {sheets}", file=path.name, sheet=sheet, sheets=list(book.sheetnames))
        ws = book[sheet] if sheet else book.worksheets[0]
        return [[_excel_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        book.close()


def read_grid(path: Path, sheet: str | None = None) -> list[list[str]]:
    """The file's cells as text, one list per spreadsheet row (blank rows included)."""
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return _read_xlsx(path, sheet)
        if sheet is not None:
            raise InvalidValue("--sheet only applies to .xlsx workbooks")
        text = _decode(path.read_bytes(), path)
    except FileNotFoundError:
        raise NotFound("no file {path}", path=str(path)) from None
    except IsADirectoryError:
        raise InvalidValue("{path} is a folder, not a file", path=str(path)) from None
    except PermissionError:
        raise InvalidValue("cannot read {path}: permission denied", path=str(path)) from None
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as e:
        raise InvalidValue("{file}: not a CSV file ({error})", file=path.name, error=str(e)) from None


def _header_row(grid: list[list[str]], lookup: dict) -> int | None:
    """The header row: the first of the first ten non-blank rows naming two known columns.

    Office sheets often start with a title row (住户花名册（2026年11月）) above the header;
    without such a row, the first non-blank row is the header.
    """
    non_blank = [i for i, cells in enumerate(grid[:50]) if any(c.strip() for c in cells)]
    for i in non_blank[:10]:
        if sum(_fold_header(c) in lookup for c in grid[i]) >= 2:
            return i
    return non_blank[0] if non_blank else None


def read_rows(path: Path, fields: list[Field], sheet: str | None = None) -> tuple[list[Row], list[str], list[str]]:
    """Rows mapped to fields by their headers; returns (rows, row errors, ignored headers)."""
    return read_sheet(path, fields, sheet)[:3]


def read_sheet(path: Path, fields: list[Field], sheet: str | None = None):
    """Like `read_rows`, and the header of each field found: (rows, errors, ignored, headers)."""
    grid = read_grid(path, sheet)
    lookup = {_fold_header(h): f for f in fields for h in (f.name, *f.headers)}
    header_index = _header_row(grid, lookup)
    if header_index is None:
        raise InvalidValue("{file} is empty", file=path.name)
    header = grid[header_index]
    columns: dict[int, Field] = {}
    ignored = []
    for i, text in enumerate(header):
        f = lookup.get(_fold_header(text))
        if f is None:
            if text.strip() and text.strip().casefold() not in NUMBERING_HEADERS:
                ignored.append(text.strip())
        elif f in columns.values():
            raise InvalidValue("{file}: two columns mean {field} ({text!r} and another)", file=path.name, field=f.name, text=text.strip())
        else:
            columns[i] = f
    missing = [f for f in fields if f.required and f not in columns.values()]
    if missing:
        wanted = "; ".join(f"{f.name} ({' / '.join(f.headers[:2])})" for f in missing)
        found = ", ".join(h.strip() for h in header if h.strip())
        raise InvalidValue("{file}: no column for {wanted}; the header row has: {found}", file=path.name, wanted=wanted, found=found)
    if not columns:
        found = ", ".join(h.strip() for h in header if h.strip())
        raise InvalidValue("{file}: no column redprop knows in row {row} ({found}); is this the right file, or the right --sheet?",
                           file=path.name, row=header_index + 1, found=found)
    headers = {f.name: header[i].strip() for i, f in columns.items()}
    rows, errors = [], []
    width = len(header)
    mapped = [(i, f.name) for i, f in columns.items()]
    reach = max(columns, default=-1) + 1  # a row this long has every mapped cell
    for number, cells in enumerate(grid[header_index + 1:], start=header_index + 2):
        if not "".join(cells).strip() or _is_footer(cells):
            continue  # Excel's blank rows, a ledger's footer
        length = len(cells)
        if length > width and "".join(cells[width:]).strip():
            extra = width + next(i for i, c in enumerate(cells[width:]) if c.strip())
            errors.append(
                row_error(number, Message("{length} cells but the header has {width} (a stray comma?)", length=length,
                                          width=width), column_letter(extra))
            )
            continue
        if length >= reach:
            values = {name: cells[i].strip() for i, name in mapped}
        else:
            values = {name: cells[i].strip() for i, name in mapped if i < length}
        rows.append(Row(number, values, headers))
    return rows, errors, ignored, headers


def clean_row(row: Row, cleaners: dict[str, Callable[[str], object]]) -> tuple[dict, list[str]]:
    """Apply each field's cleaner; collect `row N, column X: reason` for every bad value."""
    values, errors = {}, []
    cells = row.cells
    for name, cleaner in cleaners.items():
        try:
            values[name] = cleaner(cells.get(name, ""))
        except RedpropError as e:
            column = row.headers.get(name, name)
            errors.append(row_error(row.number, e.message, column))
    return values, errors


def insert_rows(conn, table: str, columns: list[str], rows: list[tuple], per_statement: int = 100) -> None:
    """INSERT `rows` into `table`, many to a statement: a bulk import spends a sixth less time
    here than with executemany() one row at a time. `table` and `columns` come from code."""
    one = f"({', '.join('?' * len(columns))})"
    into = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    whole = len(rows) - len(rows) % per_statement
    if whole:
        conn.executemany(
            into + ", ".join([one] * per_statement),
            (tuple(chain.from_iterable(rows[i:i + per_statement])) for i in range(0, whole, per_statement)),
        )
    conn.executemany(into + one, rows[whole:])


def remembering(cleaner: Callable[[str], object]) -> Callable[[str], object]:
    """The same cleaner, reading each distinct text once.

    A roster repeats its buildings, units, rooms, grid points and dates thousands of times;
    a 100,000-row import then cleans a few thousand texts instead of a million. The
    cleaner must depend on its text alone (bind `today` and the like before wrapping).
    """
    cache: dict[str, tuple[bool, object]] = {}

    def clean(text: str):
        try:
            ok, outcome = cache[text]
        except KeyError:
            try:
                ok, outcome = True, cleaner(text)
            except RedpropError as error:
                ok, outcome = False, error
            cache[text] = ok, outcome
        if ok:
            return outcome
        raise outcome.with_traceback(None)

    return clean


def one_per_key(cleaned, errors: list[str]) -> dict:
    """Keep one row per key from (key, row, values) triples.

    A key repeated with the same values is one row (Excel users paste twice). A key repeated
    with different values refuses every row that has it: which of them is right is for a
    person to say, not for the import to guess.
    """
    kept: dict = {}
    clashing: dict = {}
    for key, row, values in cleaned:
        shown = " ".join(k for k in key if k) if isinstance(key, tuple) else key
        if key in clashing:
            errors.append(row_error(row.number, Message("{key} is also on row {other} with different values", key=shown,
                                                        other=clashing[key])))
            continue
        if key in kept:
            first, first_values = kept[key]
            if first_values != values:
                for this, other in ((first, row), (row, first)):
                    errors.append(row_error(this.number, Message("{key} is also on row {other} with different values",
                                                                 key=shown, other=other.number)))
                clashing[key] = first.number
                del kept[key]
            continue
        kept[key] = (row, values)
    return kept


def finish(result: ImportResult, errors: list[Message], skip_invalid: bool, what: str) -> None:
    """Refuse the whole import when any row is bad, unless --skip-invalid. Errors in row order.

    `what` names the file's contents, a msgid (N_("household")): `household import refused: …`."""
    errors.sort(key=row_of)
    result.refused = errors
    if errors and not skip_invalid:
        bad = len({row_of(e) for e in errors})
        raise ImportRefused("{what} import refused: {bad} bad row(s), nothing written (fix them, or use --skip-invalid)",
                            errors, what=Message(what), bad=bad)
