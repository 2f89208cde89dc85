"""Step 2 of a build: each position's citations resolved by pandoc, and kept for next time.

One warm pandoc (:class:`standpunt.cite.warm.WarmCiter`) cites every position of the build, one
after the other, asked from a thread pool, so that it runs while the render workers import
WeasyPrint and while earlier positions are rendered. It reads the texts
in the order the page prints them, which the template decides
(:meth:`standpunt.build.pages.Pages.reading_order`): so numbering, first and subsequent forms,
"ibid." and note numbers follow the printed page. Should print and screen print the texts in
another order, pandoc runs once for each.

A result is kept in build/.standpunt-cache/ under the hash of everything pandoc read (texts,
reading order, evidence, style, language, tools, and the files that tell pandoc what to do): while
those stay the same, it is read back instead of made again — if it is no larger than
:data:`MAX_CACHED_BYTES`, of the shape written, and its HTML as safe as fresh output
(:func:`standpunt.cite.checked.safe_cited`); anything else in build/ may have been written by
someone else, so it is cited again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from concurrent.futures import Executor, Future
from functools import lru_cache
from pathlib import Path
from typing import Any

from standpunt.build.plan import OutputTask, PlannedPosition
from standpunt.buildstate.state import digest, file_digest, tool_versions
from standpunt.choices import MEDIA, Medium
from standpunt.cite import citeproc
from standpunt.cite.checked import safe_cited
from standpunt.cite.citeproc import FORMAT as CITED_FORMAT
from standpunt.cite.citeproc import CitedText, PieceSpec, Style, cite
from standpunt.cite.warm import WarmCiter
from standpunt.errors import StandpuntError
from standpunt.workspace.cache import signature, signed
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
    warm: WarmCiter | None = None,
) -> dict[str, Future[CitedText]]:
    """Each position's citations, being resolved on ``threads`` by the warm pandoc ``warm``,
    by position id.

    Only the media of the outputs being made decide the reading order."""
    return {
        planned.id: threads.submit(
            _cite_in_order, planned, [task.medium for task in outputs], order, style, cache, warm
        )
        for planned, outputs in to_make
    }


def _cite_in_order(
    planned: PlannedPosition,
    media: list[Medium],
    order: ReadingOrder,
    style: Style,
    cache: Path,
    warm: WarmCiter | None,
) -> CitedText:
    orders = {medium: order(planned, medium) for medium in dict.fromkeys(media)}
    return cite_position(planned, style, cache, orders, warm)


def cite_position(
    planned: PlannedPosition,
    style: Style,
    cache: Path,
    orders: dict[Medium, list[PieceSpec]],
    warm: WarmCiter | None = None,
) -> CitedText:
    """The position's texts with citations resolved, read in the reading order of each medium
    in ``orders`` (a medium not in it takes the first one's), by ``warm`` (else by a pandoc
    of their own)."""
    runs: dict[tuple[PieceSpec, ...], CitedText] = {}
    for pieces in orders.values():
        if tuple(pieces) not in runs:
            runs[tuple(pieces)] = _cite_cached(planned, style, cache, pieces, warm)
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
    planned: PlannedPosition,
    style: Style,
    cache: Path,
    pieces: list[PieceSpec],
    warm: WarmCiter | None,
) -> CitedText:
    """One pandoc run, reused while text, order and evidence are the same."""
    markdown = [(text.key, text.value) for text in texts(planned.position)]
    return cite_texts(
        markdown, planned.evidence, planned.aliases, style, planned.lang, cache, pieces, warm
    )


def cite_texts(
    markdown: list[tuple[str, str]],
    evidence: list[dict[str, Any]],
    aliases: dict[str, str],
    style: Style,
    lang: str,
    cache: Path,
    pieces: list[PieceSpec] | None = None,
    warm: WarmCiter | None = None,
) -> CitedText:
    """Texts ((key, Markdown) pairs) with their citations formatted as a position's page shows
    them, kept in ``cache`` by everything pandoc reads; ``pieces`` as in
    :func:`~standpunt.cite.citeproc.cite`, cited by ``warm`` if given. The build and the
    redline (each revision) both come here, so a redline shows citations exactly as the
    position's PDF does."""
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
            "filters": filters_digest(),
        }
    )
    entry = cache / f"{key}.json"
    try:  # a hint, not truth: signed by this user, bounded, well formed and safe, or made again
        data = read_bounded(entry, str(entry), MAX_CACHED_BYTES)
        mac, _, body = data.partition(b"\n")
        if signed(body, mac):
            kept = CitedText.from_json(json.loads(body))
            if safe_cited(kept):
                return kept
    except (OSError, ValueError, RecursionError, StandpuntError):
        pass
    cited = cite(markdown, evidence, style, lang, pieces, aliases, warm=warm)
    fresh = json.dumps(cited.to_json()).encode("utf-8")
    mark = signature(fresh)
    if mark is not None:  # without a key of this user's own, nothing is kept to be believed
        with contextlib.suppress(OSError):  # a full disk only costs a pandoc run next time
            write_atomic(entry, mark + b"\n" + fresh)
    return cited


#: What tells pandoc what to do besides its version: the Lua it runs, the Python that writes
#: its requests and prepares its style, and our terms. A change to any of them is a cache miss.
FILTER_FILES = (
    "read.lua", "shape.lua", "locators.lua", "warm.lua",
    "citeproc.py", "styles.py", "terms.py", "warm.py",
)  # fmt: skip


@lru_cache(maxsize=1)
def filters_digest() -> str:
    """The hash of :data:`FILTER_FILES`, once per process."""
    folder = Path(citeproc.__file__).parent
    hashed = hashlib.sha256()
    for name in FILTER_FILES:
        data = (folder / name).read_bytes()
        hashed.update(f"{name} {len(data)}\n".encode())
        hashed.update(data)
    return hashed.hexdigest()
