"""The PDF/UA-1 rules Standpunt asserts on the structure tree, since no validator is at hand.

Read back with pypdf (the tree, the content streams) and pypdfium2 (the text and place of each
marked piece of content): running heads and footers are artifacts, every piece of content is
either in the tree or an artifact, every figure has alternative text (a logo its owner's name),
a decorative image is an artifact, footnotes are ``/Note`` with an ``/ID`` and their calls
``/Reference`` to them, and the tree reads in the order the page shows.
"""

from __future__ import annotations

import ctypes
import itertools
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from click.testing import CliRunner
from pypdf.generic import ArrayObject, ContentStream, DictionaryObject

from conftest import copy_demo
from standpunt.cli import main

DEMO = {
    "nl": "organisaties-kiezen-positie",
    "fr": "diversite-dans-le-travail-social",
    "en": "coalitions-for-social-policy",
    "de": "starke-organisationen",
}
#: The page label of each language, as the running footer prints it.
PAGE_OF = {"nl": "pagina {} van {}", "fr": "page {} sur {}", "en": "page {} of {}"}


@dataclass
class Element:
    """One structure element, as read back."""

    tag: str
    page: int | None
    obj: DictionaryObject
    kids: list[Element] = field(default_factory=list)
    #: (page, MCID) of the content it holds directly.
    content: list[tuple[int, int]] = field(default_factory=list)

    def walk(self):
        yield self
        for kid in self.kids:
            yield from kid.walk()

    def mcids(self):
        """(page, MCID) of all content below, in tree order."""
        for element in self.walk():
            yield from element.content


@dataclass
class Piece:
    """A piece of a page's content: its MCID (None: an artifact), text and box."""

    mcid: int | None
    text: str
    left: float
    top: float
    right: float
    bottom: float


def structure(path: Path) -> Element:
    """The structure tree's /Document element."""
    reader = pypdf.PdfReader(path)
    pages = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)}
    root = reader.trailer["/Root"]["/StructTreeRoot"]

    def read(obj: DictionaryObject, page: int | None) -> Element:
        if "/Pg" in obj:
            page = pages[obj.raw_get("/Pg").idnum]
        element = Element(str(obj["/S"]), page, obj)
        kids = obj.get("/K", ArrayObject())
        for kid in kids if isinstance(kids, ArrayObject) else [kids]:
            kid = kid.get_object()
            if isinstance(kid, DictionaryObject) and kid.get("/Type") == "/OBJR":
                continue
            if isinstance(kid, DictionaryObject):
                element.kids.append(read(kid, page))
            else:
                assert page is not None
                element.content.append((page, int(kid)))
        return element

    (document,) = root["/K"] if isinstance(root["/K"], ArrayObject) else [root["/K"]]
    return read(document.get_object(), None)


def pieces(path: Path) -> list[list[Piece]]:
    """Each page's text pieces (forms opened), as pdfium reads them."""
    document = pdfium.PdfDocument(str(path))
    found: list[list[Piece]] = []
    for page in document:
        textpage = page.get_textpage()
        height = page.get_height()
        here: list[Piece] = []

        def visit(obj, page_height=height, textpage=textpage, here=here):
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                for n in range(pdfium_c.FPDFFormObj_CountObjects(obj)):
                    visit(pdfium_c.FPDFFormObj_GetObject(obj, n))
                return
            if kind != pdfium_c.FPDF_PAGEOBJ_TEXT:
                return
            size = pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, None, 0)
            buffer = ctypes.create_string_buffer(size)
            pointer = ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ushort))
            pdfium_c.FPDFTextObj_GetText(obj, textpage.raw, pointer, size)
            text = buffer.raw[: size - 2].decode("utf-16-le")
            left, bottom, right, top = (ctypes.c_float() for _ in range(4))
            pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
            mcid = pdfium_c.FPDFPageObj_GetMarkedContentID(obj)
            here.append(
                Piece(
                    None if mcid < 0 else mcid,
                    text,
                    left.value,
                    page_height - top.value,
                    right.value,
                    page_height - bottom.value,
                )
            )

        for n in range(pdfium_c.FPDFPage_CountObjects(page.raw)):
            visit(pdfium_c.FPDFPage_GetObject(page.raw, n))
        found.append(here)
    return found


PAINTING = {b"Tj", b"TJ", b"'", b'"', b"Do", b"f", b"F", b"f*", b"S", b"s", b"B", b"B*", b"b"}
PAINTING |= {b"b*", b"sh"}


def unmarked_painting(path: Path) -> list[tuple[int, str]]:
    """(page, operator) of what is painted outside any marked content: neither tagged nor
    artifact, which PDF/UA forbids. Form XObjects are read where a page draws them."""
    reader = pypdf.PdfReader(path)
    found = []

    def scan(stream, resources, page: int, depth: int) -> None:
        for operands, operator in ContentStream(stream, reader).operations:
            if operator in (b"BDC", b"BMC"):
                depth += 1
            elif operator == b"EMC":
                depth -= 1
            elif operator in PAINTING and depth == 0:
                found.append((page, operator.decode()))
            if operator == b"Do":
                xobject = resources["/XObject"][operands[0]].get_object()
                if xobject["/Subtype"] == "/Form":
                    scan(xobject, xobject.get("/Resources", resources), page, depth)

    for number, page in enumerate(reader.pages):
        scan(page.get_contents(), page["/Resources"], number, 0)
    return found


def built(root: Path) -> Path:
    result = CliRunner().invoke(main, ["-C", str(root), "build"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "build"


def demo_with_german(target: Path) -> Path:
    """The demo, with a German position beside the Dutch, French and English ones."""
    root = copy_demo(target)
    english = (root / "positions" / f"{DEMO['en']}.yaml").read_text()
    german = english.replace("lang: en\n", "lang: de-DE\n").replace(
        "title: Stronger together", "title: Gemeinsam stärker"
    )
    (root / "positions" / f"{DEMO['de']}.yaml").write_text(german)
    return root


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return built(demo_with_german(tmp_path_factory.mktemp("demo") / "ws"))


@pytest.fixture(scope="module")
def notes_demo(tmp_path_factory) -> Path:
    """The demo in a note style: every citation a footnote."""
    root = demo_with_german(tmp_path_factory.mktemp("notes") / "ws")
    config = root / "standpunt.yaml"
    config.write_text(config.read_text().replace("style: apa", "style: chicago-notes-bibliography"))
    return built(root)


ALL = [(language, False) for language in DEMO] + [(language, True) for language in DEMO]


def pdf_of(demo: Path, notes_demo: Path, language: str, notes: bool) -> Path:
    return (notes_demo if notes else demo) / f"{DEMO[language]}.pdf"


@pytest.mark.parametrize(("language", "notes"), ALL)
def test_every_piece_of_content_is_tagged_or_an_artifact(demo, notes_demo, language, notes):
    path = pdf_of(demo, notes_demo, language, notes)
    assert unmarked_painting(path) == []
    in_tree = set(structure(path).mcids())
    on_pages = {
        (number, piece.mcid)
        for number, page in enumerate(pieces(path))
        for piece in page
        if piece.mcid is not None
    }
    # No marked content whose element hangs outside the tree (WeasyPrint's running heads did).
    assert on_pages - in_tree == set()


@pytest.mark.parametrize(("language", "notes"), ALL)
def test_running_heads_and_footers_are_artifacts(demo, notes_demo, language, notes):
    path = pdf_of(demo, notes_demo, language, notes)
    pages = pieces(path)
    title = str(structure(path).obj.get("/T", "")) or pypdf.PdfReader(path).metadata.title
    page_of = PAGE_OF.get(language, "Seite {} von {}")
    for number, page in enumerate(pages[1:], start=2):
        artifacts = " ".join(piece.text for piece in page if piece.mcid is None)
        tagged = [piece.text for piece in page if piece.mcid is not None]
        label = page_of.format(number, len(pages))
        assert label in artifacts
        assert title in artifacts
        assert "SAAMO" in artifacts
        assert label not in " ".join(tagged)
        # The running title is an artifact, never a tagged line of its own.
        assert title not in tagged


#: The logos of the co-signers' page: the publisher and each partner that signed.
# The co-signers' logos (the publisher is not among its own co-signers).
SIGNED = {
    "nl": ["Sociaal Werk Actie Netwerk", "APSMO"],
    "fr": [],
    "en": ["Sociaal Werk Actie Netwerk"],
    "de": [],  # the German copy has no signatures of its own
}


@pytest.mark.parametrize(("language", "notes"), ALL)
def test_every_figure_has_alternative_text_and_logos_their_owners_name(
    demo, notes_demo, language, notes
):
    path = pdf_of(demo, notes_demo, language, notes)
    alts = [
        str(element.obj.get("/Alt", ""))
        for element in structure(path).walk()
        if element.tag == "/Figure"
    ]
    # The cover's logo, then the co-signers' page: the publisher and each partner that signed.
    assert alts == ["SAAMO Antwerpen", *SIGNED[language]]


def notes_of(path: Path) -> tuple[list[Element], list[Element]]:
    document = structure(path)
    notes = [element for element in document.walk() if element.tag == "/Note"]
    references = [element for element in document.walk() if element.tag == "/Reference"]
    return notes, references


def assert_notes_linked(path: Path) -> int:
    """Every footnote a /Note with /ID fn-1…fn-n and its number as /Lbl; every call a
    /Reference holding that number whose /Ref is that note. Returns how many notes."""
    notes, references = notes_of(path)
    count = len(notes)
    assert [str(note.obj["/ID"]) for note in notes] == [f"fn-{n}" for n in range(1, count + 1)]
    pages = pieces(path)
    texts = {(n, piece.mcid): piece.text for n, page in enumerate(pages) for piece in page}
    for number, note in enumerate(notes, start=1):
        label = note.kids[0]
        assert label.tag == "/Lbl"
        assert "".join(texts[mcid] for mcid in label.mcids()) == f"{number}. "
    assert len(references) == count
    for number, (reference, note) in enumerate(zip(references, notes, strict=True), start=1):
        assert "".join(texts[mcid] for mcid in reference.mcids()).rstrip() == str(number)
        (target,) = reference.obj["/Ref"]
        assert target.get_object()["/ID"] == f"fn-{number}"
        assert target.idnum == note.obj.indirect_reference.idnum
    return count


@pytest.mark.parametrize("language", list(DEMO))
def test_footnotes_are_notes_with_ids_and_their_calls_references_to_them(notes_demo, language):
    assert assert_notes_linked(notes_demo / f"{DEMO[language]}.pdf") >= 3


def test_calls_in_nested_lists_tables_and_own_notes_are_references(make_workspace):
    root = make_workspace(
        {
            "positions/care.yaml": """\
            title: Care is not a market
            lang: en
            sections:
              - title: Lists
                body: |
                  Before [@smith2021a].

                  - Outer item [@smith2021b].
                      - Inner item [@doe2019].
                      - Inner two.
                  - Outer two [@doe2019, p. 3].

                  | Claim | Source |
                  |---|---|
                  | Markets fail | Yes [@smith2021a, p. 9] |

                  A note of our own.[^own]

                  [^own]: Our own note, citing [@doe2019, p. 7].
            """
        }
    )
    config = root / "standpunt.yaml"
    config.write_text(config.read_text().replace("style: apa", "style: chicago-notes-bibliography"))
    result = CliRunner().invoke(main, ["-C", str(root), "build"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "could not be tagged" not in result.output
    path = root / "build" / "care.pdf"
    assert assert_notes_linked(path) == 6
    assert unmarked_painting(path) == []
    assert reading_order_breaks(path) == []


def test_an_author_date_position_has_no_notes(demo):
    assert notes_of(demo / f"{DEMO['nl']}.pdf") == ([], [])


#: Structure elements that are blocks of text: the reading order is checked block by block.
BLOCKS = {"/P", "/H1", "/H2", "/H3", "/H4", "/H5", "/H6", "/LI", "/Note", "/Caption", "/TD", "/TH"}


def blocks_in_tree_order(path: Path) -> list[tuple[int, Piece, Piece]]:
    """(page, box, first piece) of each block of text, in the tree's order; its box is the
    union of its pieces' boxes (a block broken over two pages gives one box on each)."""
    by_mcid = {
        (number, piece.mcid): piece
        for number, page in enumerate(pieces(path))
        for piece in page
        if piece.mcid is not None and piece.text.strip()
    }
    found: list[tuple[int, Piece, Piece]] = []
    owner: dict[int, int] = {}

    def visit(element: Element, block: int) -> None:
        if element.tag in BLOCKS:
            block = id(element)
        for key in element.content:
            piece = by_mcid.get(key)
            if piece is None:
                continue
            index = owner.get(block)
            if index is None or found[index][0] != key[0]:
                owner[block] = len(found)
                box = Piece(None, "", piece.left, piece.top, piece.right, 0)
                found.append((key[0], box, piece))
                index = owner[block]
            box = found[index][1]
            box.text += piece.text
            box.left, box.top = min(box.left, piece.left), min(box.top, piece.top)
            box.right, box.bottom = max(box.right, piece.right), max(box.bottom, piece.bottom)
        for kid in element.kids:
            visit(kid, block)

    visit(structure(path), 0)
    return found


def reading_order_breaks(path: Path) -> list[tuple[int, str, str]]:
    """Where the tree's order goes back up the page: (page, block before, block after).

    Block by block, the tree must read as the page shows: the next block starts no higher than
    the one before (3 pt slack, for glyph boxes of mixed sizes), or lies to its right (a next
    column). One exception: a side float may come before the text that flows around it, which
    starts a little higher (the float's padding): when that text's first line ends left of the
    float and lies less than a line above the float's first glyphs.
    """
    breaks = []
    ordered = blocks_in_tree_order(path)
    for (page, before, _), (next_page, after, first) in itertools.pairwise(ordered):
        if page != next_page:
            continue
        slack = 3.0
        below = after.top >= before.top - slack
        right = after.left >= before.right - slack
        line = first.bottom - first.top
        float_first = before.left >= first.right - slack and first.bottom >= before.top - line
        if not (below or right or float_first):
            breaks.append((page, before.text[:60], after.text[:60]))
    return breaks


@pytest.mark.parametrize(("language", "notes"), ALL)
def test_the_tree_reads_in_the_order_the_page_shows(demo, notes_demo, language, notes):
    assert reading_order_breaks(pdf_of(demo, notes_demo, language, notes)) == []


def test_an_image_without_alt_text_is_an_artifact_one_with_alt_text_a_figure(
    make_workspace, tmp_path
):
    root = make_workspace(
        {
            "positions/care.yaml": """\
            title: Care is not a market
            lang: en
            sections:
              - title: Pictures
                body: |
                  Before the pictures.

                  ![Two care workers at a kitchen table](assets/logo.svg)

                  Between the pictures.

                  ![](assets/logo.svg)

                  After the pictures.
            """
        }
    )
    (root / "assets").mkdir()
    shutil.copy(Path(__file__).parent.parent / "assets" / "swan.svg", root / "assets" / "logo.svg")
    path = built(root) / "care.pdf"
    figures = [element for element in structure(path).walk() if element.tag == "/Figure"]
    assert [str(figure.obj["/Alt"]) for figure in figures] == [
        "Two care workers at a kitchen table"
    ]
    assert unmarked_painting(path) == []
    # Both images are drawn, the same drawing: the decorative one inside an artifact.
    sequences = marked_sequences(path, 0)  # a brief: its one page holds the pictures
    (drawing,) = [operators for tag, operators in sequences if tag == "/Figure"]
    assert len(drawing) > 10
    assert [tag for tag, operators in sequences if operators == drawing] == [
        "/Figure",
        "/Artifact",
    ]


def marked_sequences(path: Path, page: int) -> list[tuple[str, list[bytes]]]:
    """A page's outermost marked-content sequences: their tag and the operators inside."""
    reader = pypdf.PdfReader(path)
    found: list[tuple[str, list[bytes]]] = []
    depth = 0
    for operands, operator in ContentStream(reader.pages[page].get_contents(), reader).operations:
        if operator in (b"BDC", b"BMC"):
            if depth == 0:
                found.append((str(operands[0]), []))
            depth += 1
        elif operator == b"EMC":
            depth -= 1
        elif depth:
            found[-1][1].append(operator)
    return found


def test_the_reading_order_check_finds_a_block_shown_out_of_order(tmp_path):
    """A template that shows the references' heading below their entries: a break found."""
    root = copy_demo(tmp_path / "ws")
    own = root / "templates" / "moved"
    own.mkdir(parents=True)
    builtin = Path(__file__).parent.parent / "src/standpunt/templates/default"
    css = (builtin / "style.css").read_text()
    css += "\n.bibliography h2 { position: relative; top: 60mm; }\n"
    (own / "style.css").write_text(css)
    (own / "fonts").symlink_to(builtin / "fonts")
    config = root / "standpunt.yaml"
    config.write_text(config.read_text().replace("template: default", "template: moved"))
    path = built(root) / f"{DEMO['fr']}.pdf"
    ((page, before, after),) = reading_order_breaks(path)
    assert (page, before) == (1, "Références")
    assert after.startswith("Elloukmani, S., Raeymaeckers, P., & Oosterlynck, S. (2023).")


def test_an_editions_cover_logo_has_the_partners_name(tmp_path):
    root = copy_demo(tmp_path / "ws")
    result = CliRunner().invoke(
        main, ["-C", str(root), "build", "--edition", "swan", DEMO["nl"]], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    (path,) = (root / "build").glob("*.pdf")
    alts = [str(e.obj["/Alt"]) for e in structure(path).walk() if e.tag == "/Figure"]
    assert alts == ["Sociaal Werk Actie Netwerk", *SIGNED["nl"]]
