"""A district for the benchmarks and the query-plan test: households with their residents, focus
groups, a building leader per building, visits and issues, all in one database.

    build_district(folder, households=100_000, now=now, redprop=run)   # folder/district.db, folder/care.db

The roster and the issues go in through redprop itself (`household import`, `issue import`, run
by the caller's `redprop(db, *args)`: the installed command for the benchmark, the CLI runner for
the test), so their rows and indexes are what an office's file holds. Residents, staff,
memberships and visits go in through SQL (executemany), in the shapes the CLI writes (UTC ISO
instants, slugs, address keys) and through redprop's own triggers: generating a million visits
through the CLI would time the generator. Nothing here runs ANALYZE: the file is as redprop
leaves it. Deterministic for a given seed and `now`.
"""

import random
import shutil
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from issues_csv import write_issues
from roster_csv import write_roster

GROUPS = ["elderly_alone", "empty_nest", "retired", "hardship", "disabled", "new_arrival", "newly_unemployed",
          "hospitalised", "left_behind_child", "correction", "petitioner", "mental_illness_risk"]
OUTCOMES = ["well"] * 86 + ["not_home"] * 10 + ["needs_help"] * 3 + ["refused"]
TYPED_DAYS = 30  # the last month of visits is typed in one by one, each logged (older ones came in bulk)
RELATIONS = ["户主", "配偶", "子女", "父母", "孙子女", "其他"]
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def district_sizes(households: int) -> dict:
    """A district's proportions: a fifth of households in focus groups, ten visits and ten issues
    per household (100,000 households: 20,000 members, a million visits, a million issues)."""
    return {"households": households, "members": households // 5, "visits": households * 10,
            "issues": households * 10}


def build_district(folder: Path, *, households: int, now: datetime, redprop: Callable[..., None]) -> dict:
    """folder/care.db (households, residents, staff, focus groups, visits) and folder/district.db
    (the same with the issues imported), from folder/households.csv and folder/issues.csv (left
    there for the imports to be timed again); returns the counts of rows."""
    sizes = district_sizes(households)
    care, district = folder / "care.db", folder / "district.db"
    for db in (care, district):
        remove_database(db)
    roster = write_roster(folder / "households.csv", households)
    redprop(care, "init", "--community", "基准小区")
    redprop(care, "household", "import", roster)
    counts = build_care(care, now=now, members=sizes["members"], visits=sizes["visits"])
    issues = write_issues(folder / "issues.csv", sizes["issues"], households, now)
    shutil.copyfile(care, district)
    redprop(district, "issue", "import", issues)
    conn = sqlite3.connect(district)
    counts["issues"] = conn.execute("SELECT count(*) FROM issues").fetchone()[0]
    conn.close()
    return counts


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def add_residents(conn: sqlite3.Connection, rng: random.Random, stamp: str) -> None:
    """One to four residents per household, the first its head."""
    rows = []
    for household_id, head in conn.execute("SELECT id, head FROM households ORDER BY id").fetchall():
        for n in range(rng.randint(1, 4)):
            name = head if n == 0 else head[0] + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2))) + str(n)
            rows.append((household_id, name, RELATIONS[min(n, len(RELATIONS) - 1)], rng.randint(1935, 2020),
                         f"1{rng.randrange(3, 10)}{rng.randrange(10**9):09d}" if rng.random() < 0.6 else None,
                         stamp, stamp))
    conn.executemany("INSERT OR IGNORE INTO residents (household_id, name, relation, birth_year, phone, created_at,"
                     " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def build_care(path, *, now: datetime, members: int = 20_000, visits: int = 1_000_000, seed: int = 7) -> dict:
    """Residents, a building leader per building, `members` households in focus groups (a third
    of them through one resident) and `visits` visits over half a year, into a database that
    has its households.

    Nine in ten visits go to member households every few days, so that — as in a
    community that keeps its rounds — only a few percent are due at `now`. Those of the last
    month are typed in (see `type_in`), so the change log is a month of work deep.
    """
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN IMMEDIATE")
    stamp = iso(now)
    ids = [r[0] for r in conn.execute("SELECT id FROM households ORDER BY id")]
    add_residents(conn, rng, stamp)
    buildings = sorted({r[0] for r in conn.execute("SELECT DISTINCT building FROM households")}, key=int)
    staff_rows = [(f"楼长{b}", "building_leader", stamp, stamp) for b in buildings]
    conn.executemany("INSERT INTO staff (name, role, created_at, updated_at) VALUES (?, ?, ?, ?)", staff_rows)
    staff_ids = {name: i for i, name in conn.execute("SELECT id, name FROM staff")}
    conn.executemany("INSERT INTO staff_areas (staff_id, area) VALUES (?, ?)",
                     [(staff_ids[f"楼长{b}"], b) for b in buildings])
    member_ids = rng.sample(ids, members)
    start = now - timedelta(days=180)
    first_resident = dict(conn.execute("SELECT household_id, min(id) FROM residents GROUP BY household_id"))
    conn.executemany(
        "INSERT INTO memberships (household_id, resident_id, group_code, since, recorded_at) VALUES (?, ?, ?, ?, ?)",
        [(h, first_resident.get(h) if rng.random() < 0.33 else None, rng.choice(GROUPS),
          (start - timedelta(days=rng.randint(0, 400))).date().isoformat(), stamp) for h in member_ids],
    )
    staff_list = list(staff_ids.values())
    member_visits = visits * 9 // 10
    per_member = member_visits // members
    batch = []

    def flush():
        conn.executemany(
            "INSERT INTO visits (household_id, staff_id, at, recorded_at, kind, outcome) VALUES (?, ?, ?, ?, ?, ?)",
            batch,
        )
        batch.clear()

    span = (now - start).total_seconds()
    typed_since = now - timedelta(days=TYPED_DAYS)
    typed = []
    for h in member_ids:
        lag = rng.random() < 0.04  # a few households the rounds have missed lately
        for i in range(per_member):
            moment = start + timedelta(seconds=span * (i + rng.random()) / per_member)
            if lag and moment > now - timedelta(days=9):
                continue
            visit = (h, rng.choice(staff_list), iso(moment), stamp, "visit", rng.choice(OUTCOMES))
            (typed if moment > typed_since else batch).append(visit)
        if len(batch) > 50_000:
            flush()
    for _ in range(visits - member_visits):
        moment = start + timedelta(seconds=rng.random() * span)
        batch.append((rng.choice(ids), rng.choice(staff_list), iso(moment), stamp, "round", "well"))
        if len(batch) > 50_000:
            flush()
    flush()
    type_in(conn, sorted(typed, key=lambda v: v[2]))
    conn.execute("COMMIT")
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("households", "residents", "memberships", "visits")}
    conn.close()
    return counts


def type_in(conn: sqlite3.Connection, visits: list[tuple]) -> None:
    """Visits as workers log them, one command each: an entry of the change log per visit, its
    changes (the visit, the contact columns of its household's memberships) written by redprop's
    own triggers — so the log holds what a month of typing leaves in it."""
    keys = dict(conn.execute("SELECT id, key FROM households"))
    names = {i: name for i, name in conn.execute("SELECT id, name FROM staff")}
    for household, staff, at, _, kind, outcome in visits:
        entry = conn.execute("INSERT INTO log_entries (at, user, command) VALUES (?, ?, ?)",
                             (at, names[staff], f"redprop visit log {keys[household]} --by {names[staff]} --outcome {outcome}")).lastrowid
        conn.execute("UPDATE log_state SET entry_id = ?, bulk = 0", (entry,))
        conn.execute("INSERT INTO visits (household_id, staff_id, at, recorded_at, kind, outcome) VALUES (?, ?, ?, ?, ?, ?)",
                     (household, staff, at, at, kind, outcome))
    conn.execute("UPDATE log_state SET entry_id = NULL, bulk = 0")


def add_building_leaders(path, now: datetime) -> None:
    """A building leader `楼长N` covering each building, as the issue export names its handlers."""
    conn = sqlite3.connect(path, isolation_level=None)
    stamp = iso(now)
    conn.execute("BEGIN IMMEDIATE")
    buildings = [r[0] for r in conn.execute("SELECT DISTINCT building FROM households")]
    conn.executemany("INSERT OR IGNORE INTO staff (name, role, created_at, updated_at) VALUES (?, 'building_leader', ?, ?)",
                     [(f"楼长{b}", stamp, stamp) for b in buildings])
    conn.execute("INSERT OR IGNORE INTO staff_areas (staff_id, area) SELECT id, substr(name, 3) FROM staff WHERE name LIKE '楼长%'")
    conn.execute("COMMIT")
    conn.close()
