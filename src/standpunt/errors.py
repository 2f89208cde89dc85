"""One exception tree and one diagnostic shape for everything Standpunt reports.

Libraries never print: they raise a :class:`StandpuntError` (one problem that stops the
current step) or collect :class:`Diagnostic` objects (many problems, reported together).
The command line turns both into ``path:line:col: error: message [code]`` and an exit code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


_LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x85\u2028\u2029]")


@dataclass(frozen=True, order=True)
class Location:
    """Where a value was written: a path as the user sees it, and 1-based line and column."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        # A file's name may hold a line break: shown escaped, it cannot start a line of its own
        # that reads as another problem.
        path = _LINE_BREAKS.sub(lambda found: ascii(found.group())[1:-1], self.path)
        if self.line <= 0:
            return path
        if self.col <= 0:
            return f"{path}:{self.line}"
        return f"{path}:{self.line}:{self.col}"


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


#: A word longer than this gets no did-you-mean: no key, field or name is that long, and
#: comparing two texts costs the product of their lengths.
MAX_SUGGESTED_LENGTH = 200
#: How many comparisons of a word with a candidate one :class:`Suggestions` may make.
SUGGESTION_BUDGET = 50_000


def closest(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate most like ``word`` (difflib's ratio at least ``cutoff``), or None.

    The work is linear in the number of candidates: a long word, and candidates whose length
    alone rules them out, are not compared. A caller that asks for many words from one set of
    candidates asks through :class:`Suggestions`, which bounds how many are compared.
    """
    size = len(word)
    if size > MAX_SUGGESTED_LENGTH:
        return None
    # difflib's ratio is at most 2·min/(sum of the lengths): below the cutoff, never a match.
    near = [
        c
        for c in candidates
        if len(c) <= MAX_SUGGESTED_LENGTH and 2 * min(size, len(c)) >= cutoff * (size + len(c))
    ]
    import difflib  # imported when a suggestion is wanted, not by every command

    close = difflib.get_close_matches(word, near, n=1, cutoff=cutoff)
    return close[0] if close else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest candidate, or an empty string."""
    known = list(candidates)
    close = closest(word, known)
    if close is None:
        close = closest(word.lower(), known)
    return f" (did you mean '{close}'?)" if close is not None else ""


@dataclass
class Suggestions:
    """Did-you-mean hints for many words, bounded: each different word costs a comparison
    with every candidate, and once :data:`SUGGESTION_BUDGET` comparisons are spent the rest
    of the words are only counted (thousands of unknown keys against thousands of known ones
    would otherwise take minutes); :meth:`note` then says how many got no hint."""

    what: str
    budget: int = SUGGESTION_BUDGET
    hints: dict[str, str] = field(default_factory=dict)
    withheld: set[str] = field(default_factory=set)

    def hint(self, word: str, make: Callable[[], str], cost: int) -> str:
        """The hint for ``word``, made by ``make`` (which compares ``word`` with ``cost``
        candidates) while the budget lasts; else empty."""
        if word in self.hints:
            return self.hints[word]
        if cost > self.budget:
            self.withheld.add(word)
            return ""
        self.budget -= max(cost, 1)
        self.hints[word] = made = make()
        return made

    def note(self) -> Diagnostic | None:
        """A warning that says how many words got no hint, or None."""
        if not self.withheld:
            return None
        count, given = len(self.withheld), len(self.hints)
        return Diagnostic(
            "warning",
            f"and {count} more unknown {self.what}{'' if count == 1 else 's'}, reported without "
            f"a 'did you mean': suggestions stop after the first {given}",
            "suggestions-stopped",
        )
