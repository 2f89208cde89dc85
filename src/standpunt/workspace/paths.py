"""A workspace's names and paths: where it is, which ids may name files, which files are read.

The one rule for reading a workspace's files: regular files whose real path is inside. A link
that leads out of the workspace, a dangling link, a device or a FIFO is never read — not for a
position, not for a template, not even to hash it for change detection.

Light on purpose (no pydantic): the build command uses it before starting its workers.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

from standpunt.errors import UsageError

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


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` that holds standpunt.yaml."""
    here = (start or Path.cwd()).resolve()
    if start is not None and not here.is_dir():
        raise UsageError(f"'{start}' is not a folder", code="no-workspace")
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise UsageError(
        f"no {CONFIG_FILE} found in '{here}' or any folder above it; run the command inside "
        "a workspace, give one with 'standpunt -C FOLDER …', or create one with 'standpunt init'",
        code="no-workspace",
    )


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
