"""`redprop staff …` and `redprop grid …`."""

from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.cli.common import DryRun, FileArg, FormatOption, MaxRows, NewGrids, Sheet, SkipInvalid, clear_option, run_import
from redprop.exchange.limits import DEFAULT_MAX_ROWS
from redprop.present import households as show
from redprop.present.output import Format
from redprop.staff import STAFF

staff_app = common.sub_app("Staff (一长三员) and the areas they cover.")
grid_app = common.sub_app("Grid points (网格).")


@staff_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The staff member's name.")],
    role: Annotated[Optional[str], typer.Option("--role", help="building_leader 楼栋长, grid_worker 网格员, community_worker 社区工作者, mediator 治安调解员, cleaner 清扫保洁员, property_staff 物业人员, volunteer 党员志愿者.")] = None,
    phone: Annotated[Optional[str], typer.Option("--phone", help="Phone number.")] = None,
    covers: Annotated[Optional[str], typer.Option("--covers", help="Buildings and grid points covered, e.g. 3,5,G07.")] = None,
    active: Annotated[Optional[bool], typer.Option("--active/--inactive", help="--inactive: left the post; kept on record, responsible for nothing.")] = None,
    clear: clear_option(STAFF) = None,
    allow_duplicate: Annotated[bool, typer.Option("--allow-duplicate", help="Keep a phone number already on record for someone else.")] = False,
    fmt: FormatOption = Format.table,
):
    """Add a staff member, or update one with the same name. Example: redprop staff add 李建国 --role 楼栋长 --covers 8"""
    from redprop.parsing import clean_phone, cleared_columns, split_list
    from redprop.staff import clean_areas, save_staff
    from redprop.vocab import ROLES

    app = ctx.obj
    store = app.store
    row, _ = save_staff(
        store, name, ROLES.resolve(role) if role else None, clean_phone(phone),
        clean_areas(split_list(covers)) if covers is not None else None, app.now(), active,
        tuple(cleared_columns(clear, STAFF.clearable())), allow_duplicate=allow_duplicate,
    )
    show.staff_member(app.output(fmt), row)


@staff_app.command("leave")
def leave(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The staff member who leaves.")],
    hand_to: Annotated[str, typer.Option("--hand-to", help="Who takes over their unfinished issues.")],
    on: Annotated[Optional[str], typer.Option("--on", help="The day they left (default today).")] = None,
    fmt: FormatOption = Format.table,
):
    """Someone leaves their post: kept on record, inactive, their unfinished issues handed over. Example: redprop staff leave 刘磊 --hand-to 郭涛"""
    from redprop.issues.commands import hand_over
    from redprop.parsing import local_day_start

    app = ctx.obj
    store = app.store
    day = app.day(on, option="--on")
    moment = min(local_day_start(day, store.tz), app.now()) if on else app.now()
    show.handed_over(app.output(fmt), hand_over(store, name, hand_to, on=moment, now=app.now()))


@staff_app.command("list")
def list_(
    ctx: typer.Context,
    role: Annotated[Optional[str], typer.Option("--role", help="Only this role.")] = None,
    area: Annotated[Optional[str], typer.Option("--covers", help="Only staff covering this building or grid point.")] = None,
    fmt: FormatOption = Format.table,
):
    """Staff and what they cover. Example: redprop staff list --role 网格员"""
    from redprop.staff import list_staff
    from redprop.vocab import ROLES

    app = ctx.obj
    store = app.store
    show.staff_list(app.output(fmt), list_staff(store, ROLES.resolve(role) if role else None, area))


@staff_app.command("import")
def import_(ctx: typer.Context, file: FileArg, dry_run: DryRun = False, skip_invalid: SkipInvalid = False, sheet: Sheet = None, max_rows: MaxRows = DEFAULT_MAX_ROWS,
            new_grids: NewGrids = False,
            allow_duplicate: Annotated[bool, typer.Option("--allow-duplicate", help="Keep phone numbers already on record for someone else.")] = False,
            fmt: FormatOption = Format.table):
    """Load staff (姓名, 角色, 电话, 负责区域). Example: redprop staff import sample_data/staff.csv"""
    from redprop.exchange.rosters import import_staff

    app = ctx.obj
    run_import(app, import_staff, file, dry_run, skip_invalid, sheet, fmt, max_rows, new_grids=new_grids,
               allow_duplicate=allow_duplicate)


@grid_app.command("add")
def grid_add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Grid point code, e.g. G07.")],
    name: Annotated[Optional[str], typer.Option("--name", help="A name people know it by, e.g. 8栋2单元.")] = None,
    building: Annotated[Optional[str], typer.Option("--building", help="The building it lies in.")] = None,
    fmt: FormatOption = Format.table,
):
    """Add (or rename) a grid point. Example: redprop grid add G18 --name 8栋2单元 --building 8"""
    from redprop.staff import add_grid

    app = ctx.obj
    store = app.store
    show.grid(app.output(fmt), add_grid(store, code, name, building, app.now()))


@grid_app.command("edit")
def grid_edit(
    ctx: typer.Context,
    grid: Annotated[str, typer.Argument(help="Grid point, e.g. G18.")],
    code: Annotated[str, typer.Option("--code", help="Its 15-digit code (the community's 12 digits and 3 for the grid point), like 530324001001018.")],
    fmt: FormatOption = Format.table,
):
    """Give a grid point its 15-digit code, the one the street's platforms know it by. Example: redprop grid edit G18 --code 530324001001018"""
    from redprop.codes import set_grid_code
    from redprop.parsing import clean_grid
    from redprop.staff import list_grids

    app = ctx.obj
    store = app.store
    set_grid_code(store, grid, code, app.now())
    show.grid(app.output(fmt), next(g for g in list_grids(store) if g["code"] == clean_grid(grid)))


@grid_app.command("list")
def grid_list(ctx: typer.Context, fmt: FormatOption = Format.table):
    """Grid points with their households and staff. Example: redprop grid list"""
    from redprop.staff import list_grids

    app = ctx.obj
    show.grids(app.output(fmt), list_grids(app.store))


@grid_app.command("import")
def grid_import(ctx: typer.Context, file: FileArg, dry_run: DryRun = False, skip_invalid: SkipInvalid = False, sheet: Sheet = None, max_rows: MaxRows = DEFAULT_MAX_ROWS,
                fmt: FormatOption = Format.table):
    """Load grid points (网格, 名称, 楼栋). Example: redprop grid import sample_data/grids.csv"""
    from redprop.exchange.rosters import import_grids

    app = ctx.obj
    run_import(app, import_grids, file, dry_run, skip_invalid, sheet, fmt, max_rows)
