"""Everything ``check`` verifies beyond the schema: citations, signatories, evidence use.

The schema (:mod:`standpunt.workspace.schema`) judges each file alone; these checks judge files
against each other. Every citation is found in process and located at the line and column where it
was written in the YAML file (:mod:`standpunt.cite.locate`), so a wrong key points at itself.

Checking only reads: what it finds comes back in a :class:`CheckReport`, and the workspace is left
as it was read, so checking twice, or checking one position before signing it, changes nothing.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import threading
from dataclasses import dataclass, field
from functools import partial

from standpunt.checks.keys import EvidenceKeys
from standpunt.checks.placeholders import placeholders
from standpunt.cite.citeproc import resolve_style
from standpunt.cite.locate import citations_in
from standpunt.cite.styles import ask_pandoc_early, check_style
from standpunt.coalition.fingerprint import workspace_fingerprints
from standpunt.coalition.signatures import (
    Signature,
    check_partner_keys,
    check_signatures,
    read_signatures,
)
from standpunt.errors import (
    Diagnostic,
    Location,
    Problems,
    StandpuntError,
    Suggestions,
    did_you_mean,
)
from standpunt.evidence.zotero import is_zotero_uri
from standpunt.workspace.load import Scalar, YamlList, YamlMapping
from standpunt.workspace.paths import SIGNATURES_DIR, readable_file
from standpunt.workspace.read import PositionFile, Workspace
from standpunt.workspace.templates import template_set
from standpunt.workspace.texts import texts


@dataclass(frozen=True)
class CheckReport:
    """What checking found, and what a build needs of it."""

    #: The problems found by judging files against each other (this module's own findings).
    found: list[Diagnostic]
    #: Every problem to report: those found reading the files (``workspace.problems``), then
    #: ``found``. Sorted by place when printed (:meth:`Problems.sorted`).
    problems: Problems
    #: The evidence keys each readable position cites, in order.
    cited: dict[str, list[str]]
    #: The valid signatures by position id (see :func:`signatures.read_signatures`).
    signed: dict[str, list[Signature]]
    #: Per position, each key written for another (``doi:10.…``) → the evidence id it names.
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Per readable position, the key of every citation as written, in order.
    written: dict[str, list[str]] = field(default_factory=dict)


def check_workspace(workspace: Workspace, ids: list[str] | None = None) -> CheckReport:
    """Check the workspace across files; the workspace itself is not changed.

    ``ids`` limits the position checks to those positions (evidence is always checked whole,
    and "cited by nobody" then only counts as a warning when every position was checked).
    """
    found = Problems()
    cited: dict[str, list[str]] = {}
    aliases: dict[str, dict[str, str]] = {}
    written: dict[str, list[str]] = {}
    keys = EvidenceKeys(workspace)
    partners = Suggestions("signatory")
    chosen = [workspace.positions[i] for i in ids] if ids else list(workspace.positions.values())
    for position in chosen:
        if position.raw is None:
            continue
        written[position.id] = []
        cited[position.id], aliases[position.id] = _check_citations(
            keys, position, found, written[position.id]
        )
        found.extend(placeholders(position.raw))
        _check_deadline(position, found)
        _check_signatories(workspace, position, found, partners)
        _check_text_images(workspace, position, found)
    if (note := partners.note()) is not None:
        found.add(note)
    signed = _check_signatures(workspace, [p.id for p in chosen], found)
    _check_images(workspace, found)
    _check_style_and_template(workspace, found)
    found.extend(keys.problems())
    # A position that did not parse cites what nobody can know: "not cited" would be a false
    # alarm for every work it cites, so it waits until that file reads.
    unreadable = any(position.raw is None for position in workspace.positions.values())
    if not ids and not unreadable:
        used = {key for keys in cited.values() for key in keys}
        for item in workspace.evidence.values():
            # Zotero's item addresses are reported once per file, with what to do
            if item.id not in used and not is_zotero_uri(item.id):
                found.warning(
                    f"evidence '{item.id}' is not cited by any position",
                    item.location,
                    "uncited-evidence",
                )
    problems = Problems([*workspace.problems.items, *found.items])
    return CheckReport(found.items, problems, cited, signed, aliases, written)


def _check_citations(
    keys: EvidenceKeys, position: PositionFile, found: Problems, written: list[str]
) -> tuple[list[str], dict[str, str]]:
    """Citations of evidence that does not exist; returns the keys cited, in order, as
    evidence ids (a work cited by its id and by its DOI once), and the keys written for ids.
    Every key as written goes into ``written``, in order."""
    cited: list[str] = []
    aliases: dict[str, str] = {}
    for citation in citations_in(position):
        written.append(citation.key)
        key = keys.resolve(citation.key)
        if key is None:
            found.add(keys.unknown(citation))
        elif key != citation.key:
            aliases[citation.key] = key
        cited.append(key or citation.key)
    return list(dict.fromkeys(cited)), aliases


def _check_deadline(position: PositionFile, found: Problems) -> None:
    """A position in consultation whose response deadline has passed: a reader would take it
    for a stale document (the check's kept answer is kept for one day, so it notices); else one
    whose deadline comes before its own date (a new deadline mends both, so one is said)."""
    model = position.model
    consultation = model.consultation if model is not None else None
    if model is None or model.status != "consultation" or consultation is None:
        return
    deadline = consultation.deadline
    if deadline is None:
        return
    raw = position.raw.get("consultation") if isinstance(position.raw, YamlMapping) else None
    where = (
        raw.value_loc("deadline")
        if isinstance(raw, YamlMapping) and "deadline" in raw
        else (position.location)
    )
    if deadline >= dt.date.today():
        if model.date is not None and deadline < model.date:
            found.warning(
                f"the consultation's deadline ({deadline.isoformat()}) comes before the "
                f"position's date ({model.date.isoformat()}): readers would be asked to respond "
                "before the text they read was dated; set a later deadline, or correct 'date:'",
                where,
                "deadline-before-date",
            )
        return
    found.warning(
        f"the consultation's deadline ({deadline.isoformat()}) has passed, but the PDF still "
        "asks readers to respond by then: set a new deadline, or change 'status:' to adopted "
        "or withdrawn",
        where,
        "deadline-passed",
    )


def _check_signatories(
    workspace: Workspace, position: PositionFile, found: Problems, suggestions: Suggestions
) -> None:
    """Signatories that are not among the partners of standpunt.yaml."""
    partners = workspace.config.partners
    signatories = position.raw.get("signatories") if isinstance(position.raw, YamlMapping) else None
    if not isinstance(signatories, YamlList):
        return
    for index, key in enumerate(signatories):
        if isinstance(key, str) and key not in partners:
            hint = suggestions.hint(key, partial(did_you_mean, key, partners), len(partners))
            found.error(
                f"signatory '{key}' is not among the partners in standpunt.yaml{hint}",
                signatories.item_locs[index],
                "unknown-signatory",
            )


def _check_signatures(
    workspace: Workspace, ids: list[str], found: Problems
) -> dict[str, list[Signature]]:
    """Partner keys that cannot be read, signature files that cannot be read, invalid
    signatures, and signatures of an older text (warnings); returns the readable signatures."""
    found.extend(check_partner_keys(workspace))
    if not (workspace.root / SIGNATURES_DIR).exists():
        return {}
    signed, diagnostics = read_signatures(workspace)
    found.extend(diagnostics)
    readable = [i for i in ids if workspace.positions[i].raw is not None]
    found.extend(check_signatures(workspace, signed, workspace_fingerprints(workspace, readable)))
    return signed


def _check_images(workspace: Workspace, found: Problems) -> None:
    """Logos of the organisation and the partners: inside the workspace, and there."""
    config = workspace.config
    images = [(["organisation", "logo"], config.organisation.logo)]
    images += [(["partners", key, "logo"], p.logo) for key, p in config.partners.items()]
    for path, value in images:
        if not value:
            continue
        where = workspace.setting_location(*path)
        file = workspace.root / value
        if not (file.exists() or file.is_symlink()):
            found.error(f"image '{value}' was not found", where, "missing-image")
        elif not readable_file(file, [workspace.root]):
            found.error(
                f"image '{value}' is a link to a file outside the workspace (or not a regular "
                "file); copy the image into the workspace instead",
                where,
                "outside-workspace",
            )


#: An image in Markdown, ``![description](source``, as written in the file; bounded, so that
#: a text full of ``![`` that never close is read in linear time.
_IMAGE = re.compile(r"!\[(?:[^\]\\\n]|\\.){0,300}\]\(\s{0,20}<?([^\s()<>]{1,2000})")


def _image_refused(source: str) -> str | None:
    """Why the page does not show the image ``source`` (as ``cite/shape.lua`` decides), or None."""
    value = source.strip().lower()
    if value.startswith("data:image/"):
        return None
    if ":" in value or value.startswith(("//", "\\\\", "/\\", "\\/")):
        return (
            "it is not a file of the workspace, and a page never fetches an image from "
            "elsewhere; save it in the workspace (e.g. assets/) and refer to it from there"
        )
    path = re.split(r"[?#]", value, maxsplit=1)[0].replace("%2e", ".")
    if value.startswith(("/", "\\")) or ".." in re.split(r"[/\\]|%2f|%5c", path):
        return (
            "its path leads out of the workspace; put the image in the workspace (e.g. "
            "assets/) and refer to it from there"
        )
    return None


def _check_text_images(workspace: Workspace, position: PositionFile, found: Problems) -> None:
    """Images in a position's texts that its pages will not show, each at its place: the page
    shows the image's description instead."""
    for text in texts(position.raw):
        value = text.value
        if not isinstance(value, Scalar) or "![" not in value:
            continue
        starts = [0, *(i + 1 for i, char in enumerate(value.source) if char == "\n")]
        for match in _IMAGE.finditer(value.raw):
            source = match.group(1)
            offset = value.start + match.start()
            line = bisect.bisect_right(starts, offset) - 1
            where = Location(value.loc.path, line + 1, offset - starts[line] + 1)
            why = _image_refused(source)
            file = workspace.root / source.split("#")[0].split("?")[0]
            if why is None and not source.lower().startswith("data:"):
                if not (file.exists() or file.is_symlink()):
                    found.warning(f"image '{source}' was not found", where, "missing-image")
                    continue
                if not readable_file(file, [workspace.root]):
                    why = (
                        "it is a link to a file outside the workspace (or not a regular file); "
                        "copy the image into the workspace instead"
                    )
            if why is not None:
                found.warning(f"image '{source}' is not shown: {why}", where, "refused-image")


def ask_about_style(workspace: Workspace, asked: list[threading.Thread]) -> None:
    """Start pandoc's reading of the citation style standpunt.yaml names (the slowest step of
    :func:`check_workspace` on its own, a process) while the positions and evidence are read;
    the thread goes into ``asked``, to be joined. A style that cannot be found is left for
    :func:`check_workspace` to report."""
    try:
        style = resolve_style(workspace.config.style, workspace.root)
    except StandpuntError:
        return
    asked.append(ask_pandoc_early(style.path))


def _check_style_and_template(workspace: Workspace, found: Problems) -> None:
    """The citation style and the template standpunt.yaml names: found, inside the workspace,
    and (the style) read by pandoc; so that what the build cannot use is reported by ``check``
    too."""
    config = workspace.config
    try:
        style = resolve_style(config.style, workspace.root, workspace.setting_location("style"))
        check_style(style.path, style.name, style.where)
    except StandpuntError as exc:
        found.add(exc.diagnostic())
    try:
        template_set(workspace)
    except StandpuntError as exc:
        found.add(exc.diagnostic())
