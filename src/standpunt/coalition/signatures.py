"""Co-signatures bound to the exact text signed.

A partner's signature records the fingerprint (:mod:`standpunt.coalition.fingerprint`) of the
text it approved. When the text changes, the signature no longer matches: the partner shows as
having signed an older text, ``check`` warns, and the PDF stops naming the partner as co-signer.

Each signature is a file of its own, ``signatures/<position-id>/<partner-key>.yaml``, so two
partners signing on two git branches add two different files and the branches merge without a
conflict; re-signing rewrites only that partner's file. The file name is the signature's
identity; the ``partner`` field inside repeats it for people reading the file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator

from standpunt.coalition.fingerprint import PREFIX, position_fingerprint, short
from standpunt.errors import (
    Diagnostic,
    Location,
    Problems,
    StandpuntError,
    UsageError,
    did_you_mean,
)
from standpunt.workspace.files import write_atomic
from standpunt.workspace.load import YamlList, YamlMapping, load_yaml
from standpunt.workspace.paths import (
    ID_RULE,
    SIGNATURES_DIR,
    YAML_SUFFIXES,
    valid_id,
    valid_key,
)
from standpunt.workspace.read import PositionFile, Workspace, select
from standpunt.workspace.schema import Model, NonEmpty, validate

__all__ = [
    "Signature",
    "SignatureFile",
    "SignatureState",
    "check_signatures",
    "current_signers",
    "read_signatures",
    "sign",
    "signature_path",
    "signing_request",
    "status",
    "unsign",
]

_HEADER = (
    "# Co-signature of positions/{id}.yaml, written by 'standpunt sign'.\n"
    "# It holds for the text with the fingerprint below; once that text changes, sign again.\n"
)


class SignatureState(StrEnum):
    """Where a partner stands with the current text of a position."""

    SIGNED = "signed"  # signed exactly this text
    OUTDATED = "outdated"  # signed an older text
    UNSIGNED = "unsigned"  # invited (in signatories) but has not signed


@dataclass(frozen=True)
class Signature:
    """One partner's signature of one position, as recorded in its file."""

    position: str
    partner: str
    by: str
    role: str | None
    date: dt.date
    fingerprint: str
    path: Path
    #: The position's title when it was signed, for people reading the file.
    title: str | None = field(default=None, compare=False)
    #: Where the fingerprint is written in the file, for warnings about it.
    location: Location | None = field(default=None, compare=False)


# --- the file's schema -------------------------------------------------------------------------


def _key(value: str) -> str:
    if not valid_key(value):
        raise ValueError(f"'{value}' is not a partner key; keys hold only {ID_RULE}")
    return value


def _fingerprint(value: str) -> str:
    digest = value.removeprefix(PREFIX)
    if not value.startswith(PREFIX) or len(digest) != 64 or digest.strip("0123456789abcdef"):
        raise ValueError(
            "this is not a fingerprint as 'standpunt sign' writes it ('sha256:' and 64 "
            "hexadecimal digits); sign again rather than editing it"
        )
    return value


class SignatureFile(Model):
    """signatures/<position-id>/<partner-key>.yaml."""

    partner: Annotated[str, AfterValidator(_key)]
    by: NonEmpty
    role: str | None = None
    date: dt.date
    fingerprint: Annotated[str, AfterValidator(_fingerprint)]
    title: str | None = None


# --- paths ---------------------------------------------------------------------------------------


def _folder(workspace: Workspace, position_id: str) -> Path:
    """signatures/<id>/, refused when a link leads it out of the workspace."""
    if not valid_id(position_id):
        raise UsageError(f"'{position_id}' is not a valid position id", code="invalid-id")
    folder = workspace.root / SIGNATURES_DIR / position_id
    if not folder.resolve().is_relative_to(workspace.root.resolve()):
        raise StandpuntError(
            f"'{SIGNATURES_DIR}/{position_id}' is a link to somewhere outside the workspace; "
            "Standpunt only writes inside the workspace, so remove the link",
            code="unsafe-output",
        )
    return folder


def signature_path(workspace: Workspace, position_id: str, partner: str) -> Path:
    """Where ``partner``'s signature of ``position_id`` is kept."""
    if not valid_key(partner):
        raise UsageError(f"'{partner}' is not a valid partner key", code="invalid-id")
    return _folder(workspace, position_id) / f"{partner}.yaml"


# --- signing -------------------------------------------------------------------------------------


def _one_line(text: str | None) -> str:
    # Names and titles are one line in the file; runs of blank space become one space.
    return " ".join((text or "").split())


def signing_request(
    workspace: Workspace, position_id: str, partner: str, by: str
) -> tuple[PositionFile, str]:
    """The position to sign and the signer's name on one line; an unknown position or partner
    and a missing name are usage errors, found before anything else is judged."""
    select(workspace, [position_id])  # an unknown id is a usage error naming the known ones
    partners = workspace.config.partners
    if partner not in partners:
        hint = did_you_mean(partner, partners)
        known = ", ".join(sorted(partners)) or "none yet"
        raise UsageError(
            f"'{partner}' is not a partner in standpunt.yaml{hint}; the partners are: {known}",
            code="unknown-partner",
        )
    signer = _one_line(by)
    if not signer:
        raise UsageError(
            'give the name of the person who signs for the partner, e.g. --by "An Peeters"',
            code="missing-signer",
        )
    return workspace.positions[position_id], signer


def _matches(current: str, expected: str) -> bool:
    expected = expected.strip().lower()
    digits = expected.removeprefix(PREFIX)
    return current.removeprefix(PREFIX).startswith(digits)


def sign(
    workspace: Workspace,
    position_id: str,
    partner: str,
    by: str,
    role: str | None = None,
    today: dt.date | None = None,
    *,
    expect: str | None = None,
) -> Signature:
    """Record ``partner``'s signature of the current text of a position, replacing any earlier.

    ``expect`` is the fingerprint (full or short) of the text the partner read; when given and
    the text has changed since, nothing is signed, so a partner never signs words it has not
    seen. Whether the position and the evidence it cites are free of errors is the caller's to
    check first (:func:`standpunt.commands.signing.sign` does).
    """
    position, signer = signing_request(workspace, position_id, partner, by)
    if position.model is None:
        raise StandpuntError(
            f"position '{position_id}' cannot be read, so it cannot be signed; run "
            f"'standpunt check {position_id}' and fix its errors",
            position.location,
            "position-has-errors",
        )
    if expect is not None and len(expect.strip().removeprefix(PREFIX)) < 8:
        raise UsageError(
            "give at least 8 digits of the fingerprint the partner read, e.g. as "
            "'standpunt fingerprint' shows it",
            code="invalid-fingerprint",
        )
    current = position_fingerprint(workspace, position_id)
    if expect is not None and not _matches(current, expect):
        raise StandpuntError(
            f"the text of '{position_id}' is no longer the text with fingerprint "
            f"{expect.strip()}: it is now {short(current)}; let the partner read the current "
            "text, then sign again",
            code="fingerprint-mismatch",
        )
    record: dict[str, Any] = {"partner": partner, "by": signer}
    if _one_line(role):
        record["role"] = _one_line(role)
    record["date"] = today or dt.date.today()
    record["fingerprint"] = current
    record["title"] = _one_line(position.model.title)
    path = signature_path(workspace, position_id, partner)
    # Plain strings and a date only: safe_dump quotes whatever needs it, and writes no anchors,
    # tags or line breaks (the width keeps long titles on one line).
    text = _HEADER.format(id=position_id) + yaml.safe_dump(
        record, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1 << 30
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode("utf-8"))
        for twin in YAML_SUFFIXES:  # a hand-made twin (partner.yml) would be stale
            if twin != path.suffix:
                path.with_suffix(twin).unlink(missing_ok=True)
    except OSError as exc:
        raise _cannot(workspace, path, "write", exc) from None
    return Signature(
        position=position_id,
        partner=partner,
        by=signer,
        role=record.get("role"),
        date=record["date"],
        fingerprint=current,
        path=path,
        title=record["title"],
    )


def unsign(workspace: Workspace, position_id: str, partner: str) -> Path:
    """Withdraw ``partner``'s signature of a position: remove its file, which is returned."""
    path = signature_path(workspace, position_id, partner)
    existing = [path.with_suffix(s) for s in YAML_SUFFIXES if path.with_suffix(s).is_file()]
    if not existing:
        signed = [p.stem for p in path.parent.glob("*.y*ml")] if path.parent.is_dir() else []
        hint = did_you_mean(partner, signed)
        raise StandpuntError(
            f"partner '{partner}' has not signed '{position_id}', so there is nothing to "
            f"withdraw{hint}",
            code="not-signed",
        )
    for file in existing:
        try:
            file.unlink()
        except OSError as exc:
            raise _cannot(workspace, file, "remove", exc) from None
    with contextlib.suppress(OSError):  # not empty: other partners signed
        path.parent.rmdir()  # git does not keep empty folders, so neither do we
    return existing[0]


def _cannot(workspace: Workspace, path: Path, what: str, exc: OSError) -> StandpuntError:
    return StandpuntError(
        f"cannot {what} {workspace.display(path)} ({exc.strerror or exc}); check that the "
        "folder exists and that you may write in it",
        code="file-unwritable",
    )


# --- reading -------------------------------------------------------------------------------------


def read_signatures(workspace: Workspace) -> tuple[dict[str, list[Signature]], list[Diagnostic]]:
    """Every valid signature by position id (sorted by partner), and the problems found."""
    found: dict[str, list[Signature]] = {}
    problems = Problems()
    root = workspace.root / SIGNATURES_DIR
    if not root.is_dir():
        return found, []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir():
            if entry.name.lower().endswith(YAML_SUFFIXES):
                problems.error(
                    f"signature files belong in {SIGNATURES_DIR}/<position-id>/<partner>.yaml; "
                    "sign with 'standpunt sign' rather than writing them by hand",
                    Location(workspace.display(entry)),
                    "misplaced-signature",
                )
            continue
        seen: dict[str, Path] = {}
        try:
            files = sorted(entry.iterdir())
        except OSError as exc:
            problems.error(
                f"cannot read this folder ({exc.strerror or exc})",
                Location(workspace.display(entry)),
                "file-unreadable",
            )
            continue
        for file in files:
            if file.name.startswith(".") or not file.name.lower().endswith(YAML_SUFFIXES):
                continue
            signature = _read_file(workspace, entry.name, file, problems)
            if signature is None:
                continue
            twin = seen.get(signature.partner)
            if twin is not None:
                problems.error(
                    f"partner '{signature.partner}' signed this position twice: here and in "
                    f"{workspace.display(twin)}; remove one of the two files",
                    Location(workspace.display(file), 1, 1),
                    "duplicate-signature",
                )
                continue
            seen[signature.partner] = file
            found.setdefault(entry.name, []).append(signature)
    return found, problems.sorted()


def _read_file(
    workspace: Workspace, position_id: str, file: Path, problems: Problems
) -> Signature | None:
    """One signature file, or None after adding its problems to ``problems``."""
    display = workspace.display(file)
    where = Location(display, 1, 1)
    try:
        raw = load_yaml(file, display)
    except StandpuntError as exc:
        problems.add(exc.diagnostic())
        return None
    if not isinstance(raw, YamlMapping):
        problems.error(
            "a signature file must hold fields such as 'partner:', 'by:', 'date:' and "
            "'fingerprint:'; sign again with 'standpunt sign'",
            getattr(raw, "loc", where),
            "invalid-signature",
        )
        return None
    record, diagnostics = validate(SignatureFile, raw, where)
    problems.extend(diagnostics)
    if record is None:
        return None
    key = file.name.rsplit(".", 1)[0]
    partner_loc = raw.value_loc("partner")
    valid = True
    if record.partner != key:
        problems.error(
            f"this file holds the signature of partner '{key}' (its name is {file.name}) but "
            f"says partner: {record.partner}; make them the same",
            partner_loc,
            "signature-mismatch",
        )
        valid = False
    elif key not in workspace.config.partners:
        hint = did_you_mean(key, workspace.config.partners)
        problems.error(
            f"'{key}' is not a partner in standpunt.yaml{hint}; add the partner there or remove "
            "this signature",
            partner_loc,
            "unknown-partner",
        )
        valid = False
    if position_id not in workspace.positions:
        hint = did_you_mean(position_id, workspace.positions)
        problems.error(
            f"this is a signature of position '{position_id}', but there is no "
            f"positions/{position_id}.yaml{hint}; if the position was renamed, move this folder "
            f"to {SIGNATURES_DIR}/<new id>/, otherwise withdraw the signature",
            where,
            "unknown-position",
        )
        valid = False
    if not valid:
        return None
    return Signature(
        position=position_id,
        partner=key,
        by=record.by,
        role=record.role,
        date=record.date,
        fingerprint=record.fingerprint,
        path=file,
        title=record.title,
        location=raw.value_loc("fingerprint"),
    )


# --- judging -------------------------------------------------------------------------------------


def _invited(workspace: Workspace, position_id: str) -> list[str]:
    """The position's signatories in the order written (also when the file has other errors)."""
    position = workspace.positions.get(position_id)
    if position is None:
        return []
    if position.model is not None:
        keys: Sequence[Any] = position.model.signatories
    else:
        raw = position.raw.get("signatories") if isinstance(position.raw, YamlMapping) else None
        keys = raw if isinstance(raw, YamlList) else []
    return list(dict.fromkeys(str(k) for k in keys if isinstance(k, str)))


def status(
    workspace: Workspace,
    position_id: str,
    signatures: Mapping[str, Sequence[Signature]],
    current_fingerprint: str,
) -> list[tuple[str, SignatureState, Signature | None]]:
    """Every partner invited to sign (the position's signatories) or having signed, and where
    each stands: invited partners in the order written, then the others by key."""
    signed = {s.partner: s for s in signatures.get(position_id, ())}
    invited = _invited(workspace, position_id)
    keys = invited + sorted(k for k in signed if k not in invited)
    result: list[tuple[str, SignatureState, Signature | None]] = []
    for key in keys:
        signature = signed.get(key)
        if signature is None:
            state = SignatureState.UNSIGNED
        elif signature.fingerprint == current_fingerprint:
            state = SignatureState.SIGNED
        else:
            state = SignatureState.OUTDATED
        result.append((key, state, signature))
    return result


def current_signers(
    workspace: Workspace,
    position_id: str,
    signatures: Mapping[str, Sequence[Signature]],
    current_fingerprint: str,
) -> list[str]:
    """The partners whose signature matches the current text: the only co-signers to print."""
    return [
        key
        for key, state, _ in status(workspace, position_id, signatures, current_fingerprint)
        if state is SignatureState.SIGNED
    ]


def check_signatures(
    workspace: Workspace,
    signatures: Mapping[str, Sequence[Signature]],
    fingerprints: Mapping[str, str],
) -> list[Diagnostic]:
    """A warning at each signature of an older text than the current one.

    Positions missing from ``fingerprints`` (e.g. not checked this run) are skipped.
    """
    found: list[Diagnostic] = []
    for position_id, items in sorted(signatures.items()):
        current = fingerprints.get(position_id)
        if current is None:
            continue
        for signature in items:
            if signature.fingerprint == current:
                continue
            where = signature.location or Location(workspace.display(signature.path), 1, 1)
            found.append(
                Diagnostic(
                    "warning",
                    f"partner '{signature.partner}' signed an older text of this position (on "
                    f"{signature.date.isoformat()}); ask them to sign again: standpunt sign "
                    f"{position_id} --partner {signature.partner} --by NAME",
                    "outdated-signature",
                    where,
                )
            )
    return sorted(found, key=Diagnostic.sort_key)
