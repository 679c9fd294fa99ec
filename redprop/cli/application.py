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

from redprop.cli.common import check_range, naming
from redprop.errors import InvalidValue, Message, MissingValue, NotFound
from redprop.present.i18n import Language, choose_language
from redprop.present.output import Format, Output


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


class Application:
    """One invocation of redprop: its database, language, user, clock and output."""

    def __init__(self, db: Optional[list[str]], language: Optional[Language] = None, *, lang: Optional[str] = None,
                 command_line: str = "redprop", clock: Callable[[], datetime] = system_clock, environ=None,
                 community: Optional[str] = None, pager: bool = True):
        """`db`, `lang`, `community`: the options as given (None: the environment, else the user's
        settings, else the default; --db may be given several times, for the street's picture);
        `language`: the language already chosen from them (the root group reads it off the line
        before the command runs); `pager`: False with --no-pager."""
        self.db_options = [os.fspath(db)] if isinstance(db, (str, os.PathLike)) else [os.fspath(d) for d in db or ()]
        self.options = {"db": self.db_options[0] if len(self.db_options) == 1 else None, "lang": lang,
                        "community": community}
        self.environ = os.environ if environ is None else environ
        self._config: Optional[dict] = None
        self.language = language or Language(choose_language(lang, self.environ, lambda: self.setting("lang")[::2]))
        self.command_line = command_line  # as typed, for the change log
        self.clock = clock
        self._store = None
        self._communities: Optional[list] = None
        self._user: Optional[str] = None
        self._catalogues: dict = {}
        self.pager = pager
        self._screen = None  # stdout for people on a terminal, paged when longer than the screen

    @property
    def db_option(self) -> Optional[str]:
        """The --db given, if one was (several: refused, see `target`)."""
        self._one_database()
        return self.options["db"]

    def _one_database(self) -> None:
        """A --db given several times is refused: only the street's picture reads several (and
        never silently the last one)."""
        if len(self.db_options) > 1:
            from redprop.errors import UsageMistake

            raise UsageMistake("--db is given {count} times; several databases are read only by the street's picture:"
                               " report week|month, overdue or stats with --by community", count=len(self.db_options))

    @property
    def community_option(self) -> Optional[str]:
        return self.options["community"]

    # -- the user's settings -----------------------------------------------------------------

    @property
    def config_path(self) -> Path:
        from redprop.cli.settings import config_path

        return config_path(self.environ)

    @property
    def config(self) -> dict:
        """The user's settings file, read once, when a setting is not given on the line or in the environment."""
        if self._config is None:
            from redprop.cli.settings import read_config

            self._config = read_config(self.config_path)
        return self._config

    def setting(self, key: str) -> tuple[Optional[str], str, str]:
        """(value, source, where) of a setting: the option on the line, else the environment, else
        the user's settings file, else (None, "default", "") — see settings.py."""
        from redprop.cli.settings import SETTINGS

        option = self.options.get(key)
        if option is not None:
            return os.fspath(option), "option", f"--{key}"
        variable = SETTINGS[key].variable
        if variable and self.environ.get(variable):
            return self.environ[variable], "environment", variable
        if self.config.get(key):
            return self.config[key], "file", os.fspath(self.config_path)
        return None, "default", ""

    # -- the database ----------------------------------------------------------------------

    @property
    def community(self) -> Optional[str]:
        """The community chosen (--community, else $REDPROP_COMMUNITY, else the user's setting), by
        its code or name; None: the only one there (or the only one this login may work in)."""
        return self.setting("community")[0]

    @property
    def target(self):
        """Where the community's data is: --db, else $REDPROP_DB, else the user's setting, else the
        file in the user's data directory; a PostgreSQL URL names a shared database (store.Server,
        with the community chosen), anything else a file (a Path)."""
        from redprop.store import default_db_path, is_server, target_of

        self._one_database()
        value, source, _where = self.setting("db")
        if value is None:
            return default_db_path()
        if source == "file" and not is_server(value):  # a path in the settings file may start with ~
            value = os.path.expanduser(value)
        return target_of(value, self.community)

    @property
    def db_path(self) -> Path:
        """The database file, for what only a file has (init of a file, restore): a shared database
        is refused here with one line."""
        target = self.target
        if not isinstance(target, Path):
            raise InvalidValue("{server} is a shared database on a server; this command works on a database file",
                               server=str(target))
        return target

    @property
    def store(self):
        """The community's database, opened and migrated once per command, its writes logged as
        this command's entry in the change log (who typed what, when). A community chosen for a
        file must be the file's own. The command that finds entries missing since it was last
        written (store/mark.py) stops there, saying how many (`check` lists it instead: see `open`)."""
        return self.open()

    def open(self, *, loss_listed: bool = False):
        """The store; with `loss_listed`, a loss found now does not stop the command (`check`
        lists it, `check --accept-loss` accepts it)."""
        if self._store is None:
            from redprop.store import open_store

            target = self.target
            store = open_store(target)
            if isinstance(target, Path) and self.community:
                _check_file_community(store, self.community)
            self._store = store
            self._store.log_as(self.command_line, lambda: self.user, self.now())
        loss = self._store.loss
        if loss is not None and loss.new and not loss_listed:
            from redprop.store.files import shown
            from redprop.store.mark import found

            raise found(self._store.shown, loss)
        return self._store

    def communities(self) -> list:
        """The stores of the street's picture, in the order given: each --db file, and every
        community of a shared database that this login may read (the one --community names, if
        it names one)."""
        if self._communities is None:
            from redprop.store import open_stores, readable_targets, target_of

            targets = [target_of(text, self.community) for text in self.db_options] or [self.target]
            self._communities = open_stores(readable_targets(targets))
        return self._communities

    @property
    def tz(self):
        """The community's time zone (the street's picture: its first community's)."""
        return (self._communities[0] if self._communities else self.store).tz

    def close(self) -> None:
        """The invocation is over: what it printed for people shown (the pager waited for), its
        database and the street's closed (SQLite folds the write-ahead log back into the file as
        the last connection closes)."""
        self._release_screen()
        if self._store is not None:
            store, self._store = self._store, None
            store.close()
        for store in self._communities or ():
            store.close()
        self._communities = None

    # -- who is working ------------------------------------------------------------------------

    @property
    def me(self) -> Optional[str]:
        """The worker's own name (`redprop config set me`, or $REDPROP_USER), if they said it."""
        return self.setting("me")[0]

    @property
    def user(self) -> str:
        """Who is typing, as the change log and void marks record it: `me`, else the login name —
        on a shared database the server's login."""
        if self._user is None:
            self._user = self.me or self._login()
        return self._user

    def _login(self) -> str:
        store = self._store
        if store is not None and not store.is_file:
            return store.conn.info.user
        import getpass

        return getpass.getuser()

    def doer(self, by: Optional[str], *, required: bool = False, option: str = "--by") -> Optional[str]:
        """The staff member doing it: `option` as typed, else `me` when the staff list has them.
        `required`: the write needs a staff member — without one it is one line saying how to name
        them; otherwise None leaves the domain's own default (an issue's handler)."""
        if by:
            return by
        me, source, where = self.setting("me")
        if me is None:
            if required:
                raise MissingValue("say who: {option} NAME (or once for all: redprop config set me NAME)", option=option)
            return None
        from redprop.staff import find_staff

        if find_staff(self.store, me) is not None:
            return me
        if required:
            raise NotFound("{option}: you are {me!r} ({where}), who is not in the staff list{near}; give {option} NAME,"
                           " or redprop config set me NAME as `redprop staff list` has it", option=option, me=me,
                           where=where, near=self._nearest_staff(me))
        return None

    def _nearest_staff(self, name: str):
        from redprop.staff import nearest_staff

        near = nearest_staff(self.store.conn, name)
        return Message(" (did you mean {name}?)", name=near) if near else ""

    def buildings(self, text: Optional[str]) -> Optional[list[str]]:
        """`--building 5,8` as the buildings named, each checked (a typo is an error, not an empty list)."""
        if not text:
            return None
        from redprop.households import known_buildings

        with naming("--building"):
            return known_buildings(self.store, text)

    def staff_name(self, text: Optional[str], option: str = "--staff") -> Optional[str]:
        """A staff member named on the line, as the staff list has them (a typo suggests the closest)."""
        if not text:
            return None
        from redprop.staff import get_staff

        with naming(option):
            return get_staff(self.store, text)["name"]

    # -- asking --------------------------------------------------------------------------------

    @property
    def interactive(self) -> bool:
        """A person at a terminal, who can be asked (stdin and stdout both a terminal); a pipe or
        cron is never asked anything."""
        import sys

        return sys.stdin.isatty() and sys.stdout.isatty()

    def word(self, catalogue, text: Optional[str], option: str) -> str:
        """A word of a code list as typed (any spelling), its slug. Missing or unknown: on a
        terminal the numbered choices are offered and the answer read; elsewhere one line names
        the option and lists the choices (exit 4), suggesting the closest word."""
        from redprop.vocab import Choices, UnknownWord

        try:
            if text is None or not text.strip():
                raise InvalidValue("say the {what}: {option} {choices}", what=Message(catalogue.name), option=option,
                                   choices=Choices(tuple(catalogue.codes.values())))
            return catalogue.resolve(text)
        except InvalidValue as error:
            if not self.interactive:
                if isinstance(error, UnknownWord):
                    raise InvalidValue("{option}: {reason}", option=option, reason=error.message) from None
                raise
            nearest = error.nearest if isinstance(error, UnknownWord) else None
            return self._ask_word(catalogue, nearest, error)

    def _ask_word(self, catalogue, nearest: Optional[str], error: InvalidValue) -> str:
        from redprop.present.choices import choice_question, read_choice

        out = self.output()
        for _attempt in range(3):
            answer = self._ask(choice_question(out, catalogue, nearest))
            slug, nearest = read_choice(catalogue, answer, nearest)
            if slug:
                return slug
        raise error

    def text(self, value: Optional[str], option: str, what: str) -> Optional[str]:
        """Free text an option must give (a title): as typed, or asked on a terminal."""
        if value and value.strip() or not self.interactive:
            return value
        from redprop.present.choices import text_question

        return self._ask(text_question(self.output(), what)) or None

    def confirm(self, question: str) -> bool:
        """A yes-or-no question at a terminal: only a yes (y, yes, 是, 好, 对) goes ahead."""
        return self._ask(question).strip().lower() in ("y", "yes", "是", "好", "对", "确定")

    def _ask(self, question: str) -> str:
        """The question on stderr (stdout keeps the data), the answer from stdin; no answer
        (end of input, Ctrl-D) stops the command, writing nothing."""
        import sys

        import typer

        self._release_screen()  # what was printed before the question, read before it is asked
        sys.stderr.write(question)
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            sys.stderr.write("\n")
            raise typer.Abort()
        return line.strip()

    # -- the output -------------------------------------------------------------------------

    def output(self, fmt: Format = Format.table, *, groups: bool = False, categories: bool = False) -> Output:
        """Where this command's data goes, in the format asked for, in the worker's language. A
        command whose output shows focus-group or category labels says so: the community's
        catalogue is then read (for a table or a file; JSON and CSV carry codes, not labels)."""
        wanted = Format(fmt) == Format.table
        return Output(fmt, self.language, groups=self.catalogue("groups") if groups and wanted else None,
                      categories=self.catalogue("categories") if categories and wanted else None,
                      community=self.community_columns, stdout=self._paged() if wanted else None)

    def community_columns(self) -> Optional[dict]:
        """The community the command's data comes from, for every JSON/CSV listing: that of the
        database it opened (None when it opened none)."""
        if self._store is None:
            return None
        from redprop.codes import community_columns

        return community_columns(self._store)

    def _paged(self):
        """stdout for people: on a terminal, through the pager when longer than the screen
        (present/pager.py), unless --no-pager; else stdout itself (None)."""
        if not self.pager:
            return None
        if self._screen is None:
            import sys

            if not sys.stdout.isatty():  # a pipe or a file: no pager to think of (nor its module to load)
                self._screen = False
                return None
            from redprop.present.pager import screen

            self._screen = screen(sys.stdout, self.environ) or False
        return self._screen or None

    def _release_screen(self) -> None:
        """What is held for the screen shown, the pager (if it started) waited for; from here on
        output goes straight to the terminal."""
        if self._screen:
            self._screen.close()

    def catalogue(self, name: str):
        """The community's focus groups or issue categories, read once per command."""
        if name not in self._catalogues:
            if name == "groups":
                from redprop.groups import group_catalogue, load_groups

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

    def moment(self, at: Optional[str], option: str = "--at", bare_date: str = "start", ahead: bool = False,
               after: Optional[date] = None) -> datetime:
        """`--at` as typed, or now. A moment in the future is allowed only for listings. A day
        without a time is its first instant (`bare_date`: see parsing.parse_instant); `ahead` reads
        周五 or 12月4日 as the next one (a planned day), not the most recent; `after` as the first
        one on or after that day (the end of a range)."""
        if not at:
            return self.now()
        from redprop.parsing import parse_instant

        with naming(option):
            return parse_instant(at, now=self.now(), tz=self.tz, bare_date=bare_date, ahead=ahead, after=after)

    def end_moment(self, text: Optional[str], option: str, start: Optional[datetime] = None) -> Optional[datetime]:
        """The end of a range as typed: a plain date means the whole of that day. A date without
        its year is the first such day on or after the range's `start`, when it has one (`--from
        12-1 --to 12-31` on 7 December is this December), else the most recent."""
        if not text:
            return None
        from redprop.parsing import local_day_start, parse_date

        after = start.astimezone(self.tz).date() if start else None
        try:
            return local_day_start(parse_date(text, today=self.now().date(), after=after) + timedelta(days=1),
                                   self.tz) - timedelta(seconds=1)
        except InvalidValue:
            return self.moment(text, option, after=after)

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
            ahead: bool = False, after: Optional[date] = None) -> Optional[date]:
        """A day as typed, or today. `ahead`: a weekday or a date without its year is the next
        one; `after`: the first one on or after that day (a range's end, after its start)."""
        from redprop.parsing import parse_date

        today = self.now().date()
        if not text:
            return today if default_today else None
        with naming(option):
            return parse_date(text, today=today, ahead=ahead, after=after)

    def days(self, first: Optional[str], last: Optional[str], options: str = "--from/--to") -> tuple[Optional[date], Optional[date]]:
        """A range of days as typed (`--from 12-1 --to 12-31`): its end read after its start, and
        checked not to end before it starts."""
        start = self.day(first, False, options.split("/")[0])
        end = self.day(last, False, "--" + options.split("/--")[-1], after=start)
        check_range(start, end, options)
        return start, end


def _check_file_community(store, wanted: str) -> None:
    """A file holds one community: --community (or REDPROP_COMMUNITY) given for it must name it."""
    from redprop.codes import community_code
    from redprop.errors import DatabaseMissing

    name, code = store.community, community_code(store)
    if wanted.strip() not in (name, code):
        store.close()
        raise DatabaseMissing("no community {wanted!r} in {path}; it holds: {listed}", wanted=wanted, path=store.shown,
                              listed=" ".join(filter(None, (code, name))))
