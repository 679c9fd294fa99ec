"""`redprop overdue` (the morning list), `redprop stats` and `redprop report week|month`.

Kept apart from the issue commands so that the cron job loads only what it prints.
"""

from pathlib import Path
from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.cli.common import AtOption, FormatOption, ShowSensitive
from redprop.present import reports as show
from redprop.present.output import Format

overdue_app = common.sub_app("The morning list.")  # one command each: `redprop overdue`, `redprop stats`
stats_app = common.sub_app("Statistics.")


@overdue_app.command("overdue")
def overdue(
    at: AtOption = None,
    fmt: FormatOption = Format.table,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when anything is overdue (for cron), 0 otherwise.")] = False,
    soon: Annotated[str, typer.Option("--soon", help="How far ahead 'due soon' looks (default 1h).")] = "1h",
    show_sensitive: ShowSensitive = False,
):
    """The morning list: issues past a promise, issues due within the hour, households not visited.

    Grouped by who holds each issue, plain text when piped (cron mail, a WeChat paste);
    --check exits 1 when anything is overdue. Crontab, mailing only when something is:

    \b
    0 8 * * * /opt/redprop/bin/redprop --db /srv/mlsj.db overdue --check > /tmp/overdue.txt; [ $? -eq 1 ] && mail -s 超时清单 office@example.org < /tmp/overdue.txt
    """
    from redprop.errors import ExitCode
    from redprop.reports.overdue import anything_overdue, overdue_report, soon_window

    store = common.open_db()
    report = overdue_report(store, common.moment(store, at), soon=soon_window(soon), show_sensitive=show_sensitive)
    show.overdue(common.output(fmt), report)
    if check and anything_overdue(report):
        raise typer.Exit(int(ExitCode.CHECK_FAILED))


@stats_app.command("stats")
def stats(
    from_: Annotated[Optional[str], typer.Option("--from", help="Issues reported on or after this day.")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="Issues reported on or before this day.")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="Group by kind 类型, tier 等级, category 类别, channel 渠道, handler 处理人, building 楼栋, grid 网格 or source 工单来源 (who dispatched a work order).")] = None,
    at: AtOption = None,
    fmt: FormatOption = Format.table,
):
    """How the promise was kept: problems and wishes, share of promises kept, median times, average rating; the rates of work orders from above.

    \b
    Example: redprop stats --from 2026-11-01 --to 2026-11-30 --by handler
    """
    from redprop.reports.stats import issue_stats
    from redprop.vocab import STATS_GROUPINGS

    store = common.open_db()
    first, last = common.day(store, from_, False, "--from"), common.day(store, to, False, "--to")
    common.check_range(first, last, "--from/--to")
    by = STATS_GROUPINGS.resolve(by) if by else None
    show.stats(common.output(fmt), issue_stats(store, common.moment(store, at), first, last, by), by)


report_app = common.sub_app("The weekly and monthly report: figures with their counts and definitions, a trend, charts.")

OutputFile = Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report for people to FILE.html (one self-contained page, to open and print).")]


@report_app.command("week")
def report_week(
    week: Annotated[Optional[str], typer.Option("--week", help="Any day of the week to report (default: the last complete week, Monday to Sunday).")] = None,
    at: AtOption = None,
    fmt: FormatOption = Format.table,
    output: OutputFile = None,
):
    """The weekly report: issues received, on time, satisfaction, follow-up calls; visit coverage; the trend of 8 weeks.

    \b
    Example: redprop report week --week 2026-11-16 -o 周报.html
    """
    _report("week", week, at, fmt, output)


@report_app.command("month")
def report_month(
    month: Annotated[Optional[str], typer.Option("--month", help="The month to report, like 2026-11 (default: the last complete month).")] = None,
    at: AtOption = None,
    fmt: FormatOption = Format.table,
    output: OutputFile = None,
):
    """The monthly report: the weekly report's figures for a month, with the trend of 8 months.

    \b
    Example: redprop report month --month 2026-11 -f json
    """
    _report("month", month, at, fmt, output)


def _report(kind: str, period: Optional[str], at: Optional[str], fmt: Format, output: Optional[Path]) -> None:
    from redprop.reports.periodic import period_report

    if output is not None:  # the name is checked before the figures are worked out
        from redprop.present.ledgers import check_output

        check_output(output, (".html", ".htm"))
    store = common.open_db()
    with common.naming(f"--{kind}" if period else None):
        report = period_report(store, kind, common.moment(store, at), period)
    if output is not None:
        from redprop.present.report_html import write_html

        write_html(common.output(fmt), report, output)
    else:
        from redprop.present.periodic import report as show_report

        show_report(common.output(fmt), report)
