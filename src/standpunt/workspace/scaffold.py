"""New workspaces and new positions, from the files in ``standpunt/example``."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path

from standpunt import i18n
from standpunt.errors import StandpuntError, UsageError
from standpunt.workspace.editor_schema import (
    CONFIG_SCHEMA,
    EVIDENCE_SCHEMA,
    POSITION_SCHEMA,
    SCHEMA_DIR,
    modeline,
    schema_texts,
    vscode_settings,
)
from standpunt.workspace.files import write_atomic, write_inside
from standpunt.workspace.paths import (
    CONFIG_FILE,
    EVIDENCE_DIR,
    MAX_ID_LENGTH,
    POSITIONS_DIR,
    YAML_SUFFIXES,
    inside_folder,
    valid_id,
)
from standpunt.workspace.schema import LANG_PATTERN

EXAMPLE = Path(__file__).parent.parent / "example"
#: The line of the example's standpunt.yaml that ``init --lang`` sets.
_EXAMPLE_LANG = "\nlang: en\n"
SKELETON = EXAMPLE / "new-position.yaml"
#: The skeletons ``new`` writes, by language (English for any other).
SKELETONS = {lang: EXAMPLE / f"new-position.{lang}.yaml" for lang in ("nl", "fr", "de")}


def skeleton(lang: str) -> Path:
    """The skeleton of a new position in ``lang`` (a BCP 47 tag), English when there is none."""
    return SKELETONS.get(lang.split("-")[0].lower(), SKELETON)


def init_workspace(
    directory: Path, extra: dict[str, bytes] | None = None, lang: str | None = None
) -> list[str]:
    """Copy the worked example into ``directory``, with the editor schemas, a
    ``.vscode/settings.json`` that applies them, and the ``extra`` files given (a CI workflow);
    refuses to touch an existing workspace, and checks every target before writing any.
    ``lang`` (a BCP 47 tag) becomes standpunt.yaml's ``lang:``; the worked example position
    keeps its own ``lang: en``, as it is written in English."""
    if lang is not None and not LANG_PATTERN.fullmatch(lang):
        raise UsageError(
            f"'{lang}' is not a language tag; write e.g. --lang nl-BE, nl, fr, en or de",
            code="usage",
        )
    if lang is not None and (problem := i18n.unknown_language(lang)) is not None:
        raise UsageError(problem, code="usage")
    if (directory / CONFIG_FILE).exists():
        raise UsageError(
            f"'{directory}' already holds a workspace ({CONFIG_FILE}); nothing was changed",
            code="exists",
        )
    files = {**_example_files(), **editor_files(), **(extra or {})}
    if lang is not None:
        config = files[CONFIG_FILE].decode("utf-8")
        assert config.count(_EXAMPLE_LANG) == 1, "the example's standpunt.yaml sets lang: once"
        files[CONFIG_FILE] = config.replace(_EXAMPLE_LANG, f"\nlang: {lang}\n").encode("utf-8")
    for name in files:
        if (directory / name).exists() or (directory / name).is_symlink():
            raise UsageError(
                f"'{(directory / name).as_posix()}' exists already; nothing was changed",
                code="exists",
            )
    created = []
    for name, data in files.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data)
        created.append(target.as_posix())
    return created


def _example_files() -> dict[str, bytes]:
    """The worked example's files by their name in a workspace, each YAML file opening with the
    line that names its schema to the editor."""
    files = {}
    for source in sorted(EXAMPLE.rglob("*")):
        relative = source.relative_to(EXAMPLE)
        if (
            source.is_dir()
            or source.name.startswith("new-position.")
            or "__pycache__" in relative.parts
        ):
            continue
        name = ".gitignore" if relative.as_posix() == "gitignore" else relative.as_posix()
        data = source.read_bytes()
        schema = _schema_for(name)
        if schema is not None:
            data = modeline(schema, name.count("/")).encode("utf-8") + data
        files[name] = data
    return files


def _schema_for(name: str) -> str | None:
    """The schema a workspace file follows, as the editor settings' globs give it."""
    path = Path(name)
    if path.suffix not in YAML_SUFFIXES:
        return None
    if name == CONFIG_FILE:
        return CONFIG_SCHEMA
    return {POSITIONS_DIR: POSITION_SCHEMA, EVIDENCE_DIR: EVIDENCE_SCHEMA}.get(path.parts[0])


def editor_files() -> dict[str, bytes]:
    """The schemas and the VS Code settings that apply them, by their name in a workspace."""
    files = {f"{SCHEMA_DIR}/{name}": data for name, data in schema_texts().items()}
    settings = json.dumps(vscode_settings(), indent=2) + "\n"
    files[".vscode/settings.json"] = settings.encode("utf-8")
    return files


def slug(title: str) -> str:
    """A position id from a title: lower-case ASCII words joined by '-', at most as long as an
    id may be."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return words[:MAX_ID_LENGTH].rstrip("-")


def new_position(root: Path, title: str, lang: str, position_id: str | None = None) -> Path:
    """positions/<id>.yaml from the skeleton; never overwrites."""
    if not title.strip():
        raise UsageError("give the new position a title", code="usage")
    pid = position_id or slug(title)
    if not valid_id(pid):
        raise UsageError(
            f"'{pid}' cannot be a position id: use lower-case letters, digits and '-' "
            "(give one with --id)",
            code="invalid-id",
        )
    folder = inside_folder(root / POSITIONS_DIR, root, f"{POSITIONS_DIR}/{pid}.yaml")
    target = folder / f"{pid}.yaml"
    if any((folder / f"{pid}{suffix}").exists() for suffix in YAML_SUFFIXES):
        raise StandpuntError(
            f"{POSITIONS_DIR}/{pid}.yaml exists already; choose another title or --id",
            code="exists",
        )
    text = skeleton(lang).read_text(encoding="utf-8")
    # The placeholders sit inside double quotes, so the skeleton is valid YAML before filling.
    escaped = title.replace("\\", "\\\\").replace('"', '\\"')
    filled = (
        text.replace("{{ title }}", escaped)
        .replace("{{ date }}", dt.date.today().isoformat())
        .replace("{{ lang }}", lang)
    )
    if (root / SCHEMA_DIR / POSITION_SCHEMA).is_file():
        filled = modeline(POSITION_SCHEMA, 1) + filled
    write_inside(root, target, filled.encode("utf-8"), create=True)
    return target
