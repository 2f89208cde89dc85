"""Readable citation keys for works that come without one, made as Better BibTeX makes them.

A key is the first author's family name, the year and the first word of the title that is not
a function word, in lower-case ASCII: *Claessens (2018), "The market for care"* becomes
``claessens2018market``. A key already taken (compared without regard to case) gets ``a``,
``b``, … ``z``, ``aa``, … appended, in the order the works come, so the same works in the same
order always get the same keys.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

#: Words the title part skips, as Better BibTeX's skip words (English, with Dutch, French and
#: German articles and prepositions, the languages positions are written in).
_SKIPPED = """a ab about above across after against al along amid among an and anti around as at
    aan au aux before behind below beneath beside besides between beyond bij but by d da das de
    del dell della delle dem den der des despite die do door down du during een ein eine einem
    einen einer eines el en et except for from gli het i il in inside into is l la las le les
    like lo los met naar near nor of off om on onto op or over past per plus pour round save
    since so some sur te than the through to tot toward towards uit um un una une under unlike
    until up upon van versus via von voor while with within without yet zu zum zur"""
SKIP_WORDS = frozenset(_SKIPPED.split())

#: The longest part a name or a title word contributes, so a key stays readable (an
#: organisation's name can be long).
MAX_PART = 40

#: Letters that Unicode does not decompose into a Latin letter and a mark.
_FOLD = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
    }
)
_NOT_KEY = re.compile(r"[^a-z0-9]+")
_WORD = re.compile(r"[a-z0-9]+")
_YEAR = re.compile(r"(?<![0-9])-?[0-9]{1,4}(?![0-9])")


#: A key pandoc reads whole after ``@`` (without braces), that is no web address.
_USABLE = re.compile(r"[A-Za-z0-9_](?:[:.#$%&+?<>~/-]?[A-Za-z0-9_])*")
#: The longest key kept as it is.
MAX_KEY = 100


def usable_key(text: str) -> bool:
    """Whether ``text`` can be cited as it is, ``[@text]``: no spaces, no web address."""
    return len(text) <= MAX_KEY and _USABLE.fullmatch(text) is not None and "//" not in text


def ascii_word(text: str) -> str:
    """``text`` in lower-case ASCII letters and digits: ``Oosterlynck-Ça`` → ``oosterlynckca``."""
    return _NOT_KEY.sub("", ascii_lower(text))


def ascii_lower(text: str) -> str:
    """``text`` in lower case, accents taken off and letters such as ß spelled out in ASCII."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _family(name: Any) -> str:
    """A name's family part (or the whole of a literal name, such as an organisation)."""
    if isinstance(name, str):
        before, comma, _ = name.partition(",")
        return before if comma else name
    if isinstance(name, Mapping):
        family, particle = name.get("family"), name.get("non-dropping-particle")
        if isinstance(family, str) and family.strip():
            return f"{particle} {family}" if isinstance(particle, str) else family
        literal = name.get("literal")
        if isinstance(literal, str) and literal.strip():
            return literal
    return ""


def author_part(item: Mapping[str, Any]) -> str:
    """The first author's family name (else the first editor's), as a key part."""
    for variable in ("author", "editor", "container-author", "composer", "director"):
        names = item.get(variable)
        if isinstance(names, list) and names:
            word = ascii_word(_family(names[0]))[:MAX_PART]
            if word:
                return word
    return ""


def year_part(item: Mapping[str, Any]) -> str:
    """The year the work was issued, as written in CSL (date-parts, text or literal)."""
    issued = item.get("issued")
    if isinstance(issued, Mapping):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            issued = parts[0][0]
        else:
            issued = issued.get("raw") or issued.get("literal")
    if isinstance(issued, int) and not isinstance(issued, bool):
        issued = str(issued)
    if isinstance(issued, str):
        match = _YEAR.search(issued)
        if match:
            return match.group().lstrip("-")
    return ""


def title_part(item: Mapping[str, Any]) -> str:
    """The first word of the title that is not a function word."""
    title = item.get("title")
    if not isinstance(title, str):
        return ""
    words: list[str] = _WORD.findall(ascii_lower(title))
    for word in words:
        if word not in SKIP_WORDS:
            return word[:MAX_PART]
    return words[0][:MAX_PART] if words else ""


def readable_key(item: Mapping[str, Any]) -> str:
    """The key Better BibTeX would make for a CSL item: author, year, first title word
    (``ref`` when the item has none of them)."""
    return (author_part(item) + year_part(item) + title_part(item)) or "ref"


def _suffix(number: int) -> str:
    """``a`` for 1, … ``z`` for 26, ``aa`` for 27, …"""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


class KeyMaker:
    """Keys for new works, unique among those already taken and those it has made."""

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self._taken = {key.lower() for key in taken}
        # the last suffix tried for each key, so that many works with one key stay linear
        self._tried: dict[str, int] = {}

    def taken(self, key: str) -> bool:
        return key.lower() in self._taken

    def reserve(self, key: str) -> str:
        """``key``, or with the first free suffix appended; taken from now on."""
        chosen, number = key, self._tried.get(key.lower(), 0)
        if number:
            chosen = key + _suffix(number)
        while chosen.lower() in self._taken:
            number += 1
            chosen = key + _suffix(number)
        self._tried[key.lower()] = number
        self._taken.add(chosen.lower())
        return chosen

    def make(self, item: Mapping[str, Any]) -> str:
        """A new key for ``item``: :func:`readable_key`, made unique."""
        return self.reserve(readable_key(item))
