"""``standpunt verify FILE.pdf``: whether a PDF is what it says, with no workspace.

Checks that the position and evidence the PDF carries are the text its manifest's fingerprint
names, and that each signature it carries is a signature of that text by a key that may speak
for the partner: the keys the PDF itself lists for the partner, or, with ``--keys
allowed_signers``, only the keys the person verifying trusts. Without ``--keys`` this proves the
PDF is consistent, not who signed it: whoever altered the PDF could have changed the keys too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from standpunt.coalition.share import read_sources
from standpunt.coalition.signatures import (
    Proof,
    Signature,
    Trust,
    proven,
    read_bounded,
    validate_signature,
)
from standpunt.coalition.sshsig import PublicKey, SshError, parse_allowed_signers, parse_key_entry
from standpunt.errors import Location, StandpuntError
from standpunt.workspace.load import parse_yaml

__all__ = ["Checked", "Verification", "verify_pdf"]

MAX_ALLOWED_SIGNERS = 1024 * 1024


@dataclass(frozen=True)
class Checked:
    """One carried signature, as verified."""

    partner: str
    signature: Signature | None
    #: None when it holds; otherwise why not.
    problem: str | None
    #: The signature holds the PDF's text (not another text).
    this_text: bool = True


@dataclass
class Verification:
    """What ``verify`` found in a PDF."""

    position: str
    title: str | None
    fingerprint: str | None
    publisher: str | None
    version: str | None
    intact: bool
    why: str | None
    signatures: list[Checked] = field(default_factory=list)
    #: Problems in the --keys file, by line.
    key_problems: list[str] = field(default_factory=list)
    trusted_keys: bool = False

    @property
    def ok(self) -> bool:
        return self.intact and all(c.problem is None for c in self.signatures)


def verify_pdf(pdf: Path, allowed_signers: Path | None = None) -> Verification:
    """Verify ``pdf`` (see the module docstring)."""
    sources = read_sources(pdf)
    manifest = sources.manifest
    publisher = sources.publisher() or {}
    written = manifest.get("version")
    version = written if isinstance(written, dict) else {}
    result = Verification(
        position=sources.position_id,
        title=_text(manifest.get("title")),
        fingerprint=sources.fingerprint,
        publisher=_text(publisher.get("name")),
        version=_text(version.get("label")) or _text(version.get("commit")),
        intact=False,
        why=None,
        trusted_keys=allowed_signers is not None,
    )
    if not sources.current_format:
        result.why = "it was made by an older Standpunt, whose PDFs cannot be verified"
        return result
    carried = sources.carried_fingerprint()
    result.intact = carried == sources.fingerprint
    if not result.intact:
        result.why = (
            f"the position or evidence it carries has the fingerprint {carried}, not the "
            f"{sources.fingerprint} its manifest names: it was changed after it was built"
        )
    if allowed_signers is not None:
        judge, result.key_problems = _allowed(allowed_signers, sources.signatures())
    else:
        judge = Trust(
            {k: _keys(v.get("keys")) for k, v in sources.partners().items()}, source="the PDF"
        )
    for key, data in sorted(sources.signatures().items()):
        result.signatures.append(
            _check(sources.pdf, sources.position_id, key, data, judge, sources.fingerprint)
        )
    return result


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _keys(value: object) -> list[PublicKey]:
    found = []
    for line in value if isinstance(value, list) else []:
        try:
            found.append(parse_key_entry(str(line)))
        except SshError:
            continue
    return found


def _allowed(path: Path, partners: dict[str, bytes]) -> tuple[Trust, list[str]]:
    """The keys an allowed_signers file trusts for each partner (principal = partner key)."""
    try:
        text = read_bounded(path, MAX_ALLOWED_SIGNERS).decode("utf-8")
    except UnicodeDecodeError:
        raise StandpuntError(f"{path} is not a text file", code="invalid-keys") from None
    lines, problems = parse_allowed_signers(text)
    keys = {p: [line.key for line in lines if line.allows(p)] for p in partners}
    return Trust(keys, source=path.name), [
        f"{path.name}:{number}: {why}" for number, why in problems
    ]


def _check(
    pdf: Path, position: str, key: str, data: bytes, judge: Trust, fingerprint: str | None
) -> Checked:
    try:
        raw = parse_yaml(data, f"{pdf.name}:signature-{key}.yaml")
    except StandpuntError as exc:
        return Checked(key, None, f"the signature file is damaged: {exc.message}")
    record, problems = validate_signature(raw, Location(pdf.name))
    if record is None or problems or record.partner != key:
        return Checked(key, None, "the signature file is damaged")
    signature = record.recorded(position, pdf)
    if not judge.keys.get(key):
        # No key to check it with: its own key still shows whether it was altered.
        checked = proven(Trust({}), signature)
        problem = checked.problem if checked.proof is Proof.INVALID else None
    else:
        checked = proven(judge, signature)
        problem = checked.problem if checked.proof is Proof.INVALID else None
    if record.fingerprint != fingerprint:
        return Checked(key, checked, problem or "it signs another text than this PDF's", False)
    return Checked(key, checked, problem)
