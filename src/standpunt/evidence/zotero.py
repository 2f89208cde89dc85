"""Zotero's own CSL-JSON export, made citable: ``standpunt evidence import FILE``.

Zotero's "CSL JSON" export gives each item its address in the Zotero library as its id
(``http://zotero.org/users/123/items/ABCD1234``), which no one can cite as ``[@…]``. Import
writes the items as a new CSL-YAML file in evidence/ with readable keys (the item's own
``citation-key`` when Zotero or Better BibTeX gave it one, else as
:mod:`standpunt.workspace.citekeys` makes them) and keeps each item's address under
``custom: {zotero-uri: …}``: CSL has no variable for it, ``custom`` is CSL-JSON's place for
data of one's own, and citeproc prints none of it.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from standpunt.errors import ContentErrors, Diagnostic, Location, StandpuntError, UsageError
from standpunt.evidence.entries import clean_item, clean_text
from standpunt.evidence.writing import Written, write_new_file
from standpunt.workspace.citekeys import KeyMaker, ascii_lower, usable_key
from standpunt.workspace.load import YamlList, YamlMapping, load_json
from standpunt.workspace.paths import EVIDENCE_DIR, YAML_SUFFIXES
from standpunt.workspace.read import Workspace, evidence_folders

#: A Zotero item's address: in a user's synced library, a group library, or an unsynced one.
ZOTERO_URI = re.compile(
    r"https?://(?:www\.)?zotero\.org/(?:users|groups)/(?:local/)?\w+/items/\w+/?", re.IGNORECASE
)
#: Where an imported entry keeps its Zotero address, and any other id it could not keep.
ZOTERO_URI_FIELD = "zotero-uri"
ORIGINAL_ID_FIELD = "original-id"


def is_zotero_uri(value: object) -> bool:
    """Whether ``value`` is a Zotero item's address, as Zotero's CSL-JSON uses for ids."""
    return isinstance(value, str) and ZOTERO_URI.fullmatch(value.strip()) is not None


def import_command(path: str) -> str:
    """The command a user runs to import the file ``path`` (as they see it), quoted for a
    shell where it needs to be (in double quotes, which read well inside a message)."""
    quoted = shlex.quote(path)
    if quoted != path and not any(c in path for c in '"$`\\!'):
        quoted = f'"{path}"'
    return f"standpunt evidence import {quoted}"


@dataclass
class Imported:
    """What an import wrote, and what it noticed on the way (warnings)."""

    written: Written
    count: int
    problems: list[Diagnostic] = field(default_factory=list)
    #: The source, when it lies in an evidence folder (and so is still read as it was).
    leftover: str | None = None


def import_csl_json(workspace: Workspace, source: Path, target: Path | None) -> Imported:
    """Write the items of the CSL-JSON file ``source`` as a new CSL-YAML file in evidence/
    (``target``, default ``evidence/<source's name>.yaml``); nothing is written if an item
    cannot be read."""
    shown = _shown(workspace, source)
    items = load_json(source, shown)
    if not isinstance(items, YamlList) or not items:
        where = getattr(items, "loc", Location(shown, 1, 1))
        raise StandpuntError(
            f"{shown} is not a CSL-JSON export: it should hold a list of references, "
            '[{"id": …, "type": …, "title": …}, …]; in Zotero, choose File › Export '
            "Library… › CSL JSON",
            where,
            "not-csl-json",
        )
    target = target or workspace.root / EVIDENCE_DIR / f"{_file_name(source)}.yaml"
    display = _target(workspace, target)
    keys = KeyMaker(k for k, item in workspace.evidence.items() if item.location.path != shown)
    entries, problems = _entries(items, keys)
    if any(d.severity == "error" for d in problems):
        raise ContentErrors(problems)
    header = (
        f"Imported from {source.name} by 'standpunt evidence import', as CSL-YAML.\n"
        f"Each entry keeps its Zotero item address under custom: {ZOTERO_URI_FIELD}."
    )
    written = write_new_file(target, display, header, entries)
    inside = any(source.resolve().is_relative_to(f.resolve()) for f in evidence_folders(workspace))
    return Imported(written, len(entries), problems, shown if inside else None)


def _shown(workspace: Workspace, path: Path) -> str:
    try:
        return path.resolve().relative_to(workspace.root.resolve()).as_posix()
    except ValueError:
        return str(path)


def _file_name(source: Path) -> str:
    """A file name made from the source's: ``My Library.json`` → ``my-library``."""
    words = re.findall(r"[a-z0-9]+", ascii_lower(source.stem))
    return "-".join(words)[:64].strip("-") or "zotero"


def _target(workspace: Workspace, target: Path) -> str:
    """The target as the user sees it, after checking it is a new CSL-YAML file that the
    workspace reads (inside an evidence folder)."""
    display = _shown(workspace, target)
    if not target.name.lower().endswith(YAML_SUFFIXES):
        raise UsageError(f"'{display}' should be a .yaml file (CSL-YAML)", code="usage")
    folder = target.parent.resolve()
    if not any(folder.is_relative_to(f.resolve()) for f in evidence_folders(workspace)):
        raise UsageError(
            f"'{display}' is not in evidence/ (or a folder 'evidence:' lists in standpunt.yaml), "
            "so Standpunt would not read it; choose a file there",
            code="usage",
        )
    if target.exists() or target.is_symlink():
        raise StandpuntError(
            f"{display} exists already, and Standpunt does not overwrite it; choose another "
            "file with --to, or move that one away first",
            Location(display),
            "file-exists",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    return display


def _entries(items: YamlList, keys: KeyMaker) -> tuple[list[dict[str, Any]], list[Diagnostic]]:
    entries: list[dict[str, Any]] = []
    problems: list[Diagnostic] = []
    dropped: dict[str, Location] = {}
    for index, item in enumerate(items):
        where = items.item_locs[index]
        if not isinstance(item, YamlMapping):
            problems.append(
                Diagnostic(
                    "error",
                    'each item of a CSL-JSON file must be an object: {"id": …, "title": …}',
                    "not-csl-json",
                    where,
                )
            )
            continue
        cleaned = clean_item(item)
        for name in cleaned.dropped:
            dropped.setdefault(name, item.key_locs.get(name, where))
        entry, note = _keyed(item, cleaned.entry, keys)
        if note:
            problems.append(note)
        entries.append(entry)
    problems += [
        Diagnostic(
            "warning",
            f"'{name}' is not a CSL field Standpunt reads, or its value is not in CSL's shape; "
            "left out of the import",
            "field-left-out",
            where,
        )
        for name, where in dropped.items()
    ]
    return entries, problems


def _keyed(
    item: YamlMapping, entry: dict[str, Any], keys: KeyMaker
) -> tuple[dict[str, Any], Diagnostic | None]:
    """The entry with its key first and the id it came with kept: the item's own citation
    key if it has a usable one, else its id if that is one (and no address), else a new key."""
    written_id = item.get("id")
    original = clean_text(written_id) if isinstance(written_id, str) else ""
    own = entry.pop("citation-key", None)
    candidates = [("citation-key", own), ("id", original)]
    source, wanted = next(
        ((f, k) for f, k in candidates if isinstance(k, str) and usable_key(k)), ("", None)
    )
    key = keys.reserve(wanted) if wanted else keys.make(entry)
    note = None
    if wanted and key != wanted:
        names = [n for n in item if isinstance(n, str) and n.lower() == source]
        note = Diagnostic(
            "warning",
            f"the key '{wanted}' is taken already; this work is imported as '{key}'",
            "key-taken",
            item.value_loc(names[0]) if names else item.loc,
        )
    if original and original != key:
        kept = entry.get("custom")
        custom = dict(kept) if isinstance(kept, dict) else {}
        custom[ZOTERO_URI_FIELD if is_zotero_uri(original) else ORIGINAL_ID_FIELD] = original
        entry["custom"] = custom
    return {"id": key, **entry}, note
