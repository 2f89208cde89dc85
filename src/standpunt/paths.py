"""The one rule for reading a workspace's files: regular files whose real path is inside.

A link that leads out of the workspace, a dangling link, a device or a FIFO is never read —
not for a position, not for a template, not even to hash it for change detection.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path


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
