"""Tables on a real terminal: a pseudo-terminal of 60, 80 and 200 columns, the demo community.

No line may be wider than the terminal (Chinese characters take two cells), so the terminal
never breaks a row; and what must stay whole — every issue's title — is whole on one line.
In a pipe the same rows come out as plain text, nothing cut.
"""

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from redprop.present.cells import width

AT = "2026-11-24 08:00"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
LISTINGS = [
    ("overdue", "--at", AT),
    ("issue", "list", "--at", AT),
    ("visit", "due", "--at", AT),
    ("household", "list"),
]


def environment(**extra) -> dict:
    """The developer's environment for a command on a terminal: no pager (PAGER=cat, as git
    reads it), so that everything it shows is read here; the pager's own tests name theirs."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("REDPROP_", "COLUMNS", "LINES", "LC_", "LANG", "LESS"))}
    env.update(TERM="xterm-256color", PAGER="cat")
    env.update(extra)
    return env


def in_terminal(db, args, columns: int, rows: int = 40, **env) -> str:
    """What `redprop --db DB ARGS` shows on a terminal `columns` wide, colour codes removed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    process = subprocess.Popen([sys.executable, "-m", "redprop", "--db", str(db), *args], stdin=slave, stdout=slave,
                               stderr=slave, env=environment(**env), close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the other end closed (EIO on Linux)
            break
        if not data:
            break
        chunks.append(data)
    assert process.wait(timeout=60) == 0, b"".join(chunks).decode(errors="replace")
    os.close(master)
    return ANSI.sub("", b"".join(chunks).decode()).replace("\r\n", "\n")


def piped(db, args, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "redprop", "--db", str(db), *args], capture_output=True, text=True,
                          env=environment(**env), check=True)


def titles(db) -> set[str]:
    report = json.loads(piped(db, ["overdue", "--at", AT, "-f", "json"]).stdout)
    listed = json.loads(piped(db, ["issue", "list", "--at", AT, "-f", "json"]).stdout)
    return {i["title"] for i in report["issues"] + report["due_soon"] + listed}


@pytest.mark.parametrize("columns", [60, 80, 200])
@pytest.mark.parametrize("args", LISTINGS, ids=lambda a: " ".join(a[:2]))
def test_no_line_is_wider_than_the_terminal(demo_db, args, columns):
    text = in_terminal(demo_db, args, columns)
    widest = max(text.splitlines(), key=width)
    assert width(widest) <= columns, f"{width(widest)} cells at {columns}: {widest!r}"
    assert len(text.splitlines()) > 3


@pytest.mark.parametrize("columns", [60, 80, 200])
@pytest.mark.parametrize("args", LISTINGS[:2], ids=lambda a: " ".join(a[:2]))
def test_every_title_is_whole_on_one_line(demo_db, args, columns):
    text = in_terminal(demo_db, args, columns)
    lines = text.splitlines()
    shown = {t for t in titles(demo_db) if t in text}
    assert shown, "the listing shows issue titles"
    for title in shown:
        assert any(title in line for line in lines), f"{title!r} is broken across lines at {columns} columns"


def test_a_wide_terminal_gets_a_rich_table_with_every_column(demo_db):
    text = in_terminal(demo_db, ["overdue", "--at", AT], 200)
    assert "┃" in text or "│" in text, "a Rich table"
    assert "片区人员" in text and "等级" in text, "at 200 columns no column is dropped"


def test_an_80_column_terminal_keeps_what_matters(demo_db):
    text = in_terminal(demo_db, ["overdue", "--at", AT], 80)
    for must in ("#305", "单元门禁坏了", "11-1-502", "邓俊芬", "3天22小时"):
        assert must in text, must
    hidden = next(line for line in text.splitlines() if line.startswith("窗口较窄，未显示："))
    assert "片区人员" in hidden, "a column dropped for the width is named, not silently gone"


def test_a_pipe_gets_plain_text_with_every_cell_whole(demo_db):
    text = piped(demo_db, ["overdue", "--at", AT]).stdout
    assert "┃" not in text and "\x1b" not in text, "no box drawing, no colour in a pipe"
    assert "片区人员" in text and "雷丽仙, 姜红华, 许绍强, 龙丽仙" in text, "every column, every cell whole"


# -- every command at 60 columns, in both languages (issue 19) ---------------------------------

# One process runs every command in turn, as `redprop` would (its `run`: `main` then ends the process), on a
# real pseudo-terminal: the sizes, the wrapping and the encoding are a terminal's, and the
# suite pays for two starts instead of eighty.
DRIVER = r"""
import json, sys
from redprop.cli import run
for args in json.loads(sys.argv[1]):
    sys.stdout.write("\x1e" + json.dumps(args, ensure_ascii=False) + "\n"); sys.stdout.flush()
    sys.argv = ["redprop", *args]
    code = run() or 0
    sys.stdout.flush(); sys.stderr.flush()
    sys.stdout.write("\x1f%s\n" % code); sys.stdout.flush()
"""
EVERY_COMMAND = [
    ["household", "list", "--building", "8"], ["household", "show", "8-2-301", "--at", AT],
    ["household", "history", "8-2-301"], ["resident", "list", "8-2-301"], ["staff", "list"], ["grid", "list"],
    ["group", "list"], ["group", "members", "elderly_alone", "--at", AT], ["visit", "list", "--limit", "15"],
    ["visit", "due", "--at", AT], ["visit", "due", "--at", AT, "--building", "5,8"],
    ["visit", "plan", "--week", "2026-11-24", "--staff", "杜丽娟"], ["issue", "list", "--at", AT],
    ["issue", "show", "305", "--at", AT], ["issue", "category", "list"], ["overdue", "--at", AT],
    ["overdue", "--at", AT, "--staff", "杜丽娟"], ["today", "--staff", "刘磊", "--at", AT],
    ["stats", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "category", "--at", AT],
    ["report", "week", "--at", AT], ["holidays", "show", "2026"], ["policy", "show"], ["config", "show"],
    ["visit", "log", "8-2-301", "--by", "杜丽娟", "--at", "2026-11-24 09:10", "--outcome", "不在家"],
    ["issue", "open", "--household", "8-2-301", "--channel", "走访", "--by", "杜丽娟", "--category", "犬只",
     "--title", "楼下狗叫扰民", "--at", "2026-11-24 09:20"],
    ["issue", "assign", "330", "--to", "刘云华", "--at", "2026-11-24 09:30"],
    ["log", "--limit", "5"],
]
LISTINGS_FOR_GBK = [args for args in EVERY_COMMAND if args[0] not in ("visit", "issue") or args[1] in
                    ("list", "due", "plan", "show")] + [[*args, "-f", "csv"] for args in (["visit", "due", "--at", AT],
                                                                                       ["today", "--staff", "刘磊", "--at", AT])]


def driven(db, commands, columns: int | None, **env) -> list[tuple[list, int, str]]:
    """(args, exit code, what was shown) of each command, run in one redprop process on a
    terminal `columns` wide (None: in a pipe)."""
    line = [sys.executable, "-c", DRIVER, json.dumps([["--db", str(db), *c] for c in commands], ensure_ascii=False)]
    if columns is None:
        done = subprocess.run(line, capture_output=True, env=environment(**env), timeout=600)
        text = done.stdout.decode(env.get("PYTHONIOENCODING", "utf-8"))
    else:
        _code, text = converse(line, [], columns, encoding=env.get("PYTHONIOENCODING", "utf-8"), seconds=600, **env)
    results = []
    for part in text.split("\x1e")[1:]:
        head, _, rest = part.partition("\n")
        shown, _, code = rest.rpartition("\x1f")
        results.append((json.loads(head)[2:], int(code.strip()), shown))
    assert len(results) == len(commands), text[-2000:]
    return results


def known_names(db) -> set[str]:
    """Names, addresses and issue numbers of the demo: none may be broken across lines."""
    from test_safety import raw

    names = {r[0] for r in raw(db, "SELECT name FROM staff UNION SELECT head FROM households"
                                    " UNION SELECT key FROM households") if r[0] and len(r[0]) > 1}
    return names | {f"#{r[0]}" for r in raw(db, "SELECT id FROM issues")}


DATE_OR_TIME = re.compile(r"^(\d{4}-\d\d-\d\d|\d{1,2}:\d\d)$")


def broken_names(text: str, names: set[str]) -> list[str]:
    """Names cut between one line and the next, in the same table cell or in running text: the
    last word above and the first word below, neither a whole name, that join into one."""
    found = []
    lines = text.splitlines()
    for above, below in zip(lines, lines[1:]):
        cut = "│" if "│" in above and "│" in below and above.count("│") == below.count("│") else None
        pairs = zip(above.split(cut), below.split(cut)) if cut else [(above, below)]
        for left, right in pairs:
            last, first = left.split()[-1:], right.split()[:1]
            if not last or not first:
                continue
            last, first = last[0].rstrip(",，、·:：;；"), first[0].lstrip(",，、·")
            if last in names or first in names or DATE_OR_TIME.match(last) or DATE_OR_TIME.match(first):
                continue
            joined, edge = last + first, len(last)
            found += [f"{last} / {first}" for name in names if any(
                joined.startswith(name, start) for start in range(max(0, edge - len(name) + 1), edge))]
    return found


@pytest.fixture(scope="module")
def written_demo(copy_demo):
    """A copy of the demo for the commands that write."""
    return copy_demo


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_command_fits_60_columns_with_no_name_broken(written_demo, lang, tmp_path):
    db = written_demo(f"sixty-{lang}")
    names = known_names(db)
    for args, code, shown in driven(db, EVERY_COMMAND, 60, REDPROP_LANG=lang, XDG_CONFIG_HOME=str(tmp_path)):
        assert code == 0, (args, shown[-500:])
        assert len(shown.splitlines()) >= 1, args
        widest = max(shown.splitlines(), key=width)
        assert width(widest) <= 60, f"{args}: {width(widest)} cells: {widest!r}"
        assert not broken_names(shown, names), (args, broken_names(shown, names))


def test_every_listing_exits_in_gbk_as_in_utf8(written_demo, tmp_path):
    """A console or file that cannot show ‼ ✓ … gets plain stand-ins; nothing fails."""
    db = written_demo("gbk")
    utf8 = driven(db, LISTINGS_FOR_GBK, None, XDG_CONFIG_HOME=str(tmp_path))
    gbk = driven(db, LISTINGS_FOR_GBK, None, PYTHONIOENCODING="gbk", XDG_CONFIG_HOME=str(tmp_path))
    assert [code for _a, code, _s in gbk] == [code for _a, code, _s in utf8] == [0] * len(LISTINGS_FOR_GBK)
    shown = {" ".join(args): text for args, _code, text in gbk}
    due = shown[f"visit due --at {AT}"]
    assert "!! 3次未遇" in due and "熊秀英" in due and "‼" not in due
    assert len(shown[f"overdue --at {AT}"]) > 1000, "the whole list, not its first lines"
    assert driven(db, [["visit", "due", "--at", AT]], 60, PYTHONIOENCODING="gbk")[0][1] == 0, "a GBK console too"


def converse(line: list[str], answers: list[bytes], columns: int = 60, cwd=None, encoding: str = "utf-8",
             seconds: int = 60, **env) -> tuple[int, str]:
    """Run a command on a terminal, typing each answer once a question waits for it (a line
    ending in a colon or `[y/N]`); (exit code, all it showed, its colour codes removed). Never
    waits more than `seconds` in all."""
    import select
    import time

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    process = subprocess.Popen(line, stdin=slave, stdout=slave, stderr=slave, env=environment(**env), close_fds=True,
                               cwd=cwd)
    os.close(slave)
    said, pending, deadline = b"", list(answers), time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            said += data
        if pending and said.rstrip().endswith(("：".encode(), b":", b"]")):
            os.write(master, pending.pop(0))
            said += b"\n"
    if process.poll() is None:
        process.kill()
    code = process.wait(timeout=10)
    os.close(master)
    return code, ANSI.sub("", said.decode(encoding, errors="replace")).replace("\r\n", "\n")


def test_a_missing_word_is_asked_for_on_a_terminal(copy_demo):
    """`类别？ 1 乱停车  2 犬只 …`: the choices numbered, the answer read; Enter takes the closest."""
    db = copy_demo("asked")
    line = [sys.executable, "-m", "redprop", "--db", str(db), "issue", "open", "--place", "3栋门口", "--title", "狗叫",
            "--category", "狗", "-f", "json"]
    code, text = converse(line, [b"\n", b"2\n"])  # the category by Enter (犬只 suggested), the channel by its number
    assert code == 0, text
    assert "类别？ 1 乱停车  2 犬只" in text and "渠道？ 1 一站式窗口  2 热线/服务点" in text
    assert "回车即 犬只" in text
    assert all(width(line) <= 60 for line in text.splitlines())
    issue = json.loads(text[text.index("{"):text.rindex("}") + 1])
    assert (issue["category"], issue["channel"]) == ("dogs", "hotline")


def test_a_building_leaders_week_runs_as_written_at_60_columns(tmp_path):
    """README's walk, each line as typed on a 60-column terminal (a question answered yes)."""
    import shlex

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", readme.split("## A building leader's week", 1)[1], re.S).group(1)
    commands = [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]
    assert [c[:2] for c in commands][:4] == [["redprop", "demo"], ["redprop", "config"], ["redprop", "config"],
                                             ["redprop", "today"]]
    said = {}
    for words in commands:
        assert words[0] == "redprop", words
        code, text = converse([sys.executable, "-m", "redprop", *words[1:]], [b"y\n"], cwd=tmp_path,
                              XDG_CONFIG_HOME=str(tmp_path / "config"))
        assert code == 0, (words, text)
        widest = max(text.splitlines(), key=width)
        assert width(widest) <= 60, f"{shlex.join(words)}: {widest!r}"
        said[shlex.join(words[1:3])] = said.get(shlex.join(words[1:3]), "") + text
    assert "熊秀英" in said["today --at"] and "8-2-301 熊秀英（独居老人）" in said["visit log"]
    assert "8-2-302 邵俊飞" in said["visit log"], "the wrong door said back by its head's name"
    page = (tmp_path / "今天.html").read_text(encoding="utf-8")
    assert "杜丽娟的待办" in page and "熊秀英" in page
    db = tmp_path / "redprop-demo.db"
    visits = json.loads(piped(db, ["visit", "list", "--from", "2026-11-24", "-f", "json"]).stdout)
    assert [(v["household"], v["by"]) for v in visits] == [("8-1-302", "杜丽娟"), ("8-2-301", "杜丽娟")], "674 taken back"
    issue = json.loads(piped(db, ["issue", "list", "--household", "8-2-302", "-f", "json"]).stdout)[0]
    assert issue["arrived_at"] == issue["reported_at"] and issue["reporter"] == "邵俊飞"
    users = {e["user"] for e in json.loads(piped(db, ["log", "-f", "json"], XDG_CONFIG_HOME=str(tmp_path / "config")).stdout)}
    assert users == {"杜丽娟"}


def test_undo_on_a_terminal_shows_what_it_takes_back_and_asks(copy_demo):
    db = copy_demo("test_undo_on_a_terminal_shows_")  # (the folder tmp_path would be: the line wraps as it did)
    assert piped(db, ["visit", "log", "8-2-301", "--by", "杜丽娟", "--at", AT, "--outcome", "不在家"]).returncode == 0
    line = [sys.executable, "-m", "redprop", "--db", str(db), "undo"]
    code, text = converse(line, [b"n\n"])
    assert code == 0 and "撤销这一条？[y/N]" in text and "visit log 8-2-301" in text and "未撤销任何内容" in text
    assert json.loads(piped(db, ["log", "-f", "json"]).stdout)[0]["undone_by"] is None
    code, text = converse(line + ["--yes"], [])
    assert code == 0 and "已撤销" in text and "[y/N]" not in text


# -- a listing longer than the screen goes through the pager (issue 22) ------------------------

PAGER_SCRIPT = """
import os, sys
folder = sys.argv[1]
open(os.path.join(folder, "LESS"), "w").write(os.environ.get("LESS", "(unset)"))
open(os.path.join(folder, "paged.txt"), "wb").write(sys.stdin.buffer.read())
"""


@pytest.fixture
def pager(tmp_path):
    """A pager that keeps what it was given (paged.txt) and the LESS it ran with: $PAGER for a test."""
    script = tmp_path / "pager.py"
    script.write_text(PAGER_SCRIPT, encoding="utf-8")
    return {"PAGER": f"{sys.executable} {script} {tmp_path}", "paged": tmp_path / "paged.txt", "less": tmp_path / "LESS"}


def test_a_listing_longer_than_the_screen_goes_through_the_pager(demo_db, pager):
    shown = in_terminal(demo_db, ["overdue", "--at", AT], 80, rows=24, PAGER=pager["PAGER"])
    paged = ANSI.sub("", pager["paged"].read_text(encoding="utf-8"))
    assert "#305" in paged and "单元门禁坏了" in paged and "┏" in paged, "the whole list, in the table's look"
    assert "#305" not in shown, "nothing of it printed past the pager"
    assert pager["less"].read_text() == "FRX", "less quits at once on a short text, shows colours, leaves the screen"
    in_terminal(demo_db, ["overdue", "--at", AT], 80, rows=24, PAGER=pager["PAGER"], LESS="-S")
    assert pager["less"].read_text() == "-S", "the worker's own LESS is kept"


@pytest.mark.parametrize("args", [["overdue", "--at", AT, "--no-pager"], ["--no-pager", "overdue", "--at", AT],
                                  ["overdue", "--no-pager", "--at", AT], ["overdue", "--at", AT, "-f", "json"],
                                  ["overdue", "--at", AT, "-f", "csv"], ["group", "list"]],
                         ids=["--no-pager last", "--no-pager first", "--no-pager between", "json", "csv", "one screen"])
def test_no_pager_for_no_pager_machine_formats_or_what_fits_on_the_screen(demo_db, pager, args):
    shown = in_terminal(demo_db, args, 80, rows=24, PAGER=pager["PAGER"])
    assert not pager["paged"].exists(), "no pager started"
    assert len(shown.splitlines()) > 3, "printed on the terminal itself"


def test_a_pipe_never_gets_the_pager(demo_db, pager):
    assert "#305" in piped(demo_db, ["overdue", "--at", AT], PAGER=pager["PAGER"]).stdout
    assert not pager["paged"].exists()


def test_less_quit_after_the_first_screen_ends_the_command_at_once(demo_db):
    """A person reads the first screen and presses q: less quits, redprop stops drawing, exit 0."""
    import select
    import shutil
    import time

    if shutil.which("less") is None:
        pytest.skip("less is not installed")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = environment()
    del env["PAGER"]
    process = subprocess.Popen([sys.executable, "-m", "redprop", "--db", str(demo_db), "household", "list"],
                               stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
                               preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(slave)
    shown, deadline = b"", time.monotonic() + 60
    while shown.count(b"\n") < 23 and time.monotonic() < deadline:
        if select.select([master], [], [], 1)[0]:
            shown += os.read(master, 65536)
    os.write(master, b"q")
    assert process.wait(timeout=60) == 0
    os.close(master)
    first = ANSI.sub("", shown.decode(errors="replace"))
    assert "户号" in first and "2-1-102" in first, "the first screen of the list, in less"


def test_a_table_for_the_pager_is_drawn_as_rich_draws_it():
    """A table bound for the pager is drawn row by row by redprop (present/table.boxed), not by
    Rich: it must look the same, byte for byte, colours and all."""
    import io

    from rich.console import Console

    from redprop.present.i18n import Language
    from redprop.present.reports import OVERDUE_TABLE
    from redprop.present.table import boxed, fit, grid, rich_table

    rows = [{"holder": "楼长214", "number": "#840016", "promise": "书面方案", "due": "2023-12-13 08:13", "late": "1090天6小时",
             "where": "214-2-601", "title": "健身器材损坏", "tier": "一般", "status": "已派单",
             "area": ["雷丽仙", "姜红华", "许绍强 Xu Shaoqiang", "龙丽仙"]},
            {"holder": "楼长214", "number": "#17", "promise": "到场+", "due": "", "late": "1天", "where": "x",
             "title": "[bold]装修噪音 ‼ ✓ …", "tier": "一般", "status": "已派单", "area": None},
            {},
            {"holder": "Unassigned", "number": "#9", "promise": "", "title": "t", "area": ["a"]}]
    columns, compared = OVERDUE_TABLE.columns, 0
    for language in (Language("zh"), Language("en")):
        headers, cells = grid(columns, rows, language)
        for cells_wide in (44, 60, 80, 120, 200):
            layout = fit(columns, headers, cells, cells_wide)
            if layout is None:
                continue
            for title in ("== 超时未办 (394) ==", None, "a title longer than a narrow table, 一个比窄表还长的标题 " * 2):
                for styled in (True, False):
                    drawn = io.StringIO()
                    Console(file=drawn, width=cells_wide, highlight=False, soft_wrap=False, force_terminal=True,
                            color_system="256" if styled else None).print(rich_table(columns, rows, layout, title, language))
                    mine = "".join(line + "\n" for line in boxed(columns, headers, cells, layout, title, styled))
                    assert mine == drawn.getvalue(), (cells_wide, title, styled)
                    compared += 1
    assert compared > 20
