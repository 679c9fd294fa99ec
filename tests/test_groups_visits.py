"""Focus groups, visits and the due list, through the CLI on a real database file."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import built_once, now

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
@built_once
def estate(db, run):
    """Five households in building 8, two staff covering it, all before October 2026."""
    for key, head in [("8-1-101", "熊秀英"), ("8-1-102", "王大明"), ("8-1-201", "李小红"),
                      ("8-1-202", "赵刚"), ("8-1-301", "钱新")]:
        assert run("household", "add", key, "--head", head, "--grid", "G18", "--moved-in", "2015-01-01").exit_code == 0
    assert run("staff", "add", "杜丽娟", "--role", "楼栋长", "--covers", "8").exit_code == 0
    assert run("staff", "add", "刘磊", "--role", "网格员", "--covers", "G18").exit_code == 0
    assert run("staff", "add", "周远", "--role", "网格员", "--covers", "G20").exit_code == 0
    return db


def test_join_leave_and_history(estate, run, run_json):
    assert run("group", "join", "8-1-202", "新近失业居民", "--since", "2026-02-15", "--until", "2026-12-31").exit_code == 0
    left = run("group", "leave", "8-1-202", "newly_unemployed", "--on", "2026-04-10", "--reason", "找到工作")
    assert left.exit_code == 0, left.output

    march = run_json("group", "members", "Newly unemployed resident", "--from", "2026-03-01", "--to", "2026-03-31")
    assert [m["household"] for m in march] == ["8-1-202"]
    assert march[0]["left_reason"] == "found_work" and march[0]["until"] == "2026-04-10"
    assert run_json("group", "members", "newly_unemployed", "--at", "2026-04-09")[0]["household"] == "8-1-202"
    assert run_json("group", "members", "newly_unemployed", "--at", "2026-04-10") == []
    assert run_json("group", "members", "newly_unemployed", "--from", "2026-05-01", "--to", "2026-05-31") == []

    again = run("group", "leave", "8-1-202", "newly_unemployed", "--on", "2026-05-01", lang="en")
    assert again.exit_code == 3 and "not in" in again.stderr
    clash = run("group", "join", "8-1-202", "newly_unemployed", "--since", "2026-03-01", lang="en")
    assert clash.exit_code == 4 and "already in" in clash.stderr
    assert run("resident", "add", "8-1-101", "熊秀英").exit_code == 0
    assert run("group", "join", "8-1-101", "独居老人", "--resident", "熊秀英", "--since", "2026-01-01").exit_code == 0
    whole = run("group", "join", "8-1-101", "独居老人", "--since", "2026-03-01", lang="en")
    assert whole.exit_code == 4 and "熊秀英 is already in" in whole.stderr, "she and her household: one member"
    # Rejoining after the first span ended is a new span; the old one stays on record.
    assert run("group", "join", "8-1-202", "newly_unemployed", "--since", "2026-09-01").exit_code == 0
    shown = run_json("household", "show", "8-1-202", "--at", "2026-10-01")
    assert [(g["since"], g["current"]) for g in shown["groups"]] == [("2026-09-01", True), ("2026-02-15", False)]


def test_membership_expires_by_the_groups_default_length(estate, run, run_json):
    assert run("group", "edit", "新迁入家庭", "--default-days", "90").exit_code == 0
    joined = run_json("group", "join", "8-1-301", "new_arrival", "--since", "2026-06-01")
    assert joined["until"] == "2026-08-30"
    assert [m["household"] for m in run_json("group", "members", "new_arrival", "--at", "2026-08-29")] == ["8-1-301"]
    assert run_json("group", "members", "new_arrival", "--at", "2026-08-30") == []
    # A household that dropped out by itself is no longer due either.
    assert run_json("visit", "due", "--at", "2026-09-15 10:00") == []


def test_group_catalogue_is_editable_and_bilingual(estate, run, run_json):
    groups = {g["code"]: g for g in run_json("group", "list")}
    assert len(groups) == 14 and all(g["cadence_days"] == 7 for g in groups.values())
    assert groups["elderly_alone"]["zh"] == "独居老人"
    assert {c for c, g in groups.items() if g["sensitive"]} == {"petitioner", "mental_illness_risk", "correction"}
    assert run_json("group", "edit", "Elderly living alone", "--cadence", "3")["cadence_days"] == 3
    added = run_json("group", "add", "veteran", "--zh", "退役军人", "--en", "Veteran", "--cadence", "30")
    assert added["code"] == "veteran" and added["cadence_days"] == 30
    assert run("group", "add", "veteran2", "--zh", "退役军人", "--en", "Veteran 2").exit_code == 4
    assert run("group", "edit", "独居老人", "--cadence", "0").exit_code == 4
    unknown = run("group", "join", "8-1-101", "外星人")
    assert unknown.exit_code == 4 and "elderly_alone" in unknown.stderr


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("2026-11-20T09:30:00+08:00", "2026-11-20T09:30:00+08:00"),
        ("2026-11-20T01:30:00Z", "2026-11-20T09:30:00+08:00"),
        ("2026-11-20 9:30", "2026-11-20T09:30:00+08:00"),
        ("2026/11/20 9:30", "2026-11-20T09:30:00+08:00"),
        ("2026/9/5 9:30", "2026-09-05T09:30:00+08:00"),
        ("2026年11月20日 9:30", "2026-11-20T09:30:00+08:00"),
        ("2026年9月5日 14时05分", "2026-09-05T14:05:00+08:00"),
        ("11/20/2026 09:30:00 AM", "2026-11-20T09:30:00+08:00"),
        ("20 Nov 2026 9:30", "2026-11-20T09:30:00+08:00"),
        ("Nov 20, 2026 2:30 PM", "2026-11-20T14:30:00+08:00"),
    ],
)
def test_visit_log_reads_the_times_workers_type(estate, run, run_json, typed, expected):
    logged = run("visit", "log", "8-1-101", "--by", "杜丽娟", "--at", typed, "--outcome", "well")
    assert logged.exit_code == 0, logged.output
    assert run_json("visit", "list", "--household", "8-1-101")[0]["at"] == expected


@pytest.mark.parametrize(
    "typed, days_back, clock",
    [("yesterday 9:30", 1, "09:30"), ("昨天 14:00", 1, "14:00"), ("前天 8:05", 2, "08:05")],
)
def test_visit_log_reads_relative_days(estate, run, run_json, typed, days_back, clock):
    before = now().astimezone(SHANGHAI).date()
    assert run("visit", "log", "8-1-101", "--by", "刘磊", "--at", typed, "--outcome", "well").exit_code == 0
    after = now().astimezone(SHANGHAI).date()
    at = run_json("visit", "list", "--household", "8-1-101")[0]["at"]
    assert at[11:16] == clock
    assert at[:10] in {(before - timedelta(days=days_back)).isoformat(), (after - timedelta(days=days_back)).isoformat()}


def test_visit_log_hours_ago_and_the_future(estate, run, run_json):
    assert run("visit", "log", "8-1-101", "--by", "刘磊", "--at", "2h ago", "--kind", "电话", "--outcome", "well").exit_code == 0
    row = run_json("visit", "list", "--household", "8-1-101")[0]
    elapsed = now() - datetime.fromisoformat(row["at"])
    assert timedelta(hours=1, minutes=58) < elapsed < timedelta(hours=2, minutes=2)
    assert row["kind"] == "phone" and row["recorded_at"] > row["at"]
    future = run("visit", "log", "8-1-101", "--by", "刘磊", "--at", "2099-01-01 9:00", "--outcome", "well", lang="en")
    assert future.exit_code == 4 and "future" in future.stderr
    bad = run("visit", "log", "8-1-101", "--by", "刘磊", "--at", "2026-02-30 9:00", "--outcome", "well", lang="en")
    assert bad.exit_code == 4 and "not a real date" in bad.stderr and "Traceback" not in bad.output
    needs = run("visit", "log", "8-1-101", "--by", "刘磊", "--outcome", "needs_help", lang="en")
    assert needs.exit_code == 4 and "--need" in needs.stderr
    assert run("visit", "log", "9-9-999", "--by", "刘磊", "--outcome", "well").exit_code == 3
    assert run("visit", "log", "8-1-101", "--by", "无名氏", "--outcome", "well").exit_code == 3


def _log(run, key, at, outcome="well", by="刘磊"):
    result = run("visit", "log", key, "--by", by, "--at", at, "--outcome", outcome)
    assert result.exit_code == 0, result.output


@pytest.fixture
@built_once
def care(estate, run):
    """Memberships from 2026-10-01 and a month of visits; the moment of interest is 2026-11-02 08:00.

    8-1-101 elderly alone: seen 10-20 10:00, then not at home 10-27, 10-29, 10-31 → escalated, 12 days unseen.
    8-1-102 hardship: seen 10-15 16:00 → 17 days unseen, due since 10-22 16:00.
    8-1-201 retired: seen 10-25 09:00 → 7 days 23 h unseen, due since 11-01 09:00.
    8-1-202 mental illness risk (sensitive): seen 10-30 → not due.
    8-1-301 joined hardship on 11-02 itself → not due today.
    """
    for key, group, since in [("8-1-101", "独居老人", "2026-10-01"), ("8-1-102", "hardship", "2026-10-01"),
                              ("8-1-201", "退休人员", "2026-10-01"), ("8-1-202", "易肇事肇祸精神病人家庭", "2026-10-01"),
                              ("8-1-301", "困难居民", "2026-11-02")]:
        assert run("group", "join", key, group, "--since", since).exit_code == 0
    _log(run, "8-1-101", "2026-10-20 10:00")
    for day in ("2026-10-27", "2026-10-29", "2026-10-31"):
        _log(run, "8-1-101", f"{day} 10:00", "not_home")
    _log(run, "8-1-102", "2026-10-15 16:00")
    _log(run, "8-1-201", "2026-10-25 09:00")
    _log(run, "8-1-202", "2026-10-30 11:00", "refused")
    _log(run, "8-1-301", "2026-09-01 11:00")
    return "2026-11-02 08:00"


def test_due_lists_escalation_first_then_most_overdue(care, run, run_json):
    due = run_json("visit", "due", "--at", care)
    assert [d["household"] for d in due] == ["8-1-101", "8-1-102", "8-1-201"]
    alone, hardship, retired = due
    assert alone["escalated"] and alone["failed_attempts"] == 3 and alone["days_since_seen"] == 12
    assert alone["last_seen_at"] == "2026-10-20T10:00:00+08:00"
    assert hardship["days_since_seen"] == 17 and hardship["overdue_days"] == 10 and not hardship["escalated"]
    assert retired["days_since_seen"] == 7 and retired["overdue_days"] == 0
    assert hardship["staff"] == ["刘磊", "杜丽娟"]  # grid worker first, then the building leader
    assert all(d["phone"] is None and d["head"] for d in due)

    table = run("visit", "due", "--at", care)
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert lines[2].startswith("‼") and "8-1-101" in lines[2] and "熊秀英" in lines[2]
    assert "\x1b[" not in table.stdout  # piped: no colour codes

    assert [d["household"] for d in run_json("visit", "due", "--at", care, "--staff", "周远")] == []
    assert len(run_json("visit", "due", "--at", care, "--grid", "G18")) == 3


def test_a_contact_resets_the_knocks(care, run, run_json):
    _log(run, "8-1-101", "2026-11-01 18:00", "well")
    due = run_json("visit", "due", "--at", care)
    assert "8-1-101" not in [d["household"] for d in due]


def test_due_as_things_stood_before_later_entries(care, run, run_json):
    # At 10-28 noon only one knock had happened on 8-1-101: due (seen 10-20 10:00) but not escalated.
    earlier = {d["household"]: d for d in run_json("visit", "due", "--at", "2026-10-28 12:00")}
    assert earlier["8-1-101"]["escalated"] is False and earlier["8-1-101"]["failed_attempts"] == 1
    assert earlier["8-1-101"]["days_since_seen"] == 8
    # A visit typed in now but dated after the moment does not count at the moment.
    _log(run, "8-1-102", "2026-11-05 09:00")
    assert "8-1-102" in [d["household"] for d in run_json("visit", "due", "--at", care)]
    assert "8-1-102" not in [d["household"] for d in run_json("visit", "due", "--at", "2026-11-05 10:00")]


def test_never_visited_counts_from_the_start_of_membership(estate, run, run_json):
    assert run("group", "join", "8-1-201", "empty_nest", "--since", "2026-10-10").exit_code == 0
    assert run_json("visit", "due", "--at", "2026-10-16 23:59") == []
    due = run_json("visit", "due", "--at", "2026-10-20 08:00")
    assert due[0]["never_seen"] and due[0]["days_since_seen"] == 10 and due[0]["last_seen_at"] is None


def test_sensitive_groups_are_masked_unless_asked(care, run, run_json):
    _moment = "2026-11-12 08:00"
    masked = {d["household"]: d for d in run_json("visit", "due", "--at", _moment)}
    assert masked["8-1-202"]["groups"] == ["sensitive"]
    assert "group_labels" not in masked["8-1-202"], "labels are for people, not scripts"
    table = run("visit", "due", "--at", _moment).stdout
    assert "精神病" not in table and "敏感" in table
    assert "sensitive" in run("visit", "due", "--at", _moment, lang="en").stdout
    shown = {d["household"]: d for d in run_json("visit", "due", "--at", _moment, "--show-sensitive")}
    assert shown["8-1-202"]["groups"] == ["mental_illness_risk"]
    refused = run("group", "members", "mental_illness_risk", lang="en")
    assert refused.exit_code == 4 and "--show-sensitive" in refused.stderr
    assert run_json("group", "members", "mental_illness_risk", "--show-sensitive", "--at", _moment)[0]["household"] == "8-1-202"
    assert "精神病" not in run("household", "show", "8-1-202").stdout
    assert "精神病" in run("household", "show", "8-1-202", "--show-sensitive").stdout


def test_week_plan_gives_each_household_to_everyone_responsible_or_to_the_one_named(care, run):
    """Issue 19: a household two people cover is on both lists (it was on the grid worker's
    alone, and the building leader never saw 熊秀英 on his); --staff gives one person's list."""
    result = run("visit", "plan", "--week", "2026-11-02", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    # Due within the week of Mon 11-02: the three overdue ones and 8-1-202 (due 11-06 11:00);
    # 8-1-301 falls due at 11-09 00:00, the first moment of the next week.
    due = {"8-1-101", "8-1-102", "8-1-201", "8-1-202"}
    assert {r["household"] for r in rows} == due
    # 杜丽娟 covers building 8, 刘磊 grid point G18: both are responsible for every one of them
    assert {(r["staff"], r["household"]) for r in rows} == {(p, h) for p in ("刘磊", "杜丽娟") for h in due}
    table = run("visit", "plan", "--week", "2026-11-02")
    assert "刘磊 (4)" in table.stdout and "杜丽娟 (4)" in table.stdout
    mine = list(csv.DictReader(io.StringIO(run("visit", "plan", "--week", "2026-11-02", "--staff", "杜丽娟", "-f", "csv").stdout)))
    assert {r["staff"] for r in mine} == {"杜丽娟"} and {r["household"] for r in mine} == due
    assert "--staff" in run("visit", "plan", "--help", lang="en").stdout


def test_membership_import_refuses_a_bad_row_and_writes_nothing(estate, run, run_json, tmp_path):
    sheet = tmp_path / "重点人群.csv"
    sheet.write_text(
        "楼栋,单元,门牌号,人群,开始日期,结束日期,备注\n"
        "8栋,1单元,101室,独居老人,2026/10/1,,\n"
        "8,1,102,困难居民,2026年10月1日,,低保户\n"
        "8,1,201,失恋人员,2026-10-01,,\n"
        "8,1,202,newly_unemployed,2026-02-30,,\n",
        encoding="gb18030",
    )
    refused = run("group", "import", sheet, lang="en")
    assert refused.exit_code == 5
    assert "row 4, column 人群" in refused.stderr and "row 5, column 开始日期" in refused.stderr
    assert run_json("group", "members", "elderly_alone", "--at", "2026-10-02") == []

    partial = run("group", "import", sheet, "--skip-invalid")
    assert partial.exit_code == 0 and "新增 2" in partial.stdout and "拒收 2" in partial.stdout
    assert run_json("group", "members", "独居老人", "--at", "2026-10-02")[0]["household"] == "8-1-101"
    again = run("group", "import", sheet, "--skip-invalid")
    assert "新增 0" in again.stdout and "未变 2" in again.stdout


def test_visit_round_sheet_import(estate, run, run_json, tmp_path):
    sheet = tmp_path / "走访.csv"
    sheet.write_text(
        "\ufeff户号,时间,走访人,方式,结果,需求\n"
        "8-1-101,2026/10/5 9:30,刘磊,入户,平安,\n"
        "8-1-102,2026-10-05 10:00,杜丽娟,电话,需要帮助,买药\n"
        "8-1-201,2026-10-05 10:30,不存在,走访,平安,\n",
        encoding="utf-8",
    )
    refused = run("visit", "import", sheet, lang="en")
    assert refused.exit_code == 5 and "row 4, column 走访人" in refused.stderr
    assert run("visit", "import", sheet, "--skip-invalid").exit_code == 0
    visits = run_json("visit", "list", "--to", "2026-10-31")
    assert [(v["household"], v["outcome"], v["need"]) for v in visits] == [
        ("8-1-102", "needs_help", "买药"), ("8-1-101", "well", None)]
    assert "未变 2" in run("visit", "import", sheet, "--skip-invalid").stdout


def test_due_is_the_same_whether_later_visits_exist_or_not(care, run, run_json):
    # Without later visits the list comes from the contact columns the triggers keep; with one
    # it is recomputed from the visits themselves. Both must tell the same story.
    from_cache = run_json("visit", "due", "--at", care)
    _log(run, "8-1-201", "2026-11-10 09:00")
    recomputed = run_json("visit", "due", "--at", care)
    assert recomputed == from_cache
    assert [d["household"] for d in run_json("visit", "due", "--at", "2026-11-10 09:30")][:1] == ["8-1-101"]


def test_moving_out_ends_memberships_and_a_new_family_can_move_in(care, run, run_json):
    assert run("household", "move-out", "8-1-102", "--on", "2026-11-01").exit_code == 0
    hardship = run_json("group", "members", "hardship", "--from", "2026-10-01", "--to", "2026-11-30")
    assert [(m["household"], m["until"], m["left_reason"]) for m in hardship][:1] == [("8-1-102", "2026-11-01", "moved_out")]
    assert "8-1-102" not in [d["household"] for d in run_json("visit", "due", "--at", care)]
    # Still due as things stood before the move.
    assert "8-1-102" in [d["household"] for d in run_json("visit", "due", "--at", "2026-10-31 08:00")]
    assert run("household", "add", "8-1-102", "--head", "新住户", "--moved-in", "2026-11-10").exit_code == 0
    assert run_json("household", "show", "8-1-102")["head"] == "新住户"
    future = run("household", "move-out", "8-1-201", "--on", "2099-01-01", lang="en")
    assert future.exit_code == 4 and "future" in future.stderr


def test_a_resident_moving_out_leaves_their_groups(estate, run, run_json):
    assert run("resident", "add", "8-1-201", "李小红").exit_code == 0
    assert run("group", "join", "8-1-201", "disabled", "--resident", "李小红", "--since", "2026-10-01").exit_code == 0
    assert run("resident", "edit", "8-1-201", "李小红", "--moved-out", "2026-10-15").exit_code == 0
    assert run_json("group", "members", "disabled", "--at", "2026-10-20") == []
    assert run_json("visit", "due", "--at", "2026-10-30 08:00") == []


def test_visit_dates_must_fall_while_the_household_lived_there(estate, run):
    before = run("visit", "log", "8-1-101", "--by", "刘磊", "--at", "2014-12-31 10:00", "--outcome", "well", lang="en")
    assert before.exit_code == 4 and "moved in on 2015-01-01" in before.stderr
    assert run("household", "move-out", "8-1-101", "--on", "2026-10-01").exit_code == 0
    after = run("visit", "log", "8-1-101", "--by", "刘磊", "--at", "2026-10-02 10:00", "--outcome", "well", lang="en")
    assert after.exit_code == 4 and "moved out" in after.stderr
    assert run("visit", "log", "8-1-101", "--by", "刘磊", "--at", "2026-09-30 10:00", "--outcome", "well").exit_code == 0
    nobody = run("visit", "log", "8-1-102", "--outcome", "well")
    assert nobody.exit_code == 2 and "--by" in nobody.output


def test_a_day_given_as_the_end_of_a_range_includes_that_day(care, run, run_json):
    assert [v["at"][:10] for v in run_json("visit", "list", "--from", "2026-10-31", "--to", "2026-10-31")] == ["2026-10-31"]
    reversed_range = run("visit", "list", "--from", "2026-11-01", "--to", "2026-10-01", lang="en")
    assert reversed_range.exit_code == 4 and "--from/--to" in reversed_range.stderr
    bad = run("group", "join", "8-1-101", "hardship", "--since", "2026-01-01", "--until", "2026-02-30", lang="en")
    assert bad.exit_code == 4 and bad.stderr.startswith("redprop: --until: ")


def test_a_visit_sheet_may_not_say_yesterday(estate, run, tmp_path):
    sheet = tmp_path / "走访.csv"
    sheet.write_text("户号,时间,走访人,结果,需求\n8-1-101,昨天 9:30,刘磊,平安,\n8-1-102,2026-10-05 10:00,刘磊,需要帮助,\n",
                     encoding="utf-8")
    result = run("visit", "import", sheet, lang="en")
    assert result.exit_code == 5
    assert "row 2, column 时间" in result.stderr and "relative" in result.stderr
    assert "row 3, column 需求" in result.stderr


def test_a_staff_member_who_left_is_kept_but_responsible_for_nothing(care, run, run_json):
    assert run("staff", "add", "刘磊", "--inactive").exit_code == 0
    assert {s["name"]: s["active"] for s in run_json("staff", "list")}["刘磊"] is False
    assert all(d["staff"] == ["杜丽娟"] for d in run_json("visit", "due", "--at", care))
    assert run("staff", "add", "刘磊", "--active").exit_code == 0
    assert run_json("visit", "due", "--at", care)[0]["staff"] == ["刘磊", "杜丽娟"]


def test_household_show_at_a_past_moment_lists_who_lived_there_then(estate, run, run_json):
    assert run("resident", "add", "8-1-201", "李小红").exit_code == 0
    assert run("resident", "add", "8-1-201", "李大壮").exit_code == 0
    assert run("resident", "edit", "8-1-201", "李大壮", "--moved-out", "2026-10-15").exit_code == 0
    then = run_json("household", "show", "8-1-201", "--at", "2026-10-01 09:00")
    now = run_json("household", "show", "8-1-201")
    assert [r["name"] for r in then["residents"]] == ["李小红", "李大壮"]
    assert [r["name"] for r in now["residents"]] == ["李小红"]


def test_a_bare_clock_time_is_today(estate, run, run_json):
    assert run("visit", "log", "8-1-101", "--by", "刘磊", "--at", "0:01", "--outcome", "well").exit_code == 0
    at = run_json("visit", "list", "--household", "8-1-101")[0]["at"]
    assert at[11:16] == "00:01" and at[:10] == now().astimezone(SHANGHAI).date().isoformat()


def test_a_knock_in_the_same_second_as_a_contact_is_not_after_it(estate, run, run_json):
    # The trigger-kept columns and the recomputation must agree however visits tie.
    assert run("group", "join", "8-1-101", "elderly_alone", "--since", "2026-01-01").exit_code == 0
    _log(run, "8-1-101", "2026-10-20 9:30", "well")
    _log(run, "8-1-101", "2026-10-20 9:30", "not_home")
    _log(run, "8-1-101", "2026-10-21 9:30", "not_home")
    _log(run, "8-1-101", "2026-10-22 9:30", "not_home")
    from_cache = run_json("visit", "due", "--at", "2026-10-28 10:00")
    assert from_cache[0]["failed_attempts"] == 2 and not from_cache[0]["escalated"]
    _log(run, "8-1-102", "2026-11-01 9:00")
    assert run_json("visit", "due", "--at", "2026-10-28 10:00") == from_cache


def test_out_of_range_times_and_unknown_zones_are_one_line(estate, run):
    for at in ("99999999 days ago", "0001-01-01 00:00", "Nov 20 2026 9:30 PST"):
        result = run("visit", "due", "--at", at)
        assert result.exit_code == 4, (at, result.output)
        assert len(result.stderr.strip().splitlines()) == 1


def test_an_address_with_two_families_is_read_by_date(estate, run, run_json):
    assert run("household", "move-out", "8-1-101", "--on", "2026-11-01").exit_code == 0
    assert run("household", "add", "8-1-101", "--head", "新住户", "--moved-in", "2026-11-10").exit_code == 0
    # A late entry for the old family goes to the old family.
    assert run("visit", "log", "8-1-101", "--by", "刘磊", "--at", "2026-10-20 9:00", "--outcome", "well").exit_code == 0
    assert run_json("household", "show", "8-1-101", "--at", "2026-10-20 12:00")["head"] == "熊秀英"
    assert run_json("household", "show", "8-1-101")["head"] == "新住户"
    assert run_json("household", "show", "8-1-101")["visits"] == []
    early = run("group", "join", "8-1-101", "hardship", "--since", "2026-11-05", lang="en")
    assert early.exit_code == 4 and "moved" in early.stderr
    assert run("group", "join", "8-1-101", "hardship", "--since", "2026-11-10").exit_code == 0


def test_an_imported_membership_may_not_overlap_one_on_record(estate, run, run_json, tmp_path):
    assert run("group", "join", "8-1-101", "elderly_alone", "--since", "2026-01-01").exit_code == 0
    sheet = tmp_path / "m.csv"
    sheet.write_text("户号,人群,开始日期\n8-1-101,独居老人,2026-03-01\n8-1-102,独居老人,2026-03-01\n", encoding="utf-8")
    result = run("group", "import", sheet, lang="en")
    assert result.exit_code == 5 and "row 2: overlaps" in result.stderr
    assert "新增 1" in run("group", "import", sheet, "--skip-invalid").stdout
    assert len(run_json("group", "members", "elderly_alone", "--at", "2026-04-01")) == 2
