"""Citations are processed in the order the page prints them: numbering, first and subsequent
notes, "ibid." and note numbers follow the printed page, for the built-in template (summary, asks,
then sections, a pull quote between a body's first paragraph and the rest) and for a workspace's
own template, whatever order it prints the texts in. Real pandoc, real WeasyPrint, the PDF read
back."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
from click.testing import CliRunner

from conftest import CONFIG, flat_text
from standpunt.cli import main
from standpunt.render.template import probe_fields, reading_order

EVIDENCE = """\
- id: evans2020
  type: article-journal
  title: Social work and the politics of discretion
  author: [{family: Evans, given: Tony}, {family: Harris, given: John}]
  container-title: British Journal of Social Work
  volume: "34"
  issue: "6"
  page: 871-895
  issued: 2020
- id: lipsky1980
  type: book
  title: Street-level bureaucracy
  author: [{family: Lipsky, given: Michael}]
  publisher: Russell Sage Foundation
  issued: 1980
- id: claessens2018
  type: chapter
  title: Coalitions in the field
  author: [{family: Claessens, given: Dirk}]
  editor: [{family: Roets, given: Griet}]
  container-title: Social work in Flanders
  publisher: Acco
  issued: 2018
"""

#: The asks (printed first) cite the works the section cites last: read in the order of the
#: YAML file, the first note a reader meets for Lipsky would be the short one.
POSITION = """\
title: Care is not a market
summary: |
  Discretion is where policy meets people.
sections:
  - title: The problem
    body: |
      Coalitions matter [@claessens2018, p. 50].

      Street-level work shapes policy [@lipsky1980, p. 3].
    quote: |
      Discretion is political [@evans2020].
recommendations:
  - Respect the discretion of frontline workers [@lipsky1980, p. 8].
  - Fund coalitions [@claessens2018, p. 52].
"""

#: A template that prints the pull quotes first, then the asks, then the sections' bodies whole.
QUOTES_FIRST = """\
<!DOCTYPE html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ position.title }}</title>
<meta name="description" content="{{ position.summary|striptags }}"></head>
<body><h1>{{ position.title }}</h1>
{% for section in position.sections %}<blockquote>{{ section.quote }}</blockquote>{% endfor %}
<ol>{% for ask in position.recommendations %}<li>{{ ask }}</li>{% endfor %}</ol>
{% for section in position.sections %}<h2>{{ section.title }}</h2>{{ section.body }}{% endfor %}
{{ notes }}{{ bibliography }}
</body></html>
"""


def build(
    make_workspace: Callable[..., Path],
    style: str,
    *options: str,
    files: dict[str, str] | None = None,
) -> Path:
    root = make_workspace(
        {
            "standpunt.yaml": CONFIG.replace("style: apa", f"style: {style}"),
            "evidence/refs.yaml": EVIDENCE,
            "positions/care.yaml": POSITION,
            **(files or {}),
        }
    )
    result = CliRunner().invoke(main, ["-C", str(root), "build", *options])
    assert result.exit_code == 0, result.output
    return root / "build"


def citations(html: str) -> list[str]:
    """The text of each citation outside a note, in the order the page holds them."""
    spans = re.findall(r'<span id="cite-(\d+)" class="citation"[^>]*>(.*?)</span>', html)
    assert [int(number) for number, _ in spans] == list(range(1, len(spans) + 1))
    return [re.sub(r"<[^>]+>", "", text) for _, text in spans]


def test_the_page_decides_the_order_its_marks_come_in() -> None:
    keys = ["summary", "sections.1.body.lead", "sections.1.quote", "recommendations.1", "gone"]
    mark = probe_fields(keys)
    page = (
        f'<html><head><meta content="{mark["summary"]}"></head><body>'
        f"{mark['recommendations.1']}{mark['sections.1.quote']}"
        f"{mark['sections.1.body.lead']}{mark['recommendations.1']}</body></html>"
    )
    assert reading_order(keys, page) == [
        "recommendations.1",
        "sections.1.quote",
        "sections.1.body.lead",
        "summary",  # only in the head: after what the body prints
        "gone",  # printed nowhere: last
    ]


def test_a_numeric_style_numbers_in_the_order_the_page_prints(
    make_workspace: Callable[..., Path],
) -> None:
    page = (build(make_workspace, "ieee", "--format", "html") / "care.html").read_text()
    # asks, then the body's first paragraph, the pull quote, and the rest of the body
    assert citations(page) == ["[1, p. 8]", "[2, p. 52]", "[2, p. 50]", "[3]", "[1, p. 3]"]


def test_a_workspace_template_decides_the_order(make_workspace: Callable[..., Path]) -> None:
    files = {
        "standpunt.yaml": CONFIG.replace("style: apa", "style: ieee") + "template: mine\n",
        "templates/mine/position.html": QUOTES_FIRST,
    }
    page = build(make_workspace, "ieee", "--format", "html", files=files) / "care.html"
    assert citations(page.read_text()) == [
        "[1]",
        "[2, p. 8]",
        "[3, p. 52]",
        "[3, p. 50]",
        "[2, p. 3]",
    ]


def test_note_calls_on_screen_read_in_order(make_workspace: Callable[..., Path]) -> None:
    style = "chicago-notes-bibliography"
    page = (build(make_workspace, style, "--format", "html") / "care.html").read_text()
    calls = re.findall(r'class="footnote-ref" id="fnref(\d+)"', page)
    assert calls == ["1", "2", "3", "4", "5"]


FULL_LIPSKY = "Michael Lipsky, Street-Level Bureaucracy (Russell Sage Foundation, 1980)"
FULL_CLAESSENS = (
    "Dirk Claessens, “Coalitions in the Field,” in Social Work in Flanders, ed. Griet Roets "
    "(Acco, 2018)"
)
FULL_EVANS = (
    "Tony Evans and John Harris, “Social Work and the Politics of Discretion,” British Journal "
    "of Social Work 34, no. 6 (2020): 871–95."
)


def test_the_first_note_for_each_work_is_its_full_note(make_workspace: Callable[..., Path]) -> None:
    text = flat_text(build(make_workspace, "chicago-notes-bibliography") / "care.pdf")
    notes = (
        f"1. {FULL_LIPSKY}, 8. "
        f"2. {FULL_CLAESSENS}, 52. "
        "3. Claessens, “Coalitions in the Field,” 50. "
        f"4. {FULL_EVANS} "
        "5. Lipsky, Street-Level Bureaucracy, 3."
    )
    assert notes in text, text


def test_ibid_follows_a_note_on_the_same_work(make_workspace: Callable[..., Path]) -> None:
    text = flat_text(
        build(make_workspace, "chicago-notes-bibliography-subsequent-ibid") / "care.pdf"
    )
    notes = (
        f"1. {FULL_LIPSKY}, 8. "
        f"2. {FULL_CLAESSENS}, 52. "
        "3. Ibid., 50. "
        f"4. {FULL_EVANS} "
        "5. Lipsky, Street-Level Bureaucracy, 3."
    )
    assert notes in text, text


def places(pdf: Path, needles: list[str]) -> list[str]:
    """``needles`` in the order a reader meets them in the PDF: by page, top to bottom."""
    found = {}
    document = pdfium.PdfDocument(str(pdf))
    try:
        for number, page in enumerate(document):
            textpage = page.get_textpage()
            for needle in needles:
                search = textpage.search(needle, match_case=True)
                hit = search.get_next()
                if hit is not None and needle not in found:
                    _, _, _, top = textpage.get_charbox(hit[0])
                    found[needle] = (number, -top)
    finally:
        document.close()
    assert set(found) == set(needles), found
    return sorted(needles, key=lambda needle: found[needle])


def test_ieee_numbers_ascend_down_the_pdf(make_workspace: Callable[..., Path]) -> None:
    pdf = build(make_workspace, "ieee") / "care.pdf"
    printed = places(pdf, ["[1, p. 8]", "[2, p. 52]", "[2, p. 50]", "[1, p. 3]"])
    assert printed == ["[1, p. 8]", "[2, p. 52]", "[2, p. 50]", "[1, p. 3]"]
    assert "Discretion is political [3]." in flat_text(pdf)
