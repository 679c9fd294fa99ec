"""What `redprop config` says: each setting, its value and where it came from."""

from redprop.errors import N_
from redprop.present.output import Format, Output
from redprop.present.table import Column, Table

SETTINGS_TABLE = Table((
    Column("key", "Setting", keep=True),
    Column("value", "Value", keep=True),
    Column("from", "From", wrap=True, drop=1),
))
SOURCES = {"option": N_("option {where}"), "environment": N_("environment {where}"), "file": N_("file {where}"),
           "default": N_("default")}


def source(out: Output, row: dict) -> str:
    return out._(SOURCES[row["source"]], where=row["where"])


def settings(out: Output, rows: list[dict], path) -> None:
    """`config show`: a line per setting; JSON and CSV for scripts."""
    if out.fmt != Format.table:
        out.listing(SETTINGS_TABLE, rows, fields=["key", "value", "source", "where", "variable"])
        return

    def cells(row: dict) -> dict:
        value = row["value"]
        if row["key"] == "me" and value is None:
            value = out._("(not set: the change log records the login name)")
        return {**row, "value": value, "from": source(out, row)}

    out.table(SETTINGS_TABLE, [cells(r) for r in rows])
    out.line(out._("settings file: {path}", path=str(path)))


def set_done(out: Output, key: str, value: str, path, overridden=None) -> None:
    out.note(out._("{key} = {value} (kept in {path})", key=key, value=value, path=str(path)))
    if overridden and overridden[1] in ("option", "environment"):
        out.note(out._("note: {where} says {value} and comes first while it is set", where=overridden[2],
                       value=overridden[0]))


def unset_done(out: Output, key: str, was: str | None, path) -> None:
    if was is None:
        out.note(out._("{key} was not set in {path}", key=key, path=str(path)))
    else:
        out.note(out._("{key} removed (was {value}) from {path}", key=key, value=was, path=str(path)))


def not_staff(out: Output, name: str, nearest: str | None) -> None:
    """`config set me` with a name the database's staff list does not have."""
    if nearest:
        out.note(out._("warning: {name} is not in the staff list of this database; did you mean {near}?", name=name,
                       near=nearest))
    else:
        out.note(out._("warning: {name} is not in the staff list of this database (`redprop staff list`)", name=name))
