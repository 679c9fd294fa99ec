"""`redprop today` as people read it: short blocks that fit any terminal, or one A4 page.

A block is a first line that names the thing (the household's address, head and phone; the
issue's number and title) and an indented line of what to know about it, wrapped between
its parts: on a 60-column terminal nothing is cut and no name is broken. The same blocks go
to a pipe (a WeChat paste); `-o FILE.html` prints them as tables in the weekly report's style,
with a box to tick beside each household.
"""

from html import escape

from redprop.errors import N_
from redprop.present.care import DUE_LEGEND, alert
from redprop.present.holidays import warn_provisional
from redprop.present.issues import issue_cells
from redprop.present.output import Format, Output
from redprop.present.times import duration, minute

CSV_FIELDS = ["section", "household", "head", "phone", "groups", "days_since_seen", "never_seen", "due_at", "overdue_days",
              "failed_attempts", "escalated", "id", "title", "place", "status", "next_promise", "next_due_at",
              "late_minutes", "reporter", "resolved_at"]
SECTIONS = (("visits", N_("Households to see ({count})"), N_("nobody to see today")),
            ("issues", N_("Issues you hold ({count})"), N_("no unfinished issue")),
            ("follow_ups", N_("Follow-up calls late ({count})"), N_("no call late")))


def today(out: Output, day: dict) -> None:
    """The day in the format asked for."""
    warn_provisional(out, day["summary"]["provisional_years"])
    if out.fmt == Format.json:
        out.report_document(day)
    elif out.fmt == Format.csv:
        out.listing(None, csv_rows(day), fields=CSV_FIELDS)
    else:
        said(out, day)


def heading(out: Output, day: dict) -> str:
    said = out._("{staff}'s day · {at}", staff=day["staff"], at=minute(day["at"]))
    if day["buildings"]:
        said += " · " + out._("building {building}", building=out.separator.join(day["buildings"]))
    return f"{day['community']} {said}" if day["community"] else said


def said(out: Output, day: dict) -> None:
    """The day as blocks, a section for each part."""
    out.line(heading(out, day))
    for key, title, nothing in SECTIONS:
        items = day[key]
        out.line()
        out.line(f"== {out._(title, count=len(items))} ==")
        if not items:
            out.line(out._(nothing))
        for item in items:
            out.block(*BLOCKS[key](out, item))
    if any(alert(out, v) for v in day["visits"]):
        out.line()
        out.line(out._(DUE_LEGEND))


def visit_block(out: Output, row: dict) -> tuple[list[str], list[str]]:
    groups = out.separator.join(out.labels.group(g) for g in row["groups"])
    if row["never_seen"]:
        unseen = out._("not seen since care began {days} days ago", days=row["days_since_seen"])
    else:
        unseen = out._("unseen {days} days", days=row["days_since_seen"])
    if row["overdue_days"] is None:
        due = out._("due today {time}", time=minute(row["due_at"])[11:])
    elif row["overdue_days"] == 0:
        due = out._("overdue")
    else:
        due = out._("overdue {days} days", days=row["overdue_days"])
    knocks = out._("{count} knocks unanswered", count=row["failed_attempts"]) if row["failed_attempts"] else ""
    mark = "‼" if row["escalated"] else alert(out, row)
    return [mark, row["household"], row["head"], row["phone"]], [groups, unseen, knocks, due]


def issue_block(out: Output, record: dict) -> tuple[list[str], list[str]]:
    cells = issue_cells(out, record)
    return [cells["number"], record["title"]], [cells["where"], cells.get("next", ""), cells["status"]]


def call_block(out: Output, call: dict) -> tuple[list[str], list[str]]:
    late = out._("follow-up call late {duration}", duration=duration(out, call["late_minutes"]))
    reporter = out._("reported by {name}", name=call["reporter"]) if call.get("reporter") else ""
    resolved = out._("resolved {at}", at=minute(call["resolved_at"]))
    return [f"#{call['id']}", call["title"]], [call["household"] or call["place"] or "", late, reporter, resolved]


BLOCKS = {"visits": visit_block, "issues": issue_block, "follow_ups": call_block}


def csv_rows(day: dict):
    """One row per item, its section first: what a spreadsheet filters on."""
    for row in day["visits"]:
        yield {"section": "visit", **row}
    for record in day["issues"]:
        deadline = record["next_deadline"] or {}
        yield {"section": "issue", **record, "next_promise": deadline.get("promise"), "next_due_at": deadline.get("due_at"),
               "late_minutes": deadline.get("late_minutes")}
    for call in day["follow_ups"]:
        yield {"section": "follow_up", **call, "next_promise": "follow_up", "next_due_at": call["due_at"]}


# -- the page to print ----------------------------------------------------------------------

PAGE_CSS = """
.tick { width: 8mm; height: 6mm; }
td.tick { border: 1px solid #999; }
th, td { text-align: left; }
.none { color: #666; font-style: italic; }
"""


def page(out: Output, day: dict) -> str:
    """One self-contained page, A4, in the weekly report's style: no request of any kind."""
    from redprop.present.report_html import CSS

    title = heading(out, day)
    parts = [f"<!DOCTYPE html>\n<html lang=\"{'zh-CN' if out.language.code == 'zh' else 'en'}\">\n<head>\n<meta charset=\"utf-8\">",
             f"<title>{escape(title)}</title>", f"<style>{CSS}{PAGE_CSS}</style>", "</head>\n<body>",
             "<header>", f"<h1>{escape(title)}</h1>", f"<p>{escape(_summary(out, day))}</p>", "</header>"]
    for key, heading_text, nothing in SECTIONS:
        items = day[key]
        parts.append(f"<h2>{escape(out._(heading_text, count=len(items)))}</h2>")
        if not items:
            parts.append(f'<p class="none">{escape(out._(nothing))}</p>')
            continue
        head, rows = TABLES[key](out, items)
        tick = key == "visits"
        header = ("<th class=\"tick\">✓</th>" if tick else "") + "".join(f"<th>{escape(h)}</th>" for h in head)
        body = "".join("<tr>" + ('<td class="tick"></td>' if tick else "")
                       + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
        parts.append(f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>")
    if any(alert(out, v) for v in day["visits"]):
        parts.append(f'<p class="note">{escape(out._(DUE_LEGEND))}</p>')
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)


def _summary(out: Output, day: dict) -> str:
    s = day["summary"]
    return out._("{visits} households to see ({escalated} escalated), {issues} issues held ({overdue} overdue), {calls}"
                 " follow-up calls late", visits=s["visits"], escalated=s["escalated"], issues=s["issues"],
                 overdue=s["overdue_issues"], calls=s["follow_ups"])


def _visit_table(out: Output, rows: list[dict]):
    head = ["!", out._("Address"), out._("Head"), out._("Phone"), out._("Focus groups"), out._("Details")]
    table = []
    for row in rows:
        first, details = visit_block(out, row)
        table.append([first[0], row["household"], row["head"] or "", row["phone"] or "",
                      details[0], " · ".join(d for d in details[1:] if d)])
    return head, table


def _issue_table(out: Output, records: list[dict]):
    head = [out._("Issue"), out._("Title"), out._("Where"), out._("Next deadline"), out._("Status")]
    return head, [[f"#{r['id']}", r["title"], *issue_block(out, r)[1]] for r in records]


def _call_table(out: Output, calls: list[dict]):
    head = [out._("Issue"), out._("Title"), out._("Where"), out._("Late"), out._("Reported by"), out._("Resolved")]
    return head, [[f"#{c['id']}", c["title"], c["household"] or c["place"] or "", duration(out, c["late_minutes"]),
                   c.get("reporter") or "", minute(c["resolved_at"])] for c in calls]


TABLES = {"visits": _visit_table, "issues": _issue_table, "follow_ups": _call_table}


def write_page(out: Output, day: dict, path) -> None:
    """`today -o FILE.html`: the page, written whole with mode 0600 (it names households); says where."""
    from pathlib import Path

    from redprop.store.files import written_whole

    warn_provisional(out, day["summary"]["provisional_years"])
    with written_whole(Path(path), "w", encoding="utf-8") as f:
        f.write(page(out, day))
    out.note(out._("Your day written to {path}", path=str(path)))
