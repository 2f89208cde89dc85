"""The ``standpunt`` command: options in, one call into :mod:`standpunt.commands`, text out.

Each command parses its options, calls one function and prints the result it gets back. How a
command ends is decided in one place, the exit table (:func:`exit_code`), the only place that
exits:

- 0: all is well (warnings allowed);
- 1: problems in the user's files (a result with errors, or a :class:`StandpuntError`);
- 2: the command was called the wrong way (a :class:`UsageError`, or click's own usage errors);
- 3: an unexpected error, which is a bug in Standpunt (``--debug`` shows its traceback);
- 130: interrupted (Ctrl+C).

Everything beyond click is imported inside the command that needs it: WeasyPrint only by those
that write PDFs, so ``--help``, ``check`` and ``list`` stay instant.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import re
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec

import click

from standpunt import __version__
from standpunt.choices import DEFAULT_PDF_VARIANT, PDF_VARIANTS, PdfVariant
from standpunt.commands.result import Result
from standpunt.errors import ContentErrors, Diagnostic, StandpuntError, UsageError

if TYPE_CHECKING:
    from standpunt.build.report import BuildReport, Outcome

P = ParamSpec("P")


#: Characters that would steer a terminal (escape sequences, carriage return, bidirectional
#: overrides): a commit message, a signer's name or a file name may hold them.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\udc80-\udcff]")


def printable(text: str) -> str:
    """``text`` with every control character written as an escape (``\\x1b``), so that user
    data printed to a terminal is shown, never obeyed; line breaks and tabs stay. A byte of a
    file's name that is no UTF-8 (Python holds it as a lone surrogate) is written as that byte
    (``\\xff``)."""
    return _CONTROL.sub(_escaped, text)


def _escaped(found: re.Match[str]) -> str:
    char = found.group()
    if "\udc80" <= char <= "\udcff":
        return f"\\x{ord(char) - 0xDC00:02x}"
    return ascii(char)[1:-1]


def _cells(*texts: str) -> list[Any]:
    """Table cells as plain text (no rich markup), through :func:`printable`."""
    from rich.text import Text

    return [Text(printable(text)) for text in texts]


def echo(
    message: object = "", err: bool = False, nl: bool = True, color: bool | None = None
) -> None:
    """The one way this module prints text: through :func:`printable`; with ``color`` given,
    ``message`` was made printable before its colour was added."""
    try:
        click.echo(
            printable(str(message)) if color is None else str(message), err=err, nl=nl, color=color
        )
    except OSError as exc:
        _output_lost(exc, err)


def _print(console: Any, table: Any, **options: Any) -> None:
    """A table printed whole by rich, as :func:`echo` prints a line: its reader gone or its
    disk full is said as :func:`_output_lost` says it. (Rich's own answer to a reader that
    left is to end the command with exit code 1, and without a word.)"""
    console.on_broken_pipe = _reader_gone
    try:
        console.print(table, **options)
    except OSError as exc:
        _output_lost(exc)


def _reader_gone() -> None:
    raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


#: Why the command's output could not be written (a full disk), said once the work is done.
_LOST: list[OSError] = []


def _output_lost(exc: OSError, err: bool = False) -> None:
    """The output cannot be written: its reader is gone (``standpunt build | head -1``) or its
    disk is full. The work goes on (a build still writes every PDF); what it would still print
    goes nowhere. A reader that left is its own choice; a full disk is an error, said on the
    other stream when the work is done."""
    stream = sys.stderr if err else sys.stdout
    with contextlib.suppress(OSError, ValueError):
        nowhere = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nowhere, stream.fileno())
        os.close(nowhere)
    if not isinstance(exc, BrokenPipeError):
        _LOST.append(exc)


def exit_code(outcome: object) -> int:
    """The exit table: how a command ended (the result it returned, or what it raised) → the
    code the shell sees."""
    match outcome:
        case KeyboardInterrupt():
            return 130
        case UsageError():
            return 2
        case StandpuntError():
            return 1
        case BaseException():
            return 3  # nothing Standpunt meant to raise: a bug
        case Result() if outcome.errors:
            return 1
        case _:
            return 0


def ends_with_exit_code(command: Callable[P, object]) -> Callable[P, None]:
    """Run a command, say what stopped it if anything did, and exit as the exit table says."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        _LOST.clear()
        STOPS.clear()
        try:
            with _under_limits():
                outcome = command(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own: click reports them and exits
        except SystemExit as end:
            if STOPS and end.code == 128 + STOPS[0]:  # a SIGTERM or SIGHUP: said as Ctrl-C is
                echo("stopped", err=True)
            raise
        except (Exception, KeyboardInterrupt) as exc:
            outcome = _stop_in_disguise(exc)
            _tell(outcome)
        code = exit_code(outcome)
        if _LOST and not code:
            echo(f"error: the output could not be written ({_LOST[0].strerror})", err=True)
            code = 1
        if code:
            sys.exit(code)

    return wrapper


@contextlib.contextmanager
def _under_limits() -> Iterator[None]:
    """A command's own work runs under the workspace's limits, as the render workers do
    (:func:`standpunt.limits.main_process_limits`); the preview, which runs until stopped,
    under its memory limit only. Outside a workspace, under the default limits."""
    from standpunt.limits import Limits, main_process_limits
    from standpunt.workspace.outline import outline

    context = click.get_current_context()
    try:
        sketch = outline(_root(context))
        limits, positions = sketch.limits, sketch.positions
    except (StandpuntError, OSError, ValueError):  # the command itself says what is wrong
        limits, positions = Limits(), 0
    with main_process_limits(limits, positions, timed=context.info_name != "serve"):
        yield


#: The stops (Ctrl-C, SIGTERM, SIGHUP) asked for while the command ran, by signal number; see
#: ``standpunt.__main__``.
STOPS: list[int] = []


def _tell(exc: BaseException) -> None:
    """What stopped a command: problems in the user's files as ``check`` prints them (on
    stdout), anything else as a message on stderr."""
    if isinstance(exc, ContentErrors):
        _echo_diagnostics(exc.diagnostics)
    elif isinstance(exc, StandpuntError):
        echo(str(exc), err=True)
    elif isinstance(exc, KeyboardInterrupt):
        echo("stopped", err=True)
    else:
        echo(_bug_report(exc), err=True)


def _stop_in_disguise(exc: BaseException) -> BaseException:
    """A stop that a library turned into an error of its own is a stop, not a bug: a
    KeyboardInterrupt, which the exit table makes 130, or the SystemExit of the stopping
    signal. pydantic's schema building reports a Ctrl-C inside it as a SchemaError, and the
    preview's file watcher (watchfiles) any signal as a KeyboardInterrupt, a SIGTERM too."""
    if not STOPS or isinstance(exc, StandpuntError):
        return exc
    if STOPS[0] == signal.SIGINT:
        return exc if isinstance(exc, KeyboardInterrupt) else KeyboardInterrupt()
    echo("stopped", err=True)
    raise SystemExit(128 + STOPS[0])


def _bug_report(exc: BaseException) -> str:
    """An unexpected error: a bug in Standpunt. The message says what to report; with
    ``--debug``, the traceback comes first."""
    context = click.get_current_context()
    # the command as typed after 'standpunt', e.g. 'evidence add' for a command of a group
    name = " ".join(context.command_path.split()[1:]) or context.info_name
    import traceback  # only for a bug's report

    what = traceback.format_exception_only(exc)[-1].strip()
    message = (
        f"standpunt {name}: unexpected error ({what}).\n"
        "This is a bug in Standpunt, not a problem in your files. Please report it, with the "
        "command you ran, what 'standpunt --version' prints, and "
    )
    if (context.obj or {}).get("debug"):
        trace = "".join(traceback.format_exception(exc))
        return f"{trace}\n{message}the traceback above."
    return f"{message}what the command prints with --debug (standpunt --debug {name} ...)."


def _echo_diagnostics(diagnostics: list[Diagnostic]) -> None:
    """Problems as ``path:line:col: severity: message [code]``, sorted by place; with
    ``--quiet`` only the errors; coloured on a terminal (not in CI, nor with NO_COLOR)."""
    colour = _colour()
    for diagnostic in sorted(diagnostics, key=Diagnostic.sort_key):
        if _quiet() and diagnostic.severity != "error":
            continue
        line = printable(str(diagnostic))
        if colour:
            line = _coloured(line, diagnostic)
        echo(line, err=False, color=colour)


_SEVERITY_COLOURS = {"error": "red", "warning": "yellow"}


def _coloured(line: str, diagnostic: Diagnostic) -> str:
    mark = f"{diagnostic.severity}: "
    where, found, rest = line.partition(mark)
    if not found:
        return line
    severity = click.style(mark, fg=_SEVERITY_COLOURS.get(diagnostic.severity), bold=True)
    return click.style(where, bold=True) + severity + rest


def _colour() -> bool:
    """Whether to colour what is printed: on a terminal, unless NO_COLOR or CI says not to
    (FORCE_COLOR asks for colour anywhere)."""
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("NO_COLOR") or os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    return on_terminal(sys.stdout)


def on_terminal(stream: Any) -> bool:
    """Whether ``stream`` is a terminal; not when it is closed (``standpunt build >&-``)."""
    return stream is not None and stream.isatty()


def _quiet() -> bool:
    context = click.get_current_context(silent=True)
    return bool(context and (context.find_root().obj or {}).get("quiet"))


def _note(message: str) -> None:
    """A message about how things went (a summary, a next step): on stderr, and not at all with
    ``--quiet``."""
    if not _quiet():
        echo(message, err=True)


def _json_out(value: object) -> None:
    """``value`` as JSON on stdout, for scripts and CI: dataclasses as objects, paths and dates
    as text."""
    echo(json.dumps(_plain(value), indent=2, ensure_ascii=False))


def _plain(value: object) -> object:
    import dataclasses
    import datetime as dt

    if isinstance(value, Diagnostic):
        return value.as_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return value.as_posix()
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


# --- completion: what the shell offers after TAB (see the README for how to turn it on) ---------


def _completion_root(ctx: click.Context) -> Path | None:
    """The workspace completion looks in (-C as typed so far), or None: completion never fails."""
    from standpunt.workspace.paths import find_root

    directory = ctx.find_root().params.get("directory")
    try:
        return find_root(Path(directory) if directory else None)
    except Exception:
        return None


def _complete_positions(ctx: click.Context, _param: Any, incomplete: str) -> list[str]:
    from standpunt.workspace.paths import position_ids

    root = _completion_root(ctx)
    return [pid for pid in position_ids(root) if pid.startswith(incomplete)] if root else []


def _complete_partners(ctx: click.Context, _param: Any, incomplete: str) -> list[str]:
    from standpunt.workspace.read import load_config

    root = _completion_root(ctx)
    try:
        config, _ = load_config(root) if root else (None, None)
    except Exception:
        return []
    keys = config.partners if config is not None else {}
    return sorted(key for key in keys if key.startswith(incomplete))


def _complete_styles(_ctx: click.Context, _param: Any, incomplete: str) -> list[str]:
    from standpunt.cite.citeproc import style_names

    return [name for name in style_names() if name.startswith(incomplete)]


#: The ``--partner KEY`` of the signing commands, completed from standpunt.yaml.
_PARTNER = click.option(
    "--partner",
    required=True,
    shell_complete=_complete_partners,
    help="The partner's key in standpunt.yaml.",
)


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
@click.option(
    "--debug",
    is_flag=True,
    help="On an unexpected error (a bug in Standpunt), show its traceback, for the bug report.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only errors and what was asked for.")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Say more: what each step does, and WeasyPrint's notes on a template's CSS.",
)
@click.version_option(__version__, prog_name="standpunt")
@click.pass_context
def main(
    ctx: click.Context, directory: str | None, debug: bool, quiet: bool, verbose: bool
) -> None:
    """Standpunt: policy positions kept as YAML in git, built into PDFs with every citation kept.

    A workspace is a folder with standpunt.yaml, positions/ and evidence/; it is found from the
    current folder upwards, or given with -C.
    """
    if quiet and verbose:
        raise click.UsageError("--quiet and --verbose contradict each other; give one")
    ctx.ensure_object(dict)
    ctx.obj["directory"] = directory
    ctx.obj["debug"] = debug
    ctx.obj["quiet"] = quiet
    if ctx.invoked_subcommand not in _READING_ONLY:
        _log_to_terminal(verbose, quiet)


#: Commands that read the workspace and say what they found: nothing they run logs (no
#: WeasyPrint, no pypdf), so they do without importing logging (2 ms of a one-id status).
_READING_ONLY = frozenset({"check", "fingerprint", "list", "status"})


def _log_to_terminal(verbose: bool, quiet: bool) -> None:
    """Standpunt's and WeasyPrint's log records on stderr, at the level the options chose."""
    import logging

    class OneLine(logging.Formatter):
        """A record as one line of text, shown and never obeyed (a template's CSS that
        WeasyPrint quotes may hold escape sequences and line breaks)."""

        def format(self, record: logging.LogRecord) -> str:
            return printable(super().format(record)).replace("\n", "\\n")

    handler = logging.StreamHandler()
    handler.setFormatter(OneLine("%(levelname)s: %(message)s"))
    logging.getLogger("standpunt").addHandler(handler)
    level = logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING
    logging.getLogger("standpunt").setLevel(level)
    # WeasyPrint reports unsupported CSS at warning level; those are for template authors,
    # who ask for them with --verbose.
    logging.getLogger("weasyprint").addHandler(handler)
    logging.getLogger("weasyprint").setLevel(logging.WARNING if verbose else logging.ERROR)


@main.command()
@click.argument("positions", nargs=-1, shell_complete=_complete_positions)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="json: one object per problem, for CI.",
)
@click.pass_context
@ends_with_exit_code
def check(ctx: click.Context, positions: tuple[str, ...], output_format: str) -> Result:
    """Validate the workspace and report every problem as path:line:col."""
    from standpunt.commands.check import check as run_check

    result = run_check(_root(ctx), list(positions) or None)
    if output_format == "json":
        echo(json.dumps([d.as_dict() for d in result.problems], indent=2))
    else:
        _echo_diagnostics(result.problems)
        _note(
            f"{len(result.errors)} error(s), {len(result.warnings)} warning(s) in "
            f"{result.positions} position(s) and {result.evidence} evidence item(s)"
        )
    return result


def _formats(value: str) -> tuple[str, ...]:
    from standpunt.choices import OUTPUTS

    chosen = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    wrong = [part for part in chosen if part not in OUTPUTS]
    if wrong or not chosen:
        raise UsageError(
            f"unknown format '{','.join(wrong) or value}'; use pdf, html, docx, or several "
            "joined by commas (pdf,html)",
            code="usage",
        )
    return chosen


@main.command()
@click.argument("positions", nargs=-1, shell_complete=_complete_positions)
@click.option(
    "--format",
    "output_format",
    default="pdf",
    show_default=True,
    help="pdf, html, docx (Word), or several: pdf,html.",
)
@click.option(
    "--pdf-variant",
    type=click.Choice(PDF_VARIANTS),
    help=f"PDF flavour; default from standpunt.yaml ({DEFAULT_PDF_VARIANT}).",
)
@click.option(
    "--include-pending",
    is_flag=True,
    help="For drafts: also list invited partners who have not signed this text, marked as pending.",
)
@click.option("--force", is_flag=True, help="Rebuild even the outputs that are current.")
@click.option(
    "--allow-modified",
    is_flag=True,
    help="Build an adopted position with uncommitted changes, marked as a working copy.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help="Worker processes rendering at once (default: one per core).",
)
@click.option(
    "--edition",
    metavar="PARTNER",
    shell_complete=_complete_partners,
    help="A partner's edition: its name, logo and colour on the cover, written to "
    "build/<id>.<PARTNER>.pdf.",
)
@click.option(
    "--report",
    "report_format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="json: what became of each position, and every problem, as one object on stdout.",
)
@click.option(
    "--shard",
    metavar="K/N",
    help="Build only part K of N (a stable split by id), for a CI job matrix; the N parts "
    "together build every position once.",
)
@click.pass_context
@ends_with_exit_code
def build(
    ctx: click.Context,
    positions: tuple[str, ...],
    output_format: str,
    pdf_variant: PdfVariant | None,
    include_pending: bool,
    force: bool,
    allow_modified: bool,
    jobs: int | None,
    edition: str | None,
    report_format: str,
    shard: str | None,
) -> Result:
    """Build build/<id>.pdf for every position (or the ones named); only what changed."""
    from standpunt.build.shard import Shard, shard_ids
    from standpunt.buildstate.state import BuildOptions
    from standpunt.commands.build import build as build_positions

    root = _root(ctx)
    chosen = list(positions) or None
    if shard is not None:
        part = Shard.parse(shard)
        chosen = shard_ids(root, part, chosen)
        _note(f"shard {part}: {len(chosen)} position(s)")
        if not chosen:
            return Result()
    options = BuildOptions(
        formats=_formats(output_format),
        pdf_variant=pdf_variant,
        include_pending=include_pending,
        edition=edition,
        jobs=jobs,
        force=force,
        allow_modified=allow_modified,
    )
    output_format_json = report_format == "json"
    reporter = _Reporter(root, silent=output_format_json)
    try:
        result = build_positions(root, chosen, options, reporter)
    finally:
        reporter.stop()
    if result.report.nothing_to_build:
        if output_format_json:
            _json_out(_build_json(result.report, root))
        else:
            _note("nothing to build: every output is current (use --force to rebuild)")
        return result
    if output_format_json:
        _json_out(_build_json(result.report, root))
        return result
    for path in result.report.removed:
        _note(f"removed {path.relative_to(root).as_posix()}: its position is gone")
    _echo_diagnostics(result.report.diagnostics)
    _note(_build_summary(result.report))
    # A failed position's error was printed as it happened; it still decides the exit code.
    return result


def _build_json(report: BuildReport, root: Path) -> dict[str, object]:
    """``build --report json``: each position's outputs (paths inside the workspace), counts,
    and every problem."""

    def shown(paths: list[Path]) -> list[str]:
        return [path.relative_to(root).as_posix() for path in paths]

    return {
        "nothing_to_build": report.nothing_to_build,
        "built": len(report.built),
        "current": len(report.current),
        "failed": len(report.failed),
        "skipped": report.skipped,
        "positions": [
            {
                "id": outcome.id,
                "written": shown(outcome.written),
                "current": shown(outcome.current),
                "error": None if outcome.error is None else outcome.error.as_dict(),
            }
            for outcome in report.outcomes
        ],
        "removed": shown(report.removed),
        "problems": [d.as_dict() for d in report.diagnostics],
    }


def _build_summary(report: BuildReport) -> str:
    """The last line, e.g. '3 built, 1 current (unchanged), 1 failed, 2 not built because of
    errors above'."""
    summary = f"{len(report.built)} built"
    if report.current:
        summary += f", {len(report.current)} current (unchanged)"
    if report.failed:
        summary += f", {len(report.failed)} failed"
    if report.skipped:
        summary += f", {report.skipped} not built because of errors above"
    return summary


class _Reporter:
    """Progress: a bar on a terminal, plain lines in CI and pipes; with ``--quiet`` only the
    positions that failed; nothing when the report goes to stdout as JSON."""

    def __init__(self, root: Path, silent: bool = False) -> None:
        self.root = root
        self.silent = silent
        self.quiet = _quiet()
        self.interactive = on_terminal(sys.stderr) and not os.environ.get("CI") and not silent
        self.progress: Any = None
        self.task: Any = None

    def start(self, total: int) -> None:
        if self.interactive and not self.quiet and total > 1:
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

    def done(self, position_id: str, outcome: Outcome) -> None:
        if self.silent or (self.quiet and outcome.error is None):
            if self.progress is not None:
                self.progress.update(self.task, advance=1, description=position_id)
            return
        if outcome.error is not None:
            line = str(outcome.error)
        elif outcome.written:
            # Outputs are written inside the workspace's build/ folder.
            shown = ", ".join(path.relative_to(self.root).as_posix() for path in outcome.written)
            line = f"built {position_id} → {shown}"
        else:
            line = f"current {position_id} (unchanged)"
        if self.progress is not None:
            self.progress.console.print(printable(line), highlight=False, markup=False)
            self.progress.update(self.task, advance=1, description=position_id)
        else:
            echo(line, err=outcome.error is not None)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option(
    "--ci",
    type=click.Choice(["github", "gitlab"]),
    help="Also write a CI workflow that checks and builds the PDFs on every push.",
)
@click.option(
    "--lang",
    metavar="TAG",
    help="The language your positions are written in, e.g. nl-BE, fr or de (default: en).",
)
@ends_with_exit_code
def init(directory: Path, ci: str | None, lang: str | None) -> Result:
    """Create a workspace with a worked example in DIRECTORY (default: here)."""
    from standpunt.commands.create import init as create_workspace

    result = create_workspace(directory, ci, lang)
    for path in result.files:
        echo(f"created {path}")
    if not any(
        (folder / ".git").exists() for folder in [directory.resolve(), *directory.resolve().parents]
    ):
        _note(
            "this folder is not in a git repository yet, and versions, dates and co-signing "
            "come from git; start one with:\n"
            f"  cd {directory} && git init && git add -A && git commit -m 'Our positions'"
        )
    _note(f"next: cd {directory} && standpunt build")
    return result


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), required=False)
@click.pass_context
@ends_with_exit_code
def schema(ctx: click.Context, directory: Path | None) -> Result:
    """Write the JSON Schemas of the workspace's files into DIRECTORY (default:
    .standpunt/schema/ in the workspace), for completion and checking in your editor."""
    from standpunt.commands.tooling import schema as write_schemas
    from standpunt.workspace.editor_schema import SCHEMA_DIR

    if directory is None:  # the workspace's own folder: written under the path rule
        root = _root(ctx)
        result = write_schemas(root / SCHEMA_DIR, root)
    else:
        result = write_schemas(directory)
    for path in result.files:
        echo(f"wrote {path}")
    return result


@main.command()
@click.argument("platform", type=click.Choice(["github", "gitlab"]))
@click.option(
    "--shards",
    type=click.IntRange(1, 20),
    help="Build in this many parallel jobs (default: one per 50 positions).",
)
@click.option(
    "--install",
    metavar="SPEC",
    help="What the workflow installs with pip (default: this version of standpunt).",
)
@click.pass_context
@ends_with_exit_code
def ci(ctx: click.Context, platform: str, shards: int | None, install: str | None) -> Result:
    """Write a CI workflow (GitHub Actions or GitLab CI) that checks the workspace and builds
    the PDFs on every push, and attaches them to a release on a tag."""
    from standpunt.commands.tooling import ci as write_ci

    result = write_ci(_root(ctx), platform, shards, install)
    for path in result.files:
        echo(f"created {path}")
    _note("next: commit it and push; the platform runs the jobs")
    return result


@main.command()
@click.argument("title")
@click.option("--id", "position_id", help="The file name to use instead of one made from TITLE.")
@click.pass_context
@ends_with_exit_code
def new(ctx: click.Context, title: str, position_id: str | None) -> Result:
    """Start a new position called TITLE in positions/<id>.yaml."""
    from standpunt.commands.create import new as new_position

    result = new_position(_root(ctx), title, position_id)
    for path in result.files:
        echo(f"created {path}")
    return result


_JSON_FORMAT = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    help="json: the same, as JSON on stdout, for scripts and CI.",
)


@main.command(name="list")
@_JSON_FORMAT
@click.pass_context
@ends_with_exit_code
def list_positions(ctx: click.Context, output_format: str) -> Result:
    """The positions: id, title, status, date and signatories."""
    from rich.console import Console
    from rich.table import Table

    from standpunt.commands.positions import list_positions as read_positions

    result = read_positions(_root(ctx))
    if output_format == "json":
        _json_out(result.rows)
        return result
    table = Table(box=None, pad_edge=False)
    table.add_column("id", no_wrap=True)
    table.add_column("title", ratio=1)
    table.add_column("status", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("signatories")
    for row in result.rows:
        if row.title is None:
            table.add_row(*_cells(row.id, "(has errors: run standpunt check)", "", "", ""))
        else:
            table.add_row(
                *_cells(row.id, row.title, row.status, row.date, ", ".join(row.signatories))
            )
    # A terminal gets a table that fits its width; piped output keeps whole lines, however long.
    if on_terminal(sys.stdout):
        _print(Console(), table)
    else:
        _print(Console(width=100_000, no_color=True), table, crop=False)
    return result


@main.command()
@click.argument("position", shell_complete=_complete_positions)
@_JSON_FORMAT
@click.pass_context
@ends_with_exit_code
def history(ctx: click.Context, position: str, output_format: str) -> Result:
    """Every version of POSITION in git, newest first."""
    from standpunt.commands.versions import history as read_history

    result = read_history(_root(ctx), position)
    if output_format == "json":
        _json_out(result.versions)
        return result
    if not result.versions:
        _note(f"positions/{result.position}.yaml has not been committed yet")
    for version in result.versions:
        marks = []
        if version.label:
            marks.append(f"version {version.label}")
        if version.status_changed:
            marks.append(f"status → {version.status}")
        if version.signatories_changed:
            marks.append("signatories changed")
        if version.removed:
            marks.append("file removed")
        extra = f"  [{'; '.join(marks)}]" if marks else ""
        echo(
            f"{version.commit}  {version.date.isoformat()}  {version.author}  "
            f"{version.message}{extra}"
        )
    return result


@main.command()
@click.argument("position", shell_complete=_complete_positions)
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
@click.option(
    "--signed-by",
    metavar="PARTNER",
    help="From the text PARTNER signed to the current one (or to the one revision given).",
)
@click.pass_context
@ends_with_exit_code
def diff(
    ctx: click.Context,
    position: str,
    rev_a: str | None,
    rev_b: str | None,
    output_format: str,
    signed_by: str | None,
) -> Result:
    """A redline of POSITION between REV_A (default: the previous version) and REV_B
    (default: the working tree)."""
    from standpunt.commands.versions import RedlineShown
    from standpunt.commands.versions import diff as redline

    result = redline(
        _root(ctx),
        position,
        rev_a,
        rev_b,
        output_format,
        color=on_terminal(sys.stdout),
        signed_by=signed_by,
    )
    if isinstance(result, RedlineShown):
        echo(result.text)
    else:
        echo(f"wrote {result.file}")
    return result


@main.command()
@click.argument("position", shell_complete=_complete_positions)
@click.pass_context
@ends_with_exit_code
def fingerprint(ctx: click.Context, position: str) -> Result:
    """The fingerprint of POSITION's current text (what a partner signs)."""
    from standpunt.commands.signing import fingerprint as current_fingerprint

    result = current_fingerprint(_root(ctx), position)
    echo(result.fingerprint)
    return result


@main.command()
@click.argument("position", shell_complete=_complete_positions)
@_PARTNER
@click.option("--by", "signer", required=True, help="Who signs for the partner.")
@click.option("--role", help="The signer's role, e.g. director.")
@click.pass_context
@ends_with_exit_code
def statement(
    ctx: click.Context, position: str, partner: str, signer: str, role: str | None
) -> Result:
    """The exact bytes PARTNER's signer signs for POSITION's current text (or for the text a
    received PDF carries): sign them with ssh-keygen -Y sign -n standpunt."""
    from standpunt.commands.signing import is_pdf
    from standpunt.commands.signing import statement as signed_words

    root = None if is_pdf(position) else _root(ctx)
    result = signed_words(root, position, partner, signer, role)
    click.echo(result.data, nl=False)  # bytes: written as they are, to the binary stdout
    return result


@main.command()
@click.argument("position", shell_complete=_complete_positions)
@_PARTNER
@click.option("--by", "signer", required=True, help="Who signs for the partner.")
@click.option("--role", help="The signer's role, e.g. director.")
@click.option("--fingerprint", "expect", help="Sign only if the text still has this fingerprint.")
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sign with this SSH key (ssh-keygen -Y sign: ssh-agent and passphrases work).",
)
@click.option(
    "--signature",
    "signature_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A signature made elsewhere over 'standpunt statement' (ssh-keygen -Y sign -n standpunt).",
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    help="For a PDF: the folder the reply is written to (default: here).",
)
@click.pass_context
@ends_with_exit_code
def sign(
    ctx: click.Context,
    position: str,
    partner: str,
    signer: str,
    role: str | None,
    expect: str | None,
    key_file: Path | None,
    signature_file: Path | None,
    output: Path,
) -> Result:
    """Record that PARTNER co-signs the current text of POSITION; or, for a received PDF
    (FILE.pdf, no workspace needed), write the reply <id>.<PARTNER>.signature.yaml to send back."""
    from standpunt.commands.signing import is_pdf, sign_reply
    from standpunt.commands.signing import sign as record

    if is_pdf(position):
        reply = sign_reply(Path(position), partner, signer, role, key_file, signature_file, output)
        for caution in reply.cautions:
            echo(f"warning: {caution}", err=True)
        echo(
            f"{partner} signed {reply.signature.position} ({_short(reply.signature.fingerprint)})"
            f" → {reply.file}; send this file back to the organisation"
        )
        return reply
    result = record(
        _root(ctx),
        position,
        partner,
        signer,
        role,
        expect=expect,
        key_file=key_file,
        signature_file=signature_file,
    )
    proof = "verified" if result.signature.proof == "verified" else "recorded, not verified"
    echo(
        f"{partner} signed {position} ({result.fingerprint}, {proof}) → {result.file}; "
        "commit this file"
    )
    for note in result.notes:
        echo(f"note: {note}", err=True)
    if result.signature.proof != "verified" and result.signature.key:
        echo(
            f"note: '{partner}' lists no keys in standpunt.yaml; add the key that signed "
            f"({result.signature.key}) under its 'keys:' to verify it",
            err=True,
        )
    return result


def _short(fingerprint: str) -> str:
    from standpunt.coalition.fingerprint import short

    return short(fingerprint)


@main.command()
@click.argument("reply", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@ends_with_exit_code
def accept(ctx: click.Context, reply: Path) -> Result:
    """Verify a partner's reply (<id>.<partner>.signature.yaml) and store it in signatures/."""
    from standpunt.commands.signing import accept as store

    result = store(_root(ctx), reply)
    signature = result.signature
    which = "the current text" if result.current else "an older text"
    echo(
        f"accepted: {signature.partner} ({signature.by}, {signature.date.isoformat()}) signed "
        f"{which} of {signature.position}, {signature.proof} → {result.file}; commit this file"
    )
    if not result.current:
        echo(
            f"see what changed since: standpunt diff {signature.position} --signed-by "
            f"{signature.partner}",
            err=True,
        )
    return result


@main.command()
@click.argument("position", shell_complete=_complete_positions)
@_PARTNER
@click.pass_context
@ends_with_exit_code
def unsign(ctx: click.Context, position: str, partner: str) -> Result:
    """Withdraw PARTNER's signature of POSITION."""
    from standpunt.commands.signing import unsign as withdraw

    result = withdraw(_root(ctx), position, partner)
    echo(f"removed {result.file}; commit this change")
    return result


#: How ``status`` says where a partner stands.
_STANDING = {
    "signed": "signed this text",
    "outdated": "signed an older text",
    "unsigned": "not signed",
    "invalid": "invalid signature",
}


@main.command(name="status")
@click.argument("positions", nargs=-1, shell_complete=_complete_positions)
@_JSON_FORMAT
@click.pass_context
@ends_with_exit_code
def signing_status(ctx: click.Context, positions: tuple[str, ...], output_format: str) -> Result:
    """Per position and partner: signed this text, signed an older text, or not signed."""
    from standpunt.commands.status import status

    result = status(_root(ctx), list(positions) or None)
    if output_format == "json":
        _json_out({"positions": _status_json(result.positions), "problems": result.problems})
        return result
    _echo_diagnostics(result.problems)
    for standing in result.positions:
        pid = standing.position
        if not standing.readable:
            echo(f"{pid}: cannot be read (run standpunt check)")
            continue
        echo(f"{pid}:" + ("" if standing.partners else " no partners invited or signed"))
        for key, state, signature in standing.partners:
            echo(f"  {key:<24} {_standing(pid, key, state, signature)}")
    return result


def _status_json(positions: list[Any]) -> list[dict[str, object]]:
    """``status`` as JSON: per position, each partner's state and signature."""
    return [
        {
            "position": standing.position,
            "readable": standing.readable,
            "partners": [
                {
                    "partner": key,
                    "state": state,
                    "signature": None
                    if signature is None
                    else {
                        "by": getattr(signature, "by", None),
                        "role": getattr(signature, "role", None),
                        "date": _plain(getattr(signature, "date", None)),
                        "proof": getattr(signature, "proof", None),
                        "problem": getattr(signature, "problem", None),
                    },
                }
                for key, state, signature in standing.partners
            ],
        }
        for standing in positions
    ]


def _standing(pid: str, key: str, state: str, signature: Any) -> str:
    """One partner's line of ``status``."""
    line = _STANDING[state]
    if signature is None:
        return line
    if state == "invalid":
        return f"{line}: {signature.problem}"
    proof = "verified" if signature.proof == "verified" else "not verified"
    line += f", {proof} ({signature.by}, {signature.date.isoformat()})"
    if state == "outdated":
        line += f"; see what changed: standpunt diff {pid} --signed-by {key}"
    return line


@main.command(name="import")
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rename", "new_id", help="Import the position under this id instead.")
@click.pass_context
@ends_with_exit_code
def import_pdf(ctx: click.Context, pdf: Path, new_id: str | None) -> Result:
    """Add the position and evidence carried inside a Standpunt PDF to this workspace."""
    from standpunt.commands.share import import_pdf as take_out

    result = take_out(_root(ctx), pdf, new_id)
    for path in result.files:
        echo(f"{'changed' if path == 'standpunt.yaml' else 'created'} {path}")
    if result.origin:
        echo(f"origin: published by {result.origin}", err=True)
    if result.added:
        echo(f"added partners to standpunt.yaml: {', '.join(result.added)}", err=True)
    for key, what in result.conflicts:
        echo(
            f"note: partner '{key}' is defined otherwise here than in the PDF ({what}); "
            "standpunt.yaml was left as it is",
            err=True,
        )
    if result.signatures:
        echo(f"signatures imported: {', '.join(result.signatures)}", err=True)
    for key, why in result.refused:
        echo(f"note: the signature of '{key}' was not imported: {why}", err=True)
    if result.by_hand:
        echo(
            "note: standpunt.yaml could not be changed safely; add these partners to it:\n"
            + result.by_hand,
            err=True,
        )
    for note in result.notes:
        echo(f"note: {note}", err=True)
    if result.strangers:
        echo(
            f"note: {result.files[0]} names signatories that are not partners in "
            f"standpunt.yaml: {', '.join(result.strangers)}. Add them under 'partners:' (or "
            "remove them from the position); until then 'check' reports them and the position "
            "is not built.",
            err=True,
        )
    return result


@main.command()
@click.argument("pdf", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--keys",
    "allowed_signers",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Trust only these keys: an allowed_signers file whose principals are partner keys.",
)
@ends_with_exit_code
def verify(pdf: Path, allowed_signers: Path | None) -> Result:
    """Check that a Standpunt PDF carries the text its fingerprint names, and who signed it
    (no workspace needed). A PDF that was changed exits 1."""
    from standpunt.commands.share import verify as check_pdf

    result = check_pdf(pdf, allowed_signers)
    found = result.verification
    title = f' "{found.title}"' if found.title else ""
    echo(f"{pdf.name}: position '{found.position}'{title}")
    if found.publisher or found.version:
        version = found.version or "not versioned"
        echo(f"  published by {found.publisher or '?'}, version {version}")
    if found.intact:
        echo(f"  text: the copy this PDF carries is intact (fingerprint {found.fingerprint})")
        # What "intact" cannot say: the pages are drawn, not compared, and no key of the
        # publisher's signs the PDF, so whoever changed the copy could rewrite its fingerprint.
        echo(
            "  note: the pages you read are not compared with that copy, and nothing in a PDF "
            "proves who published it: before you sign, compare this fingerprint with the one "
            "the publisher gives you ('standpunt fingerprint ID' in their workspace)"
        )
    else:
        echo(f"  text: NOT the text its fingerprint names: {found.why}")
    whose = "keys you trust (--keys)" if found.trusted_keys else "keys the PDF itself lists"
    for checked in found.signatures:
        echo(f"  {checked.partner}: {_verified_line(checked, whose, found.intact)}")
    if not found.signatures:
        echo("  no signatures")
    _echo_diagnostics(result.problems)
    return result


def _verified_line(checked: Any, whose: str, intact: bool) -> str:
    signature = checked.signature
    who = ""
    if signature is not None:
        role = f", {signature.role}" if signature.role else ""
        who = f" — {signature.by}{role}, {signature.date.isoformat()}"
    if checked.problem is not None:
        return f"INVALID: {checked.problem}{who}"
    text = "signed this text" if checked.this_text else "signed another text"
    if not intact and checked.this_text:
        # The fingerprint the partner signed is the one the PDF names, not the text it holds.
        text = "signed the original text, NOT the changed text this PDF holds"
    if signature.proof == "verified":
        return f"{text}, verified with {signature.key} ({whose}){who}"
    return f"{text}, not verified (no key for this partner){who}"


@main.command()
@click.argument("positions", nargs=-1, shell_complete=_complete_positions)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port on 127.0.0.1 (0: any free port).",
)
@click.pass_context
@ends_with_exit_code
def serve(ctx: click.Context, positions: tuple[str, ...], port: int) -> Result:
    """A live preview on 127.0.0.1: HTML and PDF, rebuilt and reloaded on every save."""
    from standpunt.commands.preview import serve as start_preview

    with start_preview(_root(ctx), list(positions) or None, port) as preview:
        echo(f"preview on {preview.url} (Ctrl+C stops)", err=True)
        preview.watch()
    return preview


@main.command()
@click.argument("search", required=False, default="", shell_complete=_complete_styles)
@ends_with_exit_code
def styles(search: str) -> Result:
    """The citation style names standpunt.yaml's 'style:' may take (with SEARCH: those whose
    name holds it), e.g. standpunt styles chicago."""
    from standpunt.cite.citeproc import style_names

    found = [name for name in style_names() if search.lower() in name]
    for name in found:
        echo(name)
    _note(f"{len(found)} style(s); or give a .csl file of your own as style: styles/name.csl")
    return Result()


@main.command(name="docx-import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("position", shell_complete=_complete_positions)
@click.option("--apply", is_flag=True, help="Write the partner's changes into the YAML.")
@click.pass_context
@ends_with_exit_code
def docx_import(ctx: click.Context, file: Path, position: str, apply: bool) -> Result:
    """A partner's Word copy of POSITION (made with build --format docx), tracked changes
    included: its changes as a redline against the current text; --apply writes them in."""
    from standpunt.commands.word import docx_import as read_word

    result = read_word(_root(ctx), file, position, apply, color=_colour())
    for note in [*result.notes, *result.structure]:
        echo(f"note: {note}", err=True)
    if not result.changed:
        _note(f"{file.name} says what {position} says: nothing to apply")
        return result
    echo(result.redline, color=_colour())
    if result.written:
        _note(f"applied {len(result.changed)} change(s) to {result.written}; check and commit it")
    elif not apply:
        _note(f"{len(result.changed)} text(s) changed; apply them with --apply")
    return result


# --- evidence ---------------------------------------------------------------------------------


@main.group()
def evidence() -> None:
    """The works positions cite: list them, import Zotero's CSL-JSON, add one by its DOI."""


@evidence.command(name="list")
@click.pass_context
@ends_with_exit_code
def list_evidence(ctx: click.Context) -> Result:
    """Every evidence entry: key, type, author, year, title and where it is written."""
    from rich.console import Console
    from rich.table import Table

    from standpunt.commands.evidence import list_evidence as read_evidence

    result = read_evidence(_root(ctx))
    if not result.entries:
        echo(
            "no evidence yet: add reference files to evidence/, or a work with "
            "'standpunt evidence add DOI'"
        )
        return result
    table = Table(box=None, pad_edge=False)
    for name in ("key", "type", "author", "year", "title", "where"):
        table.add_column(
            name, no_wrap=name in ("key", "where"), ratio=1 if name == "title" else None
        )
    for entry in result.entries:
        title = entry.title if entry.valid else f"{entry.title} (has errors: run standpunt check)"
        table.add_row(
            *_cells(entry.key, entry.type, entry.author, entry.year, title.strip(), entry.where)
        )
    _print(Console(width=None if on_terminal(sys.stdout) else 250), table)
    return result


@evidence.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--to",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The new CSL-YAML file to write (default: evidence/<FILE's name>.yaml).",
)
@click.option(
    "--update",
    is_flag=True,
    help="Bring the file an earlier import wrote up to date: its works keep their keys.",
)
@click.pass_context
@ends_with_exit_code
def import_evidence(ctx: click.Context, file: Path, target: Path | None, update: bool) -> Result:
    """Write Zotero's CSL-JSON export FILE as CSL-YAML in evidence/, with readable keys."""
    from standpunt.commands.evidence import import_evidence as take_in

    result = take_in(_root(ctx), file, target, update)
    _echo_diagnostics(result.problems)
    if result.updated:
        changed = _some(f"{key}: {', '.join(names)}" for key, names in result.changed.items())
        echo(
            f"updated {result.file}: {len(result.added)} new"
            + (f" ({_some(result.added)})" if result.added else "")
            + f", {len(result.changed)} changed"
            + (f" ({changed})" if changed else "")
            + f", {result.count - len(result.added) - len(result.changed)} unchanged"
            + (f"; {len(result.kept)} no longer in the export, kept" if result.kept else "")
        )
    else:
        echo(
            f"created {result.file}: {result.count} reference(s) with readable keys "
            "(see them with 'standpunt evidence list')"
        )
    if result.leftover:
        echo(
            f"note: {result.leftover} is still read as it is, with Zotero's item addresses as "
            f"ids; remove it now that its works are in {result.file}",
            err=True,
        )
    return result


def _some(items: Iterable[str], most: int = 10) -> str:
    """The first ``most`` of ``items``, joined, and how many more there are."""
    listed = list(items)
    more = f"; and {len(listed) - most} more" if len(listed) > most else ""
    return "; ".join(listed[:most]) + more


@evidence.command(name="add")
@click.argument("doi")
@click.option(
    "--to",
    "target",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The CSL-YAML file in evidence/ to add to (default: evidence/doi.yaml).",
)
@click.pass_context
@ends_with_exit_code
def add_evidence(ctx: click.Context, doi: str, target: Path | None) -> Result:
    """Fetch the work with this DOI (from doi_resolver: in standpunt.yaml, default
    https://doi.org/) and add it to an evidence file with a readable key."""
    from standpunt.commands.evidence import add_evidence as fetch

    result = fetch(_root(ctx), doi, target)
    echo(
        f"added {result.doi} as '{result.key}' to {result.where}; cite it as "
        f"[@{result.key}] or [@doi:{result.doi}]"
    )
    return result
