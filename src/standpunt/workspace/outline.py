"""What a command needs to know of a workspace before it starts, read from the raw files.

Every command runs under the limits standpunt.yaml sets (its processor time by the number of
positions: :func:`standpunt.limits.main_process_limits`), and a build starts its render workers
and its pandoc before the workspace is read and checked. So the limits, the number of position
files, the further evidence folders, the style and the language are read here, without the
schema's models and without anything a build imports (invalid values are left for the check).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from standpunt.errors import StandpuntError
from standpunt.limits import Limits, read_limits, valid_limits
from standpunt.workspace.load import load_yaml
from standpunt.workspace.paths import (
    CONFIG_FILE,
    POSITIONS_DIR,
    YAML_SUFFIXES,
    count_files,
    inside,
)

__all__ = ["Outline", "outline"]


@dataclass
class Outline:
    """What a build needs to know before the schema is imported: read from the raw files."""

    evidence_folders: list[Path]
    #: The render limits (the defaults where standpunt.yaml's are missing or invalid).
    limits: Limits
    positions: int
    #: Whether standpunt.yaml's limits are all valid (else no worker may start before the
    #: check has said where and why).
    limits_valid: bool = True
    #: The citation style and the language standpunt.yaml names, as written (None: not text),
    #: for the build's pandoc to make that style ready before the check has read them.
    style: str | None = None
    lang: str | None = None


def outline(root: Path) -> Outline:
    """The further evidence folders, the render limits and the number of position files,
    read without the schema machinery (invalid values are left for the real check)."""
    try:
        config = load_yaml(root / CONFIG_FILE, CONFIG_FILE, [root])
    except StandpuntError:
        config = None
    config = config if isinstance(config, dict) else {}
    listed = config.get("evidence")
    folders = []
    for name in listed if isinstance(listed, list) else []:
        folder = root / str(name)
        # Outside the workspace (by a link, '..' or an absolute path): never walked, not even
        # to hash it; the check refuses it at its line.
        if inside(folder, [root]) and folder.is_dir():
            folders.append(folder)
    limits = read_limits(config.get("limits"))
    positions = count_files(root / POSITIONS_DIR, YAML_SUFFIXES, hidden=True)
    valid = valid_limits(config.get("limits"))
    style, lang = config.get("style"), config.get("lang")
    return Outline(
        folders,
        limits,
        positions,
        valid,
        style if isinstance(style, str) else None,
        lang if isinstance(lang, str) else None,
    )
