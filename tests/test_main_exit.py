"""``python -m standpunt`` ends without the interpreter's teardown, as a normal exit otherwise:
the command's exit code, all its output, and every temporary file removed."""

from __future__ import annotations

import multiprocessing.process
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import POSITION
from standpunt.cli import main


def standpunt(root: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    tmp.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "standpunt", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "TMPDIR": str(tmp)},
    )


def test_a_build_ends_with_its_output_its_code_and_no_temporary_file(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_workspace()
    tmp = tmp_path / "tmp"
    done = standpunt(root, tmp, "build")
    assert (done.returncode, done.stdout, done.stderr) == (
        (0, "built care → build/care.pdf\n", "1 built\n")
    )
    # the warm pandoc's folder, the render workers' folders and git's home: all removed,
    # some of them by exit handlers
    assert sorted(tmp.iterdir()) == []


def test_the_exit_codes_are_the_commands(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_workspace()
    tmp = tmp_path / "tmp"
    (root / "positions" / "care.yaml").write_text("title: [\n", encoding="utf-8")
    broken = standpunt(root, tmp, "check")
    assert broken.returncode == 1 and "error:" in broken.stdout + broken.stderr
    wrong = standpunt(root, tmp, "no-such-command")
    assert (wrong.returncode, wrong.stdout) == (2, "")
    assert wrong.stderr.endswith("Error: No such command 'no-such-command'.\n")
    assert sorted(tmp.iterdir()) == []


def test_a_long_output_is_written_whole(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    # more than a pipe's buffer: what is still buffered when the command ends is written
    positions = {
        f"positions/p{n:03d}.yaml": POSITION.replace("Care is not a market", f"Position {n}")
        for n in range(1200)
    }
    root = make_workspace(positions)
    done = standpunt(root, tmp_path / "tmp", "list")
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stdout.splitlines() if "Position 1199" in line] != []
    assert len(done.stdout) > 65536


HANGING = (
    '{% extends "builtin/position.html" %}\n'
    '{% block cover %}{% set s = "x" * 200000 %}'
    "{% for a in s %}{% for b in s %}{% endfor %}{% endfor %}{% endblock %}\n"
)


def _tree(root_pid: int) -> list[int]:
    """``root_pid``'s descendants that are still running (not zombies), from /proc."""
    children: dict[int, list[int]] = {}
    states: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
            states[int(entry)] = fields[0]
    found, stack = [], list(children.get(root_pid, []))
    while stack:
        pid = stack.pop()
        if states.get(pid) != "Z":
            found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def test_a_build_stopped_by_sigterm_stops_its_workers_and_removes_their_files(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    """A CI job cancelled, or `timeout`: the command stops its render workers (also the one a
    worker forked) and removes their temporary folders, as Ctrl-C does."""
    root = make_workspace(
        {
            "templates/hang/position.html": HANGING,
            "positions/more.yaml": POSITION,
        }
    )
    config = root / "standpunt.yaml"
    config.write_text(config.read_text() + "template: hang\nlimits: {seconds: 120}\n")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    build = _build_started(
        [sys.executable, "-m", "standpunt", "-C", str(root), "build", "--jobs", "2"], tmp
    )
    _until_workers(build, poll=0.2)
    time.sleep(2)  # both workers are rendering the hanging page
    workers = _tree(build.pid)
    build.terminate()
    assert build.wait(timeout=30) == 143
    assert _still_running(workers, seconds=10) == []
    assert sorted(p.name for p in tmp.iterdir()) == []


@pytest.mark.parametrize("when", ["starting", "rendering", "starting, no stdin"])
def test_workers_of_a_killed_build_remove_their_folders_and_end_quietly(
    make_workspace: Callable[..., Path], tmp_path: Path, when: str
) -> None:
    """A build killed outright (SIGKILL: the system out of memory, `kill -9`) cannot stop its
    workers: each ends by itself when it finds nobody at the other end of its pipe (while it
    starts, waits for a job, or hands one back), removes its folder of temporary files
    (WeasyPrint's copies of the fonts), and prints nothing. Its pandoc, whose input ends,
    removes the folder of the styles and references written for it."""
    more = {f"positions/more{n}.yaml": POSITION for n in range(6)}
    root = make_workspace(more)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    # with no stdin, the command's end of a worker's pipe gets its number, 0
    closed = "<&-" if "no stdin" in when else ""
    script = f'exec "$0" -m standpunt -C "$1" build --jobs 2 {closed}'
    build = _build_started(
        ["sh", "-c", script, sys.executable, str(root)], tmp, stdout=subprocess.DEVNULL
    )
    deadline = _until_workers(build, poll=0.01)
    workers = _tree(build.pid)
    folders = sorted(p.name for p in tmp.glob("standpunt-render-*"))
    while when == "rendering" and not any((root / "build").glob("*.pdf")):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    build.kill()
    assert build.wait(timeout=30) == -9
    later = time.monotonic() + 60
    assert _still_running(workers, seconds=60) == []
    assert len(folders) == 2

    # left: only the empty HOME the command gave git (removed at its exit, which never came)
    def left() -> list[str]:
        return sorted(p.name for p in tmp.iterdir() if not p.name.startswith("standpunt-git-"))

    while left() and time.monotonic() < later:  # pandoc may end last
        time.sleep(0.2)
    assert left() == []
    assert build.stderr is not None and build.stderr.read() == ""


def _build_started(
    command: list[str], tmp: Path, stdout: int = subprocess.PIPE
) -> subprocess.Popen[str]:
    """``command`` (a build) in a session of its own, its temporary files in ``tmp``."""
    return subprocess.Popen(
        command,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp)},
        start_new_session=True,
    )


def _until_workers(build: subprocess.Popen[str], poll: float) -> float:
    """Wait (up to a minute) until ``build`` runs its two workers and pandoc; the deadline."""
    deadline = time.monotonic() + 60
    while len(_tree(build.pid)) < 3 and time.monotonic() < deadline:
        time.sleep(poll)
    return deadline


def _still_running(pids: list[int], seconds: float) -> list[int]:
    """Those of ``pids`` still running (not ended, not a zombie) after waiting up to
    ``seconds`` for all of them to end."""

    def running(pid: int) -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        return state != "Z"

    later = time.monotonic() + seconds
    while any(running(pid) for pid in pids) and time.monotonic() < later:
        time.sleep(0.2)
    return [pid for pid in pids if running(pid)]


def test_output_nobody_reads_does_not_stop_the_work(
    make_workspace: Callable[..., Path], tmp_path: Path
) -> None:
    """`standpunt build | head -1`: the reader leaves, the build still makes every PDF and ends
    as it would have; a full disk under the output is an error, said when the work is done."""
    root = make_workspace({"positions/more.yaml": POSITION})
    gone = subprocess.Popen(
        [sys.executable, "-m", "standpunt", "-C", str(root), "build"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert gone.stdout is not None
    gone.stdout.close()  # before the build prints anything
    _, err = gone.communicate(timeout=120)
    assert (gone.returncode, err) == (0, "2 built\n")
    assert sorted(p.name for p in (root / "build").glob("*.pdf")) == ["care.pdf", "more.pdf"]

    # a table (rich) whose reader left before it was printed: the same quiet end
    reader, writer = os.pipe()
    os.close(reader)
    try:
        unread = subprocess.run(
            [sys.executable, "-m", "standpunt", "-C", str(root), "evidence", "list"],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(writer)
    assert (unread.returncode, unread.stderr) == (0, "")

    with open("/dev/full", "w") as full:
        listed = subprocess.run(
            [sys.executable, "-m", "standpunt", "-C", str(root), "evidence", "list"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert (listed.returncode, listed.stderr) == (
        1,
        "error: the output could not be written (No space left on device)\n",
    )


def test_a_closed_output_is_no_bug(make_workspace: Callable[..., Path]) -> None:
    """`standpunt build >&-` (a service, a cron job without output): the work is done, and
    what would have been printed goes nowhere; no bug report for a missing terminal."""
    root = make_workspace()
    ran = {
        command: subprocess.run(
            ["sh", "-c", f'exec "$0" -m standpunt -C "$1" {command} >&-', sys.executable, root],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        for command in ("build", "status", "evidence list")
    }
    assert {command: (done.returncode, done.stderr) for command, done in ran.items()} == {
        "build": (0, "1 built\n"),
        "status": (0, ""),
        "evidence list": (0, ""),
    }
    assert (root / "build" / "care.pdf").is_file()


def test_a_build_stopped_while_it_starts_stops_what_it_started(
    make_workspace: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    started: list[multiprocessing.process.BaseProcess],
) -> None:
    """Ctrl-C or SIGTERM after the render workers started and before the build's pandoc did:
    the workers are stopped and their folders removed, as for a stop at any later moment."""
    import tempfile

    from standpunt.build import build as build_module

    def stopped(*_: object) -> None:
        raise KeyboardInterrupt

    root = make_workspace({"positions/more.yaml": POSITION})
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setattr(build_module, "_cite_early", stopped)
    result = CliRunner().invoke(main, ["-C", str(root), "build", "--force", "--jobs", "2"])
    assert (result.exit_code, result.output) == (130, "stopped\n")
    assert len(started) == 1
    assert [process for process in started if process.is_alive()] == []
    assert sorted(p.name for p in tmp.iterdir()) == []


def test_no_resource_is_left_to_the_collector(make_workspace: Callable[..., Path]) -> None:
    """With every warning an error (PYTHONWARNINGS=error, as a careful CI runs Python), a build
    says only what it built: pandoc's message stream was left open for the collector."""
    root = make_workspace()
    done = subprocess.run(
        [sys.executable, "-m", "standpunt", "-C", str(root), "build"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
        check=False,
        timeout=120,
    )
    assert (done.returncode, done.stderr) == (0, "1 built\n")


def test_a_ctrl_c_while_the_command_line_is_imported_is_a_stop() -> None:
    """Ctrl-C while `python -m standpunt` still imports its command line: "stopped" and 130,
    as later, not Python's traceback of its import machinery; a command started with Ctrl-C
    ignored (a shell's background job) still ignores it, and a later Ctrl-C is Python's."""
    after = {
        how: subprocess.run(
            [
                sys.executable,
                "-c",
                "import signal, sys\n"
                f"signal.signal(signal.SIGINT, signal.{how})\n"
                "import standpunt.__main__\n"
                f"print(signal.getsignal(signal.SIGINT) is signal.{how})",
            ],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        for how in ("default_int_handler", "SIG_IGN")
    }
    assert after == {"default_int_handler": "True\n", "SIG_IGN": "True\n"}
    stop = "import signal, standpunt.__main__ as m\nm._stopped_while_starting(signal.SIGINT, None)"
    done = subprocess.run([sys.executable, "-c", stop], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "stopped\n")


def test_a_stop_during_an_import_comes_once_the_import_is_done() -> None:
    """A Ctrl-C or SIGTERM raised inside Python's import system (or a fork's lock keeping, or
    a finaliser) can be swallowed there and leave a lock held, and the command then hung. Such a
    stop waits, and is asked again a hundredth of a second later; elsewhere it comes at once."""
    script = textwrap.dedent(
        """
        import signal, sys
        import standpunt.__main__ as m

        def __del__():  # a finaliser's frame, as Python runs one
            return m._stopped(signal.SIGINT, sys._getframe())

        def plain():
            return m._stopped(signal.SIGINT, sys._getframe())

        print(m._importing(sys._getframe()), __del__(), m._deferred, m.STOPS)
        armed = signal.getitimer(signal.ITIMER_REAL)[0] > 0
        signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            plain()
        except KeyboardInterrupt:
            print(armed, "interrupted", m._deferred, m.STOPS)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert (done.stdout, done.stderr) == (
        "False None [<Signals.SIGINT: 2>] []\nTrue interrupted [] [<Signals.SIGINT: 2>]\n",
        "",
    )


def test_a_stop_a_library_turned_into_its_own_error_is_a_stop(
    make_workspace: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """pydantic reports a Ctrl-C during its schema building as a SchemaError: after a stop, the
    command says "stopped" and ends with 130, not with a bug report."""
    from standpunt import cli
    from standpunt.commands import check as check_command

    def interrupted(*_: object, **__: object) -> None:
        cli.STOPS.append(int(signal.SIGINT))
        raise ValueError("Error building 'model' validator: KeyboardInterrupt")

    monkeypatch.setattr(check_command, "check", interrupted)
    root = make_workspace()
    result = CliRunner().invoke(main, ["-C", str(root), "check"])
    assert (result.exit_code, result.output) == (130, "stopped\n")


def test_a_stop_the_preview_s_watcher_turned_into_ctrl_c_keeps_its_signal(
    make_workspace: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """watchfiles reports any signal as a KeyboardInterrupt: a SIGTERM is still a SIGTERM."""
    from standpunt import cli
    from standpunt.commands import check as check_command

    def terminated(*_: object, **__: object) -> None:
        cli.STOPS.append(int(signal.SIGTERM))
        raise KeyboardInterrupt

    monkeypatch.setattr(check_command, "check", terminated)
    root = make_workspace()
    result = CliRunner().invoke(main, ["-C", str(root), "check"])
    assert (result.exit_code, result.output) == (143, "stopped\n")


def test_a_preview_stopped_by_sigterm_ends_with_143(make_workspace: Callable[..., Path]) -> None:
    """Stopped while it waits for a save (in the file watcher): "stopped", and 128 + SIGTERM,
    as a build stopped so."""
    root = make_workspace()
    preview = subprocess.Popen(
        [sys.executable, "-m", "standpunt", "-C", str(root), "serve", "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert preview.stderr is not None
    first = preview.stderr.readline()
    assert first.startswith("preview on http://127.0.0.1:"), first
    time.sleep(0.5)  # in the watcher by now
    preview.send_signal(signal.SIGTERM)
    rest = preview.stderr.read()
    assert (preview.wait(timeout=30), rest) == (143, "stopped\n")
