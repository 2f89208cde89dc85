"""Entries written as CSL-YAML text: a new evidence file, entries appended to one, or some of
its entries written anew.

An existing file is never dumped again: new entries are appended as text, and an entry written
anew replaces only its own lines, so the file's comments, its order and the quoting of every
other entry stay exactly as the user wrote them. The result is read back before it is written
(atomically): the other entries must read as before and the new ones as meant, or nothing is
written.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from standpunt.errors import Location, StandpuntError
from standpunt.workspace.files import create_atomic, write_atomic
from standpunt.workspace.load import MAX_BYTES, YamlList, YamlMapping, parse_yaml, to_plain
from standpunt.workspace.paths import FileRefused, read_bounded

_BOM = "\ufeff"
#: Where YAML ends a line (as the reader counts lines for locations).
_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


def _plain_scalar(text: str) -> str:
    """``text`` as a YAML scalar on one line: plain where YAML reads it back as this very text,
    else double-quoted (PyYAML's emitter decides, and escapes what must be)."""
    written: str = yaml.safe_dump(text, allow_unicode=True, width=math.inf)
    written = written.removesuffix("\n...\n").removesuffix("\n")
    if _LINE_BREAK.search(written):  # a quoted scalar over lines folds its line breaks
        written = yaml.safe_dump(text, allow_unicode=True, width=math.inf, default_style='"')
        written = written.removesuffix("\n")
    return written


def _scalar(value: Any, flow: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    # Inside [...] a plain scalar may not hold ',' or brackets: JSON's quoting is YAML's too.
    return json.dumps(text) if flow else _plain_scalar(text)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int)) or value is None


def _inline(value: Any) -> bool:
    """Whether ``value`` is written on its key's line: text, or a list of texts and lists of
    texts (``date-parts: [[2018, 2, 26]]``)."""
    if _is_scalar(value):
        return True
    if isinstance(value, list):
        return all(
            _is_scalar(v) or (isinstance(v, list) and all(map(_is_scalar, v))) for v in value
        )
    return isinstance(value, Mapping) and not value


def _inline_text(value: Any) -> str:
    if isinstance(value, list):
        inner = (_inline_text(v) if isinstance(v, list) else _scalar(v, True) for v in value)
        return "[" + ", ".join(inner) + "]"
    if isinstance(value, Mapping):
        return "{}"
    return _scalar(value)


def _field(key: str, value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if _inline(value):
        return [f"{pad}{_scalar(key)}: {_inline_text(value)}"]
    lines = [f"{pad}{_scalar(key)}:"]
    if isinstance(value, Mapping):
        for name, inner in value.items():
            lines += _field(str(name), inner, indent + 2)
    else:
        for item in value:
            lines += _item(item, indent + 2)
    return lines


def _item(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if _inline(value):
        return [f"{pad}- {_inline_text(value)}"]
    if isinstance(value, Mapping):
        lines = [line for k, v in value.items() for line in _field(str(k), v, indent + 2)]
        lines[0] = f"{pad}- {lines[0][indent + 2 :]}"
        return lines
    return [f"{pad}-", *(line for inner in value for line in _item(inner, indent + 2))]


def entry_text(entry: Mapping[str, Any], indent: int = 0) -> list[str]:
    """The lines of one entry as an item of a list whose dashes stand at column ``indent``."""
    return _item(dict(entry), indent)


def as_read(value: Any) -> Any:
    """``value`` as Standpunt's YAML reader gives it back: every scalar as text."""
    if isinstance(value, Mapping):
        return {str(k): as_read(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_read(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Written:
    """Entries written: the file as the user sees it, and the line where each entry starts."""

    file: str
    lines: list[int]


def write_new_file(path: Path, display: str, header: str, entries: list[dict[str, Any]]) -> Written:
    """A new CSL-YAML file holding ``entries``, after the comment lines ``header``; never
    replaces a file (an error names it)."""
    text = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    text, lines = _joined(text, entries, 0, "\n", blank=True)
    _verify(text, display, [], entries, None)
    try:
        create_atomic(path, text.encode("utf-8"))
    except FileExistsError:
        raise StandpuntError(
            f"{display} exists already, and Standpunt does not overwrite it; choose another "
            "file with --to, or move that one away first",
            Location(display),
            "file-exists",
        ) from None
    return Written(display, lines)


def append_entries(path: Path, display: str, entries: list[dict[str, Any]]) -> Written:
    """Append ``entries`` to the CSL-YAML file ``path`` (a new file if there is none), keeping
    every byte already there."""
    if not path.exists():
        header = "References added by 'standpunt evidence add', as CSL-YAML."
        return write_new_file(path, display, header, entries)
    text = _text_of(path, display, "add to")
    listed, indent, path_to_list = _list_of(text, display)
    old = [to_plain(item) for item in listed]
    newline = "\r\n" if "\r\n" in text else "\n"
    lead = text if not text or text.endswith(("\n", "\r")) else text + newline
    # A blank line between entries, unless the last value keeps its trailing blank lines (|+).
    for blank in (bool(lead.strip()), False):
        new, lines = _joined(lead, entries, indent, newline, blank)
        if _verify(new, display, old, entries, path_to_list, raise_error=not blank):
            write_atomic(path, new.encode("utf-8"))
            return Written(display, lines)
    raise AssertionError("unreachable: the last attempt raises")  # pragma: no cover


def update_entries(
    path: Path,
    display: str,
    changed: Mapping[int, Mapping[str, Any]],
    added: list[dict[str, Any]],
) -> Written:
    """Write anew, in the CSL-YAML file ``path``, the fields ``changed`` of the entries at those
    places (each field in the lines of the one it replaces, a new one after the entry's last),
    and append ``added``; every other byte stays, the entries' other fields and comments too.
    The lines of a field written anew that hold a '#' are kept above it as comments: a note
    written there is never lost. Returns where each added entry starts."""
    text = _text_of(path, display, "update")
    items, indent, key = _list_of(text, display, "updated")
    old = [to_plain(item) for item in items]
    lines = _LINE_BREAK.split(text.removeprefix(_BOM))
    newline = "\r\n" if "\r\n" in text else "\n"
    starts = [where.line - 1 for where in items.item_locs]
    pieces, done = [], 0
    for index in sorted(changed):
        item = items[index]
        first = starts[index]
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        while end > first + 1 and _between(lines[end - 1], indent):
            end -= 1  # a comment or a blank line after the entry is not the entry's
        if not isinstance(item, YamlMapping) or not _dash_at(lines[first], indent):
            raise StandpuntError(
                f"{display} does not hold its references one per '- id:' line, so one cannot "
                "be written anew; import into another file with --to",
                items.item_locs[index],
                "cannot-update",
            )
        pieces += [*lines[done:first], *_entry_anew(lines[first:end], first, item, changed[index])]
        done = end
    body = newline.join([*pieces, *lines[done:]])
    body = (_BOM if text.startswith(_BOM) else "") + body
    expected = [{**item, **changed[n]} if n in changed else item for n, item in enumerate(old)]
    lead = body if not body or body.endswith(("\n", "\r")) else body + newline
    new, starts_of_added = _joined(lead, added, indent, newline, blank=bool(added))
    _verify(new, display, [], [*expected, *added], key, action="updated in")
    write_atomic(path, new.encode("utf-8"))
    return Written(display, starts_of_added)


def _dash_at(line: str, indent: int) -> bool:
    return not line[:indent].strip() and line[indent:].startswith("-")


def _entry_anew(
    lines: list[str], first: int, item: YamlMapping, fields: Mapping[str, Any]
) -> list[str]:
    """The lines of one entry (``lines``, from the file's line ``first``) with ``fields``
    written anew: a field in its own lines, a new one after the last."""
    keys = sorted(
        (where.line - 1 - first, where.col - 1, name)
        for name, where in item.key_locs.items()
        if isinstance(name, str)
    )
    spans: dict[str, tuple[int, int, int]] = {}  # field → its first line, end, column
    for n, (line, col, name) in enumerate(keys):
        end = keys[n + 1][0] if n + 1 < len(keys) else len(lines)
        while end > line + 1 and _between(lines[end - 1], col):
            end -= 1  # comments before the next field are that field's
        spans[name] = (line, end, col)
    column = next((col for line, col, _ in keys if line > 0), keys[0][1] if keys else 2)
    replaced: list[tuple[int, int, list[str]]] = []
    for name, value in fields.items():
        if name not in spans:
            continue
        line, end, col = spans[name]
        if line == 0:  # on the dash's own line: the entry is written anew (never its id)
            raise StandpuntError(
                f"the field '{name}' stands on the line of its entry's '-', so it cannot be "
                "written anew on its own; import into another file with --to",
                item.key_locs[name],
                "cannot-update",
            )
        before = lines[line:end]
        kept = []
        if any("#" in old for old in before):
            kept = [" " * col + "# before 'standpunt evidence import --update':"]
            kept += [
                " " * col + "# " + (old[col:] if not old[:col].strip() else old.strip())
                for old in before
                if old.strip()
            ]
        replaced.append((line, end, [*kept, *_field(name, value, col)]))
    last = max((end for _, end, _ in spans.values()), default=len(lines))
    new = [
        line
        for name, value in fields.items()
        if name not in spans
        for line in _field(name, value, column)
    ]
    if new:
        replaced.append((last, last, new))
    result, done = [], 0
    for line, end, written in sorted(replaced, key=lambda r: (r[0], r[1])):
        result += [*lines[done:line], *written]
        done = end
    return [*result, *lines[done:]]


def _between(line: str, indent: int) -> bool:
    """Whether ``line`` lies between two entries whose dashes stand at column ``indent``: blank,
    or a comment no further in than the dashes (one further in may be a block text's line)."""
    stripped = line.lstrip(" ")
    return not stripped or (stripped.startswith("#") and len(line) - len(stripped) <= indent)


def _text_of(path: Path, display: str, action: str) -> str:
    """The text of the CSL-YAML file ``path``, bounded; an error says to ``action`` another."""
    try:
        data = read_bounded(path, display, MAX_BYTES)
    except FileRefused as exc:
        raise StandpuntError(
            f"{exc.message}; {action} another file with --to", Location(display), exc.code
        ) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise StandpuntError(
            f"{display} is not UTF-8 text; run 'standpunt check' to see where",
            Location(display),
            "not-utf8",
        ) from None


def _joined(
    text: str, entries: list[dict[str, Any]], indent: int, newline: str, blank: bool
) -> tuple[str, list[int]]:
    lines: list[int] = []
    line = text.count("\n") + 1
    parts = [text]
    for entry in entries:
        if blank:
            parts.append(newline)
            line += 1
        lines.append(line)
        written = entry_text(entry, indent)
        parts.append(newline.join(written) + newline)
        line += len(written)
        blank = True
    return "".join(parts), lines


def _list_of(
    text: str, display: str, action: str = "added at its end"
) -> tuple[YamlList, int, str | None]:
    """The entries a file holds (located, as read), the column of their dashes, and
    ``references`` if they are under that key; an error if entries cannot be ``action`` as
    text."""
    raw = parse_yaml(text.removeprefix(_BOM), display)
    key = None
    if isinstance(raw, YamlMapping) and set(raw) == {"references"}:
        raw, key = raw["references"], "references"
    if raw is None and key is None:
        return YamlList(Location(display, 1, 1)), 0, None
    problem = (
        f"{display} does not hold a list of references written one per '- id:' line, so "
        f"they cannot be {action}; choose another file with --to"
    )
    code = "cannot-append" if action.startswith("added") else "cannot-update"
    if not isinstance(raw, YamlList) or not raw:
        raise StandpuntError(problem, Location(display, 1, 1), code)
    first = raw.item_locs[0]
    line = _LINE_BREAK.split(text.removeprefix(_BOM))[first.line - 1]
    before = line[: first.col - 1].rstrip()
    if not before.endswith("-") or before[:-1].strip():
        raise StandpuntError(problem, first, code)
    return raw, len(before) - 1, key


def _verify(
    text: str,
    display: str,
    old: list[Any],
    entries: list[dict[str, Any]],
    key: str | None,
    raise_error: bool = True,
    action: str = "added to",
) -> bool:
    """Whether ``text`` reads as the old entries followed by the new ones."""
    try:
        raw = to_plain(parse_yaml(text.removeprefix(_BOM), display))
    except StandpuntError:
        raw = None
    items = raw.get(key) if key and isinstance(raw, dict) else raw
    expected = [*old, *(as_read(entry) for entry in entries)]
    if items == expected:
        return True
    if raise_error:
        raise StandpuntError(
            f"the entries could not be {action} {display} without changing what else it holds; "
            "write them to another file with --to",
            Location(display),
            "cannot-append",
        )
    return False
