"""What rendering one position may cost, declared once: each limit, its default and its bounds.

standpunt.yaml sets them under ``limits:``. The schema validates them with the bounds declared
here (pydantic reads each field's ``gt``/``ge``/``le`` metadata), the build reads them from the
raw file before the schema is imported (:func:`read_limits`), and the render workers run under
them. Nothing here imports more than the standard library, so that early read stays fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = ["Limits", "read_limits"]


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
        value = written.get(limit.name)
        kind = float if isinstance(limit.default, float) else int
        try:
            number = kind(str(value).strip()) if value is not None else None
        except ValueError:
            continue
        if number is not None and _within(number, limit.metadata):
            chosen[limit.name] = number
    return Limits(**chosen)


def _within(number: float, bounds: Mapping[str, float]) -> bool:
    # Written so that NaN, which compares false with everything, is never within.
    return (
        ("gt" not in bounds or number > bounds["gt"])
        and ("ge" not in bounds or number >= bounds["ge"])
        and ("le" not in bounds or number <= bounds["le"])
    )
