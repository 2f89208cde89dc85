"""Redlines: exactly what changed between two versions of a position, as data, text and HTML."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from standpunt.i18n import REDLINE_LABELS
from standpunt.render.template import REDLINE_TEMPLATE, render_html
from standpunt.versions.history import read_at
from standpunt.versions.redline import (
    Counts,
    Rendered,
    cited_ids,
    compare,
    to_text,
    view,
    word_diff,
)
from standpunt.versions.tokens import Work, diff_keys, html_tokens, plain_tokens
from standpunt.workspace.load import parse_yaml, to_plain
from standpunt.workspace.paths import BUILTIN_TEMPLATES
from standpunt.workspace.templates import TemplateSet
from standpunt.workspace.texts import texts

BUILTIN = TemplateSet("default", (BUILTIN_TEMPLATES / "default",))

BODY = (
    "Market logic crowds out care. Providers compete on price, not on quality, and the "
    "people who need care most are served last [@smith2021a].\n\n"
    "Public funding keeps care within reach of everyone."
)


def version(**changes: Any) -> dict[str, Any]:
    """A plain position, with some fields replaced."""
    data: dict[str, Any] = {
        "title": "Care is not a market",
        "subtitle": "Our position on care markets",
        "version": "1.0",
        "status": "draft",
        "summary": "Care needs public funding [@smith2021a].",
        "sections": [
            {"title": "The problem", "body": BODY},
            {"title": "What works", "body": "Cooperatives [@doe2019] do.", "quote": "Care first."},
        ],
        "recommendations": [
            "Fund care publicly.",
            "Cap the profits of care providers at five percent.",
            "Train and pay care workers properly.",
        ],
        "signatories": ["swan"],
    }
    data.update(changes)
    return data


def changed_segments(diff: Any) -> list[tuple[str, str]]:
    return [(op, text) for op, text in diff.segments if op != "equal"]


def inserted(diff: Any) -> list[str]:
    return [text for op, text in diff.segments if op == "insert"]


def deleted(diff: Any) -> list[str]:
    return [text for op, text in diff.segments if op == "delete"]


# --------------------------------------------------------------------------- word diff


def test_one_changed_word_is_one_deletion_and_one_insertion() -> None:
    diff = word_diff("We want public funding now.", "We want private funding now.")
    assert changed_segments(diff) == [("delete", "public"), ("insert", "private")]
    assert "".join(text for op, text in diff.segments if op != "delete") == (
        "We want private funding now."
    )
    assert (diff.inserted, diff.deleted) == (1, 1)


def test_a_changed_sentence_shows_exactly_its_changed_words() -> None:
    new_body = BODY.replace("served last", "served first")
    redline = compare(
        version(),
        version(
            sections=[
                {"title": "The problem", "body": new_body},
                version()["sections"][1],
            ]
        ),
    )
    assert len(redline.sections) == 1
    section = redline.sections[0]
    assert (section.kind, section.old_number, section.new_number) == ("changed", 1, 1)
    assert changed_segments(section.body) == [("delete", "last"), ("insert", "first")]
    assert not section.title.changed
    assert redline.counts == Counts(words_inserted=1, words_deleted=1, sections_changed=1)
    assert not (redline.summary or redline.asks or redline.evidence or redline.changed_fields)


def test_whitespace_alone_is_no_change_but_a_new_paragraph_is() -> None:
    rewrapped = BODY.replace("compete on price,", "compete on\n  price,")
    assert not word_diff(BODY, rewrapped).changed
    assert not compare(
        version(),
        version(
            sections=[
                {"title": " The  problem ", "body": rewrapped},
                version()["sections"][1],
            ]
        ),
    ).changed

    split = word_diff("One. Two.", "One.\n\nTwo.")
    assert changed_segments(split) == [("insert", "\n\n")]
    assert (split.inserted, split.deleted) == (0, 0)
    assert "{+¶+}" in to_text(compare({"summary": "One. Two."}, {"summary": "One.\n\nTwo."}))


def test_words_keep_their_spacing_around_changes() -> None:
    assert word_diff("a b c", "a c").segments == (
        ("equal", "a "),
        ("delete", "b"),
        ("equal", " c"),
    )
    assert word_diff("a b c", "a b").segments == (("equal", "a b "), ("delete", "c"))
    assert word_diff("b", "a b").segments == (("insert", "a"), ("equal", " b"))
    assert word_diff("", "").segments == ()


def test_punctuation_and_citation_keys_are_their_own_tokens() -> None:
    diff = word_diff("funding [@smith2021a].", "funding [@smith2021b]!")
    assert changed_segments(diff) == [
        ("delete", "smith2021a"),
        ("insert", "smith2021b"),
        ("delete", "."),
        ("insert", "!"),
    ]
    assert (diff.inserted, diff.deleted) == (1, 1)  # punctuation is not counted as words
    assert changed_segments(word_diff("co-operation", "cooperation")) == [
        ("delete", "co-operation"),
        ("insert", "cooperation"),
    ]


words = st.lists(st.sampled_from(["care", "market", "public", "funding", ",", ".", "é"]))


@given(words, words, st.sampled_from([" ", "\n", "  ", "\n\n"]))
def test_the_diff_keeps_every_word_of_both_sides(old: list[str], new: list[str], sep: str) -> None:
    diff = word_diff(sep.join(old), sep.join(new))
    kept_old = "".join(text for op, text in diff.segments if op != "insert")
    kept_new = "".join(text for op, text in diff.segments if op != "delete")
    assert kept_old.split() == " ".join(old).split()
    assert kept_new.split() == " ".join(new).split()
    assert diff.changed == (old != new)


# --------------------------------------------------------------------------- the parts


def test_title_subtitle_status_and_label_changes() -> None:
    redline = compare(
        version(),
        version(title="Care is not for sale", subtitle=None, status="adopted", version="1.1"),
    )
    assert redline.title is not None
    assert changed_segments(redline.title.diff) == [("delete", "a market"), ("insert", "for sale")]
    assert redline.subtitle is not None and redline.subtitle.new is None
    assert redline.status is not None
    assert (redline.status.old, redline.status.new) == ("draft", "adopted")
    assert redline.version is not None
    assert (redline.version.old, redline.version.new) == ("1.0", "1.1")
    # Words count in the text (title, subtitle), not in status or label.
    assert (redline.counts.words_inserted, redline.counts.words_deleted) == (2, 2 + 5)


def test_a_missing_status_is_a_draft() -> None:
    old = version()
    del old["status"]
    assert compare(old, version()).status is None
    assert compare(old, version(status="adopted")).status is not None


def test_asks_added_removed_and_changed() -> None:
    old = version()
    new = version(
        recommendations=[
            "Fund care publicly.",
            "Cap the profits of all care providers at three percent.",
            "Publish waiting lists every month.",
        ]
    )
    redline = compare(old, new)
    kinds = [(a.kind, a.old_number, a.new_number) for a in redline.asks]
    assert kinds == [("changed", 2, 2), ("removed", 3, None), ("added", None, 3)]
    changed = redline.asks[0].diff
    assert changed_segments(changed) == [
        ("insert", "all"),
        ("delete", "five"),
        ("insert", "three"),
    ]
    assert deleted(redline.asks[1].diff) == ["Train and pay care workers properly."]
    assert inserted(redline.asks[2].diff) == ["Publish waiting lists every month."]
    counts = redline.counts
    assert (counts.asks_added, counts.asks_removed, counts.asks_changed) == (1, 1, 1)


def test_an_ask_inserted_at_the_top_shifts_nothing_else() -> None:
    old = version()
    new = version(recommendations=["Listen to care workers.", *old["recommendations"]])
    redline = compare(old, new)
    assert [(a.kind, a.new_number) for a in redline.asks] == [("added", 1)]


def test_sections_renamed_added_and_removed() -> None:
    old = version()
    new = version(
        sections=[
            {"title": "Why markets fail care", "body": BODY},  # renamed
            {"title": "A new section", "body": "All new text.", "quote": "New quote."},
        ]
    )
    redline = compare(old, new)
    kinds = [(s.kind, s.old_number, s.new_number) for s in redline.sections]
    assert kinds == [("changed", 1, 1), ("removed", 2, None), ("added", None, 2)]
    renamed, removed, added = redline.sections
    assert changed_segments(renamed.title) == [
        ("delete", "The problem"),
        ("insert", "Why markets fail care"),
    ]
    assert not renamed.body.changed
    assert deleted(removed.body) == ["Cooperatives [@doe2019] do."]
    assert removed.quote is not None and deleted(removed.quote) == ["Care first."]
    assert inserted(added.body) == ["All new text."]
    counts = redline.counts
    assert (counts.sections_changed, counts.sections_added, counts.sections_removed) == (1, 1, 1)
    assert counts.words_inserted == 4 + 3 + 3 + 2  # new title, new section's title, body, quote


def test_a_section_inserted_before_others_is_matched_by_title() -> None:
    old = version()
    new = version(sections=[{"title": "Context", "body": "Some context."}, *old["sections"]])
    assert [(s.kind, s.new_number) for s in compare(old, new).sections] == [("added", 1)]


def test_evidence_added_and_removed_with_titles() -> None:
    item = SimpleNamespace(csl={"title": "Coalitions and policy"})  # like an EvidenceItem
    redline = compare(
        version(),
        version(),
        {"smith2021a": {"title": "First report"}, "doe2019": item},
        {"smith2021a": "First report", "new2024": "A new study", "bare2020": None},
    )
    found = [(e.kind, e.id, e.title) for e in redline.evidence]
    assert found == [
        ("added", "bare2020", None),
        ("added", "new2024", "A new study"),
        ("removed", "doe2019", "Coalitions and policy"),
    ]
    assert (redline.counts.evidence_added, redline.counts.evidence_removed) == (2, 1)
    ids_only = compare(version(), version(), {"a", "b"}, ["b", "c"])
    assert [(e.kind, e.id) for e in ids_only.evidence] == [("added", "c"), ("removed", "a")]


def test_cited_ids() -> None:
    assert cited_ids(version()) == {"smith2021a", "doe2019"}
    assert cited_ids(version(recommendations=["See @new2024 and write to info@saamo.be."])) == {
        "smith2021a",
        "doe2019",
        "new2024",
    }
    assert cited_ids(None) == set()
    assert cited_ids({"sections": "not a list", "recommendations": {"odd": "[@x]"}}) == {"x"}


FULL = {
    "title": "T",
    "subtitle": "S",
    "summary": "Su",
    "sections": [{"title": "ST", "body": "SB", "quote": "SQ"}],
    "recommendations": ["R"],
}


def with_text(position: dict[str, Any], path: tuple[str | int, ...], value: str) -> Any:
    """A copy of ``position`` with the text at ``path`` replaced."""
    changed: Any = json.loads(json.dumps(position))
    container = changed
    for step in path[:-1]:
        container = container[step]
    container[path[-1]] = value
    return changed


def test_every_declared_text_shows_in_the_redline() -> None:
    """Whatever workspace/texts.py declares a text is compared: a text added there must be
    shown here too."""
    for text in texts(FULL, markdown_only=False):
        redline = compare(FULL, with_text(FULL, text.path, text.value + " extra"))
        assert redline.counts.words_inserted == 1, text.key
        assert "{+extra+}" in to_text(redline), text.key
        assert "<ins>extra</ins>" in page(redline), text.key


def test_every_declared_markdown_text_may_cite() -> None:
    for text in texts(FULL):
        assert cited_ids(with_text(FULL, text.path, "See [@k2024].")) == {"k2024"}, text.key
    titles = [t for t in texts(FULL, markdown_only=False) if not t.markdown]
    assert titles
    for text in titles:
        assert cited_ids(with_text(FULL, text.path, "See [@k2024].")) == set(), text.key


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (None, version()),
        (version(), None),
        (None, None),
        ("just text", ["a", "list"]),
        ({"sections": "text instead of a list"}, {"sections": [None, 3, ["a"], {"body": 5}]}),
        ({"recommendations": "one ask"}, {"recommendations": {"not": "a list"}}),
        ({"title": ["a", "list"], "status": 7}, {"title": {"a": "b"}, "summary": ["x", None]}),
    ],
)
def test_invalid_or_partial_versions_do_not_crash(old: Any, new: Any) -> None:
    redline = compare(old, new, None, None)
    assert isinstance(to_text(redline), str)
    assert "<main>" in page(redline)
    assert isinstance(asdict(redline), dict)


def test_a_new_position_is_all_insertion() -> None:
    redline = compare(None, version(), set(), cited_ids(version()))
    assert redline.counts.words_deleted == 0
    assert redline.counts.sections_added == 2 and redline.counts.asks_added == 3
    assert redline.status is not None and redline.status.old is None


# --------------------------------------------------------------------------- renderers


def sample() -> Any:
    old = version(summary="Care needs <script>alert(1)</script> funding.")
    new = version(
        summary="Care needs <script>alert(2)</script> funding.",
        status="adopted",
        recommendations=[*version()["recommendations"], "Ban \x1b[31mprofit."],
    )
    return compare(old, new, {"a"}, {"b": "B & co"}, before="a1b2c3d", after="working tree")


def test_text_renderer_marks_changes_like_git_word_diff() -> None:
    text = to_text(sample(), color=False)
    assert "From a1b2c3d to working tree" in text
    assert "Status: [-draft-] → {+adopted+}" in text
    assert "Care needs <script>alert([-1-]{+2+})</script> funding." in text
    assert "Ask 4 (added): {+Ban \ufffd[31mprofit.+}" in text
    assert "{+b+} — B & co" in text and "[-a-]" in text
    assert re.search(r"Words inserted +3\n", text)  # "2", "Ban" and "31mprofit"
    assert "\x1b" not in text  # no colour asked, and none smuggled in by the position


def test_text_renderer_in_colour() -> None:
    text = to_text(sample(), color=True)
    assert "\x1b[31m[-1-]\x1b[m\x1b[32m{+2+}\x1b[m" in text
    assert "\x1b[31mprofit" not in text


def test_no_changes() -> None:
    redline = compare(version(), version())
    assert not redline.changed and redline.counts == Counts()
    assert "No changes." in to_text(redline)
    assert "<p>No changes.</p>" in page(redline)


def page(redline: Any, labels: dict[str, str] | None = None, medium: str = "screen") -> str:
    """The redline's page as the built-in template ``redline.html`` renders it, in its sandbox."""
    shown = view(redline, labels)
    context = {
        "lang": redline.lang,
        "medium": medium,
        "labels": shown["labels"],
        "generator": "Standpunt test",
        "stylesheet": "",
        "organisation": {"name": "SAAMO", "short": "SAAMO"},
        "position": {"id": "care", "title": "Care is not a market"},
        "redline": shown,
    }
    return render_html(BUILTIN, context, REDLINE_TEMPLATE)


def test_the_page_escapes_everything_and_marks_changes() -> None:
    html = page(sample())
    assert "<script>" not in html
    assert "&lt;script&gt;alert(<del>1</del><ins>2</ins>)&lt;/script&gt;" in html
    assert "<del>draft</del> → <ins>adopted</ins>" in html
    assert "<ins>B &amp; co</ins> (b)" in html
    assert "\x1b" not in html
    assert "<tr><th>Asks added</th><td>1</td></tr>" in html
    # Counts that are zero are left out, but for the words.
    assert "<tr><th>Words deleted</th><td>1</td></tr>" in html and "Sections added" not in html
    # The head names both versions and holds the legend, before the overview and the parts.
    assert "<tr><th>Earlier version</th><td>a1b2c3d</td></tr>" in html
    assert "<tr><th>This version</th><td>working tree</td></tr>" in html
    assert "How to read: <ins>inserted</ins> <del>deleted</del>" in html
    assert html.index("rl-legend") < html.index("rl-counts") < html.index("<h2>Summary</h2>")


def test_insertions_and_deletions_stay_apart_in_greyscale() -> None:
    """Underlined and struck through, not told apart by colour alone."""
    template = (BUILTIN.folders[0] / REDLINE_TEMPLATE).read_text(encoding="utf-8")
    ins = re.search(r"^ins \{([^}]*)\}", template, re.M)
    deleted = re.search(r"^del \{([^}]*)\}", template, re.M)
    assert ins and "text-decoration: underline" in ins.group(1) and "color" in ins.group(1)
    assert deleted and "line-through" in deleted.group(1) and "color" in deleted.group(1)


def test_labels_can_be_translated_and_overridden() -> None:
    labels = {
        "redline_heading": "Wat is er echt veranderd",
        "redline_versions": "Van {before} naar {after} {unknown} {before.__class__}",
    }
    redline = compare(
        version(), version(status="adopted", recommendations=["A", "B", "C", "D"]), lang="nl"
    )
    html = page(redline, labels)
    assert "<h2>Wat is er echt veranderd</h2>" in html
    assert "<del>ontwerp</del> → <ins>goedgekeurd</ins>" in html
    assert '<span class="rl-tag">Vraag 4 · toegevoegd</span>' in html
    text = to_text(compare(version(), version(), lang="nl"), labels=labels)
    assert text == "Wat is er echt veranderd\nGeen wijzigingen.\n"
    named = compare(version(), version(), lang="nl", before="a", after="b")
    assert "Van a naar b {unknown} {before.__class__}" in to_text(named, labels=labels)


@pytest.mark.parametrize("lang", ["nl", "fr", "de", "en"])
def test_every_redline_label_is_in_each_language(lang: str) -> None:
    """The catalogue holds every label the redline shows in each of our languages, each its
    own (no English left in another language but where the words are the same)."""
    assert set(REDLINE_LABELS[lang]) == set(REDLINE_LABELS["en"])
    if lang != "en":
        same = {k for k, v in REDLINE_LABELS[lang].items() if v == REDLINE_LABELS["en"][k]}
        assert same <= {"redline_status", "redline_version", "redline_revision"}, same


def test_the_shown_html_is_well_formed() -> None:
    from xml.etree import ElementTree

    shown = view(sample())
    fragments = [
        segment["html"]
        for part in [shown["summary"], *(ask["text"] for ask in shown["asks"])]
        for block in part
        for segment in block["segments"]
    ]
    assert fragments
    for fragment in fragments:
        ElementTree.fromstring(f"<x>{fragment}</x>")


# --------------------------------------------------------------------------- through git


def test_one_sentence_changed_between_two_commits(tmp_path: Path) -> None:
    """Commit a position, change one sentence, commit: exactly the changed words differ."""
    top = tmp_path / "repo"
    file = top / "positions/care.yaml"
    file.parent.mkdir(parents=True)
    env = {
        **os.environ,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "A",
        "GIT_AUTHOR_EMAIL": "a@example.org",
        "GIT_COMMITTER_NAME": "A",
        "GIT_COMMITTER_EMAIL": "a@example.org",
        "GIT_AUTHOR_DATE": "@1772366400 +0000",
        "GIT_COMMITTER_DATE": "@1772366400 +0000",
    }

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=top, env=env, check=True, capture_output=True)

    text = (
        "title: Care is not a market\n"
        "sections:\n"
        "  - title: The problem\n"
        "    body: |\n"
        "      Market logic crowds out care. Providers compete on price.\n"
        "      Public funding keeps care within reach.\n"
    )
    git("init", "-q")
    file.write_text(text, encoding="utf-8")
    git("add", "-A")
    git("commit", "-q", "-m", "First")
    file.write_text(text.replace("compete on price", "compete on cost alone"), encoding="utf-8")
    git("commit", "-q", "-a", "-m", "Second")

    old, new = (
        to_plain(parse_yaml(read_at(top, rev, file), "positions/care.yaml"))
        for rev in ("HEAD~1", "HEAD")
    )
    redline = compare(old, new)
    assert [changed_segments(s.body) for s in redline.sections] == [
        [("delete", "price"), ("insert", "cost alone")]
    ]
    assert (redline.counts.words_inserted, redline.counts.words_deleted) == (2, 1)
    assert "Providers compete on [-price-]{+cost alone+}." in to_text(redline)


def test_a_namespace_is_not_mistaken_for_evidence() -> None:
    # Anything that is not a mapping or has no csl dict is shown by id only.
    redline = compare(version(), version(), {}, {"x": SimpleNamespace(csl=None)})
    assert [(e.id, e.title) for e in redline.evidence] == [("x", None)]


# --------------------------------------------------------------------------- tokens


def test_numbers_and_dates_are_single_tokens() -> None:
    keys = [t.key for t in plain_tokens("5.000 1.234,56 12-03-2026 2026-03-12 12/03 3,5% 2de.")]
    assert keys == [
        "5.000",
        "1.234,56",
        "12-03-2026",
        "2026-03-12",
        "12/03",
        "3,5",
        "%",
        "2de",
        ".",
    ]
    diff = word_diff("Een budget van 5.000 euro.", "Een budget van 7.500 euro.")
    assert changed_segments(diff) == [("delete", "5.000"), ("insert", "7.500")]
    assert (diff.inserted, diff.deleted) == (1, 1)
    french = word_diff("Un budget de 5\u202f000 euros.", "Un budget de 7\u202f500 euros.")
    assert changed_segments(french) == [("delete", "5\u202f000"), ("insert", "7\u202f500")]


def test_rendered_text_keeps_emphasis_and_each_citation_whole() -> None:
    html = (
        '<p>Zorg is <strong>publiek</strong> <span class="citation" data-cites="a">'
        '(<a href="#ref-a">Smith, 2021</a>)</span>.</p>\n<ul>\n<li>Een</li>\n<li>Twee'
        '<span class="footnote" id="fn-1">Een <em>noot</em>.</span></li>\n</ul>'
    )
    tokens = html_tokens(html)
    assert [(t.key, t.html) for t in tokens if not t.is_break] == [
        ("Zorg", "Zorg"),
        ("is", "is"),
        ("strong|publiek", "<strong>publiek</strong>"),
        ("\x00cite:(Smith, 2021)", '<span class="redline-cite">(<span>Smith, 2021</span>)</span>'),
        (".", "."),
        ("Een", "Een"),
        ("Twee", "Twee"),
        ("\x00note:Een noot.", '<span class="redline-note">Een <em>noot</em>.</span>'),
    ]
    assert [t.block for t in tokens if t.is_break] == ["p", "li", "li"]


def test_a_rendered_citation_changed_is_one_deletion_and_one_insertion() -> None:
    old = Rendered("x", '<p>Zorg <span class="citation">(Smith, 2021a)</span>.</p>')
    new = Rendered("x", '<p>Zorg <em>nu</em> <span class="citation">(Doe, 2019)</span>.</p>')
    diff = word_diff(old, new)
    assert changed_segments(diff) == [("delete", "(Smith, 2021a)"), ("insert", "nu (Doe, 2019)")]
    assert (diff.inserted, diff.deleted) == (2, 1)
    (block,) = diff.blocks
    assert block.segments == (
        ("equal", "Zorg "),
        ("delete", '<span class="redline-cite">(Smith, 2021a)</span>'),
        ("insert", '<em>nu</em> <span class="redline-cite">(Doe, 2019)</span>'),
        ("equal", "."),
    )


def test_markup_smuggled_into_rendered_text_stays_text() -> None:
    tokens = html_tokens('<p onclick="x">a <script>alert(1)</script><img src=x onerror=y>b</p>')
    assert [t.html for t in tokens if not t.is_break] == ["a", "b"]
    assert [t.html for t in html_tokens("<p>&lt;b&gt;</p>")[1:]] == ["&lt;", "b", "&gt;"]


def test_a_paragraph_split_or_joined_is_marked_with_its_own_sign() -> None:
    split = word_diff("Een twee. Drie vier.", "Een twee.\n\nDrie vier.")
    assert [block.segments for block in split.blocks] == [
        (("equal", "Een twee."), ("insert", "¶")),
        (("equal", "Drie vier."),),
    ]
    joined = word_diff("Een twee.\n\nDrie vier.", "Een twee. Drie vier.")
    assert [block.segments for block in joined.blocks] == [
        (("equal", "Een twee. "), ("delete", "¶")),
        (("equal", "Drie vier."),),
    ]


# --------------------------------------------------------------------------- bounded work


@given(st.lists(st.sampled_from("abc")), st.lists(st.sampled_from("abc")))
def test_the_diff_is_a_shortest_edit_script(a: list[str], b: list[str]) -> None:
    codes = diff_keys(a, b, Work(), 10**9)
    assert codes is not None
    rebuilt: list[str] = []
    at = (0, 0)
    for op, i1, i2, j1, j2 in codes:
        assert (i1, j1) == at
        at = (i2, j2)
        if op == "equal":
            assert a[i1:i2] == b[j1:j2]
        rebuilt += b[j1:j2]
    assert at == (len(a), len(b)) and rebuilt == b
    edits = sum(i2 - i1 + j2 - j1 for op, i1, i2, j1, j2 in codes if op != "equal")
    # The longest common subsequence, the textbook way.
    lcs = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) - 1, -1, -1):
        for j in range(len(b) - 1, -1, -1):
            lcs[i][j] = lcs[i + 1][j + 1] + 1 if a[i] == b[j] else max(lcs[i + 1][j], lcs[i][j + 1])
    assert edits == len(a) + len(b) - 2 * lcs[0][0]


def rewritten(words: int, seed: int) -> str:
    """A text of ``words`` words from a small vocabulary (many repeats: the hard case for a
    diff), in paragraphs of 60 words."""
    import random

    pick = random.Random(seed).choice
    vocabulary = ["zorg", "markt", "5.000", "de", "het", "en", "werk", "beleid", "niet", "of"]
    chosen = [pick(vocabulary) for _ in range(words)]
    return "\n\n".join(" ".join(chosen[i : i + 60]) for i in range(0, words, 60))


def test_a_text_rewritten_beyond_the_budget_is_compared_by_paragraphs_and_says_so() -> None:
    old = {"summary": rewritten(3000, 1) + "\n\nDit blijft staan."}
    new = {"summary": rewritten(3000, 2) + "\n\nDit blijft staan."}
    redline = compare(old, new, lang="nl")
    assert redline.coarse and redline.summary is not None and redline.summary.coarse
    # The equal last paragraph is kept; everything changed is shown whole.
    assert redline.summary.blocks[-1].segments == (("equal", "Dit blijft staan."),)
    text = to_text(redline)
    assert "te sterk gewijzigd om woord voor woord te vergelijken" in text
    assert "Sommige passages" in page(redline)
    assert not compare(old, {"summary": old["summary"] + " Nieuw."}).coarse


def test_the_work_of_a_comparison_grows_linearly_with_the_text() -> None:
    """Counted, not timed: twice the words, about twice the steps, whatever the edits."""
    for edit in ("rewrite", "few"):
        work = []
        for words in (6000, 12000):
            old = {"sections": [{"title": "T", "body": rewritten(words, 1)}]}
            body = rewritten(words, 2) if edit == "rewrite" else rewritten(words, 1)[:-20] + " x"
            work.append(compare(old, {"sections": [{"title": "T", "body": body}]}).work)
        assert work[1] <= 2.2 * work[0], (edit, work)
        assert work[1] <= 120 * 2 * 12000, (edit, work)  # a bound in the tokens compared


def test_a_citation_in_a_note_style_is_shown_as_a_note() -> None:
    html = (
        '<p>Zorg.<span class="citation" data-cites="a"><span class="footnote" id="fn-1">'
        "J. Smith, <em>Report</em> (2021).</span></span></p>"
    )
    (note,) = [t for t in html_tokens(html) if t.key.startswith("\x00")]
    assert note.key == "\x00note:J. Smith, Report (2021)."
    assert (
        note.html
        == '<span class="redline-note"><span>J. Smith, <em>Report</em> (2021).</span></span>'
    )


def test_a_committed_revision_is_dated_as_its_pdf_is() -> None:
    """By the position's own ``date:`` (the date its PDF prints), not its commit's date; without
    one, by the commit's; a working copy not committed is called one."""
    from standpunt.build.diff import _Side
    from standpunt.i18n import labels as labels_in

    labels = labels_in("nl")
    dated = {"version": "1.0", "date": "2026-03-12"}
    assert _Side(dated, None, dt.date(2026, 12, 6)).name(labels, "nl") == (
        "Versie 1.0 — 12 maart 2026"
    )
    assert _Side({"version": "1.0"}, None, dt.date(2026, 12, 6)).name(labels, "nl") == (
        "Versie 1.0 — 6 december 2026"
    )
    assert _Side({**dated, "date": "not a date"}, None, dt.date(2026, 12, 6)).name(
        labels, "nl"
    ) == ("Versie 1.0 — 6 december 2026")
    assert (
        _Side(dated, None, None).name(labels, "nl") == "Versie 1.0 — werkversie (niet vastgelegd)"
    )
