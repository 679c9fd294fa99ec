"""The street's weekly and monthly report as one self-contained HTML page, to open and print (A4).

The same page as a community's (present.report_html: inline styles, the system's fonts, pygal's
charts as inline `<svg>`, no address anywhere), holding the street's picture: the total's
headline rates as large numbers with their counts and definitions, the communities worst first
with the total last, a chart of 按时办结率 and 走访覆盖率 by community, the trend of the street's
total, and the work orders from above by community when the period has any.
"""

from html import escape

from redprop.present.periodic import RATE_NAMES
from redprop.present.report_html import CSS, _cards, _chart, _options, _table, trend_chart
from redprop.present.street import REPORT_TABLE, SUMMED, label, report_cells, report_moment, report_rows, report_title


def page(out, picture: dict) -> str:
    """The whole page."""
    from redprop.present import orders

    heading = escape(report_title(out, picture))
    total = picture["total"]
    problems, wishes = total["problems"], total["wishes"]
    parts = [f"<!DOCTYPE html>\n<html lang=\"{'zh-CN' if out.language.code == 'zh' else 'en'}\">\n<head>\n<meta charset=\"utf-8\">",
             f"<title>{heading}</title>", f"<style>{CSS}</style>", "</head>\n<body>",
             "<header>", f"<h1>{heading}</h1>", f"<p>{escape(report_moment(out, picture))}</p>", "</header>",
             f"<h2>{escape(out._('Total'))}</h2>",
             _cards(out, {**problems, "received": problems["received"] + wishes["received"],
                          "visit_coverage": total["care"]["visit_coverage"]},
                    [("received", out._("Received"))], ("solved_on_time", "visit_coverage", "satisfaction",
                                                        "arrive_on_time", "follow_up")),
             f"<h2>{escape(out._('Communities, the lowest solved on time first'))}</h2>",
             _table(out, REPORT_TABLE.columns, [report_cells(out, r) for r in report_rows(picture)]),
             f"<p class=\"note\">{escape(out._(SUMMED))}</p>",
             _chart(community_chart(out, picture)),
             f"<h2>{escape(out._('Trend'))}</h2>",
             _chart(trend_chart(out, picture))]
    if orders.any_orders(total["orders"]):
        parts.append(f"<h2>{escape(out._('Work orders from above'))}</h2>")
        parts.append(_table(out, orders.breakdown_table("community", "Community").columns,
                            [orders.breakdown_cells(r["orders"], label(out, r)) for r in report_rows(picture)]))
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)


def community_chart(out, picture: dict) -> str:
    """按时办结率 and 走访覆盖率 of each community, worst first (a gap where nothing was counted)."""
    import pygal

    rows = picture["communities"]
    chart = pygal.Bar(**_options(range=(0, 100), y_title="%", x_label_rotation=30 if len(rows) > 8 else 0))
    chart.title = out._("Solved on time and visit coverage by community")
    chart.x_labels = [label(out, r) for r in rows]
    for name, rates in ((out._(RATE_NAMES["solved_on_time"]), [r["problems"]["solved_on_time"] for r in rows]),
                        (out._(RATE_NAMES["visit_coverage"]), [r["care"]["visit_coverage"] for r in rows])):
        chart.add(name, [round(r["rate"] * 100, 1) if r["rate"] is not None else None for r in rates])
    return chart.render(is_unicode=True)


def write_html(out, picture: dict, path) -> None:
    """`-o FILE.html`: the page, written whole with mode 0600; says where it is."""
    from pathlib import Path

    from redprop.present.holidays import warn_provisional
    from redprop.store.files import written_whole

    warn_provisional(out, picture.get("provisional_years"))
    with written_whole(Path(path), "w", encoding="utf-8") as f:
        f.write(page(out, picture))
    out.note(out._("Report written to {path}", path=str(path)))
