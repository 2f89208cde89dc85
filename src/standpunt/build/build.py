"""The build: everything first, then output.

The whole workspace is loaded and checked before anything is written. Positions with errors are
not built; the others are. pandoc (one process per position, citations resolved) starts for all
positions at once on a thread pool, so it runs while WeasyPrint is imported and while earlier
positions are rendered. Each page is then rendered from a :class:`pdf.RenderRequest`, plain data
that does not need the workspace, and written atomically as soon as it is ready.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from standpunt import __version__
from standpunt.checks.check import check_workspace
from standpunt.cite.citeproc import FORMAT as CITED_FORMAT
from standpunt.cite.citeproc import CitedText, Style, cite, resolve_style
from standpunt.errors import Diagnostic, StandpuntError, UsageError, did_you_mean
from standpunt.cite.notes import prepare
from standpunt.i18n import format_date
from standpunt.workspace.schema import Position
from standpunt.workspace.files import build_folder, clean_temp_files, output_path, write_atomic
from standpunt.render.template import TemplateSet, data_uri, read_stylesheet, template_set, view_model
from standpunt.buildstate.state import BuildOptions, BuildState, digest, file_digest, files_digest, tool_versions
from standpunt.render.workers import default_jobs
from standpunt.workspace.read import Workspace, select
from standpunt.workspace.texts import texts

#: Resolved citations, by the hash of what pandoc read (a folder in build/).
CACHE_DIR = ".standpunt-cache"


@dataclass
class Outcome:
    """What became of one position."""

    id: str
    written: list[Path] = field(default_factory=list)
    current: list[Path] = field(default_factory=list)
    error: Diagnostic | None = None


class Progress(Protocol):
    """Told how many positions will be built, then of each one as it is done."""

    def start(self, total: int) -> None: ...

    def done(self, position_id: str, outcome: Outcome) -> None: ...


@dataclass(frozen=True)
class Attachment:
    """A file embedded in the PDF: the sources a reader can take back out."""

    name: str
    data: bytes
    description: str


def buildable(workspace: Workspace, ids: list[str]) -> list[str]:
    """The positions among ``ids`` whose own file has no errors."""
    return [
        i
        for i in ids
        if workspace.positions[i].model is not None
        and not workspace.problems.errors_at(workspace.positions[i].display)
    ]


def source_files(workspace: Workspace, position_id: str, keys: list[str]) -> list[Path]:
    """The files a position is made from: its own file and every evidence file it cites."""
    files = [workspace.positions[position_id].path]
    for key in keys:
        item = workspace.evidence.get(key)
        if item is not None:
            path = workspace.root / item.location.path
            if path not in files:
                files.append(path)
    return files


def version_stamp(stamp: Any, lang: str, text: dict[str, str]) -> dict[str, Any]:
    """The version as a template shows it: ``stamp`` "versie a1b2c3d · 12 maart 2026" for a
    footer, ``short`` "a1b2c3d · 12 maart 2026" beside a "version" label."""
    label = stamp.label
    if not stamp.versioned:
        short = f"{label} · {text['not_versioned']}" if label else text["not_versioned"]
        full = f"{text['version']} {short}" if label else short
        return {
            "versioned": False,
            "label": label,
            "commit": None,
            "date": None,
            "modified": False,
            "tag": None,
            "stamp": full,
            "short": short,
        }
    parts = [f"{label} ({stamp.commit})" if label else str(stamp.commit)]
    if stamp.date:
        parts.append(format_date(stamp.date, lang))
    if stamp.modified:
        parts.append(text["modified"])
    short = " · ".join(parts)
    return {"versioned": True, "label": label, "commit": stamp.commit,
            "date": stamp.date.isoformat() if stamp.date else None,
            "modified": stamp.modified, "tag": stamp.tag,
            "stamp": f"{text['version']} {short}", "short": short}  # fmt: skip


def build(
    workspace: Workspace,
    ids: list[str] | None = None,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
    pool: Any = None,
    early: Any = None,
    record: str | None = None,
) -> list[Outcome]:
    """Build the chosen positions (all by default); returns one outcome per buildable position.

    ``pool`` is a started :class:`workers.Pool` to render with (the preview keeps one warm);
    by default the build starts its own, adopting the already started workers of ``early``.
    ``record`` is the digest of every input of a whole-workspace build
    (:func:`state.workspace_digest`): it is kept in the build state when every position came
    out current, so that the next such build stops at once. A build that changes any output
    without reaching that forgets the digest it had, which no longer describes build/.
    """
    from standpunt.coalition import signatures as signing
    from standpunt.versions import history as versioning
    from standpunt.coalition.fingerprint import workspace_fingerprints
    from standpunt.render.workers import Job, Pool, Result

    options = options or BuildOptions()
    chosen = select(workspace, ids)
    checked = check_workspace(workspace, chosen if ids else None)
    cited_keys, signed = checked.cited, checked.signed
    if options.edition and options.edition not in workspace.config.partners:
        raise UsageError(
            f"no partner '{options.edition}' in standpunt.yaml"
            f"{did_you_mean(options.edition, workspace.config.partners)}",
            code="unknown-partner",
        )
    todo = buildable(workspace, chosen)
    if not todo:
        return []
    style = resolve_style(
        workspace.config.style, workspace.root, workspace.setting_location("style")
    )
    templates = template_set(workspace)
    folder = build_folder(workspace.root)
    clean_temp_files(folder)
    variant = options.pdf_variant or workspace.config.pdf_variant
    limits = workspace.config.limits
    jobs_wanted = options.jobs or default_jobs()

    models = {pid: workspace.positions[pid].model for pid in todo}
    stamps = versioning.stamps(
        workspace.root,
        {
            pid: (source_files(workspace, pid, cited_keys.get(pid, [])), model.version)
            for pid, model in models.items()
            if model is not None
        },
    )
    fingerprints = workspace_fingerprints(workspace, todo)
    suffix_key = f".{options.edition}" if options.edition else ""
    media = [
        (m, s) for m, s in (("screen", ".html"), ("print", ".pdf")) if s[1:] in options.formats
    ]

    state = BuildState.read(folder)
    common = _common_inputs(workspace, templates, style)
    outcomes = {pid: Outcome(pid) for pid in todo}
    hashes: dict[tuple[str, str], str] = {}
    for pid in todo:
        inputs = {
            "common": common,
            "position": file_digest(workspace.positions[pid].path),
            "evidence": [
                workspace.evidence[k].csl
                for k in cited_keys.get(pid, [])
                if k in workspace.evidence
            ],
            "signatures": [file_digest(sig.path) for sig in signed.get(pid, [])],
            "version": dataclasses.asdict(stamps[pid]),
            "fingerprint": fingerprints[pid],
            "options": options.key(),
        }
        for medium, suffix in media:
            target = output_path(folder, pid, f"{suffix_key}{suffix}")
            hashes[pid, medium] = digest({**inputs, "medium": medium})
            if not options.force and state.current(target, hashes[pid, medium]):
                outcomes[pid].current.append(target)
    stale = [pid for pid in todo if len(outcomes[pid].current) < len(media)]
    remaining = {pid: len(media) - len(outcomes[pid].current) for pid in stale}

    def finish(pid: str, error: StandpuntError | None = None) -> None:
        outcome = outcomes[pid]
        if error is not None and outcome.error is None:
            diagnostic = error.diagnostic()
            if diagnostic.location is None:
                where = workspace.positions[pid].location
                diagnostic = Diagnostic("error", error.message, error.code, where)
            outcome.error = diagnostic
        remaining[pid] -= 1
        if remaining[pid] <= 0 and progress:
            progress.done(pid, outcome)

    def jobs() -> Iterator[Job]:
        for pid in stale:
            try:
                prepared = list(_jobs_for(pid))
            except StandpuntError as exc:
                for _ in media:
                    finish(pid, exc)
                continue
            yield from prepared

    # The same for every position, so made once; lazily, so that a problem in either is
    # reported for each position like any other (a failure is not remembered).
    stylesheet = functools.cache(functools.partial(read_stylesheet, templates))
    edition = functools.cache(functools.partial(_edition, workspace, options.edition))

    def _jobs_for(pid: str) -> Iterator[Job]:
        position = models[pid]
        assert position is not None
        lang = workspace.lang_of(position)
        text = workspace.labels(lang)
        version = version_stamp(stamps[pid], lang, text)
        signers = signing.current_signers(workspace, pid, signed, fingerprints[pid])
        waiting = []
        if options.include_pending:
            waiting = [
                key
                for key, state, _ in signing.status(workspace, pid, signed, fingerprints[pid])
                if state is not signing.SignatureState.SIGNED
            ]
        cited = pending[pid].result()
        names = {text.key: text.name for text in texts(position)}
        for medium, suffix in media:
            target = output_path(folder, pid, f"{suffix_key}{suffix}")
            if target in outcomes[pid].current:
                continue
            prepared, expected = prepare(cited, names, medium)
            context = view_model(
                workspace,
                pid,
                position,
                prepared,
                stylesheet(medium),
                medium,
                version,
                signers=signers,
                pending=waiting,
                edition=edition(),
            )
            context["fingerprint"] = fingerprints[pid]
            pdf: dict[str, Any] = {}
            if medium == "print":
                pdf = _request(
                    workspace,
                    templates,
                    pid,
                    variant,
                    expected,
                    cited_keys.get(pid, []),
                    signed.get(pid, []),
                    fingerprints[pid],
                    version,
                    stamps[pid],
                    signers,
                    position,
                )
            yield Job((pid, target, hashes[pid, medium]), templates, context, medium, pdf)

    def done(result: Result) -> None:
        pid, target, input_hash = result.key
        if result.error is not None:
            state.outputs.pop(target.name, None)
            finish(pid, result.error)
            return
        assert result.data is not None
        try:
            write_atomic(target, result.data)
            state.outputs[target.name] = input_hash
            outcomes[pid].written.append(target)
            finish(pid)
        except (OSError, StandpuntError) as exc:
            error = (
                exc
                if isinstance(exc, StandpuntError)
                else StandpuntError(
                    f"could not write {workspace.display(target)}: {exc}", code="write-failed"
                )
            )
            finish(pid, error)

    if progress:
        progress.start(len(todo))
        for pid in todo:
            if pid not in remaining:
                progress.done(pid, outcomes[pid])
    if stale:
        state.workspace = None  # outputs change from here on
        cache = build_folder(workspace.root, f"build/{CACHE_DIR}")
        own_pool = pool is None
        size = min(jobs_wanted, sum(remaining.values()))
        workers = Pool(size, limits, "pdf" in options.formats) if own_pool else pool
        if own_pool and early is not None:
            workers.adopt(early)
        with workers if own_pool else contextlib.nullcontext(workers):
            workers.start()  # WeasyPrint's import in the workers overlaps the pandoc runs below
            with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as threads:
                pending: dict[str, Future[CitedText]] = {
                    pid: threads.submit(
                        _cite, workspace, pid, cited_keys.get(pid, []), style, cache
                    )
                    for pid in stale
                }
                try:
                    workers.run(jobs(), done)
                finally:
                    state.write()
    complete = (
        ids is None
        and len(todo) == len(workspace.positions)
        and not workspace.problems.errors
        and all(outcome.error is None for outcome in outcomes.values())
    )
    if record is not None and complete and state.workspace != record:
        state.workspace = record
        state.write()
    for outcome in outcomes.values():
        outcome.written.sort()
    return [outcomes[pid] for pid in todo]


def _common_inputs(workspace: Workspace, templates: TemplateSet, style: Style) -> str:
    """What every output of this workspace is made from: tools, settings, template, style."""
    config = workspace.config
    logos = [config.organisation.logo, *(p.logo for p in config.partners.values())]
    return digest(
        {
            "tools": tool_versions(),
            "config": file_digest(workspace.root / "standpunt.yaml"),
            "template": files_digest(templates.files(), workspace.root, templates.folders),
            "style": files_digest([style.path], workspace.root, [style.path.parent]),
            "logos": files_digest(
                [workspace.root / logo for logo in logos if logo], workspace.root
            ),
        }
    )


def _edition(workspace: Workspace, key: str | None) -> dict[str, Any] | None:
    if key is None:
        return None
    partner = workspace.config.partners[key]
    return {
        "key": key,
        "name": partner.name,
        "short": partner.short,
        "colour": partner.colour,
        "logo": data_uri(
            workspace, partner.logo, workspace.setting_location("partners", key, "logo")
        ),
    }


def _request(
    workspace: Workspace,
    templates: TemplateSet,
    pid: str,
    variant: str,
    expected: dict[str, str],
    keys: list[str],
    signed: list[Any],
    fingerprint: str,
    version: dict[str, Any],
    stamp: Any,
    signers: list[str],
    model: Position,
) -> dict[str, Any]:
    """The fields of a pdf.RenderRequest besides the page itself."""
    position = workspace.positions[pid]
    evidence = [workspace.evidence[key].csl for key in keys if key in workspace.evidence]
    attachments = [
        Attachment(f"{pid}.yaml", position.path.read_bytes(), "the position, as written"),
        Attachment(
            "evidence.json",
            json.dumps(evidence, ensure_ascii=False, indent=2).encode("utf-8"),
            "the evidence it cites, as CSL-JSON",
        ),
    ]
    # Only signatures of this very text travel with it; older ones would claim too much.
    for signature in (s for s in signed if s.fingerprint == fingerprint):
        attachments.append(
            Attachment(
                f"signature-{signature.partner}.yaml",
                signature.path.read_bytes(),
                f"co-signature of {signature.partner}",
            )
        )
    manifest = {
        "standpunt": __version__,
        "id": pid,
        "title": model.title,
        "fingerprint": fingerprint,
        "version": {k: version.get(k) for k in ("label", "commit", "date", "modified")},
        "co_signers": signers,
        "files": [a.name for a in attachments],
    }
    attachments.append(
        Attachment(
            "manifest.json",
            json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"),
            "what this PDF was made from",
        )
    )
    return {
        "roots": (workspace.root, *templates.folders),
        "variant": variant,
        "expected": expected,
        "attachments": tuple((a.name, a.data, a.description) for a in attachments),
        "epoch": stamp.timestamp if stamp.versioned else _date_epoch(model),
    }


def _date_epoch(position: Position) -> int | None:
    """Outside git, the position's own date stands in for the commit time."""
    if position.date is None:
        return None
    import calendar

    return calendar.timegm(position.date.timetuple())


def _cite(
    workspace: Workspace, pid: str, keys: list[str], style: Style, cache: Path | None = None
) -> CitedText:
    """The position's text with citations resolved, reused while text and evidence are the same."""
    position = workspace.positions[pid].model
    assert position is not None
    references = [workspace.evidence[key].csl for key in keys if key in workspace.evidence]
    markdown = [(text.key, text.value) for text in texts(position)]
    lang = workspace.lang_of(position)
    if cache is None:
        return cite(markdown, references, style, lang)
    key = digest(
        {
            "format": CITED_FORMAT,
            "texts": markdown,
            "references": references,
            "style": file_digest(style.path),
            "lang": lang,
            "tools": tool_versions(),
        }
    )
    entry = cache / f"{key}.json"
    try:
        return CitedText.from_json(json.loads(entry.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    cited = cite(markdown, references, style, lang)
    write_atomic(entry, json.dumps(cited.to_json()).encode("utf-8"))
    return cited
