"""``standpunt schema`` and ``standpunt ci``: the files that make a workspace at home in an
editor and on a CI platform."""

from __future__ import annotations

from pathlib import Path

from standpunt.commands.create import Created
from standpunt.workspace.ci import default_shards, write_workflow
from standpunt.workspace.editor_schema import schema_texts
from standpunt.workspace.files import write_atomic, write_inside
from standpunt.workspace.paths import position_ids


def schema(folder: Path, root: Path | None = None) -> Created:
    """The JSON Schemas of standpunt.yaml, positions and evidence, written into ``folder``
    (replacing older ones: they are made from this version's models). A folder in the
    workspace at ``root`` is written under the path rule: no link on the way out of it."""
    written = []
    for name, data in schema_texts().items():
        if root is not None:
            write_inside(root, folder / name, data)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            write_atomic(folder / name, data)
        written.append((folder / name).as_posix())
    return Created(files=written)


def ci(root: Path, platform: str, shards: int | None, install: str | None) -> Created:
    """A workflow for ``platform`` in the workspace at ``root``; never overwrites one."""
    if shards is None:
        shards = default_shards(len(position_ids(root)))
    path = write_workflow(root, platform, shards, install)
    return Created(files=[path.relative_to(root).as_posix()])
