"""Step 2 of a build: each position's citations resolved by pandoc, and kept for next time.

pandoc runs once per position, for all positions at once on a thread pool, so that it runs while
the render workers import WeasyPrint and while earlier positions are rendered. It reads the texts
in the order the page prints them, which the template decides
(:meth:`standpunt.build.pages.Pages.reading_order`): so numbering, first and subsequent forms,
"ibid." and note numbers follow the printed page. Should print and screen print the texts in
another order, pandoc runs once for each.

A result is kept in build/.standpunt-cache/ under the hash of everything pandoc read (texts,
reading order, evidence, style, language, tools): while those stay the same, it is read back
instead of made again — if it is no larger than :data:`MAX_CACHED_BYTES`, of the shape written,
and its HTML as safe as fresh output (:func:`standpunt.cite.checked.safe_cited`); anything else
in build/ may have been written by someone else, so it is cited again.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

from standpunt.build.plan import OutputTask, PlannedPosition
from standpunt.buildstate.state import digest, file_digest, tool_versions
from standpunt.choices import MEDIA, Medium
from standpunt.cite import citeproc
from standpunt.cite.checked import safe_cited
from standpunt.cite.citeproc import FORMAT as CITED_FORMAT
from standpunt.cite.citeproc import CitedText, PieceSpec, Style, cite
from standpunt.errors import StandpuntError
from standpunt.workspace.files import write_atomic
from standpunt.workspace.paths import read_bounded
from standpunt.workspace.texts import texts

#: The largest cached result read back; a larger file is not read, and pandoc runs again.
MAX_CACHED_BYTES = 64 * 2**20

#: The reading order of a position's page in a medium.
ReadingOrder = Callable[[PlannedPosition, Medium], list[PieceSpec]]


def start_citing(
    threads: Executor,
    to_make: list[tuple[PlannedPosition, list[OutputTask]]],
    style: Style,
    cache: Path,
    order: ReadingOrder,
) -> dict[str, Future[CitedText]]:
    """Each position's citations, being resolved on ``threads``, by position id.

    Only the media of the outputs being made decide the reading order."""
    return {
        planned.id: threads.submit(
            _cite_in_order, planned, [task.medium for task in outputs], order, style, cache
        )
        for planned, outputs in to_make
    }


def _cite_in_order(
    planned: PlannedPosition,
    media: list[Medium],
    order: ReadingOrder,
    style: Style,
    cache: Path,
) -> CitedText:
    orders = {medium: order(planned, medium) for medium in dict.fromkeys(media)}
    return cite_position(planned, style, cache, orders)


def cite_position(
    planned: PlannedPosition,
    style: Style,
    cache: Path,
    orders: dict[Medium, list[PieceSpec]],
) -> CitedText:
    """The position's texts with citations resolved, read in the reading order of each medium
    in ``orders`` (a medium not in it takes the first one's)."""
    runs: dict[tuple[PieceSpec, ...], CitedText] = {}
    for pieces in orders.values():
        if tuple(pieces) not in runs:
            runs[tuple(pieces)] = _cite_cached(planned, style, cache, pieces)
    first = next(iter(runs.values()))
    if len(runs) == 1:
        return first
    media: dict[str, citeproc.Medium] = {
        medium: runs[tuple(orders[medium])].media[medium]
        if medium in orders
        else first.media[medium]
        for medium in MEDIA
    }
    return CitedText(media, first.bibliography, first.cited_keys, first.left_out)


def _cite_cached(
    planned: PlannedPosition, style: Style, cache: Path, pieces: list[PieceSpec]
) -> CitedText:
    """One pandoc run, reused while text, order and evidence are the same."""
    markdown = [(text.key, text.value) for text in texts(planned.position)]
    return cite_texts(
        markdown, planned.evidence, planned.aliases, style, planned.lang, cache, pieces
    )


def cite_texts(
    markdown: list[tuple[str, str]],
    evidence: list[dict[str, Any]],
    aliases: dict[str, str],
    style: Style,
    lang: str,
    cache: Path,
    pieces: list[PieceSpec] | None = None,
) -> CitedText:
    """Texts ((key, Markdown) pairs) with their citations formatted as a position's page shows
    them, kept in ``cache`` by everything pandoc reads; ``pieces`` as in
    :func:`~standpunt.cite.citeproc.cite`. The build and the redline (each revision) both come
    here, so a redline shows citations exactly as the position's PDF does."""
    key = digest(
        {
            "format": CITED_FORMAT,
            "texts": markdown,
            "pieces": pieces,
            "references": evidence,
            "aliases": aliases,
            "style": file_digest(style.path),
            "lang": lang,
            "tools": tool_versions(),
        }
    )
    entry = cache / f"{key}.json"
    try:  # a hint, not truth: bounded, well formed and as safe as fresh output, or made again
        kept = CitedText.from_json(json.loads(read_bounded(entry, str(entry), MAX_CACHED_BYTES)))
        if safe_cited(kept):
            return kept
    except (OSError, ValueError, RecursionError, StandpuntError):
        pass
    cited = cite(markdown, evidence, style, lang, pieces, aliases)
    with contextlib.suppress(OSError):  # a full disk only costs a pandoc run next time
        write_atomic(entry, json.dumps(cited.to_json()).encode("utf-8"))
    return cited
