"""Which revision of a position a partner signed: ``standpunt diff POS --signed-by PARTNER``.

A signature records a fingerprint, not a commit. The revision is found by computing the
fingerprint of the position, with the evidence it cites, at each of the last commits that
touched the position file or an evidence file, newest first, until one matches. Old files are
read from git's object database in one batch per commit (:func:`read_many_at`), never checked out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from standpunt.cite.locate import citations_in
from standpunt.coalition.fingerprint import fingerprint, position_fingerprint, short
from standpunt.coalition.signatures import Proof, read_signatures
from standpunt.errors import StandpuntError, UsageError, did_you_mean
from standpunt.versions.history import commits_touching, read_many_at
from standpunt.workspace.bibliography import BIBLIOGRAPHY_FORMATS, bibliography_entries
from standpunt.workspace.csl import csl_json, evidence_problems
from standpunt.workspace.load import YamlMapping, parse_json, parse_yaml, to_plain
from standpunt.workspace.read import EVIDENCE_SUFFIXES, PositionFile, Workspace, select

__all__ = ["signed_revision"]

#: How many commits are searched for the text a partner signed.
MAX_COMMITS = 500


def signed_revision(workspace: Workspace, position_id: str, partner: str) -> str:
    """The commit whose text of ``position_id`` is the text ``partner`` signed."""
    (pid,) = select(workspace, [position_id])
    found, _ = read_signatures(workspace)
    signed = {s.partner: s for s in found.get(pid, [])}
    signature = signed.get(partner)
    if signature is None:
        hint = did_you_mean(partner, signed)
        raise UsageError(
            f"partner '{partner}' has not signed '{pid}'{hint}; 'standpunt status {pid}' shows "
            "who has",
            code="not-signed",
        )
    if signature.proof is Proof.INVALID:
        raise StandpuntError(
            f"the signature of '{partner}' is invalid ({signature.problem}), so it says nothing "
            "about which text the partner read",
            code="invalid-signature",
        )
    if signature.fingerprint == position_fingerprint(workspace, pid):
        raise StandpuntError(
            f"partner '{partner}' signed the current text of '{pid}': nothing changed since",
            code="nothing-changed",
        )
    position = workspace.positions[pid]
    files = [position.path, *_evidence_files(workspace)]
    for commit in commits_touching(workspace.root, files, MAX_COMMITS):
        contents = read_many_at(workspace.root, [(commit, path) for path in files])
        if _fingerprint_at(workspace, position, files, contents) == signature.fingerprint:
            return commit
    raise StandpuntError(
        f"no committed version of '{pid}' has the text '{partner}' signed (fingerprint "
        f"{short(signature.fingerprint)}, signed on {signature.date.isoformat()}): it was "
        "signed from a copy that was never committed, or more than "
        f"{MAX_COMMITS} commits ago. Compare by hand with 'standpunt diff {pid} REVISION'",
        code="signed-text-not-found",
    )


def _evidence_files(workspace: Workspace) -> list[Path]:
    """The evidence files the workspace read: CSL-YAML, CSL-JSON, .bib and .ris."""
    paths = {workspace.root / item.location.path for item in workspace.evidence.values()}
    return sorted(p for p in paths if p.suffix.lower() in EVIDENCE_SUFFIXES)


def _fingerprint_at(
    workspace: Workspace, position: PositionFile, files: list[Path], contents: list[bytes | None]
) -> str | None:
    """The fingerprint of the position as committed, with the evidence committed with it."""
    data = contents[0]
    if data is None:
        return None
    try:
        raw = parse_yaml(data, position.display)
    except StandpuntError:
        return None
    items: dict[str, dict[str, Any]] = {}
    for path, blob in zip(files[1:], contents[1:], strict=True):
        if blob is not None:
            items.update(_items(workspace, path, blob))
    old = PositionFile(position.id, position.path, position.display, raw)
    cited: dict[str, dict[str, Any]] = {}
    for citation in citations_in(old):
        item = items.get(citation.key)
        if item is not None:
            cited.setdefault(citation.key, item)
    return fingerprint(raw, cited)


def _items(workspace: Workspace, path: Path, data: bytes) -> dict[str, dict[str, Any]]:
    """The valid evidence items of one committed evidence file, by id: a .bib or .ris file
    converted as the workspace converts it (in its language), so that a position citing one
    has the fingerprint it had."""
    suffix = path.suffix.lower()
    try:
        if suffix in BIBLIOGRAPHY_FORMATS:
            entries, _ = bibliography_entries(
                data.decode("utf-8"), path.name, suffix, workspace.root, workspace.config.lang
            )
            read: Any = [entry.raw for entry in entries]
        elif suffix == ".json":
            read = parse_json(data, path.name)
        else:
            read = parse_yaml(data, path.name)
    except (StandpuntError, UnicodeDecodeError):
        return {}
    if isinstance(read, YamlMapping) and set(read) == {"references"}:
        read = read["references"]
    found: dict[str, dict[str, Any]] = {}
    for item in read if isinstance(read, list) else []:
        if not isinstance(item, YamlMapping) or not isinstance(item.get("id"), str):
            continue
        if evidence_problems(item):
            found[str(item["id"])] = to_plain(item)
        else:
            found[str(item["id"])] = csl_json(item)
    return found
