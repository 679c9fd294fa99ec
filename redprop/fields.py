"""A record's fields, each declared once: what a household, a resident, a staff member, a grid
point, a membership, a visit or an issue holds, and everything redprop does with each field.

A catalogue (`Record`) lists a record's fields in the order scripts read them (the JSON keys,
the CSV columns); each `Field` says

- its name: the JSON key, the CSV header, and — unless `column` says otherwise — the column
  of the record's table that the writers write (`column=None`: a value worked out, not stored);
- how a value is read: `clean`, the parsing.py cleaner of text typed or imported (`dated`: it
  takes the day as well, for "not in the future"), and the header spellings an import accepts
  (`headers`, Chinese and English; `required`: the file must have the column);
- its `option` on the command line (name, help, type), and whether `--clear` may empty it;
- how people read it: its `label` (an English msgid, said in Chinese through the .po), how a
  table shows it (`show`: keep, wrap, drop, justify) and its ledger column (`ledger`: width and
  cell kind), and `codes` when its values are codes a ledger says as labels (a household's focus groups).

As beets' `library/fields.py` gives each field one type that knows how to parse, store and
format it, the writers' column lists, `show`, the JSON and CSV fields, the tables, the
household ledger, the imports, `--clear`, the options of `household add/edit` and the schema
test all derive from these catalogues. Adding a household field is a migration and one entry.

Where it lives, and why: the fields are the domain's (names, checks, cleaners, import headers,
whether a field may be cleared), so each catalogue sits beside its owner (`households.py`,
`staff.py`, `groups.py`, `visits.py`, `issues/`) and is built from this module, which imports nothing but
`errors`. How people read a field is presentation, but it is declared in the same entry as
plain data — a msgid, a few numbers and words (`Show`, `Cell`) — that `present/` turns into its
columns and labels: the domain never imports `present/`, and `present/` reads the catalogues as
it reads any domain value. Nothing here knows a language, Typer or a terminal.

Everything derived is worked out when it is asked for, never frozen at import: a catalogue
extended at run time (a test adds a field) is seen by every writer, listing and import.
"""

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from redprop.errors import InvalidValue

# A ledger cell's kinds (the xlsx writer's: present/xlsx.py styles each).
TEXT, WRAP, CODE, NUMBER, DATE, DATETIME = "text", "wrap", "code", "number", "date", "datetime"


class Show(NamedTuple):
    """How a table for people shows a field (present/table.Column)."""

    justify: str = "left"
    keep: bool = False  # always shown, never wrapped: a title, a name, an address, an id
    wrap: bool = False  # may wrap inside its cell on a narrow terminal
    drop: int = 1  # on a narrow terminal the column with the highest number goes first
    after: str | None = None  # shown right after this field, not where the catalogue lists it
    label: str | None = None  # its header when not the field's label (an English msgid)


class Cell(NamedTuple):
    """A field's column in a ledger (台账): its width in characters and the kind of cell."""

    width: float
    kind: str = TEXT
    after: str | None = None  # placed right after this field, not where the catalogue lists it
    label: str | None = None  # its header when not the field's label (an English msgid)


class Option(NamedTuple):
    """A field's option on the command line: as scripts type it, so never renamed."""

    name: str  # --moved-in
    help: str  # an English msgid
    type: type = str
    min: int | None = None


class Field(NamedTuple):  # NamedTuples, not dataclasses: a dataclass costs start-up time to make
    name: str
    label: str | None = None  # English msgid
    clean: Callable[..., Any] | None = None  # text → value; raises InvalidValue
    dated: bool = False  # `clean` takes `today` too
    headers: tuple[str, ...] = ()  # the spellings an import's header may have
    required: bool = False  # an import needs the column
    option: Option | None = None
    clearable: bool = False  # `--clear` may empty it
    show: Show | None = None
    ledger: Cell | None = None
    column: str | None = ""  # the stored column: "" its name, None none (a value worked out)
    listed: bool = True  # one of the record's JSON keys and CSV columns
    codes: str | None = None  # the code list a ledger labels its values by ("groups")

    @property
    def stored(self) -> str | None:
        return self.name if self.column == "" else self.column

    def cleaner(self, today=None) -> Callable[[str], Any]:
        """The field's cleaner of one text (for a `dated` field, as of `today`)."""
        if self.dated:
            clean = self.clean
            return lambda text: clean(text, today)
        return self.clean


class Record:
    """One record's catalogue: its table and its fields, in the order scripts read them."""

    def __init__(self, table: str | None, fields: Iterable[Field]):
        self.table = table
        self.fields = tuple(fields)

    def __iter__(self):
        return iter(self.fields)

    def __getitem__(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def columns(self) -> set[str]:
        """The columns of the record's table that hold its fields (the schema test holds the
        migrations to them)."""
        return {f.stored for f in self.fields if f.stored}

    def names(self) -> list[str]:
        """The JSON keys and CSV columns, in order."""
        return [f.name for f in self.fields if f.listed]

    def editable(self) -> list[Field]:
        """The fields a worker gives values for (typed, or a roster's cells), stored as they are."""
        return [f for f in self.fields if f.clean is not None and f.stored == f.name]

    def cleaners(self, today=None, fields: Iterable[Field] | None = None) -> dict[str, Callable[[str], Any]]:
        """name → cleaner of each editable field (or of `fields`)."""
        return {f.name: f.cleaner(today) for f in (self.editable() if fields is None else fields)}

    def imported(self) -> list[Field]:
        """The fields an import reads, each by its headers."""
        return [f for f in self.fields if f.headers]

    def import_cleaners(self, today=None) -> dict[str, Callable[[str], Any]]:
        """name → cleaner of each field an import reads and cleans (keys and names it reads itself)."""
        return self.cleaners(today, [f for f in self.imported() if f.clean is not None])

    def options(self) -> list[Field]:
        return [f for f in self.fields if f.option is not None]

    def clearable(self) -> dict[str, str]:
        """What `--clear FIELD` empties: the option's name (without --) → the column (or the field,
        when it is not a column of its own)."""
        return {f.option.name.removeprefix("--") if f.option else f.name.replace("_", "-"): f.stored or f.name
                for f in self.fields if f.clearable}

    def shown(self) -> list[Field]:
        """The fields a table shows, in the table's order."""
        return placed(self.fields, "show")

    def ledgered(self) -> list[Field]:
        """The fields a ledger shows, in the ledger's order."""
        return placed(self.fields, "ledger")

    def row(self, row, **worked_out) -> dict:
        """A row read from the database (keyed by column; a value worked out by the query under the
        field's name) as the record's JSON object; values worked out in Python are given `worked_out`."""
        return self.reader(*worked_out)(row, **worked_out)

    def reader(self, *worked_out: str) -> Callable[..., dict]:
        """`row(stored, **worked_out)` of `row`, made once for a listing's many rows (a field not
        listed is in the object when it is worked out: the household ledger's focus groups)."""
        shape = [(f.name, f.name in worked_out, f.stored or f.name) for f in self.fields if f.listed or f.name in worked_out]
        def read(row, **given) -> dict:
            return {name: given[name] if apart else row[column] for name, apart, column in shape}

        return read


def placed(fields: Iterable[Field], view: str) -> list[Field]:
    """The fields with a spec for `view` (show, ledger), in catalogue order except those placed
    `after` another, which follow it."""
    chosen = [f for f in fields if getattr(f, view) is not None]
    ordered = [f for f in chosen if getattr(f, view).after is None]
    for f in chosen:
        after = getattr(f, view).after
        if after is not None:
            at = next((i for i, g in enumerate(ordered) if g.name == after), len(ordered) - 1)
            ordered.insert(at + 1, f)
    return ordered


def optional(clean: Callable[[str], Any]) -> Callable[[str | None], Any]:
    """A cleaner for which blank text means no value (a roster's empty cell, an option not given)."""
    def cleaned(text):
        return clean(text) if text and text.strip() else None

    cleaned.__doc__ = clean.__doc__
    return cleaned


def refuse_clash(values: dict, clear: Iterable[str]) -> dict:
    """The values given (None: leave as it is) and the columns to empty, as one change;
    a field given a value and cleared too is refused."""
    given = {k: v for k, v in values.items() if v is not None}
    clash = set(given) & set(clear)
    if clash:
        raise InvalidValue("give a new value or --clear, not both: {fields}", fields=sorted(clash))
    return {**given, **dict.fromkeys(clear)}
