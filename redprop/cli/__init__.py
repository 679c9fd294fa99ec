"""The `redprop` command line: parse, call one domain function, present the result.

- The root command builds the application object (`application.py`) from --db and --lang;
  every command receives it in `ctx.obj`: the database, the language, the user, the clock and
  the output of this one invocation.
- Errors are translated at one edge, `RootGroup.invoke`: a RedpropError (or SQLite still
  locked after the busy timeout, or anything unexpected) becomes one line on stderr in the
  worker's language and an exit code that means it (1 only for `overdue --check`).
- `--db`, `--lang` and `--no-pager` may stand anywhere on the line: the root group moves them to the front
  before Click reads it, and reads the language off the line for what is said before the root
  command runs (`redprop --help`, a usage error).
- Help is written in English here and said in the worker's language when shown (`help.py`).
- A mistyped command gets the nearest one suggested.
"""

from typing import Annotated, Optional

import typer

from redprop.cli.core import COMMAND_LINE, RootGroup, Typer

app = Typer(
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
    ctx: typer.Context,
    db: Annotated[Optional[list[str]], typer.Option("--db", help="Database file, or a shared database's URL (postgresql://USER@HOST/DBNAME) (default: $REDPROP_DB, else `redprop config set db`, else ~/.local/share/redprop/redprop.db). May stand anywhere on the line; given several times only for the street's picture (report, overdue, stats --by community).")] = None,
    community: Annotated[Optional[str], typer.Option("--community", help="The community to work in, by its code or name (default: $REDPROP_COMMUNITY, else `redprop config set community`; a database holding one needs none). For init: the new community's name. May stand anywhere on the line.")] = None,
    lang: Annotated[Optional[str], typer.Option("--lang", help="Language: zh or en (default: $REDPROP_LANG, else `redprop config set lang`, else the locale, else zh). May stand anywhere on the line.")] = None,
    no_pager: Annotated[bool, typer.Option("--no-pager", help="On a terminal, print a listing longer than the screen straight out instead of through the pager ($PAGER, else less). May stand anywhere on the line.")] = False,
):
    # The application object of this invocation, from the options as declared (not a docstring:
    # that would be the root's help). A caller in the same process may hand in a clock
    # (`obj={"clock": …}`: a test's fixed instant).
    from redprop.cli.application import Application, system_clock
    from redprop.cli.help import LANGUAGE

    preset = ctx.obj if isinstance(ctx.obj, dict) else {}
    ctx.obj = Application(db, ctx.meta.get(LANGUAGE), lang=lang, command_line=ctx.meta.get(COMMAND_LINE, "redprop"),
                          clock=preset.get("clock", system_clock), community=community, pager=not no_pager)


def _register():
    from redprop.cli import admin

    admin.register(app)


_register()


def main():
    """The `redprop` command: the root command, then out at once (see `leave`)."""
    leave(run())


def run():
    """The root command on this process's command line, with output that never fails on a
    console that cannot show a character (present/encoding.py); its exit code, as sys.exit has it."""
    import sys

    from redprop.present.encoding import tolerant

    tolerant(sys.stdout, sys.stderr)
    try:
        app()
    except SystemExit as done:
        return done.code
    return 0


def leave(code) -> None:
    """End the process with `code` once its output is flushed, without tearing the interpreter
    down: freeing every module and object one by one costs a short command a tenth of its time,
    and nothing is left to do — the root command closed what the command opened (the database,
    the pager: `RootGroup.invoke`), and redprop registers no exit handlers."""
    import os
    import sys

    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("text"), as Python itself says it
        sys.stderr.write(f"{code}\n")
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader gone (`| head`), or the stream closed already
            pass
    os._exit(code)
