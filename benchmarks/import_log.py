"""One household import, with the change log on (as every command runs) or off: the log's cost.

    python benchmarks/import_log.py on|off DATABASE ROSTER.csv

The database must exist (redprop init). `off` runs the same import with no log entry, so the
triggers write nothing; `on` logs it as `redprop household import` does.
"""

import sys
from datetime import datetime
from pathlib import Path

from redprop.exchange.rosters import import_households
from redprop.store import open_store
from redprop.store.log import user_name

mode, db, roster = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
store = open_store(db)
now = datetime.now(store.tz)
if mode == "on":
    store.log_as(f"redprop household import {roster}", user_name(), now)
result = import_households(store, roster, now)
assert result.added > 0, result
