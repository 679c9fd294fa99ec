"""The schema on PostgreSQL: each migration's DDL as PostgreSQL says it, beside SQLite's in
store/migrations.py (the data a migration carries, its rows and its Python, is the same on
both engines and lives there only).

A migration names its DDL (`migrations.schema(conn, "m003_issues_and_policy", SQLITE_DDL)`);
the SQLite engine runs the text given, this engine the text of that name here. Written by
hand, never derived from SQLite's at run time. A community's schema reaches the same version
through the same list of migrations on either engine, so a copy between engines knows both
sides hold the same tables and columns.

What differs, and why:
- Text is `TEXT COLLATE "C"`: compared and sorted by code point, as SQLite does (instants sort
  as text; 赵 and 钱 sort alike on both engines; a server's locale cannot change an order).
- SQLite numbers the rows of most tables (its rowid: `id INTEGER PRIMARY KEY` is one). Here a
  table SQLite numbers has either its own integer key or a `rowid` column, numbered by a
  trigger as SQLite numbers them (the largest plus one: `Engine.settle_schema` makes these
  triggers), so that the change log keys a row by the same number on both engines, an undone
  insert's number is used again as on SQLite, and a bulk write's range of new rows is exact.
- SQLite's triggers are PL/pgSQL functions here; SQLite's tables without rowids are simply tables.
- `CAST(building AS INTEGER)` (a building's number, 0 for 'A') is `leading_number(building)`,
  which never fails on text that is not a number, as PostgreSQL's cast would.
- Expressions in an index are written in parentheses.
"""

# The functions a community's schema needs before its first table (created with the schema).
FUNCTIONS = """
CREATE FUNCTION leading_number(text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT coalesce(CAST(left(substring($1 FROM '^\\s*([+-]?[0-9]+)'), 10) AS bigint), 0)::integer $$;
"""

DDL = {}

DDL["m001_households_residents_staff"] = """
CREATE TABLE settings (
    key TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL,
    rowid INTEGER NOT NULL UNIQUE
);
CREATE TABLE grids (
    code TEXT COLLATE "C" PRIMARY KEY CHECK (code <> ''),
    name TEXT COLLATE "C",
    building TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    rowid INTEGER NOT NULL UNIQUE
);
CREATE TABLE households (
    id INTEGER PRIMARY KEY,
    key TEXT COLLATE "C" NOT NULL,
    building TEXT COLLATE "C" NOT NULL CHECK (building <> ''),
    unit TEXT COLLATE "C" NOT NULL DEFAULT '',
    room TEXT COLLATE "C" NOT NULL CHECK (room <> ''),
    head TEXT COLLATE "C",
    phone TEXT COLLATE "C",
    grid TEXT COLLATE "C",
    members INTEGER CHECK (members IS NULL OR members >= 0),
    moved_in_on TEXT COLLATE "C",
    moved_out_on TEXT COLLATE "C",
    note TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    CHECK (moved_out_on IS NULL OR moved_in_on IS NULL OR moved_out_on >= moved_in_on)
);
CREATE UNIQUE INDEX households_current_key ON households (key) WHERE moved_out_on IS NULL;
CREATE INDEX households_key ON households (key, id);
CREATE INDEX households_building ON households (building, unit, room);
CREATE INDEX households_grid ON households (grid);
CREATE TABLE residents (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    name TEXT COLLATE "C" NOT NULL CHECK (name <> ''),
    relation TEXT COLLATE "C",
    birth_year INTEGER CHECK (birth_year IS NULL OR birth_year BETWEEN 1890 AND 2200),
    phone TEXT COLLATE "C",
    moved_out_on TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    UNIQUE (household_id, name)
);
CREATE TABLE staff (
    id INTEGER PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL UNIQUE CHECK (name <> ''),
    role TEXT COLLATE "C" NOT NULL,
    phone TEXT COLLATE "C",
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
);
CREATE TABLE staff_areas (
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    area TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (staff_id, area)
);
CREATE INDEX staff_areas_area ON staff_areas (area);
"""

DDL["m002_focus_groups_and_visits"] = """
CREATE TABLE focus_groups (
    code TEXT COLLATE "C" PRIMARY KEY CHECK (code <> ''),
    zh TEXT COLLATE "C" NOT NULL UNIQUE,
    en TEXT COLLATE "C" NOT NULL UNIQUE,
    duty TEXT COLLATE "C" NOT NULL DEFAULT 'care' CHECK (duty IN ('visit', 'ask', 'care')),
    cadence_days INTEGER NOT NULL CHECK (cadence_days > 0),
    default_days INTEGER CHECK (default_days IS NULL OR default_days > 0),
    sensitive INTEGER NOT NULL DEFAULT 0 CHECK (sensitive IN (0, 1)),
    rowid INTEGER NOT NULL UNIQUE
);
CREATE TABLE memberships (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    resident_id INTEGER REFERENCES residents (id),
    group_code TEXT COLLATE "C" NOT NULL REFERENCES focus_groups (code) ON UPDATE CASCADE,
    since TEXT COLLATE "C" NOT NULL,
    until TEXT COLLATE "C",
    left_reason TEXT COLLATE "C",
    note TEXT COLLATE "C",
    recorded_at TEXT COLLATE "C" NOT NULL,
    left_recorded_at TEXT COLLATE "C",
    last_contact_at TEXT COLLATE "C",
    knocks INTEGER NOT NULL DEFAULT 0,
    CHECK (until IS NULL OR until >= since)
);
CREATE INDEX memberships_household ON memberships (household_id, group_code);
CREATE INDEX memberships_group ON memberships (group_code, since);
CREATE INDEX memberships_contact ON memberships (last_contact_at);
CREATE INDEX memberships_knocks ON memberships (knocks) WHERE knocks >= 3;
CREATE INDEX memberships_resident ON memberships (resident_id) WHERE resident_id IS NOT NULL;
CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    household_id INTEGER NOT NULL REFERENCES households (id),
    resident_id INTEGER REFERENCES residents (id),
    staff_id INTEGER REFERENCES staff (id),
    at TEXT COLLATE "C" NOT NULL,
    recorded_at TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    outcome TEXT COLLATE "C" NOT NULL,
    need TEXT COLLATE "C",
    note TEXT COLLATE "C"
);
CREATE INDEX visits_staff ON visits (staff_id, at);
"""
# (SQLite's first contact triggers and visit indexes of m002 were replaced by m004: here m004 makes them.)

DDL["m003_issues_and_policy"] = """
CREATE TABLE issue_categories (
    code TEXT COLLATE "C" PRIMARY KEY CHECK (code <> ''),
    zh TEXT COLLATE "C" NOT NULL UNIQUE,
    en TEXT COLLATE "C" NOT NULL UNIQUE,
    position INTEGER NOT NULL DEFAULT 0,
    rowid INTEGER NOT NULL UNIQUE
);
CREATE TABLE policies (
    id INTEGER PRIMARY KEY,
    effective_at TEXT COLLATE "C" NOT NULL,
    recorded_at TEXT COLLATE "C" NOT NULL,
    terms TEXT COLLATE "C" NOT NULL,
    note TEXT COLLATE "C"
);
CREATE INDEX policies_effective ON policies (effective_at);
CREATE TABLE issues (
    id INTEGER PRIMARY KEY,
    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('problem', 'wish')),
    category TEXT COLLATE "C" NOT NULL REFERENCES issue_categories (code) ON UPDATE CASCADE,
    channel TEXT COLLATE "C" NOT NULL,
    household_id INTEGER REFERENCES households (id),
    place TEXT COLLATE "C",
    building TEXT COLLATE "C",
    grid TEXT COLLATE "C",
    reporter TEXT COLLATE "C",
    title TEXT COLLATE "C" NOT NULL CHECK (title <> ''),
    description TEXT COLLATE "C",
    policy_id INTEGER REFERENCES policies (id),
    own_due_at TEXT COLLATE "C",
    reported_at TEXT COLLATE "C" NOT NULL,
    recorded_at TEXT COLLATE "C" NOT NULL,
    source TEXT COLLATE "C",
    source_key TEXT COLLATE "C",
    tier TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    handler_id INTEGER REFERENCES staff (id),
    assigned_at TEXT COLLATE "C",
    arrived_at TEXT COLLATE "C",
    planned_at TEXT COLLATE "C",
    resolved_at TEXT COLLATE "C",
    closed_at TEXT COLLATE "C",
    rating INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
    rated_at TEXT COLLATE "C",
    arrive_due TEXT COLLATE "C",
    resolve_due TEXT COLLATE "C",
    plan_due TEXT COLLATE "C",
    first_due_at TEXT COLLATE "C",
    last_step_at TEXT COLLATE "C" NOT NULL,
    replay INTEGER NOT NULL DEFAULT 0 CHECK (replay IN (0, 1)),
    imported_steps INTEGER NOT NULL DEFAULT 0 CHECK (imported_steps IN (0, 1)),
    open_long INTEGER NOT NULL DEFAULT 0 CHECK (open_long IN (0, 1)),
    CHECK (household_id IS NOT NULL OR place IS NOT NULL),
    CHECK (closed_at IS NULL OR resolved_at IS NOT NULL)
);
CREATE INDEX issues_resolved ON issues (resolved_at, reported_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX issues_open_long ON issues (reported_at) WHERE open_long = 1;
CREATE INDEX issues_replay ON issues (reported_at) WHERE replay = 1;
CREATE INDEX issues_reported ON issues (reported_at);
CREATE UNIQUE INDEX issues_source_key ON issues (source_key) WHERE source_key IS NOT NULL;
CREATE TABLE issue_steps (
    id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL REFERENCES issues (id),
    action TEXT COLLATE "C" NOT NULL,
    at TEXT COLLATE "C" NOT NULL,
    recorded_at TEXT COLLATE "C" NOT NULL,
    by_id INTEGER REFERENCES staff (id),
    staff_id INTEGER REFERENCES staff (id),
    value TEXT COLLATE "C",
    meeting_at TEXT COLLATE "C",
    decision TEXT COLLATE "C",
    note TEXT COLLATE "C"
);
CREATE INDEX issue_steps_issue ON issue_steps (issue_id, at);
"""
# (issues_unfinished and issues_household: as m004 and m005 left them, made there.)

_CONTACT = """
    UPDATE memberships SET (last_contact_at, knocks) = (
        SELECT c.last, (SELECT count(*) FROM visits v WHERE v.household_id = {household} AND v.voided_at IS NULL
                        AND v.at > COALESCE(c.last, ''))
        FROM (SELECT MAX(at) AS last FROM visits WHERE household_id = {household} AND voided_at IS NULL
              AND outcome IN ('well', 'needs_help', 'refused')) c)
    WHERE {which};
"""


def _contact_trigger(name: str, event: str, household: str, which: str) -> str:
    return (f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            f" {_CONTACT.format(household=household, which=which)} RETURN NULL; END $$;\n"
            f"CREATE TRIGGER {name} {event} FOR EACH ROW EXECUTE FUNCTION {name}();\n")


DDL["m004_change_log_and_voids"] = """
CREATE TABLE log_entries (
    id INTEGER PRIMARY KEY,
    at TEXT COLLATE "C" NOT NULL,
    "user" TEXT COLLATE "C" NOT NULL,
    command TEXT COLLATE "C" NOT NULL,
    file TEXT COLLATE "C",
    file_sha256 TEXT COLLATE "C",
    counts TEXT COLLATE "C",
    undoes INTEGER REFERENCES log_entries (id),
    undone_by INTEGER REFERENCES log_entries (id)
);
CREATE TABLE log_changes (
    id INTEGER PRIMARY KEY,
    entry_id INTEGER NOT NULL REFERENCES log_entries (id),
    tbl TEXT COLLATE "C" NOT NULL,
    row_key TEXT COLLATE "C" NOT NULL,
    op TEXT COLLATE "C" NOT NULL CHECK (op IN ('insert', 'update', 'delete', 'inserted')),
    before TEXT COLLATE "C",
    after TEXT COLLATE "C"
);
CREATE INDEX log_changes_entry ON log_changes (entry_id);
CREATE INDEX log_changes_row ON log_changes (tbl, row_key);
CREATE TABLE log_state (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    entry_id INTEGER,
    bulk INTEGER NOT NULL DEFAULT 0
);
INSERT INTO log_state (one, entry_id, bulk) VALUES (1, NULL, 0);

ALTER TABLE visits ADD COLUMN voided_at TEXT COLLATE "C";
ALTER TABLE visits ADD COLUMN voided_by TEXT COLLATE "C";
ALTER TABLE visits ADD COLUMN void_reason TEXT COLLATE "C";
CREATE INDEX visits_household_at ON visits (household_id, at, outcome) WHERE voided_at IS NULL;
CREATE INDEX visits_at ON visits (at, household_id, outcome) WHERE voided_at IS NULL;
CREATE INDEX visits_voided ON visits (voided_at) WHERE voided_at IS NOT NULL;

ALTER TABLE issues ADD COLUMN voided_at TEXT COLLATE "C";
ALTER TABLE issues ADD COLUMN duplicate_of INTEGER REFERENCES issues (id);
CREATE INDEX issues_unfinished ON issues (first_due_at) WHERE resolved_at IS NULL AND voided_at IS NULL;
CREATE INDEX issues_voided ON issues (voided_at) WHERE voided_at IS NOT NULL;
"""

DDL["m004_change_log_and_voids.triggers"] = "".join(_contact_trigger(*t) for t in (
    ("visits_keep_contact", "AFTER INSERT ON visits", "NEW.household_id", "household_id = NEW.household_id"),
    ("visits_void_contact", "AFTER UPDATE OF voided_at ON visits", "NEW.household_id", "household_id = NEW.household_id"),
    ("visits_gone_contact", "AFTER DELETE ON visits", "OLD.household_id", "household_id = OLD.household_id"),
    ("memberships_start_contact", "AFTER INSERT ON memberships", "NEW.household_id", "id = NEW.id"),
))

DDL["m005_listing_indexes"] = """
CREATE INDEX issues_handler ON issues (handler_id, reported_at);
CREATE INDEX issues_category ON issues (category, reported_at);
CREATE INDEX issues_channel ON issues (channel, reported_at);
CREATE INDEX issues_grid ON issues (grid, reported_at);
CREATE INDEX issues_building ON issues (building, reported_at);
CREATE INDEX issues_status ON issues (status, reported_at);
CREATE INDEX issues_last_step ON issues (last_step_at);
CREATE INDEX issues_household ON issues (household_id, reported_at) WHERE household_id IS NOT NULL;
CREATE INDEX visits_outcome ON visits (outcome, at) WHERE voided_at IS NULL;
CREATE INDEX households_address ON households ((leading_number(building)), building, (leading_number(unit)), unit,
                                               (leading_number(room)), room);
"""

DDL["m006_wishes_and_the_follow_up_call"] = """
ALTER TABLE issues ADD COLUMN follow_up_due TEXT COLLATE "C";
ALTER TABLE issues ADD COLUMN called_at TEXT COLLATE "C";
ALTER TABLE issues ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
CREATE INDEX issues_follow_up ON issues (follow_up_due)
    WHERE follow_up_due IS NOT NULL AND called_at IS NULL AND closed_at IS NULL;
CREATE INDEX issues_called ON issues (called_at) WHERE follow_up_due IS NOT NULL AND called_at IS NOT NULL;
CREATE INDEX issues_closed_uncalled ON issues (closed_at)
    WHERE follow_up_due IS NOT NULL AND called_at IS NULL AND closed_at IS NOT NULL;
CREATE INDEX issues_provisional ON issues (id) WHERE provisional > 0;
"""

DDL["m007_holiday_calendar"] = """
CREATE TABLE holiday_days (
    day TEXT COLLATE "C" PRIMARY KEY,
    off INTEGER NOT NULL CHECK (off IN (0, 1)),
    name TEXT COLLATE "C",
    source TEXT COLLATE "C" NOT NULL CHECK (source IN ('package', 'file', 'typed')),
    recorded_at TEXT COLLATE "C" NOT NULL
);
CREATE TABLE holiday_years (
    year INTEGER PRIMARY KEY,
    source TEXT COLLATE "C" NOT NULL CHECK (source IN ('package', 'file', 'typed')),
    detail TEXT COLLATE "C",
    recorded_at TEXT COLLATE "C" NOT NULL
);
"""

DDL["m008_visit_times_and_issue_links"] = """
ALTER TABLE visits ADD COLUMN time_known INTEGER NOT NULL DEFAULT 1 CHECK (time_known IN (0, 1));
ALTER TABLE issues ADD COLUMN visit_id INTEGER REFERENCES visits (id);
CREATE INDEX issues_visit ON issues (visit_id) WHERE visit_id IS NOT NULL;
"""

DDL["m009_settled_figures"] = """
ALTER TABLE issues ADD COLUMN settled_at TEXT COLLATE "C";
ALTER TABLE issues ADD COLUMN figures INTEGER;
ALTER TABLE issues ADD COLUMN arrive_seconds INTEGER;
ALTER TABLE issues ADD COLUMN resolve_seconds INTEGER;
"""

DDL["m009_settled_figures.indexes"] = """
CREATE INDEX issues_unsettled ON issues (settled_at) WHERE replay = 0 AND voided_at IS NULL;
CREATE INDEX issues_figures ON issues (kind, figures, reported_at, settled_at) WHERE replay = 0 AND voided_at IS NULL;
CREATE INDEX issues_arrive_minutes ON issues (kind, (arrive_seconds / 60), reported_at, settled_at, arrive_seconds)
    WHERE replay = 0 AND voided_at IS NULL AND arrive_seconds IS NOT NULL;
CREATE INDEX issues_resolve_minutes ON issues (kind, (resolve_seconds / 60), reported_at, settled_at, resolve_seconds)
    WHERE replay = 0 AND voided_at IS NULL AND resolve_seconds IS NOT NULL;
"""

DDL["m012_work_orders"] = """
ALTER TABLE issue_steps ADD COLUMN party TEXT COLLATE "C";
ALTER TABLE issue_steps ADD COLUMN reason TEXT COLLATE "C";
CREATE TABLE orders (
    issue_id INTEGER PRIMARY KEY REFERENCES issues (id),
    source TEXT COLLATE "C" NOT NULL CHECK (source <> ''),
    number TEXT COLLATE "C" NOT NULL CHECK (number <> ''),
    due_given TEXT COLLATE "C" NOT NULL,
    due_text TEXT COLLATE "C",
    upstream_type TEXT COLLATE "C",
    caller_phone TEXT COLLATE "C",
    due_at TEXT COLLATE "C" NOT NULL,
    sign_due TEXT COLLATE "C",
    signed_at TEXT COLLATE "C",
    returned_at TEXT COLLATE "C",
    replied_at TEXT COLLATE "C",
    solved INTEGER CHECK (solved IS NULL OR solved IN (0, 1)),
    closed_at TEXT COLLATE "C",
    reworks INTEGER NOT NULL DEFAULT 0,
    urges INTEGER NOT NULL DEFAULT 0,
    extensions INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source, number)
);
CREATE INDEX orders_open ON orders (due_given) WHERE closed_at IS NULL AND returned_at IS NULL;
ALTER TABLE grids ADD COLUMN upstream_code TEXT COLLATE "C";
CREATE UNIQUE INDEX grids_upstream_code ON grids (upstream_code) WHERE upstream_code IS NOT NULL;
ALTER TABLE issue_categories ADD COLUMN upstream TEXT COLLATE "C";
"""

DDL["m013_log_boundaries"] = """
ALTER TABLE log_entries ADD COLUMN boundary TEXT COLLATE "C" CHECK (boundary IN ('restore', 'loss', 'migration'));
CREATE INDEX log_entries_boundaries ON log_entries (id) WHERE boundary IS NOT NULL;
CREATE INDEX IF NOT EXISTS issues_duplicate ON issues (duplicate_of) WHERE duplicate_of IS NOT NULL;
"""

DDL["m014_figures_by_group"] = """
CREATE INDEX issues_category_figures ON issues (category, kind, figures, reported_at, settled_at)
    WHERE replay = 0 AND voided_at IS NULL;
CREATE INDEX issues_category_arrive ON issues (category, kind, (arrive_seconds / 60), reported_at, settled_at, arrive_seconds)
    WHERE replay = 0 AND voided_at IS NULL AND arrive_seconds IS NOT NULL;
CREATE INDEX issues_category_resolve ON issues (category, kind, (resolve_seconds / 60), reported_at, settled_at,
    resolve_seconds) WHERE replay = 0 AND voided_at IS NULL AND resolve_seconds IS NOT NULL;
CREATE INDEX issues_reported_figures ON issues (reported_at, settled_at, kind, figures, grid, handler_id)
    WHERE replay = 0 AND voided_at IS NULL;
"""

DDL["m015_memberships_by_end"] = """
CREATE INDEX memberships_until ON memberships (until);
"""

DDL["m016_visits_by_household"] = """
CREATE INDEX visits_household ON visits (household_id);
"""

DDL["m017_log_by_household"] = """
CREATE INDEX log_changes_household ON log_changes (tbl, (coalesce(CAST((CAST(after AS json) ->> 'household_id') AS BIGINT),
    CAST((CAST(before AS json) ->> 'household_id') AS BIGINT))));
"""
