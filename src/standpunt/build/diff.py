"""``standpunt diff``: a redline of a position between two revisions, read straight from git.

Old revisions come from :func:`standpunt.versions.history.read_at` (``git cat-file``), never from
a checkout; the working tree is read from disk. Each revision's Markdown is formatted by
citeproc as the build formats it (:func:`standpunt.build.cite.cite_texts`), so the redline
compares what the position's PDF shows (:mod:`standpunt.versions.redline`). The document is
made like a position's page: the template ``redline.html`` in the template sandbox, and the PDF
by a render worker, under the workspace's limits. Each revision is named as the user knows it:
its version label and date ("Versie 1.0 — 12 maart 2026"), not its commit.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from standpunt import __version__
from standpunt.build.cite import cite_texts
from standpunt.checks.keys import EvidenceKeys
from standpunt.choices import DEFAULT_PDF_VARIANT, Medium
from standpunt.cite.citeproc import resolve_style
from standpunt.cite.finder import find_citations
from standpunt.errors import StandpuntError
from standpunt.i18n import format_date
from standpunt.render.request import PdfSettings
from standpunt.render.template import REDLINE_TEMPLATE, read_stylesheet
from standpunt.render.workers import Job, JobResult, Pool
from standpunt.versions.history import commit_info, last_commit, previous_version, read_at
from standpunt.versions.redline import Redline, cited_ids, compare, fill, to_text, view
from standpunt.workspace.files import build_folder, output_path, write_atomic
from standpunt.workspace.load import MAX_BYTES, parse_yaml, to_plain
from standpunt.workspace.paths import BUILD_DIR, CACHE_DIR, read_bounded
from standpunt.workspace.read import Workspace, select
from standpunt.workspace.templates import template_set
from standpunt.workspace.texts import texts


@dataclass(frozen=True)
class RedlineText:
    """The redline as text, for the terminal."""

    text: str


@dataclass(frozen=True)
class RedlineFile:
    """The redline written to a file (HTML or PDF)."""

    path: Path


#: Either text for the terminal or the file written.
DiffResult = RedlineText | RedlineFile


@dataclass(frozen=True)
class _Side:
    """One revision: its data as read, what the user called it, the date of its commit (None
    for a working copy not committed)."""

    data: Any
    typed: str | None
    date: dt.date | None
    #: What a message calls it: "positions/care.yaml at a1b2c3d".
    where: str = ""

    def name(self, labels: dict[str, str], lang: str) -> str:
        """ "Versie 1.0 — 12 maart 2026": the version label the file gives (else the revision as
        the user typed it) and the date of its commit; a working copy not committed is called
        one."""
        written = self.data.get("version") if isinstance(self.data, dict) else None
        label = str(written).strip() if isinstance(written, str | int | float) else ""
        name = fill(labels["redline_revision"], label=label) if label else self.typed
        # a committed revision is dated as its PDF is: by the position's own date, if it has one
        day = (_written_date(self.data) or self.date) if self.date else None
        when = format_date(day, lang) if day else labels["redline_working"]
        return f"{name} — {when}" if name else when


def _written_date(data: Any) -> dt.date | None:
    """The ``date:`` a revision of a position gives itself, if it is a valid date."""
    written = data.get("date") if isinstance(data, dict) else None
    if isinstance(written, dt.date):
        return written
    try:
        return dt.date.fromisoformat(str(written).strip()) if written is not None else None
    except ValueError:
        return None


_FULL_HASH = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _side(workspace: Workspace, pid: str, path: Path, rev: str | None, typed: bool) -> _Side:
    display = workspace.display(path)
    if rev is None:
        if not path.is_file():
            raise StandpuntError(f"{display} does not exist in the working tree", code="usage")
        data = read_bounded(path, display, MAX_BYTES, [workspace.root])
        plain = to_plain(parse_yaml(data, display))
        return _Side(plain, None, _committed(workspace, path, data), display)
    # "diff care 1.0" means the version tagged care/v1.0 (see standpunt.versions.history.resolve)
    info = commit_info(workspace.root, rev, pid)
    data = read_at(workspace.root, rev, path, commit=info.full_commit)
    try:
        plain = to_plain(parse_yaml(data, f"{display}@{info.commit}"))
    except StandpuntError as exc:
        raise StandpuntError(
            f"{display} at {info.commit} cannot be read: {exc.message}", exc.location, exc.code
        ) from None
    # A whole hash was found for the user (--signed-by), not typed: its short form will do.
    shown = info.commit if _FULL_HASH.fullmatch(rev) else rev
    return _Side(plain, shown if typed else None, info.date, f"{display} at {info.commit}")


def _committed(workspace: Workspace, path: Path, data: bytes) -> dt.date | None:
    """The date of the last commit when the working file is exactly as committed (else None)."""
    last = last_commit(workspace.root, path)
    if last is not None:
        _short, full, date = last
        try:
            if read_at(workspace.root, full, path, commit=full) == data:
                return date
        except StandpuntError:
            pass
    return None


def _titles(workspace: Workspace, position: Any) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for key in sorted(cited_ids(position)):
        item = workspace.evidence.get(key)
        found[key] = str(item.csl.get("title")) if item is not None and item.csl else None
    return found


def redline_between(
    workspace: Workspace,
    position_id: str,
    rev_a: str | None,
    rev_b: str | None,
    output_format: str,
    color: bool = False,
) -> DiffResult:
    """The redline of ``position_id`` from ``rev_a`` to ``rev_b`` (None: the working tree)."""
    (pid,) = select(workspace, [position_id])
    path = workspace.positions[pid].path
    typed = rev_a is not None
    if rev_a is None:
        rev_a = previous_version(workspace.root, path)
        if rev_a is None:
            raise StandpuntError(
                f"{workspace.display(path)} has no earlier version to compare with: commit it, "
                "change it, and run diff again (or name two revisions)",
                code="no-previous-version",
            )
    old = _side(workspace, pid, path, rev_a, typed)
    new = _side(workspace, pid, path, rev_b, True)
    # Either side may hold anything YAML can (a list, a number, nothing): compare() copes, and
    # the language is only taken from a mapping that names one.
    written = new.data.get("lang") if isinstance(new.data, dict) else None
    lang = written.strip() if isinstance(written, str) and written.strip() else None
    lang = lang or workspace.config.lang
    # The position's language, with the workspace's own labels on top (redline_* included).
    labels = workspace.labels(lang)
    # The terminal shows the Markdown as written; a document shows what the PDF shows.
    rendered = None
    if output_format != "text":
        rendered = (_rendered(workspace, old, lang), _rendered(workspace, new, lang))
    redline = compare(
        old.data,
        new.data,
        _titles(workspace, old.data),
        _titles(workspace, new.data),
        lang,
        before=old.name(labels, lang),
        after=new.name(labels, lang),
        rendered=rendered,
    )
    if output_format == "text":
        return RedlineText(to_text(redline, color=color, labels=labels))
    data = _document(workspace, pid, new, redline, labels, output_format)
    suffix = ".diff.html" if output_format == "html" else ".diff.pdf"
    target = output_path(build_folder(workspace.root), pid, suffix)
    write_atomic(target, data)
    return RedlineFile(target)


def _rendered(workspace: Workspace, side: _Side, lang: str) -> dict[str, str]:
    """A revision's Markdown texts as its PDF shows them, by text key: formatted by citeproc
    with the workspace's evidence and style, as a build formats them."""
    markdown = [(text.key, text.value) for text in texts(side.data)]
    if not markdown:
        return {}
    keys = EvidenceKeys(workspace)
    cited: dict[str, None] = {}
    aliases: dict[str, str] = {}
    for _key, value in markdown:
        for citation in find_citations(value) if "@" in value else []:
            key = keys.resolve(citation.key)
            if key is not None and key != citation.key:
                aliases[citation.key] = key
            if key is not None:
                cited[key] = None
    evidence = [workspace.evidence[key].csl for key in cited]
    style = resolve_style(
        workspace.config.style, workspace.root, workspace.setting_location("style")
    )
    cache = build_folder(workspace.root, f"{BUILD_DIR}/{CACHE_DIR}")
    try:
        return cite_texts(markdown, evidence, aliases, style, lang, cache).media["print"].fields
    except StandpuntError as exc:
        raise StandpuntError(
            f"{side.where}: its citations cannot be formatted: {exc.message}",
            exc.location,
            exc.code,
        ) from None


def _document(
    workspace: Workspace, pid: str, new: _Side, redline: Redline, labels: dict[str, str], fmt: str
) -> bytes:
    """The redline as a page (html) or a PDF, made by a render worker from ``redline.html`` in
    the template sandbox, under the workspace's limits of memory, time and pages."""
    templates = template_set(workspace)
    medium: Medium = "print" if fmt == "pdf" else "screen"
    title = new.data.get("title") if isinstance(new.data, dict) else None
    model = workspace.positions[pid].model
    if not isinstance(title, str) or not title.strip():
        title = model.title if model else pid
    org = workspace.config.organisation
    context = {
        "lang": redline.lang,
        "medium": medium,
        "labels": labels,
        "generator": f"Standpunt {__version__}",
        "stylesheet": Markup(read_stylesheet(templates, medium)),
        "organisation": {"name": org.name, "short": org.short},
        "position": {"id": pid, "title": title.strip()},
        "redline": view(redline, labels),
    }
    pdf = None
    if medium == "print":
        roots = (workspace.root, *templates.folders)
        pdf = PdfSettings(roots=roots, variant=DEFAULT_PDF_VARIANT)
    job = Job("redline", templates, context, medium, pdf, template=REDLINE_TEMPLATE)
    results: list[JobResult] = []
    with Pool(1, workspace.config.limits, pdf=pdf is not None) as pool:
        pool.run([job], results.append)
    (result,) = results
    if result.error is not None:
        raise result.error
    assert result.data is not None, "a job that did not fail has its output"
    return result.data
