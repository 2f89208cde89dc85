"""What a build tells its caller: what became of each position, and the problems it found.

Light on purpose: the ``build`` command and the preview read it without importing the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from standpunt.errors import Diagnostic


@dataclass
class Outcome:
    """What became of one position: the outputs written, those already current, or its error."""

    id: str
    written: list[Path] = field(default_factory=list)
    current: list[Path] = field(default_factory=list)
    error: Diagnostic | None = None
    #: What its render had to say about outputs it made (a note the layout moved), as warnings.
    warnings: list[Diagnostic] = field(default_factory=list)


class Progress(Protocol):
    """Told how many positions will be built, then of each one as it is done."""

    def start(self, total: int) -> None: ...

    def done(self, position_id: str, outcome: Outcome) -> None: ...


@dataclass
class BuildReport:
    """What a build did, as the ``build`` command prints it."""

    #: One per chosen position whose file has no errors, in order.
    outcomes: list[Outcome] = field(default_factory=list)
    #: How many chosen positions were not built because of errors in their files.
    skipped: int = 0
    #: What reading and checking the workspace found, sorted by file and line (a position that
    #: failed to build carries its own error).
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Nothing changed since the last complete, clean build, so the build stopped at once.
    nothing_to_build: bool = False
    #: Outputs of positions that are gone, removed from build/.
    removed: list[Path] = field(default_factory=list)

    @property
    def built(self) -> list[Outcome]:
        """The positions with an output made this time."""
        return [o for o in self.outcomes if o.error is None and (o.written or not o.current)]

    @property
    def current(self) -> list[Outcome]:
        """The positions whose every output was current already."""
        return [o for o in self.outcomes if o.error is None and o.current and not o.written]

    @property
    def failed(self) -> list[Outcome]:
        """The positions that could not be built."""
        return [o for o in self.outcomes if o.error is not None]

    @property
    def ok(self) -> bool:
        """Whether every position was built or current and no error was found anywhere."""
        return not self.failed and not any(d.severity == "error" for d in self.diagnostics)
