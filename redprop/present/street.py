"""The street's picture as people and scripts read it: a row per community, worst first, and the total.

For people, a table that fits a narrow terminal (the community, 按时办结率 and 走访覆盖率 are
kept; the other figures go first), each rate as `29/41 · 71%`, the total last. JSON is the
picture's document, the definitions said in the worker's language; CSV is one row per community
and one for the total, the nested figures flattened (`problems_solved_on_time` the share,
`problems_solved_on_time_numerator`, `…_denominator`). `stats --by community` is `stats`' own
presentation (present.reports), its group the community.
"""

from redprop.errors import N_
from redprop.present.holidays import warn_provisional
from redprop.present.output import Format, Output
from redprop.present.rates import shown_rate
from redprop.present.table import Column, Table
from redprop.present.times import minute
from redprop.reports.rates import is_rate

TOTAL = "all"  # the total row's community (reports.street)
SUMMED = N_("The total's rates add up the communities' counts, never their shares.")

REPORT_TABLE = Table((
    Column("label", "Community", keep=True),
    Column("solved", "Solved on time", "right", keep=True),  # 按时办结率: what the rows are ranked by
    Column("coverage", "Visit coverage", "right", keep=True),  # 走访覆盖率: then by this
    Column("received", "Received", "right", drop=5),
    Column("satisfaction", "Satisfaction", "right", drop=3),
    Column("arrive", "On-site on time", "right", drop=4),
    Column("follow_up", "Follow-up calls", "right", drop=6),
    Column("overdue", "Overdue at the end", "right", drop=2),
    Column("replied", "Wishes: replied on time", "right", drop=7),
))
OVERDUE_TABLE = Table((
    Column("label", "Community", keep=True),
    Column("overdue", "Overdue", "right", keep=True),  # what the rows are ranked by
    Column("due_soon", "Due soon", "right", drop=3),
    Column("follow_ups", "Calls late", "right", drop=2),
    Column("visits", "Visits due", "right", keep=True),
    Column("unassigned", "Unassigned", "right", drop=4),
    Column("escalated_visits", "Escalated", "right", drop=1),
))


def label(out: Output, row: dict) -> str:
    """A row's name: the community's (or its code, or a dash), the total's "Total"."""
    if row["community"] == TOTAL and not row["community_code"]:
        return out._("Total")
    return row["community"] or row["community_code"] or "—"


def said(out: Output, document):
    """The document with every rate's definition said in the worker's language (in place; each
    definition said once)."""
    words: dict = {}

    def walk(value) -> None:
        if is_rate(value):
            text = value["definition"]
            value["definition"] = words.get(text) or words.setdefault(text, out._(text))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)
    return document


def flat(row: dict, prefix: str = "") -> dict:
    """A row's nested figures as one CSV row: `section_figure`; a rate as its share, with its
    `_numerator` and `_denominator` beside it (its definition is the JSON's)."""
    result = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if is_rate(value):
            result[name] = value["rate"]
            result[f"{name}_numerator"] = value["numerator"]
            result[f"{name}_denominator"] = value["denominator"]
        elif isinstance(value, dict):
            result.update(flat(value, f"{name}_"))
        else:
            result[name] = value
    return result


def _heading(out: Output, text: str, count: int) -> str:
    return out._("{title} · {count} communities", title=text, count=count)


# -- report week|month --by community --------------------------------------------------------

def report_title(out: Output, picture: dict) -> str:
    p = picture["period"]
    name = out._("The street's weekly report") if p["kind"] == "week" else out._("The street's monthly report")
    text = out._("{name} {label} ({first} to {last})", name=name, label=p["label"], first=p["from"], last=p["to"])
    return _heading(out, text, len(picture["communities"]))


def report_moment(out: Output, picture: dict) -> str:
    line = out._("As things stood at {at}", at=minute(picture["at"]))
    if not picture["complete"]:
        line += out._(" (the period had not ended)")
    return line


def report_rows(picture: dict) -> list[dict]:
    """The communities, worst first, then the total."""
    return [*picture["communities"], picture["total"]]


def report_cells(out: Output, row: dict) -> dict:
    problems, wishes, care = row["problems"], row["wishes"], row["care"]
    return {
        "label": label(out, row),
        "solved": shown_rate(problems["solved_on_time"]),
        "coverage": shown_rate(care["visit_coverage"]),
        "received": problems["received"] + wishes["received"],
        "satisfaction": shown_rate(problems["satisfaction"]),
        "arrive": shown_rate(problems["arrive_on_time"]),
        "follow_up": shown_rate(problems["follow_up"]),
        "overdue": problems["overdue"],
        "replied": shown_rate(wishes["solved_on_time"]),
    }


def report(out: Output, picture: dict) -> None:
    """`report week|month --by community`: the document (JSON), a row per community (CSV), or the table."""
    warn_provisional(out, picture.get("provisional_years"))
    if out.fmt == Format.json:
        out.report_document(said(out, picture))
    elif out.fmt == Format.csv:
        period = {"period": picture["period"]["label"]}  # after the community, which every listing names first
        out.listing(REPORT_TABLE, (_after_community(flat(row), period) for row in report_rows(picture)))
    else:
        _report_text(out, picture)


def _after_community(row: dict, fields: dict) -> dict:
    named = {key: row[key] for key in ("community", "community_code")}
    return {**named, **fields, **row}


def _report_text(out: Output, picture: dict) -> None:
    from redprop.present import orders
    from redprop.present.periodic import TREND_TABLE, spark, trend_series

    out.line(report_title(out, picture))
    out.line(report_moment(out, picture))
    out.line()
    rows = report_rows(picture)
    out.table(REPORT_TABLE, [report_cells(out, r) for r in rows],
              title="== " + out._("Communities, the lowest solved on time first") + " ==")
    out.line(out._("Solved on time: {definition}", definition=out._(picture["total"]["problems"]["solved_on_time"]["definition"])))
    out.line(out._(SUMMED))
    if orders.any_orders(picture["total"]["orders"]):
        out.line()
        out.table(orders.breakdown_table("community", "Community"),
                  [orders.breakdown_cells(r["orders"], label(out, r)) for r in rows],
                  title="== " + out._("Work orders from above") + " ==")
    out.line()
    lines = []
    for name, rates in trend_series(out, picture):
        lines.append({"figure": name, "spark": spark([r["rate"] for r in rates]), "first": shown_rate(rates[0]),
                      "last": shown_rate(rates[-1])})
    trend = picture["trend"]
    heading = out._("The street's trend: {first} to {last}, {count} periods", first=trend[0]["period"]["label"],
                    last=trend[-1]["period"]["label"], count=len(trend))
    out.table(TREND_TABLE, lines, title=f"== {heading} ==")


# -- overdue --by community ---------------------------------------------------------------------

def overdue(out: Output, picture: dict) -> None:
    """`overdue --by community`: the document (JSON), a row per community (CSV), or the table."""
    from redprop.present.reports import summary_line

    rows = [*picture["communities"], picture["total"]]
    warn_provisional(out, picture["total"].get("provisional_years"))
    if out.fmt == Format.json:
        out.document(picture)
    elif out.fmt == Format.csv:
        out.listing(OVERDUE_TABLE, (flat(r) for r in rows))
    else:
        title = out._("The street's overdue list · {at}", at=minute(picture["at"]))
        out.line(_heading(out, title, len(picture["communities"])))
        out.line()
        out.table(OVERDUE_TABLE, [{**r, "label": label(out, r)} for r in rows],
                  title="== " + out._("Communities, the most overdue first") + " ==")
        out.line()
        out.line(summary_line(out, {**picture["total"], "soon_minutes": picture["soon_minutes"]}))
