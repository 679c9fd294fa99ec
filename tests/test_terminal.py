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
    env = {k: v for k, v in os.environ.items() if not k.startswith(("REDPROP_", "COLUMNS", "LINES", "LC_", "LANG"))}
    env.update(TERM="xterm-256color", **extra)
    return env


def in_terminal(db, args, columns: int, **env) -> str:
    """What `redprop --db DB ARGS` shows on a terminal `columns` wide, colour codes removed."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
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

# One process runs every command in turn, as `redprop` would (its `main`, its streams), on a
# real pseudo-terminal: the sizes, the wrapping and the encoding are a terminal's, and the
# suite pays for two starts instead of eighty.
DRIVER = r"""
import json, sys
from redprop.cli import main
for args in json.loads(sys.argv[1]):
    sys.stdout.write("\x1e" + json.dumps(args, ensure_ascii=False) + "\n"); sys.stdout.flush()
    sys.argv = ["redprop", *args]
    try:
        main()
        code = 0
    except SystemExit as stop:
        code = stop.code or 0
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
