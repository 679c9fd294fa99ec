"""The 问题清单 of one month at district scale, written as an Excel workbook, beside the bare Typer app.

    python benchmarks/ledger.py                          # builds the district in a temporary folder
    python benchmarks/ledger.py --workdir ~/bench-data   # builds it there once, reuses it after
    python benchmarks/ledger.py --prepare                # only build the data

The district is bench.py's: 100,000 households imported from the generated roster and
1,000,000 issues over three years imported from the generated hotline export (about
28,000 in a month, 85% of them problems). Each command runs in its own process, as a
worker's would; the figure is the ratio of CPU time (user + system of the child process)
of `ledger problems --from M-01 --to M-end -o x.xlsx` to that of the bare Typer app
printing its three-row table, measured in the same run, alternating the two: these
machines are noisy, so ratios, not seconds. Target: within 10×. Exit status 1 if missed.
"""

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench import PYTHON, REPO, Bench, fresh_database, run_command  # noqa: E402

TARGET = 10.0


def district(bench: Bench) -> Path:
    """issues.db under the workdir: households imported, building leaders, a million issues (made once)."""
    from district import add_building_leaders
    from issues_csv import write_issues

    db = bench.workdir / "ledger-district.db"
    if db.exists():
        return db
    count = bench.households * 10
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    started = time.perf_counter()
    csv_path = write_issues(bench.workdir / f"issues_{count}_{bench.issue_years}y.csv", count, bench.households, now,
                            years=bench.issue_years)
    building = bench.workdir / "ledger-district.building.db"
    fresh_database(building)
    shutil.copyfile(bench.households_db(), building)
    add_building_leaders(building, now)
    run_command(bench.redprop(building, "issue", "import", csv_path), bench.env)
    building.rename(db)
    print(f"district built in {time.perf_counter() - started:.0f} s: {db}", flush=True)
    return db


def cpu_seconds(cmd: list, env: dict) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one command in its own process; a failure stops the benchmark."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([str(c) for c in cmd], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"benchmark command failed ({done.returncode}): {' '.join(map(str, cmd))}\n"
                 f"{done.stderr.decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def last_month(today: date) -> tuple[date, date]:
    first_of_this = today.replace(day=1)
    last = first_of_this - timedelta(days=1)
    return last.replace(day=1), last


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=100_000, help="Households (default 100,000; issues: ten each).")
    parser.add_argument("--runs", type=int, default=7, help="Timed runs of each command (default 7).")
    parser.add_argument("--workdir", type=Path, help="Keep the generated data here and reuse it (default: a temporary folder).")
    parser.add_argument("--prepare", action="store_true", help="Only build the data.")
    args = parser.parse_args(argv)
    temporary = None
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        workdir = args.workdir
    else:
        temporary = tempfile.TemporaryDirectory(prefix="redprop-ledger-bench-")
        workdir = Path(temporary.name)
    import compileall

    compileall.compile_dir(REPO / "redprop", quiet=1)
    try:
        bench = Bench(workdir, args.households, args.runs, 1)
        db = district(bench)
        if args.prepare:
            return 0
        first, last = last_month(date.today())
        out = workdir / "problems.xlsx"
        candidate = bench.redprop(db, "ledger", "problems", "--from", first.isoformat(), "--to", last.isoformat(), "-o", out)
        floor = [PYTHON, HERE / "bare_typer_app.py"]
        timings: dict[str, list[tuple[float, float]]] = {"candidate": [], "floor": []}
        commands = {"candidate": candidate, "floor": floor}
        for which in ("candidate", "floor"):  # warm-up
            cpu_seconds(commands[which], bench.env)
        for i in range(args.runs):
            for which in (("candidate", "floor") if i % 2 == 0 else ("floor", "candidate")):
                timings[which].append(cpu_seconds(commands[which], bench.env))
        rows = _rows_in(out)
        cpu = {k: statistics.median(t[0] for t in v) for k, v in timings.items()}
        wall = {k: statistics.median(t[1] for t in v) for k, v in timings.items()}
        ratio = cpu["candidate"] / cpu["floor"]
        met = ratio <= TARGET
        print(f"ledger problems {first:%Y-%m} -o xlsx ({rows:,} rows, {out.stat().st_size / 1e6:.1f} MB): "
              f"CPU {cpu['candidate'] * 1000:.0f} ms vs bare Typer app {cpu['floor'] * 1000:.0f} ms = {ratio:.1f}x "
              f"(target <= {TARGET:.0f}x) {'ok' if met else 'MISSED'}; wall {wall['candidate'] * 1000:.0f} ms vs "
              f"{wall['floor'] * 1000:.0f} ms = {wall['candidate'] / wall['floor']:.1f}x", flush=True)
        return 0 if met else 1
    finally:
        if temporary:
            temporary.cleanup()


def _rows_in(path: Path) -> int:
    """Records in a ledger workbook: its rows less the title, the period line, the header and the footer."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        sheet = book.worksheets[0]
        return sum(1 for row in sheet.iter_rows(min_row=4, max_col=1, values_only=True) if isinstance(row[0], int))
    finally:
        book.close()


if __name__ == "__main__":
    os.environ.pop("REDPROP_DB", None)
    sys.exit(main())
