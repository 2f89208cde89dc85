"""Issue 14, item 9: no file shape ends in a traceback or in an error only pandoc finds, and the
limits are validated before anything runs under them.

* Limits: a value out of its range (``memory_mb: 2``), of the wrong kind, or a ``limits:`` that
  is no mapping is one located error in standpunt.yaml that names the range, given before any
  render worker starts (counted at ``multiprocessing``'s ``Process.start``).
* Evidence: what ``check`` passes, pandoc's citeproc reads. A year of 300 digits passed
  ``check`` and failed the build inside pandoc, located in a temporary file. A property test
  (hypothesis) gives evidence items one odd field at a time (dates, names, types, numbers) and
  asks: located diagnostics only, and when there is no error, citeproc (the real pandoc)
  formats the item.
* Positions: any YAML shape gives located diagnostics and a fingerprint, never an exception.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from standpunt.checks.check import check_workspace
from standpunt.cli import main
from standpunt.coalition.fingerprint import workspace_fingerprints
from standpunt.errors import StandpuntError
from standpunt.pandoc import run_pandoc
from standpunt.workspace.read import open_workspace

CONFIG = "organisation:\n  name: Test Organisation\nlang: en\nstyle: apa\n"
POSITION = """\
title: Care
status: draft
date: 2024-01-01
sections:
  - title: One
    body: See [@a].
"""
YEAR_300 = "1" + "0" * 299
FOUR_DIGITS = "a year is written with at most four digits"


def _workspace(root: Path, config: str = CONFIG, evidence: str | None = None) -> Path:
    (root / "positions").mkdir(parents=True)
    (root / "evidence").mkdir()
    (root / "standpunt.yaml").write_text(config, encoding="utf-8")
    (root / "positions" / "care.yaml").write_text(POSITION, encoding="utf-8")
    (root / "evidence" / "e.yaml").write_text(
        evidence if evidence is not None else "- id: a\n  type: book\n  title: T\n",
        encoding="utf-8",
    )
    return root


# --------------------------------------------------------------------------- limits

MEMORY = "write a whole number of MB from 256 to 65536 (leave it out for the default, 2048)"
SECONDS = "write a number of seconds more than 0 to 3600 (leave it out for the default, 120)"
PAGES = "write a whole number of pages from 1 to 100000 (leave it out for the default, 500)"


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ("memory_mb: 2", f"standpunt.yaml:6:14: error: 'limits.memory_mb' cannot be 2: {MEMORY}"),
        (
            "memory_mb: 99999999999999999999999",
            "standpunt.yaml:6:14: error: 'limits.memory_mb' cannot be 99999999999999999999…: "
            + MEMORY,
        ),
        ("seconds: 0", f"standpunt.yaml:6:12: error: 'limits.seconds' cannot be 0: {SECONDS}"),
        (
            "seconds: .nan",
            f"standpunt.yaml:6:12: error: 'limits.seconds' cannot be .nan: {SECONDS}",
        ),
        ("pages: lots", f"standpunt.yaml:6:10: error: 'limits.pages' cannot be lots: {PAGES}"),
    ],
)
def test_hostile_shapes_limit_out_of_range_is_one_located_error_before_any_worker(
    tmp_path: Path, started: list[object], limits: str, expected: str
) -> None:
    # memory_mb: 2 gave thirteen worker tracebacks once; then workers started under the
    # defaults before the check said "Input should be greater than or equal to 256".
    root = _workspace(tmp_path, CONFIG + f"limits:\n  {limits}\n")
    result = CliRunner().invoke(main, ["-C", str(root), "build"], catch_exceptions=False)
    assert (result.exit_code, result.output) == (1, expected + " [invalid-value]\n")
    assert started == []
    assert not (root / "build").exists()


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        ("[256]", "standpunt.yaml:5:9: error: 'limits' should be a set of fields (key: value)"),
        (
            "{memroy_mb: 300}",
            "standpunt.yaml:5:10: error: unknown field 'memroy_mb' (did you mean 'memory_mb'?)",
        ),
    ],
)
def test_hostile_shapes_limits_of_the_wrong_shape_stop_before_any_worker(
    tmp_path: Path, started: list[object], limits: str, expected: str
) -> None:
    root = _workspace(tmp_path, CONFIG + f"limits: {limits}\n")
    result = CliRunner().invoke(main, ["-C", str(root), "build"], catch_exceptions=False)
    code = "[unknown-field]" if "unknown" in expected else "[invalid-value]"
    assert (result.exit_code, result.output) == (1, f"{expected} {code}\n")
    assert started == []


def test_hostile_shapes_valid_limits_still_start_workers_early(
    tmp_path: Path, started: list[object]
) -> None:
    # the check before the workers is only for limits that are not valid: a valid file keeps
    # the early start that overlaps WeasyPrint's import with the rest of the build
    root = _workspace(tmp_path, CONFIG + "limits:\n  memory_mb: 1024\n  seconds: 60\n")
    result = CliRunner().invoke(
        main, ["-C", str(root), "build", "--format", "html"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert len(started) >= 1


# --------------------------------------------------------------------------- evidence


def test_hostile_shapes_year_of_300_digits_is_a_check_error(tmp_path: Path) -> None:
    evidence = f"- id: a\n  type: book\n  title: T\n  issued: {{date-parts: [[{YEAR_300}]]}}\n"
    root = _workspace(tmp_path, evidence=evidence)
    result = CliRunner().invoke(main, ["-C", str(root), "check"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "evidence/e.yaml:4:25: error: there is no year of 300 digits: a year is written with "
        "at most four digits [invalid-date]"
    )


def test_hostile_shapes_year_of_300_digits_never_reaches_pandoc(tmp_path: Path) -> None:
    # before: "pandoc failed: Error reading bibliography file /tmp/standpunt-…/references.json"
    evidence = (
        f'[{{"id": "a", "type": "book", "title": "T", "issued": {{"date-parts": [[{YEAR_300}]]}}}}]'
    )
    root = _workspace(tmp_path, evidence="[]\n")
    (root / "evidence" / "e.json").write_text(evidence, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["-C", str(root), "build", "--format", "html"], catch_exceptions=False
    )
    assert result.exit_code == 1
    # the item with the error is left out of what pandoc reads; the position is built
    assert result.output == (
        "built care → build/care.html\n"
        "evidence/e.json:1:70: error: there is no year of 300 digits: a year is written with "
        "at most four digits [invalid-date]\n"
        "1 built\n"
    )


@pytest.mark.parametrize(
    ("issued", "message"),
    [
        ("{date-parts: [[20240]]}", f"there is no year 20240: {FOUR_DIGITS}"),
        ("{date-parts: [[-10000, 1]]}", f"there is no year -10000: {FOUR_DIGITS}"),
    ],
)
def test_hostile_shapes_year_past_four_digits_is_a_check_error(
    tmp_path: Path, issued: str, message: str
) -> None:
    evidence = f"- id: a\n  type: book\n  title: T\n  issued: {issued}\n"
    root = _workspace(tmp_path, evidence=evidence)
    result = CliRunner().invoke(main, ["-C", str(root), "check"], catch_exceptions=False)
    assert result.output.splitlines()[0] == f"evidence/e.yaml:4:25: error: {message} [invalid-date]"


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("type: [book]", "3:9: error: '['book']' is not a CSL type (did you mean 'book'?)"),
        (
            "author: [[{family: X}]]",
            "3:12: error: each name in 'author' should be a set of parts (family:, given:, ...) "
            "or a text such as 'Claessens, Dirk'",
        ),
        ("author: [{family: [X]}]", "3:21: error: 'family' should be text"),
    ],
)
def test_hostile_shapes_named_evidence_shapes_are_located(
    tmp_path: Path, field: str, expected: str
) -> None:
    # the shapes the issue names (fixed before this round; kept here so they stay fixed)
    evidence = f"- id: a\n  title: T\n  {field}\n" + (
        "" if field.startswith("type") else "  type: book\n"
    )
    root = _workspace(tmp_path, evidence=evidence)
    result = CliRunner().invoke(main, ["-C", str(root), "check"], catch_exceptions=False)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"evidence/e.yaml:{expected} [invalid-value]"


#: Numbers citeproc cannot hold, or that are no numbers at all, mixed with ordinary ones.
NUMBERS = st.sampled_from(
    [10**300, -(10**300), 2**63, -(2**63) - 1, 10**20, 20240, -10000, 10**4299, 1e308, 0.5, -0.0]
) | st.integers(-3000, 3000)  # fmt: skip
ODD_TEXT = st.sampled_from(["", " ", "٣", "+5", "01", "1e3", "0x10", "nan", "2020-02", "\t"])
SCALARS = NUMBERS | ODD_TEXT | st.booleans() | st.none() | st.text(max_size=4)
SHAPES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)
DATE_PARTS = st.lists(st.lists(NUMBERS | ODD_TEXT, min_size=1, max_size=3), min_size=1, max_size=2)
DATES = (
    st.fixed_dictionaries({"date-parts": DATE_PARTS})
    | st.dictionaries(st.sampled_from(["date-parts", "season", "circa", "literal", "raw"]), SHAPES)
    | SCALARS
)
NAME_PARTS = st.sampled_from(
    ["family", "given", "literal", "suffix", "dropping-particle", "non-dropping-particle",
     "comma-suffix", "static-ordering", "parse-names", "isInstitution"]
)  # fmt: skip
NAMES = st.lists(st.dictionaries(NAME_PARTS, SHAPES | NUMBERS, max_size=3) | SCALARS, max_size=2)
#: One odd field on an otherwise good item, so that many examples pass check and reach pandoc.
ODD_FIELD = st.one_of(
    st.tuples(st.sampled_from(["issued", "accessed", "original-date", "event-date"]), DATES),
    st.tuples(st.sampled_from(["author", "editor", "translator"]), NAMES | SHAPES),
    st.tuples(st.just("type"), st.sampled_from(["book", "report", "webpage"]) | SHAPES),
    st.tuples(
        st.sampled_from(["page", "volume", "issue", "edition", "number-of-pages", "ISBN",
                         "language", "DOI", "URL", "version", "chapter-number"]),
        SHAPES | NUMBERS,
    ),
)  # fmt: skip


@pytest.fixture(scope="module")
def shaped_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _workspace(tmp_path_factory.mktemp("shapes") / "ws", evidence="[]\n")


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(fields=st.lists(ODD_FIELD, min_size=1, max_size=2), as_json=st.booleans())
def test_hostile_shapes_what_check_passes_citeproc_reads(
    shaped_workspace: Path, fields: list[tuple[str, Any]], as_json: bool
) -> None:
    root = shaped_workspace
    item: dict[str, Any] = {"id": "a", "type": "book", "title": "T", **dict(fields)}
    for name in ("e.yaml", "e.json"):
        (root / "evidence" / name).unlink(missing_ok=True)
    if as_json:
        try:
            text = json.dumps([item])
        except ValueError:  # a number too long for json itself
            return
        (root / "evidence" / "e.json").write_text(text, encoding="utf-8")
    else:
        (root / "evidence" / "e.yaml").write_text(yaml.safe_dump([item]), encoding="utf-8")
    workspace = open_workspace(root)
    report = check_workspace(workspace)
    for diagnostic in report.problems.items:
        assert diagnostic.location is not None, diagnostic
        assert diagnostic.location.line >= 1, diagnostic
    if any(d.severity == "error" for d in report.problems.items):
        return
    csl = workspace.evidence["a"].csl
    bibliography = root / "build-bibliography.json"
    bibliography.write_text(json.dumps([csl]), encoding="utf-8")
    try:
        run_pandoc(["--citeproc", "-t", "plain", "--bibliography", str(bibliography)], "[@a]")
    except StandpuntError as error:
        pytest.fail(f"check passed {item!r}, but citeproc refuses it: {error.message}")


# --------------------------------------------------------------------------- positions

POSITION_FIELDS = st.sampled_from(
    ["title", "subtitle", "summary", "sections", "recommendations", "signatories", "authors",
     "lang", "date", "status", "version", "tags", "origin", "attach", "body", "quote"]
)  # fmt: skip
POSITION_TREES = st.recursive(
    SCALARS | st.sampled_from(["@a", "[@a; @b]", "2024-13-01", "adopted", "nl", "swan"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(POSITION_FIELDS, inner, max_size=4),
    max_leaves=12,
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(position=st.dictionaries(POSITION_FIELDS, POSITION_TREES, max_size=8))
def test_hostile_shapes_any_position_gives_located_diagnostics_and_a_fingerprint(
    shaped_workspace: Path, position: dict[str, Any]
) -> None:
    root = shaped_workspace
    for name in ("e.yaml", "e.json"):
        (root / "evidence" / name).unlink(missing_ok=True)
    (root / "evidence" / "e.yaml").write_text("- id: a\n  type: book\n  title: T\n")
    (root / "positions" / "random.yaml").write_text(yaml.safe_dump(position), encoding="utf-8")
    try:
        workspace = open_workspace(root)
        report = check_workspace(workspace)
        workspace_fingerprints(workspace)
    except StandpuntError as error:
        assert error.location is not None, error
        return
    for diagnostic in report.problems.items:
        assert diagnostic.location is not None, diagnostic
        assert diagnostic.message, diagnostic
