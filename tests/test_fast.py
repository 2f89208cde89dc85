"""Builds that redo only what changed, identical bytes whatever --jobs, and the live preview."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from standpunt.cli import main

SECOND = """\
title: Another position
lang: en
sections:
  - title: One
    body: Only this work [@doe2019].
"""


def build(root: Path, *args: str):
    result = CliRunner().invoke(main, ["-C", str(root), "build", *args], catch_exceptions=False)
    return result


def built_ids(output: str) -> set[str]:
    return {line.split()[1] for line in output.splitlines() if line.startswith("built ")}


def test_second_build_builds_nothing_and_imports_no_weasyprint(make_workspace):
    root = make_workspace({"positions/second.yaml": SECOND})
    first = build(root, "--jobs", "1")
    assert first.exit_code == 0, first.output
    assert built_ids(first.output) == {"care", "second"}
    # named positions go through the per-output hashes ...
    again = build(root, "--jobs", "1", "care", "second")
    assert built_ids(again.output) == set()
    assert "0 built, 2 current (unchanged)" in again.output
    # ... a whole-workspace build through the one-pass digest of every input
    assert "nothing to build: every output is current" in build(root).output
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "standpunt", "-C", str(root), "build"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "nothing to build: every output is current" in done.stderr
    assert "standpunt.cli" in done.stderr and "weasyprint" not in done.stderr


EARLY_WORKER_PROBE = """\
import sys

import standpunt.render.workers as workers
from standpunt.cli import main

HEAVY = ("pydantic", "jinja2", "markdown_it", "weasyprint")
seen = []
start = workers.Pool.start


def recording_start(self):
    seen.append(([name for name in HEAVY if name in sys.modules], self.size))
    start(self)


if __name__ == "__main__":
    workers.Pool.start = recording_start
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
    print("first workers started after importing:", seen[0][0])
    print("workers started at first:", seen[0][1])
"""


def _probe(tmp_path: Path, root: Path, *args: str) -> str:
    probe = tmp_path / "probe.py"
    probe.write_text(EARLY_WORKER_PROBE, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(probe), "-C", str(root), "build", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "first workers started" in done.stdout, done.stdout + done.stderr
    return done.stdout


def test_the_first_workers_start_before_the_heavy_imports(make_workspace, tmp_path):
    # A cold build's critical path is the workers' import of WeasyPrint: it must start while
    # this process is still importing the schema, templates and Markdown machinery.
    root = make_workspace({"positions/second.yaml": SECOND})
    first = _probe(tmp_path, root, "--jobs", "2")
    assert "first workers started after importing: []" in first
    # a first build renders every position, so every worker starts at once ...
    assert "workers started at first: 2" in first
    assert (root / "build" / "care.pdf").is_file()
    assert (root / "build" / "second.pdf").is_file()
    # ... a later one starts one, as it may well have only one position to render
    second = root / "positions" / "second.yaml"
    second.write_text(SECOND.replace("Only this work", "Just this work"), encoding="utf-8")
    assert "workers started at first: 1" in _probe(tmp_path, root, "--jobs", "2")
    assert "workers started at first: 2" in _probe(tmp_path, root, "--jobs", "2", "--force")


def test_a_named_build_in_between_does_not_leave_a_stale_output_current(make_workspace):
    # whole build, then an edit built by name, then the edit undone: the workspace is as it
    # was at the whole build, but build/second.pdf holds the edit and must be made again
    root = make_workspace({"positions/second.yaml": SECOND})
    assert build(root, "--jobs", "1").exit_code == 0
    second = root / "positions" / "second.yaml"
    second.write_text(SECOND.replace("Another position", "An edited position"), "utf-8")
    assert built_ids(build(root, "--jobs", "1", "second").output) == {"second"}
    second.write_text(SECOND, "utf-8")
    again = build(root, "--jobs", "1")
    assert "nothing to build" not in again.output
    assert built_ids(again.output) == {"second"}
    assert "nothing to build: every output is current" in build(root).output


def test_a_page_only_build_imports_no_weasyprint(make_workspace):
    root = make_workspace()
    command = [sys.executable, "-X", "importtime", "-m", "standpunt", "-C", str(root), "build"]
    done = subprocess.run(
        [*command, "--format", "html", "--jobs", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (root / "build" / "care.html").is_file()
    assert "standpunt.render.template" in done.stderr  # the worker's imports are listed too ...
    assert "weasyprint" not in done.stderr  # ... and WeasyPrint is not among them


def test_changing_one_evidence_entry_rebuilds_exactly_its_positions(make_workspace):
    root = make_workspace({"positions/second.yaml": SECOND})
    assert build(root, "--jobs", "1").exit_code == 0
    refs = root / "evidence" / "refs.yaml"
    # smith2021a is cited by care only; doe2019 by both
    refs.write_text(refs.read_text().replace("First report on care markets", "First report"))
    assert built_ids(build(root, "--jobs", "1").output) == {"care"}
    refs.write_text(refs.read_text().replace("Coalitions and policy", "Coalitions and politics"))
    assert built_ids(build(root, "--jobs", "1").output) == {"care", "second"}


def test_changing_a_template_file_rebuilds_every_position(make_workspace):
    root = make_workspace({"positions/second.yaml": SECOND})
    own = root / "templates" / "house"
    own.mkdir(parents=True)
    (own / "position.html").write_text('{% extends "builtin/position.html" %}\n')
    config = root / "standpunt.yaml"
    config.write_text(config.read_text() + "template: house\n")
    assert build(root, "--jobs", "1").exit_code == 0
    assert built_ids(build(root, "--jobs", "1").output) == set()
    (own / "position.html").write_text(
        '{% extends "builtin/position.html" %}\n{% block cover %}<h1>House</h1>{% endblock %}\n'
    )
    assert built_ids(build(root, "--jobs", "1").output) == {"care", "second"}


def test_jobs_1_and_2_give_identical_bytes(make_workspace, tmp_path):
    root = make_workspace({"positions/second.yaml": SECOND})
    assert build(root, "--jobs", "1").exit_code == 0
    one = {p.name: p.read_bytes() for p in (root / "build").glob("*.pdf")}
    assert build(root, "--jobs", "2", "--force").exit_code == 0
    two = {p.name: p.read_bytes() for p in (root / "build").glob("*.pdf")}
    assert one.keys() == {"care.pdf", "second.pdf"}
    assert one == two


def _other_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_preview_answers_only_on_loopback_and_shows_edits_and_errors(make_workspace):
    from standpunt.preview.serve import preview_server

    root = make_workspace()
    with preview_server(root, ["care"], port=0) as (server, preview):
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        other = _other_address()
        if other is not None:
            with socket.socket() as sock:
                sock.settimeout(2)
                assert sock.connect_ex((other, port)) != 0

        def get(path: str, host_header: str = "127.0.0.1") -> tuple[int, str]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path, headers={"Host": f"{host_header}:{port}"})
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", "replace")

        status, page = get("/care")
        assert status == 200 and "Care is not a market" in page and "EventSource" in page
        assert get("/care", "attacker.example")[0] == 403
        assert get("/care.pdf")[0] == 200
        assert get("/con")[0] == 404  # not a position id, though it looks like one

        position = root / "positions" / "care.yaml"
        position.write_text(position.read_text().replace("Care is not a market", "Care is a right"))
        seen = preview.state.generation
        preview.refresh()
        assert preview.state.generation == seen + 2  # the page, then the PDF
        assert "Care is a right" in get("/care")[1]

        position.write_text(position.read_text().replace("[@doe2019]", "[@doe2091]"))
        preview.refresh()
        page = get("/care")[1]
        assert "positions/care.yaml:13:" in page and "unknown evidence" in page


def test_preview_reloads_when_a_file_changes(make_workspace):
    from standpunt.preview.serve import preview_server, watch

    root = make_workspace()
    stop = threading.Event()
    with preview_server(root, ["care"], port=0) as (_server, preview):
        seen = preview.state.generation
        watcher = threading.Thread(target=watch, args=(root, preview, stop), daemon=True)
        watcher.start()
        position = root / "positions" / "care.yaml"
        state = preview.state
        changed = False
        for attempt in range(20):  # the watcher may start after the first write; write again
            position.write_text(position.read_text() + f"# edit {attempt}\n")
            with state.changed:
                if state.changed.wait_for(lambda: state.generation > seen, timeout=3):
                    changed = True
                    break
        stop.set()
        watcher.join(timeout=30)
    assert changed


def test_the_preview_renders_under_the_limits_of_standpunt_yaml(make_workspace):
    from standpunt.preview.serve import Preview

    root = make_workspace()
    care = root / "positions/care.yaml"  # a report: a cover and a page, over a one-page limit
    care.write_text(care.read_text("utf-8") + "layout: report\n", "utf-8")
    config = root / "standpunt.yaml"
    preview = Preview(root, ["care"])
    try:
        preview.show("care", "pdf")  # a save makes again the PDF that was looked at
        assert preview.refresh().built == ["care"]
        config.write_text(config.read_text("utf-8") + "limits: {pages: 1}\n", "utf-8")
        state = preview.refresh()
        assert [p.code for p in state.problems] == ["page-limit"]
        config.write_text(config.read_text("utf-8").replace("pages: 1", "pages: 50"), "utf-8")
        assert preview.refresh().built == ["care"]
    finally:
        preview.close()


PREVIEW_ON = r"preview on http://127\.0\.0\.1:\d+/care \(Ctrl\+C stops\)"


def test_a_port_in_use_is_a_usage_error(make_workspace):
    root = make_workspace()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["-C", str(root), "serve", "care", "--port", str(port)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use [usage]\n"
    )


def test_an_os_error_while_watching_is_no_port_problem(make_workspace, monkeypatch):
    """Only creating the server is about the port: a watch limit reached later is not."""
    import re

    def out_of_watches(*args: object) -> None:
        raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr("standpunt.commands.preview.watch", out_of_watches)
    root = make_workspace()
    result = CliRunner().invoke(main, ["-C", str(root), "serve", "care", "--port", "0"])
    assert result.exit_code == 3
    assert result.stdout == ""
    first, rest = result.stderr.split("\n", 1)
    assert re.fullmatch(PREVIEW_ON, first)
    assert rest == (
        "standpunt serve: unexpected error (OSError: [Errno 28] inotify watch limit reached).\n"
        "This is a bug in Standpunt, not a problem in your files. Please report it, with the "
        "command you ran, what 'standpunt --version' prints, and what the command prints with "
        "--debug (standpunt --debug serve ...).\n"
    )


def test_a_corrupt_build_state_is_ignored(tmp_path):
    from standpunt.buildstate.state import STATE_FILE, BuildState

    path = tmp_path / STATE_FILE
    for corrupt in (
        "[1, 2]",
        '"outputs"',
        "{not json",
        '{"outputs": [1]}',
        '{"outputs": {"care.pdf": 1}, "workspace": null}',
        '{"outputs": {}, "workspace": 5}',
    ):
        path.write_text(corrupt, encoding="utf-8")
        assert BuildState.read(tmp_path) == BuildState(path), corrupt
    # well formed, but not signed with this user's key: a state that came with a workspace
    path.write_text('{"outputs": {"care.pdf": "abc"}, "workspace": "def"}', encoding="utf-8")
    assert BuildState.read(tmp_path) == BuildState(path)
    written = BuildState(path, {"care.pdf": "abc"}, "def", {"care.pdf": "0" * 64})
    written.write()
    assert BuildState.read(tmp_path) == written
    data = json.loads(path.read_text(encoding="utf-8"))
    data["made"]["care.pdf"] = "1" * 64  # its PDF's bytes claimed otherwise: the state is not
    path.write_text(json.dumps(data), encoding="utf-8")
    assert BuildState.read(tmp_path) == BuildState(path)


def test_a_pdf_replaced_or_removed_after_a_build_is_made_again(make_workspace):
    """The build folder says which PDFs it made; one replaced (a partner's workspace comes with
    its own build/) or removed since is made again, not taken for current."""
    root = make_workspace({"positions/second.yaml": SECOND})
    assert build(root).exit_code == 0
    made = (root / "build" / "care.pdf").read_bytes()
    (root / "build" / "care.pdf").write_bytes(b"%PDF-1.4\n% not what the build wrote\n")
    (root / "build" / "second.pdf").unlink()
    again = build(root)
    assert built_ids(again.output) == {"care", "second"}
    assert (root / "build" / "care.pdf").read_bytes() == made
    assert "nothing to build: every output is current" in build(root).output
    state = root / "build" / ".standpunt-state.json"
    forged = json.loads(state.read_text(encoding="utf-8"))
    forged["mac"] = "0" * 64  # a state signed with another key
    state.write_text(json.dumps(forged), encoding="utf-8")
    assert built_ids(build(root).output) == {"care", "second"}


LOADED_LIBRARIES = """\
import sys
from standpunt.render.workers import _libraries_from_the_loader_cache
if sys.argv[1] == "worker":
    with _libraries_from_the_loader_cache():
        import weasyprint
else:
    import weasyprint
import ctypes.util
assert ctypes.util.find_library.__name__ == "find_library", "the lookup was put back"
native = {line.split()[-1] for line in open("/proc/self/maps") if ".so" in line}
print(sorted(path for path in native if "lib-dynload" not in path))
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="Linux only: elsewhere the lookup is as it was"
)
def test_a_worker_loads_the_libraries_a_plain_import_of_weasyprint_loads():
    # A worker imports WeasyPrint looking library names up in the loader's cache only (no C
    # compiler run per name); the libraries it ends up with are the same, path for path.
    loaded = {
        how: subprocess.run(
            [sys.executable, "-c", LOADED_LIBRARIES, how],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for how in ("worker", "plain")
    }
    assert "libpango-1.0.so" in loaded["plain"]
    assert loaded["worker"] == loaded["plain"]


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="Linux only: elsewhere the lookup is as it was"
)
def test_one_listing_of_the_loader_cache_finds_what_ctypes_finds_name_by_name():
    # the names WeasyPrint tries, found and not found, and names a pattern could mistake
    import ctypes.util

    from standpunt.render.workers import _in_loader_cache, _loader_cache

    listing = _loader_cache()
    names = [
        *("pango-1.0", "libpango-1.0-0", "pangoft2-1.0", "gobject-2.0", "libgobject-2.0-0"),
        *("harfbuzz", "harfbuzz-subset", "fontconfig", "libfontconfig-1", "c", "m", "z"),
        *("pango", "pango-1", "no-such-library", "c++", "gcc_s", "a.b"),
    ]
    expected = [ctypes.util._findSoname_ldconfig(name) for name in names]  # type: ignore[attr-defined]
    assert [_in_loader_cache(listing, name) for name in names] == expected
    assert expected[0] == "libpango-1.0.so.0"
    assert expected[names.index("no-such-library")] is None
