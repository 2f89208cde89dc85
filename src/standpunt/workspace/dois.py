"""DOIs: how one is written, and which evidence entry a ``[@doi:10.…]`` citation names.

A DOI is case-insensitive (the DOI Handbook, 3.4), and people paste it in many dresses:
``10.1080/…``, ``doi:10.1080/…``, ``https://doi.org/10.1080/…``, ``dx.doi.org/10.1080/…``.
:func:`normalise_doi` takes each to one form, lower case, so that an entry's ``DOI`` field and a
citation match however either was written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from standpunt.errors import Location

#: How a citation names a work by its DOI: ``[@doi:10.1080/13501763.2018.1449887]``.
DOI_KEY_PREFIX = "doi:"

#: What may come before the DOI itself, tried in this order (case-insensitive).
_PREFIXES = re.compile(
    r"(?:(?:https?://)?(?:dx\.|www\.)?doi\.org/|doi:\s*)",
    re.IGNORECASE,
)
#: A DOI: the directory indicator 10, a registrant code, a slash, a suffix without spaces.
_DOI = re.compile(r"10\.[0-9]+(?:\.[0-9]+)*/\S+")


def normalise_doi(text: str) -> str | None:
    """The DOI ``text`` holds, in lower case and without a resolver's address; None when it
    holds none."""
    value = text.strip()
    match = _PREFIXES.match(value)
    if match:
        value = value[match.end() :]
        if "%" in value and match.group().lower().endswith(".org/"):
            value = unquote(value)  # an address may carry the DOI percent-encoded
    value = value.strip()
    return value.lower() if _DOI.fullmatch(value) else None


def doi_key(key: str) -> str | None:
    """What follows ``doi:`` in a citation key (any case), else None."""
    if key[: len(DOI_KEY_PREFIX)].lower() == DOI_KEY_PREFIX:
        return key[len(DOI_KEY_PREFIX) :]
    return None


def doi_field(item: Mapping[str, Any]) -> Any:
    """The value of an item's DOI field, whatever the case of its name (``DOI``, ``doi``)."""
    for name, value in item.items():
        if isinstance(name, str) and name.lower() == "doi":
            return value
    return None


@dataclass(frozen=True)
class DoiEntry:
    """An evidence entry that has a DOI: its key and where its DOI was written."""

    key: str
    location: Location | None


@dataclass
class DoiIndex:
    """The workspace's evidence by DOI. The first entry with a DOI (in reading order) is the one
    ``[@doi:…]`` cites; ``twins`` holds every later entry with a DOI already seen."""

    entries: dict[str, DoiEntry] = field(default_factory=dict)
    twins: list[tuple[DoiEntry, DoiEntry, str]] = field(default_factory=list)

    def key_of(self, doi: str) -> str | None:
        """The key of the entry with this DOI (written any way :func:`normalise_doi` reads)."""
        normal = normalise_doi(doi)
        found = self.entries.get(normal) if normal else None
        return found.key if found else None


def doi_index(evidence: Mapping[str, Any]) -> DoiIndex:
    """Index ``evidence`` (key → an item with ``raw``, ``csl`` and ``location``, as
    :class:`standpunt.workspace.read.EvidenceItem`) by DOI; linear in the entries."""
    index = DoiIndex()
    for key, item in evidence.items():
        fields = item.csl or item.raw
        value = doi_field(fields) if isinstance(fields, Mapping) else None
        normal = normalise_doi(value) if isinstance(value, str) else None
        if normal is None:
            continue
        raw = item.raw
        where = item.location
        if isinstance(raw, Mapping) and hasattr(raw, "value_loc"):
            names = [n for n in raw if isinstance(n, str) and n.lower() == "doi"]
            where = raw.value_loc(names[0]) if names else where
        entry = DoiEntry(key, where)
        first = index.entries.get(normal)
        if first is None:
            index.entries[normal] = entry
        else:
            index.twins.append((first, entry, normal))
    return index
