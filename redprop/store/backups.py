"""Copies of the database: SQLite's own checks, a consistent copy while others work, and putting
a copy back.

A copy is made with SQLite's online backup API in one step: a read transaction on the database,
so in WAL mode the other workers go on writing meanwhile and the copy is the database as it
stood at one moment. The rows of every table are counted in that same transaction, and the copy
is accepted only when SQLite's integrity check passes on it and its counts are the same. A copy
is written under a temporary name beside its final one (private, 0600) and renamed into place
only once checked, so a copy that failed leaves nothing a later restore could mistake for a backup.

This module is the SQLite engine's (store/sqlite.py hands it on through the store's interface).
"""

import os
import sqlite3
from pathlib import Path

from redprop.errors import DamagedDatabase, DatabaseError, InvalidValue
from redprop.store.files import create_private, is_damage, remove_quietly, shown, sidecars

INTEGRITY_LIMIT = 20  # problems SQLite lists before it stops


def integrity_problems(conn: sqlite3.Connection, quick: bool = False) -> list[str]:
    """What SQLite's integrity check (or the quicker check, without index contents) finds; [] when ok."""
    pragma = "quick_check" if quick else "integrity_check"
    rows = [r[0] for r in conn.execute(f"PRAGMA {pragma}({INTEGRITY_LIMIT})")]
    return [] if rows == ["ok"] else rows


def foreign_key_problems(conn: sqlite3.Connection, limit: int = INTEGRITY_LIMIT) -> list[tuple]:
    """(table, rowid, table it points at) of rows whose reference leads nowhere."""
    found = []
    for row in conn.execute("PRAGMA foreign_key_check"):
        found.append((row[0], row[1], row[2]))
        if len(found) >= limit:
            break
    return found


def tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]


def row_counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables(conn)}


def open_copy(path: Path) -> sqlite3.Connection:
    """A copy (a backup file) opened to be read and nothing else, as a read-only database is."""
    return connect_read_only(path)


def copy_into(source: sqlite3.Connection, target: Path) -> dict[str, int]:
    """Copy the open database into the new private file `target`, consistent as of one moment;
    return its row counts at that moment. The copy is a single file (journal mode DELETE).
    Raises DatabaseError (and leaves no file) when the copy does not pass its checks."""
    create_private(target)
    try:
        dest = sqlite3.connect(target, isolation_level=None)
        try:
            source.execute("BEGIN")  # one read transaction: the counts and the copy see the same moment
            try:
                counts = row_counts(source)
                source.backup(dest)  # all pages in one step, inside that transaction
            finally:
                source.execute("COMMIT")
            dest.execute("PRAGMA journal_mode = DELETE")
        finally:
            dest.close()
        try:
            verify_copy(target, counts)
        except DatabaseError:
            problems = integrity_problems(source, quick=True)  # the copy's fault, or the database's?
            if problems:
                raise DamagedDatabase("the database failed SQLite's check ({problem}); no backup was made",
                                      problem=problems[0]) from None
            raise
    except BaseException:
        remove_quietly(target, *sidecars(target))
        raise
    return counts


def verify_copy(path: Path, counts: dict[str, int] | None = None) -> dict[str, int]:
    """SQLite's integrity check on a copy and, given them, the row counts it must have."""
    conn = open_copy(path)
    try:
        problems = integrity_problems(conn)
        if problems:
            raise DatabaseError("the copy {path} failed SQLite's integrity check ({problem}); it was not kept",
                                path=shown(path), problem=problems[0])
        found = row_counts(conn)
    finally:
        conn.close()
    if counts is not None and found != counts:
        wrong = next(t for t in sorted(set(found) | set(counts)) if found.get(t) != counts.get(t))
        raise DatabaseError("the copy {path} has {found} rows in {table} where the database had {expected};"
                            " it was not kept", path=shown(path), table=wrong, found=found.get(wrong, 0),
                            expected=counts.get(wrong, 0))
    return found


def put_back(backup: Path, current: Path, aside: Path) -> dict[str, int]:
    """Make `current` hold what `backup` holds, the current content kept in `aside` first.

    Both moves are SQLite backups into the live file, not renames: another worker's open
    connection then sees the restored database (not a file it has lost), and a database
    damaged beyond opening is moved aside as a file instead. Returns the restored row counts."""
    source = open_copy(backup)
    try:
        expected = row_counts(source)
        if current.exists():
            _keep_aside(current, aside)
        if not current.exists():  # there was none, or it was moved aside whole
            create_private(current)
        dest = sqlite3.connect(current, isolation_level=None, timeout=10)
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode = WAL")
            found = row_counts(dest)
            problems = integrity_problems(dest, quick=True)
        finally:
            dest.close()
    finally:
        source.close()
    if problems or found != expected:
        raise DatabaseError("the restored {path} does not match the backup ({problem}); the previous file is kept"
                            " as {aside}", path=shown(current), problem=problems[0] if problems else "row counts",
                            aside=shown(aside))
    return found


def _keep_aside(current: Path, aside: Path) -> None:
    if aside.exists():
        raise InvalidValue("{path} already exists; nothing was changed", path=shown(aside))
    try:
        conn = sqlite3.connect(current, isolation_level=None, timeout=10)
        try:
            create_private(aside)
            try:
                dest = sqlite3.connect(aside, isolation_level=None)
                try:
                    conn.backup(dest)
                    dest.execute("PRAGMA journal_mode = DELETE")
                finally:
                    dest.close()
            except BaseException:
                remove_quietly(aside, *sidecars(aside))
                raise
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        if not is_damage(error):  # busy, a full disk, an I/O error: the live file stays where it is
            raise
        # Not a database any more (its first page is gone): keep the file itself.
        os.rename(current, aside)
        for side, moved in zip(sidecars(current), sidecars(aside)):
            if side.exists():
                os.rename(side, moved)


def connect_read_only(path: Path, factory=sqlite3.Connection) -> sqlite3.Connection:
    """A database file opened to be read as it is (a copy, or a database that cannot be written
    here). mode=ro reads a WAL database whose -shm it can use; on read-only media (or a folder
    that takes no -shm) nothing can change the file, so it is opened as immutable."""
    from redprop.store.engine import busy_timeout

    uri = path.absolute().as_uri()
    conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=busy_timeout(), isolation_level=None, factory=factory)
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
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True, timeout=busy_timeout(), isolation_level=None,
                           factory=factory)
