"""The `redprop` command line: parse, call one domain function, present the result.

- Errors are translated at one edge, `RedpropGroup.invoke`: a RedpropError (or SQLite still
  locked after the busy timeout, or anything unexpected) becomes one line on stderr in the
  worker's language and an exit code that means it (1 only for `overdue --check`).
- `--db` and `--lang` may stand anywhere on the line: the root group moves them to the front
  before Click reads it, and chooses the language before anything is said.
- Help is written in English here and said in the worker's language when shown (`help.py`).
- A mistyped command gets the nearest one suggested.
"""

from pathlib import Path
from typing import Annotated, Optional

import typer

from redprop.cli import common
from redprop.cli.core import RootGroup

app = typer.Typer(
    cls=RootGroup,
    help="redprop: households, focus groups, visits and residents' issues for a 红色物业 office.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    db: Annotated[Optional[Path], typer.Option("--db", help="Database file (default: $REDPROP_DB, else ~/.local/share/redprop/redprop.db). May stand anywhere on the line.")] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help="Language: zh or en (default: $REDPROP_LANG, else the locale, else zh). May stand anywhere on the line.")] = None,
):
    common.state.db_path = db
    common.state.store = None


def _register():
    from redprop.cli import admin

    admin.register(app)


_register()


def main():
    app()
