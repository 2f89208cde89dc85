"""From a position and its formatted citations to one HTML page, through a sandboxed template.

Templates receive plain data only (dicts, lists, strings, and HTML that pandoc made from the
position's Markdown), never live objects; they decide looks, not logic. Lookup is layered: a
workspace's ``templates/<name>/`` first, then the built-in template, which an override can
extend as ``builtin/<file>``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
)
from jinja2.exceptions import SecurityError
from jinja2.filters import do_striptags
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from standpunt import __version__
from standpunt.choices import EMAIL
from standpunt.errors import Diagnostic, Location, StandpuntError
from standpunt.i18n import format_date
from standpunt.workspace.paths import (
    BUILTIN_TEMPLATES,
    POSITIONS_DIR,
    TEMPLATES_DIR,
    read_bounded,
    readable_file,
)
from standpunt.workspace.templates import TemplateSet
from standpunt.workspace.texts import LEAD, REST, ask_key, part_key, section_key

if TYPE_CHECKING:  # render workers import this module; they need neither schema nor workspace
    from standpunt.cite.notes import View
    from standpunt.versions.history import Stamp
    from standpunt.workspace.read import Workspace
    from standpunt.workspace.schema import Organisation, Position

PAGE_TEMPLATE = "position.html"
#: The redline of two versions (``standpunt diff``).
REDLINE_TEMPLATE = "redline.html"
STYLESHEET = "style.css"

#: Image types a logo may have, by file suffix.
IMAGE_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
}
MAX_IMAGE_BYTES = 5 * 1024 * 1024
#: The largest stylesheet a template may have.
MAX_STYLESHEET_BYTES = 4 * 1024 * 1024


#: What a template name may look like: relative, no "..", no odd characters.
TEMPLATE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")
#: The longest string or list a template expression may make.
MAX_SEQUENCE = 1_000_000


class FolderLoader(FileSystemLoader):
    """Templates from folders, and only from inside them: names are checked and a file whose
    real path (symlinks resolved) leads out of its folder is refused."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Any]:
        if not TEMPLATE_NAME.fullmatch(template) or ".." in template.split("/"):
            raise TemplateNotFound(f"{template} (not an allowed template name)")
        # Checked before anything is read: the file the name leads to must be a regular file
        # inside its folder.
        for folder in self.searchpath:
            candidate = Path(folder, *template.split("/"))
            if candidate.exists() or candidate.is_symlink():
                if not readable_file(candidate, [Path(folder)]):
                    raise SecurityError(
                        f"template '{template}' is a link to a file outside the template folders"
                    )
                break
        return super().get_source(environment, template)


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, plus bounds on what one expression may build.

    Jinja bounds ``range`` but not ``'a' * 10**9``; rendering also runs in a worker under a
    memory cap, this just says what went wrong.
    """

    intercepted_binops = frozenset(["*", "**", "+"])

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > 64:
            raise SecurityError("the template raises a number to a power above 64")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if (
                    isinstance(seq, (str, list, tuple))
                    and isinstance(count, int)
                    and (len(seq) * count > MAX_SEQUENCE)
                ):
                    raise SecurityError("the template builds a text or list that is too long")
        if (
            operator == "+"
            and isinstance(left, (str, list, tuple))
            and isinstance(right, (str, list, tuple))
            and len(left) + len(right) > MAX_SEQUENCE
        ):
            raise SecurityError("the template builds a text or list that is too long")
        return super().call_binop(context, operator, left, right)


def environment(templates: TemplateSet) -> ImmutableSandboxedEnvironment:
    loader = ChoiceLoader(
        [
            FolderLoader([str(folder) for folder in templates.folders]),
            PrefixLoader({"builtin": FolderLoader(str(templates.folders[-1]))}),
        ]
    )
    env = TemplateSandbox(
        loader=loader,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Plain data in, plain text out: no helpers that generate or reach anything.
    for name in ("lipsum", "cycler", "joiner", "namespace", "range", "dict"):
        env.globals.pop(name, None)
    env.filters["cssstring"] = css_string
    env.filters["striptags"] = plain_text
    return env


def plain_text(value: object) -> str:
    """Jinja's ``striptags``, without the word joiners that keep a note's call or a citation on
    its line: a text in the page's head (a description) is plain text."""
    return do_striptags(value if isinstance(value, str) else str(value)).replace(_JOIN, "")


def css_string(value: object) -> Markup:
    """``value`` as a quoted CSS string, safe inside a <style> element."""
    text = str(value)
    escaped = "".join(c if c.isalnum() or c in " .,:;!?()-_/'·" else f"\\{ord(c):x} " for c in text)
    return Markup(f'"{escaped}"')


def data_uri(workspace: Workspace, relative: str | None, where: Location) -> str | None:
    """An image of the workspace as a data: URI, so the page needs no file access at all."""
    if not relative:
        return None
    path = workspace.root / relative
    if (path.exists() or path.is_symlink()) and not readable_file(path, [workspace.root]):
        raise StandpuntError(
            f"image '{relative}' lies outside the workspace; put it in the workspace (e.g. "
            "assets/) and refer to it from there",
            where,
            "outside-workspace",
        )
    kind = IMAGE_TYPES.get(path.suffix.lower())
    if kind is None:
        raise StandpuntError(
            f"image '{relative}' is not an SVG, PNG, JPEG, WebP or GIF file", where, "bad-image"
        )
    if not path.is_file():
        raise StandpuntError(f"image '{relative}' was not found", where, "missing-image")
    try:
        data = read_bounded(path, relative, MAX_IMAGE_BYTES)
    except StandpuntError as exc:
        message = f"image '{relative}' is larger than 5 MB"
        raise StandpuntError(
            message if exc.code == "file-too-large" else exc.message, where, "bad-image"
        ) from None
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


class Version(TypedDict):
    """The version as a page shows it, ``version`` to a template (see :func:`version_stamp`).

    What a reader sees is a label and one date ("Versie 1.0 — 12 maart 2026"); the commit goes
    to the metadata (``meta``) and, while the text is under discussion (draft, consultation),
    to the colophon's small print (``small_print``). "modified" and "not versioned" reach only
    a draft's pages.
    """

    versioned: bool
    label: str | None
    commit: str | None
    #: The commit's date as YYYY-MM-DD.
    date: str | None
    modified: bool
    tag: str | None
    #: For a footer: "Versie 1.0 — 12 maart 2026" (empty when there is nothing to say).
    stamp: str
    #: Beside a "version" label: "1.0 — 12 maart 2026".
    short: str
    #: For the metadata: "versie 1.0 (a1b2c3d) · 28 november 2026 · gewijzigd".
    meta: str
    #: For the colophon's small print: "revisie a1b2c3d · gewijzigd"; None when not shown.
    small_print: str | None
    #: A published text (not a draft) built with uncommitted changes: marked on every page.
    working_copy: bool


#: The statuses whose pages may name the commit: texts still under discussion.
DISCUSSED = ("draft", "consultation")


def version_stamp(
    stamp: Stamp,
    lang: str,
    text: dict[str, str],
    *,
    status: str = "draft",
    dated: dt.date | None = None,
) -> Version:
    """How a page names the version ``stamp`` in ``lang``, whose labels are ``text``, of a
    position with ``status`` dated ``dated`` (the commit's date when it has none)."""
    label = stamp.label
    unversioned = _unversioned(stamp, text)
    day = dated or (stamp.date if stamp.versioned else None)
    draft = status == "draft"
    public = [part for part in (label, format_date(day, lang) if day else None) if part]
    # A draft with neither label nor date, outside git: the foot says "Not versioned", not
    # "Version not versioned".
    unnamed = not public and draft and not stamp.versioned
    if not public and draft:
        public = [str(stamp.commit) if stamp.versioned else unversioned]
    short = " — ".join(public)
    working_copy = stamp.versioned and stamp.modified and not draft
    if working_copy and short:  # never the adopted version's name alone on changed text
        short = f"{short} · {text['working_copy_short']}"
    line = f"{text['version']} {short}" if short else ""
    if stamp.versioned:
        revision = [f"{text['revision']} {stamp.commit}"]
        if stamp.modified and draft:
            revision.append(text["modified"])
    else:
        revision = [unversioned] if draft else []
    return Version(
        versioned=stamp.versioned,
        label=label,
        commit=stamp.commit if stamp.versioned else None,
        date=stamp.date.isoformat() if stamp.versioned and stamp.date else None,
        modified=stamp.modified if stamp.versioned else False,
        tag=stamp.tag if stamp.versioned else None,
        stamp=short[:1].upper() + short[1:] if unnamed else line,
        short=short,
        meta=_meta_stamp(stamp, lang, text),
        small_print=" · ".join(revision) if revision and status in DISCUSSED else None,
        working_copy=working_copy,
    )


def _unversioned(stamp: Stamp, text: dict[str, str]) -> str:
    """What a page says of a version git does not know: the position lies outside git ("not
    versioned"), or in a repository that never had it committed ("not yet committed")."""
    return text["not_committed" if stamp.modified else "not_versioned"]


def _meta_stamp(stamp: Stamp, lang: str, text: dict[str, str]) -> str:
    """The version for the metadata, commit included: "version 1.0 (a1b2c3d) · March 1, 2026"."""
    word = text["version"] if lang.lower().startswith("de") else text["version"].lower()
    label = stamp.label
    if not stamp.versioned:
        unversioned = _unversioned(stamp, text)
        short = f"{label} · {unversioned}" if label else unversioned
        return f"{word} {short}" if label else short
    parts = [f"{label} ({stamp.commit})" if label else str(stamp.commit)]
    if stamp.date:
        parts.append(format_date(stamp.date, lang))
    if stamp.modified:
        parts.append(text["modified"])
    return f"{word} {' · '.join(parts)}"


@dataclass(frozen=True)
class Page:
    """Everything one page shows, as the build gathers it; :func:`view_model` makes it data."""

    workspace: Workspace
    position_id: str
    position: Position
    #: The position's texts as HTML, citations formatted, for this page's medium.
    cited: View
    #: The template's style.css for this medium.
    stylesheet: str
    #: "print" for the PDF, "screen" for the HTML page.
    medium: str
    version: Version
    #: The fingerprint of the position's text, which partners sign.
    fingerprint: str
    #: The partners whose signature matches this text: the only co-signers shown.
    signers: list[str]
    #: The partners yet to sign, shown marked as pending in drafts (``build --include-pending``).
    pending: list[str]
    #: A partner's edition as its cover shows it; None for our own.
    edition: dict[str, Any] | None
    #: The co-signers whose signature was verified with one of their keys.
    verified: list[str] = field(default_factory=list)
    #: Who publishes it: the organisation, or the original publisher of an unchanged import.
    publisher: Organisation | None = None
    #: An edited import: ``publisher`` and ``version`` of what it is based on.
    origin: dict[str, Any] | None = None
    #: A build with ``--include-pending``: every page says the co-signers are not final.
    pending_build: bool = False
    #: Who signed for each co-signer whose signature holds: partner key → by, role, date.
    signed: dict[str, dict[str, Any]] = field(default_factory=dict)


def view_model(page: Page) -> dict[str, Any]:
    """The plain data a template receives. Documented in the README."""
    workspace = page.workspace
    lang = workspace.lang_of(page.position)
    text = workspace.labels(lang)
    # The position's Markdown texts as HTML, by their keys (standpunt.workspace.texts).
    # Where lines may break is print's business: a screen's text is copied as it is written.
    urls = break_urls if page.medium == "print" else str
    glue = glue_citations if page.medium == "print" else str
    html = {
        key: Markup(mark_note_calls(glue(keep_ranges(urls(fragment)))))
        for key, fragment in page.cited.fields.items()
    }
    partners = _partners(workspace, page.signers, page.pending, page.verified)
    for partner in partners:
        signature = page.signed.get(partner["key"], {})
        partner["signer"] = signature.get("by")
        partner["role"] = signature.get("role")
        day = signature.get("date")
        partner["signed_on"] = format_date(day, lang) if day else None
    position = _position(page, html, lang, text, partners)
    return {
        "lang": lang,
        "medium": page.medium,
        "labels": text,
        "generator": f"Standpunt {__version__}",
        "stylesheet": Markup(page.stylesheet),
        "organisation": _organisation(workspace, page.publisher, page.position_id),
        "position": position,
        "bibliography": Markup(keep_ranges(urls(page.cited.bibliography))),
        "notes": Markup(page.cited.notes),
        "marks": _marks(page, text),
        "version": page.version,
        "edition": page.edition,
        "fingerprint": page.fingerprint,
        "origin": page.origin,
        "pending": page.pending_build,
    }


def _position(
    page: Page,
    html: dict[str, Markup],
    lang: str,
    text: dict[str, str],
    partners: list[dict[str, Any]],
) -> dict[str, Any]:
    """The position itself: its fields, its texts as HTML, and who co-signs it."""
    position = page.position
    title = typographic(position.title, lang)
    title_start, title_end = title_ending(title)
    consultation = position.consultation
    address = consultation.address or _respond_to(page) if consultation is not None else None
    status_label = text[f"status_{position.status}"]
    if page.version.get("working_copy"):  # the status cell beside the working-copy mark
        status_label = f"{status_label} · {text['working_copy_short']}"
    authors = [
        {
            **a.model_dump(),
            "href": contact_href(a.email) if a.email else None,
            "phone_href": phone_href(a.phone) if a.phone else None,
        }
        for a in position.authors
    ]
    return {
        "id": page.position_id,
        "title": title,
        "title_start": title_start,
        "title_end": title_end,
        "title_size": title_size(title),
        "running_title": running_title(title),
        "subtitle": typographic(position.subtitle, lang) if position.subtitle else None,
        "date": format_date(position.date, lang) if position.date else None,
        "date_iso": position.date.isoformat() if position.date else None,
        "status": position.status,
        "status_label": status_label,
        "authors": authors,
        "author_groups": author_groups(authors),
        "consultation": {
            "deadline": format_date(consultation.deadline, lang) if consultation.deadline else None,
            "deadline_iso": consultation.deadline.isoformat() if consultation.deadline else None,
            "address": address,
            "href": contact_href(address) if address else None,
        }
        if consultation is not None and position.status == "consultation"
        else None,
        "summary": html.get("summary"),
        "sections": _sections(position, html, lang),
        "recommendations": [
            html[ask_key(number)] for number in range(1, len(position.recommendations) + 1)
        ],
        "signatories": partners,
        "tags": list(position.tags),
        "layout": layout_of(position, page.workspace.config.layout),
    }


def _sections(position: Position, html: dict[str, Markup], lang: str) -> list[dict[str, Any]]:
    sections = []
    for number, section in enumerate(position.sections, 1):
        # The body comes in two parts, its lead (the first paragraph, with any heading before
        # it) and the rest: the pull quote floats beside the second paragraph, so that a
        # heading is never separated from its first paragraph by the float.
        body = section_key(number, "body")
        lead, rest = html[part_key(body, LEAD)], html[part_key(body, REST)]
        sections.append(
            {
                "number": number,
                "id": f"section-{number}",
                "title": typographic(section.title, lang),
                "body": Markup("\n").join(part for part in (lead, rest) if part),
                "lead": lead,
                "rest": rest,
                "quote": html.get(section_key(number, "quote")),
            }
        )
    return sections


def _partners(
    workspace: Workspace, signers: list[str], pending: list[str], verified: list[str]
) -> list[dict[str, Any]]:
    """The co-signing partners: those who signed this text, then (in drafts) those pending."""
    partners = workspace.config.partners
    shown = [(key, False) for key in signers]
    shown += [(key, True) for key in pending if key not in signers]
    return [
        {
            "key": key,
            "name": partners[key].name,
            "short": partners[key].short,
            "website": partners[key].website,
            "logo": data_uri(
                workspace, partners[key].logo, workspace.setting_location("partners", key, "logo")
            ),
            "pending": is_pending,
            "verified": key in verified,
        }
        for key, is_pending in shown
        if key in partners
    ]


def _respond_to(page: Page) -> str | None:
    """Where a consultation without its own address takes responses: the first author with
    an e-mail address, else the publisher's contact (a deadline without an address tells a
    reader nothing they can act on)."""
    org = page.publisher or page.workspace.config.organisation
    return next((a.email for a in page.position.authors if a.email), None) or org.contact


def _organisation(
    workspace: Workspace, publisher: Organisation | None, position_id: str
) -> dict[str, Any]:
    org = publisher or workspace.config.organisation
    where = workspace.setting_location("organisation", "logo")
    if publisher is not None and publisher is not workspace.config.organisation:
        where = Location(f"{POSITIONS_DIR}/{position_id}.yaml")  # the origin's logo
    return {
        "name": org.name,
        "short": org.short,
        "website": org.website,
        "logo": data_uri(workspace, org.logo, where),
        "contact": org.contact,
        "contact_href": contact_href(org.contact) if org.contact else None,
        "licence": org.licence,
        "responsible_publisher": org.responsible_publisher.model_dump()
        if org.responsible_publisher
        else None,
    }


#: Above this many characters of section text, ``layout: auto`` opens with a cover (a report);
#: below it page 1 does the work (a brief). About ten pages of the built-in design.
REPORT_CHARACTERS = 30_000


def layout_of(position: Position, default: str) -> str:
    """``brief`` or ``report``: the position's own choice, else the workspace's, else by length."""
    chosen = position.layout or default
    if chosen != "auto":
        return chosen
    length = sum(len(section.body) for section in position.sections)
    return "report" if length > REPORT_CHARACTERS else "brief"


def _marks(page: Page, text: dict[str, str]) -> list[str]:
    """What every page says about the text's standing: not final, withdrawn, a working copy."""
    marks = []
    status = page.position.status
    if status in ("draft", "consultation", "withdrawn"):
        marks.append(text[f"status_mark_{status}"])
    if page.version.get("working_copy"):
        adopted = status in ("adopted", "withdrawn")
        marks.append(text["working_copy" if adopted else "working_copy_unadopted"])
    if page.pending_build:
        marks.append(text["pending_mark"])
    return marks


#: Quotation marks by language (the primary subtag): double open, close, single open, close;
#: the marks citeproc's locales write and pandoc's text gets (see ``shape.lua``).
QUOTES = {
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "fr": ("\u00ab\u00a0", "\u00a0\u00bb", "\u201c", "\u201d"),
    "nl": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),
}

#: Where a quote opens: at the start, or after a space, an opening bracket or a dash.
_OPENS_AFTER = frozenset(" \t\n([{\u2013\u2014/")

#: Dutch elisions, whose apostrophe opens no quotation: 's avonds, 't, 'n.
_ELISION = re.compile(r"'(?=[stn]\b)")


def typographic(value: str, lang: str = "en") -> str:
    """A plain-text title with typographic apostrophes (l'État → l’État) and quotation marks in
    the marks of ``lang`` ("Markt" → „Markt“ in German): Markdown fields get them from pandoc,
    titles are plain text. One pass, left to right: a straight quote opens after a space or at
    the start, else closes; a single one closes only an open single quotation, else it is an
    apostrophe."""
    if "'" not in value and '"' not in value:
        return value
    d_open, d_close, s_open, s_close = QUOTES.get(lang.split("-")[0].lower(), QUOTES["en"])
    value = _ELISION.sub("\u2019", value)
    out: list[str] = []
    single_open = False
    before = " "
    for index, char in enumerate(value):
        after = value[index + 1] if index + 1 < len(value) else " "
        if char == '"':
            out.append(d_open if before in _OPENS_AFTER else d_close)
        elif char == "'":
            if before in _OPENS_AFTER and not after.isspace():
                out.append(s_open)
                single_open = True
            elif single_open and not after.isalnum():
                out.append(s_close)
                single_open = False
            else:
                out.append("\u2019")
        else:
            out.append(char)
        before = char
    return "".join(out)


def author_groups(authors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The authors by affiliation, each affiliation once, in the order it first appears: seven
    authors of two organisations read as two names lists, not seven repeats.

    An author with a role, e-mail address or telephone number is a contact: on a line of their
    own, so that what they do and how to reach them is read as theirs; no group gathers names
    across a contact, so the byline keeps its order.
    """
    groups: dict[Any, list[dict[str, Any]]] = {}
    contacts = 0
    for author in authors:
        affiliation = author.get("affiliation") or None
        if any(author.get(field) for field in ("role", "email", "phone")):
            contacts += 1
            groups[(affiliation, "contact", contacts)] = [author]
        else:
            groups.setdefault((affiliation, contacts), []).append(author)
    return [{"affiliation": key[0], "authors": members} for key, members in groups.items()]


#: A title up to this many characters is set at the design's full size; longer ones smaller.
LONG_TITLE = 60
#: ... and above this many, smaller still (six lines at full size would fill a third of page 1).
VERY_LONG_TITLE = 110
#: The longest pair of last words kept together on the title's last line.
LAST_WORDS = 24


def title_size(title: str) -> str:
    """``regular``, ``long`` or ``very-long``: the size class of the title by its length."""
    if len(title) > VERY_LONG_TITLE:
        return "very-long"
    return "long" if len(title) > LONG_TITLE else "regular"


def title_ending(title: str) -> tuple[str, str | None]:
    """``title`` as its words but the last two, and those two, which a page keeps on one line so
    that the title's last line never holds one word alone ("... een vaste stoel aan / tafel");
    ``(title, None)`` when the two are too long to share any line or the title is that short."""
    words = title.split(" ")
    if len(words) < 3 or len(words[-2]) + len(words[-1]) + 1 > LAST_WORDS:
        return title, None
    return " ".join(words[:-2]), f"{words[-2]} {words[-1]}"


#: The running head's longest title, in characters: one line of the page's top margin.
RUNNING_TITLE = 72


def running_title(title: str) -> str:
    """``title`` short enough for one line of the running head, cut at a word with "…"."""
    if len(title) <= RUNNING_TITLE:
        return title
    cut = title[: RUNNING_TITLE - 1].rsplit(" ", 1)[0].rstrip(" ,;:–—-")
    return f"{cut}…"


_WEB = re.compile(r"https?://[^\s<>\"']+")


def contact_href(value: str) -> str | None:
    """The link a contact is: mailto: for an e-mail address, itself for a web address."""
    value = value.strip()
    if EMAIL.fullmatch(value):
        return f"mailto:{value}"
    if _WEB.fullmatch(value):
        return value
    return None


def phone_href(value: str) -> str:
    """A telephone number as a tel: link: its digits, with a leading + kept."""
    digits = "".join(c for c in value if c.isdigit())
    return f"tel:+{digits}" if value.lstrip().startswith("+") else f"tel:{digits}"


#: A range of numbers in a text ("882–884", "3-5"): pages, years.
_RANGE = re.compile(r'(?<![\w<&#/.="\u2013\u2010-])([0-9]+[\u2013\u2010-][0-9]+)(?![\w>"/=-])')


def keep_ranges(html: str) -> str:
    """``html`` with each range of numbers kept on one line ("pp. 882–" never ends a line)."""
    return _RANGE.sub(r'<span class="range">\1</span>', html)


#: A URL written as a link's text by pandoc (between ">" and "<"; attributes never match).
_URL_TEXT = re.compile(r">((?:https?://|www\.|doi:)[^<\s]+)<")
#: Where a URL may break: after a slash, before other punctuation (Chicago's rule).
_URL_BREAK = re.compile(r"(?<=/)(?=[^/])|(?<=[^/])(?=(?:\.|\?|#|&amp;|=|_|-|~)[^/])")
#: A zero-width space: a break opportunity that draws nothing and is one text with the URL (a
#: <wbr> is an element of its own, which WeasyPrint makes a link annotation of each).
_BREAK = "\u200b"


def break_urls(html: str) -> str:
    """``html`` with a break opportunity at each sensible point of every URL shown as text (after
    a slash, before a dot, ?, #, &, =, _ or -), so that lines break only there."""
    if "://" not in html and "www." not in html and "doi:" not in html:
        return html
    return _URL_TEXT.sub(lambda found: f">{_URL_BREAK.sub(_BREAK, found.group(1))}<", html)


_FOOTNOTE = re.compile(r'<span class="footnote" id="fn-([0-9]+)">')
#: WORD JOINER: no line break here, and nothing drawn. WeasyPrint honours it between a word and
#: the footnote call that follows it (a nowrap span around the word would not hold the call,
#: which is the floated note's own box).
_JOIN = "\u2060"


def mark_note_calls(html: str) -> str:
    """``html`` with an empty ``<span id="fnc-N">`` where each page-foot note N is called, so
    that the build can check that the note's text is on the page of its call; the call is joined
    to the word before it, never alone at the start of a line."""
    return _FOOTNOTE.sub(_JOIN + r'<span class="note-call" id="fnc-\1"></span>\g<0>', html)


#: The start of a citation in the text, and any span tag within it.
_CITATION = re.compile(r'<span id="cite-[0-9]+" class="citation"[^>]*>')
_SPAN_TAG = re.compile(r"<span\b[^>]*>|</span>")
_TAG = re.compile(r"(<[^>]*>)")


def glue_citations(html: str) -> str:
    """``html`` with the last space of each citation's text, and the space before it, made
    unbreakable (a space between word joiners, which reads back as a plain space), so that
    neither its closing part ("2018)", "p. 12)") nor the whole citation stands alone on a line."""
    parts, position = [], 0
    for start in _CITATION.finditer(html):
        if start.start() < position:
            continue  # a citation inside another (none is written so; never glued twice)
        depth, end = 1, len(html)
        for tag in _SPAN_TAG.finditer(html, start.end()):
            depth += -1 if tag.group().startswith("</") else 1
            if depth == 0:
                end = tag.start()
                break
        before = html[position : start.start()]
        if before.endswith(" "):  # the citation stays with the word before it, too
            before = before[:-1] + _JOIN + " " + _JOIN
        parts += [before, start.group(), _glue_last_space(html[start.end() : end])]
        position = end
    return "".join(parts) + html[position:] if parts else html


def _glue_last_space(content: str) -> str:
    """``content`` (HTML) with the last space in its text, outside tags, unbreakable."""
    pieces = _TAG.split(content)
    for index in range(len(pieces) - 1, -1, -1):
        piece = pieces[index]
        if not piece.startswith("<") and " " in piece:
            cut = piece.rindex(" ")
            pieces[index] = piece[:cut] + _JOIN + " " + _JOIN + piece[cut + 1 :]
            break
    return "".join(pieces)


_ENVIRONMENTS: dict[TemplateSet, ImmutableSandboxedEnvironment] = {}


def _environment(templates: TemplateSet) -> ImmutableSandboxedEnvironment:
    """The one environment of ``templates`` in this process, so that each template is compiled
    once (Jinja still recompiles a template whose file changed)."""
    env = _ENVIRONMENTS.get(templates)
    if env is None:
        env = _ENVIRONMENTS[templates] = environment(templates)
    return env


def compile_template(templates: TemplateSet, name: str = PAGE_TEMPLATE) -> None:
    """Compile the template ``name`` now (a worker does while it waits for its first page), so
    that :func:`render_html` finds it compiled; a template that does not compile is left for
    the render to report."""
    with contextlib.suppress(Exception):  # reported, located, by the render that needs it
        _environment(templates).get_template(name)


#: The most files of a workspace's own template :func:`template_problems` compiles.
MAX_CHECKED_TEMPLATES = 200


def template_problems(templates: TemplateSet) -> list[Diagnostic]:
    """What a build would refuse in the workspace's own template files before rendering
    anything: each ``.html`` file of its folder compiled, its syntax errors (an unknown filter
    too) at their file and line. What only rendering shows (an undefined name) is left to it.
    The built-in template is not compiled: it has none."""
    if len(templates.folders) < 2:  # the built-in template alone
        return []
    own = templates.folders[0]
    env = _environment(templates)
    problems: list[Diagnostic] = []
    names = sorted(
        path.relative_to(own).as_posix()
        for path in own.rglob("*.html")
        if path.is_file() and not path.is_symlink()
    )
    for name in names[:MAX_CHECKED_TEMPLATES]:
        if not TEMPLATE_NAME.fullmatch(name):
            continue  # a name the loader refuses is never loaded by a page either
        try:
            env.get_template(name)
        except TemplateSyntaxError as exc:
            where = _template_location(templates, exc.filename, exc.lineno)
            message = f"template error: {exc.message}"
            problems.append(Diagnostic("error", message, "template-syntax", where))
        except SecurityError as exc:
            where = Location(f"{TEMPLATES_DIR}/{templates.name}/{name}")
            message = f"the template does something not allowed: {exc}"
            problems.append(Diagnostic("error", message, "template-unsafe", where))
    return problems


def render_html(templates: TemplateSet, context: dict[str, Any], name: str = PAGE_TEMPLATE) -> str:
    """The page's HTML from the template ``name``; template problems become errors naming the
    template and line.

    A worker keeps one environment per template set (:func:`_environment`).
    """
    env = _environment(templates)
    try:
        return env.get_template(name).render(context)
    except TemplateSyntaxError as exc:
        raise StandpuntError(
            f"template error: {exc.message}",
            _template_location(templates, exc.filename, exc.lineno),
            "template-syntax",
        ) from None
    except MemoryError:
        raise
    except Exception as exc:  # anything a template does wrong is reported at its line
        loc = _traceback_location(templates, exc)
        if isinstance(exc, SecurityError):
            kind, text = "template-unsafe", f"the template does something not allowed: {exc}"
        elif isinstance(exc, UndefinedError):
            kind, text = "template-undefined", f"template uses something undefined: {exc}"
        elif isinstance(exc, RecursionError):
            kind, text = "template-recursion", "the template recursed too deeply"
        elif isinstance(exc, TemplateNotFound):
            kind = "template-not-found"
            text = f"template '{exc.name}' was not found in the template folders"
        elif isinstance(exc, TemplateError):
            kind, text = "template-error", f"template error: {exc}"
        else:
            kind, text = "template-error", f"the template failed: {type(exc).__name__}: {exc}"
        raise StandpuntError(text, loc, kind) from None


#: How the probe marks the place of piece N in a page: characters of Unicode's private use
#: area, which no filter a template may apply (escape, striptags, upper, ...) changes.
_PROBE = "\ue000{}\ue001"
_PROBE_FOUND = re.compile("\ue000([0-9]+)\ue001")


def probe_fields(keys: list[str]) -> dict[str, str]:
    """Fields that mark where each piece of ``keys`` is printed, for :func:`reading_order`."""
    return {key: _PROBE.format(index) for index, key in enumerate(keys)}


def reading_order(keys: list[str], page: str) -> list[str]:
    """The pieces ``keys`` in the order ``page`` prints them, ``page`` being rendered with
    :func:`probe_fields` in place of the texts.

    A piece's place is where the page's body first prints it. A piece printed only in the
    page's head (a summary in a description) follows those the body prints; a piece printed
    nowhere follows all others, in the declared order.
    """
    body = max(page.lower().find("<body"), 0)
    place: dict[int, tuple[int, int]] = {}
    for found in _PROBE_FOUND.finditer(page):
        index, where = int(found.group(1)), found.start()
        in_head = 1 if where < body else 0
        if index < len(keys) and (index not in place or place[index][0] > in_head):
            place[index] = (in_head, where)
    nowhere = (2, 0)
    order = sorted(range(len(keys)), key=lambda index: (place.get(index, nowhere), index))
    return [keys[index] for index in order]


# Neither may run on past the next '(' or '{' (an unquoted url() holds neither): else each of
# many unclosed "url(" or "@font-face{" is read to the end of the stylesheet (quadratic).
_RELATIVE_URL = re.compile(r"""url\((['"]?)(?![a-zA-Z][a-zA-Z0-9+.-]*+:|/|#)([^'"()]+)\1\)""")
_FONT_FACE = re.compile(r"@font-face\s*+\{[^{}]*+\}\s*")


def read_stylesheet(templates: TemplateSet, medium: str = "print") -> str:
    """The template's style.css, inlined into the page.

    Relative ``url()``s (the built-in fonts) are made absolute for print; the screen page is
    self-contained, so it leaves the font files out and uses the reader's fonts.
    """
    for folder in templates.folders:
        path = folder / STYLESHEET
        if path.is_symlink() and not readable_file(path, [folder]):
            raise StandpuntError(
                f"{STYLESHEET} of template '{templates.name}' is a link to a file outside the "
                "template folder; copy the stylesheet in instead",
                Location(f"{TEMPLATES_DIR}/{templates.name}/{STYLESHEET}"),
                "outside-workspace",
            )
        if path.is_file():
            display = f"{TEMPLATES_DIR}/{templates.name}/{STYLESHEET}"
            css = read_bounded(path, display, MAX_STYLESHEET_BYTES).decode("utf-8")
            if medium == "screen":
                return _FONT_FACE.sub("", css)
            return _RELATIVE_URL.sub(partial(_absolute_url, folder.resolve()), css)
    return ""


def _absolute_url(base: Path, match: re.Match[str]) -> str:
    return f'url("{(base / match.group(2)).as_uri()}")'


def _template_location(templates: TemplateSet, filename: str | None, line: int | None) -> Location:
    if not filename:
        return Location(f"template '{templates.name}'")
    path = Path(filename)
    for folder in templates.folders:
        if path.is_relative_to(folder):
            shown = path.relative_to(folder).as_posix()
            prefix = (
                "builtin"
                if folder.is_relative_to(BUILTIN_TEMPLATES)
                else (f"{TEMPLATES_DIR}/{templates.name}")
            )
            return Location(f"{prefix}/{shown}", line or 0)
    return Location(path.name, line or 0)


def _traceback_location(templates: TemplateSet, exc: BaseException) -> Location:
    # Jinja rewrites tracebacks so that template frames carry the template's file and line.
    tb = exc.__traceback__
    found: Location | None = None
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".j2", ".jinja", ".xml", ".css", ".txt")):
            found = _template_location(templates, filename, tb.tb_lineno)
        tb = tb.tb_next
    return found or Location(f"template '{templates.name}'")
