"""Households (户) and the residents living in them.

A household is found by its address key (8-2-301). Moving out keeps the record and its
history; nothing here deletes a row.
"""

from datetime import date, datetime

from redprop.store import Store, hooks
from redprop.store.sql import Params, assignments
from redprop.errors import N_, InvalidValue, NotFound
from redprop.fields import CODE, DATE, NUMBER, TEXT, WRAP, Cell, Field, Option, Record, Show, optional, refuse_clash
from redprop.parsing import (
    MOVED_IN_FUTURE, address_key, clean_count, clean_date, clean_grid, clean_name, clean_past_date, clean_phone,
    clean_text, clean_year, cleaned, contains_pattern, normalize_name, parse_address_key, phone_digits, to_db,
)
from redprop.vocab import RELATIONS


def clean_moved_in(text: str | None, today: date) -> str | None:
    return clean_past_date(text, today, MOVED_IN_FUTURE)


# A household's fields (see fields.py): adding one is a migration and an entry here.
HOUSEHOLD = Record("households", (
    Field("key", N_("Address"), headers=("户号", "地址", "address", "房屋"), show=Show(keep=True)),
    Field("building", N_("Building"), headers=("楼栋", "楼号", "栋", "楼栋号", "楼"), ledger=Cell(8, CODE)),
    Field("unit", N_("Unit"), headers=("单元", "单元号"), ledger=Cell(6, CODE)),
    Field("room", N_("Room"), headers=("门牌号", "室", "房号", "门牌", "房间号"), ledger=Cell(8, CODE)),
    Field("head", N_("Head"), clean_name, headers=("户主", "户主姓名", "head_of_household"),
          option=Option("--head", N_("Head of household (户主).")), clearable=True, show=Show(keep=True),
          ledger=Cell(12, TEXT)),
    Field("phone", N_("Phone"), clean_phone, headers=("电话", "联系电话", "手机", "手机号", "tel"),
          option=Option("--phone", N_("Phone; kept as text, leading zeros and all.")), clearable=True, show=Show(drop=2),
          ledger=Cell(15, CODE)),
    Field("grid", N_("Grid"), optional(clean_grid), headers=("网格", "网格点", "所属网格"),
          option=Option("--grid", N_("Grid point (网格), e.g. G07.")), clearable=True, show=Show(drop=3),
          ledger=Cell(8, CODE)),
    Field("members", N_("People"), clean_count, headers=("人口", "人数", "人口数", "家庭人口", "people"),
          option=Option("--members", N_("Number of people living there (人口)."), int, min=0), clearable=True,
          show=Show("right", drop=4), ledger=Cell(6, NUMBER, after="phone")),
    Field("moved_in_on", N_("Moved in"), clean_moved_in, dated=True, headers=("入住日期", "入住时间", "moved_in", "movedin"),
          option=Option("--moved-in", N_("Date moved in (入住日期).")), clearable=True, show=Show(drop=5),
          ledger=Cell(12, DATE, label=N_("Moved in on"))),
    Field("moved_out_on", N_("Moved out"), show=Show(drop=6)),  # written by `household move-out` alone
    Field("groups", N_("Focus groups"), column=None, listed=False, codes="groups", ledger=Cell(22, WRAP)),
    Field("note", N_("Note"), clean_text, headers=("备注", "notes", "remark"), option=Option("--note", N_("Free note (备注).")),
          clearable=True, show=Show(wrap=True, drop=7), ledger=Cell(24, WRAP)),
))
ADDRESS = ("key", "building", "unit", "room")  # what names an address: the key, or its three parts

# A resident's fields.
RESIDENT = Record("residents", (
    Field("household", N_("Address"), column="household_id", show=Show(keep=True)),  # its address key, shown
    Field("name", N_("Name"), headers=("姓名", "名字"), required=True, show=Show(keep=True)),
    Field("relation", N_("Relation"), optional(RELATIONS.resolve), headers=("与户主关系", "关系", "relationship"),
          option=Option("--relation", N_("Relation to the head: 户主 配偶 子女 父母 孙子女 租户 其他 (or head, spouse, child…).")),
          clearable=True, show=Show(drop=2)),
    Field("birth_year", N_("Born"), clean_year, headers=("出生年份", "出生年", "birth", "born"),
          option=Option("--birth-year", N_("Year of birth, e.g. 1944.")), clearable=True, show=Show("right", drop=3)),
    Field("phone", N_("Phone"), clean_phone, headers=("电话", "联系电话", "手机", "tel"),
          option=Option("--phone", N_("Phone; kept as text, leading zeros and all.")), clearable=True, show=Show(drop=1)),
    Field("moved_out_on", N_("Moved out"), clean_date, dated=True,
          option=Option("--moved-out", N_("Date this person moved out (kept on record).")), clearable=True,
          show=Show(drop=4)),
))


def household_columns() -> tuple[str, ...]:
    """The columns a new household is written with, by `insert_households`: its address, the
    fields a worker gives, its stamps."""
    return ("key", "building", "unit", "room", *(f.name for f in HOUSEHOLD.editable()), "created_at", "updated_at")


def resident_columns() -> tuple[str, ...]:
    """The columns a new resident is written with, by `insert_residents` (moving out is an edit)."""
    return ("household_id", "name", *(f.name for f in RESIDENT.editable() if f.name != "moved_out_on"), "created_at",
            "updated_at")


# The change log's `--household` and a household's history: its row, and the rows naming it.
hooks.subject("household_ids", "households")
hooks.points_at("residents", "household_id", "households")


def nothing_to_change(record: Record, *first: str) -> InvalidValue:
    return InvalidValue("nothing to change: give at least one of {options}, or --clear FIELD",
                        options=[*first, *(f.option.name for f in record.options())])


def address_order(store: Store, prefix: str = "") -> str:
    """SQL ORDER BY terms for address order: building 2 before 10, room 302 before 1001 (the
    terms of the households_address index)."""
    return ", ".join(f"{store.leading_number(prefix + c)}, {prefix}{c}" for c in ("building", "unit", "room")) \
        + f", {prefix}id"


def household_row(row) -> dict:
    """The shape of a household in listings and JSON: always with its address key."""
    return HOUSEHOLD.row(row)


def lived_there(moved_in_on: str | None, moved_out_on: str | None, day: str) -> bool:
    """Whether a household lived at its address on a local day (YYYY-MM-DD): from moving in
    up to, not including, moving out. The one rule for dated look-ups, visits and imports."""
    return (moved_in_on is None or moved_in_on <= day) and (moved_out_on is None or day < moved_out_on)


def get_household(store: Store, key: str, on: date | None = None):
    """The household at an address: the one living there on day `on` if one did, else the one
    living there now, else the last one that lived there (an address sees families in turn)."""
    normalized = address_key(*parse_address_key(key))
    day = on.isoformat() if on else None
    row = store.conn.execute(
        "SELECT * FROM households WHERE key = $1 ORDER BY"
        " (CAST($2 AS TEXT) IS NOT NULL AND (moved_in_on IS NULL OR moved_in_on <= $2) AND (moved_out_on IS NULL OR moved_out_on > $2)) DESC,"
        " moved_out_on IS NULL DESC, id DESC LIMIT 1",
        (normalized, day),
    ).fetchone()
    if row is None:
        raise NotFound("no household {key}", key=normalized)
    return row


def known_buildings(store: Store, text: str) -> list[str]:
    """Buildings as typed, one or several (`5`, `5,8`, `5栋、8栋`), each one some household is in:
    a typo narrows a list to nothing, so it is an error instead."""
    from redprop.parsing import clean_building, split_list

    wanted = list(dict.fromkeys(clean_building(b) for b in split_list(text)))
    if not wanted:
        raise InvalidValue("no building")
    for building in wanted:
        if not store.conn.execute("SELECT 1 FROM households WHERE building = $1 LIMIT 1", (building,)).fetchone():
            raise NotFound("no household is in building {building} (see `redprop household list`)", building=building)
    return wanted


def households_at(store: Store, key: str) -> list[int]:
    """Every household that ever lived at an address, oldest first."""
    normalized = address_key(*parse_address_key(key))
    ids = [r[0] for r in store.conn.execute("SELECT id FROM households WHERE key = $1 ORDER BY id", (normalized,))]
    if not ids:
        raise NotFound("no household {key}", key=normalized)
    return ids


def _check_grid(conn, code: str | None) -> None:
    """Once grid points are on record, a household's grid must be one of them (G3 for G03 is a typo)."""
    from redprop.staff import recorded_grids, unknown_grid

    if code:
        known = recorded_grids(conn)
        if known and code not in known:
            raise unknown_grid(code, known)


def add_household(store: Store, key: str, values: dict, now: datetime) -> dict:
    """A new household at an address; `values`: field → value, as cleaned (None: not given)."""
    building, unit, room = parse_address_key(key)
    normalized = address_key(building, unit, room)
    with store.write() as conn:
        if conn.execute("SELECT 1 FROM households WHERE key = $1 AND moved_out_on IS NULL", (normalized,)).fetchone():
            raise InvalidValue("household {key} already lives there; use `household edit`, or `household move-out` first",
                               key=normalized)
        # A household that moved out keeps its record and history; the new family gets a record of its own.
        stamp = to_db(now)
        values = refuse_clash(values, ())
        _check_grid(conn, values.get("grid"))
        if values.get("moved_in_on") is None and conn.execute("SELECT 1 FROM households WHERE key = $1", (normalized,)).fetchone():
            # another family lived here before: this one lived here from the day it was added, never before
            values["moved_in_on"] = now.astimezone(store.tz).date().isoformat()
        insert_households(store, [(normalized, building, unit, room, *(values.get(f.name) for f in HOUSEHOLD.editable()),
                                   stamp, stamp)])
    return household_row(get_household(store, normalized))


def insert_households(store: Store, rows: list[tuple]) -> None:
    """The writer of new households, one or a roster's (inside the caller's write): each row
    the values of `household_columns()`. The caller has checked them."""
    store.insert_many("households", household_columns(), rows)


def update_households(store: Store, columns, rows: list[tuple]) -> None:
    """The writer of changes to households, one or a roster's (inside the caller's write): each
    row the new values of `columns` (names from code), then `updated_at`, then the id."""
    n = len(columns)
    store.conn.executemany(f"UPDATE households SET {assignments(columns)}, updated_at = ${n + 1} WHERE id = ${n + 2}", rows)


def edit_household(store: Store, key: str, values: dict, now: datetime, clear: tuple[str, ...] = ()) -> dict:
    """Change a household's fields: `values` as cleaned (None: leave as it is), `clear` the columns to empty."""
    values = refuse_clash(values, clear)
    if not values:
        raise nothing_to_change(HOUSEHOLD)
    with store.write() as conn:
        row = get_household(store, key)
        if values.get("grid") != row["grid"]:
            _check_grid(conn, values.get("grid"))
        moved_in = values.get("moved_in_on")
        if moved_in and row["moved_out_on"] and moved_in > row["moved_out_on"]:
            raise InvalidValue("{moved_in} is after household {key} moved out ({moved_out})", moved_in=moved_in, key=row["key"],
                               moved_out=row["moved_out_on"])
        update_households(store, list(values), [(*values.values(), to_db(now), row["id"])])
    return household_row(get_household(store, row["key"]))


def move_out(store: Store, key: str, on: date, now: datetime, note: str | None = None) -> dict:
    """Record that a household moved out. Its history, residents and visits stay."""
    with store.write() as conn:
        row = get_household(store, key)
        if row["moved_out_on"]:
            raise InvalidValue("household {key} already moved out on {moved_out}", key=row["key"], moved_out=row["moved_out_on"])
        if row["moved_in_on"] and on.isoformat() < row["moved_in_on"]:
            raise InvalidValue("{day} is before household {key} moved in ({moved_in})", day=on.isoformat(), key=row["key"],
                               moved_in=row["moved_in_on"])
        if on > now.astimezone(store.tz).date():
            raise InvalidValue("{day} is in the future; record the move-out once it has happened", day=on.isoformat())
        conn.execute(
            "UPDATE households SET moved_out_on = $1, note = COALESCE($2, note), updated_at = $3 WHERE id = $4",
            (on.isoformat(), note, to_db(now), row["id"]),
        )
        _end_memberships(conn, "household_id", row["id"], on, now)
    return household_row(conn.execute("SELECT * FROM households WHERE id = $1", (row["id"],)).fetchone())


def _end_memberships(conn, column: str, value: int, on: date, now: datetime) -> None:
    """Whoever moves out leaves their focus groups that day (the memberships stay on record);
    one that was to start later ends where it would have begun."""
    conn.execute(
        f"UPDATE memberships SET until = CASE WHEN since > $1 THEN since ELSE $1 END, left_reason = 'moved_out', left_recorded_at = $2"
        f" WHERE {column} = $3 AND (until IS NULL OR until > $1)",
        (on.isoformat(), to_db(now), value),
    )


def search_terms(text: str) -> tuple[str, str | None, str]:
    """LIKE patterns for a search: (a name without its spaces — `赵 强` and 赵强 find each other,
    and a name stored with its padding before names were normalised —, a phone's digits
    whatever the separators, the text as typed for notes). A search that is not a phone
    number matches no phone by digits."""
    name = contains_pattern(normalize_name(text).replace(" ", ""))
    number = phone_digits(text)
    return name, contains_pattern(number) if number else None, contains_pattern(text.strip())  # LIKE NULL: no match


def compact(column: str) -> str:
    """A name column without its spaces (ASCII and full-width), for matching."""
    return f"replace(replace({column}, ' ', ''), '\u3000', '')"


def digits(column: str) -> str:
    """A phone column's digits alone (a mobile typed with spaces or dashes before they were removed)."""
    return f"replace(replace(replace({column}, ' ', ''), '-', ''), '+86', '')"


def list_households(
    store: Store,
    *,
    building: str | None = None,
    unit: str | None = None,
    grid: str | None = None,
    search: str | None = None,
    on: date | None = None,
    include_moved_out: bool = False,
    limit: int | None = None,
    count: bool = False,
):
    """Households living there on day `on` (all, with include_moved_out), in address order, as a
    stream (its first page read off the address index, not sorted); with `count`, how many."""
    where, params = [], Params()
    if building is not None:
        where.append(f"building = {params(building)}")
    if unit is not None:
        where.append(f"unit = {params(unit)}")
    if grid is not None:
        where.append(f"grid = {params(grid)}")
    if search:
        name, phone, like = (params(term) for term in search_terms(search))
        where.append(
            f"({compact('head')} LIKE {name} ESCAPE '\\' OR {digits('phone')} LIKE {phone} ESCAPE '\\'"
            f" OR note LIKE {like} ESCAPE '\\' OR id IN (SELECT household_id FROM residents WHERE {compact('name')} LIKE {name}"
            f" ESCAPE '\\' OR {digits('phone')} LIKE {phone} ESCAPE '\\'))"
        )
    if not include_moved_out:
        if on:
            day = params(on.isoformat())
            where.append(f"(moved_out_on IS NULL OR moved_out_on > {day}) AND (moved_in_on IS NULL OR moved_in_on <= {day})")
        else:  # living there now: served by the index of current addresses (a count reads only it)
            where.append("moved_out_on IS NULL")
    condition = " WHERE " + " AND ".join(where) if where else ""
    if count:
        return store.conn.execute(f"SELECT count(*) FROM households{condition}", params).fetchone()[0]
    sql = f"SELECT * FROM households{condition} ORDER BY {address_order(store)}"
    if limit:
        sql += f" LIMIT {int(limit)}"
    read = HOUSEHOLD.reader()
    return (read(r) for r in store.conn.execute(sql, params))


def resident_row(row, household_key: str) -> dict:
    return RESIDENT.row(row, household=household_key)


def get_resident(store: Store, household, name: str):
    row = store.conn.execute(
        "SELECT * FROM residents WHERE household_id = $1 AND name = $2", (household["id"], normalize_name(name))
    ).fetchone()
    if row is None:
        raise NotFound("no resident {name!r} in household {key}", name=name, key=household["key"])
    return row


def add_resident(store: Store, key: str, name: str, values: dict, now: datetime) -> dict:
    with store.write() as conn:
        household = get_household(store, key)
        name = cleaned(name, clean_name, "NAME")
        if not name:
            raise InvalidValue("a resident needs a name")
        if conn.execute(
            "SELECT 1 FROM residents WHERE household_id = $1 AND name = $2", (household["id"], name)
        ).fetchone():
            raise InvalidValue("{name} already lives in {key}; use `resident edit`", name=name, key=household["key"])
        stamp = to_db(now)
        insert_residents(store, [(household["id"], name, *(values.get(c) for c in resident_columns()[2:-2]), stamp, stamp)])
        row = get_resident(store, household, name)
    return resident_row(row, household["key"])


def insert_residents(store: Store, rows: list[tuple]) -> None:
    """The writer of new residents, one or a roster's (inside the caller's write): each row the
    values of `resident_columns()`. The caller has checked them."""
    store.insert_many("residents", resident_columns(), rows)


def update_residents(store: Store, columns, rows: list[tuple]) -> None:
    """The writer of changes to residents, one or a roster's (inside the caller's write): each
    row the new values of `columns` (names from code), then `updated_at`, then the id."""
    n = len(columns)
    store.conn.executemany(f"UPDATE residents SET {assignments(columns)}, updated_at = ${n + 1} WHERE id = ${n + 2}", rows)


def edit_resident(store: Store, key: str, name: str, values: dict, now: datetime, clear: tuple[str, ...] = ()) -> dict:
    values = refuse_clash(values, clear)
    if not values:
        raise nothing_to_change(RESIDENT, "--name")
    with store.write() as conn:
        household = get_household(store, key)
        row = get_resident(store, household, name)
        new_name = values.get("name")
        if new_name is not None:
            new_name = values["name"] = cleaned(new_name, clean_name, "--name") or ""
        if new_name is not None and new_name != row["name"]:
            if not new_name.strip():
                raise InvalidValue("a resident needs a name")
            if conn.execute(
                "SELECT 1 FROM residents WHERE household_id = $1 AND name = $2", (household["id"], new_name)
            ).fetchone():
                raise InvalidValue("{name} already lives in {key}; pick another name", name=new_name, key=household["key"])
        update_residents(store, list(values), [(*values.values(), to_db(now), row["id"])])
        if values.get("moved_out_on"):
            moved_out = date.fromisoformat(values["moved_out_on"])
            if moved_out > now.astimezone(store.tz).date():
                raise InvalidValue("--moved-out {day} is in the future; record it once it has happened", day=moved_out.isoformat())
            if household["moved_in_on"] and values["moved_out_on"] < household["moved_in_on"]:
                raise InvalidValue("--moved-out {day} is before {key} moved in ({moved_in})", day=moved_out.isoformat(),
                                   key=household["key"], moved_in=household["moved_in_on"])
            _end_memberships(conn, "resident_id", row["id"], moved_out, now)
        row = conn.execute("SELECT * FROM residents WHERE id = $1", (row["id"],)).fetchone()
    return resident_row(row, household["key"])


def list_residents(store: Store, key: str | None = None, search: str | None = None, include_moved_out: bool = False) -> list[dict]:
    where, params = [], Params()
    if key:
        where.append(f"h.id = {params(get_household(store, key)['id'])}")
    if search:
        name, phone, _like = search_terms(search)
        where.append(f"({compact('r.name')} LIKE {params(name)} ESCAPE '\\' OR {digits('r.phone')} LIKE {params(phone)}"
                     " ESCAPE '\\')")
    if not include_moved_out:
        where.append("r.moved_out_on IS NULL")
    sql = "SELECT r.*, h.key AS household_key FROM residents r JOIN households h ON h.id = r.household_id"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY " + address_order(store, "h.") + ", r.relation = 'head' DESC, r.id"
    read = RESIDENT.reader("household")
    return [read(r, household=r["household_key"]) for r in store.conn.execute(sql, params)]


def residents_of(store: Store, household_id: int, key: str, on: date | None = None) -> list[dict]:
    """The people of one household, the head first; with `on`, those living there that day."""
    day = on.isoformat() if on else None
    return [resident_row(r, key) for r in store.conn.execute(
        "SELECT * FROM residents WHERE household_id = $1 ORDER BY relation = 'head' DESC, id", (household_id,))
        if day is None or r["moved_out_on"] is None or r["moved_out_on"] > day]
