"""`redprop export open311 DIR`: the community's issues for other systems, as Open311 GeoReport v2."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.cli.common import AtOption

export_app = common.sub_app("Exports for other systems: open311 (GeoReport v2).")


@export_app.callback()
def export() -> None:
    """Exports for other systems: open311 (GeoReport v2)."""  # a group, one format so far


@export_app.command("open311")
def open311(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="The folder to write services.json, requests.json and requests/ID.json into (made if missing).")],
    from_: Annotated[Optional[str], typer.Option("--from", help="Issues reported on or after this day (default: 90 days before --to).")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="Issues reported on or before this day (default: now).")] = None,
    at: AtOption = None,
):
    """Write the issues as Open311 GeoReport v2: services (the categories) and service requests, to the building only, without residents' names, phones or rooms; issues of households in sensitive groups left out.

    \b
    Example: redprop export open311 open311/ --from 2026-12-01 --to 2026-12-31
    Serve it read-only: python -m http.server -d open311/ 8311
    """
    from datetime import timedelta

    from redprop.exchange.open311 import export_open311
    from redprop.parsing import local_day_start
    from redprop.present.admin import exported

    app = ctx.obj
    store = app.store
    moment = app.moment(at)
    first, last = app.day(from_, False, "--from"), app.day(to, False, "--to")
    common.check_range(first, last, "--from/--to")
    start = local_day_start(first, store.tz) if first else None
    end = local_day_start(last + timedelta(days=1), store.tz) if last else None
    out = app.output(categories=True)
    exported(out, export_open311(store, folder, start, end, moment, out.labels))
