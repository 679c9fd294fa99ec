"""The schema, as an append-only list of migrations.

`PRAGMA user_version` counts the migrations applied. Every command that opens the database
applies the pending ones first, in one transaction; a database from a newer redprop (a
higher version than this list knows) is refused rather than guessed at. Once released, a
migration is never edited: change the schema by appending `m00N_what_it_does`.
"""

import sqlite3

from redprop.errors import DatabaseError


def _run(conn: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT our transaction first; run the statements one by one.
    for statement in script.split(";\n"):
        if statement.strip():
            conn.execute(statement)


def m001_households_residents_staff(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE grids (
            code TEXT PRIMARY KEY CHECK (code <> ''),
            name TEXT,
            building TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE households (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,            -- address key: 8-2-301, or 8-301 without units
            building TEXT NOT NULL CHECK (building <> ''),
            unit TEXT NOT NULL DEFAULT '',       -- '' where the building has no units
            room TEXT NOT NULL CHECK (room <> ''),
            head TEXT,
            phone TEXT,
            grid TEXT,
            members INTEGER CHECK (members IS NULL OR members >= 0),
            moved_in_on TEXT,                    -- local dates, YYYY-MM-DD
            moved_out_on TEXT,
            note TEXT,
            created_at TEXT NOT NULL,            -- instants: ISO 8601 UTC
            updated_at TEXT NOT NULL,
            CHECK (moved_out_on IS NULL OR moved_in_on IS NULL OR moved_out_on >= moved_in_on)
        );
        CREATE INDEX households_building ON households (building, unit, room);
        CREATE INDEX households_grid ON households (grid);
        CREATE TABLE residents (
            id INTEGER PRIMARY KEY,
            household_id INTEGER NOT NULL REFERENCES households (id),
            name TEXT NOT NULL CHECK (name <> ''),
            relation TEXT,
            birth_year INTEGER CHECK (birth_year IS NULL OR birth_year BETWEEN 1890 AND 2200),
            phone TEXT,
            moved_out_on TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (household_id, name)
        );
        CREATE TABLE staff (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE CHECK (name <> ''),
            role TEXT NOT NULL,
            phone TEXT,
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE staff_areas (
            staff_id INTEGER NOT NULL REFERENCES staff (id),
            area TEXT NOT NULL,                  -- a building ('8') or a grid point ('G07')
            PRIMARY KEY (staff_id, area)
        ) WITHOUT ROWID;
        CREATE INDEX staff_areas_area ON staff_areas (area)
        """,
    )


FOCUS_GROUPS = [
    # slug, 中文, English, duty (visit = 六访, ask = 五问, care = others), default length in days, sensitive
    ("new_arrival", "新迁入家庭", "Newly moved-in family", "visit", 90, 0),
    ("misfortune", "重大变故家庭", "Family hit by a major misfortune", "visit", None, 0),
    ("petitioner", "上访群众家庭", "Family of a petitioner", "visit", None, 1),
    ("newly_unemployed", "新近失业居民", "Newly unemployed resident", "visit", 180, 0),
    ("hospitalised", "生病住院居民", "Ill or in hospital", "visit", None, 0),
    ("mental_illness_risk", "易肇事肇祸精神病人家庭", "Family with a mentally ill member at risk", "visit", None, 1),
    ("hardship", "困难居民", "Resident in hardship", "ask", None, 0),
    ("elderly_alone", "独居老人", "Elderly living alone", "ask", None, 0),
    ("unemployed", "失业人员", "Unemployed", "ask", None, 0),
    ("retired", "退休人员", "Retired", "ask", None, 0),
    ("correction", "矫正人员", "Under community correction", "ask", None, 1),
    ("empty_nest", "空巢老人", "Empty-nest elderly", "care", None, 0),
    ("left_behind_child", "留守儿童", "Left-behind child", "care", None, 0),
    ("disabled", "残疾人", "Person with a disability", "care", None, 0),
]


def m002_focus_groups_and_visits(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE focus_groups (
            code TEXT PRIMARY KEY CHECK (code <> ''),
            zh TEXT NOT NULL UNIQUE,
            en TEXT NOT NULL UNIQUE,
            duty TEXT NOT NULL DEFAULT 'care' CHECK (duty IN ('visit', 'ask', 'care')),
            cadence_days INTEGER NOT NULL CHECK (cadence_days > 0),
            default_days INTEGER CHECK (default_days IS NULL OR default_days > 0),
            sensitive INTEGER NOT NULL DEFAULT 0 CHECK (sensitive IN (0, 1))
        );
        CREATE TABLE memberships (
            id INTEGER PRIMARY KEY,
            household_id INTEGER NOT NULL REFERENCES households (id),
            resident_id INTEGER REFERENCES residents (id),   -- NULL: the whole household
            group_code TEXT NOT NULL REFERENCES focus_groups (code) ON UPDATE CASCADE,
            since TEXT NOT NULL,                 -- first local day of membership
            until TEXT,                          -- first local day no longer a member; NULL: open
            left_reason TEXT,
            note TEXT,
            recorded_at TEXT NOT NULL,
            left_recorded_at TEXT,
            CHECK (until IS NULL OR until >= since)
        );
        CREATE INDEX memberships_household ON memberships (household_id, group_code);
        CREATE INDEX memberships_group ON memberships (group_code, since);
        CREATE TABLE visits (
            id INTEGER PRIMARY KEY,
            household_id INTEGER NOT NULL REFERENCES households (id),
            resident_id INTEGER REFERENCES residents (id),
            staff_id INTEGER REFERENCES staff (id),
            at TEXT NOT NULL,                    -- when it happened
            recorded_at TEXT NOT NULL,           -- when it was typed in
            kind TEXT NOT NULL,
            outcome TEXT NOT NULL,
            need TEXT,
            note TEXT
        );
        -- Both cover outcome: 'last seen' walks one household's visits backwards, and the due list
        -- scans the last few days of all visits, neither touching the table.
        CREATE INDEX visits_household_at ON visits (household_id, at, outcome);
        CREATE INDEX visits_at ON visits (at, household_id, outcome)
        """,
    )
    conn.executemany(
        "INSERT INTO focus_groups (code, zh, en, duty, default_days, sensitive, cadence_days)"
        " VALUES (?, ?, ?, ?, ?, ?, 7)",
        FOCUS_GROUPS,
    )


MIGRATIONS = [
    m001_households_residents_staff,
    m002_focus_groups_and_visits,
]


def migrate(conn: sqlite3.Connection, migrations=None) -> int:
    """Apply pending migrations; return the schema version now in force."""
    migrations = MIGRATIONS if migrations is None else migrations
    latest = len(migrations)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > latest:
        raise DatabaseError(
            f"this database was made by a newer redprop (schema {version}, this redprop knows {latest}); "
            "upgrade redprop to use it"
        )
    if version == latest:
        return version
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
        for number, migration in enumerate(migrations[version:], start=version + 1):
            migration(conn)
            conn.execute(f"PRAGMA user_version = {number}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return latest
