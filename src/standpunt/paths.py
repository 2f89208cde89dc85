"""The one rule for reading a workspace's files: regular files whose real path is inside.

A link that leads out of the workspace, a dangling link, a device or a FIFO is never read —
not for a position, not for a template, not even to hash it for change detection.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from .errors import UsageError

#: The file that makes a folder a workspace.
CONFIG_FILE = "standpunt.yaml"


def inside(path: Path, roots: Iterable[Path]) -> bool:
    """Whether ``path``'s real location (links resolved) is inside one of ``roots``."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return any(real.is_relative_to(root.resolve()) for root in roots)


def readable_file(path: Path, roots: Iterable[Path]) -> bool:
    """Whether ``path`` is a regular file, really inside one of ``roots``."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) and inside(path, roots)


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` that holds standpunt.yaml."""
    here = (start or Path.cwd()).resolve()
    if start is not None and not here.is_dir():
        raise UsageError(f"'{start}' is not a folder", code="no-workspace")
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise UsageError(
        f"no {CONFIG_FILE} found in '{here}' or any folder above it; run the command inside "
        "a workspace, give one with 'standpunt -C FOLDER …', or create one with 'standpunt init'",
        code="no-workspace",
    )
