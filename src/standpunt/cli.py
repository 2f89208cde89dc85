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

from standpunt import __version__
from standpunt.errors import ContentErrors, Diagnostic, StandpuntError, UsageError

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
    from standpunt.workspace.paths import find_root

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
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="json: one object per problem, for CI.",
)
@click.pass_context
@handle_errors
def check(ctx: click.Context, positions: tuple[str, ...], output_format: str) -> None:
    """Validate the workspace and report every problem as path:line:col."""
    from standpunt.checks.check import check_workspace
    from standpunt.workspace.read import open_workspace, select

    workspace = open_workspace(_root(ctx))
    ids = select(workspace, list(positions)) if positions else None
    problems = check_workspace(workspace, ids).problems
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
    from standpunt.workspace.files import FORMATS

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
@click.option(
    "--format", "output_format", default="pdf", show_default=True, help="pdf, html, or pdf,html."
)
@click.option(
    "--pdf-variant",
    type=click.Choice(["pdf/ua-1", "pdf/a-3b", "none"]),
    help="PDF flavour; default from standpunt.yaml (pdf/ua-1).",
)
@click.option(
    "--include-pending",
    is_flag=True,
    help="For drafts: also list invited partners who have not signed this text, marked as pending.",
)
@click.option("--force", is_flag=True, help="Rebuild even the outputs that are current.")
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help="Worker processes rendering at once (default: one per core).",
)
@click.option(
    "--edition",
    metavar="PARTNER",
    help="A partner's edition: its name, logo and colour on the cover, written to "
    "build/<id>.<PARTNER>.pdf.",
)
@click.pass_context
@handle_errors
def build(
    ctx: click.Context,
    positions: tuple[str, ...],
    output_format: str,
    pdf_variant: str | None,
    include_pending: bool,
    force: bool,
    jobs: int | None,
    edition: str | None,
) -> None:
    """Build build/<id>.pdf for every position (or the ones named); only what changed."""
    from standpunt.buildstate.state import BuildOptions, BuildState, outline, workspace_digest

    root = _root(ctx)
    options = BuildOptions(
        formats=_formats(output_format),
        pdf_variant=pdf_variant,
        include_pending=include_pending,
        edition=edition,
        jobs=jobs,
        force=force,
    )
    whole = not positions and not force
    sketch = outline(root)
    digest = workspace_digest(root, options.key(), sketch.evidence_folders) if whole else None
    last = BuildState.read(root / "build")
    if whole and digest == last.workspace:
        # Nothing at all changed since the last complete, clean build: no need to load,
        # check or import anything else.
        click.echo("nothing to build: every output is current (use --force to rebuild)", err=True)
        return

    from standpunt.render.workers import Limits, Pool, default_jobs

    # The render workers start now, before this process imports the rest of Standpunt: their
    # import of WeasyPrint (the slowest step of a small build) runs while this process reads
    # and checks the workspace and runs pandoc. A first or forced build renders every position,
    # so it starts all its workers; otherwise one, and the build adds more if it needs them.
    everything = force or not last.outputs
    wanted = (len(positions) or sketch.positions) if everything else 1
    size = max(1, min(wanted, jobs or default_jobs()))
    early = Pool(size, Limits(**sketch.limits), "pdf" in options.formats)
    early.start()
    from standpunt.build.build import build as run_build
    from standpunt.workspace.read import open_workspace

    try:
        workspace = open_workspace(root)
    except BaseException:
        early.close()
        raise
    reporter = _Reporter(workspace.display)
    try:
        outcomes = run_build(
            workspace, list(positions) or None, options, reporter, early=early, record=digest
        )
    finally:
        reporter.stop()
        early.close()
    _echo_diagnostics(workspace.problems.items)
    failed = [o for o in outcomes if o.error is not None]
    current = [o for o in outcomes if o.error is None and o.current and not o.written]
    built = len(outcomes) - len(failed) - len(current)
    skipped = len(positions or workspace.positions) - len(outcomes)
    summary = f"{built} built"
    if current:
        summary += f", {len(current)} current (unchanged)"
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
                TextColumn("building"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("", total=total)

    def done(self, position_id: str, outcome: Any) -> None:
        if outcome.error is not None:
            line = str(outcome.error)
        elif outcome.written:
            shown = ", ".join(self.display(path) for path in outcome.written)
            line = f"built {position_id} → {shown}"
        else:
            line = f"current {position_id} (unchanged)"
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
    from standpunt.workspace.scaffold import init_workspace

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
    from standpunt.workspace.read import load_config
    from standpunt.workspace.scaffold import new_position

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

    from standpunt.workspace.read import open_workspace

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


@main.command()
@click.argument("position")
@click.pass_context
@handle_errors
def history(ctx: click.Context, position: str) -> None:
    """Every version of POSITION in git, newest first."""
    from standpunt.versions.history import history as read_history
    from standpunt.workspace.read import open_workspace, select

    workspace = open_workspace(_root(ctx))
    (pid,) = select(workspace, [position])
    versions = read_history(workspace.root, workspace.positions[pid].path)
    if not versions:
        click.echo(f"positions/{pid}.yaml has not been committed yet", err=True)
        return
    for version in versions:
        marks = []
        if version.label:
            marks.append(f"version {version.label}")
        if version.status_changed:
            marks.append(f"status → {version.status}")
        if version.signatories_changed:
            marks.append("signatories changed")
        if getattr(version, "removed", False):
            marks.append("file removed")
        extra = f"  [{'; '.join(marks)}]" if marks else ""
        click.echo(
            f"{version.commit}  {version.date.isoformat()}  {version.author}  "
            f"{version.message}{extra}"
        )


@main.command()
@click.argument("position")
@click.argument("rev_a", required=False)
@click.argument("rev_b", required=False)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["pdf", "html", "text"]),
    default="pdf",
    show_default=True,
    help="text prints the redline here.",
)
@click.pass_context
@handle_errors
def diff(
    ctx: click.Context, position: str, rev_a: str | None, rev_b: str | None, output_format: str
) -> None:
    """A redline of POSITION between REV_A (default: the previous version) and REV_B
    (default: the working tree)."""
    from standpunt.build.diff import redline_between
    from standpunt.workspace.read import open_workspace

    workspace = open_workspace(_root(ctx))
    result = redline_between(
        workspace, position, rev_a, rev_b, output_format, color=sys.stdout.isatty()
    )
    if result.text is not None:
        click.echo(result.text)
    else:
        click.echo(f"wrote {workspace.display(result.path)}")


@main.command()
@click.argument("position")
@click.pass_context
@handle_errors
def fingerprint(ctx: click.Context, position: str) -> None:
    """The fingerprint of POSITION's current text (what a partner signs)."""
    from standpunt.coalition.fingerprint import position_fingerprint
    from standpunt.workspace.read import open_workspace

    workspace = open_workspace(_root(ctx))
    click.echo(position_fingerprint(workspace, position))


@main.command()
@click.argument("position")
@click.option("--partner", required=True, help="The partner's key in standpunt.yaml.")
@click.option("--by", "signer", required=True, help="Who signs for the partner.")
@click.option("--role", help="The signer's role, e.g. director.")
@click.option("--fingerprint", "expect", help="Sign only if the text still has this fingerprint.")
@click.pass_context
@handle_errors
def sign(
    ctx: click.Context,
    position: str,
    partner: str,
    signer: str,
    role: str | None,
    expect: str | None,
) -> None:
    """Record that PARTNER co-signs the current text of POSITION."""
    from standpunt.coalition.fingerprint import short
    from standpunt.coalition.signatures import sign as record
    from standpunt.workspace.read import open_workspace

    workspace = open_workspace(_root(ctx))
    signature = record(workspace, position, partner, signer, role, expect=expect)
    click.echo(
        f"{partner} signed {position} ({short(signature.fingerprint)}) → "
        f"{workspace.display(signature.path)}; commit this file"
    )


@main.command()
@click.argument("position")
@click.option("--partner", required=True, help="The partner's key in standpunt.yaml.")
@click.pass_context
@handle_errors
def unsign(ctx: click.Context, position: str, partner: str) -> None:
    """Withdraw PARTNER's signature of POSITION."""
    from standpunt.coalition.signatures import unsign as withdraw
    from standpunt.workspace.read import open_workspace

    workspace = open_workspace(_root(ctx))
    path = withdraw(workspace, position, partner)
    click.echo(f"removed {workspace.display(path)}; commit this change")


@main.command(name="status")
@click.argument("positions", nargs=-1)
@click.pass_context
@handle_errors
def signing_status(ctx: click.Context, positions: tuple[str, ...]) -> None:
    """Per position and partner: signed this text, signed an older text, or not signed."""
    from standpunt.coalition.fingerprint import position_fingerprint
    from standpunt.coalition.signatures import SignatureState, read_signatures, status
    from standpunt.workspace.read import open_workspace, select

    workspace = open_workspace(_root(ctx))
    signed, diagnostics = read_signatures(workspace)
    _echo_diagnostics(diagnostics)
    words = {
        SignatureState.SIGNED: "signed this text",
        SignatureState.OUTDATED: "signed an older text",
        SignatureState.UNSIGNED: "not signed",
    }
    for pid in select(workspace, list(positions) or None):
        if workspace.positions[pid].raw is None:
            click.echo(f"{pid}: cannot be read (run standpunt check)")
            continue
        current = position_fingerprint(workspace, pid)
        rows = status(workspace, pid, signed, current)
        click.echo(f"{pid}:" + ("" if rows else " no partners invited or signed"))
        for key, state, signature in rows:
            who = f" ({signature.by}, {signature.date.isoformat()})" if signature else ""
            click.echo(f"  {key:<24} {words[state]}{who}")


@main.command(name="import")
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rename", "new_id", help="Import the position under this id instead.")
@click.pass_context
@handle_errors
def import_pdf(ctx: click.Context, pdf: Path, new_id: str | None) -> None:
    """Add the position and evidence carried inside a Standpunt PDF to this workspace."""
    from standpunt.coalition.share import import_position
    from standpunt.workspace.read import open_workspace

    workspace = open_workspace(_root(ctx))
    written, strangers = import_position(workspace, pdf, new_id)
    for path in written:
        click.echo(f"created {workspace.display(path)}")
    if strangers:
        click.echo(
            f"note: {workspace.display(written[0])} names signatories that are not partners in "
            f"standpunt.yaml: {', '.join(strangers)}. Add them under 'partners:' (or remove them "
            "from the position); until then 'check' reports them and the position is not built.",
            err=True,
        )


@main.command()
@click.argument("positions", nargs=-1)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.pass_context
@handle_errors
def serve(ctx: click.Context, positions: tuple[str, ...], port: int) -> None:
    """A live preview on 127.0.0.1: HTML and PDF, rebuilt and reloaded on every save."""
    from standpunt.preview.serve import preview_server, watch

    root = _root(ctx)
    try:
        with preview_server(root, list(positions) or None, port) as (server, preview):
            host, bound = server.server_address[:2]
            first = f"/{positions[0]}" if positions else "/"
            click.echo(f"preview on http://{host}:{bound}{first} (Ctrl+C stops)", err=True)
            watch(root, preview)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on 127.0.0.1:{port}: {exc.strerror}", code="usage"
        ) from None
