"""The mark: what the database held when it was last written, kept outside it.

Committed work can disappear without any error from the database itself: SQLite drops a damaged
frame of the `-wal` and every frame after it, a truncated `-wal` loses its tail, a file put back
by hand from an older copy simply holds less — and every command would go on as if nothing had
been recorded since. So after every write the newest entry of the change log (its number and a
digest of it, with the database's identity) is noted outside the database, where the engine
keeps it (SQLite: `NAME-mark` beside the file, 0600; a PostgreSQL server keeps its own
durability, and its engine keeps no mark). When a command opens the database, the mark is read
(one small file) and its entry looked up (one row): a database that no longer holds that entry,
as it was, has lost the entries since.

The command that finds the loss says how many entries are missing (exit 6) and notes the finding
in the mark; from then on reading goes on and nothing is written, until `restore` puts a backup in
place or `check --accept-loss` records that the office accepts what is gone (each an entry of
the log that undo does not reach across), and the mark names the database as it is then.

A database without a mark gets one when it is opened (a read-only one works without); a mark
that names another database (an identity of its own: a file of that name made anew) is replaced.
The mark only ever moves forward: two workers writing at once may note their entries in either
order, and the newer stays.
"""

import json
from typing import NamedTuple

from redprop.errors import DatabaseError
from redprop.store.files import sha256

VERSION = 1


class Mark(NamedTuple):  # not a dataclass: one costs half a millisecond of every start
    database: str | None  # the database's identity (settings.database_id)
    entry: int  # the newest entry of the change log when it was last written (0: none yet)
    digest: str  # of that entry: its number, when, who and the command line
    lost: dict | None = None  # a loss found and not yet accepted: {"missing", "newest", "at"}

    def text(self) -> str:
        body = json.dumps({"v": VERSION, "database": self.database, "entry": self.entry, "digest": self.digest,
                           "lost": self.lost}, ensure_ascii=True, sort_keys=True)
        return f"{body}\n{_checksum(body)}\n"


class Loss(NamedTuple):
    """Entries the database no longer holds: `missing` of them (None when the entry the mark names
    is there but differs, so that how many is unknown), the mark's newest entry and the newest
    the database holds; `new` when this command found it."""

    missing: int | None
    marked: int
    newest: int
    at: str
    new: bool


def _checksum(body: str) -> str:
    return sha256(body.encode()).hexdigest()[:16]


def parse(text: str | None) -> Mark | None:
    """The mark in `text`, or None when there is none or it cannot be read whole."""
    if not text:
        return None
    body, _newline, rest = text.partition("\n")
    if rest.strip() != _checksum(body):
        return None
    try:
        data = json.loads(body)
        return Mark(data["database"], int(data["entry"]), str(data["digest"]), data.get("lost"))
    except (ValueError, KeyError, TypeError):
        return None


def digest(entry_id: int, at: str, user: str, command: str) -> str:
    """What tells one entry from another of the same number (a different history)."""
    return sha256("\x1f".join((str(entry_id), at, user, command)).encode()).hexdigest()[:16]


def _entry(conn, entry_id: int | None = None):
    if entry_id is None:
        return conn.execute("SELECT id, at, user, command FROM log_entries ORDER BY id DESC LIMIT 1").fetchone()
    return conn.execute("SELECT id, at, user, command FROM log_entries WHERE id = $1", (entry_id,)).fetchone()


def _identity(conn) -> str | None:
    row = conn.execute("SELECT value FROM settings WHERE key = 'database_id'").fetchone()
    return row[0] if row else None


def of(conn, entry=None) -> Mark:
    """The mark of the database as it is (its newest entry, or the entry given as a row)."""
    entry = entry if entry is not None else _entry(conn)
    if entry is None:
        return Mark(_identity(conn), 0, "")
    return Mark(_identity(conn), entry[0], digest(*entry))


def _holds(conn, mark: Mark) -> bool:
    """Whether the database holds the entry the mark names, as it was (one row looked up)."""
    if mark.entry == 0:
        return True
    found = _entry(conn, mark.entry)
    return found is not None and digest(*found) == mark.digest


def examine(store, now: str) -> Loss | None:
    """At open: compare the database with its mark. A loss found is noted in the mark (when the
    database can be written here); a database without a mark, or with another database's, gets
    its own. The loss, or None."""
    engine, conn = store.engine, store.conn
    if not engine.keeps_marks:
        return None
    mark = parse(engine.read_mark(store.path))
    if mark is not None and mark.lost:
        return Loss(mark.lost.get("missing"), mark.entry, mark.lost.get("newest", 0), mark.lost.get("at", "?"), False)
    if mark is not None and _holds(conn, mark):
        return None
    if mark is None or mark.database != _identity(conn):  # none yet, unreadable, or another database's
        if not store.read_only:
            engine.write_mark(store.path, lambda _old: of(conn).text())
        return None
    newest = _entry(conn)
    newest_id = newest[0] if newest else 0
    missing = mark.entry - newest_id if newest_id < mark.entry else None
    loss = Loss(missing, mark.entry, newest_id, now, True)
    if not store.read_only:
        lost = {"missing": missing, "newest": newest_id, "at": now}
        engine.write_mark(store.path, lambda _old: Mark(mark.database, mark.entry, mark.digest, lost).text())
    return loss


def advance(store, entry_id: int, at: str, user: str, command: str) -> None:
    """After a write committed entry `entry_id`: the mark names it, unless it names a newer entry
    already (another worker's, noted first) or a loss not yet accepted."""
    engine = store.engine
    if not engine.keeps_marks:
        return
    ours = Mark(_identity(store.conn), entry_id, digest(entry_id, at, user, command))

    def update(old_text: str | None) -> str | None:
        old = parse(old_text)
        if old is not None and old.database == ours.database and (old.lost or old.entry > ours.entry):
            return None
        return ours.text()

    engine.write_mark(store.path, update)


def reset(store) -> None:
    """The mark names the database as it is now: after `restore`, or a loss accepted."""
    if store.engine.keeps_marks:
        text = of(store.conn).text()
        store.engine.write_mark(store.path, lambda _old: text)


def refusal(path: str, loss: Loss) -> DatabaseError:
    """Why nothing is written to a database that lost entries."""
    if loss.missing is None:
        return DatabaseError("{path} does not hold entry #{marked} of the change log as it was last written (found"
                             " {at}): it was replaced by another copy; nothing is written to it until `redprop restore"
                             " BACKUP` puts a backup in its place or `redprop check --accept-loss` records that the"
                             " office accepts the loss", path=path, marked=loss.marked, at=loss.at)
    return DatabaseError("{path} has lost {missing} entries of the change log (#{first}–#{marked}, found {at}); nothing"
                         " is written to it until `redprop restore BACKUP` puts a backup in its place or `redprop"
                         " check --accept-loss` records that the office accepts the loss", path=path,
                         missing=loss.missing, first=loss.newest + 1, marked=loss.marked, at=loss.at)


def found(path: str, loss: Loss) -> DatabaseError:
    """The one line of the command that found a loss."""
    if loss.missing is None:
        return DatabaseError("{path} is not the database last written here: entry #{marked} of its change log differs"
                             " from the one written then (it was replaced by another copy); `redprop restore BACKUP`"
                             " puts a backup in its place, `redprop check --accept-loss` accepts the loss",
                             path=path, marked=loss.marked)
    return DatabaseError("{path} has lost {missing} entries of the change log since it was last written (#{first}–"
                         "#{marked}: a damaged or truncated -wal, or an older copy put in its place); `redprop restore"
                         " BACKUP` puts a backup in its place, `redprop check --accept-loss` accepts the loss",
                         path=path, missing=loss.missing, first=loss.newest + 1, marked=loss.marked)
