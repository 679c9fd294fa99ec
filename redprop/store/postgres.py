"""The PostgreSQL engine: a shared database on a server, one schema per community.

Imported only for a `postgresql://` (or `postgres://`) target: a command on a SQLite file never
loads psycopg. The store's interface (store/engine.py) says what each operation is for; this
module is how, on PostgreSQL 15 or newer.

One database holds several communities (a street's, a district's), each in a schema of its own
(`community_530324001001`) listed in the registry `redprop.communities` (code, name, schema,
schema version), which every login may read: names and codes are no secret, data is. A
community's tables are sealed by the database itself: its group role (`communities.role`) may
read and write them, the street's role (`redprop.database.street_role`) may read every
community's and write none, and nobody else can even look into the schema — through redprop or
through `psql`. `grant`/`revoke` put a login into a role or take it out; `settle_schema` grants
again after every migration, so a table added later is sealed like the first.

Why schemas rather than rows marked with their community (row-level security): no table, index
or query carries a community column, so the SQL is the same as on a SQLite file; two
communities never share a table, an index or a lock (a write in one never waits for the other);
a community's change log, undo, policy, holidays and catalogues are simply its own tables; and
a grant on a schema is a seal anyone can read with `\\dn+`, where a policy forgotten on one
table would open it.

A connection works in one community: its `search_path` is that schema alone, so the SQL the
engines share names tables unqualified. Writes in one community are serialised by an advisory
lock keyed on its schema (held to the end of the transaction, waited for at most
REDPROP_BUSY_TIMEOUT: PostgreSQL's lock_timeout), as SQLite's immediate transactions serialise a
file's: new rows are numbered after the largest (see postgres_ddl.py) and a bulk write's range
of new rows is exact.
"""

import os
import re
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus
from psycopg.rows import tuple_row
from psycopg.types.numeric import IntDumper

from redprop.errors import N_, AccessDenied, DatabaseError, DatabaseMissing, InvalidValue, NotFound
from redprop.store.engine import Engine, busy_timeout
from redprop.store.engine import without_password as shown_url
from redprop.store.postgres_ddl import DDL, FUNCTIONS

REGISTRY = "redprop"
NUMBERING = "row_number_"  # the triggers that number new rows as SQLite numbers them
MINIMUM_VERSION = 150000  # PostgreSQL 15




# -- rows and connections ----------------------------------------------------------------------

_ROW_CLASSES: dict[tuple, type] = {}


class Row(tuple):
    """A row read by position or by name, as sqlite3.Row is (and `dict(row)`, `row.keys()`)."""

    __slots__ = ()
    _index: dict = {}

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def rows(cursor):
    """psycopg's row factory making `Row`s (one class per set of column names)."""
    names = tuple(c.name for c in cursor.description or ())
    cls = _ROW_CLASSES.get(names)
    if cls is None:
        cls = _ROW_CLASSES[names] = type("Row", (Row,), {"__slots__": (), "_index": {n: i for i, n in enumerate(names)}})
    return cls


class TextLoader(psycopg.adapt.Loader):
    """json and jsonb read as SQLite hands them over: as their text."""

    def load(self, data):
        return bytes(data).decode("utf-8")


class NumberLoader(psycopg.adapt.Loader):
    """numeric (a sum of integers, an average) as SQLite gives it: an int when whole, else a float —
    never a Decimal, which JSON and arithmetic with floats refuse."""

    def load(self, data):
        text = bytes(data).decode("ascii")
        return int(text) if text.lstrip("-").isdigit() else float(text)


class Connection(psycopg.Connection):
    """psycopg's connection with its raw cursors (`$n` placeholders as they are), knowing its
    engine and its community (`schema`)."""

    engine: "PostgreSQL"
    schema: str | None = None  # the community's schema
    lock_key: int = 0  # the advisory lock that serialises the community's writes
    scratch_version: int | None = None  # a scratch schema's version (no registry row)
    one_transaction: bool = False  # inside a transaction of its own (a community made): a write is a savepoint of it
    url: str = ""

    def executemany(self, sql, rows_):
        with self.cursor() as cursor:
            cursor.executemany(sql, rows_)
        return cursor


def connect(url: str) -> Connection:
    """A connection to the server, in autocommit (the store opens its own transactions). A
    server that cannot be reached, refuses the login or has no such database: one line naming
    it without its password (exit 6)."""
    options = {} if "connect_timeout" in url else {"connect_timeout": 10}
    try:
        conn = Connection.connect(url, autocommit=True, cursor_factory=psycopg.RawCursor, row_factory=rows,
                                  application_name="redprop", **options)
    except psycopg.Error as error:
        raise DatabaseError("cannot connect to {server}: {reason}", server=shown_url(url),
                            reason=_reason(error)) from None
    if conn.info.server_version < MINIMUM_VERSION:
        number = conn.info.server_version
        conn.close()
        version = "%d.%d" % (number // 10000, number % 10000)
        raise DatabaseError("{server} runs PostgreSQL {version}; redprop needs 15 or newer", server=shown_url(url),
                            version=version)
    conn.engine, conn.url = ENGINE, url
    conn.adapters.register_loader("json", TextLoader)
    conn.adapters.register_loader("jsonb", TextLoader)
    conn.adapters.register_loader("numeric", NumberLoader)
    conn.adapters.register_dumper(bool, IntDumper)  # True and False stored as 1 and 0, as SQLite stores them
    return conn


def _reason(error: BaseException) -> str:
    """The server's or libpq's words, on one line, with no password in them."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = lines[-1] if lines else type(error).__name__
    text = re.sub(r"^connection to server .*? failed: ", "", text)
    return shown_url(text)


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- the registry of communities -------------------------------------------------------------

REGISTRY_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {REGISTRY};
CREATE TABLE IF NOT EXISTS {REGISTRY}.database (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    street_role TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS {REGISTRY}.communities (
    id INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    code TEXT COLLATE "C" UNIQUE,        -- the 12-digit 社区 code (NULL: not given yet)
    name TEXT COLLATE "C" NOT NULL UNIQUE,
    schema TEXT COLLATE "C" NOT NULL UNIQUE,
    role TEXT COLLATE "C" NOT NULL UNIQUE,
    version INTEGER NOT NULL DEFAULT 0,
    created_at TEXT COLLATE "C" NOT NULL
);
GRANT USAGE ON SCHEMA {REGISTRY} TO PUBLIC;
GRANT SELECT ON {REGISTRY}.database, {REGISTRY}.communities TO PUBLIC;
"""


def communities(conn) -> list[dict]:
    """Every community of the database (code, name, schema, role, version, and whether this login
    may read and write it), in the order of their codes; [] where there is no registry."""
    if conn.execute(f"SELECT to_regclass('{REGISTRY}.communities')").fetchone()[0] is None:
        return []
    found = conn.execute(
        f"SELECT code, name, schema, role, version, to_regnamespace(schema)::oid AS oid,"
        f" has_schema_privilege(schema, 'USAGE') AS may_read,"
        f" CASE WHEN NOT has_schema_privilege(schema, 'USAGE') THEN false"  # (nothing in it may be looked up)
        f" WHEN to_regclass(quote_ident(schema) || '.log_state') IS NULL THEN has_schema_privilege(schema, 'CREATE')"
        f" ELSE has_table_privilege(quote_ident(schema) || '.log_state', 'UPDATE') END AS may_write,"
        f" has_schema_privilege(schema, 'CREATE') AS owns"
        f" FROM {REGISTRY}.communities ORDER BY code, id").fetchall()
    return [dict(zip(r.keys(), r)) for r in found]


def choose(found: list[dict], wanted: str | None, server: str) -> dict:
    """The community a command works in: the one named (by code or name), or the only one — the
    only one there, or the only one this login may work in (a worker's needs no --community)."""
    listed = ", ".join(" ".join(filter(None, (c["code"], c["name"]))) for c in found)
    if not found:
        raise DatabaseMissing("{server} holds no community yet; `redprop init --community NAME --code CODE` with this"
                              " --db adds one", server=server)
    if wanted:
        for c in found:
            if wanted.strip() in (c["code"], c["name"]):
                return c
        raise DatabaseMissing("no community {wanted!r} in {server}; it holds: {listed}", wanted=wanted, server=server,
                              listed=listed)
    if len(found) == 1:
        return found[0]
    mine = [c for c in found if c["may_read"]]
    if len(mine) == 1:
        return mine[0]
    raise DatabaseMissing("{server} holds several communities; choose one with --community CODE (or"
                          " REDPROP_COMMUNITY): {listed}", server=server, listed=listed)


def _in_community(conn: Connection, community: dict) -> None:
    conn.schema, conn.lock_key = community["schema"], community["oid"]
    conn.execute("SELECT set_config('search_path', $1, false)", (quoted(community["schema"]),))


def access(url: str, login: str, community: str | None, street: bool, allow: bool) -> dict:
    """Let a login work in one community (its role), or read every community (the street's role),
    or take that back (`allow` False): {"login", "community" (code and name) or None, "street",
    "allowed"}. The login must exist on the server (its password is the server's business)."""
    conn = connect(url)
    try:
        found = communities(conn)
        if street:
            role, chosen = conn.execute(f"SELECT street_role FROM {REGISTRY}.database").fetchone()[0], None
        else:
            chosen = choose(found, community, shown_url(url)) if community or len(found) == 1 else None
            if chosen is None:
                raise InvalidValue("grant and revoke need --community CODE (one community) or --street (every community,"
                                   " to read); {server} holds: {listed}", server=shown_url(url),
                                   listed=", ".join(" ".join(filter(None, (c["code"], c["name"]))) for c in found))
            role = chosen["role"]
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = $1", (login,)).fetchone() is None:
            raise NotFound("no login {login} on {server}; create it first (createuser --pwprompt {login}, or CREATE ROLE"
                           " {login} LOGIN PASSWORD …)", login=login, server=shown_url(url))
        try:
            conn.execute(f"{'GRANT' if allow else 'REVOKE'} {quoted(role)} {'TO' if allow else 'FROM'} {quoted(login)}")
        except pg_errors.InsufficientPrivilege as error:
            raise AccessDenied("{login} may not {verb} on {server} ({reason}); ask the login that ran init", verb="grant"
                               if allow else "revoke", login=conn.info.user, server=shown_url(url),
                               reason=_reason(error)) from None
        return {"login": login, "community": " ".join(filter(None, (chosen["code"], chosen["name"]))) if chosen else None,
                "street": street, "allowed": allow}
    finally:
        conn.close()


def _register(conn, url: str, code: str | None, name: str) -> str:
    """Inside a transaction: a new community registered, its schema and role made, sealed from
    every other login; its schema."""
    conn.execute(REGISTRY_DDL)
    oid = conn.execute("SELECT oid FROM pg_database WHERE datname = current_database()").fetchone()[0]
    street = f"redprop_{oid}_street"
    conn.execute(f"INSERT INTO {REGISTRY}.database (one, street_role) VALUES (1, $1) ON CONFLICT (one) DO NOTHING",
                 (street,))
    street = conn.execute(f"SELECT street_role FROM {REGISTRY}.database").fetchone()[0]
    clash = conn.execute(f"SELECT code, name FROM {REGISTRY}.communities WHERE code = $1 OR name = $2",
                         (code, name)).fetchone()
    if clash:
        raise InvalidValue("{server} already holds community {community}", server=shown_url(url),
                           community=" ".join(filter(None, clash)))
    number = conn.execute(f"SELECT nextval(pg_get_serial_sequence('{REGISTRY}.communities', 'id'))").fetchone()[0]
    key = code or f"n{number}"
    schema, role = f"community_{key}", f"redprop_{oid}_{key}"
    for each in (street, role):
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = $1", (each,)).fetchone() is None:
            conn.execute(f"CREATE ROLE {quoted(each)} NOLOGIN")
    conn.execute(f"INSERT INTO {REGISTRY}.communities (id, code, name, schema, role, version, created_at)"
                 " VALUES ($1, $2, $3, $4, $5, 0, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS+00:00'))",
                 (number, code, name, schema, role))
    conn.execute(f"CREATE SCHEMA {quoted(schema)}")
    conn.execute(f"REVOKE ALL ON SCHEMA {quoted(schema)} FROM PUBLIC")
    conn.execute(f"SET LOCAL search_path = {quoted(schema)}")
    conn.execute(FUNCTIONS)
    return schema


class TemporaryMap:
    """Integers to integers for one write, in a temporary table of the session (see SQLite's)."""

    def __init__(self, conn, name: str):
        self.conn, self.table = conn, f"pg_temp.{name}"
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} (key BIGINT PRIMARY KEY, value BIGINT NOT NULL)")
        conn.execute(f"TRUNCATE {self.table}")

    def get_many(self, keys) -> dict[int, int]:
        keys = list(keys)
        if not keys:
            return {}
        with self.conn.cursor(row_factory=tuple_row) as cursor:
            return dict(cursor.execute(f"SELECT key, value FROM {self.table} WHERE key = ANY($1)", (keys,)))

    def put_many(self, items: dict[int, int]) -> None:
        with self.conn.cursor() as cursor, cursor.copy(f"COPY {self.table} (key, value) FROM STDIN") as copy:
            for item in items.items():
                copy.write_row(item)


class PostgreSQL(Engine):
    name = "postgresql"
    Error = psycopg.Error
    IntegrityError = psycopg.IntegrityError
    READ_ONLY_REASONS = {
        "street": N_("{path}: this login may read this community but not write it (a street's login); this command"
                     " writes, so it cannot run here (commands that read work)"),
    }

    # -- opening and creating -----------------------------------------------------------------

    def open(self, target):
        """`target`: (url, community wanted or None)."""
        url, wanted = target
        conn = connect(url)
        try:
            community = choose(communities(conn), wanted, shown_url(url))
            if not community["may_read"]:
                raise AccessDenied("this login ({login}) may not work in community {code} {name}; its owner can grant it:"
                                   " redprop grant {login} --community {code}", login=conn.info.user,
                                   code=community["code"], name=community["name"])
            from redprop.store.migrations import MIGRATIONS

            if community["version"] < len(MIGRATIONS) and not community["owns"]:
                raise DatabaseError("community {code} is at schema {version} and this redprop needs {latest}: its owner"
                                    " (the login that ran init) must run one redprop command on it first",
                                    code=community["code"], version=community["version"], latest=len(MIGRATIONS))
            _in_community(conn, community)
        except BaseException:
            conn.close()
            raise
        return conn, None if community["may_write"] else "street"

    def peek(self, target):
        return None

    def create(self, target, build, code: str | None = None, name: str = "") -> None:
        """A new community in the database: registered, its schema and role made and sealed, then
        built (`build`: migrations, first settings; a copy's rows), all in one transaction — the
        build's writes are savepoints of it —, so that a failure, or the process killed half-way,
        leaves nothing of it (PostgreSQL's DDL is transactional)."""
        url, _wanted = target
        if not name:
            raise InvalidValue("--community: a community in a shared database needs its name (like 美仑盛景小区)")
        conn = connect(url)
        try:
            conn.execute("BEGIN")
            try:
                schema = _register(conn, url, code, name)
            except psycopg.Error as error:
                raise DatabaseError("could not add community {name} to {server}: {reason}; nothing was left behind",
                                    name=name, server=shown_url(url), reason=_reason(error)) from None
            community = next(c for c in communities(conn) if c["schema"] == schema)
            _in_community(conn, community)
            conn.one_transaction = True
            build(conn, target)
            conn.one_transaction = False
            conn.execute("COMMIT")
        except BaseException:
            conn.one_transaction = False
            self.rollback(conn)
            raise
        finally:
            conn.close()

    def adopt(self, raw):
        return raw

    @contextmanager
    def scratch(self, conn):
        """An empty schema on a second connection, made inside one transaction that is rolled back
        at the end: nothing of it is ever seen by another session. It needs the right to create
        schemas in the database (the owner's `check`); other logins get None."""
        if not conn.execute("SELECT has_database_privilege(current_database(), 'CREATE')").fetchone()[0]:
            yield None
            return
        fresh = connect(conn.url)
        try:
            fresh.execute("BEGIN")
            fresh.schema, fresh.scratch_version = f"redprop_scratch_{os.getpid()}", 0
            fresh.execute(f"CREATE SCHEMA {quoted(fresh.schema)}; SET LOCAL search_path = {quoted(fresh.schema)}")
            fresh.execute(FUNCTIONS)
            yield fresh
        finally:
            try:
                fresh.execute("ROLLBACK")
            except psycopg.Error:
                pass
            fresh.close()

    # -- transactions ---------------------------------------------------------------------------

    def begin_write(self, conn) -> None:
        """The community's write lock, waited for at most the busy timeout (0: not at all). In a
        scratch schema (inside its own transaction) a savepoint."""
        if conn.scratch_version is not None or conn.one_transaction:
            conn.execute("SAVEPOINT scratch")
            return
        wait = max(1, int(busy_timeout() * 1000))
        conn.execute(f"BEGIN; SET LOCAL lock_timeout = {wait}; SELECT pg_advisory_xact_lock({int(conn.lock_key)})")

    def commit(self, conn) -> None:
        conn.execute("RELEASE SAVEPOINT scratch" if conn.scratch_version is not None or conn.one_transaction else "COMMIT")

    def rollback(self, conn) -> None:
        try:
            if (conn.scratch_version is not None or conn.one_transaction) and not conn.closed:
                conn.execute("ROLLBACK TO SAVEPOINT scratch")
                return
            if conn.info.transaction_status != TransactionStatus.IDLE and not conn.closed:
                conn.execute("ROLLBACK")
        except psycopg.Error:
            pass

    def failure(self, error: BaseException) -> str | None:
        if not isinstance(error, psycopg.Error):
            return None
        state = getattr(error, "sqlstate", None) or ""
        if isinstance(error, (pg_errors.LockNotAvailable, pg_errors.DeadlockDetected, pg_errors.SerializationFailure)):
            return "busy"
        if state.startswith("23"):
            return "rule"
        if state == "42501":
            return "denied"
        if state in ("XX001", "XX002"):
            return "damaged"
        if state.startswith("53"):
            return "full"
        if state == "25006":
            return "read_only"
        if state.startswith("08") or isinstance(error, psycopg.OperationalError) and not state:
            return "unreachable"
        if state.startswith("58"):
            return "io"
        return "other"

    def reason(self, error: BaseException) -> str:
        """The server's first line only: its DETAIL quotes the values (a key that clashed)."""
        return (str(error).strip().splitlines() or [type(error).__name__])[0]

    # -- the schema -----------------------------------------------------------------------------

    def schema_version(self, conn) -> int:
        if conn.scratch_version is not None:
            return conn.scratch_version
        row = conn.execute(f"SELECT version FROM {REGISTRY}.communities WHERE schema = current_schema()").fetchone()
        return row[0] if row else 0

    def set_schema_version(self, conn, version: int) -> None:
        if conn.scratch_version is not None:
            conn.scratch_version = version
            return
        conn.execute(f"UPDATE {REGISTRY}.communities SET version = $1 WHERE schema = current_schema()", (version,))

    def run_script(self, conn, script: str) -> None:
        conn.execute(script)

    def run_migration_ddl(self, conn, name: str, script: str) -> None:
        """This engine's own DDL of that name (store/postgres_ddl.py), not SQLite's `script`."""
        if name not in DDL:
            raise DatabaseError("migration {name} has no DDL for PostgreSQL (store/postgres_ddl.py)", name=name)
        if DDL[name].strip():
            conn.execute(DDL[name])
        self._number_rows(conn)

    def _number_rows(self, conn) -> None:
        """Every numbered table's trigger numbering new rows as SQLite does (the largest plus one),
        made as soon as the table is: a migration's own rows are numbered too."""
        numbered = {r[0] for r in conn.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE c.relnamespace = to_regnamespace(current_schema()) AND t.tgname LIKE $1", (f"{NUMBERING}%",))}
        for table, row in self.tables(conn).items():
            if row is None or table in numbered:
                continue
            name = f"{NUMBERING}{table}"
            conn.execute(
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                f" IF NEW.{row} IS NULL THEN NEW.{row} := (SELECT coalesce(max({row}), 0) + 1 FROM {quoted(conn.schema)}.{table});"
                f" END IF; RETURN NEW; END $$")
            conn.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            conn.execute(f"CREATE TRIGGER {name} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")

    def settle_schema(self, conn) -> None:
        """After migrations: the community's seal granted again on every table (a table a migration
        added is sealed like the first)."""
        if conn.scratch_version is not None:
            return
        row = conn.execute(f"SELECT c.role, d.street_role FROM {REGISTRY}.communities c, {REGISTRY}.database d"
                           " WHERE c.schema = current_schema()").fetchone()
        if row is None:
            return
        role, street = map(quoted, row)
        schema = quoted(conn.schema)
        conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}, {street};"
                     f" GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role};"
                     f" GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {street};"
                     f" GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} TO {role}, {street}")

    def settings_saved(self, conn, values: dict[str, str]) -> None:
        """The registry keeps the community's name and code as its settings say them (changed only
        when they differ: a worker's write of other settings needs no right on the registry)."""
        wanted = {column: values[key] for key, column in (("community", "name"), ("community_code", "code"))
                  if key in values}
        if not wanted or conn.scratch_version is not None:
            return
        row = conn.execute(f"SELECT name, code FROM {REGISTRY}.communities WHERE schema = current_schema()").fetchone()
        changed = {column: value for column, value in wanted.items() if row is not None and row[column] != value}
        if changed:
            sets = ", ".join(f"{column} = ${n}" for n, column in enumerate(changed, start=1))
            conn.execute(f"UPDATE {REGISTRY}.communities SET {sets} WHERE schema = current_schema()", tuple(changed.values()))

    def has_table(self, conn, name: str) -> bool:
        return conn.execute("SELECT to_regclass(quote_ident(current_schema()) || '.' || quote_ident($1))",
                            (name,)).fetchone()[0] is not None

    def tables(self, conn, only: str | None = None) -> dict[str, str | None]:
        """A table SQLite numbers has a `rowid` column here, or an integer key of one column
        (`only`: of that one table, as a bulk insert asks for each batch)."""
        found = {}
        for name, has_rowid, key in conn.execute(
                "SELECT c.relname, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'rowid'"
                " AND NOT a.attisdropped),"
                " (SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
                "  WHERE i.indrelid = c.oid AND i.indisprimary AND i.indnatts = 1 AND a.atttypid IN (20, 21, 23))"
                " FROM pg_class c WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relkind IN ('r', 'p')"
                f"{' AND c.relname = $1' if only else ''} ORDER BY c.oid", (only,) if only else ()):
            found[name] = "rowid" if has_rowid else key
        return found

    def columns(self, conn, table: str) -> list[str]:
        return [r[0] for r in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(quote_ident(current_schema()) || '.' ||"
            " quote_ident($1)) AND attnum > 0 AND NOT attisdropped AND attname <> 'rowid' ORDER BY attnum", (table,))]

    def primary_key(self, conn, table: str) -> list[str]:
        return [r[0] for r in conn.execute(
            "SELECT a.attname FROM pg_index i, unnest(i.indkey) WITH ORDINALITY AS k(attnum, n), pg_attribute a"
            " WHERE i.indrelid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident($1)) AND i.indisprimary"
            " AND a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n", (table,))]

    def foreign_keys(self, conn) -> list[tuple[str, str, str]]:
        return [tuple(r) for r in conn.execute(
            "SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text FROM pg_constraint c"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " WHERE c.contype = 'f' AND c.connamespace = to_regnamespace(current_schema()) ORDER BY c.conrelid, c.oid")]

    def schema_objects(self, conn) -> dict[str, tuple[str, tuple]]:
        found = {}
        for name, kind in conn.execute(
                "SELECT c.relname, CASE c.relkind WHEN 'i' THEN 'index' ELSE 'table' END FROM pg_class c"
                " WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relkind IN ('r', 'p', 'i')"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid AND k.contype IN ('p', 'u'))"
                " UNION ALL SELECT t.tgname, 'trigger' FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE c.relnamespace = to_regnamespace(current_schema()) AND NOT t.tgisinternal").fetchall():
            found[name] = (kind, tuple(self.columns(conn, name)) if kind == "table" else ())
        return found

    # -- the change log -------------------------------------------------------------------------

    def refresh_audit_triggers(self, conn, tables: dict[str, str | None], prefix: str) -> None:
        """One PL/pgSQL function and trigger per table writing each row's values (a JSON object)
        before and after a change, keyed by its number (or its primary key as a JSON array)."""
        for (name,) in conn.execute(
                "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = to_regnamespace(current_schema())"
                " AND p.proname LIKE $1", (f"{prefix}%",)).fetchall():
            conn.execute(f"DROP FUNCTION {quoted(name)}() CASCADE")
        for table, row in tables.items():
            cols = self.columns(conn, table)

            def image(alias: str) -> str:
                return "json_build_object(" + ", ".join(f"'{c}', {alias}.{quoted(c)}" for c in cols) + ")::text"

            def key(alias: str) -> str:
                if row:
                    return f"CAST({alias}.{row} AS text)"
                return "json_build_array(" + ", ".join(f"{alias}.{quoted(c)}" for c in self.primary_key(conn, table)) + ")::text"

            insert = "INSERT INTO log_changes (entry_id, tbl, row_key, op, before, after) VALUES (state.entry_id, "
            conn.execute(
                f"CREATE FUNCTION {prefix}{table}() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" DECLARE state record; BEGIN"
                f" SELECT entry_id, bulk INTO state FROM log_state;"
                f" IF state.entry_id IS NULL THEN RETURN NULL; END IF;"
                f" IF TG_OP = 'INSERT' THEN"
                f"  IF state.bulk = 0 THEN {insert}'{table}', {key('NEW')}, 'insert', NULL, {image('NEW')}); END IF;"
                f" ELSIF TG_OP = 'UPDATE' THEN {insert}'{table}', {key('NEW')}, 'update', {image('OLD')}, {image('NEW')});"
                f" ELSE {insert}'{table}', {key('OLD')}, 'delete', {image('OLD')}, NULL);"
                f" END IF; RETURN NULL; END $$")
            conn.execute(f"CREATE TRIGGER {prefix}{table} AFTER INSERT OR UPDATE OR DELETE ON {table}"
                         f" FOR EACH ROW EXECUTE FUNCTION {prefix}{table}()")

    def clashing_table(self, error: BaseException) -> str | None:
        diag = getattr(error, "diag", None)
        return diag.table_name if diag is not None else None

    # -- SQL that differs -----------------------------------------------------------------------

    def indexed_by(self, index: str) -> str:
        return ""  # PostgreSQL's planner takes no hints: it reads the statistics

    def unindexed(self, expression: str) -> str:
        return expression  # (PostgreSQL's planner weighs its indexes by their statistics)

    def added_order(self) -> str:
        return "rowid"

    def leading_number(self, expression: str) -> str:
        return f"leading_number({expression})"

    def joined(self, expression: str, order: str | None = None, distinct: bool = False) -> str:
        order = expression if distinct else order
        return f"string_agg({'DISTINCT ' if distinct else ''}{expression}, ','{f' ORDER BY {order}' if order else ''})"

    def json_field(self, document: str, key: str) -> str:
        return f"(CAST({document} AS json) ->> '{key}')"

    def json_values(self, placeholder: str, sql_type: str = "TEXT") -> str:
        return f"SELECT CAST(value AS {sql_type}) AS value FROM json_array_elements_text(CAST({placeholder} AS json)) AS value"

    def tuple_cursor(self, conn):
        return conn.cursor(row_factory=tuple_row)

    def stream(self, conn, sql: str, params, first: int):
        """Pages of growing length (LIMIT … OFFSET): psycopg's cursor fetches a whole result at
        once, and a cursor on the server needs a transaction the caller's other reads would run
        in. A row written meanwhile in front of the next page pushes the page's rows back by one:
        those already read are not given twice."""
        offset, size, previous = 0, max(first, 50), set()
        while True:
            page = conn.execute(f"{sql} LIMIT {size} OFFSET {offset}", params).fetchall()
            yield from (row for row in page if tuple(row) not in previous)
            if len(page) < size:
                return
            previous = {tuple(row) for row in page}
            offset, size = offset + size, size * 4

    # -- reading and writing in bulk ------------------------------------------------------------

    def insert_many(self, conn, table: str, columns, rows_: list[tuple]) -> None:
        """COPY, the rows numbered here (once, from the largest) where the table numbers its rows."""
        if not rows_:
            return
        columns = list(columns)
        row = self.tables(conn, only=table).get(table)
        if row and row not in columns:
            first = conn.execute(f"SELECT coalesce(max({row}), 0) + 1 FROM {table}").fetchone()[0]
            columns = [row, *columns]
            rows_ = [(n, *values) for n, values in enumerate(rows_, start=first)]
        with conn.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for values in rows_:
                copy.write_row(values)

    @contextmanager
    def bulk_load(self, conn):
        conn.execute("SET maintenance_work_mem = '256MB'")
        try:
            yield
        finally:
            conn.execute("RESET maintenance_work_mem")

    def drop_indexes(self, conn, tables) -> list[str]:
        indexes = conn.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " JOIN pg_class t ON t.oid = i.indrelid"
            " WHERE t.relnamespace = to_regnamespace(current_schema()) AND t.relname = ANY($1) AND NOT i.indisunique",
            (list(tables),)).fetchall()
        for name, _sql in indexes:
            conn.execute(f"DROP INDEX {name}")
        return sorted(sql for _name, sql in indexes)

    def loosen_for_copy(self, conn, tables) -> list[str]:
        """Each table's own triggers disabled (its row numbering, the change log, the due list's
        contact columns) and its foreign keys dropped; put back at the end, where each foreign
        key added again checks every row. Needs the tables' owner (the login that ran init)."""
        again = []
        for table in tables:
            for name, definition in conn.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f'"
                    " AND conrelid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident($1)) ORDER BY conname",
                    (table,)).fetchall():
                conn.execute(f"ALTER TABLE {quoted(table)} DROP CONSTRAINT {quoted(name)}")
                again.append(f"ALTER TABLE {quoted(table)} ADD CONSTRAINT {quoted(name)} {definition}")
            conn.execute(f"ALTER TABLE {quoted(table)} DISABLE TRIGGER USER")
            again.append(f"ALTER TABLE {quoted(table)} ENABLE TRIGGER USER")
        return again

    def after_load(self, conn) -> None:
        """VACUUM (ANALYZE) of every table of the community: the planner's statistics, and the
        visibility map without which a count off an index (`stats`) reads every row it counts.
        Autovacuum would do it a minute later; the first commands after a copy need it now."""
        for table in sorted(self.tables(conn)):
            conn.execute(f"VACUUM (ANALYZE) {quoted(table)}")

    @contextmanager
    def snapshot(self, conn):
        """A read-only transaction that sees one moment (REPEATABLE READ) for its length."""
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield
        finally:
            self.rollback(conn)

    def temporary_map(self, conn, name: str) -> TemporaryMap:
        return TemporaryMap(conn, name)

    # -- looking after the database -------------------------------------------------------------

    def integrity_problems(self, conn, quick: bool = False) -> list[str]:
        """amcheck's check of every index of the community, where the extension is installed;
        PostgreSQL checks its pages' checksums as it reads them."""
        if quick or conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'").fetchone() is None:
            return []
        problems = []
        for (index,) in conn.execute(
                "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_am a ON a.oid = c.relam"
                " WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relkind = 'i' AND a.amname = 'btree'"
        ).fetchall():
            try:
                conn.execute("SELECT bt_index_check($1::regclass)", (index,))
            except psycopg.Error as error:
                problems.append(_reason(error))
        return problems

    def foreign_key_problems(self, conn) -> list[tuple]:
        found = []
        for table, column, parent in self.foreign_keys(conn):
            key = self.primary_key(conn, parent)[0]
            row = self.tables(conn).get(table) or column
            for (n,) in conn.execute(
                    f"SELECT c.{row} FROM {table} c WHERE c.{quoted(column)} IS NOT NULL AND NOT EXISTS"
                    f" (SELECT 1 FROM {parent} p WHERE p.{key} = c.{quoted(column)}) LIMIT 20"):
                found.append((table, n, parent))
        return found

    def _copies_elsewhere(self):
        raise InvalidValue("a community in a shared database is backed up by its server (pg_dump --schema"
                           " community_CODE), or copied whole into a file with `redprop copy`")

    def write_backup(self, conn, final: Path, stem: str | None = None) -> dict[str, int]:
        self._copies_elsewhere()

    def rotate_backups(self, conn, folder: Path, stem: str, keep: int, made: Path) -> list[Path]:
        self._copies_elsewhere()

    def verify_copy(self, path: Path, counts: dict[str, int] | None = None) -> dict[str, int]:
        self._copies_elsewhere()

    def describe_copy(self, path: Path) -> tuple[int, bool]:
        self._copies_elsewhere()

    def put_back(self, backup: Path, current: Path, aside: Path) -> dict[str, int]:
        self._copies_elsewhere()


ENGINE = PostgreSQL()
Connection.engine = ENGINE
