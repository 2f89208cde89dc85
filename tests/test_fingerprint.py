"""Fingerprints: the same words give the same fingerprint, whatever the YAML looks like."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import EVIDENCE, POSITION
from standpunt.coalition.fingerprint import (
    FORMAT_VERSION,
    canonical_content,
    fingerprint,
    normalise_text,
    position_fingerprint,
    short,
    workspace_fingerprints,
)
from standpunt.errors import StandpuntError
from standpunt.workspace.load import parse_yaml
from standpunt.workspace.read import open_workspace
from standpunt.workspace.texts import ASKS, POSITION_FIELDS, SECTION_FIELDS, SECTIONS, texts


def fp(text: str, evidence: dict[str, dict[str, object]] | None = None) -> str:
    return fingerprint(parse_yaml(text, "positions/care.yaml"), evidence or {})


def fp_ws(root: Path, position: str = "care") -> str:
    return position_fingerprint(open_workspace(root), position)


BASE = fp(POSITION)

# The conftest position written other ways: each gives exactly the same strings.
REFORMATTED = {
    "indentation, key order, comments, quoting, flow lists": """\
# Our position on care, reformatted
sections:
    -   body: "Market logic crowds out care [@smith2021a; @smith2021b, p. 4].\\nAs @doe2019 \\
          shows, coalitions matter."
        title: 'The problem'   # the first section
signatories:
    - swan
recommendations: ["Fund care publicly [@doe2019]."]
status: adopted
summary: >-
    Care needs public funding
    [@smith2021a].
title: "Care is not a market"
date: 2026-03-01
lang: en
""",
    "keep and strip chomping, folded paragraphs, trailing spaces": """\
title: Care is not a market
lang: en
date: 2026-03-01
status: adopted
summary: "Care needs public
  funding [@smith2021a]."
sections:
  - title: >
      The problem
    body: |+
      Market logic crowds out care [@smith2021a; @smith2021b, p. 4].   \n\
      As @doe2019 shows,   coalitions matter.


recommendations:
  - |-
    Fund care publicly [@doe2019].
signatories: [swan]
""",
    "folded body": """\
title:   Care is not a market
summary: Care needs public funding [@smith2021a].
sections:
- body: >
    Market logic crowds out care [@smith2021a; @smith2021b, p. 4].

    As @doe2019 shows, coalitions matter.
  title: The problem
recommendations:
- Fund care publicly [@doe2019].
""",
}


@pytest.mark.parametrize("text", REFORMATTED.values(), ids=REFORMATTED.keys())
def test_reformatting_keeps_the_fingerprint(text):
    assert fp(text) == BASE


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("crowds out care", "crowds out kindness"),  # a word in a body
        ("Fund care publicly", "Fund care privately"),  # a word in an ask
        ("Care needs public funding", "Care needs public money"),  # the summary
        ("The problem", "The issue"),  # a section title
        ("Care is not a market", "Care is a market"),  # the title
        ("p. 4]", "p. 5]"),  # a page in a citation
        ("@smith2021a; @smith2021b", "@smith2021b; @smith2021a"),  # citation order
        ("lang: en\n", "lang: en\nsubtitle: Why it matters\n"),
        ("    body: |", "    quote: Care is work.\n    body: |"),
        ("  - Fund care", "  - Tax wealth.\n  - Fund care"),  # one more ask
        ("coalitions matter.\n", "coalitions matter.\n\n      They do.\n"),
    ],
)
def test_a_changed_word_changes_the_fingerprint(old, new):
    assert old in POSITION
    assert fp(POSITION.replace(old, new)) != BASE


def test_the_order_of_the_asks_counts():
    asks = "  - Fund care publicly [@doe2019].\n"
    first = POSITION.replace(asks, asks + "  - Tax wealth.\n")
    second = POSITION.replace(asks, "  - Tax wealth.\n" + asks)
    assert first != second
    assert fp(first) != fp(second)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("status: adopted", "status: draft"),
        ("status: adopted", "status: withdrawn"),
        ("date: 2026-03-01", "date: 2027-01-15"),
        ("lang: en", "lang: nl"),
        ("lang: en\n", ""),
        ("lang: en\n", "lang: en\nversion: '2.0'\n"),
        ("lang: en\n", "lang: en\nauthors: [An Peeters]\n"),
        ("lang: en\n", "lang: en\ntags: [care, funding]\n"),
        ("signatories: [swan]", "signatories: [swan, hbh]"),
        ("signatories: [swan]\n", ""),
        ("recommendations:\n  - Fund care publicly [@doe2019].\n", "recommendations: []\n"),
    ],
)
def test_what_a_signer_does_not_approve_is_not_covered(old, new):
    assert old in POSITION
    changed = POSITION.replace(old, new)
    if "recommendations: []" in new:  # an empty list reads as no list
        assert fp(changed) == fp(POSITION.replace(old, ""))
    else:
        assert fp(changed) == BASE


def test_unicode_is_compared_in_nfc():
    word = "Zorg is geen markt, één standpunt"
    nfd = unicodedata.normalize("NFD", word)
    assert nfd != word
    assert fp(POSITION.replace("Care is not a market", word)) == fp(
        POSITION.replace("Care is not a market", nfd)
    )


def test_blank_lines_collapse_but_paragraphs_and_indentation_count():
    assert normalise_text("a\n\n\n\nb  \n") == "a\n\nb"
    assert normalise_text("a\nb") != normalise_text("a\n\nb")  # two paragraphs, not one
    assert normalise_text("- a\n    - b") != normalise_text("- a\n- b")  # a nested list


@given(st.text())
def test_normalising_twice_changes_nothing(text):
    once = normalise_text(text)
    assert normalise_text(once) == once


def test_format_and_short_form():
    assert BASE.startswith("sha256:")
    assert len(BASE) == len("sha256:") + 64
    assert short(BASE) == BASE[: len("sha256:") + 16]
    assert short(short(BASE)) == short(BASE)


def test_the_hashed_bytes_are_versioned_canonical_json():
    raw = parse_yaml("title: T\nsections:\n  - {title: S, body: B}\n", "p.yaml")
    item = {"id": "x", "title": "X", "quote": "mine", "note": "ours"}
    data = canonical_content(raw, {"x": item})
    assert data == (
        b'{"evidence":{"x":{"id":"x","title":"X"}},"fingerprint":2,'
        b'"position":{"sections":[{"body":"B","title":"S"}],"title":"T"}}'
    )
    assert json.loads(data)["fingerprint"] == 2
    assert fingerprint(raw, {"x": {"id": "x", "title": "X"}}) == (
        "sha256:" + hashlib.sha256(data).hexdigest()
    )


def test_every_declared_text_is_covered_and_format_2_is_pinned():
    """The fingerprint covers the texts workspace/texts.py declares. Format 2 covers exactly
    these (and evidence without its internal note and quote): a text added there changes every
    fingerprint, so FORMAT_VERSION must go up with it (and this test with them)."""
    assert FORMAT_VERSION == 2
    assert (POSITION_FIELDS, SECTIONS, SECTION_FIELDS, ASKS) == (
        (("title", False), ("subtitle", False), ("summary", True)),
        "sections",
        (("title", False), ("body", True), ("quote", True)),
        "recommendations",
    )
    position = {
        "title": "T",
        "subtitle": "S",
        "summary": "Su",
        "sections": [{"title": "ST", "body": "SB", "quote": "SQ"}],
        "recommendations": ["R"],
    }
    full = canonical_content(position, {})
    for text in texts(position, markdown_only=False):
        changed = json.loads(json.dumps(position))
        *parents, last = text.path
        container = changed
        for step in parents:
            container = container[step]
        container[last] = text.value + " more"
        assert canonical_content(changed, {}) != full, text.key


def test_evidence_order_and_internal_fields_do_not_count():
    """quote and note stay inside the organisation (a PDF does not carry them), so a text
    checked from what a PDF carries must have the same fingerprint without them."""
    a = {"id": "a", "title": "A"}
    b = {"id": "b", "title": "B"}
    assert fp(POSITION, {"a": a, "b": b}) == fp(POSITION, {"b": b, "a": a})
    assert fp(POSITION, {"a": a}) == fp(POSITION, {"a": {**a, "quote": "the key passage"}})
    assert fp(POSITION, {"a": a}) == fp(POSITION, {"a": {**a, "note": "replace before print"}})
    assert fp(POSITION, {"a": a}) != fp(POSITION, {"a": {**a, "abstract": "Printed by some"}})
    assert fp(POSITION, {"a": a}) != fp(POSITION, {"a": {**a, "title": "A!"}})


def test_workspace_fingerprint_follows_the_cited_evidence(make_workspace):
    root = make_workspace()
    base = fp_ws(root)
    refs = root / "evidence/refs.yaml"

    refs.write_text(EVIDENCE.replace("First report on care", "First report on cure"))
    assert fp_ws(root) != base
    refs.write_text(EVIDENCE.replace("volume: 12", "volume: 13"))
    assert fp_ws(root) != base

    # Other ways to write the same data, an advocate's quote, and evidence nobody cites.
    refs.write_text(
        EVIDENCE.replace("- family: Doe\n      given: Alex", "- Doe, Alex")
        .replace("issued: 2019-05", "issued: {date-parts: [[2019, 5]]}")
        .replace("  URL: https://example.org/first", "  URL: https://example.org/first\n  quote: x")
        + "- id: other2020\n  title: Nobody cites this\n"
    )
    assert fp_ws(root) == base


def test_evidence_moved_to_csl_json_keeps_the_fingerprint(make_workspace):
    root = make_workspace()
    base = fp_ws(root)
    items = [
        {
            "id": "smith2021a",
            "type": "report",
            "title": "First report on care markets",
            "author": [{"family": "Smith", "given": "Jane"}],
            "issued": {"date-parts": [[2021]]},
            "publisher": "Test Institute",
            "URL": "https://example.org/first",
        }
    ]
    (root / "evidence/refs.json").write_text(json.dumps(items))
    rest = EVIDENCE[EVIDENCE.index("- id: smith2021b") :]
    (root / "evidence/refs.yaml").write_text(rest)
    workspace = open_workspace(root)
    assert not workspace.problems.errors
    assert position_fingerprint(workspace, "care") == base


def test_workspace_fingerprints_and_unknown_position(make_workspace):
    root = make_workspace({"positions/broken.yaml": "title: [unclosed\n"})
    workspace = open_workspace(root)
    assert workspace_fingerprints(workspace) == {"care": fp_ws(root)}
    with pytest.raises(StandpuntError) as caught:
        position_fingerprint(workspace, "cair")
    assert caught.value.code == "unknown-position"
    assert "did you mean 'care'" in caught.value.message
    with pytest.raises(StandpuntError) as caught:
        position_fingerprint(workspace, "broken")
    assert caught.value.code == "unreadable-position"
