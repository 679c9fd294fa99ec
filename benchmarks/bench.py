"""District-scale benchmarks: each figure beside a floor measured in the same run.

    python benchmarks/bench.py                      # every section
    python benchmarks/bench.py --only households    # one section (repeat --only for more)
    python benchmarks/bench.py --households 20000 --runs 9

Run it with the Python that has redprop installed (the commands run as
`<this python> -m redprop`, each in its own process, stdout to a pipe, as cron runs them).
Not part of the test suite: timings depend on the machine, so every figure is printed as a
ratio to a floor timed on the same machine in the same run, alternating candidate and floor
so that noise falls on both. Exit status 1 if a target is missed.

Adding a section: write `def my_section(bench: Bench) -> None` that builds its data under
`bench.workdir` and calls `bench.compare(...)`, and decorate it with `@section("name")`.
`bench.households_db()` gives a database with the generated households roster imported.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from roster_csv import write_roster  # noqa: E402

PYTHON = sys.executable
SQLITE3 = os.environ.get("SQLITE3") or shutil.which("sqlite3") or "/usr/bin/sqlite3"
SQLITE3_MISSING = "the sqlite3 command-line tool is missing: install it with `sudo apt-get install sqlite3` (Debian/Ubuntu)"


@dataclass
class Comparison:
    name: str
    candidate: float  # median seconds
    floor: float
    target: float
    rows: Optional[int] = None  # throughput comparison: target is the least share of the floor's rows/s

    @property
    def ratio(self) -> float:
        """Time ratio candidate/floor; for a throughput comparison, the candidate's share of the floor's rows/s."""
        return self.floor / self.candidate if self.rows else self.candidate / self.floor

    @property
    def met(self) -> bool:
        return self.ratio >= self.target if self.rows else self.ratio <= self.target

    def describe(self) -> str:
        verdict = "ok" if self.met else "MISSED"
        if self.rows:
            return (f"{self.name}: {self.rows / self.candidate:,.0f} rows/s ({self.candidate:.3f} s) vs floor "
                    f"{self.rows / self.floor:,.0f} rows/s ({self.floor:.3f} s) = {self.ratio:.0%} "
                    f"(target >= {self.target:.0%}) {verdict}")
        return (f"{self.name}: {self.candidate * 1000:.0f} ms vs floor {self.floor * 1000:.0f} ms = "
                f"{self.ratio:.2f}x (target <= {self.target:.2f}x) {verdict}")


@dataclass
class Figure:
    """A figure with an absolute target (rows/s, seconds), printed as it is measured."""

    name: str
    text: str
    met: bool

    def describe(self) -> str:
        return f"{self.name}: {self.text} {'ok' if self.met else 'MISSED'}"


def run_command(cmd: list, env: dict) -> float:
    """Seconds one command takes, stdout and stderr to pipes; a failure stops the benchmark."""
    start = time.perf_counter()
    done = subprocess.run([str(c) for c in cmd], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"benchmark command failed ({done.returncode}): {' '.join(map(str, cmd))}\n"
                 f"{done.stderr.decode(errors='replace')}")
    return elapsed


@dataclass
class Bench:
    workdir: Path
    households: int
    runs: int
    import_runs: int
    issue_years: int = 3
    results: list = field(default_factory=list)
    _households_db: Optional[Path] = None

    @property
    def env(self) -> dict:
        """The environment for every command: no REDPROP_* settings of the person running it."""
        return {k: v for k, v in os.environ.items() if not k.startswith("REDPROP_")}

    def redprop(self, db: Path, *args) -> list:
        return [PYTHON, "-m", "redprop", "--db", db, *args]

    def compare(self, name: str, candidate_cmd: list, floor_cmd: list, target: float, *, rows: Optional[int] = None,
                runs: Optional[int] = None, before_candidate: Callable[[], None] = None,
                before_floor: Callable[[], None] = None) -> Comparison:
        """Median time of `candidate_cmd` beside `floor_cmd`, after a warm-up of each, alternating the two.

        With `rows`, the figure is throughput and `target` is the least acceptable share of the
        floor's rows/s (0.30); without, `target` is the largest acceptable time ratio (1.2).
        `before_*` run untimed before every run of that command (a fresh database, say).
        """
        runs = runs or self.runs
        timings = {"candidate": [], "floor": []}
        commands = {"candidate": (candidate_cmd, before_candidate), "floor": (floor_cmd, before_floor)}

        def once(which: str) -> float:
            cmd, before = commands[which]
            if before:
                before()
            return run_command(cmd, self.env)

        once("candidate")
        once("floor")
        for i in range(runs):
            order = ("candidate", "floor") if i % 2 == 0 else ("floor", "candidate")
            for which in order:
                timings[which].append(once(which))
        result = Comparison(name, statistics.median(timings["candidate"]), statistics.median(timings["floor"]),
                            target, rows)
        self.results.append(result)
        print(f"  {result.describe()}", flush=True)
        return result

    def figure(self, name: str, text: str, met: bool) -> Figure:
        result = Figure(name, text, met)
        self.results.append(result)
        print(f"  {result.describe()}", flush=True)
        return result

    def households_db(self) -> Path:
        """A database with the generated roster imported (made once, shared by every section)."""
        if self._households_db is None:
            roster = self.roster_csv()
            db = self.workdir / "households.db"
            fresh_database(db)
            run_command(self.redprop(db, "init", "--community", "基准小区"), self.env)
            run_command(self.redprop(db, "household", "import", roster), self.env)
            self._households_db = db
        return self._households_db

    def roster_csv(self) -> Path:
        path = self.workdir / f"households_{self.households}.csv"
        if not path.exists():
            write_roster(path, self.households)
        return path


def fresh_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run_sql_size(db: Path) -> int:
    """Bytes the change log takes in a database (SQLite's dbstat, else the text it holds)."""
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'log_%'").fetchone()[0] or 0
    except sqlite3.OperationalError:
        return conn.execute("SELECT coalesce(sum(length(before) + length(after)), 0) FROM log_changes").fetchone()[0]
    finally:
        conn.close()


SECTIONS: dict[str, Callable[[Bench], None]] = {}


def section(name: str):
    def register(function):
        SECTIONS[name] = function
        return function

    return register


@section("households")
def households_section(bench: Bench) -> None:
    """Roster import against sqlite3's .import; list and show against a bare Typer app."""
    if not Path(SQLITE3).exists():
        sys.exit(SQLITE3_MISSING)
    roster = bench.roster_csv()
    n = bench.households
    print(f"households: {n:,}-row roster {roster.name} ({roster.stat().st_size / 1e6:.1f} MB)", flush=True)

    imported = bench.workdir / "import.db"
    floor_db = bench.workdir / "sqlite3-import.db"

    def fresh_redprop_db():
        fresh_database(imported)
        run_command(bench.redprop(imported, "init"), bench.env)

    bench.compare(
        f"household import ({n:,} rows) vs sqlite3 .import",
        bench.redprop(imported, "household", "import", roster),
        [SQLITE3, floor_db, f".import --csv {roster} households"],
        0.30,
        rows=n,
        runs=bench.import_runs,
        before_candidate=fresh_redprop_db,
        before_floor=lambda: fresh_database(floor_db),
    )

    logged = bench.workdir / "logged.db"
    unlogged = bench.workdir / "unlogged.db"

    def fresh(path):
        def make():
            fresh_database(path)
            run_command(bench.redprop(path, "init"), bench.env)
        return make

    bench.compare(
        f"household import ({n:,} rows) with the change log vs without",
        [PYTHON, HERE / "import_log.py", "on", logged, roster],
        [PYTHON, HERE / "import_log.py", "off", unlogged, roster],
        0.85,
        rows=n,
        runs=bench.import_runs,
        before_candidate=fresh(logged),
        before_floor=fresh(unlogged),
    )
    log_bytes = run_sql_size(logged)
    bench.figure("change log after the import", f"{log_bytes:,} bytes in log_entries and log_changes", True)

    db = bench.households_db()
    building = str(max(1, n // 100 // 2))
    bare = [PYTHON, HERE / "bare_typer_app.py", "--building", building]
    bench.compare(f"household list --building {building}", bench.redprop(db, "household", "list", "--building", building),
                  bare, 1.2)
    key = f"{building}-1-301"
    bench.compare(f"household show {key}", bench.redprop(db, "household", "show", key), bare, 1.2)


@section("visits")
def visits_section(bench: Bench) -> None:
    """`visit due` and `visit log` with 20,000 households in focus groups and 1,000,000 visits."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from district import build_care

    db = bench.workdir / "care.db"
    fresh_database(db)
    shutil.copyfile(bench.households_db(), db)
    members, visits = min(20_000, bench.households // 5), bench.households * 10
    started = time.perf_counter()
    counts = build_care(db, now=datetime.now(ZoneInfo("Asia/Shanghai")), members=members, visits=visits)
    print(f"visits: {counts['households']:,} households, {counts['memberships']:,} memberships, "
          f"{counts['visits']:,} visits (generated in {time.perf_counter() - started:.0f} s)", flush=True)
    bare = [PYTHON, HERE / "bare_typer_app.py"]
    due = bench.compare("visit due", bench.redprop(db, "visit", "due"), bare, 1.3)
    done = subprocess.run([str(c) for c in bench.redprop(db, "visit", "due", "--format", "json")], env=bench.env,
                          stdout=subprocess.PIPE, check=True)
    listed = len(json.loads(done.stdout))
    print(f"    ({listed:,} households listed by {due.name})", flush=True)
    bench.compare("visit log", bench.redprop(db, "visit", "log", "1-1-101", "--by", "楼长1", "--outcome", "well"), bare, 1.2)


@section("issues")
def issues_section(bench: Bench) -> None:
    """1,000,000 issues over three years: import, the morning list, single-issue commands, stats over the last year.

    With `--issues-years 1` all of them fall in the year `stats` reads (the worst case).
    """
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from district import add_building_leaders
    from issues_csv import write_issues

    count = bench.households * 10
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    csv_path = write_issues(bench.workdir / f"issues_{count}_{bench.issue_years}y.csv", count, bench.households, now,
                            years=bench.issue_years)
    db = bench.workdir / "issues.db"
    fresh_database(db)
    shutil.copyfile(bench.households_db(), db)
    add_building_leaders(db, now)
    seconds = run_command(bench.redprop(db, "issue", "import", csv_path), bench.env)
    bench.figure(f"issue import ({count:,} rows)", f"{count / seconds:,.0f} rows/s ({seconds:.1f} s) (target >= 20,000 rows/s)",
                 count / seconds >= 20_000)
    bare = [PYTHON, HERE / "bare_typer_app.py"]
    bench.compare("overdue", bench.redprop(db, "overdue"), bare, 1.3)
    import sqlite3

    conn = sqlite3.connect(db)
    unfinished = str(conn.execute("SELECT id FROM issues WHERE resolved_at IS NULL ORDER BY id LIMIT 1").fetchone()[0])
    conn.close()
    some = str(count // 2)
    bench.compare(f"issue show {some}", bench.redprop(db, "issue", "show", some), bare, 1.2)
    bench.compare(f"issue note {unfinished}", bench.redprop(db, "issue", "note", unfinished, "已电话联系居民"), bare, 1.2)
    bench.compare(f"issue assign {unfinished}", bench.redprop(db, "issue", "assign", unfinished, "--to", "楼长1"), bare, 1.2)
    opened = [*bench.redprop(db, "issue", "open", "--kind", "problem", "--category", "parking", "--channel", "patrol",
                             "--place", "1栋消防通道", "--title", "乱停车堵住消防通道")]
    bench.compare("issue open", opened, bare, 1.2)
    year_ago = (now.date().replace(year=now.year - 1)).isoformat()
    stats = [*bench.redprop(db, "stats", "--from", year_ago, "--to", now.date().isoformat(), "--by", "category")]
    median = sorted(run_command(stats, bench.env) for _ in range(3))[1]
    bench.figure(f"stats over the last year ({count:,} issues over {bench.issue_years} years)",
                 f"{median:.2f} s (target < 2 s)", median < 2.0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=sorted(SECTIONS), help="Run only this section (repeatable).")
    parser.add_argument("--households", type=int, default=100_000, help="Households in the roster (default 100,000).")
    parser.add_argument("--runs", type=int, default=15, help="Timed runs of each command (default 15).")
    parser.add_argument("--import-runs", type=int, default=7, help="Timed runs of each bulk import (default 7).")
    parser.add_argument("--issues-years", type=int, default=3, help="Years the generated issues span (default 3).")
    parser.add_argument("--workdir", type=Path, help="Keep the generated data here (default: a temporary folder).")
    args = parser.parse_args(argv)

    temporary = None
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        workdir = args.workdir
    else:
        temporary = tempfile.TemporaryDirectory(prefix="redprop-bench-")
        workdir = Path(temporary.name)
    import sqlite3

    import typer

    print(f"python {sys.version.split()[0]}, typer {typer.__version__}, SQLite {sqlite3.sqlite_version} (library); "
          f"data in {workdir}", flush=True)
    # As `pip install .` does: redprop's bytecode compiled once, not on every command (this matters
    # where PYTHONDONTWRITEBYTECODE is set, or the source folder is not writable).
    import compileall

    compileall.compile_dir(REPO / "redprop", quiet=1)
    bench = Bench(workdir, args.households, args.runs, args.import_runs, args.issues_years)
    try:
        for name in args.only or SECTIONS:
            SECTIONS[name](bench)
    finally:
        if temporary:
            temporary.cleanup()
    missed = [r for r in bench.results if not r.met]
    print(f"\n{len(bench.results) - len(missed)} of {len(bench.results)} targets met"
          + (f"; missed: {', '.join(r.name for r in missed)}" if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
