"""The same workspace gives the same PDF bytes wherever Standpunt is installed and wherever the
workspace lies: the page hands WeasyPrint the built-in fonts by their address inside the
installed package, and the PDF's /ID is a hash of that page."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO, copy_demo
from standpunt.render.pdf import pdf_identifier

PACKAGE = REPO / "src" / "standpunt"


def _install(target: Path) -> Path:
    """A copy of the package below ``target``, as another machine would have it."""
    shutil.copytree(PACKAGE, target / "standpunt", ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _build(site: Path, root: Path, home: Path) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CACHE_HOME": str(home)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "standpunt",
            "-C",
            str(root),
            "build",
            "coalitions-for-social-policy",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (pdf,) = (root / "build").glob("coalitions-for-social-policy*.pdf")
    return pdf.read_bytes()


def test_pdf_bytes_do_not_depend_on_where_standpunt_is_installed(tmp_path: Path) -> None:
    first = _install(tmp_path / "one" / "site-packages")
    second = _install(tmp_path / "another place" / "lib" / "python" / "site-packages")
    one = copy_demo(tmp_path / "ws")
    other = copy_demo(tmp_path / "elsewhere" / "the workspace")
    made = _build(first, one, tmp_path / "cache1")
    again = _build(second, other, tmp_path / "cache2")
    assert str(first) != str(second)
    assert made == again


def test_pdf_identifier_replaces_each_root_by_its_place(tmp_path: Path) -> None:
    tmp_path = tmp_path.resolve()
    workspace, fonts = tmp_path / "ws", tmp_path / "ws" / "templates" / "x"
    fonts.mkdir(parents=True)
    page = f'<img src="{workspace.as_uri()}/a.png"><style>url("{fonts.as_uri()}/f.woff")</style>'
    moved = page.replace(str(tmp_path), "/somewhere/else")
    other = [Path(str(p).replace(str(tmp_path), "/somewhere/else")) for p in (workspace, fonts)]
    assert pdf_identifier(page, [workspace, fonts]) == pdf_identifier(moved, other)
    # a different page is a different file
    assert pdf_identifier(page, [workspace, fonts]) != pdf_identifier(
        page + " ", [workspace, fonts]
    )
    # without roots the page is hashed as it is
    assert pdf_identifier(page, []) != pdf_identifier(moved, [])
