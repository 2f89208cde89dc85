"""Step 1 of a build: plan the outputs, before anything is made.

Each buildable position gets one output per format asked for, at its path in build/, with the hash
of everything the output is made from: the tools, settings, template and style every output
shares, the position's file, the evidence it cites, its signatures, its version and fingerprint,
the options and the medium. An output that build/ holds from exactly these inputs (the build state
says so) is current and is not made again.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standpunt.buildstate.state import (
    BuildOptions,
    BuildState,
    digest,
    file_digest,
    files_digest,
    tool_versions,
)
from standpunt.checks.check import CheckReport
from standpunt.choices import OUTPUTS, Medium
from standpunt.cite.citeproc import Style, resolve_style
from standpunt.coalition.fingerprint import workspace_fingerprints
from standpunt.coalition.signatures import Signature
from standpunt.versions.history import Stamp, stamps
from standpunt.workspace.files import build_folder, clean_temp_files, output_path
from standpunt.workspace.read import PositionFile, Workspace
from standpunt.workspace.schema import Position
from standpunt.workspace.templates import TemplateSet, template_set

#: Each format a build can make: the medium its page is made for, and the file's suffix.


@dataclass(frozen=True)
class PlannedPosition:
    """A position to build, with everything its outputs are made from but its citations."""

    id: str
    file: PositionFile
    #: The position as validated.
    position: Position
    lang: str
    #: The evidence it cites, as CSL-JSON, in the order first cited.
    evidence: list[dict[str, Any]]
    #: Keys it writes for evidence ids (``doi:10.…`` → the id of the entry with that DOI).
    aliases: dict[str, str]
    #: Its valid signatures (of this text or an older one).
    signatures: list[Signature]
    stamp: Stamp
    fingerprint: str


@dataclass(frozen=True)
class OutputTask:
    """One output of a position: its medium, its file in build/, the hash of its inputs, and
    whether build/ holds it from exactly those inputs already."""

    position_id: str
    medium: Medium
    target: Path
    input_hash: str
    current: bool

    @property
    def key(self) -> str:
        """What the render job and its result call this output."""
        return str(self.target)

    @property
    def word(self) -> bool:
        """Whether this output is a Word document, which pandoc makes, not the render workers."""
        return self.target.suffix == ".docx"


@dataclass
class Plan:
    """Every output the build will make or keep, and what they all share."""

    #: Every buildable position, in order.
    positions: list[PlannedPosition]
    #: Each position's outputs, in the order of the positions.
    outputs: list[OutputTask]
    style: Style
    templates: TemplateSet
    #: What the last build made; outputs are recorded in it as they are written.
    state: BuildState

    def to_make(self) -> list[tuple[PlannedPosition, list[OutputTask]]]:
        """The positions with outputs that are not current, each with those outputs."""
        found = []
        for planned in self.positions:
            stale = [o for o in self.outputs if o.position_id == planned.id and not o.current]
            if stale:
                found.append((planned, stale))
        return found


def plan_outputs(
    workspace: Workspace, ids: list[str], checked: CheckReport, options: BuildOptions
) -> Plan:
    """The plan for the buildable positions ``ids``; build/ is made ready for the outputs."""
    style = resolve_style(
        workspace.config.style, workspace.root, workspace.setting_location("style")
    )
    templates = template_set(workspace)
    folder = build_folder(workspace.root)
    clean_temp_files(folder)  # what a killed build left behind
    positions = _positions(workspace, ids, checked)
    state = BuildState.read(folder)
    common = _common_inputs(workspace, templates, style)
    outputs = [
        task
        for planned in positions
        for task in _outputs(planned, _inputs(planned, common, options), options, folder, state)
    ]
    return Plan(positions, outputs, style, templates, state)


def _positions(workspace: Workspace, ids: list[str], checked: CheckReport) -> list[PlannedPosition]:
    models = {pid: m for pid in ids if (m := workspace.positions[pid].model) is not None}
    versions = stamps(
        workspace.root,
        {
            pid: (source_files(workspace, pid, checked.cited.get(pid, [])), model.version)
            for pid, model in models.items()
        },
    )
    fingerprints = workspace_fingerprints(workspace, ids)
    return [
        PlannedPosition(
            id=pid,
            file=workspace.positions[pid],
            position=model,
            lang=workspace.lang_of(model),
            evidence=[
                workspace.evidence[key].csl
                for key in checked.cited.get(pid, [])
                if key in workspace.evidence
            ],
            aliases=checked.aliases.get(pid, {}),
            signatures=checked.signed.get(pid, []),
            stamp=versions[pid],
            fingerprint=fingerprints[pid],
        )
        for pid, model in models.items()
    ]


def source_files(workspace: Workspace, position_id: str, keys: list[str]) -> list[Path]:
    """The files a position is made from: its own file and every evidence file it cites."""
    files = [workspace.positions[position_id].path]
    for key in keys:
        item = workspace.evidence.get(key)
        if item is not None:
            path = workspace.root / item.location.path
            if path not in files:
                files.append(path)
    return files


def _common_inputs(workspace: Workspace, templates: TemplateSet, style: Style) -> str:
    """What every output of this workspace is made from: tools, settings, template, style."""
    config = workspace.config
    logos = [config.organisation.logo, *(p.logo for p in config.partners.values())]
    return digest(
        {
            "tools": tool_versions(),
            "config": file_digest(workspace.root / "standpunt.yaml"),
            "template": files_digest(templates.files(), workspace.root, templates.folders),
            "style": files_digest([style.path], workspace.root, [style.path.parent]),
            "logos": files_digest(
                [workspace.root / logo for logo in logos if logo], workspace.root
            ),
        }
    )


def _inputs(planned: PlannedPosition, common: str, options: BuildOptions) -> dict[str, Any]:
    """What a position's outputs are made from, but the medium."""
    return {
        "common": common,
        "position": file_digest(planned.file.path),
        "evidence": planned.evidence,
        "aliases": planned.aliases,
        "signatures": [file_digest(signature.path) for signature in planned.signatures],
        "version": dataclasses.asdict(planned.stamp),
        "fingerprint": planned.fingerprint,
        "options": options.key(),
    }


def _outputs(
    planned: PlannedPosition,
    inputs: dict[str, Any],
    options: BuildOptions,
    folder: Path,
    state: BuildState,
) -> list[OutputTask]:
    """The position's output in each format asked for (a page, then a PDF)."""
    edition = f".{options.edition}" if options.edition else ""
    if options.include_pending:  # never in place of the official build/<id>.pdf
        edition += ".pending"
    tasks = []
    for name, (medium, suffix) in OUTPUTS.items():
        if name not in options.formats:
            continue
        target = output_path(folder, planned.id, f"{edition}{suffix}")
        input_hash = digest({**inputs, "medium": medium})
        current = not options.force and state.current(target, input_hash)
        tasks.append(OutputTask(planned.id, medium, target, input_hash, current))
    return tasks
