"""What an import did: the refused rows on stderr, and its summary (`新增 11，更新 0，未变 3，拒收 2`)."""

from redprop.present.output import Format, Output


def summary(out: Output, result) -> str:
    counts = dict(added=result.added, updated=result.updated, unchanged=result.unchanged, refused=result.refused_rows)
    if result.dry_run:
        return out._("dry run, nothing written — would be added {added}, updated {updated}, unchanged {unchanged},"
                     " refused {refused}", **counts)
    return out._("added {added}, updated {updated}, unchanged {unchanged}, refused {refused}", **counts)


def refused_line(out: Output, error) -> str:
    return out._("refused {error}", error=out.say(error))


def imported(out: Output, result) -> None:
    """Every `… import` command ends here."""
    for error in result.refused:
        out.note(refused_line(out, error))
    unlisted = getattr(result, "unlisted_rows", 0)
    if unlisted > 0:
        out.note(out._("… and {count} more refused rows, not listed (the first {listed} are)", count=unlisted,
                       listed=result.refused_rows - unlisted))
    if getattr(result, "new_grids", None):
        shown = result.new_grids if len(result.new_grids) <= 12 else [*result.new_grids[:10], "…", result.new_grids[-1]]
        grids = out._("{codes} ({count} in all)", count=len(result.new_grids), codes=", ".join(shown))
        if result.first_grids:
            out.note(out._("the community's first grid points, from this file: {grids}", grids=grids))
        else:
            out.note(out._("new grid points (--new-grids): {grids}", grids=grids))
    if getattr(result, "other_types", None):
        out.note(out._("诉求类型 with no category, filed as 其他: {types} (give a category its upstream class:"
                       " redprop issue category edit CATEGORY --upstream TYPE)", types=", ".join(result.other_types)))
    if result.ignored_columns:
        out.note(out._("ignored columns: {columns}", columns=", ".join(result.ignored_columns)))
    if out.fmt == Format.json:
        out.document({**result.as_dict(), "errors": [_error_record(out, e) for e in result.refused]})
    else:
        out.line(summary(out, result))


def _error_record(out: Output, error) -> dict:
    """A refused row for scripts: its row number and column as the file has them, and why."""
    values = error.values
    return {"row": values.get("row"), "column": values.get("column"), "reason": out.say(values.get("reason", error))}
