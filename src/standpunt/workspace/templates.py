"""Which template a workspace uses: the folders its pages are looked up in, most specific first.

Known before anything is rendered, so that ``check`` reports a template that cannot be used at
its line in standpunt.yaml, and the build can hash every file that shapes an output.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from standpunt.errors import StandpuntError
from standpunt.workspace.paths import BUILTIN_TEMPLATES, TEMPLATES_DIR, inside

if TYPE_CHECKING:  # render workers use TemplateSet; they never import the schema
    from standpunt.workspace.read import Workspace


@dataclass(frozen=True)
class TemplateSet:
    """The folders a template is looked up in, most specific first."""

    name: str
    folders: tuple[Path, ...]

    def files(self) -> list[Path]:
        """Every file that can shape the output (for rebuild decisions)."""
        return sorted(p for folder in self.folders for p in folder.rglob("*") if p.is_file())


def template_set(workspace: Workspace) -> TemplateSet:
    """The template standpunt.yaml names: the workspace's own folder under templates/ (over the
    built-in one), or the built-in template; an error at the setting when it cannot be used."""
    name = workspace.config.template
    where = workspace.setting_location("template")
    builtin = BUILTIN_TEMPLATES / "default"
    if name == "default" and not (workspace.root / TEMPLATES_DIR / name).is_dir():
        return TemplateSet(name, (builtin,))
    own = workspace.root / TEMPLATES_DIR / name
    if own.is_dir() and not inside(own, [workspace.root]):
        raise StandpuntError(
            f"template folder '{TEMPLATES_DIR}/{name}' is a link to a folder outside the "
            "workspace; Standpunt uses only templates inside the workspace",
            where,
            "outside-workspace",
        )
    if not own.is_dir() or "/" in name or name.startswith("."):
        raise StandpuntError(
            f"template '{name}' was not found: create the folder {TEMPLATES_DIR}/{name}/ "
            "or set 'template: default' in standpunt.yaml",
            where,
            "unknown-template",
        )
    return TemplateSet(name, (own, builtin))
