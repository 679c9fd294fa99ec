"""Tables for people: fitted to a terminal of any width, or plain text for a pipe.

On a terminal a table never prints a line wider than the terminal, and the terminal never
breaks a row: columns marked `wrap` wrap inside their cells, then the columns with the
highest `drop` go, and when even the columns to `keep` (a title, a name, an address, an
id, how late) cannot stand side by side the listing becomes one card per row. A kept cell
is always whole. In a pipe (cron mail, a WeChat paste) the table is plain aligned text
with every column and every cell whole, however long the lines.
"""

from typing import NamedTuple

from redprop.present.cells import pad, printable, width, wrap
from redprop.present.i18n import Language

MIN_WRAPPED = 8  # cells: a wrapped column narrower than this reads as a column of fragments


class Column(NamedTuple):  # NamedTuples, not dataclasses: a dataclass costs a millisecond of start-up to make
    key: str
    header: str  # English; the msgid of its translations
    justify: str = "left"
    keep: bool = False  # always shown and never wrapped: a title, a name, an address, an id, how late
    wrap: bool = False  # may wrap inside its cell on a narrow terminal
    drop: int = 1  # on a narrow terminal the column with the highest number goes first; 0: never
    group: bool = False  # a group's key (who holds these): on a group's first row in a table, on every card


class Table(NamedTuple):
    columns: tuple
    title: str | None = None  # English msgid

    def only(self, *keys: str) -> "Table":
        return Table(tuple(c for c in self.columns if c.key in keys), self.title)

    def without(self, *keys: str) -> "Table":
        return Table(tuple(c for c in self.columns if c.key not in keys), self.title)


def cell_text(value) -> str:
    if type(value) is str:  # most cells: text as it is (printable, the common case, is one check in C)
        return value if value.isprintable() else printable(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else ""
    if isinstance(value, (list, tuple)):
        return ", ".join(printable(str(v)) for v in value if v is not None)
    return printable(str(value))


def grid(columns, rows: list[dict], language: Language) -> tuple[list[str], list[list[str] | None]]:
    """Headers in `language`, and each row's cells as text (None: a blank row between groups).

    Column by column, plain text taken as it is without a call: a district's listing is tens
    of thousands of cells."""
    headers = [language.gettext(c.header) for c in columns]
    filled = [row for row in rows if row]
    texts = [["" if v is None else v if v.__class__ is str and v.isprintable() else cell_text(v)
              for v in [row.get(c.key) for row in filled]] for c in columns]
    made = iter(list(cells) for cells in zip(*texts)) if columns else iter([] for _ in filled)
    return headers, [next(made) if row else None for row in rows]


def once_per_group(columns, cells: list) -> list:
    """The cells with a group's key (a `group` column) left blank where it repeats the row above:
    a table reads as groups. Cards, each read alone, keep it on every one."""
    keyed = {i for i, c in enumerate(columns) if c.group}
    if not keyed:
        return cells
    shown, above = [], None
    for row in cells:
        if row is not None and above is not None:
            shown.append([("" if i in keyed and v == above[i] else v) for i, v in enumerate(row)])
        else:
            shown.append(row)
        above = row
    return shown


def borders(count: int) -> int:
    """Cells a Rich table spends beside its columns: a border left of each and at the end, one space of padding each side."""
    return 3 * count + 1


def fit(columns, headers: list[str], cells: list, cells_wide: int) -> list[tuple[int, int]] | None:
    """The columns to show on a terminal `cells_wide` wide, as (index, width), or None: cards."""
    natural = [max([width(h)] + [width(r[i]) for r in cells if r]) for i, h in enumerate(headers)]
    shown = list(range(len(columns)))
    empty = [i for i in shown if not columns[i].keep and all(not r or not r[i] for r in cells)]
    while True:
        room = cells_wide - borders(len(shown))
        if sum(natural[i] for i in shown) <= room:
            return [(i, natural[i]) for i in shown]
        widths = _wrapped(columns, headers, natural, shown, room)
        if widths is not None:
            return [(i, widths[i]) for i in shown]
        droppable = [i for i in shown if i in empty] or [i for i in shown if not columns[i].keep and columns[i].drop]
        if not droppable:
            return None
        shown.remove(max(droppable, key=lambda i: (i in empty, columns[i].drop, i)))


def _wrapped(columns, headers, natural, shown, room) -> dict | None:
    """Widths with the wrap columns narrowed to share what the others leave, if that is enough."""
    fixed = sum(natural[i] for i in shown if not columns[i].wrap)
    wrapping = [i for i in shown if columns[i].wrap]
    least = {i: min(natural[i], max(MIN_WRAPPED, width(headers[i]))) for i in wrapping}
    spare = room - fixed
    if not wrapping or spare < sum(least.values()):
        return None
    widths = {i: natural[i] for i in shown}
    for i in wrapping:
        widths[i] = least[i]
    spare -= sum(least.values())
    # the rest goes to the wrap columns in proportion to what each still lacks
    lacking = {i: natural[i] - least[i] for i in wrapping}
    total = sum(lacking.values())
    for i in wrapping:
        if total:
            share = spare * lacking[i] // total
            widths[i] += min(share, lacking[i])
    return widths


def plain(columns, rows: list[dict], language: Language) -> list[str]:
    """Aligned plain text, every cell whole: for pipes, files and cron mail.

    Column by column, each cell measured once: a morning list of a district is thousands of
    rows, and this is most of what it costs to print."""
    headers, cells = grid(columns, rows, language)
    cells = once_per_group(columns, cells)
    filled = [r for r in cells if r is not None]
    padded = []
    widths = []
    for i, (header, column) in enumerate(zip(headers, columns)):
        texts = [r[i] for r in filled]
        if "".join(texts).isascii():  # numbers, addresses, times: a cell is as wide as it is long
            size = max(max(map(len, texts), default=0), width(header))
            padded.append([t.rjust(size) for t in texts] if column.justify == "right" else [t.ljust(size) for t in texts])
            widths.append(size)
            continue
        sizes = list(map(width, texts))
        size = max(max(sizes, default=0), width(header))
        widths.append(size)
        if column.justify == "right":
            padded.append([" " * (size - n) + t for t, n in zip(texts, sizes)])
        else:
            padded.append([t + " " * (size - n) for t, n in zip(texts, sizes)])
    lines = ["  ".join(pad(h, w) for h, w in zip(headers, widths)).rstrip(), "  ".join("-" * w for w in widths)]
    body = iter(["  ".join(parts).rstrip() for parts in zip(*padded)])
    lines += ["" if r is None else next(body) for r in cells]
    return lines


def cards(columns, rows: list[dict], cells_wide: int, language: Language) -> list[str]:
    """One card per row for a terminal too narrow for the table: the kept cells on the first
    line, then `label: value` lines, each wrapped to the width."""
    headers, cells = grid(columns, rows, language)
    lines: list[str] = []
    for r in cells:
        if r is None:
            continue
        lead = "  ".join(v for v, c in zip(r, columns) if c.keep and v)
        lines.extend(wrap(lead, cells_wide))
        for value, header, column in zip(r, headers, columns):
            if value and not column.keep:
                lines.extend("  " + part for part in wrap(f"{header}: {value}", cells_wide - 2))
        lines.append("")
    return lines[:-1] if lines else lines


# Rich's look for a table (box.HEAVY_HEAD, a bold header, an italic title), as `boxed` draws it
_BOLD, _ITALIC, _PLAIN = "\x1b[1m", "\x1b[3m", "\x1b[0m"


def boxed(columns, headers: list[str], cells: list, layout: list[tuple[int, int]], title: str | None,
          styled: bool = True):
    """The lines Rich prints for `rich_table` with the same layout, drawn here a row at a time
    (`styled`: with Rich's bold and italic; a dumb terminal gets none, as from Rich): a table
    longer than the screen streams into the pager as it is drawn, and the pager shows its
    first screen at once, while Rich would lay out every row before printing one.
    tests/test_terminal.py holds the two the same."""
    widths = [w for _i, w in layout]
    total = sum(widths) + borders(len(layout))
    for line in wrap(title, total) if title else ():  # a title wider than its table wraps
        text = pad(line, total)
        yield f"{_ITALIC}{text}{_PLAIN}" if styled else text
    yield "┏" + "┳".join("━" * (w + 2) for w in widths) + "┓"
    heads = [pad(headers[i], w, columns[i].justify) for i, w in layout]
    if styled:
        yield "┃" + "┃".join(f"{_BOLD} {_PLAIN}{_BOLD}{h}{_PLAIN}{_BOLD} {_PLAIN}" for h in heads) + "┃"
    else:
        yield "┃" + "┃".join(f" {h} " for h in heads) + "┃"
    yield "┡" + "╇".join("━" * (w + 2) for w in widths) + "┩"
    rule = "├" + "┼".join("─" * (w + 2) for w in widths) + "┤"
    shown = once_per_group(columns, cells)
    last = len(shown) - 1
    for n, r in enumerate(shown):
        if r is None:
            continue
        parts = [wrap(r[i], w) if columns[i].wrap else [r[i]] for i, w in layout]
        for k in range(max(map(len, parts))):
            yield "│" + "│".join(" " + pad(part[k] if k < len(part) else "", w, columns[i].justify) + " "
                                 for part, (i, w) in zip(parts, layout)) + "│"
        if n < last and shown[n + 1] is None:  # a rule between groups, as Rich's end_section
            yield rule
    yield "└" + "┴".join("─" * (w + 2) for w in widths) + "┘"


def rich_table(columns, rows: list[dict], layout: list[tuple[int, int]], title: str | None, language: Language):
    """A Rich table with the widths `fit` chose; cells wrapped here, so Rich never has to."""
    from rich.table import Table as RichTable
    from rich.text import Text

    headers, cells = grid(columns, rows, language)
    cells = once_per_group(columns, cells)
    table = RichTable(title=title, header_style="bold", title_justify="left")
    for i, w in layout:
        table.add_column(headers[i], justify=columns[i].justify, width=w, no_wrap=True)
    for n, r in enumerate(cells):
        if r is None:
            continue
        last_of_group = n + 1 < len(cells) and cells[n + 1] is None  # a rule between groups, not a blank row
        # as Text: a resident's "[bold]" is text, not Rich markup
        table.add_row(*(Text("\n".join(wrap(r[i], w)) if columns[i].wrap else r[i]) for i, w in layout),
                      end_section=last_of_group)
    return table


def columns_of(fields) -> tuple:
    """The columns of a record's fields as a table shows them (their `show`, fields.py), in order."""
    return tuple(Column(f.name, f.show.label or f.label, f.show.justify, f.show.keep, f.show.wrap, f.show.drop)
                 for f in fields)


def record_table(record, title: str | None = None) -> Table:
    """A record's table, from its catalogue as it stands now (a field added at run time shows)."""
    return Table(columns_of(record.shown()), title)
