"""Answers kept in build/.standpunt-cache/, signed, so that only this user's Standpunt is believed.

A cache entry is read back as if a stranger had written it: build/ lies inside the workspace,
which a partner may have sent, a sync may have brought, or an old version may have left. So
every entry carries an HMAC-SHA256 of what it holds, made with a key that never lies in a
workspace: 32 random bytes in the user's own cache folder (``$XDG_CACHE_HOME/standpunt`` or
``~/.cache/standpunt``, the file private to the user). An entry whose HMAC does not match (written
by someone else, changed, cut off, or made under another key) is ignored, as is one that is not
a regular file (a link, a FIFO) or is larger than :data:`MAX_ENTRY`; the work is then done again.

Why an HMAC rather than re-validating what is read: the answers kept here (what ``check`` found)
cannot be judged without doing the work again, which is what the cache saves. Why JSON and not
pickle: reading a pickle can run code. When no key can be kept (a read-only home folder), nothing
is cached and nothing is read from the cache.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from pathlib import Path
from typing import Any

from standpunt.errors import StandpuntError
from standpunt.workspace.files import TEMP_PREFIX, build_folder
from standpunt.workspace.paths import BUILD_DIR, CACHE_DIR

__all__ = ["MAX_ENTRY", "read_entry", "write_entry"]

#: The largest cache entry read back.
MAX_ENTRY = 64 * 1024 * 1024
_KEY_SIZE = 32
_MAC_SIZE = 64  # hex digits of an HMAC-SHA256


def key_file() -> Path:
    """Where the user's cache key is kept: outside every workspace."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "standpunt" / "cache-key"


def _cache_key() -> bytes | None:
    """The user's key, made on first use; None when it cannot be read or kept."""
    path = key_file()
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    except OSError:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:  # made a moment ago by another run
        return _try_read_key(path)
    except OSError:
        return None
    import secrets  # a key is made once per workspace: its import is not every command's

    key = secrets.token_bytes(_KEY_SIZE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
    except OSError:
        return None
    return key


def _try_read_key(path: Path) -> bytes | None:
    try:
        return _read_key(path)
    except OSError:
        return None


def _read_key(path: Path) -> bytes | None:
    """The key in ``path``; None when it is not a private regular file of the right size."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
            return None
        key = handle.read(_KEY_SIZE + 1)
    return key if len(key) == _KEY_SIZE else None


def _mac(key: bytes, kind: str, body: bytes) -> str:
    return hmac.new(key, kind.encode("utf-8") + b"\0" + body, hashlib.sha256).hexdigest()


def signature(body: bytes, kind: str = "cited") -> bytes | None:
    """The signature that makes ``body`` believable to this user later (None: no key)."""
    key = _cache_key()
    return None if key is None else _mac(key, kind, body).encode("ascii")


def signed(body: bytes, mac: bytes, kind: str = "cited") -> bool:
    """Whether ``mac`` is this user's signature of ``body``: a cache handed over with a
    workspace (or rewritten by anyone without the key) is not believed, however safe it looks."""
    key = _cache_key()
    if key is None or len(mac) != _MAC_SIZE:
        return False
    return hmac.compare_digest(mac.decode("ascii", "replace"), _mac(key, kind, body))


def entry_name(kind: str, display: str) -> str:
    """The name of the entry kept of the file shown as ``display`` (any text: a file's name
    that is no UTF-8 too)."""
    return hashlib.sha256(f"{kind}\0{display}".encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _entry_path(root: Path, kind: str, name: str) -> Path:
    return root / BUILD_DIR / CACHE_DIR / f"{kind}-{name}.json"


def read_entry(root: Path, kind: str, name: str) -> Any:
    """What :func:`write_entry` kept under ``kind`` and ``name``, or None when there is nothing
    to believe: no entry, no key, a link or FIFO, or an entry this user's key did not sign."""
    key = _cache_key()
    if key is None:
        return None
    folder = root / BUILD_DIR
    for part in (folder, folder / CACHE_DIR):
        try:
            if not stat.S_ISDIR(os.lstat(part).st_mode):  # a link is not followed
                return None
        except OSError:
            return None
    try:
        fd = os.open(_entry_path(root, kind, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        data = handle.read(MAX_ENTRY + 1)
    mac, _, body = data.partition(b"\n")
    if len(data) > MAX_ENTRY or len(mac) != _MAC_SIZE:
        return None
    if not hmac.compare_digest(mac.decode("ascii", "replace"), _mac(key, kind, body)):
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def write_entry(root: Path, kind: str, name: str, value: Any) -> None:
    """Keep ``value`` (plain JSON data) under ``kind`` and ``name``, signed with the user's key;
    a cache that cannot be written only costs the work next time."""
    key = _cache_key()
    if key is None:
        return
    try:
        body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # a file's name that is no UTF-8: not kept, said again next time
        return
    try:
        build_folder(root, f"{BUILD_DIR}/{CACHE_DIR}")
        path = _entry_path(root, kind, name)
        if path.is_symlink() or (path.exists() and not path.is_file()):
            return
        _replace(path, _mac(key, kind, body).encode("ascii") + b"\n" + body)
    except (OSError, StandpuntError):
        pass


def _replace(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old entry or the new one, as
    :func:`~standpunt.workspace.files.write_atomic` does, but without waiting for the disk: a
    ``check`` keeps a thousand entries, and an entry a crash cut off fails its HMAC and is
    made again."""
    import tempfile  # only a command that keeps an entry pays for its import

    fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
