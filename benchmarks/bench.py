"""District-scale benchmarks: each figure beside floors measured in the same run.

    python benchmarks/bench.py                      # every section
    python benchmarks/bench.py --only issues        # one section (repeat --only for more)
    python benchmarks/bench.py --households 20000 --runs 9

Run it with the Python that has redprop installed (the commands run as
`<this python> -m redprop`, each in its own process). Not part of the test suite: timings
depend on the machine, so every figure is a ratio to a floor timed on the same machine in
the same run, alternating candidate and floors so that noise falls on all of them.

Times are CPU time (user + system) of the child process, read with `os.wait4`, medians of
paired runs: CPU time is what a command costs, and it is far steadier than wall time on a
shared machine. A command a worker types is measured twice:
- piped, as cron and scripts run it, beside `python -c pass` (target: within 8×);
- on a terminal (a pseudo-terminal, 120 columns), beside the bare Typer + Rich app printing a
  three-row table on the same terminal (target: within 1.2×).
Imports are throughput (rows per second of wall time, CPU time beside it) and peak memory
(the child's maximum resident set). Exit status 1 if a target is missed.

Adding a section: write `def my_section(bench: Bench) -> None` that builds its data under
`bench.workdir` and calls `bench.command(...)`, `bench.compare(...)` or `bench.figure(...)`,
and decorate it with `@section("name")`.
"""

import argparse
import fcntl
import json
import os
import pty
import select
import shutil
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Optional
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from roster_csv import write_roster  # noqa: E402

PYTHON = sys.executable
SQLITE3 = os.environ.get("SQLITE3") or shutil.which("sqlite3") or "/usr/bin/sqlite3"
SQLITE3_MISSING = "the sqlite3 command-line tool is missing: install it with `sudo apt-get install sqlite3` (Debian/Ubuntu)"
PASS = [PYTHON, "-c", "pass"]
BARE = [PYTHON, HERE / "bare_typer_app.py"]
PIPED_TARGET = 8.0  # × `python -c pass`, CPU, output to a pipe
TERMINAL_TARGET = 1.2  # × the bare Typer + Rich app, CPU, on a terminal
LISTING_MEMORY_MB = 100
IMPORT_MEMORY_MB = 300


@dataclass
class Run:
    cpu: float  # seconds of user + system time
    wall: float
    peak_mb: float  # maximum resident set size


def run_command(cmd: list, env: dict, *, terminal: bool = False) -> Run:
    """One run of `cmd`, its output drained from pipes (or from a pseudo-terminal), its cost
    read from the kernel's accounting for that child alone; a failure stops the benchmark."""
    if terminal:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = {**env, "TERM": "xterm-256color"}
        out = err = slave
    else:
        out = err = subprocess.PIPE
    start = time.perf_counter()
    proc = subprocess.Popen([str(c) for c in cmd], cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out,
                            stderr=err)
    if terminal:
        os.close(slave)
        readers = [master]
    else:
        readers = [proc.stdout.fileno(), proc.stderr.fileno()]
    tail = b""
    while readers:
        for fd in select.select(readers, [], [])[0]:
            try:
                data = os.read(fd, 1 << 16)
            except OSError:  # a pseudo-terminal reports EIO once the child has closed it
                data = b""
            if data:
                tail = (tail + data)[-4000:]
            else:
                readers.remove(fd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()
    if terminal:
        os.close(master)
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n"
                 f"{tail.decode(errors='replace')}")
    return Run(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024)


@dataclass
class Comparison:
    name: str
    candidate: float  # median seconds (CPU, or wall for throughput)
    floor: float
    target: float
    floor_name: str = "floor"
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
            return (f"{self.name}: {self.rows / self.candidate:,.0f} rows/s ({self.candidate:.2f} s) vs "
                    f"{self.floor_name} {self.rows / self.floor:,.0f} rows/s ({self.floor:.2f} s) = {self.ratio:.0%} "
                    f"(target >= {self.target:.0%}) {verdict}")
        return (f"{self.name}: {self.candidate * 1000:.0f} ms vs {self.floor_name} {self.floor * 1000:.0f} ms = "
                f"{self.ratio:.2f}x (target <= {self.target:.2f}x) {verdict}")


@dataclass
class Figure:
    """A figure with an absolute target (rows/s, megabytes), printed as it is measured."""

    name: str
    text: str
    met: bool

    def describe(self) -> str:
        return f"{self.name}: {self.text} {'ok' if self.met else 'MISSED'}"


@dataclass
class Bench:
    workdir: Path
    households: int
    runs: int
    import_runs: int
    issue_years: int = 3
    results: list = field(default_factory=list)
    now: datetime = field(default_factory=lambda: datetime.now(ZoneInfo("Asia/Shanghai")).replace(microsecond=0))
    _households_db: Optional[Path] = None
    _care_db: Optional[Path] = None
    _district: Optional[tuple] = None

    @property
    def env(self) -> dict:
        """The environment for every command: no REDPROP_* settings of the person running it."""
        return {k: v for k, v in os.environ.items() if not k.startswith("REDPROP_")}

    def redprop(self, db: Path, *args) -> list:
        return [PYTHON, "-m", "redprop", "--db", db, *args]

    def medians(self, commands: dict, runs: int, *, wall: bool = False) -> dict:
        """Median cost of each command: after a warm-up of each, `runs` rounds, each round
        running every command once in a rotated order. `commands` maps a name to
        (cmd, terminal, before) where `before` runs untimed before each run (a fresh file)."""
        samples = {name: [] for name in commands}

        def once(name):
            cmd, terminal, before = commands[name]
            if before:
                before()
            return run_command(cmd, self.env, terminal=terminal)

        names = list(commands)
        for name in names:
            once(name)
        for i in range(runs):
            for name in names[i % len(names):] + names[:i % len(names)]:
                samples[name].append(once(name))
        return {name: statistics.median(r.wall if wall else r.cpu for r in runs_) for name, runs_ in samples.items()}

    def report(self, result):
        self.results.append(result)
        print(f"  {result.describe()}", flush=True)
        return result

    def command(self, name: str, cmd: list) -> float:
        """A command a worker types: piped beside `python -c pass`, on a terminal beside the bare
        Typer app. Returns its median CPU seconds piped (a floor for the listings)."""
        m = self.medians({"piped": (cmd, False, None), "pass": (PASS, False, None),
                          "terminal": (cmd, True, None), "bare": (BARE, True, None)}, self.runs)
        self.report(Comparison(f"{name} (piped)", m["piped"], m["pass"], PIPED_TARGET, "python -c pass"))
        self.report(Comparison(f"{name} (terminal)", m["terminal"], m["bare"], TERMINAL_TARGET, "bare Typer app"))
        return m["piped"]

    def compare(self, name: str, candidate_cmd: list, floor_cmd: list, target: float, *, floor_name: str = "floor",
                rows: Optional[int] = None, runs: Optional[int] = None, before_candidate: Callable[[], None] = None,
                before_floor: Callable[[], None] = None) -> Comparison:
        """Median cost of `candidate_cmd` beside `floor_cmd` (CPU time; wall time with `rows`).

        With `rows`, the figure is throughput and `target` is the least acceptable share of the
        floor's rows/s (0.45); without, `target` is the largest acceptable time ratio (3.0).
        """
        m = self.medians({"candidate": (candidate_cmd, False, before_candidate),
                          "floor": (floor_cmd, False, before_floor)}, runs or self.runs, wall=rows is not None)
        return self.report(Comparison(name, m["candidate"], m["floor"], target, floor_name, rows))

    def figure(self, name: str, text: str, met: bool) -> Figure:
        return self.report(Figure(name, text, met))

    def peak_memory(self, name: str, cmd: list, limit_mb: float, *, before: Callable[[], None] = None) -> Run:
        if before:
            before()
        run = run_command(cmd, self.env)
        self.figure(f"{name} peak memory", f"{run.peak_mb:,.0f} MB in {run.wall:.1f} s (target < {limit_mb:,.0f} MB)",
                    run.peak_mb < limit_mb)
        return run

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

    def care_db(self) -> Path:
        """The households, a building leader per building, 20,000 of them in focus groups and
        1,000,000 visits over half a year (made once, shared)."""
        if self._care_db is None:
            from district import add_building_leaders, build_care

            db = self.workdir / "care.db"
            fresh_database(db)
            shutil.copyfile(self.households_db(), db)
            members, visits = min(20_000, self.households // 5), self.households * 10
            started = time.perf_counter()
            counts = build_care(db, now=self.now, members=members, visits=visits)
            add_building_leaders(db, self.now)
            print(f"care: {counts['households']:,} households, {counts['memberships']:,} memberships, "
                  f"{counts['visits']:,} visits (generated in {time.perf_counter() - started:.0f} s)", flush=True)
            self._care_db = db
        return self._care_db

    def issues_csv(self) -> Path:
        from issues_csv import write_issues

        count = self.households * 10
        return write_issues(self.workdir / f"issues_{count}_{self.issue_years}y.csv", count, self.households, self.now,
                            years=self.issue_years)

    def district_db(self) -> tuple[Path, Optional[Run]]:
        """The care database with a million issues imported into it, and that import's run (made once)."""
        if self._district is None:
            db = self.workdir / "district.db"
            fresh_database(db)
            shutil.copyfile(self.care_db(), db)
            run = run_command(self.redprop(db, "issue", "import", self.issues_csv()), self.env)
            self._district = (db, run)
        return self._district

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
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'log_%'").fetchone()[0] or 0
    except sqlite3.OperationalError:
        return conn.execute("SELECT coalesce(sum(length(before) + length(after)), 0) FROM log_changes").fetchone()[0]
    finally:
        conn.close()


def fair_floor_script(roster: Path) -> str:
    """sqlite3 commands that write the roster's rows into redprop's own `households` table, with
    its indexes and constraints, as fast as SQLite can: `.import` into a scratch table, then one
    INSERT … SELECT of the cells as they are (no cleaning, no checks, no Python)."""
    columns = ", ".join(f'c{i} TEXT' for i in range(9))
    return "\n".join([
        f"CREATE TEMP TABLE roster ({columns});",
        f".import --csv --skip 1 {roster} roster",
        "BEGIN;",
        "INSERT INTO households (key, building, unit, room, head, phone, grid, members, moved_in_on, note,"
        " created_at, updated_at)"
        " SELECT c0 || '-' || c1 || '-' || c2, c0, c1, c2, c3, nullif(c4, ''), c5, CAST(nullif(c6, '') AS INTEGER),"
        " nullif(c7, ''), nullif(c8, ''), '2026-12-01T00:00:00+00:00', '2026-12-01T00:00:00+00:00' FROM roster;",
        "COMMIT;",
    ])


SECTIONS: dict[str, Callable[[Bench], None]] = {}


def section(name: str):
    def register(function):
        SECTIONS[name] = function
        return function

    return register


@section("households")
def households_section(bench: Bench) -> None:
    """Roster import against SQLite alone (the fair floor) and sqlite3's .import; the change log's
    cost; list and show as a worker types them."""
    if not Path(SQLITE3).exists():
        sys.exit(SQLITE3_MISSING)
    roster = bench.roster_csv()
    n = bench.households
    print(f"households: {n:,}-row roster {roster.name} ({roster.stat().st_size / 1e6:.1f} MB)", flush=True)

    imported = bench.workdir / "import.db"
    floor_db = bench.workdir / "fair-floor.db"
    template = bench.workdir / "empty.db"
    fresh_database(template)
    run_command(bench.redprop(template, "init"), bench.env)
    script = bench.workdir / "fair-floor.sql"
    script.write_text(fair_floor_script(roster), encoding="utf-8")

    def fresh_copy(path):
        def make():
            fresh_database(path)
            shutil.copyfile(template, path)
        return make

    bench.compare(f"household import ({n:,} rows) vs SQLite alone into the same indexed table",
                  bench.redprop(imported, "household", "import", roster),
                  [SQLITE3, floor_db, f".read {script}"], 0.45, floor_name="SQLite alone", rows=n,
                  runs=bench.import_runs, before_candidate=fresh_copy(imported), before_floor=fresh_copy(floor_db))
    dot_import = bench.workdir / "dot-import.db"
    bench.compare(f"household import ({n:,} rows) vs sqlite3 .import (reference)",
                  bench.redprop(imported, "household", "import", roster),
                  [SQLITE3, dot_import, f".import --csv {roster} households"], 0.0, floor_name=".import", rows=n,
                  runs=bench.import_runs, before_candidate=fresh_copy(imported),
                  before_floor=lambda: fresh_database(dot_import))
    bench.peak_memory(f"household import ({n:,} rows)", bench.redprop(imported, "household", "import", roster),
                      IMPORT_MEMORY_MB, before=fresh_copy(imported))

    logged = bench.workdir / "logged.db"
    unlogged = bench.workdir / "unlogged.db"
    bench.compare(f"household import ({n:,} rows) with the change log vs without",
                  [PYTHON, HERE / "import_log.py", "on", logged, roster],
                  [PYTHON, HERE / "import_log.py", "off", unlogged, roster], 0.85, floor_name="no log", rows=n,
                  runs=bench.import_runs, before_candidate=fresh_copy(logged), before_floor=fresh_copy(unlogged))
    log_bytes = run_sql_size(logged)
    bench.figure("change log after the import", f"{log_bytes:,} bytes in log_entries and log_changes", True)

    db = bench.households_db()
    building = str(max(1, n // 100 // 2))
    bench.command(f"household list --building {building}", bench.redprop(db, "household", "list", "--building", building))
    bench.command(f"household show {building}-1-301", bench.redprop(db, "household", "show", f"{building}-1-301"))
    bench.command("household list (first 50)", bench.redprop(db, "household", "list"))
    bench.peak_memory("household list -f csv (every household)", bench.redprop(db, "household", "list", "-f", "csv"),
                      LISTING_MEMORY_MB)


@section("visits")
def visits_section(bench: Bench) -> None:
    """`visit due`, `visit log` and `visit list` with 20,000 households in focus groups and 1,000,000 visits."""
    db, _ = bench.district_db()
    bench.command("visit due", bench.redprop(db, "visit", "due"))
    done = subprocess.run([str(c) for c in bench.redprop(db, "visit", "due", "--format", "json")], env=bench.env,
                          stdout=subprocess.PIPE, check=True)
    print(f"    ({len(json.loads(done.stdout)):,} households listed by visit due)", flush=True)
    bench.command("visit log", bench.redprop(db, "visit", "log", "1-1-101", "--by", "楼长1", "--outcome", "well"))
    bench.command("visit list (newest 50)", bench.redprop(db, "visit", "list"))
    bench.peak_memory("visit list -f json (every visit)", bench.redprop(db, "visit", "list", "-f", "json"),
                      LISTING_MEMORY_MB)


@section("issues")
def issues_section(bench: Bench) -> None:
    """1,000,000 issues over three years: the import, the morning list, single-issue commands,
    the filtered listings beside `issue show`."""
    count = bench.households * 10
    db, run = bench.district_db()
    bench.figure(f"issue import ({count:,} rows)",
                 f"{count / run.wall:,.0f} rows/s ({run.wall:.1f} s, {run.cpu:.1f} s CPU) (target >= 20,000 rows/s)",
                 count / run.wall >= 20_000)
    bench.figure(f"issue import ({count:,} rows) peak memory", f"{run.peak_mb:,.0f} MB (target < {IMPORT_MEMORY_MB} MB)",
                 run.peak_mb < IMPORT_MEMORY_MB)
    conn = sqlite3.connect(db)
    unfinished = str(conn.execute("SELECT id FROM issues WHERE resolved_at IS NULL ORDER BY id LIMIT 1").fetchone()[0])
    grid = conn.execute("SELECT grid FROM households WHERE grid IS NOT NULL LIMIT 1 OFFSET 500").fetchone()[0]
    conn.close()

    bench.command("overdue", bench.redprop(db, "overdue"))
    some = str(count // 2)
    bench.command(f"issue show {some}", bench.redprop(db, "issue", "show", some))
    bench.command(f"issue note {unfinished}", bench.redprop(db, "issue", "note", unfinished, "已电话联系居民"))
    bench.command(f"issue assign {unfinished}", bench.redprop(db, "issue", "assign", unfinished, "--to", "楼长1"))
    bench.command("issue open", bench.redprop(db, "issue", "open", "--kind", "problem", "--category", "parking",
                                              "--channel", "patrol", "--place", "1栋消防通道", "--title", "乱停车堵住消防通道"))
    week_ago = (bench.now - timedelta(days=7)).date().isoformat()
    filters = {
        "--handler 楼长5 --status all": ["--handler", "楼长5", "--status", "all"],
        "--category parking --status all": ["--category", "parking", "--status", "all"],
        "--channel hotline --status all": ["--channel", "hotline", "--status", "all"],
        f"--grid {grid} --status all": ["--grid", grid, "--status", "all"],
        "--building 7 --status all": ["--building", "7", "--status", "all"],
        "--status resolved": ["--status", "resolved"],
        f"--from {week_ago} --status all": ["--from", week_ago, "--status", "all"],
        "(open, default)": [],
    }
    for name, args in filters.items():
        bench.compare(f"issue list {name}", bench.redprop(db, "issue", "list", *args),
                      bench.redprop(db, "issue", "show", some), 1.3, floor_name="issue show")
    bench.command("issue list --status all (newest 50)", bench.redprop(db, "issue", "list", "--status", "all"))
    bench.command("log (newest 50)", bench.redprop(db, "log"))
    bench.peak_memory(f"issue list --status all -f json (all {count:,})",
                      bench.redprop(db, "issue", "list", "--status", "all", "-f", "json"), LISTING_MEMORY_MB)
    bench.peak_memory("log -f json", bench.redprop(db, "log", "-f", "json"), LISTING_MEMORY_MB)


@section("reports")
def reports_section(bench: Bench) -> None:
    """`stats`, the monthly report and a month's problem ledger on the district, beside the bare
    Typer app. Figures as of an hour after the newest issue (the data is generated relative to the
    day it was built), periods counted back from then."""
    db, _ = bench.district_db()
    conn = sqlite3.connect(db)
    newest = conn.execute("SELECT max(reported_at) FROM issues").fetchone()[0]
    conn.close()
    end = datetime.fromisoformat(newest).astimezone(bench.now.tzinfo) + timedelta(hours=1)
    at, day = end.strftime("%Y-%m-%d %H:%M"), end.date()
    year_ago = day.replace(year=day.year - 1).isoformat()
    last_month_end = day.replace(day=1) - timedelta(days=1)
    month = last_month_end.strftime("%Y-%m")
    runs = max(3, bench.runs // 2)
    checks = [
        ("stats over the last year", ["stats", "--from", year_ago, "--to", day.isoformat(), "--at", at], 3.0),
        ("stats over the whole history", ["stats", "--at", at], 6.0),
        ("stats over the last year --by category", ["stats", "--from", year_ago, "--to", day.isoformat(), "--at", at,
                                                    "--by", "category"], 3.0),
        (f"report month --month {month} -f json", ["report", "month", "--month", month, "--at", at, "-f", "json"], 3.0),
        (f"report month --month {month} -o report.html", ["report", "month", "--month", month, "--at", at,
                                                          "-o", bench.workdir / "report.html"], 10.0),
        (f"ledger problems ({month}) -o problems.xlsx", ["ledger", "problems", "--from", f"{month}-01", "--to",
                                                         last_month_end.isoformat(), "--at", at,
                                                         "-o", bench.workdir / "problems.xlsx"], 10.0),
    ]
    for name, args, target in checks:
        bench.compare(name, bench.redprop(db, *args), BARE, target, floor_name="bare Typer app", runs=runs)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=sorted(SECTIONS), help="Run only this section (repeatable).")
    parser.add_argument("--households", type=int, default=100_000, help="Households in the roster (default 100,000).")
    parser.add_argument("--runs", type=int, default=11, help="Timed rounds of each command (default 11).")
    parser.add_argument("--import-runs", type=int, default=5, help="Timed rounds of each bulk import (default 5).")
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
