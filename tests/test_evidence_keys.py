"""Readable keys, DOIs, foreign CSL-JSON cleaned, and CSL-YAML written: exact results."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standpunt.errors import StandpuntError
from standpunt.evidence.entries import clean_item, clean_text, summary
from standpunt.evidence.writing import (
    append_entries,
    as_read,
    entry_text,
    update_entries,
    write_new_file,
)
from standpunt.workspace.citekeys import KeyMaker, readable_key, usable_key
from standpunt.workspace.csl import csl_json, evidence_problems
from standpunt.workspace.dois import normalise_doi
from standpunt.workspace.load import parse_yaml, to_plain

CLAESSENS = {
    "author": [{"family": "Claessens", "given": "D."}],
    "issued": {"date-parts": [["2018", 2, 26]]},
    "title": "The market for care",
}


@pytest.mark.parametrize(
    ("item", "key"),
    [
        (CLAESSENS, "claessens2018market"),
        # Accents off, ß and Ø spelled out, function words in nl, fr and de skipped
        (
            {"author": ["Ørsted-Çelik, A."], "issued": "2021-03", "title": "De straße van Één"},
            "orstedcelik2021strasse",
        ),
        (
            {
                "author": [{"literal": "Agentschap Zorg & Gezondheid"}],
                "issued": 2020,
                "title": "Les enjeux",
            },
            "agentschapzorggezondheid2020enjeux",
        ),
        # No author: the editor; no date: no year; only function words: the first of them
        ({"editor": [{"family": "Van der Berg"}], "title": "Of the"}, "vanderbergof"),
        ({"title": "Rapport"}, "rapport"),
        ({}, "ref"),
        ({"author": [{"given": "Only"}], "issued": {"literal": "ca. 1850"}}, "1850"),
    ],
)
def test_a_readable_key_is_author_year_and_first_title_word(item, key):
    assert readable_key(item) == key


def test_keys_taken_get_a_letter_in_order_without_regard_to_case():
    maker = KeyMaker(["Claessens2018market", "claessens2018marketb"])
    assert [maker.make(CLAESSENS) for _ in range(4)] == [
        "claessens2018marketa",
        "claessens2018marketc",
        "claessens2018marketd",
        "claessens2018markete",
    ]
    many = KeyMaker()
    keys = [many.reserve("x") for _ in range(28)]
    assert keys[:3] == ["x", "xa", "xb"] and keys[26:] == ["xz", "xaa"]
    assert len(set(keys)) == 28


@pytest.mark.parametrize(
    ("text", "usable"),
    [
        ("claessens2018", True),
        ("Smith_2020:b", True),
        ("http://zotero.org/users/1/items/ABCD1234", False),
        ("two words", False),
        ("trailing.", False),
        ("a" * 101, False),
        ("", False),
    ],
)
def test_a_key_is_kept_only_when_pandoc_reads_it_whole(text, usable):
    assert usable_key(text) is usable


@pytest.mark.parametrize(
    ("written", "doi"),
    [
        ("10.1080/13501763.2018.1449887", "10.1080/13501763.2018.1449887"),
        ("https://doi.org/10.1080/ABC.def", "10.1080/abc.def"),
        ("http://dx.doi.org/10.1080/ABC", "10.1080/abc"),
        ("doi.org/10.1000/x", "10.1000/x"),
        ("DOI: 10.1000/X ", "10.1000/x"),
        ("https://doi.org/10.1000%2Fa%20b", None),  # decoded, it holds a space
        ("https://doi.org/10.1000/a%3Cb%3E", "10.1000/a<b>"),
        ("10.1000", None),
        ("11.1000/x", None),
        ("https://example.org/10.1000/x", None),
    ],
)
def test_a_doi_is_read_however_it_is_written(written, doi):
    assert normalise_doi(written) == doi


def test_foreign_csl_json_is_cleaned_to_the_schemas_fields():
    crossref = {
        "id": "ignored",
        "type": "article-journal",
        "title": ["Pluralism and the market", "Other title"],
        "ISSN": ["1350-1763", "1466-4429", "1350-1763"],
        "doi": "10.1080/X",
        "author": [
            {"given": "Sarah", "family": "Berkhout", "sequence": "first", "affiliation": []},
            {"name": "Some Consortium"},
            {"ORCID": "only"},
        ],
        "issued": {"date-parts": [[2018, "4", None]], "date-time": "2018-04-03T00:00:00Z"},
        "volume": 25,
        "short-container-title": ["JEPP"],
        "reference": [{"key": "a"}],
        "note": "line\r\none\x00 \ud800",
        "custom": {"zotero-uri": "http://x", "deep": {"a": 1}},
    }
    cleaned = clean_item(crossref)
    assert cleaned.entry == {
        "type": "article-journal",
        "author": [{"family": "Berkhout", "given": "Sarah"}, {"literal": "Some Consortium"}],
        "issued": {"date-parts": [[2018, 4]]},
        "title": "Pluralism and the market",
        "ISSN": "1350-1763, 1466-4429",
        "DOI": "10.1080/X",
        "volume": "25",
        "container-title-short": "JEPP",
        "note": "line\none \ufffd",
        "custom": {"zotero-uri": "http://x"},
    }
    assert cleaned.dropped == ["reference"]


def test_summary_is_short_author_year_and_title():
    item = {
        "author": [{"family": "A"}, {"family": "B"}, {"literal": "C Org"}],
        "issued": 2020,
        "title": "x" * 70,
    }
    assert summary(item) == ("A et al.", "2020", "x" * 59 + "…")
    assert summary({"editor": ["Cools, P.", {"family": "Roe"}]}) == ("Cools & Roe", "", "")


ENTRY = {
    "id": "claessens2018market",
    "type": "article-journal",
    "author": [{"family": "Claessens", "given": "D."}, {"literal": "Org: the # one"}],
    "issued": {"date-parts": [[2018, 2, 26]]},
    "title": "Yes: a 'quoted' title",
    "note": "two\nlines\u2028and a separator",
    "volume": "25",
    "categories": ["a, b", "c"],
    "custom": {"zotero-uri": "http://zotero.org/users/1/items/ABCD1234", "empty": {}},
}


def test_an_entry_is_written_as_readable_csl_yaml_that_reads_back_the_same():
    lines = entry_text(ENTRY, 2)
    assert lines == [
        "  - id: claessens2018market",
        "    type: article-journal",
        "    author:",
        "      - family: Claessens",
        "        given: D.",
        "      - literal: 'Org: the # one'",
        "    issued:",
        "      date-parts: [[2018, 2, 26]]",
        "    title: 'Yes: a ''quoted'' title'",
        '    note: "two\\nlines\\Land a separator"',
        "    volume: '25'",
        '    categories: ["a, b", "c"]',
        "    custom:",
        "      zotero-uri: http://zotero.org/users/1/items/ABCD1234",
        "      empty: {}",
    ]
    read = parse_yaml("references:\n" + "\n".join(lines) + "\n", "x.yaml")
    assert to_plain(read["references"][0]) == {
        **{k: v for k, v in ENTRY.items() if k not in ("issued", "custom")},
        "issued": {"date-parts": [["2018", "2", "26"]]},
        "custom": {"zotero-uri": "http://zotero.org/users/1/items/ABCD1234", "empty": {}},
    }
    item = read["references"][0]
    assert evidence_problems(item) == []
    assert csl_json(item)["issued"] == {"date-parts": [[2018, 2, 26]]}


SEED = """\
# Our references; keep this comment.
- id: doe2019   # and this one
  title: "Coalitions"
  quote: |+
    kept with its blank line

"""


def test_appending_keeps_every_byte_and_the_comments(tmp_path: Path):
    path = tmp_path / "refs.yaml"
    path.write_bytes(SEED.replace("\n", "\r\n").encode())
    written = append_entries(path, "evidence/refs.yaml", [{"id": "new2020", "title": "New"}])
    # The block keeps its trailing blank line (|+): no blank line is added after it.
    assert path.read_bytes().decode() == SEED.replace("\n", "\r\n") + (
        "- id: new2020\r\n  title: New\r\n"
    )
    assert (written.file, written.lines) == ("evidence/refs.yaml", [7])


def test_appending_under_references_uses_its_indentation(tmp_path: Path):
    path = tmp_path / "refs.yaml"
    path.write_text("references:\n    -   id: a\n        title: A", encoding="utf-8")
    written = append_entries(path, "refs.yaml", [{"id": "b", "title": "B"}, {"id": "c"}])
    assert path.read_text(encoding="utf-8") == (
        "references:\n    -   id: a\n        title: A\n\n    - id: b\n      title: B\n\n"
        "    - id: c\n"
    )
    assert written.lines == [5, 8]


@pytest.mark.parametrize(
    "text",
    [
        "[{id: a}]\n",  # a flow list: text cannot be appended
        "title: not a list\n",
        "references: []\n",
        "- id: a\n...\n",  # the document ends before the end of the file
    ],
)
def test_a_file_that_cannot_take_entries_at_its_end_is_left_alone(tmp_path: Path, text: str):
    path = tmp_path / "refs.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StandpuntError) as caught:
        append_entries(path, "evidence/refs.yaml", [{"id": "b"}])
    assert caught.value.code == "cannot-append"
    assert "another file with --to" in caught.value.message
    assert path.read_text(encoding="utf-8") == text


def test_a_new_file_is_never_written_over_an_existing_one(tmp_path: Path):
    path = tmp_path / "new.yaml"
    written = write_new_file(path, "evidence/new.yaml", "Line one\nLine two", [{"id": "a"}])
    assert path.read_text(encoding="utf-8") == "# Line one\n# Line two\n\n- id: a\n"
    assert written.lines == [4]
    with pytest.raises(StandpuntError) as caught:
        write_new_file(path, "evidence/new.yaml", "", [{"id": "b"}])
    assert str(caught.value) == (
        "evidence/new.yaml: error: evidence/new.yaml exists already, and Standpunt does not "
        "overwrite it; choose another file with --to, or move that one away first [file-exists]"
    )
    assert path.read_text(encoding="utf-8") == "# Line one\n# Line two\n\n- id: a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.yaml"]


# --- whatever comes in, what is written reads back as meant --------------------------------------

FIELD_NAMES = st.sampled_from(
    ["title", "author", "editor", "issued", "accessed", "DOI", "doi", "ISSN", "custom",
     "categories", "type", "id", "citation-key", "family", "given", "literal", "date-parts",
     "name", "season", "raw", "page", "note", "quote"]
)  # fmt: skip
ODD = st.text(
    st.characters()
    | st.sampled_from(["\x00", "\x85", "\u2028", "\ufeff", "\ud800", "\r", "'", '"', "#", ":"]),
    max_size=10,
)
VALUES = st.recursive(
    ODD | st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(ODD | FIELD_NAMES, inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(item=st.dictionaries(FIELD_NAMES | ODD, VALUES, max_size=8), key=ODD)
def test_any_json_item_is_written_as_yaml_that_reads_back_as_cleaned(item, key):
    entry = {"id": clean_text(key) or "k", **clean_item(item).entry}
    text = "\n".join(entry_text(entry)) + "\n"
    assert to_plain(parse_yaml(text, "x.yaml")) == [as_read(entry)]
    assert readable_key(item)  # a key whatever the item holds


def test_fields_written_anew_replace_only_their_own_lines(tmp_path: Path):
    """A changed field in its own lines, a new one after the entry's last field; a field of one's
    own, comments and the other entries stay; a changed field's lines with a note in them are
    kept above it as a comment."""
    path = tmp_path / "refs.yaml"
    text = (
        "# my references\n"
        "- id: a\n"
        "  title: Old   # Els: checked against the printed copy\n"
        "  # my own note on a\n"
        "  note: |\n"
        "    # a line of the note, not a comment\n"
        "  publisher: P\n"
        "\n"
        "# about b\n"
        "- id: b   # keep this\n"
        "  title: 'B'\n"
    )
    path.write_text(text, encoding="utf-8")
    written = update_entries(
        path,
        "evidence/refs.yaml",
        {0: {"title": "New", "URL": "https://example.org"}},
        [{"id": "c"}],
    )
    assert path.read_text(encoding="utf-8") == (
        "# my references\n"
        "- id: a\n"
        "  # before 'standpunt evidence import --update':\n"
        "  # title: Old   # Els: checked against the printed copy\n"
        "  title: New\n"
        "  # my own note on a\n"
        "  note: |\n"
        "    # a line of the note, not a comment\n"
        "  publisher: P\n"
        "  URL: https://example.org\n"
        "\n"
        "# about b\n"
        "- id: b   # keep this\n"
        "  title: 'B'\n"
        "\n"
        "- id: c\n"
    )
    assert written.lines == [16]


def test_entries_not_one_per_dash_line_are_not_written_anew(tmp_path: Path):
    path = tmp_path / "refs.yaml"
    path.write_text("[{id: a, title: Old}]\n", encoding="utf-8")
    with pytest.raises(StandpuntError) as caught:
        update_entries(path, "evidence/refs.yaml", {0: {"id": "a", "title": "New"}}, [])
    assert str(caught.value) == (
        "evidence/refs.yaml:1:2: error: evidence/refs.yaml does not hold a list of references "
        "written one per '- id:' line, so they cannot be updated; choose another file with --to "
        "[cannot-update]"
    )
    assert path.read_text(encoding="utf-8") == "[{id: a, title: Old}]\n"
