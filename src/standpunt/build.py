"""The build: everything first, then output.

The whole workspace is loaded and checked before anything is written. Positions with errors are
not built; the others are. pandoc (one process per position, citations resolved) starts for all
positions at once on a thread pool, so it runs while WeasyPrint is imported and while earlier
positions are rendered; each PDF is written atomically as soon as it is ready.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .check import check_workspace
from .citations import CitedText, Style, cite, resolve_style
from .errors import Diagnostic, StandpuntError, UsageError
from .model import Position
from .output import build_folder, clean_temp_files, output_path, write_atomic
from .footnotes import prepare
from .render import read_stylesheet, render_html, template_set, view_model
from .workspace import Workspace

FORMATS = ("pdf", "html")


@dataclass
class Outcome:
    """What became of one position."""

    id: str
    written: list[Path] = field(default_factory=list)
    error: Diagnostic | None = None


@dataclass
class BuildOptions:
    formats: tuple[str, ...] = ("pdf",)
    pdf_variant: str | None = None


class Progress(Protocol):
    """Told how many positions will be built, then of each one as it is done."""

    def start(self, total: int) -> None: ...

    def done(self, position_id: str, outcome: Outcome) -> None: ...


def select(workspace: Workspace, ids: list[str] | None) -> list[str]:
    """The positions to work on; an unknown id is a usage error naming the known ones."""
    if not ids:
        return sorted(workspace.positions)
    for wanted in ids:
        if wanted not in workspace.positions:
            from .errors import did_you_mean

            raise UsageError(
                f"no position '{wanted}' in positions/{did_you_mean(wanted, workspace.positions)}",
                code="unknown-position",
            )
    return list(dict.fromkeys(ids))


def position_fields(position: Position) -> list[tuple[str, str]]:
    """The Markdown fields pandoc formats, named for messages, in the order
    :func:`render.view_model` reads them."""
    fields = [("the summary", position.summary)] if position.summary else []
    for number, section in enumerate(position.sections, 1):
        fields.append((f"section {number} ('{section.title}')", section.body))
        if section.quote:
            fields.append((f"the pull quote of section {number}", section.quote))
    fields.extend((f"ask {n}", ask) for n, ask in enumerate(position.recommendations, 1))
    return fields


def buildable(workspace: Workspace, ids: list[str]) -> list[str]:
    """The positions among ``ids`` whose own file has no errors."""
    return [
        i
        for i in ids
        if workspace.positions[i].model is not None
        and not workspace.problems.errors_at(workspace.positions[i].display)
    ]


def build(
    workspace: Workspace,
    ids: list[str] | None = None,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Build the chosen positions (all by default); returns one outcome per buildable position."""
    options = options or BuildOptions()
    chosen = select(workspace, ids)
    cited_keys = check_workspace(workspace, chosen if ids else None)
    todo = buildable(workspace, chosen)
    if not todo:
        return []
    style = resolve_style(workspace.config.style, workspace.root)
    templates = template_set(workspace)
    roots = [workspace.root, *templates.folders]
    folder = build_folder(workspace.root)
    clean_temp_files(folder)
    variant = options.pdf_variant or workspace.config.pdf_variant
    if progress:
        progress.start(len(todo))

    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        pending: dict[str, Future[CitedText]] = {
            pid: pool.submit(_cite, workspace, pid, cited_keys.get(pid, []), style) for pid in todo
        }
        write_pdf = None
        if "pdf" in options.formats:
            from .pdf import write_pdf  # ~0.5 s; overlaps the pandoc runs above

        for pid in todo:
            outcome = Outcome(pid)
            try:
                position = workspace.positions[pid].model
                assert position is not None
                cited = pending[pid].result()
                names = [name for name, _text in position_fields(position)]
                for medium, suffix in (("screen", ".html"), ("print", ".pdf")):
                    if suffix[1:] not in options.formats:
                        continue
                    text, expected = prepare(cited, names, medium)
                    css = read_stylesheet(templates, medium)
                    context = view_model(workspace, pid, position, text, css, medium)
                    html = render_html(templates, context)
                    if medium == "print":
                        assert write_pdf is not None
                        data = write_pdf(html, roots, variant, expected.anchors)
                    else:
                        data = html.encode("utf-8")
                    target = output_path(folder, pid, suffix)
                    write_atomic(target, data)
                    outcome.written.append(target)
            except StandpuntError as exc:
                diagnostic = exc.diagnostic()
                if diagnostic.location is None:
                    where = workspace.positions[pid].location
                    diagnostic = Diagnostic("error", exc.message, exc.code, where)
                outcome.error = diagnostic
            outcomes.append(outcome)
            if progress:
                progress.done(pid, outcome)
    return outcomes


def _cite(workspace: Workspace, pid: str, keys: list[str], style: Style) -> CitedText:
    position = workspace.positions[pid].model
    assert position is not None
    references = [workspace.evidence[key].csl for key in keys if key in workspace.evidence]
    texts = [text for _name, text in position_fields(position)]
    return cite(texts, references, style, workspace.lang_of(position))
