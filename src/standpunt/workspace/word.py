"""A partner's Word copy of a position read back: which of its texts the partner changed, and
those changes written into the position's YAML.

``build --format docx`` writes a document whose level-1 headings are, in order, the summary's
(if the position has one), the asks' (then the asks as one numbered list), one per section, and
the bibliography's; a section's pull quote is a paragraph in the style "Standpunt Quote". Word
keeps that structure through editing and tracked changes, and this module reads it back by that
order: the partner may change every word, but a section or ask added or removed is a change of
structure, which is reported and not applied (copy it by hand).

pandoc reads the copy (``docx+citations+styles``, tracked changes accepted: the partner's
text), its Zotero fields as citations of the keys they carry, and ``docx_back.lua`` writes each
text back as Markdown and says whether it still says what the current text says. Applying
rewrites only the changed values in the YAML file, as text: every comment, every other value
and the file's layout stay as they are.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from standpunt.errors import Location, StandpuntError
from standpunt.pandoc import MARKDOWN_FORMAT, run_pandoc
from standpunt.workspace.load import Scalar, YamlMapping, parse_yaml

BACK = Path(__file__).parent.parent / "cite" / "docx_back.lua"
#: What a copy may be: its size, the parts it holds and what they hold once inflated.
MAX_DOCX_BYTES = 20 * 1024 * 1024
MAX_PARTS = 2000
MAX_INFLATED = 200 * 1024 * 1024
QUOTE_STYLE = "Standpunt Quote"
_PROPERTY = re.compile(
    r'<property[^>]*\bname="(standpunt-position|standpunt-fingerprint)"[^>]*>\s*'
    r"<vt:lpwstr>([^<]{0,200})</vt:lpwstr>"
)


@dataclass
class WordCopy:
    """What a Word copy holds: the position and fingerprint it was made from, each text by its
    key (``title``, ``summary``, ``recommendations.1``, ``sections.2.body``…) as Markdown, the
    keys whose text changed, and changes of structure it cannot apply."""

    position: str | None
    fingerprint: str | None
    texts: dict[str, str]
    changed: list[str]
    structure: list[str] = field(default_factory=list)


def check_docx(path: Path) -> dict[str, str]:
    """Refuse what is no Word document, or one whose parts would inflate past the limits,
    before pandoc reads it; the custom properties Standpunt wrote, by name."""
    where = Location(str(path))
    try:
        size = path.stat().st_size
        if size > MAX_DOCX_BYTES:
            raise StandpuntError(
                f"this file holds {size // 1_000_000} MB; a Word copy of a position holds a few "
                "hundred kilobytes",
                where,
                "docx-too-large",
            )
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            inflated = sum(part.file_size for part in parts)
            if len(parts) > MAX_PARTS or inflated > MAX_INFLATED:
                raise StandpuntError(
                    "this file would unpack to more than a Word document holds; it is not read",
                    where,
                    "docx-too-large",
                )
            names = {part.filename: part for part in parts}
            if "word/document.xml" not in names:
                raise zipfile.BadZipFile("no word/document.xml")
            custom = names.get("docProps/custom.xml")
            text = archive.read(custom).decode("utf-8", "replace") if custom else ""
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise StandpuntError(
            f"this is not a Word document (.docx) ({exc}); give the file the partner sent back",
            where,
            "not-docx",
        ) from None
    return dict(_PROPERTY.findall(text))


def read_copy(path: Path, current: Any, aliases: dict[str, str] | None = None) -> WordCopy:
    """The texts of a Word copy of the position whose YAML is ``current`` (plain or located);
    ``aliases`` maps keys its texts cite (``doi:…``) to the evidence ids the copy carries."""
    properties = check_docx(path)
    document = json.loads(
        run_pandoc(
            [
                "--from", "docx+citations+styles",
                "--track-changes", "accept",
                "--to", "json",
                str(path),
            ],
            "",
        )
    )  # fmt: skip
    texts, structure = _fields(document, current)
    written = _written(document, texts, current, aliases or {})
    changed = [key for key, (_, same) in written.items() if not same]
    return WordCopy(
        position=properties.get("standpunt-position"),
        fingerprint=properties.get("standpunt-fingerprint"),
        texts={key: markdown for key, (markdown, _) in written.items()},
        changed=changed,
        structure=structure,
    )


# --- the copy's structure ----------------------------------------------------------------------


def _fields(document: dict[str, Any], current: Any) -> tuple[dict[str, Any], list[str]]:
    """Each text's blocks (or inlines, for titles) by key, and what changed in the structure."""
    blocks = document.get("blocks", [])
    meta = document.get("meta", {})
    found: dict[str, Any] = {}
    for name in ("title", "subtitle"):
        value = meta.get(name)
        if value is not None:
            found[name] = [{"t": "Plain", "c": _inlines(value)}]
    headings = [i for i, block in enumerate(blocks) if _level(block) == 1]
    summary = isinstance(current.get("summary"), str)
    asks = list(current.get("recommendations") or [])
    sections = list(current.get("sections") or [])
    expected = int(summary) + int(bool(asks)) + len(sections) + 1
    if len(headings) != expected:
        return found, [
            f"the copy has {len(headings) - 1 - int(summary) - int(bool(asks))} section(s) where "
            f"the position has {len(sections)}: a section added or removed in Word is not "
            "applied; copy it into the YAML by hand"
        ]
    parts = [
        blocks[start + 1 : end]
        for start, end in zip(headings, [*headings[1:], len(blocks)], strict=True)
    ]
    index = 0
    structure: list[str] = []
    if summary:
        found["summary"] = parts[index]
        index += 1
    if asks:
        structure += _asks(parts[index], len(asks), found)
        index += 1
    for number, section in enumerate(sections, start=1):
        heading = blocks[headings[index]]
        found[f"sections.{number}.title"] = [{"t": "Plain", "c": heading["c"][2]}]
        body, quote = _body_and_quote(parts[index])
        found[f"sections.{number}.body"] = body
        had_quote = isinstance(section.get("quote") if isinstance(section, dict) else None, str)
        if quote is not None and had_quote:
            found[f"sections.{number}.quote"] = quote
        elif quote is not None or had_quote:
            what = "added" if quote is not None else "removed"
            structure.append(f"the pull quote of section {number} was {what}; not applied")
        index += 1
    return found, structure


def _asks(blocks: list[Any], count: int, found: dict[str, Any]) -> list[str]:
    lists = [block for block in blocks if block.get("t") == "OrderedList"]
    items = lists[0]["c"][1] if len(lists) == 1 else []
    if len(items) != count:
        return [
            f"the copy has {len(items)} ask(s) where the position has {count}: an ask added or "
            "removed in Word is not applied; copy it into the YAML by hand"
        ]
    for number, item in enumerate(items, start=1):
        found[f"recommendations.{number}"] = item
    return []


def _body_and_quote(blocks: list[Any]) -> tuple[list[Any], list[Any] | None]:
    body, quote = [], None
    for block in blocks:
        if block.get("t") == "Div" and dict(block["c"][0][2]).get("custom-style") == QUOTE_STYLE:
            quote = (quote or []) + block["c"][1]
        else:
            body.append(block)
    return body, quote


def _level(block: dict[str, Any]) -> int | None:
    return block["c"][0] if block.get("t") == "Header" else None


def _inlines(value: dict[str, Any]) -> list[Any]:
    if value.get("t") == "MetaInlines":
        return list(value["c"])
    if value.get("t") == "MetaString":
        return [{"t": "Str", "c": value["c"]}]
    return []


# --- back to Markdown --------------------------------------------------------------------------


def _written(
    document: dict[str, Any], found: dict[str, Any], current: Any, aliases: dict[str, str]
) -> dict[str, tuple[str, bool]]:
    """Each text of the copy as Markdown, and whether it says what the current text says."""
    now = {key: _current(current, key) for key in found}
    meta = {
        "standpunt-current": _meta(json.dumps(now, ensure_ascii=False)),
        "standpunt-format": _meta(MARKDOWN_FORMAT),
        "standpunt-aliases": _meta(json.dumps(aliases, ensure_ascii=False)),
    }
    divs = [{"t": "Div", "c": [[key, [], []], blocks]} for key, blocks in found.items()]
    request = {"pandoc-api-version": document["pandoc-api-version"], "meta": meta, "blocks": divs}
    # One line per paragraph: a line break never falls inside a citation
    args = ["--from", "json", "--to", str(BACK), "--wrap", "none"]
    answer = json.loads(run_pandoc(args, json.dumps(request, ensure_ascii=False)))
    return {
        key: (value["markdown"].strip() + "\n", bool(value["same"]))
        for key, value in answer.items()
    }


def _meta(text: str) -> dict[str, Any]:
    return {"t": "MetaString", "c": text}


def _current(position: Any, key: str) -> str | None:
    """The current text of ``key`` in a position's YAML (plain or located)."""
    node: Any = position
    for step in text_path(key):
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and step < len(node) else None
        else:
            node = node.get(step) if isinstance(node, dict) else None
    return str(node) if isinstance(node, str) else None


def text_path(key: str) -> tuple[str | int, ...]:
    """``sections.2.body`` → ("sections", 1, "body"): numbers count from 1 in keys."""
    return tuple(int(part) - 1 if part.isdigit() else part for part in key.split("."))


# --- applying ----------------------------------------------------------------------------------


def applied(source: str, raw: YamlMapping, changes: dict[str, str], display: str) -> str:
    """``source`` (the YAML file ``raw`` was read from) with each changed text in ``changes``
    written in place of the current one; every other byte kept. Checked by reading it back."""
    edits = []
    for key, text in changes.items():
        node = _node(raw, key)
        if not isinstance(node, Scalar) or not node.end:
            raise StandpuntError(
                f"'{key}' cannot be rewritten in place", Location(display), "apply-failed"
            )
        edits.append((node.start, node.end, _scalar_text(source, node, text, key, display)))
    result = source
    for start, end, replacement in sorted(edits, reverse=True):
        result = result[:start] + replacement + result[end:]
    reread = parse_yaml(result.encode("utf-8"), display)
    for key, text in changes.items():
        if str(_node(reread, key)).rstrip("\n") != text.rstrip("\n"):
            raise StandpuntError(
                f"'{key}' would not read back as written; nothing was changed",
                Location(display),
                "apply-failed",
            )
    return result


def _node(raw: Any, key: str) -> Any:
    node = raw
    for step in text_path(key):
        node = node[step]
    return node


def _scalar_text(source: str, node: Scalar, text: str, key: str, display: str) -> str:
    """The YAML for ``text`` in place of ``node``: a quoted line for one line written on one
    line, else a block (``|``) indented as the old one was, or past its key."""
    body = text.rstrip("\n")
    block = node.style in ("|", ">")
    if "\n" not in body and not block:
        return json.dumps(body, ensure_ascii=False)
    old = source[node.start : node.end]
    if block:
        content = [line for line in old.split("\n")[1:] if line.strip()]
        width = len(content[0]) - len(content[0].lstrip(" ")) if content else 2
    else:
        line_end = source.find("\n", node.end)
        if source[node.end : line_end if line_end >= 0 else len(source)].strip():
            raise StandpuntError(
                f"'{key}' has more on its line after the value; write it as a block (|) by "
                "hand first, then apply again",
                Location(display),
                "apply-failed",
            )
        width = _key_column(source, node.start) + 2
    indent = " " * width
    lines = "\n".join(indent + part if part else "" for part in body.split("\n"))
    indicator = str(width - _parent_column(source, node.start)) if body[:1] == " " else ""
    if not block:
        return f"|{indicator}\n{lines}"  # the line's own line break follows
    trailing = old[len(old.rstrip("\n")) :]
    return f"|{indicator}\n{lines}{trailing or chr(10)}"


def _key_column(source: str, index: int) -> int:
    """The column of the key (or list dash's item) a value at ``index`` belongs to."""
    line_start = source.rfind("\n", 0, index) + 1
    line = source[line_start:index]
    column = len(line) - len(line.lstrip(" "))
    rest = line.lstrip(" ")
    while rest.startswith("- "):
        column += 2
        rest = rest[2:].lstrip(" ")
    return column


def _parent_column(source: str, index: int) -> int:
    line_start = source.rfind("\n", 0, index) + 1
    line = source[line_start:index]
    return len(line) - len(line.lstrip(" "))
