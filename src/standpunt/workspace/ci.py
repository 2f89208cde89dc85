"""CI workflows that check a workspace and build its PDFs on every push: GitHub Actions or
GitLab CI. The platform runs the jobs; Standpunt only writes the file.

A large workspace is split over a job matrix with ``build --shard K/N``; each shard keeps its
build state in the platform's cache, so a push rebuilds only what changed.
"""

from __future__ import annotations

import math
from importlib.resources import files
from pathlib import Path

from standpunt import __version__
from standpunt.errors import UsageError
from standpunt.workspace.files import write_inside

#: Where each platform reads its workflow, relative to the repository root.
WORKFLOW_FILES = {"github": ".github/workflows/standpunt.yml", "gitlab": ".gitlab-ci.yml"}
PLATFORMS = tuple(WORKFLOW_FILES)
#: What WeasyPrint needs from the system on the platforms' Ubuntu and Debian images.
APT_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0"
#: Positions per shard at which a workspace is split, and the most shards a workflow asks for.
POSITIONS_PER_SHARD = 50
MAX_SHARDS = 20


def default_shards(positions: int) -> int:
    """How many parts to build a workspace of ``positions`` positions in."""
    return max(1, min(MAX_SHARDS, math.ceil(positions / POSITIONS_PER_SHARD)))


def workflow(platform: str, shards: int, install: str | None = None) -> bytes:
    """The workflow file for ``platform``, building in ``shards`` parts and installing
    Standpunt with ``pip install INSTALL`` (this version of Standpunt by default)."""
    if platform not in WORKFLOW_FILES:
        raise UsageError(f"no CI platform '{platform}'; choose github or gitlab", code="usage")
    if not 1 <= shards <= MAX_SHARDS:
        raise UsageError(f"--shards must be between 1 and {MAX_SHARDS}", code="usage")
    install = install or f"standpunt=={__version__}"
    if not install.strip() or any(char in install for char in "\n\r#"):
        raise UsageError("--install takes one line of pip arguments, e.g. 'standpunt==1.0'")
    text = (files("standpunt.workspace") / "ci" / f"{platform}.yml").read_text(encoding="utf-8")
    parallel = f"  parallel: {shards}\n" if shards > 1 else ""
    return text.format(
        version=__version__,
        apt_packages=APT_PACKAGES,
        install=install,
        shards=shards,
        shard_list=", ".join(str(k) for k in range(1, shards + 1)),
        parallel=parallel,
    ).encode("utf-8")


def write_workflow(root: Path, platform: str, shards: int, install: str | None = None) -> Path:
    """Write the workflow into the workspace at ``root``; never overwrites one."""
    data = workflow(platform, shards, install)
    name = WORKFLOW_FILES[platform]
    target = root / name
    try:  # the path rule: no folder on the way a link, none made outside the workspace
        write_inside(root, target, data, create=True)
    except FileExistsError:
        raise UsageError(
            f"{name} exists already; nothing was changed (remove it to write a new one)",
            code="exists",
        ) from None
    return target
