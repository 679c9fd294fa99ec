"""README's promises: the command reference is current and the README's commands exist."""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_command_reference_is_current():
    done = subprocess.run([sys.executable, "scripts/commands_doc.py", "--check"], cwd=REPO)
    assert done.returncode == 0, "docs/commands.md or commands.zh.md is out of date: run `python scripts/commands_doc.py`"


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|bash)?\n(.*?)```", readme, re.S)
    first, second = blocks[0].strip(), blocks[1].strip()
    assert "redprop demo" in first
    assert second.endswith("python -m pytest -q")
    test_command = second.split("&& ", 2)[-1]  # what follows making and entering the venv
    assert test_command in (REPO / ".ci" / "run").read_text(encoding="utf-8")
