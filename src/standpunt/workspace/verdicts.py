"""Files found valid, remembered while their bytes are the same, with what is needed of them.

Validating standpunt.yaml or a signature file means the schema's pydantic models, and importing
them costs more than all the rest of ``status ID``, a command that reports no problem of
standpunt.yaml but its errors, and needs of it only a few settings. So wherever such a file is
found valid, those few values are kept in build/.standpunt-cache/ (one entry per file, named by
its path as shown), signed with the user's key like every cache entry
(:mod:`standpunt.workspace.cache`), under the SHA-256 of the file's bytes and a stamp of what
judged them: this version of Standpunt, the files that declare the schema (by size and time, so
that an edited schema is never believed on an old verdict) and the pydantic installed. A later
command that finds the same bytes takes the kept values without validating; any other bytes, an
entry of another stamp, or no entry, and the file is validated again. A file with problems is
never kept: validating it gives the problems each time. Like the keys of the evidence files,
they are kept by ``check`` (:func:`standpunt.workspace.read.keep_what_was_read`), so that no
other command leaves anything behind in the workspace.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standpunt import __version__
from standpunt.workspace.cache import entry_name, read_entry, write_entry

__all__ = ["FORMAT", "Valid", "keep", "kept"]

#: Raised when what an entry holds changes shape.
FORMAT = 1
_KIND = "valid"
#: The modules that declare the workspace's schema (its models, their validators, the limits,
#: statuses and PDF variants they allow).
SCHEMA = (
    Path(__file__).with_name("schema.py"),
    Path(__file__).parent.parent / "limits.py",
    Path(__file__).parent.parent / "choices.py",
)


@functools.cache
def _stamp(sources: tuple[Path, ...]) -> list[str]:
    """This Standpunt, the files declaring the schema, and pydantic: each file by size and
    time (an upgrade or an edit rewrites them), found without importing pydantic."""
    spec = importlib.util.find_spec("pydantic")
    pydantic = Path(spec.origin).with_name("version.py") if spec and spec.origin else None
    found = [__version__, str(FORMAT)]
    for path in (*SCHEMA, *sources, pydantic):
        try:
            info = os.stat(path) if path is not None else None
        except OSError:
            info = None
        found.append(f"{path}:{info.st_size}:{info.st_mtime_ns}" if info else "absent")
    return found


@dataclass(frozen=True)
class Valid:
    """A file just found valid, as :func:`keep` keeps it."""

    kind: str
    display: str
    data: bytes
    value: Any
    sources: tuple[Path, ...] = ()


def kept(root: Path, kind: str, display: str, data: bytes, sources: tuple[Path, ...] = ()) -> Any:
    """What :func:`keep` kept of the file shown as ``display``, found valid as a ``kind`` when
    it held these very bytes ``data`` and the schema (``sources``: further files declaring it)
    was the same; else None."""
    entry = read_entry(root, _KIND, entry_name(kind, display))
    if not isinstance(entry, dict) or entry.get("stamp") != _stamp(sources):
        return None
    if (entry.get("kind"), entry.get("display")) != (kind, display):
        return None
    if entry.get("bytes") != hashlib.sha256(data).hexdigest():
        return None
    return entry.get("value")


def keep(root: Path, valid: Valid) -> None:
    """Keep what is needed of a file just found valid (its ``value``, plain JSON data) in the
    workspace ``root``; written only when it differs from what was kept."""
    if kept(root, valid.kind, valid.display, valid.data, valid.sources) == valid.value:
        return
    entry = {
        "stamp": _stamp(valid.sources),
        "kind": valid.kind,
        "display": valid.display,
        "bytes": hashlib.sha256(valid.data).hexdigest(),
        "value": valid.value,
    }
    write_entry(root, _KIND, entry_name(valid.kind, valid.display), entry)
