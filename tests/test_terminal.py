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


@pytest.fixture(scope="module")
def demo_db(module_demo):
    return module_demo  # made by `redprop demo` once a session, copied for this module


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
