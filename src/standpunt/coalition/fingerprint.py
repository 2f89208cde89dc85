"""A position's fingerprint: a hash of the words a coalition partner approves when signing.

A signature records the fingerprint of the text signed, so a later change to that text shows
(:mod:`standpunt.coalition.signatures`). The fingerprint covers what the reader of the PDF reads
as the position and nothing else:

* **covered**: the position's texts, as :mod:`standpunt.workspace.texts` declares them:
  ``title``, ``subtitle``, ``summary``, every section's ``title``, ``body`` and ``quote`` (in
  order), the ``recommendations`` (in order: the order of the asks is a priority); and the CSL
  data of every evidence item the position cites, with every public field a CSL style may print
  (``abstract`` and ``annote`` included).
* **not covered**, so that changing them keeps signatures valid: ``status`` (adopting a signed
  draft is the point of signing it), ``date`` and ``version`` (labels of the text, not the
  text), ``authors`` (the byline, not the position), ``signatories`` (inviting one more partner
  must not void the others' signatures; who appears as co-signer is decided by the signatures
  themselves), ``tags`` (catalogue keywords), ``lang`` and the workspace's citation style
  and template (they change labels, date formats and citation punctuation, not the words),
  ``origin`` (where an imported position came from), and the internal fields of evidence
  (:data:`INTERNAL_EVIDENCE_FIELDS`: ``quote``, the passage an advocate keeps for themselves,
  and ``note``, the organisation's own remark). They stay inside the organisation: a PDF does
  not carry them (unless ``attach: {notes: true}``), and whoever checks a PDF's fingerprint
  (``verify``, ``import``, a partner's reply) must be able to do so from what the PDF carries.

Evidence is hashed in its CSL-JSON form, so ``Smith, Jane`` and ``{family: Smith, given: Jane}``,
``issued: 2021-05`` and ``{date-parts: [[2021, 5]]}``, or moving an item from a CSL-YAML to a
CSL-JSON file, give the same fingerprint; the order of the evidence does not matter.

Text is normalised so that rewriting the YAML without changing a word keeps the fingerprint:
Unicode NFC, line breaks as ``\\n``, trailing spaces and tabs removed from every line, runs of
spaces and tabs inside a line made one space (leading indentation is kept: in Markdown it makes
code blocks and nested lists), runs of blank lines made one, and blank space at both ends
removed. Together with YAML itself (which forgets indentation, key order, comments and quoting)
that makes ``|``, ``|-``, ``>`` and quoted styles equal whenever they give the same lines.
Re-wrapping a paragraph over other lines does change the fingerprint: in Markdown a line break
can start a list item, a heading or a table row, and the fingerprint must not depend on a
Markdown parser's version.

The hashed bytes are canonical JSON of ``{"fingerprint": 2, "position": …, "evidence": …}``;
the version number changes whenever what is covered or how it is normalised changes (version 2
left out the evidence's ``note``).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from typing import Any

from standpunt.cite.locate import KeptCitations, citations_in
from standpunt.errors import StandpuntError
from standpunt.workspace.csl import EVIDENCE_EXTRA_FIELDS
from standpunt.workspace.dois import DoiIndex, doi_index, doi_key
from standpunt.workspace.load import to_plain
from standpunt.workspace.read import Workspace, select
from standpunt.workspace.texts import ASKS, POSITION_FIELDS, SECTION_FIELDS, SECTIONS

__all__ = [
    "FORMAT_VERSION",
    "INTERNAL_EVIDENCE_FIELDS",
    "PREFIX",
    "canonical_content",
    "carried_fingerprint",
    "cited_keys",
    "fingerprint",
    "normalise_text",
    "position_fingerprint",
    "short",
    "workspace_fingerprints",
]

#: Bumped whenever the covered fields or the normalisation change: a text added to
#: :mod:`standpunt.workspace.texts` is covered at once, and changes every fingerprint.
FORMAT_VERSION = 2
#: Evidence fields that stay inside the organisation: neither signed nor (by default) embedded.
INTERNAL_EVIDENCE_FIELDS = EVIDENCE_EXTRA_FIELDS | {"note"}
PREFIX = "sha256:"
#: Hex digits shown in the short form, as git shows abbreviated commits.
SHORT_DIGITS = 16

_LINE_BREAKS = re.compile("\r\n?")
_INNER_SPACE = re.compile(r"(?<=\S)[ \t]{2,}|(?<=\S)\t")
_BLANK_RUNS = re.compile(r"\n{3,}")


def normalise_text(text: str) -> str:
    """The text with differences that no reader sees removed (see the module docstring)."""
    text = unicodedata.normalize("NFC", text)
    text = _LINE_BREAKS.sub("\n", text)
    # Line by line: a pattern such as ``[ \t]+$`` retries every space of a long run (quadratic).
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    text = _INNER_SPACE.sub(" ", text)
    text = _BLANK_RUNS.sub("\n\n", text)
    return text.strip()


def _normalise(value: Any) -> Any:
    """Plain data with every text normalised; empty texts and absent values become None."""
    if isinstance(value, str):
        return normalise_text(value) or None
    if isinstance(value, dict):
        pairs = ((normalise_text(str(k)), _normalise(v)) for k, v in value.items())
        return {k: v for k, v in pairs if v is not None}
    if isinstance(value, list | tuple):
        return [_normalise(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    # Numbers appear in CSL date-parts; anything else is kept as its text.
    return value if isinstance(value, int | float) else normalise_text(str(value))


def _position_content(position_raw: Any) -> dict[str, Any]:
    raw = to_plain(position_raw)
    if not isinstance(raw, dict):
        # A broken file still gets a fingerprint (of what it holds), but can never be signed.
        return {"unreadable": _normalise(raw)}
    # The texts a signer approves are the position's texts as workspace/texts.py declares them;
    # whatever shape they were written in is hashed, so a broken text still counts.
    content: dict[str, Any] = {}
    for name, _markdown in POSITION_FIELDS:
        value = _normalise(raw.get(name))
        if value is not None:
            content[name] = value
    sections = raw.get(SECTIONS)
    if isinstance(sections, list):
        content[SECTIONS] = [
            {k: v for k, _markdown in SECTION_FIELDS if (v := _normalise(s.get(k))) is not None}
            if isinstance(s, dict)
            else _normalise(s)
            for s in sections
        ]
    elif sections is not None:
        content[SECTIONS] = _normalise(sections)
    asks = raw.get(ASKS)
    if asks:  # `recommendations: []` and no recommendations read the same
        content[ASKS] = _normalise(asks)
    return content


def canonical_content(position_raw: Any, evidence: Mapping[str, dict[str, Any]]) -> bytes:
    """The exact bytes that are hashed: canonical JSON of the covered, normalised content."""
    items = {
        str(key): _normalise(
            {
                k: v
                for k, v in to_plain(item).items()
                if str(k).lower() not in INTERNAL_EVIDENCE_FIELDS
            }
        )
        for key, item in evidence.items()
    }
    document = {
        "fingerprint": FORMAT_VERSION,
        "position": _position_content(position_raw),
        "evidence": items,
    }
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    # Unpaired surrogates cannot come from our loader; never fail on them anyway.
    return text.encode("utf-8", "surrogatepass")


def fingerprint(position_raw: Any, evidence: Mapping[str, dict[str, Any]]) -> str:
    """``sha256:<64 hex>`` of a position (located or plain YAML) and the evidence it cites.

    ``evidence`` maps each cited key to its CSL-JSON item (:attr:`EvidenceItem.csl`).
    """
    return PREFIX + hashlib.sha256(canonical_content(position_raw, evidence)).hexdigest()


def carried_fingerprint(position_raw: Any, evidence: list[dict[str, Any]]) -> str:
    """The fingerprint of a position as a PDF carries it: its file, and the evidence it cites
    as CSL-JSON items (exactly those the build cited, so each is keyed by its id)."""
    return fingerprint(position_raw, {str(item.get("id")): item for item in evidence})


def short(fp: str) -> str:
    """The short form shown to people, ``sha256:`` and 16 hex digits, like a short commit."""
    digest = fp.removeprefix(PREFIX)
    return PREFIX + digest[:SHORT_DIGITS]


def position_fingerprint(
    workspace: Workspace, position_id: str, kept: KeptCitations | None = None
) -> str:
    """The current fingerprint of one position of ``workspace``, with the evidence it cites.

    Cited keys that no evidence defines are left out (``check`` reports them as errors); an
    evidence item with errors counts with the fields it was written with. ``kept`` gives the
    keys a position cites when ``check`` kept them for its text.
    """
    select(workspace, [position_id])  # an unknown id is a usage error naming the known ones
    position = workspace.positions[position_id]
    if position.raw is None:
        raise StandpuntError(
            f"position '{position_id}' cannot be read; run 'standpunt check' and fix its errors",
            position.location,
            "unreadable-position",
        )
    evidence: dict[str, dict[str, Any]] = {}
    dois: DoiIndex | None = None
    cited = kept.keys(position) if kept is not None else [c.key for c in citations_in(position)]
    for written in cited:
        key, doi = written, doi_key(written)
        if key not in workspace.evidence and doi is not None:  # [@doi:…] signs its entry
            dois = dois or doi_index(workspace.evidence)
            key = dois.key_of(doi) or key
        item = workspace.evidence.get(key)
        if item is not None and key not in evidence:
            evidence[key] = item.csl or to_plain(item.raw)
    return fingerprint(position.raw, evidence)


def cited_keys(
    kept: KeptCitations, only: Collection[str] | None = None
) -> Callable[[Workspace], set[str] | None]:
    """The keys the positions read cite (of them, those with an id in ``only``): all the
    evidence :func:`position_fingerprint` needs of them (for
    :func:`~standpunt.workspace.read.open_positions`). None, every evidence file, when one is
    cited by its DOI: any entry may hold that DOI."""

    def cited(workspace: Workspace) -> set[str] | None:
        keys: set[str] = set()
        for pid, position in workspace.positions.items():
            if position.raw is None or (only is not None and pid not in only):
                continue
            for key in kept.keys(position):
                if doi_key(key) is not None:
                    return None
                keys.add(key)
        return keys

    return cited


def workspace_fingerprints(workspace: Workspace, ids: list[str] | None = None) -> dict[str, str]:
    """The fingerprint of every readable position (or of those in ``ids``), by position id."""
    chosen = ids if ids is not None else list(workspace.positions)
    return {
        pid: position_fingerprint(workspace, pid)
        for pid in chosen
        if pid in workspace.positions and workspace.positions[pid].raw is not None
    }
