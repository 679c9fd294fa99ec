"""The weekly and monthly report (issue 10): its figures are `stats` for the period, and the
counts a person would make from the listings; the HTML page is self-contained and carries
every headline figure; the demo writes last week's report beside its database."""

import json
import re
import shutil
import statistics
import stat
import subprocess
from datetime import datetime

import pytest

AT = "2026-11-24 08:00"
WEEK = ("2026-11-16", "2026-11-22")  # the last complete week before AT


@pytest.fixture
def sample(demo):
    """The demo community (conftest's, built once a run) at the test's database."""
    return demo


def rate_of(r):
    return r["numerator"], r["denominator"], r["rate"]


def test_report_week_equals_stats_for_the_same_week(sample, run_json):
    report = run_json("report", "week", "--at", AT)
    assert report["period"] == {"kind": "week", "label": "2026-W47", "from": WEEK[0], "to": WEEK[1]}
    assert report["at"] == "2026-11-24T08:00:00+08:00" and report["complete"] is True
    by_kind = {r["group"]: r for r in run_json("stats", "--from", WEEK[0], "--to", WEEK[1], "--at", AT, "--by", "kind")}
    for kind, key in (("problem", "problems"), ("wish", "wishes")):
        s, f = by_kind[kind], report[key]
        assert f["received"] == s["issues"] > 0
        assert rate_of(f["arrive_on_time"])[:2] == (s["arrive_kept"], s["arrive_kept"] + s["arrive_missed"])
        solved = s["resolve_kept"] + s["plan_kept"]
        assert rate_of(f["solved_on_time"])[:2] == (solved, solved + s["resolve_missed"] + s["plan_missed"])
        assert rate_of(f["satisfaction"])[:2] == (s["satisfied"], s["ratings"])
        assert rate_of(f["follow_up"])[:2] == (s["follow_up_made"], s["follow_up_owed"])
        assert (f["median_arrive_minutes"], f["median_resolve_minutes"]) == (s["median_arrive_minutes"],
                                                                            s["median_resolve_minutes"])
    # what was unfinished when the week ended is stats as things stood then
    at_end = {r["group"]: r for r in run_json("stats", "--from", WEEK[0], "--to", WEEK[1], "--at", "2026-11-23 00:00",
                                              "--by", "kind")}
    assert (report["problems"]["unfinished"], report["problems"]["overdue"]) == (
        at_end["problem"]["unfinished"], at_end["problem"]["overdue"])
    assert report["problems"]["unfinished"] >= report["problems"]["overdue"] > 0
    # the breakdowns are stats by category, grid point and handler: their totals are the week's
    for key, by in (("by_category", "category"), ("by_grid", "grid"), ("by_handler", "handler")):
        stats = {r["group"]: r for r in run_json("stats", "--from", WEEK[0], "--to", WEEK[1], "--at", AT, "--by", by)}
        rows = {r[by]: r for r in report[key] if r["received"]}
        assert {g: r["received"] for g, r in rows.items()} == {g: r["issues"] for g, r in stats.items() if g != "all"}
        assert sum(r["received"] for r in rows.values()) == report["problems"]["received"] + report["wishes"]["received"]


def test_report_week_equals_counts_made_from_the_listings(sample, run_json):
    """The figures counted by hand from `issue list` and `visit list`, as a clerk would."""
    report = run_json("report", "week", "--at", AT)
    issues = run_json("issue", "list", "--status", "all", "--from", WEEK[0], "--to", WEEK[1], "--at", AT, "--all")
    for kind, key in (("problem", "problems"), ("wish", "wishes")):
        mine = [i for i in issues if i["kind"] == kind and not i["voided"]]
        f = report[key]
        assert f["received"] == len(mine)

        def count(promises):
            outcomes = [d["state"] for i in mine for d in i["deadlines"] if d["promise"] in promises]
            return sum(s == "kept" for s in outcomes), sum(s in ("kept", "missed", "overdue") for s in outcomes)

        assert rate_of(f["arrive_on_time"])[:2] == count({"arrive"})
        assert rate_of(f["solved_on_time"])[:2] == count({"resolve", "plan"})
        rated = [i["rating"] for i in mine if i["rating"] is not None]
        assert rate_of(f["satisfaction"])[:2] == (sum(r >= 4 for r in rated), len(rated))
        minutes = [(datetime.fromisoformat(i["resolved_at"]) - datetime.fromisoformat(i["reported_at"])).total_seconds() / 60
                   for i in mine if i["resolved_at"]]
        assert f["median_resolve_minutes"] == round(statistics.median(minutes), 1)
        n, d, share = rate_of(f["solved_on_time"])
        assert share == round(n / d, 4)
    visits = run_json("visit", "list", "--from", WEEK[0], "--to", WEEK[1], "--all")
    contacts = sum(v["outcome"] in ("well", "needs_help", "refused") for v in visits)
    care = report["care"]
    assert (care["visits"], care["contacts"], care["knocks"]) == (len(visits), contacts, len(visits) - contacts)
    due = run_json("visit", "due", "--at", "2026-11-23 00:00")
    end = datetime.fromisoformat("2026-11-23T00:00:00+08:00")
    assert care["unseen_households"] == sum(datetime.fromisoformat(v["due_at"]) <= end for v in due) > 0
    assert care["escalations"] == sum(v["escalated"] for v in due) == 1  # 熊秀英, three knocks
    n, d, _ = rate_of(care["visit_coverage"])
    assert 0 < n < d and care["households_in_care"] == d
    for name in ("arrive_on_time", "solved_on_time", "satisfaction", "follow_up"):
        assert set(report["problems"][name]) == {"numerator", "denominator", "rate", "definition"}
        assert report["problems"][name]["definition"]


def test_the_trend_is_the_same_figures_for_the_8_periods_before(sample, run_json):
    report = run_json("report", "week", "--at", AT)
    trend = report["trend"]
    assert [t["period"]["label"] for t in trend][-2:] == ["2026-W46", "2026-W47"] and len(trend) == 9
    assert trend[-1]["problems"] == {k: v for k, v in report["problems"].items() if not k.startswith(("median", "unf", "over"))}
    assert trend[-1]["visit_coverage"] == report["care"]["visit_coverage"]
    earlier = run_json("report", "week", "--week", "2026-11-11", "--at", AT)  # any day of the week before
    assert earlier["period"]["label"] == "2026-W46"
    assert trend[-2]["problems"] == {k: v for k, v in earlier["problems"].items() if not k.startswith(("median", "unf", "over"))}
    month = run_json("report", "month", "--month", "2026-10", "--at", AT)
    [s] = run_json("stats", "--from", "2026-10-01", "--to", "2026-10-31", "--at", AT, "--by", "kind")[:1]
    assert month["period"]["label"] == "2026-10" and month["trend"][-1]["period"]["from"] == "2026-10-01"
    assert month["problems"]["received"] == s["issues"]
    assert month["trend"][0]["period"]["label"] == "2026-02"


def test_the_terminal_report_reads_3_of_4_with_its_definition(sample, run):
    result = run("report", "week", "--at", AT)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "美仑盛景小区 周报 2026-W47（2026-11-16 至 2026-11-22）" in out and "按时办结率" in out and "走访覆盖率" in out
    assert re.search(r"\d+/\d+ · \d+%", out) and "已评价事项中评 4 分或 5 分的" in out
    assert any(ch in out for ch in "▁▂▃▄▅▆▇█"), "the trend as a sparkline"
    english = run("report", "month", "--month", "2026-11", "--at", AT, lang="en").stdout
    assert "Monthly report 2026-11" in english and "Solved on time" in english and "period had not ended" in english


def test_bad_periods_are_one_line_errors(sample, run):
    for args, text in ((("report", "month", "--month", "2026-13"), "--month"),
                       (("report", "week", "--week", "明年"), "--week"),
                       (("report", "week", "--week", "2027-03-01", "--at", AT), "尚未开始")):
        result = run(*args)
        assert result.exit_code == 4 and text in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def headline_figures(report: dict) -> list[str]:
    shown = []
    for key in ("problems", "wishes"):
        f = report[key]
        shown.append(str(f["received"]))
        for name in ("arrive_on_time", "solved_on_time", "satisfaction", "follow_up"):
            r = f[name]
            shown.append(f"{r['numerator']}/{r['denominator']}")
    r = report["care"]["visit_coverage"]
    return [*shown, f"{r['numerator']}/{r['denominator']}", f"{r['rate'] * 100:.0f}%"]


def test_the_html_report_is_self_contained_and_carries_every_headline_figure(sample, run, run_json, tmp_path):
    path = tmp_path / "周报.html"
    result = run("report", "week", "--at", AT, "-o", path)
    assert result.exit_code == 0, result.output
    assert str(path) in result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    html = path.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html, "no address of any kind: nothing is fetched"
    assert "<script" not in html and "<link" not in html and "<img" not in html and "url(" not in html
    assert html.count("<svg") >= 3 and "@page" in html and "A4" in html
    report = run_json("report", "week", "--at", AT)
    for figure in headline_figures(report):
        assert figure in html, figure
    assert "美仑盛景小区" in html and "2026-11-24 08:00" in html and "2026-W47" in html
    assert "按时办结率" in html and "各网格走访覆盖率" in html and "各类别受理数" in html
    assert re.search(r"<text[^>]*>[^<]*走访覆盖率", html), "chart text stays text"


def test_a_report_file_that_cannot_be_written_is_one_line(sample, run, tmp_path):
    result = run("report", "week", "--at", AT, "-o", tmp_path / "no" / "such" / "r.html")
    assert result.exit_code == 2 and "r.html" in result.stderr and len(result.stderr.strip().splitlines()) == 1, \
        "a path the system cannot use"
    assert not list(tmp_path.glob("**/.*.part"))
    wrong = run("report", "week", "--at", AT, "-o", tmp_path / "r.xlsx")
    assert wrong.exit_code == 4 and ".html" in wrong.stderr and not (tmp_path / "r.xlsx").exists()


@pytest.mark.skipif(shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
                    reason="headless Chromium is not installed")
def test_the_html_report_renders_in_a_browser(sample, run, run_json, tmp_path):
    path = tmp_path / "report.html"
    assert run("report", "week", "--at", AT, "-o", path).exit_code == 0
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", path.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    dom = done.stdout
    assert dom.count("<svg") >= 3 and "</html>" in dom
    for figure in headline_figures(run_json("report", "week", "--at", AT)):
        assert figure in dom, figure
    shot = tmp_path / "report.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=900,2400", path.as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 20_000, "the page was drawn"


@pytest.mark.sqlite_only("redprop demo builds a file")
def test_the_demo_writes_last_weeks_report_beside_its_database(run, db_path):
    result = run("demo")
    assert result.exit_code == 0, result.output
    report = db_path.with_name(f"{db_path.stem}-report.html")
    assert report.exists() and str(report) in result.stdout.splitlines()[-1]
    html = report.read_text(encoding="utf-8")
    assert "2026-W47" in html and "http://" not in html


def test_csv_report_is_one_row_per_figure(sample, run):
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(run("report", "week", "--at", AT, "-f", "csv").stdout)))
    solved = [r for r in rows if r["section"] == "problems" and r["figure"] == "solved_on_time"]
    assert len(solved) == 1 and solved[0]["period"] == "2026-W47" and solved[0]["numerator"]


def test_stats_by_kind(sample, run_json):
    rows = {r["group"]: r for r in run_json("stats", "--from", WEEK[0], "--to", WEEK[1], "--at", AT, "--by", "kind")}
    assert set(rows) == {"problem", "wish", "all"}
    assert rows["problem"]["wishes"] == 0 and rows["wish"]["problems"] == 0
    assert rows["all"]["issues"] == rows["problem"]["issues"] + rows["wish"]["issues"]
    assert json.dumps(rows)  # plain data


@pytest.mark.sqlite_only("edits the database file by hand with sqlite3")
def test_a_database_from_before_the_settled_figures_counts_the_same_once_migrated(sample, run_json, db_path):
    """m009 fills the settled figures of the issues already there with the writer's own rule."""
    import sqlite3

    from redprop.store.migrations import FIGURE_INDEXES

    from conftest import undo_later_migrations

    args = ("stats", "--from", "2026-10-01", "--to", "2026-11-30", "--at", AT, "--by", "kind")
    before = run_json(*args)
    week = run_json("report", "week", "--at", AT)
    conn = sqlite3.connect(db_path)
    for statement in FIGURE_INDEXES:
        conn.execute("DROP INDEX " + statement.split()[2])
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'issues'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")  # the change log's, regenerated after migrating
    for column in ("settled_at", "figures", "arrive_seconds", "resolve_seconds"):
        conn.execute(f"ALTER TABLE issues DROP COLUMN {column}")
    undo_later_migrations(conn, "m009_settled_figures")
    conn.commit()
    conn.close()
    assert run_json(*args) == before
    assert run_json("report", "week", "--at", AT) == week
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM issues WHERE figures IS NULL OR settled_at IS NULL").fetchone()[0] == 0
    conn.close()


def test_figures_as_of_a_moment_before_they_settled(sample, run_json):
    """As of a moment inside the week, most issues had not settled: their promises are worked out
    as of that moment (the same answer the listings give then)."""
    at = "2026-11-18 12:00"
    [total] = run_json("stats", "--from", "2026-11-16", "--to", "2026-11-22", "--at", at)
    issues = run_json("issue", "list", "--status", "all", "--from", "2026-11-16", "--to", "2026-11-22", "--at", at, "--all")
    live = [i for i in issues if not i["voided"]]
    assert total["issues"] == len(live)
    outcomes = [d["state"] for i in live for d in i["deadlines"] if d["promise"] == "resolve"]
    assert (total["resolve_kept"], total["resolve_missed"]) == (
        sum(s == "kept" for s in outcomes), sum(s in ("missed", "overdue") for s in outcomes))
    assert total["unfinished"] == sum(i["resolved_at"] is None for i in live)


def test_only_the_html_report_loads_the_charting_library(sample, db_path, tmp_path):
    import sys

    code = ("import sys\nfrom redprop.cli import run\nsys.argv = ['redprop', '--db', sys.argv[1], *sys.argv[2:]]\n"
            "run()\nprint('pygal' in sys.modules, file=sys.stderr)\n")
    def loads(*args):
        done = subprocess.run([sys.executable, "-c", code, str(db_path), *args], capture_output=True, text=True, timeout=120)
        return done.stderr.strip().splitlines()[-1]

    assert loads("stats", "--at", AT) == "False"
    assert loads("report", "week", "--at", AT, "-f", "json") == "False"
    assert loads("report", "week", "--at", AT, "-o", str(tmp_path / "r.html")) == "True"


@pytest.mark.sqlite_only("edits the database file by hand with sqlite3")
def test_an_undone_step_leaves_the_settled_figures_of_the_issue_before_it(sample, run, run_json, db_path):
    LATER = "2026-11-30 08:00"  # after the call was due: the issue settled either way
    opened = run_json("issue", "open", "--kind", "problem", "--category", "repair", "--channel", "patrol",
                      "--place", "3栋门口", "--title", "路灯不亮", "--at", "2026-11-23 09:00")
    [before] = run_json("stats", "--from", "2026-11-23", "--to", "2026-11-23", "--at", LATER)
    assert run("issue", "resolve", opened["id"], "--at", "2026-11-23 09:20").exit_code == 0
    [resolved] = run_json("stats", "--from", "2026-11-23", "--to", "2026-11-23", "--at", LATER)
    assert resolved["unfinished"] == before["unfinished"] - 1
    # as an entry logged before migration m009 would be: its rows hold none of the settled figures
    import sqlite3

    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE log_changes SET before = json_remove(before, '$.settled_at', '$.figures', '$.arrive_seconds',"
                 " '$.resolve_seconds') WHERE tbl = 'issues' AND entry_id = (SELECT max(id) FROM log_entries)")
    conn.commit()
    conn.close()
    assert run("undo").exit_code == 0
    [after] = run_json("stats", "--from", "2026-11-23", "--to", "2026-11-23", "--at", LATER)
    assert after == before


@pytest.mark.sqlite_only("redprop demo builds a file")
def test_the_demo_speaks_the_language_asked_and_keeps_what_was_typed_into_it(run, run_json, db_path):
    english = run("demo", lang="en")
    assert english.exit_code == 0 and "Head" in english.stdout and "户主" not in english.stdout, "every part in English"
    assert run("demo").exit_code == 0, "an untouched demo database is built again"
    assert run("issue", "note", "1", "已电话联系").exit_code == 0
    again = run("demo", lang="en")
    assert again.exit_code == 4 and "1 changes typed since the demo" in again.stderr, "someone's work is not wiped"
    assert [e["command"].endswith("issue note 1 '已电话联系'") for e in run_json("log")] == [True]
