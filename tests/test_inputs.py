"""Inputs within limits (issue 21, item 5).

Imports read only regular files, at most --max-rows × BYTES_PER_ROW bytes (holiday files: a size
and a nesting depth of their own); GB18030's own characters (䶮, 𠀀) come in through every importer,
in GB18030 and in UTF-8 files; a GBK file whose first thousands of rows are ASCII is read as GBK;
bytes typed that are not UTF-8, a year redprop keeps no dates for: one meaningful line each,
never "unexpected error"; every year `holidays show` and `--at` accept has its statutory holidays.
The hostile files are made here, by code.
"""

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from test_safety import REPO, cli, one_line, raw

from redprop.errors import ExitCode, InvalidValue
from conftest import now

RARE = "䶮𠀀"  # U+4DAE (GB18030 FE9F) and U+20000 (a four-byte sequence in GB18030)


def run_bounded(db: Path, *args, lang="zh") -> subprocess.CompletedProcess:
    """redprop in its own process; the timeout is a safety net for a read that would never end."""
    line = [sys.executable, "-m", "redprop", "--db", str(db), "--lang", lang, *map(str, args)]
    return subprocess.run(line, capture_output=True, text=True, cwd=REPO, timeout=120)


# --------------------------------------------------------------------------------------------
# Only regular files, within a byte limit

IMPORTERS = ["household", "resident", "staff", "grid", "group", "visit", "issue", "holidays"]


@pytest.mark.parametrize("importer", IMPORTERS)
def test_an_import_of_a_fifo_or_dev_zero_ends_at_once_with_one_line(db, tmp_path, importer):
    fifo = tmp_path / "roster.csv"
    os.mkfifo(fifo)
    for source, said in ((fifo, "命名管道"), ("/dev/zero", "设备文件")):
        done = run_bounded(db, importer, "import", source)
        assert done.returncode == ExitCode.USAGE, done.stderr
        line = one_line(done.stderr)
        assert said in line and "只导入普通文件" in line


def test_an_import_over_the_byte_limit_is_refused_before_it_is_read_naming_the_limit(db, run, tmp_path):
    huge = tmp_path / "issues.csv"
    with open(huge, "wb") as f:
        f.truncate(1_100_000_000)  # sparse: 1.1 GB that takes no room
    for importer in ("household", "issue"):
        result = run(importer, "import", huge, lang="en")
        assert result.exit_code == ExitCode.INVALID
        line = one_line(result.stderr)
        assert "1100 MB" in line and "1024 MB" in line and "--max-rows" in line
    small = tmp_path / "small.csv"
    small.write_bytes(b"building,room,head\n" + b"8,301,x\n" * 200_000)  # 1.6 MB
    result = run("household", "import", small, "--max-rows", "1000", lang="en")
    assert result.exit_code == ExitCode.INVALID and "more than an import reads (1 MB" in one_line(result.stderr)


def test_a_file_that_grows_past_the_limit_while_it_is_read_stops_there(tmp_path):
    from redprop.errors import Message
    from redprop.exchange.sheets import open_import

    path = tmp_path / "growing.csv"
    path.write_bytes(b"x" * 1000)
    with open_import(path, 2000, Message("test")) as f:
        with open(path, "ab") as more:
            more.write(b"y" * 5000)  # written after it was looked at
        with pytest.raises(InvalidValue, match="grew past"):
            f.read()


# --------------------------------------------------------------------------------------------
# Holiday files: a size and a nesting depth


@pytest.mark.parametrize("make, said", [
    (lambda: "{\"year\": 2027, \"days\": " + "[" * 200_000 + "]" * 200_000 + "}", "nested more than 8 levels"),
    (lambda: json.dumps({"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": True}] * 40_000}),
     "more than an import reads (1 MB"),
], ids=["nested", "2.4 MB"])
def test_a_holiday_file_too_deep_or_too_big_is_one_line(db, run, tmp_path, make, said):
    path = tmp_path / "2027.json"
    path.write_text(make(), encoding="utf-8")
    result = run("holidays", "import", path, lang="en")
    assert result.exit_code == ExitCode.INVALID
    assert said in one_line(result.stderr) and "RecursionError" not in result.stderr
    assert run("holidays", "show", "2027", "-f", "json").stdout.count('"source": "provisional"') == 1


# --------------------------------------------------------------------------------------------
# GB18030's own characters in all 8 importers, in GB18030 and in UTF-8 files


def _files(now: datetime) -> dict:
    """importer -> (the file's lines, with English headers: nothing but the rare characters is Chinese,
    the SQL that reads back what was stored, what it must read)."""
    at = (now - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M")
    today = now.strftime("%Y-%m-%d")
    return {
        "household": (["address,head,note", f"8-2-302,{RARE},x{RARE}"],
                      "SELECT head || '|' || note FROM households WHERE key = '8-2-302'", f"{RARE}|x{RARE}"),
        "resident": (["address,name", f"8-2-301,{RARE}"], "SELECT name FROM residents", RARE),
        "staff": (["name,role", f"{RARE}2,grid_worker"], "SELECT name FROM staff WHERE name LIKE '%2'", f"{RARE}2"),
        "grid": (["code,name", f"G09,{RARE}"], "SELECT name FROM grids WHERE code = 'G09'", RARE),
        "group": (["address,group,since,note", f"8-2-301,elderly_alone,{today},{RARE}"],
                  "SELECT note FROM memberships", RARE),
        "visit": (["address,at,by,outcome,note", f"8-2-301,{at},{RARE},well,{RARE}"], "SELECT note FROM visits", RARE),
        "issue": (["reported_at,kind,category,channel,place,title", f"{at},problem,parking,patrol,{RARE},{RARE}"],
                  "SELECT title || '|' || place FROM issues", f"{RARE}|{RARE}"),
        "holidays": (["date,mark,name", f"2027-01-01,off,{RARE}"], "SELECT name FROM holiday_days WHERE day = '2027-01-01'",
                     RARE),
    }


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8"])
@pytest.mark.parametrize("importer", IMPORTERS)
def test_gb18030s_own_characters_come_in_through_every_importer(db, run, tmp_path, importer, encoding):
    assert run("household", "add", "8-2-301", "--head", "熊秀英").exit_code == 0
    assert run("staff", "add", RARE, "--role", "grid_worker").exit_code == 0
    lines, sql, stored = _files(now().astimezone(timezone(timedelta(hours=8))))[importer]  # in Shanghai
    path = tmp_path / "file.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    if encoding == "gb18030":
        assert b"\x95\x32\x82\x36" in path.read_bytes() and b"\xfe\x9f" in path.read_bytes()
    result = run(importer, "import", path)
    assert result.exit_code == 0, result.output
    assert raw(db, sql) == [(stored,)]


@pytest.mark.parametrize("ascii_rows", [3_000, 5_000])
def test_a_gbk_roster_whose_first_thousands_of_rows_are_ascii_is_read_as_gbk(db, run, run_json, tmp_path, ascii_rows):
    rows = ["building,unit,room,head"] + [f"{10 + i // 900},1,{100 + i % 900},X{i}" for i in range(ascii_rows)]
    rows.append("8,2,301,熊秀英")
    path = tmp_path / "late.csv"
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("gbk"))
    result = run("household", "import", path)
    assert result.exit_code == 0, result.output
    assert raw(db, "SELECT head FROM households WHERE key = '8-2-301'") == [("熊秀英",)]


# --------------------------------------------------------------------------------------------
# Bytes that are not UTF-8 in an argument

NOT_UTF8 = os.fsdecode(b"\xff\xfe")  # as Python hands on what a GBK terminal typed


@pytest.mark.parametrize("args", [
    ["issue", "open", "--kind", "problem", "--category", "parking", "--channel", "巡查", "--place", "1栋",
     "--title", NOT_UTF8],
    ["issue", "open", "--kind", "problem", "--category", "parking", "--channel", "巡查", "--place", NOT_UTF8,
     "--title", "堵车"],
    ["household", "add", "8-2-302", "--head", NOT_UTF8],
    ["visit", "log", "8-2-301", "--by", NOT_UTF8, "--outcome", "well"],
    ["household", "list", "--search", NOT_UTF8],
    ["household", "show", NOT_UTF8],
], ids=["--title", "--place", "--head", "--by", "--search", "KEY"])
def test_bytes_that_are_not_utf8_in_an_argument_are_one_meaningful_line(db, args):
    assert cli("household", "add", "8-2-301", db=db).returncode == 0
    entries = raw(db, "SELECT count(*) FROM log_entries")
    done = cli(*args, db=db)
    assert done.returncode in (ExitCode.INVALID, ExitCode.NOT_FOUND), done.stderr
    line = one_line(done.stderr)
    assert "意外" not in line and ("UTF-8" in line or "户号" in line), line
    assert raw(db, "SELECT count(*) FROM log_entries") == entries, "nothing written"


def test_a_non_utf8_title_says_which_option_and_which_byte(db, run):
    result = run("issue", "open", "--kind", "problem", "--category", "parking", "--channel", "巡查", "--place", "1栋",
                 "--title", "堵" + NOT_UTF8, lang="en")
    assert result.exit_code == ExitCode.INVALID
    assert "--title" in one_line(result.stderr) and "0xFF" in result.stderr and "not UTF-8" in result.stderr


# --------------------------------------------------------------------------------------------
# Impossible years, and the holidays of every year accepted

OUT_OF_RANGE = [
    ["report", "month", "--month", "0000-01"], ["report", "month", "--month", "2101-01"],
    ["report", "week", "--week", "0001-01-01"], ["overdue", "--at", "2150-01-01 08:00"],
    ["overdue", "--at", "1949-12-31 08:00"], ["stats", "--from", "0001-01-01"],
    ["issue", "list", "--at", "9999-12-31T23:59:59+14:00"], ["visit", "due", "--at", "30000天前"], ["visit", "due", "--at", "50000000 minutes ago"],
    ["log", "--since", "0001-01-01"], ["ledger", "problems", "--from", "1900-01-01", "--to", "2026-11-30", "-o", "/no/such/folder/x.csv"],
    ["holidays", "show", "2101"], ["holidays", "show", "1949"], ["holidays", "set", "2150-01-01", "休"],
    ["issue", "open", "--kind", "problem", "--category", "parking", "--channel", "巡查", "--place", "1栋",
     "--title", "堵车", "--at", "0001-01-01 09:00"],
]


@pytest.mark.parametrize("args", OUT_OF_RANGE, ids=" ".join)
def test_a_year_redprop_keeps_no_dates_for_is_one_meaningful_line(db, run, args):
    result = run(*args)
    assert result.exit_code == ExitCode.INVALID, result.output
    line = one_line(result.stderr)
    assert "1950" in line and "2100" in line and "意外" not in line


def test_every_year_holidays_show_and_at_accept_has_its_statutory_holidays(db, run, run_json):
    from redprop.parsing import FIRST_YEAR, LAST_YEAR
    from redprop.policy.holidays import provisional_days

    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        named = {name for names in provisional_days(year).values() for name in names.split("、")}
        assert {"元旦", "春节", "国庆节"} <= named, year
        if year >= 2008:  # 清明, 端午 and 中秋 became holidays in 2008
            assert {"清明节", "劳动节", "端午节", "中秋节"} <= named, year
    last = run_json("holidays", "show", str(LAST_YEAR))
    assert last["provisional"] and {"元旦", "春节", "国庆节", "中秋节"} <= {d["name"] for d in last["days"]}
    assert run("overdue", "--at", f"{LAST_YEAR}-12-31 08:00").exit_code == 0
