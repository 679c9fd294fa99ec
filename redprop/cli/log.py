"""`redprop log` (who changed what, when) and `redprop undo`."""

from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.cli.common import FormatOption, ShowSensitive
from redprop.present import log as show
from redprop.present.output import Format

log_app = common.sub_app("The change log.")
undo_app = common.sub_app("Undo.")


@log_app.command("log")
def log(
    ctx: typer.Context,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="At most this many entries, newest first (a table shows the newest 50 by default).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every entry, not the newest 50.")] = False,
    household: Annotated[Optional[str], typer.Option("--household", help="Only entries touching this address (every family that lived there).")] = None,
    issue: Annotated[Optional[str], typer.Option("--issue", help="Only entries touching this issue.")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="Only entries typed in since this time.")] = None,
    show_sensitive: ShowSensitive = False,
    fmt: FormatOption = Format.table,
):
    """Every command that changed the database: when, who (REDPROP_USER, else the login name), the command line and what it changed. Example: redprop log --household 8-2-301"""
    from redprop.households import households_at
    from redprop.issues.records import parse_issue_id
    from redprop.present.output import Page, page_size
    from redprop.store.log import list_entries

    app = ctx.obj
    store = app.store
    wanted = dict(household_ids=households_at(store, household) if household else None,
                  issue_id=parse_issue_id(issue) if issue else None,
                  since=app.moment(since, "--since") if since else None, show_private=show_sensitive)
    size = page_size(fmt, limit, all_)
    show.entries(app.output(fmt), list_entries(store, limit=size, **wanted),
                 Page(size, lambda: list_entries(store, count=True, **wanted)))


@undo_app.command("undo")
def undo(
    ctx: typer.Context,
    entry: Annotated[Optional[int], typer.Argument(help="The log entry to reverse (default: the last one not undone).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be reversed, write nothing.")] = False,
    show_sensitive: ShowSensitive = False,
    fmt: FormatOption = Format.table,
):
    """Reverse one entry of the change log exactly; refused when a later entry built on it. Example: redprop undo --dry-run"""
    from redprop.store.log import undo_or_preview

    app = ctx.obj
    store = app.store
    show.undone(app.output(fmt), undo_or_preview(store, entry, dry_run, show_private=show_sensitive))
