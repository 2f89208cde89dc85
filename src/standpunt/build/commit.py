"""Step 4 of a build: each finished output written in place, and recorded in the build state.

An output is written atomically (readers see the old file or the new one) as soon as its worker
is done, and its input hash goes into the build state, so that the next build knows it is current.
What became of each position is tallied as its outputs come in.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from standpunt.build.plan import OutputTask, Plan
from standpunt.build.report import Outcome, Progress
from standpunt.buildstate.state import BuildState
from standpunt.errors import Diagnostic, StandpuntError
from standpunt.render.workers import JobResult
from standpunt.workspace.files import write_atomic, write_problem
from standpunt.workspace.read import Workspace


class Tally:
    """What became of each position so far; the progress reporter hears of a position as soon
    as its last output is done."""

    def __init__(self, plan: Plan, progress: Progress | None) -> None:
        self._progress = progress
        self._outcomes = {planned.id: Outcome(planned.id) for planned in plan.positions}
        self._where = {planned.id: planned.file.location for planned in plan.positions}
        #: How many outputs of each position are still to be made.
        self._left = {planned.id: 0 for planned in plan.positions}
        for task in plan.outputs:
            if task.current:
                self._outcomes[task.position_id].current.append(task.target)
            else:
                self._left[task.position_id] += 1

    def start(self) -> None:
        """Tell the reporter how many positions there are, and which are current already."""
        if self._progress is None:
            return
        self._progress.start(len(self._outcomes))
        for position_id, left in self._left.items():
            if left == 0:
                self._progress.done(position_id, self._outcomes[position_id])

    def noticed(self, task: OutputTask, notices: tuple[str, ...]) -> None:
        """What the render said of an output it made, as warnings at the position's file."""
        where = self._where[task.position_id]
        self._outcomes[task.position_id].warnings.extend(
            Diagnostic("warning", notice, "note-moved", where) for notice in notices
        )

    def written(self, task: OutputTask) -> None:
        self._outcomes[task.position_id].written.append(task.target)
        self._done(task.position_id)

    def failed(self, task: OutputTask, error: StandpuntError) -> None:
        """The output was not made; the position's first error is the one reported, at the
        position's file unless the error says where it is."""
        outcome = self._outcomes[task.position_id]
        if outcome.error is None:
            diagnostic = error.diagnostic()
            if diagnostic.location is None:
                where = self._where[task.position_id]
                diagnostic = Diagnostic("error", error.message, error.code, where)
            outcome.error = diagnostic
        self._done(task.position_id)

    def _done(self, position_id: str) -> None:
        self._left[position_id] -= 1
        if self._left[position_id] == 0 and self._progress is not None:
            self._progress.done(position_id, self._outcomes[position_id])

    def outcomes(self) -> list[Outcome]:
        """One outcome per position, in order, with the files written sorted."""
        for outcome in self._outcomes.values():
            outcome.written.sort()
        return list(self._outcomes.values())


def commit(
    workspace: Workspace, state: BuildState, tally: Tally, task: OutputTask, result: JobResult
) -> None:
    """Put a finished output in place and record its inputs; a failed one is forgotten in the
    build state, so that the next build makes it again."""
    if result.error is not None:
        state.forget(task.target.name)
        tally.failed(task, result.error)
        return
    assert result.data is not None
    try:
        write_atomic(task.target, result.data)
    except OSError as exc:
        message = (
            f"could not write {workspace.display(task.target)}: {write_problem(exc)}; the "
            "previous file, if there was one, is unchanged"
        )
        tally.failed(task, StandpuntError(message, code="write-failed"))
        return
    state.outputs[task.target.name] = task.input_hash
    state.made[task.target.name] = hashlib.sha256(result.data).hexdigest()
    tally.noticed(task, result.notices)
    tally.written(task)


#: What an output's name looks like: an id, an edition or variant, a suffix a build writes.
_OUTPUT_NAME = re.compile(r"[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)?\.(pdf|html|docx)")


def remove_stale(workspace: Workspace, state: BuildState, folder: Path) -> list[Path]:
    """Remove the outputs the build state says a build made for positions that are gone, and
    forget them; only files Standpunt made (a file it did not record, or a link, stays)."""
    removed = []
    for name in sorted(state.outputs):
        if name.split(".", 1)[0] in workspace.positions or not _OUTPUT_NAME.fullmatch(name):
            continue
        state.forget(name)
        path = folder / name
        if path.is_file() and not path.is_symlink() and path.parent == folder:
            path.unlink()
            removed.append(path)
    if removed:
        state.write()
    return removed


def record_digest(state: BuildState, workspace_digest: str) -> None:
    """Keep the digest of every input of a complete, clean whole-workspace build, so that the
    next build with the same inputs stops at once."""
    if state.workspace != workspace_digest:
        state.workspace = workspace_digest
        state.write()
