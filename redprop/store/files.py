"""Files that hold personal data: created private (0600) whatever the umask, paths checked first.

Every file redprop creates with names, phones or group memberships in it — the database, the
backups, an export written to a file — goes through `private_file` (or `create_private`), so
that another account on the office PC cannot read it. SQLite creates the database's `-wal` and
`-shm` with the database file's own permissions, so a database made here keeps all three private.

`checked_path` turns what the operating system says about a path it cannot use (a name too
long, a file where a folder should be, no permission to look) into one line instead of an
OSError, before anything is opened.
"""

import errno
import os
import stat
from contextlib import contextmanager
from pathlib import Path

from redprop.errors import BadPath

PRIVATE = 0o600
NAME_MAX = 255
SHOWN = 80  # characters of a path a message shows: its start and its end


def shown(path) -> str:
    """A path as a message shows it: whole when short, else its start … its end."""
    text = os.fspath(path)
    if len(text) <= SHOWN:
        return text
    return f"{text[:40]}…{text[-30:]}"


def checked_path(path: Path) -> Path:
    """The path, once the system could look at it (it need not exist); else BadPath (exit 2)."""
    text = os.fspath(path)
    if "\x00" in text:
        raise BadPath("{path}: a file name cannot hold a NUL character", path=shown(text.replace("\x00", "\\0")))
    if any(len(os.fsencode(part)) > NAME_MAX for part in Path(text).parts):
        raise BadPath("{path}: a part of this path is longer than {limit} bytes, the longest name a file can have",
                      path=shown(text), limit=NAME_MAX)
    try:
        os.stat(text)
    except FileNotFoundError:
        pass
    except OSError as error:
        raise path_error(path, error) from None
    return path


def path_error(path, error: OSError) -> BadPath:
    """What an OSError about a path means for the person who typed it."""
    if error.errno == errno.ENAMETOOLONG:
        return BadPath("{path}: the path is too long for the system", path=shown(path))
    if error.errno == errno.ENOTDIR:
        return BadPath("{path}: a part of this path is a file, not a folder", path=shown(path))
    if error.errno in (errno.EACCES, errno.EPERM):
        return BadPath("{path}: no permission to reach or create this path", path=shown(path))
    if error.errno == errno.ELOOP:
        return BadPath("{path}: too many symbolic links in this path", path=shown(path))
    return BadPath("{path}: {reason}", path=shown(path), reason=error.strerror or str(error))


def create_private(path: Path) -> None:
    """Create an empty file readable and writable by its owner only; refuses if it exists."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), PRIVATE)
    try:
        os.fchmod(fd, PRIVATE)  # the umask can only take bits away; this says exactly 0600
    finally:
        os.close(fd)


def _open_private(path: Path) -> int:
    """A file descriptor of `path`, created or truncated, mode exactly 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), PRIVATE)
    try:
        os.fchmod(fd, PRIVATE)  # the umask can only take bits away; this says exactly 0600
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextmanager
def private_file(path: Path, mode: str = "w", **kwargs):
    """`open()` for a new file of personal data: created 0600, written in place.

        with private_file(out, newline="", encoding="utf-8") as f: …

    An existing file is made private first, then overwritten."""
    with os.fdopen(_open_private(path), mode, **kwargs) as f:
        yield f


@contextmanager
def written_whole(path: Path, mode: str = "wb", **kwargs):
    """A private (0600) stream that becomes `path` only when the block ends without error: a
    ledger or a report is there whole or not at all (an older file of that name stays as it was)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        fd = _open_private(partial)
    except FileNotFoundError:
        raise BadPath("cannot write {path}: no folder {folder}", path=shown(path), folder=shown(path.parent)) from None
    except PermissionError:
        raise BadPath("cannot write {path}: permission denied", path=shown(path)) from None
    try:
        with os.fdopen(fd, mode, **kwargs) as stream:
            yield stream
        os.replace(partial, path)
    except BaseException:
        remove_quietly(partial)
        raise


def readable_by_others(path: Path) -> bool:
    """Whether accounts other than the owner may read the file (group or others have `r`)."""
    return bool(os.stat(path).st_mode & (stat.S_IRGRP | stat.S_IROTH))


def remove_quietly(*paths) -> None:
    for path in paths:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def sidecars(path: Path) -> list[Path]:
    """The files SQLite keeps beside a database in WAL mode."""
    return [Path(f"{os.fspath(path)}-wal"), Path(f"{os.fspath(path)}-shm"), Path(f"{os.fspath(path)}-journal")]


# A damaged database is noted beside it (`NAME.damaged`, the moment and what met the damage) by
# the first command that meets it; from then on nothing is written to it until `check` finds it
# whole again or `restore` replaces it. Reading goes on: what is undamaged can still be read.


def damage_note(path: Path) -> Path:
    return Path(f"{os.fspath(path)}.damaged")


def is_damage(error: BaseException) -> bool:
    """Whether an error says the database file is damaged (not busy, full or read-only)."""
    from redprop.errors import DamagedDatabase
    from redprop.store.engine import failure

    return isinstance(error, DamagedDatabase) or failure(error) == "damaged"


def note_damage(path: Path, what: str, when: str | None = None) -> None:
    """Note that the database at `path` was found damaged, and by what (quietly nothing where it
    cannot be written). `when` defaults to now on this computer's clock."""
    if when is None:
        from datetime import datetime

        when = datetime.now().astimezone().isoformat(timespec="seconds")
    note = damage_note(path)
    try:
        if not note.exists():
            with private_file(note, encoding="utf-8") as f:
                f.write(f"{when}\t{what}\n")
    except OSError:
        pass


def noted_damage(path: Path) -> tuple[str, str] | None:
    """(when, what) of the note that the database was found damaged, if there is one."""
    try:
        when, _tab, what = damage_note(path).read_text(encoding="utf-8").strip().partition("\t")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return ("?", "?")
    return when, what


def clear_damage(path: Path) -> None:
    remove_quietly(damage_note(path))
