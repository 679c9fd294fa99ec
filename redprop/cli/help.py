"""Click's side of the worker's language: help texts, Click's headings and usage errors said in it.

Help is written in English in the command modules (each text a msgid of the catalogue). When
a command is about to be parsed or listed, `translate` swaps its texts for their translation,
keeping the English aside, so that one process (a test run) can speak both languages. The
help formatter says Click's own headings ("Usage:", "Options") and the help option's text;
`usage_error` turns a Click usage error into one line in the worker's language.
"""

import gettext as stdlib_gettext

try:  # typer ≥ 0.26 carries its own Click
    from typer import Abort, Exit
    from typer import _click as click
except ImportError:  # pragma: no cover - older typer, on the real Click
    import click
    from click.exceptions import Abort, Exit
ClickException, UsageError = click.exceptions.ClickException, click.exceptions.UsageError

from redprop.errors import N_
from redprop.present import i18n
from redprop.present.failures import (  # noqa: F401 (the edge's words)
    complain, complain_row, interrupted, no_such_command, unexpected, usage_error,
)
from redprop.present.i18n import say  # noqa: F401 (the edge's words)

TEXTS = ("help", "short_help")
CLICK_WORDS = (N_("Usage: "), N_("Options"), N_("Commands"), N_("Arguments"), N_("Show this message and exit."))


def speak(option: str | None) -> None:
    """Choose the language (--lang, $REDPROP_LANG, the locale, else Chinese) and speak it from now on."""
    language = i18n.choose_language(option)
    i18n.set_language(language)
    import typer.core  # its section headings go through the stdlib gettext

    typer.core._ = stdlib_gettext.gettext if language == "en" else i18n.gettext


def english_texts(command):
    """(object, attribute, English text) of every help text of a command and its parameters."""
    for item in (command, *command.params):
        kept = item.__dict__.setdefault("_redprop_english", {})
        for attribute in TEXTS:
            text = kept.get(attribute, getattr(item, attribute, None))
            if text:
                kept[attribute] = text
                yield item, attribute, text


def translate(command) -> None:
    for item, attribute, text in list(english_texts(command)):
        setattr(item, attribute, i18n.gettext(text))


class SaidHelpFormatter(click.formatting.HelpFormatter):
    """Click's help layout with its own words in the worker's language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, i18n.gettext("Usage: ") if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(i18n.gettext(heading))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(term, i18n.gettext(text) if text else text) for term, text in rows], col_max, col_spacing)


click.core.Context.formatter_class = SaidHelpFormatter
