"""What went wrong, as one line for the person at the keyboard, and the exit code that means it.

Said at the edge of the command line, in the language of the command (or of the line, when it
went wrong before a command was found): each function is given that Language.
"""

import errno
import os
import re
import sys

from redprop.errors import N_, ExitCode
from redprop.present.cells import for_stderr, printable
from redprop.present.i18n import Language
from redprop.present.labels import argument_said
from redprop.store import failure, reason
from redprop.store.files import path_error, shown


def complain(text: str) -> None:
    """One line on stderr: `redprop: …` (on a terminal, wrapped between words to its width)."""
    sys.stderr.write(for_stderr(printable(f"redprop: {text}"), sys.stderr) + "\n")


def complain_row(lang: Language, error) -> None:
    """A refused row of an import, on its own line before the import's one-line verdict."""
    sys.stderr.write(printable(lang._("refused {error}", error=lang.say(error))) + "\n")


def no_such_command(lang: Language, name: str, nearest: str | None) -> str:
    if nearest:
        return lang._("no command {name!r}; did you mean {nearest!r}?", name=name, nearest=nearest)
    return lang._("no command {name!r} (see --help)", name=name)


# Click's usage errors, read back into the catalogue: (pattern of Click's English, msgid), compiled
# only when one is said (re keeps them).
_USAGE = [
    (r"^Missing option (?P<name>'[^']+'(?: / '[^']+')*)\.?(?P<more>.*)$", N_("option {name} is missing")),
    (r"^Missing argument '(?P<name>[^']+)'\.?(?P<more>.*)$", N_("{name} is missing")),
    (r"^No such option: (?P<name>\S+) \(Possible options: (?P<near>.*)\)$", N_("no option {name}; did you mean {near}?")),
    (r"^No such option: (?P<name>\S+)$", N_("no option {name}")),
    (r"^Option '(?P<name>[^']+)' requires an argument\.$", N_("option {name} needs a value")),
    (r"^Got unexpected extra argument(?:s|\(s\))? \((?P<words>.*)\)$", N_("unexpected words on the line: {words}")),
    (r"^Invalid value for (?P<name>.+?): '(?P<value>.*)' is not one of (?P<choices>.*)\.$",
     N_("{name}: {value!r} is not one of {choices}")),
    (r"^Invalid value for (?P<name>.+?): '(?P<value>.*)' is not a valid (?:integer|int)(?: range)?\.$",
     N_("{name}: {value!r} is not a whole number")),
    (r"^Invalid value for (?P<name>.+?): '(?P<value>.*)' is not a valid float(?: range)?\.$",
     N_("{name}: {value!r} is not a number")),
    (r"^Invalid value for (?P<name>.+?): (?P<value>.+) is not in the range (?P<range>.*)\.$",
     N_("{name}: {value} is not in the range {range}")),
]


def usage_error(lang: Language, english: str, command: str | None) -> str:
    """A Click usage error in the worker's language, with where to read more."""
    said = english
    for pattern, template in _USAGE:
        match = re.match(pattern, english)
        if match:
            values = {k: v for k, v in match.groupdict().items() if k != "more"}
            if "name" in values:  # '--output' / '-o' → --output; an argument as help says it: <户号>
                name = values["name"].split(" / ")[0].strip("'")
                values["name"] = name if name.startswith("-") else argument_said(name.lower(), lang)
            said = lang._(template, **values)
            break
    if command:
        return lang._("{error} (see `{command} --help`)", error=said, command=command)
    return said


def interrupted(lang: Language) -> str:
    return lang._("interrupted; nothing more was written")


def unexpected(lang: Language, error: Exception) -> tuple[str, int]:
    """Anything that is not a RedpropError: still one line, never a traceback, never exit 1."""
    kind = failure(error)
    if kind == "busy":
        return lang._("the database is busy with another worker's change; try again in a moment"), ExitCode.DATABASE
    if kind == "rule":
        # A rule of the schema caught what the domain code should have: nothing was written.
        return lang._("refused by the database's rules ({error}); nothing was written", error=str(error)), ExitCode.INVALID
    if isinstance(error, UnicodeEncodeError) and "surrogates" in str(error.reason):
        # bytes typed on the command line that are not UTF-8 (a terminal set to GBK): Python keeps them as
        # lone surrogates, which no file or database takes
        typed = os.fsencode(error.object[error.start:error.end]).decode("utf-8", "backslashreplace")
        return lang._("a word on the command line holds bytes that are not UTF-8 text ({bytes}); set the terminal to"
                      " UTF-8 and type it again (nothing was written)", bytes=typed), ExitCode.INVALID
    if isinstance(error, OverflowError):  # a date so far back or ahead that the calendar runs out
        return lang._("a date or time out of range (years 1–9999 only, and not at their very edges)"), ExitCode.INVALID
    if kind == "denied":
        return lang._("the shared database refused this login ({error}); nothing was written. Its owner can grant it"
                      " the community: redprop grant LOGIN --community CODE", error=_first_line(error)), ExitCode.DENIED
    if kind is not None:
        return _database_error(lang, error, kind), ExitCode.DATABASE
    if isinstance(error, OSError) and error.filename:
        if error.errno in (errno.ENAMETOOLONG, errno.ENOTDIR, errno.ELOOP, errno.EACCES, errno.EPERM):
            return lang.say(path_error(error.filename, error).message), ExitCode.USAGE  # a path typed that cannot be
        return lang._("cannot use {path}: {reason} (nothing was written)", path=shown(error.filename),
                      reason=error.strerror or str(error)), ExitCode.DATABASE
    if isinstance(error, MemoryError):
        return lang._("out of memory (nothing was written)"), ExitCode.DATABASE
    return lang._("unexpected error: {kind}: {error} (nothing was written; REDPROP_DEBUG=1 shows where)",
                  kind=type(error).__name__, error=str(error)), ExitCode.DATABASE


def _first_line(error: Exception) -> str:
    """A database error's first line (a server's error carries a LINE and a caret below it)."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _database_error(lang: Language, error: Exception, kind: str) -> str:
    """The database's error said for what it means to the office (store.failure): damage, a full
    disk, read-only. Never a stored value the error quotes (store.reason)."""
    english = reason(error)
    if kind == "damaged":
        return lang._("the database file is damaged ({error}); nothing was written. `redprop check` says what is wrong;"
                      " `redprop restore BACKUP` puts a backup in its place", error=english)
    if kind == "full":
        return lang._("the disk is full ({error}); nothing was written", error=english)
    if kind == "read_only":
        return lang._("the database cannot be written here ({error}); nothing was written", error=english)
    if kind == "unreachable":
        return lang._("the database server could not be reached ({error}); nothing more was written",
                      error=_first_line(error))
    if kind == "io":
        return lang._("the database file could not be read or written ({error}); nothing was written", error=english)
    return lang._("database error: {error} (nothing was written; REDPROP_DEBUG=1 shows where)", error=english)
