"""Issue 14, item 3: every algorithm that touches a partner's text is linear, or bounded with a
clear error past its bound, and the main process runs each command under limits.

How work is measured, without asserting seconds:

* Where the work is Python's own (did-you-mean), it is counted: every comparison of two texts
  goes through difflib's ``SequenceMatcher.set_seq1``, and a counter there fails the test as
  soon as the count passes the bound (so the quadratic version fails at once, not after
  minutes).
* Where it is done inside a regular expression or a ``str`` method (C code no counter reaches),
  the work at size n and at 4n is compared: the processor time this thread spends (the least
  of three runs), whose ratio is about 4 for linear work and 16 for quadratic work. The
  comparison runs in a child process whose processor time is capped (``RLIMIT_CPU``), so that
  the quadratic version, which needs minutes at these sizes, is stopped and fails the test
  instead of hanging it. Inputs are a few hundred kilobytes at 4n.
"""

from __future__ import annotations

import difflib
import json
import os
import resource
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import standpunt
from conftest import POSITION
from standpunt.cli import main

HERE = Path(__file__).resolve().parent
SRC = Path(standpunt.__file__).resolve().parent.parent
#: Linear work grows about 4 times from n to 4n, quadratic work 16 times.
LINEAR_RATIO = 8.0
#: Processor seconds the child measuring one case may use: linear cases use well under one.
CHILD_CPU_SECONDS = 30


# --------------------------------------------------------------------------- the cases


def _fingerprint(n: int) -> tuple[Callable[[Any], Any], Any]:
    from standpunt.coalition.fingerprint import normalise_text

    # a run of spaces that does not end the line: `[ \t]+$` tried it from every space
    return normalise_text, " " * n + "x\n" + "word  \t \n" * (n // 10)


def _bibtex(n: int) -> tuple[Callable[[Any], Any], Any]:
    from standpunt.workspace.bibtex import scan_bibtex

    # one long word at an entry's top level, no '=': the field pattern tried every letter
    text = "@book{key,\n  title = {T},\n  " + "a" * n + "\n}\n"
    return (lambda t: scan_bibtex(t, "evidence/x.bib")), text


def _stylesheet(n: int) -> tuple[Callable[[Any], Any], Any]:
    from standpunt.render import template

    # unclosed url( one after the other: each was read to the end of the stylesheet
    css = "body { background: url(" * (n // 20)
    return (lambda c: template._RELATIVE_URL.sub("", c)), css


def _font_face(n: int) -> tuple[Callable[[Any], Any], Any]:
    from standpunt.render import template

    css = "@font-face {" * (n // 12)
    return (lambda c: template._FONT_FACE.sub("", c)), css


def _principal(n: int) -> tuple[Callable[[Any], Any], Any]:
    from standpunt.coalition.sshsig import _glob

    # OpenSSH pattern with stars against a name that almost matches (n ≤ 1,024 characters)
    size = n // 400
    return (lambda name: _glob("*a*a*a*b", name)), "a" * size


def _located_escapes(n: int) -> tuple[Callable[[Any], Any], Any]:
    from standpunt.cite.finder import find_citations
    from standpunt.cite.locate import _locate
    from standpunt.workspace.load import parse_yaml

    # In double quotes "\x40" is an '@' the file does not show: each such key was looked for
    # in the rest of the text, in vain, once per citation.
    count = n // 16
    body = " ".join(f"\\x40k{i:07d}" for i in range(count))
    value = parse_yaml(f'body: "{body}"\n', "positions/p.yaml")["body"]
    refs = tuple(find_citations(str(value)))
    assert len(refs) == count
    return (lambda v: list(_locate(v, refs))), value


def _located_literal_line(n: int) -> tuple[Callable[[Any], Any], Any]:
    from standpunt.cite.finder import find_citations
    from standpunt.cite.locate import _locate
    from standpunt.workspace.load import parse_yaml

    # one long line of a literal block holding many citations: the line was cut out of the
    # file and compared once per citation
    count = n // 8
    line = " ".join(f"@k{i:05d}" for i in range(count))
    value = parse_yaml(f"body: |\n  {line}\n", "positions/p.yaml")["body"]
    refs = tuple(find_citations(str(value)))
    assert len(refs) == count
    return (lambda v: list(_locate(v, refs))), value


#: Markdown shapes that make a naive reader of pandoc's grammar backtrack: unclosed brackets,
#: link openers, notes and list items full of citations.
FINDER_SHAPES = {
    "brackets": "[@a ",
    "links": "[@a](",
    "notes": "^[@a ",
    "list_items": "- [@a\n",
    "braces": "@{",
}


def _finder(shape: str) -> Callable[[int], tuple[Callable[[Any], Any], Any]]:
    def make(n: int) -> tuple[Callable[[Any], Any], Any]:
        from standpunt.cite.finder import find_citations

        unit = FINDER_SHAPES[shape]
        return find_citations, unit * (n // len(unit))

    return make


CASES: dict[str, Callable[[int], tuple[Callable[[Any], Any], Any]]] = {
    **{f"finder_{shape}": _finder(shape) for shape in FINDER_SHAPES},
    "fingerprint": _fingerprint,
    "bibtex": _bibtex,
    "stylesheet": _stylesheet,
    "font_face": _font_face,
    "principal": _principal,
    "located_escapes": _located_escapes,
    "located_literal_line": _located_literal_line,
}


def _thread_work(call: Callable[[Any], Any], argument: Any) -> int:
    """Processor time of this thread for one call, the least of three runs (nanoseconds)."""
    best = None
    for _ in range(3):
        start = time.thread_time_ns()
        call(argument)
        spent = time.thread_time_ns() - start
        best = spent if best is None else min(best, spent)
    assert best is not None
    return max(best, 1)


def measure_here(case: str, n: int) -> float:
    """In the child: the ratio of the work at 4n to the work at n."""
    small = _thread_work(*CASES[case](n))
    large = _thread_work(*CASES[case](4 * n))
    return large / small


def _cap_cpu() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (CHILD_CPU_SECONDS, CHILD_CPU_SECONDS))


def work_ratio(case: str, n: int) -> float:
    """The ratio of the work at 4n to the work at n, measured in a child whose processor time
    is capped; a child stopped by the cap (the work is far from linear) fails the test."""
    code = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]];"
        "import test_hostile_linear as t; print(t.measure_here(sys.argv[3], int(sys.argv[4])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(SRC), str(HERE), case, str(n)],
        capture_output=True,
        text=True,
        preexec_fn=_cap_cpu,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, (
        f"{case}: stopped after {CHILD_CPU_SECONDS} s of processor time at {n} and {4 * n} "
        f"characters (exit {done.returncode}): the work is not linear\n{done.stderr[-2000:]}"
    )
    return float(done.stdout.strip())


# --------------------------------------------------------------------------- linear algorithms


def test_hostile_linear_fingerprint_trailing_spaces() -> None:
    # 300,000 spaces that do not end a line: still running after 20 s before
    assert work_ratio("fingerprint", 100_000) < LINEAR_RATIO


def test_hostile_linear_fingerprint_is_unchanged_by_the_rewrite() -> None:
    from standpunt.coalition.fingerprint import normalise_text

    text = "a  b \t\r\n\tcode  \n\n\n\nend \t \r\nx\t\ty   "
    assert normalise_text(text) == "a b\n\tcode\n\nend\nx y"


def test_hostile_linear_bibtex_long_word_without_equals() -> None:
    assert work_ratio("bibtex", 100_000) < LINEAR_RATIO


def test_hostile_linear_bibtex_fields_still_found() -> None:
    from standpunt.workspace.bibtex import scan_bibtex

    text = "@book{k,\n  Title = {T},\n  x.y-z:w+v = 3,\n  1abc = 2, junk\n}\n"
    (entry,) = scan_bibtex(text, "evidence/x.bib").entries
    assert entry.fields == {
        "title": text.index("Title"),
        "x.y-z:w+v": text.index("x.y"),
        "abc": text.index("abc"),
    }


def test_hostile_linear_stylesheet_unclosed_urls() -> None:
    assert work_ratio("stylesheet", 100_000) < LINEAR_RATIO


def test_hostile_linear_stylesheet_unclosed_font_faces() -> None:
    assert work_ratio("font_face", 100_000) < LINEAR_RATIO


def test_hostile_linear_ssh_principal_patterns() -> None:
    # ".*a.*a.*a.*b" as one expression backtracks O(n⁴) over a name of a's
    assert work_ratio("principal", 100_000) < LINEAR_RATIO


def test_hostile_linear_ssh_principal_patterns_match_as_before() -> None:
    import re

    from standpunt.coalition.sshsig import _glob

    def as_regex(pattern: str, name: str) -> bool:
        regex = "".join(
            ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.lower()
        )
        return re.fullmatch(regex, name.lower(), re.DOTALL) is not None

    patterns = ["*", "a*", "*c", "a*c", "a?c", "*b*", "a*b*a", "a*a", "?*", "a**b", "", "*?"]
    names = ["", "a", "ab", "abc", "ac", "aba", "abxc", "AbC", "bbb", "a\nc"]
    assert [[_glob(p, n) for n in names] for p in patterns] == [
        [as_regex(p, n) for n in names] for p in patterns
    ]


def test_hostile_linear_citations_written_with_escapes() -> None:
    assert work_ratio("located_escapes", 100_000) < LINEAR_RATIO


def test_hostile_linear_citations_on_one_long_literal_line() -> None:
    assert work_ratio("located_literal_line", 100_000) < LINEAR_RATIO


def test_hostile_linear_citations_still_placed_exactly() -> None:
    # the same places as the search per citation found (each checked against that code),
    # in every style: double quotes with an escape, literal, folded, nested braces
    from standpunt.cite.finder import find_citations
    from standpunt.cite.locate import _locate
    from standpunt.workspace.load import parse_yaml

    text = (
        'a: x\nbody: "see @b and \\x40c, then @{d{e}f} and @b"\nlit: |\n  one @b\n  two @{c}\n'
        "fold: >\n  x @{g{h}}\n  and @b;\n  also @k\n"
    )
    data = parse_yaml(text, "p.yaml")
    placed = [
        (c.key, c.location.line, c.location.col)
        for value in (data["body"], data["lit"], data["fold"])
        for c in _locate(value, tuple(find_citations(str(value))))
    ]
    assert placed == [
        ("b", 2, 12),
        ("c", 2, 7),  # written as an escape: the scalar's place
        ("d{e}f", 2, 31),
        ("b", 2, 44),
        ("b", 4, 7),
        ("c", 5, 7),
        ("g{h}", 7, 5),
        ("b", 8, 7),
        ("k", 9, 8),
    ]


@pytest.mark.parametrize("shape", list(FINDER_SHAPES))
def test_hostile_linear_citation_finder_shapes(shape: str) -> None:
    # linear before this round too (remembered lookaheads, a budget per text): kept linear
    assert work_ratio(f"finder_{shape}", 20_000) < LINEAR_RATIO


# --------------------------------------------------------------------------- did-you-mean


class ComparisonsExceeded(AssertionError):
    pass


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], list[int]]:
    """Count every comparison difflib makes; fail at once past ``bound``."""

    def install(bound: int) -> list[int]:
        count = [0]
        original = difflib.SequenceMatcher.set_seq1

        def counted(self: difflib.SequenceMatcher[str], a: str) -> None:
            count[0] += 1
            if count[0] > bound:
                raise ComparisonsExceeded(f"more than {bound} comparisons")
            original(self, a)

        monkeypatch.setattr(difflib.SequenceMatcher, "set_seq1", counted)
        return count

    return install


def _workspace(root: Path, evidence: str, body: str, extra: str = "") -> Path:
    (root / "positions").mkdir(parents=True)
    (root / "evidence").mkdir()
    (root / "standpunt.yaml").write_text(
        "organisation:\n  name: Test\nlang: en\n" + extra, encoding="utf-8"
    )
    (root / "evidence" / "e.yaml").write_text(evidence, encoding="utf-8")
    (root / "positions" / "p.yaml").write_text(
        f"title: P\nstatus: draft\ndate: 2024-01-01\nsections:\n  - title: S\n    body: |\n"
        f"      {body}\n",
        encoding="utf-8",
    )
    return root


def _check_json(root: Path) -> list[dict[str, Any]]:
    result = CliRunner().invoke(
        main, ["-C", str(root), "check", "--format", "json"], catch_exceptions=False
    )
    assert result.exit_code == 1, result.output
    problems: list[dict[str, Any]] = json.loads(result.stdout)
    return problems


def test_hostile_linear_did_you_mean_thousands_of_unknown_keys(
    tmp_path: Path, comparisons: Callable[[int], list[int]]
) -> None:
    # 3,000 unknown keys × 3,000 known ones, all alike: 9 million comparisons before (197 s at
    # 5,000 × 5,000); now the hints stop at a budget of comparisons, whatever the counts.
    n = 3000
    evidence = "".join(f"- id: known{i:05d}x\n  type: book\n  title: T\n" for i in range(n))
    body = " ".join(f"[@unknown{i:05d}y]" for i in range(n))
    count = comparisons(110_000)
    problems = _check_json(_workspace(tmp_path, evidence, body))
    assert count[0] <= 110_000
    unknown = [p for p in problems if p["code"] == "unknown-citation"]
    assert len(unknown) == n
    hinted = [p for p in unknown if "did you mean" in p["message"]]
    assert hinted[0]["message"] == (
        "unknown evidence 'unknown00000y' (did you mean 'known00000x'?); add it to a file in "
        "evidence/ or correct the key"
    )
    (note,) = [p for p in problems if p["code"] == "suggestions-stopped"]
    assert note["message"] == (
        f"and {n - len(hinted)} more unknown evidence keys, reported without a 'did you mean': "
        f"suggestions stop after the first {len(hinted)}"
    )
    assert 0 < len(hinted) < 20


def test_hostile_linear_did_you_mean_unknown_dois(
    tmp_path: Path, comparisons: Callable[[int], list[int]]
) -> None:
    n = 2000
    evidence = "".join(
        f"- id: w{i}\n  type: book\n  title: T\n  DOI: 10.1234/abc.{i:05d}\n" for i in range(n)
    )
    body = " ".join(f"[@doi:10.1234/abd.{i:05d}]" for i in range(n))
    count = comparisons(60_000)
    problems = _check_json(_workspace(tmp_path, evidence, body))
    assert count[0] <= 60_000
    unknown = [p for p in problems if p["code"] == "unknown-citation"]
    assert len(unknown) == n
    assert unknown[0]["message"] == (
        "no evidence has the DOI '10.1234/abd.00000' (did you mean [@doi:10.1234/abc.00000], "
        "the DOI of 'w0'?); add the work with 'standpunt evidence add 10.1234/abd.00000', or "
        "give its entry in evidence/ this DOI"
    )
    assert any(p["code"] == "suggestions-stopped" for p in problems)


def test_hostile_linear_did_you_mean_thousands_of_unknown_signatories(
    tmp_path: Path, comparisons: Callable[[int], list[int]]
) -> None:
    n = 2000
    partners = "partners:\n" + "".join(f"  partner-{i:05d}:\n    name: P{i}\n" for i in range(n))
    root = _workspace(tmp_path, "[]\n", "Text.", partners)
    signatories = "".join(f"  - partnr-{i:05d}\n" for i in range(n))
    with (root / "positions" / "p.yaml").open("a", encoding="utf-8") as file:
        file.write("signatories:\n" + signatories)
    count = comparisons(110_000)
    problems = _check_json(root)
    assert count[0] <= 110_000
    unknown = [p for p in problems if p["code"] == "unknown-signatory"]
    assert len(unknown) == n
    assert unknown[0]["message"] == (
        "signatory 'partnr-00000' is not among the partners in standpunt.yaml "
        "(did you mean 'partner-00000'?)"
    )
    assert any(p["code"] == "suggestions-stopped" for p in problems)


def test_hostile_linear_did_you_mean_very_long_word(
    comparisons: Callable[[int], list[int]],
) -> None:
    from standpunt.errors import did_you_mean

    count = comparisons(0)  # a word of 300,000 characters is compared with nothing
    assert did_you_mean("x" * 300_000, ["x" * 300_000, "title"]) == ""
    assert count[0] == 0


def test_hostile_linear_build_finds_positions_with_errors_in_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 300 positions with 20 unknown keys each: the build asked every position for its errors
    # by walking all 6,000 of them again (1.8 million steps); now it reads them once.
    from standpunt.build import run as build_run
    from standpunt.errors import Diagnostic, Problems
    from standpunt.workspace.read import open_workspace

    root = _workspace(tmp_path, "[]\n", "Text.")
    for number in range(300):
        body = " ".join(f"[@k{number}x{i}]" for i in range(20))
        (root / "positions" / f"p{number}.yaml").write_text(
            f"title: P\nsections:\n  - title: S\n    body: '{body}'\n", encoding="utf-8"
        )
    visited = [0]
    original = Problems.errors.fget
    assert original is not None

    def counted(self: Problems) -> list[Diagnostic]:
        visited[0] += len(self.items)
        return original(self)

    workspace = open_workspace(root)
    monkeypatch.setattr(Problems, "errors", property(counted))
    _, buildable, problems = build_run._check(workspace, list(workspace.positions), True)
    assert buildable == ["p"]
    assert len([p for p in problems if p.code == "unknown-citation"]) == 6000
    assert visited[0] <= 2 * 6000


# --------------------------------------------------------------------------- the main process


def test_hostile_linear_main_process_stops_past_its_processor_time(tmp_path: Path) -> None:
    # A check that needs seconds of processor time, under 'seconds: 0.001' for its one position:
    # stopped with a clear error, exit code 1, no traceback.
    n = 30_000  # seconds of work even on a fast machine: the limit is counted in whole seconds
    evidence = "".join(f"- id: w{i:05d}\n  type: book\n  title: T{i}\n" for i in range(n))
    body = " ".join(f"[@w{i:05d}]" for i in range(n))
    root = _workspace(tmp_path, evidence, body, "limits:\n  seconds: 0.001\n")
    done = subprocess.run(
        [sys.executable, "-m", "standpunt", "-C", str(root), "check"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        check=False,
        timeout=600,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        1,
        "",
        "error: this took more than 0.002 seconds of processor time (the 'limits: seconds:' of "
        "standpunt.yaml for each position) and was stopped; a file may be far larger or more "
        "tangled than it should be [time-limit]\n",
    )


def test_hostile_linear_commands_run_under_a_memory_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import standpunt.commands.check as check_command
    from standpunt.commands.result import Result

    seen: list[tuple[int, int]] = []

    def spy(*args: Any, **kwargs: Any) -> Result:
        seen.append(resource.getrlimit(resource.RLIMIT_AS))
        with open("/proc/self/statm", encoding="ascii") as statm:
            seen.append((int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE"), 0))
        raise MemoryError  # as a file far too large would make it

    monkeypatch.setattr(check_command, "check", spy)
    root = _workspace(tmp_path, "[]\n", "Text.", "limits:\n  memory_mb: 300\n")
    before = resource.getrlimit(resource.RLIMIT_AS)
    result = CliRunner().invoke(main, ["-C", str(root), "check"], catch_exceptions=False)
    (soft, _hard), (size, _) = seen
    # the command may grow by memory_mb and 512 MB for pandoc's threads, no more
    assert size < soft <= size + (300 + 512) * 1024 * 1024
    assert result.exit_code == 1
    assert result.output == (
        "error: this needed more than the 300 MB memory limit (and 512 MB for pandoc's "
        "threads); a file may be far larger than it should be, or raise 'limits: memory_mb:' "
        "in standpunt.yaml [memory-limit]\n"
    )
    assert resource.getrlimit(resource.RLIMIT_AS) == before  # restored for the next command


def test_hostile_linear_memory_cap_holds_an_allocation() -> None:
    # The cap is real: an allocation past it fails inside the command, as a clear error.
    code = textwrap.dedent(
        """
        from standpunt.errors import StandpuntError
        from standpunt.limits import Limits, main_process_limits
        try:
            with main_process_limits(Limits(memory_mb=256), 1):
                block = bytearray(2 * 1024 * 1024 * 1024)
        except StandpuntError as error:
            print(error.code)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        check=False,
        timeout=120,
    )
    assert (done.returncode, done.stdout) == (0, "memory-limit\n"), done.stderr


def test_hostile_linear_the_smallest_memory_limit_still_builds(
    make_workspace: Callable[..., Path], isolated_git: None
) -> None:
    # memory_mb: 256, the least allowed, stopped a build of a dozen committed positions with
    # "can't start new thread": each thread's malloc arena reserved 64 MB of the capped
    # address space (the version stamps of committed positions are read on threads)
    more = {f"positions/p{n}.yaml": POSITION for n in range(11)}
    root = make_workspace(more)
    config = root / "standpunt.yaml"
    config.write_text(config.read_text() + "limits: {memory_mb: 256}\n", encoding="utf-8")
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "Positions"]):
        subprocess.run(["git", *command], cwd=root, check=True)
    done = subprocess.run(
        [sys.executable, "-m", "standpunt", "-C", str(root), "build", "--jobs", "2"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        check=False,
        timeout=300,
    )
    assert (done.returncode, done.stderr.splitlines()[-1:]) == (0, ["12 built"]), done.stderr
