"""Where each citation of a position was written: file, line and column.

The finder (:mod:`standpunt.cite.finder`) reads a text as pandoc does; this maps what it found
back onto the YAML file, whatever the scalar's style, so that a wrong key points at itself.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from standpunt import __version__
from standpunt.errors import Location
from standpunt.workspace.cache import read_entry, write_entry
from standpunt.workspace.load import Scalar
from standpunt.workspace.read import PositionFile
from standpunt.workspace.texts import texts

if TYPE_CHECKING:
    from standpunt.cite.finder import FoundCitation

_NEWLINE = re.compile("\n")


@dataclass(frozen=True)
class LocatedCitation:
    """A citation as written in a position: the key and where it stands in the file."""

    key: str
    location: Location


@lru_cache(maxsize=4096)
def _citations(text: str) -> tuple[FoundCitation, ...]:
    # check, the fingerprint and the build each ask for the citations of the same texts
    from standpunt.cite.finder import find_citations  # markdown-it: only when a text is read

    return tuple(find_citations(text))


def citations_in(position: PositionFile) -> list[LocatedCitation]:
    """Every citation of a position, in the order written, each at its place in the file."""
    found: list[LocatedCitation] = []
    for text in texts(position.raw):
        value = text.value
        refs = _citations(str(value))
        if not refs:
            continue
        if isinstance(value, Scalar):
            found.extend(_locate(value, refs))
        else:
            found.extend(LocatedCitation(ref.key, position.location) for ref in refs)
    return found


class KeptCitations:
    """The keys each position cites, in the order written, kept by ``check`` in
    build/.standpunt-cache/ (signed, as every cache entry: :mod:`standpunt.workspace.cache`)
    under the SHA-256 of the position file's text as it was parsed, so that ``status ID`` and
    ``fingerprint ID`` of an unchanged position need not read its Markdown again. An entry that
    is not for this very text, this version of Standpunt and :data:`FORMAT` is not used, nor is
    a corrupt or foreign one; the keys are then found in the text."""

    FORMAT = 1
    _KIND = "cited-keys"

    def __init__(self, root: Path | None = None) -> None:
        self._root = root
        self._kept: dict[str, Any] | None = None
        self.found: dict[str, list[Any]] = {}

    @property
    def kept(self) -> dict[str, Any]:
        """What ``check`` kept, read when first asked for: the entry holds every position's
        keys, and a command that needs none (status of a position nobody signed) skips it."""
        if self._kept is None:
            kept = read_entry(self._root, self._KIND, "all") if self._root is not None else None
            ours = isinstance(kept, dict) and (kept.get("version"), kept.get("format")) == (
                __version__,
                self.FORMAT,
            )
            files = kept.get("files") if ours and isinstance(kept, dict) else None
            self._kept = files if isinstance(files, dict) else {}
        return self._kept

    def keys(self, position: PositionFile) -> list[str]:
        """The key of every citation of ``position``, in order (as :func:`citations_in`)."""
        digest = _text_digest(position.raw)
        entry = self.found.get(position.display) or self.kept.get(position.display)
        if digest is not None and isinstance(entry, list) and len(entry) == 2:
            kept_digest, keys = entry
            if kept_digest == digest and isinstance(keys, list) and all(map(_is_str, keys)):
                return list(keys)
        found = [citation.key for citation in citations_in(position)]
        if digest is not None:
            self.found[position.display] = [digest, found]
        return found

    def note(self, position: PositionFile, keys: list[str]) -> None:
        """The keys :func:`citations_in` found in ``position`` (as ``check`` found them)."""
        digest = _text_digest(position.raw)
        if digest is not None:
            self.found[position.display] = [digest, list(keys)]

    def keep(self, root: Path) -> None:
        """Keep the keys found (the whole set: what ``check`` of every position found)."""
        entry = {"version": __version__, "format": self.FORMAT, "files": self.found}
        write_entry(root, self._KIND, "all", entry)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _text_digest(raw: Any) -> str | None:
    """SHA-256 of the text a position was parsed from (every scalar of it holds that text)."""
    if not isinstance(raw, dict):
        return None
    first = next(iter(raw), None)
    if not isinstance(first, Scalar) or not first.source:
        return None
    return hashlib.sha256(first.source.encode("utf-8", "surrogatepass")).hexdigest()


def _locate(value: Scalar, refs: tuple[FoundCitation, ...]) -> Iterator[LocatedCitation]:
    """Map citations back to the raw text of the scalar, whatever its YAML style.

    In a literal block (``|``) every line of the text is a line of the file, so the finder's
    own line and column are moved onto the file; other styles fold or escape their text, and
    there the ``@key`` is looked for in what was written, in order. Both take time linear in
    the scalar: each line of a literal block is compared once, and what was written is indexed
    once by the key after each ``@`` (a ``find`` per citation would read the rest of the text
    again for every key that is not there: quadratic).
    """
    raw = value.raw
    starts = _line_starts(value.source)
    header = bisect.bisect_right(starts, value.start) - 1  # the line of the indicator
    literal = _Literal(value, starts, header) if value.style == "|" else None
    written = _Written(raw)
    cursor = 0
    for ref in refs:
        at = literal.offset(ref) if literal is not None else -1
        if at < 0:
            at = written.find(ref.key, cursor)
        if at < 0:
            yield LocatedCitation(ref.key, value.loc)
            continue
        cursor = at + 1
        offset = value.start + at
        line = bisect.bisect_right(starts, offset) - 1
        yield LocatedCitation(
            ref.key, Location(value.loc.path, line + 1, offset - starts[line] + 1)
        )


#: What pandoc reads as a key after ``@`` (:mod:`standpunt.cite.finder.keys`), and ``{…}``.
_AT_KEY = re.compile(r"@(?:([\w*](?:\w|[:.#$%&\-+?<>~/](?=\w)|[:/](?=/))*+)|\{([^{}\s]*+)\})")
#: How much text a key not indexed may still be looked for in, per character of the scalar.
_SEARCH_BUDGET = 8


class _Written:
    """Where each key stands after an ``@`` in what was written, found in one pass."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.places: dict[str, list[int]] = {}
        for found in _AT_KEY.finditer(raw):
            for key in found.groups():
                if key:
                    self.places.setdefault(key, []).append(found.start())
        self.budget = _SEARCH_BUDGET * len(raw) + 65_536

    def find(self, key: str, cursor: int) -> int:
        """The first ``@key`` or ``@{key}`` at or after ``cursor``, else -1."""
        places = self.places.get(key)
        if places is not None:
            index = bisect.bisect_left(places, cursor)
            return places[index] if index < len(places) else -1
        # A key the index cannot hold (braces inside braces): looked for while the budget
        # lasts, so that many such keys cost no more than reading the text a few times.
        for needle in (f"@{key}", f"@{{{key}}}"):
            if self.budget < len(self.raw) - cursor:
                return -1
            at = self.raw.find(needle, cursor)
            self.budget -= (at if at >= 0 else len(self.raw)) - cursor + len(needle)
            if at >= 0:
                return at
        return -1


class _Literal:
    """A literal block (``|``): the finder's line and column moved onto the file."""

    def __init__(self, value: Scalar, starts: list[int], header: int) -> None:
        self.value = value
        self.starts = starts
        self.header = header
        self.lines = str(value).split("\n")
        #: Where each text line's content starts in the file, or -1 (each line compared once).
        self.found: dict[int, int] = {}

    def offset(self, ref: FoundCitation) -> int:
        """Where ``ref`` stands in ``value.raw``, else -1."""
        value = self.value
        begins = self.line_begin(ref.line)
        if begins < 0:
            return -1
        offset = begins + ref.col - 1
        if not value.source.startswith(("@" + ref.key, "@{" + ref.key + "}"), offset):
            return -1
        return offset - value.start

    def line_begin(self, line: int) -> int:
        if line not in self.found:
            self.found[line] = self._line_begin(line)
        return self.found[line]

    def _line_begin(self, line: int) -> int:
        starts, source = self.starts, self.value.source
        number = self.header + line  # the file's line (0-based) holding the text's line
        if line > len(self.lines) or number >= len(starts):
            return -1
        end = starts[number + 1] - 1 if number + 1 < len(starts) else len(source)
        if end > starts[number] and source[end - 1] == "\r":
            end -= 1
        text = self.lines[line - 1]
        begins = end - len(text)
        if begins < starts[number] or not source.startswith(text, begins):
            return -1
        return begins


@lru_cache(maxsize=64)
def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(match.end() for match in _NEWLINE.finditer(text))
    return starts
