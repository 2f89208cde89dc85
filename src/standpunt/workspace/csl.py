"""The schema of evidence: CSL items, checked field by field, and their CSL-JSON.

A reference is checked field by field rather than by a model: field names are read without regard
to case, as citeproc reads them, and every problem is reported where it was written. Nothing here
needs pydantic, so the commands that read only the evidence a position cites (``status ID``,
``fingerprint ID``) judge it without importing the models of :mod:`standpunt.workspace.schema`.
"""

from __future__ import annotations

import re
from typing import Any

from standpunt.errors import Diagnostic, Location, did_you_mean
from standpunt.workspace.load import YamlList, YamlMapping, to_plain

CSL_TYPES = frozenset(
    [
        "article",
        "article-journal",
        "article-magazine",
        "article-newspaper",
        "bill",
        "book",
        "broadcast",
        "chapter",
        "classic",
        "collection",
        "dataset",
        "document",
        "entry",
        "entry-dictionary",
        "entry-encyclopedia",
        "event",
        "figure",
        "graphic",
        "hearing",
        "interview",
        "legal_case",
        "legislation",
        "manuscript",
        "map",
        "motion_picture",
        "musical_score",
        "pamphlet",
        "paper-conference",
        "patent",
        "performance",
        "periodical",
        "personal_communication",
        "post",
        "post-weblog",
        "regulation",
        "report",
        "review",
        "review-book",
        "software",
        "song",
        "speech",
        "standard",
        "thesis",
        "treaty",
        "webpage",
    ]
)
CSL_NAME_VARIABLES = frozenset(
    [
        "author",
        "chair",
        "collection-editor",
        "compiler",
        "composer",
        "container-author",
        "contributor",
        "curator",
        "director",
        "editor",
        "editorial-director",
        "editor-translator",
        "executive-producer",
        "guest",
        "host",
        "interviewer",
        "illustrator",
        "narrator",
        "organizer",
        "original-author",
        "performer",
        "producer",
        "recipient",
        "reviewed-author",
        "script-writer",
        "series-creator",
        "translator",
    ]
)
CSL_DATE_VARIABLES = frozenset(
    [
        "accessed",
        "available-date",
        "container",
        "event-date",
        "issued",
        "original-date",
        "submitted",
    ]
)
#: CSL 1.0.2's standard and number variables as pandoc's citeproc knows them, and the older names
#: CSL-JSON writers still use (``shortTitle``, ``journalAbbreviation``, ``part``, ...).
CSL_TEXT_VARIABLES = frozenset(
    [
        "abstract",
        "annote",
        "archive",
        "archive_collection",
        "archive_location",
        "archive-place",
        "authority",
        "call-number",
        "chapter-number",
        "citation-key",
        "citation-label",
        "citation-number",
        "collection-number",
        "collection-title",
        "container-title",
        "container-title-short",
        "dimensions",
        "division",
        "DOI",
        "edition",
        "event",
        "event-place",
        "event-title",
        "first-reference-note-number",
        "genre",
        "ISBN",
        "ISSN",
        "issue",
        "journalAbbreviation",
        "jurisdiction",
        "keyword",
        "language",
        "license",
        "locator",
        "medium",
        "note",
        "number",
        "number-of-pages",
        "number-of-volumes",
        "original-publisher",
        "original-publisher-place",
        "original-title",
        "page",
        "page-first",
        "part",
        "part-number",
        "part-title",
        "PMCID",
        "PMID",
        "printing",
        "printing-number",
        "publisher",
        "publisher-place",
        "references",
        "reviewed-genre",
        "reviewed-title",
        "scale",
        "section",
        "shortTitle",
        "source",
        "status",
        "supplement",
        "supplement-number",
        "title",
        "title-short",
        "URL",
        "version",
        "volume",
        "volume-title",
        "volume-title-short",
        "year-suffix",
    ]
)
#: What an advocate adds to a reference: the passage that supports the claim.
EVIDENCE_EXTRA_FIELDS = frozenset({"quote"})
EVIDENCE_FIELDS = (
    {"id", "type", "categories", "custom"}
    | CSL_NAME_VARIABLES
    | CSL_DATE_VARIABLES
    | CSL_TEXT_VARIABLES
    | EVIDENCE_EXTRA_FIELDS
)
#: citeproc reads a field's name without regard to case (pandoc writes CSL-YAML with ``doi``,
#: ``url`` and ``isbn``), so Standpunt does too; CSL-JSON gets the name as CSL spells it.
_FIELD_BY_LOWER = {name.lower(): name for name in EVIDENCE_FIELDS}

#: The parts of a name, written as CSL spells them (citeproc reads them case-sensitively): text,
#: and the flags CSL-JSON writers set (``parse-names`` from citeproc-js, ``isInstitution`` from
#: Zotero and CSL-M).
NAME_PARTS = ("family", "given", "dropping-particle", "non-dropping-particle", "suffix", "literal")
NAME_FLAGS = ("comma-suffix", "static-ordering", "parse-names", "isInstitution")
_FLAG_VALUES = {"true": True, "1": True, "false": False, "0": False}
#: The fields of a date given as a mapping.
DATE_FIELDS = ("date-parts", "season", "circa", "literal", "raw")

#: A date written as text: 2018, 2018-02, 2018-02-26, a range 2018/2019, circa 2018~.
_DATE_TEXT = re.compile(
    r"(-?\d{1,4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?(?:/(-?\d{1,4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?)?(~)?"
)
_DATE_FORMS = "write YYYY, YYYY-MM or YYYY-MM-DD, or {date-parts: [[YYYY, MM, DD]]}"
#: The largest year (and, negative, the earliest) a date may have, as a date written as text.
MAX_YEAR = 9999
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
#: What citeproc makes of months past 12: season codes (EDTF's, as biblatex writes them).
_SEASON_MONTHS = range(21, 25)


def evidence_field(key: str) -> str | None:
    """The field ``key`` names, spelt as CSL spells it (``doi`` → ``DOI``); None if unknown."""
    return _FIELD_BY_LOWER.get(key.lower()) if isinstance(key, str) else None


def evidence_value(raw: YamlMapping, field: str) -> Any:
    """The value of ``field`` (spelt as CSL spells it) in an item, in whatever case written."""
    for key, value in raw.items():
        if evidence_field(key) == field:
            return value
    return None


def evidence_problems(raw: YamlMapping) -> list[Diagnostic]:
    """Every problem of one CSL item, each where it was written: unknown fields and name parts,
    a field written twice in different case, wrong shapes, impossible dates."""
    found: list[Diagnostic] = []
    seen: dict[str, str] = {}
    for key, value in raw.items():
        field = evidence_field(key)
        key_loc = raw.key_locs.get(key, raw.loc)
        if field is None:
            hint = did_you_mean(str(key), EVIDENCE_FIELDS)
            found.append(
                _problem(f"unknown field '{key}' in evidence{hint}", "unknown-field", key_loc)
            )
            continue
        if field in seen:
            found.append(
                _problem(
                    f"'{key}' is the same field as '{seen[field]}' (field names are read without "
                    "regard to case); keep one of them",
                    "duplicate-field",
                    key_loc,
                )
            )
            continue
        seen[field] = key
        found.extend(_value_problems(field, key, value, raw.value_loc(key)))
    return found


def _problem(message: str, code: str, loc: Location) -> Diagnostic:
    return Diagnostic("error", message, code, loc)


def _loc(value: Any, default: Location) -> Location:
    return getattr(value, "loc", None) or default


def _value_problems(field: str, key: str, value: Any, loc: Location) -> list[Diagnostic]:
    if value is None or field in ("custom", "categories"):
        return []
    if field == "type":
        if isinstance(value, str) and value in CSL_TYPES:
            return []
        hint = did_you_mean(str(value), CSL_TYPES)
        return [_problem(f"'{value}' is not a CSL type{hint}", "invalid-value", loc)]
    if field in CSL_NAME_VARIABLES:
        if not isinstance(value, YamlList):
            return [_problem(f"'{key}' should be a list of names", "invalid-value", loc)]
        return [
            problem
            for index, name in enumerate(value)
            for problem in _name_problems(key, name, value.item_locs[index])
        ]
    if field in CSL_DATE_VARIABLES:
        return _date_problems(key, value, loc)
    if not isinstance(value, str):
        return [_problem(f"'{key}' should be text", "invalid-value", loc)]
    return []


def _name_problems(key: str, name: Any, loc: Location) -> list[Diagnostic]:
    empty = _problem(
        f"this name in '{key}' is empty; write family: and given:, or literal: for an organisation",
        "invalid-value",
        loc,
    )
    if isinstance(name, str):
        return [] if name.strip() else [empty]
    if not isinstance(name, YamlMapping):
        return (
            [empty]
            if name is None
            else [
                _problem(
                    f"each name in '{key}' should be a set of parts (family:, given:, ...) or a "
                    "text such as 'Claessens, Dirk'",
                    "invalid-value",
                    loc,
                )
            ]
        )
    found = []
    for part, value in name.items():
        part_loc = name.key_locs.get(part, loc)
        if part not in NAME_PARTS and part not in NAME_FLAGS:
            hint = did_you_mean(str(part), [*NAME_PARTS, *NAME_FLAGS])
            found.append(_problem(f"unknown name part '{part}'{hint}", "unknown-field", part_loc))
        elif value is not None and not isinstance(value, str):
            found.append(_problem(f"'{part}' should be text", "invalid-value", _loc(value, loc)))
        elif part in NAME_FLAGS and value is not None and value.lower() not in _FLAG_VALUES:
            found.append(
                _problem(f"'{part}' should be true or false", "invalid-value", _loc(value, loc))
            )
    if not found and not any(
        isinstance(name.get(part), str) and name[part].strip() for part in NAME_PARTS
    ):
        found.append(empty)
    return found


def _date_problems(key: str, value: Any, loc: Location) -> list[Diagnostic]:
    if isinstance(value, str):
        parsed = _date_text(value)
        if parsed is None:
            return [_problem(f"'{value}' is not a date; {_DATE_FORMS}", "invalid-date", loc)]
        return _impossible(parsed[0], loc)
    if not isinstance(value, YamlMapping):
        return [_problem(f"'{key}' should be a date; {_DATE_FORMS}", "invalid-date", loc)]
    found = []
    for field, part in value.items():
        part_loc = value.key_locs.get(field, loc)
        if field not in DATE_FIELDS:
            hint = did_you_mean(str(field), DATE_FIELDS)
            found.append(_problem(f"unknown date field '{field}'{hint}", "unknown-field", part_loc))
        elif field == "date-parts":
            found.extend(_date_parts_problems(part, _loc(part, part_loc)))
        elif part is not None and not isinstance(part, str):
            found.append(_problem(f"'{field}' should be text", "invalid-value", _loc(part, loc)))
        elif field == "raw" and part is not None and (parsed := _date_text(part)) is not None:
            found.extend(_impossible(parsed[0], _loc(part, loc)))
    return found


def _date_parts_problems(parts: Any, loc: Location) -> list[Diagnostic]:
    shape = _problem(
        "'date-parts' should be a list of one or two dates, each a list of numbers: "
        "[[YYYY, MM, DD]], or [[YYYY], [YYYY]] for a range",
        "invalid-date",
        loc,
    )
    if parts is None:
        return []
    if not isinstance(parts, YamlList) or len(parts) > 2:
        return [shape]
    found: list[Diagnostic] = []
    for index, date in enumerate(parts):
        where = parts.item_locs[index]
        if not isinstance(date, YamlList) or not all(isinstance(n, str) for n in date):
            return [shape]
        numbers = []
        for number_index, number in enumerate(date):
            if number.strip() == "":
                continue  # citeproc drops empty parts, as Zotero writes them
            try:
                numbers.append(int(number))
            except ValueError:
                found.append(
                    _problem(
                        f"'{number}' is not a number; a date is written as numbers: "
                        "[[YYYY, MM, DD]]",
                        "invalid-date",
                        date.item_locs[number_index],
                    )
                )
        if not found:
            found.extend(_impossible([numbers], where))
    return found


def _impossible(dates: list[list[int]], loc: Location) -> list[Diagnostic]:
    """A date that cannot be: no parts, too many, month 13, day 32, 30 February."""
    for parts in dates:
        problem = _date_parts_problem(parts)
        if problem:
            return [_problem(problem, "invalid-date", loc)]
    return []


def _date_parts_problem(parts: list[int]) -> str | None:
    if not parts:
        return f"this date is empty; {_DATE_FORMS}"
    if len(parts) > 3:
        return "a date has at most three parts: year, month and day"
    if not -MAX_YEAR <= parts[0] <= MAX_YEAR:
        # citeproc reads a year as a machine integer: a longer one fails the whole build
        written = str(parts[0]) if len(str(parts[0])) <= 12 else f"of {len(str(parts[0]))} digits"
        return f"there is no year {written}: a year is written with at most four digits"
    if len(parts) == 1:
        return None
    year, month = parts[0], parts[1]
    if month in _SEASON_MONTHS and len(parts) == 2:
        return None
    if not 1 <= month <= 12:
        return (
            f"there is no month {month}: write a month from 1 to 12 (or, for a season, "
            "21 to 24: spring, summer, autumn, winter)"
        )
    if len(parts) == 3:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        days = 29 if month == 2 and leap else _DAYS[month - 1]
        if not 1 <= parts[2] <= days:
            return f"there is no day {parts[2]} in month {month} of {year}: it has {days} days"
    return None


def _date_text(value: str) -> tuple[list[list[int]], bool] | None:
    """The date-parts of a date written as text, and whether it is circa; None if no date."""
    match = _DATE_TEXT.fullmatch(value.strip())
    if not match:
        return None
    groups = match.groups()
    dates = [[int(part) for part in groups[0:3] if part]]
    if groups[3]:
        dates.append([int(part) for part in groups[3:6] if part])
    return dates, bool(groups[6])


def _name(value: Any) -> dict[str, Any]:
    """One name as CSL-JSON: "Claessens, D." and a literal name such as an organisation's
    become parts; a name of Zotero's or CSL-M's ``isInstitution`` becomes a literal name."""
    if isinstance(value, str):
        family, sep, given = value.partition(",")
        return {"family": family.strip(), "given": given.strip()} if sep else {"literal": value}
    parts = {str(part): str(text) for part, text in value.items() if text is not None}
    institution = parts.pop("isInstitution", "false").lower()
    if _FLAG_VALUES.get(institution) and "literal" not in parts:
        whole = " ".join(parts[part] for part in ("given", "family") if parts.get(part))
        return {"literal": whole}
    return parts


def _date(value: Any) -> dict[str, Any]:
    """One date as CSL-JSON: text becomes date-parts (and circa); a mapping keeps its fields."""
    if isinstance(value, str):
        dates, circa = _date_text(value) or ([], False)
        return {"date-parts": dates, **({"circa": "true"} if circa else {})}
    date: dict[str, Any] = {}
    for field, part in value.items():
        if field == "date-parts" and part is not None:
            date[field] = [[int(n) for n in parts if str(n).strip()] for parts in part]
        elif part is not None:
            date[str(field)] = str(part)
    return date


def csl_json(raw: YamlMapping) -> dict[str, Any]:
    """The CSL-JSON pandoc reads for one item without problems (:func:`evidence_problems`):
    fields spelt as CSL spells them, names as parts, dates as date-parts."""
    item: dict[str, Any] = {}
    for key, value in raw.items():
        field = evidence_field(key) or str(key)
        if value is None:
            continue
        if field in CSL_NAME_VARIABLES:
            item[field] = [_name(name) for name in value]
        elif field in CSL_DATE_VARIABLES:
            item[field] = _date(value)
        else:
            item[field] = to_plain(value)
    return item
