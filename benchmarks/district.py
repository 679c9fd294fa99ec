"""District-scale data for the benchmarks, written straight into a redprop database.

Rows go in through SQL (executemany) rather than the CLI: the benchmarks time the
commands a worker types against this data, not the generator. The shapes are those the
CLI writes (UTC ISO instants, slugs, address keys). Deterministic for a given seed.
"""

import random
import sqlite3
from datetime import datetime, timedelta, timezone

GROUPS = ["elderly_alone", "empty_nest", "retired", "hardship", "disabled", "new_arrival", "newly_unemployed",
          "hospitalised", "left_behind_child", "correction", "petitioner", "mental_illness_risk"]
OUTCOMES = ["well"] * 86 + ["not_home"] * 10 + ["needs_help"] * 3 + ["refused"]


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def ensure_households(conn: sqlite3.Connection, count: int, rng: random.Random, stamp: str) -> list[int]:
    """Household ids, creating `count` households (100 per building, 2 units) if the table is empty."""
    ids = [r[0] for r in conn.execute("SELECT id FROM households ORDER BY id")]
    if ids:
        return ids
    rows = []
    for n in range(count):
        building, rest = divmod(n, 100)
        unit, room = divmod(rest, 50)
        floor, door = divmod(room, 4)
        b, u, r = str(building + 1), str(unit + 1), str((floor + 1) * 100 + door + 1)
        rows.append((f"{b}-{u}-{r}", b, u, r, f"户主{n}", f"1{rng.randrange(3, 10)}{rng.randrange(10**9):09d}",
                     f"G{building // 3 + 1:04d}", rng.randint(1, 5), "2015-06-01", stamp, stamp))
    conn.executemany(
        "INSERT INTO households (key, building, unit, room, head, phone, grid, members, moved_in_on, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return [r[0] for r in conn.execute("SELECT id FROM households ORDER BY id")]


def build_care(path, *, now: datetime, households: int = 100_000, members: int = 20_000,
               visits: int = 1_000_000, seed: int = 7) -> dict:
    """Staff per building, `members` households in focus groups, `visits` visits over half a year.

    Nine in ten visits go to member households every few days, so that — as in a
    community that keeps its rounds — only a few percent are due at `now`.
    """
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN IMMEDIATE")
    stamp = iso(now)
    ids = ensure_households(conn, households, rng, stamp)
    buildings = sorted({r[0] for r in conn.execute("SELECT DISTINCT building FROM households")}, key=int)
    staff_rows = [(f"楼长{b}", "building_leader", stamp, stamp) for b in buildings]
    conn.executemany("INSERT INTO staff (name, role, created_at, updated_at) VALUES (?, ?, ?, ?)", staff_rows)
    staff_ids = {name: i for i, name in conn.execute("SELECT id, name FROM staff")}
    conn.executemany("INSERT INTO staff_areas (staff_id, area) VALUES (?, ?)",
                     [(staff_ids[f"楼长{b}"], b) for b in buildings])
    member_ids = rng.sample(ids, members)
    start = now - timedelta(days=180)
    conn.executemany(
        "INSERT INTO memberships (household_id, group_code, since, recorded_at) VALUES (?, ?, ?, ?)",
        [(h, rng.choice(GROUPS), (start - timedelta(days=rng.randint(0, 400))).date().isoformat(), stamp)
         for h in member_ids],
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
    for h in member_ids:
        lag = rng.random() < 0.04  # a few households the rounds have missed lately
        for i in range(per_member):
            moment = start + timedelta(seconds=span * (i + rng.random()) / per_member)
            if lag and moment > now - timedelta(days=9):
                continue
            batch.append((h, rng.choice(staff_list), iso(moment), stamp, "visit", rng.choice(OUTCOMES)))
        if len(batch) > 50_000:
            flush()
    for _ in range(visits - member_visits):
        moment = start + timedelta(seconds=rng.random() * span)
        batch.append((rng.choice(ids), rng.choice(staff_list), iso(moment), stamp, "round", "well"))
        if len(batch) > 50_000:
            flush()
    flush()
    conn.execute("COMMIT")
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("households", "memberships", "visits")}
    conn.execute("ANALYZE")
    conn.close()
    return counts


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
