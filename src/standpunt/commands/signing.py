"""``fingerprint``, ``statement``, ``sign``, ``accept`` and ``unsign``: partners co-signing a
position's text, and a partner's reply signed from a PDF (``status``, where they stand, is
:mod:`standpunt.commands.status`).

Signing is refused while the position, or evidence it cites, has errors: a partner signs the
text as it will be printed. That check runs here, in the command, so that the signatures
themselves (:mod:`standpunt.coalition.signatures`) need nothing above them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from standpunt.cite.locate import KeptCitations
from standpunt.coalition import signatures
from standpunt.coalition.fingerprint import cited_keys, position_fingerprint, short
from standpunt.coalition.signatures import Signature
from standpunt.coalition.statement import Statement
from standpunt.commands.result import Result
from standpunt.errors import Diagnostic, Problems, StandpuntError, UsageError
from standpunt.workspace.read import Workspace, open_positions, open_workspace, select


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
    #: What changed against the signature this one replaces (its role kept, or changed).
    notes: list[str] = field(default_factory=list)


@dataclass
class Unsigned(Result):
    """A signature withdrawn: ``file`` was removed."""

    file: str


def fingerprint(root: Path, position: str) -> Fingerprint:
    """The fingerprint of ``position``'s current words, which partners sign."""
    kept = KeptCitations(root)
    workspace = open_positions(root, [position], cited_keys(kept), models=False)
    current = position_fingerprint(workspace, position, kept)
    return Fingerprint(position=position, fingerprint=current)


@dataclass
class StatementText(Result):
    """The exact bytes a partner signs."""

    data: bytes


def statement(
    root: Path | None, position: str, partner: str, by: str, role: str | None = None
) -> StatementText:
    """The statement ``partner``'s signer signs for the current text of ``position`` (a
    position of the workspace at ``root``, or a PDF when ``position`` names one)."""
    if is_pdf(position):
        from standpunt.coalition.share import read_sources  # a PDF's sources: only here

        sources = read_sources(Path(position))
        signer, folded = signatures.signer_and_role(by, role)
        if not sources.intact() or sources.fingerprint is None:
            raise StandpuntError(
                f"the text inside '{Path(position).name}' is not the text its fingerprint names "
                "(or the PDF is too old to say); do not sign it",
                code="tampered-pdf",
            )
        text = Statement(sources.position_id, sources.fingerprint, partner, signer, folded)
        return StatementText(data=text.encode())
    if root is None:
        raise UsageError("no workspace", code="no-workspace")
    kept = KeptCitations(root)
    workspace = open_positions(root, [position], cited_keys(kept), models=False)
    _, signer, folded = signatures.signing_request(workspace, position, partner, by, role)
    current = position_fingerprint(workspace, position, kept)
    return StatementText(data=Statement(position, current, partner, signer, folded).encode())


def is_pdf(argument: str) -> bool:
    """Whether a command's POSITION argument names a PDF file rather than a position id."""
    return argument.lower().endswith(".pdf")


@dataclass
class Replied(Result):
    """A reply written, to send back; with what the signer should know first."""

    file: str
    signature: Signature
    #: What the signer should know before sending it (not problems: the reply was written).
    cautions: list[str]


def sign_reply(
    pdf: Path,
    partner: str,
    by: str,
    role: str | None,
    key_file: Path | None,
    signature_file: Path | None,
    folder: Path,
) -> Replied:
    """Sign the text a received PDF carries, with no workspace, into a reply file."""
    from standpunt.coalition.reply import sign_pdf  # signing a PDF: only here

    if not pdf.is_file():
        raise UsageError(f"there is no file {pdf}", code="usage")
    reply = sign_pdf(
        pdf, partner, by, role, key_file=key_file, signature_file=signature_file, folder=folder
    )
    return Replied(
        file=str(reply.signature.path), signature=reply.signature, cautions=list(reply.warnings)
    )


@dataclass
class Accepted(Result):
    """A reply stored as the partner's signature; ``current`` says whether it holds the
    current text."""

    file: str
    signature: Signature
    current: bool


def accept(root: Path, reply: Path) -> Accepted:
    """Verify a partner's reply and store it under signatures/."""
    from standpunt.coalition.reply import accept as accept_reply  # a reply: only here

    workspace = open_workspace(root)
    if not reply.is_file():
        raise UsageError(f"there is no file {reply}", code="usage")
    accepted = accept_reply(workspace, reply)
    return Accepted(
        file=workspace.display(accepted.signature.path),
        signature=accepted.signature,
        current=accepted.current,
    )


def sign(
    root: Path,
    position: str,
    partner: str,
    by: str,
    role: str | None = None,
    expect: str | None = None,
    key_file: Path | None = None,
    signature_file: Path | None = None,
) -> Signed:
    """Record that ``partner`` co-signs the current text of ``position``, when it has no errors.

    ``expect`` is the fingerprint of the text the partner read (see
    :func:`signatures.sign`); ``key_file`` or ``signature_file`` make it a verifiable SSH
    signature.
    """
    workspace = open_positions(root, [position])
    signatures.signing_request(workspace, position, partner, by, role)  # wrong usage first
    errors = _errors_of(workspace, position)
    if errors:
        raise StandpuntError(
            f"position '{position}' has {len(errors)} error(s) and cannot be signed until "
            f"they are fixed; run 'standpunt check {position}' to see them",
            errors[0].location,
            "position-has-errors",
        )
    role, notes = _role_against_earlier(workspace, position, partner, by, role)
    signature = signatures.sign(
        workspace,
        position,
        partner,
        by,
        role,
        expect=expect,
        key_file=key_file,
        signature_file=signature_file,
    )
    return Signed(
        signature=signature,
        file=workspace.display(signature.path),
        fingerprint=short(signature.fingerprint),
        notes=notes,
    )


def _role_against_earlier(
    workspace: Workspace, position: str, partner: str, by: str, role: str | None
) -> tuple[str | None, list[str]]:
    """The role to sign with, and what to say about it, given the signature this one replaces:
    the same signer signing again without --role keeps their role; a change is said."""
    path = signatures.signature_path(workspace, position, partner)
    if not path.is_file():
        return role, []
    read = signatures.read_signature_file(path, workspace.display(path), Problems())
    if read is None:
        return role, []
    earlier = read[0]
    signer, _ = signatures.signer_and_role(by, role)
    if earlier.by != signer:
        return role, [f"this replaces the signature by {earlier.by} for '{partner}'"]
    if role is None and earlier.role:
        return earlier.role, [f"kept the role '{earlier.role}' of {signer}'s earlier signature"]
    if earlier.role and role is not None and role != earlier.role:
        return role, [f"the role changed from '{earlier.role}' to '{role}'"]
    return role, []


def _errors_of(workspace: Workspace, position_id: str) -> list[Diagnostic]:
    """The errors that forbid signing: the position's own and those of the evidence it cites."""
    from standpunt.checks.check import check_workspace  # signing only: status needs none of it

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
    """Withdraw ``partner``'s signature of ``position`` (also of a position since removed)."""
    workspace = open_workspace(root)
    if position not in workspace.positions and not (
        signatures.signature_path(workspace, position, partner).is_file()
    ):
        select(workspace, [position])  # the unknown-position error, with a suggestion
    return Unsigned(file=workspace.display(signatures.unsign(workspace, position, partner)))
