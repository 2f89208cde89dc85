"""How the command line speaks: --quiet and --verbose, JSON for scripts, colour only on a
terminal, completion of ids, partner keys and style names, whole lines when piped."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import copy_demo
from standpunt.cli import main

DEMO_IDS = [
    "coalitions-for-social-policy",
    "diversite-dans-le-travail-social",
    "organisaties-kiezen-positie",
]


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, list(args), env=env or {}, catch_exceptions=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_demo(tmp_path_factory.mktemp("demo") / "ws")


WARNING_WORKSPACE = {
    "evidence/more.yaml": "- id: unused2020\n  type: book\n  title: Unused\n  issued: 2020\n",
}


def test_quiet_prints_errors_only_and_no_summary(make_workspace: Any) -> None:
    root = make_workspace(WARNING_WORKSPACE)
    loud = run("-C", str(root), "check")
    assert "warning: " in loud.output
    assert loud.output.splitlines()[-1].startswith("0 error(s), 1 warning(s)")
    assert run("-q", "-C", str(root), "check").output == ""
    (root / "positions" / "care.yaml").write_text("title: T\nsection: []\n")
    quiet = run("-q", "-C", str(root), "check")
    assert quiet.exit_code == 1
    # one mistake, one error: 'section' is 'sections' misspelt, not also a missing 'sections'
    assert quiet.output.splitlines() == [
        "positions/care.yaml:2:1: error: unknown field 'section' (did you mean 'sections'?) "
        "[unknown-field]"
    ]


def test_quiet_and_verbose_together_is_a_usage_error(make_workspace: Any) -> None:
    result = CliRunner().invoke(main, ["-q", "-v", "-C", str(make_workspace()), "check"])
    assert result.exit_code == 2
    assert "--quiet and --verbose contradict each other; give one" in result.output


def test_colour_on_a_terminal_only(make_workspace: Any) -> None:
    root = make_workspace(WARNING_WORKSPACE)
    forced = run("-C", str(root), "check", env={"FORCE_COLOR": "1"})
    line = next(row for row in forced.output.splitlines() if "warning" in row)
    assert line.startswith("\x1b[1mevidence/more.yaml:1:")
    assert "\x1b[33m\x1b[1mwarning: \x1b[0m" in line
    plain = run("-C", str(root), "check", env={"CI": "true"})
    assert "\x1b[" not in plain.output
    no_colour = run("-C", str(root), "check", env={"FORCE_COLOR": "", "NO_COLOR": "1"})
    assert "\x1b[" not in no_colour.output


def test_list_as_json(demo: Path) -> None:
    rows = json.loads(run("-C", str(demo), "list", "--format", "json").output)
    assert [row["id"] for row in rows] == DEMO_IDS
    assert rows[2] == {
        "id": "organisaties-kiezen-positie",
        "title": "Sterk sociaal werk vraagt sterke organisaties",
        "status": "adopted",
        "date": "2026-03-12",
        "signatories": rows[2]["signatories"],
    }
    assert set(rows[2]) == {"id", "title", "status", "date", "signatories"}


def test_list_piped_keeps_whole_lines(make_workspace: Any) -> None:
    title = "A title long enough to be cut at eighty characters by a table that fits a terminal"
    root = make_workspace(
        {"positions/care.yaml": f"title: {title}\nsections:\n  - title: A\n    body: Text.\n"}
    )
    output = run("-C", str(root), "list").output
    assert title in output


def test_status_and_history_as_json(demo: Path, tmp_path: Path, isolated_git: None) -> None:
    status = json.loads(run("-C", str(demo), "status", "--format", "json").output)
    assert [p["position"] for p in status["positions"]] == DEMO_IDS
    partners = status["positions"][0]["partners"]
    assert all(set(p) == {"partner", "state", "signature"} for p in partners)
    root = copy_demo(tmp_path / "git")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "First text"]):
        subprocess.run(["git", *args], cwd=root, check=True)
    history = json.loads(run("-C", str(root), "history", DEMO_IDS[0], "--format", "json").output)
    assert len(history) == 1
    assert history[0]["message"] == "First text"
    assert history[0]["author"] == "Ann Author"
    assert set(history[0]) == {
        "commit",
        "full_commit",
        "date",
        "author",
        "message",
        "label",
        "status",
        "status_changed",
        "signatories_changed",
        "removed",
    }


def test_build_report_as_json(make_workspace: Any) -> None:
    root = make_workspace()
    result = run("-C", str(root), "build", "--report", "json")
    report = json.loads(result.output)
    assert report == {
        "nothing_to_build": False,
        "built": 1,
        "current": 0,
        "failed": 0,
        "skipped": 0,
        "positions": [{"id": "care", "written": ["build/care.pdf"], "current": [], "error": None}],
        "removed": [],
        "problems": [],
    }
    again = json.loads(run("-C", str(root), "build", "--report", "json").output)
    assert again["nothing_to_build"] is True


def complete(words: str, cword: int) -> list[str]:
    env = {"_STANDPUNT_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    result = CliRunner().invoke(main, [], prog_name="standpunt", env=env)
    return [line.split(",", 1)[1] for line in result.output.splitlines() if line]


def test_completion_of_ids_partners_and_styles(demo: Path) -> None:
    assert complete(f"standpunt -C {demo} sign ", 4) == DEMO_IDS
    assert complete(f"standpunt -C {demo} diff o", 4) == ["organisaties-kiezen-positie"]
    assert complete(f"standpunt -C {demo} sign x --partner s", 6) == ["sterk-sociaal-werk", "swan"]
    assert complete(f"standpunt -C {demo} build --edition a", 5) == ["acht-mei", "apsmo"]
    assert complete("standpunt styles chicago-author-date-c", 2) == [
        "chicago-author-date-classic",
        "chicago-author-date-classic-no-url",
    ]
    assert complete("standpunt -C /nonexistent sign ", 4) == []


def template_workspace(make_workspace: Any, style: str) -> Path:
    """A workspace of two positions whose own template adds ``style`` to the built-in page."""
    root = make_workspace(
        {
            "templates/mine/position.html": (
                '{% extends "builtin/position.html" %}\n'
                "{% block head %}{{ super() }}<style>" + style + "</style>{% endblock %}\n"
            ),
            "positions/second.yaml": (
                "title: Second\nlang: en\ndate: 2026-03-01\nstatus: draft\nsections:\n"
                "  - title: One\n    body: Two.\n"
            ),
        }
    )
    config = root / "standpunt.yaml"
    config.write_text(config.read_text() + "template: mine\n")
    return root


def build(root: Path, *options: str, code: int = 0) -> str:
    """What ``standpunt OPTIONS build --force`` says on stderr, in a process of its own."""
    done = subprocess.run(
        [sys.executable, "-m", "standpunt", *options, "-C", str(root), "build", "--force"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == code, done.stderr
    return done.stderr


def test_verbose_shows_weasyprint_s_notes_on_a_template_s_css_once(make_workspace: Any) -> None:
    """WeasyPrint renders in the workers; what it warns of there reaches the command line with
    --verbose (once, though both positions use the template), and nothing without it."""
    root = template_workspace(make_workspace, "h1 { fluffiness: 12; }")
    assert build(root, "-v") == (
        "WARNING: Ignored `fluffiness: 12` at 1:6, unknown property.\n2 built\n"
    )
    assert build(root) == "2 built\n"


def test_a_template_s_css_reaches_the_terminal_shown_not_obeyed(make_workspace: Any) -> None:
    """Escape sequences and a line break in a CSS value WeasyPrint quotes are printed escaped,
    on the warning's one line."""
    root = template_workspace(make_workspace, 'h1 { foo: a\n  b "\x1b[2J\x1b]0;PWNED\x07"; }')
    assert build(root, "-v") == (
        'WARNING: Ignored `foo: a\\n  b "\\x1b[2J\\x1b]0;PWNED\\x07"` at 1:6, unknown property.\n'
        "2 built\n"
    )


def test_a_worker_s_own_warnings_reach_the_command_line(make_workspace: Any) -> None:
    """A template's resource outside the workspace is refused, and one that is not there is
    named as missing: said by default (once for both positions), as the command's own warnings
    are; WeasyPrint's words on them with --verbose."""
    root = template_workspace(
        make_workspace,
        'h1 { background: url("file:///etc/hostname"); } h2 { background: url(img/no.png); }',
    )
    missing = (
        "there is no file 'img/no.png': a url() in a page's own <style> counts from the "
        "workspace, one in the template's style.css from the template's folder"
    )
    assert build(root) == (
        "WARNING: refused to load 'file:///etc/hostname': only files inside the workspace are "
        f"used\nWARNING: {missing}\n2 built\n"
    )


def test_weasyprint_stopping_without_a_word_is_said_in_ours(make_workspace: Any) -> None:
    """WeasyPrint fails with an empty AssertionError on calc() over an undefined var(): the
    message names what stopped and where to look, not an empty reason."""
    root = template_workspace(make_workspace, "h1 { width: calc(100% - var(--nope)); }")
    said = (
        "error: the PDF could not be made: WeasyPrint stopped (AssertionError) without saying "
        "why, as it does on CSS it cannot lay out; if the workspace has a template of its own, "
        "undo its latest change to find the rule [pdf-failed]"
    )
    done = subprocess.run(
        [sys.executable, "-m", "standpunt", "-C", str(root), "build"],
        capture_output=True,
        text=True,
    )
    # said as each position fails: in either order
    assert (done.returncode, done.stdout, sorted(done.stderr.splitlines())) == (
        1,
        "",
        [
            "0 built, 2 failed",
            f"positions/care.yaml:1:1: {said}",
            f"positions/second.yaml:1:1: {said}",
        ],
    )


def test_a_line_break_in_a_file_s_name_cannot_start_a_line_of_its_own() -> None:
    from standpunt.errors import Diagnostic, Location

    where = Location("signatures/x\npositions/p.yaml", 9, 1)
    assert str(Diagnostic("error", "withdrawn", "withdrawn", where)) == (
        "signatures/x\\npositions/p.yaml:9:1: error: withdrawn [withdrawn]"
    )


def test_weasyprint_s_warnings_of_a_page_are_bounded() -> None:
    """A template that makes WeasyPrint warn a hundred thousand times sends back twenty lines,
    each at most 300 characters, and how many more there were."""
    import logging

    from standpunt.render.workers import MAX_SAID, MAX_SAID_LENGTH, _Said

    said = _Said()
    log = logging.getLogger("standpunt-test-said")
    log.propagate = False
    log.addHandler(said)
    try:
        log.warning("Ignored `%s` at 1:1, unknown property.", "x" * 1000)
        for n in range(100_000):
            log.warning("Ignored `p%d: 1` at %d:1, unknown property.", n, n + 2)
    finally:
        log.removeHandler(said)
    sent = said.sent()
    assert (MAX_SAID, MAX_SAID_LENGTH) == (20, 300)
    name = "standpunt-test-said"
    assert sent == [
        (name, "Ignored `" + "x" * 290 + "…"),
        *((name, f"Ignored `p{n}: 1` at {n + 2}:1, unknown property.") for n in range(19)),
        ("weasyprint", "(and 99981 more warnings from WeasyPrint on this page)"),
    ]
    assert len(sent[0][1]) == 300
    said.clear()
    assert said.sent() == []


def test_check_reports_what_the_build_would_refuse_in_a_template(make_workspace: Any) -> None:
    """A workspace's own template is compiled by ``check`` as by the build: an unknown filter
    and an unclosed block are errors at their file and line; a template that compiles, or the
    built-in one, adds nothing."""
    root = make_workspace(
        {
            "templates/mine/position.html": (
                '{% extends "builtin/position.html" %}\n'
                "{% block head %}{{ super() }}\n"
                "<style>h1 { color: {{ organisation.colour|shout }}; }</style>\n"
                "{% endblock %}\n"
            ),
            "templates/mine/parts/cover.html": "<div>{% if position.title %}\n<h1>x</h1>\n",
            "templates/mine/fine.html": "<p>{{ position.title|upper }}</p>\n",
        }
    )
    config = root / "standpunt.yaml"
    config.write_text(config.read_text() + "template: mine\n")
    result = run("-C", str(root), "check")
    assert (result.exit_code, result.output) == (
        1,
        "templates/mine/parts/cover.html:2: error: template error: Unexpected end of template. "
        "Jinja was looking for the following tags: 'elif' or 'else' or 'endif'. The innermost "
        "block that needs to be closed is 'if'. [template-syntax]\n"
        "templates/mine/position.html:3: error: template error: No filter named 'shout'. "
        "[template-syntax]\n"
        "2 error(s), 0 warning(s) in 1 position(s) and 3 evidence item(s)\n",
    )
    (root / "templates/mine/parts/cover.html").unlink()
    (root / "templates/mine/position.html").write_text('{% extends "builtin/position.html" %}\n')
    assert run("-C", str(root), "check").output == (
        "0 error(s), 0 warning(s) in 1 position(s) and 3 evidence item(s)\n"
    )
