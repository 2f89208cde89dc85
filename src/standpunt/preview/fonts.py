"""The design's fonts in the preview: the page is set in the typefaces of the PDF.

The HTML page a build writes is self-contained: it leaves the design's ``@font-face`` rules out,
and a reader who opens build/<id>.html sees it in their own fonts. The preview puts those rules
back into each page it serves (cleaned like any CSS of a page, :func:`clean_css`) and serves the
font files they name, and nothing else: a file is served only when one of the design's
``@font-face`` rules names it by a relative path of plain names (no ``..``, no hidden or escaped
name), when it is of a font type (TrueType, OpenType, WOFF, WOFF2) and lies inside the folder of
the design's style sheet, reached without following a link at any step, and is a regular file
of at most :data:`MAX_FONT_BYTES`. The path a request names is only ever compared with those
names; it is never joined to a folder as it stands.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tinycss2

from standpunt.errors import StandpuntError
from standpunt.render.sanitise import clean_css
from standpunt.workspace.paths import read_bounded
from standpunt.workspace.templates import TemplateSet

#: The font types served, by the file name's ending, with their Content-Type.
FONT_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}
#: The largest font file served.
MAX_FONT_BYTES = 32 * 2**20
#: One step of a font's path: a plain name, starting with a letter or digit.
_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
_MAX_PARTS = 8


@dataclass(frozen=True)
class Design:
    """The fonts of a design: its folder, its ``@font-face`` rules (cleaned) and the relative
    paths of the font files they name."""

    folder: Path
    faces: str
    files: frozenset[str]


def font_path(url: str) -> str | None:
    """``url`` as the relative path of a font file (``fonts/Inter-Regular.otf``), or None when
    it is not a plain relative path of a font type."""
    parts = url.removeprefix("./").split("/")
    if len(parts) > _MAX_PARTS or not all(_PART.fullmatch(part) for part in parts):
        return None
    return "/".join(parts) if parts[-1].lower().endswith(tuple(FONT_TYPES)) else None


def _urls(nodes: list[Any]) -> list[str]:
    """The URLs of ``url(…)`` in a rule's declarations, quoted or not."""
    found = []
    for node in nodes:
        if node.type == "url":
            found.append(node.value)
        elif node.type == "function" and node.lower_name == "url":
            found += [arg.value for arg in node.arguments if arg.type == "string"]
    return found


def faces_of(folder: Path, css: str) -> Design:
    """The ``@font-face`` rules of the style sheet ``css`` found in ``folder``."""
    rules = [
        rule
        for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
        if rule.type == "at-rule" and rule.lower_at_keyword == "font-face"
    ]
    urls = [url for rule in rules for url in _urls(rule.content or [])]
    files = {path for url in urls if (path := font_path(url)) is not None}
    faces = clean_css("\n".join(rule.serialize() for rule in rules))
    return Design(folder, faces, frozenset(files))


class DesignFonts:
    """The fonts of the design a workspace uses, read again when its style sheet changed."""

    def __init__(self) -> None:
        self.current: Design | None = None
        self._read: tuple[Path, bytes] | None = None

    def update(self, templates: TemplateSet) -> None:
        """Take the fonts of ``templates``' style sheet (the first folder holding one, as the
        pages use it); none when it cannot be read (the build says why)."""
        from standpunt.render.template import MAX_STYLESHEET_BYTES, STYLESHEET

        for folder in templates.folders:
            path = folder / STYLESHEET
            if not path.is_file() and not path.is_symlink():
                continue
            try:
                data = read_bounded(path, STYLESHEET, MAX_STYLESHEET_BYTES, [folder])
                if self._read != (folder, data):
                    self.current = faces_of(folder, data.decode("utf-8"))
                    self._read = (folder, data)
            except (StandpuntError, UnicodeDecodeError):
                self.current, self._read = None, None
            return
        self.current, self._read = None, None


@dataclass(frozen=True)
class Font:
    data: bytes
    kind: str
    tag: str


def read_font(design: Design | None, requested: str) -> Font | None:
    """The font file ``requested`` (a path relative to the design's folder, as a page asks for
    it), if the design names it and it may be served; else None."""
    if design is None or requested not in design.files or font_path(requested) != requested:
        return None
    parts = requested.split("/")
    descriptor = _open_inside(design.folder, parts)
    if descriptor is None:
        return None
    with os.fdopen(descriptor, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_FONT_BYTES:
            return None
        data = file.read(status.st_size + 1)[: status.st_size]
    kind = FONT_TYPES[Path(parts[-1]).suffix.lower()]
    return Font(data, kind, f'"{status.st_size:x}-{status.st_mtime_ns:x}"')


def _open_inside(folder: Path, parts: list[str]) -> int | None:
    """The file ``folder``/``parts``, opened for reading one step at a time without following
    a link at any step (nor waiting on a FIFO); None if any step is refused."""
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    if not nofollow or os.open not in os.supports_dir_fd:
        return _open_checked(folder, parts)
    try:
        current = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        for part in parts[:-1]:
            step = os.open(part, os.O_RDONLY | os.O_DIRECTORY | nofollow, dir_fd=current)
            os.close(current)
            current = step
        flags = os.O_RDONLY | nofollow | getattr(os, "O_NONBLOCK", 0)
        return os.open(parts[-1], flags, dir_fd=current)
    except OSError:
        return None
    finally:
        os.close(current)


def _open_checked(folder: Path, parts: list[str]) -> int | None:
    """:func:`_open_inside` where the system opens no file relative to a folder: each step is
    looked at (not followed) first."""
    path = folder
    for part in parts:
        path = path / part
        try:
            if stat.S_ISLNK(os.lstat(path).st_mode):
                return None
        except OSError:
            return None
    try:
        return os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
