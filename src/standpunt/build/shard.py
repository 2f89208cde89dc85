"""``build --shard K/N``: one of N parts of a workspace's positions, so that a CI job matrix can
build a large workspace in parallel.

The split is by a hash of each position's id, not by its place in a list: adding or removing a
position never moves the others to another shard (their build state, cached per shard, stays
valid), and the N shards together hold every position exactly once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from standpunt.errors import UsageError
from standpunt.workspace.paths import position_ids, valid_id

_SHARD = re.compile(r"([0-9]{1,4})/([0-9]{1,4})")
MAX_SHARDS = 1000


@dataclass(frozen=True)
class Shard:
    """Part ``index`` (counted from 1) of ``count``."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``K/N`` as typed after ``--shard``; anything else is a usage error saying the form."""
        match = _SHARD.fullmatch(text.strip())
        if match is None:
            raise UsageError(
                f"--shard '{text}' is not K/N; write e.g. --shard 2/3 for the second of three "
                "parts",
                code="usage",
            )
        index, count = int(match[1]), int(match[2])
        if not 1 <= index <= count <= MAX_SHARDS:
            raise UsageError(
                f"--shard {text}: K must be between 1 and N, and N at most {MAX_SHARDS}",
                code="usage",
            )
        return cls(index, count)

    def holds(self, position_id: str) -> bool:
        """Whether the position with this id is built by this shard."""
        digest = hashlib.sha256(position_id.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_ids(root: Path, shard: Shard, ids: list[str] | None) -> list[str]:
    """The ids of ``ids`` (every position file's, when None) that ``shard`` holds, sorted.

    Only file names are read; a file whose name is no id is left out here, and ``check`` (which
    a CI workflow runs before the shards) reports it.
    """
    if ids is None:
        ids = position_ids(root)
    return sorted(pid for pid in dict.fromkeys(ids) if valid_id(pid) and shard.holds(pid))
