"""Step 3 of a build: the outputs that are not current, rendered by the render workers.

The workers start first, so that their import of WeasyPrint overlaps pandoc, which then resolves
every position's citations at once on a thread pool. A position's jobs go to the workers as soon
as its citations are in and a worker is free; each result is committed as it comes
(:mod:`standpunt.build.commit`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from standpunt.build.cite import ReadingOrder, start_citing
from standpunt.build.commit import Tally, commit
from standpunt.build.docx import export_docx
from standpunt.build.pages import Pages
from standpunt.build.plan import OutputTask, Plan, PlannedPosition
from standpunt.buildstate.state import BuildOptions
from standpunt.choices import Medium
from standpunt.cite.citeproc import CitedText, PieceSpec
from standpunt.cite.warm import WarmCiter
from standpunt.errors import StandpuntError
from standpunt.render.workers import Job, JobResult, Renderer, WorkersFor
from standpunt.workspace.files import build_folder
from standpunt.workspace.paths import BUILD_DIR, CACHE_DIR
from standpunt.workspace.read import Workspace


def render(
    workspace: Workspace,
    plan: Plan,
    options: BuildOptions,
    workers: WorkersFor,
    tally: Tally,
    warm: WarmCiter,
) -> None:
    """Make every output of ``plan`` that is not current, with render workers from ``workers``
    (and Word documents with pandoc, beside them) and the warm pandoc ``warm``."""
    everything = plan.to_make()
    tasks = {task.key: task for _, outputs in everything for task in outputs}
    to_make = [(p, [t for t in ts if not t.word]) for p, ts in everything]
    to_make = [(planned, outputs) for planned, outputs in to_make if outputs]
    words = [(planned, task) for planned, outputs in everything for task in outputs if task.word]
    pages = Pages(workspace, plan, options)

    def done(result: JobResult) -> None:
        commit(workspace, plan.state, tally, tasks[result.key], result)

    plan.state.workspace = None  # outputs change from here on
    cache = build_folder(workspace.root, f"{BUILD_DIR}/{CACHE_DIR}")
    limits = workspace.config.limits
    with workers(limits, len(tasks)) as pool:
        pool.start()  # WeasyPrint's import in the workers overlaps pandoc's runs
        order = pages.reading_order if pages.own_template else _probed(to_make, pages, pool)
        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as threads:
            citations = start_citing(threads, to_make, plan.style, cache, order, warm)
            documents = [
                threads.submit(_word, workspace, plan, planned, task) for planned, task in words
            ]
            try:
                pool.run(_jobs(to_make, pages, citations, tally), done)
                for document in documents:
                    done(document.result())
            finally:
                plan.state.write()


def _word(
    workspace: Workspace, plan: Plan, planned: PlannedPosition, task: OutputTask
) -> JobResult:
    """A position's Word document, made by pandoc under the render time limit."""
    try:
        data = export_docx(workspace, planned, plan.style, workspace.config.limits.seconds)
    except StandpuntError as exc:
        return JobResult(task.key, error=exc)
    return JobResult(task.key, data=data)


def _probed(
    to_make: list[tuple[PlannedPosition, list[OutputTask]]], pages: Pages, pool: Renderer
) -> ReadingOrder:
    """The reading order of each page to make, from its probe rendered by the render workers:
    a workspace's template runs only there, under the limits of time and memory. A position
    whose probe fails fails with the probe's error when its citations are asked for."""
    probes: dict[str, tuple[PlannedPosition, Medium]] = {}
    found: dict[str, str | StandpuntError] = {}
    jobs = []
    for planned, outputs in to_make:
        for medium in dict.fromkeys(task.medium for task in outputs):
            key = f"{planned.id}#{medium}"
            probes[key] = (planned, medium)
            try:
                jobs.append(pages.probe(planned, medium, key))
            except StandpuntError as exc:
                found[key] = exc

    def collect(result: JobResult) -> None:
        found[result.key] = result.error or (result.data or b"").decode("utf-8")

    pool.run(jobs, collect)

    def order(planned: PlannedPosition, medium: Medium) -> list[PieceSpec]:
        page = found[f"{planned.id}#{medium}"]
        if isinstance(page, StandpuntError):
            raise page
        return pages.order_from(planned, page)

    return order


def _jobs(
    to_make: list[tuple[PlannedPosition, list[OutputTask]]],
    pages: Pages,
    citations: dict[str, Future[CitedText]],
    tally: Tally,
) -> Iterator[Job]:
    """Each position's jobs in turn; a position whose jobs cannot be made fails here."""
    for planned, outputs in to_make:
        try:
            jobs = pages.jobs(planned, outputs, citations[planned.id])
        except StandpuntError as exc:
            for task in outputs:
                tally.failed(task, exc)
            continue
        yield from jobs
