"""`redprop init` and `redprop demo`."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.present.render import message, print_text


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
    message(f"created {path} for {community or 'the community'} ({timezone})")


def demo(
    data: Annotated[Path, typer.Argument(help="The folder with the sample rosters.")] = Path("sample_data"),
):
    """Build a database from sample_data/ and show the morning report. Example: redprop demo"""
    from redprop.cli.demo import build_demo

    path = common.state.db_path or Path("redprop-demo.db")
    build_demo(path, data, print_text, message)
