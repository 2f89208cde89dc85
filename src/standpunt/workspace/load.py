"""Reading YAML (and CSL-JSON) that users can trust: every value a located string.

Built on a YAML parser's events with our own composer, because the stock loaders resolve types
(``NO`` becomes ``False``, ``0306406152`` an octal number), follow anchors (billion laughs),
construct tagged objects (``!!python/object``) and recurse per nesting level. Here every scalar
stays the text that was written, anchors, aliases and tags are refused before anything is built,
nesting is capped at :data:`MAX_DEPTH`, files are capped at :data:`MAX_BYTES`, and every problem
becomes a :class:`StandpuntError` with file, line and column. The C loader is never used: it
overflows the process stack on very deep nesting.

The events come from libyaml's parser where PyYAML carries it (its wheels do): some twenty times
faster than PyYAML's pure-Python reader, scanner and parser, and, like them, not recursive (it
keeps a stack of states; 100,000 levels parse without a crash). The two do not accept quite the
same YAML (libyaml follows YAML 1.2 on tabs, on '?' in flow collections and on a few more
corners), so the pure-Python parser stays the judge: libyaml reads a file only when nothing in
it touches those corners (:func:`_libyaml_unsure`), and a file libyaml finds anything wrong in
(anchors and tags included) is read again by the pure-Python parser, whose error is reported.
Either way a file gives the same values, locations and errors.

JSON (CSL-JSON from Zotero) gets the same located values from a small strict JSON reader of
its own: PyYAML would read JSON too, but five times slower, and not all of it (tab indentation,
keys over 1024 characters, escaped surrogate pairs).
"""

from __future__ import annotations

import codecs
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import fields as dataclass_fields
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any, NoReturn

from yaml.error import Mark, MarkedYAMLError, YAMLError
from yaml.events import (
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.scanner import Scanner

try:  # libyaml's event parser, where PyYAML was built with it
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML's wheels carry libyaml
    _CParser = None

from standpunt.errors import Location, StandpuntError
from standpunt.workspace.paths import open_regular
from standpunt.workspace.pitfalls import pasted_characters

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "Scalar",
    "YamlList",
    "YamlMapping",
    "load_json",
    "load_yaml",
    "located",
    "parse_yaml",
    "read_bytes",
    "read_text",
    "to_plain",
]

#: Largest file we parse; bigger ones are refused before parsing.
MAX_BYTES = 5 * 1024 * 1024

#: Most lists/mappings that may be nested inside each other.
MAX_DEPTH = 64

#: Whether libyaml's event parser reads files (where PyYAML carries it). The tests turn it off
#: to hold the pure-Python parser to the same rules.
use_libyaml: bool = _CParser is not None


# --------------------------------------------------------------------------- located values


def _scalar(
    value: str, loc: Location, style: str | None, source: str, start: int, end: int
) -> Scalar:
    """Rebuild a :class:`Scalar` when unpickling (module level so pickle can find it)."""
    return Scalar(value, loc, style, source, start, end)


class Scalar(str):
    """A string exactly as written in the file, remembering where.

    ``str`` subclasses cannot have non-empty ``__slots__``, so the attributes live in the
    instance ``__dict__``; ``__reduce__`` keeps pickles small and independent of that.
    """

    loc: Location
    style: str | None
    source: str
    start: int
    end: int

    def __new__(
        cls,
        value: str,
        loc: Location,
        style: str | None = None,
        source: str = "",
        start: int = 0,
        end: int = 0,
    ) -> Scalar:
        self = str.__new__(cls, value)
        self.loc = loc
        self.style = style
        self.source = source
        self.start = start
        self.end = end
        return self

    def __reduce__(self) -> tuple[Callable[..., Scalar], tuple[Any, ...]]:
        return _scalar, (str(self), self.loc, self.style, self.source, self.start, self.end)

    @property
    def raw(self) -> str:
        """The scalar's text as written, quotes and block indicator included."""
        return self.source[self.start : self.end]


class YamlMapping(dict):  # type: ignore[type-arg]
    """A mapping of :class:`Scalar` keys, remembering where it and each key and value are."""

    __slots__ = ("key_locs", "loc")

    def __init__(self, loc: Location) -> None:
        super().__init__()
        self.loc = loc
        self.key_locs: dict[str, Location] = {}

    def value_loc(self, key: str) -> Location:
        """Where the value of ``key`` was written; the key's place when the value is empty."""
        loc = getattr(self[key], "loc", None)
        return loc if loc is not None else self.key_locs[key]


class YamlList(list):  # type: ignore[type-arg]
    """A list remembering where it and each item (also an empty one) were written."""

    __slots__ = ("item_locs", "loc")

    def __init__(self, loc: Location) -> None:
        super().__init__()
        self.loc = loc
        self.item_locs: list[Location] = []


def located(value: Any, loc: Location, key_locs: dict[str, Location] | None = None) -> Any:
    """Plain data (parsed JSON) as located values, every one of them at ``loc``.

    For data that was not read from the file it is reported in, such as what pandoc made of a
    .bib entry: numbers and booleans become their JSON text, as :func:`load_json` keeps them.
    ``key_locs`` places the keys of the top mapping (and their values) elsewhere.
    """
    if isinstance(value, dict):
        mapping = YamlMapping(loc)
        for key, item in value.items():
            where = (key_locs or {}).get(key, loc)
            mapping[Scalar(str(key), where)] = located(item, where)
            mapping.key_locs[str(key)] = where
        return mapping
    if isinstance(value, list):
        sequence = YamlList(loc)
        for item in value:
            sequence.append(located(item, loc))
            sequence.item_locs.append(loc)
        return sequence
    if value is None:
        return None
    return Scalar(json.dumps(value) if isinstance(value, bool) else str(value), loc)


def to_plain(value: Any) -> Any:
    """The same data as plain ``dict``/``list``/``str``/``None``, e.g. for hashing or JSON."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


def locate(raw: Any, path: Sequence[str | int], default: Location) -> Location:
    """The location of the value at ``path`` in a located YAML tree (or its nearest parent)."""
    node, loc = raw, getattr(raw, "loc", default)
    for step in path:
        if isinstance(node, YamlMapping) and isinstance(step, str) and step in node:
            loc = node.value_loc(step)
            node = node[step]
        elif isinstance(node, YamlList) and isinstance(step, int) and step < len(node):
            loc = node.item_locs[step]
            node = node[step]
        else:
            break
    return loc


# --------------------------------------------------------------------------- bytes to text

_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
#: Characters a double-quoted ``\\u`` escape may leave behind as half of a UTF-16 pair.
_SURROGATE = re.compile("[\ud800-\udfff]")
#: The text of an anchor, alias or tag, for the error message.
_TOKEN_TEXT = re.compile(r"[^\s,\[\]{}\0]{1,60}")


def _line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]``, counted the way PyYAML's reader counts."""
    line, start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, index):
        line += 1
        start = match.end()
    # PyYAML does not count a byte order mark as a column.
    return line, index - start - text.count("\ufeff", start, index) + 1


def _too_large(size: int | None, path: str) -> StandpuntError:
    # Rounded up, so that a file just over the limit does not read "5.0 MB".
    what = f"{math.ceil(size / 104857.6) / 10:.1f} MB" if size is not None else "over 5 MB"
    return StandpuntError(
        f"this file is too large ({what}); Standpunt reads files of at most 5 MB, "
        "so split it into smaller files",
        Location(path),
        "yaml-too-large",
    )


def _decode(data: bytes | str, path: str) -> str:
    """The file's text: size checked, UTF-8 checked, byte order mark removed."""
    if isinstance(data, str):
        if len(data) > MAX_BYTES or (
            len(data) * 4 > MAX_BYTES and len(data.encode("utf-8", "surrogatepass")) > MAX_BYTES
        ):
            raise _too_large(None, path)
        return data[1:] if data.startswith("\ufeff") else data
    if len(data) > MAX_BYTES:
        raise _too_large(len(data), path)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _encoding_error(data, exc, path) from None


def _encoding_error(data: bytes, exc: UnicodeDecodeError, path: str) -> StandpuntError:
    """Name the first byte that is not UTF-8 and guess what the user meant by it."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return StandpuntError(
            "this file is saved as UTF-16; save it as UTF-8 in your editor",
            Location(path, 1, 1),
            "yaml-encoding",
        )
    prefix = data[: exc.start].decode("utf-8")
    line, col = _line_col(prefix, len(prefix))
    byte = data[exc.start]
    hint = ""
    try:
        guess = bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        guess = ""
    if guess.isprintable() and byte >= 0x80:
        hint = f" (it is probably '{guess}' saved in the older Windows/Latin-1 encoding)"
    return StandpuntError(
        f"this file is not saved as UTF-8: the byte 0x{byte:02X} here is not valid UTF-8{hint}; "
        "save the file as UTF-8 in your editor",
        Location(path, line, col),
        "yaml-encoding",
    )


# --------------------------------------------------------------------------- scanner and parser


def _loc(path: str, mark: Mark) -> Location:
    return Location(path, mark.line + 1, mark.column + 1)


class _Loader(Reader, Scanner, Parser):  # type: ignore[misc, unused-ignore]
    """PyYAML's pure-Python reader, scanner and parser, refusing anchors, aliases and tags.

    They are refused as soon as the scanner meets them, before the parser (which would also
    reject some of them, with more confusing messages) or anything else sees them.
    """

    def __init__(self, text: str, path: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        self.name = path

    def _token_text(self) -> str:
        match = _TOKEN_TEXT.match(self.buffer, self.pointer)
        return match.group() if match else self.peek()

    def fetch_anchor(self) -> NoReturn:
        raise StandpuntError(
            f"'{self._token_text()}' is a YAML anchor, which Standpunt does not allow; remove it "
            "and write values out in full (if '&' is part of your text, put the whole value "
            "in quotes)",
            _loc(self.name, self.get_mark()),
            "yaml-anchor",
        )

    def fetch_alias(self) -> NoReturn:
        raise StandpuntError(
            f"'{self._token_text()}' is a YAML alias (a reference to an anchor), which Standpunt "
            "does not allow; write the value out in full (if the text starts with '*', for "
            "example *emphasis*, put the whole value in quotes)",
            _loc(self.name, self.get_mark()),
            "yaml-anchor",
        )

    def fetch_tag(self) -> NoReturn:
        raise StandpuntError(
            f"'{self._token_text()}' is a YAML tag, which Standpunt does not allow; remove it "
            "(if the text starts with '!', put the whole value in quotes)",
            _loc(self.name, self.get_mark()),
            "yaml-tag",
        )

    def fetch_flow_collection_start(self, TokenClass: type) -> None:
        Scanner.fetch_flow_collection_start(self, TokenClass)
        if self.flow_level > MAX_DEPTH:
            # Past this bracket the document is too deep anyway. The composer stops at the
            # exact place, at or before it, as soon as the parser hands it the bracket. Without
            # this the scanner keeps looking up to 1024 characters ahead for a ':' after every
            # open '[' (each could start a key), which is quadratic: 0.3 s for '[[[[...'.
            self.possible_simple_keys.clear()
            mark = self.tokens[-1].start_mark

            def stop() -> NoReturn:
                raise _too_deep(_loc(self.name, mark))

            self.fetch_more_tokens = stop  # type: ignore[method-assign, unused-ignore]


def _too_deep(loc: Location) -> StandpuntError:
    return StandpuntError(
        f"lists and mappings are nested more than {MAX_DEPTH} levels deep here; "
        f"Standpunt allows at most {MAX_DEPTH} levels, so flatten the structure",
        loc,
        "yaml-too-deep",
    )


# --------------------------------------------------------------------------- composer

_NO_KEY: Any = object()


def _compose(loader: _Loader, source: str) -> Any:
    """Build located values from the parser's events: the whole stream, one document at most."""
    get_event = loader.get_event
    get_event()  # StreamStartEvent
    if type(get_event()) is StreamEndEvent:
        return None
    root = _compose_document(loader, source)
    get_event()  # DocumentEndEvent
    event = get_event()
    if type(event) is not StreamEndEvent:
        raise StandpuntError(
            "a second YAML document starts here (after a '---' line); a file may hold only one, "
            "so remove this '---' line or move what follows into another file",
            _loc(loader.name, event.start_mark),
            "yaml-multiple-documents",
        )
    return root


def _compose_document(loader: _Loader, source: str) -> Any:
    """The document's root value, built without recursion (one loop over the events)."""
    path = loader.name
    get_event = loader.get_event
    containers: list[Any] = []  # open mappings and sequences, innermost last
    pending: list[Any] = []  # for each open mapping: the key awaiting its value, or _NO_KEY
    while True:
        event = get_event()
        cls = type(event)
        mark = event.start_mark
        loc = Location(path, mark.line + 1, mark.column + 1)
        if cls is ScalarEvent:
            value = event.value
            style = event.style
            is_container = False
            if style is None and not value:
                node: Any = None
            else:
                if style == '"' and _SURROGATE.search(value):
                    value = _join_surrogates(value, loc)
                node = Scalar(value, loc, style, source, mark.index, event.end_mark.index)
        elif cls is MappingStartEvent or cls is SequenceStartEvent:
            if len(containers) >= MAX_DEPTH:
                raise _too_deep(loc)
            node = YamlMapping(loc) if cls is MappingStartEvent else YamlList(loc)
            is_container = True
        elif cls is MappingEndEvent or cls is SequenceEndEvent:
            node = containers.pop()
            pending.pop()
            if not containers:
                return node
            continue
        else:  # aliases are refused by the scanner; nothing else can come here
            raise YAMLError(f"unexpected {event!r}")

        if containers:
            parent = containers[-1]
            if type(parent) is YamlList:
                parent.append(node)
                parent.item_locs.append(loc)
            elif pending[-1] is _NO_KEY:
                _check_key(parent, node, loc)
                parent.key_locs[node] = loc
                pending[-1] = node
            else:
                parent[pending[-1]] = node
                pending[-1] = _NO_KEY
        elif not is_container:
            return node
        if is_container:
            containers.append(node)
            pending.append(_NO_KEY)


def _check_key(mapping: YamlMapping, key: Any, loc: Location) -> None:
    """Refuse keys that are empty, lists or mappings, merge keys ``<<`` and duplicates."""
    if type(key) is not Scalar:
        if key is None:
            raise StandpuntError(
                "a key is missing before ':' here; write the key's name before the colon",
                loc,
                "yaml-empty-key",
            )
        raise StandpuntError(
            "a key must be a single text, not a list or mapping; write a plain name before ':'",
            loc,
            "yaml-complex-key",
        )
    if key.style is None and key == "<<":
        raise StandpuntError(
            "'<<' (a YAML merge key) is not allowed; write the keys out in full",
            loc,
            "yaml-merge-key",
        )
    first = mapping.key_locs.get(key)
    if first is not None:
        raise StandpuntError(
            f"the key '{key}' appears twice, here and on line {first.line}; keep one of them",
            loc,
            "yaml-duplicate-key",
        )


def _join_surrogates(value: str, loc: Location) -> str:
    """Join ``\\uD83D\\uDE00``-style escape pairs into one character, as JSON does."""
    try:
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        raise StandpuntError(
            "this text contains a '\\u' escape for half of a character pair (between \\uD800 "
            "and \\uDFFF) without its other half; write the character itself instead",
            loc,
            "yaml-escape",
        ) from None


# --------------------------------------------------------------------------- libyaml


class _Unsure(Exception):
    """libyaml met something the pure-Python parser may read otherwise, or a problem: the
    pure-Python parser reads the file again and judges it."""


#: Characters libyaml and the pure-Python parser read differently (a tab, the line breaks
#: U+0085, U+2028 and U+2029, a byte order mark inside the text) or that only the pure-Python
#: parser refuses (control characters): a file holding one is read by the pure-Python parser.
#: Written as the characters that are not printable in YAML's sense (all but \n, \r, \x20-\x7e,
#: \xa0-\u2027, \u202a-\ud7ff, \ue000-\ufefe, \uff00-\ufffd and beyond \uffff), not as the
#: complement of those: a class of most of Unicode takes 5 ms to compile, at every command's start.
_LIBYAML_UNSURE = re.compile(
    "[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
)
#: What a flow collection (``[...]``, ``{...}``) may hold for libyaml to read it: libyaml reads
#: '?', '#' and line breaks inside one as YAML 1.2 does, the pure-Python parser as YAML 1.1.
_FLOW_SAFE = re.compile(r"[\w ,:\[\]{}.\-/@'\"\n]*")
#: A block scalar's header as both read it: '|' or '>', indicators, then a space or line break.
_BLOCK_HEADER = re.compile(r"[|>][-+0-9]{0,2}(?=[ \r\n]|\Z)")


def _compose_libyaml(text: str, path: str) -> Any:
    """The located values libyaml's events give; :class:`_Unsure` when the pure-Python parser
    must judge the file (and the parser's own errors, for the same reason)."""
    assert _CParser is not None
    parser = _CParser(text)
    try:
        get_event = parser.get_event
        get_event()  # StreamStartEvent
        start = get_event()
        if type(start) is StreamEndEvent:
            return None
        if start.version is not None or start.tags:  # a %YAML or %TAG directive
            raise _Unsure
        root = _compose_libyaml_document(get_event, text, path)
        get_event()  # DocumentEndEvent
        if type(get_event()) is not StreamEndEvent:  # a second document
            raise _Unsure
        return root
    finally:
        parser.dispose()


def _compose_libyaml_document(get_event: Callable[[], Any], text: str, path: str) -> Any:
    """:func:`_compose_document` for libyaml's events, with what libyaml's parser does not
    refuse (anchors, tags, block headers the pure-Python parser refuses, flow collections it
    may read otherwise) made :class:`_Unsure`. Built with little work per event (a check of
    1,000 positions has some 66,000): see :data:`_new_object`."""
    size = len(text)
    outer: list[tuple[Any, bool, Any]] = []  # per open container: its parent's state
    parent, in_list, key = None, False, _NO_KEY  # in a mapping, the key awaiting its value
    flow_start, flow_level = -1, -1  # where the outermost flow collection opened, and its level
    new_location, new_str = _new_object, _str_new
    node: Any
    while True:
        event = get_event()
        cls = type(event)
        if cls is MappingEndEvent or cls is SequenceEndEvent:
            node = parent
            parent, in_list, key = outer.pop()
            if len(outer) == flow_level:
                if not _FLOW_SAFE.fullmatch(text, flow_start, event.end_mark.index):
                    raise _Unsure
                flow_start, flow_level = -1, -1
            if parent is None:
                return node
            continue
        if cls not in _NODE_EVENTS:
            raise _Unsure  # an alias
        if event.anchor is not None or event.tag is not None:
            raise _Unsure
        mark = event.start_mark
        index = mark.index
        loc = new_location(Location)
        at = loc.__dict__
        at["path"] = path
        if index == size:  # libyaml puts the end of a text without a final line break
            at["line"], at["col"] = _line_col(text, size)  # on a line of its own
        else:
            at["line"], at["col"] = mark.line + 1, mark.column + 1
        if cls is ScalarEvent:
            value, style = event.value, event.style or None
            if style is None and not value:
                node = None
            else:
                if style == '"' and _SURROGATE.search(value):
                    value = _join_surrogates(value, loc)
                elif (style == "|" or style == ">") and not _BLOCK_HEADER.match(text, index):
                    raise _Unsure
                node = new_str(Scalar, value)
                node.__dict__ = {
                    "loc": loc,
                    "style": style,
                    "source": text,
                    "start": index,
                    "end": event.end_mark.index,
                }
            if parent is None:
                return node
        else:
            if len(outer) >= MAX_DEPTH:
                raise _Unsure
            if event.flow_style and flow_start < 0:
                flow_start, flow_level = index, len(outer)
            node = YamlMapping(loc) if cls is MappingStartEvent else YamlList(loc)
        if parent is None:
            pass
        elif in_list:
            parent.append(node)
            parent.item_locs.append(loc)
        elif key is _NO_KEY:
            if type(node) is not Scalar or node in parent.key_locs or node == "<<":
                _check_key(parent, node, loc)
            parent.key_locs[node] = loc
            key = node
        else:
            parent[key] = node
            key = _NO_KEY
        if cls is not ScalarEvent:
            outer.append((parent, in_list, key))
            parent, in_list, key = node, cls is SequenceStartEvent, _NO_KEY


#: What :func:`_compose_libyaml_document` makes its objects with: ``Location(path, line, col)``
#: and ``Scalar(value, loc, style, source, start, end)`` without a call of their ``__init__`` or
#: ``__new__`` (a frozen dataclass sets each field through ``object.__setattr__``). The
#: innermost open container, whether it is a list and the key awaiting its value are local
#: variables there (the outer ones wait on a stack), and a key is checked in full only when
#: :func:`_check_key` may refuse it.
_new_object = object.__new__
_NODE_EVENTS = frozenset((ScalarEvent, MappingStartEvent, SequenceStartEvent))
_str_new = str.__new__
assert [f.name for f in dataclass_fields(Location)] == ["path", "line", "col"]
assert list(Scalar("", Location("")).__dict__) == ["loc", "style", "source", "start", "end"]


# --------------------------------------------------------------------------- syntax errors

#: Plain-language explanations for PyYAML's problems, by a piece of the problem's text.
_EXPLANATIONS: tuple[tuple[str, str], ...] = (
    (
        "mapping values are not allowed here",
        "a ':' followed by a space is not allowed here; if the colon is part of the text, "
        "put the whole value in quotes, otherwise check the indentation",
    ),
    (
        "expected <block end>",
        "the indentation here does not fit the lines above; entries at the same level must "
        "start in the same column",
    ),
    (
        "sequence entries are not allowed here",
        "a list item ('- ') is not allowed here; check the indentation, or put the value in "
        "quotes if the '-' is part of the text",
    ),
    (
        "mapping keys are not allowed here",
        "a '? ' is not allowed here; put the value in quotes if the '?' is part of the text",
    ),
    (
        "expected ',' or ']'",
        "a list in '[ ]' needs a ',' between its items and a closing ']'",
    ),
    (
        "expected ',' or '}'",
        "a mapping in '{ }' needs a ',' between its entries and a closing '}'",
    ),
    (
        "invalid indentation or unclosed",
        "a '[' or '{' is not closed, or a line inside it is not indented enough",
    ),
    (
        "found unknown escape character",
        "inside double quotes a backslash starts an escape such as \\n; write \\\\ for a "
        "backslash, or use single quotes instead",
    ),
    (
        "expected escape sequence",
        "inside double quotes a backslash starts an escape such as \\n; write \\\\ for a "
        "backslash, or use single quotes instead",
    ),
    (
        "expected the node content",
        "a value is missing here",
    ),
    (
        "expected '<document start>'",
        "there is text after the end-of-document line '...'; remove that line",
    ),
)


def _syntax_error(exc: MarkedYAMLError, path: str, source: str) -> StandpuntError:
    """Turn PyYAML's error into one located message a policy officer can act on."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    char = source[mark.index] if mark is not None and mark.index < len(source) else ""
    context = exc.context_mark
    if problem == "found unexpected end of stream" and context is not None:
        plain = (
            f"the quoted text that starts on line {context.line + 1}, column "
            f"{context.column + 1} is never closed; add the closing quote"
            if "quoted" in (exc.context or "")
            else "the file ends in the middle of a value"
        )
    elif problem == "could not find expected ':'" and context is not None:
        # PyYAML notices this at the next token, which may be lines further down, after blank
        # lines and comments; the line that lacks the ':' is where the key started.
        mark = context
        plain = (
            "this line should look like 'key: value' but has no ':' after this text; if the "
            "text continues the value above, indent it more than the key or put the whole "
            "value in quotes"
        )
    elif char == "\t" and "cannot start any token" in problem:
        plain = (
            "there is a tab character here; YAML needs spaces, not tabs, for indentation and "
            "between items: replace the tab with spaces"
        )
    elif char == ":" and problem.startswith("expected <block end>"):
        plain = "a key is missing before this ':'; write the key's name before the colon"
    elif problem.startswith("expected <block end>") and _after_quote(source, mark):
        plain = (
            "there is more text after the closing quote; put the whole value in quotes (inside "
            "double quotes write a quote as \\\", inside single quotes as '')"
        )
    elif "cannot start any token" in problem:
        plain = f"a value cannot start with '{char}'; put the whole value in quotes"
    else:
        plain = next((text for key, text in _EXPLANATIONS if key in problem), "")
    detail = problem
    if (
        exc.context
        and context is not None
        and context is not mark
        and (mark is None or context.line != mark.line)
    ):
        detail += f", {exc.context} that starts on line {context.line + 1}"
    pasted, earlier = pasted_characters(source, mark.index) if mark is not None else ("", None)
    if pasted:  # the likely cause, which the parser's own explanation would only hide
        plain = pasted
    message = f"{plain} (YAML parser: {detail})" if plain else f"this is not valid YAML: {detail}"
    loc = _loc(path, mark) if mark is not None else Location(path)
    if earlier is not None:  # reported where the pasted character is, not where YAML gave up
        line_start = source.rfind("\n", 0, earlier) + 1
        loc = Location(path, source.count("\n", 0, earlier) + 1, earlier - line_start + 1)
    return StandpuntError(message, loc, "yaml-syntax")


def _after_quote(source: str, mark: Mark | None) -> bool:
    """Whether the text before ``mark`` on its line ends with a closing quote."""
    if mark is None:
        return False
    before = source[max(0, mark.index - 200) : mark.index].rstrip(" ")
    return before.endswith(("'", '"'))


def _reader_error(exc: ReaderError, path: str, source: str) -> StandpuntError:
    line, col = _line_col(source, exc.position)
    return StandpuntError(
        f"the invisible character U+{exc.character:04X} here is not allowed in YAML; delete it "
        "(it often comes along when text is copied from another program)",
        Location(path, line, col),
        "yaml-control-character",
    )


def _bad_escape(loader: _Loader) -> StandpuntError:
    """A '\\U' escape naming no character; the scanner stands on its hexadecimal digits."""
    mark = loader.get_mark()
    return StandpuntError(
        "this '\\U' escape names no character (the largest is \\U0010FFFF); write the "
        "character itself, or use single quotes if the backslash is part of the text",
        Location(loader.name, mark.line + 1, max(1, mark.column - 1)),
        "yaml-escape",
    )


def _compose_text(text: str, path: str) -> Any:
    """Parse decoded text; every failure of the file becomes a :class:`StandpuntError` (a
    failure of Standpunt itself is left to reach the command line, which says it is a bug)."""
    if use_libyaml and not _LIBYAML_UNSURE.search(text):
        try:
            return _compose_libyaml(text, path)
        except (_Unsure, StandpuntError, YAMLError):
            pass  # the pure-Python parser reads it again, and says what is wrong
    loader: _Loader | None = None
    try:
        loader = _Loader(text, path)
        return _compose(loader, text)
    except StandpuntError:
        raise
    except (ValueError, OverflowError):  # PyYAML's chr() of a '\\U' escape past U+10FFFF
        if loader is None:
            raise
        raise _bad_escape(loader) from None
    except MarkedYAMLError as exc:
        raise _syntax_error(exc, path, text) from None
    except ReaderError as exc:
        raise _reader_error(exc, path, text) from None
    except RecursionError:
        raise _too_deep(Location(path)) from None


# --------------------------------------------------------------------------- public functions


def parse_yaml(data: bytes | str, path: str) -> Any:
    """Parse one YAML document into located values; ``path`` is shown in error locations."""
    return _compose_text(_decode(data, path), path)


def _read(file: Path, display: str, roots: Iterable[Path] | None = None) -> bytes:
    """The file's bytes, refusing big files before reading them, and anything the path rule
    refuses (:func:`standpunt.workspace.paths.open_regular`: a FIFO, a device, a link out of
    ``roots``) before opening it for good."""
    with open_regular(file, display, roots) as handle:
        try:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_BYTES:
                raise _too_large(size, display)
            data = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise StandpuntError(
                f"cannot read this file ({exc.strerror or exc}); check that it exists and that "
                "you may read it",
                Location(display),
                "file-unreadable",
            ) from None
    if len(data) > MAX_BYTES:  # it grew
        raise _too_large(None, display)
    return data


def read_bytes(file: Path, display: str, roots: Iterable[Path] | None = None) -> bytes:
    """A file's bytes under the same limits and path rule as :func:`load_yaml` reads it."""
    return _read(file, display, roots)


def read_text(file: Path, display: str, kind: str, roots: Iterable[Path] | None = None) -> str:
    """A text file's content, with the limits and the UTF-8 rule of YAML files; problems carry
    codes named after ``kind`` (``bib-encoding``, ``ris-too-large``, …)."""
    try:
        return _decode(_read(file, display, roots), display)
    except StandpuntError as exc:
        if exc.code in _FILE_CODES:
            raise
        code = f"{kind}-" + exc.code.removeprefix("yaml-")
        raise StandpuntError(exc.message, exc.location, code) from None


#: Problems of a file as a file (not of its text): kept as they are.
_FILE_CODES = ("file-unreadable", "unsafe-file", "file-too-large")


def load_yaml(file: Path, display: str | None = None, roots: Iterable[Path] | None = None) -> Any:
    """Read and parse a YAML file; ``display`` (default: the path) is shown in errors. With
    ``roots``, a file whose real path is outside all of them is refused unread."""
    display = str(file) if display is None else display
    return parse_yaml(_read(file, display, roots), display)


# --------------------------------------------------------------------------- JSON

_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_BLANK = frozenset(" \t\n\r")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_JSON_LITERAL = re.compile(r"true|false|null")
#: What the parser expects next.
_VALUE, _KEY, _COLON, _NEXT = range(4)
_NO_COLON = "expected ':' here, between the key and its value"
_TRAILING_COMMA = "a comma just before '{}' is not allowed in JSON; remove it"
#: Plain-language versions of the json module's string errors, by a piece of their text.
_JSON_STRING_PROBLEMS = (
    (
        "Unterminated string",
        "the text in double quotes that starts here is never closed; add the closing '\"'",
    ),
    (
        "Invalid control character",
        "a line break, tab or other control character is not allowed inside double quotes in "
        "JSON; write it as an escape such as \\n or \\t",
    ),
    ("Invalid \\uXXXX", "'\\u' must be followed by four hexadecimal digits, as in \\u00e9"),
    (
        "Invalid \\escape",
        'inside double quotes a backslash must start an escape such as \\n or \\"; write \\\\ '
        "for a backslash itself",
    ),
)


def _json_error(
    message: str, path: str, text: str, index: int, code: str = "json-syntax"
) -> StandpuntError:
    """An error at ``text[index]``; lines are only counted here, on the way out."""
    line_start = text.rfind("\n", 0, index) + 1
    loc = Location(path, text.count("\n", 0, index) + 1, index - line_start + 1)
    return StandpuntError(message, loc, code)


def _parse_json(text: str, path: str) -> Any:
    """Parse JSON into located values, strictly as JSON, in one loop (no recursion).

    Strings are decoded by the json module's own ``scanstring``, so escapes behave exactly as
    in :func:`json.loads`; the rest is a few regular expressions. Numbers, ``true`` and
    ``false`` stay the text written (like YAML scalars here); ``null`` becomes None.
    """
    space = _JSON_SPACE.match
    size = len(text)
    containers: list[Any] = []  # open objects and arrays, innermost last
    keys: list[Any] = []  # for each open object: the key awaiting its value
    line, line_start, index, state = 1, 0, 0, _VALUE
    may_close = after_comma = False  # may_close: right after '[' or '{', which may end at once
    while True:
        if index < size and text[index] in _JSON_BLANK:
            end = space(text, index).end()  # type: ignore[union-attr]  # always matches
            newlines = text.count("\n", index, end)
            if newlines:
                line += newlines
                line_start = text.rfind("\n", index, end) + 1
            index = end
        if index == size:
            return _json_eof(containers, state == _VALUE, text, path)
        char = text[index]
        closing = may_close and char == ("}" if state == _KEY else "]")
        may_close = False
        if state == _NEXT or closing:  # after a value, or an empty container's end
            parent = containers[-1]
            is_mapping = type(parent) is YamlMapping
            if char == ",":
                state = _KEY if is_mapping else _VALUE
                after_comma = True
            elif char == ("}" if is_mapping else "]"):
                containers.pop()
                keys.pop()
                state = _NEXT
                if not containers:
                    return _json_end(parent, text, index + 1, path)
            else:
                raise _json_no_separator(is_mapping, text, index, path)
            index += 1
            continue
        if state == _COLON:
            if char != ":":
                raise _json_error(_NO_COLON, path, text, index)
            state = _VALUE
            index += 1
            continue
        if after_comma and char in "]}":
            raise _json_error(_TRAILING_COMMA.format(char), path, text, index)
        after_comma = False
        loc = Location(path, line, index - line_start + 1)
        if char == '"':
            node, end = _json_string(text, index, loc)
        else:
            node, end = _json_value(text, index, state == _KEY, loc, len(containers))
        if state == _KEY:
            first = containers[-1].key_locs.setdefault(node, loc)
            if first is not loc:
                raise _json_duplicate_key(node, first, text, index, path)
            keys[-1], state, index = node, _COLON, end
            continue
        index = end
        if containers:
            parent = containers[-1]
            if type(parent) is YamlList:
                parent.append(node)
                parent.item_locs.append(loc)
            else:
                parent[keys[-1]] = node
        if char == "{" or char == "[":
            containers.append(node)
            keys.append(None)
            state = _KEY if char == "{" else _VALUE
            may_close = True
        elif containers:
            state = _NEXT
        else:
            return _json_end(node, text, index, path)


def _json_value(text: str, index: int, key: bool, loc: Location, depth: int) -> tuple[Any, int]:
    """The value other than text that starts at ``text[index]``, and where it ends; a '{' or
    '[' gives the new, empty container (at nesting ``depth``). No key may start here."""
    char = text[index]
    if key:
        raise _json_error("expected a key in double quotes here", loc.path, text, index)
    if char == "{" or char == "[":
        if depth >= MAX_DEPTH:
            raise _as_json(_too_deep(loc))
        return YamlMapping(loc) if char == "{" else YamlList(loc), index + 1
    match = _JSON_NUMBER.match(text, index) or _JSON_LITERAL.match(text, index)
    if match is None:
        raise _json_error(
            "expected a value here: text in double quotes, a number, true, false, null, "
            "a list [...] or an object {...}",
            loc.path,
            text,
            index,
        )
    end = match.end()
    return None if char == "n" else Scalar(match.group(), loc, None, text, index, end), end


def _json_string(text: str, index: int, loc: Location) -> tuple[Scalar, int]:
    """The text in double quotes that starts at ``text[index]``, and where it ends."""
    try:
        value, end = scanstring(text, index + 1, True)
    except json.JSONDecodeError as exc:
        if text[exc.pos : exc.pos + 1] in ("\r", "\n"):
            raise _json_error(
                "the text in double quotes that starts here is not closed on its line; "
                "add the closing '\"' (write a line break inside the text as \\n)",
                loc.path,
                text,
                index,
            ) from None
        problem = next((p for key, p in _JSON_STRING_PROBLEMS if key in exc.msg), exc.msg)
        raise _json_error(problem, loc.path, text, exc.pos) from None
    if _SURROGATE.search(value):
        raise _json_error(
            "this text contains a '\\u' escape for half of a character pair (between "
            "\\uD800 and \\uDFFF) without its other half; write the character itself",
            loc.path,
            text,
            index,
            "json-escape",
        )
    return Scalar(value, loc, '"', text, index, end), end


def _json_eof(containers: list[Any], expecting_value: bool, text: str, path: str) -> None:
    """The text ends where a value may start: an empty file is None; anything else is cut off."""
    if containers:
        opened = containers[-1]
        bracket = "{" if type(opened) is YamlMapping else "["
        raise _json_error(
            f"the file ends too early: the '{bracket}' on line {opened.loc.line} is "
            "not closed, or something after it is missing",
            path,
            text,
            len(text),
        )
    if not expecting_value:
        raise _json_error("the file ends too early", path, text, len(text))
    return None  # an empty file, like an empty YAML file


def _json_no_separator(is_mapping: bool, text: str, index: int, path: str) -> StandpuntError:
    return _json_error(
        "expected ',' or '}' here: a comma between the object's entries, or its end"
        if is_mapping
        else "expected ',' or ']' here: a comma between the list's items, or its end",
        path,
        text,
        index,
    )


def _json_duplicate_key(
    key: str, first: Location, text: str, index: int, path: str
) -> StandpuntError:
    return _json_error(
        f"the key '{key}' appears twice, here and on line {first.line}; keep one of them",
        path,
        text,
        index,
        "json-duplicate-key",
    )


def _json_end(root: Any, text: str, index: int, path: str) -> Any:
    """``root``, after checking that nothing but spaces follows it."""
    end = _JSON_SPACE.match(text, index).end()  # type: ignore[union-attr]
    if end != len(text):
        raise _json_error(
            "there is more text after the end of the JSON data; remove it",
            path,
            text,
            end,
            "json-syntax",
        )
    return root


def load_json(file: Path, display: str | None = None, roots: Iterable[Path] | None = None) -> Any:
    """Read and parse a JSON file (e.g. a Zotero CSL-JSON export) into located values.

    Same size limit and UTF-8 rule as YAML files. Numbers, ``true`` and ``false`` stay the
    text written; ``null`` becomes None; an empty file gives None.
    """
    display = str(file) if display is None else display
    try:
        text = _decode(_read(file, display, roots), display)
    except StandpuntError as exc:
        raise (exc if exc.code in _FILE_CODES else _as_json(exc)) from None
    return _parse_json(text, display)


def parse_json(data: bytes, path: str) -> Any:
    """Parse JSON bytes (e.g. a file as committed in git) as :func:`load_json` parses a file."""
    try:
        text = _decode(data, path)
    except StandpuntError as exc:
        raise _as_json(exc) from None
    return _parse_json(text, path)


def _as_json(exc: StandpuntError) -> StandpuntError:
    """The same error under a ``json-`` code, as the user is reading a JSON file."""
    return StandpuntError(exc.message, exc.location, "json-" + exc.code.removeprefix("yaml-"))
