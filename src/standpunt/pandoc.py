"""Finding and running the pandoc we ship: its citeproc formats citations, and its readers
convert the .bib and .ris files of evidence/ to CSL-JSON.

pandoc runs contained: only with the options given here (``--sandbox``: it reads no file the
input names), under a memory cap (the address space, ``RLIMIT_AS``), a time cap and a cap on
what it may write, all from :class:`standpunt.limits.Limits`. A run is one process
(:func:`run_pandoc`), or a request to a ``pandoc lua`` process kept warm (:class:`LuaProcess`).

pandoc comes from the pypandoc-binary wheel, so ``pip install`` brings everything. We locate the
binary without importing pypandoc (its import is slow and we only need the path). It sits below
every other layer, as the workspace already needs it to read evidence.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import selectors
import shutil
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from standpunt.errors import StandpuntError
from standpunt.limits import Limits

try:
    import resource
except ImportError:  # pragma: no cover - a platform without rlimits
    resource = None  # type: ignore[assignment]

#: The one Markdown dialect: pandoc's Markdown, without raw HTML, raw TeX and raw attributes,
#: so a position's text can never smuggle markup past the template.
MARKDOWN_FORMAT = "markdown-raw_html-raw_tex-raw_attribute"

#: GHC runtime options for pandoc. The binary is built to reserve a 64 MB heap up front (-H64m),
#: which made it the largest process of a build (176 MiB resident against WeasyPrint's 75 MiB);
#: a small heap with a 4 MB allocation area peaks near 125 MiB for a position and runs as fast.
#: A pandoc built without RTS options prints a warning and ignores the variable.
PANDOC_RTS = "-H1m -A4m"


@lru_cache(maxsize=1)
def pandoc_executable() -> str:
    """The pandoc binary shipped in the pypandoc-binary wheel, else one on PATH."""
    spec = importlib.util.find_spec("pypandoc")
    if spec and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / "files" / "pandoc"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    found = shutil.which("pandoc")
    if found:
        return found
    raise StandpuntError(
        "pandoc was not found; install Standpunt with pip so that the pypandoc-binary "
        "package brings it",
        code="pandoc-missing",
    )


@lru_cache(maxsize=1)
def pandoc_identity() -> str:
    """Which pandoc this is, for the caches of what it made: the wheel's version and the path."""
    try:
        release = version("pypandoc-binary")
    except PackageNotFoundError:
        release = "no pypandoc-binary"
    return f"{release} {pandoc_executable()}"


#: The most a pandoc run may write, in bytes: a position's HTML is a few hundred kB.
MAX_OUTPUT = 64 * 1024 * 1024

#: How much of pandoc's own messages is kept for an error.
MAX_MESSAGE = 8 * 1024

#: pandoc's exit code when its heap is exhausted (GHC's runtime).
_OUT_OF_MEMORY = 251


def _memory_cap(limits: Limits) -> Callable[[], None] | None:
    """What the child runs before pandoc starts: its address space capped at the limit."""
    if resource is None:  # pragma: no cover - a platform without rlimits
        return None
    cap = limits.memory_mb * 1024 * 1024
    set_limit, address_space = resource.setrlimit, resource.RLIMIT_AS

    def limit() -> None:  # only a system call: it runs between fork and exec
        set_limit(address_space, (cap, cap))

    return limit


def _start(
    command: list[str], limits: Limits, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {}), "GHCRTS": PANDOC_RTS},
        preexec_fn=_memory_cap(limits),  # setrlimit only: no lock taken after fork
        close_fds=True,
    )


class _Messages:
    """pandoc's standard error, read as it comes (so that pandoc never blocks on it), the last
    :data:`MAX_MESSAGE` bytes kept."""

    def __init__(self, stream: Any) -> None:
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self._thread.start()

    def _drain(self, stream: Any) -> None:
        with stream:  # closed once pandoc has ended (nothing else reads it)
            for chunk in iter(lambda: stream.read1(4096), b""):
                with self._lock:
                    self._chunks.append(chunk)
                    self._size += len(chunk)
                    while self._size - len(self._chunks[0]) >= MAX_MESSAGE:
                        self._size -= len(self._chunks.popleft())

    def clear(self) -> None:
        with self._lock:
            self._chunks.clear()
            self._size = 0

    def text(self, wait: float = 0.0) -> str:
        self._thread.join(wait)
        with self._lock:
            data = b"".join(self._chunks)[-MAX_MESSAGE:]
        return data.decode("utf-8", "replace").strip()


def _failure(limits: Limits, code: int | None, message: str) -> StandpuntError:
    """The error of a pandoc that ended with ``code`` and wrote ``message``."""
    if code == _OUT_OF_MEMORY or "out of memory" in message or "Heap exhausted" in message:
        return StandpuntError(
            f"pandoc needed more than the {limits.memory_mb} MB memory limit and was stopped; "
            "look for deeply nested notes, brackets or lists in the text, or raise "
            "'limits: memory_mb:' in standpunt.yaml",
            code="pandoc-memory",
        )
    return StandpuntError(f"pandoc failed: {message or f'exit code {code}'}", code="pandoc-failed")


def _timed_out(limits: Limits) -> StandpuntError:
    return StandpuntError(
        f"pandoc took longer than {limits.seconds:g} seconds and was stopped; look for deeply "
        "nested notes or brackets in the text, or raise 'limits: seconds:' in standpunt.yaml",
        code="pandoc-timeout",
    )


def _too_long() -> StandpuntError:
    return StandpuntError(
        f"pandoc wrote more than {MAX_OUTPUT // 1024 // 1024} MB and was stopped",
        code="pandoc-output",
    )


class _Exchange:
    """Bytes written to a process's standard input while its standard output is read, both
    without blocking, until ``done`` says the output is whole, the clock runs out or the output
    grows past :data:`MAX_OUTPUT`."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self.stdin, self.stdout = process.stdin, process.stdout
        os.set_blocking(self.stdin.fileno(), False)
        os.set_blocking(self.stdout.fileno(), False)

    def run(
        self, data: bytes, deadline: float, done: Callable[[bytearray], bool], close: bool
    ) -> bytearray | str:
        """The output read, or why it stopped: "time", "size" or "ended"."""
        output = bytearray()
        pending = memoryview(data)
        with selectors.DefaultSelector() as selector:
            if pending:
                selector.register(self.stdin, selectors.EVENT_WRITE)
            elif close:
                self.stdin.close()
            selector.register(self.stdout, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    return "time"
                for key, _ in selector.select(left):
                    if key.fileobj is self.stdin:
                        try:
                            written = os.write(self.stdin.fileno(), pending[:65536])
                        except BrokenPipeError:
                            written = len(pending)
                        pending = pending[written:]
                        if not pending:
                            selector.unregister(self.stdin)
                            if close:
                                self.stdin.close()
                        continue
                    chunk = os.read(self.stdout.fileno(), 65536)
                    if not chunk:
                        return output if close else "ended"
                    output += chunk
                    if len(output) > MAX_OUTPUT + 64:
                        return "size"
                    if done(output):
                        return output


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End ``process``: its input and output closed (its messages are closed by the thread
    that reads them), killed if it still runs, and waited for."""
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            stream.close()
    if process.poll() is None:
        process.kill()
    process.wait()


def run_pandoc(
    args: list[str],
    stdin: str,
    limits: Limits | None = None,
    *,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Run pandoc in its sandbox, under ``limits`` (``timeout`` seconds instead of theirs, if
    given), with ``stdin`` as input and return what it wrote; ``env`` adds to its environment.

    Raises :class:`StandpuntError` carrying pandoc's own message when it fails, and a clear
    one when it passes a limit.
    """
    limits = limits or Limits()
    if timeout is not None:
        limits = dataclasses.replace(limits, seconds=timeout)
    process = _start([pandoc_executable(), "--sandbox", *args], limits, env)
    messages = _Messages(process.stderr)
    try:
        deadline = time.monotonic() + limits.seconds
        output = _Exchange(process).run(stdin.encode("utf-8"), deadline, lambda _: False, True)
        if output == "time":
            raise _timed_out(limits)
        if output == "size" or isinstance(output, str):
            raise _too_long()
        code = process.wait(max(0.0, deadline - time.monotonic()) + 1)
    except subprocess.TimeoutExpired:
        raise _timed_out(limits) from None
    finally:
        _stop(process)
    if code != 0:
        raise _failure(limits, code, messages.text(wait=1.0))
    return output.decode("utf-8")


def _frame(data: bytes) -> bytes:
    return str(len(data)).encode("ascii") + b"\n" + data


def _framed(output: bytearray) -> bool:
    """Whether ``output`` holds one whole frame (a length, a newline, that many bytes)."""
    line, newline, rest = output.partition(b"\n")
    return bool(newline) and line.isdigit() and len(rest) >= int(line)


class LuaProcess:
    """A pandoc kept warm: the custom reader ``script``, run on an empty input, answers framed
    JSON requests on its standard input and output one at a time (see
    ``standpunt/cite/warm.lua``), the first being ``hello``; under ``limits``: its memory, the
    time of each request and the size of each answer. A request that fails a limit, or that the
    process dies on, stops the process; the next request starts a new one. Safe to share
    between threads."""

    def __init__(self, script: Path, hello: dict[str, Any], limits: Limits):
        self.command = [pandoc_executable(), "--from", str(script), "--to", "plain", os.devnull]
        self.hello = hello
        self.limits = limits
        self.starts = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._messages: _Messages | None = None
        self._greeted = False
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the process, if it is not running; it greets the first request's sender."""
        with self._lock:
            self._started()

    def launch(self) -> None:
        """Start the process, if it is not running, without waiting for it to be ready: it is
        greeted with the first request, so that the caller's own work overlaps its start."""
        with self._lock:
            if not self._running():
                self._launch()

    def _running(self) -> bool:
        return (
            self._process is not None
            and self._messages is not None
            and self._process.poll() is None
        )

    def _launch(self) -> None:
        self._stop()
        self._process = _start(self.command, self.limits)
        self._messages = _Messages(self._process.stderr)
        self.starts += 1
        self._greeted = False

    def _started(self) -> tuple[subprocess.Popen[bytes], _Messages]:
        if not self._running():
            self._launch()
        if not self._greeted:
            self._greeted = True  # the greeting is itself a request, which finds it started
            self._ask(self.hello)
        assert self._process is not None and self._messages is not None
        return self._process, self._messages

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        """The answer to ``request``; a :class:`StandpuntError` when the process passed a
        limit or died (it is then stopped, to be started again by the next request)."""
        with self._lock:
            return self._ask(request)

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        process, messages = self._started()
        messages.clear()
        deadline = time.monotonic() + self.limits.seconds
        data = _frame(json.dumps(request, ensure_ascii=False).encode("utf-8"))
        output = _Exchange(process).run(data, deadline, _framed, False)
        if isinstance(output, str):
            self._stop()
            if output == "time":
                raise _timed_out(self.limits)
            if output == "size":
                raise _too_long()
            code = process.returncode
            raise _failure(self.limits, code, messages.text(wait=1.0))
        length, _, body = output.partition(b"\n")
        if len(body) != int(length):
            self._stop()
            raise _failure(self.limits, None, "it answered more than it was asked")
        try:
            answer = json.loads(body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            self._stop()
            raise _failure(self.limits, None, "its answer was not understood")
        return answer

    def _stop(self) -> None:
        if self._process is not None:
            _stop(self._process)
        self._process = None
        self._messages = None

    def close(self) -> None:
        with self._lock:
            self._stop()
