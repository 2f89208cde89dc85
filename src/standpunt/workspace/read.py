"""A workspace: standpunt.yaml, positions/ and evidence/, found and read like git finds a repo.

Reading collects every content problem instead of stopping at the first (manubot's error
counter), so one ``check`` lists them all; a broken standpunt.yaml stops at once, since nothing
else can be judged without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from standpunt import i18n
from standpunt.errors import (
    ContentErrors,
    Location,
    Problems,
    StandpuntError,
    UsageError,
    did_you_mean,
)
from standpunt.workspace.load import YamlList, YamlMapping, load_json, load_yaml
from standpunt.workspace.paths import (
    CONFIG_FILE,
    EVIDENCE_DIR,
    ID_RULE,
    POSITIONS_DIR,
    YAML_SUFFIXES,
    readable_file,
    sorted_files,
    valid_id,
    valid_key,
)
from standpunt.workspace.schema import (
    Config,
    Position,
    csl_json,
    locate,
    validate,
    validate_evidence_fields,
)

_OUTSIDE = (
    "this is a link to a file outside the workspace (or not a regular file); Standpunt reads "
    "only files inside the workspace, so copy the file in instead of linking to it"
)

#: Evidence formats that the evidence-workflow work will read; until then, said out loud.
LATER_EVIDENCE_FORMATS = {".bib": "BibTeX", ".ris": "RIS"}


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
    """One reference: its located YAML, where it was written, and its CSL-JSON for pandoc."""

    id: str
    raw: YamlMapping
    location: Location
    csl: dict[str, Any]


@dataclass
class Workspace:
    root: Path
    config: Config
    config_raw: Any
    positions: dict[str, PositionFile] = field(default_factory=dict)
    evidence: dict[str, EvidenceItem] = field(default_factory=dict)
    problems: Problems = field(default_factory=Problems)

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


def load_config(root: Path) -> tuple[Config, Any]:
    """standpunt.yaml, validated; any problem in it stops at once."""
    raw = load_yaml(root / CONFIG_FILE, CONFIG_FILE)
    config, diagnostics = validate(Config, raw, Location(CONFIG_FILE, 1, 1))
    if diagnostics:
        raise ContentErrors(diagnostics)
    assert config is not None
    partners = raw.get("partners")
    for key, loc in (partners.key_locs if isinstance(partners, YamlMapping) else {}).items():
        if not valid_key(key):
            raise StandpuntError(
                f"partner key '{key}' may hold only {ID_RULE}",
                loc,
                "invalid-id",
            )
    return config, raw


def open_workspace(root: Path) -> Workspace:
    """Read the whole workspace: config, every position and every evidence file."""
    config, config_raw = load_config(root)
    workspace = Workspace(root=root, config=config, config_raw=config_raw)
    _read_positions(workspace)
    _read_evidence(workspace)
    return workspace


def _read_positions(workspace: Workspace) -> None:
    problems = workspace.problems
    seen: dict[str, PositionFile] = {}
    folder = workspace.root / POSITIONS_DIR
    for path in sorted_files(folder, YAML_SUFFIXES, hidden=True):
        if path.parent != folder:
            problems.warning(
                "positions in sub-folders are not read; move the file into positions/",
                Location(workspace.display(path)),
                "ignored-file",
            )
            continue
        stem = path.name.rsplit(".", 1)[0]
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
        if not readable_file(path, [workspace.root]):
            problems.error(_OUTSIDE, position.location, "outside-workspace")
            continue
        try:
            position.raw = load_yaml(path, display)
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
        else:
            position.model, diagnostics = validate(Position, position.raw, position.location)
            problems.extend(diagnostics)
        workspace.positions[stem] = position


def evidence_folders(workspace: Workspace) -> list[Path]:
    """evidence/ and every further library standpunt.yaml lists, each inside the workspace."""
    folders = [workspace.root / EVIDENCE_DIR]
    config = workspace.config_raw
    listed = config.get("evidence") if isinstance(config, YamlMapping) else None
    for index, name in enumerate(workspace.config.evidence):
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


def _read_evidence(workspace: Workspace) -> None:
    problems = workspace.problems
    suffixes = (*YAML_SUFFIXES, ".json", *LATER_EVIDENCE_FORMATS)
    files = [p for folder in evidence_folders(workspace) for p in sorted_files(folder, suffixes)]
    for path in dict.fromkeys(files):
        display = workspace.display(path)
        where = Location(display, 1, 1)
        suffix = path.suffix.lower()
        if suffix in LATER_EVIDENCE_FORMATS:
            problems.warning(
                f"{LATER_EVIDENCE_FORMATS[suffix]} files are not read yet; export the references "
                "as CSL-JSON or CSL-YAML to use them",
                where,
                "unsupported-evidence",
            )
            continue
        if not readable_file(path, [workspace.root]):
            problems.error(_OUTSIDE, where, "outside-workspace")
            continue
        try:
            data = load_json(path, display) if suffix == ".json" else load_yaml(path, display)
        except StandpuntError as exc:
            problems.add(exc.diagnostic())
            continue
        if isinstance(data, YamlMapping) and set(data) == {"references"}:
            data = data["references"]
        if data is None:
            continue
        if not isinstance(data, YamlList):
            problems.error(
                "an evidence file must hold a list of references (each starting with '- id:'), "
                "or 'references:' followed by that list",
                getattr(data, "loc", where),
                "invalid-evidence",
            )
            continue
        for index, item in enumerate(data):
            _read_item(workspace, item, data.item_locs[index])


def _read_item(workspace: Workspace, item: Any, loc: Location) -> None:
    problems = workspace.problems
    if not isinstance(item, YamlMapping):
        problems.error(
            "each reference must be a set of fields such as 'id:', 'type:' and 'title:'",
            loc,
            "invalid-evidence",
        )
        return
    item_id = item.get("id")
    if not isinstance(item_id, str) or not item_id.strip():
        problems.error(
            "this reference has no 'id'; add one (e.g. id: smith2021) so positions can cite it",
            item.loc,
            "missing-id",
        )
        return
    id_loc = item.value_loc("id")
    invalid = False
    for key, message, code in validate_evidence_fields(item):
        problems.error(
            message,
            item.key_locs.get(key, item.loc) if code == "unknown-field" else item.value_loc(key),
            code,
        )
        invalid = True
    first = workspace.evidence.get(item_id)
    if first is not None:
        problems.error(
            f"evidence id '{item_id}' is defined twice: here and at {first.location}; "
            "give one of them another id",
            id_loc,
            "duplicate-evidence",
        )
        return
    csl = {} if invalid else csl_json(item)
    workspace.evidence[item_id] = EvidenceItem(id=item_id, raw=item, location=id_loc, csl=csl)


def select(workspace: Workspace, ids: list[str] | None) -> list[str]:
    """The positions to work on; an unknown id is a usage error naming the known ones."""
    if not ids:
        return sorted(workspace.positions)
    for wanted in ids:
        if wanted not in workspace.positions:
            raise UsageError(
                f"no position '{wanted}' in positions/{did_you_mean(wanted, workspace.positions)}",
                code="unknown-position",
            )
    return list(dict.fromkeys(ids))
