"""What every command shares: the open store, the language, the clock and common options.

The root callback fills `state` from --db/--lang; commands ask `open_db()` for the store.
This is the only module of the CLI that reads the clock.
"""

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from redprop.present.render import Format


@dataclass
class State:
    db_path: Optional[Path] = None
    lang: str = "zh"
    store: object = None


state = State()


def open_db():
    """The community's database, opened and migrated once per command."""
    if state.store is None:
        from redprop.store import default_db_path, open_store

        state.store = open_store(state.db_path or default_db_path())
    return state.store


def now(store) -> datetime:
    return datetime.now(store.tz)


def _naming(option: Optional[str]):
    """Re-raise a bad value's error with the option it came from: `--until: '2026-02-30' is not…`."""
    from contextlib import contextmanager

    from redprop.errors import InvalidValue

    @contextmanager
    def naming():
        try:
            yield
        except InvalidValue as error:
            if option:
                raise InvalidValue(f"{option}: {error}") from None
            raise

    return naming()


def moment(store, at: Optional[str], option: str = "--at") -> datetime:
    """`--at` as typed, or now. A moment in the future is allowed only for listings."""
    if not at:
        return now(store)
    from redprop.parsing import parse_instant

    with _naming(option):
        return parse_instant(at, now=now(store), tz=store.tz)


def end_moment(store, text: Optional[str], option: str) -> Optional[datetime]:
    """The end of a range as typed: a plain date means the whole of that day."""
    if not text:
        return None
    from datetime import timedelta

    from redprop.errors import InvalidValue
    from redprop.parsing import local_day_start, parse_date

    try:
        return local_day_start(parse_date(text, today=now(store).date()) + timedelta(days=1), store.tz) - timedelta(seconds=1)
    except InvalidValue:
        return moment(store, text, option)


def check_range(first, last, options: str) -> None:
    from redprop.errors import InvalidValue

    if first is not None and last is not None and first > last:
        raise InvalidValue(f"{options}: the range ends before it starts")


def past_moment(store, at: Optional[str]) -> datetime:
    """When something happened: `--at` or now, never in the future."""
    from redprop.errors import InvalidValue
    from redprop.parsing import show_time

    current = now(store)
    happened = moment(store, at)
    if (happened - current).total_seconds() > 60:
        raise InvalidValue(f"--at {at!r} is in the future ({show_time(happened, store.tz)}); record things once they happened")
    return happened


def day(store, text: Optional[str], default_today: bool = True, option: Optional[str] = None) -> Optional[date]:
    from redprop.parsing import parse_date

    today = now(store).date()
    if not text:
        return today if default_today else None
    with _naming(option):
        return parse_date(text, today=today)


def default_lang() -> str:
    lang = os.environ.get("REDPROP_LANG", "zh").lower()
    return "en" if lang.startswith("en") else "zh"


def sub_app(help: str) -> typer.Typer:
    """The Typer app of one noun (household, visit…): plain help, like the root's."""
    return typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None, help=help)


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table (for people), json or csv (for scripts).")]
AtOption = Annotated[Optional[str], typer.Option("--at", help="When it happened / as things stood then: 2026-11-20 9:30, 2026/11/20 9:30, 'yesterday 9:30', '2h ago'.")]
