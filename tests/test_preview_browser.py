"""The preview in a real browser: Debian's Chromium, headless, against a running preview.

The page a hostile workspace template makes runs nothing of its own in the browser (its scripts
and event handlers would change the title and call a canary server on 127.0.0.1), the preview's
own reload script does run, and a screenshot shows the page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from standpunt.preview.serve import preview_server
from test_hostile_output import SCRIPT_PAGE, Canary, workspace

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
#: As the machine's notes say: without the background-networking flags Chromium tries the
#: closed network at every start.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--timeout=8000",  # the page keeps its event stream open: stop and dump after this
]


def chromium(tmp_path: Path, *args: str) -> str:
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_a_hostile_template_runs_nothing_in_the_browser(tmp_path: Path) -> None:
    canary = Canary()
    try:
        root = workspace(tmp_path / "ws", {"templates/hostile/position.html": SCRIPT_PAGE})
        for path in root.rglob("*.html"):
            path.write_text(path.read_text(encoding="utf-8").replace("CANARY", canary.host))
        with preview_server(root, ["care"], port=0) as (server, _preview):
            url = f"http://127.0.0.1:{server.server_address[1]}/care"
            dom = chromium(tmp_path, "--dump-dom", url)
            shot = tmp_path / "preview.png"
            chromium(tmp_path, f"--screenshot={shot}", "--window-size=1000,800", url)
        assert re.search(r"<title>(.*?)</title>", dom).group(1) == "Care is not a market"
        assert "pwned" not in dom
        assert "Plain words." in dom
        assert canary.requests == []
        assert shot.stat().st_size > 5_000
    finally:
        canary.stop()
