"""The change log as people read it: one line per entry, what it changed in a few words."""

from collections import Counter

from redprop.errors import N_
from redprop.present.output import Format, Output
from redprop.present.table import Column, Table
from redprop.present.times import minute
from redprop.vocab import SENSITIVE

TABLE_NAMES = {  # the log names tables; people read what they hold
    "households": N_("household"), "residents": N_("resident"), "staff": N_("staff"), "staff_areas": N_("area covered"),
    "grids": N_("grid point"), "memberships": N_("membership"), "visits": N_("visit"), "issues": N_("issue"),
    "issue_steps": N_("issue step"), "policies": N_("promise"), "focus_groups": N_("focus group"),
    "issue_categories": N_("category"), "settings": N_("setting"), "orders": N_("work order"),
}
# bookkeeping and state derived from other rows (the due list's contact columns): not news
SKIPPED_FIELDS = ("updated_at", "recorded_at", "left_recorded_at", "last_step_at", "last_contact_at", "knocks")
LOG_TABLE = Table((
    Column("id", "Entry", "right", keep=True),
    Column("at", "Typed at", keep=True),
    Column("user", "User", drop=2),
    Column("command", "Command", wrap=True, drop=1),
    Column("summary", "What changed", wrap=True, keep=False, drop=0),
))
LOG_FIELDS = ["id", "at", "user", "command", "summary", "file", "file_sha256", "counts", "undoes", "undone_by", "boundary",
              "masked", "changes"]


def _name(out: Output, table: str) -> str:
    return out._(TABLE_NAMES.get(table, table))


def _which(change: dict) -> str:
    row = change["after"] or change["before"] or {}
    if change["table"] == "households":
        return row.get("key", "")
    if change["table"] in ("issues", "visits"):
        return f"#{change['row']}"
    return row.get("name") or row.get("code") or ""


def summary(out: Output, entry: dict) -> str:
    """What an entry did, in a few words: `住户 8-2-301：phone 13800000001 → 13800000002；+1 走访`."""
    parts = []
    if entry["undoes"]:
        parts.append(out._("undid entry #{id}", id=entry["undoes"]))
    boundary = entry.get("boundary")
    if boundary == "restore":
        return out._("restored the backup {file} (undo does not reach across it)", file=entry["file"])
    if boundary == "loss":
        counts = entry["counts"] or {}
        if counts.get("missing") is None:
            return out._("accepted as gone what the database held when entry #{last} was written (undo does not reach"
                         " across it)", last=counts.get("last", "?"))
        return out._("accepted as gone {missing} entries found missing (undo does not reach across it)",
                     missing=counts["missing"])
    if boundary == "migration":
        parts.append(out._("a migration rewrote what was typed before it (undo does not write it back)"))
    if entry["file"]:
        counts = entry["counts"] or {}
        parts.append(out._("imported {file}: added {added}, updated {updated}, unchanged {unchanged}, refused {refused}",
                           file=entry["file"], **{k: counts.get(k, 0) for k in ("added", "updated", "unchanged", "refused")}))
    added, removed, updated = Counter(), Counter(), []
    for change in entry["changes"]:
        if change["op"] == "inserted":
            added[change["table"]] += change["through"] - change["row"] + 1
        elif change["op"] == "insert":
            added[change["table"]] += 1
        elif change["op"] == "delete":
            removed[change["table"]] += 1
        else:
            fields = [f for f in change["after"] if change["after"][f] != change["before"].get(f) and f not in SKIPPED_FIELDS]
            if fields:
                updated.append((change, fields))
    if not entry["file"]:
        parts += [f"+{n} {_name(out, t)}" for t, n in added.items()]
    parts += [f"−{n} {_name(out, t)}" for t, n in removed.items()]
    if len(updated) <= 3:
        for change, fields in updated:
            shown = ", ".join(f"{f} {_value(out, change['before'][f])} → {_value(out, change['after'][f])}"
                              for f in fields[:4])
            parts.append(" ".join(filter(None, (_name(out, change["table"]), _which(change)))) + f": {shown}")
    else:
        parts.append(out._("{count} rows changed", count=len(updated)))
    return out._("; ").join(parts) or out._("nothing changed")


def _value(out: Output, value) -> str:
    if value == SENSITIVE.slug:  # a masked value (store.log.Masks) reads 敏感 / sensitive
        return out.labels.group(value)
    return "—" if value is None or value == "" else str(value)


def command(out: Output, record: dict) -> str:
    """An entry's command line as people read it: the words the log masked read 敏感 (`sensitive`
    stays in JSON and CSV, for scripts)."""
    if not record.get("masked") or out.fmt != Format.table:
        return record["command"]
    import shlex

    mask = out.labels.group(SENSITIVE.slug)
    return shlex.join(mask if word == SENSITIVE.slug else word for word in shlex.split(record["command"]))


def entries(out: Output, rows, page=None) -> None:
    records = ({**r, "summary": summary(out, r)} for r in rows)
    out.listing(LOG_TABLE, records, lambda r: {**r, "at": minute(r["at"]), "command": command(out, r)}, LOG_FIELDS, page=page)


def undone(out: Output, result: dict) -> None:
    if out.fmt == Format.json:
        out.document(result)
        return
    said = command(out, result)
    if result["dry_run"]:
        out.line(out._("would undo entry #{id} ({command}): {changes} changes reversed; nothing written",
                       id=result["undone"], command=said, changes=result["changes"]))
    else:
        out.line(out._("undid entry #{id} ({command}): {changes} changes reversed (this undo is entry #{entry})",
                       id=result["undone"], command=said, changes=result["changes"], entry=result["entry"]))
