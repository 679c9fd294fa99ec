"""The worker's language: choosing it, and saying redprop's words in it (gettext).

Every word redprop shows is written in English in the code, as a gettext msgid; the
Chinese lives in `locale/zh/LC_MESSAGES/redprop.po` (compiled to `redprop.mo` beside it
by `python scripts/i18n.py`). Only the catalogue of the language in use is read, on first
use. English needs none: the msgids are the English.

The language is `--lang zh|en`, else `$REDPROP_LANG`, else the locale (`LANG=zh_CN.UTF-8`
is Chinese, `en_US.UTF-8` English; `LANGUAGE`, `LC_ALL` and `LC_MESSAGES` are read first,
as gettext does), else Chinese.
"""

import os
from pathlib import Path

from redprop.errors import InvalidValue, Message

LANGUAGES = ("zh", "en")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "redprop"

_language = "zh"
_catalogue = None  # gettext translations of _language, read on first use


def choose_language(option: str | None, environ=None) -> str:
    """The language a command speaks (see the module's docstring)."""
    environ = os.environ if environ is None else environ
    for text, where in ((option, "--lang"), (environ.get("REDPROP_LANG"), "REDPROP_LANG")):
        if text:
            code = text.strip().lower().replace("-", "_")
            for language in LANGUAGES:
                if code == language or code.startswith(language + "_"):
                    return language
            raise InvalidValue("{where} takes zh or en, not {text!r}", where=where, text=text)
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "").split(":")[0].strip().lower()
        if value:
            return "en" if value.startswith("en") else "zh"
    return "zh"


def set_language(language: str) -> None:
    global _language, _catalogue
    if language != _language:
        _language, _catalogue = language, None


def language() -> str:
    return _language


def _translations():
    global _catalogue
    if _catalogue is None:
        import gettext as stdlib_gettext

        _catalogue = stdlib_gettext.translation(DOMAIN, LOCALE_DIR, languages=[_language], fallback=True)
    return _catalogue


def gettext(msgid: str) -> str:
    return msgid if _language == "en" else _translations().gettext(msgid)


def ngettext(singular: str, plural: str, n: int) -> str:
    if _language == "en":
        return singular if n == 1 else plural
    return _translations().ngettext(singular, plural, n)


def _(template: str, /, **values) -> str:
    """`template` in the current language, its {placeholders} filled with `values`."""
    return fill(template, values)


def say(message) -> str:
    """A Message (or a plain value) as words in the current language."""
    if isinstance(message, Message):
        return fill(message.template, message.values)
    return render_value(message)


def fill(template: str, values: dict) -> str:
    translated = gettext(template)
    if not values:
        return translated
    shown = {key: render_value(value) for key, value in values.items()}
    try:
        return translated.format(**shown)
    except (KeyError, IndexError, ValueError):  # a faulty translation: the English still says it
        return template.format(**shown)


def separator() -> str:
    """Between the items of a list in running text."""
    return "、" if _language == "zh" else ", "


def label(code) -> str:
    """A vocabulary code's label in the current language."""
    if code is None:
        return ""
    return code.zh if _language == "zh" else code.en


def render_value(value):
    from redprop.vocab import Choices, Code

    if isinstance(value, Message):
        return say(value)
    if isinstance(value, Code):
        return label(value)
    if isinstance(value, Choices):
        return separator().join(f"{c.slug} ({label(c)})" for c in value.codes)
    if isinstance(value, (list, tuple)):
        return separator().join(str(render_value(v)) for v in value)
    return value
