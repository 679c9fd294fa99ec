"""The change log: one entry per command that wrote, every row it changed, and undo.

Triggers on every table (but the log's own; the engine makes them, see
Engine.refresh_audit_triggers) write each row's values before and after a change into
`log_changes`, under the entry named in `log_state` — so nothing escapes the log, whatever
code wrote, and a table added by a later migration is logged as soon as it exists
(`refresh_audit_triggers` runs after every migration). Outside a command (`log_state.entry_id`
NULL) nothing is logged. A bulk import (`bulk = 1`) skips the per-row insert triggers: its
entry records, per table, the range of row numbers (the engine's: SQLite's rowids) it added
(`op = 'inserted'`), which is exact because a write transaction holds the database alone and
new rows are numbered after the largest.

Undo reverses an entry's changes newest first: rows it added are deleted, rows it changed or
deleted get their before-values back. Derived state comes back with them: the due list's
contact columns and an issue's cached state were logged as changes too, and the contact
triggers recompute on a visit's deletion. It refuses when a later entry (not itself undone)
touched the same rows, or added rows that point at rows this entry added.
"""

import json
from datetime import datetime
from pathlib import Path

from redprop.errors import InvalidValue, Message, NotFound
from redprop.store import hooks

LOG_TABLES = ("log_entries", "log_changes", "log_state")
_PREFIX = "log_audit_"


def _tables(conn) -> dict[str, str | None]:
    """table → the expression numbering its rows (None: known by primary key), of every table the log watches."""
    return {table: row for table, row in conn.engine.tables(conn).items() if table not in LOG_TABLES}


def refresh_audit_triggers(conn) -> None:
    """(Re)create the log's triggers from each table's columns as they are now."""
    if not conn.engine.has_table(conn, "log_state"):
        return  # a schema from before the log
    conn.engine.refresh_audit_triggers(conn, _tables(conn), _PREFIX)


def user_name() -> str:
    """Who is typing: $REDPROP_USER, else the login name."""
    import getpass
    import os

    return os.environ.get("REDPROP_USER") or getpass.getuser()


def file_digest(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Entry:
    """The log entry of the command under way: made on its first write, shared by its later ones."""

    def __init__(self, command: str, user, now: datetime):
        """`user`: the name, or a function that tells it (asked only if the command writes)."""
        self.command, self._user, self.now = command, user, now
        self.id: int | None = None
        self.file: tuple[str, str] | None = None
        self.counts = None  # an import's result: its counts are kept with the entry
        self._ranges: dict[str, tuple[str, int]] = {}  # a bulk write's tables: (row number, the last before it)

    @property
    def user(self) -> str:
        if callable(self._user):
            self._user = self._user()
        return self._user

    def begin(self, conn, bulk: bool) -> None:
        from redprop.store.instants import to_db

        if self.id is None:
            self.id = conn.execute("INSERT INTO log_entries (at, user, command) VALUES ($1, $2, $3) RETURNING id",
                                   (to_db(self.now), self.user, self.command)).fetchone()[0]
        conn.execute("UPDATE log_state SET entry_id = $1, bulk = $2", (self.id, int(bulk)))
        self._ranges = {t: (row, _last_row(conn, t, row)) for t, row in _tables(conn).items() if row} if bulk else {}

    def end(self, conn) -> None:
        for table, (row, before) in self._ranges.items():
            after = _last_row(conn, table, row)
            if after > before:
                conn.execute("INSERT INTO log_changes (entry_id, tbl, row_key, op, after) VALUES ($1, $2, $3, 'inserted', $4)",
                             (self.id, table, str(before + 1), json.dumps({"through": after})))
        if self.file or self.counts:
            conn.execute("UPDATE log_entries SET file = coalesce($1, file), file_sha256 = coalesce($2, file_sha256),"
                         " counts = coalesce($3, counts) WHERE id = $4",
                         (*(self.file or (None, None)), json.dumps(self.counts.as_dict()) if self.counts else None, self.id))
        conn.execute("UPDATE log_state SET entry_id = NULL, bulk = 0")

    def forget(self, conn) -> None:
        """The transaction was rolled back: an entry made in it is gone with it."""
        if self.id is not None and not conn.execute("SELECT 1 FROM log_entries WHERE id = $1", (self.id,)).fetchone():
            self.id = None


def _last_row(conn, table: str, row: str) -> int:
    return conn.execute(f"SELECT coalesce(max({row}), 0) FROM {table}").fetchone()[0]


# ---------------------------------------------------------------------------------------
# Reading the log


def _entry_record(row, changes: list[dict], tz) -> dict:
    from redprop.store.instants import show_local_iso

    return {
        "id": row["id"],
        "at": show_local_iso(row["at"], tz),
        "user": row["user"],
        "command": row["command"],
        "file": row["file"],
        "file_sha256": row["file_sha256"],
        "counts": json.loads(row["counts"]) if row["counts"] else None,
        "undoes": row["undoes"],
        "undone_by": row["undone_by"],
        "changes": changes,
    }


def _change_record(row) -> dict:
    record = {"table": row["tbl"], "row": _row_id(row["row_key"]), "op": row["op"],
              "before": json.loads(row["before"]) if row["before"] else None,
              "after": json.loads(row["after"]) if row["after"] else None}
    if row["op"] == "inserted":
        record.update(op="inserted", row=int(row["row_key"]), through=record.pop("after")["through"], before=None)
    return record


def _row_id(key: str):
    return int(key) if key.isdigit() else json.loads(key)


def changes_of(conn, entry_id: int) -> list[dict]:
    return [_change_record(r) for r in conn.execute("SELECT * FROM log_changes WHERE entry_id = $1 ORDER BY id", (entry_id,))]


def list_entries(store, *, limit: int | None = None, since: datetime | None = None, count: bool = False, **about):
    """Entries newest first, each with its changes, as a stream; filtered to those touching the
    rows a registered subject names (`household_ids=[…]`, `issue_id=N`: see hooks.subject) —
    the rows themselves and the rows pointing at them. With `count`, how many there are instead."""
    from redprop.store.instants import to_db

    subjects = hooks.subjects()
    where, params = [], []
    for keyword, value in about.items():
        if keyword not in subjects:
            raise TypeError(f"list_entries() got an unexpected keyword argument {keyword!r}")
        if value is None:
            continue
        table, one = subjects[keyword]
        params.append(json.dumps([value] if one else list(value)))
        where.append(f"e.id IN ({_touching(table, len(params))})")
    if since is not None:
        where.append(f"e.at >= ${len(params) + 1}")
        params.append(to_db(since))
    condition = " WHERE " + " AND ".join(where) if where else ""
    if count:
        return store.conn.execute(f"SELECT count(*) FROM log_entries e{condition}", params).fetchone()[0]
    sql = f"SELECT e.* FROM log_entries e{condition} ORDER BY e.id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return (_entry_record(r, changes_of(store.conn, r["id"]), store.tz) for r in store.conn.execute(sql, params).fetchall())


def _touching(table: str, n: int) -> str:
    """SQL for the entries that changed these rows of `table` (parameter `n`: their ids as a
    JSON array), added them in bulk, or changed a row pointing at one of them."""
    ids = f"(SELECT value FROM json_each(${n}))"
    clauses = [f"(tbl = '{table}' AND CAST(row_key AS INTEGER) IN {ids})",
               f"(op = 'inserted' AND tbl = '{table}' AND EXISTS (SELECT 1 FROM json_each(${n}) r"
               " WHERE r.value BETWEEN CAST(row_key AS INTEGER) AND json_extract(after, '$.through')))"]
    by_column: dict[str, list[str]] = {}
    for child, column in hooks.pointers_to(table):
        by_column.setdefault(column, []).append(child)
    for column, children in by_column.items():
        named = f"coalesce(json_extract(after, '$.{column}'), json_extract(before, '$.{column}'))"
        clauses.append(f"(tbl IN ({', '.join(repr(c) for c in children)}) AND {named} IN {ids})")
    return "SELECT entry_id FROM log_changes WHERE " + " OR ".join(clauses)


def get_entry(store, entry_id: int) -> dict:
    row = store.conn.execute("SELECT * FROM log_entries WHERE id = $1", (entry_id,)).fetchone()
    if row is None:
        raise NotFound("no log entry #{id} (see `redprop log`)", id=entry_id)
    return _entry_record(row, changes_of(store.conn, entry_id), store.tz)


# ---------------------------------------------------------------------------------------
# Undo


_STANDING = "e.undone_by IS NULL AND e.undoes IS NULL"  # an entry still in force (an undo is undone by number only)


def undo_target(store, *, user: str, entry_id: int | None = None, anyone: bool = False,
                about: tuple[str, int, str] | None = None) -> dict:
    """The entry an undo takes back, checked before anything is written: ENTRY as given; or the
    newest entry still standing that changed a row a subject names (`about`: keyword, id and
    what the row is, a msgid — `("visit_id", 674, "visit")`); or the newest of `user`'s own, of
    anybody's with `anyone`. On a shared database someone else's entry is taken back only with
    `anyone` (the error names them). A database that cannot be written is said first."""
    store.check_writable()
    conn = store.conn
    if entry_id is not None:
        row = conn.execute("SELECT * FROM log_entries e WHERE e.id = $1", (entry_id,)).fetchone()
        if row is None:
            raise NotFound("no log entry #{id} (see `redprop log`)", id=entry_id)
    elif about is not None:
        keyword, row_id, what = about
        table, _one = hooks.subjects()[keyword]
        row = conn.execute(f"SELECT * FROM log_entries e WHERE {_STANDING} AND e.id IN ({_touching(table, 1)})"
                           " ORDER BY e.id DESC LIMIT 1", (json.dumps([row_id]),)).fetchone()
        if row is None:
            raise NotFound("nothing to undo: no entry still standing changed {what} #{id} (see `redprop log`)",
                           what=Message(what), id=row_id)
    else:
        row = conn.execute(f"SELECT * FROM log_entries e WHERE {_STANDING} AND id IS NOT $1 AND ($2 OR e.user = $3)"
                           " ORDER BY e.id DESC LIMIT 1", (store.entry_id, anyone, user)).fetchone()
        if row is None and anyone:
            raise NotFound("nothing to undo: the log has no entry that is not undone yet")
        if row is None:
            raise NotFound("nothing of yours to undo ({user}); `redprop log` lists everyone's entries, and --anyone"
                           " takes back another person's", user=user)
    if row["user"] != user and not anyone:
        raise InvalidValue("entry #{id} is {other}'s ({command}); --anyone takes back another person's entry",
                           id=row["id"], other=row["user"], command=row["command"])
    return _entry_record(row, changes_of(conn, row["id"]), store.tz)


def last_undoable(conn, current: int | None) -> int:
    """The newest entry not undone yet (an undo itself is not undone by `undo` alone: give its number)."""
    row = conn.execute(
        "SELECT id FROM log_entries WHERE undone_by IS NULL AND undoes IS NULL AND id IS NOT $1 ORDER BY id DESC LIMIT 1",
        (current,)).fetchone()
    if row is None:
        raise NotFound("nothing to undo: the log has no entry that is not undone yet")
    return row[0]


def _later_entries_that_count(conn, entry_id: int) -> str:
    """SQL for the entries after `entry_id` whose changes still stand: not undone, and not an undo of
    something after it (those two cancel out)."""
    return (f"SELECT id FROM log_entries WHERE id > {int(entry_id)} AND undone_by IS NULL"
            f" AND (undoes IS NULL OR undoes < {int(entry_id)})")


def _blocker(conn, entry_id: int, changes: list) -> int | None:
    """The first later entry standing in the way of undoing `entry_id`, if any."""
    later = _later_entries_that_count(conn, entry_id)
    parents = {}  # table → ranges of row numbers this entry added
    for change in changes:
        table, key, op = change["tbl"], change["row_key"], change["op"]
        if op == "inserted":
            first, last = int(key), json.loads(change["after"])["through"]
            parents.setdefault(table, []).append((first, last))
            found = conn.execute(
                f"SELECT min(entry_id) FROM log_changes WHERE tbl = $1 AND entry_id IN ({later})"
                " AND op != 'inserted' AND CAST(row_key AS INTEGER) BETWEEN $2 AND $3", (table, first, last)).fetchone()[0]
        else:
            if op == "insert" and key.isdigit():
                parents.setdefault(table, []).append((int(key), int(key)))
            found = conn.execute(f"SELECT min(entry_id) FROM log_changes WHERE tbl = $1 AND row_key = $2 AND entry_id IN ({later})",
                                 (table, key)).fetchone()[0]
        if found:
            return found
    tables = _tables(conn)
    for child, column, parent in _foreign_keys(conn):
        for first, last in parents.get(parent, ()):
            found = conn.execute(
                f"SELECT min(entry_id) FROM log_changes WHERE tbl = $1 AND entry_id IN ({later}) AND op IN ('insert', 'update')"
                f" AND json_extract(after, '$.{column}') BETWEEN $2 AND $3", (child, first, last)).fetchone()[0]
            if found:
                return found
            for later_id, start, through in conn.execute(
                f"SELECT entry_id, CAST(row_key AS INTEGER), json_extract(after, '$.through') FROM log_changes"
                f" WHERE tbl = $1 AND op = 'inserted' AND entry_id IN ({later}) ORDER BY entry_id", (child,)):
                if conn.execute(f'SELECT 1 FROM {child} WHERE {tables[child]} BETWEEN $1 AND $2 AND "{column}" BETWEEN $3 AND $4'
                                " LIMIT 1", (start, through, first, last)).fetchone():
                    return later_id
    return None


def _clashing(conn, entry_id: int, error: BaseException) -> int | None:
    """The latest later entry that wrote to the table a unique rule names: what undoing
    `entry_id` would put back clashes with its rows."""
    table = conn.engine.clashing_table(error)
    if table is None:
        return None
    later = _later_entries_that_count(conn, entry_id)
    return conn.execute(f"SELECT max(entry_id) FROM log_changes WHERE tbl = $1 AND entry_id IN ({later})"
                        " AND op IN ('insert', 'inserted', 'update')", (table,)).fetchone()[0]


def _foreign_keys(conn) -> list[tuple[str, str, str]]:
    """(child table, its column, parent table) of every foreign key the log could break by undoing."""
    return [key for key in conn.engine.foreign_keys(conn) if key[0] not in LOG_TABLES]


def undo(store, entry_id: int | None, dry_run: bool = False) -> dict:
    """Reverse one entry (the last one not undone, without `entry_id`); the undo is an entry itself."""
    with store.write() as conn:
        target = entry_id if entry_id is not None else last_undoable(conn, store.entry_id)
        entry = conn.execute("SELECT * FROM log_entries WHERE id = $1", (target,)).fetchone()
        if entry is None:
            raise NotFound("no log entry #{id} (see `redprop log`)", id=target)
        if entry["undone_by"] is not None:
            raise InvalidValue("log entry #{id} was already undone by #{by}", id=target, by=entry["undone_by"])
        if entry["id"] == store.entry_id:
            raise InvalidValue("log entry #{id} is this very command", id=target)
        changes = conn.execute("SELECT * FROM log_changes WHERE entry_id = $1 ORDER BY id", (target,)).fetchall()
        blocker = _blocker(conn, target, changes)
        if blocker is None:
            try:
                tables = _tables(conn)
                for change in reversed(changes):
                    _reverse(conn, change, tables)
            except conn.engine.IntegrityError as clash:  # what it puts back is taken now (an address lived in again)
                blocker = _clashing(conn, target, clash)
                if blocker is None:
                    raise
        if blocker is not None:
            later = conn.execute("SELECT command FROM log_entries WHERE id = $1", (blocker,)).fetchone()[0]
            raise InvalidValue("cannot undo log entry #{id}: the later entry #{later} ({command}) changed what it wrote;"
                               " undo #{later} first", id=target, later=blocker, command=later)
        for table, works in hooks.undo_work().items():
            ids = sorted({int(c["row_key"]) for c in changes if c["tbl"] == table and c["op"] in ("update", "delete")})
            for work in works if ids else ():
                work(conn, ids)
        conn.execute("UPDATE log_entries SET undone_by = $1 WHERE id = $2", (store.entry_id, target))
        conn.execute("UPDATE log_entries SET undoes = $1 WHERE id = $2", (target, store.entry_id))
        result = {"undone": target, "command": entry["command"], "changes": len(changes), "dry_run": dry_run,
                  "entry": store.entry_id}
        if dry_run:
            raise _DryRun(result)
    return result


class _DryRun(Exception):
    def __init__(self, result):
        super().__init__("dry run")
        self.result = result


def undo_or_preview(store, entry_id: int | None, dry_run: bool) -> dict:
    """`undo`, or with `dry_run` everything up to the commit, then rolled back."""
    try:
        return undo(store, entry_id, dry_run)
    except _DryRun as preview:
        store.forget_entry()
        return preview.result


def _reverse(conn, change, tables: dict[str, str | None]) -> None:
    table, key, op = change["tbl"], change["row_key"], change["op"]
    row = tables.get(table) if key.isdigit() else None  # numbered rows' keys are their numbers
    if op == "inserted":
        first, last = int(key), json.loads(change["after"])["through"]
        conn.execute(f"DELETE FROM {table} WHERE {row} BETWEEN $1 AND $2", (first, last))
    elif op == "insert":
        where, where_params = _row_where(conn, table, key, row, 1)
        conn.execute(f"DELETE FROM {table} WHERE {where}", where_params)
    elif op == "update":  # the values before ($1, a JSON object) put back, column by column
        names = list(json.loads(change["before"]))
        where, where_params = _row_where(conn, table, key, row, 2)
        conn.execute(f"UPDATE {table} SET {', '.join(f'{_q(c)} = json_extract($1, {_path(c)})' for c in names)} WHERE {where}",
                     (change["before"], *where_params))
    elif op == "delete":  # the row put back as it was ($1), under its number ($2) where it has one
        names = list(json.loads(change["before"]))
        values = [f"json_extract($1, {_path(c)})" for c in names]
        conn.execute(f"INSERT INTO {table} ({', '.join([*([row] if row else []), *map(_q, names)])}) VALUES"
                     f" ({', '.join([*(['$2'] if row else []), *values])})",
                     (change["before"], *([int(key)] if row else [])))


def _row_where(conn, table: str, key: str, row: str | None, first: int) -> tuple[str, tuple]:
    """The condition naming a row by its key (its values numbered from `first`), and its values."""
    if row:
        return f"{row} = ${first}", (int(key),)
    names = conn.engine.primary_key(conn, table)
    return " AND ".join(f"{_q(c)} = ${n}" for n, c in enumerate(names, start=first)), tuple(json.loads(key))


def _q(name: str) -> str:
    return f'"{name}"'


def _path(name: str) -> str:
    return "'$.\"" + name + "\"'"
