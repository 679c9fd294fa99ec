"""The one place that prints rows: a Rich table on a terminal, plain text in a pipe, JSON, CSV.

Rows reach here as dicts. JSON prints every key of every row (an array of objects, or the
object a report builds); CSV and tables print the chosen columns. On a terminal the table
is a Rich table; when stdout is a pipe or a file (cron mail, WeChat paste) it is plain
text with no colour and nothing cut off, aligned for Chinese characters' double width.
Messages for people go to stderr so stdout stays clean for scripts.
"""

import csv
import json
import re
import sys
from dataclasses import dataclass
from enum import Enum


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    justify: str = "left"

    def header(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


# East Asian wide and full-width characters (Chinese, kana, hangul, full-width forms): two
# columns each on a terminal. A regex counts them faster than unicodedata per character.
_WIDE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\U00020000-\U0003fffd]"
)


def _width(text: str) -> int:
    if text.isascii():
        return len(text)
    return len(text) + len(_WIDE.findall(text))


def _pad(text: str, width: int, justify: str) -> str:
    gap = " " * (width - _width(text))
    return gap + text if justify == "right" else text + gap


def plain_table(rows: list[dict], columns: list[Column], lang: str) -> str:
    headers = [c.header(lang) for c in columns]
    cells = [[_cell(row.get(c.key)).replace("\n", " ") for c in columns] for row in rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(_pad(h, w, "left") for h, w in zip(headers, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in cells:
        lines.append("  ".join(_pad(v, w, c.justify) for v, w, c in zip(r, widths, columns)).rstrip())
    return "\n".join(lines)


def is_terminal() -> bool:
    return sys.stdout.isatty()


def print_text(text: str = "") -> None:
    """A line of report text on stdout (headings, summaries)."""
    sys.stdout.write(text + "\n")


def message(text: str) -> None:
    """A note for the person at the keyboard, on stderr."""
    sys.stderr.write(text + "\n")


def print_json(data) -> None:
    """JSON on stdout; a listing as an array with one object per line.

    One line a row reads well in a terminal and diffs well, and keeps to json's C encoder
    (any `indent` falls back to the pure-Python one: 5× slower on a long listing).
    """
    if isinstance(data, list):
        rows = [json.dumps(row, ensure_ascii=False, default=str) for row in data]
        sys.stdout.write("[\n" + ",\n".join(rows) + "\n]\n" if rows else "[]\n")
    else:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")


def print_csv(rows: list[dict], columns: list[Column]) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow([c.key for c in columns])
    for row in rows:
        writer.writerow([_cell(row.get(c.key)) for c in columns])


def print_table(rows: list[dict], columns: list[Column], lang: str, title: str | None = None) -> None:
    """A Rich table on a terminal wide enough for it; otherwise plain aligned text.

    Rich squeezes a table that does not fit until dates and names break over several lines;
    plain text keeps every cell whole (the terminal wraps long lines, nothing is lost).
    """
    plain = plain_table(rows, columns, lang)
    if is_terminal():
        import shutil

        natural = max(_width(line) for line in plain.splitlines()) + len(columns) + 4  # Rich's borders and padding
        if natural <= shutil.get_terminal_size().columns:
            return _print_rich(rows, columns, lang, title)
    if title:
        print_text(title)
    print_text(plain)


def _print_rich(rows: list[dict], columns: list[Column], lang: str, title: str | None) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, header_style="bold")
    for c in columns:
        table.add_column(c.header(lang), justify=c.justify, no_wrap=True)
    for row in rows:  # as Text: a resident's "[bold]" is text, not Rich markup
        table.add_row(*(Text(_cell(row.get(c.key))) for c in columns))
    Console().print(table)


def emit(rows: list[dict], columns: list[Column], fmt: Format, lang: str, title: str | None = None) -> None:
    """Print a listing in the format asked for."""
    if fmt == Format.json:
        print_json(rows)
    elif fmt == Format.csv:
        print_csv(rows, columns)
    else:
        print_table(rows, columns, lang, title)


def emit_record(record: dict, fields: list[Column], fmt: Format, lang: str) -> None:
    """Print one thing (a household, an issue) as label: value lines, or as a JSON object."""
    if fmt == Format.json:
        print_json(record)
    elif fmt == Format.csv:
        print_csv([record], fields)
    else:
        width = max(_width(f.header(lang)) for f in fields)
        for f in fields:
            value = _cell(record.get(f.key))
            if value:
                print_text(f"{_pad(f.header(lang), width, 'left')}  {value}")
