"""Opening the store: one SQLite file in WAL mode, foreign keys on, migrated on open.

Two workers may type at the same moment: the busy timeout makes one wait for the other,
and every write starts with `BEGIN IMMEDIATE` (in WAL a transaction that reads and then
writes would otherwise fail with SQLITE_BUSY_SNAPSHOT however long the timeout).
"""

import os
import sqlite3
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from redprop.errors import N_, BadPath, DamagedDatabase, DatabaseError, DatabaseMissing, InvalidValue
from redprop.store.files import (
    NAME_MAX, checked_path, clear_damage, create_private, has_sqlite_header, is_regular_file, noted_damage, path_error,
    remove_quietly, shown, sidecars,
)

DEFAULT_TIMEZONE = "Asia/Shanghai"
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


def default_db_path() -> Path:
    """`$REDPROP_DB`, else redprop.db in the user's data directory (XDG on Linux)."""
    if os.environ.get("REDPROP_DB"):
        return Path(os.environ["REDPROP_DB"])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "redprop" / "redprop.db"


class Store:
    """An open database and the community's settings that every command needs."""

    def __init__(self, conn: sqlite3.Connection, path: Path, read_only: str | None = None):
        self.conn = conn
        self.path = path
        self.read_only = read_only  # why it cannot be written here (see read_only_reason), or None
        self.entry = None  # the change log's entry for the command under way (store.log.Entry), if any

    def log_as(self, command: str, user: str, now) -> None:
        """Log every write from now on as one entry of this command (see store.log)."""
        from redprop.store.log import Entry

        if self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'log_state'").fetchone():
            self.entry = Entry(command, user, now)

    @property
    def entry_id(self) -> int | None:
        return self.entry.id if self.entry else None

    @contextmanager
    def write(self, bulk: bool = False, source: Path | None = None, dry_run: bool = False, counts=None):
        """One write transaction: BEGIN IMMEDIATE … COMMIT, rolled back on any error (or at the end,
        with `dry_run`), logged as the command's entry. An import passes `bulk` (its added rows are
        logged as ranges), its `source` file and its result (`counts`, read when the write ends).
        On a database that cannot be written here it refuses at once, saying why."""
        if self.read_only:
            raise DatabaseError(READ_ONLY_REASONS[self.read_only], path=shown(self.path))
        damage = noted_damage(self.path)
        if damage:
            raise DamagedDatabase("{path} was found damaged ({when}: {what}); nothing is written to it until `redprop"
                                  " check` says ok or `redprop restore BACKUP` puts a backup in its place",
                                  path=shown(self.path), when=damage[0], what=damage[1])
        self.conn.execute("BEGIN IMMEDIATE")
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
            self.conn.execute("COMMIT")
        except BaseException:  # a full disk or an I/O error at the last moment: nothing stays half-done
            self.rollback()
            raise

    def rollback(self) -> None:
        """Undo the transaction under way, if SQLite has not already (it does after a full disk
        or an I/O error); a failing rollback must not hide the error that caused it."""
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self.forget_entry()
        except sqlite3.Error:
            pass

    def forget_entry(self) -> None:
        if self.entry:
            self.entry.forget(self.conn)

    def setting(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.setting("timezone", DEFAULT_TIMEZONE))

    @property
    def community(self) -> str:
        return self.setting("community", "") or ""


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


NOT_REDPROP = N_("{path} is not a redprop database; create one with `redprop --db NEW_FILE init`")
READ_ONLY_REASONS = {
    "media": N_("{path} is on read-only media; this command writes, so it cannot run here (commands that read work)"),
    "file": N_("{path} is read-only for you (no write permission); this command writes, so it cannot run here"
               " (commands that read work)"),
    "folder": N_("the folder of {path} is read-only for you, and SQLite writes its -wal and -shm there; this command"
                 " writes, so it cannot run here (commands that read work)"),
}


def _connect(path: Path, existing: bool = False, read_only: str | None = None) -> sqlite3.Connection:
    """A connection in WAL mode, or — for a database that cannot be written here — a read-only
    one that leaves the file exactly as it is (no switch of journal mode, no -wal created)."""
    try:
        if read_only:
            conn = _connect_read_only(path)
        else:
            conn = sqlite3.connect(path, timeout=busy_timeout(), isolation_level=None)
        conn.row_factory = sqlite3.Row
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
        name = getattr(e, "sqlite_errorname", "") or ""
        if name == "SQLITE_NOTADB" and not has_sqlite_header(path):  # a text file, a workbook: not damaged, not noted
            raise DatabaseError(NOT_REDPROP, path=shown(path)) from None
        if name.startswith("SQLITE_CORRUPT") or name == "SQLITE_NOTADB":
            raise DamagedDatabase("{path} is damaged ({reason}) and cannot be opened; `redprop restore BACKUP` puts a"
                                " backup in its place", path=shown(path), reason=str(e)) from None
        raise DatabaseError("cannot open {path}: {reason}", path=shown(path), reason=str(e)) from None
    return conn


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """mode=ro reads a WAL database whose -shm it can use; on read-only media (or a folder that
    takes no -shm) nothing can change the file, so it is opened as immutable."""
    uri = path.absolute().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=busy_timeout(), isolation_level=None)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError:
        conn.close()
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        # immutable would read the file without its -wal: silently older than what was recorded
        raise DatabaseError("{path} has changes in its -wal file that cannot be read where the folder is read-only;"
                            " copy the database with its -wal to a writable folder", path=shown(path))
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, timeout=busy_timeout(), isolation_level=None)


def open_store(path: Path) -> Store:
    """Open an existing database, applying pending migrations. Never creates one. A database
    that cannot be written here is opened read-only: every command that reads works."""
    path = checked_path(path)
    if not path.exists():
        raise DatabaseMissing("no redprop database at {path}; create one with `redprop init`"
                              " (or point --db / REDPROP_DB at an existing one)", path=shown(path))
    from redprop.store.migrations import MIGRATIONS, migrate

    if path.is_dir():
        raise BadPath("{path} is a folder, not a database file", path=shown(path))
    if not os.access(path, os.R_OK):
        raise DatabaseError("{path}: no permission to read this file", path=shown(path))
    if not is_regular_file(path):  # a fifo would block: looked at, never opened
        raise DatabaseError(NOT_REDPROP, path=shown(path))
    read_only = read_only_reason(path)
    conn = _connect(path, existing=True, read_only=read_only)
    if read_only:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < len(MIGRATIONS):
            conn.close()
            raise DatabaseError("{path} is read-only and was made by an older redprop (schema {version}); open a"
                                " writable copy once to bring it up to date", path=shown(path), version=version)
    migrate(conn)
    return Store(conn, path, read_only)


def create_store(path: Path, community: str, timezone: str) -> Store:
    """Create a new database for one community, private to its owner (0600, and so its -wal
    and -shm). It is built under a temporary name beside it and put in place only once
    complete: an `init` that fails (a full disk, an interruption) leaves no file behind."""
    from datetime import datetime

    from redprop.store.migrations import migrate

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue("unknown time zone {zone!r} (try Asia/Shanghai)", zone=timezone) from None
    path = checked_path(path)
    if path.is_dir():
        raise InvalidValue("{path} is a folder; give a file name, e.g. {example}", path=shown(path), example=shown(path / "redprop.db"))
    empty = path.is_file() and path.stat().st_size == 0  # left by a failed init of an older redprop: no data
    if path.exists() and not empty:
        raise InvalidValue("{path} already exists; redprop init never overwrites a database", path=shown(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise path_error(path.parent, error) from None
    building = path.with_name(f".{path.name}.init-{os.getpid()}")
    if len(os.fsencode(building.name)) > NAME_MAX:
        building = path.with_name(f".redprop-init-{os.getpid()}")
    try:
        try:
            create_private(building)
        except OSError as error:
            raise path_error(path, error) from None
        conn = _connect(building)
        try:
            migrate(conn)
            store = Store(conn, building)
            with store.write():
                conn.executemany(
                    "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                    [
                        ("community", community),
                        ("timezone", timezone),
                        ("created_at", datetime.now(ZoneInfo(timezone)).isoformat(timespec="seconds")),
                    ],
                )
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        try:
            if empty and path.is_file() and path.stat().st_size == 0:
                os.replace(building, path)
            else:
                os.link(building, path)  # never over a file that appeared meanwhile
        except FileExistsError:
            raise InvalidValue("{path} already exists; redprop init never overwrites a database", path=shown(path)) from None
        except OSError:
            os.rename(building, path)  # a file system without hard links
        clear_damage(path)  # a note left by a damaged file of that name, since deleted
    except sqlite3.Error as error:
        raise DatabaseError("could not create {path}: {reason}; nothing was left behind", path=shown(path),
                            reason=str(error)) from None
    except OSError as error:
        raise DatabaseError("could not create {path}: {reason}; nothing was left behind", path=shown(path),
                            reason=error.strerror or str(error)) from None
    finally:
        remove_quietly(building, *sidecars(building))
    return open_store(path)
