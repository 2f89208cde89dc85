"""pandoc's block structure, as markdown-it block rules: which text is read as inlines, and how.

markdown-it (commonmark preset, no HTML, no setext headings) with pandoc's rules where they
matter. Fenced code must be closed and has one word or ``{attributes}`` as info; only a backtick
fence, a rule or a note definition (in a note) ends a paragraph: a heading, block quote or list
needs a blank line before it, except that inside a list item any line starting with a list
marker (``-``, ``12.``, ``b)``, ``(iv)``, ``#.``, ``@ex.``) starts a new block
(:func:`interrupts`). Pipe tables split cells as pandoc does (not inside code or math) and
drop cells beyond the header's columns. Footnote definitions ``[^1]: ...`` are blocks; link
reference definitions whose label reads as a citation (``[@key]: x``) are paragraphs.

What pandoc reads as blocks inside what commonmark calls a paragraph is found afterwards, by
:mod:`.block_markers`; :mod:`.parser` puts these rules in place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from typing import Any

from markdown_it.common.utils import MD_TRIM_CHARS
from markdown_it.rules_block import StateBlock, hr, list_block
from markdown_it.rules_block import paragraph as _commonmark_paragraph

from standpunt.cite.finder.attributes import attributes_end
from standpunt.cite.finder.citations import normal_cite
from standpunt.cite.finder.inlines import inline_state
from standpunt.cite.finder.keys import LABEL
from standpunt.cite.finder.links import NOTE_MARKER
from standpunt.cite.finder.raw import skip_raw
from standpunt.cite.finder.reading import TooDeep
from standpunt.cite.finder.scanning import SPACE_TAB


def fence(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """pandoc fenced code: closed, one-word or ``{attrs}`` info; only ``` interrupts."""
    if state.is_code_block(start_line):
        return False
    src = state.src
    pos = state.bMarks[start_line] + state.tShift[start_line]
    maximum = state.eMarks[start_line]
    if pos + 3 > maximum or src[pos] not in "`~":
        return False
    marker = src[pos]
    mem = pos
    pos = state.skipCharsStr(pos, marker)
    length = pos - mem
    if length < 3:
        return False
    info = src[pos:maximum].strip(" \t")
    if info and not _valid_fence_info(info):
        return False
    if silent and marker != "`":
        return False
    closed = False
    next_line = start_line
    while True:
        next_line += 1
        if next_line >= end_line:
            break
        pos = mem = state.bMarks[next_line] + state.tShift[next_line]
        maximum = state.eMarks[next_line]
        if pos < maximum and state.sCount[next_line] < state.blkIndent:
            break
        if pos >= maximum or src[pos] != marker:
            continue
        pos = state.skipCharsStr(pos, marker)
        if pos - mem < length or state.skipSpaces(pos) < maximum:
            continue
        closed = True
        break
    if not closed:
        return False
    if silent:
        return True
    state.line = next_line + 1
    token = state.push("fence", "code", 0)
    token.info = info
    token.map = [start_line, state.line]
    return True


def _valid_fence_info(info: str) -> bool:
    """pandoc accepts one word or ``{attributes}`` after a fence."""
    if info.startswith("{"):
        end = attributes_end(info, 0, len(info))
        if end == len(info):
            return True
    return not any(c.isspace() for c in info)


def note_definition(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """``[^label]: text`` footnote definitions (continuation indented by four spaces)."""
    if state.is_code_block(start_line):
        return False
    src = state.src
    start = state.bMarks[start_line] + state.tShift[start_line]
    maximum = state.eMarks[start_line]
    m = NOTE_MARKER.match(src, start, maximum)
    if not m or m.end() >= maximum or src[m.end()] != ":":
        return False
    if silent:
        return bool(state.env.get("_pc_in_note"))
    after = m.end() + 1
    token = state.push("pandoc_note_open", "", 1)
    token.meta = {"label": m.group(1)}
    token.map = [start_line, start_line + 1]
    old_bmark = state.bMarks[start_line]
    old_tshift = state.tShift[start_line]
    old_scount = state.sCount[start_line]
    old_parent = state.parentType
    initial = (
        state.sCount[start_line] + after - (state.bMarks[start_line] + state.tShift[start_line])
    )
    offset = initial
    pos = after
    while pos < maximum and src[pos] in SPACE_TAB:
        offset += 4 - offset % 4 if src[pos] == "\t" else 1
        pos += 1
    state.tShift[start_line] = pos - after
    state.sCount[start_line] = offset - initial
    state.bMarks[start_line] = after
    state.blkIndent += 4
    state.parentType = "footnote"
    if state.sCount[start_line] < state.blkIndent:
        state.sCount[start_line] += state.blkIndent
    state.env["_pc_in_note"] = state.env.get("_pc_in_note", 0) + 1
    state.md.block.tokenize(state, start_line, end_line)
    state.env["_pc_in_note"] -= 1
    state.parentType = old_parent
    state.blkIndent -= 4
    state.tShift[start_line] = old_tshift
    state.sCount[start_line] = old_scount
    state.bMarks[start_line] = old_bmark
    state.push("pandoc_note_close", "", -1)
    return True


_TABLE_BREAK = re.compile(  # possessive: no trying every split of a run of spaces
    r"[ ]{0,3}\|?[ \t]*+:?-++:?[ \t]*+(?:[|+][ \t]*+:?-++:?[ \t]*+)*+\|?[ \t]*+"
)


def _table_cells(src: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cells of a pipe-table row as pandoc splits it: not inside code, math or escapes."""
    i = start
    while i < end and src[i] in SPACE_TAB:
        i += 1
    if i < end and src[i] == "|":
        i += 1
    cells: list[tuple[int, int]] = []
    cell = i
    while i < end:
        c = src[i]
        if c == "|":
            cells.append((cell, i))
            i += 1
            cell = i
            continue
        stop = skip_raw(src, i, end) if c in "`$\\" else None
        i = stop if stop is not None else i + 1
    if src[cell:end].strip():
        cells.append((cell, end))
    return cells


def pipe_table(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """pandoc pipe tables: each cell is parsed on its own; extra cells are dropped."""
    if start_line + 1 >= end_line or state.is_code_block(start_line):
        return False
    src = state.src
    first = state.bMarks[start_line] + state.tShift[start_line]
    line_end = state.eMarks[start_line]
    if "|" not in src[first:line_end]:
        return False
    rule_line = start_line + 1
    if state.sCount[rule_line] < state.blkIndent:
        return False
    rule_start = state.bMarks[rule_line] + state.tShift[rule_line]
    rule_text = src[rule_start : state.eMarks[rule_line]]
    if "|" not in rule_text or not _TABLE_BREAK.fullmatch(rule_text):
        return False
    columns = len(_table_cells(src, rule_start, state.eMarks[rule_line]))
    if silent:
        return True
    rows = [start_line]
    line = rule_line + 1
    while line < end_line and state.sCount[line] >= state.blkIndent:
        begin = state.bMarks[line] + state.tShift[line]
        if begin >= state.eMarks[line] or "|" not in src[begin : state.eMarks[line]]:
            break
        rows.append(line)
        line += 1
    token = state.push("table_open", "table", 1)
    token.map = [start_line, line]
    for row in rows:
        begin = state.bMarks[row] + state.tShift[row]
        line_start = src.rfind("\n", 0, begin) + 1
        for cell_start, cell_end in _table_cells(src, begin, state.eMarks[row])[:columns]:
            raw = src[cell_start:cell_end]
            lead = len(raw) - len(raw.lstrip())
            state.push("td_open", "td", 1)
            inline = state.push("inline", "", 0)
            inline.content = raw.strip()
            inline.map = [row, row + 1]
            inline.meta = {"column": cell_start + lead - line_start}
            inline.children = []
            state.push("td_close", "td", -1)
    state.push("table_close", "table", -1)
    state.line = line
    return True


def reference_unless_cited(
    original: Callable[[StateBlock, int, int, bool], bool],
) -> Callable[[StateBlock, int, int, bool], bool]:
    """A link reference definition, unless its label reads as a citation in pandoc."""

    def reference(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
        """markdown-it's rule, refused for a ``[label]`` that pandoc reads as a citation.

        The label is read as a citation in the text up to the next blank line. One inline
        state serves the whole document (its memos are by end), and the searches ahead are
        remembered, so that many labels (a list of ``- [x]: y`` items) are read in linear time.
        """
        src, env = state.src, state.env
        start = state.bMarks[start_line] + state.tShift[start_line]
        if src.startswith("[", start):
            stop = _find_from(env, src, "\n\n", start)
            if _find_from(env, src, "@", start) < stop and _find_from(env, src, "]:", start) < stop:
                inline = env.get("_pc_reference")
                if inline is None:
                    inline = env["_pc_reference"] = inline_state(src, state.md, {}, [], [])
                inline.posMax = stop
                try:
                    cited = normal_cite(inline, start) is not None
                except TooDeep:
                    cited = False
                if cited:
                    return False
        return original(state, start_line, end_line, silent)

    return reference


def _find_from(env: MutableMapping[str, Any], src: str, needle: str, start: int) -> int:
    """``src.find(needle, start)`` (``len(src)`` if absent), remembering the last answer: a
    search from a later start that is still before it has the same answer."""
    memo: dict[str, tuple[int, int]] = env.setdefault("_pc_find", {})
    last = memo.get(needle)
    if last is not None and last[0] <= start <= last[1]:
        return last[1]
    found = src.find(needle, start)
    found = len(src) if found < 0 else found
    memo[needle] = (start, found)
    return found


_TRIMMED = frozenset(MD_TRIM_CHARS)


def paragraph(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """markdown-it's paragraph rule, with the map of its text starting at its first line.

    The rule trims the text with JavaScript's trim: a first line of only such white space
    (a no-break space, U+2028, U+3000, a form feed) is dropped, so the text starts a line
    later than the paragraph.
    """
    if not _commonmark_paragraph(state, start_line, end_line, silent):
        return False

    def blank(line: int) -> bool:
        text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]
        return not text.strip(MD_TRIM_CHARS)

    first = state.bMarks[start_line] + state.tShift[start_line]
    if first < state.eMarks[start_line] and state.src[first] in _TRIMMED and blank(start_line):
        line = start_line + 1
        while line < state.line - 1 and blank(line):
            line += 1
        for token in state.tokens[-2:-4:-1]:  # the inline token and paragraph_open
            if token.map:
                token.map = [line, token.map[1]]
    return True


def interrupts(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """Does ``start_line`` end a paragraph, as in pandoc?

    A backtick fence and a horizontal rule do; a heading, block quote or list does not
    (pandoc wants a blank line before them), except that inside a list item any line that
    starts with a list marker (``-``, ``12.``, ``b)``, ``(iv)``, ``#.``, ``@ex.``) does.
    """
    if not silent:
        return False
    src = state.src
    pos = state.bMarks[start_line] + state.tShift[start_line]
    maximum = state.eMarks[start_line]
    if pos >= maximum:
        return False
    c = src[pos]
    if c == "`":
        return fence(state, start_line, end_line, True)
    if c in "*-_" and hr(state, start_line, end_line, True):
        return True
    if c == "[":
        return note_definition(state, start_line, end_line, True)
    return bool(
        state.env.get("_pc_lists")
        and _LIST_MARKER.match(src, pos, maximum)
        and not _PAGE.match(src, pos, maximum)
    )


_ORDINAL = rf"(?:\d{{1,10}}|[a-z]|[ivxlcdm]+|#|@{LABEL})"
_LIST_MARKER = re.compile(
    rf"(?:[*+-]|{_ORDINAL}[.)]|(?:[A-Z]|[IVXLCDM]+)(?:\)|\.(?=[ ][ \t]|\t))"
    rf"|\((?:{_ORDINAL}|[A-Z]|[IVXLCDM]+)\))(?:[ \t]|$)"
)
_PAGE = re.compile(r"p\.[ \t]+\d")


def list_rule(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """markdown-it's list rule, noting that we are inside a list (for ``interrupts``)."""
    env = state.env
    env["_pc_lists"] = env.get("_pc_lists", 0) + 1
    try:
        return list_block(state, start_line, end_line, silent)
    finally:
        env["_pc_lists"] -= 1
