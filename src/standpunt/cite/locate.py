"""Where each citation of a position was written: file, line and column.

The finder (:mod:`standpunt.cite.finder`) reads a text as pandoc does; this maps what it found
back onto the YAML file, whatever the scalar's style, so that a wrong key points at itself.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from standpunt.cite.finder import FoundCitation, find_citations
from standpunt.errors import Location
from standpunt.workspace.load import Scalar
from standpunt.workspace.read import PositionFile
from standpunt.workspace.texts import texts

_NEWLINE = re.compile("\n")


@dataclass(frozen=True)
class LocatedCitation:
    """A citation as written in a position: the key and where it stands in the file."""

    key: str
    location: Location


@lru_cache(maxsize=4096)
def _citations(text: str) -> tuple[FoundCitation, ...]:
    # check, the fingerprint and the build each ask for the citations of the same texts
    return tuple(find_citations(text))


def citations_in(position: PositionFile) -> list[LocatedCitation]:
    """Every citation of a position, in the order written, each at its place in the file."""
    found: list[LocatedCitation] = []
    for text in texts(position.raw):
        value = text.value
        refs = _citations(str(value))
        if not refs:
            continue
        if isinstance(value, Scalar):
            found.extend(_locate(value, refs))
        else:
            found.extend(LocatedCitation(ref.key, position.location) for ref in refs)
    return found


def _locate(value: Scalar, refs: tuple[FoundCitation, ...]) -> Iterator[LocatedCitation]:
    """Map citations back to the raw text of the scalar, whatever its YAML style.

    In a literal block (``|``) every line of the text is a line of the file, so the finder's
    own line and column are moved onto the file; other styles fold or escape their text, and
    there the ``@key`` is looked for in what was written, in order.
    """
    raw = value.raw
    starts = _line_starts(value.source)
    lines = str(value).split("\n") if value.style == "|" else []
    header = bisect.bisect_right(starts, value.start) - 1  # the line of the indicator
    cursor = 0
    for ref in refs:
        at = _literal_offset(value, starts, header, lines, ref)
        if at < 0:
            at = raw.find(f"@{ref.key}", cursor)
        if at < 0:
            at = raw.find(f"@{{{ref.key}}}", cursor)
        if at < 0:
            yield LocatedCitation(ref.key, value.loc)
            continue
        cursor = at + 1
        offset = value.start + at
        line = bisect.bisect_right(starts, offset) - 1
        yield LocatedCitation(
            ref.key, Location(value.loc.path, line + 1, offset - starts[line] + 1)
        )


def _literal_offset(
    value: Scalar, starts: list[int], header: int, lines: list[str], ref: FoundCitation
) -> int:
    """Where ``ref`` stands in ``value.raw`` when the block is literal, else -1."""
    number = header + ref.line  # the file's line (0-based) holding the text's line ref.line
    if not lines or ref.line > len(lines) or number >= len(starts):
        return -1
    end = starts[number + 1] - 1 if number + 1 < len(starts) else len(value.source)
    written = value.source[starts[number] : end].removesuffix("\r")
    if not written.endswith(lines[ref.line - 1]):
        return -1
    offset = starts[number] + len(written) - len(lines[ref.line - 1]) + ref.col - 1
    if not value.source.startswith(("@" + ref.key, "@{" + ref.key + "}"), offset):
        return -1
    return offset - value.start


@lru_cache(maxsize=64)
def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(match.end() for match in _NEWLINE.finditer(text))
    return starts
