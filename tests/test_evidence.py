"""Evidence as it comes: CSL fields as citeproc reads them, and .bib and .ris files read in place.

The .bib and .ris files in tests/data/evidence are shaped like Zotero's and Better BibTeX's
exports; same-works.yaml holds the same works as CSL-YAML, as Zotero holds them.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import REPO, pdf_text
from standpunt.cli import main
from standpunt.workspace import bibliography
from standpunt.workspace.citekeys import KeyMaker, readable_key
from standpunt.workspace.read import Workspace, open_workspace

DATA = REPO / "tests" / "data" / "evidence"
CONFIG = "organisation:\n  name: Test Organisation\nlang: en\nstyle: apa\n"


def workspace(root: Path, files: dict[str, str], copies: tuple[str, ...] = ()) -> Path:
    """A workspace in ``root`` with these files (dedented) and copies of fixtures in evidence/."""
    for relative, text in {"standpunt.yaml": CONFIG, **files}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    (root / "evidence").mkdir(exist_ok=True)
    for name in copies:
        shutil.copy(DATA / name, root / "evidence" / name)
    return root


def problems(ws: Workspace) -> list[str]:
    return [str(d) for d in ws.problems.sorted()]


def check(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["-C", str(root), "check"], catch_exceptions=False)
    return result.exit_code, result.stdout


# --------------------------------------------------------------------------- CSL fields


def test_field_names_are_read_without_regard_to_case(tmp_path: Path) -> None:
    # As pandoc 3.9 writes CSL-YAML: doi, url, isbn in lower case, dates as text.
    root = workspace(
        tmp_path,
        {
            "evidence/refs.yaml": """\
            - id: evans2015
              type: chapter
              Title: Professionals and discretion
              doi: 10.1332/policypress/9781447313267.003.0016
              url: https://example.org/evans
              isbn: 978-1-4473-1326-7
              issued: 2015-03/2015-04
              accessed: 2023-02-11
              original-date: 2014~
            """
        },
    )
    ws = open_workspace(root)
    assert problems(ws) == []
    item = ws.evidence["evans2015"]
    assert item.csl == {
        "id": "evans2015",
        "type": "chapter",
        "title": "Professionals and discretion",
        "DOI": "10.1332/policypress/9781447313267.003.0016",
        "URL": "https://example.org/evans",
        "ISBN": "978-1-4473-1326-7",
        "issued": {"date-parts": [[2015, 3], [2015, 4]]},
        "accessed": {"date-parts": [[2023, 2, 11]]},
        "original-date": {"date-parts": [[2014]], "circa": "true"},
    }
    assert item.doi == "10.1332/policypress/9781447313267.003.0016"
    assert (item.file, item.line, item.format) == ("evidence/refs.yaml", 1, "csl-yaml")


#: Every variable pandoc's citeproc knows (citeproc's Types.hs, variableType), spelt as there.
CITEPROC_VARIABLES = """
accessed available-date container event-date issued original-date submitted author chair
collection-editor composer compiler container-author contributor curator director editor
editor-translator editorial-director executive-producer guest host illustrator interviewer
narrator original-author organizer performer producer recipient reviewed-author script-writer
series-creator translator chapter-number citation-number collection-number edition
first-reference-note-number issue locator number number-of-pages number-of-volumes page
page-first part-number printing-number section supplement-number version volume abstract annote
archive archive_collection archive_location archive-place authority call-number citation-key
citation-label collection-title container-title container-title-short dimensions division DOI
event event-place event-title genre ISBN ISSN jurisdiction keyword language license medium note
original-publisher original-publisher-place original-title part-title PMID PMCID publisher
publisher-place references reviewed-genre reviewed-title scale source status title title-short
URL volume-title year-suffix
""".split()  # noqa: SIM905


def test_every_variable_citeproc_knows_is_a_field(tmp_path: Path) -> None:
    names = {"author", "chair", "collection-editor", "composer", "compiler", "container-author"}
    dates = {"accessed", "available-date", "container", "event-date", "issued", "original-date"}
    lines = ["- id: all", "  type: book", "  custom: {zotero-key: ABCD1234, anything: [1, 2]}"]
    for variable in CITEPROC_VARIABLES:
        if variable in names or variable.endswith(("-author", "-editor", "-director")):
            value = "[{family: Doe, given: Jane}]"
        elif variable in dates or variable == "submitted":
            value = "2020-05-01"
        elif variable in {"director", "editor", "guest", "host", "illustrator", "interviewer"} | {
            "narrator", "organizer", "performer", "producer", "recipient", "script-writer",
            "series-creator", "translator", "contributor", "curator", "editor-translator",
            "executive-producer",
        }:  # fmt: skip
            value = "[{literal: Studio}]"
        else:
            value = "'1'"
        lines.append(f"  {variable}: {value}")
    root = workspace(tmp_path, {"evidence/all.yaml": "\n".join(lines) + "\n"})
    ws = open_workspace(root)
    assert problems(ws) == []
    assert set(ws.evidence["all"].csl) == {"id", "type", "custom", *CITEPROC_VARIABLES}


def test_every_name_part_and_zoteros_institution(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            "evidence/refs.json": """\
            [{"id": "names", "type": "book", "title": "Names",
              "author": [
                {"family": "World Health Organization", "isInstitution": true},
                {"family": "Beethoven", "given": "Ludwig", "dropping-particle": "van"},
                {"family": "Vries", "given": "Jan", "non-dropping-particle": "de"},
                {"family": "Roe", "given": "Jan", "suffix": "Jr.", "comma-suffix": true},
                {"family": "Mao", "given": "Zedong", "static-ordering": true},
                {"family": "Doe", "given": "Jane", "parse-names": "false"},
                {"literal": "Agentschap Opgroeien"}
              ]}]
            """
        },
    )
    ws = open_workspace(root)
    assert problems(ws) == []
    assert ws.evidence["names"].csl["author"] == [
        {"literal": "World Health Organization"},
        {"family": "Beethoven", "given": "Ludwig", "dropping-particle": "van"},
        {"family": "Vries", "given": "Jan", "non-dropping-particle": "de"},
        {"family": "Roe", "given": "Jan", "suffix": "Jr.", "comma-suffix": "true"},
        {"family": "Mao", "given": "Zedong", "static-ordering": "true"},
        {"family": "Doe", "given": "Jane", "parse-names": "false"},
        {"literal": "Agentschap Opgroeien"},
    ]
    assert ws.evidence["names"].format == "csl-json"


def test_inputs_that_ended_in_a_traceback_are_located_errors(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            "evidence/refs.yaml": """\
            - id: a
              author:
                - family: [Doe]
                - Family: Roe
                - {}
                -
                - [Doe, Jane]
              editor: Jane Doe
              issued: {date-parts: [[2020, x]], season: [1]}
              DOI: 10.1/a
              doi: 10.1/b
              title: {text: no}
            """
        },
    )
    assert problems(open_workspace(root)) == [
        "evidence/refs.yaml:3:15: error: 'family' should be text [invalid-value]",
        "evidence/refs.yaml:4:7: error: unknown name part 'Family' (did you mean 'family'?) "
        "[unknown-field]",
        "evidence/refs.yaml:5:7: error: this name in 'author' is empty; write family: and "
        "given:, or literal: for an organisation [invalid-value]",
        "evidence/refs.yaml:6:6: error: this name in 'author' is empty; write family: and "
        "given:, or literal: for an organisation [invalid-value]",
        "evidence/refs.yaml:7:7: error: each name in 'author' should be a set of parts (family:, "
        "given:, ...) or a text such as 'Claessens, Dirk' [invalid-value]",
        "evidence/refs.yaml:8:11: error: 'editor' should be a list of names [invalid-value]",
        "evidence/refs.yaml:9:32: error: 'x' is not a number; a date is written as numbers: "
        "[[YYYY, MM, DD]] [invalid-date]",
        "evidence/refs.yaml:9:45: error: 'season' should be text [invalid-value]",
        "evidence/refs.yaml:11:3: error: 'doi' is the same field as 'DOI' (field names are read "
        "without regard to case); keep one of them [duplicate-field]",
        "evidence/refs.yaml:12:10: error: 'title' should be text [invalid-value]",
    ]


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("2021-13", "there is no month 13: write a month from 1 to 12 (or, for a season, 21 to "
         "24: spring, summer, autumn, winter)"),
        ("2021-02-29", "there is no day 29 in month 2 of 2021: it has 28 days"),
        ("2021-04-31", "there is no day 31 in month 4 of 2021: it has 30 days"),
        ("'2021-01-32'", "there is no day 32 in month 1 of 2021: it has 31 days"),
        ("{date-parts: [[2021, 0]]}", "there is no month 0: write a month from 1 to 12 (or, for "
         "a season, 21 to 24: spring, summer, autumn, winter)"),
        ("{date-parts: [[2021, 21, 3]]}", "there is no month 21: write a month from 1 to 12 (or, "
         "for a season, 21 to 24: spring, summer, autumn, winter)"),
        ("{date-parts: [[2021, 1, 2, 3]]}", "a date has at most three parts: year, month and day"),
        ("{date-parts: [[2021], [2022], [2023]]}", "'date-parts' should be a list of one or two "
         "dates, each a list of numbers: [[YYYY, MM, DD]], or [[YYYY], [YYYY]] for a range"),
        ("{raw: 2021-13-01}", "there is no month 13: write a month from 1 to 12 (or, for a "
         "season, 21 to 24: spring, summer, autumn, winter)"),
        ("March 2021", "'March 2021' is not a date; write YYYY, YYYY-MM or YYYY-MM-DD, or "
         "{date-parts: [[YYYY, MM, DD]]}"),
        ("{dateparts: [[2021]]}", "unknown date field 'dateparts' (did you mean 'date-parts'?)"),
    ],
)  # fmt: skip
def test_impossible_dates_are_errors_at_their_place(
    tmp_path: Path, written: str, message: str
) -> None:
    root = workspace(tmp_path, {"evidence/refs.yaml": f"- id: a\n  issued: {written}\n"})
    (problem,) = open_workspace(root).problems.items
    assert problem.message == message
    assert problem.location is not None and problem.location.line == 2


@pytest.mark.parametrize(
    ("written", "parts"),
    [
        ("2020-02-29", {"date-parts": [[2020, 2, 29]]}),
        ("2000-02-29", {"date-parts": [[2000, 2, 29]]}),
        ("2021-21", {"date-parts": [[2021, 21]]}),
        ("{date-parts: [['2021', '3', '']]}", {"date-parts": [[2021, 3]]}),
        ("{literal: Spring 2021, date-parts: []}", {"literal": "Spring 2021", "date-parts": []}),
        ("{raw: around 2021}", {"raw": "around 2021"}),
    ],
)
def test_possible_dates(tmp_path: Path, written: str, parts: dict[str, Any]) -> None:
    root = workspace(tmp_path, {"evidence/refs.yaml": f"- id: a\n  issued: {written}\n"})
    ws = open_workspace(root)
    assert problems(ws) == []
    assert ws.evidence["a"].csl["issued"] == parts


# --------------------------------------------------------------------------- keys


def test_readable_keys_as_better_bibtex_makes_them() -> None:
    def item(family: str, year: int | None, title: str) -> dict[str, Any]:
        issued = {"issued": {"date-parts": [[year]]}} if year else {}
        return {"author": [{"family": family}], "title": title, **issued}

    assert readable_key(item("Claessens", 2018, "The market failure")) == "claessens2018market"
    assert readable_key(item("Müller-Løken", 2020, "Ökonomie der Pflege")) == (
        "mullerloken2020okonomie"
    )
    assert readable_key(item("Peeters", None, "Het armoederapport")) == "peetersarmoederapport"
    assert readable_key({"editor": [{"literal": "Sciensano"}], "title": "Gezondheid"}) == (
        "sciensanogezondheid"
    )
    assert readable_key({}) == "ref"
    keys = KeyMaker(["claessens2018market", "claessens2018marketb"])
    made = [keys.reserve("claessens2018market") for _ in range(4)]
    assert made == [
        "claessens2018marketa",
        "claessens2018marketc",
        "claessens2018marketd",
        "claessens2018markete",
    ]
    many = KeyMaker()
    assert [many.reserve("x") for _ in range(30)][-4:] == ["xz", "xaa", "xab", "xac"]


# --------------------------------------------------------------------------- .bib and .ris

BIBLATEX_KEYS = [
    ("vlaamsagentschapzorgengezondheid2021zorgnoden", 2, 9),
    ("evans2015professionals", 14, 15),
    ("claessens2018market", 31, 10),
    ("agentschapopgroeien2022kinderopvang", 48, 9),
    ("devries2019armoede", 58, 7),
]


def test_a_better_biblatex_export_is_read_in_place(tmp_path: Path) -> None:
    ws = open_workspace(workspace(tmp_path, {}, ("better-biblatex.bib",)))
    assert problems(ws) == []
    assert [(k, v.line, v.location.col) for k, v in ws.evidence.items()] == BIBLATEX_KEYS
    chapter = ws.evidence["evans2015professionals"]
    assert (chapter.file, chapter.format, chapter.generated_key) == (
        "evidence/better-biblatex.bib",
        "biblatex",
        False,
    )
    assert chapter.doi == "10.1332/policypress/9781447313267.003.0016"
    assert chapter.csl == {
        "DOI": "10.1332/policypress/9781447313267.003.0016",
        "ISBN": "978-1-4473-1326-7",
        "accessed": {"date-parts": [[2023, 2, 11]]},
        "author": [{"family": "Evans", "given": "Tony"}],
        "container-title": "Understanding street-level bureaucracy",
        "editor": [
            {"family": "Hupe", "given": "Peter"},
            {"family": "Hill", "given": "Michael"},
            {"family": "Buffat", "given": "Aurélien"},
        ],
        "id": "evans2015professionals",
        "issued": {"date-parts": [[2015]]},
        "keyword": "discretion,street-level bureaucracy",
        "language": "en-US",
        "page": "279-293",
        "publisher": "Policy Press",
        "publisher-place": "Bristol",
        "title": "Professionals and discretion in street-level bureaucracy",
        "type": "chapter",
    }
    report = ws.evidence["vlaamsagentschapzorgengezondheid2021zorgnoden"].csl
    assert report["author"] == [{"literal": "Vlaams Agentschap Zorg en Gezondheid"}]
    assert report["title"] == "Zorgnoden in Vlaanderen: jaarrapport 2021"
    assert ws.evidence["devries2019armoede"].csl["author"] == [
        {"family": "Vries", "given": "Jan", "non-dropping-particle": "de"},
        {"family": "Van den Broeck", "given": "Karel"},
    ]


def test_zoteros_own_bibtex_export_keeps_latex_accents_language_and_prefixes(
    tmp_path: Path,
) -> None:
    ws = open_workspace(workspace(tmp_path, {}, ("zotero-bibtex.bib",)))
    assert problems(ws) == []
    article = ws.evidence["claessens_market_2018"]
    assert article.format == "bibtex"
    assert article.csl["author"] == [
        {"family": "Claessens", "given": "Dirk"},
        {"family": "Müller", "given": "Jörg"},
        {"family": "Léonard", "given": "Françoise"},
    ]
    assert article.csl["title"] == "Market failure in Flemish care: A study of home care vouchers"
    # Zotero writes `language = {nl}`, which pandoc does not read: a Dutch title keeps its case.
    book = ws.evidence["de_vries_armoede_2019"].csl
    assert book["title"] == "Armoede en sociale uitsluiting: jaarboek 2019"
    assert book["language"] == "nl"
    # "de Vries, Jan" as Zotero means it: "de Vries, J.", not "Vries, J. de".
    assert book["author"][0] == {"family": "Vries", "given": "Jan", "non-dropping-particle": "de"}
    # What Zotero's BibTeX export keeps of a web page: no type, no day.
    web = ws.evidence["agentschap_opgroeien_kinderopvang_2022"].csl
    assert "type" not in web and web["issued"] == {"date-parts": [[2022, 9]]}


BIB_WITHOUT_LANGUAGE = """\
@report{ocmw2020,
  title = {OCMW Gent en de Zorg voor Mensen in Armoede},
  author = {Peeters, Jan},
  year = {2020}
}
@book{lipsky2010,
  title = {Street-Level Bureaucracy: Dilemmas of the Individual in Public Service},
  author = {Lipsky, Michael},
  langid = {english},
  year = {2010}
}
"""


@pytest.mark.parametrize(
    ("lang", "ocmw"),
    [
        # pandoc takes an entry that names no language for English, and lowers its capitals
        ("en", "OCMW gent en de zorg voor mensen in armoede"),
        # in a Dutch workspace it is taken for Dutch, and keeps them; no language is added
        ("nl-BE", "OCMW Gent en de Zorg voor Mensen in Armoede"),
        ("fr", "OCMW Gent en de Zorg voor Mensen in Armoede"),
    ],
)
def test_a_bib_entry_that_names_no_language_is_in_the_workspace_s(
    tmp_path: Path, lang: str, ocmw: str
) -> None:
    root = workspace(
        tmp_path,
        {
            "standpunt.yaml": CONFIG.replace("lang: en", f"lang: {lang}"),
            "evidence/refs.bib": BIB_WITHOUT_LANGUAGE,
        },
    )
    ws = open_workspace(root)
    assert problems(ws) == []
    report = ws.evidence["ocmw2020"]
    assert (report.csl["title"], "language" in report.csl, report.line) == (ocmw, False, 1)
    # an entry that names its language is read in it, whatever the workspace's
    book = ws.evidence["lipsky2010"].csl
    assert (book["title"], book["language"]) == (
        "Street-level bureaucracy: Dilemmas of the individual in public service",
        "en-US",
    )


def test_a_zotero_ris_export_gets_better_bibtex_keys(tmp_path: Path) -> None:
    ws = open_workspace(workspace(tmp_path, {}, ("zotero.ris",)))
    assert problems(ws) == []
    assert [(k, v.line, v.generated_key) for k, v in ws.evidence.items()] == [
        ("vlaamsagentschapzorgengezondheid2021zorgnoden", 1, True),
        ("evans2015professionals", 14, True),
        ("claessens2018market", 36, True),
        ("agentschapopgroeien2022kinderopvang", 57, True),
        ("devries2019armoede", 68, True),
    ]
    assert ws.evidence["evans2015professionals"].csl == {
        "DOI": "10.1332/policypress/9781447313267.003.0016",
        "ISBN": "978-1-4473-1326-7",
        "URL": "https://doi.org/10.1332/policypress/9781447313267.003.0016",
        "accessed": {"date-parts": [[2023, 2, 11]]},
        "author": [{"family": "Evans", "given": "Tony"}],
        "container-title": "Understanding street-level bureaucracy",
        "editor": [
            {"family": "Hupe", "given": "Peter"},
            {"family": "Hill", "given": "Michael"},
            {"family": "Buffat", "given": "Aurélien"},
        ],
        "id": "evans2015professionals",
        "issued": {"date-parts": [[2015]]},
        "keyword": "discretion, street-level bureaucracy",
        "language": "en",
        "page": "279-293",
        "publisher": "Policy Press",
        "publisher-place": "Bristol",
        "title": "Professionals and discretion in street-level bureaucracy",
        "type": "chapter",
    }
    web = ws.evidence["agentschapopgroeien2022kinderopvang"].csl
    assert (web["type"], web["author"], web["issued"]) == (
        "webpage",
        [{"literal": "Agentschap Opgroeien"}],
        {"date-parts": [[2022, 9, 14]]},
    )


def test_ris_keys_are_unique_across_the_workspace_in_reading_order(tmp_path: Path) -> None:
    record = "TY  - JOUR\nAU  - Claessens, Dirk\nPY  - 2018\nTI  - Market failure\nER  - \n"
    root = workspace(
        tmp_path,
        {
            "evidence/a.ris": record * 2
            + record.replace("TY  - JOUR\n", "TY  - JOUR\nID  - own\n"),
            "evidence/b.ris": record,
            "evidence/c.yaml": "- id: claessens2018marketb\n  title: Written by hand\n",
        },
    )
    keys = [(k, v.file, v.line) for k, v in open_workspace(root).evidence.items()]
    assert keys == [
        ("claessens2018market", "evidence/a.ris", 1),
        ("claessens2018marketa", "evidence/a.ris", 6),
        ("own", "evidence/a.ris", 12),
        ("claessens2018marketc", "evidence/b.ris", 1),
        ("claessens2018marketb", "evidence/c.yaml", 1),
    ]


def test_problems_in_a_bib_file_point_at_their_lines(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            "evidence/refs.bib": """\
            % Exported from Zotero, then edited by hand
            @book{ok1, title={Fine}, author={Doe, Jane}, year={2020}}

            @article{twocommas,
              title = {A},
              year = {2020},,
            }

            @book{ok2, title={Also fine}, year={2021}}
            @book{, title={No key}}
            mail: someone@example.org
            @book{early, title={Closed}}}, year = {2020}}
            @book(paren, title={P})
            @article{unbalanced,
              title = {Unbalanced {brace,
              year = {2020}
            }
            @book{ok3, title={Last}, date={2020-13}}
            """
        },
    )
    ws = open_workspace(root)
    assert problems(ws) == [
        "evidence/refs.bib:6:17: error: pandoc cannot read this entry (unexpected ','), so it is "
        "left out; check the commas between its fields and the braces or quotes around each "
        "value [bib-syntax]",
        "evidence/refs.bib:10:1: error: this entry has no key, so it cannot be cited and is not "
        "read; write one after the '{': @book{smith2021, …} [bib-syntax]",
        "evidence/refs.bib:11:14: warning: this '@' starts no entry (an entry is written "
        "@type{key, …}), so the text around it is not read; if it is a comment, leave out the "
        "'@' [bib-stray-text]",
        "evidence/refs.bib:12:29: warning: this text is outside any entry, so it is not read; if "
        "it belongs to the entry above, a '}' too many closes that entry early [bib-stray-text]",
        "evidence/refs.bib:13:1: error: this entry is written @book(…), which pandoc does not "
        "read; write it with braces: @book{key, …} [bib-syntax]",
        "evidence/refs.bib:15:11: error: this '{' is never closed, so the entry it is in is not "
        "read; add the '}' that closes it (or remove this '{') [bib-syntax]",
        "evidence/refs.bib:18:26: error: there is no month 13: write a month from 1 to 12 (or, "
        "for a season, 21 to 24: spring, summer, autumn, winter) [invalid-date]",
    ]
    assert [(k, v.line) for k, v in ws.evidence.items()] == [
        ("ok1", 2),
        ("ok2", 9),
        ("early", 12),
        ("ok3", 18),
    ]
    assert ws.evidence["ok3"].csl == {}  # it has an error


def test_an_unclosed_entry_ends_where_the_next_one_starts(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            "evidence/refs.bib": """\
            @article{first,
              title = {Never closed},
              year = {2020},

            @book{second, title = {Still read}, year = {2021}}
            """
        },
    )
    ws = open_workspace(root)
    assert problems(ws) == [
        "evidence/refs.bib:1:9: error: this entry is never closed, so it is not read; add the "
        "'}' that ends it [bib-syntax]"
    ]
    assert list(ws.evidence) == ["second"]


def test_problems_in_a_ris_file_point_at_their_lines(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            "evidence/refs.ris": """\
            Exported from somewhere
            TY  - JOUR
            AU  - Claessens, Dirk
            TI  - Market failure
            PY  - 2018/13//
            ER  -

            TY  - JOUR
            AU  - Claessens, D.
            TI  - The market is failing
            AB  - A long abstract that was
              wrapped onto a second line.
            DA  - 2018/02/30/

            TY  - BOOK
            ID  - own
            TI  - No end
            """
        },
    )
    ws = open_workspace(root)
    assert problems(ws) == [
        "evidence/refs.ris:1:1: warning: this line is outside any record (a record starts with "
        "'TY  - ' and ends with 'ER  - '), so it is not read [ris-stray-text]",
        "evidence/refs.ris:5:1: error: there is no month 13: write a month from 1 to 12 (or, for "
        "a season, 21 to 24: spring, summer, autumn, winter) [invalid-date]",
        "evidence/refs.ris:8:1: warning: this record has no 'ER  - ' line at its end; it is read "
        "up to the next record, but check that nothing of it is missing [ris-syntax]",
        "evidence/refs.ris:13:1: error: there is no day 30 in month 2 of 2018: it has 28 days "
        "[invalid-date]",
        "evidence/refs.ris:15:1: warning: this record has no 'ER  - ' line at its end; it is read "
        "up to the next record, but check that nothing of it is missing [ris-syntax]",
    ]
    assert ws.evidence["own"].csl == {"id": "own", "title": "No end", "type": "book"}
    assert ws.evidence["claessens2018marketa"].raw["abstract"] == (
        "A long abstract that was wrapped onto a second line."
    )


def test_a_second_read_runs_no_pandoc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = workspace(tmp_path, {}, ("better-biblatex.bib", "zotero.ris", "zotero-bibtex.bib"))
    runs: list[list[str]] = []
    real = bibliography.run_pandoc

    def counted(args: list[str], stdin: str) -> str:
        runs.append(args)
        return real(args, stdin)

    monkeypatch.setattr(bibliography, "run_pandoc", counted)
    first = open_workspace(root)
    assert [args[1] for args in runs] == ["biblatex", "bibtex", "ris"]
    assert len(list((root / "build" / ".standpunt-cache").iterdir())) == 3
    second = open_workspace(root)
    assert len(runs) == 3
    assert {k: v.csl for k, v in second.evidence.items()} == {
        k: v.csl for k, v in first.evidence.items()
    }
    # A changed file is converted again; the others still come from the cache.
    bib = root / "evidence" / "better-biblatex.bib"
    bib.write_text(bib.read_text(encoding="utf-8").replace("Policy Press", "Policy"), "utf-8")
    assert open_workspace(root).evidence["evans2015professionals"].csl["publisher"] == "Policy"
    assert len(runs) == 4


def test_a_kept_conversion_that_is_damaged_is_made_again(tmp_path: Path) -> None:
    root = workspace(tmp_path, {}, ("zotero.ris",))
    expected = {k: v.csl for k, v in open_workspace(root).evidence.items()}
    (kept,) = (root / "build" / ".standpunt-cache").iterdir()
    for damaged in ('{"csl": 12}', '{"csl": [1, 2]}', "[]", "{"):
        kept.write_text(damaged, encoding="utf-8")
        assert {k: v.csl for k, v in open_workspace(root).evidence.items()} == expected
        assert json.loads(kept.read_text(encoding="utf-8"))["csl"][0]["id"] == "0"


def test_check_reports_a_broken_bib_with_the_rest(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            "positions/care.yaml": """\
            title: Care
            sections:
              - title: One
                body: See [@claessens2018market] and [@evans2015professionals].
            """,
            "evidence/broken.bib": "@book{broken,\n  title = {Open {brace},\n  year = 2020\n}\n",
        },
        ("better-biblatex.bib",),
    )
    code, out = check(root)
    assert code == 1
    assert out.splitlines() == [
        "evidence/better-biblatex.bib:2:9: warning: evidence "
        "'vlaamsagentschapzorgengezondheid2021zorgnoden' is not cited by any position "
        "[uncited-evidence]",
        "evidence/better-biblatex.bib:48:9: warning: evidence "
        "'agentschapopgroeien2022kinderopvang' is not cited by any position [uncited-evidence]",
        "evidence/better-biblatex.bib:58:7: warning: evidence 'devries2019armoede' is not cited "
        "by any position [uncited-evidence]",
        "evidence/broken.bib:2:11: error: this '{' is never closed, so the entry it is in is not "
        "read; add the '}' that closes it (or remove this '{') [bib-syntax]",
    ]


# --------------------------------------------------------------------------- the same PDF

POSITION = """\
title: Zorg in Vlaanderen
lang: en
date: 2026-03-01
summary: Care needs public funding [@{report}].
sections:
  - title: The problem
    body: |
      Market logic crowds out care [@{article}, p. 514; @{chapter}].
      As @{book} show, poverty is measured every year.
recommendations:
  - Fund care publicly [@{web}; see @{report}].
"""
SAME_KEYS = {
    "report": "vlaamsagentschapzorgengezondheid2021zorgnoden",
    "chapter": "evans2015professionals",
    "article": "claessens2018market",
    "web": "agentschapopgroeien2022kinderopvang",
    "book": "devries2019armoede",
}
ZOTERO_KEYS = {
    "report": "vlaams_agentschap_zorg_en_gezondheid_zorgnoden_2021",
    "chapter": "evans_professionals_2015",
    "article": "claessens_market_2018",
    "book": "de_vries_armoede_2019",
}


def built_text(root: Path, fixture: str, keys: dict[str, str]) -> str:
    position = POSITION if "web" in keys else POSITION.replace("[@{web}; see @{report}]", "")
    workspace(root, {"positions/care.yaml": position.format(**keys)}, (fixture,))
    result = CliRunner().invoke(main, ["-C", str(root), "build"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return pdf_text(root / "build" / "care.pdf")


@pytest.mark.parametrize(
    ("fixture", "keys"),
    [
        ("better-biblatex.bib", SAME_KEYS),
        ("zotero.ris", SAME_KEYS),
        # Zotero's own BibTeX export loses a web page's type and day: compared without it.
        ("zotero-bibtex.bib", ZOTERO_KEYS),
    ],
)
def test_bib_and_ris_give_the_pdf_text_of_the_same_works_in_csl_yaml(
    tmp_path: Path, fixture: str, keys: dict[str, str]
) -> None:
    same = {name: SAME_KEYS[name] for name in keys}
    expected = built_text(tmp_path / "yaml", "same-works.yaml", same)
    assert "Claessens et al., 2018, p. 514" in expected
    assert "de Vries, J., & Van den Broeck, K. (2019)" in expected
    assert "Vlaams Agentschap Zorg en Gezondheid. (2021). Zorgnoden in Vlaanderen" in expected
    assert built_text(tmp_path / "other", fixture, keys) == expected


def test_an_evidence_folder_of_standpunt_yaml_reads_bib_and_ris_too(tmp_path: Path) -> None:
    root = workspace(
        tmp_path,
        {
            "standpunt.yaml": CONFIG + "evidence: [library]\n",
            "library/shared.bib": "@book{shared2020, title = {Shared}, year = {2020}}\n",
            "library/nested/more.ris": "TY  - BOOK\nTI  - More\nPY  - 2021\nER  - \n",
        },
    )
    ws = open_workspace(root)
    assert problems(ws) == []
    assert [(k, str(v.location)) for k, v in ws.evidence.items()] == [
        ("shared2020", "library/shared.bib:1:7"),
        ("2021more", "library/nested/more.ris:1:1"),
    ]


def test_a_bib_file_not_saved_as_utf8_is_named(tmp_path: Path) -> None:
    root = workspace(tmp_path, {})
    (root / "evidence" / "old.bib").write_bytes(b"@book{a,\n  title = {Caf\xe9}\n}\n")
    assert problems(open_workspace(root)) == [
        "evidence/old.bib:2:15: error: this file is not saved as UTF-8: the byte 0xE9 here is "
        "not valid UTF-8 (it is probably 'é' saved in the older Windows/Latin-1 encoding); save "
        "the file as UTF-8 in your editor [bib-encoding]"
    ]


def test_a_brace_after_two_backslashes_is_a_brace_as_pandoc_reads_it(tmp_path: Path) -> None:
    r"""``\\{`` is a line break and a brace to pandoc, not an escaped brace: the entries'
    bounds are found as pandoc finds them, so one entry never swallows the next unsaid."""
    root = workspace(
        tmp_path,
        {
            "evidence/t.bib": (
                "@book{k1, title = {X\\\\{\\\\{}, author = {A, B}}\n"
                "@book{k2, title = {Het OCMW Gent}, author = {C, D}, note = {\\\\}\\\\}}}\n"
            )
        },
    )
    assert check(root) == (
        1,
        "evidence/t.bib:1:19: error: this '{' is never closed, so the entry it is in is not "
        "read; add the '}' that closes it (or remove this '{') [bib-syntax]\n"
        "evidence/t.bib:2:64: error: pandoc cannot read this entry (unexpected '\\\\'), so it is "
        "left out; check the commas between its fields and the braces or quotes around each "
        "value [bib-syntax]\n"
        "evidence/t.bib:2:67: warning: this text is outside any entry, so it is not read; if it "
        "belongs to the entry above, a '}' too many closes that entry early [bib-stray-text]\n",
    )


def test_a_bib_file_not_readable_in_the_workspace_s_language_says_so(tmp_path: Path) -> None:
    """An entry pandoc reads only without a langid put before its fields: the file's titles are
    read as English, and check says so instead of lowering "OCMW Gent" unsaid."""
    root = workspace(
        tmp_path,
        {
            "standpunt.yaml": CONFIG.replace("lang: en", "lang: nl-BE"),
            "evidence/t.bib": (
                "@book{k2, title = {Het OCMW Gent}, author = {C, D}}\n"
                "@book{title=x, author={Smith, Ann}, year={2020}}\n"
            ),
        },
    )
    code, out = check(root)
    assert code == 0
    assert [line for line in out.splitlines() if "bib-language" in line] == [
        "evidence/t.bib:1:1: warning: pandoc could not read this file's entries in the "
        "workspace's language (nl-BE), so the titles of those that name no language are read as "
        "English and lose their capitals; give each entry its 'langid' [bib-language]"
    ]
