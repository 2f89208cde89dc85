"""``standpunt build``: the PDFs (and pages) of a workspace, only what changed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from standpunt.build.build import build_workspace
from standpunt.build.report import BuildReport, Progress
from standpunt.buildstate.state import BuildOptions
from standpunt.commands.result import Result


@dataclass
class Built(Result):
    """What the build did; ``problems`` are what reading and checking found, and each failed
    position's error (which the progress reporter told as it happened)."""

    report: BuildReport


def build(
    root: Path, ids: list[str] | None, options: BuildOptions, progress: Progress | None = None
) -> Built:
    """Build the positions ``ids`` (all when None) of the workspace at ``root``."""
    report = build_workspace(root, ids, options, progress)
    failed = [outcome.error for outcome in report.failed if outcome.error is not None]
    return Built(problems=[*report.diagnostics, *failed], report=report)
