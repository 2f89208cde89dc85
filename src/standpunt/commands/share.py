"""``standpunt import`` and ``standpunt verify``: a Standpunt PDF's sources taken out, or
checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from standpunt.coalition.importing import import_position
from standpunt.coalition.verify import Verification, verify_pdf
from standpunt.commands.result import Result
from standpunt.errors import Diagnostic
from standpunt.workspace.read import open_workspace


@dataclass
class Imported(Result):
    """What an import wrote (the position first) and found."""

    files: list[str]
    #: Signatories the position names that are not partners here.
    strangers: list[str]
    added: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    by_hand: str | None = None
    origin: str | None = None
    notes: list[str] = field(default_factory=list)


def import_pdf(root: Path, pdf: Path, new_id: str | None = None) -> Imported:
    """Add the position, evidence, partners and signatures carried inside ``pdf`` to the
    workspace at ``root``, recording where it came from."""
    workspace = open_workspace(root)
    report = import_position(workspace, pdf, new_id)
    return Imported(
        files=[workspace.display(path) for path in report.files],
        strangers=report.strangers,
        added=report.added,
        conflicts=report.conflicts,
        signatures=report.signatures,
        refused=report.refused,
        by_hand=report.by_hand,
        origin=report.origin,
        notes=report.notes,
    )


@dataclass
class Verified(Result):
    """What ``verify`` found; its problems make the exit code 1."""

    verification: Verification


def verify(pdf: Path, allowed_signers: Path | None = None) -> Verified:
    """Check a PDF's carried position and signatures (see :mod:`standpunt.coalition.verify`)."""
    found = verify_pdf(pdf, allowed_signers)
    problems = []
    if not found.intact:
        problems.append(Diagnostic("error", f"{pdf.name}: {found.why}", "tampered-pdf"))
    problems += [
        Diagnostic(
            "error", f"{pdf.name}: signature of '{c.partner}': {c.problem}", "invalid-signature"
        )
        for c in found.signatures
        if c.problem is not None
    ]
    problems += [Diagnostic("error", text, "invalid-keys") for text in found.key_problems]
    return Verified(problems=problems, verification=found)
