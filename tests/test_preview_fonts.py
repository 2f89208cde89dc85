"""The preview shows a page in the design's fonts, as the PDF is set, and serves no other file.

The browser is Debian's Chromium, headless, driven over its DevTools pipe (file descriptors 3
and 4, JSON messages ended by a NUL byte): the test asks the page which fonts it loaded, which
font the body text is set in (``document.fonts``, ``getComputedStyle``, and the fonts Chromium
itself drew a paragraph with), and takes a screenshot.
"""

from __future__ import annotations

import base64
import fcntl
import http.client
import json
import os
import re
import select
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import copy_demo
from standpunt.preview.serve import CONTENT_SECURITY_POLICY, preview_server
from test_preview_browser import CHROMIUM, FLAGS

FONTS = Path(__file__).resolve().parent.parent / "src/standpunt/templates/default/fonts"
PID = "coalitions-for-social-policy"


class DevTools:
    """Chromium with its DevTools protocol on a pipe; one page, attached."""

    def __init__(self, profile: Path) -> None:
        to_chrome, self._ours_out = os.pipe()
        self._ours_in, from_chrome = os.pipe()
        flags = [f for f in FLAGS if not f.startswith("--timeout")]

        def pipe_on_3_and_4() -> None:  # in the child: Chromium reads fd 3, writes fd 4
            reading = fcntl.fcntl(to_chrome, fcntl.F_DUPFD, 100)
            writing = fcntl.fcntl(from_chrome, fcntl.F_DUPFD, 100)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, *flags, "--remote-debugging-pipe", f"--user-data-dir={profile}"],
            close_fds=False,  # fds 3 and 4 are set in the child, after the fork
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=pipe_on_3_and_4,
        )
        os.close(to_chrome)
        os.close(from_chrome)
        self._buffer = b""
        self._next = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if self.session is not None and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._ours_out, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive()
            if answer.get("id") == self._next:
                assert "error" not in answer, answer
                return dict(answer.get("result", {}))
            self.events.append(answer)

    def wait_for(self, method: str) -> dict[str, Any]:
        while True:
            for event in self.events:
                if event.get("method") == method:
                    self.events.remove(event)
                    return event
            self.events.append(self._receive())

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._ours_in], [], [], 60)
            assert ready, "Chromium said nothing for a minute"
            chunk = os.read(self._ours_in, 1 << 20)
            assert chunk, "Chromium closed its DevTools pipe"
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return dict(json.loads(message))

    def open(self, url: str) -> None:
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        self.call("Page.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=1000, height=900,
                  deviceScaleFactor=1, mobile=False)  # fmt: skip
        self.call("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def drawn_with(self, selector: str) -> list[tuple[str, bool]]:
        """The fonts Chromium drew the first ``selector``'s text with: (family, web font?)."""
        self.call("DOM.enable")
        self.call("CSS.enable")
        document = self.call("DOM.getDocument")["root"]["nodeId"]
        node = self.call("DOM.querySelector", nodeId=document, selector=selector)["nodeId"]
        fonts = self.call("CSS.getPlatformFontsForNode", nodeId=node)["fonts"]
        return [(font["familyName"], font["isCustomFont"]) for font in fonts]

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        os.close(self._ours_in)
        os.close(self._ours_out)


@pytest.fixture
def devtools(tmp_path: Path) -> Any:
    browser = DevTools(tmp_path / "profile")
    try:
        yield browser
    finally:
        browser.close()


#: A paragraph of the position's first section: body text.
BODY_TEXT = "section.section p"
FONT_STATE = (
    f"const BODY_TEXT = {json.dumps(BODY_TEXT)};\n"
    + """
document.fonts.ready.then(() => JSON.stringify({
  body: getComputedStyle(document.querySelector(BODY_TEXT)).fontFamily,
  heading: getComputedStyle(document.querySelector("h1")).fontFamily,
  serif: document.fonts.check('10.5pt "Standpunt Serif"'),
  serifBold: document.fonts.check('bold 10.5pt "Standpunt Serif"'),
  sans: document.fonts.check('10.5pt "Standpunt Sans"'),
  loaded: [...document.fonts].filter(f => f.status === "loaded")
    .map(f => f.family + " " + f.weight + " " + f.style).sort(),
  failed: [...document.fonts].filter(f => f.status === "error").map(f => f.family),
}))"""
)


def test_the_preview_page_is_set_in_the_designs_fonts(tmp_path: Path, devtools: DevTools) -> None:
    root = copy_demo(tmp_path / "demo")
    with preview_server(root, [PID], port=0) as (server, preview):
        port = server.server_address[1]
        devtools.open(f"http://127.0.0.1:{port}/{PID}")
        state = json.loads(devtools.evaluate(FONT_STATE))
        drawn = devtools.drawn_with(BODY_TEXT)
        heading = devtools.drawn_with("h1")
        shot = devtools.call("Page.captureScreenshot", format="png")["data"]
        # a save: the page reloads itself (its event stream), set in the same fonts
        position = root / "positions" / f"{PID}.yaml"
        text = position.read_text("utf-8")
        position.write_text(text.replace("title: Stronger together", "title: Stronger still"))
        preview.refresh()
        devtools.wait_for("Page.loadEventFired")
        title = devtools.evaluate('document.querySelector("h1").textContent')
        after = json.loads(devtools.evaluate(FONT_STATE))
    (tmp_path / "preview.png").write_bytes(base64.b64decode(shot))
    assert title == "Stronger still"
    assert (after["serif"], after["sans"], after["failed"]) == (True, True, [])
    assert state["body"].startswith('"Standpunt Serif", "Noto Serif"')
    assert state["heading"].startswith('"Standpunt Sans", Inter')
    assert (state["serif"], state["serifBold"], state["sans"]) == (True, True, True)
    assert {"Standpunt Serif normal normal", "Standpunt Sans normal normal"} <= set(state["loaded"])
    assert state["failed"] == []
    # Neither Noto Serif nor Inter is installed on the machine: drawn in them, they are the
    # design's files, served by the preview (a web font, "custom" to Chromium).
    assert drawn == [("Noto Serif", True)]
    assert heading == [("Inter", True)]


def get(
    port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_the_preview_serves_the_designs_fonts_and_nothing_else(tmp_path: Path) -> None:
    root = copy_demo(tmp_path / "demo")
    outside = tmp_path / "secret.ttf"
    outside.write_bytes(b"not yours")
    with preview_server(root, [PID], port=0) as (server, _preview):
        port = server.server_address[1]
        assert get(port, "/fonts/NotoSerif-Regular.ttf")[0] == 404  # nothing built yet
        status, _, page = get(port, f"/{PID}")
        assert status == 200
        assert b"src:url(fonts/NotoSerif-Regular.ttf)" in page.replace(b" ", b"")
        status, headers, body = get(port, "/fonts/NotoSerif-Regular.ttf")
        assert status == 200
        assert body == (FONTS / "NotoSerif-Regular.ttf").read_bytes()
        assert headers["Content-Type"] == "font/ttf"
        assert headers["X-Content-Type-Options"] == "nosniff"
        status, headers, body = get(port, "/fonts/Inter-Bold.otf")
        assert (status, headers["Content-Type"]) == (200, "font/otf")
        again = get(port, "/fonts/Inter-Bold.otf", {"If-None-Match": headers["ETag"]})
        assert (again[0], again[2]) == (304, b"")
        refused = [
            "/fonts/../../etc/passwd",
            "/fonts/../../../../../../etc/passwd.ttf",
            "/fonts/%2e%2e/%2e%2e/secret.ttf",
            "/fonts/..%2f..%2fsecret.ttf",
            "/../secret.ttf",
            "//etc/passwd.ttf",
            "/fonts//NotoSerif-Regular.ttf",
            "/fonts/./NotoSerif-Regular.ttf",
            "/fonts/Inter-LICENSE.txt",
            "/fonts/README.md",
            "/style.css",
            "/fonts/position.html",
            "/fonts/NotoSerif-Regular.TTF",  # not a name the design's rules use
            "/Fonts/NotoSerif-Regular.ttf",
            f"/{tmp_path}/secret.ttf",
        ]
        for path in refused:
            assert get(port, path)[0] == 404, path
    assert CONTENT_SECURITY_POLICY.count("font-src 'self'") == 1


def test_a_linked_font_of_a_workspace_design_is_refused(tmp_path: Path) -> None:
    """A workspace's own design may name its fonts; a font that is a link (to a file outside,
    or a folder of fonts that is a link) is not served, nor one its rules do not name."""
    root = copy_demo(tmp_path / "demo")
    design = root / "templates/house"
    (design / "fonts").mkdir(parents=True)
    (design / "fonts/House.ttf").write_bytes((FONTS / "NotoSerif-Italic.ttf").read_bytes())
    (design / "fonts/Unnamed.ttf").write_bytes(b"not named by any rule")
    secret = tmp_path / "passwd.ttf"
    secret.write_bytes(b"root:x:0:0")
    (design / "fonts/Linked.ttf").symlink_to(secret)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere/Far.woff2").write_bytes(b"far away")
    (design / "linked").symlink_to(tmp_path / "elsewhere")
    (design / "style.css").write_text(
        '@font-face { font-family: "House"; src: url(fonts/House.ttf) format("truetype"); }\n'
        '@font-face { font-family: "Linked"; src: url("fonts/Linked.ttf"); }\n'
        '@font-face { font-family: "Far"; src: url(linked/Far.woff2); }\n'
        '@font-face { font-family: "Up"; src: url(../../../passwd.ttf); }\n'
        '@font-face { font-family: "Web"; src: url(https://fonts.example/x.woff2); }\n'
        'html { font-family: "House", serif; }\n',
        "utf-8",
    )
    config = root / "standpunt.yaml"
    text = config.read_text("utf-8")
    config.write_text(re.sub(r"(?m)^template: .*$", "template: house", text), "utf-8")
    with preview_server(root, [PID], port=0) as (server, preview):
        port = server.server_address[1]
        status, _, page = get(port, f"/{PID}")
        assert status == 200
        design_fonts = preview.fonts.current
        assert design_fonts is not None
        assert design_fonts.files == {"fonts/House.ttf", "fonts/Linked.ttf", "linked/Far.woff2"}
        assert b"../../../passwd.ttf" not in page and b"fonts.example" not in page
        status, headers, body = get(port, "/fonts/House.ttf")
        assert (status, headers["Content-Type"]) == (200, "font/ttf")
        assert body == (FONTS / "NotoSerif-Italic.ttf").read_bytes()
        for path in ["/fonts/Linked.ttf", "/linked/Far.woff2", "/fonts/Unnamed.ttf", "/passwd.ttf"]:
            assert get(port, path)[0] == 404, path
