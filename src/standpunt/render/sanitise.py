"""The HTML page made safe to open, whatever template made it: the last step before it is kept.

A workspace's template may come from a partner, so the screen page it renders is read as if a
stranger wrote it. The page is parsed as a browser parses it (tinyhtml5, the WHATWG parser
WeasyPrint uses), and its head and body are each cleaned by nh3 (the Python binding of Rust's
ammonia) from an allow-list of the elements and attributes our templates make: no script, no
event handler, nothing that loads a resource from elsewhere (``link``, ``iframe``, ``object``,
``base``, ``meta`` refresh, ``srcset``, ...), and URLs only of the kinds a page may hold. The
CSS of ``<style>`` elements and ``style`` attributes is read with tinycss2: ``@import`` is
dropped and every ``url()`` (or ``image-set()``, ``src()``) that does not lead to an inline
image, a place in the page or a file beside it becomes ``none``.

The page is then written again around the cleaned parts, with the ``<html>`` and ``<body>``
attributes that pass the same allow-list, so that it parses into the same document as the page
the template wrote, less what was taken out. The preview adds its own banner and reload script
after cleaning (``lead`` and ``tail``): they are ours.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any
from xml.etree.ElementTree import Element

import nh3
import tinycss2
import tinyhtml5

_XHTML = "{http://www.w3.org/1999/xhtml}"


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: What a body may hold: text, structure and tables; no forms, media, frames, SVG or MathML.
BODY_TAGS = _names(
    """a abbr address article aside b bdi bdo blockquote br caption cite code col colgroup data
    dd del details dfn div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 header hgroup
    hr i img ins kbd li main mark nav ol p pre q rp rt ruby s samp section small span strong
    style sub summary sup table tbody td tfoot th thead time tr u ul var wbr"""
)
#: What a head may hold.
HEAD_TAGS = frozenset({"meta", "title", "style"})
#: Elements dropped with everything inside them (their text is no text of the page).
DROPPED_WHOLE = _names(
    """script noscript template iframe object embed applet frame frameset noembed noframes xmp
    plaintext textarea select svg math canvas audio video"""
)
#: Attributes any element may have, and the prefixes of those it may have too.
COMMON_ATTRIBUTES = frozenset(
    {"id", "class", "lang", "dir", "title", "role", "hidden", "translate", "style"}
)
ATTRIBUTE_PREFIXES = frozenset({"data-", "aria-"})
TAG_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading", "decoding"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope", "abbr"},
    "col": {"span"},
    "colgroup": {"span"},
    "ol": {"start", "reversed", "type"},
    "ul": {"type"},
    "li": {"value"},
    "time": {"datetime"},
    "data": {"value"},
    "del": {"datetime"},
    "ins": {"datetime"},
    "details": {"open"},
    "style": {"media"},
    "meta": {"charset", "name", "content"},
}
#: The schemes a link or an image may use (each checked further in :func:`_url_ok`).
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "ftp", "urn", "data"})

#: Inline images an ``<img>`` may show; a link may lead to the same but SVG.
_DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|webp|svg\+xml)[;,]")
_DATA_LINK = re.compile(r"data:image/(png|jpeg|gif|webp)[;,]")
#: What a browser ignores in a URL: tabs and line breaks anywhere, control characters and
#: spaces around it.
_URL_IGNORED = re.compile(r"[\t\n\r]")
_URL_AROUND = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_ATTRIBUTE_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_.:-]*")
#: CSS functions whose arguments are URLs (strings included), without a vendor prefix.
_URL_FUNCTIONS = frozenset({"url", "src", "image", "image-set", "cross-fade"})
_VENDOR = re.compile(r"^-[a-z]+-")


def _url_text(value: str) -> str:
    return _URL_AROUND.sub("", _URL_IGNORED.sub("", value))


def _relative_inside(value: str) -> bool:
    """A relative path that names a file beside the page: not absolute, not protocol-relative
    (``//host/x.png`` is a web address), no step up however it is written."""
    if value.startswith(("/", "\\")) or _SCHEME.match(value):
        return False
    path = re.split(r"[?#]", value, maxsplit=1)[0].lower().replace("%2e", ".")
    return ".." not in re.split(r"[/\\]|%2f|%5c", path)


def _url_ok(tag: str, value: str) -> bool:
    """Whether ``tag``'s URL ``value`` may stay: a link leads to a place in the page, the web, an
    address or a file beside the page; an image shows an inline image or a file beside it."""
    url = _url_text(value)
    lowered = url.lower()
    if lowered.startswith("#"):
        return True
    if lowered.startswith("data:"):
        return bool((_DATA_IMAGE if tag == "img" else _DATA_LINK).match(lowered))
    scheme = _SCHEME.match(url)
    if scheme is not None:
        return tag == "a" and scheme.group(1).lower() in URL_SCHEMES
    if tag == "a":  # a link is followed only when clicked, but never to another host
        return not re.match(r"[/\\]{2}", url)
    return _relative_inside(url)


def _css_url_ok(value: str) -> bool:
    url = _url_text(value).lower()
    return (
        url.startswith("#")
        or bool(_DATA_IMAGE.match(url))
        or (not url.startswith("data:") and _relative_inside(url))
    )


def _urls_inside(nodes: Iterable[Any]) -> Iterable[str]:
    """Every URL a CSS function's arguments name: url tokens and strings, at any depth."""
    for part in nodes:
        if part.type in ("url", "string"):
            yield part.value
        elif part.type == "function":
            yield from _urls_inside(part.arguments)
        elif part.type in ("() block", "[] block", "{} block"):
            yield from _urls_inside(part.content)


class _Css:
    """CSS rewritten without what would load a resource from elsewhere; ``changed`` says
    whether anything was taken out (if not, the text is kept as it was written)."""

    def __init__(self) -> None:
        self.changed = False

    def clean(self, nodes: list[Any]) -> str:
        out: list[str] = []
        skipping = False
        for node in nodes:
            if skipping:
                if node.type == "literal" and node.value == ";":
                    skipping = False
                continue
            if node.type == "at-keyword" and node.lower_value == "import":
                self.changed = skipping = True
            elif node.type == "url":
                out.append(node.serialize() if _css_url_ok(node.value) else self._dropped())
            elif node.type == "function":
                out.append(self._function(node))
            elif node.type in ("() block", "[] block", "{} block"):
                opening = node.type[0]
                closing = {"(": ")", "[": "]", "{": "}"}[opening]
                out.append(opening + self.clean(node.content) + closing)
            else:
                out.append(node.serialize())
        return "".join(out)

    def _function(self, node: Any) -> str:
        if _VENDOR.sub("", node.lower_name) in _URL_FUNCTIONS:
            if all(_css_url_ok(url) for url in _urls_inside(node.arguments)):
                return str(node.serialize())
            return self._dropped()
        return (
            f"{tinycss2.serializer.serialize_identifier(node.name)}({self.clean(node.arguments)})"
        )

    def _dropped(self) -> str:
        self.changed = True
        return "none"


def clean_css(text: str) -> str:
    """A style sheet or a ``style`` attribute without ``@import`` and without a URL that leads
    out of the page; kept as written when nothing had to go. ``</`` is escaped so that the
    text cannot end the ``<style>`` element it stands in."""
    css = _Css()
    cleaned = css.clean(tinycss2.parse_component_value_list(text, skip_comments=False))
    result = cleaned if css.changed else text
    return result.replace("</", "\\3c/")


def _attribute_filter(tag: str, name: str, value: str) -> str | None:
    if name == "style":
        return clean_css(value)
    if name in ("href", "src"):
        return value if _url_ok(tag, value) else None
    return value


def _cleaner(tags: frozenset[str]) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(tags),
        clean_content_tags=set(DROPPED_WHOLE),
        attributes={"*": set(COMMON_ATTRIBUTES)}
        | {tag: attributes for tag, attributes in TAG_ATTRIBUTES.items() if tag in tags},
        attribute_filter=_attribute_filter,
        strip_comments=True,
        link_rel=None,
        generic_attribute_prefixes=set(ATTRIBUTE_PREFIXES),
        url_schemes=set(URL_SCHEMES),
    )


_HEAD = _cleaner(HEAD_TAGS)
_BODY = _cleaner(BODY_TAGS)

# ------------------------------------------------------------------ the parsed page, written

_VOID = _names("""area base br col embed hr img input link meta param source track wbr""")
_RAW_TEXT = _names("""style script xmp iframe noembed noframes noscript plaintext""")


def _name(tag: Any) -> str | None:
    """The element's name as HTML writes it; None for a comment or processing instruction."""
    if not isinstance(tag, str):
        return None
    return tag.rsplit("}", 1)[-1]


def _attributes(attrib: Mapping[str, str], allowed: frozenset[str] = frozenset()) -> str:
    """Attributes written out: those with a plain name, or (with ``allowed``) only those
    allowed on ``<html>`` and ``<body>``."""
    out = []
    for key, value in attrib.items():
        if "}" in key or not _ATTRIBUTE_NAME.fullmatch(key):
            continue
        lowered = key.lower()
        if allowed and not (lowered in allowed or lowered.startswith(tuple(ATTRIBUTE_PREFIXES))):
            continue
        if lowered == "style":
            value = clean_css(value)
        out.append(f' {key}="{html.escape(value, quote=True)}"')
    return "".join(out)


def _start(element: Element) -> str:
    """What is written before ``element``'s children: its start tag and text."""
    name = _name(element.tag)
    if name is None:  # a comment: nh3 would drop it
        return ""
    text = element.text or ""
    if name in _VOID:
        text = ""
    elif name == "style":
        text = clean_css(text)
    elif name not in _RAW_TEXT:
        text = html.escape(text, quote=False)
    return f"<{name}{_attributes(element.attrib)}>{text}"


def _inside(element: Element) -> str:
    """What ``element`` holds, written as HTML for nh3 to read again (nh3 is the judge of
    what stays). Written without recursion: a page may nest deeply."""
    out = [html.escape(element.text or "", quote=False)]
    stack: list[tuple[Element, bool]] = [(child, False) for child in reversed(element)]
    while stack:
        node, closing = stack.pop()
        name = _name(node.tag)
        if closing:
            if name is not None and name not in _VOID:
                out.append(f"</{name}>")
            out.append(html.escape(node.tail or "", quote=False))
            continue
        out.append(_start(node))
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node))
    return "".join(out)


#: What ``<html>`` and ``<body>`` may carry.
_SHELL_ATTRIBUTES = frozenset({"lang", "dir", "class", "id", "translate", "style"})


def sanitise_page(page: str, *, lead: str = "", tail: str = "", body_attributes: str = "") -> str:
    """``page`` as a document that runs nothing and loads nothing from elsewhere.

    ``lead`` and ``tail`` are HTML of our own, put at the start and the end of the body after
    cleaning, and ``body_attributes`` (written out, with a leading space) added to ``<body>``.
    """
    root = tinyhtml5.parse(page)
    head = root.find(f"{_XHTML}head")
    body = root.find(f"{_XHTML}body")
    head_html = _HEAD.clean(_inside(head)) if head is not None else ""
    body_html = _BODY.clean(_inside(body)) if body is not None else ""
    between = (head.tail or "") if head is not None else ""
    html_attributes = _attributes(root.attrib, _SHELL_ATTRIBUTES)
    body_attrs = _attributes(body.attrib, _SHELL_ATTRIBUTES) if body is not None else ""
    # White space after </body> belongs to the body: written there, it is the same document.
    closing = "</body>\n</html>" if body_html.endswith("\n") else "</body></html>"
    body_html = body_html.removesuffix("\n")
    return (
        f"<!DOCTYPE html>\n<html{html_attributes}>\n<head>{head_html}</head>{between}"
        f"<body{body_attrs}{body_attributes}>{lead}{body_html}{tail}{closing}"
    )


#: Where the body starts in a page :func:`sanitise_page` wrote: the first ``</head>`` is its
#: own (in what the head holds, every ``<`` is escaped), then white space and ``<body …>``.
_BODY_START = re.compile(r"</head>\s*<body[^<>]*>")
_BODY_END = re.compile(r"</body>\n?</html>\Z")


def with_preview(page: str, *, lead: str, tail: str, body_attributes: str) -> str | None:
    """A page :func:`sanitise_page` wrote, with ``lead`` and ``tail`` (ours) at the start and
    the end of its body and ``body_attributes`` on it; None if ``page`` is not in that shape.
    No parsing: what the build cleaned is not cleaned twice."""
    start = _BODY_START.search(page)
    end = _BODY_END.search(page)
    if not page.startswith("<!DOCTYPE html>\n<html") or start is None or end is None:
        return None
    body = start.end() - 1
    return (
        page[:body]
        + body_attributes
        + ">"
        + lead
        + page[start.end() : end.start()]
        + tail
        + page[end.start() :]
    )


__all__ = ["clean_css", "sanitise_page", "with_preview"]
