"""The schema, as an append-only list of migrations.

The schema's version (SQLite's `user_version`) counts the migrations applied. Every command that opens the database
applies the pending ones first, in one transaction; a database from a newer redprop (a
higher version than this list knows) is refused rather than guessed at. Once released, a
migration is never edited: change the schema by appending `m00N_what_it_does`.
"""

from redprop.errors import N_, DatabaseError


def _run(conn, name: str, script: str) -> None:
    """The DDL of a migration (`name`: the migration's, or a part of it), inside its transaction:
    on SQLite the statements given; another engine runs its own DDL of that name (PostgreSQL's:
    store/postgres_ddl.py), written by hand beside these, never derived from them."""
    conn.engine.run_migration_ddl(conn, name, script)


def m001_households_residents_staff(conn) -> None:
    _run(
        conn, "m001_households_residents_staff",
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
            key TEXT NOT NULL,                   -- address key: 8-2-301, or 8-301 without units
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
        -- One household lives at an address at a time; those that moved out keep their rows.
        CREATE UNIQUE INDEX households_current_key ON households (key) WHERE moved_out_on IS NULL;
        CREATE INDEX households_key ON households (key, id);
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


def m002_focus_groups_and_visits(conn) -> None:
    _run(
        conn, "m002_focus_groups_and_visits",
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
            -- The household's latest contact and the knocks since, kept by the triggers below so
            -- that today's due list is one scan of this table (a past --at recomputes from visits).
            last_contact_at TEXT,
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
        CREATE INDEX visits_at ON visits (at, household_id, outcome);
        CREATE INDEX visits_staff ON visits (staff_id, at);
        CREATE TRIGGER visits_keep_contact AFTER INSERT ON visits BEGIN
            UPDATE memberships SET (last_contact_at, knocks) = (
                SELECT c.last, (SELECT count(*) FROM visits v WHERE v.household_id = NEW.household_id
                                AND v.at > COALESCE(c.last, ''))
                FROM (SELECT MAX(at) AS last FROM visits WHERE household_id = NEW.household_id
                      AND outcome IN ('well', 'needs_help', 'refused')) c)
            WHERE household_id = NEW.household_id;
        END;
        CREATE TRIGGER memberships_start_contact AFTER INSERT ON memberships BEGIN
            UPDATE memberships SET (last_contact_at, knocks) = (
                SELECT c.last, (SELECT count(*) FROM visits v WHERE v.household_id = NEW.household_id
                                AND v.at > COALESCE(c.last, ''))
                FROM (SELECT MAX(at) AS last FROM visits WHERE household_id = NEW.household_id
                      AND outcome IN ('well', 'needs_help', 'refused')) c)
            WHERE id = NEW.id;
        END
        """,
    )
    conn.executemany(
        "INSERT INTO focus_groups (code, zh, en, duty, default_days, sensitive, cadence_days)"
        " VALUES ($1, $2, $3, $4, $5, $6, 7)",
        FOCUS_GROUPS,
    )


ISSUE_CATEGORIES = [  # slug, 中文, English (issue 5; a community edits the list with `issue category`)
    ("parking", "乱停车", "Parking"),
    ("dogs", "犬只", "Dogs"),
    ("repair", "报修", "Repairs"),
    ("sanitation", "环境卫生", "Sanitation"),
    ("security", "治安", "Security"),
    ("dispute", "邻里纠纷", "Neighbour dispute"),
    ("noise", "噪音", "Noise"),
    ("facilities", "设施", "Facilities"),
    ("greening", "绿化", "Greening"),
    ("other", "其他", "Other"),
]
SHIPPED_NOTE = N_("shipped default: 5341 (seed 004)")  # a stored note; shown through the catalogue
POLICY_5341 = (  # the shipped promise (seed 004), in force from the beginning of time
    '{"name": "5341", "normal": {"arrive": "5m", "resolve": "30m", "plan": null}, '
    '"major": {"arrive": "5m", "resolve": "4h", "plan": null}, '
    '"complex": {"arrive": "5m", "resolve": null, "plan": "1d"}, '
    '"hours": null, "chinese_calendar": true, "weekend": ["sat", "sun"], '
    '"holidays": [], "workdays": [], "pause_statuses": []}'
)


def m003_issues_and_policy(conn) -> None:
    """Residents' issues, their steps, the category catalogue and the promise (policy) history.

    `issue_steps` is the record: every step sits at the time it happened (`at`) with the
    time it was typed in (`recorded_at`). The columns of `issues` after `source_key` are a
    cache of the state after all steps, kept by the code that writes steps, so that the
    morning list reads indexes instead of replaying history: `resolved_at` is NULL while
    unfinished (the partial index holds just the unfinished issues), `first_due_at` is the
    earliest deadline the issue ever had (a lower bound however pauses extend it), and
    `replay` marks the few issues whose past cannot be read off the cache (reassigned,
    waited, escalated, reopened, re-tiered, re-rated): for those the steps are replayed.
    `imported_steps` marks an imported issue whose steps (reported, assigned, on site,
    plan, resolved, closed, rated, as the file said) are still read off its own columns:
    they are written to issue_steps before any further step (a million imported issues
    would otherwise be five million step rows nobody reads). Issues open at a past moment
    are those resolved in the week after it (`issues_resolved`) or, rarely, open longer
    (`open_long`, its own small index): neither search walks the whole history.
    """
    _run(
        conn, "m003_issues_and_policy",
        """
        CREATE TABLE issue_categories (
            code TEXT PRIMARY KEY CHECK (code <> ''),
            zh TEXT NOT NULL UNIQUE,
            en TEXT NOT NULL UNIQUE,
            position INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE policies (
            id INTEGER PRIMARY KEY,
            effective_at TEXT NOT NULL,          -- in force from this instant on
            recorded_at TEXT NOT NULL,
            terms TEXT NOT NULL,                 -- JSON document, see redprop.policy.terms
            note TEXT
        );
        CREATE INDEX policies_effective ON policies (effective_at);
        CREATE TABLE issues (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('problem', 'wish')),
            category TEXT NOT NULL REFERENCES issue_categories (code) ON UPDATE CASCADE,
            channel TEXT NOT NULL,
            household_id INTEGER REFERENCES households (id),
            place TEXT,                          -- a public area, or where in the household
            building TEXT,
            grid TEXT,
            reporter TEXT,
            title TEXT NOT NULL CHECK (title <> ''),
            description TEXT,
            policy_id INTEGER REFERENCES policies (id),  -- the promise in force when it was reported
            own_due_at TEXT,                     -- imported with its own due time: its one deadline
            reported_at TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            source TEXT,                         -- NULL: typed in; 'import'
            source_key TEXT,                     -- its identity in the imported file
            tier TEXT NOT NULL,
            status TEXT NOT NULL,
            handler_id INTEGER REFERENCES staff (id),
            assigned_at TEXT,
            arrived_at TEXT,                     -- first time on site
            planned_at TEXT,                     -- first written plan
            resolved_at TEXT,                    -- current resolution; NULL while unfinished
            closed_at TEXT,
            rating INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5),
            rated_at TEXT,
            arrive_due TEXT,                     -- deadlines of the current tier, before pauses
            resolve_due TEXT,
            plan_due TEXT,
            first_due_at TEXT,
            last_step_at TEXT NOT NULL,
            replay INTEGER NOT NULL DEFAULT 0 CHECK (replay IN (0, 1)),
            imported_steps INTEGER NOT NULL DEFAULT 0 CHECK (imported_steps IN (0, 1)),
            open_long INTEGER NOT NULL DEFAULT 0 CHECK (open_long IN (0, 1)),  -- resolved over a week after its report
            CHECK (household_id IS NOT NULL OR place IS NOT NULL),
            CHECK (closed_at IS NULL OR resolved_at IS NOT NULL)
        );
        CREATE INDEX issues_unfinished ON issues (first_due_at) WHERE resolved_at IS NULL;
        CREATE INDEX issues_resolved ON issues (resolved_at, reported_at) WHERE resolved_at IS NOT NULL;
        CREATE INDEX issues_open_long ON issues (reported_at) WHERE open_long = 1;
        CREATE INDEX issues_replay ON issues (reported_at) WHERE replay = 1;
        CREATE INDEX issues_reported ON issues (reported_at);
        CREATE INDEX issues_household ON issues (household_id) WHERE household_id IS NOT NULL;
        CREATE UNIQUE INDEX issues_source_key ON issues (source_key) WHERE source_key IS NOT NULL;
        CREATE TABLE issue_steps (
            id INTEGER PRIMARY KEY,
            issue_id INTEGER NOT NULL REFERENCES issues (id),
            action TEXT NOT NULL,                -- open assign arrive wait resume plan escalate resolve close reopen rate note retier
            at TEXT NOT NULL,                    -- when it happened
            recorded_at TEXT NOT NULL,           -- when it was typed in
            by_id INTEGER REFERENCES staff (id), -- who did it
            staff_id INTEGER REFERENCES staff (id),  -- assign: the new handler
            value TEXT,                          -- tier, waiting status, rating, meeting parties
            meeting_at TEXT,                     -- escalate: the joint meeting
            decision TEXT,                       -- escalate: what the meeting decided
            note TEXT
        );
        CREATE INDEX issue_steps_issue ON issue_steps (issue_id, at)
        """,
    )
    conn.executemany(
        "INSERT INTO issue_categories (code, zh, en, position) VALUES ($1, $2, $3, $4)",
        [(*c, i) for i, c in enumerate(ISSUE_CATEGORIES, start=1)],
    )
    conn.execute(
        "INSERT INTO policies (effective_at, recorded_at, terms, note) VALUES ($1, $2, $3, $4)",
        ("1970-01-01T00:00:00+00:00", "1970-01-01T00:00:00+00:00", POLICY_5341, SHIPPED_NOTE),
    )


CONTACT_SQL = """
    UPDATE memberships SET (last_contact_at, knocks) = (
        SELECT c.last, (SELECT count(*) FROM visits v WHERE v.household_id = {household} AND v.voided_at IS NULL
                        AND v.at > COALESCE(c.last, ''))
        FROM (SELECT MAX(at) AS last FROM visits WHERE household_id = {household} AND voided_at IS NULL
              AND outcome IN ('well', 'needs_help', 'refused')) c)
    WHERE {which};
"""


def m004_change_log_and_voids(conn) -> None:
    """The change log (issue 9) and voided visits and issues, kept on record, counting nowhere.

    `log_entries` holds one entry per command that wrote: when it was typed, who, the command line,
    and for an import its file, hash and counts. `log_changes` holds what it changed, row by row: the
    values before and after (JSON, NULLs too), written by triggers that `store.log` regenerates from
    every table's columns after each migration; `op = 'inserted'` is a bulk import's range of new
    rowids (`row_key` the first, `after` {"through": last}). `log_state` tells the triggers which entry
    is writing (none outside a command: nothing is logged) and whether it writes in bulk.

    A voided visit or issue stays where it is, marked with who voided it, when and why; the due
    list's contact columns, the partial indexes and every count leave it out.
    """
    _run(
        conn, "m004_change_log_and_voids",
        """
        CREATE TABLE log_entries (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,                    -- when it was typed (UTC)
            user TEXT NOT NULL,
            command TEXT NOT NULL,               -- the command line as typed
            file TEXT,                           -- an import: the file's name, SHA-256 and counts (JSON)
            file_sha256 TEXT,
            counts TEXT,
            undoes INTEGER REFERENCES log_entries (id),
            undone_by INTEGER REFERENCES log_entries (id)
        );
        CREATE TABLE log_changes (
            id INTEGER PRIMARY KEY,
            entry_id INTEGER NOT NULL REFERENCES log_entries (id),
            tbl TEXT NOT NULL,
            row_key TEXT NOT NULL,               -- the rowid, or the primary key (JSON) of a WITHOUT ROWID table
            op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete', 'inserted')),
            before TEXT,
            after TEXT
        );
        CREATE INDEX log_changes_entry ON log_changes (entry_id);
        CREATE INDEX log_changes_row ON log_changes (tbl, row_key);
        CREATE TABLE log_state (
            one INTEGER PRIMARY KEY CHECK (one = 1),
            entry_id INTEGER,
            bulk INTEGER NOT NULL DEFAULT 0
        );
        INSERT INTO log_state (one, entry_id, bulk) VALUES (1, NULL, 0);

        ALTER TABLE visits ADD COLUMN voided_at TEXT;
        ALTER TABLE visits ADD COLUMN voided_by TEXT;
        ALTER TABLE visits ADD COLUMN void_reason TEXT;
        DROP INDEX visits_household_at;
        DROP INDEX visits_at;
        CREATE INDEX visits_household_at ON visits (household_id, at, outcome) WHERE voided_at IS NULL;
        CREATE INDEX visits_at ON visits (at, household_id, outcome) WHERE voided_at IS NULL;
        CREATE INDEX visits_voided ON visits (voided_at) WHERE voided_at IS NOT NULL;
        DROP TRIGGER visits_keep_contact;
        DROP TRIGGER memberships_start_contact;

        ALTER TABLE issues ADD COLUMN voided_at TEXT;      -- cached from its void step
        ALTER TABLE issues ADD COLUMN duplicate_of INTEGER REFERENCES issues (id);
        DROP INDEX issues_unfinished;
        CREATE INDEX issues_unfinished ON issues (first_due_at) WHERE resolved_at IS NULL AND voided_at IS NULL;
        CREATE INDEX issues_voided ON issues (voided_at) WHERE voided_at IS NOT NULL;
        """,
    )
    _run(conn, "m004_change_log_and_voids.triggers", "".join(
        f"CREATE TRIGGER {name} {event} BEGIN {CONTACT_SQL.format(household=household, which=which)} END;\n"
        for name, event, household, which in (
            ("visits_keep_contact", "AFTER INSERT ON visits", "NEW.household_id", "household_id = NEW.household_id"),
            ("visits_void_contact", "AFTER UPDATE OF voided_at ON visits", "NEW.household_id",
             "household_id = NEW.household_id"),
            ("visits_gone_contact", "AFTER DELETE ON visits", "OLD.household_id", "household_id = OLD.household_id"),
            ("memberships_start_contact", "AFTER INSERT ON memberships", "NEW.household_id", "id = NEW.id"),
        )))


def m005_listing_indexes(conn) -> None:
    """Indexes for what workers and reports filter issues by (handler, category, channel, grid
    point, building, status), each ending in the report time so that a filtered listing reads its
    newest rows first and stops at its limit; visits by outcome; households in address order
    (building 2 before 10: the numbers as numbers), so that the first page of a roster is read,
    not sorted."""
    _run(
        conn, "m005_listing_indexes",
        """
        CREATE INDEX issues_handler ON issues (handler_id, reported_at);
        CREATE INDEX issues_category ON issues (category, reported_at);
        CREATE INDEX issues_channel ON issues (channel, reported_at);
        CREATE INDEX issues_grid ON issues (grid, reported_at);
        CREATE INDEX issues_building ON issues (building, reported_at);
        CREATE INDEX issues_status ON issues (status, reported_at);
        CREATE INDEX issues_last_step ON issues (last_step_at);
        DROP INDEX issues_household;
        CREATE INDEX issues_household ON issues (household_id, reported_at) WHERE household_id IS NOT NULL;
        CREATE INDEX visits_outcome ON visits (outcome, at) WHERE voided_at IS NULL;
        CREATE INDEX households_address ON households (CAST(building AS INTEGER), building, CAST(unit AS INTEGER), unit,
                                                       CAST(room AS INTEGER), room);
        """,
    )


WISH_PROMISE = {tier: {"arrive": None, "resolve": None, "plan": "3d"} for tier in ("normal", "major", "complex")}
FOLLOW_UP = "3d"
WISH_NOTE = N_("shipped: wishes get a written reply or plan within 3 days; the follow-up call 3 days after resolution")


def m006_wishes_and_the_follow_up_call(conn) -> None:
    """Promises per kind and the follow-up call (回访) as a promise (issue 11).

    A wish from the wish wall gets no on-site or solve clock but a written reply or plan
    within 3 days, and every resolution a follow-up call within 3 days. A database with no
    issue yet has fixed no deadline: its policies simply gain both. Otherwise the policy in
    force now is carried on as a new version in force from this migration with both added,
    and versions set to come into force later gain them too; deadlines already fixed stay.

    `follow_up_due` is when the call after the current resolution is due (NULL: not resolved,
    or no such promise — issues imported from another system never have one), `called_at`
    the first rating since that resolution. `provisional` marks deadlines counted across a
    year whose holiday arrangement was not loaded (bits: 1 on site, 2 resolve, 4 plan, 8 call).
    """
    import json
    from datetime import datetime, timezone

    _run(
        conn, "m006_wishes_and_the_follow_up_call",
        """
        ALTER TABLE issues ADD COLUMN follow_up_due TEXT;
        ALTER TABLE issues ADD COLUMN called_at TEXT;
        ALTER TABLE issues ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX issues_follow_up ON issues (follow_up_due)
            WHERE follow_up_due IS NOT NULL AND called_at IS NULL AND closed_at IS NULL;
        CREATE INDEX issues_called ON issues (called_at) WHERE follow_up_due IS NOT NULL AND called_at IS NOT NULL;
        CREATE INDEX issues_closed_uncalled ON issues (closed_at)
            WHERE follow_up_due IS NOT NULL AND called_at IS NULL AND closed_at IS NOT NULL;
        CREATE INDEX issues_provisional ON issues (id) WHERE provisional > 0
        """,
    )

    def with_wishes(text: str) -> str:
        doc = json.loads(text)
        doc.setdefault("wish", WISH_PROMISE)
        doc.setdefault("follow_up", FOLLOW_UP)
        return json.dumps(doc, ensure_ascii=False)

    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if conn.execute("SELECT 1 FROM issues LIMIT 1").fetchone() is None:
        later = conn.execute("SELECT id, terms FROM policies").fetchall()
    else:
        current = conn.execute(
            "SELECT terms FROM policies WHERE effective_at <= $1 ORDER BY effective_at DESC, id DESC LIMIT 1", (now,)
        ).fetchone()
        if current is not None and "wish" not in json.loads(current[0]):
            conn.execute("INSERT INTO policies (effective_at, recorded_at, terms, note) VALUES ($1, $2, $3, $4)",
                         (now, now, with_wishes(current[0]), WISH_NOTE))
        later = conn.execute("SELECT id, terms FROM policies WHERE effective_at > $1", (now,)).fetchall()
    conn.executemany("UPDATE policies SET terms = $1 WHERE id = $2", [(with_wishes(t), i) for i, t in later])


HOLIDAYS_SEEDED = "m007_holidays.csv"  # the days chinesecalendar 1.11.0 knew (2004–2026), as m007 seeded them
HOLIDAYS_DETAIL = "chinesecalendar 1.11.0"


def m007_holiday_calendar(conn) -> None:
    """China's holidays and 调休 make-up days as data (issue 11), seeded with the years the
    chinesecalendar package knew when this migration was released (1.11.0: 2004–2026), kept with
    the migration (`m007_holidays.csv`: day, off, name) so that a database made any day gets the
    same; `redprop holidays import|set` keep it current.

    `holiday_days` has one row per named day: off (休) or a make-up working day (班), with the
    holiday's name; `holiday_years` the years whose arrangement is loaded, and from where
    (package, file, typed). A year not listed is provisional (see redprop.policy.holidays).
    """
    import csv
    from datetime import datetime, timezone
    from importlib.resources import files

    _run(
        conn, "m007_holiday_calendar",
        """
        CREATE TABLE holiday_days (
            day TEXT PRIMARY KEY,                -- local date YYYY-MM-DD
            off INTEGER NOT NULL CHECK (off IN (0, 1)),  -- 1 休 a day off, 0 班 a make-up working day
            name TEXT,
            source TEXT NOT NULL CHECK (source IN ('package', 'file', 'typed')),
            recorded_at TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE holiday_years (
            year INTEGER PRIMARY KEY,
            source TEXT NOT NULL CHECK (source IN ('package', 'file', 'typed')),
            detail TEXT,                         -- the package's version, the file's name
            recorded_at TEXT NOT NULL
        )
        """,
    )
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    text = files(__package__).joinpath(HOLIDAYS_SEEDED).read_text(encoding="utf-8")
    days = [(r["day"], int(r["off"]), r["name"]) for r in csv.DictReader(text.splitlines())]
    conn.executemany("INSERT INTO holiday_days (day, off, name, source, recorded_at) VALUES ($1, $2, $3, 'package', $4)",
                     [(*day, now) for day in days])
    conn.executemany("INSERT INTO holiday_years (year, source, detail, recorded_at) VALUES ($1, 'package', $2, $3)",
                     [(year, HOLIDAYS_DETAIL, now) for year in sorted({int(day[:4]) for day, _, _ in days})])


def m008_visit_times_and_issue_links(conn) -> None:
    """A visit given only its date (`time_known` 0: kept at the end of that day, shown as the
    date), and the issue a visit opened (`issues.visit_id`, issue 11)."""
    _run(
        conn, "m008_visit_times_and_issue_links",
        """
        ALTER TABLE visits ADD COLUMN time_known INTEGER NOT NULL DEFAULT 1 CHECK (time_known IN (0, 1));
        ALTER TABLE issues ADD COLUMN visit_id INTEGER REFERENCES visits (id);
        CREATE INDEX issues_visit ON issues (visit_id) WHERE visit_id IS NOT NULL
        """,
    )


def m009_settled_figures(conn) -> None:
    """What `stats` and the weekly/monthly report read in one pass (issues 10 and 13).

    For each issue, `settled_at` is the last instant at which anything recorded on its row
    happens or falls due; as of any later moment, with no new step, its figures are fixed:
    `figures` packs them (each promise kept, met late or unmet past its deadline, the follow-up
    call likewise, the rating, unfinished: see issues.figures.FIGURE_SHIFT), and
    `arrive_seconds` / `resolve_seconds` are the times from the report to the arrival and the
    resolution. The writer of the cached columns (records.write_state, and the bulk import)
    writes them; the indexes below hold them so that a year of a district is counted without
    reading a row, a date function or a sort.

    The rule that fills them for existing rows is written out here as it stood at release
    (issues.figures keeps the live one): a migration gives the same result whenever it runs.
    """
    from datetime import datetime

    _run(
        conn, "m009_settled_figures",
        """
        ALTER TABLE issues ADD COLUMN settled_at TEXT;
        ALTER TABLE issues ADD COLUMN figures INTEGER;
        ALTER TABLE issues ADD COLUMN arrive_seconds INTEGER;
        ALTER TABLE issues ADD COLUMN resolve_seconds INTEGER
        """,
    )
    names = ("id", "reported_at", "assigned_at", "arrived_at", "planned_at", "resolved_at", "closed_at", "rated_at",
             "called_at", "rating", "arrive_due", "resolve_due", "plan_due", "follow_up_due")
    events = ("reported_at", "assigned_at", "arrived_at", "planned_at", "resolved_at", "closed_at", "rated_at",
              "called_at", "arrive_due", "resolve_due", "plan_due", "follow_up_due")

    def code(due, met):  # 0 no promise, 1 kept, 2 met late, 3 unmet past its deadline
        if due is None:
            return 0
        if met is None:
            return 3
        return 2 if met > due else 1

    def settled(c: dict) -> tuple:
        resolved = c["resolved_at"]
        figures = (code(c["arrive_due"], c["arrived_at"] or resolved)
                   | code(c["resolve_due"], resolved) << 2
                   | code(c["plan_due"], c["planned_at"] or resolved) << 4
                   | code(c["follow_up_due"], c["called_at"]) << 6
                   | ((c["rating"] or 0) if c["rated_at"] else 0) << 8
                   | (0 if resolved else 1 << 11)
                   | (1 << 12 if c["arrived_at"] else 0))
        reported = datetime.fromisoformat(c["reported_at"])

        def seconds(text):
            return int((datetime.fromisoformat(text) - reported).total_seconds()) if text else None

        return max(c[k] for k in events if c[k]), figures, seconds(c["arrived_at"]), seconds(resolved)

    last = 0
    while batch := conn.execute(f"SELECT {', '.join(names)} FROM issues WHERE id > $1 ORDER BY id LIMIT 20000",
                                (last,)).fetchall():
        last = batch[-1][0]
        conn.executemany("UPDATE issues SET settled_at = $1, figures = $2, arrive_seconds = $3, resolve_seconds = $4"
                         " WHERE id = $5", [(*settled(dict(zip(names, values))), values[0]) for values in batch])
    _run(conn, "m009_settled_figures.indexes", ";\n".join(FIGURE_INDEXES))


# `stats` counts an index range per kind and packed figures, and finds a median by walking the
# minutes to arrive (or resolve) in order, counting each minute's range, reading only the
# median's minute: no row of the table and no sort, however long the range.
FIGURE_INDEXES = [
    "CREATE INDEX issues_unsettled ON issues (settled_at) WHERE replay = 0 AND voided_at IS NULL",
    "CREATE INDEX issues_figures ON issues (kind, figures, reported_at, settled_at)"
    " WHERE replay = 0 AND voided_at IS NULL",
    "CREATE INDEX issues_arrive_minutes ON issues (kind, arrive_seconds / 60, reported_at, settled_at, arrive_seconds)"
    " WHERE replay = 0 AND voided_at IS NULL AND arrive_seconds IS NOT NULL",
    "CREATE INDEX issues_resolve_minutes ON issues (kind, resolve_seconds / 60, reported_at, settled_at, resolve_seconds)"
    " WHERE replay = 0 AND voided_at IS NULL AND resolve_seconds IS NOT NULL",
]


def m010_names_and_phones_as_typed_now(conn) -> None:
    """Names and mobiles recorded before they were normalised (issue 12), normalised as they are
    now on the way in, so that `赵 强` on record is found, matched and updated as 赵强 and
    `138 1234 0015` as 13812340015. The rules are written out here as they stood (a migration
    does not follow later changes of the parsing code). A staff name whose normal form another
    staff member already has is left as it is: two records of one person, for a person to merge."""
    import re

    cjk = "\u2e80-\u2fff\u3005-\u3007\u3021-\u3029\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
    gap, spaces = re.compile(f"(?<=[{cjk}])\\s+(?=[{cjk}])"), re.compile("\\s+")

    def name(text: str) -> str:
        return spaces.sub(" ", gap.sub("", text.replace("\u3000", " "))).strip()

    def mobile(text: str) -> str:
        digits = re.sub(r"[\s\-]", "", text)
        digits = re.sub(r"^(\+86|0086|86(?=1\d{10}$))", "", digits)
        return digits if re.fullmatch(r"1\d{10}", digits) else text

    for table, column, normal in (("residents", "name", name), ("households", "head", name),
                                  ("residents", "phone", mobile), ("households", "phone", mobile),
                                  ("staff", "phone", mobile)):
        changed = [(new, row) for row, old in conn.execute(f"SELECT id, {column} FROM {table}"
                                                            f" WHERE {column} IS NOT NULL")
                   if (new := normal(old)) != old and new]
        conn.executemany(f"UPDATE {table} SET {column} = $1 WHERE id = $2", changed)
    taken = {row[0] for row in conn.execute("SELECT name FROM staff")}
    for row, old in conn.execute("SELECT id, name FROM staff ORDER BY id").fetchall():
        new = name(old)
        if new != old and new and new not in taken:
            conn.execute("UPDATE staff SET name = $1 WHERE id = $2", (new, row))
            taken.add(new)


def m011_database_identity(conn) -> None:
    """A random identity for the database, kept in its settings and so in every copy of it:
    backup rotation removes only copies that carry this database's identity, whatever files
    in the folder are named (a text file named like a backup is not one)."""
    import secrets

    conn.execute("INSERT INTO settings (key, value) VALUES ('database_id', $1) ON CONFLICT (key) DO NOTHING",
                 (secrets.token_hex(16),))


def m012_work_orders(conn) -> None:
    """Work orders from above (issue 20): the 12345 hotline and the street's grid centre dispatch
    orders (工单) to the community, each with its number and deadline, handled as an issue.

    `orders` holds one order per issue that carries one: who dispatched it (`source`) and its
    number there, unique together; the deadline as dispatched (`due_given`, and as it was
    written, `due_text`); the 诉求类型 and the caller's phone as the order said them. The
    columns after `caller_phone` cache the order's state after every step of its issue (sign,
    return, extend, urge, reply, verify — `issue_steps` stays the record), written by the one
    writer of an issue's cached state. The dispatch time is the issue's report time.
    `issue_steps` gains `party` (who approved an extension, who urged) and `reason` (why a
    reply says not solved). Codes that go up: a grid point's 15-digit code (6-digit 行政区划,
    3-digit 街道, 3-digit 社区, 3-digit 网格), and the upstream class a category maps to.
    """
    _run(
        conn, "m012_work_orders",
        """
        ALTER TABLE issue_steps ADD COLUMN party TEXT;
        ALTER TABLE issue_steps ADD COLUMN reason TEXT;
        CREATE TABLE orders (
            issue_id INTEGER PRIMARY KEY REFERENCES issues (id),
            source TEXT NOT NULL CHECK (source <> ''),   -- 12345, 网格中心…
            number TEXT NOT NULL CHECK (number <> ''),   -- the order's number there
            due_given TEXT NOT NULL,                     -- the deadline as dispatched (UTC)
            due_text TEXT,                               -- as written: 3个工作日, 2026-12-09 17:30
            upstream_type TEXT,                          -- 诉求类型, as the source wrote it
            caller_phone TEXT,                           -- 联系电话 of the order
            due_at TEXT NOT NULL,                        -- the deadline after extensions
            sign_due TEXT,                               -- the sign-for limit of the policy
            signed_at TEXT,
            returned_at TEXT,                            -- 退回: not ours
            replied_at TEXT,                             -- the reply (反馈) awaiting verification, if any
            solved INTEGER CHECK (solved IS NULL OR solved IN (0, 1)),
            closed_at TEXT,                              -- 结案: the verification that passed
            reworks INTEGER NOT NULL DEFAULT 0,          -- verifications failed (返工)
            urges INTEGER NOT NULL DEFAULT 0,            -- 督办
            extensions INTEGER NOT NULL DEFAULT 0,       -- 延期
            UNIQUE (source, number)
        );
        CREATE INDEX orders_open ON orders (due_given) WHERE closed_at IS NULL AND returned_at IS NULL;
        ALTER TABLE grids ADD COLUMN upstream_code TEXT;
        CREATE UNIQUE INDEX grids_upstream_code ON grids (upstream_code) WHERE upstream_code IS NOT NULL;
        ALTER TABLE issue_categories ADD COLUMN upstream TEXT
        """,
    )


def m013_log_boundaries(conn) -> None:
    """What undo does not reach across (issue 21). `log_entries.boundary` marks an entry that
    records something other than a command's own writes: `restore` (a backup put in place by
    `redprop restore`; `file` and `file_sha256` name it), `loss` (entries found missing — a
    damaged -wal, an older copy put in place of the file — and accepted by `redprop check
    --accept-loss`; `counts` holds how many: {"missing": N, "last": the newest entry the mark
    named}), `migration` (a migration that rewrote values people typed, logged row by row;
    `counts`: {"rewrote": {table: [columns]}}). And an index of the issues marked duplicates of
    another: deleting an issue — the undo of an import deletes thousands — makes SQLite look for
    the issues whose `duplicate_of` points at it, through every issue without one (IF NOT
    EXISTS: another line of work adds the same index)."""
    _run(
        conn, "m013_log_boundaries",
        """
        ALTER TABLE log_entries ADD COLUMN boundary TEXT CHECK (boundary IN ('restore', 'loss', 'migration'));
        CREATE INDEX log_entries_boundaries ON log_entries (id) WHERE boundary IS NOT NULL;
        CREATE INDEX IF NOT EXISTS issues_duplicate ON issues (duplicate_of) WHERE duplicate_of IS NOT NULL;
        """,
    )


def m014_figures_by_group(conn) -> None:
    """What a grouped count of the settled figures reads instead of the table's rows (issue 22):
    `stats --by category` and the monthly report's breakdown by category count them off indexes
    led by the category, as the figures without a grouping are counted off m009's; the report's
    breakdowns by grid point and handler read a month's figures off an index by report time
    that holds them with those two columns (reports/stats.py: SETTLED_INDEXES, SHARED_GROUPINGS).
    A year of a district grouped by category reads no row, rather than a third of a million."""
    _run(conn, "m014_figures_by_group", ";\n".join(GROUP_FIGURE_INDEXES))


GROUP_FIGURE_INDEXES = [
    "CREATE INDEX issues_category_figures ON issues (category, kind, figures, reported_at, settled_at)"
    " WHERE replay = 0 AND voided_at IS NULL",
    "CREATE INDEX issues_category_arrive ON issues (category, kind, arrive_seconds / 60, reported_at, settled_at,"
    " arrive_seconds) WHERE replay = 0 AND voided_at IS NULL AND arrive_seconds IS NOT NULL",
    "CREATE INDEX issues_category_resolve ON issues (category, kind, resolve_seconds / 60, reported_at, settled_at,"
    " resolve_seconds) WHERE replay = 0 AND voided_at IS NULL AND resolve_seconds IS NOT NULL",
    "CREATE INDEX issues_reported_figures ON issues (reported_at, settled_at, kind, figures, grid, handler_id)"
    " WHERE replay = 0 AND voided_at IS NULL",
]


def m015_memberships_by_end(conn) -> None:
    """The monthly report's coverage trend reads the memberships current at some time in its nine
    periods — those not ended, and those ended since its first — off an index by end, not every
    membership the community ever recorded (issue 22)."""
    _run(conn, "m015_memberships_by_end", "CREATE INDEX memberships_until ON memberships (until)")


def m016_visits_by_household(conn) -> None:
    """The visits of a household, voided or not, off an index: what a deleted household's foreign
    key looks up (an undone `household add` or roster import, a household removed), which the
    partial index of the live visits cannot answer — each household deleted read a million
    visits (issue 22)."""
    _run(conn, "m016_visits_by_household", "CREATE INDEX visits_household ON visits (household_id)")


def m017_log_by_household(conn) -> None:
    """`log --household` finds the changes to the rows pointing at a household (its residents,
    memberships, visits, issues) by the household named in their row images, off an index of
    that number (store/log.py: `_touching`, the expression spelled as it spells it), not by
    reading every such change the log holds (issue 22)."""
    _run(conn, "m017_log_by_household", LOG_BY_HOUSEHOLD)


LOG_BY_HOUSEHOLD = ("CREATE INDEX log_changes_household ON log_changes (tbl, coalesce("
                    "CAST(json_extract(after, '$.\"household_id\"') AS BIGINT),"
                    " CAST(json_extract(before, '$.\"household_id\"') AS BIGINT)))")


MIGRATIONS = [
    m001_households_residents_staff,
    m002_focus_groups_and_visits,
    m003_issues_and_policy,
    m004_change_log_and_voids,
    m005_listing_indexes,
    m006_wishes_and_the_follow_up_call,
    m007_holiday_calendar,
    m008_visit_times_and_issue_links,
    m009_settled_figures,
    m010_names_and_phones_as_typed_now,
    m011_database_identity,
    m012_work_orders,
    m013_log_boundaries,
    m014_figures_by_group,
    m015_memberships_by_end,
    m016_visits_by_household,
    m017_log_by_household,
]

# Migrations that rewrote values people typed, not only the schema: the columns each rewrote. On a
# database whose change log has entries, each runs as an entry of its own, its changes logged row
# by row, marked as a boundary (m013): undo does not write back, across it, values of these
# columns in the form from before it (store/log.py).
REWRITES = {
    "m010_names_and_phones_as_typed_now": {"residents": ["name", "phone"], "households": ["head", "phone"],
                                           "staff": ["name", "phone"]},
}


def migrate(conn, migrations=None) -> int:
    """Apply pending migrations; return the schema version now in force. `conn`: the store's
    connection, or one opened with sqlite3 itself (a test's, a tool's), which the SQLite engine adopts."""
    if getattr(conn, "engine", None) is None:
        from redprop.store.sqlite import ENGINE

        conn = ENGINE.adopt(conn)
    engine = conn.engine
    migrations = MIGRATIONS if migrations is None else migrations
    latest = len(migrations)
    version = engine.schema_version(conn)
    if version > latest:
        raise DatabaseError("this database was made by a newer redprop (schema {version}, this redprop knows {latest});"
                            " upgrade redprop to use it", version=version, latest=latest)
    if version == latest:
        return version
    from redprop.store.log import refresh_audit_triggers

    engine.begin_write(conn)
    try:
        version = engine.schema_version(conn)  # another process may have migrated
        boundaries = []
        for number, migration in enumerate(migrations[version:], start=version + 1):
            rewrites = REWRITES.get(migration.__name__)
            if rewrites and _has_entries(conn):
                boundaries.append(_logged(conn, migration, rewrites))
            else:
                migration(conn)
            engine.set_schema_version(conn, number)
        refresh_audit_triggers(conn)
        engine.settle_schema(conn)
        for entry_id in boundaries:
            conn.execute("UPDATE log_entries SET boundary = 'migration' WHERE id = $1", (entry_id,))
    except BaseException:
        engine.rollback(conn)
        raise
    engine.commit(conn)
    return latest


def _has_entries(conn) -> bool:
    return conn.engine.has_table(conn, "log_entries") and conn.execute("SELECT 1 FROM log_entries LIMIT 1").fetchone()


def _logged(conn, migration, rewrites: dict) -> int:
    """Run a migration that rewrites rows as an entry of the change log of its own (see REWRITES):
    every row it changes logged, before and after, by the log's triggers. Its entry's id (marked
    a boundary once the schema has the column)."""
    import json
    from datetime import datetime, timezone

    from redprop.store.instants import to_db
    from redprop.store.log import refresh_audit_triggers, user_name

    refresh_audit_triggers(conn)  # the triggers as the tables are now (a rewound test database has none)
    entry_id = conn.execute('INSERT INTO log_entries (at, "user", command, counts) VALUES ($1, $2, $3, $4) RETURNING id',
                            (to_db(datetime.now(timezone.utc)), user_name(), f"migration {migration.__name__}",
                             json.dumps({"rewrote": rewrites}))).fetchone()[0]
    conn.execute("UPDATE log_state SET entry_id = $1, bulk = 0", (entry_id,))
    migration(conn)
    conn.execute("UPDATE log_state SET entry_id = NULL, bulk = 0")
    return entry_id
