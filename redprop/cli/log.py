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
    """Every command that changed the database: when, who (`me`, else the login name), the command line and what it changed. Example: redprop log --household 8-2-301"""
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
                 Page(size, lambda: list_entries(store, count=True, **wanted)), tz=store.tz)


@undo_app.command("undo")
def undo(
    ctx: typer.Context,
    entry: Annotated[Optional[int], typer.Argument(help="The log entry to reverse (default: your own newest entry not undone).")] = None,
    visit: Annotated[Optional[int], typer.Option("--visit", help="Take back the newest entry that changed this visit (its number in `visit list`).")] = None,
    issue: Annotated[Optional[str], typer.Option("--issue", help="Take back the newest entry that changed this issue (37 or #37).")] = None,
    anyone: Annotated[bool, typer.Option("--anyone", help="Take back another person's entry too (the newest of anybody's, without ENTRY).")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask first (on a terminal, undo shows what it will take back and asks).")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be reversed, write nothing.")] = False,
    show_sensitive: ShowSensitive = False,
    fmt: FormatOption = Format.table,
):
    """Reverse one entry of the change log exactly: your own newest, ENTRY, or the newest that changed a visit or an issue; refused when a later entry built on it.

    On a terminal it shows what it will take back and asks (--yes does not ask); in a script
    it goes ahead. Another person's entry needs --anyone.

    \b
    Example: redprop undo --visit 674
    Example: redprop undo 812 --anyone --dry-run
    """
    from redprop.errors import InvalidValue, N_
    from redprop.issues.records import parse_issue_id
    from redprop.store.log import undo_or_preview, undo_target

    app = ctx.obj
    store = app.store
    if sum(x is not None for x in (entry, visit, issue)) > 1:
        raise InvalidValue("say one thing to undo: ENTRY, --visit N or --issue N")
    about = ("visit_id", visit, N_("visit")) if visit is not None else (
        ("issue_id", parse_issue_id(issue), N_("issue")) if issue is not None else None)
    target = undo_target(store, user=app.user, entry_id=entry, anyone=anyone, about=about, show_private=show_sensitive)
    out = app.output(fmt)
    if app.interactive and not (yes or dry_run) and not app.confirm(show.undo_question(out, target, store.tz)):
        out.note(out._("nothing undone"))
        return
    show.undone(out, undo_or_preview(store, target["id"], dry_run, show_private=show_sensitive), target)
