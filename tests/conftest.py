"""Shared fixtures: the CLI driven in-process against a real temporary database file.

    def test_something(db, run):
        result = run("household", "add", "8-2-301", "--head", "熊秀英")
        assert result.exit_code == 0

`run(*args)` invokes `redprop --db <tmp file> *args` and returns the CliRunner result
(`.exit_code`, `.stdout`, `.stderr`), in Chinese unless `lang="en"`; `run_json(*args)` adds
`--format json` and returns the parsed stdout; `db` is the path of a database made by
`redprop init`.
Nothing here mocks the store.
"""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redprop.cli import app

REPO = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO / "sample_data"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch, tmp_path):
    """The developer's own REDPROP_* settings, and their settings file, must not leak into a test."""
    for name in ("REDPROP_DB", "REDPROP_LANG", "REDPROP_BUSY_TIMEOUT", "REDPROP_USER", "REDPROP_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))  # the user's settings: none of the developer's


@pytest.fixture
def db_path(tmp_path) -> Path:
    """Where the test's database lives (not created yet)."""
    return tmp_path / "redprop.db"


@pytest.fixture
def run(db_path):
    """`run(*args, input=None, env=None, lang=None)`: redprop --db <db_path> *args, in-process.

    Chinese by default, as a worker gets it; `lang="en"` for a test that reads English words."""
    runner = CliRunner()

    def run(*args, input=None, env=None, lang=None):
        language = ["--lang", lang] if lang else []
        return runner.invoke(
            app, ["--db", str(db_path), *language, *(str(a) for a in args)], input=input, env=env, catch_exceptions=False
        )

    return run


@pytest.fixture
def db(run, db_path) -> Path:
    """A database made by `redprop init`, ready for commands."""
    result = run("init", "--community", "测试小区")
    assert result.exit_code == 0, result.output
    return db_path


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


def undo_later_migrations(conn, before: str) -> None:
    """Make a test database look as it was made before the migration named `before`: what the
    migrations from it on added that a rerun would add again is taken away (the change log's
    triggers are regenerated after migrating), and the schema version set back."""
    from redprop.store.migrations import MIGRATIONS

    names = [m.__name__ for m in MIGRATIONS]
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'log_audit_%'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    if names.index(before) <= names.index("m012_work_orders"):
        conn.execute("DROP TABLE orders")
        conn.execute("DROP INDEX grids_upstream_code")
        for table, column in (("issue_steps", "party"), ("issue_steps", "reason"), ("grids", "upstream_code"),
                              ("issue_categories", "upstream")):
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    conn.execute(f"PRAGMA user_version = {names.index(before)}")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The demo community (`redprop demo`'s database, as of 2026-11-24 08:00), built once."""
    from redprop.exchange.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(path)
    return path


@pytest.fixture
def demo(demo_db, db_path) -> Path:
    """A copy of the demo community at `db_path`, for one test to change."""
    import shutil

    shutil.copyfile(demo_db, db_path)
    return db_path
