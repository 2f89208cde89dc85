"""Co-signatures bound to the exact text signed, and verified with the partner's SSH keys.

A partner's signature records the fingerprint (:mod:`standpunt.coalition.fingerprint`) of the
text it approved. When the text changes, the signature no longer matches: the partner shows as
having signed an older text, ``check`` warns, and the PDF stops naming the partner as co-signer.

A partner that lists ``keys:`` in standpunt.yaml signs with one of them: the file then holds an
SSH signature (:mod:`standpunt.coalition.sshsig`) over the statement
(:mod:`standpunt.coalition.statement`) naming the position, the fingerprint, the partner, the
signer and their role. Each signature is judged (:class:`Proof`): **verified** (made by a key
listed for that partner), **recorded** (the partner lists no keys: it counts as a claim, unless
standpunt.yaml says ``signatures: verified``), or **invalid** (the partner lists keys and the
signature is missing, does not verify, or was made by another key: an error in ``check``, and
never printed as co-signer).

Each signature is a file of its own, ``signatures/<position-id>/<partner-key>.yaml``, so two
partners signing on two git branches add two different files and the branches merge without a
conflict; re-signing rewrites only that partner's file. The file name is the signature's
identity; the ``partner`` field inside repeats it for people reading the file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from standpunt.coalition.fingerprint import PREFIX, position_fingerprint, short
from standpunt.coalition.statement import Statement, one_line
from standpunt.errors import (
    Diagnostic,
    Location,
    Problems,
    StandpuntError,
    UsageError,
    did_you_mean,
)
from standpunt.workspace import verdicts
from standpunt.workspace.files import remove_inside, write_inside
from standpunt.workspace.load import YamlList, YamlMapping, parse_yaml, read_bytes
from standpunt.workspace.paths import (
    SIGNATURES_DIR,
    YAML_SUFFIXES,
    inside,
    valid_id,
    valid_key,
)
from standpunt.workspace.read import PositionFile, Workspace, select

if TYPE_CHECKING:  # SSH keys and signatures are read where there are some: most status have none
    from standpunt.coalition.sshsig import PublicKey

__all__ = [
    "Proof",
    "Signature",
    "SignatureRecord",
    "SignatureState",
    "Trust",
    "check_partner_keys",
    "check_signatures",
    "current_signers",
    "read_signature_file",
    "read_signatures",
    "sign",
    "signature_path",
    "signature_text",
    "signing_request",
    "status",
    "trust",
    "unsign",
    "write_signature",
]

_HEADER = (
    "# Co-signature of positions/{id}.yaml, written by 'standpunt {command}'.\n"
    "# It holds for the text with the fingerprint below; once that text changes, sign again.\n"
)

#: The largest signature file read: a few hundred bytes in practice.
MAX_SIGNATURE_FILE = 64 * 1024
#: What a valid signature file is kept as (:mod:`standpunt.workspace.verdicts`), and the files
#: besides the workspace's schema that declare how one is validated.
_KIND = "signature"
_SCHEMA = (Path(__file__).with_name("signature_file.py"), Path(__file__).with_name("statement.py"))


class SignatureState(StrEnum):
    """Where a partner stands with the current text of a position."""

    SIGNED = "signed"  # signed exactly this text
    OUTDATED = "outdated"  # signed an older text
    UNSIGNED = "unsigned"  # invited (in signatories) but has not signed
    INVALID = "invalid"  # a signature that does not hold (see Proof.INVALID)


class Proof(StrEnum):
    """How far a signature is proven."""

    VERIFIED = "verified"  # made by a key listed for the partner
    RECORDED = "recorded"  # the partner lists no keys: a claim, counted unless verified is asked
    INVALID = "invalid"  # the partner lists keys and none of them made it (or it is damaged)


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
    #: The SSH signature over the statement, armored; None for a signature made without a key.
    signature: str | None = None
    proof: Proof = Proof.RECORDED
    #: Why the signature is invalid, or why it is only recorded.
    problem: str | None = field(default=None, compare=False)
    #: The fingerprint (``SHA256:…``) of the key that made the signature, when it has one.
    key: str | None = None

    def statement(self) -> Statement:
        """The statement this signature is of."""
        return Statement(self.position, self.fingerprint, self.partner, self.by, self.role)


# --- the file's record ------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureRecord:
    """What a signature or reply file holds, validated (its schema:
    :class:`~standpunt.coalition.signature_file.SignatureFile`)."""

    partner: str
    by: str
    date: dt.date
    fingerprint: str
    #: Only in a reply (<id>.<partner>.signature.yaml): which position it signs.
    position: str | None = None
    role: str | None = None
    title: str | None = None
    #: The signing key's fingerprint, for people; the signature itself names its key.
    key: str | None = None
    signature: str | None = None

    def recorded(self, position: str, path: Path, location: Location | None = None) -> Signature:
        """The signature this file records, of ``position``, kept at ``path`` (its proof not
        judged yet: see :func:`proven`)."""
        return Signature(
            position=position,
            partner=self.partner,
            by=self.by,
            role=self.role,
            date=self.date,
            fingerprint=self.fingerprint,
            path=path,
            title=self.title,
            location=location,
            signature=self.signature,
        )

    def plain(self) -> dict[str, str | None]:
        """As plain JSON data, as kept for a valid file (:mod:`standpunt.workspace.verdicts`)."""
        return {
            name: value.isoformat() if isinstance(value, dt.date) else value
            for name, value in dataclasses.asdict(self).items()
        }

    @classmethod
    def from_plain(cls, data: Any) -> SignatureRecord | None:
        """The record :meth:`plain` gave; None for anything else."""
        names = [item.name for item in dataclasses.fields(cls)]
        if not isinstance(data, dict) or sorted(data) != sorted(names):
            return None
        if not all(value is None or isinstance(value, str) for value in data.values()):
            return None
        if None in (data["partner"], data["by"], data["fingerprint"], data["date"]):
            return None
        try:
            date = dt.date.fromisoformat(data["date"])
        except ValueError:
            return None
        return cls(**{**data, "date": date})


def validate_signature(
    raw: Any, where: Location
) -> tuple[SignatureRecord | None, list[Diagnostic]]:
    """A signature or reply file's located YAML validated against its schema: the record, or
    None and the problems."""
    from standpunt.coalition.signature_file import SignatureFile  # pydantic: only to validate
    from standpunt.workspace.schema import validate

    model, problems = validate(SignatureFile, raw, where)
    if model is None:
        return None, problems
    return SignatureRecord.from_plain(model.model_dump(mode="json")), problems


# --- paths ---------------------------------------------------------------------------------------


def _folder(workspace: Workspace, position_id: str) -> Path:
    """signatures/<id>/, refused when a link leads it out of the workspace."""
    if not valid_id(position_id):
        raise UsageError(f"'{position_id}' is not a valid position id", code="invalid-id")
    folder = workspace.root / SIGNATURES_DIR / position_id
    for step in (folder.parent, folder):  # a link, even one that stays inside, is refused
        if step.is_symlink() or not step.resolve().is_relative_to(workspace.root.resolve()):
            raise StandpuntError(
                f"'{step.relative_to(workspace.root).as_posix()}' is a link; Standpunt keeps "
                "signatures only in real folders inside the workspace, so replace the link by "
                "a folder",
                code="unsafe-output",
            )
    return folder


def signature_path(workspace: Workspace, position_id: str, partner: str) -> Path:
    """Where ``partner``'s signature of ``position_id`` is kept."""
    if not valid_key(partner):
        raise UsageError(f"'{partner}' is not a valid partner key", code="invalid-id")
    return _folder(workspace, position_id) / f"{partner}.yaml"


# --- keys and proof ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trust:
    """Whom a workspace believes: each partner's keys, and whether a signature without a key
    counts (``signatures: recorded``, the default) or not (``signatures: verified``)."""

    keys: Mapping[str, Sequence[PublicKey]]
    verified_only: bool = False
    #: Where the keys come from, as a message names it.
    source: str = "standpunt.yaml"

    def owner(self, key: PublicKey) -> str | None:
        """The partner that lists ``key``, if any."""
        return next(
            (p for p, keys in self.keys.items() if any(k.blob == key.blob for k in keys)), None
        )

    def judge(
        self, statement: Statement, armored: str | None
    ) -> tuple[Proof, str | None, str | None]:
        """Whether ``armored`` proves ``statement``: the proof, why it falls short (or None), and
        the fingerprint of the key that made it."""
        partner = statement.partner
        listed = self.keys.get(partner, ())
        from standpunt.coalition.sshsig import SshError, parse_signature

        made_by: PublicKey | None = None
        if armored is not None:
            try:
                made_by = parse_signature(armored).verify(statement.encode())
            except SshError as exc:
                return Proof.INVALID, f"the signature does not hold: {exc}", None
        key = made_by.fingerprint if made_by else None
        if listed:
            if made_by is None:
                return (
                    Proof.INVALID,
                    f"partner '{partner}' lists keys in standpunt.yaml and this signature was "
                    f"not made with one; sign again with --key or --signature",
                    None,
                )
            if any(k.blob == made_by.blob for k in listed):
                return Proof.VERIFIED, None, key
            owner = self.owner(made_by)
            if owner is not None:
                return (
                    Proof.INVALID,
                    f"the signature was made with a key of partner '{owner}', not with one of "
                    f"the keys of partner '{partner}'",
                    key,
                )
            return (
                Proof.INVALID,
                f"the signature was made with the key {key}, which is not among the keys "
                f"{self.source} lists for partner '{partner}'",
                key,
            )
        if self.verified_only:
            return (
                Proof.INVALID,
                f"standpunt.yaml asks for verified signatures (signatures: verified) and partner "
                f"'{partner}' lists no keys; add the partner's public key under its 'keys:'",
                key,
            )
        return Proof.RECORDED, f"partner '{partner}' lists no keys, so nothing can verify it", key


def _partner_keys(workspace: Workspace) -> tuple[dict[str, list[PublicKey]], list[Diagnostic]]:
    from standpunt.coalition.sshsig import SshError, parse_key_entry

    keys: dict[str, list[PublicKey]] = {}
    problems: list[Diagnostic] = []
    for name, lines in workspace.settings.partners.items():
        for index, line in enumerate(lines):
            try:
                keys.setdefault(name, []).append(parse_key_entry(line))
            except SshError as exc:
                # A listed key that cannot be read still means the partner lists keys: its
                # signatures must be made with one that can.
                keys.setdefault(name, [])
                where = _key_location(workspace, name, index)
                problems.append(
                    Diagnostic(
                        "error",
                        f"key {index + 1} of partner '{name}' cannot be used: {exc}",
                        "invalid-key",
                        where,
                    )
                )
    return keys, problems


def _key_location(workspace: Workspace, partner: str, index: int) -> Location:
    """Where the ``index``-th key of a partner is written: its list item, or its line in a
    block of text (blank lines and comments skipped, as the schema skips them)."""
    where = workspace.setting_location("partners", partner, "keys")
    raw = workspace.config_raw
    try:
        written = raw["partners"][partner]["keys"]
    except (KeyError, TypeError):
        return where
    if isinstance(written, YamlList) and index < len(written):
        return written.item_locs[index]
    if isinstance(written, str):
        lines = [
            number
            for number, line in enumerate(written.splitlines())
            if line.strip() and not line.strip().startswith("#")
        ]
        if index < len(lines):
            # A block scalar's first line follows the line of its '|'.
            return Location(where.path, where.line + 1 + lines[index], 0)
    return where


def trust(workspace: Workspace) -> Trust:
    """The keys and the rule of ``workspace``'s standpunt.yaml."""
    keys, _ = _partner_keys(workspace)
    return Trust(keys, workspace.settings.signatures == "verified")


def check_partner_keys(workspace: Workspace) -> list[Diagnostic]:
    """An error at each key in standpunt.yaml that is not an SSH public key Standpunt reads."""
    return _partner_keys(workspace)[1]


# --- signing -------------------------------------------------------------------------------------


def signing_request(
    workspace: Workspace, position_id: str, partner: str, by: str, role: str | None = None
) -> tuple[PositionFile, str, str | None]:
    """The position to sign and the signer's name and role on one line; an unknown position or
    partner and a missing name are usage errors, found before anything else is judged."""
    select(workspace, [position_id])  # an unknown id is a usage error naming the known ones
    partners = workspace.settings.partners
    if partner not in partners:
        hint = did_you_mean(partner, partners)
        known = ", ".join(sorted(partners)) or "none yet"
        raise UsageError(
            f"'{partner}' is not a partner in standpunt.yaml{hint}; the partners are: {known}",
            code="unknown-partner",
        )
    signer, role = signer_and_role(by, role)
    return workspace.positions[position_id], signer, role


def signer_and_role(by: str, role: str | None) -> tuple[str, str | None]:
    """The signer's name and role as a statement holds them; a usage error when unfit."""
    try:
        signer = one_line(by)
        folded_role = one_line(role, "role") or None
    except ValueError as exc:
        raise UsageError(str(exc), code="invalid-name") from None
    if not signer:
        raise UsageError(
            'give the name of the person who signs for the partner, e.g. --by "An Peeters"',
            code="missing-signer",
        )
    return signer, folded_role


def _matches(current: str, expected: str) -> bool:
    expected = expected.strip().lower()
    digits = expected.removeprefix(PREFIX)
    return current.removeprefix(PREFIX).startswith(digits)


def signature_text(
    statement: Statement, key_file: Path | None, signature_file: Path | None
) -> str | None:
    """The armored SSH signature of ``statement``: made with ``key_file`` by ssh-keygen, or
    read from ``signature_file`` (a ``.sig`` made elsewhere); None when neither is given."""
    if key_file is not None and signature_file is not None:
        raise UsageError("give --key or --signature, not both", code="usage")
    from standpunt.coalition.sshsig import SshError, sign_with_ssh_keygen

    try:
        if key_file is not None:
            return sign_with_ssh_keygen(key_file, statement.encode())
        if signature_file is not None:
            return read_bounded(signature_file, 16 * 1024).decode("ascii")
    except UnicodeDecodeError:
        raise StandpuntError(
            f"{signature_file} is not an SSH signature (it holds more than ASCII text)",
            code="invalid-signature",
        ) from None
    except SshError as exc:
        raise StandpuntError(str(exc), code="signing-failed") from None
    return None


def read_bounded(path: Path, limit: int) -> bytes:
    """A file of at most ``limit`` bytes, read without trusting its size; clear errors."""
    try:
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError as exc:
        raise StandpuntError(
            f"cannot read {path} ({exc.strerror or exc})", code="file-unreadable"
        ) from None
    if len(data) > limit:
        raise StandpuntError(
            f"{path} is larger than {limit // 1024} kB, too large for what it should hold",
            code="file-too-large",
        )
    return data


def sign(
    workspace: Workspace,
    position_id: str,
    partner: str,
    by: str,
    role: str | None = None,
    today: dt.date | None = None,
    *,
    expect: str | None = None,
    key_file: Path | None = None,
    signature_file: Path | None = None,
) -> Signature:
    """Record ``partner``'s signature of the current text of a position, replacing any earlier.

    ``expect`` is the fingerprint (full or short) of the text the partner read; when given and
    the text has changed since, nothing is signed, so a partner never signs words it has not
    seen. ``key_file`` signs the statement with ssh-keygen; ``signature_file`` is a signature
    made elsewhere over ``standpunt statement``'s output. A signature that would not count is
    never written. Whether the position and the evidence it cites are free of errors is the
    caller's to check first (:func:`standpunt.commands.signing.sign` does).
    """
    position, signer, folded_role = signing_request(workspace, position_id, partner, by, role)
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
    statement = Statement(position_id, current, partner, signer, folded_role)
    armored = signature_text(statement, key_file, signature_file)
    signature = Signature(
        position=position_id,
        partner=partner,
        by=signer,
        role=folded_role,
        date=today or dt.date.today(),
        fingerprint=current,
        path=signature_path(workspace, position_id, partner),
        title=one_line(position.model.title, "title"),
        signature=armored,
    )
    signature = proven(trust(workspace), signature)
    if signature.proof is Proof.INVALID:
        raise StandpuntError(f"nothing was signed: {signature.problem}", code="invalid-signature")
    write_signature(workspace, signature)
    return signature


def proven(judge: Trust, signature: Signature) -> Signature:
    """``signature`` with its proof, judged by ``judge``; its armor rewritten as ssh-keygen
    writes it (the signature read is the one checked)."""
    from standpunt.coalition.sshsig import parse_signature

    proof, problem, key = judge.judge(signature.statement(), signature.signature)
    armored = signature.signature
    if armored is not None and proof is not Proof.INVALID:
        armored = parse_signature(armored).armored()
    return dataclasses.replace(signature, proof=proof, problem=problem, key=key, signature=armored)


def signature_yaml(signature: Signature, command: str, *, reply: bool = False) -> str:
    """The text of a signature file: plain fields, then the SSH signature as a block."""
    record: dict[str, Any] = {}
    if reply:
        record["position"] = signature.position
    record["partner"] = signature.partner
    record["by"] = signature.by
    if signature.role:
        record["role"] = signature.role
    record["date"] = signature.date
    record["fingerprint"] = signature.fingerprint
    if signature.title:
        record["title"] = signature.title
    if signature.key:
        record["key"] = signature.key
    # Plain strings and a date only: safe_dump quotes whatever needs it, and writes no anchors,
    # tags or line breaks (the width keeps long titles on one line).
    text = _HEADER.format(id=signature.position, command=command) + str(
        yaml.safe_dump(
            record, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1 << 30
        )
    )
    if signature.signature:
        # Armor as proven() rewrote it: base64 lines between two fixed markers.
        lines = signature.signature.strip().splitlines()
        text += "signature: |\n" + "".join(f"  {line}\n" for line in lines)
    return text


def write_signature(workspace: Workspace, signature: Signature, command: str = "sign") -> None:
    """Write ``signature`` in its place in signatures/, replacing any earlier one."""
    path = signature.path
    try:
        write_inside(workspace.root, path, signature_yaml(signature, command).encode("utf-8"))
        for twin in YAML_SUFFIXES:  # a hand-made twin (partner.yml) would be stale
            if twin != path.suffix and (path.with_suffix(twin).is_file()):
                remove_inside(workspace.root, path.with_suffix(twin))
    except OSError as exc:
        raise _cannot(workspace, path, "write", exc) from None


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
            remove_inside(workspace.root, file)
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


def signed_positions(root: Path) -> set[str]:
    """The names in the workspace's signatures folder: the ids of the positions someone may
    have signed (what is in them is for :func:`read_signatures` to judge). A link in its place
    is not followed: it holds no signature (:func:`read_signatures` says so)."""
    folder = root / SIGNATURES_DIR
    if folder.is_symlink():
        return set()
    try:
        return {entry.name for entry in os.scandir(folder)}
    except OSError:  # no folder, or not one: nobody signed
        return set()


def read_signatures(workspace: Workspace) -> tuple[dict[str, list[Signature]], list[Diagnostic]]:
    """Every readable signature by position id (sorted by partner), each with its proof, and
    the problems found reading them; of the positions read only, when the workspace was read
    for some positions (:attr:`Workspace.partial`)."""
    found: dict[str, list[Signature]] = {}
    problems = Problems()
    root = workspace.root / SIGNATURES_DIR
    if not root.is_dir():
        return found, []
    judge = trust(workspace)
    if root.is_symlink():
        problems.error(
            "this is a link; Standpunt reads signatures only from a real folder inside the "
            "workspace, so replace the link by a folder",
            Location(SIGNATURES_DIR),
            "unsafe-file",
        )
        return found, problems.sorted()
    only = workspace.partial
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or (only is not None and entry.name not in only):
            continue
        if entry.is_symlink():  # a folder here is never a link: nothing outside is listed
            problems.error(
                "this is a link; Standpunt reads signatures only from real folders inside the "
                "workspace, so replace the link by a folder",
                Location(workspace.display(entry)),
                "unsafe-file",
            )
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
            found.setdefault(entry.name, []).append(proven(judge, signature))
    return found, problems.sorted()


def read_signature_file(
    path: Path,
    display: str,
    problems: Problems,
    roots: list[Path] | None = None,
    workspace: Workspace | None = None,
) -> tuple[SignatureRecord, YamlMapping] | None:
    """A signature or reply file read and validated, or None after adding its problems; with
    ``roots``, one whose real path is outside them is refused unread. Of a ``workspace``'s
    signatures, one found valid before with the same bytes is taken as it was then, and a valid
    one noted for ``check`` to keep (:mod:`standpunt.workspace.verdicts`)."""
    where = Location(display, 1, 1)
    if roots is not None and not inside(path, roots):
        problems.error(
            "this is a link to a place outside the workspace; Standpunt reads only signature "
            "files inside it, so put the file itself here",
            where,
            "unsafe-file",
        )
        return None
    if not path.is_file():
        problems.error("this is not a regular file", where, "file-unreadable")
        return None
    try:
        size = path.stat().st_size
        if size > MAX_SIGNATURE_FILE:
            problems.error(
                f"a signature file holds a few hundred bytes; this one holds {size}",
                where,
                "file-too-large",
            )
            return None
        data = read_bytes(path, display, roots)
        raw = parse_yaml(data, display)
    except StandpuntError as exc:
        problems.add(exc.diagnostic())
        return None
    except OSError as exc:
        problems.error(f"cannot read this file ({exc.strerror or exc})", where, "file-unreadable")
        return None
    if not isinstance(raw, YamlMapping):
        problems.error(
            "a signature file must hold fields such as 'partner:', 'by:', 'date:' and "
            "'fingerprint:'; sign again with 'standpunt sign'",
            getattr(raw, "loc", where),
            "invalid-signature",
        )
        return None
    if workspace is not None:
        kept = verdicts.kept(workspace.root, _KIND, display, data, _SCHEMA)
        record = SignatureRecord.from_plain(kept) if kept is not None else None
        if record is not None:
            return record, raw
    record, diagnostics = validate_signature(raw, where)
    problems.extend(diagnostics)
    if record is None:
        return None
    if workspace is not None and not diagnostics:
        workspace.valid.append(verdicts.Valid(_KIND, display, data, record.plain(), _SCHEMA))
    return record, raw


def _read_file(
    workspace: Workspace, position_id: str, file: Path, problems: Problems
) -> Signature | None:
    """One signature file, or None after adding its problems to ``problems``."""
    display = workspace.display(file)
    where = Location(display, 1, 1)
    read = read_signature_file(file, display, problems, [workspace.root], workspace)
    if read is None:
        return None
    record, raw = read
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
    elif key not in workspace.settings.partners:
        hint = did_you_mean(key, workspace.settings.partners)
        problems.error(
            f"'{key}' is not a partner in standpunt.yaml{hint}; add the partner there or remove "
            "this signature",
            partner_loc,
            "unknown-partner",
        )
        valid = False
    if record.position is not None and record.position != position_id:
        problems.error(
            f"this file is in {SIGNATURES_DIR}/{position_id}/ but signs position "
            f"'{record.position}'; accept replies with 'standpunt accept' instead of copying them",
            raw.value_loc("position"),
            "signature-mismatch",
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
    return record.recorded(position_id, file, raw.value_loc("fingerprint"))


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
        elif signature.proof is Proof.INVALID:
            state = SignatureState.INVALID
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
    """The partners whose signature holds the current text: the only co-signers to print."""
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
    """An error at each invalid signature, a warning at each signature of an older text.

    Positions missing from ``fingerprints`` (e.g. not checked this run) are skipped.
    """
    found: list[Diagnostic] = []
    for position_id, items in sorted(signatures.items()):
        current = fingerprints.get(position_id)
        if current is None:
            continue
        for signature in items:
            where = signature.location or Location(workspace.display(signature.path), 1, 1)
            if signature.proof is Proof.INVALID:
                found.append(
                    Diagnostic(
                        "error",
                        f"this signature of partner '{signature.partner}' is invalid, so the "
                        f"partner is not named as co-signer: {signature.problem}",
                        "invalid-signature",
                        Location(where.path, 1, 1),
                    )
                )
            elif signature.fingerprint != current:
                found.append(
                    Diagnostic(
                        "warning",
                        f"partner '{signature.partner}' signed an older text of this position "
                        f"(on {signature.date.isoformat()}); see what changed with 'standpunt "
                        f"diff {position_id} --signed-by {signature.partner}' and ask them to "
                        f"sign again: standpunt sign {position_id} --partner "
                        f"{signature.partner} --by NAME",
                        "outdated-signature",
                        where,
                    )
                )
    return sorted(found, key=Diagnostic.sort_key)
