"""Staff (一长三员 and helpers) and the grid points (网格) they cover.

A staff member covers areas: buildings ('8') and grid points ('G07'). Whoever covers a
household's building or grid point is responsible for it in due lists and round plans.
"""

from datetime import datetime

from redprop.vocab import ROLES, Choices
from redprop.store import Store
from redprop.store.sql import Params
from redprop.errors import N_, InvalidValue, NotFound
from redprop.fields import Field, Record, Show, optional
from redprop.parsing import clean_building, clean_grid, clean_line, clean_name, clean_phone, cleaned, normalize_name, to_db

# A staff member's fields (see fields.py). What they cover lives in staff_areas, a row per area.
STAFF = Record("staff", (
    Field("name", N_("Name"), headers=("姓名", "名字"), required=True, show=Show(keep=True)),
    Field("role", N_("Role"), ROLES.resolve, headers=("角色", "职务", "岗位"), required=True, show=Show(drop=2)),
    Field("phone", N_("Phone"), clean_phone, headers=("电话", "联系电话", "手机", "tel"), clearable=True, show=Show(drop=1)),
    Field("covers", N_("Covers"), headers=("负责区域", "负责楼栋", "负责网格", "covers", "areas"), clearable=True,
          show=Show(wrap=True, drop=3), column=None),
    Field("active", N_("In post"), show=Show(drop=4)),
))
# A grid point's fields: what people call it, the building it lies in, the code the platforms above know it by.
GRID = Record("grids", (
    Field("code", N_("Grid"), clean_grid, headers=("网格", "网格编号", "网格点", "grid"), required=True, show=Show(keep=True)),
    Field("name", N_("Known as"), clean_line, headers=("名称", "网格名称"), show=Show(drop=2)),
    Field("building", N_("Building"), optional(clean_building), headers=("楼栋", "楼号"), show=Show(drop=3)),
    Field("upstream_code", N_("Grid code (15 digits)"), headers=("网格编码", "网格代码", "统一编码", "grid_code"),
          show=Show(drop=5, after="code")),  # the 15 digits the platforms know it by: shown once any has one
    Field("households", N_("Households"), column=None, show=Show("right", drop=1)),
    Field("staff", N_("Staff"), column=None, show=Show(wrap=True, drop=4)),
))


def _area_order(area: str):
    return (not area.isdigit(), int(area) if area.isdigit() else 0, area)


def clean_areas(areas: list[str]) -> list[str]:
    """Buildings and grid points, normalised ('3栋' → '3'), buildings in numeric order first."""
    return sorted({clean_building(a) for a in areas}, key=_area_order)


def recorded_grids(conn) -> set[str]:
    """The grid points on record: added by `grid add`, `grid import` or a first roster."""
    return {r[0] for r in conn.execute("SELECT code FROM grids")}


def known_grids(conn) -> set[str]:
    """The grid points on record and those any household names."""
    return {r[0] for r in conn.execute("SELECT code FROM grids UNION SELECT DISTINCT grid FROM households WHERE grid IS NOT NULL")}


def unknown_grid(code: str, known: set[str]) -> InvalidValue:
    """A grid code not on record: a typo (G3 for G03) more likely than a new grid point."""
    near = sorted(known, key=lambda k: (k.lstrip("Gg0") != code.lstrip("Gg0"), k))[:3]
    return InvalidValue("no grid point {code} on record (like {near}); `redprop grid add {code}` first, or --new-grids"
                        " on an import", code=code, near=", ".join(near))


def check_areas(conn, areas: list[str], new_grids: bool = False) -> list[str]:
    """Refuse an area that is neither a grid point on record (or named by a household) nor a
    building a household is in; returns the grid points new to the community (with
    `new_grids`, or when it has none yet: its first roster brings them)."""
    if not areas:
        return []
    recorded, grids = recorded_grids(conn), known_grids(conn)
    buildings = {r[0] for r in conn.execute("SELECT DISTINCT building FROM households")}
    created = []
    for area in areas:
        if area in grids or area in buildings:
            continue
        if area.isdigit():
            if buildings:
                raise InvalidValue("no household is in building {area}: check the number (see `redprop household list"
                                   " --building {area}`)", area=area)
            continue  # no roster yet: nothing to check a building against
        if recorded and not new_grids:
            raise unknown_grid(area, grids)
        created.append(area)
    return created


def find_staff_name(name: str) -> str:
    """A staff member's name as kept and matched (`欧阳 娜娜` is 欧阳娜娜)."""
    return normalize_name(name or "")


def find_staff(store: Store, name: str):
    """The staff member of that name, or None."""
    return store.conn.execute("SELECT * FROM staff WHERE name = $1", (normalize_name(name),)).fetchone()


def get_staff(store: Store, name: str):
    row = find_staff(store, name)
    if row is None:
        raise unknown_staff(store.conn, name)
    return row


def nearest_staff(conn, name: str) -> str | None:
    """The staff name a person most likely meant (王建图 → 王建国), if one is close."""
    from redprop.vocab import closest

    return closest(normalize_name(name), {n: n for (n,) in conn.execute("SELECT name FROM staff")})


def unknown_staff(conn, name: str) -> NotFound:
    """No staff member of that name: the error suggests the closest name on record."""
    near = nearest_staff(conn, name)
    if near:
        return NotFound("no staff member {name!r}; did you mean {near}? (see `redprop staff list`)", name=name, near=near)
    return NotFound("no staff member {name!r} (see `redprop staff list`)", name=name)


def staff_areas(store: Store, staff_id: int) -> list[str]:
    """The buildings and grid points a staff member covers."""
    return _areas_of(store.conn, staff_id)


def staff_row(row, areas: list[str]) -> dict:
    return STAFF.row(row, covers=sorted(areas, key=_area_order), active=bool(row["active"]))


def _areas_of(conn, staff_id: int) -> list[str]:
    return [r[0] for r in conn.execute("SELECT area FROM staff_areas WHERE staff_id = $1 ORDER BY area", (staff_id,))]


def save_staff(store: Store, name: str, role: str | None, phone: str | None, covers: list[str] | None, now: datetime,
               active: bool | None = None, clear: tuple[str, ...] = (), allow_duplicate: bool = False) -> tuple[dict, str]:
    """Add a staff member, or update the one with that name. Returns (row, 'added'|'updated'|'unchanged').

    Someone who leaves is made inactive, not deleted: their visits and issues keep their name,
    and they stop being responsible for anything.
    """
    name = clean_name(name)
    if not name:
        raise InvalidValue("a staff member needs a name")
    with store.write() as conn:
        if covers and "covers" not in clear:
            check_areas(conn, covers)
        outcome = write_staff(conn, name, role, phone, [] if "covers" in clear else covers, now, active,
                              clear_phone="phone" in clear, allow_duplicate=allow_duplicate)
    row = get_staff(store, name)
    return staff_row(row, _areas_of(store.conn, row["id"])), outcome


def write_staff(conn, name: str, role: str | None, phone: str | None, covers: list[str] | None, now: datetime,
                active: bool | None = None, clear_phone: bool = False, allow_duplicate: bool = False) -> str:
    """The write behind `staff add` and the staff import, inside the caller's transaction.

    A phone number already on record for someone else is refused unless `allow_duplicate`:
    the same person typed twice (`欧阳 娜娜` and 欧阳娜娜 are one name; 欧阳娜 is not) is the likelier."""
    stamp = to_db(now)
    existing = conn.execute("SELECT * FROM staff WHERE name = $1", (name,)).fetchone()
    if phone and not allow_duplicate:
        other = conn.execute("SELECT name FROM staff WHERE phone = $1 AND name != $2", (phone, name)).fetchone()
        if other:
            raise InvalidValue("phone {phone} is on record for {other}: the same person? use that name, or"
                               " --allow-duplicate", phone=phone, other=other[0])
    if existing is None:
        if role is None:
            raise InvalidValue("a new staff member needs a role: {choices}", choices=Choices(tuple(ROLES.codes.values())))
        staff_id = conn.execute(
            "INSERT INTO staff (name, role, phone, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            (name, role, phone, 0 if active is False else 1, stamp, stamp),
        ).fetchone()[0]
        old_areas: list[str] = []
        outcome = "added"
    else:
        staff_id = existing["id"]
        old_areas = _areas_of(conn, staff_id)
        new_role = role or existing["role"]
        new_phone = None if clear_phone else phone if phone is not None else existing["phone"]
        new_active = existing["active"] if active is None else int(active)
        changed = (new_role, new_phone, new_active) != (existing["role"], existing["phone"], existing["active"]) or (
            covers is not None and sorted(covers) != old_areas
        )
        if not changed:
            return "unchanged"
        conn.execute(
            "UPDATE staff SET role = $1, phone = $2, active = $3, updated_at = $4 WHERE id = $5",
            (new_role, new_phone, new_active, stamp, staff_id),
        )
        outcome = "updated"
    if covers is not None and sorted(covers) != old_areas:
        conn.execute("DELETE FROM staff_areas WHERE staff_id = $1", (staff_id,))
        conn.executemany("INSERT INTO staff_areas (staff_id, area) VALUES ($1, $2)", [(staff_id, a) for a in covers])
    return outcome


def list_staff(store: Store, role: str | None = None, area: str | None = None) -> list[dict]:
    where, params = [], Params()
    if role:
        where.append(f"s.role = {params(role)}")
    if area:
        where.append(f"s.id IN (SELECT staff_id FROM staff_areas WHERE area = {params(clean_building(area))})")
    sql = (
        f"SELECT s.*, (SELECT {store.joined('area', 'area')} FROM (SELECT area FROM staff_areas a"
        " WHERE a.staff_id = s.id ORDER BY area) AS a) AS areas FROM staff s"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY s.role, s.name"
    return [staff_row(r, (r["areas"] or "").split(",") if r["areas"] else []) for r in store.conn.execute(sql, params)]


# Who makes the rounds (两巡六访): not the cleaners or the security mediators.
VISITING_ROLES = ("grid_worker", "building_leader", "community_worker", "volunteer", "property_staff")


def responsible_staff(store: Store) -> dict[str, list[str]]:
    """area → names of the visiting staff covering it (grid workers first), in one query."""
    result: dict[str, list[str]] = {}
    for area, name in store.conn.execute(
        "SELECT a.area, s.name FROM staff_areas a JOIN staff s ON s.id = a.staff_id"
        f" WHERE s.active = 1 AND s.role IN {VISITING_ROLES}"
        " ORDER BY s.role = 'grid_worker' DESC, s.role = 'building_leader' DESC, s.name"
    ):
        result.setdefault(area, []).append(name)
    return result


def add_grid(store: Store, code: str, name: str | None, building: str | None, now: datetime) -> dict:
    code = clean_grid(code)
    name = cleaned(name, clean_line, "--name")
    stamp = to_db(now)
    with store.write() as conn:
        save_grids(conn, [(code, name, clean_building(building) if building else None, None, stamp, stamp)])
    return next(g for g in list_grids(store) if g["code"] == code)


def save_grids(conn, rows: list[tuple]) -> None:
    """The writer of grid points, one or a file's (inside the caller's write): each row (code,
    name, building, upstream code, created_at, updated_at); a code on record keeps the name,
    building and upstream code a row leaves empty, and takes its updated_at."""
    conn.executemany(
        "INSERT INTO grids (code, name, building, upstream_code, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (code) DO UPDATE SET name = COALESCE(excluded.name, grids.name),"
        " building = COALESCE(excluded.building, grids.building),"
        " upstream_code = COALESCE(excluded.upstream_code, grids.upstream_code),"
        " updated_at = excluded.updated_at",
        rows,
    )


def record_grids(conn, codes, stamp: str) -> None:
    """Grid points a roster brought: on record from now on (those already are stay as they
    are), so that a later G3 for G03 is refused."""
    conn.executemany("INSERT INTO grids (code, created_at, updated_at) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING",
                     [(code, stamp, stamp) for code in codes])


def known_grid(store: Store, text: str) -> str:
    """A grid point's code, checked: a typo in --grid is an error, not an empty list."""
    code = clean_grid(text)
    if not store.conn.execute(
        "SELECT 1 FROM grids WHERE code = $1 UNION ALL SELECT 1 FROM households WHERE grid = $1 LIMIT 1", (code,)
    ).fetchone():
        raise NotFound("no grid point {code} (see `redprop grid list`)", code=code)
    return code


def list_grids(store: Store) -> list[dict]:
    """Grid points known by `grid add` or named by any household, with their households and staff."""
    rows = store.conn.execute(
        f"""
        WITH codes AS (SELECT code FROM grids UNION SELECT DISTINCT grid FROM households WHERE grid IS NOT NULL)
        SELECT c.code, g.name, g.building, g.upstream_code,
               (SELECT count(*) FROM households h WHERE h.grid = c.code AND h.moved_out_on IS NULL) AS households,
               (SELECT {store.joined('s.name', 's.id')} FROM staff_areas a JOIN staff s ON s.id = a.staff_id
                 WHERE a.area = c.code) AS staff
        FROM codes c LEFT JOIN grids g ON g.code = c.code
        ORDER BY c.code
        """
    )
    read = GRID.reader("staff")
    return [read(r, staff=r["staff"].split(",") if r["staff"] else []) for r in rows]
