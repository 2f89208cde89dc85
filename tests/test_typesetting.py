"""The page's furniture and its details, read back from built PDFs: a running head the status
marker never prints over, a colophon that never takes a page alone, authors grouped by
affiliation, a title sized by its length, co-signers across the width, even dot leaders, a
plain withdrawn status, one measure in the redline, and citations and pull quotes kept whole.

Places come from pypdfium2's character boxes (PDF points, origin at the page's bottom left).
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from click.testing import CliRunner

from conftest import copy_demo
from standpunt.cli import main
from test_design import LONG_EVIDENCE
from test_layout import (
    BODY_BOTTOM,
    BODY_TOP,
    body_lines,
    build,
    flat,
    git,
    long_position,
    pages_text,
)

MM = 72 / 25.4

Box = tuple[float, float, float, float]

AUTHORS = [
    ("Hanne De Smedt", "Fédération des services sociaux"),
    ("Karim Ouali", "SAAMO Antwerpen"),
    ("Lotte Verhaegen", "Fédération des services sociaux"),
    ("Marie-Claire Vandenbroucke-Lefèvre", "SAAMO Antwerpen"),
    ("Youssef El Amrani", "Fédération des services sociaux"),
    ("Sofie Van den Bossche", "SAAMO Antwerpen"),
    ("Jean-Baptiste Nkurunziza-Dubois", "Fédération des services sociaux"),
]

LONG_TITLE = (
    "Towards a diversity and inclusion policy truly carried by the boards, the directors and "
    "the funders of the whole social sector of Brussels and Wallonia"
)

FILLER = (
    "Sociaal werk staat dicht bij mensen en ziet waar rechten onder druk staan; organisaties "
    "geven die signalen een stem in het beleid en in het publieke debat, ook wanneer dat "
    "ongemakkelijk is voor wie subsidies toekent."
)


LONG_HEADING = " — een langere titel die over twee regels loopt omdat ze zo veel woorden telt"


def citing_position(sections: int = 60) -> str:
    """A Dutch position of short sections, each a paragraph of varied length, a pull quote and
    a paragraph that ends in a group of two author-date citations ("(Oosterlynck, 2022;
    Raeymaeckers et al., 2022)"): citations at every place of a line, quotes at every place of
    a page."""
    lines = ["title: Citaten", "lang: nl-BE", "status: draft", "date: 2026-03-12", "sections:"]
    words = FILLER.split()
    for section in range(1, sections + 1):
        lead = " ".join((words * 4)[: 9 + (section * 13) % 47])
        rest = " ".join(words[: 12 + (section * 7) % 23])
        # Headings of one line or two, and a subheading in some sections: quotes end at many
        # heights of a page, some of them at its foot.
        title = f"Deel {section}" + (LONG_HEADING if section % 3 == 0 else "")
        sub = "### Tussenkop" if section % 4 == 0 else ""
        lines += [
            f"  - title: {title}",
            "    quote: >-",
            f"      Citaat {section}: een pull quote die nooit tot de voet van de pagina loopt.",
            "    body: |",
            f"      {lead} [@raeymaeckers2022].",
            "",
            f"      {sub}",
            "",
            f"      {rest} [@oosterlynck2022; @raeymaeckers2022]. {rest} [@raeymaeckers2022].",
            "",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_demo(tmp_path_factory.mktemp("typesetting") / "ws")
    (root / "evidence/long.yaml").write_text(LONG_EVIDENCE)
    authors = "\n".join(
        f"authors:\n  - name: {name}\n    affiliation: {affiliation}"
        if n == 0
        else f"  - name: {name}\n    affiliation: {affiliation}"
        for n, (name, affiliation) in enumerate(AUTHORS)
    )
    (root / "positions/long-title.yaml").write_text(
        long_position("en", 3, 4, title=LONG_TITLE, status="consultation", extra=authors)
    )
    (root / "positions/withdrawn.yaml").write_text(
        long_position(
            "nl", 1, 1, title="Geef coalities een vaste stoel aan tafel", status="withdrawn"
        )
    )
    (root / "positions/citing.yaml").write_text(citing_position())
    build(root)
    return root


def char_boxes(page: pdfium.PdfPage, text: str) -> list[Box]:
    """The glyph boxes of the first occurrence of ``text`` on ``page`` (spaces left out)."""
    textpage = page.get_textpage()
    searcher = textpage.search(text, match_case=True)
    found = searcher.get_next()
    assert found is not None, text
    start, count = found
    boxes = []
    for index in range(start, start + count):
        if not textpage.get_text_range(index, 1).isspace():
            boxes.append(textpage.get_charbox(index))
    return boxes


def every_box(page: pdfium.PdfPage, text: str) -> list[list[Box]]:
    """The glyph boxes of each occurrence of ``text`` on ``page``, case ignored."""
    textpage = page.get_textpage()
    searcher = textpage.search(text, match_case=False)
    found = []
    while (hit := searcher.get_next()) is not None:
        start, count = hit
        found.append([textpage.get_charbox(index) for index in range(start, start + count)])
    return found


def overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def page_lines(pdf: Path) -> list[list[str]]:
    return [
        [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
        for text in pages_text(pdf)
    ]


# --------------------------------------------------------------------------- running head


def test_the_status_marker_never_prints_over_a_long_running_title(ws: Path) -> None:
    document = pdfium.PdfDocument(str(ws / "build/long-title.pdf"))
    try:
        assert len(document) >= 2
        for page in list(document)[1:]:
            title = char_boxes(page, "Towards a diversity and inclusion policy truly carried")
            mark = char_boxes(page, "CONSULTATION DRAFT")
            # Both in the top margin, and not one glyph of the one on a glyph of the other.
            assert all(box[1] > BODY_TOP for box in title + mark)
            assert not any(overlap(a, b) for a in title for b in mark)
    finally:
        document.close()


# --------------------------------------------------------------------------- colophon


def test_the_colophon_follows_the_text_on_its_last_page(ws: Path) -> None:
    # The demo's brief: six pages, its colophon under the co-signers, not on a page of its own
    # (it took a seventh page when its facts were a line each).
    pdf = ws / "build/organisaties-kiezen-positie.pdf"
    pages = pages_text(pdf)
    assert len(pages) == 6
    last = flat(pages[-1])
    assert "Uitgegeven door SAAMO Antwerpen" in last
    assert "Medeondertekend door Sociaal Werk Actie Netwerk" in last
    for name in ("organisaties-kiezen-positie", "coalitions-for-social-policy", "withdrawn"):
        lines = body_lines(ws / f"build/{name}.pdf", first=0)[-1]
        colophon = next(
            n for n, line in enumerate(lines) if line.startswith(("Uitgegeven", "Published"))
        )
        # Above the colophon, on its page's text area: text of the position.
        assert colophon >= 2, (name, lines)


# --------------------------------------------------------------------------- page 1


def test_authors_are_grouped_by_affiliation_and_no_name_is_broken(ws: Path) -> None:
    first = pages_text(ws / "build/long-title.pdf")[0]
    assert (
        "Hanne De Smedt, Lotte Verhaegen, Youssef El Amrani, Jean-Baptiste Nkurunziza-Dubois "
        "(Fédération des services sociaux) Karim Ouali, Marie-Claire Vandenbroucke-Lefèvre, "
        "Sofie Van den Bossche (SAAMO Antwerpen)" in flat(first)
    )
    lines = page_lines(ws / "build/long-title.pdf")[0]
    for name, affiliation in AUTHORS:
        assert any(name in line for line in lines), name
        assert any(f"({affiliation})" in line for line in lines), affiliation


def title_font_size(pdf: Path, start: str) -> float:
    document = pdfium.PdfDocument(str(pdf))
    try:
        textpage = document[0].get_textpage()
        found = textpage.search(start, match_case=True).get_next()
        assert found is not None
        # In points: WeasyPrint's pages are drawn in CSS pixels, scaled by 3/4.
        return round(pdfium_c.FPDFText_GetFontSize(textpage.raw, found[0]) * 0.75, 2)
    finally:
        document.close()


def test_a_long_title_is_set_smaller_and_a_short_one_keeps_two_words_on_its_last_line(
    ws: Path,
) -> None:
    assert title_font_size(ws / "build/organisaties-kiezen-positie.pdf", "Sterk sociaal") == 22
    assert title_font_size(ws / "build/long-title.pdf", "Towards a diversity") == 16
    lines = page_lines(ws / "build/long-title.pdf")[0]
    start = next(n for n, line in enumerate(lines) if line.startswith("Towards a diversity"))
    end = next(n for n, line in enumerate(lines) if line.endswith("and Wallonia"))
    assert end - start + 1 <= 4  # at 22 pt it took six lines
    # "Geef coalities een vaste stoel aan / tafel" no more: the last line holds two words.
    lines = page_lines(ws / "build/withdrawn.pdf")[0]
    assert "Geef coalities een vaste stoel" in lines
    assert "aan tafel" in lines


# --------------------------------------------------------------------------- back matter


def test_co_signers_use_the_width_and_keep_each_name_on_one_line(ws: Path) -> None:
    lines = page_lines(ws / "build/organisaties-kiezen-positie.pdf")[-1]
    assert "Sociaal Werk Actie Netwerk" in lines
    assert "APSMO" in lines


def test_the_contents_dot_leaders_end_alike_and_never_touch_a_heading(ws: Path) -> None:
    document = pdfium.PdfDocument(str(ws / "build/organisaties-kiezen-positie.pdf"))
    try:
        page = next(p for p in document if "Inhoud" in p.get_textpage().get_text_range())
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        rows = [m for m in re.finditer(r"([^\r\n.]*[^\s.])\s*(\.{3,})\s*([0-9]+)", text)]
        assert len(rows) == 6  # five sections and the sources
        ends, numbers = [], []
        for row in rows:
            heading_end = textpage.get_charbox(row.end(1) - 1)[2]
            first_dot = textpage.get_charbox(row.start(2))[0]
            assert first_dot - heading_end >= 3, row.group(1)
            ends.append(textpage.get_charbox(row.end(2) - 1)[2])
            numbers.append(textpage.get_charbox(row.end(3) - 1)[2])
        assert max(ends) - min(ends) < 0.5, ends
        assert max(numbers) - min(numbers) < 0.5, numbers
    finally:
        document.close()


def strikes(page: pdfium.PdfPage, word: Box) -> list[Box]:
    """Thin lines drawn across the middle of ``word``."""
    middle = (word[1] + word[3]) / 2
    found = []
    for item in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH]):
        left, bottom, right, top = item.get_bounds()
        thin = top - bottom < 2
        if thin and left < word[2] and word[0] < right and abs((top + bottom) / 2 - middle) < 3:
            found.append((left, bottom, right, top))
    return found


def test_a_withdrawn_status_is_not_struck_through(ws: Path) -> None:
    document = pdfium.PdfDocument(str(ws / "build/withdrawn.pdf"))
    try:
        page = document[0]
        words = every_box(page, "ingetrokken")
        # The page's mark, the badge beside "Standpunt" and the status among the facts.
        assert len(words) == 3
        for boxes in words:
            word = (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
            assert strikes(page, word) == []
    finally:
        document.close()


# --------------------------------------------------------------------------- redline


def test_the_redline_has_one_measure_on_every_page(ws: Path, tmp_path: Path) -> None:
    root = copy_demo(tmp_path / "ws")
    git(root, "-c", "init.defaultBranch=main", "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "One")
    position = root / "positions/organisaties-kiezen-positie.yaml"
    position.write_text(position.read_text().replace("straathoekwerker", "buurtwerker", 1))
    result = CliRunner().invoke(
        main, ["-C", str(root), "diff", "organisaties-kiezen-positie"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    document = pdfium.PdfDocument(str(root / "build/organisaties-kiezen-positie.diff.pdf"))
    try:
        assert len(document) >= 2
        measures = []
        for page in document:
            textpage = page.get_textpage()
            boxes = [
                textpage.get_charbox(index)
                for index in range(textpage.count_chars())
                if BODY_BOTTOM < textpage.get_charbox(index)[1] < BODY_TOP - 20
                and not textpage.get_text_range(index, 1).isspace()
            ]
            measures.append((min(b[0] for b in boxes), max(b[2] for b in boxes)))
        lefts = [left for left, _ in measures]
        assert max(lefts) - min(lefts) < 1, measures
        for left, right in measures:
            assert right - left <= 134 * MM + 1, measures
    finally:
        document.close()


# --------------------------------------------------------------------------- citations, quotes


def test_an_author_date_citation_is_never_broken(ws: Path) -> None:
    lines = [line for page in page_lines(ws / "build/citing.pdf") for line in page]
    text = "\n".join(lines)
    assert text.count("Raeymaeckers et al., 2022") + text.count("Raeymaeckers et al.,\n") >= 100
    for line in lines:
        # A line never ends inside "Raeymaeckers et al., 2022" or "Oosterlynck, 2022".
        assert not re.search(r"(Raeymaeckers|et al\.,|Oosterlynck,)$", line), line
        assert not re.match(r"(et al\.|al\.,|2022\))", line), line
    # A group still breaks between its citations: some line ends after "Oosterlynck, 2022;".
    assert any(line.endswith("(Oosterlynck, 2022;") for line in lines)


def test_a_pull_quote_never_runs_down_to_the_footer(ws: Path) -> None:
    document = pdfium.PdfDocument(str(ws / "build/citing.pdf"))
    try:
        ends = [boxes for page in document for boxes in every_box(page, "loopt.")]
        assert len(ends) == 60
        for boxes in ends:
            # Its last line stands clear of the foot of the text area, as above any footer.
            assert min(box[1] for box in boxes) > BODY_BOTTOM + 5 * MM
    finally:
        document.close()
