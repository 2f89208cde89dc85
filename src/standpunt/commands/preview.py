"""``standpunt serve``: the live preview, set up on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from standpunt.commands.result import Result
from standpunt.errors import UsageError, did_you_mean
from standpunt.preview.serve import LOOPBACK, preview_server, watch
from standpunt.workspace.paths import has_position_file, position_ids


@dataclass
class Serving(Result):
    """A running preview: where to open it, and ``watch``, which rebuilds on every save until
    interrupted."""

    url: str
    watch: Callable[[], None]


@contextmanager
def serve(root: Path, positions: list[str] | None, port: int) -> Iterator[Serving]:
    """The preview of ``positions`` (default: all, each built when first opened), on
    127.0.0.1:``port`` (0: any free port); a port that cannot be used, or an unknown id, is a
    usage error."""
    _known(root, positions or [])
    with preview_server(root, positions, port) as (server, preview):
        first = f"/{positions[0]}" if positions else "/"
        yield Serving(
            url=f"http://{LOOPBACK}:{server.server_port}{first}",
            watch=partial(watch, root, preview),
        )


def _known(root: Path, ids: list[str]) -> None:
    """Refuse an id no position file has, before anything starts."""
    for pid in ids:
        if not has_position_file(root, pid):
            raise UsageError(
                f"no position '{pid}' in positions/{did_you_mean(pid, position_ids(root))}",
                code="unknown-position",
            )
