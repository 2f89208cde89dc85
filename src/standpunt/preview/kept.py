"""The workspace as the preview last read it: a save reads again only the files that changed.

A refresh builds the open positions of a workspace that may hold a thousand positions and
thousands of references; reading the evidence again on every save would cost more than the
refresh itself (0.7 s for 2,007 entries in one CSL-JSON file). What was read is kept with the
hashes of the files it came from, and read again when one of them changed:

- standpunt.yaml: everything (its settings say where the evidence lies and how to read it);
- an open position's file, or the names in positions/ (which decide a position's twins and the
  ids a message names): that position;
- any file under the evidence folders: the evidence; the plan then finds the changed references
  among the inputs of the positions citing them, and builds those again.

Files are compared by their content's hash, not their time (a coarse clock could hide a
save). What a read reports (its problems) is kept with what it read and reported again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from standpunt.buildstate.state import files_digest
from standpunt.errors import Diagnostic
from standpunt.workspace.paths import CONFIG_FILE, POSITIONS_DIR, YAML_SUFFIXES
from standpunt.workspace.read import (
    EvidenceItem,
    PositionFile,
    Workspace,
    evidence_files,
    load_config,
    read_evidence,
    read_positions,
)
from standpunt.workspace.schema import Config


@dataclass
class _Read:
    """What one read found, and the hashes of the files it was read from."""

    digests: dict[str, str]
    positions: dict[str, PositionFile] = field(default_factory=dict)
    evidence: dict[str, EvidenceItem] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)
    listed: list[str] = field(default_factory=list)


class KeptWorkspace:
    """Opens the workspace at ``root`` with some positions read, as
    :func:`~standpunt.workspace.read.open_positions` does, reading only what changed since the
    last :meth:`open`. ``reads`` counts the reads of each kind (for tests)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._config: tuple[dict[str, str], Config, Any] | None = None
        self._names: tuple[str, ...] = ()
        self._positions: dict[str, _Read] = {}
        self._evidence: _Read | None = None
        self.reads: dict[str, int] = {"config": 0, "position": 0, "evidence": 0}

    def open(self, ids: list[str]) -> Workspace:
        """The workspace with the positions ``ids`` read (at least one), and all evidence."""
        config, config_raw = self._read_config()
        workspace = Workspace(self.root, config, config_raw, partial=list(ids))
        self._add_positions(workspace, config, config_raw, ids)
        self._add_evidence(workspace, config, config_raw)
        return workspace

    def _read_config(self) -> tuple[Config, Any]:
        digests = files_digest([self.root / CONFIG_FILE], self.root)
        if self._config is None or self._config[0] != digests:
            self._config = None
            self._positions.clear()
            self._evidence = None
            config, raw = load_config(self.root)  # a problem here stops, as in any build
            self.reads["config"] += 1
            self._config = (digests, config, raw)
        return self._config[1], self._config[2]

    def _add_positions(
        self, workspace: Workspace, config: Config, config_raw: Any, ids: list[str]
    ) -> None:
        folder = self.root / POSITIONS_DIR
        try:
            names = tuple(sorted(os.listdir(folder)))
        except OSError:
            names = ()
        if names != self._names:
            self._names = names
            self._positions.clear()
        listed: list[str] | None = None
        for pid in dict.fromkeys(ids):
            files = [folder / name for name in names if _position_file(name, pid)]
            digests = files_digest(files, self.root)
            kept = self._positions.get(pid)
            if kept is None or kept.digests != digests:
                one = Workspace(self.root, config, config_raw, partial=[pid])
                read_positions(one, [pid])
                self.reads["position"] += 1
                kept = _Read(digests, one.positions, problems=one.problems.items)
                kept.listed = one.listed
                self._positions[pid] = kept
            workspace.positions.update(kept.positions)
            workspace.problems.extend(kept.problems)
            listed = kept.listed
        workspace.listed = list(listed or [])

    def _add_evidence(self, workspace: Workspace, config: Config, config_raw: Any) -> None:
        # the files a read reads (a folder out of bounds stops here)
        digests = files_digest(evidence_files(workspace), self.root)
        if self._evidence is None or self._evidence.digests != digests:
            every = Workspace(self.root, config, config_raw)
            read_evidence(every)
            self.reads["evidence"] += 1
            self._evidence = _Read(digests, evidence=every.evidence, problems=every.problems.items)
        workspace.evidence = dict(self._evidence.evidence)
        workspace.problems.extend(self._evidence.problems)


def _position_file(name: str, pid: str) -> bool:
    """Whether ``name`` in positions/ is a file the position ``pid`` is read from (any case)."""
    stem, dot, suffix = name.rpartition(".")
    return bool(dot) and stem.lower() == pid.lower() and f".{suffix.lower()}" in YAML_SUFFIXES
