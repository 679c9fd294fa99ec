"""The street's rates of work orders from above as people read them (stats, the weekly and
monthly report, its page): each as `3/4 · 75%` with its definition beside it."""

from redprop.errors import N_
from redprop.present.rates import shown_rate
from redprop.present.table import Column, Table

RATE_NAMES = {
    "sign_on_time": N_("Signed for on time"),  # 签收及时率
    "closure": N_("Closure rate"),  # 结案率
    "closed_on_time": N_("Closed on time"),  # 按期结案率
    "rework": N_("Rework rate"),  # 返工率
    "extension": N_("Extension rate"),  # 延期率
    "returned": N_("Return rate"),  # 退回率
}
COUNT_NAMES = {
    "dispatched": (N_("Orders dispatched"), N_("work orders dispatched in the period")),  # 派单数
    "due": (N_("Orders due"), N_("work orders not returned whose deadline (after extensions) falls in the period")),  # 应结案数
    "closed": (N_("Orders closed"), N_("work orders closed (verified) in the period")),  # 结案数
    "urged": (N_("Orders urged"), N_("work orders urged from above in the period (orders, not urgings)")),  # 督办
}
BREAKDOWN_COLUMNS = (
    Column("dispatched", "Orders dispatched", "right", keep=True),
    Column("due", "Orders due", "right", keep=True),
    Column("sign_on_time", "Signed for on time", "right", drop=3),
    Column("closure", "Closure rate", "right", keep=True),
    Column("closed_on_time", "Closed on time", "right", keep=True),
    Column("rework", "Rework rate", "right", drop=2),
    Column("extension", "Extension rate", "right", drop=4),
    Column("returned", "Return rate", "right", drop=5),
    Column("urged", "Orders urged", "right", drop=1),
)
BREAKDOWN_TITLES = {"source": N_("Work orders by source"), "grid": N_("Work orders by grid point"),
                    "handler": N_("Work orders by handler")}


def any_orders(figures: dict) -> bool:
    return bool(figures["dispatched"] or figures["due"] or figures["closed"] or figures["urged"])


def figure_rows(out, figures: dict) -> list[dict]:
    """The rows of the figures table: the counts, then each rate with its definition."""
    rows = [{"figure": out._(COUNT_NAMES[k][0]), "value": str(figures[k]), "definition": out._(COUNT_NAMES[k][1])}
            for k in ("dispatched", "due", "closed")]
    rows += [{"figure": out._(RATE_NAMES[k]), "value": shown_rate(figures[k]), "definition": out._(figures[k]["definition"])}
             for k in RATE_NAMES]
    rows.append({"figure": out._(COUNT_NAMES["urged"][0]), "value": str(figures["urged"]),
                 "definition": out._(COUNT_NAMES["urged"][1])})
    return rows


def breakdown_table(by: str, label: str) -> Table:
    return Table((Column("label", label, keep=True), *BREAKDOWN_COLUMNS))


def breakdown_cells(row: dict, label: str) -> dict:
    return {**{k: shown_rate(row[k]) for k in RATE_NAMES}, "label": label, "dispatched": row["dispatched"],
            "due": row["due"], "urged": row["urged"]}


def translated(out, figures: dict) -> dict:
    """The figures with each rate's definition said in the worker's language."""
    return {k: ({**v, "definition": out._(v["definition"])} if isinstance(v, dict) and "definition" in v else v)
            for k, v in figures.items()}


def from_stats(row: dict) -> dict:
    """A `stats` row's order figures, as the report names them (`dispatched`, `sign_on_time`…)."""
    return {k.removeprefix("orders_").removeprefix("order_"): v for k, v in row.items()
            if k.startswith(("orders_", "order_"))}


STATS_FIELDS = ["orders_dispatched", "orders_due", "orders_closed", *(f"order_{k}" for k in RATE_NAMES), "orders_urged"]
