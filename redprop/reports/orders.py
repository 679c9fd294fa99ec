"""The street's rates of work orders from above: 签收及时率, 结案率, 按期结案率, 返工率, 延期率, 退回率, 督办.

Each rate is a pure function over the orders' facts as things stood at a moment (`OrderFacts`,
read by replaying each order's steps up to it: orders are few beside the issues), with its
definition. A period picks orders by the date each definition names — the dispatch, the
deadline after extensions, the closing (结案), the urging — not by the report date; an order
voided as recorded by mistake counts nowhere; a returned one (退回) counts only in 退回率.

- 签收及时率 `sign_on_time`: orders signed for within the sign-for limit, among the orders
  dispatched in the period and not returned;
- 应结案 `due`: orders not returned whose deadline (after extensions) falls in the period;
- 结案率 `closure`: of those, closed by the moment; 按期结案率 `closed_on_time`: of those,
  closed by their deadline (after extensions);
- 返工率 `rework`: orders closed in the period that failed verification at least once, among
  the orders closed in the period;
- 延期率 `extension`: orders in 应结案 with an extension, among 应结案;
- 退回率 `returned`: orders returned by the moment, among the orders dispatched in the period;
- 督办 `urged`: orders urged in the period (orders, not urgings).

Data only: codes, numbers and English definitions; the presentation says them.
"""

from dataclasses import dataclass
from datetime import datetime

from redprop.errors import N_
from redprop.reports.rates import shaped_rate

DEFINITIONS = {
    "sign_on_time": N_("work orders signed for within the sign-for limit, among the orders dispatched in the period"
                       " and not returned"),
    "closure": N_("work orders closed (verified) by the moment, among the orders due in the period (not returned,"
                  " deadline after extensions in the period)"),
    "closed_on_time": N_("work orders closed by their deadline (after extensions), among the orders due in the period"),
    "rework": N_("work orders closed in the period that failed verification at least once, among the orders closed"
                 " in the period"),
    "extension": N_("work orders with an extension, among the orders due in the period"),
    "returned": N_("work orders returned as not ours by the moment, among the orders dispatched in the period"),
}
RATES = ("sign_on_time", "closure", "closed_on_time", "rework", "extension", "returned")


@dataclass(frozen=True)
class OrderFacts:
    """One order as things stood at a moment: instants as stored (UTC text, comparable)."""

    issue_id: int
    dispatched_at: str
    due_at: str  # after the extensions made by the moment
    sign_due: str | None
    signed_at: str | None
    returned_at: str | None
    closed_at: str | None
    extended: bool
    failed: int  # verifications failed by the moment (返工)
    urged: tuple[str, ...]  # when it was urged
    groups: dict  # source, grid, handler, category, building, channel, kind, tier


def _inside(at: str | None, start: str | None, end: str | None) -> bool:
    return at is not None and (start is None or at >= start) and (end is None or at < end)


def order_rates(facts: list[OrderFacts], start: str | None, end: str | None) -> dict:
    """The rates of the orders for the period [start, end) (stored instants; None: unbounded)."""
    dispatched = [f for f in facts if _inside(f.dispatched_at, start, end)]
    kept = [f for f in dispatched if f.returned_at is None]
    due = [f for f in facts if f.returned_at is None and _inside(f.due_at, start, end)]
    closed = [f for f in facts if _inside(f.closed_at, start, end)]

    def signed_in_time(f: OrderFacts) -> bool:
        return f.signed_at is not None and (f.sign_due is None or f.signed_at <= f.sign_due)

    counts = {
        "sign_on_time": (sum(signed_in_time(f) for f in kept), len(kept)),
        "closure": (sum(f.closed_at is not None for f in due), len(due)),
        "closed_on_time": (sum(f.closed_at is not None and f.closed_at <= f.due_at for f in due), len(due)),
        "rework": (sum(f.failed > 0 for f in closed), len(closed)),
        "extension": (sum(f.extended for f in due), len(due)),
        "returned": (sum(f.returned_at is not None for f in dispatched), len(dispatched)),
    }
    figures = {"dispatched": len(dispatched), "due": len(due), "closed": len(closed)}
    figures.update({name: shaped_rate(n, d, DEFINITIONS[name]) for name, (n, d) in counts.items()})
    figures["urged"] = sum(any(_inside(u, start, end) for u in f.urged) for f in facts)
    return figures


def grouped_rates(facts: list[OrderFacts], start: str | None, end: str | None, by: str) -> list[dict]:
    """`order_rates` for each group of `by` (source, grid, handler…) that has an order, then 'all'."""
    groups: dict = {}
    for f in facts:
        groups.setdefault(f.groups.get(by), []).append(f)
    rows = [{"group": g, **order_rates(members, start, end)}
            for g, members in sorted(groups.items(), key=lambda item: (item[0] is None, str(item[0])))]
    return [r for r in rows if r["dispatched"] or r["due"] or r["closed"] or r["urged"]] + [
        {"group": "all", **order_rates(facts, start, end)}]


def order_facts(store, at: datetime, start: str | None = None, end: str | None = None) -> list[OrderFacts]:
    """Every order dispatched by `at` and not voided, as things stood at `at`: each one's steps
    replayed up to the moment (a step typed in later but dated earlier counts; one dated later
    has not happened yet). With `start`/`end`, only the orders a period [start, end) may count:
    none whose every step and deadline came before it, none dispatched after it."""
    from redprop.issues.lifecycle import replay
    from redprop.issues.orders import load_orders
    from redprop.issues.records import ISSUE_SELECT, history
    from redprop.parsing import to_db
    from redprop.store.sql import Params

    moment = to_db(at)
    params = Params()
    within = f" AND i.reported_at <= {params(moment)}"
    if start is not None:  # a step at or after the start, or a deadline there (extensions only move it later)
        starts = params(start)
        within += f" AND (i.last_step_at >= {starts} OR i.id IN (SELECT issue_id FROM orders WHERE due_at >= {starts}))"
    if end is not None:
        within += f" AND i.reported_at < {params(end)}"
    rows = store.conn.execute(f"{ISSUE_SELECT} WHERE i.id IN (SELECT issue_id FROM orders){within}", params).fetchall()
    if not rows:
        return []
    steps = history(store.conn, rows)
    orders = load_orders(store.conn, [r["id"] for r in rows])
    facts = []
    for row in rows:
        o = orders[row["id"]]
        if row["voided_at"] and not o["returned_at"]:
            continue  # voided, as every count leaves it: recorded by mistake
        state = replay(row, steps[row["id"]], moment, store.tz)
        order = state.order
        facts.append(OrderFacts(
            issue_id=row["id"], dispatched_at=order.dispatched_at, due_at=order.due_at, sign_due=o["sign_due"],
            signed_at=order.signed_at, returned_at=order.returned_at, closed_at=order.closed_at,
            extended=bool(order.extended), failed=len(order.failed), urged=tuple(order.urged),
            groups={"source": o["source"], "grid": row["grid"], "handler": state.handler, "category": row["category"],
                    "building": row["building"], "channel": row["channel"], "kind": row["kind"], "tier": state.tier},
        ))
    return facts


def add_order_rates(store, at: datetime, start: str | None, end: str | None, by: str | None, rows: list[dict],
                    empty_row) -> list[dict]:
    """`stats` rows with each group's order figures beside its issue figures (`stats_fields`); a
    group that has orders in the period but no issue reported in it gets a row of its own
    (`empty_row(group)`: the issue figures of no issue), before the total."""
    facts = order_facts(store, at, start, end) if store.conn.execute("SELECT 1 FROM orders LIMIT 1").fetchone() else []
    if by is None:
        for row in rows:
            row.update(stats_fields(order_rates(facts, start, end)))
        return rows
    rates = {r.pop("group"): r for r in grouped_rates(facts, start, end, by)}
    known = {row["group"] for row in rows}
    extra = [empty_row(g) for g in rates if g not in known and g != "all"]
    total = [r for r in rows if r["group"] == "all"]
    rows = sorted([r for r in rows if r["group"] != "all"] + extra, key=lambda r: (r["group"] is None, str(r["group"])))
    for row in rows + total:
        row.update(stats_fields(rates.get(row["group"]) or order_rates([], start, end)))
    return rows + total


def stats_fields(figures: dict) -> dict:
    """The figures as `stats` carries them in each row: counts `orders_dispatched`, `orders_due`,
    `orders_closed`, `orders_urged`; the rates `order_sign_on_time` … `order_returned`."""
    return {(f"order_{k}" if k in RATES else f"orders_{k}"): v for k, v in figures.items()}
