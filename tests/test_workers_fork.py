"""Render workers that make PDFs start as one process, which forks the others once warm.

The first worker imports WeasyPrint and reads the hyphenation of the languages to come; each
further worker is a fork of it. The first is itself a fork of the command where the command
runs one thread (on Linux), else a fresh interpreter. These tests run real workers: what a
forked worker makes is what a worker of its own makes, byte for byte; one stopped at the time
limit is replaced and the others go on; a worker whose forker died starts afresh; and no
process outlives the pool.
"""

from __future__ import annotations

import json
import multiprocessing.process
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from standpunt.limits import Limits
from standpunt.render import workers
from standpunt.render.request import PdfSettings
from standpunt.render.template import TemplateSet
from standpunt.workspace.paths import BUILTIN_TEMPLATES

PAGE = """\
<!DOCTYPE html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ word }}</title>
<style>@font-face { font-family: Kept; src: url(kept.ttf) } body { font-family: Kept }</style>
</head>
<body><h1>{{ word }}</h1><p style="hyphens: auto">{{ text }}</p>
{% if word == 'loop' %}{% set s = 'x' * 999999 %}{% for i in s %}{% for j in s %}{% endfor %}\
{% endfor %}{% endif %}
</body></html>
"""

TEXT = "Organisations give the signals of social workers a voice in policy and public debate. "


@pytest.fixture
def templates(tmp_path: Path) -> TemplateSet:
    folder = tmp_path / "template"
    folder.mkdir()
    (folder / "position.html").write_text(PAGE, encoding="utf-8")
    font = BUILTIN_TEMPLATES / "default" / "fonts" / "NotoSerif-Regular.ttf"
    (folder / "kept.ttf").write_bytes(font.read_bytes())
    return TemplateSet("forks", (folder,))


def print_job(templates: TemplateSet, word: str, lang: str = "en") -> workers.Job:
    context = {"word": word, "lang": lang, "text": TEXT * 20}
    pdf = PdfSettings(roots=templates.folders, epoch=315532800)
    return workers.Job(word, templates, context, "print", pdf)


def run_all(pool: workers.Pool, jobs: list[workers.Job]) -> dict[str, workers.JobResult]:
    results: dict[str, workers.JobResult] = {}
    pool.run(jobs, lambda result: results.__setitem__(result.key, result))
    return results


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_pdf_workers_start_as_one_process_and_make_the_same_bytes(
    templates: TemplateSet, started: list[object]
) -> None:
    words = ["alpha", "beta", "gamma", "delta"]
    with workers.Pool(2, Limits(), langs=("en",)) as pool:
        pool.start()
        assert len(started) == 1  # the second worker is a fork of the first
        forked = run_all(pool, [print_job(templates, word) for word in words])
        pids = [worker.process.pid for worker in pool._workers]
        scratch = [worker.scratch for worker in pool._workers]
        assert all(any(Path(folder).iterdir()) for folder in scratch)
    assert len(started) == 1
    assert len(set(pids)) == 2 and None not in pids
    with workers.Pool(1, Limits()) as alone:
        own = run_all(alone, [print_job(templates, word) for word in words])
    assert sorted(forked) == sorted(own) == sorted(words)
    for word in words:
        assert forked[word].error is None, forked[word].error
        assert forked[word].data is not None and forked[word].data.startswith(b"%PDF-")
        assert forked[word].data == own[word].data
    assert [pid for pid in pids if pid is not None and not gone(pid)] == []
    # WeasyPrint's copies of the fonts went into each worker's folder, removed with it
    assert [folder for folder in scratch if Path(folder).exists()] == []


def test_a_forked_worker_stopped_at_the_time_limit_is_replaced_and_the_others_go_on(
    templates: TemplateSet, started: list[object]
) -> None:
    jobs = [print_job(templates, "loop"), print_job(templates, "after")]
    with workers.Pool(2, Limits(seconds=3)) as pool:
        pool.start()
        forked = pool._workers[1]
        # the first job goes to the last worker that became free: the forked one
        results = run_all(pool, jobs)
        assert forked not in pool._workers  # replaced by a worker of its own
        pids = [worker.process.pid for worker in pool._workers]
    assert forked.process.pid is not None and gone(forked.process.pid)
    assert results["loop"].error is not None
    assert results["loop"].error.code == "time-limit"
    assert results["after"].error is None and results["after"].data is not None
    assert len(started) == 2  # the one process, and the replacement
    assert [pid for pid in pids if pid is not None and not gone(pid)] == []


def test_a_worker_whose_forker_never_forked_it_starts_afresh_with_its_job(
    templates: TemplateSet, started: list[object]
) -> None:
    job = print_job(templates, "orphan")
    with workers.Pool(1, Limits()) as pool:
        ours, theirs = multiprocessing.get_context("spawn").Pipe()
        scratch = templates.folders[0].parent / "scratch"
        scratch.mkdir()
        waiting = workers._Worker(workers._Forked(), ours, str(scratch))
        pool._workers = [waiting]
        pool._send(waiting, job)
        theirs.close()  # what the forker does with a pipe it cannot fork a worker for
        fresh, free = pool._receive(waiting, job, lambda result: None)
        assert (free, fresh in pool._workers, waiting in pool._workers) == (False, True, False)
        assert isinstance(fresh.process, multiprocessing.process.BaseProcess)
        assert fresh.conn.recv()[0] == "ready"
        status, key, (data, notices, logged) = fresh.conn.recv()
    assert (status, key, notices, logged) == ("ok", "orphan", [], [])
    assert data.startswith(b"%PDF-")
    assert not scratch.exists()  # the folder of the worker that never started, removed
    assert len(started) == 1


FROM_THE_COMMAND = """\
import json, os, pickle, sys
from multiprocessing import resource_tracker
from standpunt.limits import Limits
from standpunt.render import workers

jobs = pickle.loads(open(sys.argv[1], "rb").read())
held = open(sys.argv[2], "w")  # a file the command has open while its workers start
import signal  # the command's own ends of a stop and of its processor time
signal.signal(signal.SIGTERM, lambda *_: None)
signal.signal(signal.SIGXCPU, lambda *_: None)
assert workers._may_fork(), "one thread"
results = {}
with workers.Pool(2, Limits(), langs=("en",)) as pool:
    pool.start()
    pool.run(jobs, lambda result: results.__setitem__(result.key, result))
    first = pool._workers[0].process.pid
    fds = os.listdir(f"/proc/{first}/fd")
    opened = sorted(os.readlink(f"/proc/{first}/fd/{fd}") for fd in fds)
    scratch = [worker.scratch for worker in pool._workers]
    status = open(f"/proc/{first}/status").read()
    def named(field):  # the named signals (glibc handles two unnamed ones of its own)
        mask = int(status.split(field + ":")[1].split()[0], 16)
        return [n for n in sorted(signal.Signals) if mask >> (n - 1) & 1]
print(json.dumps({
    "caught": named("SigCgt"),
    "blocked": named("SigBlk"),
    "blocked here": sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])),
    "tracker": resource_tracker._resource_tracker._fd,
    "held": [path for path in opened if path == sys.argv[2]],
    "pdfs": {key: result.data.hex() for key, result in results.items()},
    "errors": [str(result.error) for result in results.values() if result.error],
    "gone": [folder for folder in scratch if not os.path.exists(folder)] == scratch,
}))
"""


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="Linux: elsewhere workers are spawned")
def test_a_command_of_one_thread_forks_its_first_worker_which_makes_the_same_bytes(
    templates: TemplateSet, tmp_path: Path
) -> None:
    # No second interpreter and no resource tracker; the worker keeps none of the command's
    # open files (a file it held would stay open, and locked, after the command ended).
    words = ["alpha", "beta", "gamma"]
    jobs = tmp_path / "jobs.pickle"
    jobs.write_bytes(pickle.dumps([print_job(templates, word) for word in words]))
    held = tmp_path / "held.txt"
    run = subprocess.run(
        [sys.executable, "-c", FROM_THE_COMMAND, str(jobs), str(held)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    own = {word: workers.run_job(print_job(templates, word), Limits()) for word in words}
    assert (seen["tracker"], seen["held"], seen["errors"], seen["gone"]) == (None, [], [], True)
    # the worker handles Ctrl-C its own way, and no other signal the command handled; the
    # stops held back while it was forked reach both again
    assert seen["caught"] == [int(signal.SIGINT)]
    assert (seen["blocked"], seen["blocked here"]) == ([], [])
    assert seen["pdfs"] == {word: data.hex() for word, data in own.items()}


def test_page_workers_start_each_on_its_own(templates: TemplateSet, started: list[object]) -> None:
    # a page-only build never imports WeasyPrint, so there is nothing to share by forking
    with workers.Pool(2, Limits(), pdf=False) as pool:
        pool.start()
        assert len(started) == 2
        assert all(
            isinstance(w.process, multiprocessing.process.BaseProcess) for w in pool._workers
        )


def test_the_warm_up_fills_what_a_first_render_fills(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyphen

    from standpunt.render import template
    from standpunt.workspace.paths import BUILTIN_TEMPLATES

    monkeypatch.setattr(pyphen, "hdcache", {})
    monkeypatch.setattr(template, "_ENVIRONMENTS", {})
    workers._warm_up(("nl-BE", "en"), ())
    read = sorted(Path(path).name for path in pyphen.hdcache)
    assert read == sorted(
        Path(str(pyphen.LANGUAGES[pyphen.language_fallback(lang)])).name for lang in ("nl-BE", "en")
    )
    default = TemplateSet("default", (BUILTIN_TEMPLATES / "default",))
    (env,) = template._ENVIRONMENTS.values()
    assert list(template._ENVIRONMENTS) == [default]
    assert env.cache is not None
    compiled = list(env.cache.keys())
    assert [name for _, name in compiled] == ["position.html"]


def test_the_warm_up_stops_when_a_job_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyphen

    from standpunt.render import template

    monkeypatch.setattr(pyphen, "hdcache", {})
    monkeypatch.setattr(template, "_ENVIRONMENTS", {})
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    ours.send("a job")
    workers._warm_up(("en",), (theirs,))
    assert (pyphen.hdcache, template._ENVIRONMENTS) == ({}, {})
