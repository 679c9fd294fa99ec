"""Codes that go up: the community's 12-digit code, its grid points' 15-digit codes, and the
upstream class each issue category maps to.

The street, the district and the city's platforms know a community by its 12-digit code (the
6-digit 行政区划 of GB/T 2260, the 3-digit 街道, the 3-digit 社区) and a unit grid by 15 digits
(those 12 and a 3-digit 网格). A grid point's code must begin with its community's code once
that is set. A category (乱停车) says the class the platforms file it under
(`街面秩序/乱停车`): an order sheet's 诉求类型 finds its category through it.
"""

import re
from datetime import datetime

from redprop.errors import InvalidValue, NotFound, naming
from redprop.parsing import clean_line, cleaned, to_db

COMMUNITY_CODE = "community_code"  # the settings key


def check_community_code(text: str) -> str:
    """A community's code: 12 digits (6 行政区划 + 3 街道 + 3 社区)."""
    code = (text or "").strip()
    if not re.fullmatch(r"\d{12}", code):
        raise InvalidValue("--code: {code!r} is not a community's code (12 digits: 6 行政区划, 3 街道, 3 社区, like"
                           " 530324001001)", code=text)
    return code


def check_grid_code(text: str, community_code: str | None) -> str:
    """A grid point's code: 15 digits, the first 12 its community's code when that is set."""
    code = (text or "").strip()
    if not re.fullmatch(r"\d{15}", code):
        raise InvalidValue("{code!r} is not a grid point's code (15 digits: the community's 12 and 3 for the grid"
                           " point, like 530324001001018)", code=text)
    if community_code and not code.startswith(community_code):
        raise InvalidValue("{code} is not a grid point of this community: its first 12 digits are {prefix}, the"
                           " community's code is {community}", code=code, prefix=code[:12], community=community_code)
    return code


def community_code(store) -> str | None:
    return store.setting(COMMUNITY_CODE)


def community_columns(store) -> dict:
    """`{"community": name, "community_code": 12 digits}` ("" for either not set): what every
    JSON/CSV listing says of the community its rows come from, and every row of the street's."""
    return {"community": store.community, "community_code": community_code(store) or ""}


def show_community(store) -> dict:
    return {"community": store.community, "code": community_code(store), "timezone": str(store.tz)}


def set_community_code(store, text: str) -> dict:
    """Set the community's code; refused while a grid point's code says another community."""
    code = check_community_code(text)
    with store.write() as conn:
        other = conn.execute("SELECT code, upstream_code FROM grids WHERE upstream_code IS NOT NULL"
                             " AND substr(upstream_code, 1, 12) <> $1 ORDER BY code LIMIT 1", (code,)).fetchone()
        if other is not None:
            raise InvalidValue("--code {code}: grid point {grid} has the code {grid_code}, of another community; correct"
                               " it first (redprop grid edit {grid} --code …)", code=code, grid=other[0],
                               grid_code=other[1])
        store.save_settings({COMMUNITY_CODE: code})
    return show_community(store)


def set_grid_code(store, grid: str, text: str, now: datetime) -> None:
    """Give a grid point on record its 15-digit code (unique: one grid point per code)."""
    from redprop.parsing import clean_grid
    from redprop.staff import save_grids

    grid = clean_grid(grid)
    with store.write() as conn:
        with naming("--code"):
            code = check_grid_code(text, community_code(store))
        if conn.execute("SELECT 1 FROM grids WHERE code = $1", (grid,)).fetchone() is None:
            raise NotFound("no grid point {code} on record (see `redprop grid list`; `redprop grid add {code}`)", code=grid)
        holder = conn.execute("SELECT code FROM grids WHERE upstream_code = $1 AND code <> $2", (code, grid)).fetchone()
        if holder is not None:
            raise InvalidValue("--code {code} is grid point {other}'s already", code=code, other=holder[0])
        save_grids(conn, [(grid, None, None, code, to_db(now), to_db(now))])  # on record: its code and updated_at change


def clean_upstream(text: str) -> str | None:
    """A category's upstream class as typed (`街面秩序/乱停车`); 'none' or empty clears it."""
    value = cleaned(text, clean_line, "--upstream")
    if not value or value.strip().lower() in ("none", "无", "-"):
        return None
    return re.sub(r"\s*[/／]\s*", "/", value.strip())


def upstream_lookup(categories: list[dict]) -> dict[str, str]:
    """{诉求类型 as a sheet may write it: category code}: each category's upstream class, whole
    and by its last part (`街面秩序/乱停车` and `乱停车`), then its own labels."""
    found: dict[str, str] = {}
    for c in categories:
        if c.get("upstream"):
            found.setdefault(c["upstream"], c["code"])
    for c in categories:
        if c.get("upstream"):
            found.setdefault(c["upstream"].rsplit("/", 1)[-1], c["code"])
    for c in categories:
        for label in (c["zh"], c["en"], c["code"]):
            found.setdefault(label, c["code"])
    return found
