"""The HTML the built-in template makes for a demo position, held as a golden file.

After a deliberate change to the template, refresh it and read the diff before committing:

    STANDPUNT_UPDATE_GOLDEN=1 python3 -m pytest tests/test_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from conftest import copy_demo
from standpunt.cli import main

GOLDEN = Path(__file__).parent / "golden" / "coalitions-for-social-policy.html"


def test_template_html_matches_golden(tmp_path):
    root = copy_demo(tmp_path / "demo")
    result = CliRunner().invoke(
        main, ["-C", str(root), "build", "--format", "html", "coalitions-for-social-policy"]
    )
    assert result.exit_code == 0, result.output
    html = (root / "build" / "coalitions-for-social-policy.html").read_text(encoding="utf-8")
    if os.environ.get("STANDPUNT_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(html, encoding="utf-8")
    assert html == GOLDEN.read_text(encoding="utf-8")
