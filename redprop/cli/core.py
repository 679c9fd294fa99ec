"""The groups of the command line: --db/--lang anywhere, help in the worker's language, the
nearest command for a typo, and the one edge where errors become a line and an exit code."""

import difflib
import os
import sys
from pathlib import Path

import typer
from typer.core import TyperGroup

from redprop.cli.help import (
    LANGUAGE, Abort, ClickException, Exit, NoArgsIsHelp, RedpropCommand, SaidHelp, UsageError, language_of,
)
from redprop.errors import ExitCode, ImportRefused, InvalidValue, RedpropError
from redprop.present.failures import complain, complain_row, interrupted, no_such_command, unexpected, usage_error
from redprop.present.i18n import Language, choose_language, locale_language

GLOBAL_OPTIONS = ("--db", "--lang", "--community")  # the root's options that take a value
GLOBAL_FLAGS = ("--no-pager",)
COMMAND_LINE = "redprop.command"  # in the root context's meta: the line as typed, for the change log


class Typer(typer.Typer):
    """A Typer whose commands are redprop's (help in the worker's language)."""

    def command(self, name=None, *, cls=None, **options):
        return super().command(name, cls=cls or RedpropCommand, **options)


def hoist_global_options(args: list[str]) -> list[str]:
    """The same arguments with --db/--lang/--community (and their values) and --no-pager first,
    wherever they were typed."""
    front, rest = [], []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg.split("=", 1)[0] in GLOBAL_OPTIONS:
            width = 1 if "=" in arg else 2
            front.extend(args[i:i + width])
            i += width
            continue
        if arg in GLOBAL_FLAGS:
            front.append(arg)
            i += 1
            continue
        rest.append(arg)
        i += 1
    return front + rest


def line_language(args: list[str]) -> Language:
    """The language a command line asks for before Click has read it: --lang anywhere on the
    line, else the environment. An unknown one raises (InvalidValue)."""
    value = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
    from redprop.cli.settings import configured

    return Language(choose_language(value, configured=lambda: configured("lang")))


class RedpropGroup(SaidHelp, TyperGroup):
    """A group of commands whose help is said in the worker's language, suggesting the nearest
    command for a typo. A noun's group makes each of its commands from its Typer declaration
    only when that one is asked for (`made_lazily`)."""

    unmade: dict = {}  # name → what makes the command, in the order declared

    def list_commands(self, ctx):
        return [*super().list_commands(ctx), *(n for n in self.unmade if n not in self.commands)]

    def get_command(self, ctx, name):
        if name not in self.commands and name in self.unmade:
            self.add_command(self.unmade[name](), name)
        return super().get_command(ctx, name)

    def format_options(self, ctx, formatter):
        super().format_options(ctx, formatter)
        self.format_commands(ctx, formatter)

    def resolve_command(self, ctx, args):
        name = args[0] if args else None
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1, cutoff=0.5)
            raise UsageError(no_such_command(ctx.language, name, close[0] if close else None), ctx)
        return super().resolve_command(ctx, args)


class RootGroup(RedpropGroup):
    """`redprop` itself: reads --db/--lang anywhere, loads each noun's commands when they run,
    and is the one edge where errors become a line on stderr and an exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """As Click's, but a usage error is one line in the worker's language (exit 2), like every
        other mistake, instead of Click's usage block in English; `redprop` alone and a bare noun
        print their help, as --help does (on stderr, exit 2)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        line = sys.argv[1:] if args is None else list(args)  # for what went wrong before any context
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelp as error:
            sys.stderr.write(error.format_message().rstrip("\n") + "\n")
            sys.exit(error.exit_code)
        except ClickException as error:
            context = getattr(error, "ctx", None)
            lang = language_of(context) if context is not None else _fallback_language(line)
            complain(usage_error(lang, error.format_message(), context.command_path if context else None))
            sys.exit(error.exit_code if error.exit_code != ExitCode.CHECK_FAILED else ExitCode.USAGE)  # 1 is --check's
        except Abort:
            complain(interrupted(_fallback_language(line)))
            sys.exit(ExitCode.USAGE)
        except RedpropError as error:  # raised before a command ran (reading the line itself)
            complain(_fallback_language(line).say(error.message))
            sys.exit(error.exit_code)
        except Exception as error:  # noqa: BLE001 - nothing escapes as a traceback, not even from parsing
            if os.environ.get("REDPROP_DEBUG"):
                raise
            text, code = unexpected(_fallback_language(line), error)
            complain(text)
            sys.exit(code)
        sys.exit(code if isinstance(code, int) else ExitCode.OK)

    def parse_args(self, ctx, args):
        """The line as typed kept for the change log, --db/--lang moved to the front, and the
        language chosen before Click reads the rest (its help and its usage errors need it)."""
        from shlex import join

        ctx.meta[COMMAND_LINE] = as_text(join(["redprop", *args]))
        if "://" in ctx.meta[COMMAND_LINE]:  # a server's URL: kept without its password
            from redprop.store import without_password

            ctx.meta[COMMAND_LINE] = without_password(ctx.meta[COMMAND_LINE])
        args = hoist_global_options(list(args))
        try:
            ctx.meta[LANGUAGE] = line_language(args)
        except InvalidValue as error:
            ctx.meta[LANGUAGE] = Language(locale_language())
            raise UsageError(ctx.meta[LANGUAGE].say(error.message), ctx) from None
        return super().parse_args(ctx, args)

    def list_commands(self, ctx):
        return [*super().list_commands(ctx), *(n for n in LAZY_COMMANDS if n not in self.commands)]

    def get_command(self, ctx, name):
        if name not in self.commands and name in LAZY_COMMANDS:
            self.add_command(_load(name), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (Exit, Abort, ClickException):
            raise
        except ImportRefused as error:
            for line in error.errors:
                complain_row(ctx.language, line)
            _fail(ctx.language.say(error.message), error.exit_code)
        except RedpropError as error:
            _note_damage(ctx, error)
            _fail(ctx.language.say(error.message), error.exit_code)
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(ExitCode.OK)
        except Exception as error:  # noqa: BLE001 - the edge: nothing escapes as a traceback
            if os.environ.get("REDPROP_DEBUG"):
                raise
            _note_damage(ctx, error)
            text, code = unexpected(ctx.language, error)
            _fail(text, code)
        finally:
            close = getattr(ctx.obj, "close", None)  # the application: what this invocation opened
            if close is not None:
                close()


def as_text(line: str) -> str:
    """The command line as text the log can keep: bytes typed that are not UTF-8 written as \\xff (and
    a NUL, which no shell passes but a caller in the same process may, as \\x00: no database keeps it)."""
    return os.fsencode(line).decode("utf-8", "backslashreplace").replace("\x00", "\\x00")


def _fallback_language(args: list[str]) -> Language:
    """The language of a line that went wrong before any context could say it: as asked, or the locale's."""
    try:
        return line_language(args)
    except InvalidValue:
        return Language(locale_language())


def _note_damage(ctx, error: Exception) -> None:
    """A command met a damaged page: note it beside the file, so that nothing more is written to it.
    The note names the command, not its words, and the error without the value it quotes: later
    errors repeat it to anyone."""
    from redprop.store import reason
    from redprop.store.files import is_damage, note_damage

    try:
        path = ctx.obj.target if ctx.obj is not None else None  # the application's database
    except Exception:  # noqa: BLE001 - no target to note anything beside
        path = None
    if is_damage(error) and isinstance(path, Path):
        what = error.message if isinstance(error, RedpropError) else reason(error)
        line = ctx.meta.get(COMMAND_LINE, "redprop")
        note_damage(path, f"{command_name(line, set(ctx.find_root().command.list_commands(ctx)))}: {what}")


def command_name(line: str, commands: set[str]) -> str:
    """The command a line ran, without its arguments: `redprop --db x.db group join 8-2-301 …` →
    `redprop group join` (`commands`: the root's, as it lists them)."""
    words = line.split()
    for i, word in enumerate(words):
        if word in commands:
            verb = words[i + 1] if i + 1 < len(words) else ""
            named = verb.isascii() and not verb.startswith("-") and verb.replace("-", "").isalpha()
            return " ".join(["redprop", word, *([verb] if named else [])])
    return "redprop"


def _fail(text: str, code: int):
    complain(text)
    raise typer.Exit(int(code))


# Each noun's commands live in their own module, imported only when one of them runs: a
# worker's command then pays for its own module, not for all of them (start-up is most of
# a command's time). name: (module, Typer app in it). Add a line here for a new noun.
LAZY_COMMANDS = {
    "household": ("redprop.cli.households", "household_app"),
    "resident": ("redprop.cli.households", "residents_app"),
    "staff": ("redprop.cli.staff", "staff_app"),
    "grid": ("redprop.cli.staff", "grid_app"),
    "group": ("redprop.cli.groups", "group_app"),
    "visit": ("redprop.cli.visits", "visit_app"),
    "issue": ("redprop.cli.issues", "issue_app"),
    "policy": ("redprop.cli.policy", "policy_app"),
    "holidays": ("redprop.cli.holidays", "holidays_app"),
    "overdue": ("redprop.cli.reports", "overdue_app"),
    "today": ("redprop.cli.today", "today_app"),
    "stats": ("redprop.cli.reports", "stats_app"),
    "ledger": ("redprop.cli.ledgers", "ledger_app"),
    "report": ("redprop.cli.reports", "report_app"),
    "log": ("redprop.cli.log", "log_app"),
    "undo": ("redprop.cli.log", "undo_app"),
    "config": ("redprop.cli.config", "config_app"),
    "community": ("redprop.cli.community", "community_app"),
    "export": ("redprop.cli.export", "export_app"),
}


def _load(name: str):
    import importlib

    from typer.main import get_command

    module, attribute = LAZY_COMMANDS[name]
    noun = getattr(importlib.import_module(module), attribute)
    command = made_lazily(noun) if _is_group(noun) else get_command(noun)
    command.name = name
    return command


def _is_group(noun: typer.Typer) -> bool:
    """Whether Typer makes this app a group of commands (as `typer.main.get_command` decides)."""
    return bool(noun.registered_callback or noun.info.callback or noun.registered_groups
                or len(noun.registered_commands) > 1)


def made_lazily(noun: typer.Typer, name: str | None = None) -> RedpropGroup:
    """The Click group of a noun's Typer app, made without its commands: each is made from its
    declaration when asked for (RedpropGroup.get_command). Typer would make all of them, every
    option of every verb read off its signature — `issue` has 24 — for the one that runs."""
    import copy
    from functools import partial

    from typer.main import get_command_from_info, get_command_name, get_group

    bare = copy.copy(noun)
    bare.registered_commands, bare.registered_groups = [], []
    group = get_group(bare)
    if name:
        group.name = name
    unmade = {}
    for info in noun.registered_commands:
        unmade[info.name or get_command_name(info.callback.__name__)] = partial(
            get_command_from_info, info, pretty_exceptions_short=noun.pretty_exceptions_short,
            rich_markup_mode=noun.rich_markup_mode)
    for info in noun.registered_groups:  # `issue category`: a group within, made lazily in turn
        unmade[info.name] = partial(made_lazily, info.typer_instance, info.name)
    group.unmade = unmade
    return group


