"""Work orders from above (工单): the 12345 hotline and the street's grid centre dispatch them.

An order comes down with its source (12345, 网格中心…), its number there (unique per source)
and its deadline: a time (`2026-12-09 17:30`), or working time from the dispatch —
`3个工作日` is the same time of day on the 3rd working day after the day of dispatch, and a
dispatch on a day off counts as made when working hours start on the next working day;
`24个工作时` counts working hours as the promise does. Working days and hours are the
community's: the policy's hours where it has them (else 08:30-12:00, 14:00-18:00), its rest
days, and China's holidays and 调休 days as loaded. The dispatch time is the issue's report
time, and the order is handled as that issue: the community's own promise runs beside the
order's deadline, and every "next deadline" takes the earlier.

The case workflow the cities share (受理 → 派遣 → 签收 → 处置 → 反馈 → 核查 → 结案) adds verbs
an issue did not have, each a dated step in its timeline (see issues.lifecycle): sign for it
(签收, within the policy's sign-for limit), return it as not ours (退回), extend its deadline
(延期, approved by someone above), urge it (督办, from above), reply to it (反馈: what was
done, solved or not, why not) and verify it (核查): passed closes it (结案), failed sends it
back for rework (返工). A reply alone never closes an order.
"""

from datetime import datetime, timedelta
from typing import NamedTuple

from redprop.errors import InvalidValue, NotFound, naming
from redprop.issues.lifecycle import Order, State, Step
from redprop.parsing import (
    clean_line, clean_phone, cleaned, parse_instant, parse_working_span, show_local_iso, to_db,
)
from redprop.store.sql import marks

STAGES = ("dispatched", "signed", "replied", "rework", "closed", "returned")  # see `stage`


class NewOrder(NamedTuple):  # not a dataclass: one costs half a millisecond of every start
    """An order as it came down: its number and source, its deadline as written (a time, or
    N个工作日 / N个工作时 from the dispatch), and what the order sheet said of it."""

    number: str
    source: str
    due: str
    upstream_type: str | None = None  # 诉求类型
    caller_phone: str | None = None  # 联系电话


def cleaned_order(order: NewOrder) -> NewOrder:
    number = cleaned(order.number, clean_line, "--order")
    source = cleaned(order.source, clean_line, "--order-from")
    if not number:
        raise InvalidValue("--order: the order's number is empty")
    if not source:
        raise InvalidValue("--order-from: say who dispatched the order (12345, 网格中心…)")
    if not (order.due or "").strip():
        raise InvalidValue("--order-due: an order needs its deadline (like 3个工作日 or 2026-12-09 17:30)")
    phone = None
    if order.caller_phone:
        phone = clean_phone(order.caller_phone)
    return order._replace(number=number, source=source, due=order.due.strip(),
                   upstream_type=cleaned(order.upstream_type, clean_line, "诉求类型") or None, caller_phone=phone)


def order_deadline(terms, start: datetime, text: str, now: datetime, tz, relative: bool = True) -> datetime:
    """The deadline `text` says, counted from `start` where it is working time (3个工作日,
    24个工作时); a time as written otherwise (a day alone: the end of that day; `relative`
    False refuses what depends on the day it is read, as in a file)."""
    span = parse_working_span(text)
    if span is None:
        return parse_instant(text, now=now, tz=tz, bare_date="end", ahead=True, relative=relative, clock24=not relative)
    count, unit = span
    from redprop.policy.worktime import add_working_days, add_working_time

    office = terms.office()
    try:
        if unit == "days":
            return add_working_days(start, count, office)
        return add_working_time(start, timedelta(hours=count), office)
    except ValueError:
        raise InvalidValue("{text!r}: no working time to count it by (see `redprop policy show`)", text=text) from None


def insert_order(conn, store, issue_id: int, order: NewOrder, dispatched: datetime, now: datetime, terms,
                 by: str | None = None) -> Step:
    """The `orders` row of a new issue's order, inside the caller's transaction; the dispatch
    step to add to its history (the one writer fills the rest of the row from its steps)."""
    order = cleaned_order(order)
    with naming("--order-due"):
        due = to_db(order_deadline(terms, dispatched, order.due, now, store.tz))
    clash = conn.execute("SELECT issue_id FROM orders WHERE source = $1 AND number = $2",
                         (order.source, order.number)).fetchone()
    if clash is not None:
        raise InvalidValue("order {number} from {source} is already on record: issue #{id}", number=order.number,
                           source=order.source, id=clash[0])
    sign = terms.sign_deadline(dispatched)
    conn.execute(
        "INSERT INTO orders (issue_id, source, number, due_given, due_text, upstream_type, caller_phone, due_at, sign_due)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        (issue_id, order.source, order.number, due, order.due, order.upstream_type, order.caller_phone, due,
         to_db(sign) if sign else None))
    return Step("dispatch", to_db(dispatched), to_db(now), by=by, value=due, party=order.source)


def find_issue(conn, text: str) -> int:
    """The issue an order verb names: `#37` or `37` (an issue's number), or an order's number
    (`12345-20261204-0031`: unique per source; the same number from two sources is asked for
    by its issue number)."""
    from redprop.issues.records import parse_issue_id

    raw = str(text).strip()
    if raw[:1] in "#＃":
        return parse_issue_id(raw)
    found = conn.execute("SELECT issue_id, source FROM orders WHERE number = $1 ORDER BY issue_id", (raw,)).fetchall()
    if len(found) == 1:
        return found[0][0]
    if len(found) > 1:
        raise InvalidValue("order number {number} came from {sources}: give the issue's number instead ({ids})",
                           number=raw, sources=", ".join(r[1] for r in found), ids=", ".join(f"#{r[0]}" for r in found))
    if raw.isdigit():
        return int(raw)
    raise NotFound("no order numbered {number} (and no such issue): see `redprop issue list`", number=raw)


def parse_solved(text: str) -> bool:
    """`--solved yes|no`, 是|否, 已解决|未解决."""
    word = str(text).strip().lower()
    if word in ("yes", "y", "true", "1", "是", "已解决", "解决"):
        return True
    if word in ("no", "n", "false", "0", "否", "未解决", "没有"):
        return False
    raise InvalidValue("--solved takes yes or no (是 / 否), not {text!r}", text=text)


# -- reading -----------------------------------------------------------------------------------

def stage(order: Order) -> str:
    """Where the order stands: dispatched (not signed for), signed, replied (awaiting verification),
    rework (a verification failed, no new reply yet), closed (结案) or returned (退回)."""
    if order.returned_at:
        return "returned"
    if order.closed_at:
        return "closed"
    if order.replied_at:
        return "replied"
    if order.failed:
        return "rework"
    return "signed" if order.signed_at else "dispatched"


def load_orders(conn, issue_ids) -> dict:
    """The `orders` rows of these issues (those that carry one)."""
    ids = list(issue_ids)
    found = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for row in conn.execute(f"SELECT * FROM orders WHERE issue_id IN ({marks(len(chunk))})", chunk):
            found[row["issue_id"]] = row
    return found


def order_record(row, state: State, tz) -> dict:
    """An order as scripts read it beside its issue: who sent it, its deadlines and its life as
    things stood at the moment of `state`."""
    order = state.order
    iso = lambda text: show_local_iso(text, tz)  # noqa: E731
    late_sign = None
    if row["sign_due"]:
        if order.signed_at:
            late_sign = order.signed_at > row["sign_due"]
    return {
        "number": row["number"],
        "source": row["source"],
        "stage": stage(order),
        "dispatched_at": iso(order.dispatched_at),
        "due_given": iso(order.due_given),
        "due_text": row["due_text"],
        "due_at": iso(order.due_at),
        "sign_due": iso(row["sign_due"]),
        "signed_at": iso(order.signed_at),
        "signed_late": late_sign,
        "returned_at": iso(order.returned_at),
        "replied_at": iso(order.last_reply_at),
        "solved": order.solved,
        "closed_at": iso(order.closed_at),
        "closed_on_time": None if order.closed_at is None else order.closed_at <= order.due_at,
        "extensions": len(order.extended),
        "urges": len(order.urged),
        "urged_at": [iso(u) for u in order.urged],
        "reworks": len(order.failed),
        "upstream_type": row["upstream_type"],
        "caller_phone": row["caller_phone"],
    }
