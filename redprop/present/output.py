"""Where a command's data goes: stdout in the format asked for, words for people on stderr.

`Output` is the one path to the screen. `table` is for people: a Rich table fitted to the
terminal (one longer than the screen drawn row by row in Rich's look, for the pager), or plain
text when stdout is a pipe or a file (no colour, nothing cut off);
`json` and `csv` are for scripts (see `formats`). Messages for the person at the keyboard
go to stderr, so stdout stays clean for pipes.

An Output speaks one language (`out._(…)`, `out.say(…)`, `out.labels`): every presentation
function says its words through the Output it is given, never through a language of its own.
The community's own catalogues (focus groups, issue categories) are handed in by the command
when its output shows them.
"""

import sys
from collections.abc import Callable, Iterable
from enum import Enum
from functools import cached_property

from redprop.present import formats
from redprop.present.cells import for_stderr, pad, printable, width, wrap
from redprop.present.i18n import Language
from redprop.present.table import Table, boxed, cards, fit, grid, plain, rich_table


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class Page:
    """The first `size` rows of a long listing for people, and how to count all of them."""

    def __init__(self, size: int | None, count: Callable[[], int], every: str = "--all"):
        self.size, self.count, self.every = size, count, every  # `every`: the option that lists them all


DEFAULT_PAGE = 50  # rows of a history listing a person gets without --limit or --all


def page_size(fmt: Format, limit: int | None, every: bool) -> int | None:
    """How many rows to list: for people the newest 50 unless --limit or --all; for scripts all, unless --limit."""
    if every:
        return None
    return limit or (DEFAULT_PAGE if Format(fmt) == Format.table else None)


def block_lines(first: list[str], *details: list[str], separator: str = " · ", cells: int = 0) -> list[str]:
    """The lines of a block (see Output.block) at most `cells` wide (0: each line whole)."""
    lines = _joined(first, " ", cells)
    for parts in details:
        lines += ["  " + line for line in _joined(parts, separator, cells - 2 if cells else 0)]
    return lines


def _joined(parts: list[str], separator: str, cells: int) -> list[str]:
    """The non-empty parts joined on lines of at most `cells` (0: one line), a line ending
    between two parts where it can."""
    parts = [p for p in parts if p]
    if not parts:
        return []
    lines = [parts[0]]
    for part in parts[1:]:
        if cells and width(lines[-1]) + width(separator) + width(part) > cells:
            lines.append(part)
        else:
            lines[-1] += separator + part
    return [piece for line in lines for piece in (wrap(line, cells) if cells else [line])]


class Output:
    def __init__(self, fmt: Format, language: Language, *, groups=None, categories=None, community=None, stdout=None,
                 stderr=None):
        """`groups`, `categories`: the community's catalogues, when this output shows their labels;
        `community`: what gives the community the data comes from (`{"community", "community_code"}`),
        asked once a listing for scripts is written."""
        from redprop.present.labels import Labels

        self.fmt = Format(fmt)
        self.language = language
        self.labels = Labels(language, groups, categories)
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        # the language's words, said through the Output: `out._`, `out.say` (what the catalogue's extractor reads)
        self._, self.say, self.gettext = language._, language.say, language.gettext
        self.separator = language.separator
        self._community = community

    @cached_property
    def terminal(self) -> bool:
        return self.stdout.isatty()

    @cached_property
    def width(self) -> int:
        return self._size.columns

    @cached_property
    def height(self) -> int:
        return self._size.lines

    @cached_property
    def _size(self):
        import shutil

        return shutil.get_terminal_size((100, 24))

    @cached_property
    def styled(self) -> bool:
        """Bold and italic on this terminal, as Rich decides: not on a dumb one."""
        import os

        return os.environ.get("TERM", "").lower() not in ("dumb", "unknown")

    # -- words ---------------------------------------------------------------------------

    def line(self, text: str = "") -> None:
        """A line of report text on stdout (a heading, a summary, a legend), wrapped on a terminal."""
        text = printable(text)
        if self.terminal and width(text) > self.width:
            text = "\n".join(wrap(text, self.width))
        self.stdout.write(text + "\n")

    def block(self, first: list[str], *details: list[str], separator: str = " · ") -> None:
        """One thing as a short block, for any width: a first line of the words that name it, then
        each list of details on an indented line, its parts joined by `separator`. On a terminal
        lines break between words and between parts, never inside a name (a word longer than a
        line is cut, as it must be); in a pipe each line is whole."""
        for line in block_lines(first, *details, separator=separator, cells=self.width if self.terminal else 0):
            self.stdout.write(printable(line) + "\n")

    def note(self, text) -> None:
        """A note for the person at the keyboard, on stderr: a Message, or words already said;
        wrapped between words on a terminal, one line for a script."""
        self.stderr.write(for_stderr(printable(self.say(text)), self.stderr) + "\n")

    # -- data ----------------------------------------------------------------------------

    @cached_property
    def community(self) -> dict:
        """The fields every JSON/CSV listing carries: the community's name and 12-digit code
        ("" when not set), so that listings of several communities put together still say
        whose each row is. A row that names its own community (the street's) keeps it."""
        found = self._community() if self._community else None
        return found or {"community": "", "community_code": ""}

    def listing(self, table: Table, records: Iterable[dict], cells: Callable[[dict], dict] | None = None,
                fields: list[str] | None = None, title: str | None = None, page: "Page | None" = None) -> None:
        """Records as JSON or CSV for scripts (as they are, streamed), or as a table for people
        (`cells` turns a record into what its columns show). With a `page`, a table shows at most
        its size and says how many more there are."""
        if self.fmt == Format.json:
            formats.write_json_rows(self.stdout, records, self.community)
        elif self.fmt == Format.csv:
            formats.write_csv(self.stdout, records, fields, self.community)
        else:
            rows = [cells(r) if cells and r else r for r in records]
            self.table(table, rows, title)
            self.more(page, len(rows))

    def more(self, page: "Page | None", listed: int) -> None:
        """After the first page of a listing for people: how many more there are, and how to see them."""
        if page and page.size and listed >= page.size:
            more = page.count() - listed
            if more > 0:
                self.line(self._("{more} more not shown: --limit N to show more, {every} for every one", more=more,
                                 every=page.every))

    def record(self, table: Table, record: dict, cells: Callable[[dict], dict] | None = None) -> None:
        """One thing (a household, an issue): `label  value` lines, or one JSON object / CSV row."""
        if self.fmt == Format.json:
            formats.write_json(self.stdout, {**{k: v for k, v in self.community.items() if k not in record}, **record})
        elif self.fmt == Format.csv:
            formats.write_csv(self.stdout, [record], extra=self.community)
        else:
            self.fields(table, cells(record) if cells else record)

    def document(self, data) -> None:
        """A report's whole JSON document."""
        formats.write_json(self.stdout, data)

    def report_document(self, data: dict) -> None:
        """A long report's JSON document: a key to a line, a list's objects one to a line."""
        formats.write_json_report(self.stdout, data)

    def fields(self, table: Table, row: dict) -> None:
        """`label  value` lines of the non-empty fields, labels aligned."""
        headers, (cells,) = grid(table.columns, [row], self.language)
        shown = [(h, v) for h, v in zip(headers, cells) if v]
        if not shown:
            return
        size = max(width(h) for h, _v in shown)
        for header, value in shown:
            self.line(f"{pad(header, size)}  {value}")

    def table(self, table: Table, rows: list[dict], title: str | None = None) -> None:
        """A table for people: fitted on a terminal, plain text in a pipe."""
        title = title if title is not None else (self.gettext(table.title) if table.title else None)
        if not rows:
            if title:
                self.line(title)
            self.line(self._("(nothing to list)"))
            return
        columns = table.columns
        if not self.terminal:
            if title:
                self.line(title)
            for text in plain(columns, rows, self.language):
                self.stdout.write(text + "\n")
            return
        headers, cells = grid(columns, rows, self.language)
        layout = fit(columns, headers, cells, self.width)
        if layout is None:
            if title:
                self.line(title)
            for text in cards(columns, rows, self.width, self.language):
                self.stdout.write(text + "\n")
            return
        if self._fits(len(cells) + 5):  # its rows, the title, the header and three borders (at least)
            self.console.print(rich_table(columns, rows, layout, title, self.language))
        else:  # bound for the pager: drawn here in Rich's look, row by row, as the pager reads them
            for text in boxed(columns, headers, cells, layout, title, self.styled):
                self.stdout.write(text + "\n")
        shown = {i for i, _w in layout}
        hidden = [headers[i] for i in range(len(columns)) if i not in shown and any(r and r[i] for r in cells)]
        if hidden:  # never silently: the worker knows what a wider window (or a file) would show
            self.line(self._("narrow window: not shown {columns} (widen it, or -f csv)", columns=self.separator.join(hidden)))

    def _fits(self, lines: int) -> bool:
        """Whether `lines` more lines still fit on the screen, below what this command printed
        before (present/pager.py), or on a screen of their own when stdout is not paged."""
        fits = getattr(self.stdout, "fits", None)
        return fits(lines) if fits else lines <= self.height

    @cached_property
    def console(self):
        from rich.console import Console

        return Console(file=self.stdout, width=self.width, highlight=False, soft_wrap=False)
