"""``python -m standpunt`` ends without the interpreter's teardown, as a normal exit otherwise:
the command's exit code, all its output, and every temporary file removed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import POSITION


def standpunt(root: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    tmp.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "standpunt", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "TMPDIR": str(tmp)},
    )


def test_a_build_ends_with_its_output_its_code_and_no_temporary_file(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_workspace()
    tmp = tmp_path / "tmp"
    done = standpunt(root, tmp, "build")
    assert (done.returncode, done.stdout, done.stderr) == (
        (0, "built care → build/care.pdf\n", "1 built\n")
    )
    # the warm pandoc's folder, the render workers' folders and git's home: all removed,
    # some of them by exit handlers
    assert sorted(tmp.iterdir()) == []


def test_the_exit_codes_are_the_commands(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_workspace()
    tmp = tmp_path / "tmp"
    (root / "positions" / "care.yaml").write_text("title: [\n", encoding="utf-8")
    broken = standpunt(root, tmp, "check")
    assert broken.returncode == 1 and "error:" in broken.stdout + broken.stderr
    wrong = standpunt(root, tmp, "no-such-command")
    assert (wrong.returncode, wrong.stdout) == (2, "")
    assert wrong.stderr.endswith("Error: No such command 'no-such-command'.\n")
    assert sorted(tmp.iterdir()) == []


def test_a_long_output_is_written_whole(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    # more than a pipe's buffer: what is still buffered when the command ends is written
    positions = {
        f"positions/p{n:03d}.yaml": POSITION.replace("Care is not a market", f"Position {n}")
        for n in range(1200)
    }
    root = make_workspace(positions)
    done = standpunt(root, tmp_path / "tmp", "list")
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stdout.splitlines() if "Position 1199" in line] != []
    assert len(done.stdout) > 65536
