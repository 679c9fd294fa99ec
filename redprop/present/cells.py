"""Text in terminal cells: how wide it is, padding, wrapping, and what may not be printed.

Chinese characters and full-width forms take two cells on a terminal (East Asian Width W
and F, as terminals and Rich count them); everything else one. Wrapping breaks between
words, and anywhere inside Chinese text, which has no spaces to break at.
"""

import re
import unicodedata
from functools import cache

_compiled = cache(re.compile)  # a pattern compiled the first time it is used: every start would pay for all of them

# What a cell of plain text may not carry into a terminal or a WeChat paste: control
# characters (an ANSI escape starts with one), bidi overrides and zero-width characters.
_UNPRINTABLE = (  # compiled on first use (`_compiled`), as the other patterns here
    "\x1b\\[[0-?]*[ -/]*[@-~]|\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)?|\x1b[@-_]?"  # a whole ANSI sequence (CSI, OSC, other)
    "|[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2028\u2029\u2060-\u2064\u2066-\u2069\ufeff]"
)


class _Widths(dict):
    """Cells per character, each character looked up in the Unicode tables once (a regex of the
    wide ranges would cost 20 ms to compile on every start), then read as a dict, through C."""

    def __missing__(self, char: str) -> int:
        cells = self[char] = 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
        return cells


_WIDTHS = _Widths()
_char_width = _WIDTHS.__getitem__


def width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(map(_char_width, text))


class _TextWidths(dict):
    """Cells per text, each distinct text measured once: a column repeats its labels and names."""

    def __missing__(self, text: str) -> int:
        cells = self[text] = width(text)
        return cells


def widths(texts: list[str]) -> list[int]:
    """The width of each text of a column: an ASCII column (numbers, addresses, times) by its
    lengths, any other each distinct text once — a district's listing is thousands of cells."""
    if "".join(texts).isascii():
        return list(map(len, texts))
    return list(map(_TextWidths().__getitem__, texts))


def widest(texts: list[str]) -> int:
    return max(widths(texts), default=0)


def printable(text: str) -> str:
    """The text with line breaks as spaces and nothing a terminal would obey instead of show."""
    if text.isprintable():  # every character the pattern removes is one Python calls unprintable
        return text
    return _compiled(_UNPRINTABLE).sub("", text.replace("\r\n", " ").replace("\n", " ").replace("\r", " "))


def pad(text: str, cells: int, justify: str = "left") -> str:
    gap = " " * max(0, cells - width(text))
    return gap + text if justify == "right" else text + gap


# A token is a run of printable ASCII (a word, a number, an option), a short Chinese word
# after a space (a name in a list: `龙丽仙, 雷丽仙`), a short note in brackets, or one other
# character; a closing mark (，。、）…) stays with what it closes and an opening one (（《「,
# and `(` before Chinese) with what it opens, so that no line starts with a comma or ends with
# an opening bracket.
_OPENING = "（《〈「『【〔“‘"
_CLOSING = re.escape("，。、；：？！）》〉」』】〕”’…" + ")]},.;:!?")
_WORD = 6  # characters: a name, a place; a longer run is running text, broken anywhere
_TOKENS = (
    rf"\s+|[{_OPENING}]*"
    rf"(?:\[[^\s\[\]]{{1,{2 * _WORD}}}\]"  # a short note in brackets: `[必填]`, `[默认：table]`
    rf"|(?:(?<=\s)|^)[^\s\x00-\x7f]{{1,{_WORD}}}(?=[{_CLOSING}]|\s|$)"  # a short Chinese word
    rf"|'[^\s']{{1,{2 * _WORD}}}'"  # a quoted word of a command line: `--by '杜丽娟'`
    rf"|[\x21-\x7e]*[\[(<]+(?=[^\s\x00-\x7f])[^\s]"  # `(中`
    rf"|[\x21-\x7e]+|[^\s])[{_CLOSING}]*")


def wrap(text: str, cells: int) -> list[str]:
    """Lines of at most `cells` cells: breaks at spaces, between Chinese characters, and
    inside a word only when the word alone is longer than a line."""
    if cells <= 0 or width(text) <= cells:
        return [text]
    lines: list[str] = []
    line, used = "", 0
    for token in _compiled(_TOKENS, re.S).findall(text):
        if token.isspace():  # kept as typed inside a line (two spaces before `[default: …]`), gone at a break
            if line:
                space = " " if "\n" in token or "\t" in token else token
                line, used = line + space, used + len(space)
            continue
        size = width(token)
        if used + size <= cells:
            line, used = line + token, used + size
            continue
        if line.strip():
            lines.append(line.rstrip())
        line, used = "", 0
        while size > cells:  # a word longer than a line: cut it
            head, head_size = "", 0
            for char in token:
                w = _char_width(char)
                if head_size + w > cells:
                    break
                head, head_size = head + char, head_size + w
            head = head or token[0]  # a wide character on a line one cell wide: it goes whole
            lines.append(head)
            token = token[len(head):]
            size = width(token)
        line, used = token, size
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def for_stderr(text: str, stream) -> str:
    """A line for stderr: on a terminal, wrapped to its width between words (the terminal's own
    wrap would cut a name in two); for a script, one line as it is."""
    if not stream.isatty():
        return text
    import shutil

    cells = shutil.get_terminal_size((100, 24)).columns
    return "\n".join(wrap(text, cells)) if width(text) > cells else text
