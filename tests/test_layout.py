"""The page a policymaker reads: page 1 that does the work, a readable measure, floats and notes
that stay whole and on their page, honest status and version, and the details of the design.

Every test reads the built PDF back: text and places with pypdfium2, links and metadata with
pypdf, pixels from pages rendered with pypdfium2.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import statistics
import subprocess
from pathlib import Path
from typing import ClassVar

import pypdf
import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner

from conftest import REPO, copy_demo, link_targets
from standpunt.cli import main
from test_design import LONG_EVIDENCE
from test_design import long_position as design_long_position

#: A4 in PDF points, and this design's body area (page margins 24 mm above, 22 mm below).
PAGE_HEIGHT = 841.89
BODY_TOP = PAGE_HEIGHT - 24 / 25.4 * 72
BODY_BOTTOM = 22 / 25.4 * 72
HYPHENS = "-\u2010\u00ad\x02"


def build(root: Path, *args: str) -> None:
    result = CliRunner().invoke(main, ["-C", str(root), "build", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def pages_text(pdf: Path) -> list[str]:
    document = pdfium.PdfDocument(str(pdf))
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def flat(text: str) -> str:
    """Text on one line, words hyphenated at a line's end joined again."""
    return " ".join(re.sub(f"[{HYPHENS}]\r?\n", "", text).split())


def body_lines(pdf: Path, first: int = 1) -> list[list[str]]:
    """Each page's lines inside the body area (no running head or foot), from page ``first``
    (0-based) on."""
    document = pdfium.PdfDocument(str(pdf))
    try:
        lines = []
        for index in range(first, len(document)):
            page = document[index]
            width = page.get_width()
            text = page.get_textpage().get_text_bounded(0, BODY_BOTTOM + 2, width, BODY_TOP - 2)
            lines.append([line for line in text.replace("\r\n", "\n").split("\n") if line.strip()])
        return lines
    finally:
        document.close()


def hyphenated(line: str) -> bool:
    return bool(re.search(rf"\w[{HYPHENS}]$", line))


# --------------------------------------------------------------------------- workspaces

LONG_FILLER = {
    "en": "Social work stays close to people and sees where rights come under pressure; "
    "organisations give those signals a voice in policy and in public debate. ",
    "nl": "Sociaal werk staat dicht bij mensen en ziet waar rechten onder druk staan; "
    "organisaties geven die signalen een stem in het beleid en in het publieke debat. ",
    "fr": "Le travail social reste proche des personnes et voit où les droits sont mis sous "
    "pression ; les organisations donnent à ces signaux une voix dans la politique. ",
    "de": "Soziale Arbeit steht nah bei den Menschen und sieht, wo Rechte unter Druck geraten; "
    "Organisationen geben diesen Signalen eine Stimme in der Politik und Öffentlichkeit. ",
}


def long_position(
    lang: str,
    sections: int,
    paragraphs: int,
    *,
    title: str = "A long position",
    status: str = "draft",
    extra: str = "",
    quotes: bool = True,
) -> str:
    """A position of ``sections`` sections of ``paragraphs`` paragraphs, each section with a
    pull quote and every fourth paragraph with a citation with its own locator."""
    lines = [f"title: {title}", f"lang: {lang}", f"status: {status}", "date: 2026-03-12"]
    lines += [extra] if extra else []
    lines += ["summary: |", f"  {LONG_FILLER[lang]}", "recommendations:"]
    lines += [f"  - '{n}. {LONG_FILLER[lang][:60]}'" for n in range(1, 4)]
    lines.append("sections:")
    cite = 0
    for section in range(1, sections + 1):
        lines.append(f"  - title: Section {section}")
        if quotes:
            lines.append("    quote: >-")
            lines.append(
                f"      Quote {section}: a pull quote that must never be split over pages."
            )
        lines.append("    body: |")
        for paragraph in range(paragraphs):
            text = LONG_FILLER[lang] * 3
            if paragraph % 4 == 0:
                cite += 1
                text += f"As shown [@work{cite % 20 + 1:02d}, p. {1000 + cite}]. "
            lines += [f"      {text}", ""]
    return "\n".join(lines) + "\n"


def note_workspace(root: Path) -> Path:
    """The demo (its three positions included) with a note style, a 40-page note-style position
    and three short ones in Dutch, French and German."""
    copy_demo(root)
    config = root / "standpunt.yaml"
    # A 50-page note-style position renders in about a minute alone; on a shared machine
    # running other tests, it may take longer than the default two minutes.
    config.write_text(
        config.read_text().replace("style: apa", "style: chicago-notes-bibliography")
        + "limits:\n  seconds: 900\n"
    )
    (root / "evidence/long.yaml").write_text(LONG_EVIDENCE)
    # test_design's 40-page position, and one with the citations spread over every section
    (root / "positions/long.yaml").write_text(design_long_position(60, 34))
    for lang in ("nl", "fr", "de"):
        (root / f"positions/short-{lang}.yaml").write_text(long_position(lang, 3, 3))
    return root


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_demo(tmp_path_factory.mktemp("layout") / "demo")
    build(root)
    return root


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = note_workspace(tmp_path_factory.mktemp("layout") / "notes")
    result = CliRunner().invoke(main, ["-C", str(root), "build"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # No note left its call's page (the build would say so, as a warning at the position).
    assert "[note-moved]" not in result.output, result.output
    return root


# --------------------------------------------------------------------------- page 1


def test_page_one_of_the_dutch_demo_holds_title_key_message_and_every_ask(demo: Path) -> None:
    first = flat(pages_text(demo / "build/organisaties-kiezen-positie.pdf")[0])
    assert "Sterk sociaal werk vraagt sterke organisaties" in first
    assert (
        "Het debat over sterk sociaal werk draait vandaag bijna volledig rond de "
        "individuele sociaal werker." in first
    )
    assert "Onze vragen" in first
    asks = [
        "Erken sociaalwerkorganisaties als kritische partners.",
        "Financier op missie, niet alleen op output.",
        "Garandeer een toegankelijke eerste lijn.",
        "Kies voor meerjarige werkingsmiddelen.",
        "Ondersteun diversiteit in het middenveld.",
        "Geef coalities een vaste plaats.",
    ]
    for ask in asks:
        assert ask in first
    # The last ask ends on page 1 too, and a named contact is there.
    assert "samenwerkingsverbanden zoals APSMO en Decenniumdoelen" in first
    assert "CONTACT info@saamo.be" in first


def test_a_long_position_opens_with_a_cover_that_never_overlaps(tmp_path: Path) -> None:
    root = copy_demo(tmp_path / "ws")
    (root / "evidence/long.yaml").write_text(LONG_EVIDENCE)
    authors = "\n".join(
        f"  - name: Marie-Christine Van den Bossche {n}\n"
        f"    affiliation: Fédération des services sociaux {n}\n"
        f"    email: auteur{n}@example.org"
        for n in range(1, 8)
    )
    title = (
        "\"L'organisation sociale face à l'État : pourquoi les associations d'aide doivent "
        "prendre position publiquement, ensemble et sans attendre, aujourd'hui\""
    )
    subtitle = "Un sous-titre long " * 8
    (root / "positions/long.yaml").write_text(
        long_position("fr", 8, 12, title=title, extra=f"subtitle: {subtitle}\nauthors:\n{authors}")
    )
    build(root, "long")
    pdf = root / "build/long.pdf"
    document = pdfium.PdfDocument(str(pdf))
    try:
        cover = document[0].get_textpage()
        text = " ".join(cover.get_text_range().split())
        # A report: the cover holds the title and its facts, the summary comes after it.
        assert "L’organisation sociale face à l’État" in text and "'" not in text
        assert "Résumé" not in text
        assert "auteur7@example.org" in text

        def box(word: str, last: bool = False) -> tuple[float, float, float, float]:
            searcher = cover.search(word)
            found, hit = None, searcher.get_next()
            while hit is not None:
                found = hit
                hit = searcher.get_next() if last else None
            assert found is not None, word
            return cover.get_charbox(found[0])

        # Nothing overlaps: title above subtitle above the facts, the last author on the page.
        title, subtitle = box("L’organisation"), box("sous-titre long", last=True)
        facts, author = box("AUTEURS"), box("auteur7@example.org")
        assert title[1] > subtitle[3] - 1 and subtitle[1] > facts[3] and author[1] > 0
    finally:
        document.close()
    # The running head holds the title on one line, cut short with an ellipsis.
    second = pages_text(pdf)[2].replace("\r\n", "\n").split("\n")
    heads = [line for line in second if line.startswith("L’organisation")]
    assert len(heads) == 1 and re.match(r"L’organisation[^…]{40,72}…", heads[0]), heads


# --------------------------------------------------------------------------- type


@pytest.mark.parametrize("name", ["organisaties-kiezen-positie", "coalitions-for-social-policy"])
def test_measure_and_hyphenation_of_the_demo(demo: Path, name: str) -> None:
    check_measure(demo / f"build/{name}.pdf")


@pytest.mark.parametrize("name", ["long", "short-nl", "short-fr", "short-de"])
def test_measure_and_hyphenation_of_note_style_positions(notes: Path, name: str) -> None:
    check_measure(notes / f"build/{name}.pdf")


def check_measure(pdf: Path) -> None:
    lines = [line for page in body_lines(pdf) for line in page]
    median = statistics.median(len(line) for line in lines)
    assert 55 <= median <= 80, median
    run = longest = 0
    for line in lines:
        run = run + 1 if hyphenated(line) else 0
        longest = max(longest, run)
    assert longest <= 2


def test_no_author_name_is_hyphenated(demo: Path, notes: Path) -> None:
    families = set()
    for evidence in (REPO / "evidence").glob("*.yaml"):
        families.update(re.findall(r"family: ([^\n]+)", evidence.read_text(encoding="utf-8")))
    assert len(families) >= 5
    pdfs = [*demo.glob("build/*.pdf"), *notes.glob("build/*.pdf")]
    for pdf in pdfs:
        for page in body_lines(pdf, first=0):
            for line, following in itertools.pairwise(page):
                if hyphenated(line) and following.split():
                    start, rest = re.split(r"\W+", line[:-1])[-1], following.split()[0]
                    # a citation: the name is followed by its year within a few words
                    # ("kers et al., 2022"); a name in the authors' own sentence is not one
                    cited = re.match(r"\S*(?:\s+\S+){0,4}?\s*\(?(?:1[89]|20)\d\d", following)
                    for name in families:
                        family = name.split()[-1]
                        split = start and family.startswith(start) and len(start) < len(family)
                        broken = split and rest.startswith(family[len(start) :])
                        assert not (broken and cited), (pdf, name)


# --------------------------------------------------------------------------- floats and notes


NOTE_COUNTS = {
    "long": 60,
    "short-nl": 3,
    "short-fr": 3,
    "short-de": 3,
    "organisaties-kiezen-positie": 14,
    "coalitions-for-social-policy": 7,
    "diversite-dans-le-travail-social": 3,
}


@pytest.mark.parametrize("name", sorted(NOTE_COUNTS))
def test_notes_stay_on_the_page_of_their_call(notes: Path, name: str) -> None:
    """Every note on its call's page, in the demo in a note style (where WeasyPrint on its own
    sends the coalitions position's note 5 to the next page) and the 40-page position."""
    reader = pypdf.PdfReader(notes / f"build/{name}.pdf")
    assert len(reader.pages) >= (38 if name == "long" else 2)
    destinations = reader.named_destinations
    numbers = [int(name[3:]) for name in destinations if re.fullmatch(r"fn-[0-9]+", name)]
    assert sorted(numbers) == list(range(1, NOTE_COUNTS[name] + 1))
    for number in numbers:
        note = reader.get_destination_page_number(destinations[f"fn-{number}"])
        call = reader.get_destination_page_number(destinations[f"fnc-{number}"])
        assert note == call, number


@pytest.mark.parametrize("name", ["short-nl", "short-fr", "short-de"])
def test_pull_quotes_are_never_split(notes: Path, name: str) -> None:
    pages = [flat(text) for text in pages_text(notes / f"build/{name}.pdf")]
    for section in range(1, 4):
        quote = f"Quote {section}: a pull quote that must never be split over pages."
        assert sum(quote in page for page in pages) == 1, quote


def test_pull_quotes_of_the_demo_are_never_split(demo: Path) -> None:
    for name in ("organisaties-kiezen-positie", "coalitions-for-social-policy"):
        source = (demo / f"positions/{name}.yaml").read_text(encoding="utf-8")
        quotes = re.findall(r"quote: >-\n((?:\s{6}.+\n)+)", source)
        assert quotes
        pages = [flat(text) for text in pages_text(demo / f"build/{name}.pdf")]
        for quote in quotes:
            words = " ".join(quote.split()).replace("'", "’")
            assert sum(words in page for page in pages) == 1, words


def test_the_footnote_area_is_white_around_its_rule(notes: Path) -> None:
    document = pdfium.PdfDocument(str(notes / "build/long.pdf"))
    try:
        image = document[3].render(scale=2).to_pil().convert("RGB")
    finally:
        document.close()
    width, height = image.size
    left = round(38 / 25.4 * 72 * 2)
    rule = round(35 / 25.4 * 72 * 2)
    pixels = image.load()
    found = None
    for y in range(height // 2, height):
        row = [pixels[x, y] for x in range(left + 2, left + rule - 2)]
        if all(abs(r - 201) < 30 and abs(b - 214) < 30 and r < 250 for r, _, b in row):
            found = y
            break
    assert found is not None, "no footnote rule"
    # Right of the rule, and in the space between the rule and the first note: white only.
    for x in range(left + rule + 2, width - left):
        assert pixels[x, found] == (255, 255, 255)
    for y in range(found + 2, found + 6):
        for x in range(left, width - left):
            assert pixels[x, y] == (255, 255, 255), (x, y)


#: Words of growing length before each citation, so that over 40 paragraphs the citation's last
#: part (a note's call, "2005)") falls at every place of a line, its end included.
CALL_WORDS = [
    "social",
    "work",
    "stays",
    "close",
    "to",
    "people",
    "and",
    "sees",
    "where",
    "rights",
    "come",
    "under",
    "pressure",
]


def call_workspace(root: Path, style: str) -> Path:
    """40 paragraphs, each ending in a citation after a word of 1 to 7 letters."""
    copy_demo(root)
    for path in (root / "positions").glob("*.yaml"):
        path.unlink()
    shutil.rmtree(root / "signatures")
    config = root / "standpunt.yaml"
    config.write_text(config.read_text().replace("style: apa", f"style: {style}"))
    (root / "evidence/long.yaml").write_text(LONG_EVIDENCE)
    lines = ["title: Calls", "lang: en", "sections:", "  - title: One", "    body: |"]
    for n in range(40):
        words = [*CALL_WORDS[: 8 + n % 6], "m" * (n // 6 + 1), *CALL_WORDS[:3], "x" * (1 + n % 7)]
        lines += [f"      {' '.join(words)} [@work{n % 20 + 1:02d}]. Then more.", ""]
    (root / "positions/calls.yaml").write_text("\n".join(lines) + "\n")
    build(root)
    return root / "build/calls.pdf"


def text_lines(pdf: Path) -> list[str]:
    return [line for page in pages_text(pdf) for line in page.replace("\r\n", "\n").split("\n")]


def test_a_note_call_never_starts_a_line(tmp_path: Path) -> None:
    """Without the word joiner before each call, the call of note 25 starts a line here."""
    lines = text_lines(call_workspace(tmp_path / "ws", "chicago-notes-bibliography"))
    # Each call is on the line of the word it follows ("xxxx.25"), all 40 of them.
    calls = [int(number) for line in lines for number in re.findall(r"x\.([0-9]+)", line)]
    assert calls == list(range(1, 41))
    assert not [line for line in lines if re.match(r"[0-9]+ Then more", line)]


def test_a_citation_s_closing_part_never_starts_a_line(tmp_path: Path) -> None:
    """Without the glued last space, "(AuthorB, 2001)" breaks before "2001)" here."""
    lines = text_lines(call_workspace(tmp_path / "ws", "apa"))
    cited = [line for line in lines if re.search(r"x \(Author|^\(Author", line)]
    assert len(cited) == 40
    # Each citation's name and year are on one line: "(AuthorB, 2001). Then more."
    whole = [re.search(r"\(Author[A-Z], (?:19|20)[0-9]{2}\)\. Then more\.", line) for line in cited]
    assert all(whole), cited
    assert not [line for line in lines if re.match(r"(?:19|20)[0-9]{2}\)", line)]


def test_notes_off_their_page_are_found(notes: Path) -> None:
    """The check the render workers run: none in the 40-page position, and one found when a
    note's anchor is on another page than its call's."""
    from standpunt.render.pdf import notes_off_their_page

    class Page:
        def __init__(self, anchors: set[str]) -> None:
            self.anchors = anchors

    class Document:
        pages: ClassVar = [Page({"fnc-1", "fn-1", "fnc-2"}), Page({"fn-2"})]

    expected = {"fn-1": "footnote 1", "fn-2": "footnote 2"}
    assert notes_off_their_page(Document(), expected) == [("fn-2", 1, 2)]  # type: ignore[arg-type]


# --------------------------------------------------------------------------- status and version


def test_a_draft_shows_its_status_on_every_page(notes: Path) -> None:
    for name, mark in (
        ("long", "DRAFT"),
        ("short-nl", "ONTWERP"),
        ("short-fr", "PROJET"),
        ("short-de", "ENTWURF"),
    ):
        pages = pages_text(notes / f"build/{name}.pdf")
        assert all(mark in page for page in pages), name


def test_a_consultation_shows_its_deadline_and_address_on_page_one(demo: Path) -> None:
    pages = pages_text(demo / "build/coalitions-for-social-policy.pdf")
    assert "Please respond by June 30, 2027 Send responses to standpunt@saamo.be" in flat(pages[0])
    assert all("CONSULTATION DRAFT" in page for page in pages)
    links = link_targets(demo / "build/coalitions-for-social-policy.pdf")
    assert "mailto:standpunt@saamo.be" in links and "mailto:info@saamo.be" in links


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "A",
        "GIT_AUTHOR_EMAIL": "a@example.org",
        "GIT_COMMITTER_NAME": "C",
        "GIT_COMMITTER_EMAIL": "c@example.org",
        "GIT_CEILING_DIRECTORIES": str(cwd.parent),
    }
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, check=True)
    return result.stdout.decode().strip()


def test_an_adopted_position_shows_label_and_date_and_no_commit(tmp_path: Path) -> None:
    root = copy_demo(tmp_path / "ws")
    git(root, "-c", "init.defaultBranch=main", "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "Demo")
    build(root, "organisaties-kiezen-positie")
    pdf = root / "build/organisaties-kiezen-positie.pdf"
    short, full = git(root, "log", "-1", "--format=%h"), git(root, "log", "-1", "--format=%H")
    text = flat("\n".join(pages_text(pdf)))
    assert short not in text and full not in text
    assert "gewijzigd" not in text and "versiebeheer" not in text
    assert "Versie 1.0 — 12 maart 2026" in text
    # The commit is in the metadata.
    assert pypdf.PdfReader(pdf).metadata["/standpuntversion"].startswith(f"versie 1.0 ({short})")


def test_the_colophon_names_the_responsible_publisher_in_each_language(
    demo: Path, notes: Path
) -> None:
    publisher = "Lotte Verhaegen, Voorbeeldstraat 1, 2000 Antwerpen"
    for pdf, label in (
        (demo / "build/organisaties-kiezen-positie.pdf", "Verantwoordelijke uitgever"),
        (demo / "build/diversite-dans-le-travail-social.pdf", "Éditeur responsable"),
        (demo / "build/coalitions-for-social-policy.pdf", "Responsible publisher"),
        (notes / "build/short-de.pdf", "Verantwortlich im Sinne des Presserechts"),
    ):
        assert f"{label} {publisher}" in flat(pages_text(pdf)[-1])


# --------------------------------------------------------------------------- details


def test_the_details(demo: Path) -> None:
    pdf = demo / "build/organisaties-kiezen-positie.pdf"
    info = pypdf.PdfReader(pdf).metadata
    assert "/viewport" not in info
    pages = pages_text(pdf)
    back = flat(pages[-1])
    # Colophon labels capitalised alike; the version once, as a label and one date.
    assert "Uitgegeven door SAAMO Antwerpen" in back
    assert "Versie 1.0 — 12 maart 2026 Licentie CC BY 4.0" in back
    assert " versie " not in back and "Mee ondertekend" not in flat("\n".join(pages))
    # The co-signers: who signed, their role and date; not the publisher itself.
    everything = flat("\n".join(pages))
    assert (
        "Medeondertekend door Sociaal Werk Actie Netwerk Jonas Peeters, coördinator "
        "28 november 2026" in everything
    )
    signers = everything[everything.index("Medeondertekend door Sociaal Werk") :]
    assert "SAAMO Antwerpen" not in signers.split("Uitgegeven door")[0]
    # No forced page break before the bibliography: it follows the last section's page.
    starts = [n for n, page in enumerate(pages) if "\nBronnen\r\n" in page or "\nBronnen\n" in page]
    assert starts and "Samen wegen we zwaarder" in flat(pages[starts[0]] + pages[starts[0] - 1])


def test_urls_break_only_at_sensible_points(tmp_path: Path) -> None:
    root = copy_demo(tmp_path / "ws")
    url = (
        "https://www.example.org/publications/2024/policy-briefs/social-work-and-coalitions/"
        "the-long-report-about-organisations-taking-a-stand.pdf?download=true&format=a4"
    )
    evidence = root / "evidence/long-url.yaml"
    evidence.write_text(
        f"- id: longurl\n  type: report\n  title: A report\n  author:\n    - family: Claes\n"
        f"      given: Jan\n  issued: 2024\n  URL: {url}\n"
    )
    position = root / "positions/organisaties-kiezen-positie.yaml"
    position.write_text(position.read_text().replace("[@claessens2018]", "[@longurl]", 1))
    build(root, "organisaties-kiezen-positie")
    pdf = root / "build/organisaties-kiezen-positie.pdf"
    lines = [
        line.replace("\u200b", "").replace("\ufffe", "-").rstrip()
        for page in pages_text(pdf)
        for line in page.replace("\r\n", "\n").split("\n")
    ]
    first = next(n for n, line in enumerate(lines) if "https://www.example.org" in line)
    last = next(n for n, line in enumerate(lines) if "format=a4" in line)
    parts = [lines[first][lines[first].index("https://") :], *lines[first + 1 : last + 1]]
    assert len(parts) >= 2  # the address takes more than one line
    assert "".join(parts).startswith(url)
    for part, following in itertools.pairwise(parts):
        # Each line ends after a slash or a hyphen, or the next begins with a dot, ?, #, &, =,
        # _ or -: never inside a word of the address.
        assert part.endswith(("/", "-")) or following[:1] in ".?#&=_-", (part, following)
    assert url in link_targets(pdf)
