"""`standpunt check`: every problem of every file, sorted, with exact places."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conftest import CONFIG, POSITION
from standpunt.checks.check import check_workspace
from standpunt.cli import main
from standpunt.workspace.read import open_workspace


def run(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["-C", str(root), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_clean_workspace_exits_zero(make_workspace):
    code, out, err = run(make_workspace(), "check")
    assert code == 0, out + err
    assert out == ""
    assert err == "0 error(s), 0 warning(s) in 1 position(s) and 3 evidence item(s)\n"


def test_the_summary_counts_the_positions_checked(make_workspace):
    root = make_workspace(
        {"positions/other.yaml": POSITION, "positions/third.yaml": POSITION.replace("Care", "X")}
    )
    code, out, err = run(root, "check", "care", "third", "care")
    assert (code, out) == (0, "")
    assert err == "0 error(s), 0 warning(s) in 2 position(s) and 3 evidence item(s)\n"
    code, out, err = run(root, "check")
    assert (code, out) == (0, "")
    assert err == "0 error(s), 0 warning(s) in 3 position(s) and 3 evidence item(s)\n"


def test_three_errors_with_their_lines(make_workspace):
    root = make_workspace(
        {
            "positions/bad.yaml": """\
            title: A position with mistakes
            titel: misspelt field
            sections:
              - title: One
                body: |
                  First line.
                  Cited wrongly [@smtih2021a] here.
            """,
            "evidence/more.yaml": """\
            - id: other2020
              title: Another work
            - id: doe2019
              title: Same id again
            """,
        }
    )
    code, out, err = run(root, "check")
    assert code == 1
    # more.yaml is read before refs.yaml, so the second doe2019, in refs.yaml, is the duplicate
    assert out.splitlines() == [
        "evidence/more.yaml:1:7: warning: evidence 'other2020' is not cited by any position "
        "[uncited-evidence]",
        "evidence/refs.yaml:19:7: error: evidence id 'doe2019' is defined twice: here and at "
        "evidence/more.yaml:3:7; give one of them another id [duplicate-evidence]",
        "positions/bad.yaml:2:1: error: unknown field 'titel' (did you mean 'title'?) "
        "[unknown-field]",
        "positions/bad.yaml:7:22: error: unknown evidence 'smtih2021a' (did you mean "
        "'smith2021a'?); add it to a file in evidence/ or correct the key [unknown-citation]",
    ]
    assert err == "3 error(s), 1 warning(s) in 2 position(s) and 4 evidence item(s)\n"


def test_a_citation_is_placed_where_pandoc_reads_it(make_workspace):
    # '@smtih2021a' stands three times in the block, but only the third is a citation: the
    # first is part of an address, the second is code
    root = make_workspace(
        {
            "positions/bad.yaml": """\
            title: A position
            summary: |
              Mail jan@smtih2021a or see `@smtih2021a`,
              as [@smtih2021a] shows.
            """,
        }
    )
    code, out, _ = run(root, "check")
    assert code == 1
    assert "positions/bad.yaml:4:7: error: unknown evidence 'smtih2021a'" in out


def test_problems_are_sorted_by_file_and_line(make_workspace):
    root = make_workspace(
        {
            "positions/bad.yaml": """\
            title: A position with mistakes
            titel: misspelt field
            sections:
              - title: One
                body: Cited wrongly [@smtih2021a] here.
            """,
            "evidence/more.yaml": """\
            - id: doe2019
              title: Same id again
            """,
        }
    )
    code, out, _ = run(root, "check")
    assert code == 1
    places = []
    for line in out.splitlines():
        path, row, col, _rest = line.split(":", 3)
        places.append((path, int(row), int(col)))
    assert places == sorted(places)
    # evidence/more.yaml is read before evidence/refs.yaml, so the later one is the duplicate
    assert ("evidence/refs.yaml", 19, 7) in places
    assert ("positions/bad.yaml", 2, 1) in places
    assert ("positions/bad.yaml", 5, 26) in places


def test_json_format_for_ci(make_workspace):
    root = make_workspace({"positions/care.yaml": "title: x\nsections: []\n"})
    code, out, _ = run(root, "check", "--format", "json")
    assert code == 1
    problems = json.loads(out)
    codes = {p["code"] for p in problems}
    assert "no-sections" in codes
    first = next(p for p in problems if p["code"] == "no-sections")
    assert (first["path"], first["line"], first["severity"]) == ("positions/care.yaml", 2, "error")


def test_signatory_not_among_partners(make_workspace):
    root = make_workspace(
        {
            "positions/care.yaml": """\
            title: x
            sections:
              - title: One
                body: Text [@doe2019] and [@smith2021a; @smith2021b].
            signatories:
              - swan
              - swam2
            """
        }
    )
    code, out, _ = run(root, "check")
    assert code == 1
    assert "positions/care.yaml:7:5: error: signatory 'swam2' is not among the partners" in out


def test_invalid_ids_and_missing_evidence_id(make_workspace):
    root = make_workspace(
        {
            "positions/Bad Name.yaml": "title: x\nsections: [{title: a, body: b}]\n",
            "evidence/noid.yaml": "- title: A work without id\n",
        }
    )
    code, out, _ = run(root, "check")
    assert code == 1
    assert "positions/Bad Name.yaml:1:1: error: 'Bad Name.yaml' is not a valid position" in out
    assert "evidence/noid.yaml:1:3: error: this reference has no 'id'" in out


def test_case_insensitive_collision(make_workspace):
    root = make_workspace({"positions/Care.yaml": "title: x\nsections: [{title: a, body: b}]\n"})
    code, out, _ = run(root, "check")
    assert code == 1
    assert "[invalid-id]" in out  # upper case is not allowed in an id at all


def test_yaml_error_is_reported_with_the_rest(make_workspace):
    root = make_workspace(
        {
            "positions/broken.yaml": "title: [unclosed\n",
            "positions/dup.yaml": "title: a\ntitle: b\nsections: [{title: a, body: b}]\n",
        }
    )
    code, out, _ = run(root, "check")
    assert code == 1
    assert "positions/broken.yaml:" in out
    assert "positions/dup.yaml:2:1: error:" in out and "[yaml-duplicate-key]" in out


def test_wrong_values_point_at_the_value(make_workspace):
    root = make_workspace(
        {
            "positions/care.yaml": """\
            title: x
            date: 2026-13-45
            status: adoptd
            lang: "not a tag"
            sections: [{title: a, body: b}]
            """
        }
    )
    code, out, _ = run(root, "check")
    assert code == 1
    assert "positions/care.yaml:2:7: error: '2026-13-45' is not a valid date" in out
    assert (
        "positions/care.yaml:3:9: error: 'status' cannot be 'adoptd' (did you mean 'adopted'?)"
        in out
    )
    assert "positions/care.yaml:4:7: error: 'lang':" in out


def test_no_workspace_is_a_usage_error(tmp_path):
    code, _, err = run(tmp_path, "check")
    assert code == 2
    assert "no standpunt.yaml found" in err


def test_broken_config_stops_at_once(make_workspace):
    root = make_workspace({"standpunt.yaml": "organisation: {name: X}\nlangue: nl\n"})
    code, out, _ = run(root, "check")
    assert code == 1
    assert "standpunt.yaml:2:1: error: unknown field 'langue' (did you mean 'lang'?)" in out


def test_workspace_found_from_a_subfolder(make_workspace, monkeypatch):
    root = make_workspace()
    monkeypatch.chdir(root / "positions")
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output


def test_workspace_without_partners(make_workspace):
    root = make_workspace(
        {
            "standpunt.yaml": "organisation: {name: Solo}\n",
            "positions/care.yaml": "title: x\nsections: [{title: a, body: b}]\n",
            "evidence/refs.yaml": "[]\n",
        }
    )
    code, out, err = run(root, "check")
    assert code == 0, out + err


def test_shared_evidence_library_is_read_and_duplicates_name_both_files(make_workspace):
    root = make_workspace(
        {
            "library/shared.yaml": """\
            - id: shared2020
              type: report
              title: A shared coalition report
            - id: doe2019
              type: report
              title: The same id as in evidence/
            """,
            "positions/care.yaml": """\
            title: x
            sections:
              - title: One
                body: Text [@shared2020] and [@smith2021a; @smith2021b] and [@doe2019].
            """,
        }
    )
    config = root / "standpunt.yaml"
    config.write_text(config.read_text() + "evidence:\n  - library\n")
    code, out, _ = run(root, "check")
    assert code == 1
    assert out.splitlines() == [
        "library/shared.yaml:4:7: error: evidence id 'doe2019' is defined twice: here and at "
        "evidence/refs.yaml:19:7; give one of them another id [duplicate-evidence]"
    ]


def test_an_evidence_library_outside_the_workspace_is_refused(make_workspace, tmp_path):
    root = make_workspace()
    config = root / "standpunt.yaml"
    (tmp_path / "elsewhere").mkdir()
    config.write_text(config.read_text() + f"evidence:\n  - {tmp_path / 'elsewhere'}\n")
    code, out, err = run(root, "check")
    assert code == 1
    assert "standpunt.yaml:12:5: error: evidence folder" in out + err
    assert "lies outside the workspace" in out + err


def test_checking_leaves_the_workspace_as_it_was_read(make_workspace):
    position = "titel: x\n" + POSITION.replace("[@doe2019].", "[@doe2091].")
    workspace = open_workspace(make_workspace({"positions/care.yaml": position}))
    read = list(workspace.problems.items)
    report = check_workspace(workspace)
    assert workspace.problems.items == read  # checking reads, it does not write
    assert [str(d) for d in read] == [
        "positions/care.yaml:1:1: error: unknown field 'titel' (did you mean 'title'?) "
        "[unknown-field]"
    ]
    assert [str(d) for d in report.found] == [
        "positions/care.yaml:14:25: error: unknown evidence 'doe2091' (did you mean "
        "'doe2019'?); add it to a file in evidence/ or correct the key [unknown-citation]"
    ]
    assert report.problems.items == [*read, *report.found]
    assert report.cited == {"care": ["smith2021a", "smith2021b", "doe2019", "doe2091"]}
    assert check_workspace(workspace) == report  # so checking again finds the same


def test_a_style_or_template_the_build_cannot_use_is_an_error_of_check_too(make_workspace):
    config = CONFIG.replace("style: apa\n", "style: apaa\ntemplate: mine\n")
    root = make_workspace({"standpunt.yaml": config})
    style = (
        "standpunt.yaml:5:8: error: unknown citation style 'apaa' (did you mean 'apa'?); use a "
        "style name from the CSL repository (e.g. apa, harvard-cite-them-right, "
        "chicago-notes-bibliography) or a path to a .csl file [unknown-style]\n"
    )
    template = (
        "standpunt.yaml:6:11: error: template 'mine' was not found: create the folder "
        "templates/mine/ or set 'template: default' in standpunt.yaml [unknown-template]\n"
    )
    code, out, err = run(root, "check")
    assert (code, out) == (1, style + template)
    assert err == "2 error(s), 0 warning(s) in 1 position(s) and 3 evidence item(s)\n"
    # The build reports both and builds nothing, instead of failing on the first.
    code, out, err = run(root, "build")
    assert (code, out, err) == (
        1,
        style + template,
        "0 built, 1 not built because of errors above\n",
    )
    assert not (root / "build" / "care.pdf").exists()
