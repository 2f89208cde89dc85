"""What rendering one position may cost, declared once: each limit, its default and its bounds.

standpunt.yaml sets them under ``limits:``. The schema validates them with the bounds declared
here (pydantic reads each field's ``gt``/``ge``/``le`` metadata), the build reads them from the
raw file before the schema is imported (:func:`read_limits`), and the render workers run under
them. Nothing here imports more than the standard library and :mod:`standpunt.errors`, so that
early read stays fast. The main process runs each command under the same kind of limits
(:func:`main_process_limits`).
"""

from __future__ import annotations

import math
import os
import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import Field, dataclass, field, fields
from typing import Any

from standpunt.errors import StandpuntError

__all__ = ["Limits", "limit_range", "main_process_limits", "read_limits", "valid_limits"]


def _limit(default: float, **bounds: float) -> Any:
    """A limit's default and its bounds, named as pydantic names them (``gt``, ``ge``, ``le``)."""
    return field(default=default, metadata=bounds)


@dataclass(frozen=True)
class Limits:
    """What one position may cost, so that no file can exhaust the machine.

    ``seconds``: the wall-clock time to render it; ``memory_mb``: the memory of the worker that
    renders it; ``pages``: the pages its PDF may have.
    """

    seconds: float = _limit(120.0, gt=0, le=3600)
    memory_mb: int = _limit(2048, ge=256, le=65536)
    pages: int = _limit(500, ge=1, le=100_000)


def read_limits(written: object) -> Limits:
    """The limits a raw ``limits:`` mapping sets, read without the schema.

    A value that is not a number within its bounds keeps its default: ``check`` reports it, and
    until then the limits stay ones a worker can run under.
    """
    if not isinstance(written, dict):
        return Limits()
    chosen: dict[str, Any] = {}
    for limit in fields(Limits):
        number = _number(written.get(limit.name), limit)
        if number is not None and _within(number, limit.metadata):
            chosen[limit.name] = number
    return Limits(**chosen)


#: What each limit counts, for messages.
_UNITS = {"seconds": "seconds", "memory_mb": "MB", "pages": "pages"}


def limit_range(name: str) -> str | None:
    """What the limit ``name`` may be, in words (its bounds and default); None if no limit."""
    limit = next((f for f in fields(Limits) if f.name == name), None)
    if limit is None:
        return None
    bounds, kind = (
        limit.metadata,
        "a number" if isinstance(limit.default, float) else "a whole number",
    )
    low = f"more than {bounds['gt']:g}" if "gt" in bounds else f"from {bounds['ge']:g}"
    return (
        f"{kind} of {_UNITS.get(name, name)} {low} to {bounds['le']:g} "
        f"(leave it out for the default, {limit.default:g})"
    )


def valid_limits(written: object) -> bool:
    """Whether a raw ``limits:`` mapping sets only limits, each a number within its bounds:
    when not, nothing may start before the real check has said where and why."""
    if written is None:
        return True
    if not isinstance(written, dict):
        return False
    declared = {limit.name: limit for limit in fields(Limits)}
    for key, value in written.items():
        limit = declared.get(str(key))
        number = _number(value, limit) if limit is not None else None
        if number is None or limit is None or not _within(number, limit.metadata):
            return False
    return True


def _number(value: object, limit: Field[Any]) -> float | None:
    """The number ``value`` writes, of the limit's kind; None if it writes none."""
    kind = float if isinstance(limit.default, float) else int
    try:
        return kind(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def _within(number: float, bounds: Mapping[str, float]) -> bool:
    # Written so that NaN, which compares false with everything, is never within.
    return (
        ("gt" not in bounds or number > bounds["gt"])
        and ("ge" not in bounds or number >= bounds["ge"])
        and ("le" not in bounds or number <= bounds["le"])
    )


#: Room the main process has beyond one worker's memory: its threads that run pandoc.
MAIN_EXTRA_MB = 512


@contextmanager
def main_process_limits(limits: Limits, positions: int, timed: bool = True) -> Iterator[None]:
    """Run a command's own work (reading, checking, comparing the files of a partner) under
    the kind of limits a render worker runs under.

    Memory: the process may grow by ``memory_mb`` (plus :data:`MAIN_EXTRA_MB` for its pandoc
    threads) from what it holds now (``RLIMIT_AS``, soft, so the render workers and pandoc
    set their own). Time: ``seconds`` of processor time per position, and one more
    (``RLIMIT_CPU``, whole seconds); past it the command stops with a clear error.
    ``timed=False`` (the preview, which runs until stopped) bounds memory only. The limits
    the process had before are restored afterwards.
    """
    try:
        import resource
    except ImportError:  # pragma: no cover - a platform without rlimits
        yield
        return
    grow = (limits.memory_mb + MAIN_EXTRA_MB) * 1024 * 1024
    budget = limits.seconds * (positions + 1)
    held = _address_space()  # unknown (no /proc): the cap would be a guess, so none is set
    if held:
        _few_malloc_arenas()
    saved = _set_soft(resource.RLIMIT_AS, held + grow) if held else None
    saved_cpu, handler = None, None
    if timed and threading.current_thread() is threading.main_thread():
        used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        handler = signal.signal(signal.SIGXCPU, _out_of_time)
        saved_cpu = _set_soft(resource.RLIMIT_CPU, math.ceil(used + budget))
        if saved_cpu is None:  # a stricter limit was set before: its own signal stays
            signal.signal(signal.SIGXCPU, handler)
    try:
        yield
    except _OutOfTime:
        raise StandpuntError(
            f"this took more than {budget:g} seconds of processor time (the 'limits: seconds:' "
            "of standpunt.yaml for each position) and was stopped; a file may be far larger "
            "or more tangled than it should be",
            code="time-limit",
        ) from None
    except MemoryError:
        raise StandpuntError(
            f"this needed more than the {limits.memory_mb} MB memory limit (and "
            f"{MAIN_EXTRA_MB} MB for pandoc's threads); a file may be far larger than it "
            "should be, or raise 'limits: memory_mb:' in standpunt.yaml",
            code="memory-limit",
        ) from None
    finally:
        if saved_cpu is not None:
            signal.signal(signal.SIGXCPU, signal.SIG_IGN)  # none may come in between
            resource.setrlimit(resource.RLIMIT_CPU, saved_cpu)
            signal.signal(signal.SIGXCPU, handler)
        if saved is not None:
            resource.setrlimit(resource.RLIMIT_AS, saved)


#: glibc's mallopt() setting for the most malloc arenas a process makes.
_M_ARENA_MAX = -8


def _few_malloc_arenas() -> None:
    """At most two malloc arenas for this process (glibc; elsewhere nothing changes).

    glibc gives each new thread an arena of its own, up to eight per core, each reserving
    64 MB of address space that it does not use. Under the address-space cap a build's few
    threads (pandoc's, the citations', the version stamps') so used up a cap of 256 MB
    without using the memory: "can't start new thread". Threads that wait for pandoc or hold
    Python's lock gain nothing from arenas of their own.
    """
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 2)
    except (ImportError, OSError, AttributeError):  # pragma: no cover - not glibc
        pass


def _set_soft(which: int, soft: int) -> tuple[int, int] | None:
    """Lower the soft limit ``which`` to ``soft`` (never above the hard limit); the limits
    before, or None when they cannot be set."""
    import resource

    before = resource.getrlimit(which)
    hard = before[1]
    wanted = soft if hard == resource.RLIM_INFINITY else min(soft, hard)
    if before[0] != resource.RLIM_INFINITY and before[0] <= wanted:
        return None  # already as strict
    try:
        resource.setrlimit(which, (wanted, hard))
    except (ValueError, OSError):  # pragma: no cover - not allowed here
        return None
    return before


def _address_space() -> int:
    """The bytes of address space the process holds now (``VmSize``); 0 if unknown."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class _OutOfTime(BaseException):
    """Raised by the processor-time signal: no ``except Exception`` on the way (such as the
    one that turns a file's problem into a diagnostic) may take it for a problem of a file."""


def _out_of_time(signum: int, frame: object) -> None:
    signal.signal(signal.SIGXCPU, signal.SIG_IGN)  # the kernel repeats it every second
    raise _OutOfTime
