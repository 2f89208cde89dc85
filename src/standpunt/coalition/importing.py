"""``standpunt import``: a position taken out of a Standpunt PDF, keeping its origin.

Everything is decided before anything is written: an id that exists is refused unless renamed,
and evidence with the same id but other content is never overwritten. Then the position is
written with its ``origin`` (the publisher, version and fingerprint the PDF names), its new
evidence, the partners this workspace lacks (added to standpunt.yaml as text, with their logos;
a partner of the same key with other data is never overwritten: the conflict is reported), and
the signatures the PDF carries that hold its text (verified with the keys the PDF carries, and
with this workspace's own keys for the partners it knows already).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from standpunt.coalition.fingerprint import INTERNAL_EVIDENCE_FIELDS
from standpunt.coalition.partners import partner_yaml, with_partners
from standpunt.coalition.share import Sources, normalised_yaml, read_sources
from standpunt.coalition.signatures import (
    Proof,
    Signature,
    Trust,
    proven,
    signature_path,
    signature_yaml,
    trust,
    validate_signature,
)
from standpunt.coalition.sshsig import PublicKey, SshError, parse_key_entry
from standpunt.coalition.statement import one_line
from standpunt.errors import Location, StandpuntError, UsageError
from standpunt.workspace.files import write_inside
from standpunt.workspace.load import MAX_BYTES, YamlMapping, parse_yaml, to_plain
from standpunt.workspace.paths import (
    ASSETS_DIR,
    CONFIG_FILE,
    EVIDENCE_DIR,
    POSITIONS_DIR,
    read_bounded,
    valid_id,
)
from standpunt.workspace.read import Workspace
from standpunt.workspace.schema import Organisation, Partner, validate

__all__ = ["Imported", "import_position"]

#: Image types a carried logo may have.
_LOGO_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif")
#: The partner fields a PDF carries and an import writes.
_PARTNER_FIELDS = ("name", "short", "website", "colour")
_PUBLISHER_FIELDS = ("name", "short", "website", "contact", "licence")


@dataclass
class Imported:
    """What an import wrote and found."""

    #: The files written, the position first.
    files: list[Path] = field(default_factory=list)
    #: Signatories that are not partners here and could not be added.
    strangers: list[str] = field(default_factory=list)
    #: Partners added to standpunt.yaml.
    added: list[str] = field(default_factory=list)
    #: Partners this workspace defines otherwise than the PDF: (key, what differs).
    conflicts: list[tuple[str, str]] = field(default_factory=list)
    #: Signatures stored, by partner key, and those not stored with the reason.
    signatures: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    #: Partners to add by hand (YAML), when standpunt.yaml could not be changed as text.
    by_hand: str | None = None
    #: The publisher recorded as origin, or None (a PDF too old to say).
    origin: str | None = None
    notes: list[str] = field(default_factory=list)


def import_position(workspace: Workspace, pdf: Path, new_id: str | None = None) -> Imported:
    """Write the position and everything it needs from ``pdf`` into ``workspace``."""
    sources = read_sources(pdf)
    report = Imported()
    if sources.current_format and not sources.intact():
        raise StandpuntError(
            f"the position inside '{pdf.name}' is not the text its fingerprint names: the PDF "
            "was changed after it was built. Nothing was imported; ask its publisher for the "
            "original ('standpunt verify' shows what is wrong)",
            code="tampered-pdf",
        )
    listed = (
        to_plain(sources.position).get("signatories")
        if isinstance(sources.position, YamlMapping)
        else None
    )
    pid = new_id or sources.position_id
    target = _new_position_file(workspace, pid)
    new_items = _new_evidence(workspace, sources.evidence, pdf)
    evidence_file = _new_evidence_file(workspace.root / EVIDENCE_DIR, pid)
    partners, logos = _partners(workspace, sources, report)
    config_file = workspace.root / CONFIG_FILE
    text = read_bounded(config_file, CONFIG_FILE, MAX_BYTES, [workspace.root]).decode("utf-8")
    config_text = with_partners(text, workspace.config_raw, partners)
    if config_text is None and partners:
        report.by_hand = "partners:\n" + partner_yaml(partners)
    position_text = _position_text(workspace, sources, report, logos)
    known = set(workspace.config.partners) | (set(partners) if config_text else set())
    report.strangers = [
        str(key) for key in (listed if isinstance(listed, list) else []) if str(key) not in known
    ]
    signatures = _signatures(workspace, sources, pid, partners if config_text else {}, report)
    # Everything is decided; now it is written.
    root = workspace.root
    for path, data in logos.values():
        if not path.exists():
            write_inside(root, path, data)
    write_inside(root, target, position_text)
    report.files.append(target)
    if new_items:
        items = json.dumps(new_items, ensure_ascii=False, indent=2) + "\n"
        write_inside(root, evidence_file, items.encode("utf-8"))
        report.files.append(evidence_file)
    if config_text is not None and partners:
        write_inside(root, root / CONFIG_FILE, config_text.encode("utf-8"))
        report.files.append(root / CONFIG_FILE)
        report.added = list(partners)
    for signature in signatures:
        write_inside(root, signature.path, signature_yaml(signature, "import").encode("utf-8"))
        report.files.append(signature.path)
    return report


def _position_text(
    workspace: Workspace, sources: Sources, report: Imported, logos: dict[str, tuple[Path, bytes]]
) -> bytes:
    """The position file to write: as carried, with its origin recorded when the PDF says it."""
    if not sources.current_format:
        report.notes.append(
            f"'{sources.pdf.name}' was made by an older Standpunt: its publisher, version and "
            "signatures cannot be checked, so they were not imported"
        )
        return sources.position_yaml
    plain = to_plain(sources.position)
    if not isinstance(plain, dict):
        return sources.position_yaml
    publisher = _publisher(sources, logos, workspace)
    version = sources.manifest.get("version")
    version = version if isinstance(version, dict) else {}
    origin: dict[str, Any] = {"publisher": publisher}
    for name in ("label", "commit", "date"):
        value = version.get(name)
        if isinstance(value, str) and value.strip():
            origin["version" if name == "label" else name] = one_line(value)[:80]
    if "date" in origin and not _is_date(origin["date"]):
        del origin["date"]
    origin["fingerprint"] = sources.fingerprint
    plain["origin"] = origin
    report.origin = publisher["name"]
    return normalised_yaml(plain)


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _clean(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    """The text fields of a carried definition, each on one line; others are left out."""
    found = {}
    for name in names:
        value = data.get(name)
        if isinstance(value, str):
            try:
                text = one_line(value, name)
            except ValueError:
                continue
            if text:
                found[name] = text
    return found


def _publisher(
    sources: Sources, logos: dict[str, tuple[Path, bytes]], workspace: Workspace
) -> dict[str, Any]:
    carried = sources.publisher() or {}
    publisher: dict[str, Any] = _clean(carried, _PUBLISHER_FIELDS)
    publisher.setdefault("name", "unknown publisher")
    person = carried.get("responsible_publisher")
    if isinstance(person, dict):
        responsible = _clean(person, ("name", "address"))
        if len(responsible) == 2:
            publisher["responsible_publisher"] = responsible
    logo = _logo(workspace, sources, carried.get("logo"), _slug(publisher["name"]), logos)
    if logo:
        publisher["logo"] = logo
    if validate(Organisation, publisher, Location(sources.pdf.name))[0] is None:
        return {"name": publisher["name"]}
    return publisher


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "publisher"


def _logo(
    workspace: Workspace,
    sources: Sources,
    name: Any,
    stem: str,
    logos: dict[str, tuple[Path, bytes]],
) -> str | None:
    """Where a carried logo goes in assets/imported/ (reusing a file with the same bytes)."""
    if not isinstance(name, str) or name not in sources.files:
        return None
    suffix = Path(name).suffix.lower()
    if suffix not in _LOGO_SUFFIXES:
        return None
    data = sources.files[name]
    folder = workspace.root / ASSETS_DIR / "imported"
    for number in range(1, 100):
        path = folder / (f"{stem}{suffix}" if number == 1 else f"{stem}-{number}{suffix}")
        taken = logos.get(path.as_posix())
        if taken is not None and taken[1] != data:
            continue
        if (path.exists() or path.is_symlink()) and not _holds(workspace.root, path, data):
            continue
        logos[path.as_posix()] = (path, data)
        return path.relative_to(workspace.root).as_posix()
    return None


def _holds(root: Path, path: Path, data: bytes) -> bool:
    """Whether ``path`` is a regular file of the workspace holding exactly ``data``."""
    try:
        return read_bounded(path, path.name, len(data), [root]) == data
    except StandpuntError:
        return False


def _partners(
    workspace: Workspace, sources: Sources, report: Imported
) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[Path, bytes]]]:
    """The partners to add, and the logos to write; conflicts go into ``report``."""
    logos: dict[str, tuple[Path, bytes]] = {}
    added: dict[str, dict[str, Any]] = {}
    if not sources.current_format:
        return added, logos
    for key, carried in sources.partners().items():
        data: dict[str, Any] = _clean(carried, _PARTNER_FIELDS)
        keys = _keys(carried.get("keys"))
        if keys:
            data["keys"] = [k.line + (f" {k.comment}" if _plain(k.comment) else "") for k in keys]
        existing = workspace.config.partners.get(key)
        if existing is not None:
            differs = _differences(existing, data)
            if differs:
                report.conflicts.append((key, differs))
            continue
        if "name" not in data:
            continue
        logo = _logo(workspace, sources, carried.get("logo"), key, logos)
        if logo:
            data["logo"] = logo
        if validate(Partner, data, Location(sources.pdf.name))[0] is not None:
            added[key] = data
    return added, logos


def _plain(comment: str) -> bool:
    try:
        return bool(comment) and one_line(comment) == comment
    except ValueError:
        return False


def _keys(value: Any) -> list[PublicKey]:
    found = []
    for line in value if isinstance(value, list) else []:
        if isinstance(line, str):
            try:
                found.append(parse_key_entry(line))
            except SshError:
                continue
    return found


def _differences(existing: Partner, data: dict[str, Any]) -> str:
    """What a carried partner definition says otherwise than this workspace's."""
    differs = [
        f"{name} '{data[name]}' (here '{getattr(existing, name) or ''}')"
        for name in ("name", "short", "website")
        if name in data and data[name] != getattr(existing, name)
    ]
    ours = {_blob(k) for k in existing.keys}
    theirs = {_blob(k) for k in data.get("keys", [])}
    if theirs != ours:
        differs.append("its keys")
    return ", ".join(differs)


def _blob(line: str) -> bytes:
    try:
        return parse_key_entry(line).blob
    except SshError:
        return line.encode()


def _signatures(
    workspace: Workspace,
    sources: Sources,
    pid: str,
    added: dict[str, dict[str, Any]],
    report: Imported,
) -> list[Signature]:
    """The carried signatures that hold the carried text, for this workspace and the PDF alike."""
    carried = sources.signatures()
    if not carried or not sources.current_format:
        return []
    if pid != sources.position_id:
        report.refused.extend(
            (key, f"a signature names the position '{sources.position_id}', not '{pid}'")
            for key in carried
        )
        return []
    theirs = Trust({k: _keys(v.get("keys")) for k, v in sources.partners().items()})
    here = trust(workspace)
    ours = Trust(
        {**here.keys, **{k: _keys(v.get("keys")) for k, v in added.items()}}, here.verified_only
    )
    found = []
    for key, data in sorted(carried.items()):
        signature = _carried_signature(workspace, sources, pid, key, data)
        if isinstance(signature, str):
            report.refused.append((key, signature))
            continue
        if key not in workspace.config.partners and key not in added:
            report.refused.append((key, "the partner is not in standpunt.yaml"))
            continue
        for judge in (theirs, ours):
            checked = proven(judge, signature)
            if checked.proof is Proof.INVALID:
                report.refused.append((key, checked.problem or "it does not hold"))
                break
        else:
            found.append(checked)
            report.signatures.append(key)
    return found


def _carried_signature(
    workspace: Workspace, sources: Sources, pid: str, key: str, data: bytes
) -> Signature | str:
    """One carried signature file, or why it cannot be taken."""
    try:
        raw = parse_yaml(data, f"{sources.pdf.name}:signature-{key}.yaml")
    except StandpuntError as exc:
        return exc.message
    record, problems = validate_signature(raw, Location(sources.pdf.name))
    if record is None or problems:
        return "the signature file is damaged"
    if record.partner != key:
        return f"the file of '{key}' holds a signature of '{record.partner}'"
    if record.fingerprint != sources.fingerprint:
        return "it is of another text than the one the PDF carries"
    return record.recorded(pid, signature_path(workspace, pid, key))


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
        elif _public(to_plain(existing.csl)) != _public(to_plain(item)):
            raise StandpuntError(
                f"evidence '{key}' in '{pdf.name}' differs from the one at {existing.location}; "
                "nothing was imported. Give one of them another id, or make them the same",
                code="evidence-conflict",
            )
    return new_items


def _public(item: Any) -> Any:
    """An item without its internal fields: a PDF leaves them at home; ours may have them."""
    if not isinstance(item, dict):
        return item
    return {k: v for k, v in item.items() if str(k).lower() not in INTERNAL_EVIDENCE_FIELDS}


def _new_evidence_file(folder: Path, pid: str) -> Path:
    """A name no file has yet: an earlier import may have left imported-<id>.json behind."""
    evidence_file = folder / f"imported-{pid}.json"
    number = 2
    while evidence_file.exists():
        evidence_file = folder / f"imported-{pid}-{number}.json"
        number += 1
    return evidence_file
