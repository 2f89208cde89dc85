"""The raw HTML pandoc reads in this format: ``<span>`` and ``<div>`` tags, and autolinks.

The format leaves raw HTML out, but pandoc still reads its native ``<span ...>``/``<div ...>``
and autolinks ``<scheme:...>``/``<name@domain>``: their attributes and addresses are not text,
so an ``@`` there cites nothing. The ``<`` rule is here; ``<div>`` lines are found by
:mod:`.block_markers`.
"""

from __future__ import annotations

import bisect
import re

from markdown_it.rules_inline import StateInline

from standpunt.cite.finder.lookahead import known_about, next_stop

_TAG_SPACE = re.compile(r"\s*")
_TAG_NAME = re.compile(r"[^\s\"'>/=]+")
_TAG_VALUE = re.compile(r"\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+)")
#: An HTML tag's attributes and ``>``, as _tag_end reads them (for a single line)
_TAG_REST = r"""(?:\s++[^\s"'>/=]++(?:\s*+=\s*+(?:"[^"]*+"|'[^']*+'|[^\s"'=<>`]++))?+)*+\s*+>"""
_SPAN_START = re.compile(r"<span", re.IGNORECASE)
_SPAN_CLOSE = re.compile(r"</span\s*>", re.IGNORECASE)
#: A ``<div ...>`` tag at the start of a line (pandoc reads it as a block: see .block_markers)
DIV_OPEN = re.compile(rf"[ ]{{0,3}}<div{_TAG_REST}", re.IGNORECASE)


def _tag_end(src: str, pos: int, end: int) -> int | None:
    """End of the attributes and ``>`` of an HTML tag whose name ends at ``pos``, or None
    (the regular expression :data:`_TAG_REST`, read by hand: where the tag ends is noted after
    every 16th attribute, so that a tag read from inside another's attributes stops there)."""
    known = known_about(src)
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
    known = known_about(src)
    if known.span_closes is None:
        found = [m.span() for m in _SPAN_CLOSE.finditer(src)]  # these never overlap
        known.span_closes = ([start for start, _ in found], [stop for _, stop in found])
    starts, stops = known.span_closes
    k = bisect.bisect_left(starts, pos)
    return k < len(starts) and stops[k] <= end


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
    known = known_about(src)
    stop = next_stop(
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


def rule_angle(state: StateInline, silent: bool) -> bool:
    """``<``: an autolink or a ``<span>`` tag."""
    return _rule_autolink(state, silent) or _rule_span_html(state, silent)
