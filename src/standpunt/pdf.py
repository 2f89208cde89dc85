"""HTML to PDF through WeasyPrint, which reaches nothing outside the workspace.

Importing WeasyPrint costs about half a second, so this module is only imported by the commands
that write PDFs. Every resource goes through :class:`WorkspaceFetcher`: files inside the workspace
(real paths, symlinks resolved) and ``data:`` URIs, nothing else.
"""

from __future__ import annotations

import logging
from pathlib import Path

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .errors import StandpuntError

log = logging.getLogger("standpunt.pdf")

PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b", "none")


class RefusedResource(ValueError):
    """A resource outside what a position may use."""


class WorkspaceFetcher(URLFetcher):
    """The one way WeasyPrint gets at resources: workspace files and data: URIs only."""

    def __init__(self, root: Path) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self.root = root.resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file:"):
            from urllib.request import url2pathname

            path = Path(url2pathname(url.split("?")[0].split("#")[0].removeprefix("file:")))
            real = path.resolve()
            if real.is_relative_to(self.root) and real.is_file():
                return URLFetcherResponse(url, body=real.read_bytes())
        self.refused.append(url)
        raise RefusedResource(f"refused to load '{url}': only files inside the workspace are used")


def write_pdf(html: str, root: Path, variant: str = "pdf/ua-1") -> bytes:
    """Render ``html`` to PDF bytes; ``root`` is the only folder it may read from."""
    fetcher = WorkspaceFetcher(root)
    options: dict[str, object] = {}
    if variant != "none":
        options["pdf_variant"] = variant
    try:
        document = HTML(string=html, base_url=root.resolve().as_uri() + "/", url_fetcher=fetcher)
        pdf = document.write_pdf(**options)
    except StandpuntError:
        raise
    except Exception as exc:  # WeasyPrint's own failures are reported, never a traceback
        raise StandpuntError(f"the PDF could not be made: {exc}", code="pdf-failed") from exc
    for url in fetcher.refused:
        log.warning("refused to load '%s': only files inside the workspace are used", url)
    assert isinstance(pdf, bytes)
    return pdf
