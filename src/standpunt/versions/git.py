"""The one way Standpunt runs git: read-only, literal, bounded in time, explained when it fails.

Standpunt runs in the user's own repository, often with uncommitted work, so it never writes
the index or the working tree. Every call runs the ``git`` command with ``GIT_OPTIONAL_LOCKS=0``
(so ``status`` does not refresh the index), ``--literal-pathspecs`` (a file called
``ref[1].yaml`` is not a pattern), ``core.quotepath=off``, messages in English (``LC_ALL=C``,
so they can be recognised) and never a prompt for credentials, under a time limit.

When git cannot answer (it is not installed, the folder is not in a repository, the repository
has no commits, it takes too long) :func:`run_git` raises :class:`GitUnavailable`, whose
``reason`` says why in words a policy officer understands; each caller decides what that means
for it (a build says "not versioned", ``standpunt history`` stops).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

__all__ = ["TIMEOUT_SECONDS", "GitUnavailable", "run_git"]

#: Options for every git call. The ``-c`` settings override user configuration that would
#: change the output we parse (colours, signatures, rename following, non-UTF-8 logs).
_GIT = (
    "git",
    "--literal-pathspecs",
    "-c",
    "core.quotepath=off",
    "-c",
    "color.ui=false",
    "-c",
    "log.showSignature=false",
    "-c",
    "log.follow=false",
    "-c",
    "i18n.logOutputEncoding=UTF-8",
)

#: How long one git call may take before Standpunt gives up on it.
TIMEOUT_SECONDS = 30.0

#: What git says when it cannot work here (read with LC_ALL=C so the text is stable).
_NOT_A_REPO = "not a git repository"
_NO_COMMITS = ("does not have any commits yet", "bad default revision 'HEAD'")


class GitUnavailable(Exception):
    """Git cannot answer here; ``reason`` says why in words a policy officer understands."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def run_git(
    root: Path, *args: str, stdin: bytes | None = None, check: bool = False
) -> subprocess.CompletedProcess[bytes]:
    """Run git in ``root``; git missing, no repository or no answer in time raise GitUnavailable.

    With ``check``, any other failure raises it too, with git's first line of complaint;
    without, the caller reads the exit code itself.
    """
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
    env.pop("LANGUAGE", None)  # GNU gettext would prefer it over LC_ALL=C
    try:
        result = subprocess.run(
            [*_GIT, *args],
            cwd=root,
            env=env,
            input=stdin,
            capture_output=True,
            check=False,
            timeout=TIMEOUT_SECONDS,
        )
    except (FileNotFoundError, NotADirectoryError):
        if not Path(root).is_dir():
            raise GitUnavailable(f"the folder '{root}' does not exist") from None
        raise GitUnavailable("git is not installed (or not on the PATH)") from None
    except OSError as exc:
        raise GitUnavailable(f"git could not be run ({exc.strerror or exc})") from None
    except subprocess.TimeoutExpired:
        raise GitUnavailable(f"git did not answer within {TIMEOUT_SECONDS:g} seconds") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace")
        if _NOT_A_REPO in message:
            raise GitUnavailable("this workspace is not inside a git repository")
        if any(text in message for text in _NO_COMMITS):
            raise GitUnavailable("this git repository has no commits yet")
        if check:
            raise GitUnavailable(_first_line(result))
    return result


def _first_line(result: subprocess.CompletedProcess[bytes]) -> str:
    text = result.stderr.decode("utf-8", "replace").strip()
    return text.splitlines()[0].removeprefix("fatal: ") if text else f"exit {result.returncode}"
