"""Per-user settings: who I am (`me`), which database (`db`), which language (`lang`).

They live in one small TOML file of the user's own — `$REDPROP_CONFIG` if set, else
`$XDG_CONFIG_HOME/redprop/config.toml`, else `~/.config/redprop/config.toml` — written with
mode 0600, as it names the worker and where the residents' files are. `redprop config set`
writes it (to the file `$REDPROP_CONFIG` names, when it names one).

Each setting is resolved in one order, by the application object (application.py): an option
on the line, else the environment, else this file, else the default. A setting is declared
once, in SETTINGS, with its variable and how a typed value is cleaned; a new one is one more
line there (as `community`, of a shared PostgreSQL server, was).

Reading costs nothing when there is no file; a file redprop wrote (`key = "value"` lines)
is read without the TOML parser, whose import would cost every command a few milliseconds;
anything else a person wrote into it goes through `tomllib`.
"""

import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from redprop.errors import N_, InvalidValue


def _clean_me(text: str) -> str:
    from redprop.parsing import clean_name

    name = clean_name(text)
    if not name:
        raise InvalidValue("me: give your name as the staff list has it, like 王建国")
    return name


def _clean_db(text: str) -> str:
    """A database file (kept absolute: the setting is used from any folder) or a server's URL."""
    text = text.strip()
    if not text:
        raise InvalidValue("db: give a database file, like ~/mlsj.db")
    if "://" in text:
        return text
    return os.fspath(Path(text).expanduser().absolute())


def _clean_community(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidValue("community: give the community's code or name, like 530324001001")
    return text


def _clean_lang(text: str) -> str:
    from redprop.present.i18n import language_code

    return language_code(text, "lang")


class Setting(NamedTuple):
    key: str
    variable: str | None  # the environment variable that sets it for one shell
    help: str  # msgid: what it is
    clean: Callable[[str], str]  # a value as typed in `config set` → as kept (raises InvalidValue)


SETTINGS = {s.key: s for s in (
    Setting("me", "REDPROP_USER", N_("who you are: your name in the staff list; --by defaults to it, the change log"
                                     " records it"), _clean_me),
    Setting("db", "REDPROP_DB", N_("the database: a file (or a server's URL)"), _clean_db),
    Setting("lang", "REDPROP_LANG", N_("the language: zh or en"), _clean_lang),
    Setting("community", "REDPROP_COMMUNITY", N_("the community to work in on a shared database: its code or name"),
            _clean_community),
)}


def setting(key: str) -> Setting:
    found = SETTINGS.get(key.strip().lower())
    if found is None:
        import difflib

        near = difflib.get_close_matches(key, list(SETTINGS), n=1)
        raise InvalidValue("no setting {key!r}; the settings are {keys}", key=key,
                           keys=", ".join(SETTINGS) + (f" ({near[0]}?)" if near else ""))
    return found


def config_path(environ=None) -> Path:
    """The settings file (see the module's docstring)."""
    environ = os.environ if environ is None else environ
    if environ.get("REDPROP_CONFIG"):
        return Path(environ["REDPROP_CONFIG"]).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "redprop" / "config.toml"


def read_config(path: Path) -> dict[str, str]:
    """The settings in the file, {} when there is none. A file that is not TOML, or holds a
    value that is not text, is one line naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidValue("cannot read the settings file {path}: {reason}", path=os.fspath(path),
                           reason=getattr(error, "strerror", None) or str(error)) from None
    values = _read_simple(text)
    if values is None:
        import tomllib

        try:
            values = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InvalidValue("the settings file {path} is not TOML ({reason}); fix it or `redprop config unset`"
                               " what is wrong", path=os.fspath(path), reason=str(error)) from None
    wrong = [k for k, v in values.items() if not isinstance(v, str)]
    if wrong:
        raise InvalidValue("the settings file {path}: {key} is not text (write it in quotes)", path=os.fspath(path),
                           key=wrong[0])
    return values


def _read_simple(text: str) -> dict | None:
    """The lines redprop writes (`key = "value"`, comments, blanks), or None for anything else."""
    import json

    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not equals or not key.isidentifier() or not (len(value) >= 2 and value[0] == value[-1] == '"'):
            return None
        try:
            values[key] = json.loads(value)
        except ValueError:
            return None
    return values


def write_config(path: Path, values: dict[str, str]) -> None:
    """The file with these settings, written whole (a new file put in place of the old), mode 0600."""
    import json

    lines = ["# redprop's settings for this user (`redprop config show`, `redprop config set KEY VALUE`)"]
    lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in values.items()]
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write("\n".join(lines) + "\n")
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def configured(key: str, environ=None) -> tuple[str | None, str]:
    """(the file's value of a setting or None, the file): what the language is read from before
    the application exists."""
    path = config_path(environ)
    return read_config(path).get(key), os.fspath(path)
