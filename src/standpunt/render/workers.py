"""Render workers: child processes that each import WeasyPrint once and render many pages.

This is the one place where templates and WeasyPrint run, so it is also where the limits live:
every job runs in a child process with a memory cap (``RLIMIT_AS``) under a wall-clock timeout.
A job that exceeds them fails with a clear error, its worker is replaced, and the other jobs go
on. ``--jobs N`` sets how many workers run at once; each job's output does not depend on N.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from standpunt.choices import Medium
from standpunt.errors import StandpuntError
from standpunt.limits import Limits
from standpunt.render.request import PdfSettings

if TYPE_CHECKING:  # imported by the worker when a job arrives; the parent starts workers first
    from standpunt.workspace.templates import TemplateSet

#: How long a new worker may take to import WeasyPrint before its first job's clock starts.
STARTUP_SECONDS = 300.0


@dataclass(frozen=True)
class Job:
    """One output to make: a page from a template, and for print, a PDF from that page."""

    #: What the caller calls this output; its :class:`JobResult` carries it back.
    key: str
    templates: TemplateSet
    #: The plain data the template receives.
    context: dict[str, Any]
    medium: Medium
    #: How the page becomes a PDF (print only).
    pdf: PdfSettings | None = None
    #: The template that makes the page (None: the position's page).
    template: str | None = None
    #: A page rendered only to see where it prints each text (the reading order), never kept:
    #: it is returned as the template wrote it.
    probe: bool = False


@dataclass
class JobResult:
    """What became of a job: the output's bytes, or the error that stopped it."""

    key: str
    data: bytes | None = None
    error: StandpuntError | None = None
    #: What the render has to say about an output it made (a note the layout moved).
    notices: tuple[str, ...] = ()
    #: What the worker warned of while making it, as (logger, message): WeasyPrint's (a
    #: template's CSS it ignored, an image it could not load) and Standpunt's own, relayed by
    #: the pool to this process's log.
    logged: tuple[tuple[str, str], ...] = ()


class WorkerBug(Exception):
    """A render worker failed in Standpunt's own code: a bug, not a problem in the position.

    It is deliberately no :class:`StandpuntError`, so that the command ends as a bug does. The
    worker's traceback is its cause, so that ``--debug`` shows where in the worker it failed.
    """


class WorkerTraceback(Exception):
    """The traceback of an exception raised in a render worker, as the worker formatted it."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return f'\n"""\n{self.text}"""'


def run_job(job: Job, limits: Limits, notices: list[str] | None = None) -> bytes:
    """Render one job in this process (what a worker does); what the PDF's render has to say
    goes into ``notices``."""
    from standpunt.render.template import render_html

    html = (
        render_html(job.templates, job.context, job.template)
        if job.template
        else render_html(job.templates, job.context)
    )
    if job.probe:
        return html.encode("utf-8")
    if job.medium != "print":
        # The page a reader opens: whatever the template wrote, it runs and loads nothing.
        from standpunt.render.sanitise import sanitise_page

        return sanitise_page(html).encode("utf-8")
    assert job.pdf is not None, "a print job carries its PDF settings"
    from standpunt.render.pdf import write_pdf

    return write_pdf(job.pdf.for_page(html, limits.pages), notices)


def _worker_main(
    conn: Connection,
    limits: Limits,
    pdf: bool,
    siblings: tuple[Connection, ...] = (),
    langs: tuple[str, ...] = (),
    scratch: tuple[str, ...] = (),
    forked_from: frozenset[int] = frozenset(),
) -> None:
    """A worker's life: cap its memory, warm up, then render jobs until told to stop.

    A worker given ``siblings`` (the pipes of further workers) forks one worker for each once
    it is warm: they inherit its limits, its import of WeasyPrint and its warm-up. Each keeps
    its temporary files (WeasyPrint's copies of a page's fonts) in its folder of ``scratch``
    (this worker's first, then one per sibling), which the pool removes when the worker ends.
    A worker forked from the command itself (``forked_from``) first runs as one started afresh
    (:func:`_as_if_spawned`).
    """
    if forked_from:
        _as_if_spawned(forked_from)
    inherited = _open_descriptors()  # what multiprocessing handed this process, and its pipes
    # Ctrl-C reaches every process of the terminal's group: the command says "stopped", and a
    # worker only ends, without a traceback of its own (a worker it forks inherits this).
    signal.signal(signal.SIGINT, lambda *_: os._exit(130))
    if forked_from:  # held back by the command while it forked this worker (_forking)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)
    _cap(limits)
    _use_scratch(scratch[:1])
    # Warnings go back with each job, for the command to say as it says its own (WeasyPrint's
    # with --verbose): this process has no terminal of its own to say them on.
    for name in ("standpunt", "weasyprint"):
        log = logging.getLogger(name)
        log.setLevel(logging.WARNING)
        log.propagate = False
        log.addHandler(_WARNINGS)
    if pdf:
        # import WeasyPrint now, while the parent prepares jobs (a page-only worker never needs it)
        with _libraries_from_the_loader_cache():
            from standpunt.render import pdf as _  # noqa: F401
    # and Jinja and the cleaner of screen pages, so that no import counts against a job's time
    from standpunt.render import template as _template  # noqa: F401
    from standpunt.render.sanitise import sanitise_page

    sanitise_page("<p></p>")
    if pdf:
        _warm_up(langs, (conn, *siblings))
    own, conn = conn, _fork_siblings(conn, siblings, inherited, scratch[1:])
    try:
        # A job's time limit runs from here: starting up is not the position's doing.
        conn.send(("ready", None, os.getpid()))
        while True:
            try:
                job = conn.recv()
            except KeyboardInterrupt:
                return
            if job is None:
                # Nothing is left to flush or clean up, so skip the interpreter's teardown of
                # WeasyPrint's heap, which the parent would otherwise wait for (about 0.1 s).
                conn.close()
                _flush_output()
                os._exit(0)
            try:
                _backstop(limits)
                notices: list[str] = []
                _WARNINGS.clear()  # the warm-up's, or the last job's
                data = run_job(job, limits, notices)
                conn.send(("ok", job.key, (data, notices, _WARNINGS.sent())))
            except Exception as exc:
                conn.send(_failure(job, limits, exc))
    except (EOFError, OSError):  # the pipe: what the job raised was answered above
        _orphaned()
    finally:
        if conn is not own:
            # A forked worker ends here, never in the exit of the worker it was forked from
            # (whose exit handlers it holds a copy of).
            os._exit(0)


#: The most WeasyPrint warnings a worker sends back for one page, and the longest: a template
#: with a hundred thousand unknown CSS properties costs a count, not a hundred thousand lines.
MAX_SAID = 20
MAX_SAID_LENGTH = 300


class _Said(logging.Handler):
    """The records it is given (a worker's warnings of one job, WeasyPrint's and Standpunt's
    own), as (logger, message): the first :data:`MAX_SAID`, each cut at
    :data:`MAX_SAID_LENGTH`, then how many more."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.said: list[tuple[str, str]] = []
        self.more = 0

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.said) >= MAX_SAID:
            self.more += 1
            return
        message = record.getMessage()
        if len(message) > MAX_SAID_LENGTH:
            message = message[: MAX_SAID_LENGTH - 1] + "…"
        self.said.append((record.name, message))

    def clear(self) -> None:
        self.said.clear()
        self.more = 0

    def sent(self) -> list[tuple[str, str]]:
        """What to send back: the records, and one for those left out."""
        if not self.more:
            return self.said
        more = f"(and {self.more} more warnings from WeasyPrint on this page)"
        return [*self.said, ("weasyprint", more)]


_WARNINGS = _Said()


def _as_if_spawned(forked_from: frozenset[int]) -> None:
    """Undo in a worker forked from the command what the command set up for itself: close
    ``forked_from`` (what the command had open, and the command's ends of the workers'
    pipes), give every signal the command handles (stopped, hung up, out of processor time)
    its default end again, and drop the command's log handlers (which print the command's
    messages in the command's form; WeasyPrint's warnings a worker sends back with each job)."""
    for fd in forked_from & {0, 1, 2}:  # a closed stream's number, given to a pipe's end
        nowhere = os.open(os.devnull, os.O_RDWR)
        os.dup2(nowhere, fd)
        os.close(nowhere)
    _close_inherited(forked_from, -1)
    for number in signal.valid_signals():
        if callable(signal.getsignal(number)):
            signal.signal(number, signal.SIG_DFL)
    for name in ("standpunt", "weasyprint"):
        logging.getLogger(name).handlers.clear()
    logging.getLogger("standpunt").setLevel(logging.NOTSET)


def _failure(job: Job, limits: Limits, exc: Exception) -> tuple[str, str, Any]:
    """What a worker says about a job that failed with ``exc``."""
    if isinstance(exc, StandpuntError):
        return ("error", job.key, (exc.message, exc.location, exc.code))
    if isinstance(exc, MemoryError):
        message = (
            f"rendering needed more than the {limits.memory_mb} MB memory limit; "
            "the position or its template is too large"
        )
        return ("error", job.key, (message, None, "memory-limit"))
    if isinstance(exc, RecursionError):
        message = "the template recursed too deeply (a macro calling itself?)"
        return ("error", job.key, (message, None, "template-recursion"))
    # a bug: the parent raises it, the worker lives on
    what = "".join(traceback.format_exception_only(exc)).strip()
    return ("bug", job.key, (what, "".join(traceback.format_exception(exc))))


def _cap(limits: Limits) -> None:
    """This process's memory cap, and no processor-time limit of its own."""
    try:
        import resource

        cap = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        # its clock is the wall-clock limit per job, not the command's processor time it
        # inherited (limits.main_process_limits), which would stop a worker of many jobs
        resource.setrlimit(resource.RLIMIT_CPU, (resource.getrlimit(resource.RLIMIT_CPU)[1],) * 2)
    except (ImportError, ValueError, OSError):  # pragma: no cover - platform without rlimits
        pass


def _backstop(limits: Limits) -> None:
    """A processor-time limit for the job about to run: twice its wall-clock limit, and five
    seconds more. The pool stops a job at its wall-clock limit, long before; this stops it
    when the pool is gone (its command was killed), so that no worker renders on for ever
    without a parent. An idle worker ends by itself then: its pipe closes."""
    try:
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(usage.ru_utime + usage.ru_stime) + 2 * math.ceil(limits.seconds) + 5
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (ImportError, ValueError, OSError):  # pragma: no cover - platform without rlimits
        pass


def _warm_up(langs: Iterable[str], pipes: tuple[Connection, ...]) -> None:
    """What a first render would do once per process, done while no job waits: the
    hyphenation dictionaries of ``langs`` (a twentieth of a second each to read) and the
    compiled built-in page template (a fortieth).

    Nothing here changes what a render makes: these are the caches the first render would
    fill the same way (a worker's later jobs find them filled by its earlier ones).
    """
    import pyphen

    from standpunt.render.template import compile_template
    from standpunt.workspace.paths import BUILTIN_TEMPLATES
    from standpunt.workspace.templates import TemplateSet

    for lang in dict.fromkeys(langs):
        if any(pipe.poll() for pipe in pipes):
            return
        found = pyphen.language_fallback(lang)
        if found:
            pyphen.Pyphen(lang=found)
    if not any(pipe.poll() for pipe in pipes):
        # the template a workspace without its own renders with (see workspace.templates)
        compile_template(TemplateSet("default", (BUILTIN_TEMPLATES / "default",)))


def _fork_siblings(
    own: Connection, siblings: tuple[Connection, ...], inherited: set[int], scratch: tuple[str, ...]
) -> Connection:
    """Fork one worker for each pipe of ``siblings``; returns the pipe this process serves.

    Only a process with one thread may fork (another thread could hold a lock the child then
    never sees released): else the siblings' pipes are closed, and the parent starts those
    workers afresh when it finds them closed before they said they were ready. A forked
    worker keeps none of the descriptors this process ``inherited`` but its own pipe (and the
    resource tracker's): the parent learns that this process ended when the last copy of
    one of them closes, which must not wait for the forked workers.
    """
    if not siblings:
        return own
    if threading.active_count() > 1 or _threads() != 1:
        for sibling in siblings:
            sibling.close()
        return own
    # the forked workers are this process's children: the system reaps them when they end
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    _flush_output()  # nothing buffered is written twice
    for n, sibling in enumerate(siblings):
        if os.fork() == 0:
            _use_scratch(scratch[n : n + 1])
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for other in (own, *siblings):
                if other is not sibling:
                    other.close()
            _close_inherited(inherited, sibling.fileno())
            return sibling
        sibling.close()
    return own


def _use_scratch(folder: tuple[str, ...]) -> None:
    """Temporary files of this process go to ``folder`` (if one is given)."""
    if folder:
        import tempfile

        tempfile.tempdir = folder[0]
        _SCRATCH[:] = folder[:1]


#: This worker's folder of temporary files, once it has one.
_SCRATCH: list[str] = []


def _orphaned() -> NoReturn:
    """The command ended without stopping this worker (it was killed): nobody reads what the
    worker says or removes its folder, so the worker removes its folder and ends, quietly."""
    import shutil

    for folder in _SCRATCH:
        shutil.rmtree(folder, ignore_errors=True)
    os._exit(0)


def _open_descriptors() -> set[int]:
    """The file descriptors this process has open (none known without /proc).

    The listing's own descriptor, closed once it is read, is not among them: its number is
    the next one a pipe gets, and closing it as an inherited one would close that pipe.
    """
    try:
        listed = {int(name) for name in os.listdir("/proc/self/fd")}
    except OSError:  # pragma: no cover - no /proc
        return set()
    return {fd for fd in listed if _is_open(fd)}


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _close_inherited(inherited: set[int] | frozenset[int], keep: int) -> None:
    """Close what the worker this process was forked from inherited from the parent (those of
    its pipes still open, its end of the parent's sentinel), except ``keep`` and the standard
    streams and the resource tracker's pipe."""
    from multiprocessing import resource_tracker

    tracker = getattr(resource_tracker._resource_tracker, "_fd", None)
    for fd in inherited - {0, 1, 2, keep, tracker}:
        with contextlib.suppress(OSError):
            os.close(fd)


#: The signals that stop a command (Ctrl-C, SIGTERM, a closed terminal), and the alarm that
#: delivers one that came during an import (``standpunt.__main__``).
_STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM)


@contextlib.contextmanager
def _forking() -> Iterator[None]:
    """While the command forks a worker: its output flushed (nothing buffered is written
    twice), its objects kept from the worker's collector (their pages stay shared), and a stop
    held back until the fork is done.

    A stop that lands in the fork's own bookkeeping (logging releases its lock after a fork) is
    swallowed by Python and leaves that lock held, and the thread that next starts a process
    (pandoc's) waits for it for ever. The worker starts with the stops held back too, until it
    has its own ends for them (:func:`_worker_main`).
    """
    _flush_output()
    gc.freeze()
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        gc.unfreeze()


def _flush_output() -> None:
    """What this process has buffered for its output, written (before a fork, which would
    write it twice, or an exit that skips the interpreter's own flushing)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def _may_fork() -> bool:
    """Whether a worker may be a fork of this process: on Linux (where forked workers are held
    by pidfd), with one thread (another could hold a lock the child would never see released)."""
    return (
        sys.platform.startswith("linux")
        and hasattr(os, "pidfd_open")
        and threading.active_count() == 1
        and _threads() == 1
    )


def _threads() -> int:
    """How many threads this process runs (the system's count: C libraries' threads too)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:  # pragma: no cover - no /proc: count only Python's
        return threading.active_count()


@contextlib.contextmanager
def _libraries_from_the_loader_cache() -> Iterator[None]:
    """While WeasyPrint is imported, a library name is looked up in the dynamic loader's cache
    only, listed once (``ldconfig -p``), not also by running the C compiler and the linker.

    WeasyPrint tries several names for each library it loads (Pango, HarfBuzz, fontconfig),
    other platforms' first, each through ``ctypes.util.find_library``, which on Linux runs
    ``gcc`` and ``ld`` for every name the loader's cache does not know: a dozen compiler runs,
    about a fifth of a second of a worker's start. A name that is not in the cache is not
    found here, and WeasyPrint goes on to its next name, down to the library's own file name
    (``libpango-1.0.so.0``), which the dynamic loader finds itself: what the compiler finds is
    that same name (the library's soname), handed to the same loader. The test compares the
    libraries a worker loads with those of a plain import. ctypes lists the cache anew for
    each of the twenty names (a fiftieth of a second); here it is listed once.
    """
    import ctypes.util

    if not sys.platform.startswith("linux") or not hasattr(ctypes.util, "_findSoname_ldconfig"):
        yield
        return
    listing = _loader_cache()
    original = ctypes.util.find_library
    ctypes.util.find_library = lambda name: _in_loader_cache(listing, name)
    try:
        yield
    finally:
        ctypes.util.find_library = original


def _loader_cache() -> bytes:
    """The dynamic loader's cache as ``ldconfig -p`` lists it (empty if it cannot be run)."""
    import subprocess

    try:
        return subprocess.run(
            ["/sbin/ldconfig", "-p"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={"LC_ALL": "C", "LANG": "C"},
            check=False,
        ).stdout
    except OSError:
        return b""


#: The loader cache's word for this machine's own libraries, as ctypes.util reads the cache.
_ABI = {
    "x86_64-64": "libc6,x86-64",
    "ppc64-64": "libc6,64bit",
    "sparc64-64": "libc6,64bit",
    "s390x-64": "libc6,64bit",
    "ia64-64": "libc6,IA-64",
}


def _in_loader_cache(listing: bytes, name: str) -> str | None:
    """What ``ctypes.util._findSoname_ldconfig(name)`` finds, read from one ``listing``."""
    import re
    import struct

    machine = os.uname().machine + ("-32" if struct.calcsize("l") == 4 else "-64")
    abi = _ABI.get(machine, "libc6")
    pattern = rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({abi}"
    found = re.search(os.fsencode(pattern), listing)
    return os.fsdecode(found.group(1)) if found else None


#: How long stopped workers are given to end before they are killed.
STOP_SECONDS = 5.0


class Pool:
    """A few render workers; start it early so WeasyPrint's import overlaps other work."""

    def __init__(
        self, size: int, limits: Limits, pdf: bool = True, langs: tuple[str, ...] = ()
    ) -> None:
        self.size = max(1, size)
        self.limits = limits
        self.pdf = pdf  # whether the workers will make PDFs, so import WeasyPrint at start
        #: The languages of the pages to come, whose hyphenation a worker reads while it waits.
        self.langs = langs
        self._context = multiprocessing.get_context("spawn")
        self._workers: list[_Worker] = []
        #: The workers' warnings relayed so far: each is said once, not once per position.
        self._relayed: set[tuple[str, str]] = set()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def adopt(self, other: Pool) -> None:
        """Take over the workers ``other`` started, if they run under the same limits."""
        if other.limits == self.limits:
            while other._workers and len(self._workers) < self.size:
                self._workers.append(other._workers.pop())

    def start(self) -> None:
        """Start the missing workers. Workers that make PDFs start as one process, which
        imports WeasyPrint and forks the others once warm: one import, not one per worker."""
        missing = self.size - len(self._workers)
        if missing > 1 and self.pdf and hasattr(os, "pidfd_open"):  # Linux
            self._workers.extend(self._spawn(missing - 1))
        while len(self._workers) < self.size:
            self._workers.extend(self._spawn())

    def _spawn(self, forks: int = 0) -> list[_Worker]:
        """A new worker, and ``forks`` more that it forks (their pipes and folders made here).

        Where this process may fork (Linux, one thread), the worker is a fork of it: no second
        interpreter to start, no resource tracker beside it, and the modules imported so far
        not imported again (about a tenth of a second of a one-position build). Else it is a
        fresh interpreter (``spawn``).
        """
        import shutil
        import tempfile

        forking = _may_fork()
        context = multiprocessing.get_context("fork") if forking else self._context
        before = _open_descriptors() if forking else set()
        parent, child = context.Pipe()
        pipes = [context.Pipe() for _ in range(forks)]
        siblings = tuple(end for _, end in pipes)
        # what a forked worker must not keep: the command's own descriptors, and this end of
        # each pipe, whose last copy closing tells a worker that the command is gone
        ends = {end.fileno() for end, _ in ((parent, child), *pipes)}
        held = frozenset(before | ends) if forking else frozenset()
        scratch: list[str] = []
        try:
            for _ in range(forks + 1):
                scratch.append(tempfile.mkdtemp(prefix="standpunt-render-"))
            process = context.Process(
                target=_worker_main,
                args=(child, self.limits, self.pdf, siblings, self.langs, tuple(scratch), held),
                daemon=True,
                name="standpunt-render",
            )
            with _forking() if forking else contextlib.nullcontext():
                process.start()
        except BaseException:  # stopped while starting it: its folders are nobody's
            for folder in scratch:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        for end in (child, *siblings):
            end.close()
        ours = [_Worker(process, parent, scratch[0])]
        return ours + [
            _Worker(_Forked(), pipe, folder)
            for (pipe, _), folder in zip(pipes, scratch[1:], strict=True)
        ]

    def run(self, jobs: Iterable[Job], done: Callable[[JobResult], None]) -> None:
        """Run every job; ``done`` is called with each result as soon as it is in."""
        self.start()
        # Jobs are taken from the iterator only when a worker is free, so a job whose inputs
        # are still being prepared (pandoc) does not hold up the ones that are ready.
        source = iter(jobs)
        exhausted = False
        busy: dict[Connection, tuple[_Worker, Job, float]] = {}
        idle = list(self._workers)
        while not exhausted or busy:
            while idle and not exhausted:
                job = next(source, None)
                if job is None:
                    exhausted = True
                    break
                worker = self._send(idle.pop(), job)
                busy[worker.conn] = (worker, job, self._deadline(worker))
            if not busy:
                continue
            next_deadline = min(deadline for _, _, deadline in busy.values())
            ready = wait(list(busy), timeout=max(0.0, next_deadline - time.monotonic()))
            for conn in [conn for conn in busy if conn in ready]:
                worker, job, _ = busy.pop(conn)
                worker, free = self._receive(worker, job, done)
                if free:
                    idle.append(worker)
                else:  # it has only now finished starting: the job's clock starts
                    busy[worker.conn] = (worker, job, self._deadline(worker))
            idle.extend(self._stop_overdue(busy, done))

    def _send(self, worker: _Worker, job: Job) -> _Worker:
        """Hand ``job`` to ``worker`` (or to its replacement); returns the one that has it."""
        try:
            worker.conn.send(job)
        except (OSError, BrokenPipeError):
            # The worker died before its first job (it could not start): one retry.
            worker = self._replace(worker)
            try:
                worker.conn.send(job)
            except (OSError, BrokenPipeError):
                raise StandpuntError(
                    "the render worker could not start; run 'python3 -m standpunt "
                    "build --jobs 1' to see whether WeasyPrint is installed correctly",
                    code="render-crashed",
                ) from None
        return worker

    def _receive(
        self, worker: _Worker, job: Job, done: Callable[[JobResult], None]
    ) -> tuple[_Worker, bool]:
        """Take what ``worker`` says about ``job``; returns the worker concerned now (it, or
        its replacement) and whether it is free: not when it only says it is ready to start,
        nor when its replacement has the job."""
        try:
            status, _key, payload = worker.conn.recv()
        except (EOFError, OSError):
            if isinstance(worker.process, _Forked) and not worker.ready:
                # the worker that was to fork it did not (it could not start, or it could not
                # fork safely): one of its own starts, with the job it was sent
                return self._send(self._replace(worker), job), False
            worker.process.join(timeout=5)
            if worker.done == 0 and worker.process.exitcode == 1:
                # It died of an exception before rendering anything: it never started.
                message = (
                    "the render worker could not start; run 'python3 -m standpunt "
                    "build --jobs 1' from a shell to see whether WeasyPrint works"
                )
            else:
                message = (
                    "the renderer stopped while making this position (it may have run "
                    f"out of the {self.limits.memory_mb} MB memory limit)"
                )
            done(JobResult(job.key, error=StandpuntError(message, code="render-crashed")))
            return self._replace(worker), True
        if status == "ready":
            worker.ready = True
            if isinstance(worker.process, _Forked):
                worker.process.ready(payload)
            return worker, False
        worker.done += 1
        if status == "bug":
            what, trace = payload
            raise WorkerBug(f"{what} (in a render worker)") from WorkerTraceback(trace)
        if status == "ok":
            data, notices, logged = payload
            self._relay(logged)
            done(JobResult(job.key, data=data, notices=tuple(notices), logged=tuple(logged)))
        else:
            message, location, code = payload
            done(JobResult(job.key, error=StandpuntError(message, location, code)))
        return worker, True

    def _relay(self, logged: list[tuple[str, str]]) -> None:
        """A worker's warnings, to this process's log under their own logger's name, each once
        (a template's CSS is the same for every position): the command line says Standpunt's,
        and WeasyPrint's with --verbose."""
        for name, message in logged:
            if (name, message) not in self._relayed:
                self._relayed.add((name, message))
                logging.getLogger(name).warning("%s", message)

    def _stop_overdue(
        self, busy: dict[Connection, tuple[_Worker, Job, float]], done: Callable[[JobResult], None]
    ) -> list[_Worker]:
        """Stop the jobs past their time limit; returns the fresh workers that replace theirs."""
        now = time.monotonic()
        fresh = []
        for conn, (worker, job, deadline) in list(busy.items()):
            if deadline <= now:
                del busy[conn]
                done(
                    JobResult(
                        job.key,
                        error=StandpuntError(
                            f"rendering took longer than {self.limits.seconds:g} seconds "
                            "and was stopped; the position is too long or its template loops",
                            code="time-limit",
                        ),
                    )
                )
                fresh.append(self._replace(worker))
        return fresh

    def _deadline(self, worker: _Worker) -> float:
        """When a job sent now must be done: its time limit, counted from the worker's start-up
        only once the worker is ready (until then, a generous allowance for starting)."""
        return time.monotonic() + self.limits.seconds + (0 if worker.ready else STARTUP_SECONDS)

    def _replace(self, worker: _Worker) -> _Worker:
        worker.kill()
        (fresh,) = self._spawn()
        self._workers[self._workers.index(worker)] = fresh
        return fresh

    def close(self) -> None:
        """Stop every worker: the forked ones, then those that forked them, each group told at
        once and given the same few seconds to end before it is killed (a command stopped while
        many render waits that long, not that long for each)."""
        forked = [w for w in self._workers if isinstance(w.process, _Forked)]
        # the forked workers first, while the worker that forked them lives to reap them
        for group in (forked, [w for w in self._workers if w not in forked]):
            for worker in group:
                worker.ask_to_stop()
            deadline = time.monotonic() + STOP_SECONDS
            for worker in group:
                worker.stop(max(0.0, deadline - time.monotonic()))
        self._workers.clear()


class _Forked:
    """A worker that another worker forked: no child of this process, so it is known by the
    process id it reports once ready, held as a pidfd (Linux) while it still runs: signalled
    and watched through it, never through a number the system may have given another process
    since it ended."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self._handle: int | None = None
        #: Unknown: only its parent, the worker that forked it, learns how it ended.
        self.exitcode: int | None = None

    def ready(self, pid: int) -> None:
        """It says it is ready (so it runs): hold it by ``pid``."""
        self.pid = pid
        with contextlib.suppress(OSError):
            self._handle = os.pidfd_open(pid)

    def kill(self) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self._handle, signal.SIGKILL)

    def join(self, timeout: float | None = None) -> None:
        if self._handle is not None and wait([self._handle], timeout):
            os.close(self._handle)
            self._handle = None

    def is_alive(self) -> bool:
        return self._handle is not None and not wait([self._handle], 0)


@dataclass(eq=False)
class _Worker:
    process: BaseProcess | _Forked
    conn: Connection
    #: The folder of its temporary files, removed once it has ended.
    scratch: str
    done: int = 0
    ready: bool = False

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()
        self._clear()

    def ask_to_stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.send(None)

    def stop(self, seconds: float = STOP_SECONDS) -> None:
        """End it: told to stop (:meth:`ask_to_stop`) and given ``seconds``, else killed."""
        self.ask_to_stop()
        self.process.join(timeout=seconds)
        if self.process.is_alive():
            self.kill()
        else:
            self.conn.close()
            self._clear()

    def _clear(self) -> None:
        import shutil

        shutil.rmtree(self.scratch, ignore_errors=True)


class Renderer(Protocol):
    """What a build needs of its render workers: a :class:`Pool`, or anything that renders the
    same jobs the same way (the benchmark's page capture, the tests' in-process pool)."""

    def start(self) -> None: ...

    def run(self, jobs: Iterable[Job], done: Callable[[JobResult], None]) -> None: ...


#: Where a build gets its render workers: called with the limits they must run under and the
#: number of jobs to come, it gives a context in which started workers render them.
WorkersFor = Callable[[Limits, int], contextlib.AbstractContextManager[Renderer]]


def default_jobs() -> int:
    """As many workers as the machine has cores."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


__all__ = [
    "Job",
    "JobResult",
    "Pool",
    "Renderer",
    "WorkerBug",
    "WorkersFor",
    "default_jobs",
    "run_job",
]
