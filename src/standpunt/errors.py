"""One exception tree and one diagnostic shape for everything Standpunt reports.

Libraries never print: they raise a :class:`StandpuntError` (one problem that stops the
current step) or collect :class:`Diagnostic` objects (many problems, reported together).
The command line turns both into ``path:line:col: error: message [code]`` and an exit code.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Location:
    """Where a value was written: a path as the user sees it, and 1-based line and column."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.path
        if self.col <= 0:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the user's files."""

    severity: Severity
    message: str
    code: str
    location: Location | None = None

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity}: {self.message} [{self.code}]"

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location or Location("")
        return (loc.path, loc.line, loc.col, self.message)

    def as_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "path": loc.path if loc else None,
            "line": loc.line if loc else None,
            "col": loc.col if loc else None,
            "severity": self.severity,
            "message": self.message,
            "code": self.code,
        }


class StandpuntError(Exception):
    """A problem Standpunt explains to its user; never shown as a traceback.

    How the command then ends (exit code 1, or 2 for a :class:`UsageError`) is decided by the
    command line's exit table, :func:`standpunt.cli.exit_code`.
    """

    def __init__(self, message: str, location: Location | None = None, code: str = "error"):
        super().__init__(message)
        self.message = message
        self.location = location
        self.code = code

    def diagnostic(self) -> Diagnostic:
        return Diagnostic("error", self.message, self.code, self.location)

    def __str__(self) -> str:
        return str(self.diagnostic())


class UsageError(StandpuntError):
    """The command was called the wrong way (exit code 2)."""


class ContentErrors(StandpuntError):
    """Several content problems at once, e.g. everything ``check`` found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = sorted(diagnostics, key=Diagnostic.sort_key)
        first = self.diagnostics[0] if self.diagnostics else None
        super().__init__(
            first.message if first else "problems found",
            first.location if first else None,
            first.code if first else "error",
        )


@dataclass
class Problems:
    """Collects every diagnostic of a run (manubot's error counter), then reports them sorted."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, message: str, location: Location | None, code: str) -> None:
        self.items.append(Diagnostic("error", message, code, location))

    def warning(self, message: str, location: Location | None, code: str) -> None:
        self.items.append(Diagnostic("warning", message, code, location))

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def extend(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.items.extend(diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=Diagnostic.sort_key)

    def errors_at(self, path: str) -> list[Diagnostic]:
        return [d for d in self.errors if d.location and d.location.path == path]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(word.lower(), list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
