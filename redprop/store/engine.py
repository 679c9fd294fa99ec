"""What differs between database engines, and only that: the store's interface to one.

Everything redprop needs from a database that is not SQL both engines run alike is one method
here, with one implementation per engine: redprop/store/sqlite.py (SQLite, the embedded
default), redprop/store/postgres.py to come (issue 18). SQL the engines share is written once,
outside the engine modules, with `$1, $2 …` placeholders (psycopg's raw cursors take them as
they are; SQLite reads `$1` as a parameter named "1", and its engine binds a sequence of values
by those names). No SQL text is rewritten at run time.

A *connection*, as `open` returns it and `Store.conn` holds it, is DB-API's: `execute(sql,
values)`, `executemany(sql, rows)` and `cursor()`, SQL with `$n` placeholders, rows read by
name or position; its `engine` attribute is its engine. The domain asks the store (`Store`)
rather than an engine: what it needs of one (a planner's hint, a bulk insert, a savepoint) the
store hands on.
"""

import os
import re
from contextlib import contextmanager
from pathlib import Path

from redprop.errors import InvalidValue

LOADED: list["Engine"] = []  # the engines in use in this process (whose errors `failure` can read)

# What a database error means to the person at the keyboard (`Engine.failure`).
FAILURES = (
    "busy",       # another worker's write holds the database longer than the busy timeout
    "rule",       # a rule of the schema refused a write (unique, check, foreign key): nothing was written
    "damaged",    # the database's file (or server's storage) is damaged
    "full",       # no room left to write
    "read_only",  # the database cannot be written here
    "io",         # the database could not be read or written (an I/O error, a file it cannot open)
    "denied",     # a shared database refused this login what it asked (its grants)
    "unreachable",  # the database server went away or cannot be reached
    "other",      # any other error of the database
)


def failure(error: BaseException) -> str | None:
    """What an error of the database means (one of FAILURES), whichever engine raised it; None
    for any other error."""
    for engine in LOADED:
        kind = engine.failure(error)
        if kind is not None:
            return kind
    return None


def without_password(text: str) -> str:
    """A server's URL (or a command line holding one) as a message or the change log shows it:
    without its password (`postgresql://wang:secret@host/db` → `postgresql://wang@host/db`, and
    libpq's `?password=…` left out)."""
    text = re.sub(r"(postgres(?:ql)?://[^:@/?#\s]*):[^@/?#\s]*@", r"\1@", text)
    text = re.sub(r"&password=[^&\s']*", "", text)
    text = re.sub(r"\?password=[^&\s']*&", "?", text)
    return re.sub(r"\?password=[^&\s']*", "", text)


def reason(error: BaseException) -> str:
    """What an error of the database says, as a message may repeat it: without the values it
    names (a value that could not be read may be anyone's data)."""
    for engine in LOADED:
        if engine.failure(error) is not None:
            return engine.reason(error)
    return str(error)


def busy_timeout() -> float:
    """Seconds a command waits for another worker's write: $REDPROP_BUSY_TIMEOUT, else 10."""
    text = os.environ.get("REDPROP_BUSY_TIMEOUT", "10")
    try:
        seconds = float(text)
    except ValueError:
        raise InvalidValue("REDPROP_BUSY_TIMEOUT={text!r} is not a number of seconds", text=text) from None
    if seconds < 0:
        raise InvalidValue("REDPROP_BUSY_TIMEOUT={text!r} is not a number of seconds", text=text)
    return seconds


class Engine:
    """The operations an engine implements. Each says what it is for; store/sqlite.py says how."""

    name: str
    Error: type = Exception  # the engine's base class of errors (DB-API's Error)
    IntegrityError: type = Exception  # a rule of the schema refused a write
    READ_ONLY_REASONS: dict  # why a database cannot be written here (Store.read_only) → a message template

    def __init__(self):
        LOADED.append(self)

    # -- opening and creating -----------------------------------------------------------------

    def open(self, target: Path) -> tuple[object, str | None]:
        """(connection, why it cannot be written here or None) of an existing redprop database;
        never creates one. DatabaseMissing, BadPath, DamagedDatabase or DatabaseError (one line
        naming the target) when it cannot be opened, or is not a redprop database."""
        raise NotImplementedError

    def peek(self, target: Path):
        """A connection that reads an existing database as it is (no migration, nothing
        written), or None when it is not one that can be read."""
        raise NotImplementedError

    def create(self, target: Path, build) -> None:
        """Make a new database at `target` with `build(connection, where)` (migrations, first
        settings), whole or not at all: a failure leaves nothing behind."""
        raise NotImplementedError

    def adopt(self, raw):
        """The store's connection over a connection a caller opened with the engine's own driver
        (a tool, a test): `$n` SQL binds on it as on one `open` made."""
        raise NotImplementedError

    @contextmanager
    def scratch(self, conn):
        """A new, empty database beside `conn`'s for the length of the block (the schema `check`
        compares with), or None where this login cannot make one."""
        raise NotImplementedError
        yield

    # -- transactions ---------------------------------------------------------------------------

    def begin_write(self, conn) -> None:
        """Start a transaction that will write, holding the write lock from its start (another
        writer waits the busy timeout, then fails as "busy")."""
        raise NotImplementedError

    def commit(self, conn) -> None:
        raise NotImplementedError

    def rollback(self, conn) -> None:
        """Roll back the transaction under way, if any is; never raises (a failing rollback must
        not hide the error that caused it)."""
        raise NotImplementedError

    def failure(self, error: BaseException) -> str | None:
        """What an error means (one of FAILURES), or None when it is not this engine's."""
        raise NotImplementedError

    def reason(self, error: BaseException) -> str:
        """The error's own words, without any stored value they quote."""
        return str(error)

    # -- the schema -----------------------------------------------------------------------------

    def schema_version(self, conn) -> int:
        """How many migrations the database has (0: an empty database, or not redprop's)."""
        raise NotImplementedError

    def set_schema_version(self, conn, version: int) -> None:
        raise NotImplementedError

    def run_script(self, conn, script: str) -> None:
        """Run several statements (a migration's) inside the transaction under way."""
        raise NotImplementedError

    def run_migration_ddl(self, conn, name: str, script: str) -> None:
        """Run the DDL of migration `name` (or a named part of it): SQLite's is `script`, another
        engine keeps its own of that name, written by hand beside it (store/postgres_ddl.py)."""
        raise NotImplementedError

    def settle_schema(self, conn) -> None:
        """After migrations ran, inside their transaction: what the engine keeps beside the schema
        (PostgreSQL: the triggers that number rows, the community's grants)."""
        raise NotImplementedError

    def settings_saved(self, conn, values: dict[str, str]) -> None:
        """Inside a write: the community's settings changed (its name or code are also kept where
        a shared database lists its communities)."""
        raise NotImplementedError

    def has_table(self, conn, name: str) -> bool:
        raise NotImplementedError

    def tables(self, conn) -> dict[str, str | None]:
        """Every table of redprop's (not the engine's own): table → the expression that numbers
        its rows (SQLite's `rowid`), or None where a row is known by its primary key alone."""
        raise NotImplementedError

    def columns(self, conn, table: str) -> list[str]:
        raise NotImplementedError

    def primary_key(self, conn, table: str) -> list[str]:
        raise NotImplementedError

    def foreign_keys(self, conn) -> list[tuple[str, str, str]]:
        """(table, column, table it points at) of every foreign key."""
        raise NotImplementedError

    def schema_objects(self, conn) -> dict[str, tuple[str, tuple]]:
        """name → (kind: table, index or trigger; a table's columns) of every object of the schema."""
        raise NotImplementedError

    # -- the change log -------------------------------------------------------------------------

    def refresh_audit_triggers(self, conn, tables: dict[str, str | None], prefix: str) -> None:
        """(Re)create, on each of `tables` (from `tables()`), what writes every row's values before
        and after a change into `log_changes` under the entry `log_state` names (nothing while it
        names none; with its `bulk` set, inserts are left to the entry's ranges): triggers named
        `prefix…`, replacing those made before."""
        raise NotImplementedError

    def clashing_table(self, error: BaseException) -> str | None:
        """The table whose unique rule an IntegrityError names, if it names one."""
        raise NotImplementedError

    # -- reading and writing in bulk ------------------------------------------------------------

    def indexed_by(self, index: str) -> str:
        """The hint that makes the planner read a table through `index`, to write after the
        table's name in FROM (an engine without such hints: "")."""
        raise NotImplementedError

    def unindexed(self, expression: str) -> str:
        """`expression` written so that the planner does not read it off an index (SQLite's `+col`:
        its planner would otherwise pick a worse index); as it is where the planner chooses well."""
        raise NotImplementedError

    def added_order(self) -> str:
        """An ORDER BY term listing a table's rows in the order they were added (a catalogue a
        community extends: its own entries after the shipped ones)."""
        raise NotImplementedError

    def leading_number(self, expression: str) -> str:
        """SQL for the number a text starts with, 0 when none (building '12A' → 12, 'A' → 0): what
        sorts addresses in the order people count, never failing on text that is not a number."""
        raise NotImplementedError

    def joined(self, expression: str, order: str | None = None, distinct: bool = False) -> str:
        """SQL aggregating the texts of a group into one, comma-separated (DISTINCT ones with
        `distinct`); `order`: the order they are joined in where the engine orders an aggregate
        (SQLite joins them in the order it reads them: the query around says it)."""
        raise NotImplementedError

    def json_field(self, document: str, key: str) -> str:
        """SQL for the value of `key` in a JSON object (an expression or a placeholder), as SQL's
        own value (a number, a text, NULL); `key` comes from code."""
        raise NotImplementedError

    def json_values(self, placeholder: str, sql_type: str = "TEXT") -> str:
        """A SELECT of the items of a JSON array given as a parameter, one row each, named `value`,
        of `sql_type` (a list of ids handed to SQL as one value)."""
        raise NotImplementedError

    def tuple_cursor(self, conn):
        """A cursor whose rows are plain tuples (the fastest to read in bulk)."""
        raise NotImplementedError

    def stream(self, conn, sql: str, params, first: int):
        """The rows of `sql` (a SELECT ending in its ORDER BY), read only as far as the caller
        reads them — a listing of the newest twenty of a million issues reads twenty-odd
        rows. `first`: how many the caller is likely to read."""
        raise NotImplementedError

    def insert_many(self, conn, table: str, columns, rows: list[tuple]) -> None:
        """Add `rows` (values of `columns`) to `table` as fast as the engine can."""
        raise NotImplementedError

    @contextmanager
    def bulk_load(self, conn):
        """Outside a transaction: the connection tuned for one big write for the length of the
        block (caches, temporary storage, no foreign-key look-ups: the loader checked them)."""
        raise NotImplementedError
        yield

    def drop_indexes(self, conn, tables) -> list[str]:
        """Inside a write: drop every index of `tables` but the unique ones; the statements that
        build them again."""
        raise NotImplementedError

    def loosen_for_copy(self, conn, tables) -> list[str]:
        """Inside a write (under `bulk_load`), before rows copied from another database are
        written into `tables`: take away what must not run on them — the triggers (they keep
        derived columns and the change log: the copy writes those values as they are) and any
        reference checked row by row (a row may point at one written after it); the statements
        that put them back, to run at the end of the same write."""
        raise NotImplementedError

    def after_load(self, conn) -> None:
        """Outside a transaction, once a load (a copy) has been committed: what the planner and
        the readers need of a table filled at once, where the engine does not do it by itself
        at once."""
        raise NotImplementedError

    @contextmanager
    def snapshot(self, conn):
        """Outside a transaction: every read of the block sees the database as of one moment (a
        copy's), while others go on writing."""
        raise NotImplementedError
        yield

    def temporary_map(self, conn, name: str):
        """An empty map of integers to integers kept by the database for the write under way
        (`get_many(keys) -> {key: value}`, `put_many({key: value})`)."""
        raise NotImplementedError

    # -- looking after the database -------------------------------------------------------------

    def integrity_problems(self, conn, quick: bool = False) -> list[str]:
        """What the engine's own check of its storage finds; [] when whole."""
        raise NotImplementedError

    def foreign_key_problems(self, conn) -> list[tuple]:
        """(table, row, table it points at) of rows whose reference leads nowhere."""
        raise NotImplementedError

    def write_backup(self, conn, final: Path, stem: str | None = None) -> dict[str, int]:
        """A checked copy of the database, consistent as of one moment, as the new private file
        `final` (never over a file there); its row counts. Nothing is left when it fails. With
        `stem`, a dated copy among others of that name (what interrupted ones left is removed)."""
        raise NotImplementedError

    def rotate_backups(self, conn, folder: Path, stem: str, keep: int, made: Path) -> list[Path]:
        """Remove all but the newest `keep` dated copies of this database (known by what they hold)
        from `folder`, never `made`; those removed."""
        raise NotImplementedError

    def verify_copy(self, path: Path, counts: dict[str, int] | None = None) -> dict[str, int]:
        """Check a copy (and, given them, its row counts); its row counts."""
        raise NotImplementedError

    def describe_copy(self, path: Path) -> tuple[int, bool]:
        """(schema version, whether it holds redprop's settings) of a copy."""
        raise NotImplementedError

    def put_back(self, backup: Path, current: Path, aside: Path) -> dict[str, int]:
        """Make the database at `current` hold what the copy `backup` holds, its content kept as
        `aside` first; the restored row counts."""
        raise NotImplementedError

    def unreadable_values(self, conn) -> list[tuple[str, object]]:
        """(table, row) of stored values that cannot be read back (text that is not in the
        database's encoding), which the engine's own check does not look at; [] when every value
        reads. An engine that refuses such values when they are written finds none."""
        return []

    # -- the mark (store/mark.py) -----------------------------------------------------------------

    keeps_marks = False  # a server keeps its own durability (PostgreSQL): no mark, nothing to read at open

    def read_mark(self, target) -> str | None:
        """The text of the mark kept outside the database (store/mark.py), or None: there is none."""
        return None

    def write_mark(self, target, update) -> None:
        """Replace the mark's text with `update(old text or None)` (None: leave it), one writer at
        a time; quietly nothing where it cannot be written (the write it follows is done)."""
