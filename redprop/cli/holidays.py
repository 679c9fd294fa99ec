"""`redprop holidays …`: the public-holiday calendar that working hours count by."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.cli.common import FormatOption
from redprop.present import holidays as show
from redprop.present.output import Format

holidays_app = common.sub_app("China's public holidays and 调休 make-up days (the calendar working hours count by): show, import, set.")


@holidays_app.command("show")
def holidays_show(ctx: typer.Context, year: Annotated[Optional[int], typer.Argument(help="The year, like 2027 (default: this year).")] = None,
                  fmt: FormatOption = Format.table):
    """Every holiday and make-up working day of a year, where the year's data came from, and a month grid.

    \b
    Example: redprop holidays show 2027
    """
    from redprop.policy.holidays import show_year

    app = ctx.obj
    store = app.store
    show.year(app.output(fmt), show_year(store, year or app.now().year))


@holidays_app.command("import")
def holidays_import(ctx: typer.Context, file: Annotated[Path, typer.Argument(help="NateScarlet/holiday-cn's {year}.json, or a CSV date,休|班[,name].")],
                    fmt: FormatOption = Format.table):
    """Load the State Council's arrangement for a year (replaces that year's days); open issues'
    provisional deadlines are counted again.

    \b
    Example: redprop holidays import 2027.json
    """
    from redprop.exchange.holidays import import_holidays

    app = ctx.obj
    store = app.store
    show.imported(app.output(fmt), import_holidays(store, file, app.now()))


@holidays_app.command("set")
def holidays_set(ctx: typer.Context, day: Annotated[str, typer.Argument(help="The date, like 2027-02-04.")],
                 mark: Annotated[str, typer.Argument(help="休 (a day off), 班 (a make-up working day), or none (an ordinary day again).")],
                 name: Annotated[Optional[str], typer.Option("--name", help="The holiday, like 春节.")] = None,
                 fmt: FormatOption = Format.table):
    """Type one day of the notice by hand; a year not loaded yet starts from its statutory holidays.

    \b
    Example: redprop holidays set 2027-02-04 休 --name 春节 ; redprop holidays set 2027-02-20 班 --name 春节
    """
    from redprop.issues.calendar import set_holiday
    from redprop.policy.holidays import parse_day_mark

    app = ctx.obj
    store = app.store
    when, off = app.day(day, option="DATE", ahead=True), parse_day_mark(mark)
    show.day_set(app.output(fmt), set_holiday(store, when, off, name, app.now()))
