"""`redprop init` and `redprop demo`."""

import os
import shlex
from pathlib import Path
from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.present import admin as show


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("demo")(demo)


def init(
    community: Annotated[str, typer.Option("--community", help="The community's name, e.g. 美仑盛景小区.")] = "",
    timezone: Annotated[str, typer.Option("--timezone", help="IANA time zone of the community.")] = "Asia/Shanghai",
):
    """Create the database for one community. Example: redprop --db mlsj.db init --community 美仑盛景小区"""
    from redprop.store import create_store, default_db_path

    path = common.state.db_path or default_db_path()
    create_store(path, community, timezone)
    show.created(common.output(), path, community, timezone)


DEMO_AT = "2026-11-24 08:00"
SHOWN = [  # what the demo prints, as the commands a worker would type
    ["household", "show", "8-2-301", "--at", "2026-11-24 08:00"],
    ["visit", "due", "--at", "2026-11-24 08:00"],
    ["overdue", "--at", "2026-11-24 08:00"],  # the morning list: the product's main job, last
]


def demo(
    ctx: typer.Context,
    data: Annotated[Optional[Path], typer.Argument(help="A folder of rosters to use instead of the sample community's.")] = None,
):
    """Build a database from the sample community (美仑盛景小区), show the morning report and write last week's report beside it. Example: redprop demo"""
    from redprop.exchange.demo import DEMO_NOW, build_demo

    path = common.state.db_path or Path("redprop-demo.db")
    out = common.output()
    show.demo_built(out, path, build_demo(path, data), DEMO_NOW)
    for args in SHOWN:
        out.line()
        out.line(f"$ redprop --db {shlex.quote(os.fspath(path))} {shlex.join(args)}")
        ctx.find_root().command.main(["--db", os.fspath(path), *args], standalone_mode=False)
    report = path.with_name(f"{path.stem}-report.html")  # last week's report, beside the database
    args = ["report", "week", "--at", DEMO_AT, "-o", os.fspath(report)]
    out.line()
    out.line(f"$ redprop --db {shlex.quote(os.fspath(path))} {shlex.join(args)}")
    ctx.find_root().command.main(["--db", os.fspath(path), *args], standalone_mode=False)
    show.demo_report(out, report)
