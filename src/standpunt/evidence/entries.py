"""CSL-JSON from elsewhere (Zotero, a DOI's registration agency) as entries Standpunt reads.

Foreign CSL-JSON carries more than CSL: Crossref adds ``reference``, ``funder``, ``indexed`` …,
gives ``ISSN`` as a list, names with ``affiliation`` and ``sequence``. :func:`clean_item` keeps
what the evidence schema knows (field names matched without regard to case, as citeproc matches
them), in the shape it reads, and says what it left out. Values are not judged here:
``standpunt check`` judges them where they are written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from standpunt.workspace.citekeys import year_part
from standpunt.workspace.csl import (
    CSL_DATE_VARIABLES,
    CSL_NAME_VARIABLES,
    EVIDENCE_FIELDS,
)

#: Each field the schema knows, by its name in lower case.
_CANONICAL = {name.lower(): name for name in EVIDENCE_FIELDS}
#: Names other programs give fields that CSL spells otherwise.
_RENAMED = {
    "short-container-title": "container-title-short",
    "short-title": "title-short",
}
#: The parts of a name, as CSL spells them.
NAME_PARTS = (
    "family",
    "given",
    "literal",
    "suffix",
    "dropping-particle",
    "non-dropping-particle",
    "comma-suffix",
    "static-ordering",
    "parse-names",
)
#: The parts of a date other than its date-parts.
_DATE_TEXTS = ("season", "circa", "literal", "raw")
#: Text variables whose list, if given one, is a list of equals (several ISSNs), joined; of any
#: other the first is the one (Crossref gives titles as lists).
_JOINED = frozenset({"ISSN", "ISBN", "keyword"})
#: Fields set apart from the rest when written: the key, then the usual order of a reference.
ORDER = ("id", "type", "author", "editor", "issued", "title", "container-title")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Cleaned:
    """An entry in the schema's shape (without ``id``), and the fields left out of it."""

    entry: dict[str, Any]
    dropped: list[str] = field(default_factory=list)


def clean_text(value: str) -> str:
    """Text as a YAML file can hold it and a reader wants it: line ends as ``\\n``, no control
    characters, no lone surrogates (JSON can write them; UTF-8 cannot)."""
    value = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value).strip()


def _text(value: Any, name: str) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return clean_text(value) or None
    if isinstance(value, list):
        texts = [t for t in (_text(v, name) for v in value if not isinstance(v, list)) if t]
        if not texts:
            return None
        return ", ".join(dict.fromkeys(texts)) if name in _JOINED else texts[0]
    return None


def _name(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value) or None
    if not isinstance(value, Mapping):
        return None
    name: dict[str, str] = {}
    for part in NAME_PARTS:
        text = value.get(part)
        if isinstance(text, bool):
            name[part] = "true" if text else "false"
        elif isinstance(text, (str, int)) and clean_text(str(text)):
            name[part] = clean_text(str(text))
    if not name.get("family") and not name.get("literal") and isinstance(value.get("name"), str):
        name["literal"] = clean_text(value["name"])  # DataCite names an organisation so
    return name or None


def _date(value: Any) -> Any:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return clean_text(str(value)) or None
    if not isinstance(value, Mapping):
        return None
    date: dict[str, Any] = {}
    parts = value.get("date-parts")
    if isinstance(parts, list):
        kept = [_date_part(part) for part in parts[:2]]  # a date, or a range of two
        kept = [part for part in kept if part]
        if kept:
            date["date-parts"] = kept
    for name in _DATE_TEXTS:
        text = _text(value.get(name), name)
        if text:
            date[name] = text
    return date or None


def _date_part(part: Any) -> list[int]:
    """Year, month and day as numbers (Zotero writes the year as text), to the first gap."""
    numbers: list[int] = []
    for number in part[:3] if isinstance(part, list) else []:
        text = str(number).strip() if isinstance(number, (str, int)) else ""
        if isinstance(number, bool) or not re.fullmatch(r"-?[0-9]{1,5}", text):
            break
        numbers.append(int(text))
    return numbers


def _flat(value: Any) -> Any:
    """Values of ``custom`` and ``categories``: text, or a list of texts; nothing deeper."""
    if isinstance(value, list):
        texts = [_text(v, "") for v in value if not isinstance(v, (list, Mapping))]
        return [t for t in texts if t] or None
    return _text(value, "")


def clean_item(item: Mapping[str, Any]) -> Cleaned:
    """The fields of ``item`` that the evidence schema knows, in its shape; ``id`` is left to
    the caller, which decides the key."""
    entry: dict[str, Any] = {}
    dropped: list[str] = []
    for written, value in item.items():
        if not isinstance(written, str) or written.lower() == "id":
            continue
        name = _CANONICAL.get(_RENAMED.get(written.lower(), written.lower()))
        kept: Any = None
        if name in CSL_NAME_VARIABLES and isinstance(value, list):
            names = [n for n in (_name(v) for v in value) if n]
            kept = names or None
        elif name in CSL_DATE_VARIABLES:
            kept = _date(value)
        elif name == "custom":  # a mapping in CSL; anything else is no custom data
            flat = {
                clean_text(str(k)): f
                for k, v in (value.items() if isinstance(value, Mapping) else ())
                if clean_text(str(k)) and (f := _flat(v)) is not None
            }
            kept = flat or None
        elif name == "categories":
            kept = _flat(value if isinstance(value, list) else [value])
        elif name is not None and name not in CSL_NAME_VARIABLES:
            kept = _text(value, name)
        if kept is None:
            if value not in (None, "", [], {}):
                dropped.append(str(written))
            continue
        if name is not None and name not in entry:
            entry[name] = kept
    return Cleaned(_ordered(entry), dropped)


def _ordered(entry: dict[str, Any]) -> dict[str, Any]:
    first = {name: entry[name] for name in ORDER if name in entry}
    return {**first, **{name: value for name, value in entry.items() if name not in first}}


def _short_names(item: Mapping[str, Any]) -> str:
    """ "Claessens", "Raeymaeckers & Cools" or "Laoukili et al." (else the editors)."""
    for variable in ("author", "editor"):
        names = item.get(variable)
        if not isinstance(names, list):
            continue
        families = []
        for name in names:
            if isinstance(name, str):
                families.append(name.partition(",")[0].strip())
            elif isinstance(name, Mapping):
                part = name.get("family") or name.get("literal")
                families.append(str(part).strip() if isinstance(part, str) else "")
        families = [f for f in families if f]
        if len(families) > 2:
            return f"{families[0]} et al."
        if families:
            return " & ".join(families)
    return ""


def summary(item: Mapping[str, Any], width: int = 60) -> tuple[str, str, str]:
    """Short author, year and title of a CSL item, as a list shows them."""
    title = item.get("title")
    title = " ".join(title.split()) if isinstance(title, str) else ""
    if len(title) > width:
        title = title[: width - 1].rstrip() + "…"
    return _short_names(item), year_part(item), title
