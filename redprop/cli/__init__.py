"""The `redprop` command line: parse, call one domain function, render.

Errors are translated at one edge, `RedpropGroup.invoke`: a RedpropError (or SQLite still
locked after the busy timeout) becomes one line on stderr and its exit code.
"""

import os
import sqlite3
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from redprop.cli import common
from redprop.errors import ExitCode, ImportRefused, RedpropError


class RedpropGroup(TyperGroup):
    def list_commands(self, ctx):
        return [*super().list_commands(ctx), *(n for n in LAZY_COMMANDS if n not in self.commands)]

    def get_command(self, ctx, name):
        if name not in self.commands and name in LAZY_COMMANDS:
            self.add_command(_load(name), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ImportRefused as error:
            for line in error.errors:
                sys.stderr.write(f"refused {line}\n")
            _fail(str(error), error.exit_code)
        except RedpropError as error:
            _fail(str(error), error.exit_code)
        except OverflowError:  # a date so far back or ahead that the calendar runs out
            _fail("a date or time out of range (years 1–9999 only, and not at their very edges)", ExitCode.INVALID)
        except sqlite3.IntegrityError as error:
            # A rule of the schema caught what the domain code should have: still one line, nothing written.
            _fail(f"refused by the database's rules ({error}); nothing was written", ExitCode.INVALID)
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                _fail("the database is busy with another worker's change; try again in a moment", ExitCode.DATABASE)
            # A damaged file, a full disk, or a bug: one line for the worker (set REDPROP_DEBUG=1 for the traceback).
            if os.environ.get("REDPROP_DEBUG"):
                raise
            _fail(f"database error: {error} (nothing was written; REDPROP_DEBUG=1 shows where)", ExitCode.DATABASE)
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(ExitCode.OK)


def _fail(text: str, code: int):
    sys.stderr.write(f"redprop: {text}\n")
    raise typer.Exit(int(code))


app = typer.Typer(
    cls=RedpropGroup,
    help="redprop: households, focus groups, visits and residents' issues for a 红色物业 office.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    db: Annotated[Optional[Path], typer.Option("--db", help="Database file (default: $REDPROP_DB, else ~/.local/share/redprop/redprop.db).")] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help="Labels in zh or en (default: $REDPROP_LANG, else zh).")] = None,
):
    common.state.db_path = db
    common.state.store = None
    common.state.lang = (lang or common.default_lang()).lower()[:2]
    if common.state.lang not in ("zh", "en"):
        raise typer.BadParameter("--lang takes zh or en")


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
    "policy": ("redprop.cli.issues", "policy_app"),
    "overdue": ("redprop.cli.reports", "overdue_app"),
    "stats": ("redprop.cli.reports", "stats_app"),
}


def _load(name: str):
    import importlib

    from typer.main import get_command

    module, attribute = LAZY_COMMANDS[name]
    command = get_command(getattr(importlib.import_module(module), attribute))
    command.name = name
    return command


def _register():
    from redprop.cli import admin

    admin.register(app)


_register()


def main():
    app()
