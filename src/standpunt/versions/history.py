"""Git facts about a position: its provenance stamp, its history, its text at any revision.

Read-only by design: it never checks anything out, git runs the way :mod:`standpunt.versions.git`
runs it, paths follow a ``--``, and old files are read with ``git cat-file`` from the object
database, each after its declared size is checked (:data:`MAX_BLOB_BYTES`). Whether a file in the
working tree differs from its commit is found here (:func:`worktree_changes`), by hashing the
file as git would store it, never by ``git status``, which can run a partner's filters.

Git missing, the workspace outside a repository, or a repository without commits is not an
error for a build: :func:`stamps` then says "not versioned" and why. :func:`history`,
:func:`read_at` and :func:`resolve` cannot do without git and raise a :class:`StandpuntError`
with code ``not-versioned`` instead.

The workspace root may be a subfolder of the repository: git runs in the root and paths are
passed relative to it (``REV:./path`` for objects), so git itself maps them to the top level.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standpunt.choices import DEFAULT_STATUS
from standpunt.errors import Location, StandpuntError
from standpunt.versions.git import GitUnavailable, run_git
from standpunt.workspace.load import MAX_BYTES, parse_yaml, to_plain
from standpunt.workspace.paths import FileRefused, open_regular

__all__ = [
    "CommitInfo",
    "Stamp",
    "Version",
    "commit_info",
    "commits_touching",
    "history",
    "previous_version",
    "read_at",
    "read_many_at",
    "resolve",
    "stamps",
    "tag_name",
    "worktree_changes",
]

#: The largest committed file Standpunt reads back from git (the limit of the files it reads
#: from the working tree): a larger one is refused by its declared size, before it is read.
MAX_BLOB_BYTES = MAX_BYTES

#: Field and record separators for ``git log --format`` (a NUL cannot occur in commit text).
_FIELD = "%x00"

#: How many git processes :func:`stamps` runs at once.
_WORKERS = 8


# --------------------------------------------------------------------------- paths and errors


def _rel(root: Path, path: Path) -> str:
    """``path`` relative to the workspace root, as git expects it there (forward slashes)."""
    path = Path(path)
    if not path.is_absolute():
        return path.as_posix()
    # Lexical on purpose: callers build paths from ``root``; resolving could follow a symlink
    # out of the root and give git a path it does not know.
    return Path(os.path.relpath(path, root)).as_posix()


def _not_versioned(exc: GitUnavailable, what: str, display: str | None) -> StandpuntError:
    return StandpuntError(
        f"cannot {what}: {exc.reason}; versions are only known for positions kept in git",
        Location(display) if display else None,
        "not-versioned",
    )


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# --------------------------------------------------------------------------- the stamp


@dataclass(frozen=True)
class Stamp:
    """Which version of a position a build shows.

    ``commit`` is the last commit that touched the position file or any evidence file it cites,
    exactly as ``git log -1 --format=%h -- <files>`` abbreviates it; ``date`` and ``timestamp``
    are that commit's committer date (the day in the committer's time zone) and time. ``modified``
    is True when any of the files differs from that commit: edited, staged, new (untracked) or
    ignored by git. ``versioned`` is False outside a repository, in a repository without
    commits, without git, or when none of the files was ever committed; ``reason`` then says why.
    ``label`` is the position's own ``version:``; ``tag`` is the tag ``<id>/v<label>`` when it
    marks this same version of the files (see :func:`stamps`).
    """

    versioned: bool
    commit: str | None = None
    full_commit: str | None = None
    date: dt.date | None = None
    timestamp: int | None = None
    modified: bool = False
    label: str | None = None
    tag: str | None = None
    reason: str | None = None


def tag_name(position_id: str, label: str) -> str:
    """The tag that marks version ``label`` of a position: ``<id>/v<label>``."""
    return f"{position_id}/v{label.removeprefix('v')}"


def stamps(root: Path, positions: Mapping[str, tuple[list[Path], str | None]]) -> dict[str, Stamp]:
    """The stamps of positions, ``{id: (files, label)}``; ``files`` are a position's file and
    every evidence file it cites.

    The tag ``<id>/v<label>`` is recognised when the files at the tagged commit are this very
    version: the tag points at ``commit``, or at a later commit that did not change the files
    (so tagging after an unrelated commit still counts). A tag that exists but holds another
    version of the files is not shown: it would claim a version the PDF is not.

    One ``git rev-parse`` and one ``git ls-tree`` for all files (each hashed here), one
    ``git for-each-ref``, and one ``git log -1`` per position, run a few at a time.
    """
    if not positions:
        return {}
    try:
        changed = worktree_changes(root, [f for files, _label in positions.values() for f in files])
        tags = _tags(root)
        with ThreadPoolExecutor(min(_WORKERS, len(positions))) as pool:
            commits = dict(
                zip(
                    positions,
                    pool.map(lambda item: _last_commit(root, item[0]), positions.values()),
                    strict=True,
                )
            )
    except GitUnavailable as exc:
        return {
            pid: Stamp(False, label=label, reason=exc.reason)
            for pid, (_files, label) in positions.items()
        }
    out: dict[str, Stamp] = {}
    for pid, (files, label) in positions.items():
        commit = commits[pid]
        if commit is None:
            out[pid] = Stamp(False, modified=True, label=label, reason=_UNCOMMITTED)
            continue
        modified = any(_rel(root, f) in changed for f in files)
        try:
            if label:
                tag = _find_tag(root, pid, label, files, commit[1], tags)
            elif not modified:  # no version: written; a tag on this very text may name one
                label, tag = _label_from_tags(root, pid, files, commit[1], tags)
            else:
                tag = None
        except GitUnavailable:
            tag = None
        out[pid] = _stamp(commit, modified, label, tag)
    return out


#: How many of a position's version tags are tried for one without ``version:``, newest first:
#: each try is a git call, and a repository may hold any number of tags.
MAX_TAGS_TRIED = 20


def _label_from_tags(
    root: Path, position_id: str, files: list[Path], full_commit: str, tags: dict[str, str]
) -> tuple[str | None, str | None]:
    """The label of the newest tag ``<id>/v<label>`` that marks this version of the files, and
    the tag; (None, None) when none does."""
    prefix = tag_name(position_id, "")
    names = sorted((n for n in tags if n.startswith(prefix) and len(n) > len(prefix)), key=_natural)
    for name in reversed(names[-MAX_TAGS_TRIED:]):
        label = name[len(prefix) :]
        if _find_tag(root, position_id, label, files, full_commit, tags) == name:
            return label, name
    return None, None


def _natural(name: str) -> list[tuple[int, str]]:
    """A sort key in which v1.10 comes after v1.9."""
    return [(int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"(\d+)", name)]


_UNCOMMITTED = "this position has not been committed to git yet"

_LOG_FIELDS = _FIELD.join(("%h", "%H", "%cs", "%ct"))


def last_commit(root: Path, path: Path) -> tuple[str, str, dt.date] | None:
    """(short, full, date) of the last commit of ``path``; None if there is none, or no git."""
    try:
        found = _last_commit(root, [path])
    except GitUnavailable:
        return None
    return found[:3] if found else None


def _last_commit(root: Path, files: Iterable[Path]) -> tuple[str, str, dt.date, int] | None:
    """(short, full, date, time) of the last commit touching any of ``files``, or None."""
    result = run_git(
        root,
        "log",
        "-1",
        f"--format={_LOG_FIELDS}",
        "--",
        *(_rel(root, f) for f in files),
        check=True,
    )
    text = result.stdout.decode("utf-8", "replace").strip()
    if not text:
        return None
    short, full, date, time = text.split("\0")
    return short, full, _date(date), int(time)


def _stamp(
    commit: tuple[str, str, dt.date, int], modified: bool, label: str | None, tag: str | None
) -> Stamp:
    short, full, date, time = commit
    return Stamp(True, short, full, date, time, modified, label, tag)


def worktree_changes(root: Path, files: Iterable[Path]) -> set[str]:
    """Which of ``files`` (as :func:`_rel` names them) differ from HEAD: edited, new, untracked,
    ignored, or not a regular file. Staged or not makes no difference.

    git itself is only asked for HEAD's entries (``git ls-tree``); each file is hashed here as
    git stores it, its bytes as they are or with CRLF line ends as LF (as git's end-of-line
    conversion stores them). ``git status`` would do the same, but it may first run the clean
    filter or the file system monitor a repository's configuration names.
    """
    names = sorted({_rel(root, f) for f in files})
    if not names:
        return set()
    found = run_git(root, "rev-parse", "--show-object-format", "--show-toplevel", check=True)
    algorithm, top = os.fsdecode(found.stdout).split("\n")[:2]
    listed = run_git(root, "ls-tree", "-z", "HEAD", "--", *names, check=True)
    committed: dict[str, str] = {}
    for entry in listed.stdout.split(b"\0"):
        meta, _tab, name = entry.partition(b"\t")
        fields = meta.split(b" ")
        if len(fields) == 3 and fields[0] in (b"100644", b"100755") and fields[1] == b"blob":
            committed[os.fsdecode(name)] = fields[2].decode("ascii", "replace")
    return {
        name
        for name in names
        if name not in committed
        or committed[name] not in _blob_ids(root / name, Path(top), algorithm)
    }


def _blob_ids(path: Path, top: Path, algorithm: str) -> set[str]:
    """The ids git would give ``path``'s content: as it is, and with CRLF line ends as LF.
    Empty when it is a link or no regular file inside the repository (so it counts as
    changed: git would not store it as a file either)."""
    if path.is_symlink():
        return set()
    try:
        with open_regular(path, str(path), [top]) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_BLOB_BYTES:  # too large to be read: hashed in pieces, as it is
                digest = hashlib.new(algorithm, b"blob %d\0" % size)
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
                return {digest.hexdigest()}
            data = handle.read(MAX_BLOB_BYTES + 1)
    except (FileRefused, OSError, ValueError):
        return set()
    versions = {data, data.replace(b"\r\n", b"\n")}
    return {hashlib.new(algorithm, b"blob %d\0%s" % (len(v), v)).hexdigest() for v in versions}


def _tags(root: Path) -> dict[str, str]:
    """Every tag name with the commit it points at (annotated tags peeled)."""
    result = run_git(
        root,
        "for-each-ref",
        "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)",
        "refs/tags/",
    )
    tags: dict[str, str] = {}
    for line in result.stdout.decode("utf-8", "replace").splitlines():
        name, obj, peeled = [*line.split("\0"), "", ""][:3]
        tags[name] = peeled or obj
    return tags


def _find_tag(
    root: Path,
    position_id: str,
    label: str | None,
    files: list[Path],
    full_commit: str,
    tags: dict[str, str],
) -> str | None:
    """The tag ``<id>/v<label>`` if it marks this version of the files (see :func:`stamps`)."""
    if not label or not label.strip():
        return None
    name = tag_name(position_id, label.strip())
    target = tags.get(name)
    if not target:
        return None
    if target == full_commit:
        return name
    result = run_git(
        root, "log", "-1", "--format=%H", target, "--", *(_rel(root, f) for f in files)
    )
    return name if result.stdout.decode().strip() == full_commit else None


# --------------------------------------------------------------------------- revisions


def resolve(root: Path, rev: str, position_id: str | None = None) -> str:
    """The full commit hash for a revision the user gave: a tag, branch, hash or ``HEAD~1``.

    With ``position_id``, a version label ("1.0" or "v1.0") that git does not know as a
    revision names the position's version tag ``<id>/v<label>`` (see :func:`tag_name`).
    """
    rev = rev.strip()
    # No revision starts with '-'; refusing it keeps a user's text from becoming a git option.
    if not rev or rev.startswith("-"):
        raise StandpuntError(
            f"'{rev}' is not a revision; name a commit, tag or branch", None, "unknown-revision"
        )
    try:
        result = run_git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        label = rev.removeprefix("v")
        if result.returncode != 0 and position_id is not None and label:
            tag = tag_name(position_id, label)
            tagged = run_git(root, "rev-parse", "--verify", "--quiet", f"{tag}^{{commit}}")
            if tagged.returncode == 0:
                result = tagged
        if result.returncode != 0 and not run_git(root, "rev-list", "-n1", "--all").stdout.strip():
            raise GitUnavailable("this git repository has no commits yet")
    except GitUnavailable as exc:
        raise _not_versioned(exc, f"look up the revision '{rev}'", None) from None
    if result.returncode != 0:
        raise StandpuntError(
            f"'{rev}' is not a commit, tag or branch in this repository; "
            "'standpunt history POSITION' lists the versions of a position",
            None,
            "unknown-revision",
        )
    return result.stdout.decode().strip()


@dataclass(frozen=True)
class CommitInfo:
    """One commit as shown to users: hashes, committer date, author name, subject line."""

    commit: str
    full_commit: str
    date: dt.date
    timestamp: int
    author: str
    message: str


_INFO_FIELDS = _FIELD.join(("%H", "%h", "%cs", "%ct", "%an", "%s"))


def commit_info(root: Path, rev: str, position_id: str | None = None) -> CommitInfo:
    """What :func:`history` shows for one commit, e.g. to head a redline ("a1b2c3d, 2026-03-01").

    ``position_id`` lets a version label name the position's version tag, as in :func:`resolve`.
    """
    full = resolve(root, rev, position_id)
    try:
        result = run_git(root, "show", "-s", f"--format={_INFO_FIELDS}", full, "--")
    except GitUnavailable as exc:
        raise _not_versioned(exc, f"read the commit '{rev}'", None) from None
    fields = result.stdout.decode("utf-8", "replace").rstrip("\n").split("\0")
    return _commit_info(fields)


def _commit_info(fields: list[str]) -> CommitInfo:
    full, short, date, time, author, message = fields
    return CommitInfo(short, full, _date(date), int(time), author, message)


def read_at(root: Path, rev: str, path: Path, *, commit: str | None = None) -> bytes:
    """The bytes of ``path`` as committed at ``rev`` (as stored: no checkout, no filters).

    ``commit`` is the full hash ``rev`` stands for when the caller has already resolved it
    (e.g. :attr:`CommitInfo.full_commit`); messages still name ``rev`` as the user wrote it.
    """
    display = _rel(root, path)
    full = commit or resolve(root, rev)
    try:
        [data] = _read_many(root, [f"{full}:./{display}"])
    except GitUnavailable as exc:
        raise _not_versioned(exc, f"read {display} at '{rev}'", display) from None
    if isinstance(data, Oversized):
        raise _oversized(data, f"{display} at revision '{rev}' ({full[:12]})", display)
    if data is None:
        raise StandpuntError(
            f"{display} does not exist at revision '{rev}' ({full[:12]}); "
            "'standpunt history POSITION' lists the revisions that have it",
            Location(display),
            "unknown-revision",
        )
    return data


@dataclass(frozen=True)
class Oversized:
    """A committed file larger than :data:`MAX_BLOB_BYTES`, by its declared size: not read."""

    size: int


def _oversized(blob: Oversized, what: str, display: str | None) -> StandpuntError:
    return StandpuntError(
        f"{what} is {blob.size // 2**20} MB, larger than the {MAX_BLOB_BYTES // 2**20} MB "
        "Standpunt reads; it was not read",
        Location(display) if display else None,
        "file-too-large",
    )


def previous_version(root: Path, position_path: Path) -> str | None:
    """The default older side of ``standpunt diff``: "the previous version → the working tree".

    The rule: if the working tree's file differs from the last commit that touched it
    (uncommitted edits), the previous version is that commit, so the redline shows the edits;
    if it does not, the previous version is the commit before that one, so the redline shows
    what the last commit changed. None when there is nothing to compare with: the file was
    never committed, or it was committed once and not changed since.
    """
    display = _rel(root, position_path)
    try:
        result = run_git(root, "log", "-2", "--format=%H", "--", display, check=True)
        commits = result.stdout.decode().split()
        if not commits:
            return None
        changed = worktree_changes(root, [position_path])
    except GitUnavailable as exc:
        raise _not_versioned(exc, f"find the previous version of {display}", display) from None
    if changed:
        return commits[0]
    return commits[1] if len(commits) > 1 else None


# --------------------------------------------------------------------------- history


@dataclass(frozen=True)
class Version:
    """One commit that touched a position file, as ``standpunt history`` lists it.

    ``date`` is the committer date, as in :class:`Stamp`. ``label`` and ``status`` are the
    ``version:`` and ``status:`` written in the file at that commit (None when absent, or when
    the file did not parse then). ``status_changed`` and ``signatories_changed`` compare with
    the nearest older version that parsed (a missing status counts as ``draft``, as in the
    model; signatories are compared as a set, so reordering is no change); both are False for
    the oldest. ``removed`` is True for a commit that deleted the file.
    """

    commit: str
    full_commit: str
    date: dt.date
    author: str
    message: str
    label: str | None = None
    status: str | None = None
    status_changed: bool = False
    signatories_changed: bool = False
    removed: bool = False


def history(root: Path, position_path: Path) -> list[Version]:
    """Every commit that touched the position file, newest first (renames are not followed).

    One ``git log`` and one ``git cat-file --batch`` for all the file's versions. An empty list
    when the file was never committed.
    """
    display = _rel(root, position_path)
    try:
        result = run_git(root, "log", f"--format={_INFO_FIELDS}{_FIELD}", "--", display, check=True)
        fields = result.stdout.decode("utf-8", "replace").split("\0")
        commits = [
            _commit_info([fields[i].lstrip("\n"), *fields[i + 1 : i + 6]])
            for i in range(0, len(fields) - 5, 6)
        ]
        contents = _read_many(root, [f"{c.full_commit}:./{display}" for c in commits])
    except GitUnavailable as exc:
        raise _not_versioned(exc, f"list the versions of {display}", display) from None

    facts = [
        _facts(None if isinstance(data, Oversized) else data, f"{display}@{c.commit}")
        for c, data in zip(commits, contents, strict=True)
    ]
    versions: list[Version] = []
    for index, (info, data, fact) in enumerate(zip(commits, contents, facts, strict=True)):
        older = next((f for f in facts[index + 1 :] if f is not None), None)
        versions.append(
            Version(
                commit=info.commit,
                full_commit=info.full_commit,
                date=info.date,
                author=info.author,
                message=info.message,
                label=fact.label if fact else None,
                status=fact.status if fact else None,
                status_changed=bool(
                    fact and older and fact.effective_status != older.effective_status
                ),
                signatories_changed=bool(fact and older and fact.signatories != older.signatories),
                removed=data is None,
            )
        )
    return versions


def commits_touching(root: Path, paths: Iterable[Path], limit: int) -> list[str]:
    """The full hashes of the last ``limit`` commits that touched any of ``paths``, newest
    first (empty when none did, or outside git)."""
    names = sorted({_rel(root, path) for path in paths})
    try:
        result = run_git(root, "log", f"-{limit}", "--format=%H", "--", *names, check=True)
    except GitUnavailable:
        return []
    return result.stdout.decode("ascii", "replace").split()


def read_many_at(root: Path, wanted: list[tuple[str, Path]]) -> list[bytes | None]:
    """The bytes of each ``(commit, path)`` as committed, through one ``git cat-file``; None
    where the file did not exist. A file over :data:`MAX_BLOB_BYTES` is an error."""
    objects = [f"{commit}:./{_rel(root, path)}" for commit, path in wanted]
    try:
        found = _read_many(root, objects)
    except GitUnavailable as exc:
        raise _not_versioned(exc, "read old versions", None) from None
    out: list[bytes | None] = []
    for (commit, path), data in zip(wanted, found, strict=True):
        if isinstance(data, Oversized):
            display = _rel(root, path)
            raise _oversized(data, f"{display} at {commit[:12]}", display)
        out.append(data)
    return out


def _read_many(root: Path, objects: list[str]) -> list[bytes | Oversized | None]:
    """The blobs named ``REV:path``; None where missing or not a file, :class:`Oversized` where
    larger than :data:`MAX_BLOB_BYTES`. Sizes are asked first (``git cat-file --batch-check``),
    and only the blobs within the limit are read, through one ``git cat-file --batch``."""
    if not objects:
        return []
    if any("\n" in name for name in objects):  # the batch protocol is line based
        return [_read_one(root, name) for name in objects]
    checked = run_git(
        root,
        "cat-file",
        "--batch-check=%(objecttype) %(objectsize)",
        stdin="".join(f"{o}\n" for o in objects).encode(),
        check=True,
    )
    kinds = [line.split(b" ") for line in checked.stdout.split(b"\n")[: len(objects)]]
    out: list[bytes | Oversized | None] = []
    readable: list[int] = []
    for index, kind in enumerate(kinds):
        if len(kind) == 2 and kind[0] == b"blob" and kind[1].isdigit():
            size = int(kind[1])
            out.append(Oversized(size) if size > MAX_BLOB_BYTES else b"")
            if size <= MAX_BLOB_BYTES:
                readable.append(index)
        else:  # missing, ambiguous, or a tree where a file was expected
            out.append(None)
    blobs = _read_batch(root, [objects[i] for i in readable])
    for index, blob in zip(readable, blobs, strict=True):
        out[index] = blob
    return out


def _read_batch(root: Path, objects: list[str]) -> list[bytes | None]:
    """Blobs through one ``git cat-file --batch`` (each already known to be small)."""
    if not objects:
        return []
    result = run_git(
        root, "cat-file", "--batch", stdin="".join(f"{o}\n" for o in objects).encode(), check=True
    )
    out: list[bytes | None] = []
    data, pos = result.stdout, 0
    for _name in objects:
        end = data.find(b"\n", pos)
        header = data[pos:end].split(b" ") if end >= 0 else []
        if end < 0:
            out.append(None)
            continue
        pos = end + 1
        if len(header) == 3 and header[1] == b"blob" and header[2].isdigit():
            size = int(header[2])
            out.append(data[pos : pos + size] if size <= MAX_BLOB_BYTES else None)
            pos += size + 1  # the blob is followed by a newline
        elif len(header) == 3 and header[2].isdigit():  # another kind of object
            pos += int(header[2]) + 1
            out.append(None)
        else:  # "<name> missing" or "ambiguous"
            out.append(None)
    return out


def _read_one(root: Path, name: str) -> bytes | Oversized | None:
    sized = run_git(root, "cat-file", "-s", name)
    if sized.returncode != 0 or not sized.stdout.strip().isdigit():
        return None
    if int(sized.stdout) > MAX_BLOB_BYTES:
        return Oversized(int(sized.stdout))
    result = run_git(root, "cat-file", "blob", name)
    return result.stdout if result.returncode == 0 else None


@dataclass(frozen=True)
class _Facts:
    label: str | None
    status: str | None
    effective_status: str
    signatories: frozenset[str]


def _facts(data: bytes | None, display: str) -> _Facts | None:
    """Label, status and signatories of one version of a position file; None if unreadable."""
    if data is None:
        return None
    try:
        plain: Any = to_plain(parse_yaml(data, display))
    except StandpuntError:  # an old version that cannot be read is simply "unknown"
        return None
    if not isinstance(plain, dict):
        return None
    label, status, signatories = plain.get("version"), plain.get("status"), plain.get("signatories")
    return _Facts(
        label=label if isinstance(label, str) else None,
        status=status if isinstance(status, str) else None,
        effective_status=status if isinstance(status, str) else DEFAULT_STATUS,
        signatories=frozenset(
            s for s in (signatories if isinstance(signatories, list) else []) if isinstance(s, str)
        ),
    )
