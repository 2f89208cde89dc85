"""Which evidence keys each evidence file may define, kept while the file's bytes are the same.

``status ID`` and ``fingerprint ID`` need, of the evidence, only the entries that position cites:
in a coalition's workspace of dozens of evidence files holding thousands of entries, parsing them
all costs more than the rest of the command. So whenever evidence files are read, the keys each
file holds are kept in build/.standpunt-cache/ (one entry for all files), signed with the user's
key like every cache entry (:mod:`standpunt.workspace.cache`) by ``check`` and the commands
that read only some evidence, each file's keys under the SHA-256
of its bytes; a command that needs only some keys reads the files whose kept keys hold one of them,
and every file it has no kept keys for (new, changed, or unreadable last time).

The keys kept are a superset of those the file defines: every value of a field that names the
id (in any case), whether or not the entry is valid, so a file that defines a key is never passed
over. BibTeX and RIS files are always read (pandoc's conversion is kept by its own cache), and a
RIS record without an id takes a key made against every other key, so where a RIS file is found
every file is read. A corrupt, foreign or cut-off index is ignored, as every cache entry is.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from standpunt import __version__
from standpunt.workspace.cache import read_entry, write_entry
from standpunt.workspace.paths import MAX_HASHED_BYTES

__all__ = ["EvidenceIndex"]

#: Raised when what the entry holds changes shape.
FORMAT = 1
_KIND = "evidence-keys"
_NAME = "all"


def file_digest(path: Path) -> str | None:
    """SHA-256 of a regular file's bytes; None for anything else (a link, a FIFO, a file that
    cannot be read, or is larger than any evidence file read): such a file is read as usual."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_HASHED_BYTES:
                return None
            return hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError:
            return None


class EvidenceIndex:
    """The kept keys of each evidence file, by the file's name as shown and its bytes' hash."""

    def __init__(self, root: Path) -> None:
        self.root = root
        kept = read_entry(root, _KIND, _NAME)
        files = kept.get("files") if isinstance(kept, dict) else None
        ours = isinstance(kept, dict) and (kept.get("version"), kept.get("format")) == (
            __version__,
            FORMAT,
        )
        self.kept: dict[str, Any] = files if ours and isinstance(files, dict) else {}
        self.found: dict[str, list[Any]] = {}
        #: Every evidence file found, as shown, read or not.
        self.listed: list[str] = []

    def may_define(self, display: str, digest: str | None, wanted: set[str]) -> bool:
        """Whether the file may define one of the keys ``wanted``: true unless its kept keys,
        for these very bytes, hold none of them."""
        entry = self.kept.get(display)
        if digest is None or not isinstance(entry, list) or len(entry) != 2:
            return True
        kept_digest, keys = entry
        if kept_digest != digest or not isinstance(keys, list):
            return True
        return any(key in wanted for key in keys if isinstance(key, str)) or not all(
            isinstance(key, str) for key in keys
        )

    def note(self, display: str, digest: str | None, keys: Iterable[str]) -> None:
        """The keys a file just read holds (kept only when its bytes were hashed)."""
        if digest is not None:
            self.found[display] = [digest, sorted(set(keys))]

    def keep(self) -> None:
        """Keep what was read (with what was kept of the files :attr:`listed` but not read this
        time), when it differs from what was kept; files no longer listed are forgotten."""
        listed = self.listed
        merged = {**self.kept, **self.found}
        files = {name: merged[name] for name in listed if name in merged}
        if self.found and files != self.kept:
            entry = {"version": __version__, "format": FORMAT, "files": files}
            write_entry(self.root, _KIND, _NAME, entry)
