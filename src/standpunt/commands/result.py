"""What every command returns: the problems in the user's files that it found on the way."""

from __future__ import annotations

from dataclasses import dataclass, field

from standpunt.errors import Diagnostic


@dataclass(kw_only=True)
class Result:
    """What a command did, for the command line to print.

    ``problems`` are printed as ``path:line:col: error: message [code]`` lines; an error among
    them makes the command end with exit code 1 (warnings do not).
    """

    problems: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.problems if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.problems if d.severity == "warning"]
