"""`redprop household …` and `redprop resident …`."""

from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.cli.common import (
    AtOption, DryRun, FileArg, FormatOption, Key, MaxRows, NewGrids, Sheet, ShowSensitive, SkipInvalid, field_options, run_import,
    typed_values,
)
from redprop.exchange.limits import DEFAULT_MAX_ROWS
from redprop.households import HOUSEHOLD, RESIDENT
from redprop.present import households as show
from redprop.present.output import Format

household_app = common.sub_app("Households (户): add, edit, show, list, move out, import.")
residents_app = common.sub_app("Residents of a household: add, edit, list, import.")

# Options that are a field's without being the field's value: a move-out's note, a listing's grid point
Note = Annotated[Optional[str], typer.Option("--note", help=HOUSEHOLD["note"].option.help)]
Grid = Annotated[Optional[str], typer.Option("--grid", help=HOUSEHOLD["grid"].option.help)]


@household_app.command("add")
@field_options(HOUSEHOLD.options())
def add(ctx: typer.Context, key: Key, values: dict, fmt: FormatOption = Format.table):
    """Add a household. Example: redprop household add 8-2-301 --head 熊秀英 --phone 0874-8123456 --grid G18"""
    from redprop.households import add_household

    app = ctx.obj
    row = add_household(app.store, key, typed_values(HOUSEHOLD.options(), values, app.now().date()), app.now())
    show.household(app.output(fmt), row)


@household_app.command("edit")
@field_options(HOUSEHOLD.options(), clear=HOUSEHOLD)
def edit(ctx: typer.Context, key: Key, values: dict, clear: Optional[list[str]] = None, fmt: FormatOption = Format.table):
    """Change a household's details, or --clear one. Example: redprop household edit 8-2-301 --phone 13987400001 --clear note"""
    from redprop.households import edit_household
    from redprop.parsing import cleared_columns

    app = ctx.obj
    row = edit_household(app.store, key, typed_values(HOUSEHOLD.options(), values, app.now().date()), app.now(),
                         tuple(cleared_columns(clear, HOUSEHOLD.clearable())))
    show.household(app.output(fmt), row)


@household_app.command("move-out")
def move_out(ctx: typer.Context, key: Key,
             on: Annotated[Optional[str], typer.Option("--on", help="Date moved out (default today).")] = None,
             note: Note = None, fmt: FormatOption = Format.table):
    """Record that a household moved out. Its record and history are kept. Example: redprop household move-out 8-2-301 --on 2026-11-01"""
    from redprop.households import move_out as move_household_out

    app = ctx.obj
    store = app.store
    row = move_household_out(store, key, app.day(on, option="--on"), app.now(), note)
    show.household(app.output(fmt), row)


@household_app.command("show")
def show_(ctx: typer.Context, key: Key, at: AtOption = None, show_sensitive: ShowSensitive = False, fmt: FormatOption = Format.table):
    """A household with its residents (and, where recorded, its focus groups and visits). Example: redprop household show 8-2-301"""
    from redprop.reports.household import household_details

    app = ctx.obj
    store = app.store
    details = household_details(store, key, app.moment(at), show_sensitive)
    show.household_details(app.output(fmt, groups=True, categories=True), details)


@household_app.command("history")
def history(ctx: typer.Context, key: Key, show_sensitive: ShowSensitive = False, fmt: FormatOption = Format.table):
    """Everything that happened at an address: every family that lived there, its people, focus groups, visits, issues and the log, in one timeline. Example: redprop household history 8-2-301"""
    from redprop.reports.household import household_history

    app = ctx.obj
    store = app.store
    show.household_history(app.output(fmt, groups=True), household_history(store, key, app.now(), show_sensitive))


@household_app.command("list")
def list_(
    ctx: typer.Context,
    building: Annotated[Optional[str], typer.Option("--building", "-b", help="Only this building (3, 3栋).")] = None,
    unit: Annotated[Optional[str], typer.Option("--unit", "-u", help="Only this unit.")] = None,
    grid: Grid = None,
    search: Annotated[Optional[str], typer.Option("--search", "-s", help="Text in a name (head or resident), phone or note.")] = None,
    at: AtOption = None,
    all_: Annotated[bool, typer.Option("--all", help="Include households that moved out.")] = False,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="At most this many rows (without a filter a table shows the first 50).")] = None,
    every: Annotated[bool, typer.Option("--every", help="Without a filter, every household, not the first 50.")] = False,
    fmt: FormatOption = Format.table,
):
    """Households living here (as of --at), in address order. Example: redprop household list --building 8 --search 熊"""
    from redprop.households import list_households
    from redprop.parsing import clean_building, clean_unit
    from redprop.staff import known_grid

    from redprop.present.output import Page, page_size

    app = ctx.obj
    store = app.store
    wanted = dict(
        building=clean_building(building) if building else None,
        unit=clean_unit(unit) if unit is not None else None,
        grid=known_grid(store, grid) if grid else None,
        search=search,
        on=app.moment(at).date() if at else None,
        include_moved_out=all_,
    )
    filtered = any(v is not None for k, v in wanted.items() if k not in ("include_moved_out", "on"))
    size = limit if filtered else page_size(fmt, limit, every)  # with a filter, every match
    show.households(app.output(fmt), list_households(store, **wanted, limit=size),
                    Page(size, lambda: list_households(store, **wanted, count=True), "--every"))


@household_app.command("import")
def import_(ctx: typer.Context, file: FileArg, dry_run: DryRun = False, skip_invalid: SkipInvalid = False, sheet: Sheet = None, max_rows: MaxRows = DEFAULT_MAX_ROWS,
            new_grids: NewGrids = False, fmt: FormatOption = Format.table):
    """Load the households roster (楼栋, 单元, 门牌号, 户主, 电话, 网格, 人口, 入住日期, 备注). Example: redprop household import sample_data/households.csv"""
    from redprop.exchange.rosters import import_households

    app = ctx.obj
    run_import(app, import_households, file, dry_run, skip_invalid, sheet, fmt, max_rows, new_grids=new_grids)


Name = Annotated[str, typer.Argument(help="The resident's name.")]
ON_ARRIVAL = [f for f in RESIDENT.options() if f.name != "moved_out_on"]  # moving out is an edit


@residents_app.command("add")
@field_options(ON_ARRIVAL)
def resident_add(ctx: typer.Context, key: Key, name: Name, values: dict, fmt: FormatOption = Format.table):
    """Add a person living in a household. Example: redprop resident add 8-2-301 熊秀英 --relation 户主 --birth-year 1944"""
    from redprop.households import add_resident

    app = ctx.obj
    row = add_resident(app.store, key, name, typed_values(ON_ARRIVAL, values, app.now().date()), app.now())
    show.resident(app.output(fmt), row)


@residents_app.command("edit")
@field_options(RESIDENT.options(), clear=RESIDENT)
def resident_edit(ctx: typer.Context, key: Key, name: Name,
                  new_name: Annotated[Optional[str], typer.Option("--name", help="Correct the name.")] = None,
                  values: dict = None, clear: Optional[list[str]] = None, fmt: FormatOption = Format.table):
    """Change a resident's details, or --clear one. Example: redprop resident edit 8-2-301 熊秀英 --phone 0874-8123456"""
    from redprop.households import edit_resident
    from redprop.parsing import cleared_columns

    app = ctx.obj
    values = typed_values(RESIDENT.options(), values, app.now().date())
    values["name"] = new_name.strip() if new_name else None
    row = edit_resident(app.store, key, name, values, app.now(), tuple(cleared_columns(clear, RESIDENT.clearable())))
    show.resident(app.output(fmt), row)


@residents_app.command("list")
def resident_list(ctx: typer.Context, key: Annotated[Optional[str], typer.Argument(help="Only this household.")] = None,
                  search: Annotated[Optional[str], typer.Option("--search", "-s", help="Text in a name or phone.")] = None,
                  all_: Annotated[bool, typer.Option("--all", help="Include people who moved out.")] = False,
                  fmt: FormatOption = Format.table):
    """Residents, by household. Example: redprop resident list 8-2-301"""
    from redprop.households import list_residents

    app = ctx.obj
    store = app.store
    show.residents(app.output(fmt), list_residents(store, key, search, all_))


@residents_app.command("import")
def resident_import(ctx: typer.Context, file: FileArg, dry_run: DryRun = False, skip_invalid: SkipInvalid = False, sheet: Sheet = None, max_rows: MaxRows = DEFAULT_MAX_ROWS,
                    fmt: FormatOption = Format.table):
    """Load residents (楼栋, 单元, 门牌号 or 户号, 姓名, 与户主关系, 出生年份, 电话). Example: redprop resident import sample_data/residents.csv"""
    from redprop.exchange.rosters import import_residents

    app = ctx.obj
    run_import(app, import_residents, file, dry_run, skip_invalid, sheet, fmt, max_rows)
