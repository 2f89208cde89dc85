"""Partners added to standpunt.yaml by ``import``, as text: the user's comments and layout stay.

standpunt.yaml is the user's file, full of comments; re-dumping it would lose them. New partners
are written as YAML text at the end of the ``partners:`` block (or in a new block at the end of
the file), and the result is read back with the workspace's own rules before it is written: if
it does not hold exactly the partners it held plus the new ones, nothing is changed and the
caller tells the user what to add by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from standpunt.errors import Location, StandpuntError
from standpunt.workspace.load import YamlMapping, parse_yaml, to_plain
from standpunt.workspace.paths import CONFIG_FILE
from standpunt.workspace.schema import Config, validate

__all__ = ["partner_yaml", "with_partners"]


def partner_yaml(partners: Mapping[str, dict[str, Any]], indent: int = 2) -> str:
    """The partners as block YAML, each key indented by ``indent`` spaces."""
    text = yaml.safe_dump(
        dict(partners),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1 << 30,
        indent=2,
    )
    pad = " " * indent
    return "".join(f"{pad}{line}\n" for line in text.splitlines())


def _block_end(lines: list[str], start: int) -> int:
    """The index after the last line of the block that starts below line ``start``: its
    indented lines, not the comments and blank lines before the next top-level key."""
    end = start + 1
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if not line.strip():
            continue
        if line[0] in " \t":
            end = index + 1
            continue
        if line.startswith("#"):
            continue
        break
    return end


def with_partners(text: str, raw: Any, partners: Mapping[str, dict[str, Any]]) -> str | None:
    """``text`` (standpunt.yaml as written, ``raw`` as read) with ``partners`` added; None when
    that cannot be done safely as text."""
    if not partners:
        return text
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    written = raw.get("partners") if isinstance(raw, YamlMapping) else None
    if not isinstance(raw, YamlMapping) or "partners" not in raw:
        updated = "".join(lines) + "\npartners:\n" + partner_yaml(partners)
    elif isinstance(written, YamlMapping) and written and written.key_locs:
        start = raw.key_locs["partners"].line - 1
        first = min(written.key_locs.values())
        if first.line - 1 <= start:  # a flow mapping on the key's own line
            return None
        end = _block_end([line.rstrip("\n") for line in lines], start)
        lines[end:end] = [partner_yaml(partners, first.col - 1)]
        updated = "".join(lines)
    else:
        return None
    return updated if _holds(updated, raw, partners) else None


def _holds(updated: str, raw: Any, partners: Mapping[str, dict[str, Any]]) -> bool:
    """Whether ``updated`` reads as the old settings with exactly ``partners`` added."""
    try:
        new_raw = parse_yaml(updated, CONFIG_FILE)
    except StandpuntError:
        return False
    config, problems = validate(Config, new_raw, Location(CONFIG_FILE, 1, 1))
    if config is None or problems:
        return False
    old = to_plain(raw)
    new = to_plain(new_raw)
    expected = {**(old.get("partners") or {}), **{k: dict(v) for k, v in partners.items()}}
    rest_same = {k: v for k, v in new.items() if k != "partners"} == {
        k: v for k, v in old.items() if k != "partners"
    }
    return rest_same and new.get("partners") == expected
