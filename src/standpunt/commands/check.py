"""``standpunt check``: every problem of every file, in one run.

What a check found is kept while nothing it reads changes (:mod:`standpunt.buildstate.checked`):
checking an unchanged workspace again only hashes its files. ``check ID`` reads that position, the
evidence and the settings, not the other positions (:func:`open_positions`); the checks across
all positions (evidence nobody cites) run only when every position is checked.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from standpunt.buildstate.checked import cached_check, inputs, keep_check, kept_check
from standpunt.commands.result import Result
from standpunt.errors import Diagnostic, StandpuntError

if TYPE_CHECKING:  # the kept answer of an unchanged workspace reads none of it
    from standpunt.workspace.read import Workspace


@dataclass
class Checked(Result):
    """The problems, sorted by file and line, and how much was checked: the positions asked
    for (all by default), and every evidence item (evidence is always checked whole)."""

    positions: int
    evidence: int


def check(root: Path, ids: list[str] | None = None) -> Checked:
    """Read and check the workspace at ``root``, or only the positions ``ids`` of it."""
    kept = kept_check(root, ids)
    hashed = inputs(root, ids, kept)
    answer = cached_check(kept, hashed)
    if answer is not None:
        summary, problems = answer
        if isinstance(summary, list) and len(summary) == 2 and all(type(n) is int for n in summary):
            return Checked(problems=problems, positions=summary[0], evidence=summary[1])
    with _rare_collections():  # set back once check_now's values are freed
        checked = check_now(root, ids)
    keep_check(root, ids, hashed, [checked.positions, checked.evidence], checked.problems)
    return checked


def check_now(root: Path, ids: list[str] | None = None) -> Checked:
    """:func:`check` without the kept answer: everything read and checked again."""
    from standpunt.checks.check import ask_about_style, check_workspace
    from standpunt.workspace.read import keep_what_was_read, open_positions, select

    asked: list[threading.Thread] = []
    try:
        ask = partial(ask_about_style, asked=asked)
        workspace = open_positions(root, ids, settings_read=ask)
        chosen = select(workspace, ids)
        report = check_workspace(workspace, chosen if ids else None)
        report.problems.extend(_template_problems(workspace))
        keep_what_was_read(workspace)  # for the commands that read less: status, fingerprint
    finally:
        for thread in asked:  # its pandoc works in a temporary folder, removed when it ends
            thread.join()
    if not ids:  # the keys each position cites, for status and fingerprint of one id
        from standpunt.cite.locate import KeptCitations

        kept = KeptCitations()
        for pid, keys in report.written.items():
            kept.note(workspace.positions[pid], keys)
        kept.keep(root)
    return Checked(
        problems=report.problems.sorted(),
        positions=len(chosen),
        evidence=len(workspace.evidence),
    )


def _template_problems(workspace: Workspace) -> list[Diagnostic]:
    """The workspace's own template compiled as the build compiles it, so that a syntax error
    in it (an unknown filter too) is ``check``'s to report, not the build's first."""
    from standpunt.workspace.templates import template_set

    try:
        templates = template_set(workspace)
    except StandpuntError:  # an unknown template: check_workspace said so, at the setting
        return []
    if len(templates.folders) < 2:  # the built-in template alone: Jinja is not even imported
        return []
    from standpunt.render.template import template_problems

    return template_problems(templates)


@contextlib.contextmanager
def _rare_collections() -> Iterator[None]:
    """Python's cycle collector runs after every 100,000 new objects instead of every 700 while
    a workspace is read and checked: that makes millions of objects (every value of every file,
    with its location), nearly none of them garbage, and the collector's passes over all of
    them took a quarter of a cold check of 1,000 positions. It still runs, so memory stays
    bounded; the thresholds are set back after."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)
