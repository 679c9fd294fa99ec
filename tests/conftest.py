"""Shared fixtures: the CLI driven in-process against a real temporary database file.

    def test_something(db, run):
        result = run("household", "add", "8-2-301", "--head", "熊秀英")
        assert result.exit_code == 0

`run(*args)` invokes `redprop --db <tmp file> *args` and returns the CliRunner result
(`.exit_code`, `.stdout`, `.stderr`), in Chinese unless `lang="en"`; `run_json(*args)` adds
`--format json` and returns the parsed stdout; `db` is the path of a database made by
`redprop init`; `demo` the path of one made by `redprop demo`.
Nothing here mocks the store.

REDPROP_TEST_ENGINE=postgresql runs the same fixtures in a community of a PostgreSQL database
instead of a file: `db_path` is then the URL of a new database on the test server (pg_server.py),
`db` and `demo` copies of databases made once a session (`CREATE DATABASE … TEMPLATE`), and a
test about SQLite's own files is skipped (`@pytest.mark.sqlite_only(reason)`).

As fast as it is honest: `redprop init` and `redprop demo` run once a session, through the real
CLI, and each test gets its own copy of the file they made (`db`, `demo`); a test module's own
community, built through the CLI by a fixture marked `@built_once`, is built by the first test
that asks for it and copied for the others. Every test still runs the real CLI on a real file
of its own for what it is about.

The clock: every in-process command reads `now()`, the tests' clock, which reads START when the
session begins and runs on from there (a test that needs time to pass sees it pass), so no test
depends on the day it runs: "yesterday", "2h ago", a form's filing date and the last year whose
holidays the installed package knows are the same today and next year. A test that computes
what a command will say of "now" reads `now()` too.
"""

import copy
import functools
import inspect
import json
import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redprop.cli import app

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO / "sample_data"
DB_NAME = "redprop.db"
START = datetime(2026, 12, 7, 10, 0, tzinfo=timezone(timedelta(hours=8)))  # a Monday morning in Shanghai
_SHIFT = START - datetime.now(timezone.utc)
ENVIRONMENT = ("REDPROP_DB", "REDPROP_LANG", "REDPROP_BUSY_TIMEOUT", "REDPROP_USER", "REDPROP_CONFIG",
               "REDPROP_COMMUNITY")  # the developer's
ON_POSTGRES = os.environ.get("REDPROP_TEST_ENGINE", "sqlite") == "postgresql"
pytest_plugins = ["pg_server"]


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only(reason): a test about SQLite's files, skipped on PostgreSQL")


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES:
        for item in items:
            marker = item.get_closest_marker("sqlite_only")
            if marker is not None:
                item.add_marker(pytest.mark.skip(reason=f"SQLite only: {marker.args[0] if marker.args else ''}"))


def now() -> datetime:
    """The tests' clock (see the module's docstring), in UTC as the machine's clock gives it."""
    return datetime.now(timezone.utc) + _SHIFT


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch, tmp_path):
    """The developer's own REDPROP_* settings, and their settings file, must not leak into a test."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))  # the user's settings: none of the developer's


def invoke(db_path: Path, *args, input=None, env=None, lang=None, clock=now):
    """redprop --db DB_PATH *args, in this process, on the tests' clock (or another `clock`)."""
    language = ["--lang", lang] if lang else []
    return CliRunner().invoke(app, ["--db", str(db_path), *language, *(str(a) for a in args)], input=input, env=env,
                              catch_exceptions=False, obj={"clock": clock})


def machine_clock() -> datetime:
    """The machine's own clock: for the one thing that reads it, a migration stamping when it ran."""
    return datetime.now(timezone.utc)


@pytest.fixture
def db_path(tmp_path, request) -> Path:
    """Where the test's database lives (not created yet): a file, or with the PostgreSQL switch the
    URL of a new empty database on the test server."""
    if ON_POSTGRES:
        return request.getfixturevalue("pg_database")()
    return tmp_path / DB_NAME


@pytest.fixture
def run(db_path):
    """`run(*args, input=None, env=None, lang=None)`: redprop --db <db_path> *args, in-process.

    Chinese by default, as a worker gets it; `lang="en"` for a test that reads English words."""
    return functools.partial(invoke, db_path)


def _made_once(tmp_path_factory, *args) -> Path:
    """A folder holding what `redprop --db DB_NAME *args` made there, through the real CLI, with
    none of the developer's settings."""
    folder = tmp_path_factory.mktemp("made")
    with pytest.MonkeyPatch.context() as patch:
        for name in ENVIRONMENT:
            patch.delenv(name, raising=False)
        patch.setenv("XDG_DATA_HOME", str(folder / "xdg"))
        patch.setenv("XDG_CONFIG_HOME", str(folder / "xdg-config"))
        result = invoke(folder / DB_NAME, *args)
    assert result.exit_code == 0, result.output
    return folder


def _copy_into(folder: Path, tmp_path: Path) -> None:
    """The files `folder` holds, copied into the test's own folder (the database file and any
    file written beside it: a demo's report); a fifo or a socket a test made is no file to copy."""
    shutil.copytree(folder, tmp_path, symlinks=True, dirs_exist_ok=True, ignore=_not_files)


def _not_files(folder: str, names: list[str]) -> set[str]:
    import stat

    return {n for n in names if not stat.S_ISREG(mode := Path(folder, n).lstat().st_mode) and not stat.S_ISDIR(mode)
            and not stat.S_ISLNK(mode)}


@pytest.fixture(scope="session")
def _initialised(tmp_path_factory, request) -> Path:
    if ON_POSTGRES:
        url = request.getfixturevalue("pg_session_database")()
        with pytest.MonkeyPatch.context() as patch:
            for name in ENVIRONMENT:
                patch.delenv(name, raising=False)
            result = invoke(url, "init", "--community", "测试小区")
        assert result.exit_code == 0, result.output
        return url
    return _made_once(tmp_path_factory, "init", "--community", "测试小区")


@pytest.fixture(scope="session")
def _demo(tmp_path_factory, request) -> Path:
    if ON_POSTGRES:
        return request.getfixturevalue("pg_demo_template")
    return _made_once(tmp_path_factory, "demo")


@pytest.fixture(scope="session")
def demo_db(_demo) -> Path:
    """The demo community (`redprop demo`'s database, as of 2026-11-24 08:00), made once a session:
    for tests that only read it (`demo` for a copy to change)."""
    return _demo if ON_POSTGRES else _demo / DB_NAME


@pytest.fixture(scope="session")
def demo_file(_demo, tmp_path_factory) -> Path:
    """The demo community as a SQLite file whichever engine the suite runs on: for tests about
    files side by side (the street's picture of several files) and copies between a file and a
    server. Read it, or copy it to change it."""
    return _made_once(tmp_path_factory, "demo") / DB_NAME if ON_POSTGRES else _demo / DB_NAME


def _copy_database(made, db_path, tmp_path, request) -> None:
    """What was made once, copied as the test's own: its folder, or its database on the server."""
    if ON_POSTGRES:
        request.getfixturevalue("pg_copy")(made, db_path)
    else:
        _copy_into(made, tmp_path)


@pytest.fixture
def db(_initialised, db_path, tmp_path, request) -> Path:
    """A database made by `redprop init --community 测试小区`, ready for commands: the test's own copy."""
    _copy_database(_initialised, db_path, tmp_path, request)
    return db_path


@pytest.fixture
def demo(_demo, db_path, tmp_path, request) -> Path:
    """The demo community (350 households, 335 issues, 672 visits) made by `redprop demo` at db_path,
    its report beside it: the test's own copy."""
    _copy_database(_demo, db_path, tmp_path, request)
    return db_path


@pytest.fixture(scope="module")
def module_demo(_demo, tmp_path_factory, request) -> Path:
    """A copy of the demo database that the tests of one module share (they only read it)."""
    if ON_POSTGRES:
        return _demo
    folder = tmp_path_factory.mktemp("demo")
    _copy_into(_demo, folder)
    return folder / DB_NAME


@pytest.fixture(scope="session")
def copy_demo(_demo, tmp_path_factory, request):
    """`copy_demo(name)`: a new copy of the demo community to change (a file, or a database on the
    test server with the PostgreSQL switch)."""
    def copy(name: str):
        if ON_POSTGRES:
            target = request.getfixturevalue("pg_session_database")()
            request.getfixturevalue("pg_admin_copy")(_demo, target)
            return target
        folder = tmp_path_factory.mktemp(name)
        _copy_into(_demo, folder)
        return folder / DB_NAME

    return copy


@pytest.fixture
def sample_data() -> Path:
    return SAMPLE_DATA


@pytest.fixture
def run_json(run):
    """`run_json(*args)`: run `*args --format json`, check it succeeded, return the parsed stdout."""

    def run_json(*args):
        result = run(*args, "--format", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    return run_json


_BUILT: dict = {}  # (module, fixture) → (the folder it built, the test's folder it built it in, its value)


def built_once(build):
    """Marks a fixture that builds a community through the CLI (in the test's folder: its
    database, and any file it writes there) to be built once per test module: the first test
    that asks for it builds it, every other one gets a copy of that folder and of the value
    it returned (paths in it moved to the test's own folder). Put it under `@pytest.fixture`:

        @pytest.fixture
        @built_once
        def estate(db, run): ...
    """
    if ON_POSTGRES:  # (a database on the server is not in the test's folder: built for each test)
        return build
    signature = inspect.signature(build)
    own = list(signature.parameters)
    extra = [name for name in ("request", "tmp_path", "tmp_path_factory") if name not in own]

    @functools.wraps(build)
    def fixture(**given):
        request, tmp_path = given["request"], given["tmp_path"]
        key = (request.module.__name__, build.__name__)
        if key not in _BUILT:
            value = build(**{name: given[name] for name in own})
            saved = given["tmp_path_factory"].mktemp(f"built-{build.__name__}")
            _copy_into(tmp_path, saved)
            _BUILT[key] = (saved, tmp_path, copy.deepcopy(value))
            return value
        saved, first, value = _BUILT[key]
        _copy_into(saved, tmp_path)
        return _moved(copy.deepcopy(value), str(first), str(tmp_path))

    params = [*signature.parameters.values(),
              *(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in extra)]
    fixture.__signature__ = signature.replace(parameters=[p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in params])
    del fixture.__wrapped__  # pytest reads the signature above
    return fixture


def _moved(value, old: str, new: str):
    """`value` with the paths under the folder `old` moved to `new`."""
    if isinstance(value, Path):
        return Path(str(value).replace(old, new, 1)) if str(value).startswith(old) else value
    if isinstance(value, str):
        return new + value[len(old):] if value.startswith(old) else value
    if isinstance(value, dict):
        return {k: _moved(v, old, new) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_moved(v, old, new) for v in value)
    return value


def undo_later_migrations(conn, before: str) -> None:
    """Make a test database look as it was made before the migration named `before`: what the
    migrations from it on added that a rerun would add again is taken away (the change log's
    triggers are regenerated after migrating), and the schema version set back."""
    from redprop.store.migrations import MIGRATIONS

    names = [m.__name__ for m in MIGRATIONS]
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'log_audit_%'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    if names.index(before) <= names.index("m017_log_by_household"):
        conn.execute("DROP INDEX log_changes_household")
    if names.index(before) <= names.index("m016_visits_by_household"):
        conn.execute("DROP INDEX visits_household")
    if names.index(before) <= names.index("m015_memberships_by_end"):
        conn.execute("DROP INDEX memberships_until")
    if names.index(before) <= names.index("m014_figures_by_group"):
        from redprop.store.migrations import GROUP_FIGURE_INDEXES

        for statement in GROUP_FIGURE_INDEXES:
            conn.execute("DROP INDEX IF EXISTS " + statement.split()[2])
    if names.index(before) <= names.index("m013_log_boundaries"):
        conn.execute("DROP INDEX log_entries_boundaries")
        conn.execute("DROP INDEX issues_duplicate")
        conn.execute("ALTER TABLE log_entries DROP COLUMN boundary")
    if names.index(before) <= names.index("m012_work_orders"):
        conn.execute("DROP TABLE orders")
        conn.execute("DROP INDEX grids_upstream_code")
        for table, column in (("issue_steps", "party"), ("issue_steps", "reason"), ("grids", "upstream_code"),
                              ("issue_categories", "upstream")):
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.execute(f"PRAGMA user_version = {names.index(before)}")
