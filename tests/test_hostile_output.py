"""Hostile output: a partner's template, style sheet or text, and what the page and the preview
make of them (issue 14, item 7).

Each case builds a real workspace whose template a stranger wrote, and compares the whole page
the build keeps, or what the preview answers a real HTTP client. The evidence that nothing is
fetched is a canary: an address on 127.0.0.1 that the hostile files name and that must not be
in the page at all (the PDF path is proven with a live canary server: WeasyPrint would fetch).
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import http.server
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import standpunt
from conftest import CONFIG, copy_demo
from standpunt.cli import main
from standpunt.render.sanitise import clean_css, sanitise_page, with_preview


class Canary:
    """A web server on 127.0.0.1 that counts every request made to it."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        canary = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canary.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.host = f"127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canary() -> Iterator[Canary]:
    server = Canary()
    yield server
    server.stop()


POSITION = """\
title: Care is not a market
lang: en
subtitle: Plain subtitle
sections:
  - title: The problem
    body: |
      Plain words.
"""


def workspace(root: Path, files: dict[str, str]) -> Path:
    chosen = {"standpunt.yaml": CONFIG + "template: hostile\n", "positions/care.yaml": POSITION}
    chosen.update(files)
    for relative, text in chosen.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def built_page(root: Path, host: str) -> str:
    """The HTML page ``build --format html`` keeps for the position 'care'."""
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".css", ".yaml"):
            path.write_text(path.read_text(encoding="utf-8").replace("CANARY", host))
    result = CliRunner().invoke(main, ["-C", str(root), "build", "--format", "html", "care"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return (root / "build" / "care.html").read_text(encoding="utf-8")


SCRIPT_PAGE = """\
<!DOCTYPE html>
<html lang="{{ lang }}" onload="document.title='html'" manifest="//CANARY/m">
<head>
<meta charset="utf-8">
<script>document.title = "pwned"; fetch("http://CANARY/script")</script>
<title>{{ position.title }}</title>
</head>
<body class="medium-{{ medium }}" onload="fetch('http://CANARY/body')" background="//CANARY/b.png">
<h1 onclick="alert(1)" onmouseover="alert(2)">{{ position.title }}</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" onerror="fetch('http://CANARY/e')" alt="dot">
<a href="javascript:fetch('http://CANARY/js')">js</a> <a href=" JaVa&#9;ScRiPt:alert(1)">tab</a>
<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">data</a>
<a href="https://example.org/ok" onfocus="alert(3)">ok</a>
<svg onload="alert(4)"><script>alert(5)</script></svg>
<noscript><p>no script</p></noscript>
<template><script>alert(6)</script></template>
<form action="http://CANARY/f"><button formaction="http://CANARY/b">go</button></form>
<div style="color: red" onanimationstart="alert(7)">{{ position.sections[0].body }}</div>
</body>
</html>
"""


def test_hostile_script_template_runs_nothing_in_the_page(tmp_path: Path, canary: Canary) -> None:
    root = workspace(tmp_path / "ws", {"templates/hostile/position.html": SCRIPT_PAGE})
    page = built_page(root, canary.host)
    assert page == (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n\n'
        "<title>Care is not a market</title>\n</head>\n"
        '<body class="medium-screen">\n'
        "<h1>Care is not a market</h1>\n"
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="dot">\n'
        "<a>js</a> <a>tab</a>\n<a>data</a>\n"
        '<a href="https://example.org/ok">ok</a>\n\n\n\n'
        "go\n"
        '<div style="color: red"><p>Plain words.</p></div>\n'
        "</body>\n</html>"
    )
    assert canary.host not in page


REMOTE_PAGE = """\
<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="0; url=http://CANARY/refresh">
<meta http-equiv="set-cookie" content="a=b">
<base href="http://CANARY/base/">
<link rel="stylesheet" href="http://CANARY/sheet.css">
<link rel="prefetch" href="//CANARY/prefetch">
<link rel="icon" href="//CANARY/favicon.ico">
<title>{{ position.title }}</title>
</head>
<body>
<img src="//CANARY/protocol-relative.png" alt="a">
<img src="\\\\CANARY\\share\\unc.png" alt="b">
<img src="/etc/hostname" alt="c">
<img src="../../outside.png" alt="d">
<img src="assets/%2e%2e/%2E%2E/x.png" alt="e">
<img src="assets/ok.png" srcset="http://CANARY/2x.png 2x" alt="f">
<img src="http://CANARY/web.png" alt="g">
<iframe src="http://CANARY/frame"></iframe>
<object data="http://CANARY/object"></object>
<embed src="http://CANARY/embed">
<video src="http://CANARY/v.mp4" poster="http://CANARY/poster.png"></video>
<audio src="http://CANARY/a.mp3"></audio>
<picture><source srcset="http://CANARY/source.png"><img src="assets/ok.png" alt="h"></picture>
<input type="image" src="http://CANARY/input.png">
<table background="http://CANARY/table.png"><tr><td background="http://CANARY/td.png">cell</td></tr></table>
<svg><image href="http://CANARY/svg.png"/><use href="http://CANARY/use.svg#x"/></svg>
<math><mi xlink:href="http://CANARY/math">m</mi></math>
<a href="//CANARY/link">protocol-relative link</a>
</body>
</html>
"""


def test_hostile_remote_resources_never_reach_the_page(tmp_path: Path, canary: Canary) -> None:
    root = workspace(tmp_path / "ws", {"templates/hostile/position.html": REMOTE_PAGE})
    page = built_page(root, canary.host)
    assert page == (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta content="0; url=http://' + canary.host + '/refresh">\n<meta content="a=b">\n'
        "\n\n\n\n<title>Care is not a market</title>\n</head>\n<body>\n"
        '<img alt="a">\n<img alt="b">\n<img alt="c">\n<img alt="d">\n<img alt="e">\n'
        '<img src="assets/ok.png" alt="f">\n<img alt="g">\n\n\n\n\n\n'
        '<img src="assets/ok.png" alt="h">\n\n'
        "<table><tbody><tr><td>cell</td></tr></tbody></table>\n\n\n"
        "<a>protocol-relative link</a>\n"
        "</body>\n</html>"
    )
    # The refresh's words stay as text of a <meta> that refreshes nothing (no http-equiv).
    assert page.count(canary.host) == 1 and "http-equiv" not in page


HOSTILE_CSS = """\
@import "http://CANARY/import-string.css";
@import url(//CANARY/import-url.css) screen;
@font-face { font-family: X; src: url(https://CANARY/font.woff2) format("woff2"); }
body { background: url(//CANARY/body.png) no-repeat, red; }
.a { background-image: image-set("http://CANARY/set.png" 1x, url(data:image/png;base64,AA==) 2x); }
.b { cursor: -webkit-image-set(url(http://CANARY/cursor.png) 1x), auto; }
.c { background: u\\72l(http://CANARY/escaped.png); }
.d { list-style: url('\\2f\\2f CANARY/hex.png'); }
.e { content: "\\3c/style><script>alert(1)\\3c/script>"; }
.f { background: url(data:image/png;base64,AA==); color: #123; }
.g { mask: url("#local"); }
@media screen { .h { background: url(http://CANARY/media.png); } }
"""


def test_hostile_css_loads_nothing_from_elsewhere(tmp_path: Path, canary: Canary) -> None:
    css = HOSTILE_CSS.replace("CANARY", canary.host)
    assert clean_css(css) == (
        '\n\n@font-face { font-family: X; src: none format("woff2"); }\n'
        "body { background: none no-repeat, red; }\n"
        ".a { background-image: none; }\n"
        ".b { cursor: none, auto; }\n"
        ".c { background: none; }\n"
        ".d { list-style: none; }\n"
        '.e { content: "\\3c/style><script>alert(1)\\3c/script>"; }\n'
        ".f { background: url(data:image/png;base64,AA==); color: #123; }\n"
        '.g { mask: url("#local"); }\n'
        "@media screen { .h { background: none; } }\n"
    )
    # In the page, from the template's style.css: the same, and nothing of the canary.
    root = workspace(tmp_path / "ws", {"templates/hostile/style.css": HOSTILE_CSS})
    page = built_page(root, canary.host)
    assert canary.host not in page
    assert "@import" not in page and ".h { background: none; }" in page


def test_hostile_style_attribute_from_a_text_fetches_nothing(
    tmp_path: Path, canary: Canary
) -> None:
    # A template that puts a field into a style attribute: autoescape does not stop a URL.
    template = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head>'
        '<body><div style="{{ position.subtitle }}">x</div>'
        '<p style="color: blue; background-image: url(&quot;//CANARY/attr.png&quot;)">y</p>'
        "</body></html>"
    )
    position = POSITION.replace("Plain subtitle", '"background: url(//CANARY/subtitle.png)"')
    root = workspace(
        tmp_path / "ws",
        {"templates/hostile/position.html": template, "positions/care.yaml": position},
    )
    page = built_page(root, canary.host)
    assert page == (
        '<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"><title>t</title></head>'
        '<body><div style="background: none">x</div>'
        '<p style="color: blue; background-image: none">y</p></body></html>'
    )


def test_hostile_protocol_relative_link_and_image_from_markdown(
    tmp_path: Path, canary: Canary
) -> None:
    """``//host/x`` is another host without a scheme: refused as an image and as a link (in
    the PDF such a link would lead to ``file://host/x``, a network share)."""
    body = "![dot](//CANARY/md.png) [away](//CANARY/away) [share](\\\\\\\\CANARY/share)"
    position = POSITION.replace("Plain words.", body)
    root = workspace(tmp_path / "ws", {"standpunt.yaml": CONFIG, "positions/care.yaml": position})
    page = built_page(root, canary.host)
    assert canary.host not in page
    section = page[page.index('<section class="section"') : page.index("</section>")]
    assert section.split("</h2>", 1)[1] == (
        '\n  <p><img alt="dot"> <a>away</a> <a>share</a></p>\n  \n'
    )


def _tree(element: object) -> object:
    tag = element.tag
    return (
        tag,
        dict(element.attrib),
        element.text or "",
        [_tree(child) for child in element],  # type: ignore[attr-defined]
        element.tail or "",
    )


def test_hostile_cleaning_keeps_the_demo_pages_as_they_were(tmp_path: Path) -> None:
    """The cleaner takes nothing the built-in template makes: each demo page, as rendered
    before cleaning, parses into the very same document as the page the build keeps."""
    import tinyhtml5

    from standpunt.render import workers

    kept: dict[str, str] = {}
    rendered: dict[str, str] = {}
    run_job = workers.run_job

    def spy(job: workers.Job, limits: object) -> bytes:
        from standpunt.render.template import render_html

        if not job.probe and job.medium == "screen":
            rendered[job.key] = render_html(job.templates, job.context)
        return run_job(job, limits)  # type: ignore[arg-type]

    root = copy_demo(tmp_path / "demo")
    from contextlib import contextmanager

    from standpunt.build.build import build_workspace
    from standpunt.buildstate.state import BuildOptions

    class InProcess:
        def start(self) -> None:
            return

        def run(self, jobs, done):  # type: ignore[no-untyped-def]
            from standpunt.limits import Limits

            for job in jobs:
                done(workers.JobResult(job.key, data=spy(job, Limits())))

    @contextmanager
    def warm(limits, jobs):  # type: ignore[no-untyped-def]
        yield InProcess()

    report = build_workspace(root, None, BuildOptions(formats=("html",)), warm=warm)
    assert report.ok, report
    for outcome in report.outcomes:
        (path,) = outcome.written
        kept[outcome.id] = path.read_text(encoding="utf-8")
    assert sorted(kept) == [
        "coalitions-for-social-policy",
        "diversite-dans-le-travail-social",
        "organisaties-kiezen-positie",
    ]
    assert len(rendered) == 3
    for key, before in rendered.items():
        pid = next(pid for pid in kept if pid in key)
        assert _tree(tinyhtml5.parse(before)) == _tree(tinyhtml5.parse(kept[pid]))
        assert "<script" not in kept[pid]


def test_hostile_pdf_fetches_nothing_from_the_canary(tmp_path: Path, canary: Canary) -> None:
    """The PDF is not cleaned (WeasyPrint runs no script), but every resource goes through the
    workspace fetcher: the canary server hears nothing while the PDF is made."""
    root = workspace(
        tmp_path / "ws",
        {
            "templates/hostile/position.html": REMOTE_PAGE.replace(
                "</head>", "<style>{{ stylesheet }}</style></head>"
            ),
            "templates/hostile/style.css": HOSTILE_CSS,
        },
    )
    for path in root.rglob("*"):
        if path.is_file():
            path.write_text(path.read_text(encoding="utf-8").replace("CANARY", canary.host))
    result = CliRunner().invoke(main, ["-C", str(root), "build", "care"])
    assert result.exit_code == 0, result.output
    assert (root / "build" / "care.pdf").read_bytes().startswith(b"%PDF-")
    assert canary.requests == []


# ------------------------------------------------------------------------------ the preview


class Served:
    def __init__(self, port: int) -> None:
        self.port = port

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("GET", path, headers={"Host": f"127.0.0.1:{self.port}"})
        response = conn.getresponse()
        body = response.read()
        headers = {key.lower(): value for key, value in response.getheaders()}
        conn.close()
        return response.status, headers, body

    def raw(self, request_line: str) -> bytes:
        """A request sent byte for byte, so that no client tidies its path first."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=60) as sock:
            sock.sendall(f"{request_line}\r\nHost: 127.0.0.1:{self.port}\r\n\r\n".encode())
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


def test_hostile_serve_page_runs_only_its_own_reload_script(tmp_path: Path, canary: Canary) -> None:
    from standpunt.preview.serve import preview_server

    root = workspace(tmp_path / "ws", {"templates/hostile/position.html": SCRIPT_PAGE})
    for path in root.rglob("*.html"):
        path.write_text(path.read_text(encoding="utf-8").replace("CANARY", canary.host))
    with preview_server(root, ["care"], port=0) as (server, _preview):
        status, headers, body = Served(server.server_address[1]).get("/care")
    page = body.decode("utf-8")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["x-content-type-options"] == "nosniff"
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert scripts == ['new EventSource("/events").onmessage = function () { location.reload(); };']
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    policy = headers["content-security-policy"]
    assert f"script-src 'sha256-{digest}';" in policy and "default-src 'none'" in policy
    assert re.search(r"\son[a-z]+=", page) is None
    assert canary.host not in page
    # the design's @font-face rules (cleaned), then the links, then the page the build cleaned
    assert re.search(
        r'<body class="medium-screen" data-preview>'
        r'<style>@font-face [^<]*</style><p style="font:13px',
        page,
    )


def test_hostile_serve_never_hands_out_a_link_out_of_build(tmp_path: Path) -> None:
    from standpunt.preview.serve import preview_server

    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.7 SECRET OUTSIDE THE WORKSPACE")
    root = workspace(tmp_path / "ws", {"standpunt.yaml": CONFIG})
    with preview_server(root, ["care"], port=0) as (server, _preview):
        served = Served(server.server_address[1])
        assert served.get("/care")[0] == 200  # the page, made when first asked for
        status, headers, body = served.get("/care.pdf")
        assert status == 200 and headers["content-type"] == "application/pdf"
        assert body.startswith(b"%PDF-") and b"SECRET" not in body
        # build/care.pdf becomes a link to a file outside; the preview no longer serves it.
        pdf = root / "build" / "care.pdf"
        pdf.unlink()
        pdf.symlink_to(secret)
        status, _, body = served.get("/care.pdf")
        assert (status, body) == (404, b"no PDF (see the problems)")
        # The page, replaced by a file the preview did not write, is not served either.
        page = root / "build" / "care.html"
        page.unlink()
        page.write_text("<p>SECRET PAGE</p>", encoding="utf-8")
        status, _, body = served.get("/care")
        assert status == 200 and b"SECRET" not in body


def test_hostile_serve_makes_again_what_build_held_before_it(tmp_path: Path) -> None:
    """A build/ handed over with the workspace (its state saying the page is current) is not
    served: the preview writes every output it serves itself."""
    from standpunt.preview.serve import preview_server

    root = workspace(tmp_path / "ws", {"standpunt.yaml": CONFIG})
    # a build leaves build/ and a state that calls care.html current
    assert CliRunner().invoke(main, ["-C", str(root), "build", "--format", "html"]).exit_code == 0
    planted = root / "build" / "care.html"
    planted.write_text("<p>PLANTED <script>alert(1)</script></p>", encoding="utf-8")
    with preview_server(root, ["care"], port=0) as (server, _preview):
        _, _, body = Served(server.server_address[1]).get("/care")
    assert b"PLANTED" not in body and b"Care is not a market" in body


TRAVERSALS = [
    "GET /../../../../etc/passwd HTTP/1.1",
    "GET /%2e%2e/%2e%2e/%2e%2e/etc/passwd HTTP/1.1",
    "GET //etc/passwd HTTP/1.1",
    "GET /care/../../secret.pdf HTTP/1.1",
    "GET /..%2fsecret.pdf HTTP/1.1",
    "GET /.standpunt-state.json HTTP/1.1",
    "GET /care.pdf/.. HTTP/1.1",
    "GET /..\\secret.pdf HTTP/1.1",
    "GET http://127.0.0.1/../secret.pdf HTTP/1.1",
]


def test_hostile_serve_no_traversal(tmp_path: Path) -> None:
    """Requests for files beside or above build/, sent byte for byte: each a plain 404.
    (These held before this round too; they guard the new way of serving.)"""
    from standpunt.preview.serve import preview_server

    (tmp_path / "secret.pdf").write_bytes(b"%PDF-1.7 SECRET")
    root = workspace(tmp_path / "ws", {"standpunt.yaml": CONFIG})
    with preview_server(root, ["care"], port=0) as (server, _preview):
        served = Served(server.server_address[1])
        answers = {line: served.raw(line) for line in TRAVERSALS}
    for line, answer in answers.items():
        assert answer.startswith(b"HTTP/1.0 404 "), line
        assert answer.endswith(b"\r\n\r\nnot found"), line
        assert b"SECRET" not in answer and b"root:" not in answer


def test_hostile_sanitise_page_lead_and_tail_stay_ours() -> None:
    """The preview's banner and script go in after cleaning, at the body's start and end,
    wherever a page tries to fake a body: a <body> in a meta's content is only text."""
    page = (
        '<html><head><meta name="x" content="</head><body onload=alert(1)>"></head>'
        "<body><p>text</p></body></html>"
    )
    assert sanitise_page(page, lead="<aside>L</aside>", tail="<i>T</i>") == (
        "<!DOCTYPE html>\n<html>\n<head>"
        '<meta name="x" content="&lt;/head&gt;&lt;body onload=alert(1)&gt;">'
        "</head><body><aside>L</aside><p>text</p><i>T</i></body></html>"
    )


def test_hostile_refused_image_is_a_located_warning_not_a_bare_line(tmp_path: Path) -> None:
    """An image the page refuses is said at its line by check and build; the PDF shows its
    description in its place, and the render prints nothing of its own about it."""
    body = (
        "First paragraph.\n\n"
        "      ![absolute](/etc/hostname) and ![up](../outside.png) here.\n\n"
        "      ![linked](assets/link.png)\n\n      ![web](//example.org/a.png)"
    )
    position = POSITION.replace("Plain words.", body)
    root = workspace(tmp_path / "ws", {"standpunt.yaml": CONFIG, "positions/care.yaml": position})
    (root / "assets").mkdir()
    (root / "assets" / "link.png").symlink_to("/etc/hostname")
    outside = (
        "its path leads out of the workspace; put the image in the workspace (e.g. assets/) "
        "and refer to it from there"
    )
    at = "positions/care.yaml"
    expected = [
        f"{at}:9:7: warning: image '/etc/hostname' is not shown: {outside} [refused-image]",
        f"{at}:9:38: warning: image '../outside.png' is not shown: {outside} [refused-image]",
        f"{at}:11:7: warning: image 'assets/link.png' is not shown: it is a link to a "
        "file outside the workspace (or not a regular file); copy the image into the workspace "
        "instead [refused-image]",
        "positions/care.yaml:13:7: warning: image '//example.org/a.png' is not shown: it is not a "
        "file of the workspace, and a page never fetches an image from elsewhere; save it in the "
        "workspace (e.g. assets/) and refer to it from there [refused-image]",
    ]
    check = CliRunner().invoke(main, ["-C", str(root), "check"])
    assert check.exit_code == 0, check.output
    assert check.output.splitlines()[:4] == expected
    build = subprocess.run(
        [sys.executable, "-m", "standpunt", "-C", str(root), "build", "care"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(standpunt.__file__).parent.parent)},
        timeout=300,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    assert (
        build.stdout + build.stderr
        == "\n".join(["built care → build/care.pdf", *expected, "1 built"]) + "\n"
    )
    from conftest import flat_text

    # Each description stands where its image would (pdfium reads alt text drawn last).
    text = flat_text(root / "build" / "care.pdf")
    assert "First paragraph. and here. linked web" in text
    assert "Made with Standpunt 0.1.0 · not versioned absolute up linked web" in text


def test_hostile_preview_composes_only_a_page_the_cleaner_wrote() -> None:
    """The preview puts its banner and script into the page the render worker cleaned, at the
    body the cleaner wrote: a ``</head><body>`` in the head's CSS or attributes is escaped
    there, so it cannot be taken for the body; a page in any other shape is not used."""
    page = sanitise_page(
        "<html><head><style>/* </head><body> */</style>"
        '<meta name="x" content="</head><body>"></head><body class="c"><p>t</p></body></html>'
    )
    assert with_preview(page, lead="<i>L</i>", tail="<i>T</i>", body_attributes=" data-p") == (
        "<!DOCTYPE html>\n<html>\n<head><style>/* \\3c/head><body> */</style>"
        '<meta name="x" content="&lt;/head&gt;&lt;body&gt;"></head>'
        '<body class="c" data-p><i>L</i><p>t</p><i>T</i></body></html>'
    )
    raw = "<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>"
    assert with_preview(raw[:-7], lead="", tail="", body_attributes="") is None
