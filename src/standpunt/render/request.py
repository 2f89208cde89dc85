"""What a PDF is made from: plain, picklable data that crosses into a render worker.

This module imports nothing heavy: the build prepares each PDF's :class:`PdfSettings` in the main
process, before the page exists and without WeasyPrint; the worker renders the page and hands both
to :func:`standpunt.render.pdf.write_pdf` as one :class:`RenderRequest`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from standpunt.choices import DEFAULT_PDF_VARIANT, PdfVariant


@dataclass(frozen=True)
class Attachment:
    """A file embedded in the PDF: the sources a reader can take back out."""

    name: str
    data: bytes
    description: str


@dataclass(frozen=True, kw_only=True)
class PdfSettings:
    """How a page becomes a PDF, known before the page is rendered."""

    #: Resources are read from below these folders only; the first is the page's base.
    roots: tuple[Path, ...]
    #: The PDF flavour.
    variant: PdfVariant = DEFAULT_PDF_VARIANT
    #: The anchors the PDF must contain (a citation, a note, a bibliography entry), each with
    #: what a message calls it: a PDF that lost one is not written.
    expected: Mapping[str, str] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()
    #: The moment the PDF claims to be from (SOURCE_DATE_EPOCH): the version's commit time.
    epoch: int | None = None

    def for_page(self, html: str, page_limit: int | None) -> RenderRequest:
        """The request that makes this PDF of ``html``, at most ``page_limit`` pages long."""
        settings = {f.name: getattr(self, f.name) for f in fields(PdfSettings)}
        return RenderRequest(html=html, page_limit=page_limit, **settings)


@dataclass(frozen=True, kw_only=True)
class RenderRequest(PdfSettings):
    """Everything needed to make one PDF: the page, and how to make it."""

    html: str
    #: At most this many pages (None: no cap).
    page_limit: int | None = None
