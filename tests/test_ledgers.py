"""The ledgers (台账) an office hands on, through the CLI on the sample community, read back as
Excel reads them (openpyxl) and as CSV bytes; the household ledger goes back in unchanged."""

import csv
import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from redprop.cli import app
from redprop.errors import ExitCode

from conftest import now

SHANGHAI = ZoneInfo("Asia/Shanghai")
SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
AT = "2026-11-24 08:00"
PERIOD = ("--from", "2026-11-01", "--to", "2026-11-24", "--at", AT)
FORMULA = '=HYPERLINK("http://x","y")'
TITLES = {"households": "住户台账", "focus": "重点人群台账", "visits": "走访台账", "problems": "问题清单", "wishes": "需求清单"}
SENSITIVE = ("上访群众家庭", "易肇事肇祸精神病人家庭", "矫正人员")
HEADERS = {
    "households": ["序号", "楼栋", "单元", "门牌号", "户主", "电话", "人口", "网格", "入住日期", "重点人群", "备注"],
    "focus": ["序号", "户号", "姓名", "对象", "电话", "网格", "重点人群", "走访周期(天)", "纳入日期", "退出日期", "最近联系",
              "距上次联系(天)"],
    "visits": ["序号", "走访编号", "走访时间", "户号", "户主", "网格", "重点人群", "走访对象", "方式", "结果", "需求", "走访人",
               "备注", "所开问题"],
    "problems": ["序号", "编号", "报告时间", "类别", "渠道", "地点", "标题", "反映人", "等级", "状态", "处理人", "到场时间",
                 "解决时间", "按时到场", "按时解决", "按时方案", "回访", "评价"],
    "wishes": ["序号", "编号", "报告时间", "类别", "渠道", "地点", "标题", "反映人", "状态", "处理人", "答复时间", "解决时间",
               "按时答复", "回访", "评价"],
}


@pytest.fixture(scope="module")
def community(tmp_path_factory) -> Path:
    """美仑盛景小区 from sample_data/, imported through the CLI, with a household, a visit and a
    problem whose texts a spreadsheet would run as formulas."""
    path = tmp_path_factory.mktemp("ledgers") / "mlsj.db"
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(app, ["--db", str(path), *map(str, args)], catch_exceptions=False, obj={"clock": now})
        assert result.exit_code == 0, result.output
        return result

    run("init", "--community", "美仑盛景小区")
    for noun, file in [("grid", "grids.csv"), ("household", "households.csv"), ("resident", "residents.csv"),
                       ("staff", "staff.csv"), ("group", "memberships.csv"), ("visit", "visits.csv"), ("issue", "issues.csv")]:
        run(noun, "import", SAMPLE / file)
    run("household", "add", "20-1-101", "--head", FORMULA, "--phone", "0874-8000001", "--grid", "G01",
        "--moved-in", "2020-01-01", "--members", "2", "--note", "+86 备用电话")
    run("visit", "log", "20-1-101", "--by", "杜丽娟", "--at", "2026-11-20 10:00", "--outcome", "平安", "--note", "@SUM(A1)")
    run("issue", "open", "--kind", "problem", "--category", "报修", "--channel", "巡查", "--household", "20-1-101",
        "--title", "-1+1 楼道灯", "--at", "2026-11-20 09:00")
    return path


@pytest.fixture
def db(community, tmp_path) -> Path:
    """A copy of the community for one test (SQLite's backup: the WAL's pages included)."""
    copy = tmp_path / "copy.db"
    source, target = sqlite3.connect(community), sqlite3.connect(copy)
    source.backup(target)
    source.close()
    target.close()
    return copy


@pytest.fixture
def run(db):
    runner = CliRunner()

    def run(*args, lang=None):
        language = ["--lang", lang] if lang else []
        return runner.invoke(app, ["--db", str(db), *language, *map(str, args)], catch_exceptions=False, obj={"clock": now})

    return run


def listed(run, *args) -> list:
    result = run(*args, "-f", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def write(run, tmp_path, kind, suffix=".xlsx", *extra) -> Path:
    path = tmp_path / f"{kind}{suffix}"
    result = run("ledger", kind, *PERIOD, *extra, "-o", path)
    assert result.exit_code == 0, result.output
    assert str(path) in result.stderr and result.stdout == ""
    return path


def sheet_of(path: Path):
    return load_workbook(path).worksheets[0]


def records(sheet) -> list[tuple]:
    """The rows between the header (row 3) and the footer: those numbered in 序号."""
    return [row for row in sheet.iter_rows(min_row=4) if isinstance(row[0].value, int)]


def by_header(sheet, row) -> dict:
    return {sheet.cell(3, i + 1).value: cell for i, cell in enumerate(row)}


@pytest.mark.parametrize("kind", list(TITLES))
def test_each_ledger_as_xlsx_has_the_office_layout(run, tmp_path, kind):
    path = write(run, tmp_path, kind)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sheet = sheet_of(path)
    assert sheet["A1"].value == f"美仑盛景小区{TITLES[kind]}"
    line = [c.value for c in sheet[2] if c.value]
    assert line == ["填报单位：美仑盛景小区", "统计期间：2026-11-01 至 2026-11-24", f"填报日期：{now().astimezone(SHANGHAI).date().isoformat()}"]
    assert [c.value for c in sheet[3]] == HEADERS[kind]
    rows = records(sheet)
    assert rows and [r[0].value for r in rows] == list(range(1, len(rows) + 1))
    footer = [c.value for c in sheet[sheet.max_row] if c.value]
    assert footer == ["填表人：", "审核人："] and sheet.max_row == len(rows) + 5
    assert sheet.freeze_panes == "A4"
    assert sheet.print_title_rows == "$3:$3"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert all(sheet.column_dimensions[chr(ord("A") + i)].width >= 6 for i in range(len(HEADERS[kind])))


def test_each_ledger_counts_what_the_listings_count(run, tmp_path):
    households = listed(run, "household", "list", "--at", AT, "--every")
    visits = listed(run, "visit", "list", *PERIOD[:4], "--all")
    problems = listed(run, "issue", "list", "--status", "all", "--kind", "problem", *PERIOD, "--all")
    wishes = listed(run, "issue", "list", "--status", "all", "--kind", "wish", *PERIOD, "--all")
    for kind, expected in (("households", households), ("visits", visits), ("problems", problems), ("wishes", wishes)):
        assert len(records(sheet_of(write(run, tmp_path, kind)))) == len(expected), kind
    issues = records(sheet_of(write(run, tmp_path, "problems")))
    sheet = sheet_of(tmp_path / "problems.xlsx")
    numbers = [int(by_header(sheet, r)["编号"].value) for r in issues]
    assert numbers == [p["id"] for p in sorted(problems, key=lambda p: (p["reported_at"], p["id"]))]  # oldest first


def test_phones_rooms_and_ids_are_text_with_their_leading_zeros(run, tmp_path):
    sheet = sheet_of(write(run, tmp_path, "households"))
    rows = {(by_header(sheet, r)["楼栋"].value, by_header(sheet, r)["门牌号"].value): by_header(sheet, r) for r in records(sheet)}
    first = rows[("1", "101")]
    assert first["电话"].value == "0874-8127105" and first["电话"].data_type == "s" and first["电话"].number_format == "@"
    assert first["门牌号"].data_type == "s" and first["楼栋"].data_type == "s"
    assert first["人口"].value == 3 and first["人口"].data_type == "n"
    problems = sheet_of(write(run, tmp_path, "problems"))
    number = by_header(problems, records(problems)[0])["编号"]
    assert number.data_type == "s" and number.number_format == "@" and number.value.isdigit()


def test_dates_and_times_are_excel_dates(run, tmp_path):
    sheet = sheet_of(write(run, tmp_path, "households"))
    moved_in = by_header(sheet, records(sheet)[0])["入住日期"]
    assert moved_in.is_date and moved_in.value == datetime(2011, 10, 19) and moved_in.number_format == "yyyy\\-mm\\-dd"
    problems = sheet_of(write(run, tmp_path, "problems"))
    first = by_header(problems, records(problems)[0])
    assert first["报告时间"].is_date and first["报告时间"].number_format == "yyyy\\-mm\\-dd\\ hh:mm"
    assert first["报告时间"].value.date() >= date(2026, 11, 1) and first["报告时间"].value.time() != datetime.min.time()
    visits = sheet_of(write(run, tmp_path, "visits"))
    assert all(by_header(visits, r)["走访时间"].is_date for r in records(visits))


def all_texts(sheet) -> str:
    return " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)


def test_sensitive_groups_read_敏感_unless_asked(run, tmp_path):
    for kind in ("households", "focus", "visits"):
        text = all_texts(sheet_of(write(run, tmp_path, kind)))
        assert "敏感" in text and not any(group in text for group in SENSITIVE), kind
    focus = sheet_of(write(run, tmp_path, "focus"))
    petitioner = next(by_header(focus, r) for r in records(focus) if by_header(focus, r)["户号"].value == "7-1-101")
    assert petitioner["重点人群"].value == "敏感" and petitioner["姓名"].value == "段兴明"
    shown = sheet_of(write(run, tmp_path, "focus", ".xlsx", "--show-sensitive"))
    assert all(group in all_texts(shown) for group in SENSITIVE) and "敏感" not in all_texts(shown)


def test_no_cell_can_run_as_a_formula(run, tmp_path):
    expected = {"households": ("户主", FORMULA), "visits": ("备注", "@SUM(A1)"), "problems": ("标题", "-1+1 楼道灯")}
    for kind, (header, text) in expected.items():
        path = write(run, tmp_path, kind)
        sheet = sheet_of(path)
        cells = [by_header(sheet, r)[header] for r in records(sheet) if by_header(sheet, r)[header].value == text]
        assert len(cells) == 1, kind
        assert cells[0].data_type == "s" and cells[0].quotePrefix, kind
        assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
        with path.open("rb") as f:  # no <f> element anywhere in the workbook
            import zipfile

            with zipfile.ZipFile(f) as book:
                assert all(b"<f>" not in book.read(name) and b"<f " not in book.read(name) for name in book.namelist())
    note = by_header(sheet_of(tmp_path / "households.xlsx"), next(
        r for r in records(sheet_of(tmp_path / "households.xlsx")) if r[4].value == FORMULA))["备注"]
    assert note.value == "+86 备用电话" and note.quotePrefix
    rows = list(csv.reader(io.StringIO(write(run, tmp_path, "households", ".csv").read_text(encoding="utf-8-sig"))))
    assert ["'" + FORMULA] == [cell for row in rows for cell in row if FORMULA in cell]


@pytest.mark.parametrize("kind", list(TITLES))
def test_each_ledger_as_csv_is_for_excel(run, tmp_path, kind):
    path = write(run, tmp_path, kind, ".csv")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert rows[0] == HEADERS[kind]
    assert [int(r[0]) for r in rows[1:]] == list(range(1, len(rows)))
    assert len(rows) - 1 == len(records(sheet_of(write(run, tmp_path, kind))))


def test_the_household_ledger_re_imports_unchanged(run, tmp_path):
    households = len(listed(run, "household", "list", "--every"))
    path = write(run, tmp_path, "households")
    result = run("household", "import", path, "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"added": 0, "updated": 0, "unchanged": households, "refused": 0, "dry_run": False,
                                         "errors": [], "new_grids": []}
    english = tmp_path / "en.xlsx"
    assert run("ledger", "households", "-o", english, lang="en").exit_code == 0
    assert sheet_of(english)["B3"].value == "Building"
    again = run("household", "import", english, "-f", "json")
    assert json.loads(again.stdout)["added"] == 0 and json.loads(again.stdout)["updated"] == 0
    as_csv = write(run, tmp_path, "households", ".csv")
    assert '"\'=HYPERLINK(' in as_csv.read_text(encoding="utf-8-sig"), "marked as text for Excel"
    back = json.loads(run("household", "import", as_csv, "-f", "json").stdout)
    assert (back["added"], back["updated"], back["unchanged"]) == (0, 0, households), "the mark comes off on the way in"


def test_kinds_are_named_as_every_code_is(run, tmp_path):
    for name in ("problems", "问题清单", "List of problems", "问题"):
        path = tmp_path / "p.xlsx"
        assert run("ledger", name, *PERIOD, "-o", path).exit_code == 0, name
        assert sheet_of(path)["A1"].value == "美仑盛景小区问题清单"
    wrong = run("ledger", "台帐", "-o", tmp_path / "x.xlsx")
    assert wrong.exit_code == ExitCode.INVALID and "住户台账" in wrong.stderr and wrong.stderr.count("\n") == 1


def test_a_bad_file_name_is_one_line_and_nothing_is_written(run, tmp_path):
    for path, code in ((tmp_path / "x.pdf", ExitCode.INVALID), (tmp_path / "no" / "such" / "x.xlsx", ExitCode.USAGE)):
        result = run("ledger", "visits", "-o", path)
        assert result.exit_code == code and result.stderr.count("\n") == 1, result.output
        assert not path.exists()
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith("copy.db")] == []
    plan = run("visit", "plan", "-o", tmp_path / "plan.csv")
    assert plan.exit_code == ExitCode.INVALID and ".xlsx" in plan.stderr


def test_a_ledger_file_is_its_owners_alone_whatever_the_umask(run, tmp_path):
    old = tmp_path / "visits.xlsx"
    old.write_text("an older file")
    old.chmod(0o644)
    previous = os.umask(0)
    try:
        path = write(run, tmp_path, "visits")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and records(sheet_of(path))
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_voided_visits_and_issues_are_in_no_ledger(run, tmp_path):
    visit = listed(run, "visit", "list", "--household", "20-1-101")[0]["id"]
    issue = listed(run, "issue", "list", "--household", "20-1-101", "--status", "all")[0]["id"]
    before = {k: len(records(sheet_of(write(run, tmp_path, k)))) for k in ("visits", "problems")}
    assert run("visit", "void", visit, "--reason", "误录").exit_code == 0
    assert run("issue", "void", issue, "--reason", "误录").exit_code == 0
    for kind, header, number in (("visits", "走访编号", visit), ("problems", "编号", issue)):
        sheet = sheet_of(write(run, tmp_path, kind))
        assert len(records(sheet)) == before[kind] - 1
        assert str(number) not in [by_header(sheet, r)[header].value for r in records(sheet)]


def test_a_ledger_narrowed_to_a_building_or_a_grid(run, tmp_path):
    sheet = sheet_of(write(run, tmp_path, "households", ".xlsx", "--building", "8栋"))
    assert sheet["A1"].value == "美仑盛景小区住户台账（8栋）"
    assert {by_header(sheet, r)["楼栋"].value for r in records(sheet)} == {"8"}
    assert len(records(sheet)) == len(listed(run, "household", "list", "--building", "8"))
    visits = sheet_of(write(run, tmp_path, "visits", ".xlsx", "--grid", "G18"))
    assert records(visits) and {by_header(visits, r)["网格"].value for r in records(visits)} == {"G18"}


def test_the_focus_ledger_names_each_member_with_cadence_and_last_contact(run, tmp_path):
    sheet = sheet_of(write(run, tmp_path, "focus"))
    rows = [by_header(sheet, r) for r in records(sheet)]
    xiong = next(r for r in rows if r["户号"].value == "8-2-301")
    assert xiong["重点人群"].value == "独居老人" and xiong["走访周期(天)"].value == 7
    assert xiong["最近联系"].value == datetime(2026, 11, 14, 10, 20) and xiong["最近联系"].is_date
    members = listed(run, "group", "members", "elderly_alone", "--from", "2026-11-01", "--to", "2026-11-24")
    assert len([r for r in rows if "独居老人" in r["重点人群"].value]) == len(members)


def test_visit_plan_writes_a_round_sheet_per_person(run, tmp_path):
    plan = listed(run, "visit", "plan", "--week", "2026-11-24")
    path = tmp_path / "本周走访.xlsx"
    result = run("visit", "plan", "--week", "2026-11-24", "-o", path)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    book = load_workbook(path)
    people = list(dict.fromkeys(r["staff"] or "未分配" for r in plan))
    assert book.sheetnames == people
    for sheet in book.worksheets:
        assert sheet["A1"].value == f"美仑盛景小区走访计划（{sheet.title}）"
        assert "统计期间：2026-11-23 至 2026-11-29" in [c.value for c in sheet[2]]
        headers = [c.value for c in sheet[3]]
        assert headers[0] == "序号" and headers[-1] == "已访打勾/签名"
        mine = [r["household"] for r in plan if (r["staff"] or "未分配") == sheet.title]
        rows = records(sheet)
        assert [by_header(sheet, r)["户号"].value for r in rows] == mine
        assert all(r[-1].value is None for r in rows) and sheet.freeze_panes == "A4"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_prints_a_ledger_to_pdf(run, tmp_path):
    path = write(run, tmp_path, "problems")
    profile = tmp_path / "lo-profile"
    done = subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                           "--outdir", str(tmp_path), str(path)], capture_output=True, timeout=180)
    pdf = tmp_path / "problems.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000


def test_a_ledger_longer_than_excel_opens_is_refused_and_nothing_is_left(run, tmp_path, monkeypatch):
    import redprop.present.xlsx

    monkeypatch.setattr(redprop.present.xlsx, "MOST_RECORDS", 10)  # Excel's 1,048,573, made small
    path = tmp_path / "problems.xlsx"
    result = run("ledger", "problems", *PERIOD, "-o", path)
    assert result.exit_code == ExitCode.INVALID and "10" in result.stderr and result.stderr.count("\n") == 1
    assert not path.exists() and not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    assert run("ledger", "problems", *PERIOD, "-o", tmp_path / "problems.csv").exit_code == 0


def test_a_week_with_nothing_due_is_one_empty_round_sheet(run, tmp_path):
    path = tmp_path / "plan.xlsx"
    assert run("visit", "plan", "--week", "2020-01-06", "-o", path).exit_code == 0
    book = load_workbook(path)
    assert book.sheetnames == ["走访计划"] and book.active["A1"].value == "美仑盛景小区走访计划"
    assert records(book.active) == []
