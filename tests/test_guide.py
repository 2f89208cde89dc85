"""The user guide builds with `mkdocs build --strict`, and every example in it runs.

An example is a fenced block marked ``sh``; the blocks of a page run in order, as one shell
script that stops at the first command that fails, in a new folder (the getting-started page)
or in a new committed workspace (every other page). Blocks marked ``text`` show things that
cannot run here (installing, a partner's real key) and are not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

GUIDE = REPO / "docs" / "guide"
PAGES = sorted(GUIDE.glob("*.md"))
FENCE = re.compile(r"^```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)

PRELUDE = """\
standpunt init ws >/dev/null
cd ws
git init -q
git add -A
git commit -q -m "A new workspace"
"""


def examples(page: Path) -> str:
    return "".join(FENCE.findall(page.read_text(encoding="utf-8")))


def test_the_guide_builds_strictly(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    built = sorted(p.name for p in (tmp_path / "site" / "guide").iterdir())
    assert built == sorted([*(p.stem for p in PAGES if p.stem != "index"), "index.html"])


def test_every_page_but_templates_and_troubleshooting_has_examples() -> None:
    without = sorted(page.stem for page in PAGES if not examples(page))
    assert without == ["templates", "troubleshooting"]


@pytest.mark.parametrize("page", [p for p in PAGES if examples(p)], ids=lambda p: p.stem)
def test_the_examples_of_a_page_run(page: Path, tmp_path: Path, isolated_git: None) -> None:
    shim = tmp_path / "bin" / "standpunt"
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m standpunt "$@"\n')
    shim.chmod(0o755)
    script = examples(page)
    if not script.startswith("standpunt --version"):
        script = PRELUDE + script
    env = {
        **os.environ,
        "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO / "src"),
        "CI": "true",
    }
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-x", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
