"""The reading of one inline source: what the inline rules share while they read it.

An inline source is a paragraph, heading or table cell (or the part of one that pandoc reads as
a block of its own). Its :class:`Context` holds the parses tried (:class:`Memo`, so that none
is tried twice), where strings end (:func:`after_string`), how deep rules nest
(:class:`TooDeep`) and what was found. :func:`skip_inline` steps over one inline the way
pandoc's parsers do when they look ahead (for the ``]`` ending a citation, say).

The rules themselves are in :mod:`.inlines`, :mod:`.citations` and the modules below them;
this module knows none of them, so that each can use it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from markdown_it.rules_inline import StateInline

from standpunt.cite.finder.lookahead import Flags, known_about
from standpunt.cite.finder.scanning import SPACE_TAB, escaped

#: How deep rules may nest (a bracket in a bracket, a citation in a locator, ...): pandoc
#: itself takes minutes at a depth of 12, so no text it can read goes deeper. Deeper, the
#: rule that would nest fails: see TooDeep.
MAX_DEPTH = 16
#: The characters whose rules may run other rules.
NESTING = frozenset("[!^~@-")

#: An inline rule as markdown-it has them: it reads at ``state.pos``, moves ``state.pos`` past
#: what it read and says whether it matched; ``silent``, it only looks (and finds nothing).
Rule = Callable[[StateInline, bool], bool]


class TooDeep(Exception):
    """Raised where a rule would nest deeper than MAX_DEPTH, or once the text's budget of
    work is spent. It ends every parse under way up to the nearest scan (see .inlines), which
    then reads the character as text, or an ``@key`` as a plain citation. The parses it ends
    are remembered as failed, so that each is tried once: reading stays linear however deep
    the brackets nest (and pandoc would take ages there anyway)."""


@dataclass
class ParsedCitation:
    """A citation as parsed: ``at`` is the offset of its ``@``, prefix/suffix are spans;
    ``plain`` marks a narrative citation without brackets after it."""

    key: str
    at: int
    narrative: bool
    suppress: bool
    prefix: tuple[int, int] | None = None
    suffix: tuple[int, int] | None = None
    plain: bool = False


#: What reading finds, in order: lists of citations, and labels of note references.
Found = list[list[ParsedCitation] | str]

#: A list of citations as a chain of links ``(cite, rest)``, so lists can share their tails.
Chain = tuple[ParsedCitation, "Chain"] | None


def chain_list(chain: Chain) -> list[ParsedCitation]:
    cites = []
    while chain is not None:
        cites.append(chain[0])
        chain = chain[1]
    return cites


class Memo:
    """Parses tried in one inline source read up to one end: successes by position, and
    failures (also parses under way, and those ended by TooDeep) as flags."""

    __slots__ = ("bareloc", "failed", "lists", "normal")

    def __init__(self, end: int) -> None:
        self.failed = Flags(end)
        self.normal: dict[int, tuple[list[ParsedCitation], int]] = {}
        self.bareloc: dict[int, tuple[tuple[int, int], Chain, int]] = {}
        self.lists: dict[int, tuple[Chain, int]] = {}


class Context:
    """What the rules reading one inline source share; kept on its markdown-it state.

    ``skip_rules`` are the rules :func:`skip_inline` uses: those are declared with the inline
    loop in :mod:`.inlines`, which runs the citation parsers that skip inlines, so the loop
    hands them over here rather than being imported by them.
    """

    __slots__ = (
        "depth",
        "emphasis",
        "emphasis_ends",
        "found",
        "key_ends",
        "known",
        "memos",
        "skip_rules",
    )

    def __init__(self, src: str, found: Found, skip_rules: Mapping[str, Rule]) -> None:
        #: Positions right after a citation key or ``@label``: no string ends there.
        self.key_ends: set[int] = set()
        #: Positions right after the marker closing an emphasis: a string ends there.
        self.emphasis_ends: set[int] = set()
        #: The emphasis enclosures open, innermost last, as ``[marker, count]``.
        self.emphasis: list[list[Any]] = []
        #: Parses tried, by the end the source is read up to (see memo_of).
        self.memos: dict[int, Memo] = {}
        #: How deep rules nest right now.
        self.depth = 0
        self.known = known_about(src)
        self.found = found
        self.skip_rules = skip_rules


def context_of(state: StateInline) -> Context:
    """The context of the source ``state`` reads (see .inlines.inline_state)."""
    context: Context = state.pandoc_context  # type: ignore[attr-defined]
    return context


def memo_of(state: StateInline) -> Memo:
    """The memo of parses up to the current end (``posMax``) of ``state``."""
    memos = context_of(state).memos
    end = state.posMax
    memo = memos.get(end)
    if memo is None:
        memo = memos[end] = Memo(end)
    return memo


def after_string(state: StateInline, pos: int) -> bool:
    """pandoc's ``not notAfterString``: does a string (or emphasis) end right at ``pos``?"""
    if pos <= 0:
        return False
    src = state.src
    c = src[pos - 1]
    if c.isalnum():
        return pos not in context_of(state).key_ends
    if c == ".":
        start = pos - 1
        while start > 0 and src[start - 1] == ".":
            start -= 1
        dots = pos - start
        if escaped(src, start):
            dots -= 1
        return dots > 0 and dots % 3 != 0
    if c in "*_":
        return pos in context_of(state).emphasis_ends
    return False


def skip_inline(state: StateInline, i: int) -> int:
    """Skip one pandoc inline at ``i`` (without producing tokens)."""
    src, end = state.src, state.posMax
    c = src[i]
    if c.isalnum() or c == ".":
        j = i + 1
        while j < end and (src[j].isalnum() or src[j] == "."):
            j += 1
        return j
    if c in SPACE_TAB:
        j = i + 1
        while j < end and src[j] in SPACE_TAB:
            j += 1
        return j
    if c == "\n":
        j = i + 1
        while j < end and src[j] in SPACE_TAB:
            j += 1
        return j
    context = context_of(state)
    rule = context.skip_rules.get(c)
    if rule is not None:
        saved = state.pos
        state.pos = i
        if c in NESTING:
            depth = context.depth
            known = context.known
            known.budget -= 1
            if depth >= MAX_DEPTH or known.budget < 0:
                raise TooDeep
            context.depth = depth + 1
            try:
                matched = rule(state, True)
            finally:
                context.depth = depth
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
