"""``standpunt serve``: a live preview on 127.0.0.1 that rebuilds in a warm worker on every save.

The preview is the real build (same checks, same templates, same PDF), run with one render worker
and one pandoc (:class:`standpunt.cite.warm.WarmCiter`) that stay alive, so WeasyPrint is imported
once and each refresh only renders. It renders what is open, not the whole workspace: it listens
at once, and a position is built when its page (or PDF) is first asked for; from then on it is
open, and every save rebuilds the open positions. Files change → the build runs → every open page
reloads itself (server-sent events). Problems are shown in the page with file and line. The
server listens on the loopback interface only and answers only requests addressed to it by a
loopback name.

It hands out only what it wrote itself: each output the build writes is remembered by its
file's identity (device, inode, size and time), and a file of build/ that is not one of them
(left there before, or put there by anyone else: a link to a file elsewhere, say) is never
served. Every page it serves was cleaned after its template rendered
(:mod:`standpunt.render.sanitise`, in the render worker); the problems banner and the reload
script, ours, are added after that.
"""

from __future__ import annotations

import html
import os
import re
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from standpunt.build.report import BuildReport
from standpunt.buildstate.state import INPUTS, BuildOptions, outline
from standpunt.cite.warm import WarmCiter
from standpunt.errors import Diagnostic, StandpuntError, UsageError
from standpunt.limits import Limits
from standpunt.preview.fonts import FONT_TYPES, DesignFonts, read_font
from standpunt.render.sanitise import sanitise_page, with_preview
from standpunt.render.workers import Pool
from standpunt.workspace.paths import (
    BUILD_DIR,
    CONFIG_FILE,
    has_position_file,
    inside,
    position_ids,
    valid_id,
)
from standpunt.workspace.templates import TemplateSet

if TYPE_CHECKING:
    from standpunt.preview.kept import KeptWorkspace

LOOPBACK = "127.0.0.1"
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]"}
#: A position's page or PDF; whether the name is a position id is valid_id's to say.
_PAGE = re.compile(r"/([^/]+?)(\.pdf|\.html)?")

_RELOAD_CODE = 'new EventSource("/events").onmessage = function () { location.reload(); };'
_RELOAD = f"<script>{_RELOAD_CODE}</script>"
#: What a served page may do, should anything have passed the cleaning: run our reload script
#: only, show inline images and its own, use its inline style and the design's fonts (which
#: this server hands out), reach this server for events.
_POLICY = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; font-src 'self'; "
    "script-src 'sha256-{}'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
#: The largest output the preview hands out.
MAX_SERVED_BYTES = 512 * 1024 * 1024


def _policy() -> str:
    import base64
    import hashlib

    digest = base64.b64encode(hashlib.sha256(_RELOAD_CODE.encode()).digest()).decode()
    return _POLICY.format(digest)


CONTENT_SECURITY_POLICY = _policy()


@dataclass(frozen=True)
class _Identity:
    device: int
    inode: int
    size: int
    modified: int

    @staticmethod
    def of(status: os.stat_result) -> _Identity:
        return _Identity(status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


class Outputs:
    """The files this preview's builds wrote, by name: the only ones it hands out."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._made: dict[str, _Identity] = {}
        self._lock = threading.Lock()

    def record(self, path: Path) -> None:
        """Remember ``path`` as written by this preview (the build has just written it)."""
        try:
            status = path.lstat()
        except OSError:
            return
        # Remembered by name; served only while build/ holds this very file under that name.
        if stat.S_ISREG(status.st_mode):
            with self._lock:
                self._made[path.name] = _Identity.of(status)

    def made(self, path: Path) -> bool:
        with self._lock:
            return path.name in self._made

    def read(self, name: str) -> bytes | None:
        """The file ``name`` of build/ if it is still the one this preview wrote; else None.
        Opened without following a link and without waiting on a FIFO, then compared."""
        with self._lock:
            made = self._made.get(name)
        if made is None:
            return None
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            descriptor = os.open(self.folder / name, flags)
        except OSError:
            return None
        with os.fdopen(descriptor, "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode) or _Identity.of(status) != made:
                return None
            if status.st_size > MAX_SERVED_BYTES:
                return None
            return file.read(status.st_size + 1)[: status.st_size]


@dataclass
class PreviewState:
    """What the last refresh made, and who waits for the next one."""

    generation: int = 0
    problems: list[Diagnostic] = field(default_factory=list)
    built: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)


class Preview:
    """The open positions of the workspace, rebuilt on demand with a warm render worker and a
    warm pandoc.

    ``positions`` are open from the start (``standpunt serve ID``); any other opens when its
    page is first asked for (:meth:`show`). Nothing is built before that.
    """

    def __init__(self, root: Path, positions: list[str] | None = None) -> None:
        self.root = root
        self.positions = positions
        #: The positions a refresh rebuilds, in the order they were opened.
        self.open: dict[str, None] = dict.fromkeys(positions or [])
        #: The formats made for each open position since the last save.
        self._made: dict[str, set[str]] = {}
        #: The positions whose PDF was asked for: a save makes their PDF again, too.
        self._pdfs: set[str] = set()
        self.state = PreviewState()
        #: Held while a build runs: one build at a time, in the one warm worker.
        self._lock = threading.Lock()
        #: The workspace as last read; made by the first build (its imports are heavy).
        self._workspace: KeptWorkspace | None = None
        #: The fonts of the workspace's design, as the last build found them.
        self.fonts = DesignFonts()
        limits = outline(root).limits
        self.outputs = Outputs(root / BUILD_DIR)
        self._pool = Pool(1, limits)
        self._pool.start()
        self._citer = WarmCiter(limits)
        self._citer.start()

    @contextmanager
    def _workers(self, limits: Limits, jobs: int) -> Iterator[Pool]:
        """The warm worker, or a new one when standpunt.yaml's limits are not the ones it
        runs under (the limits live in the worker: its memory cap, its clock, its page cap).
        It stays warm after the build, for the next refresh."""
        if self._pool.limits != limits:
            self._pool.close()
            self._pool = Pool(1, limits)
            self._pool.start()
        yield self._pool

    @contextmanager
    def _citers(self, limits: Limits) -> Iterator[WarmCiter]:
        """The warm pandoc, or a new one under new limits; it stays warm after the build."""
        if self._citer.limits != limits:
            self._citer.close()
            self._citer = WarmCiter(limits)
            self._citer.start()
        yield self._citer

    def refresh(self) -> PreviewState:
        """Rebuild the open positions and tell every open page: the HTML page first (what the
        browser shows, so it reloads as soon as possible), then the PDF of those whose PDF was
        asked for. Between the two the build lets go, so that the reloading page is served
        while the PDF is made (a PDF never asked for is made when it is)."""
        with self._lock:
            ids = list(self.open)
            self._made = {pid: set() for pid in ids}
            self._stage(ids, ("html",))
        with self._lock:
            ids = [p for p in ids if p in self._pdfs and "pdf" not in self._made.get(p, set())]
            return self._stage(ids, ("pdf",)) if ids else self.state

    def show(self, pid: str, form: str) -> None:
        """Make sure ``pid``'s page (``form`` "html") or PDF ("pdf") is made, opening the
        position if it was not open; a position whose file does not exist is not opened.
        What is made already is served at once, without waiting for a build that runs."""
        if form in self._made.get(pid, set()):
            return
        with self._lock:
            if form in self._made.get(pid, set()):
                return
            if pid not in self.open and not has_position_file(self.root, pid):
                return
            self.open[pid] = None
            if form == "pdf":
                self._pdfs.add(pid)
            self._stage([pid], (form,))

    def _build(self, ids: list[str], formats: tuple[str, ...]) -> BuildReport:
        """Build what changed of ``ids``; an output the build state calls current but this
        preview did not write is made again (it may be anyone's), so that every output is its
        own. When it wrote none of them yet (a page first opened), they are all made at once."""
        mine = any(self.outputs.made(Path(f"{pid}.{form}")) for pid in ids for form in formats)
        options = BuildOptions(formats=formats, force=not mine)
        report = self._run(ids, options)
        strangers = [
            outcome.id
            for outcome in report.outcomes
            if any(not self.outputs.made(path) for path in outcome.current)
        ]
        if strangers:
            again = self._run(strangers, BuildOptions(formats=formats, force=True))
            redone = {outcome.id: outcome for outcome in again.outcomes}
            report.outcomes = [redone.get(o.id, o) for o in report.outcomes]
        for outcome in report.outcomes:
            for path in outcome.written:
                self.outputs.record(path)
        return report

    def _run(self, ids: list[str], options: BuildOptions) -> BuildReport:
        """The build of ``ids`` on the workspace as it is now, read again only where its files
        changed (:class:`~standpunt.preview.kept.KeptWorkspace`), in the warm worker and pandoc."""
        from standpunt.build.run import run
        from standpunt.workspace.templates import template_set

        workspace = self._kept().open(ids)
        try:
            self.fonts.update(template_set(workspace))
        except StandpuntError:  # the build reports a template it cannot use
            self.fonts.update(TemplateSet("", ()))
        return run(workspace, ids, options, None, self._workers, None, self._citers)

    def _kept(self) -> KeptWorkspace:
        if self._workspace is None:
            from standpunt.preview.kept import KeptWorkspace

            self._workspace = KeptWorkspace(self.root)
        return self._workspace

    def read_ahead(self) -> None:
        """Read the settings and the evidence, and check the style and template, before any
        page is asked for (in a thread, once the address is out), so that the first page only
        reads and checks its position. A head start only: whatever goes wrong here goes wrong
        again in the build, which reports it."""
        with self._lock:
            try:
                from standpunt.build import run  # noqa: F401  (imported here, not by a page)
                from standpunt.checks.check import check_workspace

                check_workspace(self._kept().open([]), [])
            except Exception:
                return

    def _stage(self, ids: list[str], formats: tuple[str, ...]) -> PreviewState:
        problems: list[Diagnostic] = []
        built: list[str] = []
        if ids:
            try:
                report = self._build(ids, formats)
                problems = list(report.diagnostics)
                for outcome in report.outcomes:
                    if outcome.error is not None:
                        problems.append(outcome.error)
                    else:
                        built.append(outcome.id)
            except StandpuntError as exc:
                problems = [exc.diagnostic()]
        for pid in ids:
            self._made.setdefault(pid, set()).update(formats)
        with self.state.changed:
            self.state.generation += 1
            self.state.problems = problems
            self.state.built = built
            self.state.changed.notify_all()
        return self.state

    def close(self) -> None:
        self._pool.close()
        self._citer.close()


def _moved_on(state: PreviewState, seen: int) -> bool:
    return state.generation != seen


def _problems_html(problems: list[Diagnostic]) -> str:
    if not problems:
        return ""
    items = "".join(
        f'<li class="{p.severity}"><code>{html.escape(str(p.location or ""))}</code> '
        f"{html.escape(p.severity)}: {html.escape(p.message)} [{html.escape(p.code)}]</li>"
        for p in problems
    )
    return (
        '<aside style="position:sticky;top:0;z-index:9;background:#fff4e5;border-bottom:2px '
        'solid #c2571a;padding:.8rem 1.2rem;font:14px/1.4 sans-serif">'
        f"<strong>Problems</strong><ul style='margin:.4rem 0 0'>{items}</ul></aside>"
    )


class PreviewHandler(BaseHTTPRequestHandler):
    """Answers the browser: a position's page with the problems on top, its PDF, the list of
    positions, and the events that tell an open page to reload."""

    server_version = "standpunt-preview"
    preview: Preview
    build_dir: Path

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _host_ok(self) -> bool:
        # Refuse pages reached through another name (DNS rebinding): loopback names only.
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        return host in _LOOPBACK_HOSTS

    def _send(self, status: HTTPStatus, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if kind.startswith("text/html"):
            self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if not self._host_ok():
            self._send(HTTPStatus.FORBIDDEN, b"loopback only", "text/plain")
            return
        path = self.path.split("?", 1)[0]
        if path == "/events":
            self._events()
            return
        if path == "/":
            self._index()
            return
        if path.lower().endswith(tuple(FONT_TYPES)):
            self._font(path[1:])
            return
        match = _PAGE.fullmatch(path)
        if not match or not valid_id(match.group(1)):
            self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
            return
        pid, suffix = match.group(1), match.group(2) or ""
        self.preview.show(pid, "pdf" if suffix == ".pdf" else "html")
        if suffix == ".pdf":
            data = self.preview.outputs.read(f"{pid}.pdf")
            if data is not None:
                self._send(HTTPStatus.OK, data, "application/pdf")
            else:
                self._send(HTTPStatus.NOT_FOUND, b"no PDF (see the problems)", "text/plain")
            return
        self._page(pid)

    def _font(self, requested: str) -> None:
        """A font file of the design, if a page may ask for it (:func:`read_font`); a browser
        that holds it already is told so (it asks again on every reload)."""
        font = read_font(self.preview.fonts.current, requested)
        if font is None:
            self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")
            return
        fresh = self.headers.get("If-None-Match") == font.tag
        self.send_response(HTTPStatus.NOT_MODIFIED if fresh else HTTPStatus.OK)
        self.send_header("Content-Type", font.kind)
        self.send_header("ETag", font.tag)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        if not fresh:  # a 304 has no body, and says nothing of its length
            self.send_header("Content-Length", str(len(font.data)))
        self.end_headers()
        if not fresh:
            self.wfile.write(font.data)

    def _page(self, pid: str) -> None:
        data = self.preview.outputs.read(f"{pid}.html")
        design = self.preview.fonts.current
        faces = f"<style>{design.faces}</style>" if design is not None and design.faces else ""
        banner = faces + _problems_html(self.preview.state.problems)
        links = (
            f'<p style="font:13px sans-serif;margin:.5rem 1rem"><a href="/">all positions</a>'
            f' · <a href="/{pid}.pdf">PDF</a></p>'
        )
        # The page is one this preview's build wrote, so the render worker cleaned it; the
        # banner and the script are put in its body as they are (no second parse).
        written = data.decode("utf-8", "replace") if data is not None else None
        page = with_preview(
            written or "", lead=banner + links, tail=_RELOAD, body_attributes=" data-preview"
        ) or sanitise_page("", lead=banner + links, tail=_RELOAD, body_attributes=" data-preview")
        self._send(HTTPStatus.OK, page.encode("utf-8"), "text/html; charset=utf-8")

    def _index(self) -> None:
        items = "".join(
            f'<li><a href="/{pid}">{html.escape(pid)}</a> · <a href="/{pid}.pdf">PDF</a></li>'
            for pid in position_ids(self.preview.root)
        )
        page = sanitise_page(
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Standpunt preview"
            "</title></head><body>"
            f"<h1 style='font:600 20px sans-serif'>Positions</h1><ul>{items}</ul></body></html>",
            lead=_problems_html(self.preview.state.problems),
            tail=_RELOAD,
        )
        self._send(HTTPStatus.OK, page.encode("utf-8"), "text/html; charset=utf-8")

    def _events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        state = self.preview.state
        seen = state.generation
        try:
            while True:
                with state.changed:
                    state.changed.wait_for(partial(_moved_on, state, seen), timeout=15)
                if state.generation != seen:
                    seen = state.generation
                    self.wfile.write(f"data: {seen}\n\n".encode())
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


def make_handler(preview: Preview, build_dir: Path) -> type[BaseHTTPRequestHandler]:
    """The request handler of a preview that serves ``preview``'s outputs from ``build_dir``."""
    return type("Handler", (PreviewHandler,), {"preview": preview, "build_dir": build_dir})


@contextmanager
def preview_server(
    root: Path, positions: list[str] | None = None, port: int = 8000
) -> Iterator[tuple[ThreadingHTTPServer, Preview]]:
    """A running preview on 127.0.0.1:port, listening at once (a page is built when it is first
    asked for); port 0 picks a free one, and a port that cannot be used is a usage error."""
    preview = Preview(root, positions)
    try:
        server = ThreadingHTTPServer((LOOPBACK, port), make_handler(preview, root / BUILD_DIR))
    except OSError as exc:
        # Only here is an OSError about the port; elsewhere (say, a watch limit) it is not.
        preview.close()
        raise UsageError(
            f"cannot listen on {LOOPBACK}:{port}: {exc.strerror}", code="usage"
        ) from None
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    threading.Thread(target=preview.read_ahead, daemon=True).start()
    try:
        yield server, preview
    finally:
        server.shutdown()
        server.server_close()
        preview.close()


def watched(root: Path) -> list[Path]:
    """What ``serve`` watches: standpunt.yaml and each input folder (and each further evidence
    folder) that is a real folder inside the workspace. A link is never watched: the watcher
    would follow it, out of the workspace, to the whole disk if it pointed at ``/``."""
    found = []
    for path in [*(root / name for name in INPUTS), *outline(root).evidence_folders]:
        if path.is_symlink() or not inside(path, [root]) or path in found:
            continue
        if path.is_dir() or (path.name == CONFIG_FILE and path.is_file()):
            found.append(path)
    return found


def watch(root: Path, preview: Preview, stop: threading.Event | None = None) -> None:
    """Refresh the preview whenever a file of the workspace changes (see :func:`watched`)."""
    from watchfiles import DefaultFilter
    from watchfiles import watch as watch_files

    build_dir = (root / BUILD_DIR).resolve()

    class WorkspaceFilter(DefaultFilter):
        def __call__(self, change: Any, path: str) -> bool:
            return super().__call__(change, path) and not Path(path).resolve().is_relative_to(
                build_dir
            )

    paths = watched(root)
    if not paths:  # nothing real to watch: the preview shows what it built once
        return
    for _changes in watch_files(*paths, watch_filter=WorkspaceFilter(), stop_event=stop):
        preview.refresh()
