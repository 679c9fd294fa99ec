"""The translation catalogue: extract redprop's words, merge them into the Chinese .po, compile the .mo.

    python scripts/i18n.py          # extract, update locale/zh/LC_MESSAGES/redprop.po, compile redprop.mo
    python scripts/i18n.py --check  # exit 1 if a word has no Chinese, or the .po/.mo are out of date

The words are the English msgids: the first string given to `_()`, `N_()`, `Message()` and
the error classes — also as a method, `out._("…")`, `lang._("…")`: the extractor keys on the
name before the parenthesis — the header of every table column, and every help text of the
command line (read off the commands themselves, so a docstring, an option's help or its
placeholder is never missed). Needs Babel (the `test` extra); redprop itself reads the compiled .mo with the
standard library.
"""

import io
import string
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "redprop"
LOCALE = PACKAGE / "present" / "locale"
PO = LOCALE / "zh" / "LC_MESSAGES" / "redprop.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {
    "_": None, "N_": None, "Message": None, "Column": (2,), "LedgerColumn": (1,),
    **{name: None for name in ("RedpropError", "InvalidValue", "InvalidSetting", "NotFound", "DatabaseError",
                               "DatabaseMissing", "MissingValue", "BadPath", "DamagedDatabase", "ImportRefused",
                               "UsageMistake", "AccessDenied")},
}


def source_messages() -> dict[str, list[tuple[str, int]]]:
    """msgid → where it is written, for every word in redprop's own code."""
    from babel.messages.extract import extract_from_dir

    found: dict[str, list] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        PACKAGE, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True,
    ):
        if isinstance(message, tuple):
            message = message[0]
        if message:
            found.setdefault(message, []).append((f"redprop/{filename}", lineno))
    return found


def help_messages() -> dict[str, list[tuple[str, int]]]:
    """msgid → the commands whose help shows it: every command's and option's help text and placeholder."""
    from typer.main import get_command

    from redprop.cli import app
    from redprop.cli.help import help_texts

    found: dict[str, list] = {}

    def walk(command, path):
        for text in help_texts(command):
            found.setdefault(text, []).append((f"redprop {' '.join(path)}".strip(), 0))
        if hasattr(command, "list_commands"):
            ctx = command.context_class(command)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name), (*path, name))

    walk(get_command(app), ())
    return found


def required_messages() -> dict[str, list]:
    """Every word of redprop's: each must have its Chinese."""
    found = source_messages()
    for msgid, places in help_messages().items():
        found.setdefault(msgid, []).extend(places)
    return found


def placeholders(text: str) -> set[str]:
    return {field for _literal, field, _spec, _conversion in string.Formatter().parse(text) if field is not None}


def template():
    from babel.messages.catalog import Catalog

    catalog = Catalog(project="redprop", charset="utf-8", fuzzy=False)
    for msgid, places in required_messages().items():
        catalog.add(msgid, locations=places)
    return catalog


def read_po():
    from babel.messages.pofile import read_po as read

    with PO.open("rb") as f:
        return read(f, locale="zh_Hans_CN")


def updated_po():
    """The Chinese catalogue with every current msgid: translations kept, new words empty, gone words dropped."""
    from babel.messages.catalog import Catalog

    current = read_po() if PO.exists() else Catalog(locale="zh_Hans_CN", project="redprop", charset="utf-8")
    current.update(template(), no_fuzzy_matching=True)
    current.obsolete.clear()
    current.fuzzy = False
    return current


def po_bytes(catalog) -> bytes:
    from babel.messages.pofile import write_po

    out = io.BytesIO()
    write_po(out, catalog, width=0, omit_header=False, include_previous=False, sort_output=True,
             include_lineno=False)  # file names only: a line number moved by any edit is a merge conflict
    lines = [line for line in out.getvalue().split(b"\n") if not line.startswith(b'"POT-Creation-Date')
             and not line.startswith(b'"PO-Revision-Date') and not line.startswith(b'"Generated-By')]
    return b"\n".join(lines)


def mo_bytes(catalog) -> bytes:
    """The compiled catalogue; its header dates are pinned so that the same .po compiles to the same bytes."""
    from datetime import datetime, timezone

    from babel.messages.mofile import write_mo

    catalog.creation_date = catalog.revision_date = datetime(2026, 1, 1, tzinfo=timezone.utc)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def problems(catalog) -> list[str]:
    """Words of redprop's without a Chinese translation, or whose translation names other placeholders."""
    required = required_messages()
    found = []
    for msgid in required:
        message = catalog.get(msgid)
        translation = message.string if message else ""
        if not translation or (message and message.fuzzy):
            found.append(f"no Chinese for {msgid!r} ({required[msgid][0][0]})")
        elif placeholders(translation) != placeholders(msgid):
            found.append(f"the Chinese for {msgid!r} names {sorted(placeholders(translation))}, not "
                         f"{sorted(placeholders(msgid))}")
    return found


def main() -> int:
    catalog = updated_po()
    if "--check" in sys.argv:
        faults = problems(catalog)
        if PO.read_bytes() != po_bytes(catalog):
            faults.append(f"{PO.relative_to(REPO)} is out of date: run `python scripts/i18n.py`")
        if not MO.exists() or MO.read_bytes() != mo_bytes(read_po()):
            faults.append(f"{MO.relative_to(REPO)} is out of date: run `python scripts/i18n.py`")
        for fault in faults:
            print(fault)
        return 1 if faults else 0
    PO.parent.mkdir(parents=True, exist_ok=True)
    PO.write_bytes(po_bytes(catalog))
    MO.write_bytes(mo_bytes(read_po()))
    missing = problems(read_po())
    print(f"{PO.relative_to(REPO)}: {len(catalog)} words, {len(missing)} without Chinese")
    return 0


if __name__ == "__main__":
    sys.exit(main())
