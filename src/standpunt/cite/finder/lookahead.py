"""Finding pandoc citations in Markdown text, in process and with exact source positions.

``standpunt check`` has to report every citation key at ``line:col`` without starting a pandoc
process per field, and pandoc's Markdown reader gives no source positions. So this module
re-implements what pandoc 3.9's reader (format ``markdown-raw_html-raw_tex-raw_attribute``,
see :data:`standpunt.pandoc.MARKDOWN_FORMAT`) decides about citations:

* Blocks: markdown-it-py (commonmark preset, no HTML, no setext headings) with pandoc's rules
  where they matter. Fenced code must be closed and has one word or ``{attributes}`` as info;
  only a backtick fence, a rule or a note definition (in a note) ends a paragraph: a heading,
  block quote or list needs a blank line before it, except that inside a list item any line
  starting with a list marker (``-``, ``12.``, ``b)``, ``(iv)``, ``#.``, ``@ex.``) starts a
  new block. Pipe tables split cells as pandoc does (not inside code or math) and drop cells
  beyond the header's columns. Footnote definitions ``[^1]: ...`` are blocks; link reference
  definitions whose label reads as a citation (``[@key]: x``) are paragraphs. Line blocks
  (``| ...``), fenced divs (``::: {title="@x"}``), ``<div ...>`` tags and example-list markers
  are recognised inside what commonmark calls a paragraph.
* Inlines: our own markdown-it inline rules (``rule(state, silent) -> bool``), driven by a loop
  that jumps from one significant character to the next and makes no text tokens. They follow
  pandoc's parser: citations ``[@a]``, ``[see @a, p. 3; -@b]``, ``@a``, ``-@a``, ``@a [p. 3]``,
  ``@a [@b]``, ``@{key}``; code spans (an unmatched backtick run gives back one backtick);
  ``$..$``/``$$..$$`` math; escapes of any non-alphanumeric character; links, reference links,
  bracketed spans, images, inline notes ``^[..]``, note references ``[^1]``, autolinks and
  ``<span ...>`` tags; and pandoc's recursive-descent emphasis, only to know where a ``*``/``_``
  closes. Whatever pandoc keeps raw (code, math, destinations and titles, attributes,
  autolinks, note labels, span attributes) never yields a citation.
* pandoc 3.9 reads a bracket followed directly by a valid ``(destination)``, ``[label]`` or
  ``{attributes}`` as a link or span, not a citation: ``[@a](http://x)`` is a link whose text
  holds the narrative citation ``@a``. Bracket balancing skips code and math.
* ``@`` right after a pandoc "string" is no citation (``jan@example.org``, ``x.@a``, ``*a*@b``);
  after the end of a key or of ``@label`` it is (``@a@b`` cites both), and so is ``@user`` in a
  bare URL (``https://x.org/@user``), exactly as in pandoc.
* Example lists: ``(@label)``, ``@label.``, ``@label)`` plus a space at the start of a block is
  a list marker, not a citation, and a plain ``@label`` elsewhere then refers to the example.
* Footnotes: citations in a note definition count only if the note is referenced from the
  main text (pandoc drops unused notes); of a label defined twice only the last counts.

Positions are mapped back to the raw text, so columns are exact inside list items, block
quotes, table cells, footnote definitions and after inline markup.

Any text is read in linear time and with a bounded stack (``check`` and ``build`` read every
field without a time limit): lookaheads are remembered (see _Known), parses already tried are
not tried again (see _Memo), rules nest at most _MAX_DEPTH deep (see _TooDeep), and a budget
of work per text is the last line of defence.

Known divergences from pandoc (exotic input; the equivalence test leaves them out):

* Order: pandoc moves a note's content to its reference and repeats it for every reference;
  we report each citation once, in source order.
* Superscripts (``^x^``) and subscripts are not parsed; pandoc tries a superscript before an
  inline note, which changes ``^[..]`` or a code span followed by another ``^`` on the line.
* Emphasis inside citation brackets is scanned one character at a time, so an unbalanced
  ``*`` or a ``;``/``]`` inside emphasis within ``[...]`` can split a citation differently.
* ``$`` inside citation keys meets pandoc's ``$`` math, which pandoc may even read across
  lines of a list item or rows of a table while balancing brackets.
* Block structure: an example-list item or a definition list followed by an indented block
  (pandoc continues the list, we see code); an image alone in a paragraph (pandoc's figure
  repeats the alt text, so its citations twice); a footnote definition with an empty first
  line; ``![..][ref]`` image references; a defined reference label holding ``@``; a title
  block (``% ...``) or YAML metadata at the start; ``@`` in attributes of raw HTML tags other
  than ``<span>``/``<div>``; a textual citation of an example label followed by a bracket.
* Autolinks accept any URI scheme here, pandoc only known ones (``<foo:@x>``).
* Rules nested more than _MAX_DEPTH deep (brackets in brackets, unclosed brackets one after
  the other), where pandoc takes minutes or more, read as text, and a key there as a plain
  citation; so does everything in a text past its budget of work (no real text comes near).
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Callable, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import MD_TRIM_CHARS
from markdown_it.rules_block import StateBlock, blockquote, heading, hr, list_block
from markdown_it.rules_block import paragraph as _commonmark_paragraph
from markdown_it.rules_block import reference as _commonmark_reference
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token


@dataclass(frozen=True)
class CitationRef:
    """One citation key as pandoc reads it, with the 1-based position of its ``@``.

    ``prefix`` and ``suffix`` are the raw text before and after the key inside brackets
    (for ``@key [p. 33]`` the suffix is ``p. 33``); ``locator`` is the locator guessed from
    the suffix (``p. 33``), or empty.
    """

    key: str
    line: int
    col: int
    narrative: bool = False
    suppress_author: bool = False
    prefix: str = ""
    locator: str = ""
    suffix: str = ""


def find_citations(text: str) -> list[CitationRef]:
    """Every citation pandoc would see in ``text``, in document (source) order."""
    if "@" not in text:
        return []
    # as markdown-it's normalize rule (disabled in _parser: the text comes normalized)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
    lines = text.split("\n")
    env: dict[str, Any] = {"_pc_lines": lines}
    texts = _KNOWN.set({})
    try:
        tokens = _parser().parse(text, env)
    finally:
        _KNOWN.reset(texts)
    return _collect(tokens, lines, env)


# --------------------------------------------------------------------------------------------
# What is known about a text, remembered during one find_citations call
# --------------------------------------------------------------------------------------------
#
# The rules look ahead a lot (where does this bracket close? has this backtick run a closer?),
# and often from many places over the same stretch of text. Every lookahead that depends only
# on the text and on where the span read ends is remembered in the text's _Known, so that no
# input makes reading it more than linear. Each text also has a budget of lookahead work, a
# last line of defence: once it is spent, lookaheads find nothing and rules no longer nest,
# so that even a hostile text is read in linear time (its citations as plain ``@key``s).

#: Work allowed per character of a text (and in any case): real texts need less than one
#: unit per character, the hostile ones known (see the tests) less than five.
_BUDGET_PER_CHAR = 32
_BUDGET_BASE = 100_000


def _lower_base(base: int, size: int, pos: int) -> int:
    """Where dense storage from ``base`` (``size`` long) starts once it takes ``pos`` too:
    at least twice as long, so that growing it costs linear time overall."""
    return max(0, min(pos, base - size))


class _Flags:
    """Small bit flags per position (up to ``end``) of a text: a dict while there are few,
    then a bytearray from the lowest flagged position on (growing down as needed)."""

    __slots__ = ("base", "dense", "end", "sparse")

    def __init__(self, end: int) -> None:
        self.end = end
        self.sparse: dict[int, int] = {}
        self.dense: bytearray | None = None
        self.base = 0

    def get(self, pos: int) -> int:
        dense = self.dense
        if dense is not None and self.base <= pos <= self.end:
            return dense[pos - self.base]
        return self.sparse.get(pos, 0)

    def set(self, pos: int, bits: int = 1) -> None:
        dense = self.dense
        if dense is not None and 0 <= pos <= self.end:
            if pos < self.base:
                base = _lower_base(self.base, len(dense), pos)
                self.dense = dense = bytearray(self.base - base) + dense
                self.base = base
            dense[pos - self.base] |= bits
            return
        sparse = self.sparse
        sparse[pos] = sparse.get(pos, 0) | bits
        if dense is None and len(sparse) > 1024:
            base = min(sparse)
            if 0 <= base <= self.end:
                self.base = base
                self.dense = dense = bytearray(self.end - base + 1)
                for at in [at for at in sparse if at <= self.end]:
                    dense[at - base] = sparse.pop(at)


class _Closes:
    """Where openers close, each with the end that the walk finding it read up to: a dict
    while there are few, then arrays over the text (from the lowest opener on)."""

    __slots__ = ("base", "closes", "ends", "size", "sparse")

    def __init__(self, size: int) -> None:
        self.size = size
        self.sparse: dict[int, tuple[int, int]] = {}
        self.closes: array[int] | None = None
        self.ends: array[int] | None = None
        self.base = 0

    def get(self, pos: int) -> tuple[int, int] | None:
        closes, ends = self.closes, self.ends
        if closes is not None and ends is not None and self.base <= pos < self.size:
            close = closes[pos - self.base]
            return None if close < 0 else (close, ends[pos - self.base])
        return self.sparse.get(pos)

    def set(self, pos: int, close: int, end: int) -> None:
        """Note a close (keeping the one found reading furthest, which holds for more)."""
        closes, ends, sparse = self.closes, self.ends, self.sparse
        if closes is not None and ends is not None and 0 <= pos < self.size:
            if pos < self.base:
                base = _lower_base(self.base, len(closes), pos)
                self.closes = closes = array("i", [-1]) * (self.base - base) + closes
                self.ends = ends = array("i", [0]) * (self.base - base) + ends
                self.base = base
            at = pos - self.base
            if closes[at] < 0 or ends[at] < end:
                closes[at], ends[at] = close, end
            return
        known = sparse.get(pos)
        if known is None or known[1] < end:
            sparse[pos] = (close, end)
        if closes is None and len(sparse) > 4096 and self.size < 2**31:
            self.base = base = min(sparse)
            self.closes = closes = array("i", [-1]) * (self.size - base)
            self.ends = ends = array("i", [0]) * (self.size - base)
            for at, (close, end) in sparse.items():
                closes[at - base], ends[at - base] = close, end
            sparse.clear()


class _Pairs:
    """For one kind of pair read up to one end: openers whose closer is known, and openers
    known to stay open."""

    __slots__ = ("closes", "never")

    def __init__(self, end: int, closes: _Closes) -> None:
        self.closes = closes
        self.never = _Flags(end)


class _Stops:
    """The last search for the next stop character (remembered as the stretch it crossed)."""

    __slots__ = ("start", "stop")

    def __init__(self) -> None:
        self.start = self.stop = -1


class _Span:
    """What is known about a text read up to one end (each part made when first needed)."""

    __slots__ = ("_destinations", "_pairs", "_stops", "_tags", "end", "known")

    def __init__(self, known: _Known, end: int) -> None:
        self.known = known
        self.end = end
        self._pairs: dict[str, _Pairs] = {}
        self._stops: dict[str, _Stops] = {}
        self._destinations: dict[int, int] | None = None
        self._tags: dict[int, int | None] | None = None

    def pairs(self, opener: str) -> _Pairs:
        """Pairs opened by ``opener`` (``[``, ``(``, or a title's quote)."""
        pairs = self._pairs.get(opener)
        if pairs is None:  # the closes are shared by all ends: see _pair_close
            pairs = self._pairs[opener] = _Pairs(self.end, self.known.closes(opener))
        return pairs

    def stops(self, name: str) -> _Stops:
        """The last search for ``name``'s stop characters (autolink, angle, note, value)."""
        stops = self._stops.get(name)
        if stops is None:
            stops = self._stops[name] = _Stops()
        return stops

    def destinations(self) -> dict[int, int]:
        """Where a link destination stops, from some of the unclosed ``(`` it went over."""
        if self._destinations is None:
            self._destinations = {}
        return self._destinations

    def tags(self) -> dict[int, int | None]:
        """Where the attributes of a tag end (or None), from some of the attributes read."""
        if self._tags is None:
            self._tags = {}
        return self._tags


class _Runs:
    """The backtick runs of a text: starts and ends, and the starts of the runs of each
    length (all ascending)."""

    __slots__ = ("by_length", "ends", "starts")

    def __init__(self, src: str) -> None:
        self.starts = array("q")
        self.ends = array("q")
        self.by_length: dict[int, array[int]] = {}
        for m in _BACKTICKS.finditer(src):
            start, end = m.span()
            self.starts.append(start)
            self.ends.append(end)
            same = self.by_length.get(end - start)
            if same is None:
                same = self.by_length[end - start] = array("q")
            same.append(start)

    def run_end(self, pos: int) -> int:
        """End of the backtick run holding ``pos`` (``pos`` itself if it holds none)."""
        k = bisect.bisect_right(self.starts, pos) - 1
        return self.ends[k] if k >= 0 and self.ends[k] > pos else pos

    def closer(self, after: int, n: int, end: int) -> int | None:
        """Start of the first run from ``after`` on that is ``n`` long as cut off at ``end``."""
        same = self.by_length.get(n)
        if same:
            k = bisect.bisect_left(same, after)
            if k < len(same) and same[k] + n <= end:
                return same[k]
        cut = self.cut(after, end)
        return cut if cut is not None and end - cut == n else None

    def cut(self, after: int, end: int) -> int | None:
        """Start of the run that ``end`` cuts off (if it starts at ``after`` or later)."""
        k = bisect.bisect_left(self.starts, end) - 1
        if k >= 0 and self.starts[k] >= after and self.ends[k] > end:
            return self.starts[k]
        return None


class _Known:
    """What is known about one text: see the comment above."""

    __slots__ = ("_closes", "budget", "runs", "span_closes", "spans", "src")

    def __init__(self, src: str) -> None:
        self.src = src
        self.budget = _BUDGET_PER_CHAR * len(src) + _BUDGET_BASE
        self._closes: dict[str, _Closes] = {}
        self.runs: _Runs | None = None
        self.span_closes: tuple[list[int], list[int]] | None = None
        self.spans: dict[int, _Span] = {}

    def closes(self, opener: str) -> _Closes:
        """Where the pairs opened by ``opener`` close, as found reading up to any end."""
        closes = self._closes.get(opener)
        if closes is None:
            closes = self._closes[opener] = _Closes(len(self.src))
        return closes

    def spend(self, work: int) -> bool:
        """Charge ``work``; False once the budget is spent."""
        self.budget -= work
        return self.budget >= 0

    def at(self, end: int) -> _Span:
        """What is known about the text read up to ``end``."""
        span = self.spans.get(end)
        if span is None:
            span = self.spans[end] = _Span(self, end)
        return span

    def backtick_runs(self) -> _Runs:
        if self.runs is None:
            self.runs = _Runs(self.src)
        return self.runs


#: The texts of the find_citations call under way (a call on another thread has its own).
_KNOWN: ContextVar[dict[str, _Known] | None] = ContextVar("standpunt_markdown", default=None)


def _known(src: str) -> _Known:
    """What is known about ``src`` (outside find_citations: a fresh, unremembered record)."""
    texts = _KNOWN.get()
    if texts is None:
        return _Known(src)
    known = texts.get(src)
    if known is None:
        known = texts[src] = _Known(src)
    return known


_OPENER, _CLOSER, _STOP = 1, 2, 3


#: What may follow the end of a span read, for a bracket's close found reading further to
#: hold up to it (a backtick run or ``$`` math could end just there, or a digit after ``$``).
_UNSAFE_END = frozenset("`$0123456789")


def _pair_close(
    known: _Known,
    pairs: _Pairs,
    pos: int,
    end: int,
    special: re.Pattern[str],
    kind: Callable[[str, int, int], tuple[int, int]],
) -> int | None:
    """Index of the closer of the opener at ``pos`` in ``known.src[:end]``, or None.

    The walk looks only at the ``special`` characters; ``kind`` says what one is (_OPENER,
    _CLOSER, _STOP, or 0 for something else) and where the walk goes on from it. With a
    stack of openers, one walk learns about every opener it meets: where it closes, or that it
    never does. A later walk jumps over a pair known to close, and stops at an opener known to
    stay open: being outside that opener, it cannot close either. So the walks together are
    linear in the text.

    A close found reading up to some end also holds reading up to a nearer end past it (the
    walk sees the same text; only a code span or math reaching exactly that end could differ,
    hence _UNSAFE_END): so nested link texts, each read up to its own ``]``, share the closes
    of their brackets.
    """
    src = known.src
    closes = pairs.closes
    found = closes.get(pos)
    if found is not None and _holds(src, found, end):
        return found[0]
    never = pairs.never
    if never.get(pos) or known.budget < 0:
        return None
    search = special.search
    stack = [pos]
    i = pos + 1
    result = None
    steps = 0
    while True:
        m = search(src, i, end)
        if m is None:
            break
        i = m.start()
        steps += 1
        what, after = kind(src, i, end)
        if what == _CLOSER:
            closes.set(stack.pop(), i, end)
            if not stack:
                result = i
                break
        elif what == _OPENER:
            jump = closes.get(i)
            if jump is not None and _holds(src, jump, end):
                after = jump[0] + 1
            elif never.get(i):
                break
            else:
                stack.append(i)
        elif what == _STOP:
            break
        i = after
    known.spend(steps)
    if result is None:
        for opener in stack:
            never.set(opener)
    return result


def _holds(src: str, found: tuple[int, int], end: int) -> bool:
    """Does a close found reading up to ``found[1]`` hold reading up to ``end``?"""
    close, read = found
    return close < end <= read and (end == read or src[end] not in _UNSAFE_END)


def _next_stop(
    known: _Known, memo: _Stops, pos: int, end: int, special: re.Pattern[str], escapes: bool
) -> int:
    """The first ``special`` character from ``pos`` on (or ``end``); with ``escapes`` a
    backslash before a non-alphanumeric character hides it. A search starting inside the
    stretch crossed by the last one ends where it ended (unless it starts right after a
    backslash, which may have hidden its first character)."""
    src = known.src
    if memo.start <= pos <= memo.stop and (pos == memo.start or src[pos - 1] != "\\"):
        return memo.stop
    i = pos
    while True:
        m = special.search(src, i, end)
        if m is None:
            stop = end
            break
        k = m.start()
        if escapes and src[k] == "\\":
            i = k + 2 if k + 1 < end and not src[k + 1].isalnum() else k + 1
            continue
        stop = k
        break
    known.spend(stop - pos)
    memo.start, memo.stop = pos, stop
    return stop


# --------------------------------------------------------------------------------------------
# Small scanners shared by the rules (all work on ``src[pos:end]``)
# --------------------------------------------------------------------------------------------

_SPACE_TAB = " \t"
_SIMPLE_KEY = re.compile(r"[\w*](?:\w|[:.#$%&\-+?<>~/](?=\w)|[:/](?=/))*")
_BACKTICKS = re.compile(r"`+")
_BRACE_SPECIAL = re.compile(r"[{}\s]")


def _brace_kind(src: str, i: int, end: int) -> tuple[int, int]:
    c = src[i]
    if c == "{":
        return _OPENER, i + 1
    if c == "}":
        return _CLOSER, i + 1
    return _STOP, i  # white space


def _scan_key(src: str, pos: int, end: int) -> tuple[str, int] | None:
    """pandoc's citation key at ``pos`` (just after ``@``): ``(key, end)`` or None.

    A key starts with a letter, digit, ``_`` (or ``*``) and goes on with letters, digits,
    ``_`` and inner punctuation ``:.#$%&-+?<>~/`` (followed by a letter, digit or ``_``), or
    ``:``/``/`` before a ``/``. ``@{...}`` holds any key without spaces, braces balanced.
    """
    m = _SIMPLE_KEY.match(src, pos, end)
    if m:
        return m.group(), m.end()
    if pos >= end or src[pos] != "{":
        return None
    # Where the brace closes in the whole text tells where it closes before ``end`` (there is
    # nothing to skip inside): so one record serves every end.
    known = _known(src)
    braces = known.at(len(src)).pairs("{")  # braces are read to the end of the text
    close = _pair_close(known, braces, pos, len(src), _BRACE_SPECIAL, _brace_kind)
    if close is None or close >= end:
        return None
    return src[pos + 1 : close], close + 1


def _spnl(src: str, i: int, end: int) -> int | None:
    """pandoc's ``spnl``: spaces, at most one newline, spaces; None before a blank line."""
    while i < end and src[i] in _SPACE_TAB:
        i += 1
    if i < end and src[i] == "\n":
        i += 1
        while i < end and src[i] in _SPACE_TAB:
            i += 1
    if i < end and src[i] == "\n":
        return None
    return i


def _lit_char(src: str, i: int, end: int) -> int:
    """Skip one pandoc ``litChar`` (an escaped symbol counts as one)."""
    if src[i] == "\\" and i + 1 < end and not src[i + 1].isalnum():
        return i + 2
    return i + 1


def _code_end(src: str, pos: int, end: int) -> int | None:
    """End of the pandoc code span opening at ``pos`` (with its attributes), or None.

    The closer is the next backtick run just as long as the opener (runs cut off at ``end``
    count as cut). The usual code span closes soon, so the next few hundred characters are
    read first; past them, the closer is looked up among the text's runs, so that the text is
    not read again for every backtick given back (see _code_skip).
    """
    if pos >= end or src[pos] != "`":
        return None
    run_end = _BACKTICKS.match(src, pos, end).end()  # type: ignore[union-attr]
    if run_end >= end:
        return None  # the opener reaches the end: nothing can close it
    n = run_end - pos
    close = None
    limit = min(end, run_end + 256)
    i = run_end
    while True:
        k = src.find("`", i, limit)
        if k < 0:
            if limit == end:
                return None
            break  # not decided within the window
        j = k + 1
        while j < limit and src[j] == "`":
            j += 1
        if j == limit < end:
            break  # the run may go on past the window
        if j - k == n:
            close = k
            break
        i = j
    if close is None:
        close = _known(src).backtick_runs().closer(run_end, n, end)
        if close is None:
            return None
    j = close + n
    if j < end and src[j] == "{":
        attr_end = _attributes_end(src, j, end)
        if attr_end is not None:
            return attr_end
    return j


def _code_skip(src: str, pos: int, end: int) -> int:
    """Where to go on after the backtick run at ``pos`` found no closer: pandoc gives back
    one backtick and tries again from the next, so this is the first later position in the
    run whose (shorter) run does have a closer, or else the end of the run."""
    runs = _known(src).backtick_runs()
    run_end = min(runs.run_end(pos), end)
    longest = run_end - pos - 1  # the longest opener still to try
    if longest <= 0 or run_end >= end:
        return max(run_end, pos + 1)
    best = 0
    if longest <= len(runs.by_length):
        for n in range(longest, 0, -1):
            if runs.closer(run_end, n, end) is not None:
                best = n
                break
    else:
        for n, same in runs.by_length.items():
            if best < n <= longest:
                k = bisect.bisect_left(same, run_end)
                if k < len(same) and same[k] + n <= end:
                    best = n
        cut = runs.cut(run_end, end)
        if cut is not None and best < end - cut <= longest:
            best = end - cut
    return run_end - best if best else run_end


_BRACKET_SPECIAL = re.compile(r"[\[\]\\`$]")


def _skip_raw(src: str, i: int, end: int) -> int | None:
    """Where a code span, math or escape at ``i`` ends (pandoc reads nothing inside), or
    None if ``src[i]`` starts none of them. An unclosed backtick run is skipped as
    _code_skip says; a lone ``$`` or a backslash before a letter or digit is not skipped."""
    c = src[i]
    if c == "`":
        code = _code_end(src, i, end)
        return code if code is not None else _code_skip(src, i, end)
    if c == "$":
        return _math_end(src, i, end)
    if c == "\\" and i + 1 < end and not src[i + 1].isalnum():
        return i + 2
    return None


def _bracket_kind(src: str, i: int, end: int) -> tuple[int, int]:
    c = src[i]
    if c == "[":
        return _OPENER, i + 1
    if c == "]":
        return _CLOSER, i + 1
    stop = _skip_raw(src, i, end)
    return 0, stop if stop is not None else i + 1


def _balanced_end(src: str, pos: int, end: int) -> int | None:
    """Index of the ``]`` closing the ``[`` at ``pos`` as pandoc's link labels balance it
    (skipping escapes, code and math)."""
    first = _BRACKET_SPECIAL.search(src, pos + 1, end)
    if first is None:
        return None
    if src[first.start()] == "]":  # the usual bracket, with nothing to skip inside
        return first.start()
    known = _known(src)
    pairs = known.at(end).pairs("[")
    return _pair_close(known, pairs, pos, end, _BRACKET_SPECIAL, _bracket_kind)


def _identifier_end(src: str, i: int, end: int) -> int | None:
    """End of a pandoc attribute identifier (a letter, then letters, digits, ``-_:.``)."""
    if i >= end or not src[i].isalpha():
        return None
    i += 1
    while i < end and (src[i].isalnum() or src[i] in "-_:."):
        i += 1
    return i


def _quoted_end(src: str, i: int, end: int, quote: str) -> int | None:
    """End of a pandoc attribute value in quotes starting at ``i``."""
    i += 1
    while i < end:
        c = src[i]
        if c == quote:
            return i + 1
        if c == "\n":
            return None
        i = _lit_char(src, i, end)
    return None


_VALUE_STOP = re.compile(r"[ \t\n\r}\\]")


def _attributes_end(src: str, pos: int, end: int) -> int | None:
    """End of pandoc ``{#id .class key=value}`` attributes at ``pos``, or None."""
    i = _spnl(src, pos + 1, end)
    while i is not None and i < end:
        c = src[i]
        if c == "}":
            return i + 1
        if c in "#.":
            j = _identifier_end(src, i + 1, end)
        elif c == "-":
            j = i + 1
        else:
            j = _identifier_end(src, i, end)
            if j is not None:
                if j >= end or src[j] != "=":
                    return None
                j += 1
                q = _quoted_end(src, j, end, src[j]) if j < end and src[j] in "\"'" else None
                if q is not None:
                    j = q
                else:  # an unquoted value: up to a space or '}'
                    known = _known(src)
                    j = _next_stop(known, known.at(end).stops("value"), j, end, _VALUE_STOP, True)
        if j is None:
            return None
        i = _spnl(src, j, end)
    return None


def _title_kinds(quote: str) -> Callable[[str, int, int], tuple[int, int]]:
    def kind(src: str, i: int, end: int) -> tuple[int, int]:
        if src[i] == quote:  # before a letter or digit it opens a nested title, else closes
            return (_OPENER if i + 1 < end and src[i + 1].isalnum() else _CLOSER), i + 1
        return 0, _lit_char(src, i, end)

    return kind


_TITLE_WALKS = {quote: (re.compile(rf"[{quote}\\]"), _title_kinds(quote)) for quote in "\"'"}


def _title_end(src: str, i: int, end: int, quote: str) -> int | None:
    """End of a pandoc link title in ``quote`` quotes starting at ``i``.

    pandoc reads a quote before a letter or digit as the start of a nested title, which must
    close first: so quotes pair up like brackets (and a title that does not close fails).
    """
    if i + 1 >= end or src[i + 1].isspace():
        return None
    known = _known(src)
    special, kind = _TITLE_WALKS[quote]
    close = _pair_close(known, known.at(end).pairs(quote), i, end, special, kind)
    return None if close is None else close + 1


_PAREN_SPECIAL = re.compile(r"[()\\]")


def _paren_kind(src: str, i: int, end: int) -> tuple[int, int]:
    c = src[i]
    if c == "(":
        return _OPENER, i + 1
    if c == ")":
        return _CLOSER, i + 1
    return 0, _lit_char(src, i, end)


_ANGLE_STOP = re.compile(r"[>\\]")
_DESTINATION_SPECIAL = re.compile(r"[() \\]")


def _source_end(src: str, pos: int, end: int) -> int | None:
    """End of a pandoc link destination ``(url "title")`` at ``pos``, or None."""
    start = pos + 1
    while start < end and src[start] in _SPACE_TAB:
        start += 1
    i = start
    angle_done = False
    known = _known(src)
    span = known.at(end)
    if i < end and src[i] == "<":
        j = _next_stop(known, span.stops("angle"), i + 1, end, _ANGLE_STOP, True)
        if j < end:
            i = j + 1
            angle_done = True
    if not angle_done:
        # up to a ')' or a space before a title; balanced parentheses are skipped. Where the
        # destination stops is noted at every 8th unclosed '(' passed, so that destinations
        # read from later '(' (after ']' in '[a](' repeated) stop there soon.
        marks = span.destinations()
        parens = span.pairs("(")
        passed: list[int] = []
        unclosed = steps = 0
        while True:
            m = _DESTINATION_SPECIAL.search(src, i, end)
            if m is None:
                i = end
                break
            i = m.start()
            c = src[i]
            steps += 1
            if c == "(":
                stop = marks.get(i)  # (only unclosed ones are noted)
                if stop is not None:
                    i = stop
                    break
                close = _pair_close(known, parens, i, end, _PAREN_SPECIAL, _paren_kind)
                if close is not None:
                    i = close + 1
                    continue
                if unclosed % 8 == 0:
                    passed.append(i)
                unclosed += 1
                i += 1
            elif c == " ":
                j = i
                while j < end and src[j] in _SPACE_TAB:
                    j += 1
                if j < end and src[j] in "\"')":
                    break
                i = j
            elif c == ")":
                break
            else:
                i = _lit_char(src, i, end)
        for at in passed:
            marks[at] = i
        known.spend(steps)
    title_start = _spnl(src, i, end)
    if title_start is not None and title_start < end and src[title_start] in "\"'":
        title = _title_end(src, title_start, end, src[title_start])
        if title is not None:
            i = title
    while i < end and src[i] in _SPACE_TAB:
        i += 1
    if i < end and src[i] == ")":
        return i + 1
    return None


def _continuation(src: str, pos: int, end: int) -> tuple[str, int] | None:
    """What directly after a ``]`` makes the bracket a link or span (pandoc 3.9)."""
    if pos >= end:
        return None
    c = src[pos]
    if c == "(":
        e = _source_end(src, pos, end)
        if e is not None and e < end and src[e] == "{":
            e = _attributes_end(src, e, end) or e
        return ("source", e) if e is not None else None
    if c == "[":
        if src.startswith("[^", pos):
            return None
        e = _balanced_end(src, pos, end)
        return ("label", pos) if e is not None else None
    if c == "{":
        e = _attributes_end(src, pos, end)
        return ("attributes", e) if e is not None else None
    return None


_TAG_SPACE = re.compile(r"\s*")
_TAG_NAME = re.compile(r"[^\s\"'>/=]+")
_TAG_VALUE = re.compile(r"\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+)")
#: An HTML tag's attributes and ``>``, as _tag_end reads them (for a single line)
_TAG_REST = r"""(?:\s++[^\s"'>/=]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s"'=<>`]++))?+)*+\s*+>"""


def _tag_end(src: str, pos: int, end: int) -> int | None:
    """End of the attributes and ``>`` of an HTML tag whose name ends at ``pos``, or None
    (the regular expression :data:`_TAG_REST`, read by hand: where the tag ends is noted after
    every 16th attribute, so that a tag read from inside another's attributes stops there)."""
    known = _known(src)
    marks = known.at(end).tags()
    passed: list[int] = []
    count = 0
    i = pos
    while True:
        if i in marks:
            result = marks[i]
            break
        j = _TAG_SPACE.match(src, i, end).end()  # type: ignore[union-attr]
        if j < end and src[j] == ">":
            result = j + 1
            break
        name = _TAG_NAME.match(src, j, end) if j > i else None
        if name is None:
            result = None
            break
        i = name.end()
        value = _TAG_VALUE.match(src, i, end)
        if value:
            i = value.end()
        if count % 16 == 0:
            passed.append(i)
        count += 1
    for at in passed:
        marks[at] = result
    known.spend(i - pos)
    return result


def _span_closed(src: str, pos: int, end: int) -> bool:
    """Is there a ``</span>`` in ``src[pos:end]``?"""
    known = _known(src)
    if known.span_closes is None:
        found = [m.span() for m in _SPAN_CLOSE.finditer(src)]  # these never overlap
        known.span_closes = ([start for start, _ in found], [stop for _, stop in found])
    starts, stops = known.span_closes
    k = bisect.bisect_left(starts, pos)
    return k < len(starts) and stops[k] <= end


_NOTE_MARKER = re.compile(r"\[\^([^\s\]]+)\]")
_NOTE_STOP = re.compile(r"[\s\]]")


def _note_label(src: str, pos: int, end: int) -> str | None:
    """The label of a note reference ``[^label]`` at ``pos`` (:data:`_NOTE_MARKER`, but
    finding the end of a label once for all the ``[^`` before it)."""
    if not src.startswith("[^", pos):
        return None
    known = _known(src)
    stop = _next_stop(known, known.at(len(src)).stops("note"), pos + 2, len(src), _NOTE_STOP, False)
    if stop == pos + 2 or stop >= end or src[stop] != "]":
        return None
    return src[pos + 2 : stop]


_SPAN_START = re.compile(r"<span", re.IGNORECASE)
_SPAN_CLOSE = re.compile(r"</span\s*>", re.IGNORECASE)
_DIV_OPEN = re.compile(rf"[ ]{{0,3}}<div{_TAG_REST}", re.IGNORECASE)
# possessive: a label not followed by '.' or ')' must not be tried split in every way
_LABEL = r"(?:[^\W_]++|[_-][^\W_]++)*+"
_LABEL_RE = re.compile(_LABEL)
_EXAMPLE_MARKER = re.compile(rf"[ \t]{{0,3}}(?:\(@({_LABEL})\)|@({_LABEL})[.)])(?=[ \t]|$)")


# --------------------------------------------------------------------------------------------
# Inline rules
# --------------------------------------------------------------------------------------------


#: How deep rules may nest (a bracket in a bracket, a citation in a locator, ...): pandoc
#: itself takes minutes at a depth of 12, so no text it can read goes deeper. Deeper, the
#: rule that would nest fails: see _TooDeep.
_MAX_DEPTH = 16
#: The characters whose rules may run other rules.
_NESTING = frozenset("[!^~@-")


class _TooDeep(Exception):
    """Raised where a rule would nest deeper than _MAX_DEPTH, or once the text's budget of
    work is spent. It ends every parse under way up to the nearest _scan, which then reads
    the character as text, or an ``@key`` as a plain citation. The parses it ends are
    remembered as failed, so that each is tried once: reading stays linear however deep the
    brackets nest (and pandoc would take ages there anyway)."""


def _context(state: StateInline) -> dict[str, Any]:
    """Per inline source: ends of keys and labels, string ends, emphasis stack, memos by end
    (see _memo), the nesting depth, what is known about the text, and what was ``found``
    (lists of citations, and labels of note references)."""
    try:
        context: dict[str, Any] = state.pandoc_context  # type: ignore[attr-defined]
    except AttributeError:
        context = _new_context(state.src, [])
        state.pandoc_context = context  # type: ignore[attr-defined]
    return context


def _new_context(src: str, found: list[list[_Cite] | str]) -> dict[str, Any]:
    return {
        "ends": set(),
        "strends": set(),
        "emph": [],
        "memos": {},
        "depth": 0,
        "known": _known(src),
        "found": found,
    }


def _ends(state: StateInline) -> set[int]:
    """Positions right after a citation key or ``@label`` (no string ends there)."""
    ends: set[int] = _context(state)["ends"]
    return ends


_NORMAL, _BARELOC, _LIST = 1, 2, 4

#: A list of citations as a chain of links ``(cite, rest)``, so lists can share their tails.
_Chain = tuple["_Cite", "_Chain"] | None


class _Memo:
    """Parses tried in one inline source read up to one end: successes by position, and
    failures (also parses under way, and those ended by _TooDeep) as flags."""

    __slots__ = ("bareloc", "failed", "lists", "normal")

    def __init__(self, end: int) -> None:
        self.failed = _Flags(end)
        self.normal: dict[int, tuple[list[_Cite], int]] = {}
        self.bareloc: dict[int, tuple[tuple[int, int], _Chain, int]] = {}
        self.lists: dict[int, tuple[_Chain, int]] = {}


def _memo(state: StateInline) -> _Memo:
    """The memo of parses up to the current end (``posMax``) of ``state``."""
    memos: dict[int, _Memo] = _context(state)["memos"]
    end = state.posMax
    memo = memos.get(end)
    if memo is None:
        memo = memos[end] = _Memo(end)
    return memo


def _chain_list(chain: _Chain) -> list[_Cite]:
    cites = []
    while chain is not None:
        cites.append(chain[0])
        chain = chain[1]
    return cites


def _after_string(state: StateInline, pos: int) -> bool:
    """pandoc's ``not notAfterString``: does a string (or emphasis) end right at ``pos``?"""
    if pos <= 0:
        return False
    src = state.src
    c = src[pos - 1]
    if c.isalnum():
        return pos not in _ends(state)
    if c == ".":
        start = pos - 1
        while start > 0 and src[start - 1] == ".":
            start -= 1
        dots = pos - start
        if _escaped(src, start):
            dots -= 1
        return dots > 0 and dots % 3 != 0
    if c in "*_":
        return pos in _context(state)["strends"]
    return False


def _escaped(src: str, pos: int) -> bool:
    """Is ``src[pos]`` preceded by an odd number of backslashes?"""
    n = 0
    while pos - n - 1 >= 0 and src[pos - n - 1] == "\\":
        n += 1
    return n % 2 == 1


def _cite_key(state: StateInline, pos: int) -> tuple[bool, str, int, int] | None:
    """pandoc's ``citeKey``: ``(suppress_author, key, at, end)`` or None."""
    src, end = state.src, state.posMax
    if pos >= end or _after_string(state, pos):
        return None
    at = pos
    if src[at] == "-":
        at += 1
    if at >= end or src[at] != "@":
        return None
    found = _scan_key(src, at + 1, end)
    if found is None:
        return None
    return at > pos, found[0], at, found[1]


def _skip(state: StateInline, i: int) -> int:
    """Skip one pandoc inline at ``i`` (without producing tokens)."""
    src, end = state.src, state.posMax
    c = src[i]
    if c.isalnum() or c == ".":
        j = i + 1
        while j < end and (src[j].isalnum() or src[j] == "."):
            j += 1
        return j
    if c in _SPACE_TAB:
        j = i + 1
        while j < end and src[j] in _SPACE_TAB:
            j += 1
        return j
    if c == "\n":
        j = i + 1
        while j < end and src[j] in _SPACE_TAB:
            j += 1
        return j
    rule = _SKIP_RULES.get(c)
    if rule is not None:
        saved = state.pos
        state.pos = i
        if c in _NESTING:
            context = _context(state)
            depth = context["depth"]
            known: _Known = context["known"]
            known.budget -= 1
            if depth >= _MAX_DEPTH or known.budget < 0:
                raise _TooDeep
            context["depth"] = depth + 1
            try:
                matched = rule(state, True)
            finally:
                context["depth"] = depth
        else:
            matched = rule(state, True)
        stop = state.pos
        state.pos = saved
        if matched:
            return stop
    if c == "-":
        j = i
        while j < end and src[j] == "-" and j - i < 3:
            j += 1
        return j if j - i > 1 else i + 1
    return i + 1


@dataclass
class _Cite:
    """A citation as parsed: ``at`` is the offset of its ``@``, prefix/suffix are spans;
    ``plain`` marks a narrative citation without brackets after it."""

    key: str
    at: int
    narrative: bool
    suppress: bool
    prefix: tuple[int, int] | None = None
    suffix: tuple[int, int] | None = None
    plain: bool = False


def _citation(state: StateInline, i: int) -> tuple[_Cite, int] | None:
    """pandoc's ``citation`` (prefix, key, suffix) inside brackets, starting at ``i``."""
    src, end = state.src, state.posMax
    start = i
    while True:
        if i >= end:
            return None
        if src[i] == "]":
            prefix_end = i
            i += 1
            break
        j = i
        if src[j] == ";":
            after = _spnl(src, j + 1, end)
            if after is not None:
                j = after
        if _cite_key(state, j) is not None:
            prefix_end = i
            break
        i = _skip(state, i)
    found = _cite_key(state, i)
    if found is None:
        return None
    suppress, key, at, key_end = found
    _ends(state).add(key_end)
    i = key_end
    while i < end and src[i] not in ";]":
        i = _skip(state, i)
    cite = _Cite(key, at, False, suppress, (start, prefix_end), (key_end, i))
    return cite, i


def _cite_list(
    state: StateInline, i: int, memo: _Memo, after_bracket: bool
) -> tuple[_Chain, int] | None:
    """pandoc's ``citeList``: citations separated by ``;``, as a chain, and where it ends.

    Remembered at the start of each citation after a ``;``: lists that share a tail (a
    locator ``@a [p. 1; @b ...`` and the one after ``@b``) read it once. (A list right after
    a ``[`` is remembered with the bracket, by _normal_cite.)
    """
    lists, failed = memo.lists, memo.failed
    src, end = state.src, state.posMax
    path: list[tuple[int, _Cite]] = []
    while True:
        if after_bracket:
            after_bracket = False
        else:
            known = lists.get(i)
            if known is not None:
                break
            if failed.get(i) & _LIST:
                return None
            failed.set(i, _LIST)  # until it succeeds (and against reading it inside itself)
        found = _citation(state, i)
        if found is None:
            return None
        path.append((i, found[0]))
        i = found[1]
        if i < end and src[i] == ";":
            after = _spnl(src, i + 1, end)
            if after is not None:
                i = after
                continue
        known = (None, i)
        break
    chain, stop = known
    for start, cite in reversed(path):
        chain = (cite, chain)
        lists[start] = (chain, stop)
    return chain, stop


def _normal_cite(state: StateInline, pos: int) -> tuple[list[_Cite], int] | None:
    """pandoc's ``normalCite`` at the ``[`` at ``pos``: ``(citations, end)`` or None."""
    memo = _memo(state)
    known = memo.normal.get(pos)
    if known is not None:
        return known
    if memo.failed.get(pos) & _NORMAL:
        return None
    memo.failed.set(pos, _NORMAL)  # until it succeeds (and against reading it inside itself)
    src, end = state.src, state.posMax
    i = _spnl(src, pos + 1, end)
    found = _cite_list(state, i, memo, True) if i is not None else None
    if found is None:
        return None
    chain, i = found
    j = _spnl(src, i, end)
    if j is None or j >= end or src[j] != "]" or _continuation(src, j + 1, end) is not None:
        return None
    result = memo.normal[pos] = (_chain_list(chain), j + 1)
    return result


def _bareloc(state: StateInline, pos: int) -> tuple[tuple[int, int], _Chain, int] | None:
    """pandoc's ``bareloc``: ``[p. 33]`` after a narrative citation: the suffix, the
    citations after it, and the end."""
    src, end = state.src, state.posMax
    if src.startswith("[^", pos):
        return None
    memo = _memo(state)
    known = memo.bareloc.get(pos)
    if known is not None:
        return known
    if memo.failed.get(pos) & _BARELOC:
        return None
    memo.failed.set(pos, _BARELOC)  # until it succeeds
    i = _spnl(src, pos + 1, end)
    if i is None:
        return None
    suffix_start = pos + 1
    while i < end and src[i] not in ";]":
        i = _skip(state, i)
    suffix = (suffix_start, i)
    rest: _Chain = None
    if i < end and src[i] == ";":
        after = _spnl(src, i + 1, end)
        found = _cite_list(state, after, memo, False) if after is not None else None
        if found is not None:
            rest, i = found
    j = _spnl(src, i, end)
    if j is None or j >= end or src[j] != "]":
        return None
    nxt = j + 1
    if nxt < end and (src[nxt] in "[(" or _continuation(src, nxt, end) is not None):
        return None
    result = memo.bareloc[pos] = (suffix, rest, nxt)
    return result


def _push_cites(state: StateInline, cites: list[_Cite]) -> None:
    """Emit one token for ``cites`` and tokenize their prefixes and suffixes."""
    _context(state)["found"].append(cites)
    for cite in cites:
        for part in (cite.prefix, cite.suffix):
            if part and _SPECIAL.search(state.src, part[0], part[1]):
                _tokenize(state, part[0], part[1], fresh=False)


def _tokenize(state: StateInline, start: int, stop: int, fresh: bool = True) -> None:
    """Parse ``src[start:stop]`` as inlines into the current token stream.

    ``fresh`` parses it as pandoc's ``parseFromString`` does (link labels, notes): as its own
    text, so emphasis opened outside cannot close inside.
    """
    context = _context(state)
    old_pos, old_max, old_emph = state.pos, state.posMax, context["emph"]
    if fresh:
        context["emph"] = []
    try:
        _scan(state, start, stop)
    finally:
        state.pos, state.posMax = old_pos, old_max
        context["emph"] = old_emph


def _rule_cite(state: StateInline, silent: bool, brackets: bool = True) -> bool:
    """``@key``, ``-@key``, ``@key [p. 3]`` and ``@key [@other]``; else pandoc's ``@label``.

    Without ``brackets``, a bracket after the key is not tried (see _TooDeep).
    """
    pos, src, end = state.pos, state.src, state.posMax
    c = src[pos]
    if c == "-":
        if pos + 1 >= end or src[pos + 1] != "@":
            return False
        start = pos
        while start > 0 and src[start - 1] == "-":
            start -= 1
        if _escaped(src, start):
            start += 1
        if (pos - start + 1) % 3 != 1:
            return False
    elif c != "@":
        return False
    found = _cite_key(state, pos)
    if found is None:
        if c == "-":
            return False
        # pandoc's exampleRef: '@' plus a label, kept as text
        m = _LABEL_RE.match(src, pos + 1, end)
        stop = m.end() if m else pos + 1
        _ends(state).add(stop)
        state.pos = stop
        return True
    suppress, key, at, key_end = found
    _ends(state).add(key_end)
    stop = key_end
    normal = bare = None
    i = _spnl(src, key_end, end) if brackets else None
    if i is not None and i < end and src[i] == "[":
        normal = _normal_cite(state, i)
        if normal is not None:
            stop = normal[1]
        else:
            bare = _bareloc(state, i)
            if bare is not None:
                stop = bare[2]
    if not silent:
        first = _Cite(key, at, True, suppress)
        cites = [first]
        if normal is not None:
            cites.extend(normal[0])
        elif bare is not None:
            first.suffix = bare[0]
            cites.extend(_chain_list(bare[1]))
        first.plain = stop == key_end
        _push_cites(state, cites)
    state.pos = stop
    return True


def _rule_bracket(state: StateInline, silent: bool) -> bool:
    """``[`` : note reference, link/span, citation, or reference/shortcut link."""
    pos, src, end = state.pos, state.src, state.posMax
    if src[pos] != "[":
        return False
    label = _note_label(src, pos, end) if src.startswith("[^", pos) else None
    if label is not None:
        if not silent:
            _context(state)["found"].append(label)
        state.pos = pos + len(label) + 3
        return True
    note_like = src.startswith("[^", pos)
    close = None if note_like else _balanced_end(src, pos, end)
    if close is not None:
        cont = _continuation(src, close + 1, end)
        if cont is not None:
            if not silent:
                _tokenize(state, pos + 1, close)
            state.pos = close + 1 if cont[0] == "label" else cont[1]
            return True
    normal = _normal_cite(state, pos)
    if normal is not None:
        if not silent:
            _push_cites(state, normal[0])
        state.pos = normal[1]
        return True
    if close is not None:
        if not silent:
            _tokenize(state, pos + 1, close)
        state.pos = close + 1
        return True
    return False


def _rule_image(state: StateInline, silent: bool) -> bool:
    """``![alt](src)``: the alt text is parsed, the destination is not."""
    pos, src, end = state.pos, state.src, state.posMax
    if not src.startswith("![", pos) or src.startswith("![^", pos):
        return False
    close = _balanced_end(src, pos + 1, end)
    if close is None or close + 1 >= end or src[close + 1] != "(":
        return False
    cont = _continuation(src, close + 1, end)
    if cont is None:
        return False
    if not silent:
        _tokenize(state, pos + 2, close)
    state.pos = cont[1]
    return True


def _rule_script(state: StateInline, silent: bool) -> bool:
    """pandoc ``^superscript^`` and ``~subscript~``: text up to the next marker, no spaces,
    parsed on its own (so ``~k_@c~d`` cites ``c``)."""
    pos, src, end = state.pos, state.src, state.posMax
    c = src[pos]
    if c == "~" and (src.startswith("~~", pos) or (pos > 0 and src[pos - 1] == "~")):
        return False  # strikeout: its content is parsed in place
    j = pos + 1
    while j < end and src[j] != c and src[j] not in " \t\n":
        j += 1
    if j == pos + 1 or j >= end or src[j] != c:
        return False
    if not silent:
        _tokenize(state, pos + 1, j)
    state.pos = j + 1
    return True


def _rule_inline_note(state: StateInline, silent: bool) -> bool:
    """``^[inline note]``."""
    pos, src, end = state.pos, state.src, state.posMax
    if not src.startswith("^[", pos):
        return False
    close = _balanced_end(src, pos + 1, end)
    if close is None or _continuation(src, close + 1, end) is not None:
        return False  # (pandoc 3.9: then '^' is text and the bracket a link or span)
    if not silent:
        _tokenize(state, pos + 2, close)
    state.pos = close + 1
    return True


def _rule_code(state: StateInline, silent: bool) -> bool:
    """pandoc code span; an unmatched backtick run gives back a single backtick."""
    pos, src = state.pos, state.src
    if src[pos] != "`":
        return False
    stop = _code_end(src, pos, state.posMax)
    state.pos = stop if stop is not None else _code_skip(src, pos, state.posMax)
    return True


def _math_end(src: str, pos: int, end: int) -> int | None:
    """End of pandoc ``$$display$$`` or ``$inline$`` math at ``pos``, or None."""
    if src.startswith("$$", pos) and pos + 2 < end:
        k = src.find("$$", pos + 3, end)
        if k >= 0:
            return k + 2
    i = pos + 1
    if i >= end or src[i].isspace():
        return None
    first = True
    while True:
        if not first and i < end and src[i] == "$":
            return None if i + 1 < end and "0" <= src[i + 1] <= "9" else i + 1
        if i >= end:
            return None
        c = src[i]
        if c == "\\":
            if i + 1 >= end:
                return None
            i += 2
        elif c in " \t\n\r":
            j = i
            while j < end and src[j] in _SPACE_TAB:
                j += 1
            if j < end and src[j] == "\n":
                j += 1
            if j < end and src[j] == "$":
                return None
            i = j
        else:
            i += 1
        first = False


def _rule_math(state: StateInline, silent: bool) -> bool:
    """pandoc ``$..$`` / ``$$..$$`` math (no citations inside)."""
    pos = state.pos
    if state.src[pos] != "$":
        return False
    stop = _math_end(state.src, pos, state.posMax)
    if stop is None:
        return False
    state.pos = stop
    return True


def _rule_escape(state: StateInline, silent: bool) -> bool:
    """pandoc escapes: a backslash before any non-alphanumeric character."""
    pos, src, end = state.pos, state.src, state.posMax
    if src[pos] != "\\":
        return False
    if pos + 1 < end and src[pos + 1] == "\n":
        return False  # hard line break: markdown-it's newline handling
    state.pos = pos + 2 if pos + 1 < end and not src[pos + 1].isalnum() else pos + 1
    return True


def _ender(src: str, i: int, end: int, c: str, n: int) -> bool:
    """pandoc's ``ender c n`` at ``i``: n markers, and for ``_`` no letter after them."""
    if i + n > end or src[i : i + n] != c * n:
        return False
    return c == "*" or i + n >= end or not src[i + n].isalnum()


def _rule_emphasis(state: StateInline, silent: bool) -> bool:
    """Track pandoc's ``*``/``_`` enclosures, only to know where one closes.

    pandoc parses emphasis by recursive descent: an opened enclosure closes at the next
    matching marker run (for ``_`` one not followed by a letter) and a closer counts as the
    end of a string, so ``*a*@b`` is no citation. Emphasis tokens are not needed here.
    """
    if silent:
        return False
    pos, src, end = state.pos, state.src, state.posMax
    c = src[pos]
    if c not in "*_":
        return False
    context = _context(state)
    stack: list[list[Any]] = context["emph"]
    strends: set[int] = context["strends"]
    run_end = pos
    while run_end < end and src[run_end] == c:
        run_end += 1
    i = pos
    while i < run_end:
        top = stack[-1] if stack else None
        if top is not None and top[0] == c:
            n = top[1]
            if n == 1 and _ender(src, i, end, c, 1):
                if src.startswith(c * 2, i) and not _ender(src, i + 2, end, c, 1):
                    stack.append([c, 2])
                    i += 2
                    continue
                stack.pop()
                i += 1
                strends.add(i)
                continue
            if n == 2 and _ender(src, i, end, c, 2):
                stack.pop()
                i += 2
                strends.add(i)
                continue
            if n == 3 and _ender(src, i, end, c, 1):
                for k, rest in ((3, None), (2, 1), (1, 2)):
                    if _ender(src, i, end, c, k):
                        stack.pop()
                        if rest is not None:
                            stack.append([c, rest])
                        i += k
                        strends.add(i)
                        break
                continue
        # an opening enclosure
        if c == "_" and _after_string(state, i):
            i += 1
            continue
        if run_end < end and src[run_end] in _SPACE_TAB:
            break
        if run_end - i <= 3:
            stack.append([c, run_end - i])
        break
    state.pos = run_end
    return True


def _rule_span_html(state: StateInline, silent: bool) -> bool:
    """pandoc's native ``<span ...>`` (with a closing tag): its attributes are not text."""
    pos, src, end = state.pos, state.src, state.posMax
    if not _SPAN_START.match(src, pos, end) or not _span_closed(src, pos + 5, end):
        return False
    tag_end = _tag_end(src, pos + 5, end)
    if tag_end is None or not _span_closed(src, tag_end, end):
        return False
    state.pos = tag_end
    return True


_AUTOLINK_STOP = re.compile(r"[\s>]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{1,31}:")
_EMAIL_NAME = re.compile(r"[\w!#$%&'*+\-/=?^{|}~.]+@")
_ALNUM = re.compile(r"[^\W_]")


def _autolink_end(src: str, pos: int, end: int) -> int | None:
    r"""End of a pandoc autolink at ``pos``: ``<`` and ``>`` around a scheme and anything
    but spaces, or a mail address (a name with a letter or digit, ``@``, a domain); that is
    the regular expression
    ``<(?:SCHEME:[^\s>]*|(?=[^@\s>]*[^\W_])[\w!#$%&'*+\-/=?^{|}~.]+@[^\s>]+)>``, but
    finding the ``>`` once for all the ``<`` before it."""
    known = _known(src)
    stop = _next_stop(
        known, known.at(len(src)).stops("autolink"), pos + 1, len(src), _AUTOLINK_STOP, False
    )
    if stop >= end or src[stop] != ">":
        return None
    if _SCHEME.match(src, pos + 1, stop):
        return stop + 1
    name = _EMAIL_NAME.match(src, pos + 1, stop)
    if name and name.end() < stop and _ALNUM.search(src, pos + 1, name.end() - 1):
        return stop + 1
    return None


def _rule_autolink(state: StateInline, silent: bool) -> bool:
    """pandoc autolinks ``<scheme:...>`` and ``<name@domain>`` (anything but spaces up to ``>``)."""
    stop = _autolink_end(state.src, state.pos, state.posMax)
    if stop is None:
        return False
    state.pos = stop
    return True


def _rule_angle(state: StateInline, silent: bool) -> bool:
    """``<``: an autolink or a ``<span>`` tag."""
    return _rule_autolink(state, silent) or _rule_span_html(state, silent)


def _rule_caret(state: StateInline, silent: bool) -> bool:
    """``^``: a superscript, else an inline note (pandoc's order)."""
    return _rule_script(state, silent) or _rule_inline_note(state, silent)


#: The inline rules by the character they start at. Plain text needs no rule: we produce no
#: text tokens, only the tokens for citations and note references.
_RULES: dict[str, Callable[[StateInline, bool], bool]] = {
    "\\": _rule_escape,
    "`": _rule_code,
    "$": _rule_math,
    "[": _rule_bracket,
    "!": _rule_image,
    "^": _rule_caret,
    "~": _rule_script,
    "@": _rule_cite,
    "-": _rule_cite,
    "*": _rule_emphasis,
    "_": _rule_emphasis,
    "<": _rule_angle,
}
_SPECIAL = re.compile(r"[\\`$\[!^~@*_<]|-(?=@)")
#: The same, but for the rules that nest: only ``@`` and ``-@``.
_SPECIAL_DEEP = re.compile(r"[\\`$@*_<]|-(?=@)")
#: For skipping one inline while scanning ahead: emphasis is left out (one char at a time).
_SKIP_RULES = {c: rule for c, rule in _RULES.items() if c not in "*_"}


def _scan(state: StateInline, start: int, stop: int) -> None:
    """Run the inline rules over ``src[start:stop]``, jumping from one special char to the next.

    This is markdown-it's inline tokenizer loop without the text rule: the rules are
    markdown-it inline rules (``rule(state, silent) -> bool``). A rule that would nest too
    deep reads as text, an ``@key`` as a plain citation (see _TooDeep).
    """
    src = state.src
    state.posMax = stop
    context = _context(state)
    known: _Known = context["known"]
    depth = context["depth"]
    # as deep as rules may go (or out of budget): brackets and the like are text
    deep = depth >= _MAX_DEPTH - 1 or known.budget < 0
    search = (_SPECIAL_DEEP if deep else _SPECIAL).search
    pos = start
    while pos < stop:
        m = search(src, pos, stop)
        if m is None:
            break
        pos = m.start()
        state.pos = pos
        c = src[pos]
        if c not in _NESTING:
            matched = _RULES[c](state, False)
        elif deep:
            matched = _rule_cite(state, False, brackets=False)
        else:
            context["depth"] = depth + 1
            try:
                matched = _RULES[c](state, False)
            except _TooDeep:
                state.pos, state.posMax = pos, stop
                matched = _rule_cite(state, False, brackets=False)
            finally:
                context["depth"] = depth
            if known.budget < 0:
                deep = True
                search = _SPECIAL_DEEP.search
        pos = state.pos if matched else pos + 1
    state.pos = stop


# --------------------------------------------------------------------------------------------
# Block rules
# --------------------------------------------------------------------------------------------


def _fence(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """pandoc fenced code: closed, one-word or ``{attrs}`` info; only ``` interrupts."""
    if state.is_code_block(start_line):
        return False
    src = state.src
    pos = state.bMarks[start_line] + state.tShift[start_line]
    maximum = state.eMarks[start_line]
    if pos + 3 > maximum or src[pos] not in "`~":
        return False
    marker = src[pos]
    mem = pos
    pos = state.skipCharsStr(pos, marker)
    length = pos - mem
    if length < 3:
        return False
    info = src[pos:maximum].strip(" \t")
    if info and not _valid_fence_info(info):
        return False
    if silent and marker != "`":
        return False
    closed = False
    next_line = start_line
    while True:
        next_line += 1
        if next_line >= end_line:
            break
        pos = mem = state.bMarks[next_line] + state.tShift[next_line]
        maximum = state.eMarks[next_line]
        if pos < maximum and state.sCount[next_line] < state.blkIndent:
            break
        if pos >= maximum or src[pos] != marker:
            continue
        pos = state.skipCharsStr(pos, marker)
        if pos - mem < length or state.skipSpaces(pos) < maximum:
            continue
        closed = True
        break
    if not closed:
        return False
    if silent:
        return True
    state.line = next_line + 1
    token = state.push("fence", "code", 0)
    token.info = info
    token.map = [start_line, state.line]
    return True


def _valid_fence_info(info: str) -> bool:
    """pandoc accepts one word or ``{attributes}`` after a fence."""
    if info.startswith("{"):
        end = _attributes_end(info, 0, len(info))
        if end == len(info):
            return True
    return not any(c.isspace() for c in info)


def _note_definition(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """``[^label]: text`` footnote definitions (continuation indented by four spaces)."""
    if state.is_code_block(start_line):
        return False
    src = state.src
    start = state.bMarks[start_line] + state.tShift[start_line]
    maximum = state.eMarks[start_line]
    m = _NOTE_MARKER.match(src, start, maximum)
    if not m or m.end() >= maximum or src[m.end()] != ":":
        return False
    if silent:
        return bool(state.env.get("_pc_in_note"))
    after = m.end() + 1
    token = state.push("pandoc_note_open", "", 1)
    token.meta = {"label": m.group(1)}
    token.map = [start_line, start_line + 1]
    old_bmark = state.bMarks[start_line]
    old_tshift = state.tShift[start_line]
    old_scount = state.sCount[start_line]
    old_parent = state.parentType
    initial = (
        state.sCount[start_line] + after - (state.bMarks[start_line] + state.tShift[start_line])
    )
    offset = initial
    pos = after
    while pos < maximum and src[pos] in _SPACE_TAB:
        offset += 4 - offset % 4 if src[pos] == "\t" else 1
        pos += 1
    state.tShift[start_line] = pos - after
    state.sCount[start_line] = offset - initial
    state.bMarks[start_line] = after
    state.blkIndent += 4
    state.parentType = "footnote"
    if state.sCount[start_line] < state.blkIndent:
        state.sCount[start_line] += state.blkIndent
    state.env["_pc_in_note"] = state.env.get("_pc_in_note", 0) + 1
    state.md.block.tokenize(state, start_line, end_line)
    state.env["_pc_in_note"] -= 1
    state.parentType = old_parent
    state.blkIndent -= 4
    state.tShift[start_line] = old_tshift
    state.sCount[start_line] = old_scount
    state.bMarks[start_line] = old_bmark
    state.push("pandoc_note_close", "", -1)
    return True


_TABLE_BREAK = re.compile(  # possessive: no trying every split of a run of spaces
    r"[ ]{0,3}\|?[ \t]*+:?-++:?[ \t]*+(?:[|+][ \t]*+:?-++:?[ \t]*+)*+\|?[ \t]*+"
)


def _table_cells(src: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cells of a pipe-table row as pandoc splits it: not inside code, math or escapes."""
    i = start
    while i < end and src[i] in _SPACE_TAB:
        i += 1
    if i < end and src[i] == "|":
        i += 1
    cells: list[tuple[int, int]] = []
    cell = i
    while i < end:
        c = src[i]
        if c == "|":
            cells.append((cell, i))
            i += 1
            cell = i
            continue
        stop = _skip_raw(src, i, end) if c in "`$\\" else None
        i = stop if stop is not None else i + 1
    if src[cell:end].strip():
        cells.append((cell, end))
    return cells


def _pipe_table(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """pandoc pipe tables: each cell is parsed on its own; extra cells are dropped."""
    if start_line + 1 >= end_line or state.is_code_block(start_line):
        return False
    src = state.src
    first = state.bMarks[start_line] + state.tShift[start_line]
    line_end = state.eMarks[start_line]
    if "|" not in src[first:line_end]:
        return False
    rule_line = start_line + 1
    if state.sCount[rule_line] < state.blkIndent:
        return False
    rule_start = state.bMarks[rule_line] + state.tShift[rule_line]
    rule_text = src[rule_start : state.eMarks[rule_line]]
    if "|" not in rule_text or not _TABLE_BREAK.fullmatch(rule_text):
        return False
    columns = len(_table_cells(src, rule_start, state.eMarks[rule_line]))
    if silent:
        return True
    rows = [start_line]
    line = rule_line + 1
    while line < end_line and state.sCount[line] >= state.blkIndent:
        begin = state.bMarks[line] + state.tShift[line]
        if begin >= state.eMarks[line] or "|" not in src[begin : state.eMarks[line]]:
            break
        rows.append(line)
        line += 1
    token = state.push("table_open", "table", 1)
    token.map = [start_line, line]
    for row in rows:
        begin = state.bMarks[row] + state.tShift[row]
        line_start = src.rfind("\n", 0, begin) + 1
        for cell_start, cell_end in _table_cells(src, begin, state.eMarks[row])[:columns]:
            raw = src[cell_start:cell_end]
            lead = len(raw) - len(raw.lstrip())
            state.push("td_open", "td", 1)
            inline = state.push("inline", "", 0)
            inline.content = raw.strip()
            inline.map = [row, row + 1]
            inline.meta = {"column": cell_start + lead - line_start}
            inline.children = []
            state.push("td_close", "td", -1)
    state.push("table_close", "table", -1)
    state.line = line
    return True


def _reference_rule(
    original: Callable[[StateBlock, int, int, bool], bool],
) -> Callable[[StateBlock, int, int, bool], bool]:
    """A link reference definition, unless its label reads as a citation in pandoc."""

    def reference(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
        """markdown-it's rule, refused for a ``[label]`` that pandoc reads as a citation.

        The label is read as a citation in the text up to the next blank line. One inline
        state serves the whole document (its memos are by end), and the searches ahead are
        remembered, so that many labels (a list of ``- [x]: y`` items) are read in linear time.
        """
        src, env = state.src, state.env
        start = state.bMarks[start_line] + state.tShift[start_line]
        if src.startswith("[", start):
            stop = _find_from(env, src, "\n\n", start)
            if _find_from(env, src, "@", start) < stop and _find_from(env, src, "]:", start) < stop:
                inline = env.get("_pc_reference")
                if inline is None:
                    inline = env["_pc_reference"] = StateInline(src, state.md, {}, [])
                inline.posMax = stop
                try:
                    cited = _normal_cite(inline, start) is not None
                except _TooDeep:
                    cited = False
                if cited:
                    return False
        return original(state, start_line, end_line, silent)

    return reference


def _find_from(env: MutableMapping[str, Any], src: str, needle: str, start: int) -> int:
    """``src.find(needle, start)`` (``len(src)`` if absent), remembering the last answer: a
    search from a later start that is still before it has the same answer."""
    memo: dict[str, tuple[int, int]] = env.setdefault("_pc_find", {})
    last = memo.get(needle)
    if last is not None and last[0] <= start <= last[1]:
        return last[1]
    found = src.find(needle, start)
    found = len(src) if found < 0 else found
    memo[needle] = (start, found)
    return found


_TRIMMED = frozenset(MD_TRIM_CHARS)


def _paragraph(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """markdown-it's paragraph rule, with the map of its text starting at its first line.

    The rule trims the text with JavaScript's trim: a first line of only such white space
    (a no-break space, U+2028, U+3000, a form feed) is dropped, so the text starts a line
    later than the paragraph.
    """
    if not _commonmark_paragraph(state, start_line, end_line, silent):
        return False

    def blank(line: int) -> bool:
        text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]
        return not text.strip(MD_TRIM_CHARS)

    first = state.bMarks[start_line] + state.tShift[start_line]
    if first < state.eMarks[start_line] and state.src[first] in _TRIMMED and blank(start_line):
        line = start_line + 1
        while line < state.line - 1 and blank(line):
            line += 1
        for token in state.tokens[-2:-4:-1]:  # the inline token and paragraph_open
            if token.map:
                token.map = [line, token.map[1]]
    return True


# --------------------------------------------------------------------------------------------
# Core rules: example lists, and inline parsing of the fields that need it
# --------------------------------------------------------------------------------------------


def _div_fence(line: str) -> bool:
    """Is ``line`` a pandoc fenced-div line (``::: {#id .class}``, ``::: name``, ``:::``)?

    pandoc's ``:{3,}[ \t]*(.*?)[ \t]*:*[ \t]*`` (read by hand: as a regular expression it
    tries every split of a long run of spaces and colons).
    """
    rest = line.lstrip(":")
    if len(line) - len(rest) < 3:
        return False
    attrs = rest.lstrip(" \t").rstrip(" \t").rstrip(":").rstrip(" \t")
    if not attrs:
        return True
    if attrs.startswith("{"):
        return _attributes_end(attrs, 0, len(attrs)) == len(attrs)
    return not any(c.isspace() for c in attrs)


def _at_line_start(raw: str, part: str) -> bool:
    """Does the content line ``part`` start its raw line (after container markers only)?"""
    prefix = raw[: _column_of(raw, part, None)]
    if not prefix.strip(" \t"):
        return not prefix
    return not prefix.endswith("  ")


def _block_markers(state: StateCore) -> None:
    """Find what pandoc reads as block syntax inside what commonmark calls a paragraph.

    Example-list markers (their labels are remembered), fenced-div lines and ``<div>`` tags
    are blanked out (same length, so offsets stay valid); where pandoc starts a new block
    (after those, and at each line of a line block ``| ...``) the paragraph is cut into
    segments that are parsed separately, as pandoc parses them.
    """
    labels: dict[str, tuple[int, int]] = state.env.setdefault("_pc_examples", {})
    raw_lines: list[str] = state.env["_pc_lines"]  # state.src split, by find_citations
    depth = 0
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type == "list_item_open":
            depth += 1
        elif token.type == "list_item_close":
            depth -= 1
        elif token.type == "inline" and index and tokens[index - 1].type == "paragraph_open":
            content = token.content
            if "@" not in content or not token.map:
                continue
            lines = content.split("\n")
            segments = [0]
            changed = False
            offset = 0
            in_list = depth > 0
            block_start = True
            line_block = False
            for number, line in enumerate(lines):
                here = offset
                offset += len(line) + 1
                if block_start and line.startswith(":::"):
                    row = token.map[0] + number
                    raw = raw_lines[row] if row < len(raw_lines) else ""
                    if _div_fence(line) and _at_line_start(raw, line):
                        lines[number] = " " * len(line)
                        changed = True
                        segments.append(number + 1)
                        continue
                if line_block:
                    if line.startswith(" "):
                        continue
                    segments.append(number)
                    if line.startswith("| ") or line == "|":
                        continue
                    line_block = False
                    block_start = True
                if block_start and (line.startswith("| ") or line == "|"):
                    line_block = True
                    block_start = False
                    continue
                if block_start or in_list:
                    m = _EXAMPLE_MARKER.match(line)
                    if m:
                        label = m.group(1) if m.group(1) is not None else m.group(2)
                        if label:
                            labels.setdefault(label, (index, here + m.start()))
                        lines[number] = " " * m.end() + line[m.end() :]
                        changed = True
                        in_list = True
                        segments.append(number)
                    elif block_start and line.lstrip(" ").startswith("<"):
                        d = _DIV_OPEN.match(line)
                        if d:
                            lines[number] = " " * d.end() + line[d.end() :]
                            changed = True
                block_start = False
            meta: dict[str, Any] = {}
            if changed:
                meta["original"] = content
                token.content = "\n".join(lines)
            if len(set(segments)) > 1:
                meta["segments"] = sorted(set(segments))
            if meta:
                token.meta = meta


def _inline(state: StateCore) -> None:
    """Parse inline content, but only where a citation or a note reference can be.

    What is found goes to the inline token's ``meta["pandoc"]``: lists of citations and
    labels of note references, in order. No other inline tokens are made.
    """
    md, env = state.md, state.env
    for token in state.tokens:
        if token.type != "inline":
            continue
        token.children = []
        content = token.content
        if "@" not in content and "[^" not in content:
            continue
        found: list[list[_Cite] | str] = []
        segments = (token.meta or {}).get("segments") or [0]
        starts = [0]
        for line in content.split("\n"):
            starts.append(starts[-1] + len(line) + 1)
        bounds = [starts[n] for n in segments if n < len(starts) - 1] + [len(content) + 1]
        for start, stop in pairwise(bounds):
            inline = StateInline(content, md, env, token.children)
            inline.pandoc_context = _new_context(content, found)  # type: ignore[attr-defined]
            _scan(inline, start, stop - 1)
        if found:
            token.meta = {**(token.meta or {}), "pandoc": found}


def _interrupts(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """Does ``start_line`` end a paragraph, as in pandoc?

    A backtick fence and a horizontal rule do; a heading, block quote or list does not
    (pandoc wants a blank line before them), except that inside a list item any line that
    starts with a list marker (``-``, ``12.``, ``b)``, ``(iv)``, ``#.``, ``@ex.``) does.
    """
    if not silent:
        return False
    src = state.src
    pos = state.bMarks[start_line] + state.tShift[start_line]
    maximum = state.eMarks[start_line]
    if pos >= maximum:
        return False
    c = src[pos]
    if c == "`":
        return _fence(state, start_line, end_line, True)
    if c in "*-_" and hr(state, start_line, end_line, True):
        return True
    if c == "[":
        return _note_definition(state, start_line, end_line, True)
    return bool(
        state.env.get("_pc_lists")
        and _LIST_MARKER.match(src, pos, maximum)
        and not _PAGE.match(src, pos, maximum)
    )


_ORDINAL = rf"(?:\d{{1,10}}|[a-z]|[ivxlcdm]+|#|@{_LABEL})"
_LIST_MARKER = re.compile(
    rf"(?:[*+-]|{_ORDINAL}[.)]|(?:[A-Z]|[IVXLCDM]+)(?:\)|\.(?=[ ][ \t]|\t))"
    rf"|\((?:{_ORDINAL}|[A-Z]|[IVXLCDM]+)\))(?:[ \t]|$)"
)
_PAGE = re.compile(r"p\.[ \t]+\d")


def _list(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """markdown-it's list rule, noting that we are inside a list (for ``_interrupts``)."""
    env = state.env
    env["_pc_lists"] = env.get("_pc_lists", 0) + 1
    try:
        return list_block(state, start_line, end_line, silent)
    finally:
        env["_pc_lists"] -= 1


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    """The one configured markdown-it instance (built on first use)."""
    md = MarkdownIt("commonmark", {"html": False})
    # find_citations normalizes the text itself; _inline makes no inline tokens to join
    md.disable(["html_block", "lheading", "normalize", "text_join"])
    md.enable("table")
    block = md.block.ruler
    block.at("table", _pipe_table)  # as in pandoc: a table does not interrupt a paragraph
    # what may interrupt a paragraph is decided by _interrupts alone (as pandoc; and faster)
    block.at("fence", _fence, {"alt": ["reference", "blockquote", "list"]})
    block.at("blockquote", blockquote, {"alt": ["reference", "blockquote", "list"]})
    block.at("hr", hr, {"alt": ["reference", "blockquote", "list"]})
    block.at("list", _list, {"alt": ["reference", "blockquote"]})
    block.at("heading", heading, {"alt": ["reference", "blockquote"]})
    block.at("reference", _reference_rule(_commonmark_reference))
    block.at("paragraph", _paragraph)
    block.before("reference", "pandoc_note", _note_definition)
    block.before("paragraph", "pandoc_interrupts", _interrupts, {"alt": ["paragraph"]})
    md.core.ruler.before("inline", "pandoc_block_markers", _block_markers)
    md.core.ruler.at("inline", _inline)
    return md


# --------------------------------------------------------------------------------------------
# From tokens to CitationRefs
# --------------------------------------------------------------------------------------------


class _LineMap:
    """Maps offsets in an inline token's content to 1-based (line, col) in the raw text."""

    def __init__(self, content: str, first_line: int, lines: list[str], start: int | None) -> None:
        """``start``: search the first line from there (headings, table cells), else match
        each content line as the end of its raw line."""
        self.first_line = first_line
        self.starts: list[int] = []
        self.cols: list[int] = []
        offset = 0
        for number, part in enumerate(content.split("\n")):
            index = first_line + number
            raw = lines[index] if index < len(lines) else ""
            self.starts.append(offset)
            self.cols.append(_column_of(raw, part, start if number == 0 else None))
            offset += len(part) + 1

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, col) of content offset ``offset``."""
        number = bisect.bisect_right(self.starts, offset) - 1
        return self.first_line + number + 1, self.cols[number] + offset - self.starts[number] + 1


def _column_of(raw: str, part: str, start: int | None) -> int:
    """0-based column where the content line ``part`` starts inside the raw line."""
    if start is not None:
        found = raw.find(part, start)
        if found >= 0:
            return found
    if raw.endswith(part):
        return len(raw) - len(part)
    stripped = raw.rstrip()
    if stripped.endswith(part):
        return len(stripped) - len(part)
    # markdown-it turns a partly used tab of the indentation into spaces
    text = part.lstrip(" ")
    for candidate in (raw, stripped):
        if text and candidate.endswith(text):
            return len(candidate) - len(part)
    found = raw.find(part)
    return found if found >= 0 else max(0, len(raw) - len(part))


_LOCATOR = re.compile(
    r"\s*,?\s*((?:(?:p|pp|pag|blz|ch|chap|chapter|hfdst|sec|section|par|para|paragraph|art|"
    r"vol|volume|fig|figure|no|nr|n|l|line|col|column|pt|part|bk|book|v|vv|verse|op|opus|"
    r"fol|folio|s\.v)\.?|§+|¶)\s*)?(\d[\w\-–—.:/]*(?:\s*[,&]\s*\d[\w\-–—.:/]*)*|[ivxlcdm]+\b)",
    re.IGNORECASE,
)


def _locator(suffix: str) -> str:
    """Best-effort locator in a citation suffix: ``, p. 12`` gives ``p. 12``."""
    m = _LOCATOR.match(suffix)
    if not m:
        return ""
    return m.group(0).strip().lstrip(",").strip()


def _clean(text: str) -> str:
    """Whitespace (line breaks too) collapsed to single spaces."""
    return " ".join(text.split())


def _collect(tokens: list[Token], lines: list[str], env: dict[str, Any]) -> list[CitationRef]:
    """CitationRefs in source order, leaving out example references and unused notes."""
    examples: dict[str, tuple[int, int]] = env.get("_pc_examples", {})
    results: list[tuple[int, int, CitationRef, tuple[str, int] | None]] = []
    referenced: set[str] = set()
    last_definition: dict[str, int] = {}
    notes: list[tuple[str, int]] = []
    block = ""
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "pandoc_note_open":
            label = token.meta["label"]
            notes.append((label, index))
            last_definition[label] = index
        elif kind == "pandoc_note_close":
            notes.pop()
        elif kind in ("heading_open", "td_open", "paragraph_open"):
            block = kind
        elif kind == "inline" and token.map:
            content = (token.meta or {}).get("original", token.content)
            first = token.map[0]
            start: int | None = None
            if block == "heading_open":
                raw = lines[first] if first < len(lines) else ""
                start = raw.find("#") + 1
            elif block == "td_open":
                start = (token.meta or {}).get("column")
            items = (token.meta or {}).get("pandoc")
            if not items:
                continue
            where: _LineMap | None = None
            note = notes[-1] if notes else None
            for item in items:
                if isinstance(item, str):
                    if not notes:
                        referenced.add(item)
                    continue
                if where is None:
                    where = _LineMap(content, first, lines, start)
                for cite in item:
                    example = examples.get(cite.key)
                    if (
                        cite.narrative
                        and example is not None
                        and (cite.plain or example < (index, cite.at))
                    ):
                        continue
                    line, col = where.position(cite.at)
                    prefix = _clean(content[slice(*cite.prefix)]) if cite.prefix else ""
                    suffix = _clean(content[slice(*cite.suffix)]) if cite.suffix else ""
                    ref = CitationRef(
                        key=cite.key,
                        line=line,
                        col=col,
                        narrative=cite.narrative,
                        suppress_author=cite.suppress,
                        prefix=prefix,
                        locator=_locator(suffix),
                        suffix=suffix,
                    )
                    results.append((line, col, ref, note))
    result = [
        ref
        for _, _, ref, note in sorted(results, key=lambda item: (item[0], item[1]))
        if note is None or (note[0] in referenced and last_definition[note[0]] == note[1])
    ]
    return result
