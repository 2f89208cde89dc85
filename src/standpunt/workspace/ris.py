"""RIS files: each record and the line of each tag, and what pandoc's RIS reader leaves out.

pandoc reads RIS records in order, but says nothing about lines, stops at the first line it does
not expect (a blank line inside a record, a long value wrapped onto a second line, a missing
``ER  -``), and knows fewer tags than Zotero writes. So this module reads the records itself
(one pass over the lines), hands pandoc a tidy copy of them, each with a numbered ``ID`` so that
its references are matched back to the records without guessing, and then completes what pandoc
made the way Zotero reads its own export:

* a name without a comma is an organisation (Zotero writes a one-field name so), and
  "Family, Given, Suffix" is read in RIS's order (pandoc reads it in BibTeX's);
* ``DA`` gives the full date where ``PY`` has the year only, ``Y2`` the date it was accessed, and
  ``PY`` may be written ``YYYY/MM/DD/``;
* ``CY`` is the place of publication, ``T3`` the series, ``J2`` the journal's abbreviation,
  ``ST`` the short title, ``SN`` an ISBN for books and chapters;
* the types pandoc has no CSL type for: ``ELEC`` (a web page), ``GEN`` (a document), ``COMP``
  (software), ``MPCT``, ``UNPB``, ``DICT``, ``HEAR``, ``STAND``.

A record without an ``ID`` has no key yet: the workspace gives it one (:mod:`.citekeys`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from standpunt.errors import Diagnostic, Location

__all__ = ["RisRecord", "complete", "pandoc_input", "scan_ris"]

#: A tag line as pandoc reads it: two capitals or digits, spaces, '-', the value.
_TAG = re.compile(r"([A-Z][A-Z0-9])[ \t]+-(?:[ \t]+(.*)|[ \t]*)$")
_LINE_BREAK = re.compile(r"\r?\n|\r")
#: A RIS date: YYYY/MM/DD/other, parts may be empty; also YYYY-MM-DD and a time after it.
_DATE = re.compile(r"\s*(-?\d{1,4})(?:[/-](\d{0,2})(?:[/-](\d{0,2}))?)?(?:[/\sT].*)?")
#: Name tags and the CSL variable each fills (pandoc reads AU, A1, ED and A2 alike).
NAME_TAGS = {
    "AU": "author",
    "A1": "author",
    "ED": "editor",
    "A2": "editor",
    "A3": "collection-editor",
}
#: Tags pandoc's RIS reader skips, and the CSL variable each is.
_TEXT_TAGS = {"T3": "collection-title", "J2": "container-title-short", "ST": "title-short"}
#: Types pandoc maps to no CSL type, or not to the one Zotero exports the type for.
_TYPES = {
    "ELEC": "webpage",
    "GEN": "document",
    "COMP": "software",
    "ADVS": "motion_picture",
    "MPCT": "motion_picture",
    "UNPB": "manuscript",
    "DICT": "entry-dictionary",
    "HEAR": "hearing",
    "STAND": "standard",
}
#: CSL types whose ``SN`` is an ISBN (pandoc always takes it for an ISSN).
_BOOKS = frozenset(
    ["book", "chapter", "classic", "collection", "entry-dictionary", "entry-encyclopedia"]
)
#: Where each CSL variable comes from, for messages about it: the tags, most telling first.
SOURCE_TAGS = {
    "id": ("ID",),
    "type": ("TY",),
    "title": ("TI", "T1", "CT", "BT"),
    "container-title": ("T2", "JO", "JF", "BT"),
    "issued": ("DA", "PY", "Y1"),
    "accessed": ("Y2",),
    "DOI": ("DO",),
    "URL": ("UR", "LK"),
    "page": ("SP", "EP"),
    "publisher": ("PB",),
    "publisher-place": ("CY", "PP"),
    "ISBN": ("SN",),
    "ISSN": ("SN",),
    "language": ("LA",),
    "volume": ("VL",),
    "issue": ("IS",),
    "edition": ("ET",),
    "abstract": ("AB",),
    "keyword": ("KW",),
    **{variable: (tag,) for tag, variable in _TEXT_TAGS.items()},
}


@dataclass
class RisRecord:
    """One record: the line it starts on and its tags as (tag, value, line), in order."""

    line: int
    tags: list[tuple[str, str, int]] = field(default_factory=list)

    def values(self, *tags: str) -> list[tuple[str, int]]:
        """The non-empty values of ``tags``, in the order written, with their lines."""
        if len(tags) == 1:
            return self._by_tag.get(tags[0], [])
        return [(value, line) for tag, value, line in self.tags if tag in tags and value]

    @cached_property
    def _by_tag(self) -> dict[str, list[tuple[str, int]]]:
        found: dict[str, list[tuple[str, int]]] = {}
        for tag, value, line in self.tags:
            if value:
                found.setdefault(tag, []).append((value, line))
        return found

    def first(self, *tags: str) -> tuple[str, int] | None:
        """The first non-empty value of ``tags`` written, with its line."""
        found = [self._by_tag[tag][0] for tag in tags if tag in self._by_tag]
        return min(found, key=lambda value: value[1]) if found else None

    def line_of(self, variable: str) -> int:
        """The line a CSL variable came from, or the record's first line."""
        tags = SOURCE_TAGS.get(variable) or tuple(
            tag for tag, name in NAME_TAGS.items() if name == variable
        )
        found = self.first(*tags)
        return found[1] if found else self.line


def scan_ris(text: str, display: str) -> tuple[list[RisRecord], list[Diagnostic]]:
    """The records of a RIS file, and what in it is not read (as warnings)."""
    records: list[RisRecord] = []
    problems: list[Diagnostic] = []
    record: RisRecord | None = None
    stray = False  # in a run of lines outside any record, reported once
    for number, line in enumerate(_LINE_BREAK.split(text), 1):
        match = _TAG.match(line)
        if match is None:
            if not line.strip():
                continue
            if record is not None and record.tags:
                # A long value wrapped onto the next line, as some exporters write it.
                tag, value, where = record.tags[-1]
                record.tags[-1] = (tag, f"{value} {line.strip()}".strip(), where)
            elif not stray:
                problems.append(_outside(display, number))
            stray = True
            continue
        stray = False
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag == "ER":
            record = None
            continue
        if tag == "TY" and record is not None:
            problems.append(_unended(display, record))
            record = None
        if record is None:
            record = RisRecord(number)
            records.append(record)
        record.tags.append((tag, value, number))
    if record is not None:
        problems.append(_unended(display, record))
    return records, problems


def _outside(display: str, line: int) -> Diagnostic:
    return Diagnostic(
        "warning",
        "this line is outside any record (a record starts with 'TY  - ' and ends with "
        "'ER  - '), so it is not read",
        "ris-stray-text",
        Location(display, line, 1),
    )


def _unended(display: str, record: RisRecord) -> Diagnostic:
    return Diagnostic(
        "warning",
        "this record has no 'ER  - ' line at its end; it is read up to the next record, but "
        "check that nothing of it is missing",
        "ris-syntax",
        Location(display, record.line, 1),
    )


def pandoc_input(records: list[RisRecord]) -> str:
    """The records as RIS pandoc reads without fail, record ``n`` with ``ID  - n``."""
    lines = []
    for number, record in enumerate(records):
        lines.append(f"ID  - {number}")
        lines.extend(f"{tag}  - {value}" for tag, value, _ in record.tags if value and tag != "ID")
        lines.extend(["ER  - ", ""])
    return "\n".join(lines)


def _name(value: str) -> dict[str, str]:
    """A RIS name: "Family, Given, Suffix", or, without a comma, an organisation's name."""
    parts = [part.strip() for part in value.split(",", 2)]
    if len(parts) == 1:
        return {"literal": parts[0]}
    name = {"family": parts[0], "given": parts[1]}
    if len(parts) == 3 and parts[2]:
        name["suffix"] = parts[2]
    return {part: text for part, text in name.items() if text}


def _date(value: str) -> list[int] | None:
    """The date-parts of a RIS date (impossible ones too, for the check to report)."""
    match = _DATE.fullmatch(value)
    if match is None:
        return None
    return [int(part) for part in match.groups() if part]


def _issued(record: RisRecord) -> tuple[list[int], int] | None:
    """The publication date: ``DA`` where it adds to ``PY``'s year, else ``PY`` (or ``Y1``)."""
    year = record.first("PY", "Y1")
    full = record.first("DA")
    year_parts = _date(year[0]) if year else None
    full_parts = _date(full[0]) if full else None
    agree = full_parts and (not year_parts or year_parts[0] == full_parts[0])
    if full and full_parts and agree and len(full_parts) > len(year_parts or []):
        return full_parts, full[1]
    if year and year_parts:
        return year_parts, year[1]
    return None


def complete(item: dict[str, Any], record: RisRecord) -> tuple[dict[str, Any], dict[str, int]]:
    """pandoc's CSL-JSON for ``record``, completed as the module's head says (without an id
    when the record has no ``ID``), and the line each of its variables was written on."""
    done = {key: value for key, value in item.items() if key != "id"}
    lines = {variable: record.line_of(variable) for variable in item}
    written_id = record.first("ID")
    if written_id:
        done["id"] = written_id[0]
    kind = record.first("TY")
    if kind and kind[0] in _TYPES:
        done["type"] = _TYPES[kind[0]]
    for variable in dict.fromkeys(NAME_TAGS.values()):
        tags = [tag for tag, name in NAME_TAGS.items() if name == variable]
        names = [_name(value) for value, _ in record.values(*tags)]
        done.pop(variable, None)
        if names:
            done[variable] = names
    issued = _issued(record)
    if issued:
        done["issued"] = {"date-parts": [issued[0]]}
        lines["issued"] = issued[1]
    accessed = record.first("Y2")
    accessed_parts = _date(accessed[0]) if accessed else None
    if accessed_parts:
        done["accessed"] = {"date-parts": [accessed_parts]}
    place = record.first("CY")
    if place and "publisher-place" not in done:
        done["publisher-place"] = place[0]
    keywords = [value for value, _ in record.values("KW")]
    if keywords:  # pandoc joins them last first
        done["keyword"] = ", ".join(keywords)
    for tag, variable in _TEXT_TAGS.items():
        found = record.first(tag)
        if found and variable not in done:
            done[variable] = found[0]
    if done.get("type") in _BOOKS and "ISSN" in done:
        done["ISBN"] = done.pop("ISSN")
    return done, {variable: lines.get(variable) or record.line_of(variable) for variable in done}
