"""One pandoc kept warm for a whole build or preview: it cites position after position.

Starting pandoc and its citeproc costs more than citing a position, so a build (and the
preview, between saves) keeps one pandoc process (``warm.lua``, a custom reader that serves
requests; ``pandoc lua`` would serve them as well, but without the command line's reader
options) that runs, for each position, what one run of pandoc's command line would run (the
reader ``read.lua``, the filter ``locators.lua``, citeproc and the writer ``shape.lua``), with
the command line's own reader options and the same metadata, so the same bytes come out. It
runs under the build's limits (:class:`standpunt.pandoc.LuaProcess`): a request that passes
one, or that pandoc dies on, fails that position, and the next position gets a new process.

Each style made ready for a language is written once per process, to a folder of its own;
the bibliography is the position's own (the evidence it cites) and is written per request.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from standpunt.errors import StandpuntError
from standpunt.limits import Limits
from standpunt.pandoc import LuaProcess

#: pandoc's custom reader and writer that do the work, and the filter before citeproc.
READER = Path(__file__).with_name("read.lua")
WRITER = Path(__file__).with_name("shape.lua")
LOCATORS = Path(__file__).with_name("locators.lua")
#: The loop that serves requests.
SERVER = Path(__file__).with_name("warm.lua")
#: How long closing waits for the thread that starts pandoc to finish its first request.
START_WAIT_SECONDS = 5.0


class WarmCiter:
    """A warm pandoc that cites, under ``limits``; :meth:`start` it early, :meth:`close` it."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._process: LuaProcess | None = None
        self._folder = Path(tempfile.mkdtemp(prefix="standpunt-pandoc-"))
        self._styles: dict[str, Path] = {}
        self._count = 0
        self._lock = threading.Lock()
        self._starting: threading.Thread | None = None
        self._stopped_starts = 0
        self._closed = False

    def start(self, then: Callable[[WarmCiter], object] | None = None) -> None:
        """Start pandoc on a thread of its own, so that its start overlaps other work; ``then``
        runs on that thread once pandoc runs (a first request, made while nobody waits)."""
        self._starting = threading.Thread(target=self._start_quietly, args=(then,), daemon=True)
        self._starting.start()

    def _start_quietly(self, then: Callable[[WarmCiter], object] | None) -> None:
        # the first request starts it again, and reports what fails
        with contextlib.suppress(StandpuntError):
            if then is None:
                self._lua().start()
            else:  # what ``then`` does before its first request overlaps pandoc's start
                self._lua().launch()
                then(self)

    def _lua(self) -> LuaProcess:
        with self._lock:
            if self._closed:  # a request still under way on another thread starts none
                raise StandpuntError("pandoc was stopped: the build is over", code="pandoc-failed")
            if self._process is None:
                hello = {
                    "reader": str(READER),
                    "writer": str(WRITER),
                    "filter": str(LOCATORS),
                    # removed by pandoc when its input ends, also when this process is killed
                    "folder": str(self._folder),
                }
                self._process = LuaProcess(SERVER, hello, self.limits)
            return self._process

    @property
    def starts(self) -> int:
        """How many times pandoc was started (a request that failed a limit restarts it)."""
        running = self._process.starts if self._process is not None else 0
        return self._stopped_starts + running

    def run(
        self,
        document: str,
        csl: bytes,
        references: str,
        lang: str,
        locators: str,
        link_citations: bool,
    ) -> str:
        """What pandoc's writer wrote for ``document`` (what the reader reads), cited with the
        style ``csl`` and the CSL-JSON ``references``; pandoc's message as a ``pandoc-failed``
        :class:`StandpuntError` when it fails."""
        style = self._style(csl)
        with self._lock:
            self._count += 1
            bibliography = self._folder / f"references-{self._count}.json"
        bibliography.write_text(references, encoding="utf-8")
        try:
            answer = self._lua().ask(
                {
                    "input": document,
                    "csl": str(style),
                    "bibliography": str(bibliography),
                    "lang": lang,
                    "locators": locators,
                    "link_citations": link_citations,
                }
            )
        finally:
            bibliography.unlink(missing_ok=True)
        if isinstance(answer.get("output"), str):
            return str(answer["output"])
        message = answer.get("error")
        raise StandpuntError(
            f"pandoc failed: {message if isinstance(message, str) else 'no answer'}",
            code="pandoc-failed",
        )

    def probe(self, markdown: str, format: str, csl: str, lang: str) -> str:
        """What ``pandoc --from FORMAT --to plain --wrap none --citeproc --csl CSL --metadata
        lang=LANG`` writes for ``markdown``, with the style ``csl`` (its text)."""
        style = self._style(csl.encode("utf-8"))
        answer = self._lua().ask(
            {"probe": markdown, "format": format, "csl": str(style), "lang": lang}
        )
        if isinstance(answer.get("output"), str):
            return str(answer["output"])
        message = answer.get("error")
        raise StandpuntError(
            f"pandoc failed: {message if isinstance(message, str) else 'no answer'}",
            code="pandoc-failed",
        )

    def _style(self, csl: bytes) -> Path:
        name = hashlib.sha256(csl).hexdigest()
        with self._lock:
            path = self._styles.get(name)
            # a pandoc that ended (stopped at a limit) took the folder with it
            if path is None or not path.is_file():
                self._folder.mkdir(mode=0o700, exist_ok=True)
                path = self._folder / f"{name}.csl"
                path.write_bytes(csl)
                self._styles[name] = path
            return path

    def close(self) -> None:
        """Stop pandoc and remove the files written for it."""
        with self._lock:
            self._closed = True  # what the start still meant to ask stops at its next request
        if self._starting is not None and self._starting.ident is not None:  # it started
            # not for ever: a stop (Ctrl-C, SIGTERM) that came during an import can leave
            # Python's import lock held, and the start waits for it to import its own
            self._starting.join(timeout=START_WAIT_SECONDS)
        with self._lock:
            process, self._process = self._process, None
        if process is not None:
            self._stopped_starts += process.starts
            process.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> WarmCiter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


#: Where a build gets its warm pandoc: called with the limits it must run under (the preview
#: lends one it keeps warm between builds).
CitersFor = Callable[[Limits], AbstractContextManager[WarmCiter]]


@contextmanager
def own_citer(limits: Limits) -> Iterator[WarmCiter]:
    """A warm pandoc of the build's own, started now and stopped when the build is done."""
    citer = WarmCiter(limits)
    citer.start()
    try:
        yield citer
    finally:
        citer.close()
