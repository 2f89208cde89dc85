"""Hostile input, files: links, special files, huge files, tampered caches, a full disk, and
terminal escapes in user data.

Evidence: an audit hook records every file opened and every folder listed (a canary outside the
workspace must never appear), commands that could hang run in a child process under a time
guard and an address-space limit (a MemoryError or a hang is the failure), files a command must
not touch are compared byte for byte.
"""

from __future__ import annotations

import errno
import json
import os
import resource
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import standpunt
from conftest import CONFIG, POSITION, flat_text
from standpunt.cli import main

#: The source tree of the standpunt being tested (child processes run the same one).
SRC = Path(standpunt.__file__).resolve().parent.parent

# --------------------------------------------------------------------------- evidence


_WATCHED: list[str] = []
_SEEN: list[tuple[str, str]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _WATCHED or event not in ("open", "os.listdir", "os.scandir", "os.walk"):
        return
    target = args[0] if args else None
    if isinstance(target, (str, bytes, os.PathLike)):
        name = os.fsdecode(target)
        if any(name.startswith(watched) for watched in _WATCHED):
            _SEEN.append((event, name))


sys.addaudithook(_audit)


class Canary:
    """Files under tmp_path/outside: once armed, every open or listing of them is recorded."""

    def __init__(self, outside: Path) -> None:
        self.outside = outside

    def arm(self) -> None:
        _SEEN.clear()
        _WATCHED.append(str(self.outside))

    def touched(self) -> list[tuple[str, str]]:
        return list(_SEEN)


@pytest.fixture
def canary(tmp_path: Path) -> Iterator[Canary]:
    outside = tmp_path / "outside"
    outside.mkdir()
    yield Canary(outside)
    _WATCHED.clear()
    _SEEN.clear()


def cli(root: Path, *args: str) -> Result:
    """The command, in process; a traceback or an 'unexpected error' fails the test."""
    result = CliRunner().invoke(main, ["-C", str(root), *args], catch_exceptions=False)
    assert "Traceback" not in result.output and "unexpected error" not in result.output
    return result


def child(root: Path, *args: str, memory_mb: int = 2048, timeout: float = 120) -> str:
    """The command in a child process under an address-space limit and a hang guard; its
    whole output (stdout, then stderr)."""

    def limit() -> None:
        size = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    done = subprocess.run(
        [sys.executable, "-m", "standpunt", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        preexec_fn=limit,
        check=False,
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output and "MemoryError" not in output, output
    return output


def python(code: str, memory_mb: int = 1024, timeout: float = 120) -> str:
    """Python ``code`` in a child process under an address-space limit: its stdout."""

    def limit() -> None:
        size = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (size, size))

    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        preexec_fn=limit,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def root(make_workspace: Callable[..., Path]) -> Path:
    return make_workspace()


# --------------------------------------------------------------------------- reading


def test_hostile_files_config_linked_outside_is_refused_unread(
    root: Path, tmp_path: Path, canary: Canary
) -> None:
    secret = tmp_path / "outside/secret.yaml"
    secret.write_text(textwrap.dedent(CONFIG), encoding="utf-8")
    (root / "standpunt.yaml").unlink()
    (root / "standpunt.yaml").symlink_to(secret)
    canary.arm()
    for command in ("check", "status"):
        result = cli(root, command)
        assert result.exit_code == 1
        assert result.output == (
            "standpunt.yaml: error: this file is a link to a place outside the workspace; "
            "Standpunt reads only files inside it, so put the file itself here [unsafe-file]\n"
        )
    assert canary.touched() == []


@pytest.mark.parametrize(
    ("fifo", "expected"),
    [
        ("standpunt.yaml", "standpunt.yaml: error: this is not a regular file (it is a folder, "),
        ("positions/care.yaml", "positions/care.yaml:1:1: error: this is a link to a file "),
        ("evidence/refs.yaml", "evidence/refs.yaml:1:1: error: this is a link to a file outside"),
        ("signatures/care/swan.yaml", "signatures/care/swan.yaml:1:1: error: this is not a "),
    ],
)
def test_hostile_files_a_fifo_never_hangs_check(root: Path, fifo: str, expected: str) -> None:
    """A FIFO is opened without waiting for a writer, then refused: ``check`` ends."""
    path = root / fifo
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    os.mkfifo(path)
    output = child(root, "check", timeout=60)
    assert expected in output, output


def test_hostile_files_a_signature_linked_outside_is_refused_unread(
    root: Path, tmp_path: Path, canary: Canary
) -> None:
    secret = tmp_path / "outside/swan.yaml"
    secret.write_text("partner: swan\nby: Someone\n", encoding="utf-8")
    (root / "signatures/care").mkdir(parents=True)
    (root / "signatures/care/swan.yaml").symlink_to(secret)
    canary.arm()
    result = cli(root, "check")
    assert result.exit_code == 1
    assert "signatures/care/swan.yaml:1:1: error: " in result.output
    assert canary.touched() == []


def test_hostile_files_a_build_state_linked_to_dev_zero_is_ignored(root: Path) -> None:
    """Read bounded: under a 1 GB address space, /dev/zero as the state is simply no state."""
    (root / "build").mkdir()
    (root / "build/.standpunt-state.json").symlink_to("/dev/zero")
    code = (
        "from pathlib import Path\n"
        "from standpunt.buildstate.state import BuildState\n"
        f"state = BuildState.read(Path({str(root / 'build')!r}))\n"
        "print(state.outputs, state.workspace)\n"
    )
    assert python(code, memory_mb=1024, timeout=60) == "{} None\n"


def test_hostile_files_a_build_state_that_is_a_fifo_is_ignored(root: Path) -> None:
    (root / "build").mkdir()
    os.mkfifo(root / "build/.standpunt-state.json")
    code = (
        "from pathlib import Path\n"
        "from standpunt.buildstate.state import BuildState\n"
        f"print(BuildState.read(Path({str(root / 'build')!r})).outputs)\n"
    )
    assert python(code, timeout=60) == "{}\n"


def test_hostile_files_a_6_gb_sparse_asset_is_never_read_whole(root: Path) -> None:
    """Input hashing streams, and a file larger than any reader takes counts by its size and
    time: under a 1 GB address space the workspace digest is made, and the huge file's entry
    says so."""
    (root / "assets").mkdir()
    huge = root / "assets/huge.bin"
    with huge.open("wb") as handle:
        handle.truncate(6 * 2**30)
    info = huge.stat()
    code = (
        "from pathlib import Path\n"
        "from standpunt.buildstate.state import files_digest, workspace_digest\n"
        f"root = Path({str(root)!r})\n"
        "workspace_digest(root, {})\n"
        "print(files_digest([root / 'assets/huge.bin'], root))\n"
    )
    expected = {"assets/huge.bin": f"large:{6 * 2**30}:{info.st_mtime_ns}"}
    assert python(code, memory_mb=1024, timeout=60) == f"{expected}\n"


def test_hostile_files_hashing_reads_in_pieces(root: Path) -> None:
    """A 40 MB input is hashed with at most a few megabytes allocated (counted by tracemalloc)."""
    import hashlib
    import tracemalloc

    from standpunt.buildstate import state

    (root / "assets").mkdir()
    (root / "assets/big.bin").write_bytes(b"x" * (40 * 2**20))
    tracemalloc.start()
    try:
        digest = state.files_digest([root / "assets/big.bin"], root)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert digest == {"assets/big.bin": hashlib.sha256(b"x" * (40 * 2**20)).hexdigest()}
    assert peak < 4 * 2**20


def test_hostile_files_an_evidence_folder_outside_is_never_walked(
    root: Path, tmp_path: Path, canary: Canary
) -> None:
    outside = tmp_path / "outside/library"
    outside.mkdir()
    for number in range(3):
        (outside / f"refs{number}.yaml").write_text("- id: x\n  title: X\n", encoding="utf-8")
    config = root / "standpunt.yaml"
    config.write_text(config.read_text() + f"evidence:\n  - {outside}\n", encoding="utf-8")
    canary.arm()
    result = cli(root, "check")
    assert result.exit_code == 1
    assert f"evidence folder '{outside}' lies outside the workspace" in result.output
    result = cli(root, "build")
    assert result.exit_code == 1
    assert canary.touched() == []


@pytest.mark.parametrize("folder", ["/", "..", "/dev"])
def test_hostile_files_evidence_root_of_the_disk_is_a_located_error(
    root: Path, folder: str
) -> None:
    config = root / "standpunt.yaml"
    config.write_text(config.read_text() + f"evidence:\n  - {folder}\n", encoding="utf-8")
    for command in ("check", "build"):
        result = cli(root, command)
        assert result.exit_code == 1
        assert (
            f"standpunt.yaml:12:5: error: evidence folder '{folder}' lies outside the workspace "
            "[outside-workspace]"
        ) in result.output, result.output


# --------------------------------------------------------------------------- writing


def test_hostile_files_sign_through_a_link_into_evidence_overwrites_nothing(root: Path) -> None:
    """signatures/care → evidence/: the signature would land on evidence/swan.yaml."""
    victim = root / "evidence/swan.yaml"
    victim.write_text("- id: kept\n  title: Kept evidence\n", encoding="utf-8")
    (root / "signatures").mkdir()
    (root / "signatures/care").symlink_to(root / "evidence")
    result = cli(root, "sign", "care", "--partner", "swan", "--by", "An Peeters")
    assert result.exit_code != 0
    assert "'signatures/care' is a link" in result.output
    assert victim.read_text() == "- id: kept\n  title: Kept evidence\n"
    result = cli(root, "unsign", "care", "swan")
    assert result.exit_code != 0
    assert victim.read_text() == "- id: kept\n  title: Kept evidence\n"


def test_hostile_files_new_through_a_linked_positions_folder_writes_nothing(
    root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside-positions"
    outside.mkdir()
    for position in (root / "positions").iterdir():
        position.rename(outside / position.name)
    (root / "positions").rmdir()
    (root / "positions").symlink_to(outside)
    result = cli(root, "new", "Fair wages", "--id", "wages")
    assert result.exit_code != 0
    assert result.output == (
        "positions/wages.yaml: error: cannot write positions/wages.yaml: 'positions' is a link; "
        "Standpunt writes only into real folders inside the workspace, so replace the link by a "
        "folder [unsafe-file]\n"
    )
    assert sorted(p.name for p in outside.iterdir()) == ["care.yaml"]


def test_hostile_files_new_over_a_dangling_link_writes_nothing(root: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.yaml"
    (root / "positions/wages.yaml").symlink_to(target)
    result = cli(root, "new", "Fair wages", "--id", "wages")
    assert result.exit_code != 0
    assert not target.exists()


def test_hostile_files_serve_never_watches_a_link(root: Path, tmp_path: Path) -> None:
    """A linked templates/ (here to /) and an evidence folder outside are not watched: the
    watcher would follow them over the whole disk."""
    from standpunt.preview.serve import watched

    (root / "templates").symlink_to("/")
    (root / "assets").mkdir()
    config = root / "standpunt.yaml"
    config.write_text(config.read_text() + "evidence:\n  - /\n  - assets\n", encoding="utf-8")
    assert [p.relative_to(root).as_posix() for p in watched(root)] == [
        "standpunt.yaml",
        "positions",
        "evidence",
        "assets",
    ]


# --------------------------------------------------------------------------- caches


def _cache_entries(root: Path) -> list[Path]:
    folder = root / "build/.standpunt-cache"
    others = ("bibliography-", "parse-")  # the bibliography's and each file's parse
    return sorted(p for p in folder.glob("*.json") if not p.name.startswith(others))


def _signed_entry(entry: Path) -> tuple[bytes, dict[str, Any]]:
    """A citation cache entry: the user's signature, then its JSON."""
    mac, _, body = entry.read_bytes().partition(b"\n")
    return mac, json.loads(body)


def test_hostile_files_a_rewritten_citation_cache_never_reaches_the_page(root: Path) -> None:
    assert cli(root, "build", "--format", "html").exit_code == 0
    [entry] = _cache_entries(root)
    mac, data = _signed_entry(entry)
    for medium in data["media"].values():
        medium["fields"] = [
            [key, html + '<script>fetch("http://127.0.0.1:9/")</script><p onclick="x()">!</p>']
            for key, html in medium["fields"]
        ]
    entry.write_bytes(mac + b"\n" + json.dumps(data).encode("utf-8"))
    assert cli(root, "build", "--format", "html", "--force").exit_code == 0
    page = (root / "build/care.html").read_text(encoding="utf-8")
    assert "<script>fetch(" not in page and "onclick" not in page
    # The entry was made again, from pandoc: no trace of the rewrite is left.
    assert "<script>" not in _cache_entries(root)[0].read_text(encoding="utf-8")


def test_hostile_files_safe_but_false_words_in_the_cache_never_reach_the_pdf(root: Path) -> None:
    """A cache handed over with a workspace may hold words nobody wrote, in HTML as safe as
    pandoc's own: it is believed only with this user's signature, so the PDF says what the YAML
    says."""
    assert cli(root, "build").exit_code == 0
    [entry] = _cache_entries(root)
    mac, data = _signed_entry(entry)
    for medium in data["media"].values():
        medium["fields"] = [[key, "<p>POISONED: the opposite.</p>"] for key, _ in medium["fields"]]
    entry.write_bytes(mac + b"\n" + json.dumps(data).encode("utf-8"))
    assert cli(root, "build", "--force").exit_code == 0
    assert "POISONED" not in flat_text(root / "build/care.pdf")
    assert b"POISONED" not in entry.read_bytes()


@pytest.mark.parametrize(
    "content",
    [b"[" * 100_000 + b"]" * 100_000, b'{"media": 1}', b"\xff\xfe", b"{}"],
    ids=["deep", "wrong-shape", "not-utf8", "empty"],
)
def test_hostile_files_a_malformed_citation_cache_is_made_again(root: Path, content: bytes) -> None:
    assert cli(root, "build", "--format", "html").exit_code == 0
    [entry] = _cache_entries(root)
    good = entry.read_bytes()
    entry.write_bytes(content)
    result = cli(root, "build", "--format", "html", "--force")
    assert result.exit_code == 0, result.output
    assert entry.read_bytes() == good


def test_hostile_files_a_deep_bibliography_cache_is_ignored(root: Path) -> None:
    (root / "evidence/more.bib").write_text(
        "@book{roe2020, title={Care}, author={Roe, Ann}, year={2020}, publisher={P}}\n",
        encoding="utf-8",
    )
    assert cli(root, "check").exit_code == 0
    [entry] = sorted((root / "build/.standpunt-cache").glob("bibliography-*.json"))
    entry.write_bytes(b'{"csl": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    result = cli(root, "check")
    assert result.exit_code == 0, result.output


# --------------------------------------------------------------------------- a full disk


def _full_disk(monkeypatch: pytest.MonkeyPatch, when: Callable[[Path, int], bool]) -> None:
    """os.fsync fails with ENOSPC for the files ``when`` picks, by the temp file's folder and
    size (build/ or build/.standpunt-cache/; the state holds a few hundred bytes)."""
    real = os.fsync

    def fsync(fd: int) -> None:
        if when(Path(os.readlink(f"/proc/self/fd/{fd}")), os.fstat(fd).st_size):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def test_hostile_files_a_full_disk_during_the_state_write_loses_nothing(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli(root, "build").exit_code == 0
    state = root / "build/.standpunt-state.json"
    before, pdf = state.read_bytes(), (root / "build/care.pdf").read_bytes()
    (root / "positions/care.yaml").write_text(
        textwrap.dedent(POSITION).replace("crowds out", "drives out"), encoding="utf-8"
    )
    # The state (the last file written), and the cache: not the PDF.
    _full_disk(monkeypatch, lambda path, size: path.parent.name != "build" or size < 2048)
    result = cli(root, "build")
    assert result.exit_code != 0
    assert (
        "could not record what this build made in build/.standpunt-state.json: the disk is "
        "full (no space left); free some space and run the command again; every output written "
        "is whole, and the next build makes again what it cannot tell is current"
    ) in result.output
    assert state.read_bytes() == before
    assert (root / "build/care.pdf").read_bytes() != pdf  # the new PDF is whole and in place
    assert [p.name for p in (root / "build").iterdir() if p.name.startswith(".standpunt-tmp")] == []


def test_hostile_files_a_full_disk_during_an_output_write_keeps_the_old_pdf(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli(root, "build").exit_code == 0
    pdf = (root / "build/care.pdf").read_bytes()
    (root / "positions/care.yaml").write_text(
        textwrap.dedent(POSITION).replace("crowds out", "drives out"), encoding="utf-8"
    )
    _full_disk(monkeypatch, lambda path, size: path.parent.name == "build" and size > 2048)
    result = cli(root, "build")
    assert result.exit_code != 0
    assert (
        "could not write build/care.pdf: the disk is full (no space left); free some space and "
        "run the command again; the previous file, if there was one, is unchanged"
    ) in result.output
    assert (root / "build/care.pdf").read_bytes() == pdf
    assert [p.name for p in (root / "build").iterdir() if p.name.startswith(".standpunt-tmp")] == []


# --------------------------------------------------------------------------- terminal escapes


def test_hostile_files_escape_sequences_in_history_are_shown_not_obeyed(
    root: Path, isolated_git: None
) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git(
        "commit", "-q", "--author", "Evil\x1b]0;pwned\x07 <e@example.org>", "-m", "T\x1b[2J\x1b[31m"
    )
    result = cli(root, "history", "care")
    assert result.exit_code == 0
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "Evil\\x1b]0;pwned  T\\x1b[2J\\x1b[31m\n" in result.output


def test_hostile_files_escape_sequences_in_evidence_are_shown_not_obeyed(root: Path) -> None:
    """An evidence title (a partner's file) with escape sequences, listed as a table."""
    evidence = root / "evidence/refs.yaml"
    text = evidence.read_text(encoding="utf-8")
    hostile = 'title: "Coalitions\\e]0;pwned\\a and [bold]policy\\e[2J"'
    evidence.write_text(text.replace("title: Coalitions and policy", hostile), "utf-8")
    result = cli(root, "evidence", "list")
    assert result.exit_code == 0
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "Coalitions\\x1b]0;pwned\\x07 and [bold]policy\\x1b[2J" in result.output


def test_file_names_that_are_no_utf8_are_problems_shown_escaped(make_workspace) -> None:
    """A partner's files may be named in another encoding: each is the problem any such file
    is, its name shown with the byte escaped (never a bug report), and what is kept of the
    check is not kept rather than failing."""
    root = make_workspace()
    base = os.fsencode(root)
    with open(base + b"/evidence/\xff.yaml", "wb") as file:
        file.write(b"x\n")
    with open(base + b"/positions/\xe9t\xe9.yaml", "wb") as file:
        file.write(b"title: x\n")
    os.makedirs(base + b"/signatures/\xff")
    with open(base + b"/signatures/\xff/swan.yaml", "wb") as file:
        file.write(b"partner: swan\n")
    result = CliRunner().invoke(main, ["-C", str(root), "check"])
    assert (result.exit_code, result.output) == (
        1,
        "evidence/\\xff.yaml:1:1: error: an evidence file must hold a list of references (each "
        "starting with '- id:'), or 'references:' followed by that list [invalid-evidence]\n"
        "positions/\\xe9t\\xe9.yaml:1:1: error: '\\xe9t\\xe9.yaml' is not a valid position file "
        "name: the name before .yaml is the position's id and may hold only lower-case letters, "
        "digits and '-' (at most 64, starting with a letter or digit, and not a name Windows "
        "reserves such as 'con'); rename the file [invalid-id]\n"
        "signatures/\\xff/swan.yaml:1:1: error: 'by' is required but missing [missing-field]\n"
        "signatures/\\xff/swan.yaml:1:1: error: 'date' is required but missing [missing-field]\n"
        "signatures/\\xff/swan.yaml:1:1: error: 'fingerprint' is required but missing "
        "[missing-field]\n"
        "5 error(s), 0 warning(s) in 1 position(s) and 3 evidence item(s)\n",
    )
    status = CliRunner().invoke(main, ["-C", str(root), "status", "care", "\udcff"])
    assert (status.exit_code, status.output) == (
        2,
        "error: no position '\\xff' in positions/ [unknown-position]\n",
    )
