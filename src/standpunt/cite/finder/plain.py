"""The citations of a text in the commonest shape, found without markdown-it.

Most texts of a position are a few paragraphs of words and punctuation with citations such as
``[@key]`` or ``[@key, p. 3; @other]``. For a text in exactly that shape (:func:`plain_citations`
says which) the full finder's answer is known without parsing: every such group is a bracketed
citation, each key at its ``@``. Anything else, and anything unsure, is left to the full finder
(the function answers None); the tests hold both to the same answer on the finder's test corpus
and on generated texts.

The shape, line by line: a line is empty or starts with a word of letters not followed by a dot
(so no block marker: no list marker such as ``a.`` or ``iv.``, no heading,
quote, table, fence, indentation, definition or note); the text holds only letters, digits,
spaces and ``, . ; ' ?`` and typographic quotes and dashes, apart from the citation groups;
a group opens after a space, holds keys of letters and digits, each optionally followed by
``, `` and a locator of letters, digits, spaces and dots, separated by ``; ``, and is not
followed by another bracket (there is none outside groups). No character that starts an inline
construct (emphasis, code, math, links, notes, escapes, entities, tags, attributes, URLs) is
left.
"""

from __future__ import annotations

import re

from standpunt.cite.finder.results import FoundCitation

_LETTERS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_WORDS = _LETTERS + "0-9 ,.;'?\u2018\u2019\u201c\u201d\u2013\u2014"
#: A character outside the shape, brackets and ``@`` aside.
_OTHER = re.compile(f"[^{_WORDS}\\[\\]@\n]")
#: What a non-empty line starts with: a word of letters not followed by a dot.
_LINE_START = re.compile(f"[{_LETTERS}]++(?!\\.)")
_CITE = r"@[A-Za-z0-9]+(?:, [A-Za-z0-9][A-Za-z0-9 .]*)?"
#: One citation group, opened after a space.
_GROUP = re.compile(f" \\[{_CITE}(?:; {_CITE})*\\]")
_KEY = re.compile(r"@([A-Za-z0-9]+)")


def plain_citations(text: str) -> list[FoundCitation] | None:
    """The citations of ``text`` when it is in the shape above, else None (not known here)."""
    if _OTHER.search(text):
        return None
    found: list[FoundCitation] = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        if not _LINE_START.match(line):
            return None
        if "@" not in line and "[" not in line and "]" not in line:
            continue
        rest = _GROUP.sub("", line)
        if "@" in rest or "[" in rest or "]" in rest:
            return None
        for group in _GROUP.finditer(line):
            for key in _KEY.finditer(line, group.start(), group.end()):
                found.append(FoundCitation(key.group(1), number, key.start() + 1))
    return found
