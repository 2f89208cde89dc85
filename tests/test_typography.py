"""The author's quotation marks in the marks of the position's language, in the title and in the
text, and web and e-mail addresses written bare made links that never hyphenate.

Before, "…" stayed “…” in German and French (citeproc's own quotes were right, the author's
were not), a title kept straight quotes, and a bare address was plain text hyphenated as
"vlaan-deren.be".
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner

from conftest import copy_demo, link_targets
from standpunt.cli import main
from standpunt.render.template import typographic

SOURCE = "positions/coalitions-for-social-policy.yaml"
LANGS = ("en", "nl", "de", "fr")
#: Each language's quoted title and quoted sentence, as the page must print them.
EXPECTED = {
    "en": ("Stronger “together”", "they call it “a market” and ‘efficient’"),
    "nl": ("Stronger “together”", "they call it “a market” and ‘efficient’"),
    "de": ("Stronger „together“", "they call it „a market“ and ‚efficient‘"),
    "fr": (
        "Stronger «\u00a0together\u00a0»",
        "they call it «\u00a0a market\u00a0» and “efficient”",
    ),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_demo(tmp_path_factory.mktemp("typography") / "ws")
    text = (root / SOURCE).read_text(encoding="utf-8")
    text = text.replace("title: Stronger together", "title: 'Stronger \"together\"'")
    text = text.replace(
        "  before we finalise it.\n",
        "  before we finalise it. Funders say they call it \"a market\" and 'efficient'. "
        "Read more at https://www.vlaanderen.be/armoedebestrijding-en-sociale-uitsluiting "
        'or write to info@saamo.be. Pourquoi ? Voici : tout ; rien ! Typed „by hand".\n',
    )
    assert text.count("Stronger") >= 1 and "a market" in text
    for lang in LANGS:
        (root / f"positions/quotes-{lang}.yaml").write_text(
            text.replace("lang: en", f"lang: {lang}"), encoding="utf-8"
        )
    (root / SOURCE).unlink()
    ids = [f"quotes-{lang}" for lang in LANGS]
    result = CliRunner().invoke(main, ["-C", str(root), "build", *ids], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root


def page_one(pdf: Path) -> str:
    document = pdfium.PdfDocument(str(pdf))
    try:
        text = document[0].get_textpage().get_text_range()
    finally:
        document.close()
    # pdfium reads a hyphen after a break opportunity as U+FFFE; no-break spaces stay
    text = text.replace("\u200b", "").replace("\ufffe", "-")
    return re.sub(r"[ \t\r\n]+", " ", text)


@pytest.mark.parametrize("lang", LANGS)
def test_quotation_marks_follow_the_language(built: Path, lang: str) -> None:
    text = page_one(built / f"build/quotes-{lang}.pdf")
    title, sentence = EXPECTED[lang]
    assert title in text
    assert sentence in text


def test_german_closes_a_quotation_opened_by_hand_with_its_own_mark(built: Path) -> None:
    """„ typed by hand and closed with a straight " (which pandoc makes an English ”)."""
    assert "Typed „by hand“." in page_one(built / "build/quotes-de.pdf")
    assert "Typed „by hand”." in page_one(built / "build/quotes-en.pdf")


@pytest.mark.parametrize("lang", LANGS)
def test_french_sets_a_narrow_no_break_space_before_high_punctuation(
    built: Path, lang: str
) -> None:
    text = page_one(built / f"build/quotes-{lang}.pdf")
    space = "\u202f" if lang == "fr" else " "
    assert f"Pourquoi{space}? Voici{space}: tout{space}; rien{space}!" in text


@pytest.mark.parametrize("lang", LANGS)
def test_bare_addresses_are_links_and_are_never_hyphenated(built: Path, lang: str) -> None:
    pdf = built / f"build/quotes-{lang}.pdf"
    links = link_targets(pdf, page=0)
    assert "https://www.vlaanderen.be/armoedebestrijding-en-sociale-uitsluiting" in links
    assert "mailto:info@saamo.be" in links
    # Broken only at a slash or before a dash or dot: the address reads back whole.
    assert "https://www.vlaanderen.be/armoedebestrijding-en-sociale-uitsluiting" in page_one(
        pdf
    ).replace("- ", "-").replace(" -", "-").replace("/ ", "/").replace(" .", ".")


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        ('De "kleine" zorg', "de", "De „kleine“ zorg"),
        ("'s avonds 'kleine' zorg van Jones'", "nl", "’s avonds ‘kleine’ zorg van Jones’"),
        ('L\'État et "le marché"', "fr", "L’État et «\u00a0le marché\u00a0»"),
        ("Say \"no\" (to 'markets')", "en", "Say “no” (to ‘markets’)"),
        ("rock 'n' roll, 't is", "nl", "rock ’n’ roll, ’t is"),
        ("no quotes", "de", "no quotes"),
    ],
)
def test_a_plain_text_title_gets_the_language_s_marks(value: str, lang: str, expected: str) -> None:
    assert typographic(value, lang) == expected
