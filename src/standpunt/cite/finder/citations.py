"""pandoc's citation parsers: ``citeKey``, ``citation``, ``citeList``, ``normalCite``, ``bareloc``.

Each reads at a position of an inline source and says what it read, without making tokens:
``[see @a, p. 3; -@b]`` (:func:`normal_cite`), and the locator after a narrative citation,
``@a [p. 3]`` or ``@a [p. 3; @b]`` (:func:`bareloc`). Parses are remembered in the source's
:class:`~.reading.Memo`, so that each is tried once. The rules that emit what these find are
in :mod:`.inlines`; the reference rule of :mod:`.blocks` asks :func:`normal_cite` too.
"""

from __future__ import annotations

from markdown_it.rules_inline import StateInline

from standpunt.cite.finder.keys import scan_key
from standpunt.cite.finder.links import continuation
from standpunt.cite.finder.reading import (
    Chain,
    Memo,
    ParsedCitation,
    after_string,
    chain_list,
    context_of,
    memo_of,
    skip_inline,
)
from standpunt.cite.finder.scanning import spnl

#: The parses a memo's flags say failed (or are under way) at a position.
_NORMAL, _BARELOC, _LIST = 1, 2, 4


def cite_key(state: StateInline, pos: int) -> tuple[bool, str, int, int] | None:
    """pandoc's ``citeKey``: ``(suppress_author, key, at, end)`` or None."""
    src, end = state.src, state.posMax
    if pos >= end or after_string(state, pos):
        return None
    at = pos
    if src[at] == "-":
        at += 1
    if at >= end or src[at] != "@":
        return None
    found = scan_key(src, at + 1, end)
    if found is None:
        return None
    return at > pos, found[0], at, found[1]


def _citation(state: StateInline, i: int) -> tuple[ParsedCitation, int] | None:
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
            after = spnl(src, j + 1, end)
            if after is not None:
                j = after
        if cite_key(state, j) is not None:
            prefix_end = i
            break
        i = skip_inline(state, i)
    found = cite_key(state, i)
    if found is None:
        return None
    suppress, key, at, key_end = found
    context_of(state).key_ends.add(key_end)
    i = key_end
    while i < end and src[i] not in ";]":
        i = skip_inline(state, i)
    cite = ParsedCitation(key, at, False, suppress, (start, prefix_end), (key_end, i))
    return cite, i


def _cite_list(
    state: StateInline, i: int, memo: Memo, after_bracket: bool
) -> tuple[Chain, int] | None:
    """pandoc's ``citeList``: citations separated by ``;``, as a chain, and where it ends.

    Remembered at the start of each citation after a ``;``: lists that share a tail (a
    locator ``@a [p. 1; @b ...`` and the one after ``@b``) read it once. (A list right after
    a ``[`` is remembered with the bracket, by normal_cite.)
    """
    lists, failed = memo.lists, memo.failed
    src, end = state.src, state.posMax
    path: list[tuple[int, ParsedCitation]] = []
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
            after = spnl(src, i + 1, end)
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


def normal_cite(state: StateInline, pos: int) -> tuple[list[ParsedCitation], int] | None:
    """pandoc's ``normalCite`` at the ``[`` at ``pos``: ``(citations, end)`` or None."""
    memo = memo_of(state)
    known = memo.normal.get(pos)
    if known is not None:
        return known
    if memo.failed.get(pos) & _NORMAL:
        return None
    memo.failed.set(pos, _NORMAL)  # until it succeeds (and against reading it inside itself)
    src, end = state.src, state.posMax
    i = spnl(src, pos + 1, end)
    found = _cite_list(state, i, memo, True) if i is not None else None
    if found is None:
        return None
    chain, i = found
    j = spnl(src, i, end)
    if j is None or j >= end or src[j] != "]" or continuation(src, j + 1, end) is not None:
        return None
    result = memo.normal[pos] = (chain_list(chain), j + 1)
    return result


def bareloc(state: StateInline, pos: int) -> tuple[tuple[int, int], Chain, int] | None:
    """pandoc's ``bareloc``: ``[p. 33]`` after a narrative citation: the suffix, the
    citations after it, and the end."""
    src, end = state.src, state.posMax
    if src.startswith("[^", pos):
        return None
    memo = memo_of(state)
    known = memo.bareloc.get(pos)
    if known is not None:
        return known
    if memo.failed.get(pos) & _BARELOC:
        return None
    memo.failed.set(pos, _BARELOC)  # until it succeeds
    i = spnl(src, pos + 1, end)
    if i is None:
        return None
    suffix_start = pos + 1
    while i < end and src[i] not in ";]":
        i = skip_inline(state, i)
    suffix = (suffix_start, i)
    rest: Chain = None
    if i < end and src[i] == ";":
        after = spnl(src, i + 1, end)
        found = _cite_list(state, after, memo, False) if after is not None else None
        if found is not None:
            rest, i = found
    j = spnl(src, i, end)
    if j is None or j >= end or src[j] != "]":
        return None
    nxt = j + 1
    if nxt < end and (src[nxt] in "[(" or continuation(src, nxt, end) is not None):
        return None
    result = memo.bareloc[pos] = (suffix, rest, nxt)
    return result
