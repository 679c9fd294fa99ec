"""`redprop demo`: a database built from sample_data/, then the reports a worker reads.

The sample rosters describe 美仑盛景小区 (seed 003). The demo runs "as of" a fixed moment
so that what it shows does not drift as the calendar moves on.
"""

import os
import shlex
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from redprop.errors import InvalidValue

DEMO_TIMEZONE = "Asia/Shanghai"
DEMO_NOW = datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo(DEMO_TIMEZONE))
ROSTERS = [  # file, module, importer, in the order they depend on each other
    ("grids.csv", "exchange.rosters", "import_grids"),
    ("households.csv", "exchange.rosters", "import_households"),
    ("residents.csv", "exchange.rosters", "import_residents"),
    ("staff.csv", "exchange.rosters", "import_staff"),
    ("memberships.csv", "exchange.care", "import_memberships"),
    ("visits.csv", "exchange.care", "import_visits"),
    ("issues.csv", "exchange.issues", "import_issues"),
]
SHOWN = [  # what the demo prints, as the commands a worker would type
    ["household", "show", "8-2-301", "--at", "2026-11-24 08:00"],
    ["visit", "due", "--at", "2026-11-24 08:00"],
    ["overdue", "--at", "2026-11-24 08:00"],  # the morning list: the product's main job, last
]


def _replace_old_demo(path: Path) -> None:
    if not path.exists():
        return
    import sqlite3

    try:
        conn = sqlite3.connect(path)
        is_demo = conn.execute("SELECT value FROM settings WHERE key = 'demo'").fetchone()
        conn.close()
    except sqlite3.DatabaseError:
        is_demo = None
    if not is_demo:
        raise InvalidValue(f"{path} exists and is not a demo database; pass another --db for the demo")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def build_demo(path: Path, data: Path, out, msg) -> None:
    import importlib

    from redprop.store import create_store

    if not (data / "households.csv").exists():
        raise InvalidValue(f"no sample rosters in {data}/ (run the demo from the redprop checkout, or name the folder)")
    _replace_old_demo(path)
    store = create_store(path, "美仑盛景小区", DEMO_TIMEZONE)
    with store.write() as conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('demo', '1')")
    for file, module, importer in ROSTERS:
        result = getattr(importlib.import_module(f"redprop.{module}"), importer)(store, data / file, DEMO_NOW)
        msg(f"imported {file}: {result.summary()}")
    store.conn.close()
    msg(f"demo database: {path} (as of {DEMO_NOW:%Y-%m-%d %H:%M}; try `redprop --db {path} household list`)")
    from redprop.cli import app

    for args in SHOWN:
        out()
        out(f"$ redprop --db {shlex.quote(os.fspath(path))} {shlex.join(args)}")
        app(["--db", os.fspath(path), *args], standalone_mode=False)
