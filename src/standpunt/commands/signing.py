"""``fingerprint``, ``sign``, ``unsign`` and ``status``: partners co-signing a position's text.

Signing is refused while the position, or evidence it cites, has errors: a partner signs the
text as it will be printed. That check runs here, in the command, so that the signatures
themselves (:mod:`standpunt.coalition.signatures`) need nothing above them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from standpunt.checks.check import check_workspace
from standpunt.coalition import signatures
from standpunt.coalition.fingerprint import position_fingerprint, short
from standpunt.coalition.signatures import Signature, SignatureState
from standpunt.commands.result import Result
from standpunt.errors import Diagnostic, StandpuntError
from standpunt.workspace.read import Workspace, open_workspace, select


@dataclass
class Fingerprint(Result):
    """The fingerprint of a position's current text."""

    position: str
    fingerprint: str


@dataclass
class Signed(Result):
    """A signature recorded: in ``file`` (as the user sees it), of the text ``fingerprint``
    (short)."""

    signature: Signature
    file: str
    fingerprint: str


@dataclass
class Unsigned(Result):
    """A signature withdrawn: ``file`` was removed."""

    file: str


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


def fingerprint(root: Path, position: str) -> Fingerprint:
    """The fingerprint of ``position``'s current words, which partners sign."""
    workspace = open_workspace(root)
    return Fingerprint(position=position, fingerprint=position_fingerprint(workspace, position))


def sign(
    root: Path,
    position: str,
    partner: str,
    by: str,
    role: str | None = None,
    expect: str | None = None,
) -> Signed:
    """Record that ``partner`` co-signs the current text of ``position``, when it has no errors.

    ``expect`` is the fingerprint of the text the partner read (see
    :func:`signatures.sign`).
    """
    workspace = open_workspace(root)
    signatures.signing_request(workspace, position, partner, by)  # wrong usage first
    errors = _errors_of(workspace, position)
    if errors:
        raise StandpuntError(
            f"position '{position}' has {len(errors)} error(s) and cannot be signed until "
            f"they are fixed; run 'standpunt check {position}' to see them",
            errors[0].location,
            "position-has-errors",
        )
    signature = signatures.sign(workspace, position, partner, by, role, expect=expect)
    return Signed(
        signature=signature,
        file=workspace.display(signature.path),
        fingerprint=short(signature.fingerprint),
    )


def _errors_of(workspace: Workspace, position_id: str) -> list[Diagnostic]:
    """The errors that forbid signing: the position's own and those of the evidence it cites."""
    position = workspace.positions[position_id]
    report = check_workspace(workspace, [position_id])
    errors = report.problems.errors_at(position.display)
    if position.model is None and not errors:
        errors = [Diagnostic("error", "this position cannot be read", "invalid-position")]
    for key in report.cited.get(position_id, []):
        item = workspace.evidence.get(key)
        if item is not None and not item.csl:
            errors.append(
                Diagnostic(
                    "error", f"evidence '{key}' has errors", "invalid-evidence", item.location
                )
            )
    return errors


def unsign(root: Path, position: str, partner: str) -> Unsigned:
    """Withdraw ``partner``'s signature of ``position``."""
    workspace = open_workspace(root)
    return Unsigned(file=workspace.display(signatures.unsign(workspace, position, partner)))


def status(root: Path, ids: list[str] | None = None) -> SigningStatus:
    """Per position (all, or those in ``ids``) and partner: signed this text, signed an older
    text, or not signed."""
    workspace = open_workspace(root)
    signed, problems = signatures.read_signatures(workspace)
    standings = []
    for pid in select(workspace, ids):
        if workspace.positions[pid].raw is None:
            standings.append(Standing(pid, False, []))
            continue
        current = position_fingerprint(workspace, pid)
        standings.append(Standing(pid, True, signatures.status(workspace, pid, signed, current)))
    return SigningStatus(problems=problems, positions=standings)
