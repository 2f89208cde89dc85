"""A note the layout engine moved off its call's page is said by the build, at the position's
file, as a warning (the PDF is still written): the reader is not left to find it."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from conftest import copy_demo
from standpunt.cli import main


def test_a_moved_note_is_a_located_warning_of_the_build(tmp_path: Path) -> None:
    root = copy_demo(tmp_path / "ws")
    config = root / "standpunt.yaml"
    config.write_text(config.read_text().replace("style: apa", "style: chicago-notes-bibliography"))
    result = CliRunner().invoke(main, ["-C", str(root), "build", "--allow-modified"])
    assert result.exit_code == 0, result.output
    moved = [line for line in result.output.splitlines() if line.endswith("[note-moved]")]
    assert moved == [
        "positions/coalitions-for-social-policy.yaml:1:1: warning: the layout put footnote 5 in "
        "section 2 ('What market logic does to social work') on page 3, away from its call on "
        "page 2; a shorter paragraph or a pull quote elsewhere keeps them together [note-moved]"
    ]
    assert (root / "build" / "coalitions-for-social-policy.pdf").is_file()
    report = CliRunner().invoke(
        main, ["-C", str(root), "build", "--allow-modified", "--force", "--report", "json"]
    )
    assert re.findall(r'"code": "note-moved"', report.output) == ['"code": "note-moved"']
