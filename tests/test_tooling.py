"""At home in the tools people use: editor schemas, pre-commit, CI workflows, shards, packaging."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from conftest import REPO, copy_demo
from standpunt.build.shard import Shard, shard_ids
from standpunt.cli import main
from standpunt.workspace.editor_schema import (
    CONFIG_SCHEMA,
    EVIDENCE_SCHEMA,
    GLOBS,
    POSITION_SCHEMA,
    SCHEMA_DIR,
    schema_texts,
    schemas,
)

EXAMPLE = REPO / "src" / "standpunt" / "example"


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def plain(value: Any) -> Any:
    """A YAML value as an editor's JSON view of it (dates as the text written)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def schema_errors(schema_name: str, text: str) -> list[str]:
    validator = Draft202012Validator(schemas()[schema_name])
    found = validator.iter_errors(plain(yaml.safe_load(text)))
    return sorted(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in found)


def workspace_files(root: Path) -> list[tuple[str, Path]]:
    """Each YAML file of a workspace with the schema it follows."""
    found = []
    for schema, globs in GLOBS.items():
        for glob in globs:
            found.extend((schema, path) for path in sorted(root.glob(glob)))
    return found


# --- editor schemas --------------------------------------------------------------------------


def test_the_schemas_are_valid_json_schemas() -> None:
    for schema in schemas().values():
        Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("root", [REPO, EXAMPLE], ids=["demo", "example"])
def test_every_workspace_file_validates(root: Path) -> None:
    files = workspace_files(root)
    assert {schema for schema, _ in files} == {CONFIG_SCHEMA, POSITION_SCHEMA, EVIDENCE_SCHEMA}
    for schema, path in files:
        assert schema_errors(schema, path.read_text(encoding="utf-8")) == [], path


def test_the_test_data_evidence_validates() -> None:
    paths = sorted((REPO / "tests" / "data").rglob("*.yaml"))
    evidence = [p for p in paths if "evidence" in p.parts]
    assert evidence
    for path in evidence:
        assert schema_errors(EVIDENCE_SCHEMA, path.read_text(encoding="utf-8")) == [], path


def test_the_demo_carries_the_schemas_of_this_version() -> None:
    """The demo's copies stay in step with the models: regenerate with 'standpunt schema'."""
    for name, data in schema_texts().items():
        assert (REPO / SCHEMA_DIR / name).read_bytes() == data, name


# The same misspelling, found by the editor (schema) and by check, at the same line.
MISSPELT = [
    (
        "standpunt.yaml",
        CONFIG_SCHEMA,
        "organisation:\n  name: Test\nlang: en\nstyel: apa\n",
        4,
        "unknown field 'styel'",
        ": Additional properties are not allowed ('styel' was unexpected)",
    ),
    (
        "positions/p.yaml",
        POSITION_SCHEMA,
        "title: T\nsections:\n  - title: A\n    body: Text.\n    qoute: Q\n",
        5,
        "unknown field 'qoute'",
        "sections/0: Additional properties are not allowed ('qoute' was unexpected)",
    ),
    (
        "evidence/e.yaml",
        EVIDENCE_SCHEMA,
        "- id: x2020\n  type: book\n  titel: X\n  issued: 2020\n",
        3,
        "unknown field 'titel'",
        "0: Additional properties are not allowed ('titel' was unexpected)",
    ),
]


@pytest.mark.parametrize(("name", "schema", "text", "line", "check_says", "schema_says"), MISSPELT)
def test_a_misspelt_field_is_reported_by_the_schema_and_by_check(
    make_workspace: Any,
    name: str,
    schema: str,
    text: str,
    line: int,
    check_says: str,
    schema_says: str,
) -> None:
    root = make_workspace({name: text})
    result = run("-C", str(root), "check")
    errors = [row for row in result.output.splitlines() if ": error: " in row]
    assert len(errors) == 1, result.output
    assert errors[0].startswith(f"{name}:{line}:")
    assert check_says in errors[0]
    assert schema_errors(schema, text) == [schema_says]


def test_a_status_that_does_not_exist_is_reported_by_both(make_workspace: Any) -> None:
    text = "title: T\nstatus: finished\nsections:\n  - title: A\n    body: Text.\n"
    root = make_workspace({"positions/p.yaml": text})
    errors = [r for r in run("-C", str(root), "check").output.splitlines() if ": error: " in r]
    assert [e.split(":")[:2] for e in errors] == [["positions/p.yaml", "2"]]
    assert [e.split(":")[0] for e in schema_errors(POSITION_SCHEMA, text)] == ["status"]


def test_evidence_in_pandoc_and_zotero_spellings_and_plain_names_is_accepted() -> None:
    text = (
        "- id: x2020\n  type: report\n  doi: 10.1/x\n  url: https://example.org\n"
        "  ISBN: 978-90\n  author: ['Claessens, Dirk', {literal: SAAMO}]\n  issued: 2020-05\n"
        "  accessed: {date-parts: [[2024, 1, 2]]}\n"
    )
    assert schema_errors(EVIDENCE_SCHEMA, text) == []
    assert schema_errors(EVIDENCE_SCHEMA, text.replace("issued:", "isued:")) == [
        "0: Additional properties are not allowed ('isued' was unexpected)"
    ]


def test_scalars_an_editor_reads_as_numbers_are_accepted() -> None:
    text = "title: 2030\nversion: 1.0\nauthors: [Ann, {name: Bo, email: bo@example.org}]\n"
    text += "sections:\n  - title: A\n    body: Text.\n"
    assert schema_errors(POSITION_SCHEMA, text) == []


def test_schema_command_writes_the_three_schemas(tmp_path: Path) -> None:
    result = run("schema", str(tmp_path / "s"))
    assert result.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        CONFIG_SCHEMA,
        EVIDENCE_SCHEMA,
        POSITION_SCHEMA,
    ]
    for name, data in schema_texts().items():
        assert (tmp_path / "s" / name).read_bytes() == data


def test_init_sets_up_the_editor_and_new_files_name_their_schema(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    assert run("init", str(root)).exit_code == 0
    settings = json.loads((root / ".vscode" / "settings.json").read_text())
    assert settings == {
        "yaml.schemas": {
            "./.standpunt/schema/config.schema.json": ["standpunt.yaml"],
            "./.standpunt/schema/position.schema.json": ["positions/*.yaml", "positions/*.yml"],
            "./.standpunt/schema/evidence.schema.json": ["evidence/**/*.yaml", "evidence/**/*.yml"],
        }
    }
    first = {
        path.relative_to(root).as_posix(): path.read_text().splitlines()[0]
        for _, path in workspace_files(root)
    }
    assert first == {
        "standpunt.yaml": "# yaml-language-server: $schema=.standpunt/schema/config.schema.json",
        "positions/example-position.yaml": "# yaml-language-server: "
        "$schema=../.standpunt/schema/position.schema.json",
        "evidence/example.yaml": "# yaml-language-server: "
        "$schema=../.standpunt/schema/evidence.schema.json",
    }
    for line in first.values():
        target = line.split("$schema=")[1]
        assert (root / target).is_file() or (root / "positions" / target).is_file()
    assert run("-C", str(root), "new", "A second position").exit_code == 0
    created = (root / "positions" / "a-second-position.yaml").read_text()
    assert created.startswith(
        "# yaml-language-server: $schema=../.standpunt/schema/position.schema.json\n"
    )
    assert run("-C", str(root), "check").exit_code == 0


# --- shards ----------------------------------------------------------------------------------


def test_shards_hold_every_id_exactly_once_and_stay_put_when_ids_are_added() -> None:
    ids = [f"position-{n}" for n in range(600)]
    parts = [[pid for pid in ids if Shard(k, 4).holds(pid)] for k in range(1, 5)]
    assert sorted(pid for part in parts for pid in part) == sorted(ids)
    assert all(100 <= len(part) <= 200 for part in parts), [len(p) for p in parts]
    before = {pid: k for k in range(1, 5) for pid in ids if Shard(k, 4).holds(pid)}
    more = [*ids, *(f"later-{n}" for n in range(50))]
    after = {pid: k for k in range(1, 5) for pid in more if Shard(k, 4).holds(pid)}
    assert {pid: after[pid] for pid in ids} == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2", "--shard '2' is not K/N; write e.g. --shard 2/3 for the second of three parts"),
        ("0/3", "--shard 0/3: K must be between 1 and N, and N at most 1000"),
        ("4/3", "--shard 4/3: K must be between 1 and N, and N at most 1000"),
        ("a/b", "--shard 'a/b' is not K/N; write e.g. --shard 2/3 for the second of three parts"),
        ("1/1001", "--shard 1/1001: K must be between 1 and N, and N at most 1000"),
    ],
)
def test_a_bad_shard_is_a_usage_error(make_workspace: Any, text: str, message: str) -> None:
    root = make_workspace()
    result = CliRunner().invoke(main, ["-C", str(root), "build", "--shard", text])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {message} [usage]"
    assert not (root / "build").exists()


def test_an_empty_shard_builds_nothing_and_succeeds(make_workspace: Any) -> None:
    root = make_workspace()
    pid = shard_ids(root, Shard(1, 1), None)
    assert pid == ["care"]
    empty = next(k for k in range(1, 50) if not Shard(k, 50).holds("care"))
    result = CliRunner().invoke(main, ["-C", str(root), "build", "--shard", f"{empty}/50"])
    assert result.exit_code == 0
    assert result.output.strip() == f"shard {empty}/50: 0 position(s)"
    assert not (root / "build").exists()


# --- CI workflows ----------------------------------------------------------------------------


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _commands(platform: str, workflow: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The standpunt commands the workflow runs: before the build, and the build's own."""
    if platform == "github":
        jobs = workflow["jobs"]
        check = [s["run"] for s in jobs["check"]["steps"] if "standpunt" in s.get("run", "")]
        build = [
            line
            for s in jobs["build"]["steps"]
            for line in s.get("run", "").splitlines()
            if line.startswith("standpunt ")
        ]
        return [c for c in check if c.startswith("standpunt ")], build
    return workflow["check"]["script"], workflow["build"]["script"]


@pytest.mark.parametrize("platform", ["github", "gitlab"])
def test_the_ci_workflow_runs_in_a_fresh_clone_and_its_shards_build_everything_once(
    tmp_path: Path, platform: str, isolated_git: None
) -> None:
    origin = copy_demo(tmp_path / "origin")
    _git(origin, "init", "-q")
    result = run("-C", str(origin), "ci", platform, "--shards", "3")
    assert result.exit_code == 0, result.output
    _git(origin, "add", "-A")
    _git(origin, "commit", "-q", "-m", "demo with a workflow")
    clone = tmp_path / "clone"
    _git(tmp_path, "clone", "-q", str(origin), str(clone))
    name = ".github/workflows/standpunt.yml" if platform == "github" else ".gitlab-ci.yml"
    workflow = yaml.safe_load((clone / name).read_text())
    before, builds = _commands(platform, workflow)
    assert before == ["standpunt check"]
    if platform == "github":
        assert workflow["jobs"]["build"]["strategy"]["matrix"]["shard"] == [1, 2, 3]
        assert workflow["jobs"]["build"]["needs"] == "check"
        assert workflow["jobs"]["release"]["if"] == "startsWith(github.ref, 'refs/tags/')"
        cache = next(s for s in workflow["jobs"]["build"]["steps"] if "cache" in s.get("uses", ""))
        assert cache["with"]["path"] == "build"
        shard_commands = [builds[0].replace("${{ matrix.shard }}", str(k)) for k in (1, 2, 3)]
    else:
        assert workflow["build"]["parallel"] == 3
        assert workflow["build"]["cache"]["paths"] == ["build/"]
        assert workflow["release"]["rules"] == [{"if": "$CI_COMMIT_TAG"}]
        shard_commands = [
            builds[0].replace("${CI_NODE_INDEX:-1}", str(k)).replace("${CI_NODE_TOTAL:-1}", "3")
            for k in (1, 2, 3)
        ]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    for command in before:
        done = subprocess.run(command.split(), cwd=clone, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    built: list[str] = []
    for command in shard_commands:
        argv = [sys.executable, "-m", "standpunt", *command.split()[1:]]
        argv = [a.strip('"') for a in argv]
        done = subprocess.run(argv, cwd=clone, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        built += re.findall(r"^built (\S+) → ", done.stdout + done.stderr, re.MULTILINE)
    positions = sorted(p.stem for p in (clone / "positions").glob("*.yaml"))
    assert sorted(built) == positions
    assert sorted(p.stem for p in (clone / "build").glob("*.pdf")) == positions


def test_init_with_ci_writes_the_workflow_and_ci_never_overwrites_one(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    assert run("init", "--ci", "gitlab", str(root)).exit_code == 0
    assert yaml.safe_load((root / ".gitlab-ci.yml").read_text())["check"]["script"] == [
        "standpunt check"
    ]
    before = (root / ".gitlab-ci.yml").read_bytes()
    result = CliRunner().invoke(main, ["-C", str(root), "ci", "gitlab"])
    assert result.exit_code == 2
    assert ".gitlab-ci.yml exists already; nothing was changed" in result.output
    assert (root / ".gitlab-ci.yml").read_bytes() == before


# --- pre-commit ------------------------------------------------------------------------------


def test_the_pre_commit_hook_is_a_valid_manifest_and_runs_check(
    tmp_path: Path, isolated_git: None
) -> None:
    from pre_commit.clientlib import load_manifest

    (hook,) = load_manifest(str(REPO / ".pre-commit-hooks.yaml"))
    assert hook["id"] == "standpunt-check"
    root = copy_demo(tmp_path / "ws")
    (root / ".gitignore").write_text("/build/\n")  # as init writes it: check's cache is no change
    _git(root, "init", "-q")
    local = {**{k: hook[k] for k in ("id", "name", "entry", "files", "pass_filenames")}}
    local["language"] = "system"  # the same hook, run with the Standpunt installed here
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    bad = root / "positions" / "organisaties-kiezen-positie.yaml"
    bad.write_text(bad.read_text().replace("title:", "titel:", 1))
    _git(root, "add", "-A")
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
    }
    command = [sys.executable, "-m", "pre_commit", "run", "--all-files"]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 1, done.stdout
    assert "positions/organisaties-kiezen-positie.yaml:" in done.stdout
    assert "unknown field 'titel'" in done.stdout
    bad.write_text(bad.read_text().replace("titel:", "title:", 1))
    _git(root, "add", "-A")
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout
    assert re.search(r"standpunt check\.+Passed", done.stdout), done.stdout


# --- packaging -------------------------------------------------------------------------------


def _not_sources(folder: str, names: list[str]) -> list[str]:
    """What a checkout holds that is no source: the repository's own build/ and git data."""
    top = Path(folder) == REPO
    return [
        n
        for n in names
        if n in (".git", "dist") or n.endswith(".egg-info") or (top and n == "build")
    ]


def test_the_wheel_and_sdist_install_and_build_the_example(tmp_path: Path) -> None:
    """What `python -m build` makes passes `twine check`, and the wheel alone (no source tree)
    makes and builds a new workspace."""
    dist = tmp_path / "dist"
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=_not_sources)
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)],
        check=True,
        capture_output=True,
    )
    made = sorted(p.name for p in dist.iterdir())
    assert [made[0].endswith(".whl"), made[1].endswith(".tar.gz")] == [True, True], made
    twine = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())],
        capture_output=True,
        text=True,
    )
    assert twine.returncode == 0, twine.stdout
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    wheel = next(dist.glob("*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", wheel],
        check=True,
        capture_output=True,
    )
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [python, "-c", "import standpunt; print(standpunt.__file__)"],
        capture_output=True,
        text=True,
        env=clean,
        cwd=tmp_path,
    )
    assert where.stdout.startswith(str(env_dir)), where.stdout
    standpunt = env_dir / "bin" / "standpunt"
    for argv in ([standpunt, "init", "ws"], [standpunt, "-C", "ws", "build"]):
        done = subprocess.run(argv, cwd=tmp_path, env=clean, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
    assert [p.name for p in (tmp_path / "ws" / "build").glob("*.pdf")] == ["example-position.pdf"]


def test_schema_and_ci_write_nothing_through_a_link_out_of_the_workspace(
    make_workspace: Any, tmp_path: Path
) -> None:
    root = make_workspace()
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / ".standpunt").symlink_to(outside, target_is_directory=True)
    (root / ".github").symlink_to(outside, target_is_directory=True)
    for args in (["schema"], ["ci", "github"]):
        result = CliRunner().invoke(main, ["-C", str(root), *args])
        assert result.exit_code != 0, args
        assert "Traceback" not in result.output
    assert list(outside.iterdir()) == []
