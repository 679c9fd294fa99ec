"""The worker's language: every word in Chinese by default and English on request, from one catalogue.

--lang, else REDPROP_LANG, else the locale, else Chinese; --db and --lang anywhere on the line;
a mistyped command gets the nearest one suggested.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from redprop.errors import ExitCode

REPO = Path(__file__).resolve().parent.parent
ROSTER = "楼栋,单元,门牌号,户主,电话\n8,2,301,熊秀英,0874-8123456\n8,2,302,邵俊飞,18725845416\n8,2,,缺门牌,1\n"


def test_every_word_has_its_chinese_and_the_catalogue_is_compiled():
    done = subprocess.run([sys.executable, "scripts/i18n.py", "--check"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_catalogue_says_what_gettext_says():
    """redprop reads its compiled catalogue itself, a message when it is first said
    (present/i18n.Compiled); the standard library's reader must agree on every message."""
    import gettext

    from redprop.present.i18n import LOCALE_DIR, Compiled

    path = LOCALE_DIR / "zh" / "LC_MESSAGES" / "redprop.mo"
    with open(path, "rb") as f:
        standard = gettext.GNUTranslations(f)
    ours = Compiled.read(path)
    messages = [k for k in standard._catalog if isinstance(k, str) and k]
    assert len(messages) > 1000
    assert [ours.gettext(m) for m in messages] == [standard.gettext(m) for m in messages]
    assert ours.gettext("not a message of redprop's") == "not a message of redprop's"
    assert [ours.ngettext("one visit", "{n} visits", n) for n in (1, 2)] == ["one visit", "{n} visits"]
    assert Compiled.read(path.with_name("missing.mo")).gettext("Title") == "Title"


def test_no_message_is_an_f_string():
    """An f-string cannot be looked up in the catalogue: messages are templates with named values."""
    keywords = {"_", "N_", "Message", "RedpropError", "InvalidValue", "InvalidSetting", "NotFound", "DatabaseError",
                "DatabaseMissing", "ImportRefused"}
    found = []
    for path in (REPO / "redprop").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.JoinedStr):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in keywords:
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not found, "messages written as f-strings: " + ", ".join(found)


def test_not_found_in_either_language(db, run):
    zh = run("--lang", "zh", "household", "show", "9-9-9")
    assert zh.exit_code == ExitCode.NOT_FOUND and zh.stderr == "redprop: 未找到住户 9-9-9\n"
    en = run("--lang", "en", "household", "show", "9-9-9")
    assert en.exit_code == ExitCode.NOT_FOUND and en.stderr == "redprop: no household 9-9-9\n"
    assert run("household", "show", "9-9-9").stderr == zh.stderr, "Chinese by default"


def test_an_import_summary_follows_the_language(db, run, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    zh = run("household", "import", path, "--skip-invalid")
    assert zh.stdout.strip() == "新增 2，更新 0，未变 0，拒收 1"
    assert "拒收 第 4 行" in zh.stderr
    en = run("household", "import", path, "--skip-invalid", env={"LANG": "en_US.UTF-8"})
    assert en.stdout.strip() == "added 0, updated 0, unchanged 2, refused 1"
    assert "refused row 4, column 门牌号: no room" in en.stderr


@pytest.mark.parametrize("how, expect", [
    ({"args": []}, "zh"),
    ({"args": ["--lang", "en"]}, "en"),
    ({"env": {"LANG": "en_US.UTF-8"}}, "en"),
    ({"env": {"LANG": "zh_CN.UTF-8"}}, "zh"),
    ({"env": {"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}}, "en"),
    ({"env": {"REDPROP_LANG": "en", "LANG": "zh_CN.UTF-8"}}, "en"),
    ({"env": {"REDPROP_LANG": "zh", "LANG": "en_US.UTF-8"}}, "zh"),
    ({"args": ["--lang", "zh"], "env": {"REDPROP_LANG": "en"}}, "zh"),
    ({"env": {"LANG": "C"}}, "zh"),
])
def test_the_language_is_chosen_as_gettext_would(run, how, expect):
    result = run(*how.get("args", []), "visit", "--help", env=how.get("env"))
    assert result.exit_code == 0
    if expect == "zh":
        assert "登记一次走访" in result.stdout and "Record a visit" not in result.stdout
    else:
        assert "Record a visit" in result.stdout and "登记一次走访" not in result.stdout


def test_every_command_speaks_chinese_in_its_help(run):
    text = run("issue", "open", "--help").stdout
    assert "登记居民反映的问题或需求" in text and "示例" in text and "--kind" in text
    assert "用法" in text, "Click's own words too"


def test_an_unknown_language_is_one_line(run):
    result = run("--lang", "fr", "overdue")
    assert result.exit_code == ExitCode.USAGE and "zh" in result.stderr and "Traceback" not in result.output


def test_the_legend_of_the_due_list_follows_the_language(db, run):
    assert run("household", "add", "8-2-301", "--head", "熊秀英", "--moved-in", "2020-01-01").exit_code == 0
    assert run("group", "join", "8-2-301", "独居老人", "--since", "2026-01-01").exit_code == 0
    zh = run("visit", "due")
    assert "独居老人" in zh.stdout and "超期一周以上" in zh.stdout
    en = run("visit", "due", "--lang", "en")
    assert "Elderly living alone" in en.stdout and "a week or more overdue" in en.stdout


def test_global_options_anywhere(db, db_path, run, tmp_path):
    from typer.testing import CliRunner

    from redprop.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["household", "list", "--db", str(db_path)]).exit_code == 0
    assert runner.invoke(app, ["household", "--db", str(db_path), "list"]).exit_code == 0
    assert runner.invoke(app, ["household", "list", f"--db={db_path}", "--lang=en"]).exit_code == 0
    late = run("overdue", "--lang", "en")
    assert late.exit_code == 0 and "Overdue list" in late.stdout
    early = run("--lang", "en", "overdue")
    assert early.stdout == late.stdout


@pytest.mark.parametrize("typed, nearest", [
    (["visits", "due"], "visit"), (["overdu"], "overdue"), (["issue", "opne"], "open"), (["housholds", "list"], "household"),
])
def test_a_mistyped_command_suggests_the_nearest(run, typed, nearest):
    result = run(*typed)
    assert result.exit_code == ExitCode.USAGE
    assert repr(nearest) in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("args, said", [
    (("group", "edit", "独居老人", "--cadence", "abc"), "--cadence：'abc' 不是整数"),
    (("household", "list", "--limit", "abc"), "--limit：'abc' 不是整数"),
    (("household", "show", "8-2-301", "extra"), "命令行中有多余的内容：extra"),
    (("ledger", "problems"), "缺少选项 --output"),
    (("household", "show"), "缺少参数 <户号>"),
])
def test_clicks_own_usage_errors_are_said_in_chinese(db, run, args, said):
    result = run(*args)
    assert result.exit_code == 2 and said in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_every_literal_said_is_in_the_catalogue_even_inside_an_f_string():
    """Babel's extractor does not look inside f-strings: a `_("…")` there would stay English."""
    import re

    from babel.messages.pofile import read_po

    catalogue = Path(__file__).parent.parent / "redprop/present/locale/zh/LC_MESSAGES/redprop.po"
    known = {m.id for m in read_po(catalogue.open("rb")) if m.id}
    missing = [f"{path.name}:{number}: {m.group(2)}"
               for path in (Path(__file__).parent.parent / "redprop").rglob("*.py")
               for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               for m in re.finditer(r"""\b_\((['"])([^'"]+)\1\)""", line) if m.group(2) not in known]
    assert not missing, missing
