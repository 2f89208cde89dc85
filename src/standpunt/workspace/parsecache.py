"""Each YAML file's located values, kept while its bytes are the same, where parsing costs more
than rebuilding them: when PyYAML runs without libyaml.

A coalition's workspace holds a thousand positions and dozens of evidence files; ``status`` of
one id, or ``check`` after one edit, should parse only what changed. So each file's parsed form
is kept in build/.standpunt-cache/ (one entry per file, named by the file's path as shown,
replaced when the file changes), signed with the user's key like every cache entry
(:mod:`standpunt.workspace.cache`), and tied to the SHA-256 of the file's bytes, this version of
Standpunt and :data:`FORMAT`. An entry is still read as a stranger's: its shape is checked as it
is rebuilt, and anything unexpected means the file is parsed again. A file with a problem is not
kept (the parse gives the problem every time).

Measured on 1,000 positions and 2,000 evidence entries: rebuilding the located values from a
kept entry costs as much as libyaml's parse under our composer (0.84 s against 0.72 s for the
1,020 files; keeping them all added 1.3 s to a cold ``check``), so with libyaml nothing is kept
and the file is parsed. The pure-Python parser costs 4.4 times the rebuild (64 ms against 15 ms
for a file of 100 references), so there each file is kept. JSON files are parsed by our own
parser at the cost of a rebuild, so they are never kept.

Every located value comes back exactly: each :class:`Scalar` with its text, location, style,
and the span it came from in the file's text (kept once per file), each mapping's and list's
location, and where each key and item was written. Nesting is bounded by the loader's
:data:`MAX_DEPTH`, so the recursion here is too.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from standpunt import __version__
from standpunt.errors import Location
from standpunt.workspace import load
from standpunt.workspace.cache import entry_name, read_entry, write_entry
from standpunt.workspace.load import (
    Scalar,
    YamlList,
    YamlMapping,
    parse_yaml,
    read_bytes,
)

__all__ = ["FORMAT", "load_cached", "parses"]

#: Raised when what an entry holds changes shape.
FORMAT = 1
_KIND = "parse"
#: How many files were parsed (not taken from the cache) in this process, for the tests.
parses: list[str] = []


class _Foreign(Exception):
    """An entry that does not hold what this module writes."""


def load_cached(root: Path, path: Path, display: str) -> Any:
    """:func:`~standpunt.workspace.load.load_yaml` of ``path`` inside the workspace ``root``,
    from the cache while the file's bytes are the same (without libyaml). Every problem is raised
    as the loader raises it."""
    if load.use_libyaml:
        return load.load_yaml(path, display, [root])
    kind = "yaml"
    data = read_bytes(path, display, [root])
    digest = hashlib.sha256(data).hexdigest()
    name = entry_name(kind, display)
    kept = read_entry(root, _KIND, name)
    if isinstance(kept, dict) and kept.get("bytes") == digest and _ours(kept, display, kind):
        try:
            return _restore(kept["tree"], display, kept["text"])
        except (_Foreign, TypeError, ValueError, KeyError, IndexError):
            pass
    parses.append(display)
    value = parse_yaml(data, display)
    try:
        text, tree = _plain(value, display)
    except _Foreign:  # a value made otherwise than the loader makes it: not kept
        return value
    entry = {
        "version": __version__,
        "format": FORMAT,
        "kind": kind,
        "display": display,
        "bytes": digest,
        "text": text,
        "tree": tree,
    }
    write_entry(root, _KIND, name, entry)
    return value


def _ours(kept: dict[str, Any], display: str, kind: str) -> bool:
    return (
        kept.get("version") == __version__
        and kept.get("format") == FORMAT
        and kept.get("kind") == kind
        and kept.get("display") == display
        and isinstance(kept.get("text"), str)
    )


# --------------------------------------------------------------------------- to JSON and back
# None: null; a Scalar: [text, line, col, style, start, end]; a mapping: {"m": [line, col],
# "k": [[key, key line, key col, value], ...]}; a list: {"l": [line, col], "i": [[line, col,
# value], ...]}. Every location's path is the file's; every scalar's source is the file's text.


def _plain(value: Any, display: str) -> tuple[str, Any]:
    """The file's text (as its scalars hold it) and ``value`` as plain JSON data."""
    sources: set[str] = set()
    tree = _encode(value, display, sources)
    if len(sources) > 1:
        raise _Foreign
    return (sources.pop() if sources else ""), tree


def _where(loc: Any, display: str) -> list[int]:
    if type(loc) is not Location or loc.path != display:
        raise _Foreign
    return [loc.line, loc.col]


def _encode(value: Any, display: str, sources: set[str]) -> Any:
    if value is None:
        return None
    if type(value) is Scalar:
        sources.add(value.source)
        return [str(value), *_where(value.loc, display), value.style, value.start, value.end]
    if type(value) is YamlMapping:
        pairs = []
        for key, item in value.items():
            where = _where(value.key_locs[key], display)
            pairs.append([_encode(key, display, sources), *where, _encode(item, display, sources)])
        return {"m": _where(value.loc, display), "k": pairs}
    if type(value) is YamlList:
        if len(value.item_locs) != len(value):
            raise _Foreign
        items = [
            [*_where(where, display), _encode(item, display, sources)]
            for where, item in zip(value.item_locs, value, strict=True)
        ]
        return {"l": _where(value.loc, display), "i": items}
    raise _Foreign


def _int(value: Any) -> int:
    if type(value) is not int:
        raise _Foreign
    return value


def _restore(tree: Any, display: str, text: str) -> Any:
    """The located values :func:`_encode` wrote, each part checked for its shape.

    Built without the classes' own constructors (a frozen dataclass sets each field through
    ``object.__setattr__``): this runs for every value of every unchanged file, and is what the
    cache saves over libyaml's parse, so it must cost less than that parse."""
    new = object.__new__
    new_str = str.__new__

    def where(line: Any, col: Any) -> Location:
        if type(line) is not int or type(col) is not int:
            raise _Foreign
        loc = new(Location)
        loc.__dict__.update(path=display, line=line, col=col)
        return loc

    def build(node: Any) -> Any:
        if node is None:
            return None
        kind = type(node)
        if kind is list:
            value, line, col, style, start, end = node
            if type(value) is not str or not (style is None or type(style) is str):
                raise _Foreign
            scalar = new_str(Scalar, value)
            scalar.__dict__.update(
                loc=where(line, col), style=style, source=text, start=_int(start), end=_int(end)
            )
            return scalar
        if kind is not dict:
            raise _Foreign
        if "m" in node:
            mapping = YamlMapping(where(*node["m"]))
            key_locs = mapping.key_locs
            for key, line, col, item in node["k"]:
                name = build(key)
                if type(name) is not Scalar or name in mapping:
                    raise _Foreign
                mapping[name] = build(item)
                key_locs[str(name)] = where(line, col)
            return mapping
        sequence = YamlList(where(*node["l"]))
        locs = sequence.item_locs
        for line, col, item in node["i"]:
            sequence.append(build(item))
            locs.append(where(line, col))
        return sequence

    return build(tree)
