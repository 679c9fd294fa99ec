"""README's promises, run as a new user would: the tour as written on a fresh database, the demo
from any folder, and the cron line under cron's bare PATH."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redprop.cli import app

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def code_block_after(heading: str, language: str) -> str:
    section = README.split(heading, 1)[1]
    return re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)


def tour_commands(heading: str = "## A tour") -> list[list[str]]:
    commands = []
    for line in code_block_after(heading, "sh").splitlines():
        words = shlex.split(line, comments=True)
        while words:
            cut = words.index("&&") if "&&" in words else len(words)
            commands.append(words[:cut])
            words = words[cut + 1:]
    return commands


def installed_redprop() -> str | None:
    beside = Path(sys.executable).with_name("redprop")
    return str(beside) if beside.exists() else shutil.which("redprop")


def run_section(heading: str, db: Path) -> dict:
    """Run a README section's sh block as written (`export REDPROP_DB=…` first) against `db`; the
    environment its commands ran in."""
    commands = tour_commands(heading)
    assert commands[0][0] == "export" and commands[0][1].startswith("REDPROP_DB=")
    env = {"REDPROP_DB": str(db)}
    runner = CliRunner()
    for words in commands[1:]:
        assert words[0] == "redprop", words
        result = runner.invoke(app, words[1:], env=env, catch_exceptions=False)
        assert result.exit_code == 0, f"{shlex.join(words)}\n{result.output}"
    return env


def test_the_tour_runs_as_written_on_a_fresh_database(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    env = run_section("## A tour", tmp_path / "mlsj.db")
    runner = CliRunner()
    shown = runner.invoke(app, ["issue", "show", "1", "-f", "json"], env=env)
    assert '"status": "resolved"' in shown.stdout


def test_the_orders_section_runs_as_written_on_a_fresh_database(tmp_path, monkeypatch):
    """A 12345 order through sign, reply, failed verification, rework and passed verification;
    the report's rates, the order ledger and the Open311 export, as README shows them."""
    import json

    monkeypatch.chdir(tmp_path)
    env = run_section("## Work orders from above", tmp_path / "orders.db")
    runner = CliRunner()
    shown = json.loads(runner.invoke(app, ["issue", "show", "1", "-f", "json"], env=env).stdout)
    order = shown["order"]
    assert (order["stage"], order["reworks"], order["closed_on_time"]) == ("closed", 1, True)
    assert [s["action"] for s in shown["steps"]].count("verify") == 2
    month = json.loads(runner.invoke(app, ["report", "month", "--month", "2026-11", "--at", "2026-12-01 09:00", "-f",
                                           "json"], env=env).stdout)
    assert month["orders"]["closed_on_time"]["numerator"] == 1 and month["orders"]["rework"]["numerator"] == 1
    assert (tmp_path / "工单台账-2026-11.xlsx").exists()
    requests = json.loads((tmp_path / "open311" / "requests.json").read_text(encoding="utf-8"))
    assert requests[0]["status"] == "closed" and requests[0]["service_notice"] == "12345 12345-20261106-0031"


def test_the_demo_works_from_any_folder(tmp_path):
    command = [installed_redprop()] if installed_redprop() else [sys.executable, "-m", "redprop"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDPROP_")}
    done = subprocess.run([*command, "demo"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "redprop-demo.db").exists()
    assert "超时清单" in done.stdout and "熊秀英" in done.stdout


@pytest.fixture
def cron(tmp_path):
    """The README's crontab line, ready to run with `sh -c` under cron's bare PATH and a fake `mail`."""
    redprop = installed_redprop()
    if redprop is None:
        pytest.skip("redprop is not installed as a command")
    line = next(line for line in code_block_after("## The morning list, from cron", "cron").splitlines()
                if line and not line.startswith("#"))
    command = line.split(None, 5)[5]  # after minute hour day month weekday
    assert "/opt/redprop/bin/redprop" in command and "--check" in command
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    sent = tmp_path / "sent"
    (bin_dir / "mail").write_text(f'#!/bin/sh\n{{ echo "subject: $2"; cat; }} >> {sent}\n', encoding="utf-8")
    (bin_dir / "mail").chmod(0o755)

    def run(db: Path) -> str:
        script = command.replace("/opt/redprop/bin/redprop", redprop).replace("/srv/redprop/mlsj.db", str(db))
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path), "SHELL": "/bin/sh"}
        subprocess.run(["/bin/sh", "-c", script], env=env, timeout=120, check=False)
        return sent.read_text(encoding="utf-8") if sent.exists() else ""

    return run


def test_cron_mails_the_list_only_when_something_is_overdue(cron, tmp_path):
    from redprop.exchange.demo import build_demo

    empty = tmp_path / "empty.db"
    assert CliRunner().invoke(app, ["--db", str(empty), "init"]).exit_code == 0
    assert cron(empty) == "", "nothing overdue: no mail"
    demo = tmp_path / "demo.db"
    build_demo(demo)
    mail = cron(demo)
    assert mail.startswith("subject: 超时清单") and "单元门禁坏了" in mail


def test_cron_reports_a_failure_instead_of_an_empty_list(cron, tmp_path):
    mail = cron(tmp_path / "no-such.db")
    assert mail.startswith("subject: redprop 出错 (2)") and "redprop init" in mail
    assert "超时清单" not in mail


def test_the_streets_section_runs_as_written(tmp_path, monkeypatch):
    """Two offices' files, the street's report, page, morning list and stats across them, and a
    copy of one community, as README shows them."""
    import json

    monkeypatch.chdir(tmp_path)
    run_section("## The street's picture, and copying a community", tmp_path / "mlsj.db")
    runner = CliRunner()
    picture = json.loads(runner.invoke(app, ["report", "week", "--db", "mlsj.db", "--db", "jer.db", "--by", "community",
                                             "--at", "2026-11-24 08:00", "-f", "json"]).stdout)
    assert [r["community"] for r in picture["communities"]] == ["涧二社区", "美仑盛景小区"], "the lowest solved on time first"
    solved = picture["total"]["problems"]["solved_on_time"]
    assert (solved["numerator"], solved["denominator"]) == (1, 2), "1/1 and 0/1 make 1/2"
    assert (tmp_path / "街道周报.html").exists() and (tmp_path / "mlsj-copy.db").exists()
    copied = runner.invoke(app, ["--db", "mlsj-copy.db", "issue", "list", "--status", "all", "-f", "json"])
    assert [i["title"] for i in json.loads(copied.stdout)] == ["楼下乱停车"]
    assert runner.invoke(app, ["overdue", "--db", "mlsj.db", "--db", "jer.db", "--by", "community", "--check",
                               "--at", "2026-11-24 08:00"]).exit_code == 1, "路灯不亮 is past its promise"
