"""`stats` and the weekly/monthly report at district scale, in CPU time, beside the bare Typer app.

    python benchmarks/report.py                       # build the district, time everything
    python benchmarks/report.py --workdir /tmp/district --runs 7   # keep (and reuse) the data

A district here is 100,000 households, 20,000 of them in focus groups, 1,000,000 visits over
half a year and 1,000,000 issues over three years (`--issues-years 1`: all in the last year).
Each command runs in its own process, stdout to a pipe, alternating with the floor (the bare
Typer app of benchmarks/bare_typer_app.py printing its three-row Rich table); the figure is
the median CPU time (user + system) of the child over `--runs` runs, as a ratio to the
floor's median in the same run. Targets (issues 10 and 13):

    stats over the last year           <= 3x     report month -f json        <= 3x
    stats over the whole history       <= 6x     report month -o FILE.html   <= 10x

Exit status 1 if a target is missed. Not part of the test suite.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from bench import PYTHON, Bench, fresh_database, run_command  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")


def cpu_seconds(cmd: list, env: dict) -> float:
    """User + system CPU seconds of one run of `cmd` (its own process, output to pipes)."""
    process = subprocess.Popen([str(c) for c in cmd], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    error = process.stderr.read()
    process.stderr.close()
    if process.returncode != 0:
        sys.exit(f"benchmark command failed ({process.returncode}): {' '.join(map(str, cmd))}\n"
                 f"{error.decode(errors='replace')}")
    return usage.ru_utime + usage.ru_stime


def district_db(bench: Bench, now: datetime) -> Path:
    """Households, focus groups and visits, then a million issues: built once per workdir."""
    from district import add_building_leaders, build_care
    from issues_csv import write_issues

    db = bench.workdir / f"district_{bench.households}_{bench.issue_years}y.db"
    if db.exists():
        return db
    building = db.with_suffix(".building")
    fresh_database(building)
    shutil.copyfile(bench.households_db(), building)
    started = time.perf_counter()
    members, visits = min(20_000, bench.households // 5), bench.households * 10
    build_care(building, now=now, members=members, visits=visits)
    add_building_leaders(building, now)
    count = bench.households * 10
    csv_path = write_issues(bench.workdir / f"issues_{count}_{bench.issue_years}y.csv", count, bench.households, now,
                            years=bench.issue_years)
    run_command(bench.redprop(building, "issue", "import", csv_path), bench.env)
    building.rename(db)
    print(f"district: {bench.households:,} households, {members:,} in focus groups, {visits:,} visits, "
          f"{count:,} issues over {bench.issue_years} years (built in {time.perf_counter() - started:.0f} s)", flush=True)
    return db


def compare(bench: Bench, name: str, candidate: list, floor: list, target: float, runs: int) -> bool:
    cpu_seconds(candidate, bench.env)  # warm the page cache and the bytecode
    cpu_seconds(floor, bench.env)
    timings = {"candidate": [], "floor": []}
    for i in range(runs):
        for which in (("candidate", "floor") if i % 2 == 0 else ("floor", "candidate")):
            timings[which].append(cpu_seconds(candidate if which == "candidate" else floor, bench.env))
    mine, base = statistics.median(timings["candidate"]), statistics.median(timings["floor"])
    ratio = mine / base
    met = ratio <= target
    print(f"  {name}: {mine * 1000:.0f} ms CPU vs floor {base * 1000:.0f} ms = {ratio:.2f}x "
          f"(target <= {target:g}x) {'ok' if met else 'MISSED'}", flush=True)
    return met


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=100_000, help="Households (default 100,000; issues x10).")
    parser.add_argument("--runs", type=int, default=7, help="Timed runs of each command (default 7).")
    parser.add_argument("--issues-years", type=int, default=3, help="Years the generated issues span (default 3).")
    parser.add_argument("--workdir", type=Path, help="Keep the generated data here and reuse it (default: a temporary folder).")
    args = parser.parse_args(argv)
    temporary = None
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        workdir = args.workdir
    else:
        temporary = tempfile.TemporaryDirectory(prefix="redprop-report-")
        workdir = Path(temporary.name)
    import compileall

    compileall.compile_dir(REPO / "redprop", quiet=1)
    bench = Bench(workdir, args.households, args.runs, 1, args.issues_years)
    # The district is generated relative to the day it is built: reuse keeps that day's data,
    # so the periods are measured from the newest issue, not from today.
    now = datetime.now(TZ).replace(microsecond=0)
    try:
        db = district_db(bench, now)
        import sqlite3

        conn = sqlite3.connect(db)
        newest = conn.execute("SELECT max(reported_at) FROM issues").fetchone()[0]
        conn.close()
        end = datetime.fromisoformat(newest).astimezone(TZ) + timedelta(hours=1)
        at = end.strftime("%Y-%m-%d %H:%M")
        year_ago = end.date().replace(year=end.year - 1).isoformat()
        month = (end.date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
        floor = [PYTHON, HERE / "bare_typer_app.py"]
        html = workdir / "report.html"
        checks = [
            ("stats over the last year", ["stats", "--from", year_ago, "--to", end.date().isoformat(), "--at", at,
                                          "-f", "json"], 3),
            ("stats over the last year --by category", ["stats", "--from", year_ago, "--to", end.date().isoformat(),
                                                        "--at", at, "--by", "category", "-f", "json"], 3),
            ("stats over the whole history", ["stats", "--at", at, "-f", "json"], 6),
            (f"report month --month {month} -f json", ["report", "month", "--month", month, "--at", at, "-f", "json"], 3),
            (f"report month --month {month} -o report.html", ["report", "month", "--month", month, "--at", at,
                                                              "-o", html], 10),
        ]
        print(f"python {sys.version.split()[0]}; figures as of {at}; CPU time, medians of {args.runs} paired runs",
              flush=True)
        met = [compare(bench, name, bench.redprop(db, *cmd), floor, target, args.runs) for name, cmd, target in checks]
    finally:
        if temporary:
            temporary.cleanup()
    print(f"\n{sum(met)} of {len(met)} targets met")
    return 0 if all(met) else 1


if __name__ == "__main__":
    sys.exit(main())
