"""The PDF a policymaker keeps: notes never lost, links, metadata, variants, languages."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from conftest import REPO, copy_demo, flat_text
from standpunt.cli import main

LONG_EVIDENCE = "\n".join(
    f"""\
- id: work{n:02d}
  type: report
  title: Report number {n} on social policy
  author:
    - family: Author{chr(65 + n % 26)}
      given: Kim
  issued: {2000 + n % 20}
  publisher: Institute {n}
"""
    for n in range(1, 21)
)


def build(root: Path, *args: str):
    return CliRunner().invoke(main, ["-C", str(root), "build", *args], catch_exceptions=False)


def long_position(citations: int = 60, paragraphs_per_section: int = 34) -> str:
    """About 40 pages with ``citations`` note-style citations, each with its own locator."""
    filler = (
        "Sociaal werk staat dicht bij mensen en ziet waar rechten onder druk staan; "
        "organisaties geven die signalen een stem in het beleid en in het publieke debat. "
    ) * 3
    lines = ["title: A long position", "lang: en", "sections:"]
    cite = 0
    for section in range(1, 9):
        lines += [f"  - title: Section {section}", "    body: |"]
        for _ in range(paragraphs_per_section):
            text = filler
            if cite < citations:
                cite += 1
                text += f"As shown before [@work{(cite % 20) + 1:02d}, p. {1000 + cite}]. "
            lines.append(f"      {text}")
            lines.append("")
    assert cite == citations
    return "\n".join(lines) + "\n"


@pytest.fixture(params=[34])
def note_workspace(make_workspace, request):
    root = make_workspace(
        {
            "evidence/refs.yaml": LONG_EVIDENCE,
            "positions/care.yaml": long_position(60, request.param),
        }
    )
    config = (root / "standpunt.yaml").read_text()
    (root / "standpunt.yaml").write_text(
        config.replace("style: apa", "style: chicago-notes-bibliography")
    )
    return root


def test_long_note_style_position_keeps_all_60_footnotes(note_workspace):
    result = build(note_workspace)
    assert result.exit_code == 0, result.output
    pdf = note_workspace / "build" / "care.pdf"
    assert len(pypdf.PdfReader(pdf).pages) >= 38
    text = flat_text(pdf)
    missing = [n for n in range(1001, 1061) if f", {n}." not in text]
    assert missing == []
    names = set(pypdf.PdfReader(pdf).named_destinations)
    assert {f"fn-{n}" for n in range(1, 61)} <= names


@pytest.mark.parametrize("note_workspace", [8], indirect=True)
def test_a_lost_footnote_fails_the_build_and_names_it(note_workspace):
    """A template whose CSS makes WeasyPrint drop a note: no PDF, a message naming the note."""
    own = note_workspace / "templates" / "dropping"
    own.mkdir(parents=True)
    builtin_css = (REPO / "src/standpunt/templates/default/style.css").read_text()
    (own / "style.css").write_text(
        builtin_css
        + "\n@page { @footnote { border-top: 1pt solid black; } }\n"
        + "#fn-7 { display: none; }\n"
    )
    (own / "fonts").symlink_to(REPO / "src/standpunt/templates/default/fonts")
    config = (note_workspace / "standpunt.yaml").read_text()
    (note_workspace / "standpunt.yaml").write_text(config + "template: dropping\n")
    (note_workspace / "build").mkdir(exist_ok=True)
    result = build(note_workspace)
    assert result.exit_code == 1
    assert "the rendered PDF lost footnote 7 in section 1 ('Section 1')" in result.output
    assert "[lost-citation]" in result.output
    assert not (note_workspace / "build" / "care.pdf").exists()


def test_links_resolve_to_named_destinations(make_workspace):
    root = make_workspace()
    assert build(root).exit_code == 0
    reader = pypdf.PdfReader(root / "build" / "care.pdf")
    names = set(reader.named_destinations)
    internal, external = [], []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            obj = annot.get_object()
            if obj.get("/Subtype") != "/Link":
                continue
            if "/Dest" in obj:
                internal.append(str(obj["/Dest"]))
            elif "/A" in obj and "/URI" in obj["/A"]:
                external.append(str(obj["/A"]["/URI"]))
    cites = [d for d in internal if d.startswith("ref-")]
    # five citations of three works in the source; each links to its entry
    assert len(cites) >= 5
    assert all(d in names for d in internal)
    assert "https://example.org/first" in external
    assert "https://doi.org/10.1234/second" in external


def test_metadata_and_outline(make_workspace):
    root = make_workspace(
        {"positions/care.yaml": (Path(__file__).parent / "data" / "metadata.yaml").read_text()}
    )
    assert build(root).exit_code == 0, build(root).output
    reader = pypdf.PdfReader(root / "build" / "care.pdf")
    meta = reader.metadata
    assert meta.title == "Care is not a market"
    assert meta.author == "Ann Peeters, Bo Jansen"
    assert meta.subject == "Care needs public funding (Smith, 2021a)."
    assert meta["/Keywords"] == "care, markets"
    assert meta.creator.startswith("Standpunt ")
    assert meta["/CreationDate"] == "D:20260301"
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    top = reader.outline
    assert top[0].title == "Care is not a market"
    children = [item.title for item in top[1]]
    assert children[:2] == ["Summary", "Our asks"]
    assert "1 The problem" in children and "References" in children


def test_pdf_ua_is_tagged_and_pdf_a_works(make_workspace):
    root = make_workspace()
    assert build(root, "--pdf-variant", "pdf/ua-1").exit_code == 0
    ua = pypdf.PdfReader(root / "build" / "care.pdf")
    assert "/StructTreeRoot" in ua.trailer["/Root"]
    assert build(root, "--pdf-variant", "pdf/a-3b").exit_code == 0
    archive = pypdf.PdfReader(root / "build" / "care.pdf")
    xmp = archive.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "pdfaid:part" in xmp and "3" in xmp
    assert "/OutputIntents" in archive.trailer["/Root"]
    assert build(root, "--pdf-variant", "none").exit_code == 0


LANG_POSITION = """\
title: {title}
lang: {lang}
date: 2026-11-28
status: adopted
summary: Text [@doe2019].
sections:
  - title: One
    body: Text [@smith2021a].
  - title: Two
    body: Text.
  - title: Three
    body: Text.
  - title: Four
    body: Text [@smith2021b].
recommendations:
  - Ask.
signatories: [swan]
"""


@pytest.mark.parametrize(
    ("lang", "labels", "date"),
    [
        (
            "fr",
            ["Résumé", "Nos demandes", "Sommaire", "Références", "page 2 sur"],
            "28 novembre 2026",
        ),
        (
            "de",
            ["Zusammenfassung", "Unsere Forderungen", "Inhalt", "Literatur", "Seite 2 von"],
            "28. November 2026",
        ),
        (
            "nl-BE",
            ["Samenvatting", "Onze vragen", "Inhoud", "Bronnen", "pagina 2 van"],
            "28 november 2026",
        ),
    ],
)
def test_labels_and_dates_in_the_positions_language(make_workspace, lang, labels, date):
    root = make_workspace({"positions/care.yaml": LANG_POSITION.format(title="T", lang=lang)})
    result = build(root)
    assert result.exit_code == 0, result.output
    text = flat_text(root / "build" / "care.pdf")
    for label in labels:
        assert label in text
    assert date in text


def test_dutch_pdf_holds_no_english_label(tmp_path):
    root = copy_demo(tmp_path / "demo")
    assert build(root, "organisaties-kiezen-positie").exit_code == 0
    text = flat_text(root / "build" / "organisaties-kiezen-positie.pdf")
    from standpunt.i18n import LABELS

    # "of" is also a Dutch word ("or"), so the footer is checked as a whole instead.
    english_only = {v for k, v in LABELS["en"].items() if v != LABELS["nl"][k] and k != "page_of"}
    found = [label for label in english_only if f" {label} " in f" {text} "]
    assert found == []
    assert "page 2 of" not in text and "pagina 2 van" in text


def test_workspace_label_override(make_workspace):
    root = make_workspace()
    config = (root / "standpunt.yaml").read_text()
    (root / "standpunt.yaml").write_text(
        config + "labels:\n  en:\n    recommendations: What we demand\n"
    )
    assert build(root).exit_code == 0
    text = flat_text(root / "build" / "care.pdf")
    assert "What we demand" in text and "Our asks" not in text


def test_a_style_pandoc_cannot_read_is_a_clear_error(make_workspace):
    root = make_workspace({"styles/broken.csl": "<style>this is not CSL</style>\n"})
    config = (root / "standpunt.yaml").read_text()
    (root / "standpunt.yaml").write_text(config.replace("style: apa", "style: styles/broken.csl"))
    result = build(root)
    assert result.exit_code == 1
    assert (
        "standpunt.yaml:5:8: error: citation style 'styles/broken.csl' cannot be read by pandoc: "
        "No citation element present; download the style again (e.g. from the Zotero style "
        "repository) or correct the file [bad-style]" in result.output
    )
    assert "Traceback" not in result.output
    assert not (root / "build" / "care.pdf").exists()


def test_html_page_is_self_contained(make_workspace):
    root = make_workspace()
    result = build(root, "--format", "pdf,html")
    assert result.exit_code == 0, result.output
    page = (root / "build" / "care.html").read_text(encoding="utf-8")
    assert (root / "build" / "care.pdf").is_file()
    assert "<style>" in page and "<link" not in page
    assert "file:" not in page and "url(" not in page.replace("url(data:", "")
    assert 'class="csl-entry"' in page and 'href="#ref-smith2021a"' in page
