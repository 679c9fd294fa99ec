"""Looking after the file itself: `check` (is it whole and does it agree with itself?),
`backup` (a checked copy, named by date, the last N kept) and `restore` (a checked copy put back,
the current file kept aside).

`check` asks the database's engine (SQLite's integrity check, foreign keys, and every stored
value read back: bytes flipped inside a record pass SQLite's check but cannot be read),
compares the schema with the one this redprop builds, and checks redprop's own derived columns
against the records they come from: every issue's cached state against the replay of its steps
(issues.records.write_state is their one writer), and every membership's contact columns (last
contact, knocks since) against its household's visits (the triggers keep them). Entries lost
since the database was last written (store/mark.py) are a problem until accepted. With
`quick`, SQLite's quicker check (no index contents), no values read and no replay of the
issues: seconds instead of minutes on a district's file — and so it never lifts a note that
the file was found damaged.
"""

import os
from datetime import datetime
from pathlib import Path

from redprop.errors import N_, DatabaseError, InvalidValue, Message, NotFound
from redprop.store import Store, engine_for, mark, open_store, reason
from redprop.store.backups import backup_folder, backup_target
from redprop.store.files import (
    checked_path, clear_damage, is_damage, leftovers, note_damage, noted_damage, readable_by_others, shown, sidecars,
)
from redprop.store.log import file_digest, record_boundary

KINDS = {"table": N_("table"), "index": N_("index"), "trigger": N_("trigger")}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SHOWN_PER_KIND = 5  # wrong rows named per invariant; the rest are counted
REPLAY_CHUNK = 2000


def check(store: Store, quick: bool = False, at: datetime | None = None, accept_loss: bool = False) -> dict:
    """{"problems": [Message], "warnings": [Message], "checked": {what: rows}, "quick": bool,
    "accepted": the loss accepted or None}.

    SQLite's finding damage is noted beside the file (no command writes to it then); a check
    that finds nothing wrong removes such a note. Entries found missing since the database was
    last written (store/mark.py) are a problem, until `accept_loss` records that the office
    accepts what is gone: an entry of the log that undo does not reach across."""
    problems: list[Message] = []
    checked: dict[str, int] = {}
    accepted = None
    if store.loss is not None and accept_loss:
        accepted, store.loss = store.loss, None
        record_boundary(store, "loss", counts={"missing": accepted.missing, "last": accepted.marked})
        mark.reset(store)
    elif store.loss is not None:
        problems.append(mark.found(store.shown, store.loss).message)
    problems += database_problems(store, quick, checked)
    if not store.is_file:  # a community on a server: no file beside it to look after
        return {"problems": problems, "warnings": [], "checked": checked, "quick": quick, "accepted": accepted}
    damaged = next((p for p in problems if p.template in (ENGINE_PROBLEM, UNREADABLE)), None)
    if damaged is not None:  # the engine met damage: noted beside the file, nothing more is written to it
        what = damaged.values["problem"] if damaged.template == ENGINE_PROBLEM else \
            f"{damaged.values['table']} row {damaged.values['row']}: a value cannot be read"
        note_damage(store.path, f"redprop check: {what}", at.isoformat(timespec="seconds") if at else None)
    damage = noted_damage(store.path)
    if not problems and damage and quick:  # it reads no values: what was met may be there still
        problems.append(Message("{path} was found damaged ({when}: {what}); the quick check cannot say it is whole"
                                " again: `redprop check` reads every value", path=shown(store.path), when=damage[0],
                                what=damage[1]))
    if not problems:
        clear_damage(store.path)
    warnings = permission_warnings(store.path) + leftover_warnings(store.path)
    return {"problems": problems, "warnings": warnings, "checked": checked, "quick": quick, "accepted": accepted}


ENGINE_PROBLEM = N_("{engine}: {problem}")
UNREADABLE = N_("{table} row {row}: a value cannot be read (it is not text in the database's encoding: bytes damaged"
                " inside the record)")


def database_problems(store: Store, quick: bool = False, checked: dict | None = None) -> list[Message]:
    """What `check` finds wrong in the database itself, and nothing else done (no note beside
    it, no file looked at): the engine's own check of its storage, every value read back (not
    `quick`), the references between tables, the schema, the due list's contact columns and
    (not `quick`) every issue's cached state. Runs inside a transaction too (a copy checks what
    it wrote before committing it)."""
    problems: list[Message] = []
    checked = {} if checked is None else checked
    engine = store.engine

    def guarded(what: str, task) -> None:
        try:
            task()
        except engine.Error as error:
            problems.append(Message("could not check {what}: {error}", what=Message(what), error=str(error)))

    def engine_checks():
        try:
            found = engine.integrity_problems(store.conn, quick=quick)
        except engine.Error as error:  # damage that stops the check itself
            if not is_damage(error):  # busy, out of memory, an I/O error: not a reason to stop every write
                raise
            found = [reason(error)]
        problems.extend(Message(ENGINE_PROBLEM, engine=ENGINE_NAMES[engine.name], problem=problem) for problem in found)

    def values():
        unreadable = engine.unreadable_values(store.conn)
        for table, row in unreadable[:SHOWN_PER_KIND]:
            problems.append(Message(UNREADABLE, table=table, row=row or "?"))
        if len(unreadable) > SHOWN_PER_KIND:
            problems.append(Message("… and {count} more rows like these", count=len(unreadable) - SHOWN_PER_KIND))

    def references():
        for table, rowid, parent in engine.foreign_key_problems(store.conn):
            problems.append(Message("{table} row {rowid} points at a row of {parent} that does not exist",
                                    table=table, rowid=rowid, parent=parent))

    guarded(N_("the file's pages"), engine_checks)
    if not quick:
        guarded(N_("the values stored"), values)
    guarded(N_("the references between tables"), references)
    guarded(N_("the schema"), lambda: problems.extend(schema_problems(store.conn)))
    guarded(N_("the due list's contact columns"), lambda: problems.extend(contact_problems(store.conn, checked)))
    if not quick:
        guarded(N_("the issues' cached state"), lambda: problems.extend(issue_state_problems(store, checked)))
    return problems


def schema_problems(conn) -> list[Message]:
    """Tables, columns, indexes and triggers missing or extra, against a database this redprop
    makes (a dropped trigger would leave the due list or the change log silently wrong)."""
    from redprop.store.migrations import MIGRATIONS, migrate

    engine = conn.engine
    version = engine.schema_version(conn)
    found = []
    if version != len(MIGRATIONS):
        found.append(Message("schema version {version}, this redprop expects {latest}", version=version,
                             latest=len(MIGRATIONS)))
    with engine.scratch(conn) as fresh:
        if fresh is None:  # an engine that cannot make one for this login: the schema is not compared
            return found
        migrate(fresh)
        expected, actual = _shape(fresh), _shape(conn)
    for name in sorted(expected.keys() - actual.keys()):
        found.append(Message("the schema lacks {kind} {name}", kind=expected[name][0], name=name))
    for name in sorted(actual.keys() - expected.keys()):
        found.append(Message("the schema has an unknown {kind} {name}", kind=actual[name][0], name=name))
    for name in sorted(expected.keys() & actual.keys()):
        if expected[name] != actual[name]:
            found.append(Message("{kind} {name} differs from the one this redprop makes", kind=expected[name][0], name=name))
    return found


def _shape(conn) -> dict[str, tuple]:
    return {name: (Message(KINDS[kind]), columns) for name, (kind, columns) in conn.engine.schema_objects(conn).items()}


CONTACTS = """
    WITH seen AS (
        SELECT household_id, MAX(CASE WHEN outcome IN ('well', 'needs_help', 'refused') THEN at END) AS last
        FROM visits WHERE voided_at IS NULL GROUP BY household_id)
    SELECT m.id, m.household_id, m.last_contact_at, m.knocks, s.last,
           (SELECT count(*) FROM visits v WHERE v.household_id = m.household_id AND v.voided_at IS NULL
                                            AND v.at > COALESCE(s.last, '')) AS knocks_since
    FROM memberships m LEFT JOIN seen s ON s.household_id = m.household_id
"""


def contact_problems(conn, checked: dict) -> list[Message]:
    """Memberships whose last contact or knocks differ from what their household's visits say."""
    wrong, count = [], 0
    for row in conn.execute(CONTACTS):
        count += 1
        if row[2] != row[4] or row[3] != row[5]:
            wrong.append(row)
    checked["memberships"] = count
    found = [Message("membership {id} ({household}): last contact {cached} and {knocks} knocks on record, but the visits"
                     " say {last} and {since}", id=row[0], household=_household(conn, row[1]), cached=row[2] or "-",
                     knocks=row[3], last=row[4] or "-", since=row[5])
             for row in wrong[:SHOWN_PER_KIND]]
    if len(wrong) > SHOWN_PER_KIND:
        found.append(Message("… and {count} more memberships like these", count=len(wrong) - SHOWN_PER_KIND))
    return found


def _household(conn, household_id: int) -> str:
    try:
        row = conn.execute("SELECT key FROM households WHERE id = $1", (household_id,)).fetchone()
    except conn.engine.Error:
        row = None
    return row[0] if row else f"#{household_id}"


def issue_state_problems(store: Store, checked: dict) -> list[Message]:
    """Issues whose cached state (status, handler, times…, and their work order's) differs from the
    replay of their steps."""
    from redprop.issues.lifecycle import replay
    from redprop.issues.orders import load_orders
    from redprop.issues.records import ISSUE_SELECT, cache_columns, history, order_columns

    wrong, count, last = [], 0, 0
    while True:
        rows = store.conn.execute(f"{ISSUE_SELECT} WHERE i.id > $1 ORDER BY i.id LIMIT {REPLAY_CHUNK}", (last,)).fetchall()
        if not rows:
            break
        steps = history(store.conn, rows)
        orders = load_orders(store.conn, [r["id"] for r in rows if r["replay"]])  # an order's issue is replayed
        for row in rows:
            state = replay(row, steps[row["id"]], tz=store.tz)
            expected = cache_columns(state)
            differing = sorted(k for k, v in expected.items() if row[k] != v)
            order = orders.get(row["id"])
            if order is not None and state.order is not None:  # its work order's cached state too
                differing += sorted(f"orders.{k}" for k, v in order_columns(state.order).items() if order[k] != v)
            if differing:
                wrong.append((row["id"], differing))
        count += len(rows)
        last = rows[-1]["id"]
    checked["issues"] = count
    found = [Message("issue #{id}: {columns} on record differ from the replay of its steps", id=i, columns=", ".join(c))
             for i, c in wrong[:SHOWN_PER_KIND]]
    if len(wrong) > SHOWN_PER_KIND:
        found.append(Message("… and {count} more issues like these", count=len(wrong) - SHOWN_PER_KIND))
    return found


def permission_warnings(path: Path) -> list[Message]:
    """The database (or its -wal/-shm) readable by other accounts on this computer."""
    open_to = [p for p in (path, *sidecars(path)) if p.exists() and readable_by_others(p)]
    if not open_to:
        return []
    return [Message("{files} can be read by other accounts on this computer; make them private with: chmod 600 {files}",
                    files=" ".join(shown(p) for p in open_to))]


def leftover_warnings(path: Path) -> list[Message]:
    """Temporary files of interrupted writes (a ledger, a report or a backup killed half-way) beside
    the database and in its default backup folder: they may hold residents' data."""
    folders = [path.parent, default_backup_folder(path)]
    found = [p for folder in folders if folder.is_dir() and not folder.is_symlink() for p in leftovers(folder)]
    return [Message("{name} in {folder} was left by a write that was interrupted and may hold residents' data; the"
                    " next write there removes it (or delete it)", name=p.name, folder=shown(p.parent)) for p in found]


# --------------------------------------------------------------------------------------------
# Backups

STAMP = "%Y-%m-%d-%H%M%S"


def backup_name(db_path: Path, at: datetime) -> str:
    return f"{db_path.stem}-{at.strftime(STAMP)}.db"


def _free_name(folder: Path, db_path: Path, at: datetime) -> Path:
    name = backup_name(db_path, at)
    path, n = folder / name, 1
    while os.path.lexists(path):
        n += 1
        path = folder / f"{name[:-3]}-{n}.db"
    return path


def default_backup_folder(db_path: Path) -> Path:
    return db_path.parent / "backups"


def backup(store: Store, target: str | Path | None, *, at: datetime, keep: int | None = None) -> dict:
    """A checked copy of the database at `target`: a file name, or a folder (given with a
    trailing / or existing; default: `backups` beside the database) where it is named by date.
    In a folder, `keep` leaves the newest N dated copies of this database (known by what they
    hold, see store.backups) and removes the older, once the new one has passed its checks.
    {"path", "bytes", "rows", "removed": [paths]}."""
    if not store.is_file:
        store.engine.write_backup(store.conn, Path(), None)  # says how a shared database is backed up
    if keep is not None and keep < 1:
        raise InvalidValue("--keep {keep}: keep at least 1 backup", keep=keep)
    folder_given = target is None or os.fspath(target).endswith(("/", os.sep)) or Path(target).is_dir()
    target = checked_path(Path(target)) if target is not None else None
    if folder_given:
        folder = backup_folder(target or default_backup_folder(store.path), default=target is None)
        final = _free_name(folder, store.path, at)
    else:
        if keep is not None:
            raise InvalidValue("--keep needs a folder of dated backups, not the file {path}", path=shown(target))
        final = backup_target(target)
        if not final.parent.is_dir():
            raise InvalidValue("no folder {path} for the backup", path=shown(final.parent))
    if final.resolve() == store.path.resolve():
        raise InvalidValue("{path} is the database itself", path=shown(final))
    counts = store.engine.write_backup(store.conn, final, store.path.stem if folder_given else None)
    removed = []
    if folder_given and keep is not None:
        removed = store.engine.rotate_backups(store.conn, folder, store.path.stem, keep, final)
    return {"path": final, "bytes": final.stat().st_size, "rows": counts, "removed": removed}


def restore(db_path: Path, backup_file: Path, *, at: datetime, logged_as: tuple[str, object] | None = None) -> dict:
    """Put a checked backup in place of the database, the current file kept aside first
    (as `NAME.before-restore-DATE`). The restore is an entry of the restored database's log
    (`logged_as`: the command line and who typed it), which undo does not reach across, and
    its mark names the database as restored. {"path", "aside" (or None), "rows", "backup", "entry"}."""
    from redprop.store.migrations import MIGRATIONS

    backup_file = checked_path(backup_file)
    if not backup_file.is_file():
        raise NotFound("no backup file {path}", path=shown(backup_file))
    if backup_file.resolve() == db_path.resolve():
        raise InvalidValue("{path} is the database itself", path=shown(backup_file))
    engine = engine_for(db_path)
    try:
        try:
            engine.verify_copy(backup_file)
        except DatabaseError as error:  # the backup's damage, not the database's
            raise DatabaseError("{path} is not a usable backup ({error}); nothing was changed", path=shown(backup_file),
                                error=error.message) from None
        version, has_settings = engine.describe_copy(backup_file)
    except engine.Error as error:
        raise DatabaseError("{path} is not a usable backup ({error}); nothing was changed", path=shown(backup_file),
                            error=str(error)) from None
    if version == 0 or not has_settings:
        raise InvalidValue("{path} is not a redprop database; nothing was changed", path=shown(backup_file))
    if version > len(MIGRATIONS):
        raise DatabaseError("{path} was made by a newer redprop (schema {version}); nothing was changed",
                            path=shown(backup_file), version=version)
    aside = db_path.with_name(f"{db_path.name}.before-restore-{at.strftime(STAMP)}")
    had_one = db_path.exists()
    try:
        rows = engine.put_back(backup_file, db_path, aside)
    except engine.Error as error:
        raise DatabaseError("could not restore {path} ({error}); the previous file is kept as {aside}",
                            path=shown(db_path), error=str(error), aside=shown(aside)) from None
    clear_damage(db_path)
    store = open_store(db_path, examine=False)  # another database is in its place: its mark is made anew
    try:
        entry = None
        if logged_as is not None and not store.read_only:
            store.log_as(*logged_as, at)
            entry = record_boundary(store, "restore", file=(backup_file.name, file_digest(backup_file)))
        mark.reset(store)
    finally:
        store.close()
    return {"path": db_path, "aside": aside if had_one else None, "rows": rows, "backup": backup_file, "entry": entry}


# --------------------------------------------------------------------------------------------
# Copying one community whole, between files and servers


def copy_community(source, target, *, replace: bool = False, quick: bool = False) -> dict:
    """Copy one community whole from `source` into `target` — each a file (a Path) or a community
    of a shared database (a store.Server) — through store.copying: every row, the change log,
    the holidays. Both sides are checked as `check` checks them — the source before, the target
    inside its write, with the rows of every table counted on both sides — and only a copy that
    passes is committed. A target that does not exist (a file, or a community of a server) is
    made with the source's name and code, whole or not at all; one that holds data is refused
    unless `replace`, and one that keeps another community's code always. An interruption leaves
    the target as it was. Both sides must be at the same schema version.
    {"source", "target", "community", "community_code", "rows": {table: rows}, "created", "replaced"}."""
    from redprop.codes import community_columns
    from redprop.store import Server, communities, shown_target
    from redprop.store.copying import copy_rows, holds_data, table_counts
    from redprop.store.migrations import MIGRATIONS, migrate

    source, target = (checked_path(t) if isinstance(t, Path) else t for t in (source, target))
    if isinstance(source, Path) and isinstance(target, Path) and os.path.realpath(source) == os.path.realpath(target):
        raise InvalidValue("{path} is both the source and the target of the copy", path=shown(source))
    engine = engine_for(target)
    origin = open_store(source)
    try:
        if origin.loss is not None:  # entries lost since it was last written: `check` says so first
            raise DatabaseError("{path} does not pass its check ({problem}); `redprop check` lists what is wrong;"
                                " nothing was copied", path=origin.shown,
                                problem=mark.found(origin.shown, origin.loss).message)
        with origin.engine.snapshot(origin.conn):
            version = origin.engine.schema_version(origin.conn)
            found = database_problems(origin, quick)
            if found:
                raise DatabaseError("{path} does not pass its check ({problem}); `redprop check` lists what is wrong;"
                                    " nothing was copied", path=origin.shown, problem=found[0])
            counts = table_counts(origin, origin.engine.tables(origin.conn))
            who = community_columns(origin)
            result = {"source": shown_target(source), "target": shown_target(target), **who, "rows": counts}

            def fill(into: Store) -> None:
                """Inside the target: the source's rows, counted and checked before the write ends."""
                with into.bulk_load(), into.write():
                    written = copy_rows(origin, into)
                    found_there = table_counts(into, counts)
                    for table, rows in counts.items():
                        if written.get(table) != rows or found_there[table] != rows:
                            raise DatabaseError("the copy of {table} has {copied} rows, {source} has {rows}; nothing"
                                                " was written", table=table, copied=found_there[table],
                                                source=origin.shown, rows=rows)
                    problems = database_problems(into, quick)
                    if problems:
                        raise DatabaseError("the copy does not pass its check ({problem}); nothing was written",
                                            problem=problems[0])

            def build(conn, where) -> None:
                migrate(conn)
                fill(Store(conn, where))

            existing = _copy_target(target, who, communities)
            if existing is None:  # a new file, or a new community of a shared database
                if isinstance(target, Path):
                    engine.create(target, build)
                    _new_mark(target)
                else:
                    engine.create(Server(target.url), build, code=who["community_code"] or None,
                                  name=who["community"])
                    _after_load(Server(target.url, who["community_code"] or who["community"]))
                return {**result, "created": True, "replaced": False}
            destination = open_store(existing, examine=False)  # its rows are replaced whole: so is its mark
            try:
                there = destination.engine.schema_version(destination.conn)
                if there != version or version != len(MIGRATIONS):
                    raise DatabaseError("{source} is at schema {version} and {target} at {there}; bring both up to"
                                        " date first (any command on each does)", source=origin.shown, version=version,
                                        target=destination.shown, there=there)
                theirs = community_columns(destination)
                if theirs["community_code"] and who["community_code"] and theirs["community_code"] != who["community_code"]:
                    raise InvalidValue("{target} keeps the community {theirs}, not {ours}; nothing was copied",
                                       target=destination.shown, theirs=theirs["community_code"],
                                       ours=who["community_code"])
                filled = holds_data(destination)
                if filled and not replace:
                    raise InvalidValue("{target} already holds {community}'s data; nothing was copied (--replace puts"
                                       " the copy in its place)", target=destination.shown,
                                       community=theirs["community"] or theirs["community_code"] or destination.shown)
                fill(destination)
                mark.reset(destination)
                destination.engine.after_load(destination.conn)
            finally:
                destination.close()
            return {**result, "created": False, "replaced": filled}
    finally:
        origin.close()


def _after_load(target) -> None:
    """The community just made by a copy, made ready for its first commands (Engine.after_load)."""
    store = open_store(target, examine=False)
    try:
        store.engine.after_load(store.conn)
    finally:
        store.close()


def _copy_target(target, who: dict, listed):
    """The target of a copy as it is now: a file that exists, or the community of a shared
    database that --community names (else the one of the source's code, else of its name); None
    where there is none yet. A community named that is not the source's is refused."""
    from redprop.store import Server

    if isinstance(target, Path):
        return target if target.exists() else None
    found = listed(target)
    if target.community:
        match = next((c for c in found if target.community.strip() in (c["code"], c["name"])), None)
        if match is None and target.community.strip() not in (who["community_code"], who["community"]):
            raise InvalidValue("--community {wanted}: {server} holds no such community, and the copy of {community}"
                               " would be made as {community} ({code}); to copy it under that code, give the source"
                               " that code first (redprop --db SOURCE community edit --code CODE)",
                               wanted=target.community, server=str(target),
                               community=who["community"], code=who["community_code"] or "-")
    else:
        match = next((c for c in found if who["community_code"] and c["code"] == who["community_code"]), None) or \
            next((c for c in found if c["name"] == who["community"]), None)
    return Server(target.url, match["code"] or match["name"]) if match else None


def _new_mark(path: Path) -> None:
    """The mark of a database just made (store/mark.py), in place of one a file of that name left."""
    store = open_store(path, examine=False)
    try:
        mark.reset(store)
    finally:
        store.close()
