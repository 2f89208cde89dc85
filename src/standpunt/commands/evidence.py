"""``standpunt evidence list``, ``import`` and ``add``: the works positions can cite.

``list`` shows every entry the workspace read, with its key and where it is written; ``import``
turns Zotero's own CSL-JSON export into a CSL-YAML file with readable keys; ``add`` fetches a
work by its DOI and appends it to an evidence file. Only ``add`` uses the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from standpunt.commands.result import Result
from standpunt.errors import UsageError
from standpunt.evidence.doi import add_doi
from standpunt.evidence.entries import summary
from standpunt.evidence.zotero import import_csl_json
from standpunt.workspace.load import to_plain
from standpunt.workspace.read import open_workspace


@dataclass(frozen=True)
class Entry:
    """One evidence entry as listed; ``valid`` is False when ``check`` finds errors in it."""

    key: str
    type: str
    author: str
    year: str
    title: str
    where: str
    valid: bool


@dataclass
class Evidence(Result):
    """Every evidence entry, in the order the workspace reads them."""

    entries: list[Entry]


@dataclass
class EvidenceImported(Result):
    """A CSL-JSON file imported: the file written, how many works, and the source if it lies
    in an evidence folder (where it is still read as it was, until it is removed)."""

    file: str
    count: int
    leftover: str | None
    #: With --update: the works added, those written anew (with the fields that changed), and
    #: those the file holds that the export no longer does (kept).
    updated: bool = False
    added: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)


@dataclass
class EvidenceAdded(Result):
    """A work added by its DOI: its key and the place of its entry."""

    key: str
    doi: str
    where: str


def list_evidence(root: Path) -> Evidence:
    """Every evidence entry of the workspace at ``root``: key, type, short author, year and
    title, and where it is written."""
    workspace = open_workspace(root)
    entries = []
    for key, item in workspace.evidence.items():
        fields = item.csl or to_plain(item.raw)
        fields = fields if isinstance(fields, Mapping) else {}
        kind = fields.get("type")
        author, year, title = summary(fields)
        entries.append(
            Entry(
                key,
                kind if isinstance(kind, str) else "",
                author,
                year,
                title,
                str(item.location),
                bool(item.csl),
            )
        )
    return Evidence(entries=entries)


#: Evidence formats read where they lie, by file suffix, as a message names them.
_READ_IN_PLACE = {
    ".bib": "BibTeX or BibLaTeX",
    ".ris": "RIS",
    ".yaml": "CSL-YAML",
    ".yml": "CSL-YAML",
}


def import_evidence(
    root: Path, source: Path, target: Path | None = None, update: bool = False
) -> EvidenceImported:
    """Write the CSL-JSON file ``source`` (Zotero's export) as a new CSL-YAML file in evidence/,
    with readable keys; never overwrites a file, but with ``update`` brings one that an earlier
    import wrote up to date, keeping its keys. A .bib, .ris or CSL-YAML file needs no import:
    it is read where it lies in evidence/, and saying so beats a JSON syntax error."""
    kind = _READ_IN_PLACE.get(source.suffix.lower())
    if kind is not None:
        raise UsageError(
            f"{source.name} is {kind}, which Standpunt reads as it is: copy it into evidence/ "
            "(keep it up to date there from Zotero). 'evidence import' takes a CSL-JSON export "
            "(in Zotero: Export Library… › CSL JSON)",
            code="usage",
        )
    workspace = open_workspace(root)
    imported = import_csl_json(workspace, source, target, update)
    return EvidenceImported(
        problems=imported.problems,
        file=imported.written.file,
        count=imported.count,
        leftover=imported.leftover,
        updated=imported.updated,
        added=imported.added,
        changed=imported.changed,
        kept=imported.kept,
    )


def add_evidence(root: Path, doi: str, target: Path | None = None) -> EvidenceAdded:
    """Fetch the work with ``doi`` from the DOI resolver and append it to ``target`` (default
    evidence/doi.yaml) with a readable key."""
    workspace = open_workspace(root)
    added = add_doi(workspace, doi, target)
    return EvidenceAdded(
        key=added.key, doi=added.doi, where=f"{added.written.file}:{added.written.lines[0]}"
    )
