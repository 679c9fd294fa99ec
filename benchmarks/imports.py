"""Imports before and after streaming, in the same run: rows per second and peak memory.

    python benchmarks/imports.py [--households 100000] [--issues 1000000] [--xlsx 100000] [--before 558cc20] [--runs 3]

The code before is the commit given (default 558cc20, the last before the streaming
reader), checked out as a detached `git worktree` under the system's temporary folder; the
code after is this checkout. Each import runs in its own process (`python -m redprop`, the
command a worker types) under `/usr/bin/time -v`, which reports the process's peak resident
memory; the two alternate, and the median of `--runs` is printed. Beside the household
import stand two floors measured in the same run: sqlite3's `.import` of the CSV into a bare
table, and the fair floor — SQLite alone writing the same rows (taken from the imported
database) into the same indexed `households` table of a fresh redprop database.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from district import add_building_leaders  # noqa: E402
from issues_csv import write_issues  # noqa: E402
from roster_csv import write_roster  # noqa: E402

PYTHON = sys.executable
SQLITE3 = os.environ.get("SQLITE3") or shutil.which("sqlite3") or "/usr/bin/sqlite3"
TIME = "/usr/bin/time"


def timed(cmd: list, env: dict, cwd: Path) -> tuple[float, float]:
    """(CPU seconds, peak resident MB) of one process. CPU time (user + system), not the wall
    clock: on a shared machine another process's load does not count against either side."""
    done = subprocess.run([TIME, "-v", *map(str, cmd)], env=env, cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(map(str, cmd))}\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): ([0-9.]+)", done.stderr).group(1)) for kind in ("User", "System"))
    return cpu, peak_kb / 1024


def code_env(root: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(root), "REDPROP_LANG": "en", "REDPROP_USER": "bench"}


def init(db: Path, env: dict, cwd: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    subprocess.run([PYTHON, "-m", "redprop", "--db", db, "init", "--community", "基准小区"], env=env, cwd=cwd,
                   check=True, capture_output=True)


def before_tree(commit: str) -> Path:
    path = Path(tempfile.gettempdir()) / f"redprop-before-{commit}"
    if not (path / "redprop").is_dir():
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(path), commit], check=True,
                       capture_output=True)
    return path


def write_workbook(path: Path, roster: Path, rows: int) -> None:
    """The roster as a workbook Excel would save (openpyxl's write-only mode: text cells)."""
    import csv
    from itertools import islice

    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    with open(roster, encoding="utf-8-sig", newline="") as f:
        for row in islice(csv.reader(f), rows + 1):
            sheet.append(row)
    book.save(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--issues", type=int, default=1_000_000)
    parser.add_argument("--before", default="558cc20")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--xlsx", type=int, default=100_000, help="rows of the .xlsx household import (0: skip it)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "redprop-bench-imports")
    args = parser.parse_args(argv)
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    trees = {"before": before_tree(args.before), "after": REPO}
    envs = {name: code_env(root) for name, root in trees.items()}
    print(f"python {sys.version.split()[0]}; before = {args.before} ({trees['before']}), after = this checkout")

    roster = work / f"roster_{args.households}.csv"
    if not roster.exists():
        write_roster(roster, args.households)
    n = args.households
    results: dict[str, list] = {"before": [], "after": [], "import": [], "fair": []}
    floor_db, fair_db = work / "dot-import.db", work / "fair.db"
    for i in range(args.runs):
        order = ("before", "after") if i % 2 == 0 else ("after", "before")
        for name in order:
            db = work / f"households-{name}.db"
            init(db, envs[name], work)
            results[name].append(timed([PYTHON, "-m", "redprop", "--db", db, "household", "import", roster], envs[name], work))
        floor_db.unlink(missing_ok=True)
        results["import"].append(timed([SQLITE3, floor_db, f".import --csv {roster} households"], envs["after"], work))
        init(fair_db, envs["after"], work)
        columns = "key, building, unit, room, head, phone, grid, members, moved_in_on, note, created_at, updated_at"
        sql = (f"ATTACH '{work / 'households-after.db'}' AS src; BEGIN;"
               f" INSERT INTO households ({columns}) SELECT {columns} FROM src.households; COMMIT;")
        results["fair"].append(timed([SQLITE3, fair_db, sql], envs["after"], work))

    def median(name):
        seconds = statistics.median(s for s, _ in results[name])
        peak = statistics.median(p for _, p in results[name])
        return seconds, peak

    print(f"\nhousehold import, {n:,} rows (CPU time, median of {args.runs}):")
    fair_s, _ = median("fair")
    dot_s, _ = median("import")
    for name in ("before", "after"):
        s, peak = median(name)
        print(f"  {name:6}  {n / s:>9,.0f} rows/s ({s:.2f} s)  peak {peak:6.0f} MB  "
              f"= {fair_s / s:.0%} of the fair floor, {dot_s / s:.0%} of .import")
    print(f"  fair floor (SQLite alone, same rows, same indexed table): {n / fair_s:,.0f} rows/s ({fair_s:.2f} s)")
    print(f"  sqlite3 .import into a bare table:                      {n / dot_s:,.0f} rows/s ({dot_s:.2f} s)")

    if args.xlsx:
        book = work / f"roster_{args.xlsx}.xlsx"
        if not book.exists():
            write_workbook(book, roster, args.xlsx)
        print(f"\nhousehold import from .xlsx, {args.xlsx:,} rows (CPU time, one run each):")
        for name in ("before", "after"):
            db = work / f"xlsx-{name}.db"
            init(db, envs[name], work)
            s, peak = timed([PYTHON, "-m", "redprop", "--db", db, "household", "import", book], envs[name], work)
            print(f"  {name:6}  {args.xlsx / s:>9,.0f} rows/s ({s:.2f} s)  peak {peak:6.0f} MB")

    if args.issues:
        now = datetime.now(ZoneInfo("Asia/Shanghai"))
        issues = work / f"issues_{args.issues}.csv"
        if not issues.exists():
            write_issues(issues, args.issues, n, now)
        print(f"\nissue import, {args.issues:,} rows (CPU time, one run each, {issues.stat().st_size / 2**20:,.0f} MB of CSV):")
        for name in ("before", "after"):
            db = work / f"issues-{name}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(work / f"households-{name}.db", db)
            add_building_leaders(db, now)
            s, peak = timed([PYTHON, "-m", "redprop", "--db", db, "issue", "import", issues], envs[name], work)
            print(f"  {name:6}  {args.issues / s:>9,.0f} rows/s ({s:.1f} s)  peak {peak:6.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
