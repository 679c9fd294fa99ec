"""The formats for scripts: JSON and CSV, one meaning everywhere.

Codes, not labels; ids as numbers; instants as ISO 8601 with their offset; CSV columns
named as the JSON fields, one row per record, UTF-8. Both stream: a listing of a million
rows is written as it is read. A CSV text cell that a spreadsheet would run as a formula
(starting with =, +, -, @, a tab or a carriage return) is written with a leading `'`, as
OWASP advises; numbers stay numbers, JSON stays exact.
"""

import json
from collections.abc import Iterable
from itertools import chain

from redprop.spreadsheet import FORMULA_STARTS



def write_json(stream, data) -> None:
    """One JSON document. A listing is an array with one object per line: it reads well in a
    terminal, diffs well, and keeps to json's C encoder (any `indent` falls back to the
    pure-Python one: 5× slower on a long listing)."""
    if isinstance(data, list) or _is_iterator(data):
        write_json_rows(stream, data)
        return
    json.dump(data, stream, ensure_ascii=False, indent=2, default=str)
    stream.write("\n")


def write_json_report(stream, data: dict) -> None:
    """A report's document: its keys one to a line, each long list one object to a line, all
    through json's C encoder (a report of a district is a megabyte: the pure-Python indenting
    encoder took most of its time)."""
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    parts = []
    for key, value in data.items():
        if isinstance(value, list) and value:
            items = ",\n".join("    " + encode(item) for item in value)
            parts.append(f"  {encode(key)}: [\n{items}\n  ]")
        else:
            parts.append(f"  {encode(key)}: {encode(value)}")
    stream.write("{\n" + ",\n".join(parts) + "\n}\n")


def _is_iterator(data) -> bool:
    return hasattr(data, "__next__")


def write_json_rows(stream, rows: Iterable[dict], extra: dict | None = None) -> None:
    """Objects one to a line; with `extra`, its fields put first in each object that has none of
    them (the community a listing comes from), spliced onto the object's text once encoded: a
    million rows pay a slice each, not a copy of each row."""
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    head = encode(extra)[:-1] + ", " if extra else None
    first = True
    for row in rows:
        text = encode(row)
        if head is not None:
            if row.keys().isdisjoint(extra):
                text = head + text[1:] if len(text) > 2 else head[:-2] + "}"
            else:
                text = encode({**{k: v for k, v in extra.items() if k not in row}, **row})
        stream.write(("[\n" if first else ",\n") + text)
        first = False
    stream.write("[]\n" if first else "\n]\n")


def safe_text(text: str) -> str:
    """A text cell that no spreadsheet runs as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_value(value):
    """A JSON value as one CSV cell: lists of plain values joined by commas, objects as JSON text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, (str, int, float)) for v in value):
            return safe_text(",".join(str(v) for v in value))
        return safe_text(json.dumps(value, ensure_ascii=False, default=str))
    if isinstance(value, dict):
        return safe_text(json.dumps(value, ensure_ascii=False, default=str))
    return safe_text(str(value))


def write_csv(stream, rows: Iterable[dict], fields: list[str] | None = None, extra: dict | None = None) -> None:
    """CSV with the JSON field names as its header: `fields`, else the first row's keys; before
    them the fields of `extra` that are not among them (the community a listing comes from),
    their values the row's own where it has them."""
    import csv

    writer = csv.writer(stream, lineterminator="\n")
    rows = iter(rows)
    first = next(rows, None)
    if fields is None:
        if first is None:
            return
        fields = list(first)
    added = [k for k in (extra or ()) if k not in fields]
    writer.writerow(added + fields)
    if first is None:
        return
    head = [csv_value(extra[k]) for k in added]
    for row in chain((first,), rows):
        cells = [csv_value(row.get(f)) for f in fields]
        if added:
            cells = (head if row.keys().isdisjoint(added) else [csv_value(row.get(k, extra[k])) for k in added]) + cells
        writer.writerow(cells)
