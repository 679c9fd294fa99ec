"""The foundation through the CLI: init, households, residents, staff, grid points, output, help."""

import csv
import io
import re

import pytest
import typer.main

from redprop.cli import app
from redprop.errors import ExitCode
from conftest import built_once


def one_line_error(result) -> str:
    """The error a failed command printed: exactly one line on stderr, no traceback."""
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def add_household(run, key, *options):
    result = run("household", "add", key, *options)
    assert result.exit_code == 0, result.output
    return result


def keys(rows):
    return [row["key"] for row in rows]


# --- init and the missing database ------------------------------------------------------------


@pytest.mark.sqlite_only("a file is never overwritten")
def test_init_creates_the_database_and_never_overwrites_it(run, db_path):
    result = run("init", "--community", "美仑盛景小区", "--timezone", "Asia/Shanghai")
    assert result.exit_code == 0, result.output
    assert db_path.exists()
    assert "美仑盛景小区" in result.stderr
    assert result.stdout == ""

    again = run("init", lang="en")
    assert again.exit_code == ExitCode.INVALID
    assert "already exists" in one_line_error(again)


def test_init_refuses_an_unknown_time_zone(run, db_path):
    result = run("init", "--timezone", "Mars/Olympus", lang="en")
    assert result.exit_code == ExitCode.INVALID
    assert "time zone" in one_line_error(result)
    assert not db_path.exists()


@pytest.mark.parametrize(
    "args",
    [
        ("household", "list"),
        ("household", "show", "8-2-301"),
        ("household", "add", "8-2-301", "--head", "熊秀英"),
        ("resident", "list"),
        ("staff", "list"),
        ("grid", "list"),
    ],
)
def test_a_command_on_a_missing_database_says_how_to_make_one(run, db_path, args):
    result = run(*args)
    assert result.exit_code == ExitCode.USAGE
    line = one_line_error(result)
    assert "redprop init" in line and str(db_path) in line
    assert not db_path.exists(), "a missing database must never be created by accident"


def test_the_database_can_come_from_redprop_db(tmp_path):
    from typer.testing import CliRunner

    path = tmp_path / "from-env.db"
    runner = CliRunner()
    missing = runner.invoke(app, ["household", "list"], env={"REDPROP_DB": str(path)})
    assert missing.exit_code == ExitCode.USAGE and str(path) in missing.stderr
    assert runner.invoke(app, ["init"], env={"REDPROP_DB": str(path)}).exit_code == 0
    assert path.exists()
    assert runner.invoke(app, ["household", "list"], env={"REDPROP_DB": str(path)}).exit_code == 0


# --- households ---------------------------------------------------------------------------------


def test_add_then_show_a_household(db, run, run_json):
    add_household(run, "8-2-301", "--head", "熊秀英", "--phone", "0874-8123456", "--grid", "g18",
                  "--members", "1", "--moved-in", "2010/9/16", "--note", "独居老人")
    shown = run_json("household", "show", "8-2-301")
    assert shown["key"] == "8-2-301"
    assert (shown["building"], shown["unit"], shown["room"]) == ("8", "2", "301")
    assert shown["head"] == "熊秀英"
    assert shown["phone"] == "0874-8123456"
    assert shown["grid"] == "G18"
    assert shown["members"] == 1
    assert shown["moved_in_on"] == "2010-09-16"
    assert shown["moved_out_on"] is None
    assert shown["residents"] == []

    table = run("household", "show", "8-2-301")
    assert table.exit_code == 0
    assert "熊秀英" in table.stdout and "0874-8123456" in table.stdout


def test_addresses_are_read_the_way_offices_write_them(db, run, run_json):
    add_household(run, "8栋2单元302室")
    add_household(run, "12-101")  # a building without units
    assert run_json("household", "show", "8-2-302")["key"] == "8-2-302"
    no_units = run_json("household", "show", "12-101")
    assert (no_units["building"], no_units["unit"], no_units["room"]) == ("12", "", "101")


def test_adding_a_household_twice_is_refused(db, run):
    add_household(run, "8-2-301", "--head", "熊秀英")
    again = run("household", "add", "8-2-301", "--head", "别人", lang="en")
    assert again.exit_code == ExitCode.INVALID
    assert "already lives there" in one_line_error(again)


@pytest.mark.parametrize(
    "args, code",
    [
        (("household", "add", "no-such-address-at-all"), ExitCode.INVALID),
        (("household", "add", "8-2-301", "--phone", "13x"), ExitCode.INVALID),
        (("household", "add", "8-2-301", "--moved-in", "2026-02-30"), ExitCode.INVALID),
        (("household", "show", "9-9-909"), ExitCode.NOT_FOUND),
        (("household", "edit", "9-9-909", "--head", "某人"), ExitCode.NOT_FOUND),
        (("household", "move-out", "9-9-909"), ExitCode.NOT_FOUND),
        (("resident", "add", "9-9-909", "张三"), ExitCode.NOT_FOUND),
    ],
)
def test_user_mistakes_are_one_line_and_an_exit_code(db, run, args, code):
    result = run(*args)
    assert result.exit_code == code
    one_line_error(result)


def test_edit_a_household(db, run, run_json):
    add_household(run, "8-2-301", "--head", "熊秀英", "--phone", "13987400001", "--members", "1")
    edited = run_json("household", "edit", "8-2-301", "--phone", "0874-8123456", "--members", "2")
    assert edited["phone"] == "0874-8123456" and edited["members"] == 2
    shown = run_json("household", "show", "8-2-301")
    assert shown["phone"] == "0874-8123456"
    assert shown["head"] == "熊秀英", "fields not given are left as they were"

    nothing = run("household", "edit", "8-2-301", lang="en")
    assert nothing.exit_code == ExitCode.INVALID
    assert "nothing to change" in one_line_error(nothing)


def test_a_moved_in_date_after_the_move_out_is_refused(db, run, run_json):
    add_household(run, "8-2-301", "--moved-in", "2010-09-16")
    assert run("household", "move-out", "8-2-301", "--on", "2026-01-01").exit_code == 0
    result = run("household", "edit", "8-2-301", "--moved-in", "2026-05-01")
    assert result.exit_code == ExitCode.INVALID
    assert "2026-05-01" in one_line_error(result)
    assert run_json("household", "show", "8-2-301")["moved_in_on"] == "2010-09-16"


def test_move_out_keeps_the_household(db, run, run_json):
    add_household(run, "8-2-301", "--head", "熊秀英", "--moved-in", "2010-09-16")
    add_household(run, "8-2-302", "--head", "邵俊飞")
    assert run("resident", "add", "8-2-301", "熊秀英", "--relation", "户主").exit_code == 0

    moved = run_json("household", "move-out", "8-2-301", "--on", "2026-03-01", "--note", "搬去女儿家")
    assert moved["moved_out_on"] == "2026-03-01"

    assert keys(run_json("household", "list")) == ["8-2-302"]
    everyone = run_json("household", "list", "--all")
    assert keys(everyone) == ["8-2-301", "8-2-302"]
    assert everyone[0]["moved_out_on"] == "2026-03-01"
    assert keys(run_json("household", "list", "--at", "2026-02-28")) == ["8-2-301", "8-2-302"]
    assert keys(run_json("household", "list", "--at", "2026-03-01")) == ["8-2-302"]
    assert keys(run_json("household", "list", "--at", "2009-01-01")) == ["8-2-302"], "not moved in yet"

    shown = run_json("household", "show", "8-2-301")
    assert shown["moved_out_on"] == "2026-03-01"
    assert shown["note"] == "搬去女儿家"
    assert [r["name"] for r in shown["residents"]] == ["熊秀英"]

    again = run("household", "move-out", "8-2-301", lang="en")
    assert again.exit_code == ExitCode.INVALID
    assert "already moved out" in one_line_error(again)


def test_move_out_before_moving_in_is_refused(db, run):
    add_household(run, "8-2-301", "--moved-in", "2020-05-01")
    result = run("household", "move-out", "8-2-301", "--on", "2019-01-01")
    assert result.exit_code == ExitCode.INVALID
    one_line_error(result)


def test_list_is_in_address_order(db, run, run_json):
    for key in ["10-1-101", "2-1-1001", "2-1-302", "2-1-101", "2-2-101", "9-101"]:
        add_household(run, key)
    assert keys(run_json("household", "list")) == ["2-1-101", "2-1-302", "2-1-1001", "2-2-101", "9-101", "10-1-101"]


@pytest.fixture
@built_once
def small_estate(db, run):
    """Three buildings, two grid points, one resident who is not the head."""
    add_household(run, "3-1-101", "--head", "陈丽娜", "--phone", "0874-8127105", "--grid", "G05")
    add_household(run, "3-1-102", "--head", "梁文杰", "--phone", "19971827710", "--grid", "G05")
    add_household(run, "3-2-101", "--head", "何桂珍", "--phone", "18387056010", "--grid", "G06")
    add_household(run, "5-1-101", "--head", "孔海龙", "--phone", "15018089428", "--grid", "G09")
    add_household(run, "12-301", "--head", "熊秀英", "--phone", "13800000012", "--note", "独居老人")
    assert run("resident", "add", "5-1-101", "龙俊杰", "--relation", "配偶", "--phone", "13196896235").exit_code == 0
    return db


@pytest.mark.parametrize(
    "filters, expected",
    [
        (("--building", "3"), ["3-1-101", "3-1-102", "3-2-101"]),
        (("--building", "3栋"), ["3-1-101", "3-1-102", "3-2-101"]),
        (("-b", "3号楼", "--unit", "1"), ["3-1-101", "3-1-102"]),
        (("--building", "3", "--unit", "2单元"), ["3-2-101"]),
        (("--grid", "G05"), ["3-1-101", "3-1-102"]),
        (("--grid", "g06"), ["3-2-101"]),
        (("--search", "梁文杰"), ["3-1-102"]),
        (("--search", "桂"), ["3-2-101"]),
        (("--search", "0874"), ["3-1-101"]),
        (("-s", "13196896235"), ["5-1-101"]),  # a resident's phone
        (("--search", "龙俊杰"), ["5-1-101"]),  # a resident's name, not the head's
        (("--search", "独居"), ["12-301"]),
        (("--search", "nobody"), []),
        (("--building", "3", "--search", "孔海龙"), []),
        (("--building", "12"), ["12-301"]),
    ],
)
def test_list_filters(small_estate, run_json, filters, expected):
    assert keys(run_json("household", "list", *filters)) == expected


def test_list_limit(small_estate, run_json):
    assert keys(run_json("household", "list", "--limit", "2")) == ["3-1-101", "3-1-102"]


# --- residents ------------------------------------------------------------------------------------


def test_add_edit_and_list_residents(db, run, run_json):
    add_household(run, "8-2-301", "--head", "熊秀英")
    add_household(run, "8-2-302", "--head", "邵俊飞")
    assert run("resident", "add", "8-2-301", "熊秀英", "--relation", "户主", "--birth-year", "1944").exit_code == 0
    assert run("resident", "add", "8-2-301", "熊小明", "--relation", "grandchild").exit_code == 0
    assert run("resident", "add", "8-2-302", "邵俊飞", "--relation", "Head of household",
               "--phone", "0874-8000001").exit_code == 0

    residents = run_json("resident", "list", "8-2-301")
    assert [(r["name"], r["relation"], r["birth_year"]) for r in residents] == [
        ("熊秀英", "head", 1944), ("熊小明", "grandchild", None)
    ]
    assert all(r["household"] == "8-2-301" for r in residents)

    edited = run_json("resident", "edit", "8-2-301", "熊小明", "--birth-year", "2012", "--phone", "0874-8000002")
    assert (edited["birth_year"], edited["phone"]) == (2012, "0874-8000002")
    renamed = run_json("resident", "edit", "8-2-301", "熊小明", "--name", "熊晓明")
    assert renamed["name"] == "熊晓明"

    everyone = run_json("resident", "list")
    assert [(r["household"], r["name"]) for r in everyone] == [
        ("8-2-301", "熊秀英"), ("8-2-301", "熊晓明"), ("8-2-302", "邵俊飞")
    ]
    assert [r["name"] for r in run_json("resident", "list", "--search", "0874-8000001")] == ["邵俊飞"]
    assert [r["name"] for r in run_json("household", "show", "8-2-301")["residents"]] == ["熊秀英", "熊晓明"]


def test_resident_moved_out_is_kept(db, run, run_json):
    add_household(run, "8-2-301")
    assert run("resident", "add", "8-2-301", "熊小明").exit_code == 0
    assert run("resident", "edit", "8-2-301", "熊小明", "--moved-out", "2026-09-01").exit_code == 0
    assert run_json("resident", "list", "8-2-301") == []
    kept = run_json("resident", "list", "8-2-301", "--all")
    assert [(r["name"], r["moved_out_on"]) for r in kept] == [("熊小明", "2026-09-01")]


@pytest.mark.parametrize(
    "args, code, words",
    [
        (("resident", "add", "8-2-301", "熊秀英"), ExitCode.INVALID, "already"),
        (("resident", "edit", "8-2-301", "熊小明", "--name", "熊秀英"), ExitCode.INVALID, "熊秀英"),
        (("resident", "edit", "8-2-301", "熊小明", "--name", "  "), ExitCode.INVALID, "name"),
        (("resident", "edit", "8-2-301", "无此人", "--phone", "13800000000"), ExitCode.NOT_FOUND, "无此人"),
        (("resident", "edit", "8-2-301", "熊小明"), ExitCode.INVALID, "nothing to change"),
        (("resident", "add", "8-2-301", "某人", "--relation", "邻居"), ExitCode.INVALID, "relation"),
        (("resident", "add", "8-2-301", "某人", "--birth-year", "44"), ExitCode.INVALID, "birth year"),
    ],
)
def test_resident_mistakes(db, run, run_json, args, code, words):
    add_household(run, "8-2-301")
    assert run("resident", "add", "8-2-301", "熊秀英").exit_code == 0
    assert run("resident", "add", "8-2-301", "熊小明").exit_code == 0
    result = run(*args, lang="en")
    assert result.exit_code == code
    assert words in one_line_error(result)
    assert sorted(r["name"] for r in run_json("resident", "list", "8-2-301")) == ["熊小明", "熊秀英"]


# --- staff and grid points ------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["楼栋长", "楼长", "building_leader", "Building leader", "building-leader"])
def test_roles_are_accepted_in_any_language(db, run_json, spelling):
    added = run_json("staff", "add", "王芳", "--role", spelling)
    assert added["role"] == "building_leader"


def test_staff_add_and_list(db, run, run_json):
    assert run("staff", "add", "王芳", "--role", "楼栋长", "--phone", "19877081074", "--covers", "3,5栋").exit_code == 0
    assert run("staff", "add", "李建国", "--role", "grid_worker", "--covers", "G07，g08").exit_code == 0
    assert run("staff", "add", "赵敏", "--role", "Cleaner").exit_code == 0

    staff = {s["name"]: s for s in run_json("staff", "list")}
    assert staff["王芳"]["role"] == "building_leader"
    assert staff["王芳"]["phone"] == "19877081074"
    assert staff["王芳"]["covers"] == ["3", "5"]
    assert staff["李建国"]["covers"] == ["G07", "G08"]
    assert staff["赵敏"]["covers"] == []

    assert [s["name"] for s in run_json("staff", "list", "--covers", "G07")] == ["李建国"]
    assert [s["name"] for s in run_json("staff", "list", "--covers", "5")] == ["王芳"]
    assert [s["name"] for s in run_json("staff", "list", "--role", "网格员")] == ["李建国"]

    # The same name again updates rather than duplicates.
    assert run("staff", "add", "王芳", "--covers", "3,5,G07").exit_code == 0
    staff = {s["name"]: s for s in run_json("staff", "list")}
    assert len(staff) == 3
    assert staff["王芳"]["role"] == "building_leader"
    assert staff["王芳"]["covers"] == ["3", "5", "G07"]


def test_staff_mistakes(db, run):
    unknown = run("staff", "add", "王芳", "--role", "boss")
    assert unknown.exit_code == ExitCode.INVALID
    line = one_line_error(unknown)
    assert "building_leader" in line and "楼栋长" in line, "the message lists the choices"
    no_role = run("staff", "add", "王芳", lang="en")
    assert no_role.exit_code == ExitCode.INVALID
    assert "role" in one_line_error(no_role)


def test_labels_follow_the_language(db, run):
    assert run("staff", "add", "王芳", "--role", "building_leader").exit_code == 0
    assert run("household", "add", "8-2-301").exit_code == 0
    assert run("resident", "add", "8-2-301", "熊秀英", "--relation", "户主").exit_code == 0

    chinese = run("staff", "list")
    assert "楼栋长" in chinese.stdout and "角色" in chinese.stdout
    assert "Building leader" not in chinese.stdout

    english = run("--lang", "en", "staff", "list")
    assert english.exit_code == 0
    assert "Building leader" in english.stdout and "Role" in english.stdout
    assert "楼栋长" not in english.stdout

    residents = run("--lang", "en", "resident", "list")
    assert "Head of household" in residents.stdout and "Relation" in residents.stdout
    assert "Address" in run("--lang", "en", "household", "list").stdout


def test_language_from_the_environment(db, run):
    assert run("staff", "add", "王芳", "--role", "building_leader").exit_code == 0
    assert "Building leader" in run("staff", "list", env={"REDPROP_LANG": "en_US.UTF-8"}).stdout


def test_unknown_language_is_a_usage_error(db, run):
    result = run("--lang", "fr", "household", "list")
    assert result.exit_code == ExitCode.USAGE
    assert "Traceback" not in result.output


def test_grid_add_and_list(db, run, run_json):
    added = run_json("grid", "add", "g07", "--name", "3栋1单元", "--building", "3栋")
    assert (added["code"], added["name"], added["building"]) == ("G07", "3栋1单元", "3")
    add_household(run, "3-1-101", "--grid", "G07")
    add_household(run, "3-1-102", "--grid", "G07")
    typo = run("household", "add", "5-1-101", "--grid", "G09")  # grid points are on record: G09 is not one
    assert typo.exit_code == 4 and "G09" in typo.output
    assert run("grid", "add", "G09").exit_code == 0
    add_household(run, "5-1-101", "--grid", "G09")
    assert run("staff", "add", "李建国", "--role", "网格员", "--covers", "G07").exit_code == 0

    grids = {g["code"]: g for g in run_json("grid", "list")}
    assert set(grids) == {"G07", "G09"}
    assert grids["G07"]["households"] == 2 and grids["G07"]["staff"] == ["李建国"]
    assert grids["G09"]["households"] == 1 and grids["G09"]["name"] is None

    renamed = run_json("grid", "add", "G07", "--name", "三栋一单元")
    assert renamed["name"] == "三栋一单元" and renamed["building"] == "3", "a rename keeps the building"


# --- output -------------------------------------------------------------------------------------


def test_json_listing_is_an_array_of_objects_with_the_address_key(small_estate, run_json):
    rows = run_json("household", "list")
    assert isinstance(rows, list) and len(rows) == 5
    assert all(isinstance(row, dict) and row["key"] for row in rows)
    first = rows[0]
    assert first["key"] == "3-1-101" and first["phone"] == "0874-8127105"


def test_every_json_output_of_a_household_carries_its_key(db, run_json):
    assert run_json("household", "add", "8-2-301")["key"] == "8-2-301"
    assert run_json("household", "edit", "8-2-301", "--head", "熊秀英")["key"] == "8-2-301"
    assert run_json("household", "show", "8-2-301")["key"] == "8-2-301"
    assert run_json("household", "move-out", "8-2-301")["key"] == "8-2-301"
    assert run_json("household", "list", "--all")[0]["key"] == "8-2-301"


def test_csv_listing(small_estate, run):
    result = run("household", "list", "--building", "3", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["key"] for r in rows] == ["3-1-101", "3-1-102", "3-2-101"]
    assert rows[0]["phone"] == "0874-8127105"
    assert rows[0]["head"] == "陈丽娜"


def test_tables_in_a_pipe_have_no_colour_and_nothing_cut_off(db, run):
    long_note = "这位老人独居多年，女儿在外地打工，每周需要上门看望两次并记录血压情况" * 2
    add_household(run, "8-2-301", "--head", "熊秀英", "--note", long_note)
    result = run("household", "list")
    assert "\x1b[" not in result.stdout
    assert long_note in result.stdout
    assert "熊秀英" in result.stdout


def test_messages_go_to_stderr_and_data_to_stdout(db, run):
    result = run("household", "add", "8-2-301", "--format", "json")
    assert result.stdout.lstrip().startswith("{")
    listed = run("household", "list", "--format", "json")
    assert listed.stderr == ""


# --- help ---------------------------------------------------------------------------------------


def _command_paths(command, path=()):
    """Every command, through click's own API (sub-commands are loaded lazily)."""
    yield path, command
    if hasattr(command, "list_commands"):
        ctx = command.context_class(command)
        for name in command.list_commands(ctx):
            yield from _command_paths(command.get_command(ctx, name), (*path, name))


COMMANDS = list(_command_paths(typer.main.get_command(app)))


def test_the_command_tree_is_complete():
    names = {" ".join(path) for path, _ in COMMANDS}
    for expected in [
        "init", "demo",
        "household add", "household edit", "household show", "household list", "household move-out", "household import",
        "resident add", "resident edit", "resident list", "resident import",
        "staff add", "staff list", "staff import", "grid add", "grid list", "grid import",
    ]:
        assert expected in names


@pytest.mark.parametrize("path, command", COMMANDS, ids=[" ".join(p) or "redprop" for p, _ in COMMANDS])
def test_every_command_has_help(run, path, command):
    assert (command.help or "").strip(), f"`redprop {' '.join(path)}` has no help text"
    result = run(*path, "--help")
    assert result.exit_code == 0
    assert "用法" in result.stdout, "in Chinese by default"
    assert "Usage" in run(*path, "--help", lang="en").stdout
    assert re.search(r"\S", command.help.splitlines()[0])


def test_search_takes_percent_and_underscore_literally(db, run, run_json):
    assert run("household", "add", "8-2-301", "--head", "熊秀英", "--note", "欠费50%").exit_code == 0
    assert run("household", "add", "8-2-302", "--head", "邵俊飞").exit_code == 0
    assert [h["key"] for h in run_json("household", "list", "--search", "%")] == ["8-2-301"]
    assert run_json("household", "list", "--search", "_") == []


@pytest.mark.sqlite_only("another program's SQLite file")
def test_someone_elses_database_is_refused_and_left_alone(run, db_path):
    import sqlite3

    other = sqlite3.connect(db_path)
    other.execute("CREATE TABLE foo (x)")
    other.commit()
    other.close()
    result = run("household", "list", lang="en")
    assert result.exit_code == ExitCode.DATABASE and "not a redprop database" in result.stderr
    check = sqlite3.connect(db_path)
    assert [r[0] for r in check.execute("SELECT name FROM sqlite_master")] == ["foo"]
    assert check.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


@pytest.mark.sqlite_only("an empty file")
def test_an_empty_file_is_not_a_database(run, db_path):
    db_path.write_bytes(b"")
    assert run("household", "list").exit_code == ExitCode.DATABASE
    assert db_path.stat().st_size == 0


def test_an_empty_name_in_a_roster_is_a_bad_row(db, run, tmp_path):
    sheet = tmp_path / "staff.csv"
    sheet.write_text("姓名,角色\n,楼栋长\n王芳,楼栋长\n", encoding="utf-8")
    result = run("staff", "import", sheet)
    assert result.exit_code == ExitCode.IMPORT_REFUSED and "第 2 行，列 姓名：为空" in result.stderr
