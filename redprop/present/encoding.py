"""Output that never fails on a console or file whose encoding cannot show a character.

A Chinese Windows console, an old zh_CN.GBK system or a file written under
`PYTHONIOENCODING=gbk` cannot encode `‼`, `✓` or `…`; Python would stop the command at the
first one (exit 6, half a list printed). redprop's streams are set to put a plain stand-in
there instead (`!!`, `v`, `...`), and a `?` for anything else the encoding lacks — the
listing is printed whole and the exit code is what the command meant. A UTF-8 stream is
left as it is.
"""

import codecs
import unicodedata

ERRORS = "redprop-stand-in"
STAND_INS = {
    "‼": "!!", "✓": "v", "✔": "v", "✗": "x", "…": "...", "·": ".", "—": "-", "–": "-", "→": "->", "←": "<-",
    "≤": "<=", "≥": ">=", "“": '"', "”": '"', "‘": "'", "’": "'", "•": "*", "─": "-", "━": "-", "│": "|", "┃": "|",
}


def stand_in(char: str) -> str:
    """A plain stand-in for a character an encoding lacks."""
    if char in STAND_INS:
        return STAND_INS[char]
    name = unicodedata.name(char, "")
    if name.startswith("BOX DRAWINGS"):
        return "-" if "HORIZONTAL" in name and "VERTICAL" not in name else "|" if "VERTICAL" in name and "HORIZONTAL" not in name else "+"
    if name.startswith(("LOWER ", "UPPER ", "FULL BLOCK")) and "BLOCK" in name:  # a sparkline's bars
        return "#"
    plain = unicodedata.normalize("NFKC", char)
    return plain if plain.isascii() and plain.isprintable() and plain else "?"


def _handler(error: UnicodeEncodeError):
    return "".join(stand_in(char) for char in error.object[error.start:error.end]), error.end


def tolerant(*streams) -> None:
    """Set each text stream whose encoding is not UTF-8 to write stand-ins instead of failing."""
    registered = False
    for stream in streams:
        encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("-", "").replace("_", "")
        if encoding.startswith("utf") or not hasattr(stream, "reconfigure"):
            continue
        if not registered:
            codecs.register_error(ERRORS, _handler)
            registered = True
        stream.reconfigure(errors=ERRORS)
