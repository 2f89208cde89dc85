"""The ``standpunt`` command: thin commands over the pipeline, errors mapped in one place.

Each command parses its options, opens the workspace and calls one function. WeasyPrint is only
imported by the commands that write PDFs, so ``--help``, ``check`` and ``list`` stay instant.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .errors import ContentErrors, Diagnostic, StandpuntError, UsageError

F = TypeVar("F", bound=Callable[..., Any])


def _echo_diagnostics(diagnostics: list[Diagnostic]) -> None:
    for diagnostic in sorted(diagnostics, key=Diagnostic.sort_key):
        click.echo(str(diagnostic), err=False)


def handle_errors(command: F) -> F:
    """Map Standpunt's errors to messages and exit codes; the only place that exits."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ContentErrors as exc:
            _echo_diagnostics(exc.diagnostics)
            sys.exit(exc.exit_code)
        except StandpuntError as exc:
            click.echo(str(exc), err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("stopped", err=True)
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _root(ctx: click.Context) -> Path:
    from .workspace import find_root

    start = ctx.obj.get("directory")
    return find_root(Path(start) if start else None)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "directory",
    type=click.Path(file_okay=False, path_type=str),
    help="Run as if started in DIRECTORY (like git -C).",
)
@click.version_option(__version__, prog_name="standpunt")
@click.pass_context
def main(ctx: click.Context, directory: str | None) -> None:
    """Standpunt: policy positions kept as YAML in git, built into PDFs with every citation kept.

    A workspace is a folder with standpunt.yaml, positions/ and evidence/; it is found from the
    current folder upwards, or given with -C.
    """
    ctx.ensure_object(dict)
    ctx.obj["directory"] = directory
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    logging.getLogger("standpunt").addHandler(handler)
    logging.getLogger("standpunt").setLevel(logging.WARNING)
    # WeasyPrint reports unsupported CSS at warning level; those are for template authors.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)


@main.command()
@click.argument("positions", nargs=-1)
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text",
    help="json: one object per problem, for CI.",
)
@click.pass_context
@handle_errors
def check(ctx: click.Context, positions: tuple[str, ...], output_format: str) -> None:
    """Validate the workspace and report every problem as path:line:col."""
    from .build import select
    from .check import check_workspace
    from .workspace import open_workspace

    workspace = open_workspace(_root(ctx))
    ids = select(workspace, list(positions)) if positions else None
    check_workspace(workspace, ids)
    problems = workspace.problems
    if output_format == "json":
        click.echo(json.dumps([d.as_dict() for d in problems.sorted()], indent=2))
    else:
        _echo_diagnostics(problems.items)
        count = len(workspace.positions)
        click.echo(
            f"{len(problems.errors)} error(s), {len(problems.warnings)} warning(s) in "
            f"{count} position(s) and {len(workspace.evidence)} evidence item(s)",
            err=True,
        )
    if problems.errors:
        sys.exit(1)


def _formats(value: str) -> tuple[str, ...]:
    from .build import FORMATS

    chosen = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    wrong = [part for part in chosen if part not in FORMATS]
    if wrong or not chosen:
        raise UsageError(
            f"unknown format '{','.join(wrong) or value}'; use pdf, html or pdf,html",
            code="usage",
        )
    return chosen


@main.command()
@click.argument("positions", nargs=-1)
@click.option("--format", "output_format", default="pdf", show_default=True,
              help="pdf, html, or pdf,html.")
@click.option("--pdf-variant", type=click.Choice(["pdf/ua-1", "pdf/a-3b", "none"]),
              help="PDF flavour; default from standpunt.yaml (pdf/ua-1).")
@click.pass_context
@handle_errors
def build(
    ctx: click.Context, positions: tuple[str, ...], output_format: str, pdf_variant: str | None
) -> None:
    """Build build/<id>.pdf for every position (or the ones named)."""
    from .build import BuildOptions
    from .build import build as run_build
    from .workspace import open_workspace

    formats = _formats(output_format)
    workspace = open_workspace(_root(ctx))
    options = BuildOptions(formats=formats, pdf_variant=pdf_variant)
    reporter = _Reporter(workspace.display)
    try:
        outcomes = run_build(workspace, list(positions) or None, options, reporter)
    finally:
        reporter.stop()
    _echo_diagnostics(workspace.problems.items)
    failed = [o for o in outcomes if o.error is not None]
    built = len(outcomes) - len(failed)
    skipped = len(positions or workspace.positions) - len(outcomes)
    summary = f"{built} built"
    if failed:
        summary += f", {len(failed)} failed"
    if skipped:
        summary += f", {skipped} not built because of errors above"
    click.echo(summary, err=True)
    if failed or workspace.problems.errors:
        sys.exit(1)


class _Reporter:
    """Progress: a bar on a terminal, plain lines in CI and pipes."""

    def __init__(self, display: Callable[[Path], str]) -> None:
        self.display = display
        self.interactive = sys.stderr.isatty() and not os.environ.get("CI")
        self.progress: Any = None
        self.task: Any = None

    def start(self, total: int) -> None:
        if self.interactive and total > 1:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.progress = Progress(
                TextColumn("building"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("", total=total)

    def done(self, position_id: str, outcome: Any) -> None:
        if outcome.error is None:
            shown = ", ".join(self.display(path) for path in outcome.written)
            line = f"built {position_id} → {shown}"
        else:
            line = str(outcome.error)
        if self.progress is not None:
            self.progress.console.print(line, highlight=False, markup=False)
            self.progress.update(self.task, advance=1, description=position_id)
        else:
            click.echo(line, err=outcome.error is not None)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@handle_errors
def init(directory: Path) -> None:
    """Create a workspace with a worked example in DIRECTORY (default: here)."""
    from .scaffold import init_workspace

    for path in init_workspace(directory):
        click.echo(f"created {path}")
    click.echo(f"next: cd {directory} && standpunt build", err=True)


@main.command()
@click.argument("title")
@click.option("--id", "position_id", help="The file name to use instead of one made from TITLE.")
@click.pass_context
@handle_errors
def new(ctx: click.Context, title: str, position_id: str | None) -> None:
    """Start a new position called TITLE in positions/<id>.yaml."""
    from .scaffold import new_position
    from .workspace import load_config

    root = _root(ctx)
    config, _ = load_config(root)
    path = new_position(root, title, config.lang, position_id)
    click.echo(f"created {path.relative_to(root).as_posix()}")


@main.command(name="list")
@click.pass_context
@handle_errors
def list_positions(ctx: click.Context) -> None:
    """The positions: id, title, status, date and signatories."""
    from rich.console import Console
    from rich.table import Table

    from .workspace import open_workspace

    workspace = open_workspace(_root(ctx))
    table = Table(box=None, pad_edge=False)
    table.add_column("id", no_wrap=True)
    table.add_column("title", ratio=1)
    table.add_column("status", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("signatories")
    for pid, position in sorted(workspace.positions.items()):
        model = position.model
        if model is None:
            table.add_row(pid, "(has errors: run standpunt check)", "", "", "")
            continue
        table.add_row(
            pid,
            model.title,
            model.status,
            model.date.isoformat() if model.date else "",
            ", ".join(model.signatories),
        )
    # Piped output keeps whole lines; a terminal gets a table that fits its width.
    Console(width=None if sys.stdout.isatty() else 200).print(table)
