"""The holiday calendar as people read it, and the mark of a provisional deadline.

A deadline counted across a year whose arrangement is not loaded is an estimate: tables mark
its time with `~` (the legend says why), and the commands that show deadlines say once on
stderr which year to import — cron's exit codes do not change.
"""


from redprop.errors import N_
from redprop.present.output import Format, Output
from redprop.present.table import Column, Table
from redprop.vocab import HOLIDAY_MARKS, HOLIDAY_NAMES, HOLIDAY_SOURCES

PROVISIONAL_MARK = "~"
PROVISIONAL_LEGEND = N_("~ provisional: counted on the statutory holidays only, the year's arrangement not imported")
PROVISIONAL_WARNING = N_("the {years} holiday arrangement has not been imported yet (redprop holidays import);"
                         " deadlines are estimated from the statutory holidays")
DAY_TABLE = Table((
    Column("date", "Date", keep=True),
    Column("weekday", "Weekday", keep=True),
    Column("mark", "休/班", keep=True),
    Column("name", "Holiday", keep=True),
))
DAY_FIELDS = ["date", "off", "name"]
WEEKDAY_NAMES = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def marked(text: str, provisional: bool) -> str:
    """A deadline's time with the provisional mark when it is an estimate."""
    return f"{PROVISIONAL_MARK}{text}" if provisional and text else text


def warn_provisional(out: Output, years) -> None:
    """The one stderr line naming the years to import, when deadlines shown depend on them."""
    if years:
        out.note(out._(PROVISIONAL_WARNING, years=out.separator.join(str(y) for y in years)))


def holiday_name(out: Output, name: str | None) -> str:
    """A holiday's name as the source wrote it (Chinese), in English when it is a statutory one."""
    if not name:
        return ""
    parts = name.split("、")
    codes = [next((c for c in HOLIDAY_NAMES.codes.values() if p in (c.zh, *c.aliases)), None) for p in parts]
    if out.language.code == "zh" or not all(codes):
        return name
    return out.separator.join(out.labels.of(HOLIDAY_NAMES, c.slug) for c in codes)


def year(out: Output, shown: dict) -> None:
    """`redprop holidays show YEAR`: the source, a line per holiday and make-up day, a month grid."""
    if out.fmt == Format.json:
        out.document(shown)
        return
    if out.fmt == Format.csv:
        out.listing(DAY_TABLE, shown["days"], fields=DAY_FIELDS)
        return
    source = out.labels.of(HOLIDAY_SOURCES, shown["source"])
    detail = f" ({shown['detail']})" if shown["detail"] else ""
    out.line(out._("Holidays {year}: {source}{detail}; {off} days off, {work} make-up working days", year=shown["year"],
                   source=source, detail=detail, off=shown["off_days"], work=shown["make_up_days"]))
    if shown["provisional"]:
        out.line(out._("Not imported yet: only the statutory holidays, no bridge days, no make-up working days."
                       " Import the State Council's arrangement: redprop holidays import {year}.json", year=shown["year"]))
    out.line()
    from datetime import date

    rows = []
    for d in shown["days"]:
        day = date.fromisoformat(d["date"])
        rows.append({"date": d["date"], "weekday": out._(WEEKDAY_NAMES[day.weekday()]),
                     "mark": out.labels.of(HOLIDAY_MARKS, "off" if d["off"] else "work"),
                     "name": holiday_name(out, d["name"])})
    out.table(DAY_TABLE, rows)
    out.line()
    for line in month_grid(out, shown):
        out.line(line)


def month_grid(out: Output, shown: dict) -> list[str]:
    """Twelve small months, three abreast: 休 days as `休`, make-up days as `班`, others their number."""
    from datetime import date

    marks = {date.fromisoformat(d["date"]): (HOLIDAY_MARKS.get("off" if d["off"] else "work").zh) for d in shown["days"]}
    from calendar import Calendar

    from redprop.present.cells import width

    head = " ".join(out._(w)[:2] if out.language.code == "en" else out._(w)[-1:] for w in WEEKDAY_NAMES)  # 2 columns each
    blocks = []
    for month in range(1, 13):
        title = out._("{month}/{year}", month=month, year=shown["year"])
        lines = [" " * ((20 - width(title)) // 2) + title, head]
        for week in Calendar().monthdatescalendar(shown["year"], month):
            cells = []
            for day in week:
                if day.month != month:
                    cells.append("  ")
                elif day in marks:
                    cells.append(marks[day])  # a CJK character is two columns wide
                else:
                    cells.append(f"{day.day:>2}")
            lines.append(" ".join(cells))
        blocks.append(lines)
    grid = []
    for row in range(0, 12, 3):
        trio = blocks[row:row + 3]
        height = max(len(b) for b in trio)
        for i in range(height):
            grid.append("   ".join(_pad(b[i] if i < len(b) else "", 20) for b in trio).rstrip())
        grid.append("")
    return grid[:-1]


def _pad(text: str, size: int) -> str:
    from redprop.present.cells import pad

    return pad(text, size)


def day_set(out: Output, result: dict) -> None:
    """`redprop holidays set`: the day as it now stands, and what was recomputed."""
    if out.fmt == Format.json:
        out.document(result)
        return
    mark = out.labels.of(HOLIDAY_MARKS, result["mark"]) if result["mark"] else out._("ordinary day")
    out.note(out._("{date}: {mark} {name}", date=result["date"], mark=mark, name=holiday_name(out, result["name"]) or ""))
    recomputed(out, result)


def imported(out: Output, result: dict) -> None:
    """`redprop holidays import`: the years loaded, and what was recomputed."""
    if out.fmt == Format.json:
        out.document(result)
        return
    for y in result["years"]:
        out.line(out._("{year}: {off} days off, {work} make-up working days ({file})", year=y["year"], off=y["off_days"],
                       work=y["make_up_days"], file=result["file"]))
    recomputed(out, result)


def recomputed(out: Output, result: dict) -> None:
    if result["recomputed"]:
        out.note(out._("deadlines recomputed for {count} open issues that were provisional: {ids}",
                       count=len(result["recomputed"]), ids=", ".join(f"#{i}" for i in result["recomputed"])))
