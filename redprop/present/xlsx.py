"""Excel workbooks in the layout offices hand on, written as a stream.

One sheet per ledger (or per person, for the week's rounds): a title row, a row with
填报单位 / 统计期间 / 填报日期, the header, one row per record, a footer with 填表人 and
审核人; column widths set, the header frozen and repeated on every printed page, A4
landscape, fitted to the page width, pages numbered in the footer.

The SpreadsheetML is written here, row by row, straight into the zip: a month of a
district's problems is 23,000 rows, which openpyxl's write-only mode (without lxml) takes
4.9 s of CPU to write and this module a fraction of a second; openpyxl still reads every
workbook redprop imports, and the tests read these back with it.

Cell types are real ones: numbers are numbers, dates and times are Excel dates with a date
format, and every text is a string cell — never a formula, whatever it starts with; text a
spreadsheet would take for a formula (starting with = + - @, a tab or a CR) also carries
Excel's quote prefix, so that editing the cell keeps it text. Phones, rooms and ids are
text cells formatted as text (`@`): their leading zeros stay.
"""

import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from redprop.errors import InvalidValue
from redprop.fields import CODE, DATE, DATETIME, NUMBER, TEXT, WRAP  # the kinds of cell, as the catalogues name them
from redprop.present.cells import width as cell_width
from redprop.spreadsheet import CELL_LIMIT, FORMULA_STARTS, column_letter

EXCEL_EPOCH = datetime(1899, 12, 30)
SHEET_NAME_MAX = 31  # Excel's limit for a tab's name
HEADER_ROW = 3  # title, period line, header
EXCEL_ROWS = 1_048_576  # the most rows a sheet has
MOST_RECORDS = EXCEL_ROWS - HEADER_ROW - 2  # room for the blank row and the footer


@dataclass(frozen=True)
class SheetColumn:
    header: str  # in the worker's language
    width: float  # in Excel's character widths (a Chinese character is about two)
    kind: str = TEXT  # text, wrap (long text), code (text kept as text: phones, rooms, ids), number, date, datetime


@dataclass
class Sheet:
    """One sheet of a workbook: its tab name, title, the three items of the period line, its
    columns, its rows (values in column order, a stream) and the two items of its footer."""

    name: str
    title: str
    period_line: tuple[str, str, str]
    columns: list[SheetColumn]
    rows: Iterable[list]
    footer: tuple[str, str]
    row_height: float | None = None  # of the records' rows (room to sign by hand); None: Excel's own
    written: int = field(default=0, init=False)  # rows written, once it is


# Styles, as indexes into cellXfs below.
S_TITLE, S_PERIOD, S_HEADER, S_TEXT, S_WRAP, S_CODE, S_NUMBER, S_DATE, S_DATETIME, S_QUOTED, S_FOOTER = range(1, 12)
BODY_STYLE = {TEXT: S_TEXT, WRAP: S_WRAP, CODE: S_CODE, NUMBER: S_NUMBER, DATE: S_DATE, DATETIME: S_DATETIME}

STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/><numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/></numFmts>
<fonts count="3"><font><sz val="11"/><name val="宋体"/><charset val="134"/></font><font><b/><sz val="16"/><name val="宋体"/><charset val="134"/></font><font><b/><sz val="11"/><name val="宋体"/><charset val="134"/></font></fonts>
<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill><fill><patternFill patternType="solid"><fgColor rgb="FFD9D9D9"/><bgColor indexed="64"/></patternFill></fill></fills>
<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border><border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right><top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="12">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf>
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1"><alignment horizontal="left" vertical="center"/></xf>
<xf numFmtId="0" fontId="2" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>
<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1"><alignment vertical="center"/></xf>
<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>
<xf numFmtId="49" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyBorder="1" applyAlignment="1"><alignment vertical="center"/></xf>
<xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf>
<xf numFmtId="164" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf>
<xf numFmtId="165" fontId="0" fillId="0" borderId="1" xfId="0" applyNumberFormat="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf>
<xf numFmtId="49" fontId="0" fillId="0" borderId="1" xfId="0" quotePrefix="1" applyNumberFormat="1" applyBorder="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf>
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1"><alignment horizontal="left" vertical="center"/></xf>
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>
"""

NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
      ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\r": "&#13;"})
# What XML 1.0 cannot carry at all: control characters but tab, LF and CR, lone surrogates, U+FFFE/FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    if _NOT_XML.search(text):
        text = _NOT_XML.sub("", text)
    return text.translate(_ESCAPES)


def sheet_names(names: list[str]) -> list[str]:
    """Tab names Excel accepts: no []:*?/\\, at most 31 characters, each different."""
    used, result = set(), []
    for name in names:
        base = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'") or "Sheet"
        candidate, n = base[:SHEET_NAME_MAX], 1
        while candidate.casefold() in used:
            n += 1
            suffix = f" ({n})"
            candidate = base[:SHEET_NAME_MAX - len(suffix)] + suffix
        used.add(candidate.casefold())
        result.append(candidate)
    return result


def _serial(value) -> float:
    """An Excel date: days since 1899-12-30 (time as the fraction of a day)."""
    if isinstance(value, datetime):
        delta = value.replace(tzinfo=None) - EXCEL_EPOCH
        return delta.days + delta.seconds / 86400
    return float((value - EXCEL_EPOCH.date()).days)


class _Rows:
    """Rows of cells as SpreadsheetML. A text's cell is worked out once and reused while it
    recurs (labels, names, categories repeat on thousands of rows); the memo is bounded."""

    MEMO = 20_000

    def __init__(self, count: int):
        self.starts = [f'<c r="{column_letter(i)}' for i in range(count)]
        self.memo: dict[tuple[str, int], str] = {}

    def text(self, text: str, style: int) -> str:
        """A string cell after its reference: never a formula; quote-prefixed where it looks like one."""
        key = (text, style)
        tail = self.memo.get(key)
        if tail is None:
            if len(text) > CELL_LIMIT:  # Excel's own limit: a longer cell makes it "repair" the file
                text = text[:CELL_LIMIT - 1] + "…"
            if text.startswith(FORMULA_STARTS):
                style = S_QUOTED
            space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
            tail = f'" s="{style}" t="inlineStr"><is><t{space}>{xml_text(text)}</t></is></c>'
            if len(self.memo) >= self.MEMO:
                self.memo.clear()
            self.memo[key] = tail
        return tail

    def row(self, number: int, values, styles: list[int], height: float | None = None) -> str:
        n = str(number)
        cells = []
        add = cells.append
        for start, value, style in zip(self.starts, values, styles):
            if value.__class__ is str:
                add(start + n + (self.text(value, style) if value else f'" s="{style}"/>'))
            elif value is None:
                add(f'{start}{n}" s="{style}"/>')
            elif isinstance(value, datetime):
                add(f'{start}{n}" s="{S_DATETIME}"><v>{_serial(value)}</v></c>')
            elif isinstance(value, date):
                add(f'{start}{n}" s="{S_DATE}"><v>{_serial(value)}</v></c>')
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                add(f'{start}{n}" s="{style}"><v>{value}</v></c>')
            else:
                add(start + n + self.text(str(value), style))
        ht = f' ht="{height}" customHeight="1"' if height else ""
        return f'<row r="{n}"{ht}>{"".join(cells)}</row>'


def _thirds(count: int) -> list[tuple[int, int]]:
    """Three spans of columns (0-based, inclusive) for the period line; fewer with fewer columns."""
    if count < 3:
        return [(i, i) for i in range(count)]
    a, b = count // 3, 2 * count // 3
    return [(0, a - 1), (a, b - 1), (b, count - 1)]


def _halves(count: int) -> list[tuple[int, int]]:
    if count < 2:
        return [(0, 0)]
    return [(0, count // 2 - 1), (count // 2, count - 1)]


def _write_sheet(stream, sheet: Sheet) -> None:
    columns = sheet.columns
    count = len(columns)
    letters = [column_letter(i) for i in range(count)]
    last = letters[-1]
    rows = _Rows(count)
    write = stream.write
    cols = "".join(f'<col min="{i}" max="{i}" width="{c.width}" customWidth="1"/>' for i, c in enumerate(columns, 1))
    write((
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet {NS}><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>'
        f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{HEADER_ROW}" topLeftCell="A{HEADER_ROW + 1}"'
        f' activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A{HEADER_ROW + 1}"'
        f' sqref="A{HEADER_ROW + 1}"/></sheetView></sheetViews>'
        f'<sheetFormatPr defaultRowHeight="18" customHeight="1"/><cols>{cols}</cols><sheetData>'
    ).encode())
    merges = [f"A1:{last}1"]
    head = [None] * count
    head[0] = sheet.title
    write(rows.row(1, head, [S_TITLE] * count, 32).encode())
    line = [None] * count
    for text, (a, b) in zip(sheet.period_line, _thirds(count)):
        line[a] = text
        if b > a:
            merges.append(f"{letters[a]}2:{letters[b]}2")
    write(rows.row(2, line, [S_PERIOD] * count, 22).encode())
    write(rows.row(HEADER_ROW, [c.header for c in columns], [S_HEADER] * count, 30).encode())
    styles = [BODY_STYLE[c.kind] for c in columns]
    number = HEADER_ROW
    chunk: list[str] = []
    for values in sheet.rows:
        number += 1
        if number - HEADER_ROW > MOST_RECORDS:
            raise InvalidValue("more than {rows} rows: Excel cannot open a sheet that long; give a shorter period"
                               " (--from/--to), or write .csv", rows=format(MOST_RECORDS, ","))
        chunk.append(rows.row(number, values, styles, sheet.row_height))
        if len(chunk) == 500:
            write("".join(chunk).encode())
            chunk.clear()
    write("".join(chunk).encode())
    sheet.written = number - HEADER_ROW
    footer_row = number + 2
    foot = [None] * count
    for text, (a, b) in zip(sheet.footer, _halves(count)):
        foot[a] = text
        if b > a:
            merges.append(f"{letters[a]}{footer_row}:{letters[b]}{footer_row}")
    write(rows.row(footer_row, foot, [S_FOOTER] * count, 24).encode())
    merged = "".join(f'<mergeCell ref="{m}"/>' for m in merges)
    write((
        f'</sheetData><mergeCells count="{len(merges)}">{merged}</mergeCells>'
        '<printOptions horizontalCentered="1"/>'
        '<pageMargins left="0.4" right="0.4" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
        '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
        '<headerFooter><oddFooter>&amp;C&amp;P / &amp;N</oddFooter></headerFooter>'
        '</worksheet>'
    ).encode())


def _quoted_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def write_workbook(stream, sheets: Iterable[Sheet]) -> list[Sheet]:
    """Write the sheets (each one's rows read as they are written) as an .xlsx to a binary stream."""
    written = []
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        for index, sheet in enumerate(sheets, start=1):
            with book.open(f"xl/worksheets/sheet{index}.xml", "w", force_zip64=True) as part:
                _write_sheet(part, sheet)
            written.append(sheet)
        names = sheet_names([s.name for s in written])
        tabs = "".join(f'<sheet name="{xml_text(n)}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1))
        titles = "".join(
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{xml_text(_quoted_sheet(n))}!${HEADER_ROW}:${HEADER_ROW}'
            '</definedName>' for i, n in enumerate(names))
        book.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook {NS}><bookViews><workbookView/></bookViews><sheets>{tabs}</sheets>'
            f'<definedNames>{titles}</definedNames></workbook>'))
        sheet_rels = "".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"'
            f' Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(names) + 1))
        book.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{sheet_rels}<Relationship Id="rId{len(names) + 1}"'
            ' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            '</Relationships>'))
        book.writestr("xl/styles.xml", STYLES)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml"'
            ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(names) + 1))
        book.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml"'
            ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml"'
            ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f'{overrides}</Types>'))
        book.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
            ' Target="xl/workbook.xml"/></Relationships>'))
    return written


def text_width(texts: Iterable[str], least: float = 6, most: float = 40) -> float:
    """A column width (in Excel's character widths) for these texts: the widest, within bounds."""
    widest = max((cell_width(t) for t in texts if t), default=0)
    return float(min(most, max(least, widest + 2)))
