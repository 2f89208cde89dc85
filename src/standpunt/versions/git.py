"""The one way Standpunt runs git: read-only, literal, bounded, and deaf to configured commands.

Standpunt runs in the user's own repository, often with uncommitted work, so it never writes
the index or the working tree. It also runs in repositories a partner handed over, whose
``.git/config`` and ``.gitattributes`` are the partner's: a setting there must not make git run
a program. So every call

- ignores the system and global configuration (``GIT_CONFIG_NOSYSTEM``, ``GIT_CONFIG_GLOBAL`` at
  the null device, ``HOME`` and ``XDG_CONFIG_HOME`` at an empty folder) and every ``GIT_*``
  variable of the caller's environment;
- overrides, on the command line (which wins over every configuration file, included ones too),
  each setting that names a program or changes what git reads: ``core.fsmonitor``,
  ``core.hooksPath``, ``core.pager``, ``core.sshCommand``, ``core.askPass``, ``diff.external``,
  ``core.untrackedCache``, ``core.attributesFile``, and allows no transport protocol at all
  (so a partial clone cannot fetch a missing object through a configured command);
- runs only subcommands that read the object database and refs (``rev-parse``, ``log``,
  ``show -s``, ``ls-tree``, ``cat-file``, ``for-each-ref``, ``rev-list``): none of them reads
  the working tree, so no clean or smudge filter, textconv or diff driver named by
  ``.gitattributes`` can run (:data:`ALLOWED` holds the list; :func:`run_git` refuses others).
  Whether a file differs from its commit is found by hashing it here
  (:func:`standpunt.versions.history.worktree_changes`), not by ``git status``;
- runs with ``GIT_OPTIONAL_LOCKS=0``, ``--literal-pathspecs`` (a file called ``ref[1].yaml`` is
  not a pattern), ``--no-replace-objects``, ``core.quotepath=off``, messages in English
  (``LC_ALL=C``, so they can be recognised) and never a prompt, under a time limit and with a cap
  on how much of git's answer is read (:data:`MAX_OUTPUT_BYTES`).

When git cannot answer (it is not installed, the folder is not in a repository, the repository
has no commits, belongs to another user, takes too long or answers too much) :func:`run_git`
raises :class:`GitUnavailable`, whose ``reason`` says why in words a policy officer
understands; each caller decides what that means for it (a build says "not versioned",
``standpunt history`` stops).
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

__all__ = [
    "ALLOWED",
    "MAX_OUTPUT_BYTES",
    "TIMEOUT_SECONDS",
    "GitUnavailable",
    "git_environment",
    "run_git",
]

#: Settings given on the command line, which wins over every configuration file. The first
#: group disables every setting that names a program to run; the second keeps the output we
#: parse stable (colours, signatures, rename following, non-UTF-8 logs).
_SETTINGS = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.sshCommand=false",
    "core.askPass=",
    "core.gitProxy=",
    "core.editor=false",
    "core.untrackedCache=false",
    f"core.attributesFile={os.devnull}",
    f"core.excludesFile={os.devnull}",
    "diff.external=",
    "gpg.program=false",
    "gpg.ssh.program=false",
    "protocol.allow=never",
    "credential.helper=",
    "uploadpack.packObjectsHook=",
    "core.quotepath=off",
    "color.ui=false",
    "log.showSignature=false",
    "log.follow=false",
    "i18n.logOutputEncoding=UTF-8",
)

_GIT = (
    "git",
    "--no-pager",
    "--no-replace-objects",
    "--literal-pathspecs",
    *(part for setting in _SETTINGS for part in ("-c", setting)),
)

#: The subcommands Standpunt runs: each reads only the object database and refs, never the
#: working tree, so nothing in ``.gitattributes`` applies to them.
ALLOWED = frozenset(["rev-parse", "log", "show", "ls-tree", "cat-file", "for-each-ref", "rev-list"])

#: Options that would make an allowed subcommand read the working tree or run a driver.
_REFUSED_OPTIONS = ("--textconv", "--filters", "-p", "--patch", "--ext-diff", "--stat")

#: How long one git call may take before Standpunt gives up on it.
TIMEOUT_SECONDS = 30.0

#: How long a repository that did not answer in time is not asked again. A configuration that
#: includes a FIFO blocks every git call in that repository; without this memory a build asks
#: several times and waits :data:`TIMEOUT_SECONDS` for each, and the preview blocks on every save.
_SILENCE_SECONDS = 300.0

#: Repositories (by resolved folder) that did not answer in time: when, and why.
_unanswered: dict[str, tuple[float, str]] = {}

#: The most of git's answer (its standard output) that is read; more is "too large".
MAX_OUTPUT_BYTES = 64 * 1024 * 1024
#: The most of git's complaints (its standard error) that is kept.
_MAX_ERROR_BYTES = 64 * 1024

#: What git says when it cannot work here (read with LC_ALL=C so the text is stable).
_NOT_A_REPO = "not a git repository"
_NO_COMMITS = (
    "does not have any commits yet",
    "bad default revision 'HEAD'",
    "Not a valid object name HEAD",
)
_DUBIOUS = "detected dubious ownership"


class GitUnavailable(Exception):
    """Git cannot answer here; ``reason`` says why in words a policy officer understands."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _NoAnswer(GitUnavailable):
    """Git did not answer in time: the repository is not asked again for a while."""


def run_git(
    root: Path, *args: str, stdin: bytes | None = None, check: bool = False
) -> subprocess.CompletedProcess[bytes]:
    """Run git in ``root``; git missing, no repository or no answer in time raise GitUnavailable.

    ``args`` start with one of the :data:`ALLOWED` subcommands. With ``check``, any other
    failure raises GitUnavailable too, with git's first line of complaint; without, the caller
    reads the exit code itself.
    """
    command = [*_GIT, *_checked(args)]
    folder = os.path.realpath(root)
    if silent := _unanswered.get(folder):
        if time.monotonic() - silent[0] < _SILENCE_SECONDS:
            raise GitUnavailable(silent[1])
        del _unanswered[folder]
    try:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=git_environment(),
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except (FileNotFoundError, NotADirectoryError):
        if not Path(root).is_dir():
            raise GitUnavailable(f"the folder '{root}' does not exist") from None
        raise GitUnavailable("git is not installed (or not on the PATH)") from None
    except OSError as exc:
        raise GitUnavailable(f"git could not be run ({exc.strerror or exc})") from None
    try:
        result = _communicate(process, command, stdin)
    except _NoAnswer as exc:
        _unanswered[folder] = (time.monotonic(), exc.reason)
        raise GitUnavailable(exc.reason) from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace")
        if _NOT_A_REPO in message:
            raise GitUnavailable("this workspace is not inside a git repository")
        if any(text in message for text in _NO_COMMITS):
            raise GitUnavailable("this git repository has no commits yet")
        if _DUBIOUS in message:
            raise GitUnavailable(
                "this git repository belongs to another user account, and git does not read "
                "such a repository for you; copy it into a folder of your own (or ask its "
                "owner to run Standpunt)"
            )
        if check:
            raise GitUnavailable(_first_line(result))
    return result


def _checked(args: tuple[str, ...]) -> list[str]:
    """``args`` if they run an allowed subcommand in a way that reads no working tree."""
    if not args or args[0] not in ALLOWED:
        raise ValueError(f"Standpunt does not run 'git {args[0] if args else ''}'")
    options = [a for a in args if a == "--" or a.startswith("-")]
    options = options[: options.index("--")] if "--" in options else options
    refused = [a for a in options if a.split("=")[0] in _REFUSED_OPTIONS]
    if refused:
        raise ValueError(f"Standpunt does not run git with {refused[0]}")
    if args[0] in ("log", "show"):  # diff options: never a textconv or an external diff
        return [args[0], "--no-textconv", "--no-ext-diff", *args[1:]]
    return list(args)


def _communicate(
    process: subprocess.Popen[bytes], command: list[str], stdin: bytes | None
) -> subprocess.CompletedProcess[bytes]:
    """Git's answer, read up to :data:`MAX_OUTPUT_BYTES` within :data:`TIMEOUT_SECONDS`; a
    longer or later answer stops git and raises GitUnavailable."""
    out: list[bytes] = []
    err: list[bytes] = []
    too_much = threading.Event()
    readers = [
        threading.Thread(
            target=_drain, args=(process.stdout, out, MAX_OUTPUT_BYTES, too_much, process)
        ),
        threading.Thread(
            target=_drain, args=(process.stderr, err, _MAX_ERROR_BYTES, None, process)
        ),
    ]
    if stdin is not None:
        readers.append(threading.Thread(target=_feed, args=(process.stdin, stdin)))
    for reader in readers:
        reader.daemon = True
        reader.start()
    try:
        process.wait(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        if not too_much.is_set():
            raise _NoAnswer(f"git did not answer within {TIMEOUT_SECONDS:g} seconds") from None
    for reader in readers:
        reader.join()
    if too_much.is_set():
        raise GitUnavailable(
            f"git's answer is larger than {MAX_OUTPUT_BYTES // 2**20} MB, more than Standpunt "
            "reads (the repository holds a very large file or commit message)"
        )
    return subprocess.CompletedProcess(command, process.returncode, b"".join(out), b"".join(err))


def _drain(
    stream: IO[bytes] | None,
    into: list[bytes],
    limit: int,
    too_much: threading.Event | None,
    process: subprocess.Popen[bytes],
) -> None:
    """Read ``stream`` to its end, keeping at most ``limit`` bytes; past that, stop git."""
    if stream is None:
        return
    kept = 0
    with stream:
        while chunk := stream.read(65536):
            if kept + len(chunk) > limit:
                into.append(chunk[: limit - kept])
                if too_much is not None:
                    too_much.set()
                    process.kill()
                    return
                kept = limit
                continue
            into.append(chunk)
            kept += len(chunk)


def _feed(stream: IO[bytes] | None, data: bytes) -> None:
    if stream is None:
        return
    try:
        with stream:
            stream.write(data)
    except (BrokenPipeError, OSError, ValueError):
        pass


def git_environment() -> dict[str, str]:
    """The environment git runs in: the caller's, without any ``GIT_*`` variable and without
    the system's or the user's git configuration, messages in English and never a prompt."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GIT_") and key not in ("LANGUAGE", "SSH_ASKPASS", "PAGER")
    }
    home = _empty_home()
    env.update(
        {
            "HOME": home,
            "XDG_CONFIG_HOME": home,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_ATTR_NOSYSTEM": "1",
            "GIT_OPTIONAL_LOCKS": "0",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_PAGER": "cat",
            "PAGER": "cat",
            "GIT_ASKPASS": "false",
            "SSH_ASKPASS": "false",
            "GIT_SSH_COMMAND": "false",
            "GIT_PROTOCOL_FROM_USER": "0",
            "GIT_ALLOW_PROTOCOL": "",
            "GIT_NO_LAZY_FETCH": "1",
            "GIT_NO_REPLACE_OBJECTS": "1",
            "LC_ALL": "C",
        }
    )
    return env


@functools.cache
def _empty_home() -> str:
    """An empty folder of our own for ``HOME``: no ``.gitconfig`` or ``.config/git`` in it."""
    folder = tempfile.mkdtemp(prefix="standpunt-git-home-")
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _first_line(result: subprocess.CompletedProcess[bytes]) -> str:
    text = result.stderr.decode("utf-8", "replace").strip()
    return text.splitlines()[0].removeprefix("fatal: ") if text else f"exit {result.returncode}"
