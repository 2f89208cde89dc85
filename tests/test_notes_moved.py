"""A note the layout engine moved off its call's page is said by the build, at the position's
file, as a warning (the PDF is still written): the reader is not left to find it."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from conftest import copy_demo
from standpunt.cli import main

#: A note longer than a page can hold beside its call, called from the 7th of 11 paragraphs.
PARAGRAPH = (
    "Sociaal werk staat dicht bij mensen en ziet waar rechten onder druk staan; organisaties "
    "geven die signalen een stem. "
) * 3
LONG_NOTE = " ".join(["This note is far too long to share a page with anything at all."] * 70)


def moved_position() -> str:
    lines = ["title: Moved", "lang: nl", "sections:", "  - title: Een", "    body: |"]
    lines += [f"      {PARAGRAPH}\n"] * 6
    lines += [f"      {PARAGRAPH}Hier is de noot.^[{LONG_NOTE}] En verder.\n"]
    lines += [f"      {PARAGRAPH}\n"] * 4
    return "\n".join(lines) + "\n"


def test_a_moved_note_is_a_located_warning_of_the_build(tmp_path: Path) -> None:
    """The demo in a note style keeps every note on its call's page (the layout is done again
    where WeasyPrint moved one: tests/test_layout.py); a note too long for its call's page is
    still moved, and said."""
    root = copy_demo(tmp_path / "ws")
    config = root / "standpunt.yaml"
    config.write_text(config.read_text().replace("style: apa", "style: chicago-notes-bibliography"))
    (root / "positions/moved.yaml").write_text(moved_position())
    result = CliRunner().invoke(main, ["-C", str(root), "build", "--allow-modified"])
    assert result.exit_code == 0, result.output
    moved = [line for line in result.output.splitlines() if line.endswith("[note-moved]")]
    assert moved == [
        "positions/moved.yaml:1:1: warning: the layout put footnote 1 in section 1 ('Een') on "
        "page 4, away from its call on page 3, even laid out again; a shorter note, or a shorter "
        "paragraph before its call, keeps them together [note-moved]"
    ]
    assert (root / "build" / "moved.pdf").is_file()
    report = CliRunner().invoke(
        main, ["-C", str(root), "build", "--allow-modified", "--force", "--report", "json"]
    )
    assert re.findall(r'"code": "note-moved"', report.output) == ['"code": "note-moved"']
