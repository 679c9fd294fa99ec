"""Issues as Open311 GeoReport v2 service requests, and the categories as its services.

GeoReport v2 (wiki.open311.org/GeoReport_v2) is the open interchange format for the same
records cities keep (Chicago, Boston, Toronto, FixMyStreet). A service is one of the
community's issue categories; a service request is an issue reported in the period:

- `service_request_id` its number (a string); `status` `closed` once it is finished — a work
  order once it is closed (结案, verified) or returned, any other issue once resolved — else
  `open`; `status_notes` where it stands (the order's stage, else the issue's status);
- `service_code`, `service_name`, `description` (its title and details), `agency_responsible`
  (the community), `requested_datetime` (reported), `updated_datetime` (its last step by the
  moment), `expected_datetime` (its next deadline, the earlier of the order's and the promise's);
- `address` to the building only, and the widely used `notes` extension: one note per step
  (`datetime`, `description`, `type`).

No resident's name, phone or room ever leaves: the reporter is not exported, room numbers
and phone numbers are taken out of every text, and so is every name the database knows of a
resident or head of household; an issue at a household that has been in a sensitive focus
group (上访, 精神病人, 矫正) is left out altogether.

Data only: codes and instants; the words (the category's name, the stage, the step) are said
by `labels`, the presentation's (duck-typed: `.category(code)`, `.of(catalogue, slug)`).
"""

import re
from datetime import datetime

from redprop.issues.lifecycle import replay
from redprop.issues.orders import load_orders, stage
from redprop.issues.promises import Moment
from redprop.issues.records import ISSUE_SELECT, history
from redprop.parsing import show_local_iso, to_db
from redprop.vocab import ORDER_STAGES, STATUSES, STEPS

_PHONE = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?(?:1\d{2}[-\s]?\d{4}[-\s]?\d{4}|0\d{2,3}[-\s]?\d{7,8}|\d{7,8})(?!\d)")
_ROOM_KEY = re.compile(r"(?<![\d-])(\d+)-(?:\d+-)?\d+(?![\d-])")  # 8-2-301, 8-301 → the building
_ROOM = re.compile(r"(?:(\d+)\s*(?:栋|幢|号楼|座))?\s*(?:\d+\s*单元)?\s*\d+\s*(?:室|房|户)")  # 8栋2单元301室 → 8栋
MASK = "**"


def service_list(store, labels) -> list[dict]:
    """One service per category: its code and name, its upstream class as the group."""
    rows = store.conn.execute("SELECT code, zh, en, upstream FROM issue_categories ORDER BY position, code").fetchall()
    return [{
        "service_code": r["code"],
        "service_name": labels.category(r["code"]),
        "description": r["upstream"],
        "metadata": False,
        "type": "batch",
        "keywords": ",".join(dict.fromkeys(k for k in (r["zh"], r["en"], r["upstream"]) if k)),
        "group": r["upstream"].split("/", 1)[0] if r["upstream"] else None,
    } for r in rows]


class Scrubber:
    """Takes names, phones and rooms out of a text that leaves the office."""

    def __init__(self, store):
        names = {n for (n,) in store.conn.execute(
            "SELECT name FROM residents UNION SELECT head FROM households WHERE head IS NOT NULL"
            " UNION SELECT reporter FROM issues WHERE reporter IS NOT NULL") if n and len(n.strip()) >= 2}
        ordered = sorted(names, key=len, reverse=True)  # 欧阳娜娜 before 欧阳
        self._names = re.compile("|".join(re.escape(n) for n in ordered)) if ordered else None

    def __call__(self, text: str | None) -> str | None:
        if not text:
            return text
        text = _PHONE.sub(MASK, text)
        text = _ROOM_KEY.sub(lambda m: f"{m.group(1)}栋", text)
        text = _ROOM.sub(lambda m: f"{m.group(1)}栋" if m.group(1) else MASK, text)
        if self._names is not None:
            text = self._names.sub(MASK, text)
        return text


def sensitive_households(conn) -> set[int]:
    """Households that have been in a sensitive focus group at any time: their issues stay home."""
    return {h for (h,) in conn.execute(
        "SELECT DISTINCT m.household_id FROM memberships m JOIN focus_groups g ON g.code = m.group_code"
        " WHERE g.sensitive = 1")}


def service_requests(store, start: datetime, end: datetime, at: datetime, labels) -> list[dict]:
    """The issues reported in [start, end), newest first, as things stood at `at`."""
    moment = Moment(store, at)
    scrub = Scrubber(store)
    hidden = sensitive_households(store.conn)
    community = store.community or None
    rows = store.conn.execute(
        f"{ISSUE_SELECT} WHERE i.reported_at >= $1 AND i.reported_at < $2 AND i.reported_at <= $3"
        " ORDER BY i.reported_at DESC, i.id DESC", (to_db(start), to_db(end), moment.text)).fetchall()
    rows = [r for r in rows if r["household_id"] not in hidden]
    steps = history(store.conn, rows)
    orders = load_orders(store.conn, [r["id"] for r in rows])
    requests = []
    for row in rows:
        if row["voided_at"] and not (row["id"] in orders and orders[row["id"]]["returned_at"]):
            continue  # voided, as every count leaves it: recorded by mistake
        state = replay(row, steps[row["id"]], moment.text, store.tz)
        order = state.order
        if order is not None:
            closed = bool(order.closed_at or order.returned_at)
            notes = labels.of(ORDER_STAGES, stage(order))
        else:
            closed = state.resolved_at is not None
            notes = labels.of(STATUSES, state.status)
        pending = [o.due for o in moment.outcomes(row, state) + moment.order_outcomes(row, state)
                   if o.state in ("pending", "overdue") and o.due] if not closed else []
        happened = [s for s in steps[row["id"]] if s.at <= moment.text]
        iso = lambda text: show_local_iso(text, store.tz)  # noqa: E731
        requests.append({
            "service_request_id": str(row["id"]),
            "status": "closed" if closed else "open",
            "status_notes": notes,
            "service_name": labels.category(row["category"]),
            "service_code": row["category"],
            "description": scrub(_description(row))[:4000],
            "agency_responsible": community,
            "service_notice": f"{orders[row['id']]['source']} {orders[row['id']]['number']}" if order else None,
            "requested_datetime": iso(row["reported_at"]),
            "updated_datetime": iso(max(s.at for s in happened)) if happened else iso(row["reported_at"]),
            "expected_datetime": iso(min(pending)) if pending else None,
            "address": _address(row, community, scrub),
            "notes": [{"datetime": iso(s.at), "type": s.action,
                       "description": " ".join(t for t in (labels.of(STEPS, s.action), scrub(s.note)) if t)}
                      for s in happened],
        })
    return requests


def _description(row) -> str:
    """The title and the details (the details alone when they begin with the title)."""
    title, details = row["title"], row["description"]
    if details and details.startswith(title):
        return details
    return "\n".join(t for t in (title, details) if t)


def _address(row, community: str | None, scrub) -> str | None:
    """To the building only, most specific first (the building or public place, the community)."""
    if row["household_id"] is not None:
        where = f"{row['building']}栋"
    else:
        where = scrub(row["place"])
    return ", ".join(w for w in (where, community) if w) or None
