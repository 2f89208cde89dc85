"""Everything ``check`` verifies beyond the schema: citations, signatories, evidence use.

The schema (:mod:`standpunt.model`) judges each file alone; these checks judge files against each
other. Every citation is found in-process (:mod:`standpunt.markdown`) and located at the line and
column where it was written in the YAML file, so a wrong key points at itself.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from standpunt.cite.finder import CitationRef, find_citations
from standpunt.errors import Location, did_you_mean
from standpunt.workspace.load import Mapping, Scalar
from standpunt.workspace.load import Sequence as YamlSequence
from standpunt.workspace.paths import readable_file
from standpunt.workspace.read import PositionFile, Workspace

if TYPE_CHECKING:
    from standpunt.coalition.signatures import Signature


@dataclass(frozen=True)
class Citation:
    """A citation as written in a position: the key and where it stands in the file."""

    key: str
    location: Location


def markdown_fields(raw: Any) -> Iterator[tuple[str, Any]]:
    """Every Markdown field of a position's located YAML, with a readable name."""
    if not isinstance(raw, Mapping):
        return
    if isinstance(raw.get("summary"), str):
        yield "summary", raw["summary"]
    sections = raw.get("sections")
    if isinstance(sections, YamlSequence):
        for number, section in enumerate(sections, 1):
            if isinstance(section, Mapping):
                for name in ("body", "quote"):
                    if isinstance(section.get(name), str):
                        yield f"sections[{number}].{name}", section[name]
    recommendations = raw.get("recommendations")
    if isinstance(recommendations, YamlSequence):
        for number, item in enumerate(recommendations, 1):
            if isinstance(item, str):
                yield f"recommendations[{number}]", item


@lru_cache(maxsize=4096)
def _citations(text: str) -> tuple[CitationRef, ...]:
    # check, the fingerprint and the build each ask for the citations of the same texts
    return tuple(find_citations(text))


def citations_in(position: PositionFile) -> list[Citation]:
    """Every citation of a position, in the order written, each at its place in the file."""
    found: list[Citation] = []
    for _name, value in markdown_fields(position.raw):
        refs = _citations(str(value))
        if not refs:
            continue
        if isinstance(value, Scalar):
            found.extend(_locate(value, refs))
        else:
            found.extend(Citation(ref.key, position.location) for ref in refs)
    return found


def _locate(value: Scalar, refs: tuple[CitationRef, ...]) -> Iterator[Citation]:
    """Map citations back to the raw text of the scalar, whatever its YAML style.

    In a literal block (``|``) every line of the text is a line of the file, so the finder's
    own line and column are moved onto the file; other styles fold or escape their text, and
    there the ``@key`` is looked for in what was written, in order.
    """
    raw = value.raw
    starts = _line_starts(value.source)
    lines = str(value).split("\n") if value.style == "|" else []
    header = bisect.bisect_right(starts, value.start) - 1  # the line of the indicator
    cursor = 0
    for ref in refs:
        at = _literal_offset(value, starts, header, lines, ref)
        if at < 0:
            at = raw.find(f"@{ref.key}", cursor)
        if at < 0:
            at = raw.find(f"@{{{ref.key}}}", cursor)
        if at < 0:
            yield Citation(ref.key, value.loc)
            continue
        cursor = at + 1
        offset = value.start + at
        line = bisect.bisect_right(starts, offset) - 1
        yield Citation(ref.key, Location(value.loc.path, line + 1, offset - starts[line] + 1))


def _literal_offset(
    value: Scalar, starts: list[int], header: int, lines: list[str], ref: CitationRef
) -> int:
    """Where ``ref`` stands in ``value.raw`` when the block is literal, else -1."""
    number = header + ref.line  # the file's line (0-based) holding the text's line ref.line
    if not lines or ref.line > len(lines) or number >= len(starts):
        return -1
    end = starts[number + 1] - 1 if number + 1 < len(starts) else len(value.source)
    written = value.source[starts[number] : end].removesuffix("\r")
    if not written.endswith(lines[ref.line - 1]):
        return -1
    offset = starts[number] + len(written) - len(lines[ref.line - 1]) + ref.col - 1
    if not value.source.startswith(("@" + ref.key, "@{" + ref.key + "}"), offset):
        return -1
    return offset - value.start


@lru_cache(maxsize=64)
def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts.extend(i + 1 for i, char in enumerate(text) if char == "\n")
    return starts


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
