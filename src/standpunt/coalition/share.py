"""PDFs that carry their sources: ``standpunt import`` takes a position back out of one.

Every PDF Standpunt builds embeds the position's YAML, the evidence it cites as CSL-JSON, its
signatures and a manifest. Importing checks everything before writing anything: an id that
exists is refused unless renamed, and evidence with the same id but other content is never
overwritten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standpunt.errors import StandpuntError, UsageError
from standpunt.workspace.files import write_atomic
from standpunt.workspace.load import parse_yaml, to_plain
from standpunt.workspace.paths import EVIDENCE_DIR, POSITIONS_DIR, valid_id
from standpunt.workspace.read import Workspace

MANIFEST = "manifest.json"
EVIDENCE = "evidence.json"


def read_attachments(pdf: Path) -> dict[str, bytes]:
    """The files embedded in a PDF, by name."""
    # Only 'standpunt import' reads a PDF: every other command is spared pypdf's import.
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(pdf)
        return {name: data[0] for name, data in reader.attachments.items() if data}
    except (PdfReadError, OSError, ValueError) as exc:
        raise StandpuntError(f"'{pdf}' cannot be read as a PDF: {exc}", code="bad-pdf") from None


def import_position(
    workspace: Workspace, pdf: Path, new_id: str | None = None
) -> tuple[list[Path], list[str]]:
    """Write the position and its new evidence from ``pdf`` into ``workspace``.

    Returns the files written, and the signatories the position names that are not partners
    of this workspace (``check`` reports them until they are added to standpunt.yaml).
    """
    sources = read_sources(pdf)
    # Refuse anything unsafe up front.
    parsed = parse_yaml(sources.position_yaml, f"{pdf.name}:{sources.position_id}.yaml")
    listed = parsed.get("signatories") if isinstance(parsed, dict) else None
    strangers = [
        str(key)
        for key in (listed if isinstance(listed, list) else [])
        if str(key) not in workspace.config.partners
    ]
    pid = new_id or sources.position_id
    target = _new_position_file(workspace, pid)
    new_items = _new_evidence(workspace, sources.evidence, pdf)
    # Everything is decided before anything is written.
    evidence_file = _new_evidence_file(workspace.root / EVIDENCE_DIR, pid)
    target.parent.mkdir(exist_ok=True)
    write_atomic(target, sources.position_yaml)
    written = [target]
    if new_items:
        evidence_file.parent.mkdir(exist_ok=True)
        data = json.dumps(new_items, ensure_ascii=False, indent=2) + "\n"
        write_atomic(evidence_file, data.encode("utf-8"))
        written.append(evidence_file)
    return written, strangers


@dataclass(frozen=True)
class Sources:
    """What a Standpunt PDF carries: its position's id and file, and the evidence it cites."""

    position_id: str
    position_yaml: bytes
    evidence: list[dict[str, Any]]


def read_sources(pdf: Path) -> Sources:
    """The sources embedded in a PDF Standpunt built; anything else is refused, and said why."""
    files = read_attachments(pdf)
    if MANIFEST not in files:
        raise StandpuntError(
            f"'{pdf.name}' carries no Standpunt sources (no {MANIFEST} inside); only PDFs built "
            "by Standpunt can be imported",
            code="not-standpunt-pdf",
        )
    try:
        manifest = json.loads(files[MANIFEST])
        evidence: list[dict[str, Any]] = json.loads(files.get(EVIDENCE, b"[]"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StandpuntError(
            f"the sources inside '{pdf.name}' are damaged: {exc}", code="bad-pdf"
        ) from None
    # Valid JSON of the wrong shape is damaged too (and must not end in a traceback).
    if (
        not isinstance(manifest, dict)
        or not isinstance(evidence, list)
        or not all(
            isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"].strip()
            for item in evidence
        )
    ):
        raise StandpuntError(
            f"the sources inside '{pdf.name}' are damaged: {MANIFEST} must be an object and "
            f"{EVIDENCE} a list of items that each have an id",
            code="bad-pdf",
        )
    source_id = str(manifest.get("id", ""))
    position_yaml = files.get(f"{source_id}.yaml")
    if position_yaml is None:
        raise StandpuntError(f"'{pdf.name}' does not carry its position file", code="bad-pdf")
    return Sources(source_id, position_yaml, evidence)


def _new_position_file(workspace: Workspace, pid: str) -> Path:
    """Where the position ``pid`` goes: refused if the id is not valid or is taken."""
    if not valid_id(pid):
        raise UsageError(
            f"'{pid}' cannot be a position id: use lower-case letters, digits and '-'",
            code="invalid-id",
        )
    target = workspace.root / POSITIONS_DIR / f"{pid}.yaml"
    if pid in workspace.positions or target.exists():
        raise StandpuntError(
            f"a position '{pid}' exists already in this workspace; nothing was imported. "
            f"Import it under another id with --rename NEW-ID",
            code="exists",
        )
    return target


def _new_evidence(
    workspace: Workspace, evidence: list[dict[str, Any]], pdf: Path
) -> list[dict[str, Any]]:
    """The items the workspace does not have yet; one it has with other content is refused."""
    new_items = []
    for item in evidence:
        key = str(item.get("id", ""))
        existing = workspace.evidence.get(key)
        if existing is None:
            new_items.append(item)
        elif to_plain(existing.csl) != to_plain(item):
            raise StandpuntError(
                f"evidence '{key}' in '{pdf.name}' differs from the one at {existing.location}; "
                "nothing was imported. Give one of them another id, or make them the same",
                code="evidence-conflict",
            )
    return new_items


def _new_evidence_file(folder: Path, pid: str) -> Path:
    """A name no file has yet: an earlier import may have left imported-<id>.json behind."""
    evidence_file = folder / f"imported-{pid}.json"
    number = 2
    while evidence_file.exists():
        evidence_file = folder / f"imported-{pid}-{number}.json"
        number += 1
    return evidence_file
