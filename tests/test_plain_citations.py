"""The finder's fast path for plain texts answers exactly as the full finder, or not at all.

:func:`plain_citations` may decline any text (None); when it answers, the answer must equal
:func:`parsed_citations`' (markdown-it's parse). Held on every text of the finder's own tests,
on hand-picked texts at the edge of its shape, and on generated texts built mostly from the
pieces it accepts, mixed with pieces that must make it decline.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standpunt.cite.finder import FoundCitation, find_citations, parsed_citations
from standpunt.cite.finder.plain import plain_citations


def same_or_declined(text: str) -> bool:
    """Whether the fast path answered; asserts its answer is the full finder's."""
    fast = plain_citations(text)
    if fast is not None:
        assert fast == parsed_citations(text), text
    return fast is not None


def corpus() -> list[str]:
    """Every string written in the finder's tests that holds an '@'."""
    source = (Path(__file__).parent / "test_markdown_citations.py").read_text()
    strings = {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "@" in node.value
    }
    return sorted(strings)


def test_the_finders_test_corpus() -> None:
    texts = corpus()
    assert len(texts) > 100
    for text in texts:
        same_or_declined(text)


def test_the_commonest_shape_is_answered_exactly() -> None:
    text = (
        "Social work stands close to people; it sees [@ref0002, p. 2].\n"
        "\n"
        "Organisations give a voice [@a; @b, pp. 3 4] and carry it further [@c].  \n"
        "Another line [@d]\n"
    )
    assert plain_citations(text) == [
        FoundCitation("ref0002", 1, 46),
        FoundCitation("a", 3, 29),
        FoundCitation("b", 3, 33),
        FoundCitation("c", 3, 68),
        FoundCitation("d", 4, 15),
    ]
    assert find_citations(text) == parsed_citations(text)


@pytest.mark.parametrize(
    "text",
    [
        "a. Item [@a]\n",  # a list marker
        "iv. Item [@a]\n",
        "A) Item [@a]\n",
        "1. Item [@a]\n",
        "    Code [@a]\n",  # indentation
        " Text [@a]\n",
        "# Heading [@a]\n",
        "> Quote [@a]\n",
        "Text\n: definition [@a]\n",
        "Text\n===\n [@a]",
        "Text [@a](http://x)\n",
        "Text [@a][b]\n",
        "Text [@a]{.c}\n",
        "Text [see @a]\n",
        "Text [-@a]\n",
        "Text @a says\n",
        "Text [@a.b]\n",
        "Text *[@a]*\n",
        "Text `[@a]`\n",
        "Text $[@a]$\n",
        "Text \\[@a]\n",
        "Text[@a]\n",
        "Text [@a\n",
        "Text [@a] ]\n",
        "Text ^[note [@a]]\n",
        "Text [^1]\n\n[^1]: Note [@a]\n",
        "Text [@a]\r\nMore\n",
        "Text\u00a0[@a]\n",
        "   \n",
        "(@) Example\n",
        "@a. Example\n",
    ],
)
def test_declines_what_it_cannot_know(text: str) -> None:
    assert plain_citations(text) is None


_WORD = st.sampled_from(
    ["Social", "work", "stands", "é", "Über", "les", "2026", "p.", "coalitions", "a", "iv"]
)
_PUNCT = st.sampled_from([",", ".", ";", "'", "?", "\u2019", "\u201c", "\u2013", " "])
_KEY = st.sampled_from(["a", "ref0002", "B2", "x", "1a"])
_LOCATOR = st.sampled_from(["", ", p. 3", ", pp. 3 4", ", ch. 2.", ", 12"])
_ODD = st.sampled_from(
    ["*", "_", "`", "$", "\\", "<", ">", "(", ")", "{", "}", "#", "-", "|", ":", "/", "!",
     "^", "~", "&", "=", "+", "\t", "[", "]", "@", "[@", "] [", "[x]", "    ", "1. ", "a. "]
)  # fmt: skip


@st.composite
def _group(draw: st.DrawFn) -> str:
    cites = [
        f"@{draw(_KEY)}{draw(_LOCATOR)}" for _ in range(draw(st.integers(min_value=1, max_value=3)))
    ]
    return "[" + "; ".join(cites) + "]"


_PIECE = st.one_of(
    _WORD,
    _WORD,
    _PUNCT,
    _PUNCT,
    _group(),
    st.just(" "),
    st.just("\n"),
    st.just("\n\n"),
    _ODD,
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECE, min_size=1, max_size=40))
def test_generated_texts(pieces: list[str]) -> None:
    text = "".join(pieces)
    if "@" in text:
        same_or_declined(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(_WORD, min_size=1, max_size=6), _PUNCT, _group()),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from(["\n", "\n\n", " ", "  \n"]),
)
def test_generated_texts_in_the_shape(lines: list[tuple[list[str], str, str]], sep: str) -> None:
    """Texts built to be in the shape: answered (not declined), and exactly."""
    text = sep.join(" ".join(words) + punct.strip() + " " + group for words, punct, group in lines)
    starts = [(w, p) for w, p, _ in (lines if "\n" in sep else lines[:1])]
    # each line starts with a word of letters, not followed by a dot (a list marker's shape)
    if all(w[0].isalpha() and (len(w) > 1 or p != ".") for w, p in starts):
        assert same_or_declined(text), text
    else:
        same_or_declined(text)
