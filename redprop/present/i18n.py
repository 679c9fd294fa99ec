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


_AS_THEY_ARE = frozenset({str, int, float})


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
        if value.__class__ in _AS_THEY_ARE:  # most values: said as they are, without a look at the vocabulary
            return value
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
    """A compiled catalogue (.mo, GNU gettext's format), each message looked up and decoded the
    first time it is said: the standard library's reader decodes all 1,300 of redprop's on every
    start (2 ms of a command that says a dozen), and even an index of them costs a millisecond.
    A .mo lists its messages sorted (the format's rule, by which C's gettext searches it too), so
    a message is found by bisection. Says what `gettext.GNUTranslations` says (tests/test_language.py)."""

    def __init__(self, data: bytes = b""):
        self.data = data
        self.said: dict[str, str] = {}
        self.count = 0
        self.plural = lambda n: int(n != 1)
        if not data:  # no catalogue: the English msgids are said as they are
            return
        import struct

        self.entry = struct.Struct(("<" if data[:4] == b"\xde\x12\x04\x95" else ">") + "II").unpack_from
        self.count, self.originals, self.translations = self.entry(data, 8) + self.entry(data, 16)[:1]
        for line in (self._text(b"") or "").splitlines():  # the header: how plurals are chosen
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
        """The translation of the msgid `key`, or None: a bisection of the sorted msgids."""
        if not self.count:
            return None
        data, entry = self.data, self.entry
        low, high = 0, self.count
        while low < high:
            middle = (low + high) // 2
            size, start = entry(data, self.originals + 8 * middle)
            found = data[start:start + size]
            if found < key:
                low = middle + 1
            elif found > key:
                high = middle
            else:
                size, start = entry(data, self.translations + 8 * middle)
                return data[start:start + size].decode("utf-8")
        return None

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
