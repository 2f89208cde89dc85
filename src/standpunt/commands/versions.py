"""``standpunt history`` and ``standpunt diff``: a position's versions in git, and what changed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from standpunt.build.diff import RedlineText, redline_between
from standpunt.coalition.signed_text import signed_revision
from standpunt.commands.result import Result
from standpunt.errors import UsageError
from standpunt.versions.history import Version
from standpunt.versions.history import history as read_history
from standpunt.workspace.read import Workspace, open_positions, open_workspace, select


@dataclass
class History(Result):
    """Every commit that changed a position, newest first (none: never committed)."""

    position: str
    versions: list[Version]


@dataclass
class RedlineShown(Result):
    """A redline as text, to print."""

    text: str


@dataclass
class RedlineWritten(Result):
    """A redline written to a file, named as the user sees it."""

    file: str


def _no_evidence(_: Workspace) -> set[str]:
    """A position's history needs none of the evidence (its folders are still checked)."""
    return set()


def history(root: Path, position: str) -> History:
    """The versions of ``position`` in git."""
    workspace = open_positions(root, [position], _no_evidence)
    (pid,) = select(workspace, [position])
    return History(
        position=pid, versions=read_history(workspace.root, workspace.positions[pid].path)
    )


def diff(
    root: Path,
    position: str,
    rev_a: str | None,
    rev_b: str | None,
    output_format: str,
    color: bool = False,
    signed_by: str | None = None,
) -> RedlineShown | RedlineWritten:
    """A redline of ``position`` from ``rev_a`` (None: the previous version) to ``rev_b`` (None:
    the working tree): text in colour when ``color``, or a file in build/ for html and pdf.
    ``signed_by`` starts from the revision whose text that partner signed."""
    workspace = open_workspace(root)
    if signed_by is not None:
        if rev_b is not None:
            raise UsageError(
                "--signed-by chooses the older revision itself; give at most one revision, the "
                "newer one (default: your working copy)",
                code="usage",
            )
        rev_a, rev_b = signed_revision(workspace, position, signed_by), rev_a
    redline = redline_between(workspace, position, rev_a, rev_b, output_format, color=color)
    if isinstance(redline, RedlineText):
        return RedlineShown(text=redline.text)
    return RedlineWritten(file=workspace.display(redline.path))
