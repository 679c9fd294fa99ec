"""`redprop overdue` (the morning list), `redprop stats` and `redprop report week|month`.

Kept apart from the issue commands so that the cron job loads only what it prints.
"""

from pathlib import Path
from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.cli.common import AtOption, Buildings, FormatOption, ShowSensitive
from redprop.present import reports as show
from redprop.present.output import Format

ByCommunity = Annotated[Optional[str], typer.Option("--by", help="community 社区: the street's picture, a row per community and their total, worst first (several --db files).")]

overdue_app = common.sub_app("The morning list.")  # one command each: `redprop overdue`, `redprop stats`
stats_app = common.sub_app("Statistics.")


@overdue_app.command("overdue")
def overdue(
    ctx: typer.Context,
    at: AtOption = None,
    fmt: FormatOption = Format.table,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when anything is overdue (for cron), 0 otherwise.")] = False,
    soon: Annotated[str, typer.Option("--soon", help="How far ahead 'due soon' looks (default 1h).")] = "1h",
    show_sensitive: ShowSensitive = False,
    staff: Annotated[Optional[str], typer.Option("--staff", help="Only this person's part: the issues and calls they hold, the unassigned ones where they cover, the households they are responsible for.")] = None,
    building: Buildings = None,
    by: ByCommunity = None,
):
    """The morning list: issues past a promise, issues due within the hour, households not visited.

    Grouped by who holds each issue, plain text when piped (cron mail, a WeChat paste);
    --check exits 1 when anything is overdue, 2 or more when redprop itself failed. Crontab,
    as in README: the list mailed when something is overdue, the error when redprop failed,
    no file written:

    \b
    0 8 * * * out=$(/opt/redprop/bin/redprop --db /srv/redprop/mlsj.db overdue --check 2>&1); rc=$?; [ $rc -eq 1 ] && echo "$out" | mail -s 超时清单 office@example.org; [ $rc -gt 1 ] && echo "$out" | mail -s "redprop 出错 ($rc)" office@example.org

    --by community counts the list of each community (a street's: --db A.db --db B.db …),
    most overdue first; --check then exits 1 when any community has something overdue.
    """
    from redprop.errors import ExitCode
    from redprop.reports.overdue import add_visits, anything_overdue, overdue_report, soon_window

    app = ctx.obj
    if _street(by):
        from redprop.present.street import overdue as show_street
        from redprop.reports.street import street_overdue

        if staff or building:
            from redprop.errors import UsageMistake

            raise UsageMistake("--by community counts each community whole; --staff and --building pick a part of one")
        picture = street_overdue(app.communities(), app.moment(at), soon_window(soon))
        show_street(app.output(fmt), picture)
        if check and picture["total"]["anything_overdue"]:
            raise typer.Exit(int(ExitCode.CHECK_FAILED))
        return
    store = app.store
    moment, narrowed = app.moment(at), {"show_sensitive": show_sensitive, "staff": app.staff_name(staff),
                                        "buildings": app.buildings(building)}
    report = overdue_report(store, moment, soon=soon_window(soon), visits=False, **narrowed)
    out = app.output(fmt, groups=True)
    try:
        if out.fmt == Format.table:  # drawn in order: a reader who quits the pager on the first screen spares the due list
            show.overdue_issues(out, report)
            add_visits(store, report, moment, **narrowed)
            show.overdue_visits(out, report)
        else:
            add_visits(store, report, moment, **narrowed)
            show.overdue(out, report)
    except BrokenPipeError:  # the reader left early (q in the pager, `| head`): the check still says what it found
        if not check:
            raise
        if report["visits"] is None and not anything_overdue(report):
            add_visits(store, report, moment, **narrowed)
        if not anything_overdue(report):
            raise
    if check and anything_overdue(report):
        raise typer.Exit(int(ExitCode.CHECK_FAILED))


@stats_app.command("stats")
def stats(
    ctx: typer.Context,
    from_: Annotated[Optional[str], typer.Option("--from", help="Issues reported on or after this day.")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="Issues reported on or before this day.")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Group by kind 类型, tier 等级, category 类别, channel 渠道, handler 处理人, building 楼栋, grid 网格, source 工单来源 (who dispatched a work order) or community 社区 (the street's picture: several --db files).")] = None,
    at: AtOption = None,
    fmt: FormatOption = Format.table,
):
    """How the promise was kept: problems and wishes, share of promises kept, median times, average rating; the rates of work orders from above.

    \b
    Example: redprop stats --from 2026-11-01 --to 2026-11-30 --by handler
    """
    from redprop.reports.stats import issue_stats
    from redprop.vocab import STATS_GROUPINGS

    app = ctx.obj
    by = STATS_GROUPINGS.resolve(by) if by else None
    if by == "community":
        from redprop.reports.street import street_stats

        stores = app.communities()
        first, last = app.days(from_, to)
        show.stats(app.output(fmt), street_stats(stores, app.moment(at), first, last), by)
        return
    store = app.store
    first, last = app.days(from_, to)
    show.stats(app.output(fmt, categories=by == "category"), issue_stats(store, app.moment(at), first, last, by), by)


report_app = common.sub_app("The weekly and monthly report: figures with their counts and definitions, a trend, charts.")

OutputFile = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report for people to FILE.html (one self-contained page, to open and print).")]


@report_app.command("week")
def report_week(
    ctx: typer.Context,
    week: Annotated[Optional[str], typer.Option("--week", help="Any day of the week to report (default: the last complete week, Monday to Sunday).")] = None,
    at: AtOption = None,
    fmt: FormatOption = Format.table,
    output: OutputFile = None,
    by: ByCommunity = None,
):
    """The weekly report: issues received, on time, satisfaction, follow-up calls; visit coverage; the trend of 8 weeks.

    \b
    Example: redprop report week --week 2026-11-16 -o 周报.html
    The street's: redprop report week --db A.db --db B.db --db C.db --by community
    """
    _report(ctx.obj, "week", week, at, fmt, output, by)


@report_app.command("month")
def report_month(
    ctx: typer.Context,
    month: Annotated[Optional[str], typer.Option("--month", help="The month to report, like 2026-11 (default: the last complete month).")] = None,
    at: AtOption = None,
    fmt: FormatOption = Format.table,
    output: OutputFile = None,
    by: ByCommunity = None,
):
    """The monthly report: the weekly report's figures for a month, with the trend of 8 months.

    \b
    Example: redprop report month --month 2026-11 -f json
    """
    _report(ctx.obj, "month", month, at, fmt, output, by)


def _street(by: Optional[str]) -> bool:
    """Whether `--by` asks for the street's picture (the only grouping of the report and the morning list)."""
    from redprop.vocab import STREET_GROUPINGS

    return by is not None and STREET_GROUPINGS.resolve(by) == "community"


def _report(app, kind: str, period: Optional[str], at: Optional[str], fmt: Format, output: Optional[Path],
            by: Optional[str]) -> None:
    from redprop.reports.periodic import period_report

    street = _street(by)
    if output is not None:  # the name is checked before the figures are worked out
        from redprop.present.ledgers import check_output

        check_output(output, (".html", ".htm"))
    if street:
        from redprop.present import street as show_street
        from redprop.reports.street import street_report

        stores = app.communities()
        with common.naming(f"--{kind}" if period else None):
            picture = street_report(stores, kind, app.moment(at), period)
        if output is not None:
            from redprop.present.street_html import write_html as write_street

            write_street(app.output(), picture, output)
        else:
            show_street.report(app.output(fmt), picture)
        return
    store = app.store
    with common.naming(f"--{kind}" if period else None):
        report = period_report(store, kind, app.moment(at), period)
    if output is not None:
        from redprop.present.report_html import write_html

        write_html(app.output(categories=True), report, output)
    else:
        from redprop.present.periodic import report as show_report

        show_report(app.output(fmt, categories=True), report)
