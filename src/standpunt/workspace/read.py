"""A workspace: standpunt.yaml, positions/ and evidence/, found and read like git finds a repo.

Reading collects every content problem instead of stopping at the first (manubot's error
counter), so one ``check`` lists them all; a broken standpunt.yaml stops at once, since nothing
else can be judged without it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from standpunt import i18n
from standpunt.errors import (
    ContentErrors,
    Diagnostic,
    Location,
    Problems,
    StandpuntError,
    UsageError,
    did_you_mean,
)
from standpunt.workspace.citekeys import KeyMaker, readable_key
from standpunt.workspace.csl import csl_json, evidence_field, evidence_problems, evidence_value
from standpunt.workspace.evidence_index import EvidenceIndex, file_digest
from standpunt.workspace.load import (
    Scalar,
    YamlList,
    YamlMapping,
    load_json,
    locate,
    parse_yaml,
    read_bytes,
    read_text,
    to_plain,
)
from standpunt.workspace.parsecache import load_cached
from standpunt.workspace.paths import (
    BIBLIOGRAPHY_FORMATS,
    CONFIG_FILE,
    EVIDENCE_DIR,
    ID_RULE,
    POSITIONS_DIR,
    YAML_SUFFIXES,
    inside,
    readable_file,
    sorted_files,
    valid_id,
    valid_key,
)
from standpunt.workspace.pitfalls import comment_emptied
from standpunt.workspace.settings import Settings, kept_settings, valid_settings
from standpunt.workspace.verdicts import Valid, keep

if TYPE_CHECKING:  # the models are imported where a file is validated: status ID needs none
    from standpunt.workspace.schema import Config, Position

_OUTSIDE = (
    "this is a link to a file outside the workspace (or not a regular file); Standpunt reads "
    "only files inside the workspace, so copy the file in instead of linking to it"
)


@dataclass
class PositionFile:
    """One positions/<id>.yaml as read: its located YAML and, when valid, its model."""

    id: str
    path: Path
    display: str
    raw: Any = None
    model: Position | None = None

    @property
    def location(self) -> Location:
        return Location(self.display, 1, 1)


@dataclass
class EvidenceItem:
    """One reference: its located fields, where it was written, and its CSL-JSON for pandoc.

    ``id`` is the key positions cite it by. ``location`` is where the reference is written: the
    value of its ``id`` in a YAML or JSON file, the key of a .bib entry, the first line of a RIS
    record. ``raw`` holds its fields as written (for .bib and .ris: as pandoc converted them,
    each located at its line). ``csl`` is empty while the reference has errors. ``format`` is
    ``csl-yaml``, ``csl-json``, ``bibtex`` or ``ris``; ``generated_key`` is true when Standpunt
    made the key (a RIS record without ``ID``).
    """

    id: str
    raw: YamlMapping
    location: Location
    csl: dict[str, Any]
    format: str = "csl-yaml"
    generated_key: bool = False

    @property
    def file(self) -> str:
        """The file it is written in, as the user sees it (relative to the workspace)."""
        return self.location.path

    @property
    def line(self) -> int:
        return self.location.line

    @property
    def doi(self) -> str | None:
        """Its DOI as written (the field's name in any case), or None."""
        value = self.csl.get("DOI") if self.csl else evidence_value(self.raw, "DOI")
        return str(value).strip() or None if isinstance(value, str) else None


@dataclass
class Workspace:
    """A workspace as read. Its settings (:attr:`config`) are validated when standpunt.yaml is
    read, unless it was found valid with the same bytes before: then :attr:`settings` are what
    was kept, and the model is made when first asked for."""

    root: Path
    #: standpunt.yaml's model, or None until :attr:`config` makes it.
    _config: Config | None
    config_raw: Any
    positions: dict[str, PositionFile] = field(default_factory=dict)
    evidence: dict[str, EvidenceItem] = field(default_factory=dict)
    problems: Problems = field(default_factory=Problems)
    #: The positions read when not all were (:func:`open_positions`), else None.
    partial: list[str] | None = None
    #: The id of every position file found, read or not (for messages naming the known ones).
    listed: list[str] = field(default_factory=list)
    #: The keys each evidence file read holds, for :func:`keep_what_was_read`.
    evidence_index: EvidenceIndex | None = field(default=None, repr=False, compare=False)
    #: What reading and the signatures need of standpunt.yaml, or None until :attr:`settings`.
    _settings: Settings | None = field(default=None, repr=False, compare=False)
    #: The files found valid while reading, for :func:`keep_what_was_read`.
    valid: list[Valid] = field(default_factory=list, repr=False, compare=False)

    @property
    def config(self) -> Config:
        """standpunt.yaml, validated (here, on first use, when it was found valid before)."""
        if self._config is None:
            self._config = _validated(self.config_raw)
        return self._config

    @property
    def settings(self) -> Settings:
        """The settings reading and the signatures need, without the schema's models when
        standpunt.yaml was found valid before (:mod:`standpunt.workspace.settings`)."""
        if self._settings is None:
            self._settings = Settings.of(self.config)
        return self._settings

    def display(self, path: Path) -> str:
        """A path as the user sees it: relative to the workspace, with forward slashes."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def setting_location(self, *path: str) -> Location:
        """Where a setting of standpunt.yaml was written (or the file itself)."""
        return locate(self.config_raw, list(path), Location(CONFIG_FILE, 1, 1))

    def lang_of(self, position: Position) -> str:
        return position.lang or self.config.lang

    def labels(self, lang: str) -> dict[str, str]:
        """Every label in ``lang``, with what standpunt.yaml's ``labels:`` says for it on top."""
        return i18n.labels(lang, self.config.labels.get(lang.split("-")[0].lower()))


def _validated(raw: Any) -> Config:
    """standpunt.yaml's located YAML validated; its problems stop at once."""
    from standpunt.workspace.schema import Config, validate

    config, diagnostics = validate(Config, raw, Location(CONFIG_FILE, 1, 1))
    if diagnostics:
        raise ContentErrors(diagnostics)
    assert config is not None
    return config


def load_config(root: Path) -> tuple[Config, Any]:
    """standpunt.yaml, validated; any problem in it stops at once."""
    workspace = _opened(root)
    return workspace.config, workspace.config_raw


def _opened(root: Path, partial: list[str] | None = None) -> Workspace:
    """A workspace with only standpunt.yaml read: validated, or found valid by its bytes
    (:mod:`standpunt.workspace.settings`); any problem in it stops at once."""
    data = read_bytes(root / CONFIG_FILE, CONFIG_FILE, [root])
    raw = parse_yaml(data, CONFIG_FILE)
    settings = kept_settings(root, data)
    config, valid = None, []
    if settings is None:
        config = _validated(raw)
        settings = Settings.of(config)
        valid.append(valid_settings(data, settings))
    partners = raw.get("partners")
    for key, loc in (partners.key_locs if isinstance(partners, YamlMapping) else {}).items():
        if not valid_key(key):
            raise StandpuntError(
                f"partner key '{key}' may hold only {ID_RULE}",
                loc,
                "invalid-id",
            )
    return Workspace(root, config, raw, partial=partial, _settings=settings, valid=valid)


def open_workspace(
    root: Path, settings_read: Callable[[Workspace], object] | None = None, *, models: bool = True
) -> Workspace:
    """Read the whole workspace: config, every position and every evidence file;
    ``settings_read`` is called with the workspace once its settings are read; ``models`` as
    for :func:`open_positions`."""
    workspace = _opened(root)
    if settings_read is not None:
        settings_read(workspace)
    workspace.problems.extend(
        _comment_emptied(root / CONFIG_FILE, CONFIG_FILE, workspace.config_raw)
    )
    _read_positions(workspace, None, models)
    _read_evidence(workspace)
    return workspace


def open_positions(
    root: Path,
    ids: list[str] | None,
    cited: Callable[[Workspace], set[str] | None] | None = None,
    settings_read: Callable[[Workspace], object] | None = None,
    *,
    models: bool = True,
) -> Workspace:
    """The workspace with only the positions ``ids`` read (every one when None or empty): the
    settings, those positions and all evidence. What concerns other position files (names,
    sub-folders, twins) is left to a look at the whole workspace; an id without a file is left
    for :func:`select` to report.

    With ``cited`` (the keys those positions cite, or None for all), of the evidence only the
    files that may define one of those keys are read (:mod:`~standpunt.workspace.evidence_index`),
    and of those only the entries of those keys judged: for a command that needs only the cited
    entries, never the evidence's own problems. With ``models=False`` the positions are not
    validated (:attr:`PositionFile.model` stays None and their problems unsaid): for a command
    that needs only what is written in them. ``settings_read`` as for :func:`open_workspace`."""
    if not ids:
        return open_workspace(root, settings_read, models=models)
    workspace = _opened(root, list(ids))
    if settings_read is not None:
        settings_read(workspace)
    _read_positions(workspace, {pid.lower() for pid in ids}, models)
    _read_evidence(workspace, None if cited is None else cited(workspace))
    return workspace


def _read_positions(
    workspace: Workspace, only: set[str] | None = None, models: bool = True
) -> None:
    problems = workspace.problems
    seen: dict[str, PositionFile] = {}
    folder = workspace.root / POSITIONS_DIR
    readable = _readable_in(workspace.root)
    files = sorted_files(folder, YAML_SUFFIXES, hidden=True) if only is None else []
    if only is not None:
        workspace.listed, files = _position_files(folder, only)
    for path in files:
        stem = path.name.rsplit(".", 1)[0]
        if only is None and path.parent == folder and valid_id(stem):
            workspace.listed.append(stem)
        if path.parent != folder:
            problems.warning(
                "positions in sub-folders are not read; move the file into positions/",
                Location(workspace.display(path)),
                "ignored-file",
            )
            continue
        display = workspace.display(path)
        position = PositionFile(id=stem, path=path, display=display)
        if not valid_id(stem):
            problems.error(
                f"'{path.name}' is not a valid position file name: the name before .yaml is the "
                f"position's id and may hold only {ID_RULE}; rename the file",
                position.location,
                "invalid-id",
            )
            continue
        twin = seen.get(stem.lower())
        if twin is not None:
            problems.error(
                f"'{path.name}' and '{twin.path.name}' would write the same output file; "
                "rename one of them",
                position.location,
                "duplicate-id",
            )
            continue
        seen[stem.lower()] = position
        if not readable(path):
            problems.error(_OUTSIDE, position.location, "outside-workspace")
            continue
        try:
            position.raw = load_cached(workspace.root, path, display)
        except StandpuntError as exc:
            problems.add(exc.diagnostic())
            workspace.positions[stem] = position
            continue
        if not isinstance(position.raw, YamlMapping):
            problems.error(
                "a position file must hold fields such as 'title:' and 'sections:'",
                position.location,
                "invalid-position",
            )
        elif models:
            from standpunt.workspace.schema import Position, validate

            position.model, diagnostics = validate(Position, position.raw, position.location)
            problems.extend(diagnostics)
            problems.extend(_comment_emptied(path, display, position.raw))
        workspace.positions[stem] = position


def _position_files(folder: Path, only: set[str]) -> tuple[list[str], list[Path]]:
    """The id of every position file in ``folder`` itself, and the files of the ids ``only``
    (in any case), as :func:`sorted_files` finds them there; one listing of names, with a path
    made only for the files read (a thousand paths cost more than reading one position)."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(
                entry.name
                for entry in entries
                if entry.name.lower().endswith(YAML_SUFFIXES) and not _is_dir(entry)
            )
    except OSError:  # no folder, or none that can be listed: as a walk finds nothing there
        return [], []
    stems = [name.rsplit(".", 1)[0] for name in names]
    listed = [stem for stem in stems if valid_id(stem)]
    chosen = [
        folder / name for name, stem in zip(names, stems, strict=True) if stem.lower() in only
    ]
    return listed, chosen


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """Whether a walk takes ``entry`` for a folder (following a link, as :func:`os.walk`)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _comment_emptied(path: Path, display: str, raw: Any) -> list[Diagnostic]:
    """Warnings for fields a '#' left empty; the file is read again only if a field is empty."""
    return comment_emptied(raw, lambda: read_text(path, display, "yaml").splitlines())


def evidence_folders(workspace: Workspace) -> list[Path]:
    """evidence/ and every further library standpunt.yaml lists, each inside the workspace."""
    folders = [workspace.root / EVIDENCE_DIR]
    config = workspace.config_raw
    listed = config.get("evidence") if isinstance(config, YamlMapping) else None
    for index, name in enumerate(workspace.settings.evidence):
        where = listed.item_locs[index] if isinstance(listed, YamlList) else Location(CONFIG_FILE)
        folder = (workspace.root / name).resolve()
        if not folder.is_relative_to(workspace.root.resolve()):
            raise StandpuntError(
                f"evidence folder '{name}' lies outside the workspace", where, "outside-workspace"
            )
        if not folder.is_dir():
            raise StandpuntError(
                f"evidence folder '{name}' does not exist", where, "missing-folder"
            )
        if folder not in folders:
            folders.append(folder)
    return folders


#: The files of an evidence folder that are read: CSL-YAML, CSL-JSON, BibTeX and RIS.
EVIDENCE_SUFFIXES = (*YAML_SUFFIXES, ".json", *BIBLIOGRAPHY_FORMATS)


def evidence_files(workspace: Workspace) -> list[Path]:
    """The evidence files read, folder by folder, each folder's files sorted."""
    folders = evidence_folders(workspace)
    return [path for folder in folders for path in sorted_files(folder, EVIDENCE_SUFFIXES)]


def _read_evidence(workspace: Workspace, wanted: set[str] | None = None) -> None:
    """Every reference of every evidence file, in file order; then the keys RIS records lack.
    With ``wanted``, only the files that may define one of those keys are read (none for no
    key), and only the references of those keys judged."""
    problems = workspace.problems
    if wanted == set():  # no key wanted: no file read, but the folders checked all the same
        evidence_folders(workspace)
        files = []
    else:
        files = evidence_files(workspace)
    found: list[tuple[Any, Location, str]] = []  # (reference, where, format)
    readable = _readable_in(workspace.root)
    index = EvidenceIndex(workspace.root)
    if any(path.suffix.lower() == ".ris" for path in files):
        wanted = None  # a RIS record's made key depends on every other key
    listed = []
    for path in dict.fromkeys(files):
        display = workspace.display(path)
        listed.append(display)
        if not readable(path):
            problems.error(_OUTSIDE, Location(display, 1, 1), "outside-workspace")
            continue
        indexed = path.suffix.lower() not in BIBLIOGRAPHY_FORMATS
        digest = file_digest(path) if indexed else None
        if wanted is not None and indexed and not index.may_define(display, digest, wanted):
            continue
        try:
            references = _references(workspace, path, display)
        except StandpuntError as exc:
            problems.add(exc.diagnostic())
            continue
        found.extend(references)
        if indexed and digest is not None and file_digest(path) == digest:
            index.note(display, digest, _keys_of(references))
    index.listed = listed
    workspace.evidence_index = index
    keys = KeyMaker(
        str(key)
        for raw, _, _ in found
        if isinstance(raw, YamlMapping) and isinstance(key := evidence_value(raw, "id"), str)
    )
    for raw, where, kind in found:
        if wanted is not None and not (
            isinstance(raw, YamlMapping)
            and isinstance(key := evidence_value(raw, "id"), str)
            and key in wanted
        ):
            continue  # judged by whoever reads all evidence; a wanted key is never left out
        generated = kind == "ris" and evidence_value(raw, "id") is None
        if generated:
            key = keys.reserve(readable_key(to_plain(raw)))
            raw[Scalar("id", where)] = Scalar(key, where)
            raw.key_locs["id"] = where
        _read_item(workspace, raw, where, kind, generated)


def keep_what_was_read(workspace: Workspace) -> None:
    """Keep, for the commands that read less, the keys each evidence file holds, as read (for
    those that read only the files defining the keys a position cites), and what is needed of
    the files found valid (for those that need not validate them again: :mod:`verdicts`);
    ``check`` keeps them, nothing else writes them."""
    if workspace.evidence_index is not None:
        workspace.evidence_index.keep()
    for valid in workspace.valid:
        keep(workspace.root, valid)


def _keys_of(references: list[tuple[Any, Location, str]]) -> list[str]:
    """Every key the references may define: each value of a field naming the id, in any case
    (a superset of what :func:`_read_item` takes as the key)."""
    return [
        str(value)
        for raw, _, _ in references
        if isinstance(raw, YamlMapping)
        for key, value in raw.items()
        if evidence_field(key) == "id" and isinstance(value, str)
    ]


def _readable_in(root: Path) -> Callable[[Path], bool]:
    """:func:`readable_file` for the files of a folder walk, with one real path per folder
    rather than one per file: a file that is no link, in a real folder inside the workspace
    (a walk does not enter links), is inside too."""
    folders: dict[Path, bool] = {}

    def readable(path: Path) -> bool:
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return False
        if not stat.S_ISREG(mode):  # a link is judged by where it leads
            return stat.S_ISLNK(mode) and readable_file(path, [root])
        known = folders.get(path.parent)
        if known is None:
            known = folders[path.parent] = inside(path.parent, [root])
        return known

    return readable


def _references(workspace: Workspace, path: Path, display: str) -> list[tuple[Any, Location, str]]:
    """The references one evidence file holds, each with where it starts and its format."""
    suffix = path.suffix.lower()
    if suffix in BIBLIOGRAPHY_FORMATS:
        from standpunt.workspace.bibliography import read_bibliography  # pandoc: only for these

        entries, diagnostics = read_bibliography(
            path, display, workspace.root, workspace.settings.lang
        )
        workspace.problems.extend(diagnostics)
        return [(entry.raw, entry.location, entry.format) for entry in entries]
    kind = "csl-json" if suffix == ".json" else "csl-yaml"
    data = (
        load_json(path, display, [workspace.root])
        if kind == "csl-json"
        else load_cached(workspace.root, path, display)
    )
    if isinstance(data, YamlMapping) and set(data) == {"references"}:
        data = data["references"]
    if data is None:
        return []
    if not isinstance(data, YamlList):
        raise StandpuntError(
            "an evidence file must hold a list of references (each starting with '- id:'), "
            "or 'references:' followed by that list",
            getattr(data, "loc", Location(display, 1, 1)),
            "invalid-evidence",
        )
    return [(item, data.item_locs[index], kind) for index, item in enumerate(data)]


def _read_item(workspace: Workspace, item: Any, loc: Location, kind: str, generated: bool) -> None:
    problems = workspace.problems
    if not isinstance(item, YamlMapping):
        problems.error(
            "each reference must be a set of fields such as 'id:', 'type:' and 'title:'",
            loc,
            "invalid-evidence",
        )
        return
    id_key = next((key for key in item if evidence_field(key) == "id"), "id")
    item_id = item.get(id_key)
    if not isinstance(item_id, str) or not item_id.strip():
        problems.error(
            "this reference has no 'id'; add one (e.g. id: smith2021) so positions can cite it",
            item.loc,
            "missing-id",
        )
        return
    id_loc = item.value_loc(id_key)
    found = evidence_problems(item)
    problems.extend(found)
    first = workspace.evidence.get(item_id)
    if first is not None:
        problems.error(
            f"evidence id '{item_id}' is defined twice: here and at {first.location}; "
            "give one of them another id",
            id_loc,
            "duplicate-evidence",
        )
        return
    workspace.evidence[item_id] = EvidenceItem(
        id=str(item_id),
        raw=item,
        location=id_loc,
        csl={} if found else csl_json(item),
        format=kind,
        generated_key=generated,
    )


def select(workspace: Workspace, ids: list[str] | None) -> list[str]:
    """The positions to work on; an unknown id is a usage error naming the known ones."""
    if not ids:
        return sorted(workspace.positions)
    known = workspace.listed if workspace.partial is not None else workspace.positions
    for wanted in ids:
        if wanted not in workspace.positions:
            # its file is there but could not be read (a link, a FIFO): say why, where
            unread = [
                d
                for d in workspace.problems.items
                if d.severity == "error"
                and d.location is not None
                and d.location.path.startswith(f"{POSITIONS_DIR}/{wanted}.")
            ]
            if unread:
                raise StandpuntError(unread[0].message, unread[0].location, unread[0].code)
            raise UsageError(
                f"no position '{wanted}' in positions/{did_you_mean(wanted, known)}",
                code="unknown-position",
            )
    return list(dict.fromkeys(ids))


def read_positions(workspace: Workspace, ids: list[str]) -> None:
    """Read the positions ``ids`` into ``workspace``, as :func:`open_positions` does: for a
    reader that keeps what it read between reads (the preview's)."""
    _read_positions(workspace, {pid.lower() for pid in ids})


def read_evidence(workspace: Workspace) -> None:
    """Read every evidence file into ``workspace``, as :func:`open_positions` does."""
    _read_evidence(workspace)
