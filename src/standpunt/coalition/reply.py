"""The partner's reply, and the organisation accepting it.

A partner who received a PDF signs it with no workspace at all: ``standpunt sign FILE.pdf
--partner K --by NAME --key PATH`` reads the position id and fingerprint from the PDF (after
checking that the text it carries is the text that fingerprint names), signs the statement, and
writes ``<id>.<K>.signature.yaml`` to send back. The organisation runs ``standpunt accept
REPLY.yaml``: the reply is verified with the partner's keys in standpunt.yaml, stored under
signatures/<id>/, and said to match the current text or an older one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standpunt.coalition.fingerprint import position_fingerprint
from standpunt.coalition.share import Sources, read_sources
from standpunt.coalition.signatures import (
    Proof,
    Signature,
    SignatureState,
    Trust,
    proven,
    read_signature_file,
    read_signatures,
    signature_path,
    signature_text,
    signature_yaml,
    signer_and_role,
    status,
    trust,
    write_signature,
)
from standpunt.coalition.sshsig import PublicKey, SshError, parse_key_entry
from standpunt.coalition.statement import Statement
from standpunt.errors import ContentErrors, Problems, StandpuntError, UsageError, did_you_mean
from standpunt.workspace.files import write_atomic
from standpunt.workspace.paths import valid_key
from standpunt.workspace.read import Workspace, select

__all__ = ["Accepted", "Reply", "accept", "reply_name", "sign_pdf"]


def reply_name(position_id: str, partner: str) -> str:
    """The file name of a reply: ``<id>.<partner>.signature.yaml``."""
    return f"{position_id}.{partner}.signature.yaml"


@dataclass(frozen=True)
class Reply:
    """A reply written: the signature, and what the partner should know before sending it."""

    signature: Signature
    #: Said when the PDF lists other keys for the partner than the one that signed.
    warnings: tuple[str, ...] = ()


def sign_pdf(
    pdf: Path,
    partner: str,
    by: str,
    role: str | None,
    *,
    key_file: Path | None,
    signature_file: Path | None,
    folder: Path,
    today: dt.date | None = None,
) -> Reply:
    """Sign the text ``pdf`` carries for ``partner`` and write the reply into ``folder``."""
    if not valid_key(partner):
        raise UsageError(f"'{partner}' is not a valid partner key", code="invalid-id")
    signer, folded_role = signer_and_role(by, role)
    if key_file is None and signature_file is None:
        raise UsageError(
            "a reply is a signature: give your key with --key PATH (e.g. ~/.ssh/id_ed25519), or "
            "a signature made elsewhere with --signature FILE.sig",
            code="usage",
        )
    sources = _signable(pdf)
    assert sources.fingerprint is not None  # _signable checked it
    statement = Statement(sources.position_id, sources.fingerprint, partner, signer, folded_role)
    armored = signature_text(statement, key_file, signature_file)
    carried = sources.partners()
    keys = _carried_keys(carried, partner)
    target = folder / reply_name(sources.position_id, partner)
    title = sources.manifest.get("title")
    signature = Signature(
        position=sources.position_id,
        partner=partner,
        by=signer,
        role=folded_role,
        date=today or dt.date.today(),
        fingerprint=sources.fingerprint,
        path=target,
        title=title if isinstance(title, str) else None,
        signature=armored,
    )
    signature = proven(Trust({partner: keys}), signature)
    warnings = []
    if signature.proof is Proof.INVALID and keys:
        # Made with a key the organisation does not list (yet): theirs to add, not ours to hide.
        signature = proven(Trust({}), signature)
        warnings.append(
            f"the PDF lists other keys for '{partner}' than the one you signed with "
            f"({signature.key}); the organisation must add your public key to '{partner}' in "
            "its standpunt.yaml before it can accept this reply"
        )
    if signature.proof is Proof.INVALID:
        raise StandpuntError(f"nothing was signed: {signature.problem}", code="invalid-signature")
    if partner not in carried:
        known = ", ".join(sorted(carried)) or "none"
        warnings.append(
            f"the PDF names no partner '{partner}'{did_you_mean(partner, carried)} (it names: "
            f"{known}); check the key the organisation uses for you"
        )
    try:
        write_atomic(target, signature_yaml(signature, "sign", reply=True).encode("utf-8"))
    except OSError as exc:
        raise StandpuntError(
            f"cannot write {target} ({exc.strerror or exc})", code="file-unwritable"
        ) from None
    return Reply(signature, tuple(warnings))


def _signable(pdf: Path) -> Sources:
    """What ``pdf`` carries, when its text is the text its fingerprint names."""
    sources = read_sources(pdf)
    if not sources.current_format:
        raise StandpuntError(
            f"'{pdf.name}' was made by an older Standpunt, whose text cannot be checked before "
            "you sign it; ask the organisation for a new PDF",
            code="old-pdf",
        )
    if not sources.intact() or sources.fingerprint is None:
        raise StandpuntError(
            f"the text inside '{pdf.name}' is not the text its fingerprint names: the PDF was "
            "changed after it was built. Do not sign it; ask the organisation for the original",
            code="tampered-pdf",
        )
    return sources


def _carried_keys(carried: dict[str, dict[str, Any]], partner: str) -> list[PublicKey]:
    """The keys the PDF lists for ``partner`` (those it can read)."""
    listed = carried.get(partner, {}).get("keys")
    keys = []
    for line in listed if isinstance(listed, list) else []:
        try:
            keys.append(parse_key_entry(str(line)))
        except SshError:
            continue
    return keys


@dataclass(frozen=True)
class Accepted:
    """A reply accepted: the signature stored, and whether it holds the current text."""

    signature: Signature
    current: bool


def accept(workspace: Workspace, reply: Path) -> Accepted:
    """Verify a partner's reply and store it as the partner's signature of the position."""
    problems = Problems()
    read = read_signature_file(reply, reply.name, problems)
    if read is None:
        raise ContentErrors(problems.sorted())
    record, _ = read
    if record.position is None:
        raise StandpuntError(
            f"'{reply.name}' is a signature but not a reply: it does not say which position it "
            "signs. Replies are written by 'standpunt sign FILE.pdf'",
            code="not-a-reply",
        )
    (pid,) = select(workspace, [record.position])
    partners = workspace.config.partners
    if record.partner not in partners:
        raise StandpuntError(
            f"'{reply.name}' is signed for partner '{record.partner}', which is not a partner in "
            f"standpunt.yaml{did_you_mean(record.partner, partners)}; add the partner first",
            code="unknown-partner",
        )
    signature = record.recorded(pid, signature_path(workspace, pid, record.partner))
    signature = proven(trust(workspace), signature)
    if signature.proof is Proof.INVALID:
        raise StandpuntError(
            f"'{reply.name}' was not accepted: {signature.problem}", code="invalid-signature"
        )
    current = position_fingerprint(workspace, pid)
    if signature.fingerprint != current:
        found, _ = read_signatures(workspace)
        for key, state, _ in status(workspace, pid, found, current):
            if key == record.partner and state is SignatureState.SIGNED:
                raise StandpuntError(
                    f"'{reply.name}' signs an older text of '{pid}', and '{key}' has signed "
                    "the current text already; nothing was changed",
                    code="older-reply",
                )
    write_signature(workspace, signature, "accept")
    return Accepted(signature, signature.fingerprint == current)
