"""The `redprop` command line: parse, call one domain function, render.

Errors are translated at one edge, `RedpropGroup.invoke`: a RedpropError (or SQLite still
locked after the busy timeout) becomes one line on stderr and its exit code.
"""

import sqlite3
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.core import TyperGroup

from redprop.cli import common
from redprop.errors import ExitCode, ImportRefused, RedpropError


class RedpropGroup(TyperGroup):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ImportRefused as error:
            for line in error.errors:
                sys.stderr.write(f"refused {line}\n")
            _fail(str(error), error.exit_code)
        except RedpropError as error:
            _fail(str(error), error.exit_code)
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                _fail("the database is busy with another worker's change; try again in a moment", ExitCode.DATABASE)
            raise
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


def _register():
    from redprop.cli import admin, groups, households, staff, visits

    admin.register(app)
    app.add_typer(households.app, name="household", help="Households (户): add, edit, show, list, move out, import.")
    app.add_typer(households.residents_app, name="resident", help="Residents of a household: add, edit, list, import.")
    app.add_typer(staff.app, name="staff", help="Staff (一长三员) and the areas they cover.")
    app.add_typer(staff.grid_app, name="grid", help="Grid points (网格).")
    app.add_typer(groups.app, name="group", help="Focus groups (重点人群): catalogue, join, leave, members, import.")
    app.add_typer(visits.app, name="visit", help="Home visits (走访): log, list, due, plan, import.")


_register()


def main():
    app()
