"""Importing focus-group memberships and visit round sheets, under the roster rules.

Same encodings, same `row N, column X: reason` errors, all-or-nothing unless --skip-invalid.
A membership row already on record (same household, resident, group and start) is
unchanged; a visit row identical to one on record (same household, moment, outcome and
visitor) is unchanged, so importing one round sheet twice does not double it.
"""

from datetime import datetime, timedelta
from pathlib import Path

from redprop.groups import MEMBERSHIP, end_memberships, group_catalogue, insert_memberships, load_groups
from redprop.visits import VISIT, insert_visits
from redprop.errors import N_, InvalidValue, Message
from redprop.exchange.rosters import _require_address, _row_key, _validated, import_fields
from redprop.exchange.sheets import DEFAULT_MAX_ROWS, ImportResult, finish, read_sheet, row_error
from redprop.households import lived_there
from redprop.parsing import normalize_name, from_db, parse_instant, to_db
from redprop.store import Store

def _lookup_maps(store: Store):
    """Address key → households that lived there (oldest first), and residents by (household, name)."""
    households: dict[str, list] = {}
    for r in store.conn.execute("SELECT id, key, moved_in_on, moved_out_on FROM households ORDER BY id"):
        households.setdefault(r["key"], []).append((r["id"], r["moved_in_on"], r["moved_out_on"]))
    residents = {(r["household_id"], normalize_name(r["name"])): r["id"] for r in store.conn.execute("SELECT id, household_id, name FROM residents")}
    return households, residents


def _living_there(households: list, day: str) -> int | None:
    """The household at an address on a day (an address can see several families in turn)."""
    return next((household_id for household_id, moved_in, moved_out in reversed(households)
                 if lived_there(moved_in, moved_out, day)), None)


def _resolve_people(rows_values, households, residents, errors, day_of, staff=None):
    """Turn address keys (and resident/staff names) into ids, adding a row error for each unknown."""
    resolved = []
    for key, (row, values) in rows_values.items():
        at_address = households.get(key[0])
        if at_address is None:
            errors.append(row_error(row.number, Message("no household {key} (import the households roster first)", key=key[0])))
            continue
        household_id = _living_there(at_address, day_of(values))
        if household_id is None:
            errors.append(row_error(row.number, Message("no household lived at {key} on {day}", key=key[0], day=day_of(values))))
            continue
        name = normalize_name(row.get("resident"))
        resident_id = residents.get((household_id, name)) if name else None
        if name and resident_id is None:
            errors.append(row_error(row.number, Message("no resident {name} in {key}", name=name, key=key[0]),
                                    row.headers["resident"]))
            continue
        staff_id = None
        if staff is not None:
            staff_id = staff.get(normalize_name(row.get("by")))
            if staff_id is None:
                errors.append(row_error(row.number, Message("no staff member {name!r}", name=row.get("by")), row.headers["by"]))
                continue
        resolved.append((row, values, household_id, resident_id, staff_id))
    return resolved


def import_memberships(store: Store, path: Path, now: datetime, *, dry_run=False, skip_invalid=False, sheet=None,
                       max_rows=DEFAULT_MAX_ROWS) -> ImportResult:
    rows, errors, ignored, headers = read_sheet(path, import_fields(MEMBERSHIP), sheet, max_rows)
    _require_address(headers)
    groups = load_groups(store)
    catalogue = group_catalogue(groups)
    today = now.date()
    cleaners = {"group": catalogue.resolve, **MEMBERSHIP.import_cleaners(today)}
    valid = _validated(rows, cleaners, errors, lambda row, v: (_row_key(row), row.get("resident"), v["group"], v["since"]))
    for key, (row, values) in list(valid.items()):
        group = groups[values["group"]]
        if values["until"] is None and group.default_days:
            values["until"] = (datetime.fromisoformat(values["since"]) + timedelta(days=group.default_days)).date().isoformat()
        if values["until"] and values["until"] < values["since"]:
            errors.append(row_error(row.number, Message("ends before it starts"), row.headers.get("until", "until")))
            del valid[key]
    households, residents = _lookup_maps(store)
    resolved = _resolve_people(valid, households, residents, errors, lambda values: values["since"])
    resolved = _without_overlaps(store, resolved, errors)
    result = ImportResult(dry_run=dry_run, ignored_columns=ignored)
    finish(result, errors, skip_invalid, N_("membership"))
    stamp = to_db(now)
    with store.write(bulk=True, source=path, dry_run=dry_run, counts=result) as conn:
        existing = {
            (r["household_id"], r["resident_id"], r["group_code"], r["since"]): (r["id"], r["until"], r["left_reason"])
            for r in conn.execute("SELECT id, household_id, resident_id, group_code, since, until, left_reason FROM memberships")
        }
        inserts, updates = [], []
        for row, values, household_id, resident_id, _ in resolved:
            old = existing.get((household_id, resident_id, values["group"], values["since"]))
            if old is None:
                inserts.append((household_id, resident_id, values["group"], values["since"], values["until"],
                                values["left_reason"], values["note"], stamp))
            elif (old[1], old[2]) == (values["until"], values["left_reason"]):
                result.unchanged += 1
            else:
                updates.append((values["until"], values["left_reason"], stamp, old[0]))
        result.added, result.updated = len(inserts), len(updates)
        if not dry_run:
            insert_memberships(store, inserts)
            end_memberships(conn, updates)
    return result


def _without_overlaps(store: Store, resolved: list, errors: list[str]) -> list:
    """Refuse a row whose span overlaps another membership of the same person in the same group
    (on record or earlier in the file), as `group join` does; the same start is the same membership."""
    spans: dict[tuple, list[tuple[str, str | None]]] = {}
    for r in store.conn.execute("SELECT household_id, resident_id, group_code, since, until FROM memberships"):
        spans.setdefault((r[0], r[1], r[2]), []).append((r[3], r[4]))
    kept = []
    for item in resolved:
        row, values, household_id, resident_id, _ = item
        since, until = values["since"], values["until"]
        spans_of = spans.setdefault((household_id, resident_id, values["group"]), [])
        clash = next((s for s, u in spans_of if s != since and (u is None or u > since) and (until is None or s < until)), None)
        if clash:
            errors.append(row_error(row.number, Message("overlaps the membership in the same group since {since}", since=clash)))
            continue
        spans_of.append((since, until))
        kept.append(item)
    return kept


def import_visits(store: Store, path: Path, now: datetime, *, dry_run=False, skip_invalid=False, sheet=None,
                  max_rows=DEFAULT_MAX_ROWS) -> ImportResult:
    rows, errors, ignored, headers = read_sheet(path, import_fields(VISIT), sheet, max_rows)
    _require_address(headers)

    def clean_at(text: str) -> str:
        moment = parse_instant(text, now=now, tz=store.tz, relative=False, clock24=True)
        if moment > now + timedelta(minutes=1):
            raise InvalidValue("{text!r} is in the future", text=text)
        return to_db(moment)

    cleaners = {"at": clean_at, **VISIT.import_cleaners()}
    valid = _validated(rows, cleaners, errors, lambda row, v: (_row_key(row), v["at"], row.get("by"), row.get("resident")))
    households, residents = _lookup_maps(store)
    staff = {normalize_name(r["name"]): r["id"] for r in store.conn.execute("SELECT id, name FROM staff")}
    for key, (row, values) in list(valid.items()):
        if values["outcome"] == "needs_help" and not (values["need"] or values["note"]):
            errors.append(row_error(row.number, Message("needs_help: with what?"), row.headers.get("need", "需求")))
            del valid[key]

    def local_day(values):
        return from_db(values["at"]).astimezone(store.tz).date().isoformat()

    resolved = _resolve_people(valid, households, residents, errors, local_day, staff)
    result = ImportResult(dry_run=dry_run, ignored_columns=ignored)
    finish(result, errors, skip_invalid, N_("visit"))
    stamp = to_db(now)
    with store.write(bulk=True, source=path, dry_run=dry_run, counts=result) as conn:
        inserts = []
        for row, values, household_id, resident_id, staff_id in resolved:
            if conn.execute(
                "SELECT 1 FROM visits WHERE household_id = $1 AND at = $2 AND outcome = $3 AND coalesce(staff_id, 0) = coalesce($4, 0)",
                (household_id, values["at"], values["outcome"], staff_id),
            ).fetchone():
                result.unchanged += 1
                continue
            inserts.append((household_id, resident_id, staff_id, values["at"], stamp, values["kind"], values["outcome"],
                            values["need"], values["note"]))
        result.added = len(inserts)
        if not dry_run:
            insert_visits(store, inserts)
    return result
