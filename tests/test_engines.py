"""The same work on both engines gives the same answers: an office's scenario (README's tour, the
imports, visits, issues with their steps, a work order, overdue, stats, the weekly report, the
log and undo, the ledgers, a household's history) run on a SQLite file and in a community of a
PostgreSQL database, at the same fixed moment, every output compared.

The rest of the suite runs on PostgreSQL too with REDPROP_TEST_ENGINE=postgresql (see
conftest.py); this file keeps the two engines side by side in every run.
"""

import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redprop.cli import app

pytest.importorskip("psycopg")

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 24, 0, 30, tzinfo=timezone.utc)  # 08:30 in Shanghai, a Tuesday

SCENARIO = [
    "init --community 美仑盛景小区 --code 530324001001",
    "grid import sample_data/grids.csv",
    "household import sample_data/households.csv",
    "resident import sample_data/residents.csv",
    "staff import sample_data/staff.csv",
    "group import sample_data/memberships.csv",
    "visit import sample_data/visits.csv",
    "issue import sample_data/issues.csv",
    "household list --building 8 --search 熊",
    "household show 8-2-301",
    "group join 5-1-202 新近失业居民 --resident 谭晨睿 --since 2026-11-01",
    "group leave 5-1-202 newly_unemployed --resident 谭晨睿 --reason 找到工作",
    "group members newly_unemployed --from 2026-07-01 --to 2026-07-31",
    "visit log 8-2-301 --by 杜丽娟 --at '2026-11-23 9:40' --outcome 不在家",
    "visit due",
    "visit plan",
    "issue open --kind problem --category 乱停车 --channel 巡查 --place 1栋消防通道 --title 乱停车堵住消防通道 --at '2026-11-23 10:00'",
    "issue assign #LAST --to 姜红华 --at '2026-11-23 10:02'",
    "issue arrive #LAST --at '2026-11-23 10:04'",
    "issue resolve #LAST --note 已挪车 --at '2026-11-23 10:20'",
    "issue rate #LAST 5 --at '2026-11-23 15:00'",
    "issue open --kind problem --category 报修 --channel 热线 --household 8-2-301 --title 水管漏水 --tier major"
    " --order 12345-20261123-0007 --order-from 12345 --order-due 3个工作日 --at '2026-11-23 11:00'",
    "issue sign #LAST --at '2026-11-23 11:30'",
    "issue wait #LAST --for parts --at '2026-11-23 12:00'",
    "issue show #LAST",
    "issue list --limit 20",
    "issue list --status all --all",  # 300-odd rows: on PostgreSQL read in pages (100, then 400), each row once
    "issue list --status resolved --limit 150",
    "overdue",
    "stats --from 2026-10-01 --by category",
    "stats --from 2026-10-01 --by handler",
    "report week --at '2026-11-24 08:00'",
    "report month --at '2026-11-24 08:00'",
    "household move-out 12-1-402 --on 2026-11-20",
    "household history 12-1-402",
    "log --limit 5",
    "undo",
    "household show 12-1-402",
    "ledger visits --from 2026-10-01 --to 2026-10-31 -o OUT/visits.csv",
    "ledger problems --from 2026-10-01 --to 2026-11-30 -o OUT/problems.csv",
    "ledger 住户台账 --building 8 -o OUT/households.csv",
    "check",
]
JSON_TOO = ("list", "show", "due", "plan", "members", "overdue", "stats", "week", "month", "history", "log", "check")


def _replay(env: dict, out: Path) -> list:
    """Every command of the scenario at the fixed moment: (command, exit code, stdout) and, for a
    listing, its JSON too; a ledger's file as written."""
    import shlex

    runner, seen, last = CliRunner(), [], None
    out.mkdir()
    for line in SCENARIO:
        words = shlex.split(line.replace("#LAST", str(last)).replace("OUT/", f"{out}/"))
        result = runner.invoke(app, words, env=env, obj={"clock": lambda: NOW}, catch_exceptions=False)
        seen.append((line, result.exit_code, result.stdout))
        assert result.exit_code == 0, f"{line}\n{result.output}"
        if words[0] == "ledger":
            seen.append((line + " (the file)", 0, Path(words[-1]).read_text(encoding="utf-8-sig")))
        if words[:2] == ["issue", "open"]:
            last = re.search(r"#(\d+)", result.stdout + result.stderr).group(1)
        if words[-1] in JSON_TOO or words[0] in JSON_TOO or (len(words) > 1 and words[1] in JSON_TOO):
            shown = runner.invoke(app, [*words, "--format", "json"], env=env, obj={"clock": lambda: NOW})
            seen.append((line + " --format json", shown.exit_code, json.loads(shown.stdout) if shown.stdout else None))
    return seen


def test_an_office_scenario_gives_the_same_answers_on_sqlite_and_postgresql(tmp_path, pg_database, monkeypatch):
    monkeypatch.chdir(REPO)
    on_file = _replay({"REDPROP_DB": str(tmp_path / "mlsj.db"), "REDPROP_USER": "杜丽娟"}, tmp_path / "file")
    on_server = _replay({"REDPROP_DB": pg_database(), "REDPROP_USER": "杜丽娟"}, tmp_path / "server")
    assert len(on_file) == len(on_server)
    for (command, code, out), (_, code_pg, out_pg) in zip(on_file, on_server):
        if isinstance(out, str):
            out, out_pg = out.replace(str(tmp_path / "file"), "OUT"), out_pg.replace(str(tmp_path / "server"), "OUT")
        assert (code_pg, out_pg) == (code, out), command
    assert any(isinstance(out, list) and len(out) > 10 for _, _, out in on_file), "the listings are not empty"
