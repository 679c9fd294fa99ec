"""Reading the rosters offices keep in Excel, and loading them in one transaction.

A file becomes numbered rows of text (row 1 is the header, as in Excel), read as a stream,
never whole: a CSV through the csv module over its decoded text (UTF-8, UTF-8 with BOM,
UTF-16, or GBK/GB18030 when charset-normalizer finds it plausible on the first lines that
are not plain ASCII, or when it holds GB18030's own four-byte characters; Big5, Shift-JIS
and the rest are refused by name), a .xlsx sheet parsed as it is read, after its archive is
checked for parts that would unpack too far. Only a regular file is read (a fifo or a device
such as /dev/zero would never end), and at most --max-rows × BYTES_PER_ROW bytes of it. Every value stays text until a
cleaner from `values` reads it, so a phone number's leading zero survives. Each importer
names each bad row as `row N, column X: reason`, and writes all good rows in one
transaction, or nothing; the limits (rows, cell and line lengths, unpacked sizes) are in
`limits`.
"""

import codecs
import csv
import gc
import io
import os
import stat
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from datetime import date, datetime
from itertools import chain, islice
from pathlib import Path
from typing import Callable

from redprop.errors import BadPath, ImportRefused, InvalidValue, Message, NotFound, RedpropError
from redprop.spreadsheet import FORMULA_STARTS, column_letter
from redprop.store.files import checked_path, path_error, shown, special_kind
from redprop.exchange.limits import (
    BYTES_PER_ROW, CELL_LIMIT, DEFAULT_MAX_ROWS, LINE_LIMIT, XLSX_RATIO_FROM, XLSX_RATIO_LIMIT, XLSX_UNPACKED_LIMIT,
)


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

    refused_total: int | None = None  # rows refused, when more than `refused` lists
    new_grids: list[str] = field(default_factory=list)  # grid points the file brought
    first_grids: bool = False  # ... as the community's first (it had none)

    def as_dict(self) -> dict:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "refused": self.refused_rows, "dry_run": self.dry_run, "new_grids": self.new_grids}

    @property
    def refused_rows(self) -> int:
        """Rows refused (a row with two bad cells has two errors but is one row)."""
        if self.refused_total is not None:
            return self.refused_total
        return len({row_of(e) for e in self.refused})

    @property
    def unlisted_rows(self) -> int:
        """Refused rows whose errors were not kept (past RowErrors.CAP)."""
        return self.refused_rows - len({row_of(e) for e in self.refused})


class RowErrors(list):
    """The row errors of an import as it meets them: every bad row is counted, the errors of
    the first CAP bad rows are kept (a million bad rows would otherwise fill the memory the
    streaming saves)."""

    CAP = 1000

    def __init__(self):
        super().__init__()
        self.rows: set[int] = set()  # every bad row
        self.kept: set[int] = set()  # the rows whose errors are listed

    def append(self, error) -> None:
        row = row_of(error)
        self.rows.add(row)
        if row not in self.kept:
            if len(self.kept) >= self.CAP:
                return
            self.kept.add(row)
        super().append(error)

    def extend(self, errors) -> None:
        for e in errors:
            self.append(e)

    def __iadd__(self, errors):
        self.extend(errors)
        return self


def row_error(row: int, reason, column: str | None = None) -> Message:
    """`row 12, column 电话: reason` (row numbers as Excel shows them; the column as the file names it)."""
    if column is None:
        return Message("row {row}: {reason}", row=row, reason=reason)
    return Message("row {row}, column {column}: {reason}", row=row, column=column, reason=reason)


def row_of(error: Message) -> int:
    return error.values.get("row", 0)


# A ledger's numbering column (序号) is never data: not reported as an ignored column.
NUMBERING_HEADERS = ("序号", "no.", "no")
# The footer of an office ledger (填表人：…  审核人：…) ends its table: not a row of data.
FOOTER_WORDS = ("填表人", "审核人", "制表人", "填报人", "负责人", "filled in by", "checked by")


def _is_footer(cells: list[str]) -> bool:
    texts = [c.strip().casefold() for c in cells if c.strip()]
    return bool(texts) and all(t.startswith(FOOTER_WORDS) for t in texts)


def _fold_header(text: str) -> str:
    return text.strip().lstrip("\ufeff").casefold().replace(" ", "").replace("_", "").replace("-", "")


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


SAMPLE = 256 * 1024  # bytes read to tell a CSV file's encoding
DETECT_SAMPLE = 64 * 1024  # of which charset-normalizer reads this many
_CANDIDATES = ["gb18030", "big5", "shift_jis", "euc_jp", "euc_kr", "cp1252", "utf_16"]
_EAST_ASIAN = {"gb18030", "big5", "shift_jis", "euc_jp", "euc_kr"}
# What charset-normalizer may name and we accept, and how we decode it.
_ACCEPTED = {"utf_8": "utf-8", "ascii": "utf-8", "gb18030": "gb18030", "gbk": "gb18030", "gb2312": "gb18030",
             "utf_16": "utf-16", "utf_16_le": "utf-16-le", "utf_16_be": "utf-16-be"}
_ENCODING_NAMES = {"big5": "Big5", "big5hkscs": "Big5-HKSCS", "cp950": "Big5", "shift_jis": "Shift-JIS",
                   "cp932": "Shift-JIS", "euc_jp": "EUC-JP", "iso2022_jp": "ISO-2022-JP", "euc_kr": "EUC-KR",
                   "cp949": "EUC-KR", "cp1252": "Windows-1252", "latin_1": "Latin-1", "cp1250": "Windows-1250",
                   "cp1251": "Windows-1251", "koi8_r": "KOI8-R", "hz": "HZ", "utf_32": "UTF-32"}


def _too_long(number: int, column: int, length: int) -> InvalidValue:
    return InvalidValue("row {row}, column {column}: {length} characters, more than a cell may hold ({limit})",
                        row=number, column=column_letter(column), length=length, limit=CELL_LIMIT)


def _check_cells(number: int, cells: list[str]) -> None:
    for i, c in enumerate(cells):
        if len(c) > CELL_LIMIT:
            raise _too_long(number, i, len(c))


def _encoding(sample: bytes, path: Path) -> str:
    """The encoding of a CSV file, told from its telling sample (see `_telling_sample`); a refusal
    names the likely one."""
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    final = len(sample) < SAMPLE
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=final)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if _beyond_gbk(sample, final):
        return "gb18030"
    from charset_normalizer import from_bytes

    # Chinese offices write GBK/GB18030 unless told otherwise: it wins when it reads about as
    # cleanly as the best guess (a short file is ambiguous) and its characters are the common
    # ones; Big5 or Shift-JIS read as GB18030 give rare characters and more "chaos".
    # A Chinese office's file with a few names among English headers and digits reads as
    # Windows-1252 without "chaos" too: a multi-byte East Asian reading is preferred to it.
    results = list(from_bytes(sample[:DETECT_SAMPLE], cp_isolation=_CANDIDATES))
    east_asian = [m for m in results if m.encoding in _EAST_ASIAN]
    best = min(east_asian, key=lambda m: m.chaos) if east_asian else (results[0] if results else None)
    gb = next((m for m in east_asian if m.encoding == "gb18030"), None)
    if gb is not None and gb.chaos <= best.chaos + 0.03 and _common_chinese(sample):
        return "gb18030"
    name = best.encoding if best is not None else None
    if name in _ACCEPTED and name not in ("utf_8", "ascii", "gb18030"):
        return _ACCEPTED[name]
    if name in (None, "gb18030"):  # a GB18030 reading of rare characters only: no name to give it
        raise InvalidValue("{file}: not text redprop can read (not UTF-8, GBK or UTF-16); save it from Excel as"
                           " \"CSV UTF-8\"", file=path.name)
    raise InvalidValue("{file} looks like {encoding} text, which redprop does not read: open it in Excel or WPS and"
                       " save it as \"CSV UTF-8\"", file=path.name, encoding=_ENCODING_NAMES.get(name, name))


def _beyond_gbk(sample: bytes, final: bool) -> bool:
    """Whether the sample is GB18030 holding characters only GB18030 writes: four-byte ones (𠀀 and
    the other extensions) or the ones added at the end of its two-byte range (䶮). Big5, Shift-JIS
    and the EUC encodings never put a digit after a lead byte nor an FE lead byte before a byte
    of 0x80 and over, so such characters settle the question without a detector."""
    try:
        text = codecs.getincrementaldecoder("gb18030")().decode(sample, final=final)
    except UnicodeDecodeError:
        return False
    for ch in text:
        if ord(ch) >= 0x3400 and unicodedata.category(ch) == "Lo":
            encoded = ch.encode("gb18030")
            if len(encoded) == 4 or encoded[0] == 0xFE and encoded[1] >= 0x80:
                return True
    return False


def _common_chinese(sample: bytes) -> bool:
    """Whether the Chinese characters of a GB18030 reading are mostly the common ones (GB2312)."""
    text = sample.decode("gb18030", errors="ignore")
    chinese = [ch for ch in text if ord(ch) >= 0x2E80]
    if not chinese:
        return True
    common = 0
    for ch in chinese:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common >= 0.8 * len(chinese)


def _telling_sample(binary, sample: bytes) -> bytes:
    """The bytes that tell a file's encoding: SAMPLE bytes from the line of its first byte that
    is not ASCII. Thousands of plain ASCII rows first (a long English header, rows of digits)
    would leave a detector only a few Chinese names to judge, or none: a GBK file would be
    called Big5, or read as UTF-8 until row 50,000. Scanned a megabyte at a time. A file with
    a BOM is told by its first bytes."""
    if sample.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return sample
    if not sample.isascii():
        first = next(i for i, byte in enumerate(sample) if byte > 0x7F)
        start = sample.rfind(b"\n", 0, first) + 1
        return sample[start:] + binary.read(start)
    if len(sample) < SAMPLE:
        return sample
    while chunk := binary.read(1 << 20):
        if not chunk.isascii():
            first = next(i for i, byte in enumerate(chunk) if byte > 0x7F)
            start = chunk.rfind(b"\n", 0, first) + 1
            return chunk[start:start + SAMPLE] + binary.read(max(0, SAMPLE - (len(chunk) - start)))
    return sample


def _csv_rows(binary, path: Path):
    """(row number, cells) of a CSV or tab-separated file (`binary`, open), read as a stream.

    Lines are read at most LINE_LIMIT characters at a time, so a stray quote or a file with
    no line breaks cannot fill the memory: a longer line arrives in pieces, and its cells are
    over the cell limit (or more than the header has) and refused by row.
    """
    try:
        sample = binary.read(SAMPLE)
        encoding = _encoding(_telling_sample(binary, sample), path)
        binary.seek(0)
        text = io.TextIOWrapper(binary, encoding=encoding, newline="")
        head = codecs.decode(sample[: 64 * 1024], encoding, errors="ignore")
        first_line = head.split("\n", 1)[0]
        delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
        csv.field_size_limit(LINE_LIMIT)
        reader = csv.reader(iter(partial(text.readline, LINE_LIMIT), ""), delimiter=delimiter)
        number = 0
        try:
            for cells in reader:
                number += 1
                if sum(map(len, cells)) > CELL_LIMIT:
                    _check_cells(number, cells)
                yield number, cells
        except UnicodeDecodeError as e:
            raise InvalidValue("{file}: not {encoding} text further on ({error}); save it from Excel as \"CSV UTF-8\"",
                               file=path.name, encoding=encoding, error=e.reason) from None
        except csv.Error as e:
            if "field larger" in str(e):
                raise _too_long(number + 1, 0, LINE_LIMIT) from None
            raise InvalidValue("{file}: not a CSV file ({error})", file=path.name, error=str(e)) from None
    finally:
        binary.close()


def _unmarked(cell: str) -> str:
    """A cell an export marked as text (`'=…`, `'-…`: see FORMULA_STARTS) as it was before."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] and cell[1] in FORMULA_STARTS else cell


def _check_archive(binary, path: Path) -> None:
    """Refuse a workbook whose parts would unpack too far (a zip bomb) before any is parsed."""
    import zipfile

    try:
        with zipfile.ZipFile(binary) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError):  # a missing or unreadable file is said by read_grid, as for a CSV
        raise InvalidValue("{file}: not a readable .xlsx workbook ({error})", file=path.name, error="BadZipFile") from None
    total = sum(p.file_size for p in parts)
    if total > XLSX_UNPACKED_LIMIT:
        raise InvalidValue("{file}: its parts would unpack to {size} MB, more than {limit} MB; refused as a possible"
                           " zip bomb (save it again from Excel, or split it)", file=path.name,
                           size=total // 2**20, limit=XLSX_UNPACKED_LIMIT // 2**20)
    for p in parts:
        if p.file_size > XLSX_RATIO_FROM and p.file_size > XLSX_RATIO_LIMIT * max(p.compress_size, 1):
            raise InvalidValue("{file}: part {part} is compressed {ratio}:1, more than {limit}:1; refused as a possible"
                               " zip bomb (save it again from Excel)", file=path.name, part=p.filename,
                               ratio=p.file_size // max(p.compress_size, 1), limit=XLSX_RATIO_LIMIT)


def _xlsx_rows(binary, path: Path, sheet: str | None):
    """(row number, cells) of a worksheet (`binary`, open), parsed as a stream; a formula without its
    saved value is refused."""
    _check_archive(binary, path)
    binary.seek(0)
    try:
        from openpyxl import load_workbook
        from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser
    except ImportError:  # pragma: no cover - declared dependency
        raise InvalidValue("reading .xlsx needs openpyxl (pip install openpyxl)") from None

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            if cell["value"] is None and element.find(FORMULA_TAG) is not None:
                raise _NoSavedValue(element.get("r") or f"{column_letter(cell['column'] - 1)}{cell['row']}")
            return cell

    try:
        book = load_workbook(binary, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged file
        raise InvalidValue("{file}: not a readable .xlsx workbook ({error})", file=path.name, error=e.__class__.__name__) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InvalidValue("{file} has no sheet {sheet!r}; it has: {sheets}", file=path.name, sheet=sheet, sheets=list(book.sheetnames))
        ws = book[sheet] if sheet else book.worksheets[0]
        source = ws._get_source()
        try:
            parser = Parser(source, ws._shared_strings, data_only=True, epoch=book.epoch,
                            date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
            for number, cells in parser.parse():
                if not cells:
                    continue
                width = max(c["column"] for c in cells)
                row = [""] * width
                for c in cells:
                    row[c["column"] - 1] = _excel_text(c["value"])
                if sum(map(len, row)) > CELL_LIMIT:
                    _check_cells(number, row)
                yield number, row
        except _NoSavedValue as e:
            raise InvalidValue("{file}: cell {cell} is a formula with no saved value; open and save it in Excel first",
                               file=path.name, cell=e.cell) from None
        except InvalidValue:
            raise
        except Exception as e:  # a damaged sheet part
            raise InvalidValue("{file}: not a readable .xlsx workbook ({error})", file=path.name, error=e.__class__.__name__) from None
        finally:
            source.close()
    finally:
        book.close()


class _NoSavedValue(Exception):
    def __init__(self, cell: str):
        self.cell = cell


def read_grid(path: Path, sheet: str | None = None, max_rows: int = DEFAULT_MAX_ROWS):
    """(row number, cells as text) of each non-empty spreadsheet row, read as a stream."""
    limit = Message("--max-rows {rows} × {per} bytes a row: split the file, or raise --max-rows", rows=max_rows,
                    per=BYTES_PER_ROW)
    with open_import(path, max(max_rows, 1000) * BYTES_PER_ROW, limit) as binary:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            yield from _xlsx_rows(binary, path, sheet)
        else:
            if sheet is not None:
                raise InvalidValue("--sheet only applies to .xlsx workbooks")
            yield from _csv_rows(binary, path)


def open_import(path: Path, limit: int, why: Message):
    """The file to import, open for reading as bytes: only a regular file (a fifo would block
    for ever and /dev/zero never end: refused before they are opened, BadPath, exit 2), of at
    most `limit` bytes (InvalidValue, exit 4, naming the limit and `why` it is that). A file that
    grows while it is read stops at the limit too."""
    path = checked_path(Path(path))
    try:
        found = os.stat(path)
        if stat.S_ISDIR(found.st_mode):
            raise BadPath("{path} is a folder, not a file", path=shown(path))
        kind = special_kind(found.st_mode)
        if kind:
            raise BadPath("{path} is {kind}, not a file; redprop imports only files (save it to a file first)",
                          path=shown(path), kind=Message(kind))
        if found.st_size > limit:
            raise _too_big(path, found.st_size, limit, why)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise NotFound("no file {path}", path=shown(path)) from None
    except PermissionError:
        raise BadPath("cannot read {path}: permission denied", path=shown(path)) from None
    except OSError as error:
        raise path_error(path, error) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for something else since it was looked at
        os.close(fd)
        raise BadPath("{path} is not a file; redprop imports only files", path=shown(path))
    os.set_blocking(fd, True)
    return io.BufferedReader(_Capped(fd, path, limit, why), buffer_size=1 << 16)


MB = 1000 * 1000  # as file managers count


def _too_big(path: Path, size: int | None, limit: int, why: Message) -> InvalidValue:
    if size is None:
        return InvalidValue("{file} grew past {limit} MB while it was read, more than an import reads ({why})",
                            file=path.name, limit=limit // MB, why=why)
    return InvalidValue("{file}: {size} MB, more than an import reads ({limit} MB: {why})", file=path.name,
                        size=-(-size // MB), limit=limit // MB, why=why)


class _Capped(io.FileIO):
    """A file read no further than a limit, however it grows meanwhile."""

    def __init__(self, fd: int, path: Path, limit: int, why: Message):
        super().__init__(fd, "rb", closefd=True)
        self.path, self.limit, self.why = path, limit, why

    def readinto(self, buffer) -> int:
        count = super().readinto(buffer)
        if count and self.tell() > self.limit:
            raise _too_big(self.path, None, self.limit, self.why)
        return count

    def readall(self) -> bytes:  # FileIO's own reads past readinto
        whole, buffer = bytearray(), bytearray(1 << 16)
        while count := self.readinto(buffer):
            whole += buffer[:count]
        return bytes(whole)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return self.readall()
        buffer = bytearray(size)
        return bytes(buffer[:self.readinto(buffer)])


def _header_row(head: list[tuple[int, list[str]]], lookup: dict) -> int | None:
    """The header row's index in `head`: the first of the first ten non-blank rows naming two
    known columns.

    Office sheets often start with a title row (住户花名册（2026年11月）) above the header;
    without such a row, the first non-blank row is the header.
    """
    non_blank = [i for i, (_, cells) in enumerate(head) if any(c.strip() for c in cells)]
    for i in non_blank[:10]:
        if sum(_fold_header(c) in lookup for c in head[i][1]) >= 2:
            return i
    return non_blank[0] if non_blank else None


def read_rows(path: Path, fields: list[Field], sheet: str | None = None, max_rows: int = DEFAULT_MAX_ROWS):
    """Rows mapped to fields by their headers; returns (rows, row errors, ignored headers)."""
    return read_sheet(path, fields, sheet, max_rows)[:3]


def read_sheet(path: Path, fields: list[Field], sheet: str | None = None, max_rows: int = DEFAULT_MAX_ROWS):
    """The file's rows mapped to fields by their headers: (rows, errors, ignored, headers).

    `rows` is an iterator: the file is read as it is consumed, never whole. `errors` (a
    row with more cells than the header) fills as it goes. More than `max_rows` data rows
    stop the import with an error naming the limit and the flag.
    """
    grid = iter(read_grid(path, sheet, max_rows))
    head = list(islice(grid, 50))
    lookup = {_fold_header(h): f for f in fields for h in (f.name, *f.headers)}
    header_index = _header_row(head, lookup)
    if header_index is None:
        raise InvalidValue("{file} is empty", file=path.name)
    header = head[header_index][1]
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
                           file=path.name, row=head[header_index][0], found=found)
    headers = {f.name: header[i].strip() for i, f in columns.items()}
    errors = RowErrors()
    rest = chain(head[header_index + 1:], grid)
    del head
    return _mapped_rows(rest, columns, headers, len(header), errors, max_rows, path), errors, ignored, headers


def _mapped_rows(grid, columns: dict, headers: dict, width: int, errors: list, max_rows: int, path: Path):
    mapped = [(i, f.name) for i, f in columns.items()]
    reach = max(columns, default=-1) + 1  # a row this long has every mapped cell
    count = 0
    for number, cells in grid:
        joined = "".join(cells)
        if not joined.strip() or ("人" in joined or " by" in joined) and _is_footer(cells):
            continue  # Excel's blank rows, a ledger's footer (every word of FOOTER_WORDS has 人 or " by")
        if "'" in joined:
            cells = [_unmarked(cell) for cell in cells]
        count += 1
        if count > max_rows:
            raise InvalidValue("{file}: more than {limit} rows (row {row}); split the file, or raise the limit with"
                               " --max-rows", file=path.name, limit=max_rows, row=number)
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
        yield Row(number, values, headers)


def clean_row(row: Row, cleaners: dict[str, Callable[[str], object]]) -> tuple[dict, list[str]]:
    """Apply each field's cleaner; collect `row N, column X: reason` for every bad value."""
    cells = row.cells
    get = cells.get
    try:  # most rows are good: read them straight through, and only a bad one cell by cell
        return {name: cleaner(get(name, "")) for name, cleaner in cleaners.items()}, []
    except RedpropError:
        pass
    values, errors = {}, []
    for name, cleaner in cleaners.items():
        try:
            values[name] = cleaner(cells.get(name, ""))
        except RedpropError as e:
            column = row.headers.get(name, name)
            errors.append(row_error(row.number, e.message, column))
    return values, errors


@contextmanager
def no_cyclic_gc():
    """The cyclic garbage collector paused during an import: its rows make no cycles, and with
    hundreds of thousands of them alive its passes cost a tenth to a third of the import."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def remembering(cleaner: Callable[[str], object]) -> Callable[[str], object]:
    """The same cleaner, reading each distinct text once.

    A roster repeats its buildings, units, rooms, grid points and dates thousands of times;
    a 100,000-row import then cleans a few thousand texts instead of a million. The
    cleaner must depend on its text alone (bind `today` and the like before wrapping). A text
    seen before is a dict look-up in C, no Python call; a bad one (rare) is cleaned again each
    time, raising as the cleaner does.
    """
    return _Remembered(cleaner).__getitem__


class _Remembered(dict):
    """text → the cleaner's value, filled as texts come."""

    __slots__ = ("cleaner",)

    def __init__(self, cleaner: Callable[[str], object]):
        super().__init__()
        self.cleaner = cleaner

    def __missing__(self, text: str):
        value = self[text] = self.cleaner(text)
        return value


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

    `what` names the file's contents, a msgid (N_("household")): `household import refused: …`.
    Every bad row is counted; the errors of the first RowErrors.CAP bad rows are listed."""
    rows = getattr(errors, "rows", None)
    bad = len(rows) if rows is not None else len({row_of(e) for e in errors})
    errors = sorted(errors, key=row_of)
    result.refused = errors
    result.refused_total = bad
    if errors and not skip_invalid:
        listed = len({row_of(e) for e in errors})
        shown = errors if listed == bad else [*errors, Message(
            "… and {count} more refused rows, not listed (the first {listed} are)", count=bad - listed, listed=listed)]
        raise ImportRefused("{what} import refused: {bad} bad row(s), nothing written (fix them, or use --skip-invalid)",
                            shown, what=Message(what), bad=bad)
