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

from redprop.errors import DatabaseError, DatabaseMissing, InvalidValue

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

    def __init__(self, conn: sqlite3.Connection, path: Path):
        self.conn = conn
        self.path = path
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
        logged as ranges), its `source` file and its result (`counts`, read when the write ends)."""
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
            self.conn.execute("ROLLBACK")
            self.forget_entry()
            raise
        if dry_run:
            self.conn.execute("ROLLBACK")
            self.forget_entry()
        else:
            self.conn.execute("COMMIT")

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


def _connect(path: Path, existing: bool = False) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(path, timeout=busy_timeout(), isolation_level=None)
        conn.row_factory = sqlite3.Row
        if existing and conn.execute("PRAGMA user_version").fetchone()[0] == 0:
            # redprop init migrates at once, so version 0 is an empty file or someone else's
            # database: adopting it would write redprop's tables (and WAL mode) into it.
            conn.close()
            raise DatabaseError("{path} is not a redprop database; create one with `redprop --db NEW_FILE init`", path=str(path))
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as e:
        raise DatabaseError("cannot open {path}: {reason}", path=str(path), reason=str(e)) from None
    return conn


def open_store(path: Path) -> Store:
    """Open an existing database, applying pending migrations. Never creates one."""
    if not path.exists():
        raise DatabaseMissing("no redprop database at {path}; create one with `redprop init`"
                              " (or point --db / REDPROP_DB at an existing one)", path=str(path))
    from redprop.store.migrations import migrate

    if path.is_dir():
        raise DatabaseError("{path} is a folder, not a database file", path=str(path))
    conn = _connect(path, existing=True)
    migrate(conn)
    return Store(conn, path)


def create_store(path: Path, community: str, timezone: str) -> Store:
    """Create a new database for one community."""
    from datetime import datetime

    from redprop.store.migrations import migrate

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue("unknown time zone {zone!r} (try Asia/Shanghai)", zone=timezone) from None
    if path.is_dir():
        raise InvalidValue("{path} is a folder; give a file name, e.g. {example}", path=str(path), example=str(path / "redprop.db"))
    if path.exists():
        raise InvalidValue("{path} already exists; redprop init never overwrites a database", path=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = _connect(path)
    migrate(conn)
    store = Store(conn, path)
    with store.write():
        conn.executemany(
            "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
            [
                ("community", community),
                ("timezone", timezone),
                ("created_at", datetime.now(ZoneInfo(timezone)).isoformat(timespec="seconds")),
            ],
        )
    return store
