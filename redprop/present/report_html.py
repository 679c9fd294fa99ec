"""The weekly and monthly report as one self-contained HTML page, to open and print (A4).

No request of any kind when it is opened: the styles are inline, the fonts the system's, and
the charts inline `<svg>` drawn by pygal with its JavaScript turned off, its comments and
namespace links removed (an inline SVG in HTML needs no namespace), so that the page holds
no address at all. Text in the charts stays text: the browser sets the Chinese in the
system's CJK fonts. pygal is imported here only, by `report … -o FILE.html`.
"""

import re
from html import escape

from redprop.present.holidays import warn_provisional
from redprop.present.periodic import (
    BREAKDOWN_TITLES, RATE_NAMES, RATES, breakdown_cells, care_rows, group_label, issue_rows, kind_name,
    moment_line, order_breakdowns, shown_rate, title, trend_series,
)

FONTS = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif'
CSS = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: %(fonts)s; color: #222; margin: 0 auto; max-width: 190mm; padding: 8mm 0; font-size: 10.5pt; }
header { border-bottom: 3px solid #b71c1c; margin-bottom: 6mm; }
header h1 { font-size: 18pt; margin: 0 0 2mm; color: #b71c1c; }
header p { margin: 0 0 2mm; color: #555; }
h2 { font-size: 13pt; border-left: 4px solid #b71c1c; padding-left: 2mm; margin: 6mm 0 3mm; }
.cards { display: grid; grid-template-columns: repeat(3, 1fr); gap: 3mm; }
.card { border: 1px solid #ddd; border-radius: 2mm; padding: 3mm; break-inside: avoid; }
.card .name { font-size: 9.5pt; color: #555; }
.card .big { font-size: 20pt; font-weight: bold; color: #b71c1c; margin: 1mm 0; }
.card .counts { font-size: 10pt; }
.card .def { font-size: 8pt; color: #666; margin-top: 1mm; }
table { border-collapse: collapse; width: 100%%; margin-bottom: 3mm; font-size: 9.5pt; }
th, td { border: 1px solid #ccc; padding: 1mm 2mm; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3e5e5; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
.chart { break-inside: avoid; margin: 2mm 0 4mm; }
.chart svg { width: 100%%; height: auto; }
.note { font-size: 8.5pt; color: #666; }
@media print { body { padding: 0; } h2 { break-after: avoid; } }
""" % {"fonts": FONTS}


def page(out, report: dict) -> str:
    """The whole page."""
    parts = [f"<!DOCTYPE html>\n<html lang=\"{'zh-CN' if out.language.code == 'zh' else 'en'}\">\n<head>\n<meta charset=\"utf-8\">",
             f"<title>{escape(title(out, report))}</title>", f"<style>{CSS}</style>", "</head>\n<body>",
             "<header>", f"<h1>{escape(title(out, report))}</h1>", f"<p>{escape(moment_line(out, report))}</p>", "</header>"]
    for kind, key in (("problem", "problems"), ("wish", "wishes")):
        figures = report[key]
        parts.append(f"<h2>{escape(kind_name(out, kind))}</h2>")
        parts.append(_cards(out, figures, [("received", out._("Received"))], RATES))
        parts.append(_figure_table(issue_rows(out, figures)[5:]))
    parts.append(f"<h2>{escape(out._('Care'))}</h2>")
    care = report["care"]
    parts.append(_cards(out, {**care, "visits_made": care["visits"], "unseen": care["unseen_households"]},
                        [("visits_made", out._("Visits made")), ("unseen", out._("Unseen longer than their cadence")),
                         ("escalations", out._("Escalations"))], ("visit_coverage",)))
    parts.append(_figure_table(care_rows(out, care)[1:]))
    parts.append(f"<h2>{escape(out._('Trend'))}</h2>")
    parts.append(_chart(trend_chart(out, report)))
    parts.append(f"<h2>{escape(out._(BREAKDOWN_TITLES['by_category']))}</h2>")
    parts.append(_chart(category_chart(out, report)))
    parts.append(_breakdown_table(out, "by_category", report["by_category"]))
    parts.append(f"<h2>{escape(out._(BREAKDOWN_TITLES['by_grid']))}</h2>")
    parts.append(_chart(coverage_chart(out, report)))
    parts.append(_breakdown_table(out, "by_grid", report["by_grid"]))
    parts.append(f"<h2>{escape(out._(BREAKDOWN_TITLES['by_handler']))}</h2>")
    parts.append(_breakdown_table(out, "by_handler", report["by_handler"]))
    parts.extend(_orders(out, report))
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)


def _orders(out, report: dict) -> list[str]:
    """The work orders from above, when the period has any: their rates as cards, the counts,
    and a table by source, grid point and handler."""
    from redprop.present import orders

    figures = report["orders"]
    if not orders.any_orders(figures):
        return []
    parts = [f"<h2>{escape(out._('Work orders from above'))}</h2>",
             _cards(out, figures, [("dispatched", out._(orders.COUNT_NAMES["dispatched"][0])),
                              ("due", out._(orders.COUNT_NAMES["due"][0])),
                              ("urged", out._(orders.COUNT_NAMES["urged"][0]))], orders.RATE_NAMES, orders.RATE_NAMES)]
    for heading, table, rows in order_breakdowns(out, report):
        parts.append(f"<h2>{escape(heading)}</h2>")
        parts.append(_table(out, table.columns, rows))
    return parts


def _table(out, columns, rows: list[dict]) -> str:
    head = "".join(f"<th>{escape(out._(c.header))}</th>" for c in columns)
    body = ["<tr>" + "".join(f"<td>{escape(str(r.get(c.key, '')))}</td>" for c in columns) + "</tr>" for r in rows]
    if not body:
        body.append(f'<tr><td colspan="{len(columns)}">{escape(out._("(nothing to list)"))}</td></tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _cards(out, figures: dict, counts: list[tuple[str, str]], rates, names=RATE_NAMES) -> str:
    cells = []
    for key, name in counts:
        cells.append(f'<div class="card"><div class="name">{escape(name)}</div>'
                     f'<div class="big">{figures[key]}</div></div>')
    for key in rates:
        r = figures[key]
        share = f"{r['rate'] * 100:.0f}%" if r["rate"] is not None else "—"
        cells.append(f'<div class="card"><div class="name">{escape(out._(names[key]))}</div>'
                     f'<div class="big">{share}</div><div class="counts">{escape(shown_rate(r))}</div>'
                     f'<div class="def">{escape(out._(r["definition"]))}</div></div>')
    return '<div class="cards">' + "".join(cells) + "</div>"


def _figure_table(rows: list[dict]) -> str:
    body = "".join(f"<tr><td>{escape(r['figure'])}</td><td>{escape(r['value'])}</td>"
                   f"<td style=\"text-align:left\">{escape(r['definition'])}</td></tr>" for r in rows)
    return f"<table><tbody>{body}</tbody></table>"


def _breakdown_table(out, key: str, rows: list[dict]) -> str:
    from redprop.present.periodic import BREAKDOWNS

    return _table(out, BREAKDOWNS[key].columns, [breakdown_cells(out, key, row) for row in rows])


# -- charts -------------------------------------------------------------------------------

def _style():
    from pygal.style import Style

    return Style(font_family=FONTS, background="white", plot_background="white", foreground="#333",
                 foreground_strong="#222", foreground_subtle="#ddd",
                 colors=("#b71c1c", "#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a"),
                 title_font_size=15, label_font_size=11, major_label_font_size=11, legend_font_size=12,
                 value_font_size=10, tooltip_font_size=10)


def _options(**extra) -> dict:
    return {"js": [], "disable_xml_declaration": True, "style": _style(), "width": 760, "height": 320,
            "legend_at_bottom": True, "print_values": False, "show_y_guides": True, **extra}


def trend_chart(out, report: dict) -> str:
    """按时办结率 and 走访覆盖率 over the 9 periods (shares in %, a gap where nothing was counted)."""
    import pygal

    chart = pygal.Line(**_options(range=(0, 100), y_title="%", allow_interruptions=True, dots_size=3))
    chart.title = out._("Trend of {first} to {last}", first=report["trend"][0]["period"]["label"],
                        last=report["trend"][-1]["period"]["label"])
    chart.x_labels = [t["period"]["label"] for t in report["trend"]]
    series = trend_series(out, report)
    for name, rates in (series[0], series[3], series[4]):
        chart.add(name, [round(r["rate"] * 100, 1) if r["rate"] is not None else None for r in rates])
    return chart.render(is_unicode=True)


def category_chart(out, report: dict) -> str:
    """Issues received by category: problems and wishes stacked."""
    import pygal

    rows = report["by_category"]
    chart = pygal.StackedBar(**_options(x_label_rotation=0 if len(rows) <= 8 else 30))
    chart.title = out._("Issues received by category")
    chart.x_labels = [group_label(out, "by_category", r["category"]) for r in rows]
    chart.add(kind_name(out, "problem"), [r["problems"] for r in rows])
    chart.add(kind_name(out, "wish"), [r["wishes"] for r in rows])
    return chart.render(is_unicode=True)


def coverage_chart(out, report: dict) -> str:
    """走访覆盖率 by grid point at the end of the period (grid points with households in care)."""
    import pygal

    rows = [r for r in report["by_grid"] if r["visit_coverage"]["denominator"]]
    many = len(rows) > 40  # a district's hundreds of grid points: every n-th label, no gaps
    chart = pygal.Bar(**_options(range=(0, 100), y_title="%", x_label_rotation=45 if len(rows) > 12 else 0,
                                 show_legend=False, spacing=0 if many else 10,
                                 x_labels_major_every=max(1, len(rows) // 20) if many else None,
                                 show_minor_x_labels=not many))
    chart.title = out._("Visit coverage by grid point")
    chart.x_labels = [group_label(out, "by_grid", r["grid"]) for r in rows]
    chart.add(out._(RATE_NAMES["visit_coverage"]), [round(r["visit_coverage"]["rate"] * 100, 1) for r in rows])
    return chart.render(is_unicode=True)


_UUID = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_counter = [0]


def inline_svg(svg: str) -> str:
    """pygal's SVG made fit to sit in the page: no comments (they name its web site), no script
    (its tooltip configuration, written even with js=[]), no namespace declarations (addresses,
    and needless inside HTML), a stable id."""
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r"<script\b.*?</script>", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(?::\w+)?="[^"]*"', "", svg)
    _counter[0] += 1
    return _UUID.sub(f"chart-{_counter[0]}", svg)


def _chart(svg: str) -> str:
    return f'<div class="chart">{inline_svg(svg)}</div>'


def write_html(out, report: dict, path) -> None:
    """`-o FILE.html`: the page for people, written with mode 0600; says where it is."""
    warn_provisional(out, report.get("provisional_years"))
    from pathlib import Path

    from redprop.store.files import written_whole

    with written_whole(Path(path), "w", encoding="utf-8") as f:  # 0600: it names households and staff
        f.write(page(out, report))
    out.note(out._("Report written to {path}", path=str(path)))
