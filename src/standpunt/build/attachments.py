"""The files a PDF carries inside it, so that a reader can take its sources back out.

The position as written, the evidence it cites as CSL-JSON, the co-signatures of this very text,
and a manifest of what the PDF was made from (``standpunt import`` reads them back).
"""

from __future__ import annotations

import json
from typing import Any

from standpunt import __version__
from standpunt.build.plan import PlannedPosition
from standpunt.coalition.share import EVIDENCE, MANIFEST
from standpunt.render.request import Attachment
from standpunt.render.template import Version


def attachments(
    planned: PlannedPosition, version: Version, signers: list[str]
) -> tuple[Attachment, ...]:
    """What the position's PDF embeds; ``version`` is the version as the page shows it and
    ``signers`` the partners whose signature matches this text."""
    files = [
        Attachment(
            f"{planned.id}.yaml", planned.file.path.read_bytes(), "the position, as written"
        ),
        Attachment(EVIDENCE, _json(planned.evidence), "the evidence it cites, as CSL-JSON"),
    ]
    # Only signatures of this very text travel with it; older ones would claim too much.
    files += [
        Attachment(
            f"signature-{signature.partner}.yaml",
            signature.path.read_bytes(),
            f"co-signature of {signature.partner}",
        )
        for signature in planned.signatures
        if signature.fingerprint == planned.fingerprint
    ]
    manifest = {
        "standpunt": __version__,
        "id": planned.id,
        "title": planned.position.title,
        "fingerprint": planned.fingerprint,
        "version": {k: version.get(k) for k in ("label", "commit", "date", "modified")},
        "co_signers": signers,
        "files": [a.name for a in files],
    }
    files.append(Attachment(MANIFEST, _json(manifest), "what this PDF was made from"))
    return tuple(files)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2).encode("utf-8")
