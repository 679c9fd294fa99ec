"""Opening the store: a community's database, migrated on open, written one transaction at a
time and logged.

The store is the only code that knows the database engine, and it keeps what differs between
engines behind one interface (store/engine.py), one module per engine: store/sqlite.py for a
database file (the default), store/postgres.py for a community in a shared database on a
PostgreSQL server (imported only then: a command on a file never loads its driver). This module
speaks to whichever engine a database is on: the domain asks the `Store` for what it needs of
one (a write, a bulk insert, a planner's hint, a fragment of SQL that differs) and writes its
SQL once, with `$1, $2 …` placeholders.

A *target* is where a community's data lives: a `Path` (a SQLite file: one community), or a
`Server` (a PostgreSQL URL and the community chosen in it, by code or name; None when the
database holds only one). `target_of(text, community)` reads what `--db` / REDPROP_DB say;
`open_store(target)` opens it, `create_store(target, …)` makes a new file or adds a community
to a shared database, `communities(target)` lists those a shared database holds (the street's
roll-up and `copy` open each in turn).
"""

import os
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from redprop.errors import DamagedDatabase, DatabaseError, InvalidValue
from redprop.store.engine import busy_timeout, failure, reason, without_password  # noqa: F401 (the store's face hands them on)
from redprop.store.files import noted_damage, shown

DEFAULT_TIMEZONE = "Asia/Shanghai"
SERVER_SCHEMES = ("postgresql://", "postgres://")


class Server(NamedTuple):
    """A community in a shared PostgreSQL database: the server's URL (libpq's forms) and the
    community wanted (its code or name; None: the only one there)."""

    url: str
    community: str | None = None

    def __str__(self) -> str:
        """The server as messages and the change log show it: never with its password."""
        return without_password(self.url)


def is_server(text) -> bool:
    return isinstance(text, str) and text.startswith(SERVER_SCHEMES)


def target_of(text: str | os.PathLike, community: str | None = None):
    """The target a `--db` (or the setting that stands for it) names: a Server for a
    PostgreSQL URL, else a Path. `community`: as chosen (--community, REDPROP_COMMUNITY)."""
    if is_server(os.fspath(text)):
        return Server(str(text), community or None)
    return Path(text)


def default_db_path() -> Path:
    """redprop.db in the user's data directory (XDG on Linux): where no --db, REDPROP_DB or
    setting names a database."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "redprop" / "redprop.db"


def shown_target(target) -> str:
    """A target as a message shows it: a file's path, a server's URL without its password."""
    return str(target) if isinstance(target, Server) else shown(target)


def engine_for(target):
    """The engine of a target: a file is SQLite's, a server's URL PostgreSQL's (its driver,
    psycopg, is imported only here, and only then)."""
    if isinstance(target, Server):
        try:
            from redprop.store.postgres import ENGINE
        except ImportError:
            raise DatabaseError("{server} is a PostgreSQL database, and PostgreSQL's driver is not installed here:"
                                " pip install 'redprop[postgres]'", server=str(target)) from None
        return ENGINE
    from redprop.store.sqlite import ENGINE

    return ENGINE


class Store:
    """An open database and the community's settings that every command needs."""

    def __init__(self, conn, path, read_only: str | None = None):
        self.conn = conn
        self.engine = conn.engine
        self.path = path  # the target: a file's Path, or a Server
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
            if self.read_only == "street":
                from redprop.errors import AccessDenied

                raise AccessDenied(self.engine.READ_ONLY_REASONS[self.read_only], path=self.shown)
            raise DatabaseError(self.engine.READ_ONLY_REASONS[self.read_only], path=self.shown)
        damage = noted_damage(self.path) if self.is_file else None
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

    @property
    def is_file(self) -> bool:
        """Whether the database is a file of its own (SQLite's), not a community on a server."""
        return not isinstance(self.path, Server)

    @property
    def shown(self) -> str:
        return shown_target(self.path)

    def leading_number(self, expression: str) -> str:
        """SQL for the number a text starts with, 0 when none: building 2 before 10, 'A' as 0."""
        return self.engine.leading_number(expression)

    def joined(self, expression: str, order: str | None = None, distinct: bool = False) -> str:
        """SQL joining a group's texts with commas (SQLite's group_concat), in `order` where the
        engine orders an aggregate, else in the order the query reads them."""
        return self.engine.joined(expression, order, distinct)

    def json_values(self, placeholder: str, sql_type: str = "TEXT") -> str:
        """A SELECT of the items of a JSON array parameter, one row each, named `value`, of `sql_type`."""
        return self.engine.json_values(placeholder, sql_type)

    def tuple_cursor(self):
        """A cursor whose rows are plain tuples (the fastest to read in bulk)."""
        return self.engine.tuple_cursor(self.conn)

    def stream(self, sql: str, params, first: int = 100):
        """The rows of `sql` (a SELECT ending in its ORDER BY) read only as far as the caller
        reads them; `first`: how many it is likely to read."""
        return self.engine.stream(self.conn, sql, params, first)

    def indexed_by(self, index: str) -> str:
        """The planner's hint to read a table through `index`, written after the table's name in
        FROM where the speed of a query rests on that index (tests/test_query_plans.py holds
        them); "" on an engine that takes no such hints."""
        return self.engine.indexed_by(index)

    def unindexed(self, expression: str) -> str:
        """`expression` kept off an index where the speed of a query rests on the planner not
        choosing one (SQLite's `+col`; tests/test_query_plans.py holds them)."""
        return self.engine.unindexed(expression)

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
        self.engine.settings_saved(self.conn, values)

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


def open_store(target, examine: bool = True) -> Store:
    """Open an existing database (a file, or a community on a server), applying pending
    migrations. Never creates one. A database that cannot be written here is opened read-only:
    every command that reads works. Its mark is read and compared (store/mark.py: `store.loss`;
    a file's only), unless `examine` is False (`restore`, which puts another database in its
    place)."""
    from redprop.store.migrations import MIGRATIONS, migrate

    if isinstance(target, str):
        target = target_of(target)
    engine = engine_for(target)
    conn, read_only = engine.open(target)
    if read_only and engine.schema_version(conn) < len(MIGRATIONS):
        version = engine.schema_version(conn)
        conn.close()
        raise DatabaseError("{path} is read-only and was made by an older redprop (schema {version}); open a"
                            " writable copy once to bring it up to date", path=shown_target(target), version=version)
    migrate(conn)
    store = Store(conn, target, read_only)
    from datetime import datetime

    from redprop.store import mark

    try:
        store.loss = mark.examine(store, datetime.now().astimezone().isoformat(timespec="seconds")) if examine else None
    except engine.Error:  # a damaged log: what meets the damage says so
        store.loss = None
    return store


def readable_targets(targets: list) -> list:
    """The street's picture's communities: a file as it is; a shared database named without a
    community, every community of it this login may read (a street's login: all of them), in
    the order of their codes. One that holds none this login may read is one line (exit 7)."""
    from redprop.errors import AccessDenied

    found = []
    for target in targets:
        if not isinstance(target, Server) or target.community:
            found.append(target)
            continue
        listed = communities(target)
        readable = [c for c in listed if c["may_read"]]
        if listed and not readable:
            raise AccessDenied("this login may read no community of {server}; its owner can let it read every one:"
                               " redprop grant LOGIN --street", server=str(target))
        found += [Server(target.url, c["code"] or c["name"]) for c in readable] or [target]
    return found


def open_stores(targets: list) -> list[Store]:
    """Several databases, each opened as `open_store` opens one, for a figure that adds them up
    (the street's picture): a community named twice — the same file, a copy of another one
    given (a backup: the same identity), or two that keep the same community's code — is
    refused, since it would be counted twice."""
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
        for target in targets:
            store = open_store(target)
            stores.append(store)
            for kind, value in (("file", os.path.realpath(target) if isinstance(target, Path) else None),
                                ("identity", store.setting("database_id")), ("code", store.setting("community_code"))):
                if value and (kind, value) in seen:
                    raise UsageMistake(twice[kind], first=seen[kind, value], second=store.shown, code=value)
                seen[kind, value] = store.shown
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


def create_store(target, community: str, timezone: str, code: str | None = None) -> Store:
    """Create a new database for one community — a file, or a community added to a shared
    database (which needs its `code`) — whole or not at all (see the engine's `create`: an
    `init` that fails leaves nothing behind), and open it."""
    from datetime import datetime

    from redprop.store.migrations import migrate

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue("unknown time zone {zone!r} (try Asia/Shanghai)", zone=timezone) from None

    def build(conn, where) -> None:
        migrate(conn)
        store = Store(conn, where)
        with store.write():
            settings = {"community": community, "timezone": timezone,
                        "created_at": datetime.now(ZoneInfo(timezone)).isoformat(timespec="seconds")}
            if code is not None:
                settings["community_code"] = code
            store.save_settings(settings)

    engine = engine_for(target)
    if isinstance(target, Server):
        engine.create(target, build, code=code, name=community)
        return open_store(Server(target.url, code or community))
    engine.create(target, build)
    return open_store(target)


def access(target, login: str, *, street: bool = False, allow: bool = True) -> dict:
    """`grant`/`revoke`: let a login of a shared database work in the target's community, or read
    every community (`street`), or take it back. The database itself then keeps it out of every
    other community (see store/postgres.py)."""
    if not isinstance(target, Server):
        raise InvalidValue("{path} is a database file: a file is sealed by its permissions (chmod), not by grants;"
                           " grant and revoke work on a shared database (--db postgresql://…)", path=shown_target(target))
    from redprop.store.postgres import access as change

    engine_for(target)
    return change(target.url, login, target.community, street, allow)


def communities(target: "Server") -> list[dict]:
    """The communities a shared database holds, in the order of their codes: code, name, schema,
    version, and whether this login may read (`may_read`) and write (`may_write`) each."""
    from redprop.store.postgres import communities as listed, connect

    conn = connect(engine_for(target) and target.url)
    try:
        return listed(conn)
    finally:
        conn.close()
