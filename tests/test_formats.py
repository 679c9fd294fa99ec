"""One meaning per format: --format json and csv are for scripts everywhere — codes, not labels;
ids as numbers; instants in ISO 8601 with offset; CSV columns named as the JSON fields."""

import csv
import io
import json
import re

import pytest

AT = "2026-11-24 08:00"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


@pytest.fixture(scope="module")
def demo_db(module_demo):
    return module_demo  # made by `redprop demo` once a session, copied for this module


@pytest.fixture
def script(demo_db):
    from typer.testing import CliRunner

    from redprop.cli import app

    runner = CliRunner()

    def script(*args):
        result = runner.invoke(app, ["--db", str(demo_db), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    return script


LISTINGS = [
    ("issue", "list", "--at", AT, "--status", "all"),
    ("visit", "due", "--at", AT),
    ("visit", "list", "--limit", "30"),
    ("visit", "plan", "--week", "2026-11-23"),
    ("household", "list", "--building", "8"),
    ("resident", "list", "8-2-301"),
    ("staff", "list"),
    ("grid", "list"),
    ("group", "list"),
    ("group", "members", "独居老人"),
    ("issue", "category", "list"),
    ("stats", "--by", "category", "--at", AT),
]


@pytest.mark.parametrize("args", LISTINGS, ids=lambda a: " ".join(a[:2]))
def test_csv_is_json_in_rows(script, args):
    records = json.loads(script(*args, "-f", "json"))
    rows = list(csv.DictReader(io.StringIO(script(*args, "-f", "csv"))))
    assert records and len(rows) == len(records), "one row per record"
    assert list(rows[0]) == list(records[0]), "the CSV columns are the JSON fields, in order"
    for record, row in zip(records, rows):
        for key, value in record.items():
            if isinstance(value, bool):
                assert row[key] == ("true" if value else "false")
            elif isinstance(value, (int, float)):
                assert float(row[key]) == value, key
            elif isinstance(value, str):
                assert row[key] in (value, "'" + value), key
            elif value is None:
                assert row[key] == ""


def test_script_formats_carry_codes_numbers_and_instants(script):
    issues = json.loads(script("issue", "list", "--at", AT, "--status", "all", "-f", "json"))
    kinds = {i["kind"] for i in issues}
    assert kinds <= {"problem", "wish"} and isinstance(issues[0]["id"], int)
    assert {i["status"] for i in issues} <= {"new", "assigned", "on_site", "waiting_resident", "waiting_parts",
                                              "escalated", "reopened", "resolved", "closed"}
    assert all(ISO.match(i["reported_at"]) for i in issues)
    rows = list(csv.DictReader(io.StringIO(script("issue", "list", "--at", AT, "-f", "csv"))))
    assert all(r["id"].isdigit() and not r["id"].startswith("#") for r in rows)
    assert {r["kind"] for r in rows} <= {"problem", "wish"}, "codes, not 问题/需求"
    due = list(csv.DictReader(io.StringIO(script("visit", "due", "--at", AT, "-f", "csv"))))
    assert due[0]["household"] == "8-2-301" and due[0]["escalated"] == "true" and due[0]["groups"] == "elderly_alone"
    assert "‼" not in "".join(due[0].values()), "no marks for people in a script format"
    visits = list(csv.DictReader(io.StringIO(script("visit", "list", "--limit", "5", "-f", "csv"))))
    assert {v["outcome"] for v in visits} <= {"well", "not_home", "needs_help", "refused"}
    assert all(ISO.match(v["at"]) for v in visits)


def test_policy_show_as_csv_is_csv(script):
    rows = list(csv.DictReader(io.StringIO(script("policy", "show", "-f", "csv"))))
    assert [(r["kind"], r["tier"]) for r in rows] == [(k, t) for k in ("problem", "wish") for t in ("normal", "major", "complex")]
    assert (rows[0]["arrive"], rows[0]["resolve"], rows[2]["plan"]) == ("5m", "30m", "1d")
    assert (rows[3]["arrive"], rows[3]["resolve"], rows[3]["plan"], rows[3]["follow_up"]) == ("", "", "3d", "3d")
    assert rows[0]["name"] == "5341" and rows[0]["version"] == "1"


def test_overdue_csv_has_one_row_per_item_with_its_section(script):
    report = json.loads(script("overdue", "--at", AT, "-f", "json"))
    rows = list(csv.DictReader(io.StringIO(script("overdue", "--at", AT, "-f", "csv"))))
    sections = [r["section"] for r in rows]
    assert sections == ["overdue"] * len(report["issues"]) + ["due_soon"] * len(report["due_soon"]) + ["visit"] * len(report["visits"])
    assert rows[0]["id"] == str(report["issues"][0]["id"]) and rows[0]["late_minutes"] == str(report["issues"][0]["late_minutes"])


def test_a_text_that_would_run_as_a_formula_is_written_as_text(db, run, run_json):
    formula = '=HYPERLINK("http://x","click")'
    assert run("household", "add", "1-1-101", "--head", formula, "--note", "+1 -2 @me").exit_code == 0
    row = next(csv.DictReader(io.StringIO(run("household", "list", "-f", "csv").stdout)))
    assert row["head"] == "'" + formula and row["note"] == "'+1 -2 @me"
    assert run_json("household", "list")[0]["head"] == formula, "JSON stays exact"
