"""The kept answer of ``check`` (build/.standpunt-cache/, signed with the user's key), and the
commands that read one position: what they read, and that a kept answer is never believed when
someone else wrote it, it was changed, or what it was made from changed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from standpunt.buildstate import checked
from standpunt.cli import main
from standpunt.commands import check as check_command
from standpunt.workspace import cache

BROKEN = "title: Broken\nsections: [\n"
OTHER = """\
title: Another position
summary: |
  Cites nothing that exists [@nobody2020].
sections:
  - title: One
    body: Text.
"""


def cli(root: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, ["-C", str(root), *args], catch_exceptions=False)
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture(autouse=True)
def own_cache_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own user cache folder (and so its own key)."""
    home = tmp_path / "user-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


@pytest.fixture
def workspace(make_workspace: Callable[..., Path]) -> Path:
    """Errors and warnings to report: an unknown citation, an uncited evidence entry."""
    return make_workspace({"positions/other.yaml": OTHER})


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Each time the whole check runs (rather than a kept answer being given)."""
    runs: list[Any] = []
    original = check_command.check_now

    def check_now(root: Path, ids: list[str] | None = None) -> Any:
        runs.append(ids)
        return original(root, ids)

    monkeypatch.setattr(check_command, "check_now", check_now)
    return runs


EXPECTED = (
    "positions/other.yaml:3:30: error: unknown evidence 'nobody2020'; add it to a file in "
    "evidence/ or correct the key [unknown-citation]\n"
    "1 error(s), 0 warning(s) in 2 position(s) and 3 evidence item(s)\n"
)


def entry_file(root: Path, ids: list[str] | None = None) -> Path:
    return root / "build" / ".standpunt-cache" / f"check-{checked._name(ids)}.json"


def test_a_second_check_gives_the_whole_output_again_without_checking(
    workspace: Path, counted: list[Any]
) -> None:
    first = cli(workspace, "check")
    assert (first.exit_code, first.output) == (1, EXPECTED)
    second = cli(workspace, "check")
    assert (second.exit_code, second.output) == (1, EXPECTED)
    assert counted == [None]  # the second answer was the kept one
    assert entry_file(workspace).read_bytes()[64:65] == b"\n"  # the HMAC, then the JSON


def test_the_kept_answer_equals_an_uncached_check_of_the_demo(tmp_path: Path) -> None:
    from conftest import copy_demo

    demo = copy_demo(tmp_path / "demo")
    uncached = check_command.check_now(demo)
    assert check_command.check(demo) == uncached  # made and kept
    assert check_command.check(demo) == uncached  # the kept one
    assert cli(demo, "check", "--format", "json").output == (
        cli(demo, "check", "--format", "json").output
    )


def test_a_changed_file_is_checked_again(workspace: Path, counted: list[Any]) -> None:
    cli(workspace, "check")
    (workspace / "positions" / "other.yaml").write_text(OTHER.replace("nobody2020", "doe2019"))
    result = cli(workspace, "check")
    assert (result.exit_code, result.output) == (
        0,
        "0 error(s), 0 warning(s) in 2 position(s) and 3 evidence item(s)\n",
    )
    assert counted == [None, None]


def test_a_file_changed_in_the_same_size_and_time_is_checked_again(
    workspace: Path, counted: list[Any]
) -> None:
    """Files are compared by their bytes' hash, never by size and modification time."""
    cli(workspace, "check")
    path = workspace / "positions" / "other.yaml"
    before = os.stat(path)
    changed = OTHER.replace("nobody2020", "nobody2021")
    assert len(changed) == len(OTHER)
    path.write_text(changed)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    result = cli(workspace, "check")
    assert (result.exit_code, result.output) == (1, EXPECTED.replace("nobody2020", "nobody2021"))
    assert counted == [None, None]


@pytest.mark.parametrize(
    "damage",
    [
        "corrupt",
        "tampered",
        "cut-off",
        "foreign-key",
        "foreign-version",
        "link",
        "fifo",
        "linked-cache-folder",
    ],
)
def test_a_kept_answer_is_never_believed_when_damaged_or_foreign(
    workspace: Path,
    counted: list[Any],
    damage: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cli(workspace, "check")
    entry = entry_file(workspace)
    data = entry.read_bytes()
    # what a forger would like check to say: nothing wrong
    clean = data.replace(b'"problems":[[', b'"problems":[],"x":[[')
    assert clean != data
    if damage == "corrupt":
        entry.write_bytes(b"\x00garbage{")
    elif damage == "tampered":
        entry.write_bytes(clean)
    elif damage == "cut-off":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "foreign-key":  # made by another user (or machine): another key
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "someone-else"))
    elif damage == "foreign-version":
        checked._tools.cache_clear()
        monkeypatch.setattr(checked, "__version__", "0.0.0-other")
    elif damage == "link":
        elsewhere = tmp_path / "elsewhere.json"
        elsewhere.write_bytes(data)
        entry.unlink()
        entry.symlink_to(elsewhere)
    elif damage == "fifo":
        entry.unlink()
        os.mkfifo(entry)
    elif damage == "linked-cache-folder":
        folder = entry.parent
        moved = tmp_path / "moved-cache"
        folder.rename(moved)
        folder.symlink_to(moved, target_is_directory=True)
    result = cli(workspace, "check")
    assert (result.exit_code, result.output) == (1, EXPECTED)
    assert counted == [None, None]  # checked again, not believed
    checked._tools.cache_clear()


def test_without_a_place_for_the_key_nothing_is_kept(
    workspace: Path, counted: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    for _ in range(2):
        result = cli(workspace, "check")
        assert (result.exit_code, result.output) == (1, EXPECTED)
    assert counted == [None, None]
    assert not entry_file(workspace).exists()


def test_the_key_is_private_and_outside_the_workspace(workspace: Path, own_cache_key: Path) -> None:
    cli(workspace, "check")
    key = own_cache_key / "standpunt" / "cache-key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(key.read_bytes()) == 32
    assert not key.is_relative_to(workspace)


# --------------------------------------------------------------------------- one position


@pytest.fixture
def opened() -> Iterator[list[str]]:
    """Every file opened under a positions/ folder while the test runs (an audit hook)."""
    seen: list[str] = []
    active = [True]

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if active[0] and event == "open" and isinstance(args[0], str | Path):
            name = str(args[0])
            if f"{os.sep}positions{os.sep}" in name:
                seen.append(Path(name).name)

    sys.addaudithook(hook)
    yield seen
    active[0] = False  # audit hooks cannot be removed


@pytest.fixture
def crowded(make_workspace: Callable[..., Path]) -> Path:
    """The care position among a broken one and a hundred others."""
    files = {"positions/broken.yaml": BROKEN}
    files.update({f"positions/p{n:03d}.yaml": OTHER for n in range(100)})
    return make_workspace(files)


def test_check_of_one_id_reads_that_position_only_and_a_broken_one_does_not_count(
    crowded: Path, opened: list[str]
) -> None:
    result = cli(crowded, "check", "care")
    assert (result.exit_code, result.output) == (
        0,
        "0 error(s), 0 warning(s) in 1 position(s) and 3 evidence item(s)\n",
    )
    assert opened == ["care.yaml", "care.yaml"]  # hashed for the kept answer, then read
    opened.clear()
    again = cli(crowded, "check", "care")
    assert again.output == result.output
    assert opened == ["care.yaml"]  # hashed: the kept answer holds
    opened.clear()
    whole = cli(crowded, "check")
    assert whole.exit_code == 1
    assert "positions/broken.yaml:3:1: error:" in whole.output
    assert len(opened) == 2 * 102


def test_commands_of_one_id_read_that_position_only(
    crowded: Path, opened: list[str], isolated_git: None
) -> None:
    for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "positions"]):
        subprocess.run(["git", "-C", str(crowded), *command], check=True)
    for args in (["status", "care"], ["fingerprint", "care"], ["history", "care"]):
        opened.clear()
        result = cli(crowded, *args)
        assert result.exit_code == 0, result.output
        assert opened == ["care.yaml"], args
    opened.clear()
    result = cli(crowded, "status")
    assert result.exit_code == 0, result.output
    assert len(opened) == 102


def test_an_unknown_id_is_still_named_with_the_known_ones(crowded: Path) -> None:
    result = cli(crowded, "check", "car")
    assert result.exit_code == 2
    assert "no position 'car' in positions/ (did you mean 'care'?)" in result.output


def test_cache_entries_are_read_bounded(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cli(workspace, "check")
    monkeypatch.setattr(cache, "MAX_ENTRY", 10)
    assert cache.read_entry(workspace, "check", "all") is None


# --------------------------------------------------------------------------- the evidence index

OTHER_WORKS = """\
- id: far2020
  type: report
  title: A work nobody here cites
  issued: 2020
"""
MOVED = """\
- id: doe2019
  type: report
  title: A work nobody here cites
  issued: 2020
"""


@pytest.fixture
def libraries(make_workspace: Callable[..., Path]) -> Path:
    """care cites smith2021a, smith2021b and doe2019 (in refs.yaml); other.yaml holds far2020."""
    return make_workspace({"evidence/other.yaml": OTHER_WORKS})


@pytest.fixture
def evidence_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each evidence file parsed, as shown."""
    from standpunt.workspace import read

    seen: list[str] = []
    original = read._references

    def references(workspace: Any, path: Path, display: str) -> Any:
        seen.append(display)
        return original(workspace, path, display)

    monkeypatch.setattr(read, "_references", references)
    return seen


def index_file(root: Path) -> Path:
    return root / "build" / ".standpunt-cache" / "evidence-keys-all.json"


def test_after_check_one_id_reads_only_the_evidence_files_it_cites(
    libraries: Path, evidence_read: list[str]
) -> None:
    uncached = cli(libraries, "fingerprint", "care").output
    assert evidence_read == ["evidence/other.yaml", "evidence/refs.yaml"]  # no index yet
    assert not index_file(libraries).exists()  # only check keeps one
    cli(libraries, "check")
    # status reads none: nobody signed care, so its fingerprint is compared with nothing
    for args, read in ((["fingerprint", "care"], ["evidence/refs.yaml"]), (["status", "care"], [])):
        evidence_read.clear()
        result = cli(libraries, *args)
        assert result.exit_code == 0, result.output
        assert evidence_read == read, args
    assert cli(libraries, "fingerprint", "care").output == uncached


def test_a_tampered_or_foreign_index_is_not_believed(
    libraries: Path, evidence_read: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = cli(libraries, "fingerprint", "care").output
    cli(libraries, "check")
    entry = index_file(libraries)
    data = entry.read_bytes()
    # what a forger would like: refs.yaml holds nothing anyone cites, so it is never read
    forged = data.replace(b'"smith2021a"', b'"nobody0000"').replace(b'"doe2019",', b"")
    assert forged != data
    entry.write_bytes(forged)
    evidence_read.clear()
    assert cli(libraries, "fingerprint", "care").output == expected
    assert evidence_read == ["evidence/other.yaml", "evidence/refs.yaml"]
    entry.write_bytes(data)  # made under another user's key
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "someone-else"))
    evidence_read.clear()
    assert cli(libraries, "fingerprint", "care").output == expected
    assert evidence_read == ["evidence/other.yaml", "evidence/refs.yaml"]


def test_an_evidence_file_changed_in_the_same_size_and_time_is_read_again(
    libraries: Path, evidence_read: list[str]
) -> None:
    """A key moved into a file the index says holds none: found, by the file's bytes' hash."""
    cli(libraries, "check")
    path = libraries / "evidence" / "other.yaml"
    before = os.stat(path)
    assert len(MOVED) == len(OTHER_WORKS)
    path.write_text(MOVED)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    refs = libraries / "evidence" / "refs.yaml"
    refs.write_text(refs.read_text().replace("id: doe2019", "id: doe2018"))
    evidence_read.clear()
    result = cli(libraries, "fingerprint", "care")
    assert evidence_read == ["evidence/other.yaml", "evidence/refs.yaml"]
    # the same as a read of every file without any index
    index_file(libraries).unlink()
    assert cli(libraries, "fingerprint", "care").output == result.output


# --------------------------------------------------------------------------- the cited keys


@pytest.fixture
def texts_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each position whose citations were found in its texts (not taken from check's keys)."""
    from standpunt.cite import locate

    seen: list[str] = []
    original = locate.citations_in

    def citations_in(position: Any) -> Any:
        seen.append(position.id)
        return original(position)

    monkeypatch.setattr(locate, "citations_in", citations_in)
    return seen


def cited_file(root: Path) -> Path:
    return root / "build" / ".standpunt-cache" / "cited-keys-all.json"


def test_after_check_one_id_takes_the_keys_check_found(
    libraries: Path, texts_read: list[str]
) -> None:
    expected = cli(libraries, "fingerprint", "care").output
    cli(libraries, "check")
    texts_read.clear()
    for args in (["fingerprint", "care"], ["status", "care"]):
        result = cli(libraries, *args)
        assert result.exit_code == 0, result.output
    assert texts_read == []
    assert cli(libraries, "fingerprint", "care").output == expected


def test_kept_keys_are_not_believed_when_tampered_or_for_another_text(
    libraries: Path, texts_read: list[str]
) -> None:
    expected = cli(libraries, "fingerprint", "care").output
    cli(libraries, "check")
    entry = cited_file(libraries)
    data = entry.read_bytes()
    # what a forger would like: care cites nothing, so the evidence is not signed with it
    forged = data.replace(b'"smith2021a","smith2021a","smith2021b","doe2019","doe2019"', b"")
    assert forged != data
    entry.write_bytes(forged)
    texts_read.clear()
    assert cli(libraries, "fingerprint", "care").output == expected
    assert texts_read == ["care"]
    # the same size and time, another text: its own keys
    entry.write_bytes(data)
    path = libraries / "positions" / "care.yaml"
    before = os.stat(path)
    text = path.read_text()
    changed = text.replace("[@doe2019]", "[@far2020]")
    assert len(changed) == len(text)
    path.write_text(changed)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    texts_read.clear()
    fresh = cli(libraries, "fingerprint", "care").output
    assert texts_read == ["care"]
    cited_file(libraries).unlink()
    index_file(libraries).unlink()
    assert cli(libraries, "fingerprint", "care").output == fresh != expected
