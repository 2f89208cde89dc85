"""Git facts about positions: stamps, history and old revisions, read without touching anything."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from standpunt.buildstate.state import _git_state
from standpunt.errors import StandpuntError
from standpunt.versions import git
from standpunt.versions.history import (
    Stamp,
    commit_info,
    history,
    previous_version,
    read_at,
    resolve,
    stamps,
)

#: 2026-03-01 12:00 UTC; each commit of a test is one hour later than the one before.
T0 = 1772366400

POSITION = """\
title: Care is not a market
version: "{label}"
status: {status}
sections:
  - title: The problem
    body: |
      {body}
signatories: [{signatories}]
"""


def position(
    body: str = "Market logic crowds out care.",
    status: str = "draft",
    label: str = "1.0",
    signatories: str = "swan",
) -> str:
    return POSITION.format(body=body, status=status, label=label, signatories=signatories)


pytestmark = pytest.mark.usefixtures("isolated_git")  # see conftest.py


class Repo:
    """A temporary repository whose workspace is the subfolder 'policy ws'."""

    def __init__(self, top: Path) -> None:
        self.top = top
        self.root = top / "policy ws"
        self.root.mkdir(parents=True)
        self.clock = T0
        self.git("-c", "init.defaultBranch=main", "init", "-q")

    def git(self, *args: str, cwd: Path | None = None) -> str:
        env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
        result = subprocess.run(
            ["git", *args], cwd=cwd or self.top, env=env, capture_output=True, check=True
        )
        return result.stdout.decode()

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def commit(self, message: str, *files: str) -> str:
        """Commit ``files`` (workspace-relative; all changes when none), one hour later."""
        self.clock += 3600
        self.git("add", "-A", "--", *(str(self.root / f) for f in files or ("",)))
        date = f"@{self.clock} +0100"
        env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        subprocess.run(["git", "commit", "-q", "-m", message], cwd=self.top, env=env, check=True)
        return self.git("rev-parse", "HEAD").strip()

    def log(self, *args: str) -> str:
        """What a user sees running ``git log`` in the workspace."""
        return self.git("log", *args, cwd=self.root).strip()


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "repo")
    repo.write("standpunt.yaml", "organisation:\n  name: Test\n")
    repo.write("positions/care.yaml", position())
    repo.write("evidence/reports é.yaml", "- id: smith2021\n  title: A report\n")
    repo.commit("First version")
    return repo


def stamp(root: Path, position_id: str, files: list[Path], label: str | None) -> Stamp:
    """The stamp of one position on its own."""
    return stamps(root, {position_id: (files, label)})[position_id]


def care(repo: Repo) -> list[Path]:
    return [repo.root / "positions/care.yaml", repo.root / "evidence/reports é.yaml"]


# --------------------------------------------------------------------------- stamp


def test_stamp_is_the_last_commit_touching_position_or_evidence(repo: Repo) -> None:
    repo.write("evidence/reports é.yaml", "- id: smith2021\n  title: A better report\n")
    full = repo.commit("Better evidence")
    repo.write("standpunt.yaml", "organisation:\n  name: Test again\n")
    repo.commit("Unrelated")

    result = stamp(repo.root, "care", care(repo), "1.0")

    expected = repo.log("-1", "--format=%h", "--", "positions/care.yaml", "evidence/reports é.yaml")
    assert result.commit == expected
    assert result.full_commit == full
    assert result.versioned and not result.modified
    assert result.timestamp == T0 + 2 * 3600
    assert result.date == dt.date(2026, 3, 1)  # 14:00 in the committer's time zone
    assert result.label == "1.0" and result.tag is None and result.reason is None


def test_committer_date_is_the_day_in_the_committers_time_zone(repo: Repo) -> None:
    repo.clock = T0 + 10 * 3600 + 1800  # the next commit: 23:30 UTC, 00:30 the next day at +0100
    repo.write("positions/care.yaml", position(body="Late at night."))
    repo.commit("Night work")
    assert stamp(repo.root, "care", care(repo), None).date == dt.date(2026, 3, 2)


def test_an_uncommitted_edit_is_modified(repo: Repo) -> None:
    before = stamp(repo.root, "care", care(repo), None)
    repo.write("positions/care.yaml", position(body="Edited, not committed."))
    after = stamp(repo.root, "care", care(repo), None)
    assert not before.modified
    assert after.modified and after.commit == before.commit


def test_a_staged_edit_is_modified(repo: Repo) -> None:
    repo.write("positions/care.yaml", position(body="Staged."))
    repo.git("add", "--", str(repo.root / "positions/care.yaml"))
    assert stamp(repo.root, "care", care(repo), None).modified


def test_a_new_untracked_evidence_file_is_modified(repo: Repo) -> None:
    new = repo.write("evidence/new one.yaml", "- id: doe2019\n  title: New\n")
    result = stamp(repo.root, "care", [*care(repo), new], None)
    assert result.versioned and result.modified


def test_an_ignored_evidence_file_is_modified(repo: Repo) -> None:
    repo.write(".gitignore", "private/\n")
    repo.commit("Ignore private")
    hidden = repo.write("private/notes.yaml", "- id: secret\n  title: Not in git\n")
    assert stamp(repo.root, "care", [*care(repo), hidden], None).modified


def test_changes_to_other_files_do_not_count(repo: Repo) -> None:
    repo.write("positions/other.yaml", position(body="Another position."))
    repo.write("standpunt.yaml", "organisation:\n  name: Changed\n")
    assert not stamp(repo.root, "care", care(repo), None).modified


def test_file_names_are_not_patterns(repo: Repo) -> None:
    repo.write("evidence/ref [1].yaml", "- id: a\n")
    repo.write("evidence/ref 1.yaml", "- id: b\n")
    repo.commit("Two look-alike files")
    repo.write("evidence/ref 1.yaml", "- id: b\n  title: changed\n")  # matches the glob [1]
    exact = [repo.root / "positions/care.yaml", repo.root / "evidence/ref [1].yaml"]
    assert not stamp(repo.root, "care", exact, None).modified


def test_a_position_never_committed_is_not_versioned(repo: Repo) -> None:
    new = repo.write("positions/fresh.yaml", position())
    result = stamp(repo.root, "fresh", [new], "0.1")
    assert not result.versioned and result.modified
    assert result.commit is None and result.label == "0.1"
    assert "not been committed" in (result.reason or "")


def test_outside_a_repository_nothing_is_versioned(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / "positions").mkdir(parents=True)
    file = root / "positions/care.yaml"
    file.write_text(position(), encoding="utf-8")

    result = stamp(root, "care", [file], "1.0")

    assert result == Stamp(
        False, label="1.0", reason="this workspace is not inside a git repository"
    )
    assert stamps(root, {"care": ([file], None)})["care"].versioned is False
    for call in (
        lambda: history(root, file),
        lambda: read_at(root, "HEAD", file),
        lambda: resolve(root, "HEAD"),
        lambda: previous_version(root, file),
        lambda: commit_info(root, "HEAD"),
    ):
        with pytest.raises(StandpuntError) as caught:
            call()
        assert caught.value.code == "not-versioned"
        assert "not inside a git repository" in caught.value.message


def test_a_repository_without_commits(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "empty")
    file = repo.write("positions/care.yaml", position())

    result = stamp(repo.root, "care", [file], None)

    assert not result.versioned
    assert result.reason == "this git repository has no commits yet"
    assert stamps(repo.root, {"care": ([file], None)})["care"] == result
    for call in (
        lambda: history(repo.root, file),
        lambda: resolve(repo.root, "HEAD"),
        lambda: read_at(repo.root, "HEAD", file),
        lambda: previous_version(repo.root, file),
    ):
        with pytest.raises(StandpuntError) as caught:
            call()
        assert caught.value.code == "not-versioned", caught.value.message
        assert "no commits" in caught.value.message


def test_without_git_the_build_still_gets_a_stamp(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = stamp(repo.root, "care", care(repo), None)
    assert not result.versioned and "git is not installed" in (result.reason or "")
    with pytest.raises(StandpuntError, match="git is not installed") as caught:
        history(repo.root, care(repo)[0])
    assert caught.value.code == "not-versioned"


def test_git_that_does_not_answer_in_time_is_explained(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tools = tmp_path / "slow-tools"
    tools.mkdir()
    slow = tools / "git"
    slow.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 10\n", encoding="utf-8")
    slow.chmod(0o755)
    monkeypatch.setenv("PATH", str(tools))
    monkeypatch.setattr(git, "TIMEOUT_SECONDS", 0.2)
    result = stamp(repo.root, "care", care(repo), None)
    assert result == Stamp(False, reason="git did not answer within 0.2 seconds")
    with pytest.raises(StandpuntError) as caught:
        history(repo.root, care(repo)[0])
    assert caught.value.code == "not-versioned"
    assert caught.value.message == (
        "cannot list the versions of positions/care.yaml: git did not answer within 0.2 "
        "seconds; versions are only known for positions kept in git"
    )
    assert _git_state(repo.root) == "no git: git did not answer within 0.2 seconds"


def test_a_tag_named_after_the_label_is_recognised(repo: Repo) -> None:
    repo.git("tag", "care/v1.0")
    assert stamp(repo.root, "care", care(repo), "1.0").tag == "care/v1.0"
    # A label written with its own "v" names the same tag.
    assert stamp(repo.root, "care", care(repo), "v1.0").tag == "care/v1.0"
    # Another label has no tag.
    assert stamp(repo.root, "care", care(repo), "1.1").tag is None


def test_an_annotated_tag_on_a_later_unrelated_commit_still_counts(repo: Repo) -> None:
    repo.write("standpunt.yaml", "organisation:\n  name: Changed\n")
    repo.commit("Unrelated")
    repo.git("tag", "-a", "-m", "Version 1.0", "care/v1.0")
    result = stamp(repo.root, "care", care(repo), "1.0")
    assert result.tag == "care/v1.0"
    assert result.commit == repo.log("-1", "--format=%h", "--", "positions/care.yaml")


def test_a_tag_on_another_version_of_the_files_does_not_count(repo: Repo) -> None:
    repo.git("tag", "care/v1.2")
    repo.write("positions/care.yaml", position(body="Changed after tagging.", label="1.2"))
    repo.commit("Changed")
    assert stamp(repo.root, "care", care(repo), "1.2").tag is None
    assert stamps(repo.root, {"care": (care(repo), "1.2")})["care"].tag is None


def test_stamps_for_many_positions_share_one_status(repo: Repo) -> None:
    other = repo.write("positions/other.yaml", position(body="Other."))
    repo.commit("Other position")
    repo.git("tag", "other/v1.0")
    repo.write("positions/care.yaml", position(body="Edited."))
    new = repo.write("positions/new.yaml", position())
    wanted = {
        "care": (care(repo), "1.0"),
        "other": ([other, care(repo)[1]], "1.0"),
        "new": ([new], None),
    }

    batch = stamps(repo.root, wanted)

    assert batch == {
        pid: stamp(repo.root, pid, files, label) for pid, (files, label) in wanted.items()
    }
    assert batch["care"].modified and not batch["other"].modified
    assert batch["other"].tag == "other/v1.0"
    assert not batch["new"].versioned
    assert stamps(repo.root, {}) == {}


# --------------------------------------------------------------------------- history


def test_history_lists_every_commit_touching_the_position_newest_first(repo: Repo) -> None:
    file = repo.root / "positions/care.yaml"
    repo.write("positions/care.yaml", position(body="Sharper wording."))
    repo.commit("Sharpen wording")
    repo.write("standpunt.yaml", "organisation:\n  name: Unrelated\n")
    repo.commit("Unrelated change")
    repo.write(
        "positions/care.yaml", position(body="Sharper wording.", status="adopted", label="1.1")
    )
    repo.commit("Adopted by the board")
    repo.write("positions/care.yaml", position("Sharper wording.", "adopted", "1.1", "swan, hbh"))
    repo.commit("HBH co-signs")
    repo.write("positions/care.yaml", position("Sharper wording.", "adopted", "1.1", "hbh, swan"))
    repo.commit("Reorder signatories")

    versions = history(repo.root, file)

    assert [v.commit for v in versions] == repo.log(
        "--format=%h", "--", "positions/care.yaml"
    ).split()
    assert [v.message for v in versions] == [
        "Reorder signatories",
        "HBH co-signs",
        "Adopted by the board",
        "Sharpen wording",
        "First version",
    ]
    assert [v.label for v in versions] == ["1.1", "1.1", "1.1", "1.0", "1.0"]
    assert [v.status for v in versions] == ["adopted", "adopted", "adopted", "draft", "draft"]
    assert [v.status_changed for v in versions] == [False, False, True, False, False]
    assert [v.signatories_changed for v in versions] == [False, True, False, False, False]
    assert {v.author for v in versions} == {"Ann Author"}
    assert versions[0].date == dt.date(2026, 3, 1)
    assert versions[0].full_commit == repo.git("rev-parse", "HEAD").strip()
    assert not any(v.removed for v in versions)


def test_history_survives_versions_that_do_not_parse_and_deletion(repo: Repo) -> None:
    file = repo.root / "positions/care.yaml"
    repo.write("positions/care.yaml", "title: [unclosed\n")
    repo.commit("Broken")
    repo.write("positions/care.yaml", position(status="withdrawn"))
    repo.commit("Repaired and withdrawn")
    file.unlink()
    repo.commit("Removed")

    versions = history(repo.root, file)

    assert [v.message for v in versions] == [
        "Removed",
        "Repaired and withdrawn",
        "Broken",
        "First version",
    ]
    assert [v.removed for v in versions] == [True, False, False, False]
    assert versions[2].label is None and versions[2].status is None
    # The status change is measured against the nearest older version that could be read.
    assert [v.status_changed for v in versions] == [False, True, False, False]


def test_history_of_a_file_never_committed_is_empty(repo: Repo) -> None:
    new = repo.write("positions/new.yaml", position())
    assert history(repo.root, new) == []
    assert previous_version(repo.root, new) is None


def test_history_and_reading_with_unicode_names(repo: Repo) -> None:
    file = repo.write("positions/zorg é.yaml", position())
    first = repo.commit("Unicode name")
    repo.write("positions/zorg é.yaml", position(body="Changed."))
    repo.commit("Change unicode")
    assert [v.message for v in history(repo.root, file)] == ["Change unicode", "Unicode name"]
    assert read_at(repo.root, first, file) == position().encode()


# --------------------------------------------------------------------------- revisions


def test_read_at_an_old_revision(repo: Repo) -> None:
    file = repo.root / "positions/care.yaml"
    first = repo.git("rev-parse", "HEAD").strip()
    repo.git("tag", "care/v1.0")
    repo.write("positions/care.yaml", position(body="New text."))
    repo.commit("New text")

    old = position().encode()
    assert read_at(repo.root, first, file) == old
    assert read_at(repo.root, first[:7], file) == old
    assert read_at(repo.root, "HEAD~1", file) == old
    assert read_at(repo.root, "care/v1.0", file) == old
    assert read_at(repo.root, "main", file) == position(body="New text.").encode()


def test_unknown_revisions_and_missing_files_are_explained(repo: Repo) -> None:
    file = repo.root / "positions/care.yaml"
    with pytest.raises(StandpuntError) as caught:
        read_at(repo.root, "v9.9", file)
    assert caught.value.code == "unknown-revision"
    assert "'v9.9' is not a commit, tag or branch" in caught.value.message

    new = repo.write("positions/new.yaml", position())
    repo.commit("New position")
    with pytest.raises(StandpuntError) as caught:
        read_at(repo.root, "HEAD~1", new)
    assert caught.value.code == "unknown-revision"
    assert "positions/new.yaml does not exist at revision 'HEAD~1'" in caught.value.message
    assert str(caught.value.location) == "positions/new.yaml"

    for bad in ("", "--output=/tmp/x", "HEAD~99"):
        with pytest.raises(StandpuntError) as caught:
            resolve(repo.root, bad)
        assert caught.value.code == "unknown-revision"


def test_resolve_and_commit_info(repo: Repo) -> None:
    head = repo.git("rev-parse", "HEAD").strip()
    repo.git("tag", "-a", "-m", "annotated", "care/v1.0")
    assert resolve(repo.root, "care/v1.0") == head
    assert resolve(repo.root, " HEAD ") == head
    info = commit_info(repo.root, "care/v1.0")
    assert (info.full_commit, info.message, info.author) == (head, "First version", "Ann Author")
    assert info.commit == repo.log("-1", "--format=%h")
    assert info.timestamp == T0 + 3600 and info.date == dt.date(2026, 3, 1)


def test_previous_version_rule(repo: Repo) -> None:
    file = repo.root / "positions/care.yaml"
    first = repo.git("rev-parse", "HEAD").strip()
    # Committed once and unchanged: nothing to compare with.
    assert previous_version(repo.root, file) is None
    # Uncommitted edits: compare the last commit with the working tree.
    repo.write("positions/care.yaml", position(body="Draft edit."))
    assert previous_version(repo.root, file) == first
    # Committed: compare the commit before with the working tree (= the last commit).
    second = repo.commit("Edit")
    repo.write("standpunt.yaml", "organisation:\n  name: Unrelated\n")
    repo.commit("Unrelated")
    assert previous_version(repo.root, file) == first
    repo.write("positions/care.yaml", position(body="Another edit."))
    assert previous_version(repo.root, file) == second


# --------------------------------------------------------------------------- read-only


def snapshot(top: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of the repository and its working tree: modification time and bytes."""
    found: dict[str, tuple[int, bytes]] = {}
    for dirpath, _dirnames, filenames in os.walk(top):
        for name in filenames:
            path = Path(dirpath, name)
            found[str(path.relative_to(top))] = (path.stat().st_mtime_ns, path.read_bytes())
    return found


def test_nothing_in_the_repository_or_working_tree_is_written(repo: Repo) -> None:
    file = repo.root / "positions/care.yaml"
    repo.git("tag", "care/v1.0")
    repo.write("positions/care.yaml", position(body="Second."))
    repo.commit("Second")
    repo.write("positions/care.yaml", position(body="Uncommitted."))
    new = repo.write("evidence/untracked.yaml", "- id: x\n")
    # Make the index's record of a clean file stale, so that a plain `git status` would want
    # to refresh and rewrite the index.
    evidence = repo.root / "evidence/reports é.yaml"
    os.utime(evidence, ns=(evidence.stat().st_atime_ns, evidence.stat().st_mtime_ns + 10**9))
    status = repo.git("status", "--porcelain", "-uall")
    before = snapshot(repo.top)

    stamp(repo.root, "care", [*care(repo), new], "1.0")
    stamps(repo.root, {"care": ([*care(repo), new], "1.0"), "x": ([new], None)})
    history(repo.root, file)
    read_at(repo.root, "care/v1.0", file)
    resolve(repo.root, "HEAD~1")
    commit_info(repo.root, "HEAD")
    previous_version(repo.root, file)
    with pytest.raises(StandpuntError):
        read_at(repo.root, "nope", file)

    assert snapshot(repo.top) == before
    assert repo.git("status", "--porcelain", "-uall") == status
    # The check above can fail: git itself does rewrite the index here when allowed to.
    index = repo.top / ".git/index"
    mtime = index.stat().st_mtime_ns
    subprocess.run(["git", "status"], cwd=repo.top, capture_output=True, check=True)
    assert index.stat().st_mtime_ns != mtime


def test_all_git_calls_are_read_only_and_literal(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every git command run carries the read-only settings, and paths follow a '--'."""
    calls: list[tuple[list[str], dict[str, str]]] = []
    real_popen = subprocess.Popen

    def spy(args: list[str], **kwargs: object) -> subprocess.Popen[bytes]:
        calls.append((list(args), dict(kwargs["env"])))  # type: ignore[arg-type]
        return real_popen(args, **kwargs)  # type: ignore[call-overload, no-any-return]

    head = repo.log("-1", "--format=%H")
    monkeypatch.setattr(git.subprocess, "Popen", spy)
    file = repo.root / "positions/care.yaml"
    stamp(repo.root, "care", care(repo), None)
    history(repo.root, file)
    previous_version(repo.root, file)
    assert calls
    # The build's record of the git state runs git the same way.
    before = len(calls)
    assert _git_state(repo.root).startswith(f"0:{head}\n")
    assert len(calls) == before + 2
    allowed = {"log", "ls-tree", "rev-parse", "cat-file", "for-each-ref", "show", "rev-list"}
    for args, env in calls:
        assert env["GIT_OPTIONAL_LOCKS"] == "0"
        assert "--literal-pathspecs" in args and "core.quotepath=off" in args
        command = next(a for a in args[1:] if not a.startswith("-") and "=" not in a)
        assert command in allowed
        if "positions/care.yaml" in args:
            assert args.index("--") < args.index("positions/care.yaml")


def test_files_above_the_workspace_in_the_same_repository(repo: Repo) -> None:
    shared = repo.top / "shared" / "common.yaml"
    shared.parent.mkdir()
    shared.write_text("- id: common\n", encoding="utf-8")
    repo.git("add", "--", str(shared))
    repo.commit("Shared evidence")
    files = [*care(repo), shared]
    assert not stamp(repo.root, "care", files, None).modified
    shared.write_text("- id: common\n  title: changed\n", encoding="utf-8")
    single = stamp(repo.root, "care", files, None)
    assert single.modified
    assert stamps(repo.root, {"care": (files, None)})["care"] == single
    assert read_at(repo.root, "HEAD", shared) == b"- id: common\n"
