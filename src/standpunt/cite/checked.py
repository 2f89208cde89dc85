"""Citation HTML read back from build/: accepted only if ``shape.lua`` could have written it.

The citation cache (build/.standpunt-cache/) is a hint, not truth: anyone who can write the
workspace's build/ folder — a partner who handed over a repository with its build/, a synced
folder — can write it. So HTML read from it is held to the rule ``shape.lua`` applies to fresh
output: the elements pandoc's HTML writer makes, only the attributes in :data:`SAFE` (no event
handlers, no ``style`` beyond the alignment and widths pandoc writes), links only to safe places
(:func:`safe_link`) and images only from the workspace or inline data (:func:`safe_source`);
no comment, declaration or processing instruction. HTML that breaks the rule is not repaired
but refused, and the position is cited again by pandoc.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from standpunt.cite.citeproc import CitedText

__all__ = ["SAFE", "safe_cited", "safe_html", "safe_link", "safe_source"]

#: The attributes ``shape.lua`` keeps (its SAFE list), and the ones pandoc's writer adds.
SAFE = frozenset(
    [
        "id",
        "class",
        "href",
        "src",
        "alt",
        "title",
        "role",
        "data-cites",
        "colspan",
        "rowspan",
        "start",
        "type",
        "lang",
        "dir",
        "reversed",
        "aria-hidden",
        "aria-label",
        "data-entry-spacing",
        "data-line-spacing",
        "style",
        "wrapper",
    ]
)

#: The elements pandoc's HTML writer makes, and the marks ``shape.lua`` adds.
ELEMENTS = frozenset(
    [
        "a",
        "abbr",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "div",
        "dl",
        "dt",
        "em",
        "embed",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "samp",
        "section",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "u",
        "ul",
        "var",
        "wbr",
        "standpunt-note",
        "standpunt-paragraph",
    ]
)

#: The only ``style`` pandoc writes: alignment of table cells and widths of columns.
_STYLE = re.compile(r"(?:\s*(?:text-align|width)\s*:\s*[a-z0-9.%\s-]+;?)*\s*")


def _normalised(url: str) -> str:
    """A URL as a browser reads it (``shape.lua``'s ``normalised``)."""
    value = re.sub("[\t\n\r]", "", url).strip()
    return value.strip("".join(map(chr, range(33)))).lower()


def safe_link(url: str) -> bool:
    """Where a link may lead (``shape.lua``'s ``safe_link``)."""
    if url.startswith("#"):
        return True
    value = _normalised(url)
    return value.startswith(("#", "http:", "https:", "ftp:", "mailto:", "urn:", "data:image/")) or (
        ":" not in value
    )


def safe_source(url: str) -> bool:
    """What an image may show (``shape.lua``'s ``safe_source``)."""
    value = _normalised(url)
    if value.startswith("data:image/"):
        return True
    if ":" in value or value.startswith(("/", "\\")):
        return False
    path = re.sub(r"[?#].*$", "", value).replace("%2e", ".")
    return ".." not in re.split(r"[/\\]+", path)


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.safe = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ELEMENTS:
            self.safe = False
        for name, value in attrs:
            text = value or ""
            if tag == "standpunt-note" and name.isdigit() and value is None:
                continue  # the note's number: <standpunt-note 3>
            if (name not in SAFE and not name.startswith("aria-")) or (
                (name == "href" and not safe_link(text))
                or (name == "src" and not safe_source(text))
                or (name == "style" and not _STYLE.fullmatch(text))
            ):
                self.safe = False

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag: str) -> None:
        if tag not in ELEMENTS:
            self.safe = False

    def handle_comment(self, data: str) -> None:
        self.safe = False

    def handle_decl(self, decl: str) -> None:
        self.safe = False

    def handle_pi(self, data: str) -> None:
        self.safe = False

    def unknown_decl(self, data: str) -> None:
        self.safe = False


def safe_html(html: str) -> bool:
    """Whether ``html`` keeps the rule ``shape.lua`` applies (see the module's text)."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    return checker.safe


def safe_cited(cited: CitedText) -> bool:
    """Whether every piece of HTML of a cited text keeps the rule (see the module's text)."""
    pieces = [cited.bibliography]
    for medium in cited.media.values():
        pieces.extend(medium.fields.values())
        pieces.append(medium.notes)
        pieces.extend(anchor.text for anchor in medium.anchors)
    return all(safe_html(piece) for piece in pieces)
