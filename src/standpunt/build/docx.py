"""``build --format docx``: a position as a Word document, for partners who work in Word.

pandoc writes it, from the same texts and evidence as the PDF: the summary, the asks as a
numbered list, the sections with their pull quotes, notes as Word footnotes, and the
bibliography, in the styles of ``reference.docx`` (the built-in design's fonts and colours).
Each citation is a Zotero field carrying the CSL data of the works it cites (``docx_fields.lua``),
so that Zotero's Word plug-in can refresh it in any style, and ``standpunt docx-import`` reads
it back as a citation of the same key. The document names the position and the fingerprint of
the text it was made from in its custom properties, so that a copy coming back is compared with
the right text.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from standpunt.build.plan import PlannedPosition
from standpunt.cite.citeproc import Style
from standpunt.cite.styles import prepare_style
from standpunt.errors import StandpuntError
from standpunt.pandoc import MARKDOWN_FORMAT, run_pandoc
from standpunt.workspace.read import Workspace

CITE = Path(__file__).parent.parent / "cite"
READER = CITE / "docx_read.lua"
FIELDS = CITE / "docx_fields.lua"
LOCATORS = CITE / "locators.lua"
#: Word's styles for the document: pandoc's own, with the built-in design's fonts and colours,
#: and the paragraph style of pull quotes.
REFERENCE = Path(__file__).parent.parent / "templates" / "default" / "reference.docx"
#: The biggest document a position may become, in bytes.
MAX_DOCX_BYTES = 50 * 1024 * 1024


def docx_request(workspace: Workspace, planned: PlannedPosition) -> dict[str, Any]:
    """What ``docx_read.lua`` reads: the position's texts, labels, metadata and evidence."""
    position = planned.position
    labels = workspace.labels(planned.lang)
    meta: dict[str, Any] = {
        "title": position.title,
        "subtitle": position.subtitle,
        "lang": planned.lang,
        "date": position.date.isoformat() if position.date else None,
        "author": [author.name for author in position.authors] or None,
        "standpunt-position": planned.id,
        "standpunt-fingerprint": planned.fingerprint,
    }
    return {
        "format": MARKDOWN_FORMAT,
        "meta": meta,
        "labels": {key: labels[key] for key in ("summary", "recommendations", "references")},
        "summary": position.summary,
        "recommendations": list(position.recommendations),
        "sections": [
            {"title": section.title, "body": section.body, "quote": section.quote}
            for section in position.sections
        ],
        "aliases": planned.aliases,
        "references": planned.evidence,
    }


def export_docx(
    workspace: Workspace, planned: PlannedPosition, style: Style, timeout: float
) -> bytes:
    """The Word document of a planned position; its citations formatted in ``style``."""
    prepared = prepare_style(style.path, style.name, planned.lang, style.where)
    references = prepared.localized(planned.evidence)
    request = docx_request(workspace, planned)
    request["references"] = references
    with tempfile.TemporaryDirectory(prefix="standpunt-") as tmp:
        bibliography = Path(tmp, "references.json")
        bibliography.write_text(json.dumps(references, ensure_ascii=False), encoding="utf-8")
        csl = Path(tmp, "style.csl")
        csl.write_bytes(prepared.csl)
        target = Path(tmp, "position.docx")
        locators = json.dumps(prepared.locators, ensure_ascii=False)
        args = [
            "--from", str(READER),
            "--to", "docx",
            "--reference-doc", str(REFERENCE),
            "--lua-filter", str(LOCATORS),
            "--metadata", f"standpunt-locators={locators}",
            "--citeproc",
            "--csl", str(csl),
            "--bibliography", str(bibliography),
            "--lua-filter", str(FIELDS),
            "--output", str(target),
        ]  # fmt: skip
        stdin = json.dumps(request, ensure_ascii=False)
        run_pandoc(args, stdin, timeout=timeout, env=_dated(planned))
        size = target.stat().st_size
        if size > MAX_DOCX_BYTES:
            raise StandpuntError(
                f"the Word document of this position would be {size // 1_000_000} MB; "
                f"positions are limited to {MAX_DOCX_BYTES // 1_000_000} MB",
                code="docx-too-large",
            )
        return target.read_bytes()


#: The date of a document whose text is in no commit: the first a zip file can hold.
_UNDATED = 315_532_800  # 1980-01-01


def _dated(planned: PlannedPosition) -> dict[str, str]:
    """The environment that dates the document's files as the text's commit (pandoc reads
    SOURCE_DATE_EPOCH), so that the same text makes the same bytes."""
    return {"SOURCE_DATE_EPOCH": str(planned.stamp.timestamp or _UNDATED)}
