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
from standpunt.evidence.writing import Written, as_read, update_entries, write_new_file
from standpunt.workspace.citekeys import KeyMaker, ascii_lower, usable_key
from standpunt.workspace.load import YamlList, YamlMapping, load_json, load_yaml, to_plain
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
    #: With an update: the works added, and those written anew with the fields that changed.
    added: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    #: With an update: the works in the file that the export no longer holds (kept).
    kept: list[str] = field(default_factory=list)
    updated: bool = False


def import_csl_json(
    workspace: Workspace, source: Path, target: Path | None, update: bool = False
) -> Imported:
    """Write the items of the CSL-JSON file ``source`` as a new CSL-YAML file in evidence/
    (``target``, default ``evidence/<source's name>.yaml``); nothing is written if an item
    cannot be read. With ``update``, a target that exists is brought up to date instead
    (:func:`_update`)."""
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
    default = workspace.root / EVIDENCE_DIR / f"{_file_name(source)}.yaml"
    if update and target is None:  # the file an earlier export of this library went into
        found = [] if default.exists() else _imported_into(workspace, items)
        if len(found) > 1:
            raise UsageError(
                f"works of {source.name} are in {', '.join(found)}; name the file to update "
                "with --to",
                code="usage",
            )
        target = workspace.root / found[0] if found else None
    target = target or default
    if update and (target.exists() or target.is_symlink()):
        return _update(workspace, source, shown, items, target)
    display = _target(workspace, target)
    keys = KeyMaker(k for k, item in workspace.evidence.items() if item.location.path != shown)
    keyed, problems = _entries(items, keys)
    if any(d.severity == "error" for d in problems):
        raise ContentErrors(problems)
    entries = [entry for entry, _ in keyed]
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
    _in_evidence(workspace, target, display)
    if target.exists() or target.is_symlink():
        raise StandpuntError(
            f"{display} exists already, and Standpunt does not overwrite it; to bring it up to "
            "date from a new export, keeping its keys, add --update; else choose another file "
            "with --to",
            Location(display),
            "file-exists",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    return display


def _in_evidence(workspace: Workspace, target: Path, display: str) -> None:
    """Refuse a target outside the evidence folders: Standpunt would not read it, and import
    writes nothing else."""
    folder = target.parent.resolve()
    if not any(folder.is_relative_to(f.resolve()) for f in evidence_folders(workspace)):
        raise UsageError(
            f"'{display}' is not in evidence/ (or a folder 'evidence:' lists in standpunt.yaml), "
            "so Standpunt would not read it; choose a file there",
            code="usage",
        )


def _update(
    workspace: Workspace, source: Path, shown: str, items: YamlList, target: Path
) -> Imported:
    """Bring the CSL-YAML file ``target``, which an import wrote, up to date with a new export:
    a work already in it (by its Zotero address, or its key) keeps its key, and of its fields
    only those the export changed or adds are written anew; the fields and comments of one's
    own stay. A new work is added with a new key; a work an import brought that the export no
    longer holds is kept (a position may cite it), and said. Every other line stays as it is."""
    display = _shown(workspace, target)
    if target.is_symlink():
        raise UsageError(
            f"'{display}' is a link; Standpunt updates only real files in evidence/", code="usage"
        )
    if not target.name.lower().endswith(YAML_SUFFIXES):
        raise UsageError(f"'{display}' should be a CSL-YAML file (.yaml) to update", code="usage")
    _in_evidence(workspace, target, display)
    old = load_yaml(target, display, [workspace.root])
    listed = old.get("references") if isinstance(old, YamlMapping) else old
    if not isinstance(listed, YamlList):
        raise StandpuntError(
            f"{display} does not hold a list of references, so it cannot be updated; import "
            "into another file with --to",
            Location(display, 1, 1),
            "cannot-update",
        )
    imported = [n for n, entry in enumerate(listed) if _kept_ids(entry)]
    header = "by 'standpunt evidence import'" in _text_start(target)
    if not imported and not header:
        raise StandpuntError(
            f"{display} was not written by 'standpunt evidence import' (no work in it keeps a "
            f"'custom: {ZOTERO_URI_FIELD}'), so it is not updated; name the file the export "
            "was imported into with --to",
            Location(display, 1, 1),
            "cannot-update",
        )
    place: dict[str, int] = {}  # a work's Zotero address, or other id, or key → its place
    for index, entry in enumerate(listed):
        for origin in _origins(entry):
            place.setdefault(origin, index)
    keys = KeyMaker(k for k, item in workspace.evidence.items() if item.location.path != shown)
    fresh, problems = _entries(items, keys, place, listed)
    if any(d.severity == "error" for d in problems):
        raise ContentErrors(problems)
    result = Imported(Written(display, []), len(fresh), problems, updated=True)
    changed: dict[int, dict[str, Any]] = {}
    added: list[dict[str, Any]] = []
    seen: set[int] = set()
    for entry, there in fresh:
        if there is None:
            added.append(entry)
            result.added.append(entry["id"])
            continue
        seen.add(there)
        fields = _changes(to_plain(listed[there]), entry)
        if fields:
            changed[there] = fields
            result.changed[entry["id"]] = sorted(fields)
    if changed or added:
        result.written = update_entries(target, display, changed, added)
    gone = [n for n in imported if n not in seen]
    if gone:
        now = load_yaml(target, display, [workspace.root])
        now = now.get("references") if isinstance(now, YamlMapping) else now
        for index in gone:
            key = listed[index].get("id")
            result.kept.append(str(key))
            result.problems.append(
                Diagnostic(
                    "warning",
                    f"'{key}' is no longer in {source.name}; it is kept, as a position may cite "
                    "it: remove it here if none does",
                    "not-in-export",
                    now.item_locs[index] if isinstance(now, YamlList) else listed.item_locs[index],
                )
            )
    inside = any(source.resolve().is_relative_to(f.resolve()) for f in evidence_folders(workspace))
    result.leftover = shown if inside else None
    return result


def _text_start(path: Path) -> str:
    """The first lines of a file (its header comment), bounded."""
    try:
        with path.open("rb") as handle:
            return handle.read(4096).decode("utf-8", "replace")
    except OSError:
        return ""


def _imported_into(workspace: Workspace, items: YamlList) -> list[str]:
    """The evidence files that hold works of the export ``items`` by their Zotero address or
    other id kept, as the user sees them."""
    ids = {
        clean_text(i["id"])
        for i in items
        if isinstance(i, YamlMapping) and isinstance(i.get("id"), str)
    }
    files = []
    for item in workspace.evidence.values():
        if any(origin in ids for origin in _kept_ids(item.raw)):
            files.append(item.location.path)
    return sorted(set(files))


def _changes(before: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """The fields of the export's ``entry`` whose value differs from the work's ``before``
    (``custom`` with one's own names in it kept); a field only ``before`` has stays as it is."""
    found = {}
    for name, value in entry.items():
        if name == "id":
            continue
        if name == "custom" and isinstance(before.get("custom"), dict) and isinstance(value, dict):
            value = {**before["custom"], **value}
        if as_read(before.get(name)) != as_read(value):
            found[name] = value
    return found


def _kept_ids(entry: Any) -> list[str]:
    """The Zotero address or other id a work in an imported file came with (under
    ``custom``): what import wrote it from."""
    custom = entry.get("custom") if isinstance(entry, YamlMapping) else None
    return [
        str(custom[name])
        for name in (ZOTERO_URI_FIELD, ORIGINAL_ID_FIELD)
        if isinstance(custom, YamlMapping) and isinstance(custom.get(name), str)
    ]


def _origins(entry: Any) -> list[str]:
    """What a work in an imported file is known by: the ids it came with, then its key."""
    key = entry.get("id") if isinstance(entry, YamlMapping) else None
    return [*_kept_ids(entry), *([str(key)] if isinstance(key, str) else [])]


def _entries(
    items: YamlList,
    keys: KeyMaker,
    place: dict[str, int] | None = None,
    listed: YamlList | None = None,
) -> tuple[list[tuple[dict[str, Any], int | None]], list[Diagnostic]]:
    """Each item as an entry with its key, and, with ``place`` (what the works of the file
    ``listed`` are known by → their place in it), the place of the work it already is there."""
    entries: list[tuple[dict[str, Any], int | None]] = []
    matched: set[int] = set()
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
        there = _known(item, place or {})
        if there is not None and there in matched:
            there = None  # the export holds the work twice: the second is a work of its own
        if there is not None:
            matched.add(there)
        kept = listed[there].get("id") if listed is not None and there is not None else None
        entry, note = _keyed(item, cleaned.entry, keys, kept if isinstance(kept, str) else None)
        if note:
            problems.append(note)
        entries.append((entry, there))
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


def _known(item: YamlMapping, place: dict[str, int]) -> int | None:
    """The place of the work ``item`` is, among those known by ``place``: by the id it comes
    with (a Zotero address), else by its own citation key."""
    for name in ("id", "citation-key"):
        value = item.get(name)
        if isinstance(value, str) and clean_text(value) in place:
            return place[clean_text(value)]
    return None


def _keyed(
    item: YamlMapping, entry: dict[str, Any], keys: KeyMaker, known: str | None = None
) -> tuple[dict[str, Any], Diagnostic | None]:
    """The entry with its key first and the id it came with kept: ``known``, the key the work
    has already; else the item's own citation key if it has a usable one, else its id if that
    is one (and no address), else a new key."""
    written_id = item.get("id")
    original = clean_text(written_id) if isinstance(written_id, str) else ""
    own = entry.pop("citation-key", None)
    if known is not None:
        return _with_origin({"id": known, **entry}, original), None
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
    return _with_origin({"id": key, **entry}, original), note


def _with_origin(entry: dict[str, Any], original: str) -> dict[str, Any]:
    """The entry with the id it came with kept under ``custom``, when that is not its key."""
    if original and original != entry["id"]:
        kept = entry.get("custom")
        custom = dict(kept) if isinstance(kept, dict) else {}
        custom[ZOTERO_URI_FIELD if is_zotero_uri(original) else ORIGINAL_ID_FIELD] = original
        entry["custom"] = custom
    return entry
