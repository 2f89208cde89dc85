"""`standpunt build`: real pandoc, real WeasyPrint, PDFs read back."""

from __future__ import annotations

from pathlib import Path

import pypdf
from click.testing import CliRunner

from conftest import copy_demo, flat_text, pdf_text
from standpunt.cli import main


def build(root: Path, *args: str):
    return CliRunner().invoke(main, ["-C", str(root), "build", *args], catch_exceptions=False)


def test_year_suffix_disambiguation(make_workspace):
    root = make_workspace()
    result = build(root)
    assert result.exit_code == 0, result.output
    text = pdf_text(root / "build" / "care.pdf")
    assert "2021a" in text and "2021b" in text
    assert "Smith, 2021a; 2021b, p. 4" in text
    assert "Doe (2019)" in text
    assert "First report on care markets" in text


def test_position_with_errors_is_not_built_the_others_are(make_workspace):
    root = make_workspace(
        {"positions/broken.yaml": "title: x\nsections:\n  - title: a\n    body: '[@nope]'\n"}
    )
    result = build(root)
    assert result.exit_code == 1
    assert (root / "build" / "care.pdf").is_file()
    assert not (root / "build" / "broken.pdf").exists()
    assert "positions/broken.yaml:4:13: error: unknown evidence 'nope'" in result.output


def test_html_format(make_workspace):
    root = make_workspace()
    result = build(root, "--format", "html")
    assert result.exit_code == 0, result.output
    html = (root / "build" / "care.html").read_text(encoding="utf-8")
    assert 'href="#ref-smith2021a"' in html
    assert not (root / "build" / "care.pdf").exists()


def test_unknown_position_is_usage_error(make_workspace):
    result = build(make_workspace(), "nothere")
    assert result.exit_code == 2
    assert "no position 'nothere'" in result.output


def test_unknown_style(make_workspace):
    root = make_workspace()
    config = (root / "standpunt.yaml").read_text().replace("style: apa", "style: apaa")
    (root / "standpunt.yaml").write_text(config)
    result = build(root)
    assert result.exit_code == 1
    assert "unknown citation style 'apaa' (did you mean 'apa'?)" in result.output


def test_citations_link_to_their_entries(make_workspace):
    root = make_workspace()
    assert build(root).exit_code == 0
    reader = pypdf.PdfReader(root / "build" / "care.pdf")
    targets = []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            obj = annot.get_object()
            action = obj.get("/A")
            if action is not None and "/D" in action:
                targets.append(str(action["/D"]))
            elif "/Dest" in obj:
                targets.append(str(obj["/Dest"]))
    assert any("ref-smith2021a" in t for t in targets)


def test_dutch_demo_pdf(tmp_path):
    """The repository's own demo: Dutch bibliography and citations in APA's Dutch form."""
    root = copy_demo(tmp_path / "demo")
    result = build(root, "organisaties-kiezen-positie")
    assert result.exit_code == 0, result.output
    flat = flat_text(root / "build" / "organisaties-kiezen-positie.pdf")
    from standpunt.workspace.load import load_yaml

    for item in load_yaml(root / "evidence" / "seed.yaml"):
        title = " ".join(str(item["title"]).split())
        assert title in flat, title
    assert "(Red.)" in flat  # Dutch CSL term for editors
    assert "Claessens, 2018" in flat
    assert "Bronnen" in flat and "References" not in flat


def test_build_workspace_reports_what_became_of_each_position(make_workspace):
    """The entry point the command and the preview share: its report says what to print."""
    from standpunt.build.build import build_workspace
    from standpunt.build.report import BuildReport, Outcome
    from standpunt.buildstate.state import BuildOptions
    from standpunt.errors import Diagnostic, Location

    root = make_workspace(
        {"positions/broken.yaml": "title: x\nsections:\n  - title: a\n    body: '[@nope]'\n"}
    )
    options = BuildOptions(formats=("html",), jobs=1)
    page = root / "build" / "care.html"
    unknown = Diagnostic(
        "error",
        "unknown evidence 'nope'; add it to a file in evidence/ or correct the key",
        "unknown-citation",
        Location("positions/broken.yaml", 4, 13),
    )
    report = build_workspace(root, None, options)
    assert report == BuildReport([Outcome("care", written=[page])], 1, [unknown])
    built, current, failed = report.built, report.current, report.failed
    assert (built, current, failed, report.ok) == (report.outcomes, [], [], False)

    (root / "positions" / "broken.yaml").unlink()
    report = build_workspace(root, None, options)
    assert report == BuildReport([Outcome("care", current=[page])])
    built, current, failed = report.built, report.current, report.failed
    assert (built, current, failed, report.ok) == ([], report.outcomes, [], True)
    # That build was complete and clean, so the next one with the same inputs stops at once.
    assert build_workspace(root, None, options) == BuildReport(nothing_to_build=True)


def test_a_position_that_fails_to_render_is_reported_at_its_file(make_workspace):
    from standpunt.build.build import build_workspace
    from standpunt.build.report import BuildReport, Outcome
    from standpunt.buildstate.state import BuildOptions
    from standpunt.errors import Diagnostic, Location

    root = make_workspace()
    care = root / "positions/care.yaml"  # a report: a cover and pages, over a one-page limit
    care.write_text(care.read_text() + "layout: report\n")
    config = root / "standpunt.yaml"
    config.write_text(config.read_text() + "limits: {pages: 1}\n")
    report = build_workspace(root, None, BuildOptions(jobs=1))
    too_long = Diagnostic(
        "error",
        "this position makes 2 pages, more than the limit of 1; shorten it, or raise "
        "'limits: pages:' in standpunt.yaml",
        "page-limit",
        Location("positions/care.yaml", 1, 1),
    )
    assert report == BuildReport([Outcome("care", error=too_long)])
    assert (report.built, report.failed, report.ok) == ([], report.outcomes, False)
    assert not (root / "build" / "care.pdf").exists()


BUG_REPORT = (
    "This is a bug in Standpunt, not a problem in your files. Please report it, with the command "
    "you ran, what 'standpunt --version' prints, and "
)


def _jobs_without_templates(monkeypatch) -> None:
    """Every render job goes to the real worker without its templates: the worker's own code
    then fails, as a bug in it would."""
    import dataclasses

    from standpunt.build import render

    real = render._jobs

    def broken(*args, **kwargs):
        for job in real(*args, **kwargs):
            yield dataclasses.replace(job, templates=None)

    monkeypatch.setattr(render, "_jobs", broken)


WORKER_BUG = (
    "standpunt build: unexpected error (standpunt.render.workers.WorkerBug: AttributeError: "
    "'NoneType' object has no attribute 'folders' (in a render worker)).\n"
)


def test_a_bug_in_a_render_worker_is_reported_as_a_bug(make_workspace, monkeypatch):
    root = make_workspace()
    _jobs_without_templates(monkeypatch)
    result = CliRunner().invoke(main, ["-C", str(root), "build", "--format", "html"])
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == (
        WORKER_BUG + BUG_REPORT + "what the command prints with --debug (standpunt --debug build "
        "...).\n"
    )
    assert not (root / "build" / "care.html").exists()


def test_debug_shows_the_render_workers_traceback(make_workspace, monkeypatch):
    root = make_workspace()
    _jobs_without_templates(monkeypatch)
    result = CliRunner().invoke(main, ["--debug", "-C", str(root), "build", "--format", "html"])
    assert result.exit_code == 3
    assert result.stdout == ""
    worker, parent = result.stderr.split(
        "\n\nThe above exception was the direct cause of the following exception:\n\n"
    )
    # First the worker's own traceback, down to the line that failed in the worker...
    assert worker.startswith(
        'standpunt.render.workers.WorkerTraceback: \n"""\nTraceback (most recent call last):\n'
    )
    assert ", in _worker_main\n" in worker
    assert worker.endswith("AttributeError: 'NoneType' object has no attribute 'folders'\n\"\"\"")
    # ...then where the build received it, and the message.
    assert parent.startswith("Traceback (most recent call last):\n")
    assert parent.endswith(WORKER_BUG + BUG_REPORT + "the traceback above.\n")


def test_a_bug_after_weasyprint_is_not_a_pdf_failure(tmp_path, monkeypatch):
    """Only WeasyPrint's own failures become 'the PDF could not be made'."""
    import pytest

    from standpunt.render import pdf

    def broken(*args: object) -> list[str]:
        raise RuntimeError("boom")

    monkeypatch.setattr(pdf, "missing_anchors", broken)
    with pytest.raises(RuntimeError) as raised:
        pdf.write_pdf(pdf.RenderRequest(html="<p>text</p>", roots=(tmp_path,)))
    assert raised.value.args == ("boom",)


def test_an_unknown_edition_is_told_before_any_position_is_read(make_workspace, monkeypatch):
    def not_now(*args: object, **kwargs: object) -> None:
        raise AssertionError("read or started before the edition was checked")

    monkeypatch.setattr("standpunt.workspace.read.open_workspace", not_now)
    monkeypatch.setattr("standpunt.render.workers.Pool", not_now)
    result = CliRunner().invoke(main, ["-C", str(make_workspace()), "build", "--edition", "swann"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: no partner 'swann' in standpunt.yaml (did you mean 'swan'?) [unknown-partner]\n"
    )


def test_the_build_command_returns_the_report_and_every_error(make_workspace):
    from standpunt.build.report import BuildReport, Outcome
    from standpunt.buildstate.state import BuildOptions
    from standpunt.commands.build import Built, build
    from standpunt.errors import Diagnostic, Location

    root = make_workspace(
        {"positions/broken.yaml": "title: x\nsections:\n  - title: a\n    body: '[@nope]'\n"}
    )
    care = root / "positions/care.yaml"  # a report: a cover and pages, over a one-page limit
    care.write_text(care.read_text() + "layout: report\n")
    config = root / "standpunt.yaml"
    config.write_text(config.read_text() + "limits: {pages: 1}\n")
    unknown = Diagnostic(
        "error",
        "unknown evidence 'nope'; add it to a file in evidence/ or correct the key",
        "unknown-citation",
        Location("positions/broken.yaml", 4, 13),
    )
    too_long = Diagnostic(
        "error",
        "this position makes 2 pages, more than the limit of 1; shorten it, or raise "
        "'limits: pages:' in standpunt.yaml",
        "page-limit",
        Location("positions/care.yaml", 1, 1),
    )
    result = build(root, None, BuildOptions(jobs=1))
    report = BuildReport([Outcome("care", error=too_long)], 1, [unknown])
    assert result == Built(problems=[unknown, too_long], report=report)
