"""The files a PDF carries inside it: only what is public, so that a reader can take its sources
back out (``standpunt import``) and check them (``standpunt verify``).

The position as normalised YAML (no comments), the evidence it cites as CSL-JSON (without the
internal ``note`` and ``quote`` unless ``attach: {notes: true}``), the co-signatures of this very
text, the logos and definitions of its publisher and of its partners (their public keys
included, so that a signature can be checked by whoever receives the PDF), and a manifest.
``attach: false`` embeds nothing. The names are declared in :mod:`standpunt.coalition.share`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from standpunt import __version__
from standpunt.build.plan import PlannedPosition
from standpunt.coalition.fingerprint import INTERNAL_EVIDENCE_FIELDS
from standpunt.coalition.share import (
    EVIDENCE,
    MANIFEST,
    MANIFEST_FORMAT,
    PARTNER_LOGO,
    PUBLISHER_LOGO,
    SIGNATURE_PREFIX,
    normalised_yaml,
)
from standpunt.coalition.signatures import Signature, signature_yaml
from standpunt.errors import StandpuntError
from standpunt.render.request import Attachment
from standpunt.render.template import IMAGE_TYPES, MAX_IMAGE_BYTES, Version
from standpunt.workspace.load import to_plain
from standpunt.workspace.paths import read_bounded, readable_file
from standpunt.workspace.read import Workspace
from standpunt.workspace.schema import Organisation


def attachments(
    workspace: Workspace,
    planned: PlannedPosition,
    version: Version,
    signers: Sequence[Signature],
    publisher: Organisation,
) -> tuple[Attachment, ...]:
    """What the position's PDF embeds. ``version`` and ``publisher`` are those the page shows
    (an imported position built unchanged shows its origin's), ``signers`` the signatures that
    hold this text."""
    settings = workspace.config.attach
    if not settings.sources:
        return ()
    plain = to_plain(planned.file.raw)
    evidence = [_public(item, settings.notes) for item in planned.evidence]
    files = [
        Attachment(f"{planned.id}.yaml", normalised_yaml(plain), "the position"),
        Attachment(EVIDENCE, _json(evidence), "the evidence it cites, as CSL-JSON"),
    ]
    files += [
        Attachment(
            f"{SIGNATURE_PREFIX}{signature.partner}.yaml",
            signature_yaml(signature, "sign").encode("utf-8"),
            f"co-signature of {signature.partner}",
        )
        for signature in signers
    ]
    logo = _logo(workspace, publisher.logo, PUBLISHER_LOGO, files)
    keys = list(dict.fromkeys([*planned.position.signatories, *(s.partner for s in signers)]))
    manifest = {
        "format": MANIFEST_FORMAT,
        "standpunt": __version__,
        "id": planned.id,
        "title": planned.position.title,
        "fingerprint": planned.fingerprint,
        "version": {k: version.get(k) for k in ("label", "commit", "date", "modified")},
        "publisher": {
            **_fields(publisher, ("name", "short", "website", "contact", "licence")),
            **_responsible(publisher),
            "logo": logo,
        },
        "partners": {
            key: _partner(workspace, key, files) for key in keys if key in workspace.config.partners
        },
        "co_signers": [signature.partner for signature in signers],
        "files": [a.name for a in files],
    }
    files.append(Attachment(MANIFEST, _json(manifest), "what this PDF was made from"))
    return tuple(files)


def _public(item: dict[str, Any], notes: bool) -> dict[str, Any]:
    """An evidence item without its internal fields (unless ``notes``)."""
    if notes:
        return item
    return {k: v for k, v in item.items() if str(k).lower() not in INTERNAL_EVIDENCE_FIELDS}


def _fields(model: Any, names: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(model, name) for name in names if getattr(model, name) is not None}


def _responsible(publisher: Any) -> dict[str, Any]:
    """The publisher's responsible publisher, which the law wants on every copy: a partner's
    rebuild of an unchanged import prints it too."""
    person = getattr(publisher, "responsible_publisher", None)
    if person is None:
        return {}
    return {"responsible_publisher": {"name": person.name, "address": person.address}}


def _partner(workspace: Workspace, key: str, files: list[Attachment]) -> dict[str, Any]:
    partner = workspace.config.partners[key]
    found = _fields(partner, ("name", "short", "website", "colour"))
    if partner.keys:
        found["keys"] = list(partner.keys)
    logo = _logo(workspace, partner.logo, f"{PARTNER_LOGO}{key}", files)
    if logo:
        found["logo"] = logo
    return found


def _logo(
    workspace: Workspace, relative: str | None, stem: str, files: list[Attachment]
) -> str | None:
    """Embed a logo of the workspace under ``stem`` and its suffix; its name, or None when there
    is none to embed (a logo that cannot be read is reported by check and left out here)."""
    if not relative:
        return None
    path = workspace.root / relative
    suffix = Path(relative).suffix.lower()
    if suffix not in IMAGE_TYPES or not readable_file(path, [workspace.root]):
        return None
    try:
        data = read_bounded(path, relative, MAX_IMAGE_BYTES, [workspace.root])
    except StandpuntError:
        return None
    name = f"{stem}{suffix}"
    files.append(Attachment(name, data, "a logo"))
    return name


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")
