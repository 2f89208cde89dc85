"""HTML to PDF through WeasyPrint, which reaches nothing outside the workspace.

Importing WeasyPrint costs about half a second, so this module is only imported by the commands
that write PDFs. Every resource goes through :class:`WorkspaceFetcher`: files inside the workspace
(real paths, symlinks resolved) and ``data:`` URIs, nothing else.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from weasyprint import HTML, Attachment
from weasyprint.document import Document
from weasyprint.formatting_structure import boxes
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from standpunt.errors import StandpuntError
from standpunt.render.request import RenderRequest
from standpunt.render.tagging import finish_tags
from standpunt.workspace.paths import inside, read_bounded, readable_file

log = logging.getLogger(__name__)


class RefusedResource(ValueError):
    """A resource outside what a position may use."""


# WeasyPrint ships without type information, so to mypy its classes are Any.
class WorkspaceFetcher(URLFetcher):  # type: ignore[misc]
    """The one way WeasyPrint gets at resources: files under ``roots`` and data: URIs only.

    ``roots`` are the workspace and the template folders (for the built-in template's fonts).
    """

    def __init__(self, roots: Sequence[Path]) -> None:
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self.roots = [root.resolve() for root in roots]
        self.refused: list[str] = []
        #: Files asked for inside ``roots`` that are not there, as the user would write them.
        self.missing: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith("file:"):
            from urllib.request import url2pathname

            path = Path(url2pathname(url.split("?")[0].split("#")[0].removeprefix("file:")))
            if readable_file(path, self.roots):
                try:
                    body = read_bounded(path, url, MAX_RESOURCE_BYTES, self.roots)
                except StandpuntError:
                    body = None
                if body is not None:
                    return URLFetcherResponse(url, body=body)
            missing = _missing(path, self.roots)
            if missing is not None:
                self.missing.append(missing)
                raise RefusedResource(f"there is no file {missing}{_WHERE_FROM}")
        self.refused.append(url)
        raise RefusedResource(f"refused to load '{url}': only files inside the workspace are used")


_WHERE_FROM = (
    ": a url() in a page's own <style> counts from the workspace, one in the template's "
    "style.css from the template's folder"
)


def _missing(path: Path, roots: Sequence[Path]) -> str | None:
    """``path`` as the user would write it (from the root it lies in) when it names no file in
    a folder inside one of ``roots``; None when it exists, or lies outside them (refused then,
    without saying whether anything is there)."""
    if os.path.lexists(path):
        return None
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    for root in roots:
        if inside(folder, [root]):
            try:
                return "'" + path.relative_to(root).as_posix() + "'"
            except ValueError:  # lexically elsewhere (through a link): its address as given
                return f"'{path}'"
    return None


#: The largest file a page may load (a font, an image): larger ones are refused unread.
MAX_RESOURCE_BYTES = 64 * 2**20

#: When nothing better is known: 1980-01-01, the reproducible-builds convention.
DEFAULT_EPOCH = 315532800


def pdf_identifier(html: str, roots: Sequence[Path]) -> bytes:
    """The PDF's file identifier (/ID): a hash of the page with the address of each of its
    ``roots`` (the workspace, the template folders, the built-in template's fonts inside the
    installed package) written as its place in ``roots``. So the same workspace gives the same
    PDF, byte for byte, wherever it lies and wherever Standpunt is installed."""
    places = {root.resolve().as_uri() + "/": f"root{n}:/" for n, root in enumerate(roots)}
    if places:
        # one pass, the longest address first (a template folder inside the workspace)
        pattern = re.compile("|".join(re.escape(uri) for uri in sorted(places, key=len)[::-1]))
        html = pattern.sub(lambda match: places[match.group(0)], html)
    return hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode()


def write_pdf(request: RenderRequest, notices: list[str] | None = None) -> bytes:
    """Render a request to PDF bytes, reading only below its roots (the first is the base).

    The same request gives the same bytes: times come from ``epoch``, the file identifier from
    the content. If WeasyPrint lost an expected anchor (a citation, a footnote, a bibliography
    entry), no PDF is made.
    """
    epoch = request.epoch if request.epoch is not None else DEFAULT_EPOCH
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    fetcher = WorkspaceFetcher(request.roots)
    options: dict[str, object] = {
        "custom_metadata": True,
        "pdf_identifier": pdf_identifier(request.html, request.roots),
        "attachments": [
            Attachment(
                file_obj=io.BytesIO(attachment.data),
                name=attachment.name,
                description=attachment.description,
                created=moment,
                modified=moment,
            )
            for attachment in request.attachments
        ],
    }
    if request.variant != "none":
        options["pdf_variant"] = request.variant
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    # fontTools stamps the current time into subset fonts unless this is set.
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        base = request.roots[0].resolve().as_uri() + "/"
        with _weasyprint_failures():
            page = HTML(string=request.html, base_url=base, url_fetcher=fetcher)
            document = page.render(font_config=_font_config(), **options)
            document = _keep_notes(page, document, request.expected, options)
        _check_pages(document, request, notices)
        with _weasyprint_failures():
            pdf = document.write_pdf(finisher=finish_tags, **options)
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved
    for url in fetcher.refused:
        # A text's image that cannot be shown is reported by check, at its line; this is
        # what no check sees (a template's own resources).
        if not url.startswith(base):
            log.warning("refused to load '%s': only files inside the workspace are used", url)
    for missing in dict.fromkeys(fetcher.missing):
        log.warning("there is no file %s%s", missing, _WHERE_FROM)
    assert isinstance(pdf, bytes)
    return pdf


@contextmanager
def _weasyprint_failures() -> Iterator[None]:
    """WeasyPrint's own failures on a page's HTML and CSS are reported, never a traceback.

    Only calls into WeasyPrint go inside: a failure of Standpunt's own code is a bug, and must
    reach the command line as one.
    """
    try:
        yield
    except Exception as exc:
        what = str(exc).strip() or (
            f"WeasyPrint stopped ({type(exc).__name__}) without saying why, as it does on CSS it "
            "cannot lay out; if the workspace has a template of its own, undo its latest change "
            "to find the rule"
        )
        raise StandpuntError(f"the PDF could not be made: {what}", code="pdf-failed") from exc


def _check_pages(
    document: Document, request: RenderRequest, notices: list[str] | None = None
) -> None:
    """No PDF over the page limit, and none that lost an expected anchor."""
    if request.page_limit is not None and len(document.pages) > request.page_limit:
        raise StandpuntError(
            f"this position makes {len(document.pages)} pages, more than the limit of "
            f"{request.page_limit}; shorten it, or raise 'limits: pages:' in standpunt.yaml",
            code="page-limit",
        )
    lost = missing_anchors(document, request.expected)
    for anchor, call, note in notes_off_their_page(document, request.expected):
        # A note that even a layout again (keep_notes_with_calls) left off its call's page:
        # said (as a warning of the build), not refused.
        said = (
            f"the layout put {request.expected[anchor]} on page {note}, away from its call on "
            f"page {call}, even laid out again; a shorter note, or a shorter paragraph before its "
            "call, keeps them together"
        )
        if notices is None:
            log.warning("%s", said)
        else:
            notices.append(said)
    if lost:
        listed = "; ".join(request.expected[anchor] for anchor in lost[:5])
        more = f" and {len(lost) - 5} more" if len(lost) > 5 else ""
        raise StandpuntError(
            f"the rendered PDF lost {listed}{more}; no PDF was written, so that no reader "
            "gets a document with a citation missing. Either the template leaves it out, "
            "or the layout engine dropped it (changing the text around it, or the "
            "template's footnote CSS, avoids that)",
            code="lost-citation",
        )


_FONTS: list[FontConfiguration] = []


def _font_config() -> FontConfiguration:
    """One font configuration per process: fonts found once serve every later page."""
    if not _FONTS:
        _FONTS.append(FontConfiguration())
    return _FONTS[0]


def missing_anchors(document: Document, expected: Mapping[str, str]) -> list[str]:
    """The expected anchors that are on no page of the laid-out document.

    Anchors are gathered from every box WeasyPrint placed, footnote areas included; a note or
    citation the layout dropped has no box, so its anchor is missing.
    """
    present: set[str] = set()
    for page in document.pages:
        present.update(page.anchors)
    return [anchor for anchor in expected if anchor not in present]


def notes_off_their_page(
    document: Document, expected: Mapping[str, str]
) -> list[tuple[str, int, int]]:
    """The page-foot notes (anchor ``fn-N``) printed on another page than their call (anchor
    ``fnc-N``, which the page marks): each with the call's and the note's page number."""
    page_of: dict[str, int] = {}
    for number, page in enumerate(document.pages, 1):
        for anchor in page.anchors:
            page_of.setdefault(anchor, number)
    moved = []
    for anchor in expected:
        if not anchor.startswith("fn-"):
            continue
        call, note = page_of.get("fnc-" + anchor[3:]), page_of.get(anchor)
        if call is not None and note is not None and call != note:
            moved.append((anchor, call, note))
    return moved


#: How many times a page is laid out again to bring notes back to their calls' pages.
MAX_NOTE_PASSES = 6


def _keep_notes(
    page: HTML, document: Document, expected: Mapping[str, str], options: dict[str, object]
) -> Document:
    """The layout with the fewest notes off their call's page: the first, or one laid out again
    (each pass moves on the paragraphs that sent notes away, which may send a later one away)."""
    best, fewest = document, len(notes_off_their_page(document, expected))
    for _ in range(MAX_NOTE_PASSES if fewest else 0):
        if not keep_notes_with_calls(document, expected):
            break
        document = page.render(font_config=_font_config(), **options)
        moved = len(notes_off_their_page(document, expected))
        if moved < fewest:
            best, fewest = document, moved
        if not moved:
            break
    return best


def keep_notes_with_calls(document: Document, expected: Mapping[str, str]) -> bool:
    """Whether the page must be laid out again, the paragraph that sent a note away from its
    call's page now kept from breaking where it broke.

    WeasyPrint moves a note off its call's page when a paragraph at the page's foot could keep
    only its first lines (its ``orphans``) beside the note: it keeps the lines and sends the
    note on, and does not take the note back when that paragraph then moves on whole. That
    paragraph is the one split over the call's page and the next, or else the one that opens
    the next page (after its heading). Its ``orphans`` raised above the lines it had (in the
    parsed page, which the next layout reads) moves it on whole without a note leaving.
    """
    changed = False
    for _, call, _ in notes_off_their_page(document, expected):
        if call >= len(document.pages):
            continue
        here = _flow_lines(document.pages[call - 1]._page_box)
        following = _flow_lines(document.pages[call]._page_box)
        # a heading moves on with the paragraph after it (break-after: avoid), which sent it
        opening = [line.element for line in following if line.element_tag not in _HEADINGS]
        if not opening or opening[0] is None:
            continue
        element = opening[0]
        lines = sum(line.element is element for line in here)
        style = element.get("style") or ""
        found = re.search(r"orphans: ([0-9]+)$", style)
        orphans = max(lines + 1, 3, int(found.group(1)) + 2 if found else 0)
        kept = style[: found.start()] if found else (style + "; " if style else "")
        element.set("style", f"{kept}orphans: {orphans}")
        changed = True
    return changed


_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def _flow_lines(page: Any) -> list[Any]:
    """A page's lines of text outside the notes and the margins, from top to bottom."""
    lines: list[Any] = []
    stack = [page]
    while stack:
        box = stack.pop()
        if isinstance(box, boxes.FootnoteAreaBox | boxes.MarginBox):
            continue
        if isinstance(box, boxes.LineBox):
            lines.append(box)
        else:
            stack.extend(getattr(box, "children", ()))
    return sorted(lines, key=lambda line: line.position_y)


# RenderRequest is declared in standpunt.render.request (no WeasyPrint there) and offered here too.
__all__ = [
    "RefusedResource",
    "RenderRequest",
    "WorkspaceFetcher",
    "keep_notes_with_calls",
    "missing_anchors",
    "notes_off_their_page",
    "write_pdf",
]
