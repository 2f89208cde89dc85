"""Citations found in process by ``standpunt.cite.finder`` must be exactly those pandoc finds.

The unit tests pin keys, lines and columns of every form; the equivalence test generates
hundreds of varied Markdown documents and compares our citations, in order and with their
narrative/suppress-author reading, with the citations in pandoc's own AST of each document.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import Any

import pytest

from standpunt.cite.finder import FoundCitation, find_citations, lookahead, raw
from standpunt.cite.finder import keys as citation_keys
from standpunt.pandoc import MARKDOWN_FORMAT, run_pandoc

# --------------------------------------------------------------------------------------------
# pandoc as the oracle
# --------------------------------------------------------------------------------------------


def pandoc_citations(text: str) -> list[tuple[str, str]]:
    """``(citationId, citationMode)`` of every citation in pandoc's AST, in document order.

    A Cite node's second field is its rendered text (plain strings only), so it is not
    searched; a citation's prefix and suffix can hold further citations and are searched,
    before and after its own key. Notes are searched where pandoc puts them: at their
    reference.
    """
    ast = json.loads(run_pandoc(["-f", MARKDOWN_FORMAT, "-t", "json"], text))
    found: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            if node.get("t") == "Cite":
                for citation in node["c"][0]:
                    walk(citation["citationPrefix"])
                    found.append((citation["citationId"], citation["citationMode"]["t"]))
                    walk(citation["citationSuffix"])
                return
            for value in node.values():
                walk(value)

    walk(ast["blocks"])
    return found


def pandoc_citation_keys(text: str) -> list[str]:
    """The ``citationId`` of every citation pandoc finds in ``text``, in document order."""
    return [key for key, _ in pandoc_citations(text)]


def mode(ref: FoundCitation) -> str:
    """Our reading of a citation, as pandoc's ``citationMode``."""
    if ref.suppress_author:
        return "SuppressAuthor"
    return "AuthorInText" if ref.narrative else "NormalCitation"


def keys(text: str) -> list[str]:
    return [ref.key for ref in find_citations(text)]


def where(text: str) -> list[tuple[str, int, int]]:
    return [(ref.key, ref.line, ref.col) for ref in find_citations(text)]


# --------------------------------------------------------------------------------------------
# Unit tests: every form, exact keys, lines and columns
# --------------------------------------------------------------------------------------------


def test_bracketed_citation() -> None:
    assert find_citations("Zie [@key].") == [FoundCitation("key", 1, 6)]


def test_locator_and_prefix() -> None:
    (ref,) = find_citations("Zoals [zie @smith2020, pp. 3-5] betoogt.")
    assert (ref.key, ref.line, ref.col) == ("smith2020", 1, 12)
    assert not ref.narrative and not ref.suppress_author


def test_several_in_one_bracket() -> None:
    assert where("Tekst [@a; @b, p. 4; zie ook -@c].") == [("a", 1, 8), ("b", 1, 12), ("c", 1, 31)]
    refs = find_citations("[@a; @b, p. 4; zie ook -@c]")
    assert [r.suppress_author for r in refs] == [False, False, True]


def test_narrative() -> None:
    (ref,) = find_citations("Volgens @jansen2019 klopt dit.")
    assert (ref.key, ref.col, ref.narrative) == ("jansen2019", 9, True)


def test_narrative_with_locator() -> None:
    (ref,) = find_citations("@key [p. 33] zegt")
    assert (ref.key, ref.col, ref.narrative) == ("key", 1, True)


def test_narrative_with_bracketed_followers() -> None:
    refs = find_citations("@a [@b, p. 2]")
    assert [(r.key, r.narrative) for r in refs] == [("a", True), ("b", False)]


def test_suppress_author() -> None:
    (ref,) = find_citations("Smith zegt [-@smith04] dat")
    assert (ref.key, ref.col, ref.suppress_author, ref.narrative) == ("smith04", 14, True, False)


def test_suppress_author_outside_brackets() -> None:
    (ref,) = find_citations("Zo -@smith04 ook")
    assert ref.suppress_author and ref.narrative and ref.col == 5


def test_braced_keys() -> None:
    assert where("Zie @{https://doi.org/10.1/x}.") == [("https://doi.org/10.1/x", 1, 5)]
    assert where("@{a{b}c} en [@{d}]") == [("a{b}c", 1, 1), ("d", 1, 14)]
    assert keys("@{weird key}") == []  # no spaces inside braces


def test_key_characters_and_trailing_punctuation() -> None:
    text = "tekst @foo. @bar: @baz- @qux, @a.b.c; @x:y/z? @r_2! @http://x"
    assert keys(text) == ["foo", "bar", "baz", "qux", "a.b.c", "x:y/z", "r_2", "http://x"]


def test_unicode_keys() -> None:
    assert where("Zie @müller2020 en [@ça_va, p. 1].") == [("müller2020", 1, 5), ("ça_va", 1, 21)]


def test_email_is_no_citation() -> None:
    assert keys("Mail jan.de-vries@example.org of info@société.fr, of @echt.") == ["echt"]


def test_escaped_at() -> None:
    assert keys(r"Geen \@citaat maar wel @echt") == ["echt"]


def test_at_followed_by_space() -> None:
    assert keys("We zijn @ thuis @ 20 uur") == []


def test_code_math_autolinks_and_destinations_hide_citations() -> None:
    text = (
        "`@code` en ``a `@b` c`` en <https://x.org/@user> en <jan@x.org> en "
        '[link](https://x.org/@pad "titel @t") en $x@y$ maar @echt'
    )
    assert keys(text) == ["echt"]


def test_bare_url_is_a_citation_as_in_pandoc() -> None:
    assert where("Zie https://mastodon.social/@standpunt nu") == [("standpunt", 1, 29)]


def test_fenced_and_indented_code_blocks() -> None:
    text = "Tekst @a\n\n```\n@b\n```\n\n~~~ python\n@c\n~~~\n\n    @d\n\nEind @e\n"
    assert where(text) == [("a", 1, 7), ("e", 13, 6)]


def test_unclosed_fence_is_text_in_pandoc() -> None:
    assert keys("```\n@a\n") == ["a"]


def test_tilde_fence_does_not_interrupt_a_paragraph() -> None:
    assert keys("tekst\n~~~\n@a\n~~~\n") == ["a"]


def test_list_needs_a_blank_line_before_it() -> None:
    # pandoc reads one paragraph, so '@a.' is no example marker here
    assert where("tekst\n- @a. x\n") == [("a", 2, 3)]


def test_citation_in_link_text_is_narrative() -> None:
    refs = find_citations("[zie @key](http://x) en [@a](http://y)")
    assert [(r.key, r.col, r.narrative) for r in refs] == [("key", 6, True), ("a", 26, True)]


def test_bracket_with_attributes_is_a_span() -> None:
    (ref,) = find_citations("[@key]{.class}")
    assert ref.narrative and ref.col == 2


def test_emphasis_around_citations() -> None:
    # '_' belongs to a key, so `_@c_` cites "c_" in pandoc too
    assert where("*@a* en **[@b]** en _@c_ en **zie** @d") == [
        ("a", 1, 2),
        ("b", 1, 12),
        ("c_", 1, 22),
        ("d", 1, 37),
    ]


def test_emphasis_closer_before_at_is_a_word_end() -> None:
    assert keys("*nadruk*@a en a*@b") == ["b"]


def test_heading() -> None:
    assert where("# Kop met @a\n\n## Nog [@b] ##\n") == [("a", 1, 11), ("b", 3, 9)]


def test_list_items_and_block_quotes() -> None:
    text = "- eerste @a\n- tweede\n  regel @b\n\n> citaat @c\n> > dieper [@d]\n\n1. genummerd @e\n"
    assert where(text) == [("a", 1, 10), ("b", 3, 9), ("c", 5, 10), ("d", 6, 13), ("e", 8, 14)]


def test_after_bold_and_second_occurrence_on_a_line() -> None:
    assert where("**Vet** @a, en nogmaals @a en [@a]") == [("a", 1, 9), ("a", 1, 25), ("a", 1, 32)]


def test_multi_line_paragraph() -> None:
    text = "Eerste regel\n  tweede @a regel\nderde [zie\n@b, p. 3]\n"
    assert where(text) == [("a", 2, 10), ("b", 4, 1)]


def test_table_cells() -> None:
    text = "| a | b |\n|---|---|\n| @x | [@y] |\n"
    assert where(text) == [("x", 3, 3), ("y", 3, 9)]


def test_inline_note_and_footnotes() -> None:
    text = "Tekst^[met @a] en verder.[^1]\n\n[^1]: Noot met [@b].\n    Nog @c.\n"
    assert where(text) == [("a", 1, 12), ("b", 3, 17), ("c", 4, 9)]


def test_note_right_after_a_narrative_citation() -> None:
    assert where("Zie @fenner2012[^1].\n\n[^1]: Met @b.\n") == [("fenner2012", 1, 5), ("b", 3, 11)]


def test_unused_footnote_is_dropped_like_pandoc() -> None:
    assert keys("Tekst.\n\n[^1]: Noot met [@b].\n") == []


def test_note_reference_is_no_citation() -> None:
    assert keys("Tekst[^@a] en [^1]") == []


def test_example_list_markers() -> None:
    assert keys("@smith2020. Is een voorbeeld.\n") == []
    text = "- Dit blijkt uit\n  @smith2020. Verder\n\nIn een alinea\n@smith2021. wel.\n"
    assert keys(text) == ["smith2021"]
    assert keys("(@vb) Voorbeeld\n\nZie @vb en [@vb].\n") == ["vb"]


def test_reference_definitions() -> None:
    assert keys("[a]: https://x.org/@b\n\n[@c]: tekst\n") == ["c"]


def test_fenced_div_and_html_attributes() -> None:
    assert keys('::: {title="@a"}\n@b\n:::\n\n<span title="@c">@d</span>\n') == ["b", "d"]


def test_dashes() -> None:
    refs = find_citations("a --@b en ----@c")
    assert [(r.key, r.suppress_author) for r in refs] == [("b", False), ("c", True)]


def test_dots_before_at() -> None:
    assert keys("x.@a x...@b x....@c \\.@d") == ["b", "d"]


def test_crlf_and_columns() -> None:
    assert where("regel\r\n  - @a\r\n") == [("a", 2, 5)]


def test_no_at_sign() -> None:
    assert find_citations("Geen citaten hier.\n\n- echt niet") == []
    assert find_citations("") == []


@pytest.mark.parametrize(
    "text",
    [
        "[@key](http://x)",
        "[zie @key](http://x)",
        "\\@key",
        "*@a* **[@b]** _@c_",
        "# Kop @a\n\n- lijst @b\n\n> quote @c\n",
        "| a | b |\n|---|---|\n| @x | [@y] |\n",
        "Tekst^[noot @a] en[^1]\n\n[^1]: Noot @b.\n",
        "[@key]{.class}",
        "@müller2020 en @foo: en @bar. en @baz-",
        "@a@b x@y.org @c",
        "[@a, see @b] [*zie @c* @d]",
        "![@a](x.png) tekst",
        "@a [p. 3](u) @b [@c](u)",
        '<span title="@a">x</span> <span>@b</span>',
        "[a $b](u) c$ [@x]",
        "- Dit blijkt uit\n  @smith2020. Verder @a\n",
    ],
)
def test_unit_examples_match_pandoc(text: str) -> None:
    assert keys(text) == pandoc_citation_keys(text)


def test_modes_match_pandoc() -> None:
    text = "[@a] @b [-@c] -@d @e [p. 3] [zie @f](u) [@g]{.x} @h [@i] [@j; zie -@k, p. 2]"
    assert [(ref.key, mode(ref)) for ref in find_citations(text)] == pandoc_citations(text)


# --------------------------------------------------------------------------------------------
# The equivalence proof on generated documents
# --------------------------------------------------------------------------------------------

WORDS = [
    "de",
    "het",
    "een",
    "beleid",
    "gemeente",
    "overheid",
    "wonen",
    "zorg",
    "onderwijs",
    "klimaat",
    "betaalbaar",
    "iedereen",
    "moet",
    "kan",
    "worden",
    "standpunt",
    "één",
    "coöperatie",
    "naïef",
    "café",
    "geïnd",
    "reële",
    "privé",
    "société",
    "élève",
    "politique",
    "façade",
    "être",
    "très",
    "déjà",
    "où",
    "réseau",
    "Zürich",
    "Ölstraße",
    "Ærø",
    "2024",
    "12",
    "3,5",
    "procent",
]
KEY_FIRST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_éüçøß"
KEY_BODY = "abcdefghijklmnopqrstuvwxyz0123456789_éü"
KEY_INTERNAL = ":.#%&-+?<>~/"  # '$' is allowed too, but meets pandoc's math (module docstring)
TRAILING = ["", "", "", ".", ",", ":", ";", "-", "?", "!", ")", "'s"]
LOCATORS = ["p. 12", "pp. 3-5", "hfdst. 2", "§ 4", "blz. 7 en 9", "12", "passim"]


class DocumentGenerator:
    """Seeded random Markdown documents full of citations and of things that look like them.

    Left out, as documented divergences: '$' in keys, math in tables, an indented block right
    after a definition list or a paragraph-initial example marker, images alone in a paragraph
    and a note reference right after an inline note.
    """

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.notes = 0

    def key(self) -> str:
        r = self.r
        parts = [r.choice(KEY_FIRST)]
        for _ in range(r.randint(0, 10)):
            if r.random() < 0.15:
                parts.append(r.choice(KEY_INTERNAL))
            parts.append(r.choice(KEY_BODY))
        return "".join(parts)

    def word(self) -> str:
        return self.r.choice(WORDS)

    def words(self, low: int = 1, high: int = 5) -> str:
        return " ".join(self.word() for _ in range(self.r.randint(low, high)))

    def citation(self) -> str:
        r = self.r
        k = self.key()
        loc = r.choice(LOCATORS)
        forms = [
            f"[@{k}]",
            f"[@{k}, {loc}]",
            f"[@{k}; @{self.key()}]",
            f"[zie @{k}, {loc}]",
            f"[{self.words(1, 2)} @{k}; {self.words(1, 2)} -@{self.key()}, {loc}]",
            f"@{k}",
            f"@{k}",
            f"[-@{k}]",
            f"@{k} [{loc}]",
            f"@{k} [@{self.key()}]",
            f"@{{{k}/x}}",
            f"[@{k}]{{.klasse}}",
            f"[@{k}](https://example.org/{self.word()})",
            f"[zie @{k}](https://example.org)",
            f"-@{k}",
            f"*@{k}*",
            f"**[@{k}]**",
            f"_@{k}_",
            f"[*zie* @{k}, *passim*]",
        ]
        return r.choice(forms) + r.choice(TRAILING)

    def distractor(self, math: bool = True) -> str:
        r = self.r
        k = self.key()
        forms = [
            f"{self.word()}@example.org",
            f"jan.de-vries@{self.word()}.nl",
            f"https://example.org/@{k}",
            f"<https://example.org/@{k}>",
            f"<info@{self.word()}.org>",
            f"`@{k}`",
            f"``code `@{k}` code``",
            f"\\@{k}",
            "@ " + self.word(),
            f"[{self.words(1, 3)}](https://example.org/@{k})",
            f'[{self.words(1, 2)}](https://example.org "titel @{k}")',
            f"*{self.word()}*",
            f"**{self.words(1, 2)}**",
            "e-mail",
            "(zie hieronder)",
            f"^[inline noot met @{k}]",
            f"![afbeelding @{k}](plaatje.png),",
            "€ 5",
            "‘aanhalingstekens’",
            f"“@{k}”",
            f"'@{k}'",
            f"--@{k}",
            f"---@{k}",
            f"...@{k}",
            f"{self.word()}.@{k}",
            f"{self.word()}@{k}@{self.key()}",
            f"*{self.word()}*@{k}",
            f"**{self.word()}**@{k}",
            f"***@{k}***",
            f"[{self.words(1, 2)}][ref]",
            f"[{self.word()}]",
            f"({self.word()} @{k})",
            "@",
            f"[^{self.word()}]",
        ]
        if math:
            forms += [f"${self.word()}@{k}$", f"$5 en $6 voor @{k}", f"$$a@{k}$$"]
        return r.choice(forms)

    def inline_text(self, low: int = 4, high: int = 25, math: bool = True) -> str:
        r = self.r
        pieces = []
        for _ in range(r.randint(low, high)):
            x = r.random()
            if x < 0.2:
                pieces.append(self.citation())
            elif x < 0.32:
                pieces.append(self.distractor(math))
            else:
                pieces.append(self.word() + r.choice(["", "", "", ",", "."]))
        return " ".join(pieces)

    def text_block(self, low: int = 4, high: int = 25) -> str:
        """Inline text that does not start with '@' (that could be an example list marker)."""
        text = self.inline_text(low, high)
        return f"{self.word()} {text}" if text.startswith("@") else text

    def wrap(self, text: str, indent: str = "", first: str = "") -> str:
        """Break ``text`` into lines at a random width (continuation lines get ``indent``)."""
        width = self.r.randint(25, 90)
        lines: list[str] = []
        current = first
        for word in text.split(" "):
            if len(current) + len(word) > width and current.strip():
                lines.append(current.rstrip())
                current = indent
            current += word + " "
        lines.append(current.rstrip())
        return "\n".join(lines)

    def paragraph(self) -> str:
        text = self.text_block()
        if self.r.random() < 0.15:
            self.notes += 1
            label = f"n{self.notes}"
            note = self.wrap(self.inline_text(2, 10), "    ", f"[^{label}]: ")
            # the reference ends the paragraph: pandoc puts the note's citations there
            before = self.r.choice([" eind", f" @{self.key()}"])
            return self.wrap(text + before) + f"[^{label}]\n\n" + note
        return self.wrap(text)

    def block(self) -> str:
        r = self.r
        x = r.random()
        if x < 0.35:
            return self.paragraph()
        if x < 0.45:
            return f"{'#' * r.randint(1, 3)} {self.inline_text(2, 6)}"
        if x < 0.6:
            bullet = r.choice(["- ", "* ", "1. ", "2) "])
            pad = " " * len(bullet)
            items = [
                self.wrap(self.inline_text(2, 14), pad, bullet) for _ in range(r.randint(1, 4))
            ]
            return "\n".join(items)
        if x < 0.7:
            inner = self.wrap(self.text_block(3, 16), "> ", "> ")
            if r.random() < 0.3:
                inner += "\n>\n" + self.wrap(self.text_block(2, 8), "> ", "> ")
            if r.random() < 0.2:
                inner += "\n>\n> - " + self.inline_text(1, 5)
            return inner
        if x < 0.78:
            fence = r.choice(["```", "~~~", "````"])
            info = r.choice(["", "python", "{.yaml}"])
            body = "\n".join(f"@{self.key()} code {self.word()}" for _ in range(r.randint(1, 3)))
            return f"{fence}{info}\n{body}\n{fence}"
        if x < 0.82:
            return "\n".join(f"    @{self.key()} code" for _ in range(r.randint(1, 2)))
        if x < 0.87:
            rows = [f"| {self.word()} | {self.word()} |", "|---|---|"]
            for _ in range(r.randint(1, 3)):
                cells = [self.inline_text(1, 3, math=False) for _ in range(2)]
                rows.append(f"| {cells[0]} | {cells[1]} |")
            return "\n".join(rows)
        if x < 0.9:
            # a list item whose wrapped continuation line starts with '@key.' (example list)
            return f"- {self.words(2, 4)}\n  @{self.key()}. {self.words(1, 4)} @{self.key()}"
        if x < 0.93:
            # example list items and references to their labels (no citations in pandoc)
            label = r.choice(["vb", "a1", "x_y", "noot-2"])
            marker = r.choice([f"(@{label})", f"@{label}.", f"@{label})"])
            return (
                f"{marker} {self.words(2, 5)} @{self.key()}\n\n"
                f"{self.word()} @{label} en [@{label}] en @{label} [p. 3] {self.text_block(1, 5)}"
            )
        if x < 0.95:
            link = f"{self.text_block(2, 6)} [tekst][ref]"
            return f"{link}\n\n[ref]: https://example.org/@{self.key()}"
        if x < 0.97:
            # an unused note, and nested lists
            return (
                f"[^ongebruikt]: {self.inline_text(1, 5)}\n\n- {self.inline_text(1, 4)}\n"
                f"  - {self.inline_text(1, 4)}\n    - {self.inline_text(1, 4)}"
            )
        if x < 0.98:
            return f"## {self.text_block(1, 4)} ##\n\n{self.text_block(1, 5)}  \nna harde regel"
        return self.other_block()

    def other_block(self) -> str:
        """Rarer blocks: divs, definition lists, setext headings, line blocks, HTML."""
        r = self.r
        k = self.key()
        choice = r.randrange(9)
        if choice == 0:
            attrs = r.choice(["kader", "{.kader}", f'{{#id .c title="@{k}"}}', f"{{data-x=@{k}}}"])
            return f"::: {attrs}\n{self.wrap(self.text_block(2, 8))}\n:::"
        if choice == 1:
            definition = f"{self.words(1, 2)} @{k}\n:   {self.text_block(2, 8)}"
            return f"{definition}\n\n{self.text_block(1, 4)}"
        if choice == 2:
            title = self.text_block(1, 4)
            return f"{title}\n{r.choice('=-') * max(3, len(title))}\n\n{self.text_block(1, 4)}"
        if choice == 3:
            return f"| {self.text_block(1, 4)}\n| {self.text_block(1, 4)}"
        if choice == 4:
            return f"{self.word()} \\[@{k}\\] <!-- @{self.key()} --> {self.text_block(1, 3)}"
        if choice == 5:
            return f'<div class="x" title="@{k}">\n{self.text_block(2, 6)}\n</div>'
        if choice == 6:
            span = f'<span title="@{k}">{self.words(1, 3)} @{self.key()}</span>'
            return f"{self.word()} {span} {self.text_block(1, 3)}"
        if choice == 7:
            # no blank line before a list, quote or heading: pandoc reads on in the paragraph
            start = r.choice(["- ", "1. ", "> ", "# ", "12. ", "b) "])
            return f"{self.text_block(2, 6)}\n{start}{self.inline_text(2, 6)}"
        return self.wrap(self.text_block(3, 10))

    def document(self) -> str:
        self.notes = 0
        return "\n\n".join(self.block() for _ in range(self.r.randint(1, 6))) + "\n"


def generated_documents(count: int, seed: int = 20240601) -> Iterator[str]:
    generator = DocumentGenerator(seed)
    for _ in range(count):
        yield generator.document()


DOCUMENT_COUNT = 400


def test_generated_documents_match_pandoc() -> None:
    """Same keys in the same order as pandoc, each read the same way (narrative or not)."""
    documents = list(generated_documents(DOCUMENT_COUNT))
    with ThreadPoolExecutor(max_workers=4) as pool:
        expected = list(pool.map(pandoc_citations, documents))
    total = 0
    for number, (document, theirs) in enumerate(zip(documents, expected, strict=True)):
        refs = find_citations(document)
        ours = [(ref.key, mode(ref)) for ref in refs]
        total += len(ours)
        if ours != theirs:
            pytest.fail(
                f"document {number} differs\n--- document ---\n{document}\n"
                f"--- ours ---\n{ours}\n--- pandoc ---\n{theirs}"
            )
        lines = document.split("\n")
        for ref in refs:  # every position points at the '@' of its key, braced or bare
            at = lines[ref.line - 1][ref.col - 1 :]
            written = f"@{{{ref.key}}}" if at.startswith("@{") else f"@{ref.key}"
            assert at.startswith(written), (document, ref)
    assert total > 10 * DOCUMENT_COUNT  # the documents really are full of citations


# --------------------------------------------------------------------------------------------
# Hostile input: never a hang, never a crash
# --------------------------------------------------------------------------------------------
# `check` and `build` read every Markdown field without a time limit. Each input below took
# minutes, hours or longer before (or raised RecursionError): they are sized so that the old
# behaviour shows as a hang of the suite, and where it can be counted, the work is counted
# too (calls of an internal function, which grow linearly with the input now).


def calls(monkeypatch: pytest.MonkeyPatch, name: str, text: str) -> int:
    """How often ``find_citations(text)`` calls the finder's function ``name``.

    A call is counted in every module of the finder that looks the function up (the one that
    declares it and those that import it), so that none goes uncounted.
    """
    modules = [
        module
        for module_name, module in sorted(sys.modules.items())
        if module_name.startswith("standpunt.cite.finder.") and name in vars(module)
    ]
    assert modules, f"no module of the finder has {name}"
    original = vars(modules[0])[name]
    assert all(vars(module)[name] is original for module in modules), name
    count = 0

    def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        return original(*args, **kwargs)

    with monkeypatch.context() as patch:
        for module in modules:
            patch.setattr(module, name, counted)
        find_citations(text)
    assert count > 0, f"{name} was never called: its calls are not counted"
    return count


def linear(monkeypatch: pytest.MonkeyPatch, name: str, shape: str, n: int) -> None:
    """Four times the input costs about four times the calls of ``name`` (not 16 or 2**n)."""
    small = calls(monkeypatch, name, shape * n)
    large = calls(monkeypatch, name, shape * (4 * n))
    assert 0 < large <= 5 * small, (name, small, large)


def test_a_long_key_starting_a_paragraph() -> None:
    # The example-marker label had a nested quantifier: 2**n steps for a paragraph starting
    # with an n-letter key not followed by '.' or ')' (37 letters took hours).
    key = "vlaamseregeringconceptnotaarmoede" * 30
    assert where(f"@{key} stelt dat") == [(key, 1, 1)]
    assert where(f"- een lijst\n@{key}-x_y stelt") == [(f"{key}-x_y", 2, 1)]
    assert keys(f"@{key}. Een voorbeeld.\n\nZie @{key}.") == []  # still an example marker


def test_the_possessive_label_matches_what_the_nested_one_did() -> None:
    nested = r"(?:[^\W_]+|[_-][^\W_]+)*"
    before = re.compile(citation_keys.EXAMPLE_MARKER.pattern.replace(citation_keys.LABEL, nested))
    r = random.Random(4)
    for _ in range(3000):
        text = "".join(r.choice("(@)._- \tab1é") for _ in range(r.randint(0, 12)))
        old, new = before.match(text), citation_keys.EXAMPLE_MARKER.match(text)
        assert (old and (old.span(), old.groups())) == (new and (new.span(), new.groups())), text


def test_unclosed_brackets_after_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each '@key [' was read as a citation and then as a locator, re-reading all that
    # follows both ways: 2**n (20 of them took 10 s). Now each is read once.
    assert where("@a [" * 2000) == [("a", 1, 1 + 4 * n) for n in range(2000)]
    linear(monkeypatch, "skip_inline", "@a [", 500)
    linear(monkeypatch, "skip_inline", "@a [x; ", 500)  # a locator, then a list: its tail is shared


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[" * 20_000 + "@a" + "]" * 20_000, [("a", 1, 20_001)]),
        ("[@a; " * 5_000, [("a", 1, 2 + 5 * n) for n in range(5_000)]),
        ("[" * 10_000 + "](x)" * 10_000 + "@a", [("a", 1, 50_001)]),
        ("^[" * 10_000 + "@a", [("a", 1, 20_001)]),
        ("![" * 10_000 + "@a", [("a", 1, 20_001)]),
        ("@a [" + "[" * 10_000 + "x", [("a", 1, 1)]),  # the key stays a citation
        ('[a](u "' + 'x"' * 10_000 + " @a", [("a", 1, 20_009)]),  # nested link titles
        ("[a](" + "(" * 10_000 + " @a", [("a", 1, 10_006)]),  # parentheses in a destination
        ("[a](<" * 10_000 + "@a", [("a", 1, 50_001)]),
    ],
    ids=["brackets", "citations", "links", "notes", "images", "key", "titles", "parens", "angle"],
)
def test_deep_nesting_needs_no_deep_stack(text: str, expected: list[tuple[str, int, int]]) -> None:
    # Brackets (and titles, parentheses) nested thousands deep used to recurse a few Python
    # frames each: RecursionError after about 200. Rules now nest at most _MAX_DEPTH deep,
    # so a stack of a few hundred frames is plenty whatever the input.
    frame: FrameType | None = sys._getframe()
    depth = 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 250)
    try:
        assert where(text) == expected
    finally:
        sys.setrecursionlimit(limit)


def test_nesting_within_the_limit_is_read_as_pandoc_reads_it() -> None:
    # pandoc 3.9: Str "[[[[[[[[[" and a Cite of a, NormalCitation (it takes 8 s to say so);
    # past the limit (pandoc: minutes) the key is read as a plain citation.
    (ref,) = find_citations("[" * 10 + "@a" + "]" * 10)
    assert (ref.key, ref.col, mode(ref)) == ("a", 11, "NormalCitation")
    (ref,) = find_citations("[" * 40 + "@a" + "]" * 40)
    assert (ref.key, ref.col, mode(ref)) == ("a", 41, "AuthorInText")


def _code_end_by_scanning(src: str, pos: int, end: int) -> int | None:
    """The code span at ``pos`` as the finder used to find it: scanning ahead (no attributes)."""
    i = pos
    while i < end and src[i] == "`":
        i += 1
    n = i - pos
    while True:
        k = src.find("`", i, end)
        if k < 0:
            return None
        j = k
        while j < end and src[j] == "`":
            j += 1
        if j - k == n:
            return j
        i = j


def test_backtick_runs_without_a_closer(monkeypatch: pytest.MonkeyPatch) -> None:
    # A run without a closer gives back one backtick and tries again: each try scanned to the
    # end of the text (50,000 backticks took 2 minutes). Now the runs are indexed by length.
    assert where("`" * 200_000 + "@a") == [("a", 1, 200_001)]
    assert calls(monkeypatch, "code_end", "`" * 200_000 + "@a") <= 2
    r = random.Random(7)
    for _ in range(150):
        text = "".join(r.choice("``a@") for _ in range(r.randint(1, 24)))
        for end in range(len(text) + 1):
            for pos in range(end):
                if text[pos] != "`":
                    continue
                assert raw.code_end(text, pos, end) == _code_end_by_scanning(text, pos, end)
                if _code_end_by_scanning(text, pos, end) is None:
                    skip = raw.code_skip(text, pos, end)
                    assert set(text[pos:skip]) == {"`"}
                    assert all(
                        _code_end_by_scanning(text, k, end) is None for k in range(pos, skip)
                    )
    assert where("```a`` @b ``") == [("b", 1, 8)]  # "``" then "a``": the span ends there


def test_unclosed_braced_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each '@{' scanned to the end of the text for its '}' (30,000 took over 2 minutes).
    assert find_citations("@{" * 60_000) == []
    assert where("@{" * 1000 + "a}") == [("a", 1, 1999)]
    assert where("@{" * 1000 + "a b} @{c{d}}") == [("c{d}", 1, 2006)]
    linear(monkeypatch, "_brace_kind", "@{", 2_000)


@pytest.mark.parametrize(
    "text",
    [
        '[a](u "' + 'x"' * 40 + " @a",  # a title: nested quotes were tried every way (2**n)
        "<" * 100_000 + "@a",  # autolinks: each '<' looked ahead to the end
        "[^" * 20_000 + "@a",  # note references: each label read to the end
        "<span <span " * 20_000 + 'x="</span> @a',  # each tag read to the end
        "[a]{k=v" * 50_000 + " @a",  # attribute values read to the end from every '{'
        "`a`{k=v" * 50_000 + " @a",
        "a|@b\n|---" + " " * 100_000 + "x\n\n@a",  # a table rule: spaces split every way
        "::: " + " " * 20_000 + ":" * 20_000 + " " * 20_000 + "x\n\n@a",  # a fenced div
    ],
    ids=["title", "autolinks", "notes", "spans", "attributes", "code", "table", "div"],
)
def test_other_lookaheads_are_linear(text: str) -> None:
    assert keys(text)[-1] == "a"


def test_a_spent_budget_reads_keys_as_plain_citations(monkeypatch: pytest.MonkeyPatch) -> None:
    # The last line of defence: past a budget of work per character (which no real text comes
    # near), brackets read as text and keys as plain citations; code still hides keys.
    text = "Zie [zie @a, p. 3] en `@code` en @b [p. 4; @c]."
    assert [(ref.key, mode(ref)) for ref in find_citations(text)] == [
        ("a", "NormalCitation"),
        ("b", "AuthorInText"),
        ("c", "NormalCitation"),  # in the locator of b, as pandoc reads it
    ]
    monkeypatch.setattr(lookahead, "BUDGET_PER_CHAR", 0)
    monkeypatch.setattr(lookahead, "BUDGET_BASE", -1)
    assert [(ref.key, mode(ref)) for ref in find_citations(text)] == [
        ("a", "AuthorInText"),
        ("b", "AuthorInText"),
        ("c", "AuthorInText"),  # the bracket after b is text
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\u00a0\n@key", [("key", 2, 1)]),
        ("\u2028\n\u3000\nTekst @key en [@b]", [("key", 3, 7), ("b", 3, 16)]),
        ("> \u00a0\n> Zie @key", [("key", 2, 7)]),
        ("- \x0c\n  @key", [("key", 2, 3)]),
        ("Eerst.\n\n\u00a0 \n\u00a0@key", [("key", 4, 2)]),
    ],
)
def test_a_first_line_of_unicode_white_space(
    text: str, expected: list[tuple[str, int, int]]
) -> None:
    # markdown-it trims a paragraph with JavaScript's trim, which drops a first line of only
    # a no-break space, U+2028, U+3000 or a form feed: the places were a line too high.
    assert where(text) == expected
