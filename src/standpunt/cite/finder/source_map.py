"""From an offset in an inline token's content to line and column in the raw text.

markdown-it hands the inline rules a paragraph's content without its container markers
(list bullets, ``>``, the indentation of a note or list item) and a table cell or heading
without what surrounds it; each content line is found again in its raw line, so that
columns are exact there too. :mod:`.results` places citations with it, and
:mod:`.block_markers` asks whether a line starts its raw line.
"""

from __future__ import annotations

import bisect


class LineMap:
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
            self.cols.append(column_of(raw, part, start if number == 0 else None))
            offset += len(part) + 1

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, col) of content offset ``offset``."""
        number = bisect.bisect_right(self.starts, offset) - 1
        return self.first_line + number + 1, self.cols[number] + offset - self.starts[number] + 1


def column_of(raw: str, part: str, start: int | None) -> int:
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
