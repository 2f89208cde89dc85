"""A workspace's names and paths: where it is, which ids may name files, which files are read.

The one rule for every file a workspace holds, read or written: a regular file whose real path
(every link resolved) is inside the workspace, of a size checked before it is read. A link that
leads out of the workspace, a dangling link, a device or a FIFO is never read — not for a
position, standpunt.yaml, a signature, the build state or a template, not even to hash it for
change detection — and a folder Standpunt writes into must be a real folder inside
(:func:`inside_folder`). :func:`open_regular` opens a file under this rule (a FIFO is opened
without waiting for a writer, then refused), :func:`read_bounded` reads one up to a limit, and
:func:`stream_digest` hashes one in pieces, so no file is ever read whole into memory unchecked.

Light on purpose (no pydantic): the build command uses it before starting its workers.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from standpunt.errors import Location, StandpuntError, UsageError

#: The file that makes a folder a workspace.
CONFIG_FILE = "standpunt.yaml"
#: A workspace's folders: its positions, its evidence, the partners' co-signatures, its own
#: templates, images (logos) and the outputs, which are not versioned.
POSITIONS_DIR = "positions"
EVIDENCE_DIR = "evidence"
SIGNATURES_DIR = "signatures"
TEMPLATES_DIR = "templates"
ASSETS_DIR = "assets"
BUILD_DIR = "build"
#: Inside build/: what is kept between runs because it is slow to make (resolved citations,
#: converted .bib and .ris files), each under the hash of what it was made from.
CACHE_DIR = ".standpunt-cache"
#: How a YAML file (a position, a signature, an evidence file) may be named.
YAML_SUFFIXES = (".yaml", ".yml")
#: The evidence files read by pandoc (:mod:`standpunt.workspace.bibliography`), by suffix, and
#: the name people know their format by.
BIBLIOGRAPHY_FORMATS = {".bib": "BibTeX", ".ris": "RIS"}
#: The templates that come with Standpunt, laid out like a workspace's templates/ folder.
BUILTIN_TEMPLATES = Path(__file__).parent.parent / TEMPLATES_DIR

#: The longest a position id or a partner key may be.
MAX_ID_LENGTH = 64
#: A position's id is its file stem; it names the output file, so it is kept to a safe pattern.
ID_PATTERN = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{MAX_ID_LENGTH - 1}}}")
#: Names Windows reserves for devices: a file called con.pdf cannot be opened there.
RESERVED_IDS = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{n}" for n in range(1, 10)]
    + [f"lpt{n}" for n in range(1, 10)]
)


#: The rule for ids and keys as a message states it, after "may hold only".
ID_RULE = (
    f"lower-case letters, digits and '-' (at most {MAX_ID_LENGTH}, starting with a letter or "
    "digit, and not a name Windows reserves such as 'con')"
)


def valid_id(value: str) -> bool:
    """Whether ``value`` may name a position (and so an output file) on every system."""
    return bool(ID_PATTERN.fullmatch(value)) and value not in RESERVED_IDS


def valid_key(value: str) -> bool:
    """Whether ``value`` may be a partner's key: the rule of an id, as keys name files too
    (signatures/<id>/<key>.yaml, a partner's edition)."""
    return valid_id(value)


def inside(path: Path, roots: Iterable[Path]) -> bool:
    """Whether ``path``'s real location (links resolved) is inside one of ``roots``."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return any(real.is_relative_to(root.resolve()) for root in roots)


def readable_file(path: Path, roots: Iterable[Path]) -> bool:
    """Whether ``path`` is a regular file, really inside one of ``roots``."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) and inside(path, roots)


class FileRefused(StandpuntError):
    """A file the path rule does not let Standpunt read or write (code ``unsafe-file``,
    ``file-unreadable`` or ``file-too-large``); ``reason`` is the message without a location."""

    def __init__(self, display: str, reason: str, code: str = "unsafe-file") -> None:
        super().__init__(reason, Location(display), code)
        self.reason = reason


def open_regular(path: Path, display: str, roots: Iterable[Path] | None = None) -> BinaryIO:
    """``path`` opened for reading, if it is a regular file (inside one of ``roots``, when
    given); else :class:`FileRefused`. A FIFO or device is opened without waiting and refused,
    so it cannot hang a command."""
    if roots is not None and not inside(path, roots):
        if path.is_symlink() or os.path.lexists(path):
            raise FileRefused(
                display,
                "this file is a link to a place outside the workspace; Standpunt reads only "
                "files inside it, so put the file itself here",
            )
        raise FileRefused(display, "this file does not exist", "file-unreadable")
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FileRefused(
            display,
            f"cannot read this file ({exc.strerror or exc}); check that it exists and that "
            "you may read it",
            "file-unreadable",
        ) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileRefused(
                display,
                "this is not a regular file (it is a folder, a device or a pipe); Standpunt "
                "reads only regular files",
                "file-unreadable",
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bounded(
    path: Path, display: str, limit: int, roots: Iterable[Path] | None = None
) -> bytes:
    """A regular file's bytes (see :func:`open_regular`), refused before reading when it is
    larger than ``limit`` bytes."""
    with open_regular(path, display, roots) as handle:
        size = os.fstat(handle.fileno()).st_size
        data = handle.read(limit + 1) if size <= limit else b""
    if size > limit or len(data) > limit:
        raise FileRefused(
            display,
            f"this file is larger than {_size(limit)}, more than Standpunt reads for it",
            "file-too-large",
        )
    return data


def _size(limit: int) -> str:
    return f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit // 1024} kB"


#: The largest file :func:`stream_digest` hashes by content; a larger one (no reader of
#: Standpunt takes a file this size) counts by its size and modification time instead.
MAX_HASHED_BYTES = 256 * 2**20


def stream_digest(path: Path, display: str, roots: Iterable[Path] | None = None) -> str:
    """sha256 of a regular file's bytes, read in pieces; a file over :data:`MAX_HASHED_BYTES`
    counts by its size and modification time. :class:`FileRefused` as :func:`open_regular`."""
    with open_regular(path, display, roots) as handle:
        info = os.fstat(handle.fileno())
        if info.st_size > MAX_HASHED_BYTES:
            return f"large:{info.st_size}:{info.st_mtime_ns}"
        digest = hashlib.sha256()
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
        return digest.hexdigest()


def inside_folder(folder: Path, root: Path, display: str) -> Path:
    """``folder`` (below ``root``) as a real folder inside the workspace, created if missing:
    no part of the way may be a link or a file, so nothing written into it lands elsewhere."""
    real_root = root.resolve()
    current = root
    for part in folder.relative_to(root).parts:
        current = current / part
        if current.is_symlink() or (
            current.exists() and not current.resolve().is_relative_to(real_root)
        ):
            raise FileRefused(
                display,
                f"cannot write {display}: '{current.relative_to(root).as_posix()}' is a link; "
                "Standpunt writes only into real folders inside the workspace, so replace the "
                "link by a folder",
            )
        if current.exists() and not current.is_dir():
            raise FileRefused(
                display,
                f"cannot write {display}: '{current.relative_to(root).as_posix()}' is a file, "
                "but Standpunt writes into a folder of that name; move the file away",
                "file-unwritable",
            )
        current.mkdir(exist_ok=True)
    return folder


def position_ids(root: Path) -> list[str]:
    """The ids of the position files in positions/, sorted, by name only (nothing is read); a
    name that can be no id is left out (reading the workspace reports it)."""
    folder = root / POSITIONS_DIR
    try:
        names = [entry.name for entry in os.scandir(folder) if entry.is_file()]
    except OSError:
        return []
    ids = (name.rsplit(".", 1)[0] for name in names if name.lower().endswith(YAML_SUFFIXES))
    return sorted(pid for pid in ids if valid_id(pid))


def has_position_file(root: Path, pid: str) -> bool:
    """Whether positions/ holds a file for the position ``pid``."""
    folder = root / POSITIONS_DIR
    return any((folder / f"{pid}{suffix}").is_file() for suffix in YAML_SUFFIXES)


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` that holds standpunt.yaml."""
    here = (start or Path.cwd()).resolve()
    if start is not None and not here.is_dir():
        raise UsageError(f"'{start}' is not a folder", code="no-workspace")
    for folder in (here, *here.parents):
        if os.path.lexists(folder / CONFIG_FILE):  # even a FIFO or a link: it is refused later
            return folder
    raise UsageError(
        f"no {CONFIG_FILE} found in '{here}' or any folder above it; run the command inside "
        "a workspace, give one with 'standpunt -C FOLDER …', or create one with 'standpunt init'",
        code="no-workspace",
    )


def count_files(folder: Path, suffixes: tuple[str, ...], hidden: bool = False) -> int:
    """How many files :func:`sorted_files` finds, counted by name (no path is made)."""
    if not folder.is_dir():
        return 0
    count = 0
    for _, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        count += sum(
            1
            for name in filenames
            if (hidden or not name.startswith(".")) and name.lower().endswith(suffixes)
        )
    return count


def sorted_files(folder: Path, suffixes: tuple[str, ...], hidden: bool = False) -> list[Path]:
    """Files with one of ``suffixes`` below ``folder``, sorted; hidden folders are not entered.

    ``hidden`` includes files whose name starts with a dot (e.g. ``.yaml``, an empty id), so
    that they are reported rather than silently passed over.
    """
    if not folder.is_dir():
        return []
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(
            Path(dirpath, name)
            for name in sorted(filenames)
            if (hidden or not name.startswith(".")) and name.lower().endswith(suffixes)
        )
    return found
