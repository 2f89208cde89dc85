"""Every CSL style, as pandoc formats it: a seeded sample of cases in the manner of the CSL test
suite, each built by ``standpunt build --format html`` and compared with pandoc run directly on
the same Markdown (``pandoc --citeproc --csl STYLE --bibliography WORKS``).

The cases come from :data:`SEED` (random but reproducible): note, numeric, label and
author-date styles, with and without a bibliography; locators, prefixes, suffixes, suppressed
authors, authors in the text, several works in one citation, a work cited again at once (ibid.)
and later (subsequent), citations in notes of one's own. Each case is one position whose
citations stand in one text only, its summary or its one section, so the order in which they
are read is the order of the Markdown. One workspace per style builds all its cases at once.

"Identical" means, for the text, its notes and the bibliography: the same text (white space
collapsed), the same formatting elements in the same places (``i``/``em``, ``b``/``strong``,
small caps, ``sup``, ``sub``, ``u``), the same citations (``span.citation`` and the keys it
cites), the same paragraphs, the same bibliography layout (its classes, entry and line spacing,
the display boxes ``csl-left-margin``, ``csl-right-inline``, ``csl-indent``, ``csl-block``) and
the same entries in the same order. Links are not compared: the page links a citation to its
entry only where the entry is printed, never a whole note (see cite/shape.lua). An entry pandoc
writes without any text (a work the style prints under no entry, such as APA's personal
communication) is one the page leaves out, by design.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import tinyhtml5
from click.testing import CliRunner

from standpunt.cite.citeproc import resolve_style
from standpunt.cli import main
from standpunt.pandoc import pandoc_executable

SEED = 20260312
CASES_PER_STYLE = 8
#: The styles sampled, each with its class and whether it has a bibliography.
STYLES: dict[str, tuple[str, bool]] = {
    "apa": ("author-date", True),
    "chicago-author-date": ("author-date", True),
    "harvard-cite-them-right": ("author-date", True),
    "modern-language-association": ("author-date", True),
    "bluebook-inline": ("author-date", False),
    "ieee": ("numeric", True),
    "nature": ("numeric", True),
    "american-medical-association": ("numeric", True),
    "din-1505-2-alphanumeric": ("label", True),
    "american-mathematical-society-label": ("label", True),
    "chicago-notes-bibliography": ("note", True),
    "oscola": ("note", True),
    "mhra-notes": ("note", True),
    "chicago-notes": ("note", False),
    "bluebook-law-review": ("note", False),
}
LANG = "en"

# ---------------------------------------------------------------------------------- the works

GIVEN = ["Tony", "John", "Dirk", "Eva", "Marie", "Jan", "Ann", "Sam", "Zoë", "Luc", "Inès"]
FAMILY = ["Evans", "Harris", "Claessens", "Lipsky", "Roets", "Janssens", "Dubois", "Peeters",
          "Müller", "Nguyen", "O'Brien", "Smith"]  # fmt: skip
PARTICLED = [("Berg", "van den"), ("Gaulle", "de"), ("Bruyne", "De")]
INSTITUTIONS = [
    "Organisation for Economic Co-operation and Development",
    "Vlaamse Overheid",
    "European Commission",
]
WORDS = ["care", "markets", "discretion", "welfare", "policy", "street-level", "poverty",
         "housing", "coalitions", "social", "work", "rights", "local", "Flanders", "Europe",
         "migration", "public", "services", "practice", "justice"]  # fmt: skip
JOURNALS = ["Journal of Social Policy", "British Journal of Social Work", "Social Work & Society"]
PUBLISHERS = [("Policy Press", "Bristol"), ("Acco", "Leuven"), ("Routledge", "London")]


def _title(rng: random.Random) -> str:
    words = rng.sample(WORDS, rng.randint(2, 6))
    if rng.random() < 0.3:
        words.insert(rng.randint(1, len(words)), rng.choice(["and", "of", "in", "the"]))
    title = " ".join(words).capitalize()
    if rng.random() < 0.3:
        title += ": " + " ".join(rng.sample(WORDS, rng.randint(2, 4)))
    return title


def _names(rng: random.Random, count: int) -> list[dict[str, str]]:
    names: list[dict[str, str]] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.15:
            family, particle = rng.choice(PARTICLED)
            name = {"family": family, "given": rng.choice(GIVEN)}
            name["non-dropping-particle"] = particle
        elif roll < 0.25:
            name = {"literal": rng.choice(INSTITUTIONS)}
        else:
            name = {"family": rng.choice(FAMILY), "given": rng.choice(GIVEN)}
        if name not in names:
            names.append(name)
    return names


def _date(rng: random.Random, year: int, precision: int) -> dict[str, list[list[int]]]:
    parts = [year, rng.randint(1, 12), rng.randint(1, 28)][:precision]
    return {"date-parts": [parts]}


def _work(rng: random.Random, key: str, kind: str) -> dict[str, object]:
    year = rng.randint(1975, 2025)
    authors = _names(rng, rng.choice([1, 1, 1, 2, 2, 3, 5]))
    work: dict[str, object] = {"id": key, "type": kind, "issued": _date(rng, year, 1)}
    if kind == "personal_communication":
        return {**work, "author": authors[:1], "issued": _date(rng, year, 3)}
    work.update(title=_title(rng), author=authors)
    publisher, place = rng.choice(PUBLISHERS)
    if kind == "book":
        work.update(publisher=publisher, **{"publisher-place": place})
        if rng.random() < 0.4:
            work["edition"] = str(rng.randint(2, 5))
    elif kind == "article-journal":
        first = rng.randint(1, 400)
        work.update(
            {"container-title": rng.choice(JOURNALS), "volume": str(rng.randint(1, 60))},
            issue=str(rng.randint(1, 6)),
            page=f"{first}-{first + rng.randint(5, 30)}",
        )
        if rng.random() < 0.6:
            work["DOI"] = f"10.{rng.randint(1000, 9999)}/{rng.choice(WORDS)}.{year}.{first}"
    elif kind == "chapter":
        first = rng.randint(1, 300)
        work.update(
            {"container-title": _title(rng), "publisher-place": place},
            editor=_names(rng, rng.randint(1, 2)),
            publisher=publisher,
            page=f"{first}-{first + rng.randint(10, 40)}",
        )
    elif kind == "report":
        work.update(publisher=publisher, number=str(rng.randint(1, 99)))
        work["issued"] = _date(rng, year, 2)
        work["URL"] = f"https://example.org/{rng.choice(WORDS)}/{year}"
    elif kind == "webpage":
        work.update({"container-title": rng.choice(INSTITUTIONS)})
        work.update(issued=_date(rng, year, 3), accessed=_date(rng, 2026, 3))
        work["URL"] = f"https://example.org/{rng.choice(WORDS)}?page={rng.randint(1, 9)}"
    elif kind == "thesis":
        work.update(publisher=f"University of {rng.choice(['Antwerp', 'Ghent', 'Liège'])}")
        work["genre"] = "PhD thesis"
    elif kind == "article-newspaper":
        work.update({"container-title": rng.choice(["De Standaard", "Le Soir"])})
        work["issued"] = _date(rng, year, 3)
    return work


KINDS = ["book", "article-journal", "chapter", "report", "webpage", "thesis", "article-newspaper"]


def works(rng: random.Random) -> list[dict[str, object]]:
    """A pool of works: every kind, a personal communication, and two works by the same
    author in the same year (which styles tell apart, 2020a and 2020b)."""
    pool = [_work(rng, f"w{number:02d}", KINDS[number % len(KINDS)]) for number in range(12)]
    twin = dict(_work(rng, "w12", "book"))
    twin.update(author=pool[0]["author"], issued=pool[0]["issued"])
    pool += [twin, _work(rng, "w13", "personal_communication")]
    return pool


# ---------------------------------------------------------------------------------- the texts

LOCATORS = ["p. {n}", "pp. {n}-{m}", "chap. {c}", "sec. {c}", "para. {c}"]
PREFIXES = ["see", "cf.", "e.g.,", "*see also*", "as argued in"]
SUFFIXES = ["emphasis added", "and passim", "*et seq.*", "for a review"]
SENTENCES = [
    "Care is political", "Discretion shapes every decision", "Markets crowd out care",
    "Coalitions matter for social work", "Street-level workers make policy",
    "Housing is a right", "Poverty is not a choice",
]  # fmt: skip


@dataclass
class Writer:
    """Writes one case's Markdown, noting which features it used."""

    rng: random.Random
    keys: list[str]
    features: set[str] = field(default_factory=set)
    cited: list[str] = field(default_factory=list)

    def key(self) -> str:
        if self.cited and self.rng.random() < 0.3:
            self.features.add("repeated")  # the same work again at once: ibid.
            return self.cited[-1]
        key = self.rng.choice(self.keys)
        if key in self.cited:
            self.features.add("subsequent")
        return key

    def item(self, in_brackets: bool) -> str:
        key = self.key()
        self.cited.append(key)
        rng, text = self.rng, f"@{key}"
        if in_brackets and rng.random() < 0.15:
            text = "-" + text
            self.features.add("suppress-author")
        if in_brackets and rng.random() < 0.3:
            text = f"{rng.choice(PREFIXES)} {text}"
            self.features.add("prefix")
        after = []
        if rng.random() < 0.5:
            n = rng.randint(1, 300)
            after.append(rng.choice(LOCATORS).format(n=n, m=n + rng.randint(1, 9), c=n % 12 + 1))
            self.features.add("locator")
        if rng.random() < 0.2:
            after.append(rng.choice(SUFFIXES))
            self.features.add("suffix")
        if after:
            text += ", " + ", ".join(after) if in_brackets else " [" + ", ".join(after) + "]"
        return text

    def citation(self) -> str:
        if self.rng.random() < 0.2:
            self.features.add("author-in-text")
            return "as " + self.item(in_brackets=False) + " shows"
        count = self.rng.choice([1, 1, 1, 2, 3])
        if count > 1:
            self.features.add("several-works")
        return "[" + "; ".join(self.item(in_brackets=True) for _ in range(count)) + "]"

    def sentence(self) -> str:
        words = self.rng.choice(SENTENCES)
        if self.rng.random() < 0.15:
            self.features.add("own-note")
            return f"{words}.^[See {self.citation()}, and the debate since.]"
        return f"{words} {self.citation()}."

    def text(self) -> str:
        paragraphs = self.rng.choice([1, 1, 2, 3])
        if paragraphs > 1:
            self.features.add("paragraphs")
        return "\n\n".join(
            " ".join(self.sentence() for _ in range(self.rng.randint(1, 3)))
            for _ in range(paragraphs)
        )


@dataclass(frozen=True)
class Case:
    id: str
    style: str
    #: "summary" or "section": the one text that cites.
    where: str
    markdown: str
    features: frozenset[str]


def cases(style: str, pool: list[dict[str, object]]) -> list[Case]:
    rng = random.Random(f"{SEED}-{style}")
    keys = [str(work["id"]) for work in pool]
    made = []
    for number in range(1, CASES_PER_STYLE + 1):
        writer = Writer(rng, rng.sample(keys, rng.randint(2, 6)))
        where = rng.choice(["summary", "summary", "section"])
        made.append(Case(f"case-{number}", style, where, writer.text(), frozenset(writer.features)))
    return made


def sample() -> dict[str, tuple[list[dict[str, object]], list[Case]]]:
    """Each style's works and cases."""
    chosen = {}
    for style in STYLES:
        pool = works(random.Random(f"{SEED}-{style}-works"))
        chosen[style] = (pool, cases(style, pool))
    return chosen


SAMPLE = sample()

# ------------------------------------------------------------------------ what is compared

XHTML = "{http://www.w3.org/1999/xhtml}"
FORMATTING = {"em": "i", "i": "i", "strong": "b", "b": "b", "sup": "sup", "sub": "sub", "u": "u"}
BOXES = ("csl-left-margin", "csl-right-inline", "csl-indent", "csl-block")


def _classes(element: ET.Element) -> list[str]:
    return (element.get("class") or "").split()


def _inner(element: ET.Element) -> str:
    parts = [element.text or ""]
    for child in element:
        parts += [_shown(child), child.tail or ""]
    return "".join(parts)


def _shown(element: ET.Element) -> str:
    """An element as compared: formatting, citations, paragraphs and display boxes marked,
    anything else by its content alone (a note's link back to its call, by nothing)."""
    tag, classes = element.tag.removeprefix(XHTML), _classes(element)
    if "footnote-back" in classes:
        return ""
    inner = _inner(element)
    if tag in FORMATTING:
        mark = FORMATTING[tag]
    elif tag == "span" and "smallcaps" in classes:
        mark = "sc"
    elif tag == "span" and "citation" in classes:
        return f"<cite {element.get('data-cites')}>{inner}</cite>"
    elif tag == "div" and set(BOXES) & set(classes):
        mark = next(box for box in BOXES if box in classes)
    elif tag == "p":
        mark = "p"
    elif tag == "br":
        return " "
    else:
        return inner
    return f"<{mark}>{inner}</{mark}>"


def normalised(elements: list[ET.Element]) -> str:
    text = " ".join("".join(_shown(element) for element in elements).split())
    return re.sub(r"\s*(</?p>)\s*", r"\1", text).strip()


@dataclass(frozen=True)
class Shown:
    """What a case shows: its text, its notes, its bibliography's layout and entries."""

    text: str
    notes: tuple[str, ...]
    layout: tuple[str, ...] | None
    entries: tuple[tuple[str, str], ...]


def _bibliography(root: ET.Element) -> tuple[tuple[str, ...] | None, tuple[tuple[str, str], ...]]:
    refs = next((div for div in root.iter(f"{XHTML}div") if div.get("id") == "refs"), None)
    if refs is None:
        return None, ()
    layout = (
        " ".join(sorted(_classes(refs))),
        refs.get("data-entry-spacing") or "",
        refs.get("data-line-spacing") or "",
    )
    entries = tuple(
        (entry.get("id") or "", normalised([entry]).strip())
        for entry in refs
        if "csl-entry" in _classes(entry)
    )
    return layout, entries


def _notes(section: ET.Element | None) -> tuple[str, ...]:
    if section is None:
        return ()
    return tuple(normalised(list(item)) for item in section.iter(f"{XHTML}li"))


def _find(root: ET.Element, tag: str, predicate: Callable[[ET.Element], bool]) -> ET.Element | None:
    return next((element for element in root.iter(XHTML + tag) if predicate(element)), None)


def shown_by_page(html: str, where: str) -> Shown:
    root = tinyhtml5.parse(html)
    if where == "summary":
        text = _find(root, "section", lambda e: "summary" in _classes(e))
    else:
        text = _find(root, "section", lambda e: e.get("id") == "section-1")
    assert text is not None
    notes = _find(root, "section", lambda e: "notes" in _classes(e))
    layout, entries = _bibliography(root)
    body = [child for child in text if child.tag != XHTML + "h2"]
    return Shown(normalised(body), _notes(notes), layout, entries)


def shown_by_pandoc(html: str) -> Shown:
    root = tinyhtml5.parse(html)
    body = root.find(XHTML + "body")
    assert body is not None
    notes = _find(root, "section", lambda e: e.get("id") == "footnotes")
    text = [child for child in body if child.get("id") not in ("refs", "footnotes")]
    layout, entries = _bibliography(root)
    printed = tuple(entry for entry in entries if re.sub("<[^>]*>", "", entry[1]).strip())
    return Shown(normalised(text), _notes(notes), layout if printed else None, printed)


# ---------------------------------------------------------------------------------- the runs

CONFIG = """\
organisation:
  name: Test Organisation
lang: {lang}
style: {style}
"""


def position(case: Case) -> str:
    body = json.dumps(case.markdown, ensure_ascii=False)
    if case.where == "summary":
        return f"title: {case.id}\nsummary: {body}\nsections: [{{title: Plain, body: No work.}}]\n"
    return f"title: {case.id}\nsections: [{{title: Cited, body: {body}}}]\n"


def build_style(root: Path, style: str) -> dict[str, Shown]:
    """Every case of ``style`` built at once; what each page shows, by case id."""
    pool, chosen = SAMPLE[style]
    (root / "positions").mkdir(parents=True)
    (root / "evidence").mkdir()
    (root / "standpunt.yaml").write_text(CONFIG.format(lang=LANG, style=style), encoding="utf-8")
    # JSON is YAML: the works exactly as pandoc reads them below.
    (root / "evidence" / "works.yaml").write_text(json.dumps(pool, ensure_ascii=False), "utf-8")
    for case in chosen:
        (root / "positions" / f"{case.id}.yaml").write_text(position(case), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["-C", str(root), "build", "--format", "html"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return {
        case.id: shown_by_page(
            (root / "build" / f"{case.id}.html").read_text(encoding="utf-8"), case.where
        )
        for case in chosen
    }


def pandoc_style(root: Path, style: str) -> dict[str, Shown]:
    """Every case of ``style`` as pandoc alone makes it, by case id."""
    pool, chosen = SAMPLE[style]
    bibliography = root / "works.json"
    bibliography.write_text(json.dumps(pool, ensure_ascii=False), encoding="utf-8")
    csl = resolve_style(style, root).path
    shown = {}
    for case in chosen:
        done = subprocess.run(
            [pandoc_executable(), "--citeproc", "--csl", str(csl), "--bibliography",
             str(bibliography), "--metadata", f"lang={LANG}", "--from", "markdown",
             "--to", "html"],
            input=case.markdown.encode("utf-8"), capture_output=True, check=True, timeout=60,
        )  # fmt: skip
        shown[case.id] = shown_by_pandoc(done.stdout.decode("utf-8"))
    return shown


# ---------------------------------------------------------------------------------- the tests


def test_the_sample_covers_every_kind_of_style_and_citation() -> None:
    chosen = [case for _, made in SAMPLE.values() for case in made]
    assert len(chosen) >= 100
    kinds = {(kind, listed) for kind, listed in STYLES.values()}
    assert kinds >= {
        ("author-date", True), ("author-date", False), ("numeric", True), ("label", True),
        ("note", True), ("note", False),
    }  # fmt: skip
    features = {
        "locator", "prefix", "suffix", "suppress-author", "author-in-text", "several-works",
        "repeated", "subsequent", "own-note", "paragraphs",
    }  # fmt: skip
    for kind in {kind for kind, _ in STYLES.values()}:
        of_kind = [case for case in chosen if STYLES[case.style][0] == kind]
        assert set().union(*(case.features for case in of_kind)) == features, kind
    assert set().union(*(case.features for case in chosen)) == features
    assert {case.where for case in chosen} == {"summary", "section"}


@pytest.mark.parametrize("style", sorted(STYLES))
def test_the_page_shows_what_pandoc_formats(style: str, tmp_path: Path) -> None:
    page = build_style(tmp_path / "workspace", style)
    alone = pandoc_style(tmp_path, style)
    # Not vacuous: every case shows a citation, and a listing style lists works.
    assert all("<cite " in shown.text + "".join(shown.notes) for shown in alone.values())
    assert any(shown.entries for shown in alone.values()) == STYLES[style][1]
    differ = [case for case in SAMPLE[style][1] if page[case.id] != alone[case.id]]
    assert {case.markdown: page[case.id] for case in differ} == {
        case.markdown: alone[case.id] for case in differ
    }
