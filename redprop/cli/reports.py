"""`redprop overdue` (the morning list) and `redprop stats`.

Kept apart from the issue commands so that the cron job loads only what it prints.
"""

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
    by: Annotated[Optional[str], typer.Option("--by", help="Group by tier, category, channel, handler, building or grid.")] = None,
    at: AtOption = None,
    fmt: FormatOption = Format.table,
):
    """How the promise was kept: problems and wishes, share of promises kept, median times, average rating.

    \b
    Example: redprop stats --from 2026-11-01 --to 2026-11-30 --by handler
    """
    from redprop.reports.stats import issue_stats

    store = common.open_db()
    first, last = common.day(store, from_, False, "--from"), common.day(store, to, False, "--to")
    common.check_range(first, last, "--from/--to")
    show.stats(common.output(fmt), issue_stats(store, common.moment(store, at), first, last, by), by)
