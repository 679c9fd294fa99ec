"""Households, residents, staff and grid points as people read them."""

from redprop.errors import N_
from redprop.present.care import MEMBERSHIP_TABLE, VISIT_TABLE, membership_cells, visit_cells
from redprop.present.i18n import _
from redprop.present.output import Output
from redprop.present.table import Column, Table
from redprop.vocab import RELATIONS, ROLES

HOUSEHOLD_TABLE = Table((
    Column("key", "Address", keep=True),
    Column("head", "Head", keep=True),
    Column("phone", "Phone", drop=2),
    Column("grid", "Grid", drop=3),
    Column("members", "People", "right", drop=4),
    Column("moved_in_on", "Moved in", drop=5),
    Column("moved_out_on", "Moved out", drop=6),
    Column("note", "Note", wrap=True, drop=7),
))
HOUSEHOLD_FIELDS = ["key", "building", "unit", "room", "head", "phone", "grid", "members", "moved_in_on", "moved_out_on",
                    "note"]
RESIDENT_TABLE = Table((
    Column("household", "Address", keep=True),
    Column("name", "Name", keep=True),
    Column("relation", "Relation", drop=2),
    Column("birth_year", "Born", "right", drop=3),
    Column("phone", "Phone", drop=1),
    Column("moved_out_on", "Moved out", drop=4),
), title=N_("Residents"))
RESIDENT_FIELDS = ["household", "name", "relation", "birth_year", "phone", "moved_out_on"]
STAFF_TABLE = Table((
    Column("name", "Name", keep=True),
    Column("role", "Role", drop=2),
    Column("phone", "Phone", drop=1),
    Column("covers", "Covers", wrap=True, drop=3),
    Column("active", "In post", drop=4),
))
STAFF_FIELDS = ["name", "role", "phone", "covers", "active"]
GRID_TABLE = Table((
    Column("code", "Grid", keep=True),
    Column("name", "Known as", drop=2),
    Column("building", "Building", drop=3),
    Column("households", "Households", "right", drop=1),
    Column("staff", "Staff", wrap=True, drop=4),
))
GRID_FIELDS = ["code", "name", "building", "households", "staff"]


def households(out: Output, rows) -> None:
    out.listing(HOUSEHOLD_TABLE, rows, fields=HOUSEHOLD_FIELDS)


def household(out: Output, row: dict) -> None:
    out.record(HOUSEHOLD_TABLE, row)


def household_details(out: Output, details: dict) -> None:
    """`household show`: the household, then its residents, focus groups and recent visits."""
    if out.fmt != "table":
        out.record(HOUSEHOLD_TABLE, details)
        return
    out.fields(HOUSEHOLD_TABLE, details)
    out.line()
    out.table(RESIDENT_TABLE, [resident_cells(out, r) for r in details["residents"]])
    if details["groups"]:
        out.line()
        out.table(MEMBERSHIP_TABLE, [membership_cells(out, m) for m in details["groups"]], title=_("Focus groups"))
    if details["visits"]:
        out.line()
        out.table(VISIT_TABLE, [visit_cells(out, v) for v in details["visits"]], title=_("Recent visits"))


def resident_cells(out: Output, row: dict) -> dict:
    return {**row, "relation": out.labels.of(RELATIONS, row["relation"])}


def residents(out: Output, rows) -> None:
    out.listing(RESIDENT_TABLE, rows, lambda r: resident_cells(out, r), RESIDENT_FIELDS, title="")


def resident(out: Output, row: dict) -> None:
    out.record(RESIDENT_TABLE, row, lambda r: resident_cells(out, r))


def staff_cells(out: Output, row: dict) -> dict:
    return {**row, "role": out.labels.of(ROLES, row["role"])}


def staff_list(out: Output, rows) -> None:
    out.listing(STAFF_TABLE, rows, lambda r: staff_cells(out, r), STAFF_FIELDS)


def staff_member(out: Output, row: dict) -> None:
    out.record(STAFF_TABLE, row, lambda r: staff_cells(out, r))


def grids(out: Output, rows) -> None:
    out.listing(GRID_TABLE, rows, fields=GRID_FIELDS)


def grid(out: Output, row: dict) -> None:
    out.record(GRID_TABLE, row)
