"""What a citation style asks for reaches the PDF: a note style without bibliography builds, small
capitals are small capitals, a numeric bibliography keeps "[n]" on its entry's line, and no
hyphen breaks a name inside a citation. Real pandoc, real WeasyPrint, the PDF read back."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
from click.testing import CliRunner

from conftest import CONFIG, flat_text, link_targets, pdf_text
from standpunt.cli import main

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
  DOI: 10.1093/bjsw/bch106
- id: lipsky1980
  type: book
  title: Street-level bureaucracy
  author: [{family: Lipsky, given: Michael}]
  publisher: Russell Sage Foundation
  publisher-place: New York
  issued: 1980
- id: claessens2018
  type: chapter
  title: Coalitions in the field
  author: [{family: Claessens, given: Dirk}]
  editor: [{family: Roets, given: Griet}]
  container-title: Social work in Flanders
  publisher: Acco
  publisher-place: Leuven
  page: 45-67
  issued: 2018
"""

POSITION = """\
title: Care is not a market
summary: |
  Discretion matters [@evans2020, p. 872]. Street-level work shapes policy [@lipsky1980].
sections:
  - title: The problem
    body: |
      Coalitions matter [@claessens2018, p. 50]. Again [@evans2020].
"""


def built(make_workspace: Callable[..., Path], style: str, position: str = POSITION) -> Path:
    """The PDF of the position, built with ``style``."""
    root = make_workspace(
        {
            "standpunt.yaml": CONFIG.replace("style: apa", f"style: {style}"),
            "evidence/refs.yaml": EVIDENCE,
            "positions/care.yaml": position,
        }
    )
    result = CliRunner().invoke(main, ["-C", str(root), "build"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "build" / "care.pdf"


def test_a_note_style_without_bibliography_builds_with_its_notes_and_their_links(
    make_workspace: Callable[..., Path],
) -> None:
    pdf = built(make_workspace, "chicago-notes")
    text = flat_text(pdf)
    assert (
        "1. Tony Evans and John Harris, “Social Work and the Politics of Discretion,” British "
        "Journal of Social Work 34, no. 6 (2020): 872, https://doi.org/10.1093/bjsw/bch106."
    ) in text
    assert "2. Michael Lipsky, Street-Level Bureaucracy (Russell Sage Foundation, 1980)." in text
    assert "4. Evans and Harris, “Social Work and the Politics of Discretion.”" in text
    assert "References" not in text
    assert link_targets(pdf) == ["https://doi.org/10.1093/bjsw/bch106"]


def doubled_letters(pdf: Path, page_number: int) -> set[str]:
    """The letters that the page's serif text shows with two glyphs each (the letter, and its
    small capital), from the font's map of glyphs to text."""
    glyphs: dict[str, set[str]] = defaultdict(set)
    fonts = pypdf.PdfReader(pdf).pages[page_number]["/Resources"]["/Font"]
    for font in fonts.values():
        font = font.get_object()
        if font["/BaseFont"].endswith("+Standpunt-Serif"):
            cmap = font["/ToUnicode"].get_object().get_data().decode("ascii")
            for glyph, code in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]{4})>", cmap):
                glyphs[chr(int(code, 16))].add(glyph)
    return {letter for letter, each in glyphs.items() if len(each) > 1}


def test_small_capitals_are_set_in_small_capitals(make_workspace: Callable[..., Path]) -> None:
    # DIN 1505-2 sets authors' names in small capitals: "CLAESSENS, DIRK".
    pdf = built(make_workspace, "din-1505-2-alphanumeric")
    text = flat_text(pdf)
    assert "Claessens, Dirk: Coalitions in the field." in text
    last = len(pypdf.PdfReader(pdf).pages) - 1
    # each small capital is a glyph of its own, beside the letter the rest of the text uses
    # ("Social work in Flanders"): without small caps, one glyph for each letter
    assert doubled_letters(pdf, last) >= set("laesn")


def test_a_numeric_bibliography_keeps_each_number_on_its_entry_line(
    make_workspace: Callable[..., Path],
) -> None:
    pdf = built(make_workspace, "ieee")
    document = pdfium.PdfDocument(str(pdf))
    try:
        page = document[len(document) - 1].get_textpage()
        text = page.get_text_range()
        assert "References" in text
        for label, starts in (("[1]", "T. Evans"), ("[2]", "M. Lipsky"), ("[3]", "D. Claessens")):
            number, entry = text.index(label) + 1, text.index(starts)  # "1" and "T" sit on the line
            left, bottom, _, _ = page.get_charbox(number)
            entry_left, entry_bottom, _, _ = page.get_charbox(entry)
            assert abs(bottom - entry_bottom) < 0.5, label  # the same line
            assert entry_left - left > 10, label  # in a column of its own
    finally:
        document.close()


def test_no_hyphen_breaks_a_name_in_a_citation(make_workspace: Callable[..., Path]) -> None:
    evidence = EVIDENCE + (
        "- id: long2021\n  type: book\n  title: Care\n  issued: 2021\n"
        "  author: [{family: Vanderstraetenschoonhoven, given: Ann},"
        " {family: Harrisonfieldsworth, given: Bo}]\n"
    )
    sentences = " ".join(
        f"{'Institutionalisation ' * (number % 5)}matters [@long2021, p. {number}]."
        for number in range(40)
    )
    position = f"title: Care\nsections:\n  - title: Names\n    body: {sentences}\n"
    root = make_workspace(
        {
            "standpunt.yaml": CONFIG,
            "evidence/refs.yaml": evidence,
            "positions/care.yaml": position,
        }
    )
    result = CliRunner().invoke(main, ["-C", str(root), "build"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = pdf_text(root / "build" / "care.pdf")
    for name in ("Vanderstraetenschoonhoven", "Harrisonfieldsworth"):
        # 40 citations and the bibliography entry, each name whole on its line
        assert len(re.findall(name, text)) == 41, name
    # the body text around them is still hyphenated
    assert re.search("[\u2010-]\r?\n", text)
