"""The SQLite engine: one database file in WAL mode, foreign keys on — and everything else that
is SQLite's own: its PRAGMAs, rowids, triggers, `sqlite_master`, the online backup API (through
store/backups.py, this engine's copies), `BEGIN IMMEDIATE` and the meaning of its errors. The
store's interface (store/engine.py) says what each operation is for; this module is how.

Two workers may type at the same moment: the busy timeout makes one wait for the other,
and every write starts with `BEGIN IMMEDIATE` (in WAL a transaction that reads and then
writes would otherwise fail with SQLITE_BUSY_SNAPSHOT however long the timeout).
"""

import fcntl
import os
import sqlite3
from contextlib import contextmanager
from itertools import chain
from pathlib import Path

from redprop.errors import N_, BadPath, DamagedDatabase, DatabaseError, DatabaseMissing, InvalidValue
from redprop.store.backups import (
    connect_read_only as _connect_read_only, foreign_key_problems, identity, integrity_problems, put_back, rotate,
    verify_copy, write_backup,
)
from redprop.store.engine import Engine, busy_timeout
from redprop.store.files import (
    checked_path, clear_damage, has_sqlite_header, is_regular_file, link_into_place, partial_beside,
    remove_quietly, shown, sidecars,
)

MOST_VARIABLES = 32766  # SQLite's limit on the values of one statement (since 3.32)
SCAN_CHUNK = 2000  # rows read at a time looking for values that cannot be read
MARK_SIZE = 512  # bytes of the mark file (store/mark.py): its text, padded
NOT_REDPROP = N_("{path} is not a redprop database; create one with `redprop --db NEW_FILE init`")
_NUMBERS = tuple(str(n) for n in range(1, 1025))


def by_number(values):
    """Values for `$1, $2 …` as SQLite binds them: SQLite reads `$1` as a parameter named "1", so
    a sequence is handed over as the mapping {"1": first, "2": second, …} (a mapping as it is).
    The SQL text stays as written."""
    if isinstance(values, dict):
        return values
    if not hasattr(values, "__len__"):
        values = tuple(values)
    if len(values) <= len(_NUMBERS):
        return dict(zip(_NUMBERS, values))
    return {str(n): value for n, value in enumerate(values, start=1)}


class Cursor(sqlite3.Cursor):
    """sqlite3's cursor, binding `$n` from a sequence of values (see by_number)."""

    def execute(self, sql, values=()):
        return super().execute(sql, by_number(values))

    def executemany(self, sql, rows):
        return super().executemany(sql, map(by_number, rows))


class Connection(sqlite3.Connection):
    """sqlite3's connection, knowing its engine and binding `$n` from a sequence of values (see
    by_number). The engine's bulk paths use sqlite3's own `?` binding (`_native_many`)."""

    engine: "SQLite"

    def cursor(self, factory=Cursor):
        return super().cursor(factory)

    def execute(self, sql, values=()):
        return super().execute(sql, by_number(values))

    def executemany(self, sql, rows):
        return super().executemany(sql, map(by_number, rows))


_native_many = sqlite3.Connection.executemany  # `?` bound by position: the bulk paths' own SQL


class Adopted:
    """A connection opened with sqlite3 itself (a test, a tool), used as the store's own."""

    def __init__(self, raw: sqlite3.Connection):
        self.raw = raw

    def __getattr__(self, name):
        return getattr(self.raw, name)

    def execute(self, sql, values=()):
        return self.raw.execute(sql, by_number(values))

    def executemany(self, sql, rows):
        return self.raw.executemany(sql, map(by_number, rows))

    @property
    def engine(self) -> "SQLite":
        return ENGINE


def read_only_reason(path: Path) -> str | None:
    """Why this database cannot be written here, or None when it can: "media" (a read-only
    file system: a CD, a read-only share), "file" (no write permission on the file) or "folder"
    (its folder takes no new files, and SQLite needs its -wal and -shm beside it)."""
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return "media"
    except (OSError, AttributeError):
        pass
    if not os.access(path, os.W_OK):
        return "file"
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK) and not all(
            os.access(side, os.W_OK) for side in (Path(f"{path}-wal"), Path(f"{path}-shm"))):
        return "folder"
    return None


def connect(path: Path, existing: bool = False, read_only: str | None = None) -> Connection:
    """A connection in WAL mode, or — for a database that cannot be written here — a read-only
    one that leaves the file exactly as it is (no switch of journal mode, no -wal created)."""
    try:
        if read_only:
            conn = connect_read_only(path)
        else:
            conn = sqlite3.connect(path, timeout=busy_timeout(), isolation_level=None, factory=Connection)
        conn.row_factory = sqlite3.Row
        if os.environ.get("REDPROP_TRACE_SQL"):
            trace_statements(conn, os.environ["REDPROP_TRACE_SQL"])
        if existing and conn.execute("PRAGMA user_version").fetchone()[0] == 0:
            # redprop init migrates at once, so version 0 is an empty file or someone else's
            # database: adopting it would write redprop's tables (and WAL mode) into it.
            conn.close()
            raise DatabaseError(NOT_REDPROP, path=shown(path))
        if not read_only:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as e:
        if getattr(e, "sqlite_errorname", "") == "SQLITE_NOTADB" and not has_sqlite_header(path):
            raise DatabaseError(NOT_REDPROP, path=shown(path)) from None  # a text file, a workbook: not damaged, not noted
        if ENGINE.failure(e) == "damaged":
            raise DamagedDatabase("{path} is damaged ({reason}) and cannot be opened; `redprop restore BACKUP` puts a"
                                " backup in its place", path=shown(path), reason=str(e)) from None
        raise DatabaseError("cannot open {path}: {reason}", path=shown(path), reason=str(e)) from None
    return conn


def trace_statements(conn, path: str) -> None:
    """Append every statement `conn` runs to `path`, its values filled in, a JSON string a line
    ($REDPROP_TRACE_SQL: tests/test_query_plans.py explains them). A trigger's program reports
    the statement that fired it again, row after row: written once."""
    import json

    trace, last = open(path, "a", encoding="utf-8", buffering=1), [None]

    def write(sql: str) -> None:
        if sql != last[0]:
            last[0] = sql
            trace.write(json.dumps(sql, ensure_ascii=False) + "\n")

    conn.set_trace_callback(write)


def connect_read_only(path: Path) -> Connection:
    """A database that cannot be written here, opened as it is (see backups.connect_read_only)."""
    return _connect_read_only(path, factory=Connection)


def mark_path(path: Path) -> Path:
    """The mark of the database at `path` (store/mark.py): beside it, named from it."""
    return Path(f"{os.fspath(path)}-mark")


def _undecodable(error: BaseException) -> bool:
    """A stored text that is not UTF-8 (bytes flipped inside a record): Python cannot read it."""
    return isinstance(error, sqlite3.OperationalError) and str(error).startswith("Could not decode to UTF-8")


def reason(error: BaseException) -> str:
    """What SQLite's error says, without the value it could not read (it may be anyone's data)."""
    text = str(error)
    if _undecodable(error):
        return text.split(" with text ", 1)[0]
    return text


class TemporaryMap:
    """Integers to integers for one write (the keys an import met so far, by their 64-bit hash),
    in a temporary table of the database's own temporary storage rather than in Python's
    memory (a million keys take 25 MB there, 110 MB as a dict)."""

    def __init__(self, conn, name: str):
        self.conn, self.table = conn, f"temp.{name}"
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} (key INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
        conn.execute(f"DELETE FROM {self.table}")

    def get_many(self, keys) -> dict[int, int]:
        """key → value of those of `keys` in the map."""
        keys, found = list(keys), {}
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            found.update(sqlite3.Connection.execute(
                self.conn, f"SELECT key, value FROM {self.table} WHERE key IN ({','.join('?' * len(part))})", part))
        return found

    def put_many(self, items: dict[int, int]) -> None:
        """Add these keys (not in the map yet) with their values."""
        _native_many(self.conn, f"INSERT INTO {self.table} (key, value) VALUES (?, ?)", items.items())


class SQLite(Engine):
    name = "sqlite"
    Error = sqlite3.Error
    IntegrityError = sqlite3.IntegrityError
    READ_ONLY_REASONS = {
        "media": N_("{path} is on read-only media; this command writes, so it cannot run here (commands that read work)"),
        "file": N_("{path} is read-only for you (no write permission); this command writes, so it cannot run here"
                   " (commands that read work)"),
        "folder": N_("the folder of {path} is read-only for you, and SQLite writes its -wal and -shm there; this command"
                     " writes, so it cannot run here (commands that read work)"),
    }

    # -- opening and creating -----------------------------------------------------------------

    def open(self, path: Path):
        path = checked_path(path)
        if not path.exists():
            raise DatabaseMissing("no redprop database at {path}; create one with `redprop init`"
                                  " (or point --db / REDPROP_DB at an existing one)", path=shown(path))
        if path.is_dir():
            raise BadPath("{path} is a folder, not a database file", path=shown(path))
        if not os.access(path, os.R_OK):
            raise DatabaseError("{path}: no permission to read this file", path=shown(path))
        if not is_regular_file(path):  # a fifo would block: looked at, never opened
            raise DatabaseError(NOT_REDPROP, path=shown(path))
        read_only = read_only_reason(path)
        return connect(path, existing=True, read_only=read_only), read_only

    def peek(self, path: Path):
        if not Path(path).is_file():
            return None
        try:
            conn = connect_read_only(Path(path))
            conn.row_factory = sqlite3.Row
            return conn
        except (sqlite3.Error, DatabaseError, OSError):
            return None

    def create(self, path: Path, build) -> None:
        """Built under a temporary name beside it (store.files.partial_beside: private to its owner,
        and so its -wal and -shm; locked while it is built), and put in place only once complete:
        an `init` or a `copy` that fails leaves no file behind, and what one killed half-way left
        is removed by the next build of the same file (and listed by `check`)."""
        path = checked_path(path)
        if path.is_dir():
            raise InvalidValue("{path} is a folder; give a file name, e.g. {example}", path=shown(path),
                               example=shown(path / "redprop.db"))
        empty = path.is_file() and path.stat().st_size == 0  # left by a failed init of an older redprop: no data
        if path.exists() and not empty:
            raise InvalidValue("{path} already exists; redprop init never overwrites a database", path=shown(path))
        try:  # a missing folder is refused (partial_beside): a mistyped path must not start a second database
            with partial_beside(path) as (_fd, building):  # private, locked, its leftovers removed by the next
                conn = connect(building)
                try:
                    build(conn, building)
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    conn.close()
                try:
                    if empty and path.is_file() and path.stat().st_size == 0:
                        os.replace(building, path)
                    else:
                        link_into_place(building, path)  # never over a file that appeared meanwhile
                except FileExistsError:
                    raise InvalidValue("{path} already exists; redprop init never overwrites a database",
                                       path=shown(path)) from None
                remove_quietly(building, *sidecars(building))
            clear_damage(path)  # a note left by a damaged file of that name, since deleted
            remove_quietly(mark_path(path))  # and the mark of a database of that name, since deleted
        except sqlite3.Error as error:
            raise DatabaseError("could not create {path}: {reason}; nothing was left behind", path=shown(path),
                                reason=str(error)) from None
        except OSError as error:
            raise DatabaseError("could not create {path}: {reason}; nothing was left behind", path=shown(path),
                                reason=error.strerror or str(error)) from None

    def adopt(self, raw):
        return raw if isinstance(raw, (Connection, Adopted)) else Adopted(raw)

    @contextmanager
    def scratch(self, conn=None):
        conn = sqlite3.connect(":memory:", isolation_level=None, factory=Connection)
        try:
            yield conn
        finally:
            conn.close()

    # -- transactions ---------------------------------------------------------------------------

    def begin_write(self, conn) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def commit(self, conn) -> None:
        conn.execute("COMMIT")

    def rollback(self, conn) -> None:
        """SQLite has rolled back already after a full disk or an I/O error."""
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def failure(self, error: BaseException) -> str | None:
        if not isinstance(error, sqlite3.Error):
            return None
        name = getattr(error, "sqlite_errorname", "") or ""
        english = str(error)
        if isinstance(error, sqlite3.OperationalError) and ("locked" in english or "busy" in english):
            return "busy"
        if isinstance(error, sqlite3.IntegrityError):
            return "rule"
        if name.startswith("SQLITE_CORRUPT") or name == "SQLITE_NOTADB" or "malformed" in english \
                or "not a database" in english or _undecodable(error):
            return "damaged"
        if name.startswith("SQLITE_FULL") or "database or disk is full" in english:
            return "full"
        if name.startswith("SQLITE_READONLY"):
            return "read_only"
        if name.startswith("SQLITE_IOERR") or name.startswith("SQLITE_CANTOPEN"):
            return "io"
        return "other"

    # -- the schema -----------------------------------------------------------------------------

    def reason(self, error: BaseException) -> str:
        return reason(error)

    def schema_version(self, conn) -> int:
        return conn.execute("PRAGMA user_version").fetchone()[0]

    def set_schema_version(self, conn, version: int) -> None:
        conn.execute(f"PRAGMA user_version = {int(version)}")

    def run_script(self, conn, script: str) -> None:
        """executescript() would COMMIT the transaction first: the statements run one by one,
        SQLite saying where each ends (a trigger's body holds semicolons of its own)."""
        statement = ""
        for line in script.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                conn.execute(statement)
                statement = ""
        if statement.strip():
            conn.execute(statement)

    def run_migration_ddl(self, conn, name: str, script: str) -> None:
        self.run_script(conn, script)

    def settle_schema(self, conn) -> None:
        pass  # SQLite numbers rows itself, and a file has no grants

    def settings_saved(self, conn, values: dict[str, str]) -> None:
        pass  # a file is its one community: nothing lists it elsewhere

    def has_table(self, conn, name: str) -> bool:
        return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", (name,)).fetchone() is not None

    def tables(self, conn) -> dict[str, str | None]:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetchall()
        return {name: None if "WITHOUT ROWID" in (sql or "").upper() else "rowid" for name, sql in rows}

    def columns(self, conn, table: str) -> list[str]:
        return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]

    def primary_key(self, conn, table: str) -> list[str]:
        rows = sorted((r[5], r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")') if r[5])
        return [name for _, name in rows]

    def foreign_keys(self, conn) -> list[tuple[str, str, str]]:
        return [(table, row[3], row[2]) for table in self.tables(conn)
                for row in conn.execute(f'PRAGMA foreign_key_list("{table}")')]

    def schema_objects(self, conn) -> dict[str, tuple[str, tuple]]:
        found = {}
        for kind, name in conn.execute(
                "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
                " AND type IN ('table', 'index', 'trigger')").fetchall():
            found[name] = (kind, tuple(self.columns(conn, name)) if kind == "table" else ())
        return found

    # -- the change log -------------------------------------------------------------------------

    def refresh_audit_triggers(self, conn, tables: dict[str, str | None], prefix: str) -> None:
        """Triggers on every table write each row's values (a JSON object) before and after a
        change, keyed by its rowid (or its primary key as a JSON array in a WITHOUT ROWID table)."""
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE $1",
                                    (f"{prefix}%",)).fetchall():
            conn.execute(f'DROP TRIGGER "{name}"')
        for table, row in tables.items():
            cols = self.columns(conn, table)

            def image(alias: str) -> str:
                return "json_object(" + ", ".join(f"'{c}', {alias}.\"{c}\"" for c in cols) + ")"

            def key(alias: str) -> str:
                if row:
                    return f"CAST({alias}.{row} AS TEXT)"
                return "json_array(" + ", ".join(f'{alias}."{c}"' for c in self.primary_key(conn, table)) + ")"

            logging = "(SELECT entry_id FROM log_state) IS NOT NULL"
            for event, op, key_of, before, after, when in (
                ("INSERT", "insert", key("NEW"), "NULL", image("NEW"), f"{logging} AND (SELECT bulk FROM log_state) = 0"),
                ("UPDATE", "update", key("NEW"), image("OLD"), image("NEW"), logging),
                ("DELETE", "delete", key("OLD"), image("OLD"), "NULL", logging),
            ):
                conn.execute(
                    f"CREATE TRIGGER {prefix}{table}_{op} AFTER {event} ON {table} WHEN {when} BEGIN"
                    f" INSERT INTO log_changes (entry_id, tbl, row_key, op, before, after)"
                    f" SELECT entry_id, '{table}', {key_of}, '{op}', {before}, {after} FROM log_state; END"
                )

    def clashing_table(self, error: BaseException) -> str | None:
        """`UNIQUE constraint failed: households.key` → households."""
        text = str(error)
        if "constraint failed:" not in text:
            return None
        return text.rsplit(":", 1)[-1].strip().split(".")[0].split(",")[0]

    # -- reading and writing in bulk ------------------------------------------------------------

    def indexed_by(self, index: str) -> str:
        return f"INDEXED BY {index}"

    def unindexed(self, expression: str) -> str:
        return f"+{expression}"

    def added_order(self) -> str:
        return "rowid"

    def leading_number(self, expression: str) -> str:
        return f"CAST({expression} AS INTEGER)"

    def joined(self, expression: str, order: str | None = None, distinct: bool = False) -> str:
        return f"group_concat(DISTINCT {expression})" if distinct else f"group_concat({expression}, ',')"

    def json_field(self, document: str, key: str) -> str:
        return f"json_extract({document}, '$.\"{key}\"')"

    def json_values(self, placeholder: str, sql_type: str = "TEXT") -> str:
        return f"SELECT value FROM json_each({placeholder})"

    def tuple_cursor(self, conn):
        cursor = conn.cursor()
        cursor.row_factory = None
        return cursor

    def stream(self, conn, sql: str, params, first: int):
        """SQLite's cursor steps through the rows as they are asked for."""
        return conn.execute(sql, params)

    def insert_many(self, conn, table: str, columns, rows: list[tuple], per_statement: int = 100) -> None:
        """Many rows to a statement: a bulk import spends a sixth less time here than with one row
        a statement. `table` and `columns` come from code."""
        per_statement = max(1, min(per_statement, MOST_VARIABLES // max(1, len(columns))))
        one = f"({', '.join('?' * len(columns))})"
        into = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        whole = len(rows) - len(rows) % per_statement
        if whole:
            _native_many(
                conn, into + ", ".join([one] * per_statement),
                (tuple(chain.from_iterable(rows[i:i + per_statement])) for i in range(0, whole, per_statement)),
            )
        _native_many(conn, into + one, rows[whole:])

    @contextmanager
    def bulk_load(self, conn):
        """64 MB for index pages; temporary tables kept in a 32 MB cache (a million keys take 25 MB
        there: no system calls to look them up), while indexes rebuilt at the end sort in temporary
        files rather than in memory (a million issues peaked at 366 MB with temp_store = MEMORY,
        282 MB so); and no foreign-key look-ups per row (these PRAGMAs cannot change inside a
        transaction)."""
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("PRAGMA temp_store = FILE")
        conn.execute("PRAGMA temp.cache_size = -32768")
        conn.execute("PRAGMA foreign_keys = OFF")
        try:
            yield
        finally:
            conn.execute("PRAGMA foreign_keys = ON")

    def drop_indexes(self, conn, tables) -> list[str]:
        marks = ", ".join(f"${n}" for n in range(1, len(tables) + 1))
        indexes = conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({marks})"
            " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'", tuple(tables)).fetchall()
        for name, _sql in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        return [sql for _name, sql in indexes]

    def loosen_for_copy(self, conn, tables) -> list[str]:
        """The triggers dropped (made again at the end); references are not looked up while
        `bulk_load` holds foreign keys off, and `check` finds any that lead nowhere."""
        marks = ", ".join(f"${n}" for n in range(1, len(tables) + 1))
        triggers = conn.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})"
                                " ORDER BY name", tuple(tables)).fetchall()
        for name, _sql in triggers:
            conn.execute(f'DROP TRIGGER "{name}"')
        return [sql for _name, sql in triggers]

    def after_load(self, conn) -> None:
        """Nothing: a file is planned as redprop leaves it (its indexes named where it matters)."""

    @contextmanager
    def snapshot(self, conn):
        """A read transaction: in WAL mode its first read fixes the moment it sees until it ends."""
        conn.execute("BEGIN")
        try:
            yield
        finally:
            self.rollback(conn)

    def temporary_map(self, conn, name: str) -> TemporaryMap:
        return TemporaryMap(conn, name)

    # -- looking after the database: SQLite's checks and its online backup API (store/backups.py)

    def integrity_problems(self, conn, quick: bool = False) -> list[str]:
        return integrity_problems(conn, quick)

    def foreign_key_problems(self, conn) -> list[tuple]:
        return foreign_key_problems(conn)

    def write_backup(self, conn, final: Path, stem: str | None = None) -> dict[str, int]:
        return write_backup(conn, final, stem)

    def rotate_backups(self, conn, folder: Path, stem: str, keep: int, made: Path) -> list[Path]:
        return rotate(folder, stem, identity(conn), keep, made)

    def verify_copy(self, path: Path, counts: dict[str, int] | None = None) -> dict[str, int]:
        return verify_copy(path, counts)

    def describe_copy(self, path: Path) -> tuple[int, bool]:
        conn = connect_read_only(path)  # as backups.open_copy, as the store's own connection
        try:
            return self.schema_version(conn), self.has_table(conn, "settings")
        finally:
            conn.close()

    def put_back(self, backup: Path, current: Path, aside: Path) -> dict[str, int]:
        return put_back(backup, current, aside)

    def unreadable_values(self, conn) -> list[tuple[str, object]]:
        """SQLite stores whatever bytes it is given as text and its integrity check reads no
        values: bytes flipped inside a record leave text that is not UTF-8, which Python cannot
        read ("could not decode"). Every row of every table is read, a chunk at a time by rowid;
        a chunk that fails is read row by row to name the rows."""
        found = []
        for table, row in self.tables(conn).items():
            if row is None:
                try:
                    conn.execute(f'SELECT * FROM "{table}"').fetchall()
                except sqlite3.OperationalError as error:
                    if not _undecodable(error):
                        raise
                    found.append((table, None))
                continue
            last = 0
            while True:
                numbers = [r[0] for r in conn.execute(f'SELECT {row} FROM "{table}" WHERE {row} > $1 ORDER BY {row}'
                                                      f" LIMIT {SCAN_CHUNK}", (last,))]
                if not numbers:
                    break
                try:
                    conn.execute(f'SELECT * FROM "{table}" WHERE {row} BETWEEN $1 AND $2', (numbers[0], numbers[-1])).fetchall()
                except sqlite3.OperationalError as error:
                    if not _undecodable(error):
                        raise
                    for number in numbers:
                        try:
                            conn.execute(f'SELECT * FROM "{table}" WHERE {row} = $1', (number,)).fetchall()
                        except sqlite3.OperationalError as error:
                            if not _undecodable(error):
                                raise
                            found.append((table, number))
                last = numbers[-1]
        return found

    # -- the mark: NAME-mark beside the file (store/mark.py) ---------------------------------------

    keeps_marks = True

    def read_mark(self, path: Path) -> str | None:
        """One small file read (no more: every command pays it)."""
        try:
            with open(mark_path(path), "rb") as f:
                return f.read(MARK_SIZE).decode("ascii", "replace")
        except OSError:
            return None

    def write_mark(self, path: Path, update) -> None:
        """Written in place, always MARK_SIZE bytes at the start of the file, under an exclusive
        lock of the file (so a reader never meets it shorter or longer); 0600, never through a
        link."""
        try:
            fd = os.open(mark_path(path), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.fchmod(fd, 0o600)
            old = os.pread(fd, MARK_SIZE, 0).decode("ascii", "replace") or None
            new = update(old)
            if new is not None and new != old:
                data = new.encode("ascii")
                os.pwrite(fd, data + b" " * max(0, MARK_SIZE - len(data)), 0)
        except OSError:
            pass
        finally:
            os.close(fd)


ENGINE = SQLite()
Connection.engine = ENGINE
