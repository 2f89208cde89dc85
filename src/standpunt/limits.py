"""What rendering one position may cost, declared once: each limit, its default and its bounds.

standpunt.yaml sets them under ``limits:``. The schema validates them with the bounds declared
here (pydantic reads each field's ``gt``/``ge``/``le`` metadata), the build reads them from the
raw file before the schema is imported (:func:`read_limits`), and the render workers run under
them. Nothing here imports more than the standard library, so that early read stays fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import Field, dataclass, field, fields
from typing import Any

__all__ = ["Limits", "limit_range", "read_limits", "valid_limits"]


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
