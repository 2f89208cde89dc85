"""Brackets: where one closes, and what after it makes it a link or span, not a citation.

pandoc 3.9 reads a bracket followed directly by a valid ``(destination)``, ``[label]`` or
``{attributes}`` as a link or span (:func:`continuation`); bracket balancing skips code and
math (:func:`balanced_end`). Note references ``[^label]`` are read here too. The bracket rules
themselves are in :mod:`.inlines`; :mod:`.citations` asks :func:`continuation` whether a
bracketed citation is one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from standpunt.cite.finder.attributes import attributes_end
from standpunt.cite.finder.lookahead import CLOSER, OPENER, known_about, next_stop, pair_close
from standpunt.cite.finder.raw import skip_raw
from standpunt.cite.finder.scanning import SPACE_TAB, lit_char, spnl

_BRACKET_SPECIAL = re.compile(r"[\[\]\\`$]")


def _bracket_kind(src: str, i: int, end: int) -> tuple[int, int]:
    c = src[i]
    if c == "[":
        return OPENER, i + 1
    if c == "]":
        return CLOSER, i + 1
    stop = skip_raw(src, i, end)
    return 0, stop if stop is not None else i + 1


def balanced_end(src: str, pos: int, end: int) -> int | None:
    """Index of the ``]`` closing the ``[`` at ``pos`` as pandoc's link labels balance it
    (skipping escapes, code and math)."""
    first = _BRACKET_SPECIAL.search(src, pos + 1, end)
    if first is None:
        return None
    if src[first.start()] == "]":  # the usual bracket, with nothing to skip inside
        return first.start()
    known = known_about(src)
    pairs = known.at(end).pairs("[")
    return pair_close(known, pairs, pos, end, _BRACKET_SPECIAL, _bracket_kind)


def _title_kinds(quote: str) -> Callable[[str, int, int], tuple[int, int]]:
    def kind(src: str, i: int, end: int) -> tuple[int, int]:
        if src[i] == quote:  # before a letter or digit it opens a nested title, else closes
            return (OPENER if i + 1 < end and src[i + 1].isalnum() else CLOSER), i + 1
        return 0, lit_char(src, i, end)

    return kind


_TITLE_WALKS = {quote: (re.compile(rf"[{quote}\\]"), _title_kinds(quote)) for quote in "\"'"}


def _title_end(src: str, i: int, end: int, quote: str) -> int | None:
    """End of a pandoc link title in ``quote`` quotes starting at ``i``.

    pandoc reads a quote before a letter or digit as the start of a nested title, which must
    close first: so quotes pair up like brackets (and a title that does not close fails).
    """
    if i + 1 >= end or src[i + 1].isspace():
        return None
    known = known_about(src)
    special, kind = _TITLE_WALKS[quote]
    close = pair_close(known, known.at(end).pairs(quote), i, end, special, kind)
    return None if close is None else close + 1


_PAREN_SPECIAL = re.compile(r"[()\\]")


def _paren_kind(src: str, i: int, end: int) -> tuple[int, int]:
    c = src[i]
    if c == "(":
        return OPENER, i + 1
    if c == ")":
        return CLOSER, i + 1
    return 0, lit_char(src, i, end)


_ANGLE_STOP = re.compile(r"[>\\]")
_DESTINATION_SPECIAL = re.compile(r"[() \\]")


def _source_end(src: str, pos: int, end: int) -> int | None:
    """End of a pandoc link destination ``(url "title")`` at ``pos``, or None."""
    start = pos + 1
    while start < end and src[start] in SPACE_TAB:
        start += 1
    i = start
    angle_done = False
    known = known_about(src)
    span = known.at(end)
    if i < end and src[i] == "<":
        j = next_stop(known, span.stops("angle"), i + 1, end, _ANGLE_STOP, True)
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
                close = pair_close(known, parens, i, end, _PAREN_SPECIAL, _paren_kind)
                if close is not None:
                    i = close + 1
                    continue
                if unclosed % 8 == 0:
                    passed.append(i)
                unclosed += 1
                i += 1
            elif c == " ":
                j = i
                while j < end and src[j] in SPACE_TAB:
                    j += 1
                if j < end and src[j] in "\"')":
                    break
                i = j
            elif c == ")":
                break
            else:
                i = lit_char(src, i, end)
        for at in passed:
            marks[at] = i
        known.spend(steps)
    title_start = spnl(src, i, end)
    if title_start is not None and title_start < end and src[title_start] in "\"'":
        title = _title_end(src, title_start, end, src[title_start])
        if title is not None:
            i = title
    while i < end and src[i] in SPACE_TAB:
        i += 1
    if i < end and src[i] == ")":
        return i + 1
    return None


def continuation(src: str, pos: int, end: int) -> tuple[str, int] | None:
    """What directly after a ``]`` makes the bracket a link or span (pandoc 3.9)."""
    if pos >= end:
        return None
    c = src[pos]
    if c == "(":
        e = _source_end(src, pos, end)
        if e is not None and e < end and src[e] == "{":
            e = attributes_end(src, e, end) or e
        return ("source", e) if e is not None else None
    if c == "[":
        if src.startswith("[^", pos):
            return None
        e = balanced_end(src, pos, end)
        return ("label", pos) if e is not None else None
    if c == "{":
        e = attributes_end(src, pos, end)
        return ("attributes", e) if e is not None else None
    return None


#: A note reference ``[^label]`` (with a ``:`` after it, a note definition: see .blocks)
NOTE_MARKER = re.compile(r"\[\^([^\s\]]+)\]")
_NOTE_STOP = re.compile(r"[\s\]]")


def note_label(src: str, pos: int, end: int) -> str | None:
    """The label of a note reference ``[^label]`` at ``pos`` (:data:`NOTE_MARKER`, but
    finding the end of a label once for all the ``[^`` before it)."""
    if not src.startswith("[^", pos):
        return None
    known = known_about(src)
    stop = next_stop(known, known.at(len(src)).stops("note"), pos + 2, len(src), _NOTE_STOP, False)
    if stop == pos + 2 or stop >= end or src[stop] != "]":
        return None
    return src[pos + 2 : stop]
