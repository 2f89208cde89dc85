"""Where each entry of a BibTeX or BibLaTeX file starts, and what in it pandoc cannot read.

pandoc converts a .bib file as a whole and says neither where an entry was written nor, when one
entry is broken, which one: a '{' that is never closed is "unexpected end of input" at the last
line, and the whole file fails. This scanner reads the file as BibTeX does: an entry starts with
``@type{`` and ends at its matching '}'; text between entries is a comment. It finds each entry's
key and line and the line of each of its fields, a '{' that is never closed (the next line that
starts with ``@type{`` ends the entry, as a person reading the file would see it), entries without
a key, and an '@' that starts no entry (which stops pandoc). It hands pandoc the file with those
parts blanked out, so the rest still comes in and every line keeps its number. One pass, linear
in the length of the file.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from standpunt.errors import Diagnostic, Location, Severity

__all__ = ["BibEntry", "BibScan", "blank", "scan_bibtex"]

#: How an entry starts, as pandoc reads it: '@', the type, the opening brace.
_ENTRY = re.compile(r"@([A-Za-z]+)[ \t\r\n]*([{(])")
#: An '@' that starts a line (after spaces): where an unclosed entry is taken to end.
_LINE_AT = re.compile(r"^[ \t]*@", re.MULTILINE)
_SPECIAL = re.compile(r"[{}()@]")
#: An entry's key: what follows the opening brace up to the comma.
_KEY = re.compile(r"[ \t\r\n]*([^\s,{}()=\"#%]*)")
#: A field's name before its '=' (at the entry's top level): a run of name characters, read
#: from its first letter, then spaces and '='. The run is taken whole (possessive) and checked
#: once, so a long word without '=' is not tried again from each of its letters (quadratic).
_NAME_RUN = re.compile(r"[\w:.+-]++")
_FIRST_LETTER = re.compile(r"[A-Za-z]")
_EQUALS = re.compile(r"[ \t\r\n]*+=")
#: A line that starts like a field (``name =``): outside entries, text that belongs inside one;
#: inside a value, the sign that the value's '}' is missing.
_FIELD_LINE = re.compile(r"^[ \t]*[A-Za-z][\w-]*[ \t]*=", re.MULTILINE)
#: Entries that are not references.
SPECIAL_KINDS = frozenset({"comment", "preamble", "string"})
#: Entry types and fields that BibLaTeX has and BibTeX lacks (BibTeX has ``@techreport``,
#: ``journal``, ``address``; BibLaTeX ``@report``, ``journaltitle``, ``location``, ``date``).
BIBLATEX_TYPES = frozenset(
    """artwork audio bookinbook dataset image inreference jurisdiction legal legislation letter
    movie music mvbook mvcollection mvproceedings mvreference online patent performance
    periodical reference report review set software standard suppbook suppcollection
    suppperiodical thesis video xdata""".split()  # noqa: SIM905
)
BIBLATEX_FIELDS = frozenset(
    """addendum booksubtitle booktitleaddon date entrysubtype eprintclass eprinttype eventdate
    eventtitle journalsubtitle journaltitle location maintitle origdate origlocation
    pagetotal pubstate shortjournal subtitle titleaddon venue xdata""".split()  # noqa: SIM905
)
#: The unclosed braces remembered per entry (their count is kept whatever the depth).
_MAX_REMEMBERED = 1024


@dataclass
class BibEntry:
    """One ``@type{…}`` of the file: its type (lower case), key, span and lines."""

    kind: str
    key: str
    start: int
    end: int
    location: Location
    #: Where each field's name starts (an offset), by the name in lower case (the first time).
    fields: dict[str, int] = field(default_factory=dict)


@dataclass
class BibScan:
    """A .bib file as scanned: its entries, the text pandoc gets, and what is wrong."""

    display: str
    entries: list[BibEntry]
    clean: str
    problems: list[Diagnostic]
    line_starts: list[int]

    def location(self, offset: int) -> Location:
        """Where ``offset`` is: the file, 1-based line and column."""
        line = bisect.bisect_right(self.line_starts, offset)
        return Location(self.display, line, offset - self.line_starts[line - 1] + 1)

    @property
    def biblatex(self) -> bool:
        """Whether the file is BibLaTeX: an entry of a type or with a field BibTeX lacks."""
        return any(
            entry.kind in BIBLATEX_TYPES or not BIBLATEX_FIELDS.isdisjoint(entry.fields)
            for entry in self.entries
        )

    def offset(self, line: int, col: int) -> int:
        """The offset of ``line``:``col`` as pandoc counts them (a tab to the next multiple of
        four columns; "unexpected end of input" past the end), within the text."""
        last = max(len(self.clean) - 1, 0)
        if line > len(self.line_starts):
            return last
        offset = self.line_starts[max(line, 1) - 1]
        column = 1
        while column < col and offset < last and self.clean[offset] != "\n":
            column = column + 4 - (column - 1) % 4 if self.clean[offset] == "\t" else column + 1
            offset += 1
        return offset

    def entry_at(self, line: int, col: int) -> BibEntry | None:
        """The entry written at ``line``:``col`` (pandoc's place of a problem), if any."""
        offset = self.offset(line, col)
        index = bisect.bisect_right([e.start for e in self.entries], offset) - 1
        if index >= 0 and self.entries[index].start <= offset < self.entries[index].end:
            return self.entries[index]
        return None


def blank(text: str, start: int, end: int) -> str:
    """``text`` with ``text[start:end]`` made spaces, line breaks kept: lines keep their numbers."""
    return text[:start] + re.sub(r"[^\r\n]", " ", text[start:end]) + text[end:]


class _Scanner:
    def __init__(self, text: str, display: str) -> None:
        self.text = text
        self.display = display
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.at_line_start = {m.end() - 1 for m in _LINE_AT.finditer(text)}
        self.field_lines = [m.start() for m in _FIELD_LINE.finditer(text)]
        self.problems: list[Diagnostic] = []
        self.pieces: list[str] = []
        self.entries: list[BibEntry] = []

    def loc(self, offset: int) -> Location:
        line = bisect.bisect_right(self.line_starts, offset)
        return Location(self.display, line, offset - self.line_starts[line - 1] + 1)

    def report(self, severity: Severity, message: str, code: str, offset: int) -> None:
        self.problems.append(Diagnostic(severity, message, code, self.loc(offset)))

    def scan(self) -> BibScan:
        text, pos = self.text, 0
        while True:
            at = text.find("@", pos)
            if at < 0:
                self.outside(pos, len(text))
                break
            self.outside(pos, at)
            match = _ENTRY.match(text, at)
            if match is None:
                self.report(
                    "warning",
                    "this '@' starts no entry (an entry is written @type{key, …}), so the "
                    "text around it is not read; if it is a comment, leave out the '@'",
                    "bib-stray-text",
                    at,
                )
                self.pieces.append(" ")
                pos = at + 1
                continue
            pos = self.entry(match)
        clean = "".join(self.pieces)
        return BibScan(self.display, self.entries, clean, self.problems, self.line_starts)

    def outside(self, start: int, end: int) -> None:
        """Text between entries: a comment to BibTeX, blank to pandoc; a warning where it
        looks like part of an entry."""
        if start >= end:
            return
        segment = self.text[start:end]
        stripped = segment.lstrip(" \t")
        offset = start + len(segment) - len(stripped)
        field_line = _FIELD_LINE.search(segment)
        if stripped[:1] in ("}", ")", ","):
            suspect = offset
        elif field_line is not None:
            suspect = start + field_line.start()
        else:
            suspect = -1
        if suspect >= 0:
            self.report(
                "warning",
                "this text is outside any entry, so it is not read; if it belongs to the entry "
                "above, a '}' too many closes that entry early",
                "bib-stray-text",
                suspect,
            )
        self.pieces.append(re.sub(r"[^\r\n]", " ", segment))

    def entry(self, match: re.Match[str]) -> int:
        """Scan the entry ``match`` opens; returns where scanning goes on."""
        text, kind, opener = self.text, match.group(1).lower(), match.group(2)
        start = match.start()
        key_match = _KEY.match(text, match.end())  # matches always: the key may be empty
        key = key_match.group(1) if kind not in SPECIAL_KINDS and key_match else ""
        where = self.loc(key_match.start(1) if key_match and key else start)
        entry = BibEntry(kind, key, start, start, where)
        end, unclosed = self.close(match.end(), opener == "(", entry)
        entry.end = end
        if unclosed == match.end() - 1:
            self.report(
                "error",
                "this entry is never closed, so it is not read; add the '}' that ends it",
                "bib-syntax",
                unclosed,
            )
        elif unclosed is not None:
            self.report(
                "error",
                "this '{' is never closed, so the entry it is in is not read; add the '}' "
                "that closes it (or remove this '{')",
                "bib-syntax",
                unclosed,
            )
        elif opener == "(":
            self.report(
                "error",
                f"this entry is written @{match.group(1)}(…), which pandoc does not read; "
                f"write it with braces: @{match.group(1)}{{key, …}}",
                "bib-syntax",
                start,
            )
        elif kind not in SPECIAL_KINDS and not key:
            self.report(
                "error",
                "this entry has no key, so it cannot be cited and is not read; write one "
                f"after the '{{': @{match.group(1)}{{smith2021, …}}",
                "bib-syntax",
                start,
            )
        else:
            self.pieces.append(text[start:end])
            if kind not in SPECIAL_KINDS:
                self.entries.append(entry)
            return end
        self.pieces.append(re.sub(r"[^\r\n]", " ", text[start:end]))
        return end

    def close(self, pos: int, parenthesised: bool, entry: BibEntry) -> tuple[int, int | None]:
        """Where the entry whose body starts at ``pos`` ends, and, when it is never closed, the
        '{' to blame: that of a value that runs on into a line starting with ``name =`` (its
        '}' is the one missing), else the innermost one left open."""
        text = self.text
        depth, opened = 1, [pos - 1]
        top = pos  # where the text at the entry's top level (its fields) resumes
        previous, blame = pos, None
        for found in _SPECIAL.finditer(text, pos):
            char, index = found.group(), found.start()
            if char in "{}" and _escaped(text, index):
                continue  # an escaped brace, as pandoc reads \{ and \} (not \\{: a line break)
            if blame is None and depth >= 2 and self.field_line_between(previous, index):
                blame = opened[1]
            previous = index
            if char == "{":
                if depth == 1:
                    self.fields(top, index, entry)
                depth += 1
                if depth <= _MAX_REMEMBERED:
                    opened.append(index)
            elif char == "}":
                if depth == 1:
                    self.fields(top, index, entry)
                    return index + 1, None
                if depth <= _MAX_REMEMBERED:
                    opened.pop()
                depth -= 1
                top = index + 1
            elif char == ")" and depth == 1 and parenthesised:
                self.fields(top, index, entry)
                return index + 1, None
            elif char == "@" and index in self.at_line_start and _ENTRY.match(text, index):
                # The next entry starts at the beginning of a line: this one was never closed.
                line_start = self.line_starts[bisect.bisect_right(self.line_starts, index) - 1]
                return line_start, blame if blame is not None else opened[-1]
        return len(text), blame if blame is not None else opened[-1]

    def field_line_between(self, start: int, end: int) -> bool:
        """Whether a line that starts like a field (``name =``) starts between the offsets."""
        index = bisect.bisect_right(self.field_lines, start)
        return index < len(self.field_lines) and self.field_lines[index] < end

    def fields(self, start: int, end: int, entry: BibEntry) -> None:
        """Note the line of each field named in ``text[start:end]``, the entry's top level."""
        text = self.text
        for run in _NAME_RUN.finditer(text, start, end):
            letter = _FIRST_LETTER.search(text, run.start(), run.end())
            if letter is None or _EQUALS.match(text, run.end(), end) is None:
                continue
            name = text[letter.start() : run.end()].lower()
            if name not in entry.fields:
                entry.fields[name] = letter.start()


def _escaped(text: str, index: int) -> bool:
    """Whether the character at ``index`` follows an odd run of backslashes. Each run is
    counted by the one character after it only, so the scan stays linear."""
    start = index
    while start > 0 and text[start - 1] == "\\":
        start -= 1
    return (index - start) % 2 == 1


def scan_bibtex(text: str, display: str) -> BibScan:
    """Scan a .bib file's text (``display`` names it in problems)."""
    return _Scanner(text, display).scan()
