"""Evidence as people keep it: .bib (BibTeX, BibLaTeX) and .ris files, read in place.

The pandoc we ship converts each file to CSL-JSON, once: the result is kept in
build/.standpunt-cache/ under the hash of what pandoc read, so a second ``check`` or ``build``
runs no pandoc. pandoc's CSL-JSON says nothing about lines, so :mod:`.bibtex` and :mod:`.ris`
find each entry's line (and each field's) themselves, and every problem, pandoc's own included,
points at the entry it is about. An entry pandoc cannot read is reported where it is and left
out; the others still come in.

What comes out is :class:`Entry`: one reference as located CSL values, read by the workspace
exactly like a reference written in CSL-YAML.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standpunt.errors import Diagnostic, Location, StandpuntError
from standpunt.pandoc import pandoc_identity, run_pandoc
from standpunt.workspace.bibtex import BibEntry, BibScan, blank, scan_bibtex
from standpunt.workspace.csl import CSL_NAME_VARIABLES, CSL_TYPES, evidence_field
from standpunt.workspace.files import build_folder, write_atomic
from standpunt.workspace.load import YamlMapping, located, read_text
from standpunt.workspace.paths import BIBLIOGRAPHY_FORMATS, BUILD_DIR, CACHE_DIR, read_bounded
from standpunt.workspace.ris import complete, pandoc_input, scan_ris

__all__ = ["BIBLIOGRAPHY_FORMATS", "Entry", "bibliography_entries", "read_bibliography"]

#: The shape of a kept conversion, and of what the scanners hand pandoc: part of the cache key.
FORMAT = 1
#: The most entries of one file that pandoc may fail on before the file is given up.
MAX_BROKEN = 20
#: Where pandoc places a problem in what it read.
_PANDOC_PLACE = re.compile(r"Error at .*?\(line (\d+), column (\d+)\):\s*(.*)", re.DOTALL)
#: The .bib fields each CSL variable comes from, most telling first; others share their name.
_BIB_FIELDS = {
    "issued": ("date", "year", "month"),
    "accessed": ("urldate",),
    "event-date": ("eventdate",),
    "original-date": ("origdate",),
    "container-title": ("journaltitle", "journal", "booktitle", "maintitle"),
    "publisher": ("publisher", "institution", "organization", "school"),
    "publisher-place": ("location", "address"),
    "page": ("pages",),
    "issue": ("number", "issue"),
    "language": ("langid", "language"),
    "collection-title": ("series",),
    "id": (),
}


@dataclass
class Entry:
    """One reference of a .bib or .ris file: its CSL fields as located values (without ``id``
    for a RIS record that has none), where it starts, and the file's format."""

    raw: YamlMapping
    location: Location
    format: str


#: The largest cached conversion read back (a .bib file of at most 5 MB gives far less).
MAX_CACHE_BYTES = 64 * 2**20


class _Cache:
    """pandoc's conversions kept in build/.standpunt-cache/, each under the hash of its input."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder: Path | None = None

    def _path(self, key: str) -> Path:
        return self.root / BUILD_DIR / CACHE_DIR / f"bibliography-{key}.json"

    def get(self, key: str) -> list[Any] | str | None:
        path = self._path(key)
        try:  # a hint, not truth: bounded, and of the shape put() writes, or made again
            kept = json.loads(read_bounded(path, str(path), MAX_CACHE_BYTES, [self.root]))
        except (OSError, ValueError, RecursionError, StandpuntError):
            return None
        value = kept.get("csl", kept.get("error")) if isinstance(kept, dict) else None
        if isinstance(value, list) and all(isinstance(item, dict) for item in value):
            return value
        return value if isinstance(value, str) else None

    def put(self, key: str, value: list[Any] | str) -> None:
        try:
            if self.folder is None:
                self.folder = build_folder(self.root, f"{BUILD_DIR}/{CACHE_DIR}")
            data = {"csl" if isinstance(value, list) else "error": value}
            write_atomic(self._path(key), json.dumps(data, ensure_ascii=False).encode("utf-8"))
        except (OSError, StandpuntError):
            pass  # a build/ that cannot be written only costs a pandoc run next time


def _convert(text: str, reader: str, cache: _Cache, where: Location) -> list[Any] | str:
    """pandoc's CSL-JSON items for ``text``, or pandoc's message when it cannot read it."""
    try:
        identity = pandoc_identity()
    except StandpuntError as exc:  # no pandoc at all: said at the file that needs it
        raise StandpuntError(exc.message, where, exc.code) from exc
    hashed = hashlib.sha256(json.dumps([FORMAT, reader, identity]).encode("utf-8"))
    hashed.update(text.encode("utf-8", "surrogatepass"))
    key = hashed.hexdigest()
    kept = cache.get(key)
    if kept is not None:
        return kept
    try:
        items = json.loads(run_pandoc(["--from", reader, "--to", "csljson"], text))
    except StandpuntError as exc:
        if exc.code != "pandoc-failed":
            raise StandpuntError(f"{exc.message} while reading this file", where, exc.code) from exc
        result: list[Any] | str = exc.message
    else:
        items = items if isinstance(items, list) else []
        result = [item for item in items if isinstance(item, dict)]
    cache.put(key, result)
    return result


def _pandoc_problem(message: str) -> tuple[int, int, str]:
    """The line, column and words of pandoc's message (its copy of the line and the caret
    under it left out); line 0 when it names no place."""
    found = _PANDOC_PLACE.search(message)
    if found is None:
        return 0, 0, message.removeprefix("pandoc failed: ").strip()
    lines = [line for line in found.group(3).splitlines() if line.strip()]
    if len(lines) >= 2 and set(lines[-1].strip()) == {"^"}:
        lines = lines[:-2]
    return int(found.group(1)), int(found.group(2)), "; ".join(line.strip() for line in lines)


def _tidy(item: dict[str, Any]) -> dict[str, Any]:
    """Only CSL fields, and a type only when it is a CSL type: pandoc writes ``misc`` or ``""``
    for what it has no type for, and citeproc reads that as no type at all."""
    return {
        key: value
        for key, value in item.items()
        if evidence_field(key) is not None
        and (key != "type" or (isinstance(value, str) and value in CSL_TYPES))
    }


def read_bibliography(
    path: Path, display: str, root: Path, lang: str = "en"
) -> tuple[list[Entry], list[Diagnostic]]:
    """The references of a .bib or .ris file of the workspace at ``root``, and its problems.
    A BibTeX entry that names no language is taken to be in ``lang``, the workspace's.

    A problem of the file as a whole (unreadable, too large, not UTF-8) is raised as a
    :class:`StandpuntError`; problems of entries are returned, each at its entry.
    """
    suffix = path.suffix.lower()
    text = read_text(path, display, suffix.lstrip("."), [root])
    return bibliography_entries(text, display, suffix, root, lang)


def bibliography_entries(
    text: str, display: str, suffix: str, root: Path, lang: str = "en"
) -> tuple[list[Entry], list[Diagnostic]]:
    """:func:`read_bibliography` of a file's text (``suffix``: .bib or .ris), such as a file as
    it was committed; conversions are kept in the build folder of ``root``."""
    cache = _Cache(root)
    if suffix.lower() == ".ris":
        return _read_ris(text, display, cache)
    return _read_bibtex(text, display, cache, lang)


def _read_bibtex(
    text: str, display: str, cache: _Cache, lang: str = "en"
) -> tuple[list[Entry], list[Diagnostic]]:
    scan = scan_bibtex(text, display)
    problems = list(scan.problems)
    clean = _language_as_langid(scan)
    reader = "biblatex" if scan.biblatex else "bibtex"
    broken: set[int] = set()
    for _ in range(MAX_BROKEN + 1):
        if len(broken) == len(scan.entries):
            return [], problems
        result = _convert(clean, reader, cache, Location(display, 1, 1))
        if isinstance(result, list):
            result = _in_the_workspace_language(
                result, scan, clean, broken, reader, cache, lang, problems
            )
            return _bib_entries(result, scan, broken, reader), problems
        line, col, detail = _pandoc_problem(result)
        entry = scan.entry_at(line, col)
        where = scan.location(scan.offset(line, col)) if line else Location(display, 1, 1)
        if entry is None or entry.start in broken:
            problems.append(
                Diagnostic("error", f"pandoc cannot read this file: {detail}", "bib-syntax", where)
            )
            return [], problems
        problems.append(
            Diagnostic(
                "error",
                f"pandoc cannot read this entry ({detail}), so it is left out; check the commas "
                "between its fields and the braces or quotes around each value",
                "bib-syntax",
                where,
            )
        )
        broken.add(entry.start)
        clean = blank(clean, entry.start, entry.end)
    problems.append(
        Diagnostic(
            "error",
            f"pandoc cannot read more than {MAX_BROKEN} entries of this file, so none of it is "
            "read; correct the entries named above first",
            "bib-syntax",
            Location(display, 1, 1),
        )
    )
    return [], problems


def _language_as_langid(scan: BibScan) -> str:
    """The text pandoc gets, with ``language`` read as ``langid`` where an entry has no langid.

    Zotero's own BibTeX export writes the language as ``language = {nl}``, which pandoc does not
    read: it would take a Dutch title for English and change its capitals. The field's name is
    replaced in place by one as long (``langid  ``), so every line and column stays.
    """
    starts = sorted(
        entry.fields["language"]
        for entry in scan.entries
        if "language" in entry.fields and "langid" not in entry.fields
    )
    pieces, done = [], 0
    for start in starts:
        pieces += [scan.clean[done:start], "langid  "]
        done = start + len("language")
    return "".join([*pieces, scan.clean[done:]])


def _in_the_workspace_language(
    items: list[Any],
    scan: BibScan,
    clean: str,
    broken: set[int],
    reader: str,
    cache: _Cache,
    lang: str,
    problems: list[Diagnostic],
) -> list[Any]:
    """``items`` with the entries that name no language read as the workspace's ``lang``.

    pandoc takes an entry without ``langid`` for English and lowers the capitals of its title
    ("OCMW Gent" becomes "OCMW gent"), so that a style can set English titles in its own case.
    In a Dutch, French or German workspace the title is kept as written: the text pandoc read
    is converted again with ``langid = {lang}`` before each such entry's first field, and the
    ``language`` that langid gave is left out again (the entry names none; citeproc reads it as
    in the document's language). The first conversion placed every problem, so this one is
    only asked for titles; should it fail, ``items`` stand, and ``problems`` gets a warning.
    """
    if lang.split("-")[0].lower() == "en":
        return items
    untold = [
        entry
        for entry in scan.entries
        if entry.start not in broken
        and entry.fields
        and not {"langid", "language"} & {name.lower() for name in entry.fields}
    ]
    if not untold:
        return items
    pieces, done = [], 0
    for first in sorted(min(entry.fields.values()) for entry in untold):
        pieces += [clean[done:first], f"langid = {{{lang}}}, "]
        done = first
    again = _convert("".join([*pieces, clean[done:]]), reader, cache, Location(scan.display, 1, 1))
    if not isinstance(again, list) or len(again) != len(items):
        problems.append(
            Diagnostic(
                "warning",
                f"pandoc could not read this file's entries in the workspace's language "
                f"({lang}), so the titles of those that name no language are read as English "
                "and lose their capitals; give each entry its 'langid'",
                "bib-language",
                Location(scan.display, 1, 1),
            )
        )
        return items
    starts = {entry.start for entry in untold}
    told = {entry.key for entry in scan.entries if entry.start not in starts}
    keys = {entry.key for entry in untold} - told
    for item in again:
        if item.get("id") in keys:
            item.pop("language", None)
    return again


def _prefix_stays(item: dict[str, Any]) -> dict[str, Any]:
    """Names with a lower-case prefix ("de Vries, Jan") as Zotero means them: the prefix stays
    in front ("de Vries, J."), as a non-dropping particle. pandoc follows BibLaTeX's default
    (``useprefix=false``) and moves it to the end ("Vries, J. de")."""
    for variable, names in item.items():
        if evidence_field(variable) in CSL_NAME_VARIABLES and isinstance(names, list):
            for name in names:
                if isinstance(name, dict) and "non-dropping-particle" not in name:
                    particle = name.pop("dropping-particle", None)
                    if particle is not None:
                        name["non-dropping-particle"] = particle
    return item


def _bib_entries(items: list[Any], scan: BibScan, broken: set[int], reader: str) -> list[Entry]:
    """pandoc's items, each placed at the entry it came from (matched by key, in order)."""
    by_key: dict[str, deque[BibEntry]] = defaultdict(deque)
    for entry in scan.entries:
        if entry.start not in broken:
            by_key[entry.key].append(entry)
    entries = []
    for item in items:
        queue = by_key.get(str(item.get("id", "")))
        source = queue.popleft() if queue else None
        where = source.location if source else Location(scan.display, 1, 1)
        fields = source.fields if source else {}
        key_locs = {}
        for variable in item:
            names = _BIB_FIELDS.get(variable, (variable.lower(),))
            found = next((fields[n] for n in names if n in fields), None)
            key_locs[variable] = scan.location(found) if found is not None else where
        # An entry that sets useprefix itself says how its names are meant.
        if source is None or "useprefix" not in scan.clean[source.start : source.end].lower():
            item = _prefix_stays(item)
        entries.append(Entry(located(_tidy(item), where, key_locs), where, reader))
    return entries


def _read_ris(text: str, display: str, cache: _Cache) -> tuple[list[Entry], list[Diagnostic]]:
    records, problems = scan_ris(text, display)
    if not records:
        return [], problems
    result = _convert(pandoc_input(records), "ris", cache, Location(display, 1, 1))
    if isinstance(result, str):  # the records are rewritten so that pandoc reads them
        raise StandpuntError(
            f"pandoc cannot read this file: {_pandoc_problem(result)[2]}",
            Location(display, 1, 1),
            "ris-syntax",
        )
    by_number = {str(item.get("id")): item for item in result}
    entries = []
    for number, record in enumerate(records):
        item, lines = complete(by_number.get(str(number), {}), record)
        where = Location(display, record.line, 1)
        key_locs = {variable: Location(display, line, 1) for variable, line in lines.items()}
        entries.append(Entry(located(_tidy(item), where, key_locs), where, "ris"))
    return entries, problems
