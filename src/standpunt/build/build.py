"""The build's entry point: a workspace folder and the options in, a report out.

A whole-workspace build first hashes every input in one cheap pass
(:func:`~standpunt.buildstate.state.workspace_digest`); when nothing changed since the last
complete, clean build, it stops there, without loading the workspace or importing anything heavy.
Otherwise it starts the render workers before it imports the rest of Standpunt: their import of
WeasyPrint (the slowest step of a small build) then runs while this process reads and checks the
workspace and runs pandoc (:mod:`standpunt.build.run`).

This module imports nothing heavy at its top, so that the ``build`` command can import it first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from standpunt.build.report import BuildReport, Progress
from standpunt.buildstate.state import BuildOptions, BuildState, Outline, outline, workspace_digest
from standpunt.errors import StandpuntError
from standpunt.workspace.paths import BUILD_DIR

if TYPE_CHECKING:
    from standpunt.cite.warm import CitersFor, WarmCiter
    from standpunt.limits import Limits
    from standpunt.render.workers import Pool, WorkersFor


def build_workspace(
    root: Path,
    ids: list[str] | None = None,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
    warm: WorkersFor | None = None,
    citers: CitersFor | None = None,
) -> BuildReport:
    """Build the positions ``ids`` (all by default) of the workspace at ``root``: what changed.

    ``warm`` lends the caller's own render workers (the preview keeps one warm between builds).
    Such a caller has paid for loading and starting already and wants every position's outcome,
    so its builds neither stop at the whole-workspace digest nor record it. ``citers`` lends
    its warm pandoc likewise (by default a build starts its own).
    """
    options = options or BuildOptions()
    if warm is not None:
        _check_edition(root, options.edition)
        return _open_and_run(root, ids, options, progress, warm, None, citers)
    whole = not ids and not options.force
    sketch = outline(root)
    digest = workspace_digest(root, options.key(), sketch.evidence_folders) if whole else None
    last = BuildState.read(root / BUILD_DIR)
    if whole and digest == last.workspace and last.intact(root / BUILD_DIR):
        return BuildReport(nothing_to_build=True)
    _check_edition(root, options.edition)
    if not sketch.limits_valid:
        _check_limits(root)
    # each stopped (its processes ended, its folders removed) however the build ends, also
    # when it is stopped while the other is still being started
    with ExitStack() as started:
        early = started.enter_context(_start_early(sketch, last, ids, options))
        citer = _cite_early(root, sketch, started)
        workers = partial(_adopting, early, options)
        citers = partial(_lending, citer)
        return _open_and_run(root, ids, options, progress, workers, digest, citers)


def _check_edition(root: Path, edition: str | None) -> None:
    """A partner's edition needs the partner: an unknown one is a usage error, told before any
    position is read or any worker started. Only then is standpunt.yaml read this early (its
    schema import no longer overlaps the workers' start): a build without an edition does not
    pay for it."""
    if not edition:
        return
    from standpunt.errors import UsageError, did_you_mean
    from standpunt.workspace.read import load_config

    partners = load_config(root)[0].partners
    if edition not in partners:
        raise UsageError(
            f"no partner '{edition}' in standpunt.yaml{did_you_mean(edition, partners)}",
            code="unknown-partner",
        )


def _check_limits(root: Path) -> None:
    """standpunt.yaml's limits are not all valid: its errors, located, before any worker
    starts (a worker under a limit such as 2 MB could not even start)."""
    from standpunt.workspace.read import load_config

    load_config(root)  # raises every problem of standpunt.yaml, each at its line


def _start_early(
    sketch: Outline, last: BuildState, ids: list[str] | None, options: BuildOptions
) -> Pool:
    """Render workers started before the schema, templates and Markdown machinery are imported.

    A first or forced build renders every position, so it starts all its workers; otherwise
    one, and the build adds more if it needs them.
    """
    from standpunt.render import workers

    everything = options.force or not last.outputs
    wanted = (len(ids or []) or sketch.positions) if everything else 1
    size = max(1, min(wanted, options.jobs or workers.default_jobs()))
    # the workspace's language, whose hyphenation the workers read while they wait
    langs = (sketch.lang or "en",)
    early = workers.Pool(size, sketch.limits, "pdf" in options.formats, langs)
    try:
        early.start()
    except BaseException:  # stopped while starting: what did start is stopped
        early.close()
        raise
    return early


def _cite_early(root: Path, sketch: Outline, started: ExitStack) -> WarmCiter:
    """The build's warm pandoc, started beside the render workers: its start, its first
    citeproc and the style standpunt.yaml names (made ready for its language) overlap their
    start and this process's reading of the workspace."""
    from standpunt.cite.warm import WarmCiter

    citer = started.enter_context(WarmCiter(sketch.limits))  # closed with the build
    citer.start(then=partial(_first_citeproc, root, sketch.style, sketch.lang))
    return citer


def _first_citeproc(root: Path, name: str | None, lang: str | None, citer: WarmCiter) -> None:
    """On the warm pandoc's own thread: its first citeproc, with the style standpunt.yaml
    names if it is one (what is wrong with it is for the check to say)."""
    from standpunt.cite.citeproc import resolve_style
    from standpunt.cite.styles import first_citeproc

    try:
        style = resolve_style(name, root) if name else None
    except StandpuntError:
        style = None
    if style is None:
        first_citeproc(citer)
    else:
        first_citeproc(citer, style.path, style.name, lang)


@contextmanager
def _lending(citer: WarmCiter, limits: Limits) -> Iterator[WarmCiter]:
    """The warm pandoc started early, if it runs under the workspace's limits (else one of
    the build's own); :func:`build_workspace` stops it."""
    from standpunt.cite.warm import own_citer

    if citer.limits == limits:
        yield citer
        return
    with own_citer(limits) as own:
        yield own


@contextmanager
def _adopting(early: Pool, options: BuildOptions, limits: Limits, jobs: int) -> Iterator[Pool]:
    """The build's own workers, one per job up to ``--jobs``, taking over those started early
    (if they run under the same limits); they stop when the build is done."""
    from standpunt.render import workers

    pool = workers.Pool(
        min(options.jobs or workers.default_jobs(), jobs),
        limits,
        "pdf" in options.formats,
        early.langs,
    )
    pool.adopt(early)
    with pool:
        yield pool


def _open_and_run(
    root: Path,
    ids: list[str] | None,
    options: BuildOptions,
    progress: Progress | None,
    workers: WorkersFor,
    record: str | None,
    citers: CitersFor | None = None,
) -> BuildReport:
    # The heavy imports (pydantic, jinja2, markdown-it) happen here, after the workers started.
    from standpunt.build.run import run
    from standpunt.cite.warm import own_citer
    from standpunt.workspace.read import open_positions

    # ``build ID`` reads that position, the evidence and the settings, not the other positions
    workspace = open_positions(root, ids)
    return run(workspace, ids, options, progress, workers, record, citers or own_citer)
