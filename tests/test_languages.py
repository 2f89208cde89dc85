"""Citations in every language (docs/languages.md): locator labels in any of our languages, the
en dash in page ranges, a work's status and the terms the CSL locales lack in the position's
language; and `check` reading the citation style."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, flat_text
from standpunt.cite import styles
from standpunt.cite.citeproc import _styles_folder
from standpunt.cite.terms import LOCATOR_LABELS, LOCATOR_LABELS_BY_TERM, OWN_TERMS
from standpunt.cli import main

EVIDENCE = """\
- id: jansen2020
  type: book
  title: Armoede in de stad
  author:
    - family: Jansen
      given: Piet
  issued: 2020
  publisher: Acco
- id: peeters2019
  type: chapter
  title: Sociaal werk en beleid
  author:
    - family: Peeters
      given: Ann
  editor:
    - family: Claes
      given: Jan
  container-title: Handboek sociaal werk
  issued: 2019
  publisher: Lannoo
  page: 882-884
- id: wouters
  type: article-journal
  title: Netwerken van organisaties
  author:
    - family: Wouters
      given: Lies
  container-title: Alert
  status: forthcoming
- id: elloukmani2023
  type: article-journal
  title: Diversiteit op de werkvloer
  author:
    - family: Elloukmani
      given: Sara
  container-title: Nonprofit Management and Leadership
  issued: 2023
  status: Forthcoming
- id: claes
  type: report
  title: Buurtwerk in cijfers
  author:
    - family: Claes
      given: Jan
  issued:
    literal: forthcoming
  publisher: SAAMO
"""

CONFIG = """\
organisation:
  name: Testorganisatie
  short: TO
lang: nl-BE
style: apa
"""


def position(lang: str, summary: str, body: str) -> str:
    return (
        f"title: Een stad voor iedereen\nlang: {lang}\nsummary: |\n  {summary}\n"
        f"sections:\n  - title: Twee\n    body: |\n      {body}\n"
    )


#: One position per language, each with locator labels of other languages, a page range, a
#: chapter and works not yet published.
POSITIONS = {
    "nl": position(
        "nl-BE",
        "Armoede vraagt een antwoord [@jansen2020, pp. 3-5].",
        "Sociaal werk kiest positie [@peeters2019, hfst. 2]. Netwerken groeien [@wouters; "
        "@claes]. Zie ook [@elloukmani2023, S. 12].",
    ),
    "fr": position(
        "fr-BE",
        "La pauvreté exige une réponse [@jansen2020, pp. 3-5].",
        "Le travail social prend position [@peeters2019, hfst. 2]. Les réseaux grandissent "
        "[@wouters; @claes]. Voir aussi [@elloukmani2023, blz. 12].",
    ),
    "de": position(
        "de-DE",
        "Armut verlangt eine Antwort [@jansen2020, pp. 3-5].",
        "Soziale Arbeit bezieht Stellung [@peeters2019, chap. 2]. Netzwerke wachsen "
        "[@wouters; @claes]. Siehe auch [@elloukmani2023, blz. 12].",
    ),
    "en": position(
        "en-US",
        "Poverty asks for an answer [@jansen2020, blz. 3-5].",
        "Social work takes a stand [@peeters2019, Kap. 2]. Networks grow [@wouters; @claes]. "
        "See also [@elloukmani2023, S. 12].",
    ),
}

#: What each PDF prints: the summary, the section's text, and the whole bibliography.
EXPECTED = {
    "nl": (
        "Armoede vraagt een antwoord (Jansen, 2020, pp. 3–5).",
        "Sociaal werk kiest positie (Peeters, 2019, Hoofdstuk 2). Netwerken groeien (Claes, in "
        "voorbereiding; Wouters, in voorbereiding). Zie ook (Elloukmani, 2023, p. 12).",
        "Claes, J. (in voorbereiding). Buurtwerk in cijfers. SAAMO. "
        "Elloukmani, S. (2023). Diversiteit op de werkvloer. Nonprofit Management and "
        "Leadership. In voorbereiding. "
        "Jansen, P. (2020). Armoede in de stad. Acco. "
        "Peeters, A. (2019). Sociaal werk en beleid. In J. Claes (Red.), Handboek sociaal werk "
        "(pp. 882–884). Lannoo. "
        "Wouters, L. (in voorbereiding). Netwerken van organisaties. Alert.",
    ),
    "fr": (
        "La pauvreté exige une réponse (Jansen, 2020, p. 3–5).",
        "Le travail social prend position (Peeters, 2019, Chapitre 2). Les réseaux grandissent "
        "(Claes, à paraître; Wouters, à paraître). Voir aussi (Elloukmani, 2023, p. 12).",
        "Claes, J. (à paraître). Buurtwerk in cijfers. SAAMO. "
        "Elloukmani, S. (2023). Diversiteit op de werkvloer. Nonprofit Management and "
        "Leadership. À paraître. "
        "Jansen, P. (2020). Armoede in de stad. Acco. "
        "Peeters, A. (2019). Sociaal werk en beleid. In J. Claes (Éd.), Handboek sociaal werk "
        "(p. 882–884). Lannoo. "
        "Wouters, L. (à paraître). Netwerken van organisaties. Alert.",
    ),
    "de": (
        "Armut verlangt eine Antwort (Jansen, 2020, S. 3–5).",
        "Soziale Arbeit bezieht Stellung (Peeters, 2019, Kapitel 2). Netzwerke wachsen (Claes, "
        "im Erscheinen; Wouters, im Erscheinen). Siehe auch (Elloukmani, 2023, S. 12).",
        "Claes, J. (im Erscheinen). Buurtwerk in cijfers. SAAMO. "
        "Elloukmani, S. (2023). Diversiteit op de werkvloer. Nonprofit Management and "
        "Leadership. Im Erscheinen. "
        "Jansen, P. (2020). Armoede in de stad. Acco. "
        "Peeters, A. (2019). Sociaal werk en beleid. In J. Claes (Hrsg.), Handboek sociaal "
        "werk (S. 882–884). Lannoo. "
        "Wouters, L. (im Erscheinen). Netwerken van organisaties. Alert.",
    ),
    "en": (
        "Poverty asks for an answer (Jansen, 2020, pp. 3–5).",
        "Social work takes a stand (Peeters, 2019, Chapter 2). Networks grow (Claes, "
        "forthcoming; Wouters, forthcoming). See also (Elloukmani, 2023, p. 12).",
        "Claes, J. (forthcoming). Buurtwerk in cijfers. SAAMO. "
        "Elloukmani, S. (2023). Diversiteit op de werkvloer. Nonprofit Management and "
        "Leadership. Forthcoming. "
        "Jansen, P. (2020). Armoede in de stad. Acco. "
        "Peeters, A. (2019). Sociaal werk en beleid. In J. Claes (Ed.), Handboek sociaal werk "
        "(pp. 882–884). Lannoo. "
        "Wouters, L. (forthcoming). Netwerken van organisaties. Alert.",
    ),
}

#: Words that must not reach a position in another language: English terms and the foreign
#: labels the positions were written with.
FOREIGN = {
    "nl": ("forthcoming", "Forthcoming", "Chapter", "chap.", "hfst.", "S. 12"),
    "fr": ("forthcoming", "Forthcoming", "Chapter", "pp.", "hfst.", "blz."),
    "de": ("forthcoming", "Forthcoming", "Chapter", "chap.", "pp.", "blz.", "i. e."),
    "en": ("blz.", "Kap.", "Kapitel", "S. 12", "voorbereiding"),
}


def run(root: Path, *args: str):
    return CliRunner().invoke(main, ["-C", str(root), *args], catch_exceptions=False)


def write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with a position per language, built into PDFs once."""
    files = {"standpunt.yaml": CONFIG, "evidence/refs.yaml": EVIDENCE}
    files.update({f"positions/{lang}.yaml": text for lang, text in POSITIONS.items()})
    root = write(tmp_path_factory.mktemp("languages"), files)
    result = run(root, "build")
    assert result.exit_code == 0, result.output
    return root


@pytest.mark.parametrize("lang", list(POSITIONS))
def test_a_positions_citations_are_in_its_language(built: Path, lang: str) -> None:
    """The must-hold of docs/languages.md, read back from the PDF with pypdfium2: locators
    written in other languages printed in the style's form, en dashes, the status in the
    position's language, and no word of another language."""
    flat = flat_text(built / "build" / f"{lang}.pdf")
    summary, section, bibliography = EXPECTED[lang]
    assert summary in flat
    assert section in flat
    assert bibliography in flat
    for word in FOREIGN[lang]:
        assert word not in flat, word
    assert re.findall(r"\d[-\u2010\u2011]\d", flat) == []


#: Locators around which a label must be read, or left alone, in a Dutch APA position:
#: (what the position writes, the citation the page prints).
DUTCH_CASES = [
    ("[@jansen2020, zie ook p. 4]", "Jansen, 2020, zie ook p. 4"),
    ("[@jansen2020, in druk]", "Jansen, 2020, in druk"),
    ("[@peeters2019, hfst. twee]", "Peeters, 2019, hfst. twee"),
    ("[@jansen2020, blz.]", "Jansen, 2020, blz."),
    ("[@jansen2020, blz. iiii]", "Jansen, 2020, blz. iiii"),
    ("[@jansen2020, pp.7-9]", "Jansen, 2020, pp. 7–9"),
    ("[@jansen2020, blz. xiv-xvi]", "Jansen, 2020, pp. xiv–xvi"),
    ("[@jansen2020, pagina's 3-5]", "Jansen, 2020, pp. 3–5"),
    ("[@jansen2020, BLZ. 3]", "Jansen, 2020, p. 3"),
    ("[@jansen2020, blz. 3, met nadruk]", "Jansen, 2020, p. 3, met nadruk"),
    ("[@jansen2020, blz. 3 *sic*]", "Jansen, 2020, p. 3 sic"),
    (
        "[@jansen2020, blz. 3; @peeters2019, chap. 2]",
        "Jansen, 2020, p. 3; Peeters, 2019, Hoofdstuk 2",
    ),
    ("[zie @peeters2019, Kapitel 4 en verder]", "zie Peeters, 2019, Hoofdstuk 4 en verder"),
    ("[@jansen2020, 33]", "Jansen, 2020, p. 33"),
    ("[@jansen2020, vol. 2]", "Jansen, 2020, Volume 2"),
    ("[@jansen2020, Bd. 2]", "Jansen, 2020, Volume 2"),
    ("[@jansen2020, §§ 4-6]", "Jansen, 2020, Secties 4–6"),
]


def citations(page: str) -> list[str]:
    """The text of each citation on an HTML page, in order."""
    found = re.findall(r'<span id="cite-\d+" class="citation"[^>]*>(.*?)</span>', page, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", c)).split()).strip("()") for c in found]


def test_locator_labels_are_read_only_where_a_locator_starts(tmp_path: Path) -> None:
    asks = "".join(f"  - {json_string(case)}\n" for case, _ in DUTCH_CASES)
    asks += '  - "[@jansen2020, blz.\\n  3]"\n'  # a line break between label and number
    text = position("nl-BE", "Samenvatting.", "Tekst.") + f"recommendations:\n{asks}"
    root = write(tmp_path, {"standpunt.yaml": CONFIG, "evidence/refs.yaml": EVIDENCE})
    write(root, {"positions/stad.yaml": text})
    result = run(root, "build", "--format", "html")
    assert result.exit_code == 0, result.output
    page = (root / "build" / "stad.html").read_text(encoding="utf-8")
    assert citations(page) == [printed for _, printed in DUTCH_CASES] + ["Jansen, 2020, p. 3"]


def json_string(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


#: APA with a Dutch locale of its own that sets what Standpunt would otherwise supply.
OWN_LOCALE = """
  <locale xml:lang="nl">
    <terms>
      <term name="page-range-delimiter">-</term>
      <term name="forthcoming">te verschijnen</term>
      <term name="original-work-published">oorspronkelijk verschenen</term>
    </terms>
  </locale>
"""

REPRINT = """\
- id: lipsky1980
  type: book
  title: Street-level bureaucracy
  author:
    - family: Lipsky
      given: Michael
  issued: 2010
  original-date: 1980
  publisher: Russell Sage Foundation
"""


@pytest.mark.parametrize("own_locale", [False, True])
def test_a_styles_own_terms_win_over_ours(tmp_path: Path, own_locale: bool) -> None:
    """Our terms fill what the locale lacks ("original work published" is English in the
    Dutch locale); a term the style defines for the language is never replaced."""
    apa = (_styles_folder() / "apa.csl").read_text(encoding="utf-8")
    if own_locale:
        apa = apa.replace('<locale xml:lang="en">', OWN_LOCALE + '  <locale xml:lang="en">', 1)
    config = CONFIG.replace("style: apa", "style: styles/apa-nl.csl")
    body = "Zie [@jansen2020, blz. 3-5], [@wouters] en [@lipsky1980]."
    root = write(
        tmp_path,
        {
            "standpunt.yaml": config,
            "styles/apa-nl.csl": apa,
            "evidence/refs.yaml": EVIDENCE + REPRINT,
            "positions/stad.yaml": position("nl-BE", "Samenvatting.", body),
        },
    )
    result = run(root, "build", "--format", "html")
    assert result.exit_code == 0, result.output
    page = (root / "build" / "stad.html").read_text(encoding="utf-8")
    entry = re.search(r'<div id="ref-lipsky1980"[^>]*>(.*?)</div>', page, re.S)
    assert entry is not None
    lipsky = " ".join(re.sub(r"<[^>]+>", "", entry.group(1)).split())
    if own_locale:
        assert citations(page) == [
            "Jansen, 2020, pp. 3-5",
            "Wouters, te verschijnen",
            "Lipsky, 1980/2010",
        ]
        assert lipsky == (
            "Lipsky, M. (2010). Street-level bureaucracy. Russell Sage Foundation. "
            "(Oorspronkelijk verschenen 1980)"
        )
    else:
        assert citations(page) == [
            "Jansen, 2020, pp. 3–5",
            "Wouters, in voorbereiding",
            "Lipsky, 1980/2010",
        ]
        assert lipsky == (
            "Lipsky, M. (2010). Street-level bureaucracy. Russell Sage Foundation. "
            "(Oorspronkelijk werk gepubliceerd 1980)"
        )


def test_recognised_labels_stand_for_one_locator_each() -> None:
    written = [label for labels in LOCATOR_LABELS_BY_TERM.values() for label in labels]
    assert len(written) == len(set(written)) == len(LOCATOR_LABELS)
    assert all(label == label.lower() and " " not in label for label in written)


def test_the_docs_list_every_label_and_every_term_of_our_own() -> None:
    docs = (REPO / "docs" / "languages.md").read_text(encoding="utf-8")
    for term, labels in LOCATOR_LABELS_BY_TERM.items():
        row = f"| {term} | " + ", ".join(f"`{label}`" for label in labels) + " |"
        assert row in docs, row
    for lang, terms in OWN_TERMS.items():
        listed = docs.split(f"### {lang}\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
        rows = [line for line in listed.splitlines() if line.startswith("| ") and "---" not in line]
        expected = ["| term | form | text |"] + [
            f"| {name} | {form} | {text if isinstance(text, str) else ' / '.join(text)} |"
            for (name, form), text in terms.items()
        ]
        assert rows == expected, lang


def test_own_terms_fill_only_what_the_locale_lacks() -> None:
    """Missing, left in English, or there only through the fallback to another form."""
    english = {
        ("review-of", "long", False): "review of",
        ("report", "long", False): "report",
        ("composer", "verb", False): "composed by",
    }
    in_locale = {
        ("review-of", "long", False): "review of",  # English: ours
        ("report", "long", False): "verslag",  # translated: the locale's
        ("composer", "long", False): "componist",
        ("composer", "verb", False): "componist",  # the long form, by fallback: ours
        ("composer", "verb-short", False): "componist",
    }
    chosen = styles._own_terms("nl-BE", in_locale, english)
    assert chosen[("review-of", "long")] == "recensie van"
    assert ("report", "long") not in chosen
    assert chosen[("composer", "verb")] == "gecomponeerd door"
    assert chosen[("editor-translator", "verb")] == "bewerkt & vertaald door"  # missing
    assert styles._own_terms("es", in_locale, english) == {}


def test_a_style_is_prepared_once_per_language() -> None:
    apa = _styles_folder() / "apa.csl"
    first = styles.prepare_style(apa, "apa", "nl-BE")
    assert styles.prepare_style(apa, "apa", "nl-BE") is first
    assert styles.prepare_style(apa, "apa", "fr-BE") is not first
    assert first.locators["hfst."] == "hfdst."
    assert first.statuses["forthcoming"] == "in voorbereiding"


def test_the_dutch_demo_prints_its_page_ranges_with_an_en_dash(tmp_path: Path) -> None:
    """The repository's demo position, in Dutch: "pp. 102–124", not "102-124", and its
    forthcoming work "In voorbereiding", not "Forthcoming"."""
    from conftest import copy_demo

    root = copy_demo(tmp_path / "demo")
    result = run(root, "build", "--format", "html", "organisaties-kiezen-positie")
    assert result.exit_code == 0, result.output
    page = (root / "build" / "organisaties-kiezen-positie.html").read_text(encoding="utf-8")
    printed = citations(page)
    assert "Raeymaeckers & Cools, 2021, pp. 102–124" in printed
    assert "zie Raeymaeckers et al., 2022, pp. 125–137" in printed
    entry = re.search(r'<div id="ref-elloukmani2023"[^>]*>(.*?)</div>', page, re.S)
    assert entry is not None
    assert html.unescape(" ".join(re.sub(r"<[^>]+>", "", entry.group(1)).split())) == (
        "Elloukmani, S., Raeymaeckers, P., & Oosterlynck, S. (2023). Diversifying the workplace "
        "in nonprofit organizations: Perspectives and discourses on ethnic diversity. Nonprofit "
        "Management and Leadership. In voorbereiding."
    )
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert re.findall(r"\d-\d", text) == []


# --- check reads the style ---------------------------------------------------------------


def csl(body: str, head: str = "") -> bytes:
    """A style file: the XML declaration, ``head`` (a DOCTYPE), and a CSL style around ``body``."""
    style = '<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">'
    return f'<?xml version="1.0" encoding="utf-8"?>\n{head}{style}{body}</style>'.encode()


INFO = "<info><id>x</id><title>x</title></info>"
PARENT = '<link rel="independent-parent" href="http://www.zotero.org/styles/apa"/>'
FIX = "download the style again (e.g. from the Zotero style repository) or correct the file"

#: Style files ``check`` refuses, and what it says after "citation style 'house.csl'".
BROKEN_STYLES = [
    (b"not a style", "is not valid XML (syntax error at line 1, column 1)"),
    (b"\xff\xfe<style/>", "is not UTF-8 text; save it as UTF-8"),
    (b"<html><body>404</body></html>", "is not a CSL style: its outermost element is <html>"),
    (
        csl(
            INFO
            + "<citation><layout>"
            + "<group>" * 5000
            + "</group>" * 5000
            + "</layout></citation>"
        ),
        "nests elements more than 100 levels deep; no CSL style does",
    ),
    (
        csl("", head='<!DOCTYPE style [<!ENTITY a "aaaa">]>'),
        "declares a DOCTYPE or entities, which a CSL style never does; remove them",
    ),
    (
        csl(f"<info><id>x</id><title>x</title>{PARENT}</info>"),
        "is a dependent style: it only names its parent style, which pandoc would fetch over the "
        "network; write the parent's name as the style instead (apa)",
    ),
    (
        csl(INFO + "<bibliography><layout/></bibliography>"),
        f"cannot be read by pandoc: No citation element present; {FIX}",
    ),
    (
        csl(INFO + "<citation><layout><txt/></layout></citation>"),
        f'cannot be read by pandoc: unknown element "txt"; {FIX}',
    ),
    (
        csl(
            INFO + '<locale xml:lang="nl"><terms><term>x</term></terms></locale>'
            '<citation><layout><text variable="title"/></layout></citation>'
        ),
        f"cannot be read by pandoc: Text node has no name attribute; {FIX}",
    ),
]


@pytest.mark.parametrize(("content", "problem"), BROKEN_STYLES)
def test_check_reports_a_style_file_pandoc_cannot_read(
    make_workspace, content: bytes, problem: str
) -> None:
    root = make_workspace()
    config = (root / "standpunt.yaml").read_text().replace("style: apa", "style: house.csl")
    (root / "standpunt.yaml").write_text(config)
    (root / "house.csl").write_bytes(content)
    result = run(root, "check")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"standpunt.yaml:5:8: error: citation style 'house.csl' {problem} [bad-style]"
    )
    assert "Traceback" not in result.output


def test_check_reports_an_unknown_style_name_and_a_missing_file(make_workspace) -> None:
    root = make_workspace()
    config = (root / "standpunt.yaml").read_text()
    (root / "standpunt.yaml").write_text(config.replace("style: apa", "style: apa7"))
    result = run(root, "check")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "standpunt.yaml:5:8: error: unknown citation style 'apa7' (did you mean 'apa'?); use a "
        "style name from the CSL repository (e.g. apa, harvard-cite-them-right, "
        "chicago-notes-bibliography) or a path to a .csl file [unknown-style]"
    )
    (root / "styles").mkdir()
    (root / "styles" / "house.csl").write_bytes((_styles_folder() / "apa.csl").read_bytes())
    (root / "standpunt.yaml").write_text(config.replace("style: apa", "style: styles/huose.csl"))
    result = run(root, "check")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "standpunt.yaml:5:8: error: style file 'styles/huose.csl' was not found inside the "
        "workspace (did you mean 'styles/house.csl'?) [unknown-style]"
    )
    (root / "standpunt.yaml").write_text(config.replace("style: apa", "style: styles/house.csl"))
    result = run(root, "check")
    assert result.exit_code == 0, result.output


def test_pandoc_reads_a_style_once_per_content(make_workspace, monkeypatch) -> None:
    runs: list[list[str]] = []
    real = styles.run_pandoc

    def counted(args: list[str], stdin: str) -> str:
        runs.append(args)
        return real(args, stdin)

    monkeypatch.setattr(styles, "run_pandoc", counted)
    root = make_workspace()
    config = (root / "standpunt.yaml").read_text().replace("style: apa", "style: mine.csl")
    (root / "standpunt.yaml").write_text(config)
    house = (_styles_folder() / "apa.csl").read_text(encoding="utf-8")
    (root / "mine.csl").write_text(house.replace("<title>", "<title>Mine: ", 1), encoding="utf-8")
    assert run(root, "check").exit_code == 0
    assert run(root, "check").exit_code == 0
    assert len(runs) == 1
    (root / "mine.csl").write_text(house.replace("<title>", "<title>Ours: ", 1), encoding="utf-8")
    assert run(root, "check").exit_code == 0
    assert len(runs) == 2
