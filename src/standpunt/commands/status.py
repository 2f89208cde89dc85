"""``status``: where each partner invited to sign a position, or having signed it, stands with
its text. Apart from :mod:`standpunt.commands.signing`, whose commands write signatures: a
status reads, and imports only what reading needs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from standpunt.cite.locate import KeptCitations
from standpunt.coalition import signatures
from standpunt.coalition.fingerprint import cited_keys, position_fingerprint
from standpunt.coalition.signatures import Signature, SignatureState
from standpunt.commands.result import Result
from standpunt.workspace.read import open_positions, select

__all__ = ["SigningStatus", "Standing", "status"]


@dataclass(frozen=True)
class Standing:
    """Where each partner stands with one position; ``readable`` is False when the position
    cannot be read (then ``partners`` is empty)."""

    position: str
    readable: bool
    partners: list[tuple[str, SignatureState, Signature | None]]


@dataclass
class SigningStatus(Result):
    """Per position, each partner invited or having signed; ``problems`` are those of the
    signature files."""

    positions: list[Standing]


def status(root: Path, ids: list[str] | None = None) -> SigningStatus:
    """Per position (all, or those in ``ids``) and partner: signed this text, signed an older
    text, or not signed."""
    kept = KeptCitations(root)
    # Neither the positions' nor the evidence's own problems are reported here: not validated.
    # A text's fingerprint is compared only with a signature of it, so the evidence is read for
    # the positions someone signed, and for none when nobody did.
    cited = cited_keys(kept, signatures.signed_positions(root))
    workspace = open_positions(root, ids, cited, models=False)
    signed, problems = signatures.read_signatures(workspace)
    standings = []
    for pid in select(workspace, ids):
        if workspace.positions[pid].raw is None:
            standings.append(Standing(pid, False, []))
            continue
        current = position_fingerprint(workspace, pid, kept) if signed.get(pid) else ""
        standings.append(Standing(pid, True, signatures.status(workspace, pid, signed, current)))
    return SigningStatus(problems=problems, positions=standings)
