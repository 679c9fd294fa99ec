"""Hostile and messy input, through the CLI (issue 12, items 5–9).

The corpus is made here, by code: formula-looking names, a zip-bomb workbook, Big5 and
Shift-JIS rosters, NUL and ANSI escapes, bidi overrides, padded names, phones as offices
write them, grid-code typos. Each case asserts what redprop does with it: refuses it in one
line naming the row and column (or the option), or keeps it harmless.
"""

import csv
import io
import json
import re
import resource
import sqlite3
import subprocess
import sys
import time
import zipfile
from datetime import timedelta, timezone

import pytest

from redprop.errors import ExitCode
from conftest import built_once, now

HEADER = "楼栋,单元,门牌号,户主,电话,网格,人口,入住日期,备注"
FORMULA = '=HYPERLINK("http://x","click")'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def write(path, lines, encoding="utf-8"):
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def one_line(result) -> str:
    """The single line a refusal prints on stderr (and no traceback)."""
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert lines, result.output
    return result.stderr


def households(run_json, *options):
    return {r["key"]: r for r in run_json("household", "list", "--all", *options)}


# --- 5. exports cannot run as formulas --------------------------------------------------------


@pytest.fixture
@built_once
def formula_estate(db, run, tmp_path):
    """A small community whose every text a worker types looks like a formula."""
    today = now().astimezone(timezone(timedelta(hours=8)))  # in Shanghai
    assert run("grid", "add", "G01", "--name", "@SUM(1)", "--building", "8").exit_code == 0
    assert run("household", "add", "8-2-301", "--head", FORMULA, "--phone", "13812340015", "--grid", "G01",
               "--note", "-2+3 cmd").exit_code == 0
    assert run("resident", "add", "8-2-301", "=cmd|' /C calc'!A0", "--relation", "子女").exit_code == 0
    assert run("staff", "add", "+刘磊", "--role", "网格员", "--covers", "G01").exit_code == 0
    assert run("group", "join", "8-2-301", "独居老人", "--since", (today - timedelta(days=30)).strftime("%Y-%m-%d")).exit_code == 0
    assert run("visit", "log", "8-2-301", "--by", "+刘磊", "--outcome", "需要帮助", "--need", "=1+1",
               "--at", "20d ago").exit_code == 0
    opened = run("issue", "open", "--kind", "problem", "--category", "报修", "--channel", "巡查", "--place", "@楼道",
                 "--title", "=HYPERLINK(\"http://x\")", "--description", "\t-tab", "--reporter", "-张三",
                 "--at", "2m ago")
    assert opened.exit_code == 0, opened.output
    assert run("issue", "note", "1", "+note").exit_code == 0
    return db


CSV_LISTINGS = [
    ("household", "list"), ("household", "show", "8-2-301"), ("household", "history", "8-2-301"),
    ("resident", "list"), ("staff", "list"), ("grid", "list"), ("group", "list"), ("group", "members", "独居老人"),
    ("visit", "list"), ("visit", "due"), ("visit", "plan"), ("issue", "list"), ("issue", "show", "1"),
    ("issue", "category", "list"), ("overdue",), ("stats",), ("log",),
]


@pytest.mark.parametrize("command", CSV_LISTINGS, ids=" ".join)
def test_no_csv_cell_of_any_listing_runs_as_a_formula(formula_estate, run, command):
    result = run(*command, "--format", "csv")
    assert result.exit_code == 0, result.output
    for row in csv.reader(io.StringIO(result.stdout)):
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                try:
                    float(cell)  # a number stays a number: -15 minutes left
                except ValueError:
                    pytest.fail(f"{' '.join(command)}: live formula {cell!r}")


def test_the_formula_name_goes_out_as_text_and_json_stays_exact(formula_estate, run, run_json):
    out = run("household", "list", "--format", "csv").stdout
    assert "'" + FORMULA in next(csv.reader(io.StringIO(out.splitlines()[1])))
    assert run_json("household", "list")[0]["head"] == FORMULA  # JSON as typed
    assert run_json("issue", "show", "1")["title"] == '=HYPERLINK("http://x")'


def test_minutes_left_stay_a_number_in_csv(formula_estate, run):
    out = run("overdue", "--soon", "2h", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    soon = [r for r in rows if r.get("late_minutes", "").startswith("-")]
    assert soon, out
    assert all(int(r["late_minutes"]) < 0 for r in soon)  # -3, not '-3


# --- 6. imports within limits ------------------------------------------------------------------


def _workbook(path, rows):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _bomb(path, size: int, part="xl/worksheets/sheet2.xml"):
    """A real workbook with one more part that unpacks to `size` bytes of the same byte."""
    _workbook(path, [["楼栋", "门牌号", "户主"], [8, 301, "熊秀英"]])
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        info = zipfile.ZipInfo(part)
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as out:
            chunk = b"<row>" + b"0" * (1 << 20)
            for _ in range(size // len(chunk) + 1):
                out.write(chunk)
    return path


def _redprop_in_a_process(db, *args):
    """redprop in its own process: (result, seconds, peak memory of that process in MB)."""
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "redprop", "--db", str(db), "--lang", "en", *map(str, args)],
                          capture_output=True, text=True, timeout=120)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return done, time.monotonic() - start, peak


def test_a_zip_bomb_workbook_is_refused_before_it_is_parsed(db, tmp_path):
    path = _bomb(tmp_path / "bomb.xlsx", 520 << 20)
    assert path.stat().st_size < 5 << 20  # a few MB on disk
    done, seconds, peak = _redprop_in_a_process(db, "household", "import", path)
    assert done.returncode == ExitCode.INVALID, done.stderr
    assert "500 MB" in done.stderr and "zip bomb" in done.stderr and done.stderr.count("\n") == 1
    assert seconds < 10 and peak < 300  # a guard against parsing it, not a speed test


def test_a_part_compressed_over_100_to_1_is_refused(db, run, tmp_path):
    path = _bomb(tmp_path / "ratio.xlsx", 20 << 20)
    result = run("household", "import", path, lang="en")
    assert result.exit_code == ExitCode.INVALID
    assert "sheet2.xml" in result.stderr and "100:1" in result.stderr


def test_a_formula_without_its_saved_value_names_the_cell(db, run, tmp_path):
    path = _workbook(tmp_path / "formula.xlsx", [["楼栋", "门牌号", "户主"], [8, 301, "熊秀英"], [8, 302, "=A3&B3"]])
    result = run("household", "import", path, lang="en")
    assert result.exit_code == ExitCode.INVALID
    assert "C3" in result.stderr and "open and save it in Excel first" in result.stderr
    assert households(_json(run)) == {}


def _json(run):
    def run_json(*args):
        return json.loads(run(*args, "--format", "json").stdout)
    return run_json


def test_a_cell_over_excels_limit_names_its_row_and_column(db, run, tmp_path):
    path = write(tmp_path / "long.csv", [HEADER, "8,2,301,熊秀英,,,,,", "8,2,302,邵俊飞,,,,," + "备" * 40_000])
    result = run("household", "import", path, lang="en")
    assert result.exit_code == ExitCode.INVALID
    assert "row 3, column I" in result.stderr and "32767" in result.stderr
    assert households(_json(run)) == {}


def test_a_stray_quote_that_swallows_the_file_stops_at_the_line_limit(db, run, tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text(HEADER + '\n8,2,301,"熊秀英,,,,,\n' + ("x" * 1000 + "\n") * 5000, encoding="utf-8")
    result = run("household", "import", path, lang="en")
    assert result.exit_code == ExitCode.INVALID and "row 2" in result.stderr
    assert result.stderr.count("\n") == 1


def test_max_rows_stops_a_file_naming_the_limit_and_the_flag(db, run, tmp_path):
    path = write(tmp_path / "three.csv", [HEADER, "8,2,301,甲,,,,,", "8,2,302,乙,,,,,", "8,2,303,丙,,,,,"])
    result = run("household", "import", path, "--max-rows", "2", lang="en")
    assert result.exit_code == ExitCode.INVALID
    assert "more than 2 rows" in result.stderr and "--max-rows" in result.stderr
    assert households(_json(run)) == {}
    assert run("household", "import", path, "--max-rows", "3").exit_code == 0


def test_a_refused_row_after_the_first_chunk_writes_nothing(db, run, tmp_path):
    """The issue import writes chunk by chunk inside one transaction: a bad last row undoes it all."""
    rows = ["报告时间,地点,标题"] + [f"2026-01-01 09:{i % 60:02d},{i}号楼,标题{i}" for i in range(20_005)]
    rows.append("明年,1号楼,坏的")
    result = run("issue", "import", write(tmp_path / "issues.csv", rows), lang="en")
    assert result.exit_code == ExitCode.IMPORT_REFUSED
    assert "row 20007" in result.stderr
    assert json.loads(run("issue", "list", "--status", "all", "--format", "json").stdout) == []


def test_a_thousand_refused_rows_are_listed_and_the_rest_counted(db, run, tmp_path):
    rows = [HEADER] + [f"8,2,{100 + i},户主{i},abc,,,," for i in range(1500)]
    result = run("household", "import", write(tmp_path / "bad.csv", rows), lang="en")
    assert result.exit_code == ExitCode.IMPORT_REFUSED
    assert "1500 bad row(s)" in result.stderr
    assert len(re.findall(r"^refused row \d+", result.stderr, re.M)) == 1000 and "500 more refused rows" in result.stderr


# --- 7. encodings are detected, not assumed ---------------------------------------------------

BIG5_ROWS = ["building,room,head,phone"] + [f"8,30{i},{n},1381234001{i}" for i, n in enumerate(["陳美玲", "張志明", "黃淑芬", "林國華"])]
SJIS_ROWS = ["building,room,head"] + [f"8,30{i},{n}" for i, n in enumerate(["山田太郎", "鈴木花子", "佐藤健", "田中美咲"])]


@pytest.mark.parametrize("rows, encoding, named", [(BIG5_ROWS, "big5", "Big5"), (SJIS_ROWS, "shift_jis", "Shift-JIS")])
def test_big5_and_shift_jis_rosters_are_refused_naming_the_encoding(db, run, tmp_path, rows, encoding, named):
    result = run("household", "import", write(tmp_path / "roster.csv", rows, encoding), lang="en")
    assert result.exit_code == ExitCode.INVALID
    assert named in result.stderr and "CSV UTF-8" in result.stderr and result.stderr.count("\n") == 1
    assert households(_json(run)) == {}


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-16", "utf-8-sig", "utf-8"])
def test_the_encodings_offices_save_in_are_read(db, run, run_json, tmp_path, encoding):
    rows = [HEADER, "8,2,301,熊秀英,,,,,", "8,2,302,赵强,,,,,"]
    assert run("household", "import", write(tmp_path / "roster.csv", rows, encoding)).exit_code == 0
    assert {r["head"] for r in households(run_json).values()} == {"熊秀英", "赵强"}


def test_a_gbk_file_whose_first_rows_are_plain_ascii_is_read_as_gbk(db, run, run_json, tmp_path):
    """The encoding is told from the first lines that are not ASCII, however far down."""
    rows = ["building,unit,room,head"] + [f"{10 + i // 900},1,{100 + i % 900},X{i}" for i in range(20_000)] + ["8,2,301,熊秀英"]
    assert run("household", "import", write(tmp_path / "late.csv", rows, "gbk")).exit_code == 0
    assert households(run_json, "--search", "熊秀英")["8-2-301"]["head"] == "熊秀英"


def test_a_short_gbk_file_is_read_as_gbk(db, run, run_json, tmp_path):
    """Three Chinese characters are ambiguous to any detector; GBK wins when it reads cleanly."""
    path = write(tmp_path / "one.csv", ["head,building,room", "熊秀英,8,301"], "gbk")
    assert run("household", "import", path).exit_code == 0
    assert households(run_json)["8-301"]["head"] == "熊秀英"


# --- 8. text cleaned on the way in and on the way out -------------------------------------------

HOSTILE_NAMES = [("\x00", "U+0000"), ("\x1b[2J", "U+001B"), ("\u202e", "U+202E"), ("\u200b", "U+200B"),
                 ("\u2066", "U+2066"), ("\x07", "U+0007")]


@pytest.mark.parametrize("bad, code", HOSTILE_NAMES)
def test_hostile_characters_in_an_import_are_refused_by_row_and_column(db, run, tmp_path, bad, code):
    path = write(tmp_path / "roster.csv", [HEADER, "8,2,301,熊秀英,,,,,", f"8,2,302,邵{bad}俊飞,,,,,"])
    result = run("household", "import", path, lang="en")
    assert result.exit_code == ExitCode.IMPORT_REFUSED
    assert f"row 3, column 户主: has" in result.stderr and code in result.stderr
    assert households(_json(run)) == {}


def test_a_hostile_title_in_an_issue_import_names_its_column(db, run, tmp_path):
    rows = ["报告时间,地点,标题,描述", "2026-01-01 09:00,1号楼,好的,", "2026-01-01 09:05,1号楼,清屏\x1b[2J,"]
    result = run("issue", "import", write(tmp_path / "issues.csv", rows), lang="en")
    assert result.exit_code == ExitCode.IMPORT_REFUSED and "row 3, column 标题" in result.stderr


@pytest.mark.parametrize("command", [
    ("household", "add", "8-2-301", "--head", "熊\x1b[2J秀英"),
    ("staff", "add", "刘\u202e磊", "--role", "网格员"),
    ("issue", "open", "--kind", "problem", "--category", "报修", "--channel", "巡查", "--place", "1号楼", "--title", "漏水\x00"),
])
def test_hostile_characters_typed_in_are_one_line_errors(db, run, command):
    result = run(*command, lang="en")
    assert result.exit_code == ExitCode.INVALID and result.stderr.count("\n") == 1
    assert "type it again without it" in result.stderr


def test_a_note_keeps_its_tabs_and_line_breaks(db, run, run_json):
    assert run("household", "add", "8-2-301", "--note", "第一行\n第二行\t备注").exit_code == 0
    assert households(run_json)["8-2-301"]["note"] == "第一行\n第二行\t备注"


@pytest.mark.sqlite_only("edits the database file by hand with sqlite3")
def test_old_data_with_control_characters_never_reaches_plain_text(db, run):
    assert run("household", "add", "8-2-301", "--head", "熊秀英").exit_code == 0
    with sqlite3.connect(db) as conn:  # written before names were cleaned
        conn.execute("UPDATE households SET head = ? WHERE key = '8-2-301'", ("熊\x1b[2J秀\u202e英\x00",))
    out = run("household", "list").stdout + run("household", "show", "8-2-301").stdout
    assert "熊秀英" in out
    assert not any(ch in out for ch in "\x1b\u202e\x00")


@pytest.mark.parametrize("typed, stored", [("赵 强", "赵强"), ("钱\u3000进", "钱进"), ("欧阳  娜娜", "欧阳娜娜"),
                                           ("John   Smith", "John Smith"), ("买买提 · 艾力", "买买提 · 艾力")])
def test_names_are_normalised(db, run, run_json, typed, stored):
    assert run("household", "add", "8-2-301", "--head", typed).exit_code == 0
    assert households(run_json)["8-2-301"]["head"] == stored


@pytest.mark.sqlite_only("edits the database file by hand with sqlite3")
def test_a_padded_name_is_found_by_the_name_and_the_name_by_the_padded_one(db, run, run_json, tmp_path):
    write(tmp_path / "roster.csv", [HEADER, "8,2,301,赵 强,,,,,", "8,2,302,钱\u3000进,,,,,"])
    assert run("household", "import", tmp_path / "roster.csv").exit_code == 0
    assert set(households(run_json, "--search", "赵强")) == {"8-2-301"}
    assert set(households(run_json, "--search", "钱 进")) == {"8-2-302"}
    with sqlite3.connect(db) as conn:  # an old record, padded before names were normalised
        conn.execute("UPDATE households SET head = '孙 丽' WHERE key = '8-2-302'")
    assert set(households(run_json, "--search", "孙丽")) == {"8-2-302"}


# --- 9. phones and codes as offices write them ------------------------------------------------


@pytest.mark.parametrize("typed, stored", [
    ("138 1234 0015", "13812340015"), ("138-1234-0015", "13812340015"), ("+86 138 1234 0015", "13812340015"),
    ("8613812340015", "13812340015"), ("0874 8552052", "0874-8552052"), ("0874-8552052", "0874-8552052"),
    ("010-12345678", "010-12345678"), ("８５５２０５２", "8552052"),
])
def test_phones_are_stored_as_offices_mean_them(db, run, run_json, typed, stored):
    assert run("household", "add", "8-2-301", "--phone", typed).exit_code == 0
    assert households(run_json)["8-2-301"]["phone"] == stored


@pytest.mark.parametrize("typed", ["1381234001", "138123400155", "0874-123", "12345"])
def test_a_phone_that_cannot_be_right_is_refused(db, run, typed):
    result = run("household", "add", "8-2-301", "--phone", typed, lang="en")
    assert result.exit_code == ExitCode.INVALID and result.stderr.count("\n") == 1


def test_a_phone_is_found_by_its_digits_whatever_the_separators(db, run, run_json, tmp_path):
    write(tmp_path / "roster.csv", [HEADER, "8,2,301,熊秀英,138 1234 0015,,,,", "8,2,302,邵俊飞,0874-8552052,,,,"])
    assert run("household", "import", tmp_path / "roster.csv").exit_code == 0
    assert households(run_json)["8-2-301"]["phone"] == "13812340015"
    assert set(households(run_json, "--search", "138-1234-0015")) == {"8-2-301"}
    assert set(households(run_json, "--search", "1234 0015")) == {"8-2-301"}
    assert set(households(run_json, "--search", "08748552052")) == {"8-2-302"}


@pytest.fixture
@built_once
def gridded(db, run, tmp_path):
    write(tmp_path / "grids.csv", ["网格,名称,楼栋", "G01,1栋,1", "G03,3栋,3"])
    assert run("grid", "import", tmp_path / "grids.csv").exit_code == 0
    assert run("household", "add", "3-1-101", "--grid", "G03").exit_code == 0
    return db


def test_a_grid_typo_is_refused_in_a_household_import(gridded, run, run_json, tmp_path):
    path = write(tmp_path / "roster.csv", [HEADER, "3,1,102,甲,,G03,,,", "3,1,103,乙,,G3,,,"])
    result = run("household", "import", path, lang="en")
    assert result.exit_code == ExitCode.IMPORT_REFUSED
    assert "row 3, column 网格: no grid point G3" in result.stderr and "G03" in result.stderr
    assert set(households(run_json)) == {"3-1-101"}
    added = run("household", "import", path, "--new-grids", lang="en")
    assert added.exit_code == 0 and "new grid points (--new-grids): G3 (1 in all)" in added.stderr
    assert "G3" in {g["code"] for g in run_json("grid", "list")}


@pytest.mark.parametrize("command", [
    ("household", "add", "3-1-109", "--grid", "G3"),
    ("household", "edit", "3-1-101", "--grid", "G3"),
    ("staff", "add", "刘磊", "--role", "网格员", "--covers", "G99"),
    ("staff", "add", "刘磊", "--role", "网格员", "--covers", "99"),
])
def test_an_unknown_grid_or_building_is_refused_where_it_is_typed(gridded, run, command):
    result = run(*command, lang="en")
    assert result.exit_code == ExitCode.INVALID and result.stderr.count("\n") == 1


def test_a_staff_roster_naming_an_unknown_grid_is_refused_by_row(gridded, run, run_json, tmp_path):
    path = write(tmp_path / "staff.csv", ["姓名,角色,电话,负责区域", "刘磊,网格员,,G03", "周远,网格员,,G3"])
    result = run("staff", "import", path, lang="en")
    assert result.exit_code == ExitCode.IMPORT_REFUSED and "row 3, column 负责区域" in result.stderr
    assert run_json("staff", "list") == []
    assert run("staff", "import", path, "--new-grids").exit_code == 0


def test_the_first_roster_brings_the_grid_points_and_says_so(db, run, run_json, tmp_path):
    path = write(tmp_path / "roster.csv", [HEADER, "3,1,101,甲,,G03,,,", "3,1,102,乙,,G04,,,"])
    result = run("household", "import", path, lang="en")
    assert result.exit_code == 0 and "first grid points, from this file: G03, G04 (2 in all)" in result.stderr
    typo = run("household", "import", write(tmp_path / "next.csv", [HEADER, "3,1,103,丙,,G3,,,"]), lang="en")
    assert typo.exit_code == ExitCode.IMPORT_REFUSED  # now on record: G3 is a typo


def test_a_staff_name_is_matched_as_normalised(db, run, run_json):
    assert run("staff", "add", "欧阳娜娜", "--role", "网格员", "--phone", "13812340015").exit_code == 0
    assert run("staff", "add", "欧阳 娜娜", "--phone", "138 1234 0015").exit_code == 0
    assert [s["name"] for s in run_json("staff", "list")] == ["欧阳娜娜"]


def test_another_person_with_a_phone_on_record_is_refused_unless_allowed(db, run, run_json):
    assert run("staff", "add", "欧阳娜娜", "--role", "网格员", "--phone", "13812340015").exit_code == 0
    refused = run("staff", "add", "欧阳娜", "--role", "网格员", "--phone", "13812340015", lang="en")
    assert refused.exit_code == ExitCode.INVALID and "欧阳娜娜" in refused.stderr
    assert run("staff", "add", "欧阳娜", "--role", "网格员", "--phone", "13812340015", "--allow-duplicate").exit_code == 0
    assert len(run_json("staff", "list")) == 2


def test_a_staff_roster_with_two_names_for_one_phone_is_refused(db, run, tmp_path):
    path = write(tmp_path / "staff.csv", ["姓名,角色,电话", "欧阳娜娜,网格员,13812340015", "欧阳 娜,网格员,138 1234 0015"])
    result = run("staff", "import", path, lang="en")
    assert result.exit_code == ExitCode.IMPORT_REFUSED and "row 3, column 电话" in result.stderr


@pytest.mark.parametrize("day, said", [("2099-01-01", "in the future"), ("9999-12-31", "from 1950 to 2100")])
def test_moving_in_in_the_future_is_refused(db, run, tmp_path, day, said):
    typed = run("household", "add", "8-2-301", "--moved-in", day, lang="en")
    assert typed.exit_code == ExitCode.INVALID and said in typed.stderr
    imported = run("household", "import", write(tmp_path / "r.csv", [HEADER, f"8,2,301,甲,,,,{day},"]), lang="en")
    assert imported.exit_code == ExitCode.IMPORT_REFUSED and "column 入住日期" in imported.stderr


def test_a_membership_starting_in_the_future_is_refused(db, run, tmp_path):
    assert run("household", "add", "8-2-301").exit_code == 0
    typed = run("group", "join", "8-2-301", "独居老人", "--since", "2099-01-01", lang="en")
    assert typed.exit_code == ExitCode.INVALID and "in the future" in typed.stderr
    path = write(tmp_path / "m.csv", ["户号,人群,开始日期", "8-2-301,独居老人,2099-01-01"])
    imported = run("group", "import", path, lang="en")
    assert imported.exit_code == ExitCode.IMPORT_REFUSED and "column 开始日期" in imported.stderr


@pytest.mark.parametrize("cells, column", [("8,2,301,甲,,,31,,", "人口"), ("12345,2,301,甲,,,,,", "楼栋"),
                                           ("8,2,30101,甲,,,,,", "门牌号"), ("8,2,301,甲,,,0,,", "人口")])
def test_numbers_out_of_range_name_their_field(db, run, tmp_path, cells, column):
    result = run("household", "import", write(tmp_path / "r.csv", [HEADER, cells]), lang="en")
    assert result.exit_code == ExitCode.IMPORT_REFUSED and f"column {column}" in result.stderr


def test_community_worker_is_a_visiting_role(db, run, run_json):
    assert run("household", "add", "8-2-301", "--head", "熊秀英").exit_code == 0
    assert run("staff", "add", "王社工", "--role", "社区工作者", "--covers", "8").exit_code == 0
    assert run_json("staff", "list")[0]["role"] == "community_worker"
    assert run("group", "join", "8-2-301", "独居老人", "--since", "2020-01-01").exit_code == 0
    assert run_json("visit", "due")[0]["staff"] == ["王社工"]


@pytest.mark.sqlite_only("edits the database file by hand with sqlite3")
def test_names_and_phones_recorded_before_normalising_are_normalised_on_upgrade(db, db_path, run, run_json):
    """A database written by an earlier version, names padded and phones spaced: once migrated,
    they are found, matched and updated in their normal form; a second staff record that would
    become a duplicate is left for a person to merge."""
    import sqlite3

    from conftest import undo_later_migrations

    assert run("household", "add", "8-2-301", "--head", "熊秀英").exit_code == 0
    assert run("staff", "add", "欧阳娜娜", "--role", "网格员").exit_code == 0
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE households SET head = '熊 秀英', phone = '138 1234 0015'")
    conn.execute("INSERT INTO staff (name, role, created_at, updated_at) VALUES ('欧阳 娜娜', 'grid_worker', 'x', 'x'),"
                 " ('杜 丽娟', 'building_leader', 'x', 'x')")
    undo_later_migrations(conn, "m010_names_and_phones_as_typed_now")
    conn.commit()
    conn.close()
    household = run_json("household", "show", "8-2-301")
    assert (household["head"], household["phone"]) == ("熊秀英", "13812340015")
    names = sorted(s["name"] for s in run_json("staff", "list"))
    assert names == sorted(["欧阳娜娜", "欧阳 娜娜", "杜丽娟"]), "the clash is kept; the rest normalised"
