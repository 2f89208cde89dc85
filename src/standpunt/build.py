"""The build: everything first, then output.

The whole workspace is loaded and checked before anything is written. Positions with errors are
not built; the others are. pandoc (one process per position, citations resolved) starts for all
positions at once on a thread pool, so it runs while WeasyPrint is imported and while earlier
positions are rendered. Each page is then rendered from a :class:`pdf.RenderRequest`, plain data
that does not need the workspace, and written atomically as soon as it is ready.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from . import __version__
from .check import check_workspace
from .citations import CitedText, Style, cite, resolve_style
from .errors import Diagnostic, Location, StandpuntError, UsageError, did_you_mean
from .footnotes import prepare
from .i18n import format_date, labels
from .model import Position
from .output import build_folder, clean_temp_files, output_path, write_atomic
from .render import (
    TemplateSet,
    data_uri,
    read_stylesheet,
    render_html,
    template_set,
    view_model,
)
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
    include_pending: bool = False
    edition: str | None = None


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


def select(workspace: Workspace, ids: list[str] | None) -> list[str]:
    """The positions to work on; an unknown id is a usage error naming the known ones."""
    if not ids:
        return sorted(workspace.positions)
    for wanted in ids:
        if wanted not in workspace.positions:
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
    """The version as a template shows it: "versie a1b2c3d · 12 maart 2026"."""
    label = stamp.label
    if not stamp.versioned:
        shown = text["not_versioned"]
        if label:
            shown = f"{text['version']} {label} · {shown}"
        return {"versioned": False, "label": label, "commit": None, "date": None,
                "modified": False, "stamp": shown}
    parts = [f"{text['version']} {label} ({stamp.commit})" if label else
             f"{text['version']} {stamp.commit}"]
    if stamp.date:
        parts.append(format_date(stamp.date, lang))
    if stamp.modified:
        parts.append(text["modified"])
    return {"versioned": True, "label": label, "commit": stamp.commit,
            "date": stamp.date.isoformat() if stamp.date else None,
            "modified": stamp.modified, "tag": stamp.tag, "stamp": " · ".join(parts)}


def build(
    workspace: Workspace,
    ids: list[str] | None = None,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Build the chosen positions (all by default); returns one outcome per buildable position."""
    from . import signatures as signing
    from . import versioning
    from .fingerprint import workspace_fingerprints

    options = options or BuildOptions()
    chosen = select(workspace, ids)
    cited_keys = check_workspace(workspace, chosen if ids else None)
    if options.edition and options.edition not in workspace.config.partners:
        raise UsageError(
            f"no partner '{options.edition}' in standpunt.yaml"
            f"{did_you_mean(options.edition, workspace.config.partners)}",
            code="unknown-partner",
        )
    todo = buildable(workspace, chosen)
    if not todo:
        return []
    style = resolve_style(workspace.config.style, workspace.root)
    templates = template_set(workspace)
    folder = build_folder(workspace.root)
    clean_temp_files(folder)
    variant = options.pdf_variant or workspace.config.pdf_variant

    models = {pid: workspace.positions[pid].model for pid in todo}
    stamps = versioning.stamps(
        workspace.root,
        {
            pid: (source_files(workspace, pid, cited_keys.get(pid, [])), model.version)
            for pid, model in models.items()
            if model is not None
        },
    )
    signed, _ = signing.read_signatures(workspace)
    fingerprints = workspace_fingerprints(workspace, todo)

    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        pending: dict[str, Future[CitedText]] = {
            pid: pool.submit(_cite, workspace, pid, cited_keys.get(pid, []), style) for pid in todo
        }
        write_pdf = None
        if "pdf" in options.formats:
            from .pdf import write_pdf  # ~0.5 s; overlaps the pandoc runs above
        if progress:
            progress.start(len(todo))
        for pid in todo:
            outcome = Outcome(pid)
            try:
                position = models[pid]
                assert position is not None
                lang = workspace.lang_of(position)
                text = labels(lang, workspace.config.labels.get(lang.split("-")[0].lower()))
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
                names = [name for name, _text in position_fields(position)]
                suffix_key = f".{options.edition}" if options.edition else ""
                for medium, suffix in (("screen", ".html"), ("print", ".pdf")):
                    if suffix[1:] not in options.formats:
                        continue
                    prepared, expected = prepare(cited, names, medium)
                    css = read_stylesheet(templates, medium)
                    context = view_model(
                        workspace, pid, position, prepared, css, medium, version,
                        signers=signers, pending=waiting,
                        edition=_edition(workspace, options.edition),
                    )
                    context["fingerprint"] = fingerprints[pid]
                    html = render_html(templates, context)
                    if medium == "print":
                        assert write_pdf is not None
                        request = _request(
                            workspace, templates, pid, html, variant, expected.anchors,
                            cited_keys.get(pid, []), signed.get(pid, []), fingerprints[pid],
                            version, stamps[pid], signers,
                        )
                        data = write_pdf(request)
                    else:
                        data = html.encode("utf-8")
                    target = output_path(folder, pid, f"{suffix_key}{suffix}")
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


def _edition(workspace: Workspace, key: str | None) -> dict[str, Any] | None:
    if key is None:
        return None
    partner = workspace.config.partners[key]
    return {
        "key": key,
        "name": partner.name,
        "short": partner.short,
        "colour": partner.colour,
        "logo": data_uri(workspace, partner.logo, Location("standpunt.yaml")),
    }


def _request(
    workspace: Workspace,
    templates: TemplateSet,
    pid: str,
    html: str,
    variant: str,
    expected: dict[str, str],
    keys: list[str],
    signed: list[Any],
    fingerprint: str,
    version: dict[str, Any],
    stamp: Any,
    signers: list[str],
) -> Any:
    from .pdf import RenderRequest

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
    for signature in signed:
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
        "title": workspace.positions[pid].model.title if workspace.positions[pid].model else None,
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
    return RenderRequest(
        html=html,
        roots=(workspace.root, *templates.folders),
        variant=variant,
        expected=expected,
        attachments=tuple((a.name, a.data, a.description) for a in attachments),
        epoch=stamp.timestamp if stamp.versioned else None,
    )


def _cite(workspace: Workspace, pid: str, keys: list[str], style: Style) -> CitedText:
    position = workspace.positions[pid].model
    assert position is not None
    references = [workspace.evidence[key].csl for key in keys if key in workspace.evidence]
    texts = [text for _name, text in position_fields(position)]
    return cite(texts, references, style, workspace.lang_of(position))
