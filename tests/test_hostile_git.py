"""Hostile input, git: a repository a partner handed over runs none of the commands it configures.

One repository is armed with every mechanism by which git runs a program its configuration or
``.gitattributes`` names: the file system monitor, clean and smudge filters, textconv, an external
diff (set through ``includeIf``), a pager, hooks, a configuration included from outside the
repository (setting the monitor), the SSH command and askpass of a partial clone's promisor remote
(a missing object makes git fetch it), a credential helper and the signature program. Each program
leaves a marker file. ``test_hostile_git_the_traps_are_armed`` proves, on a copy, that plain git
commands do run them; then ``build``, ``diff``, ``history``, ``status``, ``sign`` and ``check``
run on the repository, and no marker may appear.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import CONFIG, EVIDENCE, POSITION
from standpunt.cli import main
from standpunt.errors import StandpuntError
from standpunt.versions import git, history
from standpunt.versions.git import GitUnavailable, run_git

#: Each mechanism, by the marker its program leaves.
MECHANISMS = (
    "fsmonitor",
    "filter-clean",
    "filter-smudge",
    "textconv",
    "external-diff",
    "pager",
    "hook",
    "included-filter",
    "ssh-command",
    "askpass",
    "credential",
    "gpg",
)

#: The commands run on the hostile repository, with their arguments.
COMMANDS = {
    "build": ("build", "--allow-modified"),  # the adopted text is edited since its commit
    "diff": ("diff", "care", "--format", "text"),
    "diff-pdf": ("diff", "care", "HEAD~1", "HEAD"),
    "history": ("history", "care"),
    "status": ("status",),
    "sign": ("sign", "care", "--partner", "swan", "--by", "An Peeters"),
    "check": ("check",),
}

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Ann Author",
    "GIT_AUTHOR_EMAIL": "ann@example.org",
    "GIT_COMMITTER_NAME": "Cas Committer",
    "GIT_COMMITTER_EMAIL": "cas@example.org",
}


def git_cmd(root: Path, *args: str, check: bool = True) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_ENV, GIT_CEILING_DIRECTORIES=str(root.parent))
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(done.stderr)
    return done.stdout


def script(folder: Path, name: str, marker: Path, body: str) -> Path:
    path = folder / name
    path.write_text(f'#!/bin/sh\ntouch "{marker}"\n{body}\n', encoding="utf-8")
    path.chmod(0o755)
    return path


@dataclass
class Hostile:
    root: Path
    markers: Path
    outputs: dict[str, Result]

    def fired(self) -> list[str]:
        return sorted(p.name for p in self.markers.iterdir())


def arm(base: Path) -> tuple[Path, Path]:
    """A committed workspace (two versions of the position, the second edited again in the
    working tree) whose repository configures a program for every mechanism."""
    root, markers, tools = base / "ws", base / "markers", base / "tools"
    for folder in (root, markers, tools):
        folder.mkdir(parents=True)
    files = {
        "standpunt.yaml": CONFIG,
        "evidence/refs.yaml": EVIDENCE,
        "positions/care.yaml": POSITION,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    git_cmd(root, "init", "-q", "-b", "main")
    git_cmd(root, "add", "-A")
    git_cmd(root, "commit", "-q", "-m", "First")
    position = root / "positions/care.yaml"
    position.write_text(position.read_text().replace("crowds out", "pushes out"), "utf-8")
    git_cmd(root, "commit", "-q", "-am", "Second")
    old_blob = git_cmd(root, "rev-parse", "HEAD~1:positions/care.yaml").strip()
    position.write_text(position.read_text().replace("pushes out", "drives out"), "utf-8")

    mark = {name: markers / name for name in MECHANISMS}
    tool = {
        "fsmonitor": script(tools, "fsmonitor", mark["fsmonitor"], "exit 1"),
        "clean": script(tools, "clean", mark["filter-clean"], "cat"),
        "smudge": script(tools, "smudge", mark["filter-smudge"], "cat"),
        "textconv": script(tools, "textconv", mark["textconv"], 'cat "$1"'),
        "external": script(tools, "external", mark["external-diff"], "exit 0"),
        "pager": script(tools, "pager", mark["pager"], "cat"),
        "included": script(tools, "included", mark["included-filter"], "exit 1"),
        "ssh": script(tools, "ssh", mark["ssh-command"], "exit 1"),
        "askpass": script(tools, "askpass", mark["askpass"], "echo secret"),
        "credential": script(tools, "credential", mark["credential"], "exit 1"),
        "gpg": script(tools, "gpg", mark["gpg"], "exit 1"),
    }
    hooks = tools / "hooks"
    hooks.mkdir()
    for name in (
        "pre-commit",
        "post-index-change",
        "reference-transaction",
        "post-checkout",
        "pre-auto-gc",
        "post-rewrite",
        "fsmonitor-watchman",
        "pre-push",
    ):
        script(hooks, name, mark["hook"], "exit 0")
        shutil.copy2(hooks / name, root / ".git/hooks" / name)
    (root / ".gitattributes").write_text(
        "*.yaml filter=evil diff=evil\n*.yml filter=evilproc\n", encoding="utf-8"
    )
    included = base / "included.gitconfig"  # outside the repository
    included.write_text(f'[filter "evilproc"]\n\tprocess = {tool["included"]}\n', "utf-8")
    conditional = base / "conditional.gitconfig"
    conditional.write_text(f"[diff]\n\texternal = {tool['external']}\n", encoding="utf-8")
    with (root / ".git/config").open("a", encoding="utf-8") as config:
        config.write(
            textwrap.dedent(
                f"""\
                [core]
                \trepositoryformatversion = 1
                \tfsmonitor = {tool["fsmonitor"]}
                \tpager = {tool["pager"]}
                \thooksPath = {hooks}
                \tsshCommand = {tool["ssh"]}
                \taskPass = {tool["askpass"]}
                \tuntrackedCache = true
                [extensions]
                \tpartialClone = origin
                [remote "origin"]
                \turl = ssh://partner.invalid/repo.git
                \tpromisor = true
                \tfetch = +refs/heads/*:refs/remotes/origin/*
                [filter "evil"]
                \tclean = {tool["clean"]}
                \tsmudge = {tool["smudge"]}
                \trequired = true
                [diff "evil"]
                \ttextconv = {tool["textconv"]}
                [pager]
                \tlog = {tool["pager"]}
                \tshow = {tool["pager"]}
                \tstatus = {tool["pager"]}
                [credential]
                \thelper = {tool["credential"]}
                [gpg]
                \tprogram = {tool["gpg"]}
                [log]
                \tshowSignature = true
                [include]
                \tpath = {included}
                [includeIf "gitdir:/"]
                \tpath = {conditional}
                """
            )
        )
    # The promisor remote is asked for an object that is missing: the first version's text.
    (root / ".git/objects" / old_blob[:2] / old_blob[2:]).unlink()
    return root, markers


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    base = tmp_path_factory.mktemp("hostile-git")
    root, markers = arm(base)
    outputs = {}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in GIT_ENV.items():
            patch.setenv(name, value)
        patch.setenv("GIT_CEILING_DIRECTORIES", str(base))
        for name, args in COMMANDS.items():
            outputs[name] = CliRunner().invoke(main, ["-C", str(root), *args])
    yield Hostile(root, markers, outputs)


def test_hostile_git_the_traps_are_armed(tmp_path: Path) -> None:
    """Plain git, on a copy armed the same way, runs every program (so the others can fail)."""
    root, markers = arm(tmp_path)
    fired = []
    for args in (
        ("status",),  # fsmonitor, clean filter
        ("diff",),  # external diff (set through includeIf)
        ("diff", "--no-ext-diff", "--textconv", "HEAD"),  # textconv
        ("cat-file", "-p", "HEAD~1:positions/care.yaml"),  # lazy fetch: the SSH command
        ("add", "new.yml"),  # the filter process the included configuration sets
        ("commit", "--allow-empty", "-m", "x"),  # hooks
        ("checkout", "HEAD", "--", "evidence/refs.yaml"),  # smudge filter
    ):
        (root / "new.yml").write_text("x\n", encoding="utf-8")
        if args[0] == "checkout":
            (root / "evidence/refs.yaml").unlink()
        git_cmd(root, *args, check=False)
        fired.append(sorted(p.name for p in markers.iterdir()))
    assert fired == [
        ["filter-clean", "fsmonitor", "hook"],  # the hook: status rewrites the index
        # An external diff is handed the old text as git checks it out: smudged.
        ["external-diff", "filter-clean", "filter-smudge", "fsmonitor", "hook"],
        *[
            sorted(["external-diff", "filter-clean", "filter-smudge", "fsmonitor", "hook", *more])
            for more in (
                ["textconv"],
                ["textconv", "ssh-command"],
                ["textconv", "ssh-command", "included-filter"],
                ["textconv", "ssh-command", "included-filter"],
                ["textconv", "ssh-command", "included-filter"],
            )
        ],
    ]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_hostile_git_no_command_ends_in_a_traceback(hostile: Hostile, command: str) -> None:
    result = hostile.outputs[command]
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_hostile_git_mechanism_never_runs(hostile: Hostile, mechanism: str) -> None:
    assert mechanism not in hostile.fired(), {n: r.output for n, r in hostile.outputs.items()}


def test_hostile_git_the_commands_still_work(hostile: Hostile) -> None:
    """Disarming the repository does not disable the commands: the build stamps the position
    as edited since its commit, the history lists both commits (the first one's text is
    missing from the repository), the redline shows the edit."""
    out = hostile.outputs
    assert out["build"].exit_code == 0, out["build"].output
    assert (hostile.root / "build/care.pdf").is_file()
    lines = out["history"].output.splitlines()
    assert [line.split("  ", 3)[-1] for line in lines] == ["Second", "First  [file removed]"]
    assert out["diff"].exit_code == 0, out["diff"].output
    assert "drives" in out["diff"].output and "pushes" in out["diff"].output


def test_hostile_git_only_object_database_subcommands_run(tmp_path: Path) -> None:
    """The runner refuses a subcommand that reads the working tree, and options that run a
    driver, before git starts."""
    for args in (
        ("status",),
        ("diff",),
        ("log", "-p"),
        ("show", "--textconv"),
        ("cat-file", "--filters"),
    ):
        with pytest.raises(ValueError, match="Standpunt does not run"):
            run_git(tmp_path, *args)


def test_hostile_git_environment_ignores_user_configuration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GIT_DIR", "/elsewhere")
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", "/bin/evil")
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.fsmonitor'='/bin/evil'")
    env = git.git_environment()
    assert "GIT_DIR" not in env and "GIT_EXTERNAL_DIFF" not in env
    assert "GIT_CONFIG_PARAMETERS" not in env
    assert env["GIT_CONFIG_NOSYSTEM"] == "1" and env["GIT_CONFIG_GLOBAL"] == os.devnull
    assert env["HOME"] == env["XDG_CONFIG_HOME"] and os.listdir(env["HOME"]) == []


# --------------------------------------------------------------------------- bounded reads


@pytest.fixture
def big_history(tmp_path: Path) -> Path:
    """A position whose first commit is 6 MB (over the 5 MB limit), then a small one."""
    root = tmp_path / "ws"
    for name, text in {"standpunt.yaml": CONFIG, "evidence/refs.yaml": EVIDENCE}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    position = root / "positions/care.yaml"
    position.parent.mkdir()
    position.write_text(textwrap.dedent(POSITION) + "# " + "x" * (6 * 2**20) + "\n", "utf-8")
    git_cmd(root, "init", "-q", "-b", "main")
    git_cmd(root, "add", "-A")
    git_cmd(root, "commit", "-q", "-m", "Huge")
    position.write_text(textwrap.dedent(POSITION), "utf-8")
    git_cmd(root, "commit", "-q", "-am", "Small")
    return root


class Counted:
    """How many bytes git's answers held, over every call."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.bytes = 0
        real = git.run_git

        def counting(*args: object, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
            result = real(*args, **kwargs)  # type: ignore[arg-type]
            self.bytes += len(result.stdout)
            return result

        monkeypatch.setattr(history, "run_git", counting)


def test_hostile_git_history_never_reads_a_blob_over_the_limit(
    big_history: Path, monkeypatch: pytest.MonkeyPatch, isolated_git: None
) -> None:
    counted = Counted(monkeypatch)
    versions = history.history(big_history, big_history / "positions/care.yaml")
    assert [(v.message, v.removed, v.status) for v in versions] == [
        ("Small", False, "adopted"),
        ("Huge", False, None),
    ]
    assert counted.bytes < 64 * 1024  # the 6 MB text was never read


def test_hostile_git_a_redline_from_a_blob_over_the_limit_is_a_located_error(
    big_history: Path, monkeypatch: pytest.MonkeyPatch, isolated_git: None
) -> None:
    counted = Counted(monkeypatch)
    with pytest.raises(StandpuntError) as caught:
        history.read_at(big_history, "HEAD~1", big_history / "positions/care.yaml")
    assert caught.value.code == "file-too-large"
    assert str(caught.value.location) == "positions/care.yaml"
    assert caught.value.message.startswith("positions/care.yaml at revision 'HEAD~1' (")
    assert caught.value.message.endswith(
        ") is 6 MB, larger than the 5 MB Standpunt reads; it was not read"
    )
    assert counted.bytes < 64 * 1024


def test_hostile_git_an_answer_over_the_cap_stops_git(
    big_history: Path, monkeypatch: pytest.MonkeyPatch, isolated_git: None
) -> None:
    """git's answer is read up to a cap, then git is stopped: never held whole in memory."""
    monkeypatch.setattr(git, "MAX_OUTPUT_BYTES", 1024 * 1024)
    with pytest.raises(GitUnavailable) as caught:
        run_git(big_history, "cat-file", "blob", "HEAD~1:positions/care.yaml")
    assert caught.value.reason == (
        "git's answer is larger than 1 MB, more than Standpunt reads (the repository holds a "
        "very large file or commit message)"
    )


def test_hostile_git_a_repository_of_another_user_is_explained(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give the repository to another user")
    root = tmp_path / "ws"
    root.mkdir()
    git_cmd(root, "init", "-q")
    os.chown(root, 65534, 65534)
    os.chown(root / ".git", 65534, 65534)
    with pytest.raises(GitUnavailable) as caught:
        run_git(root, "rev-parse", "HEAD")
    assert caught.value.reason.startswith("this git repository belongs to another user account")


def test_hostile_git_a_configuration_that_blocks_is_waited_for_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_git: None
) -> None:
    """A ``.git/config`` that includes a FIFO blocks every git call until the time limit. The
    build waits for that once: the repository is not asked again, and the position is built
    as not versioned (before, each of a build's git calls waited its full time)."""
    root = tmp_path / "ws"
    for name, text in (
        ("standpunt.yaml", CONFIG),
        ("positions/care.yaml", POSITION.replace("status: adopted", "status: draft")),
        ("evidence/refs.yaml", EVIDENCE),
    ):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    git_cmd(root, "init", "-q")
    git_cmd(root, "add", "-A")
    git_cmd(root, "commit", "-q", "-m", "First")
    os.mkfifo(root / ".git/blocking")
    with (root / ".git/config").open("a", encoding="utf-8") as config:
        config.write("[include]\n\tpath = blocking\n")
    started: list[list[str]] = []
    real_popen = subprocess.Popen

    def counted(command: list[str], *args: object, **kwargs: object) -> object:
        started.append(command)
        return real_popen(command, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(git, "TIMEOUT_SECONDS", 1.0)
    monkeypatch.setattr(git.subprocess, "Popen", counted)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    result = CliRunner().invoke(main, ["-C", str(root), "build"])
    assert result.exit_code == 0, result.output
    assert (root / "build/care.pdf").is_file()
    assert len([c for c in started if c[0] == "git"]) == 1
    with pytest.raises(GitUnavailable) as caught:
        run_git(root, "rev-parse", "HEAD")
    assert caught.value.reason == "git did not answer within 1 seconds"
    assert len([c for c in started if c[0] == "git"]) == 1
