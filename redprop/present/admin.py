"""What `init` and `demo` say."""

from redprop.errors import N_
from redprop.present.output import Format
from redprop.store.files import shown
from redprop.present.imports import summary
from redprop.present.output import Output
from redprop.present.table import Column, Table


def created(out: Output, path, community: str, timezone: str) -> None:
    out.note(out._("created {path} for {community} ({timezone})", path=str(path), community=community or out._("the community"),
                   timezone=timezone))


COMMUNITY_CARD = Table((
    Column("community", "Community"),
    Column("code", "Code (12 digits)"),
    Column("timezone", "Time zone"),
))


def community(out: Output, record: dict) -> None:
    """`community show|edit`: the community's name, code and time zone."""
    out.record(COMMUNITY_CARD, record)


def copied(out: Output, result: dict) -> None:
    """`copy`: what was copied where (JSON: the whole result, with every table's rows)."""
    if out.fmt == Format.json:
        out.document({**result, "source": shown(result["source"]), "target": shown(result["target"])})
        return
    rows = sum(result["rows"].values())
    name = " ".join(x for x in (result["community"], result["community_code"]) if x) or out._("the community")
    out.note(out._("copied {community} from {source} to {target}: {tables} tables, {rows} rows, counted and checked on"
                   " both sides", community=name, source=shown(result["source"]), target=shown(result["target"]),
                   tables=len(result["rows"]), rows=rows))


def access_changed(out: Output, result: dict) -> None:
    """`grant`/`revoke`: what the login may do now."""
    if result["street"]:
        template = (N_("{login} may now read every community (and write none)") if result["allowed"]
                    else N_("{login} may no longer read every community"))
    else:
        template = (N_("{login} may now work in community {community}") if result["allowed"]
                    else N_("{login} may no longer work in community {community}"))
    out.note(out._(template, login=result["login"], community=result["community"]))


def exported(out: Output, result: dict) -> None:
    """`export open311`: what was written where."""
    out.note(out._("Open311: {services} services and {requests} service requests written to {folder}",
                   services=result["services"], requests=result["requests"], folder=result["folder"]))


def demo_report(out: Output, path) -> None:
    """The demo's last line: where last week's report is, to open in a browser and print."""
    out.line(out._("Last week's report: {path} (open it in a browser; it prints on A4)", path=str(path)))


def demo_built(out: Output, path, results, as_of) -> None:
    for file, result in results:
        out.note(out._("imported {file}: {summary}", file=file, summary=summary(out, result)))
    out.note(out._("demo database: {path} (as of {at}; try `redprop --db {path} household list`)", path=str(path),
                   at=as_of.strftime("%Y-%m-%d %H:%M")))


def checked(out: Output, result: dict) -> None:
    """`redprop check`: ok, or each problem on a line; warnings on stderr either way."""
    for warning in result["warnings"]:
        out.note(out._("warning: {warning}", warning=out.say(warning)))
    accepted = result.get("accepted")
    if accepted is not None:
        out.note(_accepted(out, accepted))
    if out.fmt == Format.json:
        out.document({"ok": not result["problems"], "problems": [out.say(p) for p in result["problems"]],
                      "warnings": [out.say(w) for w in result["warnings"]], "checked": result["checked"],
                      "quick": result["quick"],
                      "accepted_loss": None if accepted is None else {"missing": accepted.missing, "last": accepted.marked,
                                                                      "newest": accepted.newest}})
        return
    if not result["problems"]:
        out.line(out._("ok ({what})", what=_checked(out, result)))
        return
    for problem in result["problems"]:
        out.line(out.say(problem))
    out.line(out._("{count} problems found ({what}); `redprop restore BACKUP` puts a good backup in place",
                   count=len(result["problems"]), what=_checked(out, result)))


def _accepted(out: Output, loss) -> str:
    if loss.missing is None:
        return out._("accepted as gone: what the database held when entry #{marked} was written; it is written on"
                     " from entry #{newest}", marked=loss.marked, newest=loss.newest)
    return out._("accepted as gone: {missing} entries of the change log (#{first}–#{marked}); it is written on from"
                 " entry #{newest}", missing=loss.missing, first=loss.newest + 1, marked=loss.marked, newest=loss.newest)


def _checked(out: Output, result: dict) -> str:
    parts = [out._("quick check") if result["quick"] else out._("full check")]
    checked = result["checked"]
    if "issues" in checked:
        parts.append(out._("{count} issues replayed", count=checked["issues"]))
    if "memberships" in checked:
        parts.append(out._("{count} memberships", count=checked["memberships"]))
    return out.separator.join(parts)


def backed_up(out: Output, result: dict) -> None:
    rows = sum(result["rows"].values())
    out.note(out._("backed up to {path} ({size}, {rows} rows, checked)", path=shown(result["path"]),
                   size=_size(result["bytes"]), rows=rows))
    for old in result["removed"]:
        out.note(out._("removed the older backup {path}", path=shown(old)))


def restored(out: Output, result: dict) -> None:
    if result["aside"]:
        out.note(out._("the previous database is kept as {path}", path=shown(result["aside"])))
    out.note(out._("restored {path} from {backup} ({rows} rows, checked)", path=shown(result["path"]),
                   backup=shown(result["backup"]), rows=sum(result["rows"].values())))
    if result.get("entry"):
        out.note(out._("the restore is log entry #{entry}; undo does not reach across it", entry=result["entry"]))


def _size(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
