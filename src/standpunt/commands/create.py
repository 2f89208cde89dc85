"""``standpunt init`` and ``standpunt new``: a workspace, a position, from the worked example."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from standpunt.commands.result import Result
from standpunt.workspace.ci import WORKFLOW_FILES, workflow
from standpunt.workspace.read import load_config
from standpunt.workspace.scaffold import init_workspace, new_position


@dataclass
class Created(Result):
    """The files written, as the user sees them."""

    files: list[str]


def init(directory: Path, ci: str | None = None, lang: str | None = None) -> Created:
    """A new workspace with a worked example in ``directory``, and a workflow for the CI
    platform ``ci`` if one is named; its positions are written in ``lang`` (a BCP 47 tag;
    English when None). Never touches an existing workspace."""
    extra = {WORKFLOW_FILES[ci]: workflow(ci, 1)} if ci else {}
    return Created(files=init_workspace(directory, extra, lang))


def new(root: Path, title: str, position_id: str | None = None) -> Created:
    """positions/<id>.yaml from the skeleton, in the workspace's language; never overwrites."""
    config, _ = load_config(root)
    path = new_position(root, title, config.lang, position_id)
    return Created(files=[path.relative_to(root).as_posix()])
