"""The friction a new user met, each case with the behaviour that replaced it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import CONFIG, EVIDENCE
from standpunt.cli import main


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def lines(result: Any) -> list[str]:
    return [
        line for line in result.output.splitlines() if ": error: " in line or ": warning: " in line
    ]


CITES_ALL = "[@smith2021a] [@smith2021b] [@doe2019]"


def test_a_file_that_does_not_parse_brings_no_follow_on_warnings(make_workspace: Any) -> None:
    root = make_workspace({"positions/care.yaml": "title: T\nsections: [\n"})
    assert [line.split(": ")[1] for line in lines(run("-C", str(root), "check"))] == ["error"]


def test_uncited_evidence_is_still_reported_when_every_file_reads(make_workspace: Any) -> None:
    root = make_workspace(
        {"positions/care.yaml": "title: T\nsections:\n  - title: A\n    body: B [@doe2019].\n"}
    )
    found = lines(run("-C", str(root), "check"))
    assert [line.rsplit("[", 1)[1] for line in found] == ["uncited-evidence]", "uncited-evidence]"]


def test_a_value_a_hash_emptied_gets_a_warning_at_its_line(make_workspace: Any) -> None:
    position = (
        f"title: T\nsections:\n  - title: Wonen\n    body: Tekst {CITES_ALL}.\n"
        "    quote: #wonen is een recht\n"
    )
    root = make_workspace({"positions/care.yaml": position})
    assert lines(run("-C", str(root), "check")) == [
        "positions/care.yaml:5:5: warning: 'quote' is empty: YAML reads '#wonen is een recht' as "
        "a comment, because it starts with '#'; if it is the value, put it in quotes: "
        'quote: "#wonen is een recht" [emptied-by-comment]'
    ]


def test_a_colour_a_hash_emptied_in_standpunt_yaml_gets_a_warning(make_workspace: Any) -> None:
    config = CONFIG.replace(
        "    name: Hart boven Hard\n", "    name: Hart boven Hard\n    colour: #1f4e8c\n"
    )
    root = make_workspace({"standpunt.yaml": config})
    found = [line for line in lines(run("-C", str(root), "check")) if "emptied" in line]
    assert found == [
        "standpunt.yaml:11:5: warning: 'colour' is empty: YAML reads '#1f4e8c' as a comment, "
        "because it starts with '#'; if it is the value, put it in quotes: "
        'colour: "#1f4e8c" [emptied-by-comment]'
    ]


def test_an_empty_value_without_a_comment_gets_no_warning(make_workspace: Any) -> None:
    position = f"title: T\nsubtitle:\nsections:\n  - title: A\n    body: B {CITES_ALL}.\n"
    root = make_workspace({"positions/care.yaml": position})
    assert lines(run("-C", str(root), "check")) == []


@pytest.mark.parametrize(
    ("text", "line", "hint"),
    [
        (
            "title: T\nsections:\n  - title: A\n    body:\u00a0B\n  - title: C\n",
            4,
            "this line holds a non-breaking space (as word processors paste them), which YAML "
            "does not read as a space: retype it as an ordinary space",
        ),
        (
            "title: “Care”: first\nsections: []\n",
            1,
            "this line holds curly quotes (“ ” ‘ ’), which do not quote a value in YAML: use "
            "straight quotes (\" or ') around a value that needs them, or none",
        ),
    ],
)
def test_characters_pasted_from_word_are_named(
    make_workspace: Any, text: str, line: int, hint: str
) -> None:
    root = make_workspace({"positions/care.yaml": text})
    (found,) = lines(run("-C", str(root), "check"))
    assert found.startswith(f"positions/care.yaml:{line}:")
    assert f"error: {hint} (YAML parser: " in found


def test_a_non_breaking_space_on_an_earlier_line_is_named_with_its_line(
    make_workspace: Any,
) -> None:
    root = make_workspace({"positions/care.yaml": "  title:\u00a0 Care\n\nsections: []\n"})
    (found,) = lines(run("-C", str(root), "check"))
    # reported at the pasted character, not where YAML gave up (line 3)
    assert found.startswith("positions/care.yaml:1:9: error: this line holds a non-breaking space")


@pytest.mark.parametrize(
    ("lang", "title", "summary"),
    [
        (
            "nl-BE",
            "✎ Eerste deel",
            "✎ Twee tot vier zinnen: wat we vragen, en waarom het ertoe doet.",
        ),
        (
            "fr",
            "✎ Première partie",
            "✎ Deux à quatre phrases : ce que nous demandons, et pourquoi c'est important.",
        ),
        (
            "de",
            "✎ Erster Abschnitt",
            "✎ Zwei bis vier Sätze: was wir fordern, und warum es wichtig ist.",
        ),
        ("en", "✎ First section", "✎ Two to four sentences: what we ask, and why it matters."),
    ],
)
def test_new_writes_the_skeleton_in_the_workspace_language_and_check_flags_its_placeholders(
    make_workspace: Any, lang: str, title: str, summary: str
) -> None:
    root = make_workspace({"standpunt.yaml": CONFIG.replace("lang: en", f"lang: {lang}")})
    assert run("-C", str(root), "new", "Wonen eerst").exit_code == 0
    text = (root / "positions" / "wonen-eerst.yaml").read_text()
    assert f"  - title: {title}\n" in text
    assert f"  {summary}\n" in text
    assert '# version: "1.0"' in text
    warned = [line for line in lines(run("-C", str(root), "check")) if "wonen-eerst" in line]
    assert len(warned) == 4  # summary, section title and body, the ask
    file_lines = text.splitlines()
    for line in warned:
        number, column = (int(part) for part in line.split(":")[1:3])
        value = file_lines[number - 1][column - 1 :]
        if value == "|":  # a block of text: it starts on the next line
            value = file_lines[number].strip()
        assert value.startswith("✎"), line
        assert line.endswith("write your own text here, or remove the field [placeholder]")


def test_init_outside_git_says_how_to_start_a_repository(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "ws")])
    assert "this folder is not in a git repository yet" in result.output
    assert f"cd {tmp_path / 'ws'} && git init && git add -A && git commit -m 'Our positions'" in (
        result.output
    )
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    inside = CliRunner().invoke(main, ["init", str(tmp_path / "repo" / "ws")])
    assert "not in a git repository" not in inside.output


SIGNED = POSITION_WITH_PARTNER = """\
title: Care
signatories: [swan]
sections:
  - title: A
    body: Text [@smith2021a] [@smith2021b].
"""


def sign(root: Path, *args: str) -> Any:
    return run("-C", str(root), "sign", "care", "--partner", "swan", *args)


def test_signing_again_keeps_the_role_or_says_what_changed(make_workspace: Any) -> None:
    root = make_workspace({"positions/care.yaml": SIGNED})
    path = root / "signatures" / "care" / "swan.yaml"
    assert sign(root, "--by", "An Peeters", "--role", "coördinator").exit_code == 0
    again = sign(root, "--by", "An Peeters")
    assert "note: kept the role 'coördinator' of An Peeters's earlier signature" in again.output
    assert "role: coördinator" in path.read_text()
    changed = sign(root, "--by", "An Peeters", "--role", "voorzitter")
    assert "note: the role changed from 'coördinator' to 'voorzitter'" in changed.output
    other = sign(root, "--by", "Jonas Peeters")
    assert "note: this replaces the signature by An Peeters for 'swan'" in other.output
    assert "role:" not in path.read_text()


def test_unknown_ids_are_errors_for_serve_and_unsign(make_workspace: Any) -> None:
    root = make_workspace()
    for args in (["serve", "cares"], ["unsign", "cares", "--partner", "swan"]):
        result = CliRunner().invoke(main, ["-C", str(root), *args])
        assert result.exit_code == 2, args
        assert result.output.strip() == (
            "error: no position 'cares' in positions/ (did you mean 'care'?) [unknown-position]"
        )


def test_conftest_evidence_is_what_these_tests_cite() -> None:
    assert "id: smith2021a" in EVIDENCE and "id: smith2021b" in EVIDENCE


def test_a_git_tag_labels_a_position_without_version(
    make_workspace: Any, isolated_git: None
) -> None:
    import subprocess

    from standpunt.versions.history import stamps

    root = make_workspace()
    path = root / "positions" / "care.yaml"

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "First text")
    git("tag", "care/v1.0")
    git("commit", "-q", "--allow-empty", "-m", "Something else")
    git("tag", "care/v1.1")  # on a later commit that did not change the text: still this text
    git("tag", "care/v1.9x")
    found = stamps(root, {"care": ([path], None)})["care"]
    assert (found.label, found.tag) == ("1.9x", "care/v1.9x")
    path.write_text(path.read_text() + "\n# a change\n")
    git("commit", "-q", "-am", "Changed")
    changed = stamps(root, {"care": ([path], None)})["care"]
    assert (changed.label, changed.tag) == (None, None)  # the tags hold an older text
    git("tag", "care/v2.0")
    assert stamps(root, {"care": ([path], None)})["care"].label == "2.0"
    path.write_text(path.read_text() + "\n# not committed\n")
    assert stamps(root, {"care": ([path], None)})["care"].label is None
    own = stamps(root, {"care": ([path], "3.0")})["care"]
    assert (own.label, own.tag) == ("3.0", None)


def test_build_removes_the_outputs_of_a_position_that_is_gone(make_workspace: Any) -> None:
    root = make_workspace(
        {"positions/other.yaml": "title: Other\nsections:\n  - title: A\n    body: B.\n"}
    )
    assert run("-C", str(root), "build", "--format", "pdf,html").exit_code == 0
    mine = root / "build" / "notes.pdf"
    mine.write_bytes(b"a file Standpunt did not make")
    (root / "positions" / "other.yaml").unlink()
    result = run("-C", str(root), "build")
    assert "removed build/other.html: its position is gone" in result.output
    assert "removed build/other.pdf: its position is gone" in result.output
    assert sorted(p.name for p in (root / "build").iterdir() if not p.name.startswith(".")) == [
        "care.html",
        "care.pdf",
        "notes.pdf",
    ]


def test_a_bib_file_given_to_evidence_import_is_sent_to_evidence(
    make_workspace: Any, tmp_path: Path
) -> None:
    root = make_workspace()
    bib = tmp_path / "export.bib"
    bib.write_text("@book{x2020, title={X}, year={2020}}\n")
    result = CliRunner().invoke(main, ["-C", str(root), "evidence", "import", str(bib)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: export.bib is BibTeX or BibLaTeX, which Standpunt reads as it is: copy it into "
        "evidence/ (keep it up to date there from Zotero). 'evidence import' takes a CSL-JSON "
        "export (in Zotero: Export Library… › CSL JSON) [usage]"
    )


def test_a_list_written_as_text_says_how_to_write_a_list(make_workspace: Any) -> None:
    text = "title: T\ntags: wonen, dakloosheid\nsections:\n  - title: A\n    body: B.\n"
    root = make_workspace({"positions/care.yaml": text})
    found = [line for line in lines(run("-C", str(root), "check")) if "tags" in line]
    assert found == [
        "positions/care.yaml:2:7: error: 'tags' should be a list: write each item on a line of "
        "its own, under it, starting with '- ' (or all of them as [a, b]) [invalid-value]"
    ]
