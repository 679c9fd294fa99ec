"""What `init` and `demo` say."""

from redprop.present.i18n import _
from redprop.present.imports import summary
from redprop.present.output import Output


def created(out: Output, path, community: str, timezone: str) -> None:
    out.note(_("created {path} for {community} ({timezone})", path=str(path), community=community or _("the community"),
               timezone=timezone))


def demo_report(out: Output, path) -> None:
    """The demo's last line: where last week's report is, to open in a browser and print."""
    out.line(_("Last week's report: {path} (open it in a browser; it prints on A4)", path=str(path)))


def demo_built(out: Output, path, results, as_of) -> None:
    for file, result in results:
        out.note(_("imported {file}: {summary}", file=file, summary=summary(result)))
    out.note(_("demo database: {path} (as of {at}; try `redprop --db {path} household list`)", path=str(path),
               at=as_of.strftime("%Y-%m-%d %H:%M")))
