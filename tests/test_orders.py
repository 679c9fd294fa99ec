"""Work orders from above (issue 20): 12345 and grid-centre orders through their verbs, their
deadlines in working days and hours, the morning list, codes that go up, order sheets in and
the reply sheet out — all through the CLI against a real database file."""

import csv
import json
from datetime import date, datetime, timedelta

import pytest

OPEN = ("issue", "open", "--kind", "problem", "--category", "乱停车", "--channel", "热线", "--place", "1栋消防通道",
        "--title", "乱停车堵住消防通道")


def opened(run_json, *extra) -> dict:
    return run_json(*OPEN, *extra)


def one_line(result, code: int) -> str:
    """The error of a refused command: one line on stderr, the exit code, nothing on stdout."""
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.fixture
def staffed(db, run):
    assert run("staff", "add", "姜红华", "--role", "网格员").exit_code == 0
    return db


def test_a_12345_order_through_sign_reply_failed_verification_rework_and_closing(staffed, run, run_json):
    issue = opened(run_json, "--at", "2026-11-06 10:00", "--order", "12345-20261106-0031", "--order-from", "12345",
                   "--order-due", "3个工作日", "--to", "姜红华")
    order = issue["order"]
    assert (order["number"], order["source"], order["stage"]) == ("12345-20261106-0031", "12345", "dispatched")
    assert order["due_at"] == "2026-11-11T10:00:00+08:00", "Friday 10:00 + 3 working days: Wednesday 10:00"
    assert order["sign_due"] == "2026-11-06T12:00:00+08:00", "the shipped sign-for limit: 2 hours"
    assert {d["promise"] for d in issue["deadlines"]} >= {"arrive", "resolve", "sign", "order"}
    number = "12345-20261106-0031"  # the order's number names the issue as well as #1
    signed = run_json("issue", "sign", number, "--at", "2026-11-06 10:20")
    assert signed["order"]["stage"] == "signed" and signed["order"]["signed_late"] is False
    assert run("issue", "arrive", "1", "--at", "2026-11-06 10:40").exit_code == 0
    assert run("issue", "resolve", "1", "--at", "2026-11-06 11:30", "--note", "已挪车").exit_code == 0
    replied = run_json("issue", "reply", number, "--text", "已联系车主挪车", "--solved", "yes", "--at", "2026-11-06 11:40")
    assert replied["order"]["stage"] == "replied" and replied["order"]["closed_at"] is None, "a reply alone never closes"
    failed = run_json("issue", "verify", "#1", "--failed", "--note", "回访称车辆又停回", "--at", "2026-11-07 09:00")
    assert failed["status"] == "reopened" and failed["order"]["stage"] == "rework" and failed["order"]["reworks"] == 1
    refused = run("issue", "verify", number, "--passed", "--at", "2026-11-07 09:10")
    assert "reply" in one_line(refused, 4), "a rework wants a new reply before it is verified again"
    assert run("issue", "resolve", "1", "--at", "2026-11-09 10:00").exit_code == 0
    assert run("issue", "reply", number, "--text", "加装隔离桩", "--solved", "是", "--at", "2026-11-09 10:30").exit_code == 0
    closed = run_json("issue", "verify", number, "--passed", "--at", "2026-11-09 16:00")
    assert closed["order"]["stage"] == "closed" and closed["order"]["closed_at"] == "2026-11-09T16:00:00+08:00"
    assert closed["order"]["closed_on_time"] is True and closed["order"]["reworks"] == 1
    order_deadline = next(d for d in closed["deadlines"] if d["promise"] == "order")
    assert order_deadline["state"] == "kept"
    shown = run_json("issue", "show", "1")
    assert run_json("issue", "show", number) == shown, "every issue verb takes the order's number, show too"
    actions = [s["action"] for s in shown["steps"]]
    assert actions == ["open", "dispatch", "assign", "sign", "arrive", "resolve", "reply", "verify", "resolve", "reply",
                       "verify"]
    text = run("issue", "show", "1").stdout
    assert "上级派单" in text and "签收" in text and "核查" in text and "已结案" in text and "返工 1次" in text


def test_deadlines_in_working_days_and_hours_count_by_the_office_calendar(db, run, run_json):
    friday = opened(run_json, "--at", "2026-11-06 10:00", "--order", "A-1", "--order-from", "12345", "--order-due", "3个工作日")
    assert friday["order"]["due_at"] == "2026-11-11T10:00:00+08:00"
    sunday = opened(run_json, "--at", "2026-11-08 10:00", "--order", "A-2", "--order-from", "12345", "--order-due", "3个工作日")
    assert sunday["order"]["due_at"] == "2026-11-12T08:30:00+08:00", "a day off counts from Monday's opening"
    hours = opened(run_json, "--at", "2026-11-06 17:00", "--order", "A-3", "--order-from", "网格中心",
                   "--order-due", "4个工作时")
    assert hours["order"]["due_at"] == "2026-11-09T11:30:00+08:00", "Friday 17-18, then Monday 08:30-11:30"
    given = opened(run_json, "--at", "2026-11-06 10:00", "--order", "A-4", "--order-from", "12345",
                   "--order-due", "2026-11-11 17:30")
    assert given["order"]["due_at"] == "2026-11-11T17:30:00+08:00" and given["order"]["due_text"] == "2026-11-11 17:30"


def test_working_days_follow_the_holidays_as_loaded():
    """Counted independently: the chinesecalendar package's own workdays around 国庆 2026."""
    import chinese_calendar
    from zoneinfo import ZoneInfo

    from redprop.policy.worktime import WorkSchedule, add_working_days

    tz = ZoneInfo("Asia/Shanghai")
    start = datetime(2026, 9, 30, 15, 0, tzinfo=tz)
    day, left = start.date(), 3
    while left:
        day += timedelta(days=1)
        left -= chinese_calendar.is_workday(day)
    due = add_working_days(start, 3, WorkSchedule(tz=tz))
    assert due == datetime.combine(day, start.timetz()) and due.date() > date(2026, 10, 7)


def test_the_sign_for_limit_is_the_policys(staffed, run, run_json):
    assert run("policy", "set", "--order-sign", "30m", "--from", "2026-11-01 00:00").exit_code == 0
    assert run_json("policy", "show")["order_sign"] == "30m"
    issue = opened(run_json, "--at", "2026-11-06 10:00", "--order", "S-1", "--order-from", "12345", "--order-due", "3个工作日")
    assert issue["order"]["sign_due"] == "2026-11-06T10:30:00+08:00"
    late = run_json("issue", "sign", "S-1", "--at", "2026-11-06 11:00")
    assert late["order"]["signed_late"] is True
    assert next(d for d in late["deadlines"] if d["promise"] == "sign")["state"] == "missed"
    assert "签收时限" in run("policy", "show").stdout or "签收" in run("policy", "show").stdout


def test_return_takes_an_order_out_of_every_list_but_the_returns(staffed, run, run_json):
    opened(run_json, "--at", "2026-11-06 10:00", "--order", "R-1", "--order-from", "网格中心", "--order-due", "1个工作日")
    returned = run_json("issue", "return", "R-1", "--reason", "属市政道路，非本社区辖区", "--at", "2026-11-06 10:30")
    assert returned["returned"] is True and returned["voided"] is False and returned["order"]["stage"] == "returned"
    assert run_json("issue", "list", "--at", "2026-11-10 09:00") == []
    morning = run_json("overdue", "--at", "2026-11-10 09:00")
    assert morning["issues"] == [] and morning["due_soon"] == []
    listed = run_json("issue", "list", "--status", "all", "--voided", "--at", "2026-11-10 09:00")
    assert [i["returned"] for i in listed] == [True], "kept on record, marked"
    refused = run("issue", "sign", "R-1", "--at", "2026-11-06 11:00")
    assert "退回" in one_line(refused, 4) or "returned" in refused.stderr


def test_the_morning_list_keeps_an_order_past_its_resolution_until_it_is_closed_and_marks_an_urged_one(staffed, run, run_json):
    opened(run_json, "--at", "2026-11-06 10:00", "--order", "M-1", "--order-from", "12345", "--order-due", "1个工作日",
           "--to", "姜红华")
    assert run("issue", "sign", "M-1", "--at", "2026-11-06 10:10").exit_code == 0
    assert run("issue", "arrive", "1", "--at", "2026-11-06 10:12").exit_code == 0
    assert run("issue", "resolve", "1", "--at", "2026-11-06 10:30").exit_code == 0
    assert run("issue", "urge", "M-1", "--from", "街道办", "--at", "2026-11-09 09:00").exit_code == 0
    morning = run_json("overdue", "--at", "2026-11-09 12:00")
    [item] = morning["issues"]
    assert item["promise"] == "order" and item["order"] == {"number": "M-1", "source": "12345", "urges": 1}
    assert morning["summary"]["orders_overdue"] == {"sign": 0, "order": 1} and morning["summary"]["urged_orders"] == 1
    text = run("overdue", "--at", "2026-11-09 12:00").stdout
    assert "‼督办 1次" in text and "12345 M-1" in text
    assert run("issue", "reply", "M-1", "--text", "已挪车", "--solved", "yes", "--at", "2026-11-09 12:30").exit_code == 0
    assert run_json("overdue", "--at", "2026-11-09 13:00")["issues"], "replied is not closed"
    assert run("issue", "verify", "M-1", "--passed", "--at", "2026-11-09 14:00").exit_code == 0
    assert run_json("overdue", "--at", "2026-11-09 15:00")["issues"] == []
    wish = ("issue", "open", "--kind", "wish", "--category", "设施", "--channel", "热线", "--place", "2栋", "--title", "加装扶手")
    assert run(*wish, "--at", "2026-11-10 10:00", "--order", "M-2", "--order-from", "12345", "--order-due", "1个工作日").exit_code == 0
    assert run("issue", "sign", "M-2", "--at", "2026-11-10 10:05").exit_code == 0
    listing = run("issue", "list", "--at", "2026-11-10 10:10").stdout
    assert "办结时限 2026-11-11 10:00" in listing, "the next deadline: the order's, before the wish's 3-day reply"


def test_an_order_step_is_undone_like_any_other(staffed, run, run_json):
    opened(run_json, "--at", "2026-11-06 10:00", "--order", "U-1", "--order-from", "12345", "--order-due", "3个工作日")
    assert run("issue", "extend", "U-1", "--to", "2026-11-17 17:30", "--reason", "需等配件", "--approved-by", "街道网格中心",
               "--at", "2026-11-07 10:00").exit_code == 0
    assert run_json("issue", "show", "1")["order"]["due_at"] == "2026-11-17T17:30:00+08:00"
    assert run("undo").exit_code == 0
    after = run_json("issue", "show", "1")
    assert after["order"]["due_at"] == "2026-11-11T10:00:00+08:00" and after["order"]["extensions"] == 0
    assert run("check").exit_code == 0


@pytest.mark.sqlite_only("edits the database file by hand with sqlite3")
def test_check_compares_an_orders_cached_state_with_its_steps(staffed, db_path, run, run_json):
    import sqlite3

    opened(run_json, "--at", "2026-11-06 10:00", "--order", "K-1", "--order-from", "12345", "--order-due", "3个工作日")
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE orders SET urges = 3")
    conn.commit()
    conn.close()
    result = run("check")
    assert result.exit_code == 6 and "orders.urges" in result.stdout + result.stderr


def test_bad_input_is_one_line_with_its_exit_code(staffed, run, run_json):
    opened(run_json, "--at", "2026-11-06 10:00", "--order", "B-1", "--order-from", "12345", "--order-due", "3个工作日")
    assert "NOPE-9" in one_line(run("issue", "sign", "NOPE-9"), 3)
    again = run(*OPEN, "--at", "2026-11-06 11:00", "--order", "B-1", "--order-from", "12345", "--order-due", "3个工作日")
    assert "B-1" in one_line(again, 4) and "#1" in again.stderr
    assert run_json("issue", "list", "--at", "2026-11-07 09:00")[0]["id"] == 1 and len(
        run_json("issue", "list", "--at", "2026-11-07 09:00")) == 1, "nothing half-written"
    assert "reply" in one_line(run("issue", "verify", "B-1", "--passed", "--at", "2026-11-06 12:00"), 4)
    earlier = run("issue", "extend", "B-1", "--to", "2026-11-10 17:00", "--reason", "x", "--approved-by", "街道",
                  "--at", "2026-11-07 10:00")
    assert "2026-11-11 10:00" in one_line(earlier, 4)
    assert "3个工作日x" in one_line(run(*OPEN, "--order", "B-2", "--order-from", "12345", "--order-due", "3个工作日x"), 4)
    assert run("init", "--code", "530324001001").exit_code != 0  # the database exists: set the code with community edit
    assert run("community", "edit", "--code", "530324001001").exit_code == 0
    assert run("grid", "add", "G18").exit_code == 0
    assert "53032400100101A" in one_line(run("grid", "edit", "G18", "--code", "53032400100101A"), 4)
    assert "530324001002" in one_line(run("grid", "edit", "G18", "--code", "530324001002018"), 4)
    assert "12" in one_line(run("community", "edit", "--code", "5303240010"), 4)


def test_codes_that_go_up(tmp_path, run, run_json, db_path):
    assert run("init", "--community", "美仑盛景小区", "--code", "530324001001").exit_code == 0
    assert run_json("community", "show")["code"] == "530324001001"
    roster = tmp_path / "grids.csv"
    roster.write_text("网格,名称,网格编码\nG18,8栋2单元,530324001001018\nG19,9栋,530324001001019\n", encoding="utf-8")
    assert run("grid", "import", roster).exit_code == 0
    grids = {g["code"]: g["upstream_code"] for g in run_json("grid", "list")}
    assert grids == {"G18": "530324001001018", "G19": "530324001001019"}
    bad = tmp_path / "bad.csv"
    bad.write_text("网格,网格编码\nG20,530324009001020\n", encoding="utf-8")
    refused = run("grid", "import", bad)
    assert refused.exit_code == 5 and "530324009001" in refused.stderr
    assert run("community", "edit", "--code", "530324001002").exit_code == 4, "its grid points say otherwise"
    assert run("issue", "category", "edit", "parking", "--upstream", "街面秩序 / 乱停车").exit_code == 0
    assert run_json("issue", "category", "list")[0]["upstream"] == "街面秩序/乱停车"
    assert run("household", "add", "8-2-301", "--head", "熊秀英", "--grid", "G18").exit_code == 0
    issue = run_json("issue", "open", "--kind", "problem", "--category", "parking", "--channel", "热线",
                     "--household", "8-2-301", "--title", "车堵门", "--at", "2026-11-06 10:00")
    assert (issue["grid"], issue["grid_code"]) == ("G18", "530324001001018")
    assert (issue["category"], issue["category_upstream"]) == ("parking", "街面秩序/乱停车")


SHEET = """工单编号,来源,诉求类型,诉求内容,诉求人,联系电话,地址,派单时间,办结时限
12345-20261106-0031,12345,街面秩序/乱停车,消防通道被占用，请处理,张三,13812340015,美仑盛景小区8号楼2单元301室,2026-11-06 10:00,3个工作日
12345-20261106-0032,12345,市容环境/垃圾,垃圾未清运,李四,13812340016,美仑盛景小区3栋门口,2026-11-06 11:00,2026-11-10 17:30
W-0007,网格中心,其他/噪音,夜间施工扰民,,,小区东门,2026-11-07 09:00,24个工作时
"""


def test_an_order_sheet_comes_in_once_and_the_reply_sheet_goes_out(staffed, tmp_path, run, run_json):
    assert run("household", "add", "8-2-301", "--head", "熊秀英").exit_code == 0
    assert run("issue", "category", "edit", "parking", "--upstream", "街面秩序/乱停车").exit_code == 0
    sheet = tmp_path / "12345工单.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    first = run("issue", "import", sheet)
    assert first.exit_code == 0 and "新增 3" in first.stdout
    assert "市容环境/垃圾" in first.stderr, "the 诉求类型 that fell to 其他 are listed"
    again = run("issue", "import", sheet, "-f", "json")
    assert json.loads(again.stdout)["added"] == 0 and json.loads(again.stdout)["unchanged"] == 3
    issues = {i["order"]["number"]: i for i in run_json("issue", "list", "--status", "all")}
    assert issues["12345-20261106-0031"]["household"] == "8-2-301", "the address names a household on record"
    assert issues["12345-20261106-0031"]["category"] == "parking"
    assert issues["12345-20261106-0032"]["category"] == "other" and issues["12345-20261106-0032"]["building"] == "3"
    assert issues["W-0007"]["category"] == "noise" and issues["W-0007"]["order"]["source"] == "网格中心"
    assert issues["W-0007"]["order"]["due_at"] == "2026-11-12T10:00:00+08:00", "Saturday: from Monday 08:30, 24 working hours"
    assert issues["12345-20261106-0031"]["order"]["caller_phone"] == "13812340015"
    # the reply sheet
    assert run("issue", "sign", "12345-20261106-0031", "--at", "2026-11-06 10:30").exit_code == 0
    assert run("issue", "resolve", str(issues["12345-20261106-0031"]["id"]), "--at", "2026-11-06 11:00").exit_code == 0
    assert run("issue", "reply", "12345-20261106-0031", "--text", "已挪车", "--solved", "yes", "--at", "2026-11-06 11:10").exit_code == 0
    assert run("issue", "verify", "12345-20261106-0031", "--passed", "--at", "2026-11-06 15:00").exit_code == 0
    assert run("issue", "return", "W-0007", "--reason", "非本社区", "--at", "2026-11-07 10:00").exit_code == 0
    out = tmp_path / "工单台账.csv"
    assert run("ledger", "orders", "--from", "2026-11-01", "--to", "2026-11-30", "--at", "2026-11-10 12:00", "-o", out).exit_code == 0
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert [r["工单编号"] for r in rows] == ["12345-20261106-0031", "12345-20261106-0032", "W-0007"]
    headers = list(rows[0])
    for wanted in ("工单编号", "来源", "诉求类型", "诉求内容", "派单时间", "签收时间", "办结时限", "处理人", "办理情况", "是否解决",
                   "未解决原因", "结案时间", "按期", "延期", "督办次数", "返工次数", "回访满意度", "网格编码", "上级分类"):
        assert wanted in headers, wanted
    first_row = rows[0]
    assert (first_row["办理情况"], first_row["是否解决"], first_row["按期"], first_row["结案时间"]) == (
        "已挪车", "是", "是", "2026-11-06 15:00")
    assert rows[2]["工单状态"] == "已退回"
    xlsx = tmp_path / "工单台账.xlsx"
    assert run("ledger", "工单台账", "--from", "2026-11-01", "--to", "2026-11-30", "-o", xlsx).exit_code == 0
    import openpyxl

    sheet_rows = list(openpyxl.load_workbook(xlsx).active.iter_rows(values_only=True))
    assert sheet_rows[0][0].endswith("工单台账") and "工单编号" in sheet_rows[2]


def test_an_order_sheet_with_bad_rows_writes_nothing(staffed, tmp_path, run, run_json):
    sheet = tmp_path / "bad.csv"
    sheet.write_text("工单编号,来源,诉求内容,地址,派单时间,办结时限\n"
                     "X-1,12345,井盖缺失,2栋门口,2026-11-06 10:00,3个工作日x\n"
                     "X-2,12345,路灯不亮,3栋门口,2026-11-06 10:00,3个工作日\n", encoding="utf-8")
    result = run("issue", "import", sheet)
    assert result.exit_code == 5 and "第 2 行" in result.stderr and "办结时限" in result.stderr
    assert run_json("issue", "list", "--status", "all") == []
