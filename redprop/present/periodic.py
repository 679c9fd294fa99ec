"""The weekly and monthly report as people and scripts read it.

Every rate is shown as "3/4 · 75%" with its definition beside it. JSON is the report's
document with the definitions said in the worker's language; `-o FILE.html` is the page for
people (present.report_html, which alone imports the charting library, and only for that).
"""

from redprop.errors import N_
from redprop.present.holidays import warn_provisional
from redprop.present.output import Format, Output
from redprop.present.rates import shown_rate
from redprop.present.table import Column, Table
from redprop.present.times import duration, minute
from redprop.vocab import ISSUE_KINDS

RATES = ("arrive_on_time", "solved_on_time", "satisfaction", "follow_up")
RATE_NAMES = {
    "arrive_on_time": N_("On-site on time"),  # 按时到场率
    "solved_on_time": N_("Solved on time"),  # 按时办结率
    "satisfaction": N_("Satisfaction"),  # 满意率
    "follow_up": N_("Follow-up calls"),  # 回访率
    "visit_coverage": N_("Visit coverage"),  # 走访覆盖率
}
SPARKS = "▁▂▃▄▅▆▇█"

FIGURES_TABLE = Table((
    Column("figure", "Figure", keep=True),
    Column("value", "Value", "right", keep=True),
    Column("definition", "Definition", wrap=True, drop=1),
))
TREND_TABLE = Table((
    Column("figure", "Figure", keep=True),
    Column("spark", "Trend", keep=True),
    Column("first", "First", "right", drop=1),
    Column("last", "Latest", "right", keep=True),
))
BREAKDOWN_COLUMNS = (
    Column("problems", "Problems", "right", keep=True),
    Column("wishes", "Wishes", "right", keep=True),
    Column("arrive_on_time", "On-site on time", "right", drop=3),
    Column("solved_on_time", "Solved on time", "right", keep=True),
    Column("satisfaction", "Satisfaction", "right", drop=2),
    Column("follow_up", "Follow-up calls", "right", drop=4),
)
BREAKDOWNS = {
    "by_category": Table((Column("label", "Category", keep=True), *BREAKDOWN_COLUMNS)),
    "by_grid": Table((Column("label", "Grid point", keep=True), *BREAKDOWN_COLUMNS,
                      Column("visit_coverage", "Visit coverage", "right", keep=True))),
    "by_handler": Table((Column("label", "Handler", keep=True), *BREAKDOWN_COLUMNS)),
}
BREAKDOWN_TITLES = {"by_category": N_("By category"), "by_grid": N_("By grid point"), "by_handler": N_("By handler")}
ORDER_KEYS = ("orders_by_source", "orders_by_grid", "orders_by_handler")  # the work orders from above, broken down
CSV_FIELDS = ["period", "section", "group", "figure", "numerator", "denominator", "rate", "value", "definition"]


def translated(out: Output, report: dict) -> dict:
    """The document with every rate's definition said in the worker's language (in place: a
    district's report has thousands of rates, and only these few definitions)."""
    said: dict = {}

    def say_rates(figures: dict) -> None:
        for value in figures.values():
            if isinstance(value, dict) and "denominator" in value:
                text = value["definition"]
                value["definition"] = said.get(text) or said.setdefault(text, out._(text))

    for key in ("problems", "wishes", "care"):
        say_rates(report[key])
    for key in ("by_category", "by_grid", "by_handler"):
        for row in report[key]:
            say_rates(row)
    for period in report["trend"]:
        say_rates(period["problems"])
        say_rates(period["wishes"])
        say_rates(period)
    say_rates(report["orders"])
    for key in ORDER_KEYS:
        for row in report[key]:
            say_rates(row)
    return report


def title(out: Output, report: dict) -> str:
    p = report["period"]
    name = out._("Weekly report") if p["kind"] == "week" else out._("Monthly report")
    text = out._("{name} {label} ({first} to {last})", name=name, label=p["label"], first=p["from"], last=p["to"])
    return f"{report['community']} {text}" if report["community"] else text


def moment_line(out: Output, report: dict) -> str:
    line = out._("As things stood at {at}", at=minute(report["at"]))
    if not report["complete"]:
        line += out._(" (the period had not ended)")
    return line


def group_label(out: Output, key: str, group) -> str:
    if group is None:
        return out._("Unassigned") if key == "by_handler" else "—"
    if key == "by_category":
        return out.labels.category(group)
    return str(group)


def kind_name(out: Output, kind: str) -> str:
    return out.labels.of(ISSUE_KINDS, kind)


def issue_rows(out: Output, figures: dict) -> list[dict]:
    rows = [{"figure": out._("Received"), "value": str(figures["received"]), "definition": ""}]
    rows += [{"figure": out._(RATE_NAMES[k]), "value": shown_rate(figures[k]), "definition": out._(figures[k]["definition"])}
             for k in RATES]
    for key, name in (("median_arrive_minutes", out._("Median time to site")),
                      ("median_resolve_minutes", out._("Median time to resolve"))):
        value = figures[key]
        rows.append({"figure": name, "value": duration(out, value) if value is not None else "—",
                     "definition": out._("from the report, among the issues it applies to")})
    rows.append({"figure": out._("Unfinished at the end"), "value": str(figures["unfinished"]),
                 "definition": out._("reported in the period and not resolved when it ended")})
    rows.append({"figure": out._("Overdue at the end"), "value": str(figures["overdue"]),
                 "definition": out._("unfinished and past a promise not kept when the period ended")})
    return rows


def care_rows(out: Output, care: dict) -> list[dict]:
    return [
        {"figure": out._(RATE_NAMES["visit_coverage"]), "value": shown_rate(care["visit_coverage"]),
         "definition": out._(care["visit_coverage"]["definition"])},
        {"figure": out._("Visits made"), "value": str(care["visits"]),
         "definition": out._("{contacts} contacts, {knocks} knocks (nobody at home)", contacts=care["contacts"],
                             knocks=care["knocks"])},
        {"figure": out._("Unseen longer than their cadence"), "value": str(care["unseen_households"]),
         "definition": out._("households in care with no contact within their cadence when the period ended")},
        {"figure": out._("Escalations"), "value": str(care["escalations"]),
         "definition": out._("elderly people living alone with three knocks or more in a row since their last contact")},
    ]


def spark(values: list) -> str:
    """A sparkline of shares between 0 and 1 (a blank for a period with nothing counted)."""
    return "".join(" " if v is None else SPARKS[min(len(SPARKS) - 1, int(v * (len(SPARKS) - 1) + 0.5))]
                   for v in values)


def trend_series(out: Output, report: dict) -> list[tuple[str, list]]:
    """(name, the rates of each period, oldest first) of the figures the trend follows."""
    trend = report["trend"]
    return [
        (out._("Problems: solved on time"), [t["problems"]["solved_on_time"] for t in trend]),
        (out._("Problems: on-site on time"), [t["problems"]["arrive_on_time"] for t in trend]),
        (out._("Satisfaction"), [_both(t, "satisfaction") for t in trend]),
        (out._("Wishes: replied on time"), [t["wishes"]["solved_on_time"] for t in trend]),
        (out._(RATE_NAMES["visit_coverage"]), [t["visit_coverage"] for t in trend]),
    ]


def _both(period: dict, key: str) -> dict:
    a, b = period["problems"][key], period["wishes"][key]
    n, d = a["numerator"] + b["numerator"], a["denominator"] + b["denominator"]
    return {"numerator": n, "denominator": d, "rate": round(n / d, 4) if d else None, "definition": a["definition"]}


def breakdown_cells(out: Output, key: str, row: dict) -> dict:
    group = row.get({"by_category": "category", "by_grid": "grid", "by_handler": "handler"}[key])
    cells = {**row, "label": group_label(out, key, group)}
    for k in (*RATES, "visit_coverage"):
        if k in row:
            cells[k] = shown_rate(row[k])
    return cells


def report(out: Output, report: dict) -> None:
    """`redprop report week|month`: the document (JSON), one row per figure (CSV), or the report for people."""
    warn_provisional(out, report.get("provisional_years"))
    if out.fmt == Format.json:
        out.report_document(translated(out, report))
    elif out.fmt == Format.csv:
        out.listing(FIGURES_TABLE, csv_rows(out, report), fields=CSV_FIELDS)
    else:
        _text(out, report)


def _text(out: Output, report: dict) -> None:
    out.line(title(out, report))
    out.line(moment_line(out, report))
    for kind, key in (("problem", "problems"), ("wish", "wishes")):
        out.line()
        out.table(FIGURES_TABLE, issue_rows(out, report[key]), title=f"== {kind_name(out, kind)} ==")
    out.line()
    out.table(FIGURES_TABLE, care_rows(out, report["care"]), title="== " + out._("Care") + " ==")
    out.line()
    trend = report["trend"]
    rows = []
    for name, rates in trend_series(out, report):
        values = [r["rate"] for r in rates]
        rows.append({"figure": name, "spark": spark(values), "first": shown_rate(rates[0]), "last": shown_rate(rates[-1])})
    heading = out._("Trend: {first} to {last}, {count} periods", first=trend[0]["period"]["label"],
                    last=trend[-1]["period"]["label"], count=len(trend))
    out.table(TREND_TABLE, rows, title=f"== {heading} ==")
    for key, table in BREAKDOWNS.items():
        out.line()
        out.table(table, [breakdown_cells(out, key, r) for r in report[key]],
                  title="== " + out._(BREAKDOWN_TITLES[key]) + " ==")
    _orders_text(out, report)


def order_breakdowns(out: Output, report: dict) -> list[tuple[str, object, list[dict]]]:
    """(title, table, rows) of each breakdown of the work orders from above."""
    from redprop.present import orders

    result = []
    for key in ORDER_KEYS:
        by = key.removeprefix("orders_by_")
        label = {"source": "Source", "grid": "Grid point", "handler": "Handler"}[by]
        rows = [orders.breakdown_cells(r, _order_group(out, r[by], by)) for r in report[key]]
        result.append((out._(orders.BREAKDOWN_TITLES[by]), orders.breakdown_table(by, label), rows))
    return result


def _order_group(out: Output, group, by: str) -> str:
    if group is None:
        return out._("Unassigned") if by == "handler" else "—"
    return str(group)


def _orders_text(out: Output, report: dict) -> None:
    """The work orders from above, when the period has any: their figures, then by source,
    grid point and handler."""
    from redprop.present import orders

    if not orders.any_orders(report["orders"]):
        return
    out.line()
    out.table(FIGURES_TABLE, orders.figure_rows(out, report["orders"]), title="== " + out._("Work orders from above") + " ==")
    for heading, table, rows in order_breakdowns(out, report):
        out.line()
        out.table(table, rows, title=f"== {heading} ==")


def csv_rows(out: Output, report: dict):
    label = report["period"]["label"]

    def figure(section, group, name, value):
        if isinstance(value, dict):
            return {"period": label, "section": section, "group": group, "figure": name,
                    "numerator": value["numerator"], "denominator": value["denominator"], "rate": value["rate"],
                    "value": None, "definition": out._(value["definition"])}
        return {"period": label, "section": section, "group": group, "figure": name, "numerator": None,
                "denominator": None, "rate": None, "value": value, "definition": None}

    for section in ("problems", "wishes", "care"):
        for name, value in report[section].items():
            yield figure(section, "all", name, value)
    for key, by in (("by_category", "category"), ("by_grid", "grid"), ("by_handler", "handler")):
        for row in report[key]:
            for name, value in row.items():
                if name != by:
                    yield figure(key, row[by], name, value)
    for name, value in report["orders"].items():
        yield figure("orders", "all", name, value)
    for key in ORDER_KEYS:
        by = key.removeprefix("orders_by_")
        for row in report[key]:
            for name, value in row.items():
                if name != by:
                    yield figure(key, row[by], name, value)
    for period in report["trend"]:
        for section in ("problems", "wishes"):
            for name, value in period[section].items():
                yield {**figure(f"trend_{section}", "all", name, value), "period": period["period"]["label"]}
        yield {**figure("trend_care", "all", "visit_coverage", period["visit_coverage"]),
               "period": period["period"]["label"]}
