"""`redprop community show|edit`: the community this database keeps, and its code."""

from typing import Annotated

import typer

from redprop.cli import common
from redprop.cli.common import FormatOption
from redprop.present.output import Format

community_app = common.sub_app("The community this database keeps: its name, time zone and 12-digit code.")


@community_app.command("show")
def show(ctx: typer.Context, fmt: FormatOption = Format.table):
    """The community's name, time zone and code. Example: redprop community show"""
    from redprop.codes import show_community
    from redprop.present.admin import community

    app = ctx.obj
    community(app.output(fmt), show_community(app.store))


@community_app.command("edit")
def edit(
    ctx: typer.Context,
    code: Annotated[str, typer.Option("--code", help="The community's 12-digit code: 6-digit 行政区划, 3-digit 街道, 3-digit 社区, like 530324001001.")],
    fmt: FormatOption = Format.table,
):
    """Set the community's 12-digit code, the one the street's platforms know it by. Example: redprop community edit --code 530324001001"""
    from redprop.codes import set_community_code
    from redprop.present.admin import community

    app = ctx.obj
    community(app.output(fmt), set_community_code(app.store, code))
