"""The words redprop owes a person, and the errors its domain raises, with their exit codes.

Domain code never writes a finished sentence: it raises (or returns) a `Message`, an
English template with its values, and the presentation layer (`redprop.present.i18n`)
says it in the worker's language — the template is the gettext msgid. The CLI prints an
error as one line on stderr and exits with `error.exit_code`; scripts and cron rely on
these codes.
"""

from contextlib import contextmanager


def N_(template: str) -> str:
    """Marks a template for the translation catalogue without translating it (gettext's N_)."""
    return template


class Message:
    """Words for a person in no language yet: an English template and the values it names.

    Values may be plain values, other Messages, vocabulary codes (`redprop.vocab.Code`,
    shown as their label) or lists of these; the presentation layer renders each in the
    chosen language. `str()` gives the English, for logs and tracebacks.
    """

    __slots__ = ("template", "values")

    def __init__(self, template: str, /, **values):
        self.template = template
        self.values = values

    def __str__(self) -> str:
        return self.template.format(**{k: _english(v) for k, v in self.values.items()})

    def __repr__(self) -> str:
        return f"Message({self.template!r}, **{self.values!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Message) and (self.template, self.values) == (other.template, other.values)

    def __hash__(self) -> int:
        return hash((self.template, tuple(sorted(self.values))))


def _english(value):
    if isinstance(value, (list, tuple)):
        return ", ".join(str(_english(v)) for v in value)
    if isinstance(value, (str, int, float)) or value is None:
        return value
    return str(value)


class ExitCode:  # the codes as plain ints: an IntEnum costs every start half a millisecond to make
    OK = 0
    CHECK_FAILED = 1  # `overdue --check` found something overdue; nothing else exits 1
    USAGE = 2  # bad command line, or no database yet (run `redprop init`)
    NOT_FOUND = 3  # no such household, staff member, issue, grid point, file…
    INVALID = 4  # a value that cannot be right: bad date, phone, unknown code, impossible step
    IMPORT_REFUSED = 5  # an import refused rows and wrote nothing
    DATABASE = 6  # locked after the timeout, newer schema, damaged or unreadable file, server unreachable, anything unexpected
    DENIED = 7  # a shared database's login may not work in this community, or may only read it


class RedpropError(Exception):
    exit_code = ExitCode.INVALID

    def __init__(self, template, /, **values):
        self.message = template if isinstance(template, Message) else Message(template, **values)
        super().__init__(str(self.message))


class NotFound(RedpropError):
    exit_code = ExitCode.NOT_FOUND


class InvalidValue(RedpropError):
    exit_code = ExitCode.INVALID


class InvalidSetting(InvalidValue, ValueError):
    """An InvalidValue raised where Python expects a ValueError: in a pydantic validator, a dataclass check."""


class DatabaseMissing(RedpropError):
    exit_code = ExitCode.USAGE


class MissingValue(RedpropError):
    """Something the command line must say was not said (who did it, whose day): a usage error."""

    exit_code = ExitCode.USAGE


class UsageMistake(RedpropError):
    """A command line that could be read two ways, and redprop will not guess (a --db given twice)."""

    exit_code = ExitCode.USAGE


class BadPath(RedpropError):
    """A path the system cannot use: too long, a file where a folder should be, no permission."""

    exit_code = ExitCode.USAGE


class DatabaseError(RedpropError):
    exit_code = ExitCode.DATABASE


class AccessDenied(RedpropError):
    """A login working in a community of a shared database it was not granted, or writing where
    it may only read: the database itself refuses (its grants), and redprop says so before trying."""

    exit_code = ExitCode.DENIED


class OutputFailed(RedpropError):
    """A file redprop writes (a ledger, a report, a backup) could not be written: a full disk, a
    quota, an I/O error. Nothing was left behind."""

    exit_code = ExitCode.DATABASE


class DamagedDatabase(DatabaseError):
    """The database file is damaged (SQLite found a malformed page): noted beside it, so that no
    command writes to it until `check` says ok or `restore` puts a backup in its place."""


class ImportRefused(RedpropError):
    """Raised when an import refuses rows; nothing was written. `errors` lists them (Messages)."""

    exit_code = ExitCode.IMPORT_REFUSED

    def __init__(self, template, errors: list, /, **values):
        super().__init__(template, **values)
        self.errors = errors


@contextmanager
def naming(option: str):
    """Re-raise a bad value's error with the option it came from: `--order-due: '3个工作日x' is not…`."""
    try:
        yield
    except InvalidValue as error:
        raise InvalidValue("{option}: {reason}", option=option, reason=error.message) from None
