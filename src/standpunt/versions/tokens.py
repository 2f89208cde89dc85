"""The words a redline compares, and how two lists of them are compared in bounded work.

A text is read as *tokens*: a word, a number or date, one other visible character, a formatted
citation or note, or a paragraph break. Numbers and dates are one token each ("5.000",
"1.234,56", "12-03-2026", "2026-03-12"), and so is a formatted citation ("(Claessens, 2018)"),
so that "5.000 → 7.500" reads as one deletion and one insertion, never as "5→7 . 000→500".
Plain text (titles, a terminal's redline) is read by :func:`plain_tokens`; the HTML citeproc
made of a position's Markdown (what its PDF shows) by :func:`html_tokens`, which keeps emphasis
as emphasis and each citation whole.

Two token lists are compared by :func:`diff`: Myers' O((N+M)·D) algorithm, after the common
start and end are set aside, under a budget of work linear in the tokens (:class:`Work`). When
the texts differ too much for that budget, the comparison falls back to paragraphs (equal
paragraphs kept, each stretch of changed ones compared word by word under its own budget, or
shown whole), and says so: the work stays linear, whatever the partner wrote.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal

Op = Literal["equal", "insert", "delete"]
#: What a diff says about stretches of its two lists: (op, i1, i2, j1, j2), as difflib does.
Opcode = tuple[Op, int, int, int, int]

#: A number or date (digits joined by . , : / - or a (narrow) no-break space, then any letters
#: that follow: "2de"), a word (with inner hyphens or apostrophes: "co-sign", "don't"), or one
#: other visible character; each with the whitespace after it.
_TOKEN = re.compile(
    r"(\d+(?:[.,:/\-\u00a0\u202f]\d+)*\w*|\w+(?:['’\-]\w+)*|[^\w\s])(\s*)",
)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
_WORD = re.compile(r"\w")
#: Control characters: not allowed in HTML, and not to reach a terminal.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

#: The key of a paragraph break; never the key of a word.
BREAK = "\n\n"

#: Work allowed per token compared, on top of :data:`BASE_WORK`: a diff of N tokens stops
#: after ``BASE_WORK + WORK_PER_TOKEN * N`` steps. Edits of about WORK_PER_TOKEN / 2 words per
#: stretch compare word by word; a text rewritten beyond that falls back to paragraphs.
WORK_PER_TOKEN = 40
BASE_WORK = 20_000


@dataclass(frozen=True)
class Token:
    """One thing a reader sees: ``key`` is what is compared, ``text`` what a terminal shows,
    ``html`` what a page shows (escaped, with its emphasis), ``ws`` the space after it.

    A paragraph break has the key :data:`BREAK` and ``block`` the kind of the block it opens
    ("p", "li", "h", "quote").
    """

    key: str
    text: str
    html: str
    ws: str = ""
    block: str = ""

    @property
    def is_break(self) -> bool:
        return self.key == BREAK

    @property
    def is_word(self) -> bool:
        """Whether it counts as a word (punctuation and breaks do not; a citation does)."""
        return not self.is_break and bool(_WORD.search(self.text))


@dataclass
class Work:
    """Steps of work spent comparing: counted, so that a test can hold the comparison linear."""

    steps: int = 0

    def spend(self, steps: int) -> None:
        self.steps += steps


def _escape(text: str) -> str:
    """Text for HTML: escaped, and without control characters."""
    return html.escape(_CONTROL.sub("\ufffd", text), quote=False)


def plain_tokens(text: str) -> list[Token]:
    """A plain text's tokens; a blank line is a paragraph break."""
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        word, ws = match.groups()
        if _PARAGRAPH_BREAK.search(ws):
            tokens.append(Token(word, word, _escape(word)))
            tokens.append(Token(BREAK, "", "", ws, "p"))
        else:
            tokens.append(Token(word, word, _escape(word), ws))
    return tokens


# --------------------------------------------------------------------------- rendered text

#: Elements that start a block, and the kind of block each is shown as.
_BLOCKS = {
    "p": "p",
    "div": "p",
    "pre": "p",
    "li": "li",
    "dt": "p",
    "dd": "p",
    "tr": "p",
    "figcaption": "p",
    "h1": "h",
    "h2": "h",
    "h3": "h",
    "h4": "h",
    "h5": "h",
    "h6": "h",
    "blockquote": "quote",
}
#: Inline elements kept around the words they hold (without attributes).
_INLINE = frozenset({"strong", "em", "b", "i", "sup", "sub", "code", "mark", "q", "s", "u"})
#: Classes of a ``span`` kept: small caps, as citeproc writes them.
_SPAN_CLASSES = frozenset({"smallcaps"})
#: Classes of a ``span`` that holds one atom: a formatted citation, or a note (print).
_ATOMS = {"citation": "cite", "footnote": "note"}
#: Elements whose content a reader does not see as text.
_HIDDEN = frozenset({"script", "style", "template"})


class _Reader(HTMLParser):
    """Reads citeproc's HTML (made by ``shape.lua``, attributes already made safe) into tokens."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[Token] = []
        #: The open inline elements: each one's name and its opening tag as shown.
        self.inline: list[tuple[str, str]] = []
        #: The atom being read: its kind, the depth of spans in it, its text and its HTML.
        self.atom: tuple[str, int] | None = None
        self.atom_text: list[str] = []
        self.atom_html: list[str] = []
        self.hidden = 0

    # An atom keeps its inner emphasis; everything else in it is text.
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
            return
        classes = set((dict(attrs).get("class") or "").split())
        if self.atom is not None:
            kind, depth = self.atom
            # A citation in a note style is a note: shown as one.
            kind = "note" if "footnote" in classes else kind
            self.atom = (kind, depth + (tag == "span"))
            self.atom_html.append(_open_tag(tag, classes))
            return
        if tag == "span" and classes & set(_ATOMS):
            self.atom = (_ATOMS[min(classes & set(_ATOMS))], 1)
            return
        if tag in _BLOCKS:
            self.tokens.append(Token(BREAK, "", "", "", _BLOCKS[tag]))
        elif tag == "br":
            self._space()
        elif tag in _INLINE or tag == "span":
            self.inline.append((tag, _open_tag(tag, classes)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._space()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
            return
        if self.atom is not None:
            kind, depth = self.atom
            if tag == "span" and depth == 1:
                self._end_atom(kind)
                return
            self.atom = (kind, depth - (tag == "span"))
            self.atom_html.append(_close_tag(tag))
            return
        if (tag in _INLINE or tag == "span") and self.inline:
            self.inline.pop()

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.atom is not None:
            self.atom_text.append(data)
            self.atom_html.append(_escape(data))
            return
        lead = len(data) - len(data.lstrip())
        if lead:
            self._space()
        opened = "".join(shown for _tag, shown in self.inline)
        closed = "".join(_close_tag(tag) for tag, _shown in reversed(self.inline))
        marks = "|".join(tag for tag, _shown in self.inline if tag != "span")
        for match in _TOKEN.finditer(data, lead):
            word, ws = match.groups()
            key = f"{marks}|{word}" if marks else word
            escaped = _escape(word)
            self.tokens.append(Token(key, word, f"{opened}{escaped}{closed}", " " if ws else ""))

    def _space(self) -> None:
        last = self.tokens[-1] if self.tokens else None
        if last is not None and not last.is_break and not last.ws:
            self.tokens[-1] = Token(last.key, last.text, last.html, " ", last.block)

    def _end_atom(self, kind: str) -> None:
        text = " ".join("".join(self.atom_text).split())
        inner = "".join(self.atom_html).strip()
        self.atom, self.atom_text, self.atom_html = None, [], []
        if text:
            shown = f'<span class="redline-{kind}">{inner}</span>'
            self.tokens.append(Token(f"\x00{kind}:{text}", text, shown))


def _open_tag(tag: str, classes: set[str]) -> str:
    if tag == "span":
        kept = sorted(classes & _SPAN_CLASSES)
        return f'<span class="{kept[0]}">' if kept else "<span>"
    return f"<{tag}>" if tag in _INLINE else "<span>"


def _close_tag(tag: str) -> str:
    return f"</{tag}>" if tag in _INLINE else "</span>"


def html_tokens(fragment: str) -> list[Token]:
    """The tokens of a fragment of HTML as citeproc formats a position's Markdown: the words as
    shown, with their emphasis; each citation or note one token; links shown as their text."""
    reader = _Reader()
    reader.feed(fragment)
    reader.close()
    if reader.atom is not None:  # an atom left open: what it read still counts
        reader._end_atom(reader.atom[0])
    return reader.tokens


# --------------------------------------------------------------------------- the diff


def budget(size: int) -> int:
    """The steps a diff of ``size`` tokens may take: linear in the tokens."""
    return BASE_WORK + WORK_PER_TOKEN * size


def _myers(
    a: Sequence[Hashable], b: Sequence[Hashable], work: Work, limit: int
) -> list[Opcode] | None:
    """The shortest edit script from ``a`` to ``b`` as opcodes, or None when it would take more
    than ``limit`` steps of work (each diagonal tried and each element matched is one step)."""
    n, m = len(a), len(b)
    if n == 0 or m == 0:
        whole: list[Opcode] = [("delete", 0, n, 0, 0), ("insert", 0, 0, 0, m)]
        return [code for code in whole if code[1] < code[2] or code[3] < code[4]]
    spent = n + m  # the array below
    offset = n + m + 1
    v = [0] * (2 * offset + 1)
    trace: list[list[int]] = []
    for d in range(n + m + 1):
        trace.append(v[offset - d : offset + d + 1])
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and v[offset + k - 1] < v[offset + k + 1]):
                x = v[offset + k + 1]
            else:
                x = v[offset + k - 1] + 1
            y = x - k
            start = x
            while x < n and y < m and a[x] == b[y]:
                x += 1
                y += 1
            spent += 1 + x - start
            v[offset + k] = x
            if x >= n and y >= m:
                work.spend(spent)
                return _backtrack(trace, n, m, d)
        # The trace kept for backtracking is work too: it grows with d².
        spent += d
        if spent > limit:
            work.spend(spent)
            return None
    raise AssertionError("unreachable: d = n + m always reaches the end")


def _backtrack(trace: list[list[int]], n: int, m: int, last: int) -> list[Opcode]:
    """The opcodes of the path Myers' trace found (``trace[d]`` holds V before step d, for k
    in -d..d, at index k + d)."""
    steps: list[tuple[Op, int, int]] = []  # backwards: each step and where it starts
    x, y = n, m
    for d in range(last, 0, -1):
        v = trace[d]
        k = x - y
        down = k == -d or (k != d and v[k - 1 + d] < v[k + 1 + d])
        prev_k = k + 1 if down else k - 1
        prev_x = v[prev_k + d]
        prev_y = prev_x - prev_k
        while x > prev_x and y > prev_y:
            x, y = x - 1, y - 1
            steps.append(("equal", x, y))
        steps.append(("insert", prev_x, prev_y) if down else ("delete", prev_x, prev_y))
        x, y = prev_x, prev_y
    while x > 0 and y > 0:
        x, y = x - 1, y - 1
        steps.append(("equal", x, y))
    return _opcodes(reversed(steps))


def _opcodes(steps: Iterable[tuple[Op, int, int]]) -> list[Opcode]:
    """Single steps joined into opcodes."""
    codes: list[Opcode] = []
    for op, x, y in steps:
        di, dj = int(op != "insert"), int(op != "delete")
        if codes and codes[-1][0] == op and codes[-1][2] == x and codes[-1][4] == y:
            _, i1, _, j1, _ = codes[-1]
            codes[-1] = (op, i1, x + di, j1, y + dj)
        else:
            codes.append((op, x, x + di, y, y + dj))
    return codes


def diff_keys(
    a: Sequence[Hashable], b: Sequence[Hashable], work: Work, limit: int
) -> list[Opcode] | None:
    """Opcodes from ``a`` to ``b``: the common start and end set aside (linear), the middle by
    :func:`_myers` within ``limit`` steps; None when the middle needs more."""
    n, m = len(a), len(b)
    start = 0
    while start < n and start < m and a[start] == b[start]:
        start += 1
    end = 0
    while end < n - start and end < m - start and a[n - 1 - end] == b[m - 1 - end]:
        end += 1
    work.spend(start + end + 1)
    middle = _myers(a[start : n - end], b[start : m - end], work, limit)
    if middle is None:
        return None
    codes: list[Opcode] = [("equal", 0, start, 0, start)] if start else []
    codes += [(op, i1 + start, i2 + start, j1 + start, j2 + start) for op, i1, i2, j1, j2 in middle]
    if end:
        codes.append(("equal", n - end, n, m - end, m))
    return codes


@dataclass
class Compared:
    """Opcodes over two token lists, and whether some stretch is shown by whole paragraphs."""

    codes: list[Opcode] = field(default_factory=list)
    coarse: bool = False


def diff(a: Sequence[Token], b: Sequence[Token], work: Work) -> Compared:
    """Compare two token lists in work linear in their length (see the module's head)."""
    keys_a, keys_b = [t.key for t in a], [t.key for t in b]
    codes = diff_keys(keys_a, keys_b, work, budget(len(a) + len(b)))
    if codes is not None:
        return Compared(codes)
    return _by_paragraph(keys_a, keys_b, work)


def _paragraphs(keys: Sequence[str]) -> list[tuple[int, int]]:
    """Where each paragraph of ``keys`` starts and ends (a break belongs to what follows it)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for index, key in enumerate(keys):
        if key == BREAK and index > start:
            spans.append((start, index))
            start = index
    if start < len(keys):
        spans.append((start, len(keys)))
    return spans


def _by_paragraph(keys_a: Sequence[str], keys_b: Sequence[str], work: Work) -> Compared:
    """Equal paragraphs kept; each stretch of changed paragraphs compared word by word under a
    budget of its own size, or shown whole (deleted, then inserted)."""
    spans_a, spans_b = _paragraphs(keys_a), _paragraphs(keys_b)
    work.spend(len(keys_a) + len(keys_b))
    # Each distinct paragraph gets a number (a dict compares on collision: exact, linear).
    ids: dict[tuple[str, ...], int] = {}
    para_a = [ids.setdefault(tuple(keys_a[i:j]), len(ids)) for i, j in spans_a]
    para_b = [ids.setdefault(tuple(keys_b[i:j]), len(ids)) for i, j in spans_b]
    blocks = diff_keys(para_a, para_b, work, budget(len(para_a) + len(para_b)))
    if blocks is None:
        blocks = [("delete", 0, len(para_a), 0, 0), ("insert", 0, 0, 0, len(para_b))]
    result = Compared(coarse=True)
    for op, p1, p2, q1, q2 in blocks:
        i1 = spans_a[p1][0] if p1 < p2 else (spans_a[p1][0] if p1 < len(spans_a) else len(keys_a))
        i2 = spans_a[p2 - 1][1] if p1 < p2 else i1
        j1 = spans_b[q1][0] if q1 < q2 else (spans_b[q1][0] if q1 < len(spans_b) else len(keys_b))
        j2 = spans_b[q2 - 1][1] if q1 < q2 else j1
        if op == "equal":
            result.codes.append(("equal", i1, i2, j1, j2))
            continue
        size = (i2 - i1) + (j2 - j1)
        inner = diff_keys(keys_a[i1:i2], keys_b[j1:j2], work, budget(size) // 2)
        if inner is None:
            inner = [("delete", 0, i2 - i1, 0, 0), ("insert", 0, 0, 0, j2 - j1)]
        result.codes += [
            (o, a1 + i1, a2 + i1, b1 + j1, b2 + j1)
            for o, a1, a2, b1, b2 in inner
            if a1 < a2 or b1 < b2
        ]
    return result


def stretches(codes: Iterable[Opcode]) -> list[Opcode]:
    """The opcodes with each run of deletions and insertions joined into one stretch, its op
    "delete" (it may insert too): a replaced word is one stretch, as a reader sees it."""
    joined: list[Opcode] = []
    for code in codes:
        op, i1, i2, j1, j2 = code
        if op != "equal" and joined and joined[-1][0] != "equal":
            _op, k1, _k2, l1, _l2 = joined[-1]
            joined[-1] = ("delete", k1, i2, l1, j2)
        else:
            joined.append(code if op == "equal" else ("delete", i1, i2, j1, j2))
    return joined


def similarity(a: Sequence[Token], b: Sequence[Token], work: Work) -> float:
    """How alike two texts are, 0–1: the share of words they have in common (as multisets),
    linear in their length."""
    work.spend(1 + len(a) + len(b))
    if not a and not b:
        return 1.0
    common = Counter(t.key for t in a) & Counter(t.key for t in b)
    return 2 * sum(common.values()) / (len(a) + len(b))


__all__ = [
    "BREAK",
    "Compared",
    "Op",
    "Opcode",
    "Token",
    "Work",
    "budget",
    "diff",
    "diff_keys",
    "html_tokens",
    "plain_tokens",
    "similarity",
    "stretches",
]
