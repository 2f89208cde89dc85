"""``standpunt check``: every problem of every file, in one run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from standpunt.checks.check import check_workspace
from standpunt.commands.result import Result
from standpunt.workspace.read import open_workspace, select


@dataclass
class Checked(Result):
    """The problems, sorted by file and line, and how much was checked: the positions asked
    for (all by default), and every evidence item (evidence is always checked whole)."""

    positions: int
    evidence: int


def check(root: Path, ids: list[str] | None = None) -> Checked:
    """Read and check the workspace at ``root``, or only the positions ``ids`` of it."""
    workspace = open_workspace(root)
    chosen = select(workspace, ids)
    report = check_workspace(workspace, chosen if ids else None)
    return Checked(
        problems=report.problems.sorted(),
        positions=len(chosen),
        evidence=len(workspace.evidence),
    )
