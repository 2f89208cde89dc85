"""A build of an opened workspace, step by step: check, plan, cite and render, commit.

Everything is loaded and checked before anything is written. Positions with errors are not
built; the others are. The plan (:mod:`standpunt.build.plan`) says which outputs are current
already; the rest are rendered (:mod:`standpunt.build.render`), each page from plain data that
does not need the workspace, and written as soon as it is ready (:mod:`standpunt.build.commit`).
"""

from __future__ import annotations

from standpunt.build.commit import Tally, record_digest, remove_stale
from standpunt.build.plan import plan_outputs
from standpunt.build.render import render
from standpunt.build.report import BuildReport, Progress
from standpunt.buildstate.state import BuildOptions
from standpunt.checks.check import CheckReport, check_workspace
from standpunt.cite.citeproc import resolve_style
from standpunt.cite.styles import start_preparing
from standpunt.cite.warm import CitersFor, WarmCiter, own_citer
from standpunt.errors import Diagnostic, StandpuntError
from standpunt.render.workers import WorkersFor
from standpunt.workspace.paths import CONFIG_FILE
from standpunt.workspace.read import Workspace, select


def run(
    workspace: Workspace,
    ids: list[str] | None,
    options: BuildOptions,
    progress: Progress | None,
    workers: WorkersFor,
    record: str | None,
    citers: CitersFor = own_citer,
) -> BuildReport:
    """Build the positions ``ids`` (all when None) of ``workspace``, rendering with ``workers``
    and citing with the warm pandoc of ``citers``.

    ``record`` is the digest of every input of a whole-workspace build
    (:func:`~standpunt.buildstate.state.workspace_digest`): it is kept in the build state when
    the build is complete and clean, so that the next such build stops at once.
    """
    chosen = select(workspace, ids)
    with citers(workspace.config.limits) as warm:
        _prepare_style(workspace, chosen, warm)
        checked, buildable, diagnostics = _check(workspace, chosen, whole=not ids)
        if not buildable:
            return BuildReport([], len(chosen), diagnostics)
        plan = plan_outputs(workspace, buildable, checked, options)
        tally = Tally(plan, progress)
        tally.start()
        if plan.to_make():
            render(workspace, plan, options, workers, tally, warm)
    outcomes = tally.outcomes()
    # what the renders said (a note the layout moved) joins the build's other warnings
    said = [warning for outcome in outcomes for warning in outcome.warnings]
    if said:
        diagnostics = sorted([*diagnostics, *said], key=Diagnostic.sort_key)
    report = BuildReport(outcomes, len(chosen) - len(buildable), diagnostics)
    if not ids:
        report.removed = remove_stale(workspace, plan.state, plan.state.path.parent)
    complete = not ids and len(buildable) == len(workspace.positions)
    if record is not None and complete and report.ok:
        record_digest(plan.state, record)
    return report


def _prepare_style(workspace: Workspace, chosen: list[str], warm: WarmCiter) -> None:
    """The warm pandoc reads the style and makes it ready for the chosen positions' languages
    while the workspace is checked (:func:`standpunt.cite.styles.start_preparing`); what is
    wrong with the style is for the check to say."""
    try:
        style = resolve_style(
            workspace.config.style, workspace.root, workspace.setting_location("style")
        )
    except StandpuntError:
        return
    models = [workspace.positions[pid].model for pid in chosen]
    langs = dict.fromkeys(workspace.lang_of(model) for model in models if model is not None)
    start_preparing(style.path, style.name, list(langs), style.where, warm)


def _check(
    workspace: Workspace, chosen: list[str], whole: bool
) -> tuple[CheckReport, list[str], list[Diagnostic]]:
    """Check the workspace (only the ``chosen`` positions unless ``whole``); returns what the
    build needs of the checks, the chosen positions whose own file has no errors, and every
    problem found, sorted. An error in standpunt.yaml (a style or template that cannot be
    used) holds back every position."""
    checked = check_workspace(workspace, None if whole else chosen)
    problems = checked.problems
    # the files with errors, gathered once (not every error looked at again per position)
    wrong = {d.location.path for d in problems.errors if d.location is not None}
    buildable = [
        pid
        for pid in chosen
        if workspace.positions[pid].model is not None
        and CONFIG_FILE not in wrong
        and workspace.positions[pid].display not in wrong
    ]
    return checked, buildable, problems.sorted()
