"""Roster import through the CLI: encodings, .xlsx, office-style cells, re-import, bad rows."""

import re
from datetime import datetime

import pytest

from redprop.errors import ExitCode

HEADER = "楼栋,单元,门牌号,户主,电话,网格,人口,入住日期,备注"
GOOD_ROWS = [
    "8,2,301,熊秀英,0874-8123456,G18,1,2010-09-16,独居老人",
    "8,2,302,邵俊飞,18725845416,G18,3,2010/11/19,",
    "8,2,401,叶家东,13193844305,G18,2,2014年3月17日,",
]


def write_roster(path, lines, encoding="utf-8"):
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def households(run_json, *filters):
    return {row["key"]: row for row in run_json("household", "list", "--all", *filters)}


def summary(result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


# --- encodings and forms ------------------------------------------------------------------------


def test_import_the_sample_roster_utf8_with_bom(db, run, run_json, sample_data):
    assert (sample_data / "households.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    result = run("household", "import", sample_data / "households.csv")
    assert summary(result) == "新增 350，更新 0，未变 0，拒收 0"
    rows = households(run_json)
    assert len(rows) == 350
    assert rows["1-1-101"]["head"] == "陈丽娜"
    assert rows["1-1-101"]["phone"] == "0874-8127105"
    assert rows["1-1-101"]["moved_in_on"] == "2011-10-19"
    assert rows["1-1-102"]["moved_in_on"] == "2020-01-27"  # written 2020年1月27日
    assert rows["8-2-301"]["note"] == "独居老人"


def test_the_gbk_sample_reads_the_same_as_the_utf8_one(db, run, run_json, sample_data):
    gbk = sample_data / "households_gbk.csv"
    with pytest.raises(UnicodeDecodeError):
        gbk.read_bytes().decode("utf-8")
    assert summary(run("household", "import", gbk)) == "新增 350，更新 0，未变 0，拒收 0"
    from_gbk = households(run_json)
    assert from_gbk["1-1-101"]["head"] == "陈丽娜"
    assert from_gbk["8-2-301"]["note"] == "独居老人"
    # The UTF-8 roster is the same data: importing it afterwards changes nothing.
    assert summary(run("household", "import", sample_data / "households.csv")) == "新增 0，更新 0，未变 350，拒收 0"
    assert households(run_json) == from_gbk


def test_plain_utf8_without_bom(db, run, run_json, tmp_path):
    path = write_roster(tmp_path / "roster.csv", [HEADER, *GOOD_ROWS])
    assert summary(run("household", "import", path)) == "新增 3，更新 0，未变 0，拒收 0"
    assert households(run_json)["8-2-301"]["head"] == "熊秀英"


def test_gb18030_characters_beyond_gbk(db, run, run_json, tmp_path):
    # 䶮 is in GB18030 but not GBK: GBK files are decoded as their superset.
    path = write_roster(tmp_path / "roster.csv", [HEADER, "8,2,301,刘䶮,0874-8123456,G18,1,,"], encoding="gb18030")
    assert summary(run("household", "import", path)).startswith("新增 1，")
    assert households(run_json)["8-2-301"]["head"] == "刘䶮"


def test_tab_separated_utf16_text(db, run, run_json, tmp_path):
    # Excel's "Unicode text" export.
    lines = [HEADER.replace(",", "\t"), *(row.replace(",", "\t") for row in GOOD_ROWS)]
    path = tmp_path / "roster.txt"
    path.write_bytes("\r\n".join(lines).encode("utf-16"))
    assert summary(run("household", "import", path)).startswith("新增 3，")
    assert households(run_json)["8-2-301"]["phone"] == "0874-8123456"


def make_workbook(path, rows, sheet_title=None, extra_sheet=None):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    if sheet_title:
        sheet.title = sheet_title
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        title, extra_rows = extra_sheet
        other = book.create_sheet(title)
        for row in extra_rows:
            other.append(row)
    book.save(path)
    return path


XLSX_ROWS = [
    ["楼栋", "单元", "门牌号", "户主", "电话", "网格", "人口", "入住日期", "备注"],
    ["8栋", "2单元", 301, "熊秀英", "0874-8123456", "G18", 1, datetime(2010, 9, 16), "独居老人"],
    [8, 2, "302室", "邵俊飞", 18725845416, "g18", 3.0, "2010/11/19", None],
    [None, None, None, None, None, None, None, None, None],
    ["12号楼", None, 101, "孔海龙", "07551234567", None, None, None, None],
]


def test_import_an_xlsx_workbook(db, run, run_json, tmp_path):
    path = make_workbook(tmp_path / "住户花名册.xlsx", XLSX_ROWS)
    assert summary(run("household", "import", path)) == "新增 3，更新 0，未变 0，拒收 0"
    rows = households(run_json)
    assert set(rows) == {"8-2-301", "8-2-302", "12-101"}
    first = rows["8-2-301"]
    assert (first["building"], first["unit"], first["room"]) == ("8", "2", "301")  # room typed as a number
    assert first["phone"] == "0874-8123456"  # a text cell
    assert first["moved_in_on"] == "2010-09-16"  # a date cell
    assert first["members"] == 1
    second = rows["8-2-302"]
    assert second["phone"] == "18725845416"  # a number cell, not 1.8725845416E10
    assert second["grid"] == "G18" and second["members"] == 3
    assert rows["12-101"]["phone"] == "0755-1234567"  # the leading zero kept, the area code set apart
    # Re-importing the workbook changes nothing.
    assert summary(run("household", "import", path)) == "新增 0，更新 0，未变 3，拒收 0"


def test_xlsx_sheet_by_name(db, run, run_json, tmp_path):
    path = make_workbook(
        tmp_path / "book.xlsx",
        [["说明"], ["这一页不是名册"]],
        sheet_title="说明",
        extra_sheet=("住户", XLSX_ROWS),
    )
    assert summary(run("household", "import", path, "--sheet", "住户")).startswith("新增 3，")
    assert len(households(run_json)) == 3
    missing = run("household", "import", path, "--sheet", "没有这页")
    assert missing.exit_code == ExitCode.INVALID
    assert "住户" in missing.stderr and "Traceback" not in missing.output


def test_a_damaged_or_missing_file_is_one_line(db, run, tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"this is not a zip file")
    for path, code in ((broken, ExitCode.INVALID), (tmp_path / "nowhere.csv", ExitCode.NOT_FOUND),
                       (tmp_path / "nowhere.xlsx", ExitCode.NOT_FOUND), (tmp_path, ExitCode.USAGE)):
        result = run("household", "import", path)
        assert result.exit_code == code
        assert len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.output


def test_a_file_without_address_columns_is_refused(db, run, tmp_path):
    path = write_roster(tmp_path / "roster.csv", ["户主,电话", "熊秀英,0874-8123456"])
    result = run("household", "import", path)
    assert result.exit_code == ExitCode.INVALID
    assert "门牌号" in result.stderr


# --- cells as offices write them ----------------------------------------------------------------


def test_cells_written_the_office_way(db, run, run_json, tmp_path):
    path = write_roster(tmp_path / "roster.csv", [
        HEADER,
        "3栋,2单元,301室,陈丽娜,0874-8127105,G05,3人,2011/10/19,",
        "第3栋,第2单元,302,梁文杰,,G05,,,",
        "3号楼,2,0402,何桂珍,,,,,",
    ])
    assert summary(run("household", "import", path)).startswith("新增 3，")
    rows = households(run_json)
    assert set(rows) == {"3-2-301", "3-2-302", "3-2-0402"}
    assert rows["3-2-301"]["members"] == 3
    assert rows["3-2-0402"]["room"] == "0402", "a room's leading zero survives"
    assert rows["3-2-301"]["phone"] == "0874-8127105", "a phone's leading zero survives"


def test_english_headers_and_an_address_column(db, run, run_json, tmp_path):
    english = write_roster(tmp_path / "en.csv", [
        "Building,Unit,Room,Head,Phone,Grid,Members,Moved-in,Note",
        "8,2,301,Xiong Xiuying,0874-8123456,G18,1,2010-09-16,",
    ])
    assert summary(run("household", "import", english)).startswith("新增 1，")
    by_address = write_roster(tmp_path / "address.csv", ["户号,户主,电话", "8-2-302,邵俊飞,18725845416", "12栋101室,孔海龙,"])
    assert summary(run("household", "import", by_address)).startswith("新增 2，")
    rows = households(run_json)
    assert rows["8-2-301"]["head"] == "Xiong Xiuying"
    assert set(rows) == {"8-2-301", "8-2-302", "12-101"}


def test_unknown_columns_are_reported_and_ignored(db, run, tmp_path):
    path = write_roster(tmp_path / "roster.csv", ["楼栋,单元,门牌号,户主,身份证号", "8,2,301,熊秀英,530000194401010000"])
    result = run("household", "import", path)
    assert result.exit_code == 0
    assert "身份证号" in result.stderr


def test_blank_rows_are_skipped_and_row_numbers_stay_excel_s(db, run, run_json, tmp_path):
    path = write_roster(tmp_path / "roster.csv", [
        "",
        HEADER,
        GOOD_ROWS[0],
        "",
        ",,,,,,,,",
        GOOD_ROWS[1],
        "8,2,402,吴学军,1380000abcd,G18,2,,",
    ])
    refused = run("household", "import", path)
    assert refused.exit_code == ExitCode.IMPORT_REFUSED
    assert "第 7 行，列 电话" in refused.stderr
    path = write_roster(tmp_path / "roster.csv", ["", HEADER, GOOD_ROWS[0], "", ",,,,,,,,", GOOD_ROWS[1], ""])
    assert summary(run("household", "import", path)) == "新增 2，更新 0，未变 0，拒收 0"
    assert set(households(run_json)) == {"8-2-301", "8-2-302"}


# --- re-import ----------------------------------------------------------------------------------


def test_reimport_changes_nothing(db, run, run_json, sample_data):
    run("household", "import", sample_data / "households.csv")
    before = households(run_json)
    again = run("household", "import", sample_data / "households.csv")
    assert summary(again) == "新增 0，更新 0，未变 350，拒收 0"
    assert households(run_json) == before


def test_reimport_with_one_changed_phone_updates_one(db, run, run_json, tmp_path):
    path = write_roster(tmp_path / "roster.csv", [HEADER, *GOOD_ROWS])
    run("household", "import", path)
    changed = [HEADER, GOOD_ROWS[0].replace("0874-8123456", "0874-8999999"), *GOOD_ROWS[1:]]
    write_roster(path, changed)
    assert summary(run("household", "import", path)) == "新增 0，更新 1，未变 2，拒收 0"
    rows = households(run_json)
    assert len(rows) == 3
    assert rows["8-2-301"]["phone"] == "0874-8999999"


def test_an_empty_cell_keeps_what_a_worker_typed(db, run, run_json, tmp_path):
    path = write_roster(tmp_path / "roster.csv", [HEADER, *GOOD_ROWS])
    run("household", "import", path)
    assert run("household", "edit", "8-2-302", "--note", "新装了扶手").exit_code == 0
    assert summary(run("household", "import", path)) == "新增 0，更新 0，未变 3，拒收 0"
    write_roster(path, [HEADER, "8,2,301,熊秀英,,G18,1,2010-09-16,独居老人", *GOOD_ROWS[1:]])
    assert summary(run("household", "import", path)) == "新增 0，更新 0，未变 3，拒收 0"
    rows = households(run_json)
    assert rows["8-2-301"]["phone"] == "0874-8123456"
    assert rows["8-2-302"]["note"] == "新装了扶手"


def test_reimport_after_a_move_out_keeps_the_household_once(db, run, run_json, tmp_path):
    path = write_roster(tmp_path / "roster.csv", [HEADER, *GOOD_ROWS])
    run("household", "import", path)
    assert run("household", "move-out", "8-2-301", "--on", "2026-01-01").exit_code == 0
    assert summary(run("household", "import", path)) == "新增 0，更新 0，未变 3，拒收 0"
    rows = households(run_json)
    assert len(rows) == 3 and rows["8-2-301"]["moved_out_on"] == "2026-01-01"


def test_a_new_family_at_an_address_that_was_moved_out_of_is_a_new_household(db, run, run_json, tmp_path):
    path = write_roster(tmp_path / "roster.csv", [HEADER, *GOOD_ROWS])
    run("household", "import", path)
    assert run("household", "move-out", "8-2-301", "--on", "2026-01-01").exit_code == 0
    # The old roster again: the moved-out household is its row, nothing changes.
    assert summary(run("household", "import", path)) == f"新增 0，更新 0，未变 {len(GOOD_ROWS)}，拒收 0"
    # A family that moved in after the move-out is a household of its own; the old one keeps its history.
    write_roster(path, [HEADER, "8,2,301,王新,13900000001,G18,3,2026-03-01,", *GOOD_ROWS[1:]])
    assert summary(run("household", "import", path)).startswith("新增 1，更新 0")
    at_the_address = [h for h in run_json("household", "list", "--all") if h["key"] == "8-2-301"]
    assert [(h["head"], h["moved_out_on"]) for h in at_the_address] == [("熊秀英", "2026-01-01"), ("王新", None)]
    assert run_json("household", "show", "8-2-301")["head"] == "王新"
    assert summary(run("household", "import", path)).startswith("新增 0，更新 0")
    # The old roster once more: its 8-2-301 row is the old family's, and leaves the new one alone.
    write_roster(path, [HEADER, "8,2,301,熊秀英,0874-8123456,G18,1,,独居老人", *GOOD_ROWS[1:]])
    assert summary(run("household", "import", path)).startswith("新增 0，更新 0")
    assert run_json("household", "show", "8-2-301")["head"] == "王新"


# --- bad rows -----------------------------------------------------------------------------------

BAD_ROWS = [
    # (row, the reported column, words in the reason)
    ("8,2,501,王小二,13800000000,G18,2,2026-02-30,", "入住日期", "2026-02-30"),
    ("8,2,501,王小二,1380000abcd,G18,2,,", "电话", "phone"),
    ("8,2,,王小二,13800000000,G18,2,,", "门牌号", "room"),
    ("8,2,501,王小二,13800000000,G18,2,2020-01-01,,多出来的", "J", "cells"),
]


@pytest.mark.parametrize("bad, column, words", BAD_ROWS, ids=["impossible date", "phone with letters", "no room", "too many cells"])
def test_one_bad_row_writes_nothing(db, run, run_json, tmp_path, bad, column, words):
    path = write_roster(tmp_path / "roster.csv", [HEADER, GOOD_ROWS[0], GOOD_ROWS[1], bad, GOOD_ROWS[2]])
    result = run("household", "import", path, lang="en")
    assert result.exit_code == ExitCode.IMPORT_REFUSED
    assert "Traceback" not in result.output
    reported = [line for line in result.stderr.splitlines() if re.search(r"row \d+, column ", line)]
    assert len(reported) == 1, result.stderr
    assert f"row 4, column {column}: " in reported[0]
    assert words in reported[0]
    assert "nothing written" in result.stderr
    assert run_json("household", "list", "--all") == []


def test_skip_invalid_writes_the_good_rows(db, run, run_json, tmp_path):
    lines = [HEADER, GOOD_ROWS[0], *(bad for bad, _, _ in BAD_ROWS), GOOD_ROWS[1], GOOD_ROWS[2]]
    path = write_roster(tmp_path / "roster.csv", lines)
    result = run("household", "import", path, "--skip-invalid")
    assert result.exit_code == 0
    assert summary(result) == "新增 3，更新 0，未变 0，拒收 4"
    for number, (_, column, _) in enumerate(BAD_ROWS, start=3):
        assert f"第 {number} 行，列 {column}：" in result.stderr
    assert set(households(run_json)) == {"8-2-301", "8-2-302", "8-2-401"}


def test_dry_run_writes_nothing(db, run, run_json, tmp_path):
    path = write_roster(tmp_path / "roster.csv", [HEADER, *GOOD_ROWS])
    result = run("household", "import", path, "--dry-run")
    assert result.exit_code == 0
    assert "试运行" in result.stdout and "新增 3" in result.stdout
    assert run_json("household", "list", "--all") == []

    run("household", "import", path)
    write_roster(path, [HEADER, GOOD_ROWS[0].replace("0874-8123456", "0874-8999999"), *GOOD_ROWS[1:]])
    result = run("household", "import", path, "--dry-run")
    assert "更新 1" in result.stdout and "未变 2" in result.stdout
    assert households(run_json)["8-2-301"]["phone"] == "0874-8123456"

    write_roster(path, [HEADER, BAD_ROWS[0][0]])
    assert run("household", "import", path, "--dry-run").exit_code == ExitCode.IMPORT_REFUSED


def test_summary_as_json(db, run_json, tmp_path):
    path = write_roster(tmp_path / "roster.csv", [HEADER, *GOOD_ROWS, BAD_ROWS[1][0]])
    summary = run_json("household", "import", path, "--skip-invalid")
    assert (summary["added"], summary["updated"], summary["unchanged"], summary["refused"]) == (3, 0, 0, 1)
    assert summary["errors"][0]["row"] == 5 and summary["errors"][0]["column"] == "电话"
    assert "1380000abcd" in summary["errors"][0]["reason"]


def test_a_key_repeated_with_the_same_values_is_fine(db, run, run_json, tmp_path):
    path = write_roster(tmp_path / "roster.csv", [HEADER, GOOD_ROWS[0], GOOD_ROWS[1], "8栋,2单元,301室,熊秀英,0874-8123456,G18,1,2010/9/16,独居老人"])
    assert summary(run("household", "import", path)) == "新增 2，更新 0，未变 0，拒收 0"
    assert len(households(run_json)) == 2


def test_a_key_repeated_with_different_values_is_refused(db, run, run_json, tmp_path):
    path = write_roster(tmp_path / "roster.csv", [HEADER, GOOD_ROWS[0], GOOD_ROWS[1], "8,2,301,熊秀英,13900000000,G18,1,2010-09-16,"])
    result = run("household", "import", path)
    assert result.exit_code == ExitCode.IMPORT_REFUSED
    line = next(line for line in result.stderr.splitlines() if "8-2-301" in line)
    assert "第 4 行" in line and "第 2 行" in line
    assert run_json("household", "list", "--all") == []


# --- residents, staff and grid points -----------------------------------------------------------


def test_import_the_whole_sample_community(db, run, run_json, sample_data):
    assert summary(run("grid", "import", sample_data / "grids.csv")).startswith("新增 35，")
    assert summary(run("household", "import", sample_data / "households.csv")).startswith("新增 350，")
    residents = run("resident", "import", sample_data / "residents.csv")
    assert residents.exit_code == 0, residents.output
    assert summary(run("staff", "import", sample_data / "staff.csv")).startswith("新增 38，")

    shown = run_json("household", "show", "1-1-101")
    assert [r["name"] for r in shown["residents"]][0] == "陈丽娜"
    grids = run_json("grid", "list")
    assert len(grids) == 35 and all(g["staff"] for g in grids)
    # Every import again: nothing changes.
    for what, file in [("grid", "grids.csv"), ("household", "households.csv"), ("resident", "residents.csv"), ("staff", "staff.csv")]:
        again = summary(run(what, "import", sample_data / file))
        assert again.startswith("新增 0，更新 0，未变 "), (what, again)


def test_residents_of_an_unknown_household_are_refused(db, run, run_json, tmp_path):
    run("household", "import", write_roster(tmp_path / "h.csv", [HEADER, GOOD_ROWS[0]]))
    path = write_roster(tmp_path / "r.csv", ["楼栋,单元,门牌号,姓名,与户主关系,出生年份,电话",
                                             "8,2,301,熊秀英,户主,1944,0874-8123456",
                                             "9,9,909,无名氏,户主,1950,"])
    result = run("resident", "import", path)
    assert result.exit_code == ExitCode.IMPORT_REFUSED
    assert "9-9-909" in result.stderr
    assert run_json("resident", "list") == []
    assert run("resident", "import", path, "--skip-invalid").exit_code == 0
    assert [r["name"] for r in run_json("resident", "list")] == ["熊秀英"]


def test_staff_roles_in_either_language(db, run, run_json, tmp_path):
    path = write_roster(tmp_path / "staff.csv", [
        "姓名,角色,电话,负责区域",
        "王芳,楼栋长,19877081074,1",
        "李建国,grid_worker,,G01、G02",
        "赵敏,Building leader,,3，5",
        "钱多,老板,,",
    ])
    result = run("staff", "import", path, "--skip-invalid")
    assert result.exit_code == 0
    assert "第 5 行，列 角色" in result.stderr
    staff = {s["name"]: s for s in run_json("staff", "list")}
    assert set(staff) == {"王芳", "李建国", "赵敏"}
    assert staff["赵敏"]["role"] == "building_leader" and staff["赵敏"]["covers"] == ["3", "5"]
    assert staff["李建国"]["covers"] == ["G01", "G02"]


def test_staff_dry_run_writes_nothing(db, run, run_json, sample_data):
    result = run("staff", "import", sample_data / "staff.csv", "--dry-run")
    assert result.exit_code == 0 and "新增 38" in result.stdout
    assert run_json("staff", "list") == []


def test_every_row_with_the_same_bad_value_is_reported(db, run, tmp_path):
    # Cleaners remember the texts they have read; a remembered refusal must still name each row.
    path = write_roster(tmp_path / "roster.csv", [
        HEADER,
        "8,2,301,熊秀英,,G18,1,2026-02-30,",
        "8,2,302,邵俊飞,,G18,3,2026-02-30,",
        "8栋,2,401,叶家东,,G18,2,,",
        "8楼栋,2,402,吴学军,,G18,2,,",
        "8楼栋,2,501,王小二,,G18,2,,",
    ])
    result = run("household", "import", path, "--skip-invalid")
    assert summary(result) == "新增 1，更新 0，未变 0，拒收 4"
    for number, column in [(2, "入住日期"), (3, "入住日期"), (5, "楼栋"), (6, "楼栋")]:
        assert f"第 {number} 行，列 {column}：" in result.stderr


def test_with_skip_invalid_neither_of_two_clashing_rows_is_written(db, run, run_json, tmp_path):
    # Which of the two phone numbers is right is for a person to say, not the import.
    path = write_roster(tmp_path / "roster.csv", [HEADER, GOOD_ROWS[0], GOOD_ROWS[1], "8,2,301,熊秀英,13900000000,G18,1,2010-09-16,"])
    result = run("household", "import", path, "--skip-invalid")
    assert result.exit_code == 0
    assert summary(result) == "新增 1，更新 0，未变 0，拒收 2"
    assert list(households(run_json)) == ["8-2-302"]


def test_a_title_row_above_the_header_and_full_width_digits(db, run, run_json, tmp_path):
    path = tmp_path / "花名册.csv"
    path.write_text("住户花名册（2026年11月）,,,\n楼栋,单元,门牌号,户主\n８栋,２单元,３０１室,熊秀英\n", encoding="utf-8")
    assert summary(run("household", "import", path)) == "新增 1，更新 0，未变 0，拒收 0"
    assert list(households(run_json)) == ["8-2-301"]
    assert run_json("household", "show", "８－２－３０１")["head"] == "熊秀英"


def test_a_file_with_only_unknown_headers_is_refused_even_without_rows(db, run, tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("name,age\n", encoding="utf-8")
    result = run("household", "import", path, lang="en")
    assert result.exit_code == ExitCode.INVALID and "no column redprop knows" in result.stderr
