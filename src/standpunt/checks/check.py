"""Everything ``check`` verifies beyond the schema: citations, signatories, evidence use.

The schema (:mod:`standpunt.workspace.schema`) judges each file alone; these checks judge files
against each other. Every citation is found in process and located at the line and column where it
was written in the YAML file (:mod:`standpunt.cite.locate`), so a wrong key points at itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from standpunt.cite.locate import citations_in
from standpunt.errors import did_you_mean
from standpunt.workspace.load import Mapping
from standpunt.workspace.load import Sequence as YamlSequence
from standpunt.workspace.paths import readable_file
from standpunt.workspace.read import Workspace

if TYPE_CHECKING:
    from standpunt.coalition.signatures import Signature


@dataclass
class Checked:
    """What checking found out that building needs too."""

    #: The evidence keys each readable position cites, in order.
    cited: dict[str, list[str]]
    #: The valid signatures by position id (see :func:`signatures.read_signatures`).
    signed: dict[str, list[Signature]]


def check_workspace(workspace: Workspace, ids: list[str] | None = None) -> Checked:
    """Add every cross-file problem to ``workspace.problems``; return what a build needs of it.

    ``ids`` limits the position checks to those positions (evidence is always checked whole,
    and "cited by nobody" then only counts as a warning when every position was checked).
    """
    problems = workspace.problems
    partners = workspace.config.partners
    cited: dict[str, list[str]] = {}
    chosen = [workspace.positions[i] for i in ids] if ids else list(workspace.positions.values())
    for position in chosen:
        if position.raw is None:
            continue
        citations = citations_in(position)
        cited[position.id] = list(dict.fromkeys(c.key for c in citations))
        for citation in citations:
            if citation.key not in workspace.evidence:
                hint = did_you_mean(citation.key, workspace.evidence)
                problems.error(
                    f"unknown evidence '{citation.key}'{hint}; add it to a file in evidence/ "
                    "or correct the key",
                    citation.location,
                    "unknown-citation",
                )
        signatories = position.raw.get("signatories") if isinstance(position.raw, Mapping) else None
        if isinstance(signatories, YamlSequence):
            for index, key in enumerate(signatories):
                if isinstance(key, str) and key not in partners:
                    hint = did_you_mean(key, partners)
                    problems.error(
                        f"signatory '{key}' is not among the partners in standpunt.yaml{hint}",
                        signatories.item_locs[index],
                        "unknown-signatory",
                    )
    signed = _check_signatures(workspace, [p.id for p in chosen])
    _check_images(workspace)
    if not ids:
        used = {key for keys in cited.values() for key in keys}
        for item in workspace.evidence.values():
            if item.id not in used:
                problems.warning(
                    f"evidence '{item.id}' is not cited by any position",
                    item.location,
                    "uncited-evidence",
                )
    return Checked(cited, signed)


def _check_signatures(workspace: Workspace, ids: list[str]) -> dict[str, list[Signature]]:
    """Signature files that cannot be read, and signatures of an older text (warnings);
    returns the valid signatures."""
    if not (workspace.root / "signatures").exists():
        return {}
    from standpunt.coalition.fingerprint import workspace_fingerprints
    from standpunt.coalition.signatures import check_signatures, read_signatures

    signed, diagnostics = read_signatures(workspace)
    workspace.problems.extend(diagnostics)
    readable = [i for i in ids if workspace.positions[i].raw is not None]
    workspace.problems.extend(
        check_signatures(workspace, signed, workspace_fingerprints(workspace, readable))
    )
    return signed


def _check_images(workspace: Workspace) -> None:
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
            workspace.problems.error(f"image '{value}' was not found", where, "missing-image")
        elif not readable_file(file, [workspace.root]):
            workspace.problems.error(
                f"image '{value}' is a link to a file outside the workspace (or not a regular "
                "file); copy the image into the workspace instead",
                where,
                "outside-workspace",
            )
