"""``standpunt list``: the positions of a workspace, one row each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from standpunt.commands.result import Result
from standpunt.workspace.read import open_workspace


@dataclass(frozen=True)
class Row:
    """One position as listed; ``title`` is None when the file has errors."""

    id: str
    title: str | None
    status: str = ""
    date: str = ""
    signatories: tuple[str, ...] = ()


@dataclass
class Positions(Result):
    """Every position, by id."""

    rows: list[Row]


def list_positions(root: Path) -> Positions:
    """The positions of the workspace at ``root``: id, title, status, date and signatories."""
    workspace = open_workspace(root)
    rows = []
    for pid, position in sorted(workspace.positions.items()):
        model = position.model
        if model is None:
            rows.append(Row(pid, None))
            continue
        date = model.date.isoformat() if model.date else ""
        rows.append(Row(pid, model.title, model.status, date, tuple(model.signatories)))
    return Positions(rows=rows)
