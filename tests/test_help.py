"""Help in the worker's language, said by the formatter of each context.

Chinese help says nothing in English of Click's (`[必填]`, `[默认：table]`, `<文本>`, a range in
words, `[选项] 命令 [参数]...`); English help stays English; both wrap by display width to the
terminal (a Chinese character is two columns), checked at 60 columns on a real pty; `redprop`
alone and a bare noun print their help as --help does. Nothing is patched into Click or Typer.
"""

import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redprop.cli import app
from redprop.present.cells import width
from test_terminal import environment, in_terminal

REPO = Path(__file__).resolve().parent.parent
CLICK_ENGLISH = ("{household}", "{key}", "{issue}", "{file}", "Usage:", "Options:", "Arguments:", "Commands:", "[required]", "[default:", "<str>", "<int", "<path>",
                 "x>=", "[OPTIONS]", "COMMAND [ARGS]", "Show this message")
PAGES = [["--help"], ["issue", "open", "--help"], ["household", "import", "--help"], ["overdue", "--help"],
         ["policy", "set", "--help"], ["visit", "--help"], ["ledger", "--help"]]


def help_of(*args, lang="zh", columns=100) -> str:
    result = CliRunner().invoke(app, ["--lang", lang, *args, "--help"], terminal_width=columns)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_chinese_help_says_nothing_of_clicks_in_english():
    """Every command's help (docs/commands.zh.md holds them all; tests/test_docs.py keeps it current)."""
    text = (REPO / "docs" / "commands.zh.md").read_text(encoding="utf-8")
    assert not [word for word in CLICK_ENGLISH if word in text]
    for said in ("用法：redprop [选项] 命令 [参数]...", "选项：", "[必填]", "[默认：table]", "<文本>", "<整数>", "<文件>",
                 "不小于 1", "参数：", "命令：", "显示本帮助并退出。"):
        assert said in text, said


def test_english_help_stays_english():
    text = (REPO / "docs" / "commands.md").read_text(encoding="utf-8")
    for said in ("Usage: redprop [OPTIONS] COMMAND [ARGS]...", "Options:", "[required]", "[default: table]", "<str>",
                 "<int range>", "<path>", "x>=1", "Arguments:", "Commands:", "Show this message and exit."):
        assert said in text, said
    assert not [said for said in ("用法：", "选项：", "[必填]", "[默认：", "<文本>", "<整数>", "不小于") if said in text]


def test_a_placeholder_of_our_own_is_said_in_the_language():
    assert "--clear <字段>" in help_of("household", "edit") and "--clear FIELD" in help_of("household", "edit", lang="en")
    assert "--arrive [等级=]<时长>" in help_of("policy", "set")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", PAGES, ids=lambda a: " ".join(a[:-1]) or "redprop")
def test_help_fits_60_columns_on_a_real_terminal(tmp_path, page, lang):
    text = in_terminal(tmp_path / "none.db", ["--lang", lang, *page], 60)
    lines = text.splitlines()
    assert len(lines) > 5
    widest = max(lines, key=width)
    assert width(widest) <= 60, f"{width(widest)} columns: {widest!r}"
    if lang == "zh":
        assert lines[0].startswith("用法：") and not [w for w in CLICK_ENGLISH if w in text]
    else:
        assert lines[0].startswith("Usage: ")


@pytest.mark.parametrize("columns", [50, 60, 70])
def test_a_chinese_word_between_spaces_is_not_broken(columns):
    """`楼栋长` in English help (and a name in a list): whole on one line, however narrow."""
    text = help_of("staff", "add", lang="en", columns=columns)
    assert "楼栋长" in text and not re.search(r"楼\s*\n\s*栋|栋\s*\n\s*长", text)


@pytest.mark.parametrize("args", [[], ["visit"], ["issue", "category"]], ids=["redprop", "visit", "issue category"])
def test_redprop_alone_and_a_bare_noun_print_their_help_over_several_lines(args):
    runner = CliRunner()
    bare = runner.invoke(app, args, terminal_width=80)
    assert bare.exit_code == 2, "as before: a command is missing"
    assert bare.stderr == runner.invoke(app, [*args, "--help"], terminal_width=80).stdout
    assert bare.stderr.count("\n") > 6 and bare.stderr.startswith("用法：")


def test_the_cron_example_of_overdue_is_the_readmes():
    """No names or phones in a world-readable file: the help's crontab line is README's."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The morning list, from cron", 1)[1]
    cron = next(line for line in re.search(r"```cron\n(.*?)```", section, re.S).group(1).splitlines()
                if line.startswith("0 8"))
    for lang in ("en", "zh"):
        lines = help_of("overdue", lang=lang, columns=400).splitlines()
        assert cron in [line.strip() for line in lines], lang


def test_nothing_is_patched_into_click_or_typer():
    import gettext

    import typer.core

    from redprop.cli.help import click

    help_of("overdue")  # said in Chinese, then in English
    help_of("overdue", lang="en")
    assert click.core.Context.formatter_class is click.formatting.HelpFormatter
    assert typer.core._ is gettext.gettext


def test_the_terminal_width_is_read_as_the_terminal_says(tmp_path):
    """(environment() drops COLUMNS: the pty's own size is what help wraps to)"""
    assert "COLUMNS" not in environment()
    text = in_terminal(tmp_path / "none.db", ["--lang", "zh", "issue", "open", "--help"], 100)
    assert max(width(line) for line in text.splitlines()) > 60, "wider terminal, longer lines (up to 80)"



def test_an_argument_is_named_in_the_readers_language():
    """Typer writes a required argument `{household}`; redprop says `<户号>` in the usage line and
    the list of arguments (`<address>` in English), `[<年份>]` when it may be left out."""
    zh, en = help_of("visit", "log"), help_of("visit", "log", lang="en")
    assert "visit log [选项] <户号>" in zh and re.search(r"^  <户号>  户号", zh, re.M)
    assert "visit log [OPTIONS] <address>" in en
    assert "holidays show [选项] [<年份>]" in help_of("holidays", "show")
    assert "config set [OPTIONS] <setting> <value>" in help_of("config", "set", lang="en")
