"""Opening the store: a community's database, migrated on open, written one transaction at a
time and logged.

The store is the only code that knows the database engine, and it keeps what differs between
engines behind one interface (store/engine.py), one module per engine: store/sqlite.py for a
database file (the default, and the only one yet). This module speaks to whichever engine a
database is on: the domain asks the `Store` for what it needs of one (a write, a bulk insert,
a planner's hint) and writes its SQL once, with `$1, $2 …` placeholders.
"""

import os
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from redprop.errors import DamagedDatabase, DatabaseError, InvalidValue
from redprop.store.engine import busy_timeout, failure, reason  # noqa: F401 (the store's face hands them on)
from redprop.store.files import noted_damage, shown

DEFAULT_TIMEZONE = "Asia/Shanghai"


def default_db_path() -> Path:
    """`$REDPROP_DB`, else redprop.db in the user's data directory (XDG on Linux)."""
    if os.environ.get("REDPROP_DB"):
        return Path(os.environ["REDPROP_DB"])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "redprop" / "redprop.db"


def engine_for(target):
    """The engine of a database: a file is SQLite's (a server's URL will be PostgreSQL's)."""
    from redprop.store.sqlite import ENGINE

    return ENGINE


class Store:
    """An open database and the community's settings that every command needs."""

    def __init__(self, conn, path: Path, read_only: str | None = None):
        self.conn = conn
        self.engine = conn.engine
        self.path = path
        self.read_only = read_only  # why it cannot be written here (a key of engine.READ_ONLY_REASONS), or None
        self.entry = None  # the change log's entry for the command under way (store.log.Entry), if any
        self.loss = None  # entries found missing since it was last written (store.mark.Loss), if any

    def log_as(self, command: str, user: str, now) -> None:
        """Log every write from now on as one entry of this command (see store.log)."""
        from redprop.store.log import Entry

        if self.engine.has_table(self.conn, "log_state"):
            self.entry = Entry(command, user, now)

    @property
    def entry_id(self) -> int | None:
        return self.entry.id if self.entry else None

    def check_writable(self) -> None:
        """Refuse, saying why, when this database cannot be written here (read-only, found damaged, or
        found to have lost entries since it was last written: store/mark.py): what a write does
        first, and what a command that reads before it writes may ask sooner."""
        if self.read_only:
            raise DatabaseError(self.engine.READ_ONLY_REASONS[self.read_only], path=shown(self.path))
        damage = noted_damage(self.path)
        if damage:
            raise DamagedDatabase("{path} was found damaged ({when}: {what}); nothing is written to it until `redprop"
                                  " check` says ok or `redprop restore BACKUP` puts a backup in its place",
                                  path=shown(self.path), when=damage[0], what=damage[1])
        if self.loss:
            from redprop.store.mark import refusal

            raise refusal(shown(self.path), self.loss)

    @contextmanager
    def write(self, bulk: bool = False, source: Path | None = None, dry_run: bool = False, counts=None):
        """One write transaction, holding the write lock from its start, committed at the end or
        rolled back on any error (or at the end, with `dry_run`), logged as the command's entry.
        An import passes `bulk` (its added rows are logged as ranges), its `source` file and its
        result (`counts`, read when the write ends). On a database that cannot be written here
        it refuses at once, saying why."""
        self.check_writable()
        self.engine.begin_write(self.conn)
        try:
            if self.entry:
                self.entry.begin(self.conn, bulk)
                if source is not None and self.entry.file is None:
                    from redprop.store.log import file_digest

                    self.entry.file = (source.name, file_digest(source))
                self.entry.counts = counts
            yield self.conn
            if self.entry:
                self.entry.end(self.conn)
        except BaseException:
            self.rollback()
            raise
        if dry_run:
            self.rollback()
            return
        try:
            self.engine.commit(self.conn)
        except BaseException:  # a full disk or an I/O error at the last moment: nothing stays half-done
            self.rollback()
            raise
        if self.entry and self.entry.id is not None:  # the mark names what was committed (store/mark.py)
            from redprop.store import mark
            from redprop.store.instants import to_db

            mark.advance(self, self.entry.id, to_db(self.entry.now), self.entry.user, self.entry.command)

    def rollback(self) -> None:
        """Undo the transaction under way, if the engine has not already; a failing rollback must
        not hide the error that caused it."""
        self.engine.rollback(self.conn)
        try:
            self.forget_entry()
        except self.engine.Error:
            pass

    def forget_entry(self) -> None:
        if self.entry:
            self.entry.forget(self.conn)

    @contextmanager
    def savepoint(self, name: str = "step"):
        """Inside a write: a part of it undone alone if it fails (the rest of the write goes on)."""
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
            self.conn.execute(f"RELEASE SAVEPOINT {name}")
            raise
        self.conn.execute(f"RELEASE SAVEPOINT {name}")

    def indexed_by(self, index: str) -> str:
        """The planner's hint to read a table through `index`, written after the table's name in
        FROM where the speed of a query rests on that index (tests/test_query_plans.py holds
        them); "" on an engine that takes no such hints."""
        return self.engine.indexed_by(index)

    def added_order(self) -> str:
        """An ORDER BY term listing a table's rows in the order they were added."""
        return self.engine.added_order()

    def insert_many(self, table: str, columns, rows: list[tuple]) -> None:
        """Inside a write: add `rows` (values of `columns`) to `table`, as fast as the engine can
        (a bulk writer's). `table` and `columns` come from code."""
        self.engine.insert_many(self.conn, table, columns, rows)

    def bulk_load(self):
        """Outside a write: the connection tuned for one big load for the length of the block
        (larger caches, no foreign-key look-ups per row: the loader looked up every row it
        refers to while checking it, and its write holds them still)."""
        return self.engine.bulk_load(self.conn)

    def drop_indexes(self, tables) -> list[str]:
        """Inside a write: drop every index of `tables` but the unique ones (what a loader reads to
        find a row); the statements that build them again (`build_indexes`), sorted, at the end
        of the same write — or the rollback brings them back."""
        return self.engine.drop_indexes(self.conn, tables)

    def build_indexes(self, statements: list[str]) -> None:
        for statement in statements:
            self.conn.execute(statement)

    def temporary_map(self, name: str):
        """Inside a write: an empty map of integers to integers kept by the database, not in
        Python's memory (`get_many(keys)`, `put_many({key: value})`), for the write's length."""
        return self.engine.temporary_map(self.conn, name)

    def save_settings(self, values: dict[str, str]) -> None:
        """Inside a write: set the community's settings (`community`, `timezone`, …)."""
        self.conn.executemany("INSERT INTO settings (key, value) VALUES ($1, $2)"
                              " ON CONFLICT (key) DO UPDATE SET value = excluded.value", list(values.items()))

    def setting(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key = $1", (key,)).fetchone()
        return row[0] if row else default

    def close(self) -> None:
        self.conn.close()

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.setting("timezone", DEFAULT_TIMEZONE))

    @property
    def community(self) -> str:
        return self.setting("community", "") or ""


def open_store(path: Path, examine: bool = True) -> Store:
    """Open an existing database, applying pending migrations. Never creates one. A database
    that cannot be written here is opened read-only: every command that reads works. Its mark
    is read and compared (store/mark.py: `store.loss`), unless `examine` is False (`restore`,
    which puts another database in its place)."""
    from redprop.store.migrations import MIGRATIONS, migrate

    engine = engine_for(path)
    conn, read_only = engine.open(path)
    if read_only:
        version = engine.schema_version(conn)
        if version < len(MIGRATIONS):
            conn.close()
            raise DatabaseError("{path} is read-only and was made by an older redprop (schema {version}); open a"
                                " writable copy once to bring it up to date", path=shown(path), version=version)
    migrate(conn)
    store = Store(conn, path, read_only)
    from datetime import datetime

    from redprop.store import mark

    try:
        store.loss = mark.examine(store, datetime.now().astimezone().isoformat(timespec="seconds")) if examine else None
    except engine.Error:  # a damaged log: what meets the damage says so
        store.loss = None
    return store


def open_stores(paths: list[Path]) -> list[Store]:
    """Several databases, each opened as `open_store` opens one, for a figure that adds them up
    (the street's picture): a database named twice — the same file, or a copy of another one
    given (a backup: the same identity), or two that keep the same community's code — is
    refused, since its community would be counted twice."""
    from redprop.errors import N_, UsageMistake

    twice = {  # how a database can be named twice, and what the refusal says
        "file": N_("--db {second} is {first} again; each community is counted once: give it once"),
        "identity": N_("--db {second} is a copy of {first} (the same database); each community is counted once: give"
                       " one of them"),
        "code": N_("--db {first} and {second} both keep the community {code}; each community is counted once: give"
                   " one of them"),
    }
    stores: list[Store] = []
    seen: dict = {}
    try:
        for path in paths:
            store = open_store(path)
            stores.append(store)
            for kind, value in (("file", os.path.realpath(path)), ("identity", store.setting("database_id")),
                                ("code", store.setting("community_code"))):
                if value and (kind, value) in seen:
                    raise UsageMistake(twice[kind], first=shown(seen[kind, value]), second=shown(path), code=value)
                seen[kind, value] = path
    except BaseException:
        for store in stores:
            store.close()
        raise
    return stores


def peek(path: Path) -> Store | None:
    """An existing database opened to be read as it is (no migration, nothing written: a demo
    about to be replaced), or None when there is none that can be read there."""
    conn = engine_for(path).peek(path)
    return Store(conn, path, "file") if conn is not None else None


def create_store(path: Path, community: str, timezone: str) -> Store:
    """Create a new database for one community, whole or not at all (see the engine's `create`:
    an `init` that fails leaves nothing behind), and open it."""
    from datetime import datetime

    from redprop.store.migrations import migrate

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue("unknown time zone {zone!r} (try Asia/Shanghai)", zone=timezone) from None

    def build(conn, where: Path) -> None:
        migrate(conn)
        store = Store(conn, where)
        with store.write():
            store.save_settings({"community": community, "timezone": timezone,
                                 "created_at": datetime.now(ZoneInfo(timezone)).isoformat(timespec="seconds")})

    engine_for(path).create(path, build)
    return open_store(path)
