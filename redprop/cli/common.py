"""What the commands share: their common options, the nouns' groups, the steps of every import.

What one invocation shares — the database, the language, the user, the clock, the output —
is the application object (`application.py`), which every command receives in `ctx.obj`.
"""

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from redprop.errors import InvalidValue
from redprop.present.output import Format


@contextmanager
def naming(option: Optional[str]):
    """Re-raise a bad value's error with the option it came from: `--until: '2026-02-30' is not…`."""
    try:
        yield
    except InvalidValue as error:
        if option:
            raise InvalidValue("{option}: {reason}", option=option, reason=error.message) from None
        raise


def issue_step(app, verb: str, issue_id: int, at: Optional[str], by: Optional[str], fmt: Format, *args, **fields) -> None:
    """One step of an issue (at --at, typed in now) through its verb in `issues.commands`, an
    order's verbs' too; the issue as it stands after it (a rating as the rating said back)."""
    from redprop.issues import commands
    from redprop.present import issues as show

    record = getattr(commands, verb)(app.store, issue_id, *args, at=app.past_moment(at), now=app.now(),
                                     by=app.doer(by), **fields)
    (show.rated if verb == "rate" else show.issue)(app.output(fmt, categories=True, groups=True), record)


def check_range(first, last, options: str) -> None:
    if first is not None and last is not None and first > last:
        raise InvalidValue("{options}: the range ends before it starts", options=options)


def sub_app(help: str) -> typer.Typer:
    """The Typer app of one noun (household, visit…): plain help, like the root's."""
    from redprop.cli.core import RedpropGroup, Typer

    return Typer(cls=RedpropGroup, no_args_is_help=True, add_completion=False, rich_markup_mode=None, help=help)


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table (for people), json or csv (for scripts).")]
AtOption = Annotated[Optional[str], typer.Option("--at", help="When it happened / as things stood then: 2026-11-20 9:30, 2026/11/20 9:30, 'yesterday 9:30', '2h ago'.")]
Key = Annotated[str, typer.Argument(help="Address key building-unit-room: 8-2-301, or 8-301 where the building has no units.")]
FileArg = Annotated[Path, typer.Argument(help="A .csv (UTF-8, UTF-8 with BOM, GBK or UTF-16) or .xlsx file.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Check every row and report, write nothing.")]
SkipInvalid = Annotated[bool, typer.Option("--skip-invalid", help="Write the good rows, list the refused ones, exit 0.")]
Sheet = Annotated[Optional[str], typer.Option("--sheet", help="Worksheet of an .xlsx file (default: the first).")]
MaxRows = Annotated[int, typer.Option("--max-rows", min=1, help="Refuse a file with more data rows than this.")]
NewGrids = Annotated[bool, typer.Option("--new-grids", help="Create grid points the file names that are not on record yet (listed in the summary).")]
By = Annotated[Optional[str], typer.Option("--by", help="Who did it (a staff member; default: you, `redprop config set me`, else the handler, if any).")]
Buildings = Annotated[Optional[str], typer.Option("--building", "-b", help="Only these buildings: 5, or several: 5,8.")]
StaffFilter = Annotated[Optional[str], typer.Option("--staff", help="Only what this person is responsible for (the buildings and grid points they cover).")]
ShowSensitive = Annotated[bool, typer.Option("--show-sensitive", help="Name sensitive focus groups (上访, 精神病人, 矫正) instead of masking them.")]


def run_import(app, importer, file: Path, dry_run: bool, skip_invalid: bool, sheet: Optional[str], fmt: Format,
               max_rows: int, **options):
    """Shared by every `… import` command: run it, then say what it did."""
    from redprop.present.imports import imported

    result = importer(app.store, file, app.now(), dry_run=dry_run, skip_invalid=skip_invalid, sheet=sheet,
                      max_rows=max_rows, **options)
    imported(app.output(fmt), result)


def field_options(fields, clear=None):
    """A command whose options are fields' own, as their catalogue declares them (fields.py):
    each field's option name, help, type and bounds, in the catalogue's order, where the
    command's `values` parameter stands (then `--clear FIELD` for a `clear` catalogue). The
    command receives `values`: field → what was typed (None: not given), and `clear`: the
    fields named. Options are an interface scripts use: the catalogue keeps their names."""
    import functools
    import inspect

    def option(field):
        spec = field.option
        bounds = {} if spec.min is None else {"min": spec.min}
        return Annotated[Optional[spec.type], typer.Option(spec.name, help=spec.help, **bounds)]

    def decorate(command):
        signature = inspect.signature(command)
        params = []
        for param in signature.parameters.values():
            if param.name == "values":
                params += [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=option(f))
                           for f in fields]
                if clear is not None:
                    params.append(inspect.Parameter("clear", inspect.Parameter.KEYWORD_ONLY, default=None,
                                                    annotation=clear_option(clear)))
            elif not (param.name == "clear" and clear is not None):  # the command's own: declared above
                params.append(param.replace(kind=inspect.Parameter.KEYWORD_ONLY))

        @functools.wraps(command)
        def with_values(**given):
            values = {f.name: given.pop(f.name) for f in fields}
            return command(**given, values=values)

        with_values.__signature__ = signature.replace(parameters=params)
        with_values.__annotations__ = {p.name: p.annotation for p in params}
        del with_values.__wrapped__  # Typer reads the signature above, not the command's own
        return with_values

    return decorate


def clear_option(record):
    """`--clear FIELD`, its help naming the fields of `record` that may be emptied."""
    help = f"Empty a field (repeatable): {', '.join(record.clearable())}."
    return Annotated[Optional[list[str]], typer.Option("--clear", metavar="FIELD", help=help)]


def typed_values(fields, values: dict, today=None) -> dict:
    """What was typed for each field, cleaned by the field's own cleaner (None: not given)."""
    return {f.name: None if values[f.name] is None else f.cleaner(today)(str(values[f.name])) for f in fields}
