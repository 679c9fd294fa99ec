"""What an import did: the refused rows on stderr, and its summary (`新增 11，更新 0，未变 3，拒收 2`)."""

from redprop.present.i18n import _, say
from redprop.present.output import Format, Output


def summary(result) -> str:
    counts = dict(added=result.added, updated=result.updated, unchanged=result.unchanged, refused=result.refused_rows)
    if result.dry_run:
        return _("dry run, nothing written — would be added {added}, updated {updated}, unchanged {unchanged},"
                 " refused {refused}", **counts)
    return _("added {added}, updated {updated}, unchanged {unchanged}, refused {refused}", **counts)


def refused_line(error) -> str:
    return _("refused {error}", error=say(error))


def imported(out: Output, result) -> None:
    """Every `… import` command ends here."""
    for error in result.refused:
        out.note(refused_line(error))
    unlisted = getattr(result, "unlisted_rows", 0)
    if unlisted > 0:
        out.note(_("… and {count} more refused rows, not listed (the first {listed} are)", count=unlisted,
                   listed=result.refused_rows - unlisted))
    if getattr(result, "new_grids", None):
        shown = result.new_grids if len(result.new_grids) <= 12 else [*result.new_grids[:10], "…", result.new_grids[-1]]
        grids = _("{codes} ({count} in all)", count=len(result.new_grids), codes=", ".join(shown))
        if result.first_grids:
            out.note(_("the community's first grid points, from this file: {grids}", grids=grids))
        else:
            out.note(_("new grid points (--new-grids): {grids}", grids=grids))
    if result.ignored_columns:
        out.note(_("ignored columns: {columns}", columns=", ".join(result.ignored_columns)))
    if out.fmt == Format.json:
        out.document({**result.as_dict(), "errors": [_error_record(e) for e in result.refused]})
    else:
        out.line(summary(result))


def _error_record(error) -> dict:
    """A refused row for scripts: its row number and column as the file has them, and why."""
    values = error.values
    return {"row": values.get("row"), "column": values.get("column"), "reason": say(values.get("reason", error))}
