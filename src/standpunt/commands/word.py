"""``standpunt docx-import``: a partner's Word copy of a position, shown as a redline against
the current text and, with ``apply``, written into the position's YAML."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from standpunt.checks.check import check_workspace
from standpunt.coalition.fingerprint import position_fingerprint, short
from standpunt.commands.result import Result
from standpunt.errors import StandpuntError, UsageError
from standpunt.versions.redline import cited_ids, compare, to_text
from standpunt.workspace.files import write_atomic
from standpunt.workspace.load import read_text, to_plain
from standpunt.workspace.read import open_workspace, select
from standpunt.workspace.word import applied, check_docx, read_copy, text_path


@dataclass
class WordImport(Result):
    """What a Word copy changed: the redline as text, the keys of the texts changed, changes of
    structure not applied, notes, and the file written when the changes were applied."""

    redline: str
    changed: list[str]
    structure: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: str | None = None


def docx_import(root: Path, file: Path, position: str, apply: bool, color: bool) -> WordImport:
    """Read ``file`` (a Word document made by ``build --format docx``) as a copy of
    ``position``; with ``apply``, write the partner's changes into the position's YAML."""
    workspace = open_workspace(root)
    (pid,) = select(workspace, [position])
    found = workspace.positions[pid]
    if found.raw is None or found.model is None:
        raise StandpuntError(
            f"{found.display} has errors; fix them first (standpunt check {pid})",
            found.location,
            "position-has-errors",
        )
    aliases = check_workspace(workspace, [pid]).aliases.get(pid, {})
    made_from = check_docx(file).get("standpunt-position")
    if made_from is not None and made_from != pid:
        raise UsageError(
            f"{file.name} is a copy of position '{made_from}', not of '{pid}'; read it "
            f"with: standpunt docx-import {file} {made_from}",
            code="wrong-position",
        )
    word = read_copy(file, found.raw, aliases)
    notes = []
    current = position_fingerprint(workspace, pid)
    older = word.fingerprint is not None and word.fingerprint != current
    if older:
        notes.append(
            f"{file.name} was made from an older text ({short(word.fingerprint or '')}; the "
            f"current one is {short(current)}): what changed since would be undone, so its "
            "changes are shown, not applied; copy them by hand"
        )
    changes = {key: word.texts[key] for key in word.changed}
    plain = to_plain(found.raw)
    theirs = _with(plain, changes)
    lang = workspace.lang_of(found.model)
    redline = compare(
        plain,
        theirs,
        cited_ids(plain),
        cited_ids(theirs),
        lang,
        before=found.display,
        after=file.name,
    )
    text = to_text(redline, color=color, labels=workspace.labels(lang))
    result = WordImport(redline=text, changed=word.changed, structure=word.structure, notes=notes)
    if apply and changes and not older:
        source = read_text(found.path, found.display, "yaml")
        write_atomic(found.path, applied(source, found.raw, changes, found.display).encode())
        result.written = found.display
    return result


def _with(plain: Any, changes: dict[str, str]) -> Any:
    """A copy of plain position data with the texts in ``changes`` replaced."""
    changed = copy.deepcopy(plain)
    for key, text in changes.items():
        *steps, last = text_path(key)
        node = changed
        for step in steps:
            node = node[step]
        node[last] = text
    return changed
