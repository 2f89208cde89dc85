"""The smallest scanners, shared by the finder's rules: white space, literal characters, escapes.

Like every scanner of the finder they read ``src[pos:end]`` and say where what they read ends;
``spnl`` and ``lit_char`` are namesakes of parsers in pandoc's Markdown reader, so that the
rules built on them read as pandoc's do.
"""

from __future__ import annotations

#: The white space pandoc's ``spaceChar`` takes.
SPACE_TAB = " \t"


def spnl(src: str, i: int, end: int) -> int | None:
    """pandoc's ``spnl``: spaces, at most one newline, spaces; None before a blank line."""
    while i < end and src[i] in SPACE_TAB:
        i += 1
    if i < end and src[i] == "\n":
        i += 1
        while i < end and src[i] in SPACE_TAB:
            i += 1
    if i < end and src[i] == "\n":
        return None
    return i


def lit_char(src: str, i: int, end: int) -> int:
    """Skip one pandoc ``litChar`` (an escaped symbol counts as one)."""
    if src[i] == "\\" and i + 1 < end and not src[i + 1].isalnum():
        return i + 2
    return i + 1


def escaped(src: str, pos: int) -> bool:
    """Is ``src[pos]`` preceded by an odd number of backslashes?"""
    n = 0
    while pos - n - 1 >= 0 and src[pos - n - 1] == "\\":
        n += 1
    return n % 2 == 1
