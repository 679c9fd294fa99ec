"""The groups of the command line: --db/--lang anywhere, help in the worker's language, the
nearest command for a typo, and the one edge where errors become a line and an exit code."""

import difflib
import os
import shlex
import sys

import typer
from typer.core import TyperGroup

from redprop.cli import help
from redprop.cli.help import Abort, ClickException, Exit, UsageError
from redprop.errors import ExitCode, ImportRefused, InvalidValue, RedpropError

GLOBAL_OPTIONS = ("--db", "--lang")


def hoist_global_options(args: list[str]) -> list[str]:
    """The same arguments with --db/--lang (and their values) first, wherever they were typed."""
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
        rest.append(arg)
        i += 1
    return front + rest


def _option_value(args: list[str], name: str) -> str | None:
    value = None
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(name + "="):
            value = arg.split("=", 1)[1]
    return value


class RedpropGroup(TyperGroup):
    """A group of commands whose help is said in the worker's language, suggesting the nearest
    command for a typo."""

    def parse_args(self, ctx, args):
        help.translate(self)
        return super().parse_args(ctx, args)

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is not None:
            help.translate(command)
        return command

    def resolve_command(self, ctx, args):
        name = args[0] if args else None
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1, cutoff=0.5)
            raise UsageError(help.no_such_command(name, close[0] if close else None), ctx)
        return super().resolve_command(ctx, args)


class RootGroup(RedpropGroup):
    """`redprop` itself: reads --db/--lang anywhere, loads each noun's commands when they run,
    and is the one edge where errors become a line on stderr and an exit code."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """As Click's, but a usage error is one line in the worker's language (exit 2), like every
        other mistake, instead of Click's usage block in English."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except ClickException as error:
            context = getattr(error, "ctx", None)
            help.complain(help.usage_error(error.format_message(), context.command_path if context else None))
            sys.exit(error.exit_code if error.exit_code != ExitCode.CHECK_FAILED else ExitCode.USAGE)  # 1 is --check's
        except Abort:
            help.complain(help.interrupted())
            sys.exit(ExitCode.USAGE)
        except RedpropError as error:  # raised before a command ran (reading the line itself)
            help.complain(help.say(error.message))
            sys.exit(error.exit_code)
        except Exception as error:  # noqa: BLE001 - nothing escapes as a traceback, not even from parsing
            if os.environ.get("REDPROP_DEBUG"):
                raise
            text, code = help.unexpected(error)
            help.complain(text)
            sys.exit(code)
        sys.exit(code if isinstance(code, int) else ExitCode.OK)

    def parse_args(self, ctx, args):
        ctx.meta["redprop.command"] = as_text(shlex.join(["redprop", *args]))  # for the change log
        args = hoist_global_options(list(args))
        try:
            help.speak(_option_value(args, "--lang"))
        except InvalidValue as error:
            raise UsageError(help.say(error.message), ctx) from None
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
                help.complain_row(line)
            _fail(help.say(error.message), error.exit_code)
        except RedpropError as error:
            _note_damage(ctx, error)
            _fail(help.say(error.message), error.exit_code)
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(ExitCode.OK)
        except Exception as error:  # noqa: BLE001 - the edge: nothing escapes as a traceback
            if os.environ.get("REDPROP_DEBUG"):
                raise
            _note_damage(ctx, error)
            text, code = help.unexpected(error)
            _fail(text, code)


def as_text(line: str) -> str:
    """The command line as text the log can keep: bytes typed that are not UTF-8 written as \\xff."""
    return os.fsencode(line).decode("utf-8", "backslashreplace")


def _note_damage(ctx, error: Exception) -> None:
    """A command met a damaged page: note it beside the file, so that nothing more is written to it."""
    from redprop.store.files import is_damage, note_damage

    if is_damage(error):
        from redprop.store import default_db_path

        note_damage(ctx.params.get("db") or default_db_path(), f"{ctx.meta.get('redprop.command', 'redprop')}: {error}")


def _fail(text: str, code: int):
    help.complain(text)
    raise typer.Exit(int(code))


# Each noun's commands live in their own module, imported only when one of them runs: a
# worker's command then pays for its own module, not for all of them (start-up is most of
# a command's time). name: (module, Typer app in it). Add a line here for a new noun.
LAZY_COMMANDS = {
    "household": ("redprop.cli.households", "app"),
    "resident": ("redprop.cli.households", "residents_app"),
    "staff": ("redprop.cli.staff", "app"),
    "grid": ("redprop.cli.staff", "grid_app"),
    "group": ("redprop.cli.groups", "app"),
    "visit": ("redprop.cli.visits", "app"),
    "issue": ("redprop.cli.issues", "app"),
    "policy": ("redprop.cli.policy", "app"),
    "holidays": ("redprop.cli.holidays", "app"),
    "overdue": ("redprop.cli.reports", "overdue_app"),
    "stats": ("redprop.cli.reports", "stats_app"),
    "ledger": ("redprop.cli.ledgers", "ledger_app"),
    "report": ("redprop.cli.reports", "report_app"),
    "log": ("redprop.cli.log", "log_app"),
    "undo": ("redprop.cli.log", "undo_app"),
}


def _load(name: str):
    import importlib

    from typer.main import get_command

    module, attribute = LAZY_COMMANDS[name]
    command = get_command(getattr(importlib.import_module(module), attribute))
    command.name = name
    return command


