"""A field is declared once (issue 17): a household field added to its catalogue, and to its table
by SQL, is in `household show`, JSON, CSV, the household ledger and `household import`, and
`--clear` empties it, with no other file edited. The catalogue is the only place that names it."""

import csv
import io
import sqlite3

import pytest

from redprop.errors import InvalidValue
from redprop.fields import NUMBER, Cell, Field, Show
from redprop.households import HOUSEHOLD

ROSTER = "楼栋,单元,门牌号,户主,建筑面积\n8,2,301,熊秀英,86.5㎡\n8,2,302,邵俊飞,\n"


def clean_area(text: str | None) -> float | None:
    """Floor area (建筑面积) in square metres: `86.5`, `86.5㎡`, `86.5平方米`."""
    text = (text or "").strip().removesuffix("平方米").removesuffix("㎡").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidValue("{text!r} is not a floor area in square metres", text=text) from None


FLOOR_AREA = Field("floor_area", "Floor area", clean_area, headers=("建筑面积", "面积"), clearable=True,
                   show=Show("right", drop=8), ledger=Cell(10, NUMBER))


@pytest.fixture
def floor_area(db, monkeypatch):
    """The migration (a column added by SQL) and the catalogue's entry (appended while the test runs)."""
    conn = sqlite3.connect(db)
    conn.execute("ALTER TABLE households ADD COLUMN floor_area REAL")
    conn.commit()
    conn.close()
    monkeypatch.setattr(HOUSEHOLD, "fields", (*HOUSEHOLD.fields, FLOOR_AREA))
    return db


@pytest.mark.sqlite_only("adds a column to the database file by hand with sqlite3")
def test_a_new_household_field_is_in_show_json_csv_the_ledger_and_the_import(floor_area, run, run_json, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    imported = run("household", "import", roster, "-f", "json")
    assert imported.exit_code == 0, imported.output
    assert '"added": 2' in imported.stdout and "建筑面积" not in imported.stderr, "the column is read, not ignored"

    shown = run_json("household", "show", "8-2-301")
    assert shown["floor_area"] == 86.5
    table = run("household", "show", "8-2-301", lang="en").stdout
    assert "Floor area  86.5" in table.splitlines()
    listed = run_json("household", "list")
    assert [h["floor_area"] for h in listed] == [86.5, None]
    assert list(listed[0])[-1] == "floor_area", "after the fields scripts read today"
    rows = list(csv.reader(io.StringIO(run("household", "list", "-f", "csv").stdout)))
    assert rows[0][-1] == "floor_area" and rows[1][-1] == "86.5" and rows[2][-1] == ""

    ledger = tmp_path / "住户台账.csv"
    assert run("ledger", "households", "-o", ledger, lang="en").exit_code == 0
    sheet = list(csv.reader(io.StringIO(ledger.read_text(encoding="utf-8-sig"))))
    header = next(r for r in sheet if r and r[0] == "No.")
    assert header[-1] == "Floor area"
    assert [r[-1] for r in sheet[sheet.index(header) + 1:] if r and r[0].isdigit()] == ["86.5", ""]
    again = run_json("household", "import", ledger)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 2), "the ledger goes back in unchanged"

    roster.write_text("户号,面积\n8-2-302,72平方米\n8-2-301,\n", encoding="utf-8")
    assert (run_json("household", "import", roster)["updated"]) == 1, "an empty cell leaves what is there"
    assert [h["floor_area"] for h in run_json("household", "list")] == [86.5, 72.0]
    roster.write_text("户号,建筑面积\n8-2-301,很大\n", encoding="utf-8")
    bad = run("household", "import", roster, lang="en")
    assert bad.exit_code == 5 and "row 2, column 建筑面积: '很大' is not a floor area" in bad.stderr

    assert run("household", "edit", "8-2-301", "--clear", "floor-area").exit_code == 0
    assert run_json("household", "show", "8-2-301")["floor_area"] is None


def test_the_catalogue_keeps_what_scripts_read(db, run):
    """The fields as scripts have read them, in their order (a CSV read by position): a field added
    comes after them."""
    names = ["key", "building", "unit", "room", "head", "phone", "grid", "members", "moved_in_on", "moved_out_on", "note"]
    assert HOUSEHOLD.names()[:len(names)] == names
    clearable = {"head": "head", "phone": "phone", "grid": "grid", "members": "members", "moved-in": "moved_in_on",
                 "note": "note"}
    assert clearable.items() <= HOUSEHOLD.clearable().items()
    options = {"--head", "--phone", "--grid", "--members", "--moved-in", "--note"}
    assert options <= {f.option.name for f in HOUSEHOLD.options()}
    ledger = ["building", "unit", "room", "head", "phone", "members", "grid", "moved_in_on", "groups", "note"]
    assert [f.name for f in HOUSEHOLD.ledgered()][:len(ledger)] == ledger
    assert run("household", "add", "8-2-301", "--members", "x").exit_code == 2, "--members is a number, as Click says"
