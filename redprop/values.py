"""Cleaning single values the way offices write them; shared by commands and imports.

Each function takes the text as typed and returns the stored value or raises InvalidValue
with a reason short enough to follow `row 12, column 电话: `.
"""

import re
import unicodedata
from datetime import date

from redprop.errors import InvalidValue
from redprop.timeutil import parse_date

_BUILDING = re.compile(r"^(?:第)?([0-9A-Za-z]+)\s*(?:栋|幢|号楼|楼|座|号)?$")
_UNIT = re.compile(r"^(?:第)?([0-9A-Za-z]+)\s*(?:单元|单|门)?$")
_ROOM = re.compile(r"^([0-9A-Za-z]+)\s*(?:室|号|房)?$")
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{2,24}$")
_CHINESE_ADDRESS = re.compile(
    r"^(?:第)?([0-9A-Za-z]+)\s*(?:栋|幢|号楼|楼|座)\s*(?:(?:第)?([0-9A-Za-z]+)\s*单元)?\s*([0-9A-Za-z]+)\s*(?:室|号)?$"
)


def _nfkc(text: str | None) -> str:
    """Full-width digits, letters and dashes from a Chinese input method, as plain ones (３栋 → 3栋)."""
    text = text or ""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _part(pattern: re.Pattern, text: str | None, what: str) -> str:
    text = _nfkc(text).strip()
    m = pattern.match(text)
    if not m:
        raise InvalidValue(f"{text!r} is not a {what}")
    return m.group(1).upper()


def clean_building(text: str | None) -> str:
    if not (text or "").strip():
        raise InvalidValue("no building")
    return _part(_BUILDING, text, "building (like 3, 3栋, 3号楼)")


def clean_unit(text: str | None) -> str:
    """'' for a building without units."""
    if not (text or "").strip():
        return ""
    return _part(_UNIT, text, "unit (like 2, 2单元)")


def clean_room(text: str | None) -> str:
    if not (text or "").strip():
        raise InvalidValue("no room")
    return _part(_ROOM, text, "room (like 301, 301室)")


_GRID = re.compile(r"^([0-9A-Za-z][0-9A-Za-z_]*)$")


def clean_grid(text: str | None) -> str:
    """A grid point's code, like G07 (upper-cased)."""
    text = _nfkc(text).strip()
    if not text:
        raise InvalidValue("no grid point code")
    if not _GRID.match(text):
        raise InvalidValue(f"{text!r} is not a grid point code (letters and digits, like G07)")
    return text.upper()


def address_key(building: str, unit: str, room: str) -> str:
    return f"{building}-{unit}-{room}" if unit else f"{building}-{room}"


def parse_address_key(text: str) -> tuple[str, str, str]:
    """8-2-301, 8-301, or 8栋2单元301室 → (building, unit, room)."""
    text = _nfkc(text).strip()
    parts = text.split("-")
    if len(parts) == 3:
        return clean_building(parts[0]), clean_unit(parts[1]), clean_room(parts[2])
    if len(parts) == 2:
        return clean_building(parts[0]), "", clean_room(parts[1])
    m = _CHINESE_ADDRESS.match(text)
    if m:
        return m.group(1).upper(), (m.group(2) or "").upper(), m.group(3).upper()
    raise InvalidValue(f"{text!r} is not an address key (building-unit-room like 8-2-301, or 8-301)")


def normalize_key(text: str) -> str:
    return address_key(*parse_address_key(text))


def clean_phone(text: str | None) -> str | None:
    """Phone numbers stay text so that 0874-8123456 keeps its leading zero."""
    text = _nfkc(text).strip()
    if not text:
        return None
    if not _PHONE.match(text):
        raise InvalidValue(f"{text!r} is not a phone number (digits, spaces, '-' and a leading '+')")
    return text


def clean_count(text: str | None, what: str = "number of people") -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = int(float(text)) if re.fullmatch(r"\d+(\.0+)?", text) else int(text.rstrip("人口"))
    except ValueError:
        raise InvalidValue(f"{text!r} is not a {what}") from None
    if value < 0:
        raise InvalidValue(f"{text!r} is not a {what}")
    return value


def clean_year(text: str | None) -> int | None:
    text = (text or "").strip().removesuffix("年")
    if not text:
        return None
    if not re.fullmatch(r"\d{4}", text) or not 1890 <= int(text) <= 2200:
        raise InvalidValue(f"{text!r} is not a birth year (like 1948)")
    return int(text)


def clean_date(text: str | None, today: date) -> str | None:
    text = (text or "").strip()
    if not text:
        return None
    # Excel cells read from .xlsx arrive as 2010-06-18 00:00:00.
    if text.endswith(" 00:00:00"):
        text = text[:-9]
    return parse_date(text, today=today).isoformat()


def clean_text(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def split_list(text: str | None) -> list[str]:
    """'3,5,G07' or '3，5、G07' → ['3', '5', 'G07']."""
    return [p.strip() for p in re.split(r"[,，、;；\s]+", text or "") if p.strip()]


def contains_pattern(text: str) -> str:
    """A LIKE pattern (with ESCAPE '\\') matching `text` anywhere, % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
