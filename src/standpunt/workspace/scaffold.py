"""New workspaces and new positions, from the files in ``standpunt/example``."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import unicodedata
from pathlib import Path

from standpunt.errors import StandpuntError, UsageError
from standpunt.workspace.files import write_atomic
from standpunt.workspace.paths import (
    CONFIG_FILE,
    MAX_ID_LENGTH,
    POSITIONS_DIR,
    YAML_SUFFIXES,
    valid_id,
)

EXAMPLE = Path(__file__).parent.parent / "example"
SKELETON = EXAMPLE / "new-position.yaml"


def init_workspace(directory: Path) -> list[str]:
    """Copy the worked example into ``directory``; refuses to touch an existing workspace."""
    if (directory / CONFIG_FILE).exists():
        raise UsageError(
            f"'{directory}' already holds a workspace ({CONFIG_FILE}); nothing was changed",
            code="exists",
        )
    created = []
    for source in sorted(EXAMPLE.rglob("*")):
        relative = source.relative_to(EXAMPLE)
        if source.is_dir() or source == SKELETON or "__pycache__" in relative.parts:
            continue
        name = ".gitignore" if relative.as_posix() == "gitignore" else relative.as_posix()
        target = directory / name
        if target.exists():
            raise UsageError(f"'{target}' exists already; nothing more was changed", code="exists")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        created.append(target.as_posix())
    return created


def slug(title: str) -> str:
    """A position id from a title: lower-case ASCII words joined by '-', at most as long as an
    id may be."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:MAX_ID_LENGTH].rstrip("-")


def new_position(root: Path, title: str, lang: str, position_id: str | None = None) -> Path:
    """positions/<id>.yaml from the skeleton; never overwrites."""
    if not title.strip():
        raise UsageError("give the new position a title", code="usage")
    pid = position_id or slug(title)
    if not valid_id(pid):
        raise UsageError(
            f"'{pid}' cannot be a position id: use lower-case letters, digits and '-' "
            "(give one with --id)",
            code="invalid-id",
        )
    folder = root / POSITIONS_DIR
    folder.mkdir(exist_ok=True)
    target = folder / f"{pid}.yaml"
    if any((folder / f"{pid}{suffix}").exists() for suffix in YAML_SUFFIXES):
        raise StandpuntError(
            f"{POSITIONS_DIR}/{pid}.yaml exists already; choose another title or --id",
            code="exists",
        )
    text = SKELETON.read_text(encoding="utf-8")
    # The placeholders sit inside double quotes, so the skeleton is valid YAML before filling.
    escaped = title.replace("\\", "\\\\").replace('"', '\\"')
    filled = (
        text.replace("{{ title }}", escaped)
        .replace("{{ date }}", dt.date.today().isoformat())
        .replace("{{ lang }}", lang)
    )
    write_atomic(target, filled.encode("utf-8"))
    return target
