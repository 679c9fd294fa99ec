"""Files that hold personal data: created private (0600) whatever the umask, paths checked first.

Every file redprop creates with names, phones or group memberships in it — the database, the
backups, an export written to a file — goes through `private_file`, `create_private` or
`partial_beside` (which `written_whole` and backups use), so that another account on the office PC cannot read it. SQLite creates the database's `-wal` and
`-shm` with the database file's own permissions, so a database made here keeps all three private.

`checked_path` turns what the operating system says about a path it cannot use (a name too
long, a file where a folder should be, no permission to look) into one line instead of an
OSError, before anything is opened.

A file written whole (a ledger, a report, a backup) is first written under a temporary name in
its own folder, `.NAME.TOKEN.part`: created exclusively (O_EXCL|O_NOFOLLOW, so never into a file
or a link someone planted there) with a TOKEN nobody can guess, and locked (flock) while it is
written. A write killed half-way (kill -9, a power cut) leaves its `.part` behind, unlocked;
the next write to the same place removes it, and `redprop check` lists those beside the
database. Only regular files are written: a fifo, a device or a socket given as the target is
refused, never replaced and never blocked on.
"""

import errno
import fcntl
import os
import re
import stat
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from redprop.errors import N_, BadPath, Message, OutputFailed

PRIVATE = 0o600
NAME_MAX = 255
SHOWN = 80  # characters of a path a message shows: its start and its end


def shown(path) -> str:
    """A path as a message shows it: whole when short, else its start … its end (a byte of its
    name that is not UTF-8 as \\xff)."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
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


def special_kind(mode: int) -> str | None:
    """What a path is when it is not a regular file or a folder (a msgid), else None."""
    for test, kind in ((stat.S_ISFIFO, N_("a fifo (named pipe)")), (stat.S_ISSOCK, N_("a socket")),
                       (stat.S_ISCHR, N_("a device")), (stat.S_ISBLK, N_("a device"))):
        if test(mode):
            return kind
    return None


def output_path(path: Path) -> Path:
    """A path a file may be written to (it need not exist): never a folder, a fifo, a device or a
    socket, which a write would replace or block on; BadPath (exit 2) otherwise."""
    path = checked_path(Path(path))
    try:
        mode = os.stat(path).st_mode
    except OSError:  # not there (or a dangling link): written as a new file
        return path
    if stat.S_ISDIR(mode):
        raise BadPath("{path} is a folder; give a file name", path=shown(path))
    kind = special_kind(mode)
    if kind:
        raise BadPath("{path} is {kind}, not a file; redprop writes only to files (nothing was written)",
                      path=shown(path), kind=Message(kind))
    return path


def sha256(data: bytes = b""):
    """A SHA-256 hash of `data` (`.update`, `.hexdigest`), from the interpreter's own module where
    it has one: hashlib loads OpenSSL's library, 2 ms of every command (its mark is a digest)."""
    return _sha256()(data)


@cache
def _sha256():
    for module in ("_sha2", "_sha256"):  # Python 3.12 and later; 3.11
        try:
            return __import__(module).sha256
        except (ImportError, AttributeError):
            continue
    from hashlib import sha256

    return sha256


# -- temporary files of a write, and the leftovers of one that was interrupted --------------

TOKEN_BYTES = 8  # 16 hex digits: the unpredictable part of a temporary name
# `.NAME.TOKEN.part`, and what older redprops left: `.NAME.PID.part`, `.NAME.partial-PID`
_LEFTOVER = r"\.(?P<base>.+?)\.(?:[0-9a-f]{16}\.part|\d+\.part|partial-\d+)"


def part_base(name: str) -> str:
    """The target's name as its temporary files carry it; a name too long to carry with the token
    is carried as a digest of it (the same for every write to that target)."""
    if len(os.fsencode(name)) + 2 * TOKEN_BYTES + 8 <= NAME_MAX:
        return name
    return "redprop-" + sha256(os.fsencode(name)).hexdigest()[:16]


@contextmanager
def partial_beside(path: Path):
    """A new, empty, private (0600) file in `path`'s folder to write `path` whole: (fd, its path).

    It is created exclusively under an unpredictable name and locked for as long as the block
    runs, so that the leftovers an interrupted write removes are never a write under way; on an
    error it is removed. The leftovers of earlier writes to `path` are removed first."""
    remove_leftovers(path.parent, lambda base: base == part_base(path.name))
    fd, partial = _create_partial(path)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a file system without locks: its leftovers are then never taken for abandoned
            pass
        os.fchmod(fd, PRIVATE)  # the umask can only take bits away; this says exactly 0600
        yield fd, partial
    except BaseException:
        remove_quietly(partial, *sidecars(partial))
        raise
    finally:
        os.close(fd)  # the lock goes with the last descriptor: only once the file is in place or gone


def _create_partial(path: Path) -> tuple[int, Path]:
    import secrets

    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    for _attempt in range(8):
        partial = path.with_name(f".{part_base(path.name)}.{secrets.token_hex(TOKEN_BYTES)}.part")
        try:
            return os.open(partial, flags, PRIVATE), partial
        except FileExistsError:
            continue
        except FileNotFoundError:
            raise BadPath("cannot write {path}: no folder {folder}", path=shown(path), folder=shown(path.parent)) from None
        except PermissionError:
            raise BadPath("cannot write {path}: permission denied", path=shown(path)) from None
        except OSError as error:
            raise write_failed(path, error) from None
    raise BadPath("cannot write {path}: no free temporary name beside it", path=shown(path))


def link_into_place(partial: Path, final: Path) -> None:
    """Give the complete file `partial` its final name as well, never over a file that appeared
    meanwhile (FileExistsError); on a file system without hard links it is renamed."""
    try:
        os.link(partial, final)
    except FileExistsError:
        raise
    except OSError:
        os.rename(partial, final)


def leftovers(folder: Path, belongs=lambda base: True) -> list[Path]:
    """The temporary files that interrupted writes left in `folder` (of the targets whose names
    `belongs` accepts): this account's own, regular, and locked by no write under way."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    found = []
    for entry in entries:
        match = re.fullmatch(_LEFTOVER, entry.name)
        if match and belongs(match["base"]) and _abandoned(Path(entry.path)):
            found.append(Path(entry.path))
    return sorted(found)


def remove_leftovers(folder: Path, belongs=lambda base: True) -> list[Path]:
    """Remove what `leftovers` finds (and any journal SQLite left beside it)."""
    found = leftovers(folder, belongs)
    for path in found:
        remove_quietly(path, *(side for side in sidecars(path) if _own_file(side)))
    return found


def _own_file(path: Path) -> os.stat_result | None:
    try:
        found = os.lstat(path)
    except OSError:
        return None
    return found if stat.S_ISREG(found.st_mode) and found.st_uid == os.geteuid() else None


def _abandoned(path: Path) -> bool:
    """Whether `path` is this account's regular file that no process holds locked."""
    found = _own_file(path)
    if found is None:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        if os.fstat(fd).st_ino != found.st_ino:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:  # a write under way holds it
            return False
        return True
    finally:
        os.close(fd)


FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def write_failed(path: Path, error: OSError) -> OutputFailed:
    """What an OSError met while writing `path` means: a full disk (or quota, or file-size limit)
    said as such; anything else with the system's words."""
    reason = error.strerror or str(error)
    if error.errno in FULL:
        return OutputFailed(Message("cannot write {path}: the disk is full ({reason}); nothing was written",
                                    path=shown(path), reason=reason))
    return OutputFailed(Message("cannot write {path}: {reason}; nothing was written", path=shown(path), reason=reason))


@contextmanager
def written_whole(path: Path, mode: str = "wb", **kwargs):
    """A private (0600) stream that becomes `path` only when the block ends without error: a
    ledger or a report is there whole or not at all (an older file of that name stays as it was).
    A full disk is one line (OutputFailed, exit 6), and leaves nothing behind."""
    path = output_path(path)
    with partial_beside(path) as (fd, partial):
        try:
            with os.fdopen(os.dup(fd), mode, **kwargs) as stream:
                yield stream
                stream.flush()
                os.fsync(stream.fileno())
        except OSError as error:
            if error.filename not in (None, os.fspath(partial)):
                raise
            raise write_failed(path, error) from None
        os.replace(partial, path)


SQLITE_HEADER = b"SQLite format 3\x00"


def is_regular_file(path: Path) -> bool:
    """Whether `path` is a regular file (a fifo or a device given as the database would block or
    never end); looked at, never opened."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True  # what the system says about it is said when it is opened


def has_sqlite_header(path: Path) -> bool:
    """Whether the file starts as every SQLite database does (or is empty): a text file or a
    workbook SQLite cannot read is not a damaged database, and is called what it is.

    Read only after SQLite failed to open it: closing a descriptor of a file releases every lock
    this process holds on it, SQLite's included."""
    try:
        with open(path, "rb") as f:
            return f.read(len(SQLITE_HEADER)) in (b"", SQLITE_HEADER)
    except OSError:
        return True


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
