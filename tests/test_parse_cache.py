"""The per-file parse cache: each file's located values kept while its bytes are the same,
signed, read back as a stranger's, and giving exactly what parsing gives."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from standpunt.cli import main
from standpunt.workspace import cache, load, parsecache
from standpunt.workspace.load import load_yaml
from standpunt.workspace.read import open_workspace

#: Problems at many places (a bad date deep in a position, an unknown citation, a reference
#: without a title, a field a comment emptied), in YAML and JSON, with quoted and block scalars.
FILES = {
    "positions/other.yaml": """\
        title: "Another: quoted"
        lang: en
        date: 2026-13-01
        summary: |
          Cites nothing that exists [@nobody2020] and 'smith2021a' [@smith2021a, p. 3].
        sections:
          - title: One
            body: >
              Folded text
              on two lines.
          - title:   # emptied by a comment
            body: Two.
        """,
    "evidence/more.json": """\
        [{"id": "jones2020", "type": "book", "title": "A book", "issued": {"date-parts": [[2020]]},
          "author": [{"family": "Jones", "given": "A\\u00e9"}], "number": 7, "flag": true},
         {"id": "untitled", "type": "book"}]
        """,
}


@pytest.fixture(autouse=True)
def own_cache_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own user cache folder (and so its own key)."""
    home = tmp_path / "user-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def pure_python_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files are kept where PyYAML runs without libyaml (with it, parsing costs no more than
    rebuilding a kept file)."""
    monkeypatch.setattr(load, "use_libyaml", False)


@pytest.fixture
def workspace(make_workspace: Callable[..., Path]) -> Path:
    return make_workspace(FILES)


@pytest.fixture
def parses() -> list[str]:
    """The files parsed (not taken from the cache) from here on."""
    parsecache.parses.clear()
    return parsecache.parses


def check_json(root: Path) -> Any:
    """``check --format json``'s whole output, with check's own kept answer removed first (so
    that the check runs, over whatever the parse cache holds)."""
    for kept in (root / "build" / ".standpunt-cache").glob("check-*.json"):
        kept.unlink()
    result = CliRunner().invoke(main, ["-C", str(root), "check", "--format", "json"])
    assert "Traceback" not in result.output, result.output
    return json.loads(result.output)


def entries(root: Path) -> list[Path]:
    return sorted((root / "build" / ".standpunt-cache").glob("parse-*.json"))


def entry_for(root: Path, display: str) -> Path:
    name = hashlib.sha256(f"yaml\0{display}".encode()).hexdigest()[:32]
    return root / "build" / ".standpunt-cache" / f"parse-{name}.json"


def shape(value: Any) -> Any:
    """Every located detail of a value: text, location, style, span and source of each scalar,
    each container's location and where each key and item was written."""
    if isinstance(value, dict):
        keys = [shape(key) for key in value]
        return [
            "map",
            type(value).__name__,
            value.loc,
            value.key_locs,
            keys,
            *map(shape, value.values()),
        ]
    if isinstance(value, list):
        return ["list", type(value).__name__, value.loc, value.item_locs, *map(shape, value)]
    if value is None:
        return None
    return [
        type(value).__name__,
        str(value),
        value.loc,
        value.style,
        value.source,
        value.start,
        value.end,
    ]


ALL = [
    "evidence/refs.yaml",
    "positions/care.yaml",
    "positions/other.yaml",
]


def test_the_cache_gives_what_parsing_gives(workspace: Path, parses: list[str]) -> None:
    uncached = check_json(workspace)
    assert sorted(parses) == ALL
    assert len(entries(workspace)) == 3  # JSON files are not kept
    parses.clear()
    assert check_json(workspace) == uncached
    assert parses == []
    # and every located value is as the loader makes it
    for display in ALL:
        path = workspace / display
        loaded = load_yaml(path, display)
        cached = parsecache.load_cached(workspace, path, display)
        assert shape(cached) == shape(loaded)
    assert parses == []
    assert len(uncached) >= 3  # the comparison covers located problems


def test_an_edited_file_alone_is_parsed_again(workspace: Path, parses: list[str]) -> None:
    open_workspace(workspace)
    parses.clear()
    path = workspace / "positions" / "care.yaml"
    path.write_text(path.read_text() + "# an edit\n")
    edited = open_workspace(workspace)
    assert parses == ["positions/care.yaml"]
    assert edited.positions["care"].raw["title"].loc.path == "positions/care.yaml"
    parses.clear()
    open_workspace(workspace)
    assert parses == []


def test_a_corrupt_entry_is_ignored(workspace: Path, parses: list[str]) -> None:
    expected = check_json(workspace)
    entry = entry_for(workspace, "positions/other.yaml")
    entry.write_bytes(entry.read_bytes()[:200])
    parses.clear()
    assert check_json(workspace) == expected
    assert parses == ["positions/other.yaml"]


def test_a_tampered_entry_is_ignored(workspace: Path, parses: list[str]) -> None:
    expected = check_json(workspace)
    entry = entry_for(workspace, "positions/other.yaml")
    mac, _, body = entry.read_bytes().partition(b"\n")
    tampered = body.replace(b"Another: quoted", b"Something else!")
    assert tampered != body
    entry.write_bytes(mac + b"\n" + tampered)
    parses.clear()
    assert check_json(workspace) == expected
    assert parses == ["positions/other.yaml"]


def _resign(root: Path, display: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Change what an entry holds and sign it with the user's key: what an older or newer
    Standpunt, or a bug, could leave."""
    entry = entry_for(root, display)
    held = json.loads(entry.read_bytes().partition(b"\n")[2])
    change(held)
    cache.write_entry(root, "parse", entry.name.removeprefix("parse-").removesuffix(".json"), held)


@pytest.mark.parametrize(
    "change",
    [
        lambda held: held.update(version="0.0.1"),
        lambda held: held.update(format=held["format"] + 1),
        lambda held: held.update(display="positions/care.yaml"),
        lambda held: held["tree"].update(m=["one", 1]),
        lambda held: held["tree"]["k"][0].__setitem__(0, {"x": 1}),
        lambda held: held["tree"]["k"][0][3].__setitem__(1, True),
        lambda held: held.update(tree=[1, 2]),
        lambda held: held.update(text=None),
    ],
    ids=[
        "version",
        "format",
        "another-file",
        "bad-location",
        "bad-key",
        "bool-line",
        "bad-tree",
        "no-text",
    ],
)
def test_a_foreign_entry_is_ignored(
    workspace: Path, parses: list[str], change: Callable[[dict[str, Any]], None]
) -> None:
    expected = check_json(workspace)
    _resign(workspace, "positions/other.yaml", change)
    parses.clear()
    assert check_json(workspace) == expected
    assert parses == ["positions/other.yaml"]


def test_an_entry_is_not_believed_for_other_bytes(workspace: Path, parses: list[str]) -> None:
    """An entry signed for the old bytes of a file is not used for its new ones."""
    open_workspace(workspace)
    path = workspace / "positions" / "care.yaml"
    path.write_text(path.read_text().replace("Care is not a market", "Care is a right"))
    parses.clear()
    assert str(open_workspace(workspace).positions["care"].raw["title"]) == "Care is a right"
    assert parses == ["positions/care.yaml"]


def test_a_file_with_a_problem_is_not_kept(
    make_workspace: Callable[..., Path], parses: list[str]
) -> None:
    root = make_workspace({"positions/broken.yaml": "title: [unclosed\n"})
    first = check_json(root)
    second = check_json(root)
    assert first == second
    assert parses.count("positions/broken.yaml") == 2
    assert not entry_for(root, "positions/broken.yaml").exists()


def test_with_libyaml_nothing_is_kept(
    workspace: Path, parses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if load._CParser is None:  # the pure-Python parser is all there is here
        pytest.fail("PyYAML without libyaml: this test needs PyYAML's wheel")
    monkeypatch.setattr(load, "use_libyaml", True)
    first = check_json(workspace)
    assert check_json(workspace) == first
    assert entries(workspace) == []
    assert parses == []
