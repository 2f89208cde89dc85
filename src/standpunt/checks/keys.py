"""Which evidence a citation key names, and why a key names none.

A key names the entry with that id, or, written ``doi:10.…``, the entry with that DOI
(:mod:`standpunt.workspace.dois`). When a key names nothing, the message says what is most
likely wrong: a DOI no entry has (with the DOIs that come close), or an evidence file that is
Zotero's own CSL-JSON export, whose ids are Zotero item addresses that no one can cite.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from standpunt.cite.locate import LocatedCitation
from standpunt.errors import Diagnostic, Location, Suggestions, closest, did_you_mean
from standpunt.evidence.zotero import ZOTERO_URI_FIELD, import_command, is_zotero_uri
from standpunt.workspace.citekeys import readable_key
from standpunt.workspace.dois import DOI_KEY_PREFIX, DoiIndex, doi_index, doi_key, normalise_doi
from standpunt.workspace.read import Workspace

#: Characters after which pandoc ends a key written without braces, but a DOI goes on.
_STOPS = frozenset("()[];,'\"<> ")

#: What separates the ISBNs of one field ("978-0-306-40615-7; 0-306-40615-2"). An ISBN is
#: one token, its groups joined by hyphens, as Zotero and publishers write it.
_BETWEEN = re.compile(r"[\s;,/]+")
#: Works that share their book's ISBN: two chapters of one book are two works.
_PARTS = frozenset(
    {"chapter", "entry", "entry-dictionary", "entry-encyclopedia", "paper-conference"}
)


@dataclass
class ZoteroFile:
    """An evidence file whose ids are Zotero item addresses."""

    path: str
    first: Location
    first_key: str
    #: The key each of its works would be given by import, with where the work is.
    keys: dict[str, Location] = field(default_factory=dict)


@dataclass
class EvidenceKeys:
    """The keys of a workspace's evidence: the ids, the DOIs, and Zotero's addresses."""

    workspace: Workspace
    #: The did-you-mean hints given, bounded (thousands of unknown keys cost a few).
    suggestions: Suggestions = field(default_factory=lambda: Suggestions("evidence key"))

    @cached_property
    def dois(self) -> DoiIndex:
        return doi_index(self.workspace.evidence)

    @cached_property
    def zotero(self) -> dict[str, ZoteroFile]:
        """The evidence files with Zotero item addresses as ids, by path."""
        files: dict[str, ZoteroFile] = {}
        for key, item in self.workspace.evidence.items():
            if not is_zotero_uri(key):
                continue
            where = item.location
            found = files.setdefault(where.path, ZoteroFile(where.path, where, key))
            fields = item.csl or item.raw
            own = fields.get("citation-key") if hasattr(fields, "get") else None
            for name in (own, readable_key(fields) if hasattr(fields, "get") else None):
                if isinstance(name, str):
                    found.keys.setdefault(name.lower(), where)
        return files

    def resolve(self, key: str) -> str | None:
        """The id of the entry ``key`` names, or None."""
        if key in self.workspace.evidence:
            return key
        doi = doi_key(key)
        return self.dois.key_of(doi) if doi is not None else None

    def unknown(self, citation: LocatedCitation) -> Diagnostic:
        """Why ``citation``'s key names no entry, with what would help."""
        key = citation.key
        doi = doi_key(key)
        if doi is not None:
            message = self._unknown_doi(key, doi)
        elif (work := self._zotero_work(key)) is not None:
            zotero, where = work
            message = (
                f"unknown evidence '{key}': {where} holds this work under its Zotero item "
                f"address, which cannot be cited; run '{import_command(zotero.path)}' to give "
                "it a readable key"
            )
        else:
            hint = self.suggestions.hint(
                key, lambda: did_you_mean(key, self._citable), len(self._citable)
            )
            message = (
                f"unknown evidence '{key}'{hint}; add it to a file in evidence/ or correct the key"
            )
            for zotero in itertools.islice(self.zotero.values(), 1):
                message += (
                    f"; note that {zotero.path} holds Zotero item addresses as ids, which "
                    f"cannot be cited: run '{import_command(zotero.path)}' to give its works "
                    "readable keys"
                )
        return Diagnostic("error", message, "unknown-citation", citation.location)

    def _zotero_work(self, key: str) -> tuple[ZoteroFile, Location] | None:
        """The Zotero file and place of the work that import would give the key ``key``."""
        return self._zotero_keys.get(key.lower())

    @cached_property
    def _zotero_keys(self) -> dict[str, tuple[ZoteroFile, Location]]:
        # one index of every Zotero file's keys (the first file holding a key wins), so that
        # many unknown keys do not each walk every file
        found: dict[str, tuple[ZoteroFile, Location]] = {}
        for zotero in self.zotero.values():
            for name, where in zotero.keys.items():
                found.setdefault(name, (zotero, where))
        return found

    @cached_property
    def _citable(self) -> list[str]:
        return [key for key in self.workspace.evidence if not is_zotero_uri(key)]

    def _unknown_doi(self, key: str, doi: str) -> str:
        normal = normalise_doi(doi)
        if normal is None:
            return (
                f"'{key}' names no DOI: after '{DOI_KEY_PREFIX}' comes a DOI, which starts "
                "with 10. and holds a '/', such as [@doi:10.1080/13501763.2018.1449887]"
            )
        plain = (
            f"no evidence has the DOI '{doi}'; add the work with 'standpunt evidence add {doi}', "
            "or give its entry in evidence/ this DOI"
        )
        made = self.suggestions.hint(
            key, lambda: self._doi_message(doi, normal), len(self.dois.entries)
        )
        return made or plain

    def _doi_message(self, doi: str, normal: str) -> str:
        """Why no entry has the DOI ``normal``, with the entry's DOI that comes closest."""
        size = len(normal)
        longer = [
            d for d in self.dois.entries if d[:size] == normal and d[size : size + 1] in _STOPS
        ]
        if longer:
            return (
                f"no evidence has the DOI '{doi}', but '{self.dois.entries[longer[0]].key}' has "
                f"'{longer[0]}': a DOI with such characters must be cited in braces, "
                f"[@{{doi:{longer[0]}}}]"
            )
        close = closest(normal, self.dois.entries, cutoff=0.8)
        hint = (
            f" (did you mean [@doi:{close}], the DOI of '{self.dois.entries[close].key}'?)"
            if close is not None
            else ""
        )
        return (
            f"no evidence has the DOI '{doi}'{hint}; add the work with 'standpunt evidence add "
            f"{doi}', or give its entry in evidence/ this DOI"
        )

    def problems(self) -> list[Diagnostic]:
        """Warnings about the evidence itself: a file of Zotero addresses, a DOI or an ISBN
        twice."""
        found = [
            Diagnostic(
                "warning",
                "this looks like Zotero's CSL-JSON export: its ids are Zotero item addresses "
                f"(such as {zotero.first_key}), which positions "
                f"cannot cite; run '{import_command(zotero.path)}' to write it as CSL-YAML "
                "with readable keys, then remove this file",
                "zotero-ids",
                zotero.first,
            )
            for zotero in self.zotero.values()
        ]
        found += [
            Diagnostic(
                "warning",
                f"'{twin.key}' has the DOI '{doi}' of '{first.key}' ({first.location}); "
                f"[@doi:{doi}] cites '{first.key}': if they are one work, remove one entry",
                "duplicate-doi",
                twin.location,
            )
            for first, twin, doi in self.dois.twins
        ]
        found += [
            Diagnostic(
                "warning",
                f"'{twin}' has the ISBN {isbn} of '{first}' ({where}"
                + (f", written there as {was}" if _digits(was) != _digits(isbn) else "")
                + "): if they are one book, cite one of them and remove the other entry; if "
                "they are parts of one book, give each 'type: chapter'",
                "duplicate-isbn",
                located,
            )
            for first, where, was, twin, located, isbn in isbn_twins(self.workspace.evidence)
        ]
        found += [
            Diagnostic(
                "warning",
                f"'{twin}' is the Zotero item of '{first}' ({where}, {address}): the library was "
                "imported twice; cite one of them and remove the other entry",
                "duplicate-zotero-item",
                located,
            )
            for first, where, twin, located, address in zotero_twins(self.workspace.evidence)
        ]
        note = self.suggestions.note()
        return [*found, note] if note is not None else found


def isbn_twins(
    evidence: Mapping[str, Any],
) -> list[tuple[str, Location, str, str, Location, str]]:
    """Entries holding an ISBN an earlier entry holds (in reading order), neither of them a
    part of a book: (first key, where its ISBN is, that ISBN as written there, twin key, where
    the twin's is, the twin's ISBN as written). An ISBN-10 and the ISBN-13 it became are one;
    a number whose check digit is wrong is no ISBN. Linear in the entries."""
    seen: dict[str, tuple[str, Location, str]] = {}
    twins: list[tuple[str, Location, str, str, Location, str]] = []
    for key, item in evidence.items():
        fields = item.csl or item.raw
        if not isinstance(fields, Mapping) or str(fields.get("type", "")).lower() in _PARTS:
            continue
        value = _field(fields, "isbn")
        if not isinstance(value, str):
            continue
        where = _at(item.raw, "isbn", item.location)
        for written in _BETWEEN.split(value):
            isbn = _isbn13(written.removeprefix("ISBN").removeprefix("isbn").lstrip(":"))
            if isbn is None:
                continue
            first = seen.setdefault(isbn, (key, where, written))
            if first[0] != key:
                twins.append((*first, key, where, written))
                break
    return twins


def _named(fields: Mapping[str, Any], name: str) -> str | None:
    """The name ``name`` is written under in ``fields``, in any case (CSL-JSON writes ``ISBN``,
    hand-written YAML ``isbn``); None when it is not there."""
    return next((n for n in fields if isinstance(n, str) and n.lower() == name), None)


def _field(fields: Mapping[str, Any], name: str) -> Any:
    """A field by its name in any case."""
    written = _named(fields, name)
    return None if written is None else fields[written]


def _at(fields: Any, name: str, default: Location) -> Location:
    """Where the field ``name`` (in any case) of located ``fields`` is written, else ``default``."""
    written = _named(fields, name) if isinstance(fields, Mapping) else None
    at = getattr(fields, "value_loc", None)
    where: Location = at(written) if at is not None and written is not None else default
    return where


def _digits(written: str) -> str:
    return written.replace("-", "").upper()


def _isbn13(written: str) -> str | None:
    """The ISBN-13 of an ISBN as written, or None when its check digit does not hold."""
    digits = _digits(written)
    if not digits.isascii():  # "²" is a digit to str.isdigit, and no digit of an ISBN
        return None
    if len(digits) == 10 and digits[:9].isdigit() and (digits[9].isdigit() or digits[9] == "X"):
        total = sum((10 - n) * int(d) for n, d in enumerate(digits[:9]))
        if (total + (10 if digits[9] == "X" else int(digits[9]))) % 11:
            return None
        stem = "978" + digits[:9]
        return stem + str(-sum(int(d) * (3 if n % 2 else 1) for n, d in enumerate(stem)) % 10)
    if len(digits) == 13 and digits.isdigit():
        if sum(int(d) * (3 if n % 2 else 1) for n, d in enumerate(digits)) % 10:
            return None
        return digits
    return None


def zotero_twins(evidence: Mapping[str, Any]) -> list[tuple[str, Location, str, Location, str]]:
    """Entries that keep the Zotero item address an earlier entry keeps (``custom:
    zotero-uri``, as import writes it): (first key, where, twin key, where, the address).
    Linear in the entries."""
    seen: dict[str, tuple[str, Location]] = {}
    twins: list[tuple[str, Location, str, Location, str]] = []
    for key, item in evidence.items():
        custom = _field(item.raw, "custom") if isinstance(item.raw, Mapping) else None
        address = _field(custom, ZOTERO_URI_FIELD) if isinstance(custom, Mapping) else None
        if not isinstance(address, str) or not address.strip():
            continue
        where = _at(custom, ZOTERO_URI_FIELD, item.location)
        first = seen.setdefault(address.strip(), (key, where))
        if first[0] != key:
            twins.append((*first, key, where, address.strip()))
    return twins
