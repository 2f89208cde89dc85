"""``standpunt diff``: a redline of a position between two revisions, read straight from git.

Old revisions come from :func:`standpunt.versions.history.read_at` (``git cat-file``), never from
a checkout; the working tree is read from disk. The comparison itself is
:mod:`standpunt.versions.redline`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from standpunt import __version__
from standpunt.choices import DEFAULT_PDF_VARIANT
from standpunt.errors import StandpuntError
from standpunt.render.template import read_stylesheet
from standpunt.versions.history import commit_info, last_commit, previous_version, read_at
from standpunt.versions.redline import REDLINE_CSS, cited_ids, compare, to_html, to_text
from standpunt.workspace.files import build_folder, output_path, write_atomic
from standpunt.workspace.load import parse_yaml, to_plain
from standpunt.workspace.read import Workspace, select
from standpunt.workspace.templates import TemplateSet, template_set


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


def _side(workspace: Workspace, pid: str, path: Path, rev: str | None) -> tuple[Any, str]:
    display = workspace.display(path)
    if rev is None:
        if not path.is_file():
            raise StandpuntError(f"{display} does not exist in the working tree", code="usage")
        data = path.read_bytes()
        return to_plain(parse_yaml(data, display)), _working_name(workspace, path, data)
    # "diff care 1.0" means the version tagged care/v1.0 (see standpunt.versions.history.resolve)
    info = commit_info(workspace.root, rev, pid)
    data = read_at(workspace.root, rev, path, commit=info.full_commit)
    name = f"{info.commit} ({info.date.isoformat()})"
    try:
        return to_plain(parse_yaml(data, f"{display}@{info.commit}")), name
    except StandpuntError as exc:
        raise StandpuntError(
            f"{display} at {info.commit} cannot be read: {exc.message}", exc.location, exc.code
        ) from None


def _working_name(workspace: Workspace, path: Path, data: bytes) -> str:
    """ "working copy", or the last commit's name when the file is exactly as committed."""
    last = last_commit(workspace.root, path)
    if last is not None:
        short, full, date = last
        try:
            if read_at(workspace.root, full, path, commit=full) == data:
                return f"{short} ({date.isoformat()})"
        except StandpuntError:
            pass
    return "working copy (not committed)"


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
    if rev_a is None:
        rev_a = previous_version(workspace.root, path)
        if rev_a is None:
            raise StandpuntError(
                f"{workspace.display(path)} has no earlier version to compare with: commit it, "
                "change it, and run diff again (or name two revisions)",
                code="no-previous-version",
            )
    old, before = _side(workspace, pid, path, rev_a)
    new, after = _side(workspace, pid, path, rev_b)
    # Either side may hold anything YAML can (a list, a number, nothing): compare() copes, and
    # the language is only taken from a mapping that names one.
    written = new.get("lang") if isinstance(new, dict) else None
    lang = written.strip() if isinstance(written, str) and written.strip() else None
    lang = lang or workspace.config.lang
    redline = compare(
        old,
        new,
        _titles(workspace, old),
        _titles(workspace, new),
        lang,
        before=before,
        after=after,
    )
    # The position's language, with the workspace's own labels on top (redline_* included).
    text = workspace.labels(lang)
    if output_format == "text":
        return RedlineText(to_text(redline, color=color, labels=text))
    templates = template_set(workspace)
    page = _page(workspace, pid, templates, redline, text, lang, output_format)
    folder = build_folder(workspace.root)
    if output_format == "html":
        target = output_path(folder, pid, ".diff.html")
        write_atomic(target, page.encode("utf-8"))
        return RedlineFile(target)
    # WeasyPrint is slow to import: only a PDF redline pays for it.
    from standpunt.render.pdf import RenderRequest, write_pdf

    data = write_pdf(
        RenderRequest(
            html=page, roots=(workspace.root, *templates.folders), variant=DEFAULT_PDF_VARIANT
        )
    )
    target = output_path(folder, pid, ".diff.pdf")
    write_atomic(target, data)
    return RedlineFile(target)


def _page(
    workspace: Workspace,
    pid: str,
    templates: TemplateSet,
    redline: Any,
    text: dict[str, str],
    lang: str,
    fmt: str,
) -> str:
    medium = "print" if fmt == "pdf" else "screen"
    base_css = read_stylesheet(templates, medium)
    model = workspace.positions[pid].model
    title = model.title if model else pid
    return (
        f'<!DOCTYPE html><html lang="{html.escape(lang)}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} — redline</title>"
        f'<meta name="generator" content="Standpunt {__version__}">'
        f"<style>{base_css}\n{REDLINE_CSS}\n"
        "@page { @top-left { content: string(running-title); } "
        "@bottom-right { content: counter(page) ' / ' counter(pages); } }\n"
        "@page :first { margin: 24mm 22mm 22mm 24mm; }\n"
        ".redline-title { font: bold 20pt/1.2 var(--sans); color: var(--accent-dark); "
        "string-set: running-title content(); bookmark-level: 1; }"
        f'</style></head><body><main><h1 class="redline-title">{html.escape(title)}</h1>'
        f"{to_html(redline, labels=text)}</main></body></html>"
    )
