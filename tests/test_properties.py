"""Issue 4, "Proof": hostile or broken input never gets past Standpunt's own errors.

Property tests (hypothesis) over whole workspaces, the citation finder and the YAML loader, and a
smoke run of the atheris fuzz target in ``scripts/fuzz.py``. The loader's own rules (anchors,
tags, depth, sizes, encodings, duplicate keys, values kept as written) are pinned case by case in
``test_load.py``; these tests only ask that *nothing* escapes as anything but a
:class:`StandpuntError` or a located :class:`Diagnostic`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CONFIG, EVIDENCE, POSITION, REPO
from standpunt.checks.check import check_workspace
from standpunt.cite.finder import find_citations
from standpunt.errors import StandpuntError
from standpunt.workspace.load import parse_yaml
from standpunt.workspace.read import open_workspace

# --------------------------------------------------------------------------- strategies

#: Text as odd as YAML and Markdown meet it: every plane, controls, line and paragraph
#: separators, byte order marks, NEL, surrogates (yaml.safe_dump escapes those; the loader must
#: refuse a lone one), right-to-left marks and combining characters.
WEIRD = st.text(
    st.characters()
    | st.sampled_from(
        ["\x00", "\x85", "\u2028", "\u2029", "\ufeff", "\ud800", "\udfff", "\u202e", "\u0301"]
    ),
    max_size=12,
)
#: Keys that reach the schema's deeper checks, mixed with random ones.
FIELDS = st.sampled_from(
    [
        "title", "subtitle", "lang", "date", "status", "summary", "sections", "body", "quote",
        "recommendations", "signatories", "tags", "authors", "name", "affiliation", "email",
        "version", "id", "type", "author", "family", "given", "literal", "issued", "URL",
        "DOI", "ISBN", "page", "publisher", "container-title", "references", "<<", "",
    ]
)  # fmt: skip
SCALARS = (
    WEIRD
    | st.sampled_from(
        ["NO", "0306406152", "1:20", "2026-02-30", "2026-03-01", "draft", "adopted", "@doe2019",
         "[@smith2021a, p. 4]", "-@nope", "~", "null", ".nan", "*bold*", "&a", "!!str", "---"]
    )
    | st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.dates(min_value=dt.date(1, 1, 1))
)  # fmt: skip
#: Random keys, but none that model._diagnostic takes for pydantic's own path steps (a '[' or
#: 'function-'): those crash `check` today, see test_an_unknown_key_like_a_pydantic_step_….
KEYS = FIELDS | WEIRD.filter(lambda key: "[" not in key and not key.startswith("function-"))
TREES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=24,
)
#: A position or evidence file: mostly mappings and lists at the top, as real files are.
DOCUMENTS = st.dictionaries(FIELDS, TREES, max_size=6) | st.lists(TREES, max_size=4) | TREES


def dump(tree: Any, flow: bool | None, unicode: bool) -> bytes:
    text: str = yaml.safe_dump(
        tree, default_flow_style=flow, allow_unicode=unicode, sort_keys=False
    )
    # A lone surrogate the emitter let through becomes bytes that are not UTF-8: refused too.
    return text.encode("utf-8", "surrogatepass")


@pytest.fixture(scope="module")
def random_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One workspace whose position and evidence files each example overwrites."""
    root = tmp_path_factory.mktemp("random") / "ws"
    for relative, text in {
        "standpunt.yaml": CONFIG,
        "evidence/refs.yaml": EVIDENCE,
        "positions/care.yaml": POSITION,
    }.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return root


RANDOM_FILES = ("positions/random.yaml", "evidence/random.yaml", "evidence/random.json")


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    position=DOCUMENTS,
    evidence=DOCUMENTS,
    flow=st.sampled_from([None, True, False]),
    unicode=st.booleans(),
)
def test_random_yaml_trees_give_located_diagnostics_only(
    random_workspace: Path, position: Any, evidence: Any, flow: bool | None, unicode: bool
) -> None:
    root = random_workspace
    (root / RANDOM_FILES[0]).write_bytes(dump(position, flow, unicode))
    (root / RANDOM_FILES[1]).write_bytes(dump(evidence, flow, unicode))
    (root / RANDOM_FILES[2]).write_text(json.dumps(evidence, default=str), encoding="utf-8")
    try:
        workspace = open_workspace(root)
        report = check_workspace(workspace)
    except StandpuntError as error:  # allowed, but it too must say where
        assert error.location is not None, error
        return
    shown = {"standpunt.yaml", *RANDOM_FILES, "positions/care.yaml", "evidence/refs.yaml"}
    for diagnostic in report.problems.items:
        assert diagnostic.location is not None, diagnostic
        assert diagnostic.location.path in shown, diagnostic
        assert diagnostic.message, diagnostic
    # The files Standpunt did not write are still what they were: a diagnostic, not a fix.
    assert (root / "positions/care.yaml").read_text(encoding="utf-8") == POSITION


@pytest.mark.parametrize("key", ["'[x'", "'see [1]'", "function-x"])
def test_an_unknown_key_like_a_pydantic_step_is_reported_not_raised(
    make_workspace: Callable[..., Path], key: str
) -> None:
    root = make_workspace({"positions/care.yaml": f"{key}: 1\n" + POSITION})
    (error,) = open_workspace(root).problems.errors
    name = key.strip("'")
    assert str(error).startswith(f"positions/care.yaml:1:1: error: unknown field '{name}'"), error


def test_an_unknown_nested_key_like_a_pydantic_step_is_named(
    make_workspace: Callable[..., Path],
) -> None:
    text = POSITION.replace("    body: |\n", "    'x[': 1\n    body: |\n", 1)
    root = make_workspace({"positions/care.yaml": text})
    (error,) = open_workspace(root).problems.errors
    assert str(error).startswith("positions/care.yaml:9:5: error: unknown field 'x['"), error


# --------------------------------------------------------------------------- Markdown

MARKDOWNISH = st.lists(
    st.sampled_from(
        [*"[@;-]{}*_`!#>\\^$|:~<&\"'().,= \n\t", "@", "@", "@key", "@{a b}", "@{}", "[@a]", "-@b",
         "[see @c, p. 3]", "```", "::: {#x}", ":::", "| a |", "|---|", "1. ", "- ", "> ",
         "    ", "^[", "[^1]", "[^1]: ", "](http://x)", "{.class}", "info@example.org", "\r\n",
         "\r", "\x00", "\u2028", "\x85", "é", "𝒜"]
    ),
    max_size=80,
).map("".join)  # fmt: skip


def _where_pandoc_reads(text: str) -> list[str]:
    """The lines the finder counts in: it reads CR LF and CR as LF, and NUL as U+FFFD."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd").split("\n")


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200) | MARKDOWNISH)
def test_random_markdown_gives_keys_pointing_at_their_at_sign(text: str) -> None:
    refs = find_citations(text)  # anything raised here fails the test
    lines = _where_pandoc_reads(text)
    for ref in refs:
        assert isinstance(ref.key, str), (text, ref)
        assert 1 <= ref.line <= len(lines) and ref.col >= 1, (text, ref)
        at = lines[ref.line - 1][ref.col - 1 :]
        if at.startswith("@{"):
            # The braced form holds any key, even none: pandoc 3.9 reads `@{}` as a citation
            # with an empty id too, and check reports it as unknown evidence '' at its place.
            assert at.startswith(f"@{{{ref.key}}}"), (text, ref)
        else:
            assert ref.key and at.startswith(f"@{ref.key}"), (text, ref)


@pytest.mark.parametrize("blank", ["\u00a0", "\u2028", "\u3000", "\x0c"])
def test_a_line_of_unicode_spaces_does_not_shift_citation_places(blank: str) -> None:
    (ref,) = find_citations(f"{blank}\n@key")
    assert (ref.line, ref.col) == (2, 1)


@contextlib.contextmanager
def hang_guard(seconds: float) -> Iterator[None]:
    """Stop a call that hangs (a guard, not a measurement: the calls guarded take microseconds
    when right, and hours or days when wrong). The regex engine checks for signals."""

    def stop(signum: int, frame: Any) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


LONG_KEY = "vlaamseregeringconceptnotaarmoede2023"  # 37 letters: Better BibTeX makes such keys


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            f"@{LONG_KEY} stelt dat de armoede daalt.",
            id="long-key-starting-a-paragraph",
        ),
        pytest.param(
            "@a [" * 40,
            id="unclosed-brackets-after-keys",
        ),
        pytest.param(
            "`" * 100_000 + "@a",
            id="a-long-backtick-run",
        ),
        pytest.param(
            "@{" * 50_000,
            id="unclosed-braced-keys",
        ),
    ],
)
def test_hostile_markdown_is_read_without_hanging(text: str) -> None:
    with hang_guard(2.0):
        refs = find_citations(text)
    assert all(isinstance(ref.key, str) for ref in refs)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[" * 300 + "@a" + "]" * 300, id="nested-brackets"),
        pytest.param("[@a; " * 300, id="unclosed-citation-brackets"),
        pytest.param("[" * 400 + "](x)" * 400 + "@a", id="nested-links"),
        pytest.param("^[" * 300 + "@a", id="nested-inline-notes"),
        pytest.param("> " * 2000 + "@a", id="nested-quotes"),
        pytest.param("- " * 2000 + "@a", id="nested-lists"),
    ],
)
def test_deep_nesting_does_not_crash_the_citation_finder(text: str) -> None:
    try:
        refs = find_citations(text)
    except RecursionError:  # turned into a short failure: pytest would print 1000 frames
        refs = None
    assert refs is not None, "find_citations raised RecursionError"
    assert all(ref.key for ref in refs)


# --------------------------------------------------------------------------- bytes

BYTES = st.binary(max_size=300) | st.lists(
    st.sampled_from(
        [b"a", b":", b" ", b"- ", b"\n", b"\t", b"[", b"]", b"{", b"}", b",", b"'", b'"',
         b"\\u", b"\\x", b"&a", b"*a", b"!!", b"<<", b"? ", b"|", b">", b"#", b"%YAML 1.1\n",
         b"---\n", b"...\n", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xe9", b"\xc3",
         b"\x80", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x00", b"\r", b"\x85", "é".encode()]
    ),
    max_size=120,
).map(b"".join)  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(BYTES)
def test_random_bytes_give_a_value_or_a_located_standpunt_error(data: bytes) -> None:
    try:
        parse_yaml(data, "positions/x.yaml")
    except StandpuntError as error:
        assert error.location is not None and error.location.path == "positions/x.yaml"


# --------------------------------------------------------------------------- fuzzing


def test_fuzz_target_smoke_run(tmp_path: Path) -> None:
    pytest.importorskip(
        "atheris",
        reason="atheris is not installed: `python3 -m pip install atheris==3.0.0` "
        "(a wheel for CPython 3.11 on Linux x86-64)",
    )
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "fuzz.py"), "--smoke"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not list(tmp_path.iterdir())  # crash files go to a temporary folder, not here
