"""The change log as people read it: one line per entry, what it changed in a few words."""

import re
from collections import Counter

from redprop.errors import N_
from redprop.present.cells import printable
from redprop.present.output import Format, Output, block_lines
from redprop.present.table import Column, Table
from redprop.present.times import minute
from redprop.vocab import CHANNELS, LEAVE_REASONS, RELATIONS, ROLES, SENSITIVE, STATUSES, TIER_CODES, VISIT_OUTCOMES

TABLE_NAMES = {  # the log names tables; people read what they hold
    "households": N_("household"), "residents": N_("resident"), "staff": N_("staff"), "staff_areas": N_("area covered"),
    "grids": N_("grid point"), "memberships": N_("membership"), "visits": N_("visit"), "issues": N_("issue"),
    "issue_steps": N_("issue step"), "policies": N_("promise"), "focus_groups": N_("focus group"),
    "issue_categories": N_("category"), "settings": N_("setting"), "orders": N_("work order"),
}
# bookkeeping and state derived from other rows (the due list's contact columns, an issue's
# settled figures): not news
SKIPPED_FIELDS = ("updated_at", "recorded_at", "left_recorded_at", "last_step_at", "last_contact_at", "knocks",
                  "settled_at", "figures", "arrive_seconds", "resolve_seconds", "replay", "open_long", "provisional",
                  "first_due_at", "imported_steps", "created_at")
FIELD_LABELS = {  # a column as the worker reads it
    "key": N_("address"), "building": N_("building"), "unit": N_("unit"), "room": N_("room"), "head": N_("head"),
    "phone": N_("phone"), "grid": N_("grid point"), "members": N_("people"), "moved_in_on": N_("moved in"),
    "moved_out_on": N_("moved out"), "note": N_("note"), "name": N_("name"), "relation": N_("relation"),
    "birth_year": N_("year of birth"), "role": N_("role"), "active": N_("in post"), "at": N_("time"),
    "kind": N_("kind"), "outcome": N_("outcome"), "need": N_("need"), "staff_id": N_("staff"),
    "resident_id": N_("resident"), "time_known": N_("time known"), "voided_at": N_("voided"), "voided_by": N_("voided by"),
    "void_reason": N_("reason voided"), "category": N_("category"), "channel": N_("channel"), "place": N_("place"),
    "reporter": N_("reported by"), "title": N_("title"), "description": N_("description"), "tier": N_("tier"),
    "status": N_("status"), "handler_id": N_("handler"), "assigned_at": N_("assigned"), "arrived_at": N_("on site"),
    "planned_at": N_("plan written"), "resolved_at": N_("resolved"), "closed_at": N_("closed"), "rating": N_("rating"),
    "rated_at": N_("rated"), "called_at": N_("called back"), "arrive_due": N_("on site by"),
    "resolve_due": N_("resolve by"), "plan_due": N_("plan by"), "follow_up_due": N_("call back by"),
    "duplicate_of": N_("duplicate of"), "group_code": N_("focus group"), "since": N_("since"), "until": N_("until"),
    "left_reason": N_("left because"), "value": N_("value"), "cadence_days": N_("cadence"), "zh": N_("Chinese"),
    "en": N_("English"), "reported_at": N_("reported"), "household_id": N_("household"),
}
_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(\.\d+)?\+00:00$")
_CODES = {"outcome": VISIT_OUTCOMES, "status": STATUSES, "role": ROLES, "tier": TIER_CODES,
          "channel": CHANNELS, "relation": RELATIONS, "left_reason": LEAVE_REASONS}
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


def summary(out: Output, entry: dict, tz=None) -> str:
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
                           file=_value(out, "file", entry["file"]), **{k: counts.get(k, 0) for k in ("added", "updated", "unchanged", "refused")}))
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
            shown = out._(", ").join(f"{_field(out, f)} {_value(out, f, change['before'][f], tz)} → "
                                     f"{_value(out, f, change['after'][f], tz)}" for f in fields[:4])
            parts.append(" ".join(filter(None, (_name(out, change["table"]), _which(change)))) + f": {shown}")
    else:
        parts.append(out._("{count} rows changed", count=len(updated)))
    return out._("; ").join(parts) or out._("nothing changed")


def _field(out: Output, name: str) -> str:
    return out._(FIELD_LABELS[name]) if name in FIELD_LABELS else name


def _value(out: Output, field: str, value, tz=None) -> str:
    """A value as the worker reads it: a stored instant in the community's time, a code as its label,
    a value the log masked (store.log.Masks) as 敏感 / sensitive."""
    if value is None or value == "":
        return "—"
    if value == SENSITIVE.slug:
        return out.labels.group(value)
    if isinstance(value, str) and tz is not None and _INSTANT.match(value):
        from redprop.store.instants import show_local_iso

        return minute(show_local_iso(value, tz))
    catalogue = _CODES.get(field)
    if catalogue is not None and isinstance(value, str):
        return out.labels.of(catalogue, value)
    return str(value)


def command(out: Output, record: dict) -> str:
    """An entry's command line as people read it: the words the log masked read 敏感 (`sensitive`
    stays in JSON and CSV, for scripts)."""
    if not record.get("masked") or out.fmt != Format.table:
        return record["command"]
    import shlex

    mask = out.labels.group(SENSITIVE.slug)
    return shlex.join(mask if word == SENSITIVE.slug else word for word in shlex.split(record["command"]))


def entries(out: Output, rows, page=None, tz=None) -> None:
    """The log: JSON or CSV for scripts; for people a block per entry — its number, when and who,
    then the command line and what it changed, each wrapped whole at any width."""
    records = ({**r, "summary": summary(out, r, tz)} for r in rows)
    if out.fmt != Format.table:
        out.listing(LOG_TABLE, records, fields=LOG_FIELDS)
        return
    listed = 0
    for record in records:
        if listed:
            out.line()
        out.block([f"#{record['id']}", minute(record["at"]), record["user"]], [command(out, record)], [record["summary"]])
        listed += 1
    if not listed:
        out.line(out._("(nothing to list)"))
    out.more(page, listed)


def undo_question(out: Output, entry: dict, tz=None) -> str:
    """What an undo will take back, as the log shows it, and the question: `撤销这一条？[y/N] `."""
    lines = block_lines([f"#{entry['id']}", minute(entry["at"]), entry["user"]], [command(out, entry)],
                        [summary(out, entry, tz)], cells=out.width)
    return "".join(printable(line) + "\n" for line in lines) + out._("Undo this entry? [y/N] ")


def undone(out: Output, result: dict, entry: dict | None = None) -> None:
    """What an undo did (or would do), naming whose entry it took back."""
    if out.fmt == Format.json:
        out.document({**result, "user": entry["user"] if entry else None})
        return
    who = entry["user"] if entry else ""
    said = command(out, result)
    if result["dry_run"]:
        out.line(out._("would undo entry #{id} by {user} ({command}): {changes} changes reversed; nothing written",
                       id=result["undone"], user=who, command=said, changes=result["changes"]))
    else:
        out.line(out._("undid entry #{id} by {user} ({command}): {changes} changes reversed (this undo is entry #{entry})",
                       id=result["undone"], user=who, command=said, changes=result["changes"], entry=result["entry"]))
