"""pandoc's HTML made ours: numbered citations and real page-foot footnotes.

pandoc puts notes (a note style's citations, and the author's own ``^[…]`` notes) at the end of
its HTML. For print they become ``<span class="footnote">`` at the place of their call, which
WeasyPrint floats to the foot of the page. Every citation and footnote gets an id, so that after
rendering the build can prove none was lost (see :func:`standpunt.pdf.missing_anchors`).
"""

from __future__ import annotations

import html
import re
from dataclasses import replace

from standpunt.cite.citeproc import CitedText
from standpunt.errors import StandpuntError

_CITATION = re.compile(r'<span class="citation" data-cites="([^"]*)"')
_NOTE_REF = re.compile(
    r'<a href="#fn(\d+)" class="footnote-ref" id="fnref\d+"[^>]*><sup>\d+</sup></a>'
)
_NOTE_ITEM = re.compile(r'<li id="fn(\d+)">(.*?)</li>', re.S)
_BACKLINK = re.compile(r'<a href="#fnref\d+" class="footnote-back"[^>]*>.*?</a>', re.S)
_PARAGRAPH = re.compile(r"</?p>")
_ENTRY = re.compile(r'<div id="ref-([^"]+)" class="csl-entry"')


#: What must be in the rendered document: anchor id → what the user would call it.
Expected = dict[str, str]


def number_citations(
    fields: dict[str, str], names: dict[str, str], expected: Expected
) -> dict[str, str]:
    """Give every citation an id (``cite-1`` …) and remember which keys and text it holds."""
    counter = 0
    numbered = {}
    for key, text in fields.items():
        name = names[key]

        def add_id(match: re.Match[str], name: str = name) -> str:
            nonlocal counter
            counter += 1
            keys = ", ".join(f"@{key}" for key in html.unescape(match.group(1)).split())
            expected[f"cite-{counter}"] = f"citation [{keys}] in {name}"
            return f'<span id="cite-{counter}" class="citation" data-cites="{match.group(1)}"'

        numbered[key] = _CITATION.sub(add_id, text)
    return numbered


def inline_notes(
    fields: dict[str, str], names: dict[str, str], notes: str, expected: Expected
) -> dict[str, str]:
    """Move each note from pandoc's end section to its call, as a page-foot footnote."""
    bodies = {}
    for number, body in _NOTE_ITEM.findall(notes):
        body = _BACKLINK.sub("", body)
        # A footnote is an inline element: its paragraphs are joined into one run of text.
        bodies[number] = " ".join(part.strip() for part in _PARAGRAPH.split(body) if part.strip())
    placed = {}
    for key, text in fields.items():
        name = names[key]

        def place(match: re.Match[str], name: str = name) -> str:
            number = match.group(1)
            expected[f"fn-{number}"] = f"footnote {number} in {name}"
            return f'<span class="footnote" id="fn-{number}">{bodies.get(number, "")}</span>'

        placed[key] = _NOTE_REF.sub(place, text)
    return placed


def expect_entries(bibliography: str, keys: list[str], expected: Expected) -> list[str]:
    """Every cited work must have its entry; returns the keys pandoc left out of the list."""
    present = set(_ENTRY.findall(bibliography))
    for key in keys:
        if key in present:
            expected[f"ref-{key}"] = f"bibliography entry of @{key}"
    return [key for key in keys if key not in present]


def prepare(cited: CitedText, names: dict[str, str], medium: str) -> tuple[CitedText, Expected]:
    """The text as a medium shows it, and what the rendered document must contain.

    ``print``: notes become page-foot footnotes. ``screen``: notes stay a list at the end.
    """
    expected: Expected = {}
    fields = number_citations(cited.fields, names, expected)
    notes = cited.notes
    if medium == "print":
        fields = inline_notes(fields, names, notes, expected)
        notes = ""
    if cited.bibliography:
        left_out = expect_entries(cited.bibliography, cited.cited_keys, expected)
        if left_out:
            raise StandpuntError(
                "the bibliography lacks "
                + ", ".join(f"@{key}" for key in left_out)
                + "; check that evidence's fields",
                code="lost-citation",
            )
    return replace(cited, fields=fields, notes=notes), expected
