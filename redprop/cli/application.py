"""The application object: what every command of one invocation shares.

The root command builds one `Application` from its declared options (`--db`, `--lang`) and
keeps it in `ctx.obj`; every command takes `ctx: typer.Context` and works through
`app = ctx.obj` (as hatch hands its Application to each command): the database target, the
language, the user, the clock and the output. Nothing of it lives in a module global, so
invocations in one process (a test run) each read their own database and speak their own
language.

The store is opened on first use, once per command; the user is asked for only when a write
is logged; the community's catalogues are read only for an output that shows their labels.
The clock is the machine's unless the caller hands in another (`obj={"clock": …}`, a test's
fixed instant). This is the only module of the CLI that reads the clock.
"""

import os
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

from redprop.cli.common import naming
from redprop.errors import InvalidValue
from redprop.present.i18n import Language
from redprop.present.output import Format, Output


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


class Application:
    """One invocation of redprop: its database, language, user, clock and output."""

    def __init__(self, db: Optional[list[Path]], language: Language, *, command_line: str = "redprop",
                 clock: Callable[[], datetime] = system_clock):
        """`db`: the --db options as given (none: $REDPROP_DB, else the default file)."""
        self.db_options = [db] if isinstance(db, Path) else list(db or ())
        self.language = language
        self.command_line = command_line  # as typed, for the change log
        self.clock = clock
        self._store = None
        self._communities: Optional[list] = None
        self._user: Optional[str] = None
        self._catalogues: dict = {}

    # -- the database ----------------------------------------------------------------------

    @property
    def db_option(self) -> Optional[Path]:
        """The --db given, if one was (several: refused, see db_path)."""
        return self.db_path if self.db_options else None

    @property
    def db_path(self) -> Path:
        """The database file: --db, else $REDPROP_DB, else the one in the user's data directory.
        A --db given several times is refused: only the street's picture reads several (and
        never silently the last one)."""
        if len(self.db_options) > 1:
            from redprop.errors import UsageMistake

            raise UsageMistake("--db is given {count} times; several databases are read only by the street's picture:"
                               " report week|month, overdue or stats with --by community", count=len(self.db_options))
        if self.db_options:
            return self.db_options[0]
        from redprop.store import default_db_path

        return default_db_path()

    @property
    def store(self):
        """The community's database, opened and migrated once per command, its writes logged as
        this command's entry in the change log (who typed what, when)."""
        if self._store is None:
            from redprop.store import open_store

            self._store = open_store(self.db_path)
            self._store.log_as(self.command_line, lambda: self.user, self.now())
        return self._store

    def communities(self) -> list:
        """The stores of the street's picture: one for each --db given (one or several files,
        opened and migrated as `store` opens one), in the order given."""
        if self._communities is None:
            from redprop.store import default_db_path, open_stores

            self._communities = open_stores(self.db_options or [default_db_path()])
        return self._communities

    @property
    def tz(self):
        """The community's time zone (the street's picture: its first community's)."""
        return (self._communities[0] if self._communities else self.store).tz

    @property
    def user(self) -> str:
        """Who is typing: $REDPROP_USER, else the login name (asked for on first use)."""
        if self._user is None:
            import getpass

            self._user = os.environ.get("REDPROP_USER") or getpass.getuser()
        return self._user

    # -- the output -------------------------------------------------------------------------

    def output(self, fmt: Format = Format.table, *, groups: bool = False, categories: bool = False) -> Output:
        """Where this command's data goes, in the format asked for, in the worker's language. A
        command whose output shows focus-group or category labels says so: the community's
        catalogue is then read (for a table or a file; JSON and CSV carry codes, not labels)."""
        wanted = Format(fmt) == Format.table
        return Output(fmt, self.language, groups=self.catalogue("groups") if groups and wanted else None,
                      categories=self.catalogue("categories") if categories and wanted else None,
                      community=self.community_columns)

    def community_columns(self) -> Optional[dict]:
        """The community the command's data comes from, for every JSON/CSV listing: that of the
        database it opened (None when it opened none)."""
        if self._store is None:
            return None
        from redprop.codes import community_columns

        return community_columns(self._store)

    def catalogue(self, name: str):
        """The community's focus groups or issue categories, read once per command."""
        if name not in self._catalogues:
            if name == "groups":
                from redprop.care.groups import group_catalogue, load_groups

                self._catalogues[name] = group_catalogue(load_groups(self.store))
            else:
                from redprop.issues.categories import load_categories

                self._catalogues[name] = load_categories(self.store)
        return self._catalogues[name]

    # -- the clock ---------------------------------------------------------------------------

    def now(self) -> datetime:
        """Now, in the community's time zone."""
        return self.clock().astimezone(self.tz)

    def machine_now(self) -> datetime:
        """Now in this computer's own zone: what names files (cron runs by it)."""
        return self.clock().astimezone()

    def moment(self, at: Optional[str], option: str = "--at", bare_date: str = "start", ahead: bool = False) -> datetime:
        """`--at` as typed, or now. A moment in the future is allowed only for listings. A day
        without a time is its first instant (`bare_date`: see parsing.parse_instant); `ahead` reads
        周五 or 12月4日 as the next one (a planned day), not the most recent."""
        if not at:
            return self.now()
        from redprop.parsing import parse_instant

        with naming(option):
            return parse_instant(at, now=self.now(), tz=self.tz, bare_date=bare_date, ahead=ahead)

    def end_moment(self, text: Optional[str], option: str) -> Optional[datetime]:
        """The end of a range as typed: a plain date means the whole of that day."""
        if not text:
            return None
        from redprop.parsing import local_day_start, parse_date

        try:
            return local_day_start(parse_date(text, today=self.now().date()) + timedelta(days=1), self.tz) \
                - timedelta(seconds=1)
        except InvalidValue:
            return self.moment(text, option)

    def past_moment(self, at: Optional[str], bare_date: str = "refuse") -> datetime:
        """When something happened: `--at` or now, never in the future. An event needs its time of
        day: a day alone (`--at 昨天`) is refused with the form to type (`昨天 9:30`)."""
        from redprop.parsing import show_time

        current = self.now()
        happened = self.moment(at, bare_date=bare_date)
        if (happened - current).total_seconds() > 60:
            raise InvalidValue("--at {at!r} is in the future ({when}); record things once they happened", at=at,
                               when=show_time(happened, self.tz))
        return happened

    def visit_moment(self, at: Optional[str]) -> tuple[datetime, bool]:
        """When a visit happened, and whether its time of day is known: a day alone (`--at 昨天`)
        stands for the end of that day (today's: now), shown as the date only."""
        from redprop.parsing import read_instant

        if not at:
            return self.now(), True
        with naming("--at"):
            _, with_time = read_instant(at, now=self.now(), tz=self.tz)
        if with_time:
            return self.past_moment(at, bare_date="start"), True
        current, end = self.now(), self.moment(at, bare_date="end")
        if end.astimezone(self.tz).date() > current.astimezone(self.tz).date():
            self.past_moment(at, bare_date="end")  # refused: in the future
        return min(end, current), False

    def day(self, text: Optional[str], default_today: bool = True, option: Optional[str] = None,
            ahead: bool = False) -> Optional[date]:
        from redprop.parsing import parse_date

        today = self.now().date()
        if not text:
            return today if default_today else None
        with naming(option):
            return parse_date(text, today=today, ahead=ahead)

