"""The errors redprop's domain raises, and the exit codes the CLI turns them into.

Domain code raises a RedpropError subclass; the CLI prints `str(error)` as one line on
stderr and exits with `error.exit_code`. Scripts and cron can rely on these codes.
"""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    CHECK_FAILED = 1  # `overdue --check` found something overdue
    USAGE = 2  # bad command line, or no database yet (run `redprop init`)
    NOT_FOUND = 3  # no such household, staff member, issue, grid point, file…
    INVALID = 4  # a value that cannot be right: bad date, phone, unknown code, impossible step
    IMPORT_REFUSED = 5  # an import refused rows and wrote nothing
    DATABASE = 6  # locked after the timeout, newer schema, unreadable file


class RedpropError(Exception):
    exit_code = ExitCode.INVALID


class NotFound(RedpropError):
    exit_code = ExitCode.NOT_FOUND


class InvalidValue(RedpropError):
    exit_code = ExitCode.INVALID


class DatabaseMissing(RedpropError):
    exit_code = ExitCode.USAGE


class DatabaseError(RedpropError):
    exit_code = ExitCode.DATABASE


class ImportRefused(RedpropError):
    """Raised when an import refuses rows; nothing was written. `errors` lists them."""

    exit_code = ExitCode.IMPORT_REFUSED

    def __init__(self, message: str, errors: list[str]):
        super().__init__(message)
        self.errors = errors
