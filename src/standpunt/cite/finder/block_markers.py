"""pandoc block syntax that commonmark reads as paragraph text, found in paragraphs afterwards.

Line blocks (``| ...``), fenced divs (``::: {title="@x"}``), ``<div ...>`` tags and
example-list markers (``(@label)``, ``@label.``, ``@label)`` plus a space at the start of a
block) are recognised inside what commonmark calls a paragraph. A marker or tag is blanked
out (same length, so offsets stay valid), and where pandoc starts a new block the paragraph
is cut into segments that :mod:`.inlines` reads separately. Example labels are remembered:
a plain ``@label`` elsewhere refers to the example, and :mod:`.results` leaves it out.
"""

from __future__ import annotations

from typing import Any

from markdown_it.rules_core import StateCore

from standpunt.cite.finder.angle_brackets import DIV_OPEN
from standpunt.cite.finder.attributes import attributes_end
from standpunt.cite.finder.keys import EXAMPLE_MARKER
from standpunt.cite.finder.source_map import column_of


def _div_fence(line: str) -> bool:
    """Is ``line`` a pandoc fenced-div line (``::: {#id .class}``, ``::: name``, ``:::``)?

    pandoc's ``:{3,}[ \t]*(.*?)[ \t]*:*[ \t]*`` (read by hand: as a regular expression it
    tries every split of a long run of spaces and colons).
    """
    rest = line.lstrip(":")
    if len(line) - len(rest) < 3:
        return False
    attrs = rest.lstrip(" \t").rstrip(" \t").rstrip(":").rstrip(" \t")
    if not attrs:
        return True
    if attrs.startswith("{"):
        return attributes_end(attrs, 0, len(attrs)) == len(attrs)
    return not any(c.isspace() for c in attrs)


def _at_line_start(raw: str, part: str) -> bool:
    """Does the content line ``part`` start its raw line (after container markers only)?"""
    prefix = raw[: column_of(raw, part, None)]
    if not prefix.strip(" \t"):
        return not prefix
    return not prefix.endswith("  ")


def block_markers(state: StateCore) -> None:
    """Find what pandoc reads as block syntax inside what commonmark calls a paragraph.

    Example-list markers (their labels are remembered), fenced-div lines and ``<div>`` tags
    are blanked out (same length, so offsets stay valid); where pandoc starts a new block
    (after those, and at each line of a line block ``| ...``) the paragraph is cut into
    segments that are parsed separately, as pandoc parses them.
    """
    labels: dict[str, tuple[int, int]] = state.env.setdefault("_pc_examples", {})
    raw_lines: list[str] = state.env["_pc_lines"]  # state.src split, by find_citations
    depth = 0
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type == "list_item_open":
            depth += 1
        elif token.type == "list_item_close":
            depth -= 1
        elif token.type == "inline" and index and tokens[index - 1].type == "paragraph_open":
            content = token.content
            if "@" not in content or not token.map:
                continue
            lines = content.split("\n")
            segments = [0]
            changed = False
            offset = 0
            in_list = depth > 0
            block_start = True
            line_block = False
            for number, line in enumerate(lines):
                here = offset
                offset += len(line) + 1
                if block_start and line.startswith(":::"):
                    row = token.map[0] + number
                    raw = raw_lines[row] if row < len(raw_lines) else ""
                    if _div_fence(line) and _at_line_start(raw, line):
                        lines[number] = " " * len(line)
                        changed = True
                        segments.append(number + 1)
                        continue
                if line_block:
                    if line.startswith(" "):
                        continue
                    segments.append(number)
                    if line.startswith("| ") or line == "|":
                        continue
                    line_block = False
                    block_start = True
                if block_start and (line.startswith("| ") or line == "|"):
                    line_block = True
                    block_start = False
                    continue
                if block_start or in_list:
                    m = EXAMPLE_MARKER.match(line)
                    if m:
                        label = m.group(1) if m.group(1) is not None else m.group(2)
                        if label:
                            labels.setdefault(label, (index, here + m.start()))
                        lines[number] = " " * m.end() + line[m.end() :]
                        changed = True
                        in_list = True
                        segments.append(number)
                    elif block_start and line.lstrip(" ").startswith("<"):
                        d = DIV_OPEN.match(line)
                        if d:
                            lines[number] = " " * d.end() + line[d.end() :]
                            changed = True
                block_start = False
            meta: dict[str, Any] = {}
            if changed:
                meta["original"] = content
                token.content = "\n".join(lines)
            if len(set(segments)) > 1:
                meta["segments"] = sorted(set(segments))
            if meta:
                token.meta = meta
