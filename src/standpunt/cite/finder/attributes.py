"""pandoc's attributes ``{#id .class key=value}``: where they end (nothing inside is text).

They follow code spans (:mod:`.raw`), links and spans (:mod:`.links`) and stand after a code
fence or a fenced div (:mod:`.blocks`, :mod:`.block_markers`).
"""

from __future__ import annotations

import re

from standpunt.cite.finder.lookahead import known_about, next_stop
from standpunt.cite.finder.scanning import lit_char, spnl


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
        i = lit_char(src, i, end)
    return None


_VALUE_STOP = re.compile(r"[ \t\n\r}\\]")


def attributes_end(src: str, pos: int, end: int) -> int | None:
    """End of pandoc ``{#id .class key=value}`` attributes at ``pos``, or None."""
    i = spnl(src, pos + 1, end)
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
                    known = known_about(src)
                    j = next_stop(known, known.at(end).stops("value"), j, end, _VALUE_STOP, True)
        if j is None:
            return None
        i = spnl(src, j, end)
    return None
