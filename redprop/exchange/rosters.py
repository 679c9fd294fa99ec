"""Importing the office's rosters: households, residents, staff and grid points.

Re-importing the same roster updates by its key (address key, resident name, staff name,
grid code) and never duplicates. An empty cell leaves what the database has: a roster
that lacks a phone number does not erase the one a worker typed in.
"""

from datetime import datetime
from operator import itemgetter
from pathlib import Path

from redprop.errors import N_, InvalidValue, Message
from redprop.exchange.sheets import (
    DEFAULT_MAX_ROWS, ImportResult, Row, clean_row, finish, no_cyclic_gc, one_per_key, read_sheet, remembering,
    row_error,
)
from redprop.households import (
    ADDRESS, HOUSEHOLD, RESIDENT, insert_households, insert_residents, update_households, update_residents,
)
from redprop.parsing import (
    address_key, clean_building, clean_grid, clean_name, clean_room, clean_unit, parse_address_key, split_list, to_db,
)
from redprop.staff import (
    GRID, STAFF, check_areas, clean_areas, known_grids, record_grids, recorded_grids, save_grids, unknown_grid,
    write_staff,
)
from redprop.store import Store



def address_fields():
    """The columns naming a row's address: 户号 (8-2-301), or 楼栋, 单元 and 门牌号."""
    return [HOUSEHOLD[name] for name in ADDRESS]


def import_fields(record) -> list:
    """The columns an import of `record` reads: its address (unless the record is the household
    itself, whose own), then the record's fields that have header spellings."""
    own = record.imported()
    return own if record is HOUSEHOLD else address_fields() + own


DISTINCT = {"phone"}  # cells nearly every one distinct: remembering them would cost more than it saves


def _row_key(row: Row) -> str:
    """The address key of a row, from an address column or building/unit/room columns."""
    if row.get("key"):
        return address_key(*parse_address_key(row.get("key")))
    return address_key(clean_building(row.get("building")), clean_unit(row.get("unit")), clean_room(row.get("room")))


def _address_reader():
    """(key, building, unit, room) of a row, like `_row_key`, reading each distinct building,
    unit and room text once: a 100,000-household roster has a few thousand of them."""
    building_of, unit_of, room_of = remembering(clean_building), remembering(clean_unit), remembering(clean_room)

    def read(row: Row) -> tuple[str, str, str, str]:
        cells = row.cells
        address = cells.get("key")
        if address:
            parts = parse_address_key(address)
        else:
            parts = building_of(cells.get("building", "")), unit_of(cells.get("unit", "")), room_of(cells.get("room", ""))
        return (address_key(*parts), *parts)

    return read


def _key_error(row: Row, error: InvalidValue) -> Message:
    column = row.headers.get("key") or row.headers.get("room") or "门牌号"
    if not row.get("key"):
        for name in ("building", "unit", "room"):
            try:
                {"building": clean_building, "unit": clean_unit, "room": clean_room}[name](row.get(name))
            except InvalidValue:
                column = row.headers.get(name, name)
                break
    return row_error(row.number, error.message, column)


def _require_address(headers: dict) -> None:
    if "key" not in headers and not {"building", "room"} <= headers.keys():
        raise InvalidValue("the file needs an address column (户号, like 8-2-301) or 楼栋 and 门牌号 columns")


def _validated(rows: list[Row], cleaners, errors: list[str], key_of, needs=()) -> dict:
    """Clean every row and key it with `key_of(row, values)`; keep one per key (see `one_per_key`).

    `needs`: cells that may not be empty. A bad address is reported with the row's other errors.
    """

    def cleaned():
        for row in rows:
            empty = [row.headers.get(name, name) for name in needs if not row.get(name)]
            if empty:
                errors.extend(row_error(row.number, Message("empty"), column) for column in empty)
                continue
            values, row_errors = clean_row(row, cleaners)
            try:
                key = key_of(row, values)
            except InvalidValue as e:
                row_errors.insert(0, _key_error(row, e))
            except KeyError:  # the key needs a value whose error is already reported
                pass
            if row_errors:
                errors.extend(row_errors)
                continue
            yield key, row, values

    return one_per_key(cleaned(), errors)


def _merged(old, values: dict, fields: list[str]) -> list | None:
    """The row after an update that keeps what an empty cell leaves alone; None if nothing changes."""
    merged = [values[f] if values[f] is not None else old[f] for f in fields]
    return None if merged == [old[f] for f in fields] else merged


def import_households(store: Store, path: Path, now: datetime, *, dry_run=False, skip_invalid=False, sheet=None,
                      max_rows=DEFAULT_MAX_ROWS, new_grids=False) -> ImportResult:
    """The households roster. Read as a stream, each row checked as it comes (each distinct
    text of a column cleaned once), then written in one transaction, or nothing. Once grid
    points are on record a code not among them is refused (G3 for G03) unless `new_grids`;
    the first roster of a community brings its grid points. The cyclic garbage collector is
    paused meanwhile (the rows make no cycles; its passes over them cost a tenth of the import)."""
    with no_cyclic_gc():
        return _import_households(store, path, now, dry_run, skip_invalid, sheet, max_rows, new_grids)


def _import_households(store, path, now, dry_run, skip_invalid, sheet, max_rows, new_grids) -> ImportResult:
    rows, errors, ignored, headers = read_sheet(path, import_fields(HOUSEHOLD), sheet, max_rows)
    _require_address(headers)
    today = now.date()
    first = not recorded_grids(store.conn)  # the first roster brings the community's grid points
    known = known_grids(store.conn)

    def grid(text: str):
        if not text.strip():
            return None
        code = clean_grid(text)
        if not first and code not in known and not new_grids:
            raise unknown_grid(code, known)
        return code

    cleaners = {name: clean if name in DISTINCT else remembering(clean)
                for name, clean in HOUSEHOLD.cleaners(today).items()}
    cleaners["grid"] = remembering(grid)
    address_of, addresses = _address_reader(), {}

    def key_of(row: Row, _values) -> str:
        parts = address_of(row)
        addresses[parts[0]] = parts
        return parts[0]

    valid = _validated(rows, cleaners, errors, key_of)
    result = ImportResult(dry_run=dry_run, ignored_columns=ignored)
    finish(result, errors, skip_invalid, N_("household"))
    named = {values["grid"] for _row, values in valid.values() if values["grid"]}
    result.new_grids, result.first_grids = sorted(named - known), first
    fields = list(cleaners)
    values_of = itemgetter(*fields)
    stamp = to_db(now)
    with store.write(bulk=True, source=path, dry_run=dry_run, counts=result) as conn:
        existing: dict[str, list] = {}  # every household at each address, oldest first
        for r in conn.execute(f"SELECT id, key, moved_out_on, {', '.join(fields)} FROM households ORDER BY id"):
            existing.setdefault(r["key"], []).append(r)
        if named and (first or result.new_grids):  # on record from now on: a later G3 for G03 is refused
            record_grids(conn, sorted(named | known if first else result.new_grids), stamp)
        inserts, updates = [], []
        for key, (row, values) in valid.items():
            old = _same_household(existing.get(key), values)
            if old is None or _new_family(old, values):
                if old is not None and values["moved_in_on"] is None:  # after another family: from today, never before
                    values = {**values, "moved_in_on": today.isoformat()}
                inserts.append((*addresses[key], *values_of(values), stamp, stamp))
                continue
            merged = _merged(old, values, fields)
            if merged is None:
                result.unchanged += 1
            else:
                updates.append((*merged, stamp, old["id"]))
        result.added, result.updated = len(inserts), len(updates)
        if not dry_run:
            insert_households(store, inserts)
            update_households(store, fields, updates)
    return result


def _same_household(at_address: list | None, values: dict):
    """Which household at an address a roster row is about: the one with that head if the row
    names one who lived there (an old roster row about a family that moved out), else the latest."""
    if not at_address:
        return None
    head = values["head"]
    return next((h for h in reversed(at_address) if head and h["head"] == head), at_address[-1])


def _new_family(old, values: dict) -> bool:
    """A roster row at an address whose household moved out is a new household if it moved
    in after that, or has another head; otherwise it is the old household's row again."""
    if not old["moved_out_on"]:
        return False
    moved_in, head = values["moved_in_on"], values["head"]
    return bool((moved_in and moved_in >= old["moved_out_on"]) or (head and head != old["head"]))


def import_residents(store: Store, path: Path, now: datetime, *, dry_run=False, skip_invalid=False, sheet=None,
                     max_rows=DEFAULT_MAX_ROWS) -> ImportResult:
    rows, errors, ignored, headers = read_sheet(path, import_fields(RESIDENT), sheet, max_rows)
    _require_address(headers)
    cleaners = RESIDENT.import_cleaners()
    names = {"name": clean_name}

    def key_of(row: Row, _values) -> str:
        name, name_errors = clean_row(row, names)
        if name_errors:
            raise InvalidValue(name_errors[0].values["reason"])
        row.cells["name"] = name["name"]
        return f"{_row_key(row)}\t{name['name']}"

    valid = _validated(rows, cleaners, errors, key_of, needs=("name",))
    households = {r["key"]: r["id"] for r in store.conn.execute("SELECT id, key FROM households")}
    for composite, (row, values) in list(valid.items()):
        key = composite.split("\t", 1)[0]
        if key not in households:
            errors.append(row_error(row.number, Message("no household {key} (import the households roster first)", key=key)))
            del valid[composite]
    result = ImportResult(dry_run=dry_run, ignored_columns=ignored)
    finish(result, errors, skip_invalid, N_("resident"))
    fields = list(cleaners)
    stamp = to_db(now)
    with store.write(bulk=True, source=path, dry_run=dry_run, counts=result) as conn:
        existing = {
            (r["household_id"], r["name"]): r
            for r in conn.execute(f"SELECT id, household_id, name, {', '.join(fields)} FROM residents")
        }
        inserts, updates = [], []
        for composite, (row, values) in valid.items():
            household_id = households[composite.split("\t", 1)[0]]
            name = row.get("name")
            old = existing.get((household_id, name))
            if old is None:
                inserts.append((household_id, name, *(values[f] for f in fields), stamp, stamp))
                continue
            merged = _merged(old, values, fields)
            if merged is None:
                result.unchanged += 1
            else:
                updates.append((*merged, stamp, old["id"]))
        result.added, result.updated = len(inserts), len(updates)
        if not dry_run:
            insert_residents(store, inserts)
            update_residents(store, fields, updates)
    return result


def import_staff(store: Store, path: Path, now: datetime, *, dry_run=False, skip_invalid=False, sheet=None,
                 max_rows=DEFAULT_MAX_ROWS, new_grids=False, allow_duplicate=False) -> ImportResult:
    """The staff roster, matched by name as normalised (`欧阳 娜娜` is 欧阳娜娜). An area must be a
    grid point on record or a building a household is in (a community's first roster brings
    its grid points; `new_grids` adds others); a phone on record for someone else is refused
    unless `allow_duplicate`."""
    rows, errors, ignored, _ = read_sheet(path, STAFF.imported(), sheet, max_rows)
    created: set[str] = set()

    def covers(text: str):
        areas = clean_areas(split_list(text))
        created.update(check_areas(store.conn, areas, new_grids))
        return areas

    cleaners = {**STAFF.import_cleaners(), "covers": remembering(covers)}
    names = {"name": clean_name}

    def key_of(row: Row, _values) -> str:
        name, name_errors = clean_row(row, names)
        if name_errors:
            raise InvalidValue(name_errors[0].values["reason"])
        return name["name"]

    valid = _validated(rows, cleaners, errors, key_of, needs=("name",))
    phones: dict[str, tuple[str, int]] = {}
    for name, (row, values) in list(valid.items()):
        phone = values["phone"]
        if phone and not allow_duplicate:
            if phone in phones and phones[phone][0] != name:
                errors.append(row_error(row.number, Message("phone {phone} is also {other}'s (row {other_row}): the same"
                                                            " person? use one name, or --allow-duplicate", phone=phone,
                                                            other=phones[phone][0], other_row=phones[phone][1]),
                                        row.headers.get("phone", "phone")))
                del valid[name]
                continue
            phones[phone] = (name, row.number)
    result = ImportResult(dry_run=dry_run, ignored_columns=ignored)
    finish(result, errors, skip_invalid, N_("staff"))
    result.first_grids = not recorded_grids(store.conn)
    result.new_grids = sorted(created)
    try:
        with store.write(bulk=True, source=path, counts=result) as conn:
            stamp = to_db(now)
            if result.new_grids:  # the first roster's, or --new-grids: on record from now on
                record_grids(conn, result.new_grids, stamp)
            for name, (row, values) in valid.items():
                try:
                    outcome = write_staff(conn, name, values["role"], values["phone"], values["covers"], now,
                                          allow_duplicate=allow_duplicate)
                except InvalidValue as e:
                    errors.append(row_error(row.number, e.message, row.headers.get("phone", "phone")))
                    continue
                setattr(result, outcome, getattr(result, outcome) + 1)
            if errors:
                finish(result, errors, skip_invalid, N_("staff"))
            if dry_run:
                raise _DryRun()
    except _DryRun:
        pass
    return result


def import_grids(store: Store, path: Path, now: datetime, *, dry_run=False, skip_invalid=False, sheet=None,
                 max_rows=DEFAULT_MAX_ROWS) -> ImportResult:
    from redprop.codes import check_grid_code, community_code

    rows, errors, ignored, _ = read_sheet(path, GRID.imported(), sheet, max_rows)
    community = community_code(store)
    cleaners = {**GRID.import_cleaners(),
                "upstream_code": lambda t: check_grid_code(t, community) if t.strip() else None}
    # Keyed by the code as written (upper-cased); the cleaner names the column of a bad one.
    valid = _validated(rows, cleaners, errors, lambda row, _: row.get("code").upper(), needs=("code",))
    held = {r["upstream_code"]: r["code"] for r in store.conn.execute(
        "SELECT code, upstream_code FROM grids WHERE upstream_code IS NOT NULL")}
    taken = set()
    for key, (row, values) in valid.items():  # one grid point per 15-digit code
        upstream = values["upstream_code"]
        if upstream and held.setdefault(upstream, values["code"]) != values["code"]:
            errors.append(row_error(row.number, Message("{code} is grid point {other}'s already", code=upstream,
                                                        other=held[upstream]), row.headers.get("upstream_code")))
            taken.add(key)
    valid = {k: v for k, v in valid.items() if k not in taken}
    result = ImportResult(dry_run=dry_run, ignored_columns=ignored)
    finish(result, errors, skip_invalid, N_("grid point"))
    stamp = to_db(now)
    with store.write(bulk=True, source=path, dry_run=dry_run, counts=result) as conn:
        existing = {r["code"]: (r["name"], r["building"], r["upstream_code"])
                    for r in conn.execute("SELECT code, name, building, upstream_code FROM grids")}
        saved = []
        for _key, (_row, values) in valid.items():
            code = values["code"]
            old = existing.get(code)
            new = tuple(values[k] or (old and old[i]) for i, k in enumerate(("name", "building", "upstream_code")))
            if old is None:
                result.added += 1
            elif tuple(new) == old:
                result.unchanged += 1
                continue
            else:
                result.updated += 1
            saved.append((code, *new, stamp, stamp))
        if not dry_run:
            save_grids(conn, saved)
    return result


class _DryRun(Exception):
    """Rolls back a staff dry run, which counts its outcomes by writing them."""
