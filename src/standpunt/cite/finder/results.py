"""What find_citations gives: :class:`FoundCitation`, collected from the parsed tokens.

The inline rules leave what they found on each inline token (``meta["pandoc"]``); here it
becomes found citations in source order, placed by :mod:`.source_map`, leaving out references
to example labels (:mod:`.block_markers` found the labels) and citations in notes that are never
referenced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from standpunt.cite.finder.source_map import LineMap

if TYPE_CHECKING:  # markdown-it is imported only where a text is parsed
    from markdown_it.token import Token


@dataclass(frozen=True)
class FoundCitation:
    """One citation key as pandoc reads it, with the 1-based position of its ``@``.

    ``narrative`` is a citation outside brackets (``@key``, pandoc's ``AuthorInText``) and
    ``suppress_author`` one with a ``-`` before its ``@`` (``[-@key]``, ``-@key``).
    """

    key: str
    line: int
    col: int
    narrative: bool = False
    suppress_author: bool = False


def collect(tokens: list[Token], lines: list[str], env: dict[str, Any]) -> list[FoundCitation]:
    """The citations in source order, leaving out example references and unused notes."""
    examples: dict[str, tuple[int, int]] = env.get("_pc_examples", {})
    results: list[tuple[int, int, FoundCitation, tuple[str, int] | None]] = []
    referenced: set[str] = set()
    last_definition: dict[str, int] = {}
    notes: list[tuple[str, int]] = []
    block = ""
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "pandoc_note_open":
            label = token.meta["label"]
            notes.append((label, index))
            last_definition[label] = index
        elif kind == "pandoc_note_close":
            notes.pop()
        elif kind in ("heading_open", "td_open", "paragraph_open"):
            block = kind
        elif kind == "inline" and token.map:
            content = (token.meta or {}).get("original", token.content)
            first = token.map[0]
            start: int | None = None
            if block == "heading_open":
                raw = lines[first] if first < len(lines) else ""
                start = raw.find("#") + 1
            elif block == "td_open":
                start = (token.meta or {}).get("column")
            items = (token.meta or {}).get("pandoc")
            if not items:
                continue
            where: LineMap | None = None
            note = notes[-1] if notes else None
            for item in items:
                if isinstance(item, str):
                    if not notes:
                        referenced.add(item)
                    continue
                if where is None:
                    where = LineMap(content, first, lines, start)
                for cite in item:
                    example = examples.get(cite.key)
                    if (
                        cite.narrative
                        and example is not None
                        and (cite.plain or example < (index, cite.at))
                    ):
                        continue
                    line, col = where.position(cite.at)
                    ref = FoundCitation(cite.key, line, col, cite.narrative, cite.suppress)
                    results.append((line, col, ref, note))
    result = [
        ref
        for _, _, ref, note in sorted(results, key=lambda item: (item[0], item[1]))
        if note is None or (note[0] in referenced and last_definition[note[0]] == note[1])
    ]
    return result
