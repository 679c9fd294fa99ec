"""`redprop init` and `redprop demo`."""

import os
import shlex
from pathlib import Path
from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.present import admin as show


def register(root: typer.Typer) -> None:
    root.command("init")(init)
    root.command("demo")(demo)
    root.command("check")(check)
    root.command("backup")(backup)
    root.command("restore")(restore)
    root.command("copy")(copy)
    root.command("grant")(grant)
    root.command("revoke")(revoke)


def init(
    ctx: typer.Context,
    timezone: Annotated[str, typer.Option("--timezone", help="IANA time zone of the community.")] = "Asia/Shanghai",
    code: Annotated[Optional[str], typer.Option("--code", help="The community's 12-digit code (6-digit 行政区划, 3-digit 街道, 3-digit 社区), like 530324001001; needed in a shared database.")] = None,
):
    """Create the database for one community, or add a community to a shared database (--community NAME).
    Example: redprop --db mlsj.db init --community 美仑盛景小区 --code 530324001001"""
    from redprop.store import Server, create_store

    app = ctx.obj
    target = app.target
    community = app.community_option or ""
    if code is not None:
        from redprop.codes import check_community_code

        code = check_community_code(code)  # before anything is made
    if isinstance(target, Server):
        target = Server(target.url, None)
    create_store(target, community, timezone, code).close()  # its -wal and -shm go with it
    show.created(app.output(), target, community, timezone)


StreetOption = Annotated[bool, typer.Option("--street", help="Every community of the database, to read only (the street's roll-up).")]


def grant(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="A login of the PostgreSQL server (made with createuser).")],
    street: StreetOption = False,
):
    """Let a login of a shared database work in one community (--community CODE), or read every community and write
    none (--street). The database refuses it everything else. Example: redprop --db postgresql://admin@db/street grant wang --community 530324001001"""
    from redprop.store import access

    app = ctx.obj
    show.access_changed(app.output(), access(app.target, login, street=street, allow=True))


def revoke(
    ctx: typer.Context,
    login: Annotated[str, typer.Argument(help="A login of the PostgreSQL server.")],
    street: StreetOption = False,
):
    """Take back what grant gave a login: one community (--community CODE) or the street's reading (--street).
    Example: redprop --db postgresql://admin@db/street revoke wang --community 530324001001"""
    from redprop.store import access

    app = ctx.obj
    show.access_changed(app.output(), access(app.target, login, street=street, allow=False))


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

    app = ctx.obj
    from redprop.store import is_server

    if is_server(app.db_option):
        from redprop.errors import InvalidValue

        raise InvalidValue("the demo builds a database file; give --db a file name (or none)")
    path = Path(app.db_option) if app.db_option else Path("redprop-demo.db")
    out = app.output()
    show.demo_built(out, path, build_demo(path, data), DEMO_NOW)
    report = path.with_name(f"{path.stem}-report.html")  # last week's report, beside the database
    for args in [*SHOWN, ["report", "week", "--at", DEMO_AT, "-o", os.fspath(report)]]:
        out.line()
        out.line(f"$ redprop --db {shlex.quote(os.fspath(path))} {shlex.join(args)}")
        ctx.find_root().command.main(["--db", os.fspath(path), "--lang", app.language.code, *args], standalone_mode=False)
    show.demo_report(out, report)


def check(
    ctx: typer.Context,
    quick: Annotated[bool, typer.Option("--quick", help="SQLite's quicker check and no replay of the issues: seconds on a district's file.")] = False,
    accept_loss: Annotated[bool, typer.Option("--accept-loss", help="Entries found missing since the database was last written (a damaged -wal, an older copy put in its place) are accepted as gone: writing goes on from what it holds.")] = False,
    fmt: common.FormatOption = common.Format.table,
):
    """Check the database file: SQLite's integrity and references, the schema, and that every issue's state and every
    due-list contact agree with their records. Prints ok (exit 0) or what is wrong (exit 6). Example: redprop check"""
    from redprop.errors import ExitCode
    from redprop.reports.upkeep import check as check_file

    app = ctx.obj
    store = app.open(loss_listed=True)
    result = check_file(store, quick=quick, at=app.machine_now(), accept_loss=accept_loss)
    show.checked(app.output(fmt), result)
    if result["problems"]:
        raise typer.Exit(int(ExitCode.DATABASE))


def backup(
    ctx: typer.Context,
    target: Annotated[Optional[str], typer.Argument(help="A new file, or a folder where the copy is named by date (default: backups/ beside the database).")] = None,
    keep: Annotated[Optional[int], typer.Option("--keep", help="In a folder: keep the newest N backups of this database, remove older ones.")] = None,
):
    """A checked copy of the database while others keep working, safe to run from cron.
    Example: redprop --db /srv/redprop/mlsj.db backup /srv/redprop/backups/ --keep 30"""
    from redprop.reports.upkeep import backup as make_backup

    app = ctx.obj
    store = app.store
    show.backed_up(app.output(), make_backup(store, target, at=app.machine_now(), keep=keep))


def restore(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The backup to put in place.")],
):
    """Check a backup and put it in place of the database, keeping the current file aside.
    Example: redprop --db mlsj.db restore backups/mlsj-2026-11-30-030000.db"""
    from redprop.reports.upkeep import restore as put_back
    from redprop.store.files import checked_path

    app = ctx.obj
    path = checked_path(app.db_path)
    show.restored(app.output(), put_back(path, file, at=app.machine_now(), logged_as=(app.command_line, lambda: app.user)))


def copy(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="The database to copy the community from.")],
    target: Annotated[str, typer.Argument(help="Where to copy it: a new file, or one of the same community.")],
    replace: Annotated[bool, typer.Option("--replace", help="Put the copy in place of the data the target already holds.")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="Check both sides as check --quick does (no replay of the issues).")] = False,
    fmt: common.FormatOption = common.Format.table,
):
    """Copy one community whole — every row, the change log, the holidays — between database files and shared
    databases: into a new file or community, or in place of an older copy; both sides checked and their rows
    counted, nothing written unless all agree. --community names the community on a shared database's side.
    Example: redprop copy mlsj.db postgresql://redprop@db.example/street
    Example: redprop copy postgresql://redprop@db.example/street mlsj-2026-12-01.db --community 530324001001"""
    from redprop.reports.upkeep import copy_community
    from redprop.store import Server, target_of

    app = ctx.obj
    sides = [target_of(source, app.community), target_of(target, app.community)]
    if app.community_option and not any(isinstance(side, Server) for side in sides):
        from redprop.errors import UsageMistake

        raise UsageMistake("--community names a community of a shared database; {source} and {target} are files",
                           source=source, target=target)
    show.copied(app.output(fmt), copy_community(*sides, replace=replace, quick=quick))
