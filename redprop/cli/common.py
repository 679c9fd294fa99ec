"""What every command shares: the open store, the clock, the output, and common options.

The root callback fills `state` from --db; commands ask `open_db()` for the store and
`output(fmt)` for where their data goes. This is the only module of the CLI that reads the clock.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Optional

import typer

from redprop.errors import InvalidValue
from redprop.present.output import Format, Output


@dataclass
class State:
    db_path: Optional[Path] = None
    store: object = None


state = State()


def open_db():
    """The community's database, opened and migrated once per command, its writes logged as this
    command's entry in the change log (who typed what, when)."""
    if state.store is None:
        from redprop.store import default_db_path, open_store
        from redprop.store.log import user_name

        state.store = open_store(state.db_path or default_db_path())
        state.store.log_as(command_line(), user_name, now(state.store))
    return state.store


def command_line() -> str:
    """The command as typed (the root group keeps it before Click reads it)."""
    from redprop.cli.help import click

    context = click.globals.get_current_context(silent=True)
    return context.find_root().meta.get("redprop.command", "redprop") if context else "redprop"


def output(fmt: Format = Format.table, store=None) -> Output:
    """Where this command's data goes, in the format asked for (labels read from `store`)."""
    return Output(fmt, store if store is not None else state.store)


def now(store) -> datetime:
    return datetime.now(store.tz)


def machine_now() -> datetime:
    """Now on this computer's clock, in its own zone: what names files (cron runs by it)."""
    return datetime.now().astimezone()


@contextmanager
def naming(option: Optional[str]):
    """Re-raise a bad value's error with the option it came from: `--until: '2026-02-30' is not…`."""
    try:
        yield
    except InvalidValue as error:
        if option:
            raise InvalidValue("{option}: {reason}", option=option, reason=error.message) from None
        raise


def moment(store, at: Optional[str], option: str = "--at", bare_date: str = "start", ahead: bool = False) -> datetime:
    """`--at` as typed, or now. A moment in the future is allowed only for listings. A day
    without a time is its first instant (`bare_date`: see parsing.parse_instant); `ahead` reads
    周五 or 12月4日 as the next one (a planned day), not the most recent."""
    if not at:
        return now(store)
    from redprop.parsing import parse_instant

    with naming(option):
        return parse_instant(at, now=now(store), tz=store.tz, bare_date=bare_date, ahead=ahead)


def end_moment(store, text: Optional[str], option: str) -> Optional[datetime]:
    """The end of a range as typed: a plain date means the whole of that day."""
    if not text:
        return None
    from redprop.parsing import local_day_start, parse_date

    try:
        return local_day_start(parse_date(text, today=now(store).date()) + timedelta(days=1), store.tz) - timedelta(seconds=1)
    except InvalidValue:
        return moment(store, text, option)


def check_range(first, last, options: str) -> None:
    if first is not None and last is not None and first > last:
        raise InvalidValue("{options}: the range ends before it starts", options=options)


def past_moment(store, at: Optional[str], bare_date: str = "refuse") -> datetime:
    """When something happened: `--at` or now, never in the future. An event needs its time of
    day: a day alone (`--at 昨天`) is refused with the form to type (`昨天 9:30`)."""
    from redprop.parsing import show_time

    current = now(store)
    happened = moment(store, at, bare_date=bare_date)
    if (happened - current).total_seconds() > 60:
        raise InvalidValue("--at {at!r} is in the future ({when}); record things once they happened", at=at,
                           when=show_time(happened, store.tz))
    return happened


def visit_moment(store, at: Optional[str]) -> tuple[datetime, bool]:
    """When a visit happened, and whether its time of day is known: a day alone (`--at 昨天`)
    stands for the end of that day (today's: now), shown as the date only."""
    from redprop.parsing import read_instant

    if not at:
        return now(store), True
    with naming("--at"):
        _, with_time = read_instant(at, now=now(store), tz=store.tz)
    if with_time:
        return past_moment(store, at, bare_date="start"), True
    current, end = now(store), moment(store, at, bare_date="end")
    if end.astimezone(store.tz).date() > current.astimezone(store.tz).date():
        past_moment(store, at, bare_date="end")  # refused: in the future
    return min(end, current), False


def day(store, text: Optional[str], default_today: bool = True, option: Optional[str] = None,
        ahead: bool = False) -> Optional[date]:
    from redprop.parsing import parse_date

    today = now(store).date()
    if not text:
        return today if default_today else None
    with naming(option):
        return parse_date(text, today=today, ahead=ahead)


def sub_app(help: str) -> typer.Typer:
    """The Typer app of one noun (household, visit…): plain help, like the root's."""
    from redprop.cli.core import RedpropGroup

    return typer.Typer(cls=RedpropGroup, no_args_is_help=True, add_completion=False, rich_markup_mode=None, help=help)


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table (for people), json or csv (for scripts).")]
AtOption = Annotated[Optional[str], typer.Option("--at", help="When it happened / as things stood then: 2026-11-20 9:30, 2026/11/20 9:30, 'yesterday 9:30', '2h ago'.")]
Key = Annotated[str, typer.Argument(help="Address key building-unit-room: 8-2-301, or 8-301 where the building has no units.")]
FileArg = Annotated[Path, typer.Argument(help="A .csv (UTF-8, UTF-8 with BOM, GBK or UTF-16) or .xlsx file.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Check every row and report, write nothing.")]
SkipInvalid = Annotated[bool, typer.Option("--skip-invalid", help="Write the good rows, list the refused ones, exit 0.")]
Sheet = Annotated[Optional[str], typer.Option("--sheet", help="Worksheet of an .xlsx file (default: the first).")]
MaxRows = Annotated[int, typer.Option("--max-rows", min=1, help="Refuse a file with more data rows than this.")]
NewGrids = Annotated[bool, typer.Option("--new-grids", help="Create grid points the file names that are not on record yet (listed in the summary).")]
ShowSensitive = Annotated[bool, typer.Option("--show-sensitive", help="Name sensitive focus groups (上访, 精神病人, 矫正) instead of masking them.")]


def run_import(importer, file: Path, dry_run: bool, skip_invalid: bool, sheet: Optional[str], fmt: Format,
               max_rows: int, **options):
    """Shared by every `… import` command: run it, then say what it did."""
    from redprop.present.imports import imported

    store = open_db()
    result = importer(store, file, now(store), dry_run=dry_run, skip_invalid=skip_invalid, sheet=sheet,
                      max_rows=max_rows, **options)
    imported(output(fmt), result)
