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

Undo reverses an entry's changes newest first: rows it added are deleted, rows it changed get
their before-values back in the columns it changed, rows it deleted are put back (in bulk, and
logged as ranges, when they have numbers: the undo of an undone import). Derived state comes
back with them: the due list's contact columns and an issue's cached state were logged as
changes too, and the contact triggers recompute on a visit's deletion. It refuses when a later
entry (not itself undone) touched the same rows, or added rows that point at rows this entry
added, and it does not reach across a boundary (see Undo below). Undoing an undo makes what it
undid count as done again.

Where the log is read (`list_entries`, `undo_target`, undo's messages), the rows the domain
registered as private (hooks.private: a sensitive focus group's memberships) and the words of
command lines about them are masked unless asked to show them (Masks).
"""

import json
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from redprop.errors import InvalidValue, Message, NotFound
from redprop.store import hooks
from redprop.store.sql import assignments, marks

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
    from redprop.store.files import sha256

    digest = sha256()
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
            self.id = conn.execute('INSERT INTO log_entries (at, "user", command) VALUES ($1, $2, $3) RETURNING id',
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


def record_boundary(store, kind: str, *, counts: dict | None = None, file: tuple[str, str] | None = None) -> int:
    """Log, as the command's entry, something undo does not reach across (see Undo below): a
    restore ("restore", `file` the backup's name and SHA-256) or an accepted loss ("loss",
    `counts` how many entries). Its id."""
    with store.write() as conn:
        conn.execute("UPDATE log_entries SET boundary = $1, counts = $2, file = $3, file_sha256 = $4 WHERE id = $5",
                     (kind, json.dumps(counts) if counts else None, *(file or (None, None)), store.entry_id))
    return store.entry.id


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
        "boundary": row["boundary"],
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


class Masks:
    """What the log masks where it is read without `show_private`: the rows the domain registered
    as private (hooks.private: a sensitive focus group's memberships) and the words of command
    lines about them. Read once per reading of the log."""

    def __init__(self, conn, show_private: bool):
        self.masks = {} if show_private else {table: factory(conn) for table, factory in hooks.private_rows().items()}

    def record(self, record: dict) -> dict:
        """An entry record (`changes` as changes_of gives them) with private rows masked — both
        sides of a change, whichever side was private — and its command line's private words;
        `masked` says whether anything was."""
        masked = False
        for change in record["changes"]:
            mask = self.masks.get(change["table"])
            sides = [side for side in ("before", "after") if change.get(side) and change["op"] != "inserted"]
            if mask is not None and any(mask.private(change[side]) for side in sides):
                for side in sides:
                    change[side] = mask.hide(change[side])
                masked = True
        command = self.command(record["command"])
        file = self.command(record["file"]) if record.get("file") else record.get("file")  # an import's file's name
        masked = masked or command != record["command"] or file != record.get("file")
        return {**record, "command": command, "masked": masked, **({"file": file} if "file" in record else {})}

    def command(self, command: str) -> str:
        """A command line with the private words every mask finds in it masked."""
        for mask in self.masks.values():
            command = mask.words(command)
        return command

    def said(self, conn, entry_id: int, command: str):
        """An entry's command line as an error names it: masked (see `of_entry`), the mask said in
        the reader's language."""
        command, masked = self.of_entry(conn, entry_id, command)
        for mask in self.masks.values() if masked else ():
            if isinstance(command, str):
                command = mask.said(command)
        return command

    def of_entry(self, conn, entry_id: int, command: str) -> tuple[str, bool]:
        """An entry's command line as a message may name it, and whether it was masked (as
        `record` masks it: the entry touched a private row, or the line names one). Only its
        changes to tables with private rows are read (an import's undo changed thousands)."""
        changes = [_change_record(r) for table in self.masks for r in conn.execute(
            "SELECT * FROM log_changes WHERE entry_id = $1 AND tbl = $2 ORDER BY id", (entry_id, table))]
        record = self.record({"command": command, "changes": changes})
        return record["command"], record["masked"]


def list_entries(store, *, limit: int | None = None, since: datetime | None = None, count: bool = False,
                 show_private: bool = False, **about):
    """Entries newest first, each with its changes, as a stream; filtered to those touching the
    rows a registered subject names (`household_ids=[…]`, `issue_id=N`: see hooks.subject) —
    the rows themselves and the rows pointing at them. With `count`, how many there are instead
    (no further than store.sql.COUNT_BOUND + 1).
    Private rows and words are masked (see Masks) unless `show_private`."""
    from redprop.store.instants import to_db
    from redprop.store.sql import bounded_count

    subjects = hooks.subjects()
    where, params = [], []
    for keyword, value in about.items():
        if keyword not in subjects:
            raise TypeError(f"list_entries() got an unexpected keyword argument {keyword!r}")
        if value is None:
            continue
        table, one = subjects[keyword]
        params.append(json.dumps([value] if one else list(value)))
        where.append(f"e.id IN ({_touching(store.engine, table, len(params))})")
    if since is not None:
        where.append(f"e.at >= ${len(params) + 1}")
        params.append(to_db(since))
    condition = " WHERE " + " AND ".join(where) if where else ""
    if count:  # no further than COUNT_BOUND + 1: the first entries of the filter, not the whole log
        return store.conn.execute(bounded_count(f"SELECT 1 FROM log_entries e{condition}"), params).fetchone()[0]
    sql = f"SELECT e.* FROM log_entries e{condition} ORDER BY e.id DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    masks = Masks(store.conn, show_private)
    return (masks.record(_entry_record(r, changes_of(store.conn, r["id"]), store.tz))
            for r in _streamed(store.conn.execute(sql, params)))


def _streamed(cursor, size: int = 500):
    """A cursor's rows a few hundred at a time: the whole log is not held at once (`log -f json`
    of a district's 150,000 entries peaked at 108 MB with every row read first)."""
    while chunk := cursor.fetchmany(size):
        yield from chunk


# A row's number in the log (`row_key`: a number, or a primary key as a JSON array), as a number
# (NULL for a key): SQL both engines run, never casting a JSON array.
ROW_NUMBER = "(CASE WHEN row_key NOT LIKE '[%' THEN CAST(row_key AS BIGINT) END)"


def _number(engine, document: str, key: str) -> str:
    """A number kept in a row image (or a bulk range's `through`), as a number."""
    return f"CAST({engine.json_field(document, key)} AS BIGINT)"


def _touching(engine, table: str, n: int) -> str:
    """SQL for the entries that changed these rows of `table` (parameter `n`: their ids as a
    JSON array), added them in bulk, or changed a row pointing at one of them."""
    ids = f"({engine.json_values(f'${n}', 'BIGINT')})"
    clauses = [f"(tbl = '{table}' AND {ROW_NUMBER} IN {ids})",
               f"(op = 'inserted' AND tbl = '{table}' AND EXISTS (SELECT 1 FROM {ids} AS r"
               f" WHERE r.value BETWEEN {ROW_NUMBER} AND {_number(engine, 'after', 'through')}))"]
    by_column: dict[str, list[str]] = {}
    for child, column in hooks.pointers_to(table):
        by_column.setdefault(column, []).append(child)
    for column, children in by_column.items():
        named = f"coalesce({_number(engine, 'after', column)}, {_number(engine, 'before', column)})"
        clauses.append(f"(tbl IN ({', '.join(repr(c) for c in children)}) AND {named} IN {ids})")
    # each way a change may touch them a query of its own, off its own index (one OR of them all
    # is, with a district's statistics, read as one pass over the whole log)
    return " UNION ".join(f"SELECT entry_id FROM log_changes WHERE {clause}" for clause in clauses)


# ---------------------------------------------------------------------------------------
# Undo
#
# Undo puts back exactly what an entry changed, and nothing it cannot vouch for. It does not
# reach across a *boundary* (migration m013): a restore, or a loss accepted, put the whole
# database back as it stood earlier, so no entry before it is undone; a migration that rewrote
# values people typed (migrations.REWRITES) is a boundary for the rows it changed and the
# columns it rewrote. Nor across a change the log does not know of: a row whose values are no
# longer those the entry left is not written over.


def _newest_hard_boundary(conn, after: int = 0):
    """The newest restore or accepted loss (after entry `after`), or None."""
    return conn.execute(
        "SELECT id, boundary, at, command, file, counts FROM log_entries WHERE boundary IS NOT NULL"
        " AND boundary IN ('restore', 'loss')"
        " AND id > $1 ORDER BY id DESC LIMIT 1", (after,)).fetchone()


# An entry still in force: an undo is undone by number only; a boundary is not a change to take back.
_STANDING = "e.undone_by IS NULL AND e.undoes IS NULL AND e.boundary IS NULL"


def undo_target(store, *, user: str, entry_id: int | None = None, anyone: bool = False,
                about: tuple[str, int, str] | None = None, show_private: bool = False) -> dict:
    """The entry an undo takes back, checked before anything is written: ENTRY as given; or the
    newest entry still standing that changed a row a subject names (`about`: keyword, id and
    what the row is, a msgid — `("visit_id", 674, "visit")`); or the newest of `user`'s own, of
    anybody's with `anyone` (see _newest_standing: a change made again by undoing its undo counts
    as made then, by whoever did). On a shared database someone else's entry is taken back only
    with `anyone` (the error names them). A database that cannot be written is said first. Never
    an entry from before a restore or an accepted loss. The record as the log shows it (private
    rows masked unless `show_private`)."""
    store.check_writable()
    conn = store.conn
    floor = _newest_hard_boundary(conn)
    since = floor["id"] if floor else 0
    owner = None
    if entry_id is not None:
        row = conn.execute("SELECT * FROM log_entries e WHERE e.id = $1", (entry_id,)).fetchone()
        if row is None:
            raise NotFound("no log entry #{id} (see `redprop log`)", id=entry_id)
    elif about is not None:
        keyword, row_id, what = about
        table, _one = hooks.subjects()[keyword]
        row = conn.execute(f"SELECT * FROM log_entries e WHERE {_STANDING} AND e.id > $2 AND e.id IN ({_touching(conn.engine, table, 1)})"
                           " ORDER BY e.id DESC LIMIT 1", (json.dumps([row_id]), since)).fetchone()
        if row is None:
            raise NotFound("nothing to undo: no entry still standing changed {what} #{id} (see `redprop log`)",
                           what=Message(what), id=row_id)
    else:
        row, owner = _newest_standing(conn, since, store.entry_id, None if anyone else user)
        if row is None and floor:
            raise NotFound("nothing to undo since entry #{boundary} ({what}); undo does not reach across it",
                           boundary=floor["id"], what=_boundary_words(floor))
        if row is None and anyone:
            raise NotFound("nothing to undo: the log has no entry that is not undone yet")
        if row is None:
            raise NotFound("nothing of yours to undo ({user}); `redprop log` lists everyone's entries, and --anyone"
                           " takes back another person's", user=user)
    masks = Masks(conn, show_private)
    if (owner or row["user"]) != user and not anyone:
        raise InvalidValue("entry #{id} is {other}'s ({command}); --anyone takes back another person's entry",
                           id=row["id"], other=row["user"], command=masks.said(conn, row["id"], row["command"]))
    return masks.record(_entry_record(row, changes_of(conn, row["id"]), store.tz))


def _newest_standing(conn, since: int, current: int | None, user: str | None):
    """(entry, who made it last) of the change made last that still stands, after entry `since`
    (of `user`'s, when given): the newest entry not undone — or an entry whose undo was undone
    after it, which counts as made again then, by whoever undid the undo; (None, None) when
    there is none. (The conditions are composed here, not left to `$n IS NULL` in SQL, whose
    type an engine may want to know.)"""
    def among(alias: str, values: list) -> str:
        terms = [f"{alias}.id > ${len(values)}"]
        if current is not None:
            values.append(current)
            terms.append(f"{alias}.id <> ${len(values)}")
        if user is not None:
            values.append(user)
            terms.append(f'{alias}."user" = ${len(values)}')
        return " AND ".join(terms)

    values = [since]
    plain = conn.execute(f"SELECT * FROM log_entries e WHERE {_STANDING} AND {among('e', values)}"
                         " ORDER BY e.id DESC LIMIT 1", values).fetchone()
    values = [plain["id"] if plain else since]
    condition = among("r", values)
    values.append(since)
    again = conn.execute(  # an undo undone after that entry: what it had undone was made again then
        'SELECT x.*, r."user" AS again_by FROM log_entries r JOIN log_entries u ON u.id = r.undoes'
        f" JOIN log_entries x ON x.id = u.undoes WHERE {condition} AND r.undone_by IS NULL AND x.undone_by IS NULL"
        f" AND x.boundary IS NULL AND x.id > ${len(values)} ORDER BY r.id DESC LIMIT 1", values).fetchone()
    if again:
        return again, again["again_by"]
    return plain, None


def _boundary_words(row) -> Message:
    """What a boundary entry records, in a few words."""
    if row["boundary"] == "restore":
        return Message("the database restored from {file}", file=row["file"] or "?")
    if row["boundary"] == "loss":
        return Message("{missing} entries found missing and the loss accepted",
                       missing=json.loads(row["counts"] or "{}").get("missing", "?"))
    return Message("migration {name}", name=row["command"].removeprefix("migration "))


class _Change:
    """One row of `log_changes` as undo reads it: its values parsed once."""

    __slots__ = ("tbl", "row_key", "op", "before", "after", "written")

    def __init__(self, row):
        self.tbl, self.row_key, self.op = row["tbl"], row["row_key"], row["op"]
        self.before = json.loads(row["before"]) if row["before"] else {}
        self.after = json.loads(row["after"]) if row["after"] else {}
        # the columns undoing it writes back: a row put back whole, or the columns an update
        # changed (those it left alone are not written over)
        if self.op == "delete":
            self.written = list(self.before)
        elif self.op == "update":
            self.written = [c for c in self.before if c in self.after and self.before[c] != self.after[c]]
        else:
            self.written = []


def _later_entries_that_count(conn, entry_id: int) -> str:
    """SQL for the entries after `entry_id` whose changes still stand: not undone, and not an undo of
    something after it (those two cancel out)."""
    return (f"SELECT id FROM log_entries WHERE id > {int(entry_id)} AND undone_by IS NULL"
            f" AND (undoes IS NULL OR undoes < {int(entry_id)})")


def _blocker(conn, entry_id: int, changes: list[_Change]) -> int | None:
    """The first later entry standing in the way of undoing `entry_id`, if any: one that changed a
    row this entry changed (or one of the rows it added), or added or changed a row pointing at
    one it added."""
    later = _later_entries_that_count(conn, entry_id)
    found = conn.execute(  # the rows it changed one by one, looked up together
        f"SELECT min(l.entry_id) FROM log_changes t JOIN log_changes l ON l.tbl = t.tbl AND l.row_key = t.row_key"
        f" WHERE t.entry_id = $1 AND t.op != 'inserted' AND l.entry_id IN ({later})", (entry_id,)).fetchone()[0]
    if found:
        return found
    parents = {}  # table → ranges of row numbers this entry added
    for change in changes:
        if change.op == "inserted":
            first, last = int(change.row_key), change.after["through"]
            parents.setdefault(change.tbl, []).append((first, last))
            found = conn.execute(
                f"SELECT min(entry_id) FROM log_changes WHERE tbl = $1 AND entry_id IN ({later})"
                f" AND op != 'inserted' AND {ROW_NUMBER} BETWEEN $2 AND $3", (change.tbl, first, last)).fetchone()[0]
            if found:
                return found
        elif change.op == "insert" and change.row_key.isdigit():
            parents.setdefault(change.tbl, []).append((int(change.row_key), int(change.row_key)))
    tables = _tables(conn)
    for child, column, parent in _foreign_keys(conn):
        for first, last in _runs(parents.get(parent, ())):
            found = conn.execute(
                f"SELECT min(entry_id) FROM log_changes WHERE tbl = $1 AND entry_id IN ({later}) AND op IN ('insert', 'update')"
                f" AND {_number(conn.engine, 'after', column)} BETWEEN $2 AND $3", (child, first, last)).fetchone()[0]
            if found:
                return found
            for later_id, start, through in conn.execute(
                f"SELECT entry_id, {ROW_NUMBER}, {_number(conn.engine, 'after', 'through')} FROM log_changes"
                f" WHERE tbl = $1 AND op = 'inserted' AND entry_id IN ({later}) ORDER BY entry_id", (child,)):
                if conn.execute(f'SELECT 1 FROM {child} WHERE {tables[child]} BETWEEN $1 AND $2 AND "{column}" BETWEEN $3 AND $4'
                                " LIMIT 1", (start, through, first, last)).fetchone():
                    return later_id
    return None


def _runs(ranges) -> list[tuple[int, int]]:
    """Ranges of row numbers with those that touch or overlap joined: fewer look-ups."""
    joined: list[list[int]] = []
    for first, last in sorted(ranges):
        if joined and first <= joined[-1][1] + 1:
            joined[-1][1] = max(joined[-1][1], last)
        else:
            joined.append([first, last])
    return [(first, last) for first, last in joined]


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


def _rewritten_since(conn, entry_id: int, changes: list):
    """(migration entry, table, columns) when undoing `entry_id` would write back, across a
    migration that rewrote them, values of the columns it rewrote (in their older form); else None."""
    for boundary in conn.execute("SELECT id, boundary, command, file, counts FROM log_entries WHERE boundary IS NOT NULL"
                                 " AND boundary = 'migration' AND id > $1 ORDER BY id", (entry_id,)).fetchall():
        rewrote = json.loads(boundary["counts"] or "{}").get("rewrote", {})
        for change in changes:
            hit = [c for c in change.written if c in rewrote.get(change.tbl, ())]
            if hit:
                return boundary, change.tbl, hit
    return None


def _changed_outside_log(conn, changes: list, tables: dict) -> tuple[str, str] | None:
    """(table, row) of a row whose columns undo would write back no longer hold what the entry left
    in them, though no later entry changed them: something the log does not record did (a
    migration of a database upgraded before migrations were logged, an edit outside redprop)."""
    left: dict[tuple[str, str], dict] = {}  # (table, row key) → the values the entry left in the columns it changed
    for change in changes:
        key = (change.tbl, change.row_key)
        if change.op in ("insert", "delete", "inserted"):
            left[key] = None  # added (undo removes it) or removed (undo puts it back): nothing to compare
        elif left.get(key, {}) is not None:
            left.setdefault(key, {}).update({c: change.after[c] for c in change.written})
    by_table: dict[str, dict[str, dict]] = {}
    for (table, key), values in left.items():
        if values and table in tables:
            by_table.setdefault(table, {})[key] = values
    for table, rows in by_table.items():
        row = tables[table]
        columns = sorted({c for values in rows.values() for c in values})
        keys = list(rows)
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            if row and all(k.isdigit() for k in part):
                found = {str(r[0]): r for r in conn.execute(
                    f"SELECT {row}, {', '.join(map(_q, columns))} FROM {table} WHERE {row} IN ({marks(len(part))})",
                    [int(k) for k in part])}
            else:
                found = {}
                for k in part:
                    where, values = _row_where(conn, table, k, row if k.isdigit() else None, 1)
                    hit = conn.execute(f"SELECT NULL, {', '.join(map(_q, columns))} FROM {table} WHERE {where}", values).fetchone()
                    if hit:
                        found[k] = hit
            for k in part:
                current = found.get(k)
                if current is None:
                    continue  # gone: a later entry removed it (the blocker says so) or undo meets it as it is
                now = dict(zip(columns, tuple(current)[1:]))
                if any(not _same(now[c], v) for c, v in rows[k].items()):
                    return table, _row_id(k)
    return None


def _put_back_from_less(conn, changes, table: str) -> list[int]:
    """The rows of `table` an undo changed or put back from values that lack columns the table has
    now (an entry logged before a migration added them): what is derived from the others must be
    worked out again (hooks.after_undo). Rows put back from values of every column are exactly
    as they were."""
    columns = set(conn.engine.columns(conn, table))
    ids = set()
    for change in changes:
        if change.tbl == table and change.op in ("update", "delete") and change.row_key.isdigit():
            if not columns <= change.before.keys():
                ids.add(int(change.row_key))
    return sorted(ids)


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1)
    return a == b


def undo(store, entry_id: int, dry_run: bool = False, show_private: bool = False) -> dict:
    """Reverse one entry (the one `undo_target` chose, checked again in the write); the undo is an
    entry itself. Undoing an undo makes what it undid count as done again."""
    with store.write() as conn:
        masks = Masks(conn, show_private)

        def said(entry):
            return masks.said(conn, entry["id"], entry["command"])

        target = entry_id
        entry = conn.execute("SELECT * FROM log_entries WHERE id = $1", (target,)).fetchone()
        if entry is None:
            raise NotFound("no log entry #{id} (see `redprop log`)", id=target)
        if entry["undone_by"] is not None:
            raise InvalidValue("log entry #{id} was already undone by #{by}", id=target, by=entry["undone_by"])
        if entry["id"] == store.entry_id:
            raise InvalidValue("log entry #{id} is this very command", id=target)
        if entry["boundary"]:
            raise InvalidValue("log entry #{id} records {what}, not a change a command made; it cannot be undone", id=target,
                               what=_boundary_words(entry))
        floor = _newest_hard_boundary(conn, after=target)
        if floor:
            raise InvalidValue("cannot undo log entry #{id}: it is older than entry #{boundary} ({what}); undo does not"
                               " reach across it", id=target, boundary=floor["id"], what=_boundary_words(floor))
        changes = [_Change(row) for row in conn.execute("SELECT * FROM log_changes WHERE entry_id = $1 ORDER BY id",
                                                        (target,))]
        tables = _tables(conn)
        rewritten = _rewritten_since(conn, target, changes)
        blocker = _blocker(conn, target, changes) if rewritten is None else None
        if blocker is not None:
            later = conn.execute("SELECT * FROM log_entries WHERE id = $1", (blocker,)).fetchone()
            if later["boundary"] == "migration":
                touched = next((c.tbl for c in changes if conn.execute(
                    "SELECT 1 FROM log_changes WHERE entry_id = $1 AND tbl = $2 LIMIT 1", (blocker, c.tbl)).fetchone()),
                    changes[0].tbl)
                rewritten = later, touched, json.loads(later["counts"] or "{}").get("rewrote", {}).get(touched, [])
        if rewritten is not None:
            boundary, table, columns = rewritten
            raise InvalidValue("cannot undo log entry #{id}: {what} (entry #{boundary}) rewrote {columns} of {table} since;"
                               " undo does not write back what was there before it", id=target, boundary=boundary["id"],
                               what=_boundary_words(boundary), table=table, columns=", ".join(columns))
        if blocker is None:
            stale = _changed_outside_log(conn, changes, tables)
            if stale is not None:
                raise InvalidValue("cannot undo log entry #{id}: row {row} of {table} was changed since by something the"
                                   " log does not record (a migration, an edit outside redprop); undo does not reach"
                                   " across it", id=target, table=stale[0], row=stale[1])
            try:
                with store.savepoint("reverse"):  # a clash undoes the reversal alone: the write can still ask why
                    _reverse_all(conn, changes, tables, store.entry_id)
            except conn.engine.IntegrityError as clash:  # what it puts back is taken now (an address lived in again)
                blocker = _clashing(conn, target, clash)
                if blocker is None:
                    raise
        if blocker is not None:
            later = conn.execute("SELECT * FROM log_entries WHERE id = $1", (blocker,)).fetchone()
            raise InvalidValue("cannot undo log entry #{id}: the later entry #{later} ({command}) changed what it wrote;"
                               " undo #{later} first", id=target, later=blocker, command=said(later))
        for table, works in hooks.undo_work().items():
            ids = _put_back_from_less(conn, changes, table)
            for work in works if ids else ():
                work(conn, ids)
        conn.execute("UPDATE log_entries SET undone_by = $1 WHERE id = $2", (store.entry_id, target))
        conn.execute("UPDATE log_entries SET undoes = $1 WHERE id = $2", (target, store.entry_id))
        if entry["undoes"] is not None:  # an undo undone: what it had undone counts as done again
            conn.execute("UPDATE log_entries SET undone_by = NULL WHERE id = $1", (entry["undoes"],))
        command, masked = masks.of_entry(conn, target, entry["command"])
        result = {"undone": target, "command": command, "masked": masked, "changes": len(changes), "dry_run": dry_run,
                  "entry": store.entry_id}
        if dry_run:
            raise _DryRun(result)
    return result


class _DryRun(Exception):
    def __init__(self, result):
        super().__init__("dry run")
        self.result = result


def undo_or_preview(store, entry_id: int, dry_run: bool, show_private: bool = False) -> dict:
    """`undo`, or with `dry_run` everything up to the commit, then rolled back."""
    try:
        return undo(store, entry_id, dry_run, show_private)
    except _DryRun as preview:
        store.forget_entry()
        return preview.result


def _reverse_all(conn, changes: list[_Change], tables: dict[str, str | None], entry_id: int) -> None:
    """Reverse `changes` newest first, each run of like changes (the same table, the same kind, the
    same columns) in one statement over many rows: a thousand rows put back cost one statement.
    Rows put back under their numbers are logged as ranges, as an import's are (see _put_back)."""
    run, shape = [], None
    for change in reversed(changes):
        step = _reversal(conn, change, tables)
        if step is None:
            continue
        if step[0] != shape:
            _flush(conn, shape, run, entry_id)
            run, shape = [], step[0]
        run.append(step[1:])
    _flush(conn, shape, run, entry_id)


def _flush(conn, sql: str | None, steps: list, entry_id: int) -> None:
    if sql is None or not steps:
        return
    rows = [values for values, _put in steps]
    put = [put for _values, put in steps if put]
    if put and len(put) == len(steps):
        _put_back(conn, sql, rows, put, entry_id)
    elif len(rows) == 1:
        conn.execute(sql, rows[0])
    else:
        conn.executemany(sql, rows)


def _put_back(conn, sql: str, rows: list, put: list[tuple[str, int]], entry_id: int) -> None:
    """Rows put back under their numbers: written without a copy of each in the log (the log's
    triggers leave inserts alone while `bulk` is set), and logged as ranges of numbers, as an
    import's rows are — undoing the undo of an import of thousands costs what the import did."""
    conn.execute("UPDATE log_state SET bulk = 1")
    conn.executemany(sql, rows)
    conn.execute("UPDATE log_state SET bulk = 0")
    table = put[0][0]
    numbers = sorted(number for _table, number in put)
    conn.executemany("INSERT INTO log_changes (entry_id, tbl, row_key, op, after) VALUES ($1, $2, $3, 'inserted', $4)",
                     [(entry_id, table, str(first), json.dumps({"through": last}))
                      for first, last in _runs((n, n) for n in numbers)])


def _reversal(conn, change: _Change, tables: dict[str, str | None]):
    """(SQL, its values, (table, row number) of a row put back under its number or None) reversing
    one change, or None when there is nothing to write."""
    table, key, op = change.tbl, change.row_key, change.op
    row = tables.get(table) if key.isdigit() else None  # numbered rows' keys are their numbers
    if op == "inserted":
        return f"DELETE FROM {table} WHERE {row} BETWEEN $1 AND $2", (int(key), change.after["through"]), None
    if op == "insert":
        where, where_params = _row_where(conn, table, key, row, 1)
        return f"DELETE FROM {table} WHERE {where}", where_params, None
    names = change.written
    if not names:
        return None
    values = tuple(change.before[c] for c in names)
    if op == "update":  # the values before put back, in the columns the change changed
        where, where_params = _row_where(conn, table, key, row, len(names) + 1)
        return f"UPDATE {table} SET {assignments(map(_q, names))} WHERE {where}", (*values, *where_params), None
    # delete: the row put back as it was, under its number where it has one (the number written
    # apart where it is no column of the image: SQLite's rowid; PostgreSQL numbers by a column)
    numbered = row if row and row not in names else None
    return (_insert_sql(table, numbered, tuple(names)), (*([int(key)] if numbered else []), *values),
            (table, int(key)) if row else None)


@lru_cache(maxsize=64)
def _insert_sql(table: str, row: str | None, names: tuple[str, ...]) -> str:
    columns = [*([row] if row else []), *map(_q, names)]
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks(len(columns))})"


def _row_where(conn, table: str, key: str, row: str | None, first: int) -> tuple[str, tuple]:
    """The condition naming a row by its key (its values numbered from `first`), and its values."""
    if row:
        return f"{row} = ${first}", (int(key),)
    names = conn.engine.primary_key(conn, table)
    return " AND ".join(f"{_q(c)} = ${n}" for n, c in enumerate(names, start=first)), tuple(json.loads(key))


def _q(name: str) -> str:
    return f'"{name}"'
