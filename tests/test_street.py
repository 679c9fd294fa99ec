"""The street's picture (issue 18 item 4): `report`, `overdue` and `stats --by community` over
several communities' files — each row the community's own figures (its own `report`,
`overdue`, `stats`), worst first, and a total whose every rate is the sum of the numerators
over the sum of the denominators, never an average; in every format. A repeated --db without
--by community is refused; every JSON/CSV listing names its community."""

import csv
import io
import json
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from redprop.cli import app

AT = "2026-11-24 08:00"
WEEK = ("2026-11-16", "2026-11-22")


def invoke(*args, lang=None):
    return CliRunner().invoke(app, [*(["--lang", lang] if lang else []), *(str(a) for a in args)],
                              catch_exceptions=False)


def ok(*args):
    result = invoke(*args)
    assert result.exit_code == 0, (args, result.output)
    return result


def as_json(*args):
    return json.loads(ok(*args, "-f", "json").stdout)


@pytest.fixture(scope="module")
def street(demo_file, tmp_path_factory):
    """Three communities' files: the demo (美仑盛景小区), a small one made by hand (乙小区: two
    problems, one solved late, one wish, a work order, a household in care visited) and one
    with nothing recorded (丙小区)."""
    folder = tmp_path_factory.mktemp("files")
    a, b, c = folder / "a.db", folder / "b.db", folder / "c.db"
    shutil.copyfile(demo_file, a)
    ok("--db", b, "init", "--community", "乙小区", "--code", "530324001002")
    ok("--db", c, "init", "--community", "丙小区", "--code", "530324001003")
    ok("--db", b, "staff", "add", "王敏", "--role", "网格员")
    ok("--db", b, "grid", "add", "G01", "--name", "1栋")
    ok("--db", b, "household", "add", "1-1-101", "--head", "李秀兰")
    ok("--db", b, "group", "join", "1-1-101", "独居老人", "--since", "2026-01-01")
    ok("--db", b, "visit", "log", "1-1-101", "--by", "王敏", "--outcome", "平安", "--at", "2026-11-20 10:00")
    for title, at in (("路灯不亮", "2026-11-17 09:00"), ("楼道堆物", "2026-11-18 09:00")):
        ok("--db", b, "issue", "open", "--kind", "problem", "--category", "乱停车", "--channel", "巡查", "--place", "1栋",
           "--title", title, "--at", at)
    ok("--db", b, "issue", "arrive", "1", "--by", "王敏", "--at", "2026-11-17 09:04")
    ok("--db", b, "issue", "resolve", "1", "--at", "2026-11-17 09:20")  # in time
    ok("--db", b, "issue", "resolve", "2", "--at", "2026-11-18 15:00")  # late
    ok("--db", b, "issue", "open", "--kind", "wish", "--category", "乱停车", "--channel", "巡查", "--place", "2栋",
       "--title", "想要车棚", "--at", "2026-11-19 09:00")
    ok("--db", b, "issue", "open", "--kind", "problem", "--category", "乱停车", "--channel", "热线", "--place", "1栋门口",
       "--title", "工单 A", "--at", "2026-11-16 09:00", "--order", "A", "--order-from", "12345", "--order-due", "3个工作日")
    ok("--db", b, "issue", "sign", "A", "--at", "2026-11-16 09:30")
    return [a, b, c]


def dbs(files):
    return [arg for f in files for arg in ("--db", f)]


def rate(r):
    return r["numerator"], r["denominator"]


def test_the_weekly_picture_is_each_communitys_own_report_and_their_sum(street):
    picture = as_json("report", "week", *dbs(street), "--by", "community", "--at", AT)
    own = {as_json("--db", f, "report", "week", "--at", AT)["community"]: as_json("--db", f, "report", "week", "--at", AT)
           for f in street}
    rows = picture["communities"]
    assert [r["community"] for r in rows] == ["乙小区", "美仑盛景小区", "丙小区"], \
        "the lowest solved on time first (乙 1/2 < 美仑 29/41); one with nothing decided last"
    assert [r["community_code"] for r in rows] == ["530324001002", "", "530324001003"]
    for row in rows:
        report = own[row["community"]]
        for section in ("problems", "wishes", "care", "orders"):
            assert row[section] == report[section], (row["community"], section)
    total = picture["total"]
    assert (total["community"], total["community_code"]) == ("all", "")
    for section, names in (("problems", ("arrive_on_time", "solved_on_time", "satisfaction", "follow_up")),
                           ("wishes", ("solved_on_time",)), ("care", ("visit_coverage",)),
                           ("orders", ("sign_on_time", "closure", "closed_on_time"))):
        for name in names:
            n = sum(r[section][name]["numerator"] for r in rows)
            d = sum(r[section][name]["denominator"] for r in rows)
            assert rate(total[section][name]) == (n, d), (section, name)
            assert total[section][name]["rate"] == (round(n / d, 4) if d else None), "summed, never averaged"
    solved = total["problems"]["solved_on_time"]
    shares = [r["problems"]["solved_on_time"]["rate"] for r in rows if r["problems"]["solved_on_time"]["rate"] is not None]
    assert solved["rate"] != round(sum(shares) / len(shares), 4), "the mean of the shares would be another figure"
    assert total["problems"]["received"] == sum(r["problems"]["received"] for r in rows)
    assert total["problems"]["median_resolve_minutes"] is None, "a median of medians is not the whole's median"
    assert total["orders"]["dispatched"] == 1 and total["care"]["visits"] == sum(r["care"]["visits"] for r in rows)
    assert picture["period"]["label"] == "2026-W47" and len(picture["trend"]) == 9
    last = picture["trend"][-1]
    assert rate(last["problems"]["solved_on_time"]) == rate(solved)
    assert "按时办结" in solved["definition"] or "承诺" in solved["definition"], "definitions in the worker's language"


def test_the_monthly_picture_and_the_table_for_people(street):
    picture = as_json("report", "month", *dbs(street), "--by", "社区", "--month", "2026-11", "--at", "2026-12-02 08:00")
    assert picture["period"]["label"] == "2026-11" and len(picture["communities"]) == 3
    text = ok("report", "week", *dbs(street), "--by", "community", "--at", AT).stdout
    lines = text.splitlines()
    assert "3个社区" in lines[0] and "2026-W47" in lines[0]
    first_table = lines[:lines.index("", 3)]
    names = [line.split()[0] for line in first_table if line.split() and line.split()[0] in ("乙小区", "美仑盛景小区", "丙小区", "合计")]
    assert names == ["乙小区", "美仑盛景小区", "丙小区", "合计"]
    total = next(line for line in first_table if line.startswith("合计"))
    n, d = rate(as_json("report", "week", *dbs(street), "--by", "community", "--at", AT)["total"]["problems"]["solved_on_time"])
    assert f"{n}/{d}" in total
    assert "工单" in text and "趋势" in text, "the work orders by community, the street's trend"


def test_the_picture_as_csv_is_a_row_per_community_and_the_total(street):
    text = ok("report", "week", *dbs(street), "--by", "community", "--at", AT, "-f", "csv").stdout
    assert text.splitlines()[0].startswith("community,community_code,period,")
    rows = list(csv.DictReader(io.StringIO(text)))
    picture = as_json("report", "week", *dbs(street), "--by", "community", "--at", AT)
    assert [r["community"] for r in rows] == [*(c["community"] for c in picture["communities"]), "all"]
    assert [r["community_code"] for r in rows][:1] == ["530324001002"]
    for row, figures in zip(rows, [*picture["communities"], picture["total"]]):
        solved = figures["problems"]["solved_on_time"]
        assert (int(row["problems_solved_on_time_numerator"]), int(row["problems_solved_on_time_denominator"])) == rate(solved)
        assert row["problems_solved_on_time"] == ("" if solved["rate"] is None else str(solved["rate"]))
        assert int(row["care_visit_coverage_denominator"]) == figures["care"]["visit_coverage"]["denominator"]
        assert row["period"] == "2026-W47"


def test_communities_solving_alike_are_ranked_by_visit_coverage_lowest_first(tmp_path):
    files = [tmp_path / "d1.db", tmp_path / "d2.db"]
    for n, f in enumerate(files, 1):
        ok("--db", f, "init", "--community", f"丁{n}小区", "--code", f"53032400101{n}")
        ok("--db", f, "staff", "add", "王敏", "--role", "网格员")
        ok("--db", f, "household", "add", "1-1-101", "--head", "李秀兰")
        ok("--db", f, "group", "join", "1-1-101", "独居老人", "--since", "2026-01-01")
        ok("--db", f, "issue", "open", "--kind", "problem", "--category", "乱停车", "--channel", "巡查", "--place", "1栋",
           "--title", "路灯不亮", "--at", "2026-11-17 09:00")
        ok("--db", f, "issue", "resolve", "1", "--at", "2026-11-17 09:20")
    ok("--db", files[0], "visit", "log", "1-1-101", "--by", "王敏", "--outcome", "平安", "--at", "2026-11-20 10:00")
    picture = as_json("report", "week", *dbs(files), "--by", "community", "--at", AT)
    rows = picture["communities"]
    assert [rate(r["problems"]["solved_on_time"]) for r in rows] == [(1, 1), (1, 1)]
    assert [(r["community"], rate(r["care"]["visit_coverage"])) for r in rows] == [("丁2小区", (0, 1)), ("丁1小区", (1, 1))]
    assert rate(picture["total"]["care"]["visit_coverage"]) == (1, 2)
    stats = as_json("stats", *dbs(files), "--by", "community", "--to", WEEK[1], "--at", AT)
    assert [(r["group"], r["visit_coverage_share"]) for r in stats] == [("丁2小区", 0.0), ("丁1小区", 1.0), ("all", 0.5)]
    text = ok("stats", *dbs(files), "--by", "community", "--to", WEEK[1], "--at", AT).stdout
    assert "走访覆盖率" in text and "0% (0/1)" in text and text.index("丁2小区") < text.index("丁1小区")


def test_the_street_overdue_list_counts_each_community_most_overdue_first(street):
    picture = as_json("overdue", *dbs(street), "--by", "community", "--at", AT)
    rows = picture["communities"]
    assert [r["community"] for r in rows] == ["美仑盛景小区", "乙小区", "丙小区"]
    for row, f in zip(rows, [street[0], street[1], street[2]]):
        own = as_json("--db", f, "overdue", "--at", AT)
        assert (row["overdue"], row["due_soon"], row["visits"], row["follow_ups"]) == (
            own["summary"]["overdue"], own["summary"]["due_soon"], own["summary"]["visits"], own["summary"]["follow_ups"])
    assert rows[0]["overdue"] > rows[1]["overdue"] >= rows[2]["overdue"] == 0
    total = picture["total"]
    assert total["overdue"] == sum(r["overdue"] for r in rows) and total["community"] == "all"
    assert total["overdue_by_promise"]["resolve"] == sum(r["overdue_by_promise"]["resolve"] for r in rows)
    text = ok("overdue", *dbs(street), "--by", "community", "--at", AT, "-f", "csv").stdout
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["community"] for r in table] == ["美仑盛景小区", "乙小区", "丙小区", "all"]
    assert table[-1]["overdue"] == str(total["overdue"]) and "overdue_by_promise_resolve" in table[0]
    assert "staff" not in table[0] and "buildings" not in table[0], "each community whole: no part of one named"


def test_overdue_check_by_community_fails_when_any_community_has_something_overdue(street):
    everyone = invoke("overdue", *dbs(street), "--by", "community", "--at", AT, "--check")
    assert everyone.exit_code == 1 and "合计" in everyone.stdout
    quiet = invoke("overdue", "--db", street[2], "--by", "community", "--at", AT, "--check")
    assert quiet.exit_code == 0, quiet.output
    one_late = invoke("overdue", "--db", street[2], "--db", street[1], "--by", "community", "--at", AT, "--check")
    assert one_late.exit_code == 1, "乙小区 has an issue past its promise"


def test_stats_by_community_is_each_communitys_stats_and_their_sum(street):
    rows = as_json("stats", *dbs(street), "--by", "community", "--from", WEEK[0], "--to", WEEK[1], "--at", AT)
    assert [r["group"] for r in rows] == ["乙小区", "美仑盛景小区", "丙小区", "all"]
    assert all(list(r)[:2] == ["community", "community_code"] for r in rows), "a listing names its community first"
    coverage = ("households_in_care", "households_covered", "visit_coverage_share")
    for row, f in zip(rows, [street[1], street[0], street[2]]):
        [own] = as_json("--db", f, "stats", "--from", WEEK[0], "--to", WEEK[1], "--at", AT)
        assert {k: v for k, v in row.items() if k not in ("group", "community", "community_code", *coverage)} == \
            {k: v for k, v in own.items() if k not in ("group", "community", "community_code")}
        assert row["community"] == row["group"]
        covered = as_json("--db", f, "report", "week", "--at", AT)["care"]["visit_coverage"]
        assert (row["households_covered"], row["households_in_care"], row["visit_coverage_share"]) == \
            (covered["numerator"], covered["denominator"], covered["rate"]), "走访覆盖率 as the week's report counts it"
    *each, total = rows
    assert (total["households_covered"], total["households_in_care"]) == (
        sum(r["households_covered"] for r in each), sum(r["households_in_care"] for r in each))
    assert (total["community"], total["community_code"]) == ("all", "")
    for key in ("issues", "resolve_kept", "resolve_missed", "ratings", "rating_sum", "follow_up_owed"):
        assert total[key] == sum(r[key] for r in each), key
    kept, missed = total["resolve_kept"], total["resolve_missed"]
    assert total["resolve_kept_share"] == round(kept / (kept + missed), 4)
    assert total["average_rating"] == round(total["rating_sum"] / total["ratings"], 2)
    assert rate(total["order_sign_on_time"]) == (1, 1) and total["median_resolve_minutes"] is None
    text = ok("stats", *dbs(street), "--by", "community", "--from", WEEK[0], "--to", WEEK[1], "--at", AT, "-f", "csv").stdout
    header = text.splitlines()[0].split(",")
    assert header[:3] == ["community", "community_code", "group"] and header.count("community") == 1


def test_a_repeated_db_without_by_community_is_refused_never_the_last_one(street):
    for args in (("overdue",), ("stats",), ("report", "week"), ("household", "list"), ("stats", "--by", "kind")):
        result = invoke(*dbs(street[:2]), *args, "--at", AT) if args[0] != "household" else invoke(*dbs(street[:2]), *args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1
        assert "--db" in result.stderr and "--by community" in result.stderr


def test_a_community_given_twice_is_refused(street, tmp_path):
    twice = invoke("overdue", *dbs([street[0], street[0]]), "--by", "community", "--at", AT)
    assert twice.exit_code == 2 and len(twice.stderr.strip().splitlines()) == 1
    copy = tmp_path / "copy.db"
    shutil.copyfile(street[1], copy)
    result = invoke("stats", *dbs([street[1], copy]), "--by", "community", "--at", AT)
    assert result.exit_code == 2 and "copy.db" in result.stderr and "b.db" in result.stderr


def test_the_street_page_carries_every_community_and_the_total(street, tmp_path):
    path = tmp_path / "街道周报.html"
    result = invoke("report", "week", *dbs(street), "--by", "community", "--at", AT, "-o", path)
    assert result.exit_code == 0, result.output
    html = path.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html and "<script" not in html
    picture = as_json("report", "week", *dbs(street), "--by", "community", "--at", AT)
    for row in [*picture["communities"], picture["total"]]:
        n, d = rate(row["problems"]["solved_on_time"])
        assert f"{n}/{d}" in html
    assert html.index("乙小区") < html.index("丙小区") and "合计" in html and html.count("<svg") >= 2


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                    reason="headless Chromium is not installed")
def test_the_street_page_renders_in_a_browser(street, tmp_path):
    path = tmp_path / "street.html"
    assert invoke("report", "week", *dbs(street), "--by", "community", "--at", AT, "-o", path).exit_code == 0
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", path.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "乙小区" in done.stdout and done.stdout.count("<svg") >= 2


def test_the_picture_fits_a_60_column_terminal(street):
    from test_terminal import in_terminal

    from redprop.present.cells import width

    for args in (("report", "week"), ("report", "month"), ("overdue",), ("stats",)):
        text = in_terminal(street[0], [*dbs(street[1:]), *args, "--by", "community", "--at", AT], 60)
        assert max(width(line) for line in text.splitlines()) <= 60, text
        assert "乙小区" in text and "合计" in text


LISTINGS = [  # a listing of every kind of record, for scripts
    ("household", "list"), ("staff", "list"), ("grid", "list"), ("group", "list"), ("visit", "list", "--all"),
    ("visit", "due", "--at", "2026-12-20 08:00"), ("issue", "list", "--at", AT), ("issue", "category", "list"), ("log",),
    ("household", "show", "1-1-101"), ("community", "show"),
]


@pytest.mark.parametrize("args", LISTINGS, ids=lambda a: " ".join(a[:2]))
def test_every_listing_for_scripts_names_its_community(street, args):
    records = as_json("--db", street[1], *args)
    records = records if isinstance(records, list) else [records]
    assert records and all((r["community"], r["community_code"]) == ("乙小区", "530324001002") for r in records)
    text = ok("--db", street[1], *args, "-f", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and all((r["community"], r["community_code"]) == ("乙小区", "530324001002") for r in rows)
    unnamed = as_json("--db", street[0], *args) if args[0] not in ("household",) or args[1] == "list" else None
    if isinstance(unnamed, list) and unnamed:
        assert unnamed[0]["community"] == "美仑盛景小区" and unnamed[0]["community_code"] == "", "empty when no code is set"
