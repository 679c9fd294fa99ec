"""`redprop today`: one person's day — whom to see, what they hold, whom to call back."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.cli.common import AtOption, Buildings, FormatOption, ShowSensitive
from redprop.present.output import Format

today_app = common.sub_app("One person's day.")


@today_app.command("today")
def today(
    ctx: typer.Context,
    staff: Annotated[Optional[str], typer.Option("--staff", help="Whose day (default: you, `redprop config set me`).")] = None,
    building: Buildings = None,
    at: AtOption = None,
    show_sensitive: ShowSensitive = False,
    fmt: FormatOption = Format.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the day to FILE.html: one A4 page to print, with a box to tick for each household.")] = None,
):
    """Your day: the households you must see today (due by tonight or overdue, worst first), the issues you hold with their next deadline, your late follow-up calls.

    \b
    Example: redprop today
    Example: redprop today --staff 杜丽娟 --building 5,8 -o 今天.html
    """
    from redprop.reports.today import my_day

    app = ctx.obj
    if output is not None:  # the name is checked before anything is worked out
        from redprop.present.ledgers import check_output

        check_output(output, (".html", ".htm"))
    person = app.doer(staff, required=True, option="--staff")
    day = my_day(app.store, app.moment(at), person, buildings=app.buildings(building), show_sensitive=show_sensitive)
    if output is not None:
        from redprop.present.today import write_page

        write_page(app.output(groups=True, categories=True), day, output)
        return
    from redprop.present.today import today as show

    show(app.output(fmt, groups=True, categories=True), day)
