"""The worker's language: choosing it, and saying redprop's words in it (gettext).

Every word redprop shows is written in English in the code, as a gettext msgid; the
Chinese lives in `locale/zh/LC_MESSAGES/redprop.po` (compiled to `redprop.mo` beside it
by `python scripts/i18n.py`). English needs no catalogue: the msgids are the English.

A `Language` is one language to speak, an object handed to whoever speaks (the Output of a
command, the help formatter of a context): nothing here remembers a language between
calls, so one process (a test run) can speak Chinese and English in turns. Its catalogue
is read on first use (the standard library keeps the parsed file for the next one).

The language is `--lang zh|en`, else `$REDPROP_LANG`, else the user's setting (`redprop
config set lang`), else the locale (`LANG=zh_CN.UTF-8`
is Chinese, `en_US.UTF-8` English; `LANGUAGE`, `LC_ALL` and `LC_MESSAGES` are read first,
as gettext does), else Chinese.
"""

import os
from pathlib import Path

from redprop.errors import InvalidValue, Message

LANGUAGES = ("zh", "en")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "redprop"


def choose_language(option: str | None, environ=None, configured=None) -> str:
    """The language a command speaks (see the module's docstring). `configured`: a function that
    tells the user's setting (`redprop config set lang`) and where it is kept, read only when
    neither the option nor the environment says."""
    environ = os.environ if environ is None else environ
    for text, where in _said(option, environ, configured):
        if text:
            return language_code(text, where)
    return locale_language(environ)


def language_code(text: str, where: str) -> str:
    """`zh` or `en` as typed (`zh_CN` is zh); anything else is refused, naming where it was said."""
    code = text.strip().lower().replace("-", "_")
    for language in LANGUAGES:
        if code == language or code.startswith(language + "_"):
            return language
    raise InvalidValue("{where} takes zh or en, not {text!r}", where=where, text=text)


def _said(option, environ, configured):
    """(value, where) from each place in turn; the settings file is read only if it is reached."""
    yield option, "--lang"
    yield environ.get("REDPROP_LANG"), "REDPROP_LANG"
    if configured is not None:
        yield configured()


def locale_language(environ=None) -> str:
    """The language of the locale (as gettext reads it), else Chinese."""
    environ = os.environ if environ is None else environ
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "").split(":")[0].strip().lower()
        if value:
            return "en" if value.startswith("en") else "zh"
    return "zh"


class Language:
    """One language, `zh` or `en`, and redprop's words said in it."""

    def __init__(self, code: str):
        if code not in LANGUAGES:
            raise ValueError(f"no such language: {code!r}")
        self.code = code
        self.separator = "、" if code == "zh" else ", "  # between the items of a list in running text
        self._catalogue = None  # the compiled catalogue (Compiled), read on first use

    def __repr__(self) -> str:
        return f"Language({self.code!r})"

    def _translations(self) -> "Compiled":
        if self._catalogue is None:
            self._catalogue = Compiled.read(LOCALE_DIR / self.code / "LC_MESSAGES" / f"{DOMAIN}.mo")
        return self._catalogue

    def gettext(self, msgid: str) -> str:
        return msgid if self.code == "en" else self._translations().gettext(msgid)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        if self.code == "en":
            return singular if n == 1 else plural
        return self._translations().ngettext(singular, plural, n)

    def _(self, template: str, /, **values) -> str:
        """`template` in this language, its {placeholders} filled with `values`."""
        return self.fill(template, values)

    def say(self, message) -> str:
        """A Message (or a plain value) as words in this language."""
        if isinstance(message, Message):
            return self.fill(message.template, message.values)
        return self.render_value(message)

    def fill(self, template: str, values: dict) -> str:
        translated = self.gettext(template)
        if not values:
            return translated
        shown = {key: self.render_value(value) for key, value in values.items()}
        try:
            return translated.format(**shown)
        except (KeyError, IndexError, ValueError):  # a faulty translation: the English still says it
            return template.format(**shown)

    def label(self, code) -> str:
        """A vocabulary code's label in this language."""
        if code is None:
            return ""
        return code.zh if self.code == "zh" else code.en

    def render_value(self, value):
        from redprop.vocab import Choices, Code

        if isinstance(value, Message):
            return self.say(value)
        if isinstance(value, Code):
            return self.label(value)
        if isinstance(value, Choices):
            return self.separator.join(f"{c.slug} ({self.label(c)})" for c in value.codes)
        if isinstance(value, (list, tuple)):
            return self.separator.join(str(self.render_value(v)) for v in value)
        return value


class Compiled:
    """A compiled catalogue (.mo, GNU gettext's format), each message decoded the first time it is
    said: the standard library's reader decodes all 1,300 of redprop's on every start (2 ms of a
    command that says a dozen). Says what `gettext.GNUTranslations` says (tests/test_language.py)."""

    def __init__(self, data: bytes = b""):
        self.data = data
        self.said: dict[str, str] = {}
        self.where: dict[bytes, tuple[int, int]] = {}
        self.plural = lambda n: int(n != 1)
        if not data:  # no catalogue: the English msgids are said as they are
            return
        import struct

        order = "<" if data[:4] == b"\xde\x12\x04\x95" else ">"
        count, originals, translations = struct.unpack_from(order + "4xIII", data, 4)
        ids = struct.iter_unpack(order + "II", data[originals:originals + 8 * count])
        strings = struct.iter_unpack(order + "II", data[translations:translations + 8 * count])
        self.where = {data[start:start + size]: (at, length) for (size, start), (length, at) in zip(ids, strings)}
        for line in self._text(b"").splitlines():  # the header: how plurals are chosen
            name, _colon, value = line.partition(":")
            if name.strip().lower() == "plural-forms" and "plural=" in value:
                from gettext import c2py

                self.plural = c2py(value.split("plural=", 1)[1].strip().rstrip(";"))

    @classmethod
    def read(cls, path: Path) -> "Compiled":
        try:
            return cls(path.read_bytes())
        except FileNotFoundError:
            return cls()

    def _text(self, key: bytes) -> str | None:
        found = self.where.get(key)
        return None if found is None else self.data[found[0]:found[0] + found[1]].decode("utf-8")

    def gettext(self, msgid: str) -> str:
        said = self.said.get(msgid)
        if said is None:
            said = self.said[msgid] = (self._text(msgid.encode("utf-8")) if msgid else None) or msgid
        return said

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        forms = self._text(f"{singular}\0{plural}".encode("utf-8"))
        if forms is None:
            return singular if n == 1 else plural
        forms = forms.split("\0")
        return forms[min(self.plural(n), len(forms) - 1)]
