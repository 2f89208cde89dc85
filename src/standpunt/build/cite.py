"""Step 2 of a build: each position's citations resolved by pandoc, and kept for next time.

pandoc runs once per position, for all positions at once on a thread pool, so that it runs while
the render workers import WeasyPrint and while earlier positions are rendered. A result is kept in
build/.standpunt-cache/ under the hash of everything pandoc read (texts, evidence, style, language,
tools): while those stay the same, it is read back instead of made again.
"""

from __future__ import annotations

import json
from concurrent.futures import Executor, Future
from pathlib import Path

from standpunt.build.plan import PlannedPosition
from standpunt.buildstate.state import digest, file_digest, tool_versions
from standpunt.cite.citeproc import FORMAT as CITED_FORMAT
from standpunt.cite.citeproc import CitedText, Style, cite
from standpunt.workspace.files import write_atomic
from standpunt.workspace.texts import texts

#: Resolved citations, by the hash of what pandoc read (a folder in build/).
CACHE_DIR = ".standpunt-cache"


def start_citing(
    threads: Executor, positions: list[PlannedPosition], style: Style, cache: Path
) -> dict[str, Future[CitedText]]:
    """Each position's citations, being resolved on ``threads``, by position id."""
    return {
        planned.id: threads.submit(cite_position, planned, style, cache) for planned in positions
    }


def cite_position(planned: PlannedPosition, style: Style, cache: Path) -> CitedText:
    """The position's texts with citations resolved, reused while text and evidence are the same."""
    markdown = [(text.key, text.value) for text in texts(planned.position)]
    key = digest(
        {
            "format": CITED_FORMAT,
            "texts": markdown,
            "references": planned.evidence,
            "aliases": planned.aliases,
            "style": file_digest(style.path),
            "lang": planned.lang,
            "tools": tool_versions(),
        }
    )
    entry = cache / f"{key}.json"
    try:
        return CitedText.from_json(json.loads(entry.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    cited = cite(markdown, planned.evidence, style, planned.lang, planned.aliases)
    write_atomic(entry, json.dumps(cited.to_json()).encode("utf-8"))
    return cited
