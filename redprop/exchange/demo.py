"""`redprop demo`'s database, built from the sample community that ships inside the package.

The sample rosters describe 美仑盛景小区 (seed 003). The demo runs "as of" a fixed moment
so that what it shows does not drift as the calendar moves on.
"""

import importlib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from redprop.errors import InvalidValue

DEMO_COMMUNITY = "美仑盛景小区"
DEMO_TIMEZONE = "Asia/Shanghai"
DEMO_NOW = datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo(DEMO_TIMEZONE))
ROSTERS = [  # file, module, importer, in the order they depend on each other
    ("grids.csv", "redprop.exchange.rosters", "import_grids"),
    ("households.csv", "redprop.exchange.rosters", "import_households"),
    ("residents.csv", "redprop.exchange.rosters", "import_residents"),
    ("staff.csv", "redprop.exchange.rosters", "import_staff"),
    ("memberships.csv", "redprop.exchange.care", "import_memberships"),
    ("visits.csv", "redprop.exchange.care", "import_visits"),
    ("issues.csv", "redprop.exchange.issues", "import_issues"),
]


def sample_folder() -> Path:
    """The sample community's files: the package's own copy, wherever redprop is installed."""
    from importlib.resources import files

    return Path(str(files("redprop.sample_data")))


def _typed_into_demo(path: Path) -> int | None:
    """How many changes someone typed into the demo database at `path` (the demo's own imports
    are not logged: an entry is someone's work); None when it is not a demo database."""
    from redprop.store import peek

    old = peek(path)
    if old is None:
        return None
    try:
        if not old.setting("demo"):
            return None
        return old.conn.execute("SELECT count(*) FROM log_entries").fetchone()[0]
    except old.engine.Error:
        return None
    finally:
        old.close()


def _replace_old_demo(path: Path) -> None:
    if not path.exists():
        return
    typed = _typed_into_demo(path)
    if typed is None:
        raise InvalidValue("{path} exists and is not a demo database; pass another --db for the demo", path=str(path))
    if typed:
        raise InvalidValue("{path} holds {count} changes typed since the demo built it; pass another --db for the demo,"
                           " or delete the file first", path=str(path), count=typed)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def build_demo(path: Path, data: Path | None = None) -> list[tuple[str, object]]:
    """A fresh demo database at `path` from the sample files; (file, import result) for each."""
    from redprop.store import create_store

    data = data or sample_folder()
    if not (data / "households.csv").exists():
        raise InvalidValue("no sample rosters in {folder}", folder=str(data))
    if isinstance(path, Path):  # (a community of a shared database: built by the tests' server only)
        _replace_old_demo(path)
    store = create_store(path, DEMO_COMMUNITY, DEMO_TIMEZONE)
    with store.write():
        store.save_settings({"demo": "1"})
    results = []
    for file, module, importer in ROSTERS:
        results.append((file, getattr(importlib.import_module(module), importer)(store, data / file, DEMO_NOW)))
    store.close()
    return results
