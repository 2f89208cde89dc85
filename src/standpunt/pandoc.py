"""Finding and running the pandoc we ship: its citeproc formats citations, and its readers
convert the .bib and .ris files of evidence/ to CSL-JSON.

pandoc comes from the pypandoc-binary wheel, so ``pip install`` brings everything. We locate the
binary without importing pypandoc (its import is slow and we only need the path). It sits below
every other layer, as the workspace already needs it to read evidence.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from standpunt.errors import StandpuntError

#: The one Markdown dialect: pandoc's Markdown, without raw HTML, raw TeX and raw attributes,
#: so a position's text can never smuggle markup past the template.
MARKDOWN_FORMAT = "markdown-raw_html-raw_tex-raw_attribute"

#: Seconds one pandoc run may take before it is stopped.
PANDOC_TIMEOUT = 60

#: GHC runtime options for pandoc. The binary is built to reserve a 64 MB heap up front (-H64m),
#: which made it the largest process of a build (176 MiB resident against WeasyPrint's 75 MiB);
#: a small heap with a 4 MB allocation area peaks near 125 MiB for a position and runs as fast.
#: A pandoc built without RTS options prints a warning and ignores the variable.
PANDOC_RTS = "-H1m -A4m"


@lru_cache(maxsize=1)
def pandoc_executable() -> str:
    """The pandoc binary shipped in the pypandoc-binary wheel, else one on PATH."""
    spec = importlib.util.find_spec("pypandoc")
    if spec and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / "files" / "pandoc"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
    found = shutil.which("pandoc")
    if found:
        return found
    raise StandpuntError(
        "pandoc was not found; install Standpunt with pip so that the pypandoc-binary "
        "package brings it",
        code="pandoc-missing",
    )


@lru_cache(maxsize=1)
def pandoc_identity() -> str:
    """Which pandoc this is, for the caches of what it made: the wheel's version and the path."""
    try:
        release = version("pypandoc-binary")
    except PackageNotFoundError:
        release = "no pypandoc-binary"
    return f"{release} {pandoc_executable()}"


def run_pandoc(
    args: list[str], stdin: str, timeout: float = PANDOC_TIMEOUT, env: dict[str, str] | None = None
) -> str:
    """Run pandoc in its sandbox with ``stdin`` as input and return what it wrote; ``env``
    adds to its environment.

    Raises :class:`StandpuntError` carrying pandoc's own message when it fails.
    """
    command = [pandoc_executable(), "--sandbox", *args]
    try:
        done = subprocess.run(
            command,
            input=stdin.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
            env={**os.environ, **(env or {}), "GHCRTS": PANDOC_RTS},
        )
    except subprocess.TimeoutExpired as exc:
        raise StandpuntError(
            f"pandoc took longer than {timeout:g} seconds and was stopped", code="pandoc-timeout"
        ) from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit code {done.returncode}"
        raise StandpuntError(f"pandoc failed: {message}", code="pandoc-failed")
    return done.stdout.decode("utf-8")
