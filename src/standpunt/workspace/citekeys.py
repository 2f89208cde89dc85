"""Readable citation keys for references that come without one, as Better BibTeX makes them.

A key is the first author's family name, the year and the first word of the title that is not a
small word, folded to lower-case ASCII: ``claessens2018market``. A key that is taken already
gets a letter, in the order the references are read: ``claessens2018marketa``, then ``…b``.
RIS records without an ``ID`` get such a key; ``standpunt evidence`` uses the same rule for the
references it adds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["KeyMaker", "readable_key"]

#: Better BibTeX's default skip words, and the Dutch articles it lacks ("het", "een").
SKIP_WORDS = frozenset(
    """a ab aboard about above across after against al along amid among an and anti around as at
    before behind below beneath beside besides between beyond but by d da das de del dell dello
    dei degli della delle dem den der des despite die do down du during een ein eine einem einen
    einer eines el en et except for from gli het i il in inside into is l la las le les like lo
    los near nor of off on onto or over past per plus round save since so some sur than the
    through to toward towards un una unas under underneath une unlike uno unos until up upon
    versus via von while with within without yet zu zum""".split()  # noqa: SIM905
)

#: Letters that Unicode's decomposition does not take to ASCII.
_FOLD = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "œ": "oe", "Œ": "oe", "ł": "l",
     "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)  # fmt: skip
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
#: The longest a key's name part and title word may be: an organisation's name can be long.
MAX_NAME = 40
MAX_WORD = 20
#: The names a key is made from, in order of preference.
_NAME_FIELDS = ("author", "editor", "container-author", "collection-editor", "translator")


def _ascii_words(text: str) -> list[str]:
    """``text`` folded to lower-case ASCII, split into words."""
    folded = unicodedata.normalize("NFKD", text.translate(_FOLD))
    plain = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return [word for word in _NOT_ALNUM.split(plain) if word]


def _name_part(item: Mapping[str, Any]) -> str:
    for field in _NAME_FIELDS:
        names = item.get(field)
        if isinstance(names, list) and names and isinstance(names[0], Mapping):
            first = names[0]
            parts = [first.get("non-dropping-particle"), first.get("family")]
            if not any(parts):
                parts = [first.get("literal") or first.get("given")]
            return "".join(_ascii_words(" ".join(str(p) for p in parts if p)))[:MAX_NAME]
    return ""


def _year_part(item: Mapping[str, Any]) -> str:
    issued = item.get("issued")
    if isinstance(issued, Mapping):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            year = str(parts[0][0]).strip().lstrip("-")
            return year if year.isdigit() else ""
    return ""


def _title_part(item: Mapping[str, Any]) -> str:
    title = item.get("title")
    words = _ascii_words(str(title)) if isinstance(title, str) else []
    return next((word for word in words if word not in SKIP_WORDS), "")[:MAX_WORD]


def readable_key(item: Mapping[str, Any]) -> str:
    """The key Better BibTeX would give a CSL-JSON item: author, year, first title word.

    Never empty: an item with none of the three is ``ref``.
    """
    return _name_part(item) + _year_part(item) + _title_part(item) or "ref"


def suffix(number: int) -> str:
    """The letters of the ``number``-th suffix, counting from 0: a, b, …, z, aa, ab, …"""
    letters = ""
    number += 1
    while number:
        number, digit = divmod(number - 1, 26)
        letters = chr(ord("a") + digit) + letters
    return letters


class KeyMaker:
    """Hands out keys that none of ``taken`` nor any key handed out before has.

    A key that is taken gets the first free letter suffix; each key remembers where its
    suffixes stopped, so ten thousand records of one author in one year stay linear.
    """

    def __init__(self, taken: Iterable[str] = ()) -> None:
        self.taken = set(taken)
        self._next: dict[str, int] = {}

    def unique(self, key: str) -> str:
        """``key`` if it is free, else ``key`` with the first free suffix; now taken."""
        if key in self.taken:
            number = self._next.get(key, 0)
            while key + suffix(number) in self.taken:
                number += 1
            self._next[key] = number + 1
            key += suffix(number)
        self.taken.add(key)
        return key
