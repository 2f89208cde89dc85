"""Citation keys and example labels, spelled as pandoc's reader spells them.

:func:`scan_key` reads the key after an ``@`` (:mod:`.citations` builds citations on it);
:data:`LABEL` is an example list's label, which the block rules (:mod:`.block_markers`,
:mod:`.blocks`) find as list markers and the ``@`` rule (:mod:`.inlines`) as a reference.
"""

from __future__ import annotations

import re

from standpunt.cite.finder.lookahead import CLOSER, OPENER, STOP, known_about, pair_close

_SIMPLE_KEY = re.compile(r"[\w*](?:\w|[:.#$%&\-+?<>~/](?=\w)|[:/](?=/))*")

_BRACE_SPECIAL = re.compile(r"[{}\s]")


def _brace_kind(src: str, i: int, end: int) -> tuple[int, int]:
    c = src[i]
    if c == "{":
        return OPENER, i + 1
    if c == "}":
        return CLOSER, i + 1
    return STOP, i  # white space


def scan_key(src: str, pos: int, end: int) -> tuple[str, int] | None:
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
    known = known_about(src)
    braces = known.at(len(src)).pairs("{")  # braces are read to the end of the text
    close = pair_close(known, braces, pos, len(src), _BRACE_SPECIAL, _brace_kind)
    if close is None or close >= end:
        return None
    return src[pos + 1 : close], close + 1


# possessive: a label not followed by '.' or ')' must not be tried split in every way
LABEL = r"(?:[^\W_]++|[_-][^\W_]++)*+"
LABEL_RE = re.compile(LABEL)
EXAMPLE_MARKER = re.compile(rf"[ \t]{{0,3}}(?:\(@({LABEL})\)|@({LABEL})[.)])(?=[ \t]|$)")
