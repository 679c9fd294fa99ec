"""`redprop ledger KIND -o FILE`: the ledgers (台账) an office hands on, as Excel or CSV files."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.cli.common import AtOption, ShowSensitive

ledger_app = common.sub_app("Ledgers (台账).")  # one command: `redprop ledger`

OutputFile = Annotated[Path, typer.Option("--output", "-o", help="The file to write: FILE.xlsx (Excel, the office layout) or FILE.csv (for Excel: UTF-8 with BOM).")]


@ledger_app.command("ledger")
def ledger(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="households 住户台账, focus 重点人群台账, visits 走访台账, problems 问题清单, wishes 需求清单, orders 工单台账.")],
    output: OutputFile,
    from_: Annotated[Optional[str], typer.Option("--from", help="First day of the period (default: the first of the month of --to).")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="Last day of the period (default: today, or the day of --at).")] = None,
    grid: Annotated[Optional[str], typer.Option("--grid", help="Only this grid point.")] = None,
    building: Annotated[Optional[str], typer.Option("--building", "-b", help="Only these buildings: 3, 3栋, or several: 5,8.")] = None,
    staff: Annotated[Optional[str], typer.Option("--staff", help="Only this person's part: the households and members in the areas they cover, the visits they made, the issues they hold.")] = None,
    show_sensitive: ShowSensitive = False,
    at: AtOption = None,
):
    """Write a ledger (台账) for a period as an Excel workbook or CSV: title, 填报单位 / 统计期间 / 填报日期, 序号, 填表人 / 审核人.

    The household ledger is the roster on the last day of the period and re-imports with
    `household import` unchanged; visits, problems and wishes are those of the period, oldest
    first, each issue as things stood at --at (default now); orders (工单台账) the work orders from above
    dispatched in the period, the reply sheet the platforms want back.

    \b
    Example: redprop ledger problems --from 2026-11-01 --to 2026-11-30 -o 问题清单-2026-11.xlsx
    Example: redprop ledger 住户台账 --building 5,8 -o 住户台账.xlsx
    Example: redprop ledger visits --staff 杜丽娟 -o 走访台账.xlsx
    Example: redprop ledger orders --from 2026-12-01 --to 2026-12-31 -o 工单台账-2026-12.xlsx
    """
    from redprop.present.ledgers import check_output, ledger_file
    from redprop.reports.ledgers import ledger as make_ledger
    from redprop.staff import known_grid
    from redprop.vocab import LEDGER_KINDS

    app = ctx.obj
    store = app.store
    slug = LEDGER_KINDS.resolve(kind)
    check_output(output)
    moment = app.moment(at)
    local_day = moment.astimezone(store.tz).date()
    first = app.day(from_, False, "--from")
    last = app.day(to, False, "--to", after=first) or local_day
    first = first or last.replace(day=1)
    common.check_range(first, last, "--from/--to")
    result = make_ledger(store, slug, first=first, last=last, at=moment,
                         grid=known_grid(store, grid) if grid else None, buildings=app.buildings(building),
                         staff=app.staff_name(staff), show_sensitive=show_sensitive)
    ledger_file(app.output(groups=True, categories=True), result, output, app.now().date())
