"""Shared fixtures: small workspaces written into tmp_path, and PDF readers."""

from __future__ import annotations

import contextlib
import http.server
import multiprocessing.process
import textwrap
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def isolated_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git sees neither the user's configuration nor any repository around tmp_path."""
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "SOURCE_DATE_EPOCH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    # an empty file of the test's own, never os.devnull: `git config --global` (as the guide
    # shows it) replaces the file it writes, and as root that would replace /dev/null itself
    home = tmp_path / "git-global-config"
    home.touch()
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Ann Author")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "ann@example.org")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Cas Committer")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "cas@example.org")


CONFIG = """\
organisation:
  name: Test Organisation
  short: TO
lang: en
style: apa
partners:
  swan:
    name: Sociaal Werk Actie Netwerk
  hbh:
    name: Hart boven Hard
"""

EVIDENCE = """\
- id: smith2021a
  type: report
  title: First report on care markets
  author:
    - family: Smith
      given: Jane
  issued: 2021
  publisher: Test Institute
  URL: https://example.org/first
- id: smith2021b
  type: report
  title: Second report on care markets
  author:
    - family: Smith
      given: Jane
  issued: 2021
  publisher: Test Institute
  DOI: 10.1234/second
- id: doe2019
  type: article-journal
  title: Coalitions and policy
  author:
    - family: Doe
      given: Alex
  container-title: Journal of Social Work
  issued: 2019-05
  volume: 12
  page: 1-20
"""

POSITION = """\
title: Care is not a market
lang: en
date: 2026-03-01
status: adopted
summary: |
  Care needs public funding [@smith2021a].
sections:
  - title: The problem
    body: |
      Market logic crowds out care [@smith2021a; @smith2021b, p. 4].
      As @doe2019 shows, coalitions matter.
recommendations:
  - Fund care publicly [@doe2019].
signatories: [swan]
"""


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every process this process starts through multiprocessing (render workers are such
    processes; a worker another one forks is not)."""
    seen: list[object] = []
    original = multiprocessing.process.BaseProcess.start

    def counted(self: multiprocessing.process.BaseProcess) -> None:
        seen.append(self)
        original(self)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", counted)
    return seen


@pytest.fixture
def make_workspace(tmp_path: Path) -> Callable[..., Path]:
    """Write a workspace: files given as {relative path: text}; defaults fill the rest."""

    def make(files: dict[str, str] | None = None, *, defaults: bool = True) -> Path:
        root = tmp_path / "ws"
        root.mkdir(exist_ok=True)
        chosen = {}
        if defaults:
            chosen = {
                "standpunt.yaml": CONFIG,
                "evidence/refs.yaml": EVIDENCE,
                "positions/care.yaml": POSITION,
            }
        chosen.update(files or {})
        for relative, text in chosen.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return make


def pdf_text(path: Path) -> str:
    """All text of a PDF, as pypdfium2 extracts it."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def flat_text(path: Path) -> str:
    """A PDF's text on one line: words joined again where hyphenation broke them."""
    import re

    text = re.sub("[\u2010\u00ad-]\r?\n", "", pdf_text(path))
    return " ".join(text.split())


def copy_demo(target: Path) -> Path:
    """The repository's demo workspace, copied outside git (so it builds "not versioned")."""
    import shutil

    target.mkdir(parents=True)
    for name in ("standpunt.yaml", "positions", "evidence", "assets", "signatures"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy(source, target / name)
    return target


@contextlib.contextmanager
def counting_server(
    body: bytes, content_type: str | None = None
) -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 that answers every GET, HEAD and POST with ``body`` and counts
    the requests: its URL and the paths asked for. It is proved to count (no proxy between)
    before it is handed out."""

    class Counting(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.server.hits.append(self.path)  # type: ignore[attr-defined]
            self.send_response(200)
            if content_type is not None:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_HEAD = do_GET

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    server.hits = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url + "/probe").read()
    assert server.hits == ["/probe"]  # type: ignore[attr-defined]
    server.hits.clear()  # type: ignore[attr-defined]
    try:
        yield url, server.hits  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def link_targets(pdf: Path, page: int | None = None) -> list[str]:
    """Every web address the PDF links to, in page order (of page ``page`` only, 0-based)."""
    import pypdf

    pages = pypdf.PdfReader(pdf).pages
    targets = []
    for one in pages if page is None else [pages[page]]:
        for annotation in one.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                targets.append(str(action["/URI"]))
    return targets
