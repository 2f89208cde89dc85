"""CI runs what the README tells a newcomer to run: the checkers, then the tests."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_ci_runs_exactly_the_readmes_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.DOTALL)
    command = next(block.strip() for block in blocks if "'.[test]'" in block)
    assert (REPO / ".ci/run").read_text(encoding="utf-8").rstrip("\n").endswith("\n" + command)
    steps = command.split(" && ")
    assert steps == [
        "sh scripts/system-deps.sh test",
        "python3 -m pip install -e '.[test]'",
        "python3 -m ruff check .",
        "python3 -m ruff format --check .",
        "python3 -m mypy src benchmarks scripts",
        "python3 -m pytest -n auto",
    ]


def test_the_test_extra_brings_the_checkers() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {re.split(r"[<>=~;! ]", item)[0] for item in project["optional-dependencies"]["test"]}
    assert {"pytest", "pytest-xdist", "ruff", "mypy"} <= names
