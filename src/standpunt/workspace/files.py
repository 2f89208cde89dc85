"""Where outputs go and how they are written: inside build/, atomically, never half a file.

Every output path comes from :func:`output_path`, which checks the id against the allowlist and
resolves the result inside build/; every file written into the workspace itself (a position
``new`` or ``import`` makes, a signature, standpunt.yaml, evidence) goes through
:func:`write_inside`, which holds it to the path rule of :mod:`standpunt.workspace.paths`
(evidence files ``evidence add`` and ``evidence import`` write are checked where they are
chosen). Writes go to a temp file beside the target, are fsynced, then moved into place with
``os.replace`` (Lektor's Artifact): a failed or killed build leaves the previous file untouched.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from standpunt.errors import StandpuntError
from standpunt.workspace.paths import BUILD_DIR, FileRefused, inside_folder, valid_id

TEMP_PREFIX = ".standpunt-tmp-"


def build_folder(root: Path, name: str = BUILD_DIR) -> Path:
    """build/ (or a folder below it) inside the workspace, created if needed.

    A link (anywhere on the way) is refused, and so is a file where the folder should be.
    """
    folder = root / name
    real_root = root.resolve()
    current = root
    for part in Path(name).parts:
        current = current / part
        if current.is_symlink() or (
            current.exists() and not current.resolve().is_relative_to(real_root)
        ):
            raise StandpuntError(
                f"'{name}/' is a link; Standpunt only writes into real folders inside the "
                "workspace, so remove the link and build again",
                code="unsafe-output",
            )
        if current.exists() and not current.is_dir():
            raise StandpuntError(
                f"'{current.relative_to(root).as_posix()}' is a file, but Standpunt writes its "
                "output into a folder of that name; move the file away and build again",
                code="unsafe-output",
            )
        current.mkdir(exist_ok=True)
    return folder


def output_path(folder: Path, position_id: str, suffix: str) -> Path:
    """build/<id><suffix>, after checking that it cannot point anywhere else."""
    if not valid_id(position_id):
        raise StandpuntError(f"'{position_id}' is not a valid position id", code="invalid-id")
    path = folder / f"{position_id}{suffix}"
    if path.is_symlink() or not path.resolve().parent == folder.resolve():
        raise StandpuntError(
            f"'{path.name}' in {BUILD_DIR}/ is a link; remove it and build again",
            code="unsafe-output",
        )
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _written_temp(path: Path, data: bytes) -> str:
    """A temp file beside ``path`` holding ``data``, on disk; removed again if writing fails."""
    import tempfile  # only a command that writes pays for its import (with shutil's, 2 ms)

    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        # mkstemp makes the file private; outputs get the permissions any new file would get.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return temp


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, nothing else."""
    temp = _written_temp(path, data)
    try:
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def create_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file ``path``, whole or not at all, never replacing a file:
    a :class:`FileExistsError` when ``path`` exists, even if it appeared a moment ago."""
    temp = _written_temp(path, data)
    try:
        os.link(temp, path)  # fails if the name is taken: no window in which to overwrite
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links
        if path.exists() or path.is_symlink():
            raise FileExistsError(path) from None
        os.replace(temp, path)
    finally:
        Path(temp).unlink(missing_ok=True)


def write_inside(root: Path, path: Path, data: bytes, *, create: bool = False) -> None:
    """Write ``data`` to ``path`` in the workspace at ``root``, atomically (``create``: only if
    it does not exist yet, see :func:`create_atomic`), under the path rule: every folder on
    the way a real folder inside the workspace (created if missing, never a link, so that a
    ``signatures/<id>`` link into evidence/ cannot make a signature replace an evidence file),
    and the file itself, if it exists, a regular file."""
    display = workspace_name(root, path)
    path = root / display
    inside_folder(path.parent, root, display)
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise FileRefused(
            display,
            "this is a link or not a regular file; Standpunt replaces only regular files inside "
            "the workspace, so remove it first",
        )
    (create_atomic if create else write_atomic)(path, data)


def remove_inside(root: Path, path: Path) -> None:
    """Remove the file ``path`` of the workspace, under the same rule as :func:`write_inside`."""
    display = workspace_name(root, path)
    path = root / display
    inside_folder(path.parent, root, display)
    if path.is_symlink() or not path.is_file():
        raise FileRefused(display, "this is a link or not a regular file; remove it by hand")
    path.unlink()


def workspace_name(root: Path, path: Path) -> str:
    """``path`` as a name inside the workspace (forward slashes); FileRefused when outside."""
    for base in (root, root.resolve()):
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            continue
    raise FileRefused(str(path), "this lies outside the workspace; Standpunt writes only inside it")


def write_problem(exc: OSError) -> str:
    """Why a write failed, in words: a full disk above all, which needs a different fix."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full (no space left); free some space and run the command again"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "Standpunt may not write there; check the folder's permissions"
    return exc.strerror or str(exc)


def clean_temp_files(folder: Path) -> int:
    """Remove temp files a killed build left behind; returns how many."""
    removed = 0
    for stray in folder.glob(f"{TEMP_PREFIX}*"):
        if stray.is_file() and not stray.is_symlink():
            stray.unlink()
            removed += 1
    return removed
