"""``standpunt import``: a position and its evidence taken out of a Standpunt PDF."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from standpunt.coalition.share import import_position
from standpunt.commands.result import Result
from standpunt.workspace.read import open_workspace


@dataclass
class Imported(Result):
    """The files written (the position first), and the signatories the position names that are
    not partners in this workspace's standpunt.yaml."""

    files: list[str]
    strangers: list[str]


def import_pdf(root: Path, pdf: Path, new_id: str | None = None) -> Imported:
    """Add the position and evidence carried inside ``pdf`` to the workspace at ``root``."""
    workspace = open_workspace(root)
    written, strangers = import_position(workspace, pdf, new_id)
    return Imported(files=[workspace.display(path) for path in written], strangers=strangers)
