"""Help in the worker's language, said by the formatter of each context.

Help is written in English in the command modules (each text a msgid of the catalogue) and
said when it is shown: every context of redprop's commands knows its language (the
application's, or — for `redprop --help` and a usage error, before the root command ran —
the one its root group read off the line), and makes a `HelpFormatter` speaking it. Nothing
is patched into Click or Typer, and nothing is translated in place: one process (a test run)
speaks both languages in turns.

The formatter says Click's own words too — `用法：`, `选项：`, `[选项] 命令 [参数]...`, `[必填]`,
`[默认：table]`, `<文本>`, a range in words — and wraps by display width (a Chinese character
takes two columns) to the terminal's width; English help reads as Click lays it out.
"""

import inspect
import re
import unicodedata
from enum import Enum

try:  # typer ≥ 0.26 carries its own Click
    from typer import Abort, Exit
    from typer import _click as click
    from typer.core import TyperCommand
except ImportError:  # pragma: no cover - older typer, on the real Click
    import click
    from click.exceptions import Abort, Exit
    from typer.core import TyperCommand
ClickException, UsageError = click.exceptions.ClickException, click.exceptions.UsageError
NoArgsIsHelp = getattr(click.exceptions, "NoArgsIsHelpError", ())  # `redprop`, `redprop visit`: their help

from redprop.errors import N_
from redprop.present.cells import pad, width, wrap
from redprop.present.i18n import Language, locale_language
from redprop.present.labels import argument_said

LANGUAGE = "redprop.language"  # in the root context's meta: the language read off the line
CLICK_WORDS = (  # Click's and Typer's words in help, as msgids of the catalogue
    N_("Usage: "), N_("{heading}:"), N_("Options"), N_("Commands"), N_("Arguments"), N_("Show this message and exit."),
    N_("[OPTIONS]"), N_("COMMAND [ARGS]..."), N_("default: {default}"), N_("required"), N_("; "),
    N_("<str>"), N_("<int>"), N_("<int range>"), N_("<float>"), N_("<float range>"), N_("<path>"),
)
RANGES = {  # which bounds a number's range has (low, high): how help says it
    (True, False): N_("x>={low}"), (False, True): N_("x<={high}"), (True, True): N_("{low}<=x<={high}"),
}
OPEN_RANGES = {(True, False): N_("x>{low}"), (False, True): N_("x<{high}")}


class Context(click.Context):
    """A context of redprop's commands: it knows the language its help and usage errors are
    said in, and makes its help formatter speak it."""

    @property
    def language(self) -> Language:
        said = getattr(self.obj, "language", None)  # the application's, once the root command ran
        if isinstance(said, Language):
            return said
        if LANGUAGE not in self.meta:  # a context made outside `redprop` (the docs script lists commands)
            self.meta[LANGUAGE] = Language(locale_language())
        return self.meta[LANGUAGE]

    def make_formatter(self) -> "HelpFormatter":
        return HelpFormatter(self.language, width=self.terminal_width, max_width=self.max_content_width)


def language_of(ctx) -> Language:
    return ctx.language if isinstance(ctx, Context) else Language(locale_language())


class HelpFormatter(click.formatting.HelpFormatter):
    """Click's help layout in one language, wrapped by display width."""

    def __init__(self, language: Language, width: int | None = None, max_width: int | None = None):
        super().__init__(width=width, max_width=max_width)
        self.language = language

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        prefix = self.language.gettext("Usage: ") if prefix is None else prefix
        lead = f"{pad(prefix, self.current_indent, 'right')}{prog} "
        room = self.width - self.current_indent
        if width(lead) + 20 <= room:
            lines = between_words(lead + args, room, hang=width(lead))
        else:  # a long command path: the arguments under it
            indent = " " * (max(self.current_indent, width(prefix)) + 4)
            lines = [lead.rstrip(), *(indent + line for line in between_words(args, room - len(indent)))]
        self.write("\n".join(lines) + "\n")

    def write_heading(self, heading: str) -> None:
        said = self.language._("{heading}:", heading=self.language.gettext(heading))
        self.write(f"{'':>{self.current_indent}}{said}\n")

    def write_text(self, text: str) -> None:
        self.write("\n".join(wrap_paragraphs(text, self.width, self.current_indent)) + "\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        """`term  text` rows, the texts in a column wrapped beside the terms (a term too long for
        the column has its text on the next line)."""
        rows = list(rows)
        if not rows:
            return
        first_col = min(max(width(term) for term, _text in rows), col_max) + col_spacing
        indent = " " * self.current_indent
        text_width = max(self.width - first_col - 2, 10)
        for term, text in rows:
            self.write(f"{indent}{term}")
            if not text:
                self.write("\n")
                continue
            if width(term) <= first_col - col_spacing:
                self.write(" " * (first_col - width(term)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap_paragraphs(text, text_width) or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write((f"{'':>{first_col + self.current_indent}}{line}" if line else "") + "\n")


def paragraphs(text: str) -> list[tuple[int, bool, list[str]]]:
    """(indent, kept as written, lines) of each paragraph of a help text, as Click reads them:
    paragraphs part at blank lines, and one whose first line is `\\b` is not rewrapped."""
    found, lines, indent = [], [], 0
    for line in [*text.splitlines(), ""]:
        if line.strip():
            if not lines:
                indent = len(line) - len(line.lstrip())
            lines.append(line[indent:].rstrip() if not line[:indent].strip() else line.strip())
        elif lines:
            kept = lines[0].strip() == "\b"
            found.append((indent, kept, lines[1:] if kept else [line.strip() for line in lines]))
            lines = []
    return found


def joined(lines: list[str]) -> str:
    """The lines of a paragraph as one: a space between them, none between two Chinese
    characters or after a Chinese mark (`；--check`)."""
    text = ""
    for line in lines:
        if text and not (width(text[-1]) == 2 and (width(line[0]) == 2 or unicodedata.category(text[-1])[0] == "P")):
            text += " "
        text += line
    return text


def wrap_paragraphs(text: str, cells: int, indent: int = 0) -> list[str]:
    """A help text wrapped to `cells` columns, paragraph by paragraph. A line kept as written
    that is still too wide breaks at a space, what follows indented under it."""
    out: list[str] = []
    for extra, kept, lines in paragraphs(text):
        lead = " " * (indent + extra)
        room = cells - indent - extra
        if out:
            out.append("")
        if kept:
            out.extend(lead + part for line in lines for part in between_words(line, room, hang=4))
        else:
            out.extend(lead + part for part in wrap(joined(lines), room))
    return out


def between_words(line: str, cells: int, hang: int = 0) -> list[str]:
    """A line of words that must stay whole (a usage line, an example command) in lines of
    `cells` columns, broken only at its spaces, every line after the first indented by `hang`."""
    if width(line) <= cells:
        return [line]
    lines, current = [], ""
    for word in line.split(" "):
        joined_up = f"{current} {word}" if current else word
        if current and width(joined_up) > cells - (hang if lines else 0):
            lines.append(current)
            current = word
        else:
            current = joined_up
    lines.append(current)
    return [lines[0], *(" " * hang + rest for rest in lines[1:])]


def short_help(text: str, cells: int) -> str:
    """A command's line in its group's list: the first sentence of its help, cut to `cells`
    columns with `...` (as Click does, by display width)."""
    first = paragraphs(text)
    if not first:
        return ""
    sentence = joined(first[0][2])
    end = re.search(r"\.(?=\s|$)|。", sentence)
    if end and width(sentence[:end.end()]) <= cells:
        return sentence[:end.end()]
    if width(sentence) <= cells:
        return sentence
    return wrap(sentence, cells - 3)[0].rstrip() + "..."


# -- a parameter's line of help ------------------------------------------------------------

def help_record(param, ctx: Context) -> tuple[str, str] | None:
    """(name and placeholder, help) of a parameter in the context's language: its help text from
    the catalogue, and what Click adds in brackets (the default, a range, required) said in words."""
    if getattr(param, "hidden", False):
        return None
    lang = ctx.language
    if param.param_type_name == "argument":
        term = argument_word(param, lang)
    else:
        term = click.formatting.join_options(param.opts)[0]
        if not param.is_flag and not param.count:
            term += " " + lang.gettext(param.make_metavar(ctx))  # <str> → <文本>, FIELD → <字段>
        if param.secondary_opts:
            term += " / " + click.formatting.join_options(param.secondary_opts)[0]
    text = lang.gettext(param.help) if param.help else ""
    default = shown_default(param, ctx)
    notes = [lang._("default: {default}", default=default) if default else "", range_words(param, lang),
             lang.gettext("required") if param.required else ""]
    notes = [n for n in notes if n]
    if notes:
        brackets = "[" + lang.gettext("; ").join(notes) + "]"
        text = f"{text}  {brackets}" if text else brackets
    return term, text


def argument_word(param, lang: Language, usage: bool = False) -> str:
    """`<户号>`; in a usage line `[<年份>]` when it may be left out, `<文件>...` when it takes several."""
    word = argument_said(param.metavar or param.name or "", lang)
    if param.nargs != 1:
        word += "..."
    return f"[{word}]" if usage and not param.required else word


def shown_default(param, ctx) -> str:
    """The default Click shows in brackets, as Typer words it ("" when none is shown)."""
    show = getattr(param, "show_default", None)
    if not (show or ctx.show_default):
        return ""
    if isinstance(show, str):
        return f"({show})"
    resilient, ctx.resilient_parsing = ctx.resilient_parsing, True  # a default is shown, not checked
    try:
        value = param.get_default(ctx, call=False)
    finally:
        ctx.resilient_parsing = resilient
    return default_text(param, value)


def default_text(param, value) -> str:
    if value is None or callable(value):
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(text for text in (default_text(param, v) for v in value) if text)
    if isinstance(value, Enum):
        return str(value.value)
    if getattr(param, "is_flag", False) and isinstance(value, bool):
        if param.secondary_opts:  # --active/--inactive: the side taken when neither is typed
            return (param.opts if value else param.secondary_opts)[0].lstrip("-/")
        return "" if not value else str(value)
    return str(value)


def range_words(param, lang: Language) -> str:
    """A number's range (`x>=1`) in the language: 不小于 1."""
    low, high = getattr(param.type, "min", None), getattr(param.type, "max", None)
    if low is None and high is None:
        return ""
    bounds = (low is not None, high is not None)
    opened = (low is not None and param.type.min_open) or (high is not None and param.type.max_open)
    template = (OPEN_RANGES if opened else RANGES).get(bounds)
    if template is None:  # a range open at one end and bounded at both: as Click writes it
        return param.type._describe_range()
    return lang._(template, low=low, high=high)


# -- the commands -------------------------------------------------------------------------

class SaidHelp:
    """What redprop's commands and groups share: their context, and help said in its language."""

    context_class = Context

    def collect_usage_pieces(self, ctx) -> list[str]:
        lang = ctx.language
        pieces = [lang.gettext(self.options_metavar)] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(argument_word(param, lang, usage=True))
            else:
                pieces.extend(lang.gettext(piece) for piece in param.get_usage_pieces(ctx))
        if hasattr(self, "subcommand_metavar"):  # a group: `命令 [参数]...`
            pieces.append(lang.gettext(self.subcommand_metavar))
        return pieces

    def format_help_text(self, ctx, formatter) -> None:
        if self.help:
            text = inspect.cleandoc(ctx.language.gettext(self.help)).partition("\f")[0]
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)

    def format_options(self, ctx, formatter) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = help_record(param, ctx)
            if record is not None:
                (arguments if param.param_type_name == "argument" else options).append(record)
        for heading, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(heading):
                    formatter.write_dl(rows)

    def format_commands(self, ctx, formatter) -> None:
        """A group's commands, each with the first sentence of its help."""
        commands = [(name, self.get_command(ctx, name)) for name in self.list_commands(ctx)]
        commands = [(name, command) for name, command in commands if command is not None and not command.hidden]
        if not commands:
            return
        limit = formatter.width - 6 - max(len(name) for name, _command in commands)
        lang = ctx.language
        rows = [(name, short_help(lang.gettext(command.short_help or command.help or ""), limit))
                for name, command in commands]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


class RedpropCommand(SaidHelp, TyperCommand):
    """A command of redprop's (every `@app.command()` of a `core.Typer`)."""


def help_texts(command):
    """Every English text a command's help shows from the catalogue: its help, its parameters'
    help and their own placeholders (`--clear FIELD`)."""
    for item in (command, *command.params):
        for text in (getattr(item, "help", None), getattr(item, "short_help", None)):
            if text:
                yield text
        if item is not command and getattr(item, "metavar", None):
            yield item.metavar
