"""init, new, list, and what the commands import."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from standpunt.cli import main


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_init_makes_a_workspace_that_checks_clean(tmp_path):
    target = tmp_path / "new-ws"
    result = invoke("init", str(target))
    assert result.exit_code == 0, result.output
    assert (target / ".gitignore").read_text().strip() == "/build/"
    assert (target / "standpunt.yaml").is_file()
    assert not (target / "new-position.yaml").exists()
    check = invoke("-C", str(target), "check")
    assert check.exit_code == 0, check.output


def test_init_refuses_an_existing_workspace(make_workspace):
    root = make_workspace()
    before = (root / "standpunt.yaml").read_bytes()
    result = invoke("init", str(root))
    assert result.exit_code == 2
    assert "already holds a workspace" in result.output
    assert (root / "standpunt.yaml").read_bytes() == before


def test_new_position_from_title(make_workspace):
    root = make_workspace()
    result = invoke("-C", str(root), "new", 'Armoede "bestrijden": échte keuzes')
    assert result.exit_code == 0, result.output
    path = root / "positions" / "armoede-bestrijden-echte-keuzes.yaml"
    assert path.is_file()
    assert "created positions/armoede-bestrijden-echte-keuzes.yaml" in result.output
    check = invoke("-C", str(root), "check", "armoede-bestrijden-echte-keuzes")
    assert check.exit_code == 0, check.output
    from standpunt.workspace.load import load_yaml

    assert load_yaml(path)["title"] == 'Armoede "bestrijden": échte keuzes'


def test_new_refuses_to_overwrite(make_workspace):
    root = make_workspace()
    before = (root / "positions" / "care.yaml").read_bytes()
    result = invoke("-C", str(root), "new", "Care")
    assert result.exit_code == 1
    assert "exists already" in result.output
    assert (root / "positions" / "care.yaml").read_bytes() == before


def test_list_shows_positions(make_workspace):
    root = make_workspace()
    result = invoke("-C", str(root), "list")
    assert result.exit_code == 0
    row = next(line for line in result.output.splitlines() if line.startswith("care"))
    assert row.split() == [
        "care",
        "Care",
        "is",
        "not",
        "a",
        "market",
        "adopted",
        "2026-03-01",
        "swan",
    ]


def _imported_modules(*args: str, cwd=None) -> str:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "standpunt", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )
    return done.stderr


def test_help_and_check_do_not_import_weasyprint(make_workspace):
    root = make_workspace()
    for args in (["--help"], ["-C", str(root), "check"]):
        imports = _imported_modules(*args)
        assert "standpunt.cli" in imports  # the trace is real
        assert "weasyprint" not in imports, args


BUG_REPORT = (
    "This is a bug in Standpunt, not a problem in your files. Please report it, with the command "
    "you ran, what 'standpunt --version' prints, and "
)


def _broken(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom")


def test_an_unexpected_error_is_reported_as_a_bug(make_workspace, monkeypatch):
    root = make_workspace()
    monkeypatch.setattr("standpunt.commands.check.check", _broken)
    result = CliRunner().invoke(main, ["-C", str(root), "check"])
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == (
        "standpunt check: unexpected error (RuntimeError: boom).\n"
        + BUG_REPORT
        + "what the command prints with --debug (standpunt --debug check ...).\n"
    )


def test_debug_shows_the_traceback_of_a_bug(make_workspace, monkeypatch):
    root = make_workspace()
    monkeypatch.setattr("standpunt.commands.check.check", _broken)
    result = CliRunner().invoke(main, ["--debug", "-C", str(root), "check"])
    assert result.exit_code == 3
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert '    raise RuntimeError("boom")' in lines  # down to the line that failed
    assert result.stderr.endswith(
        "RuntimeError: boom\n\n"
        "standpunt check: unexpected error (RuntimeError: boom).\n"
        + BUG_REPORT
        + "the traceback above.\n"
    )


def test_an_interrupted_command_exits_130(make_workspace, monkeypatch):
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    root = make_workspace()
    monkeypatch.setattr("standpunt.commands.signing.fingerprint", interrupted)
    result = CliRunner().invoke(main, ["-C", str(root), "fingerprint", "care"])
    assert (result.exit_code, result.stdout, result.stderr) == (130, "", "stopped\n")


def test_the_exit_table():
    from standpunt.cli import exit_code
    from standpunt.commands.check import Checked
    from standpunt.errors import ContentErrors, Diagnostic, StandpuntError, UsageError

    warning = Diagnostic("warning", "a warning", "w")
    error = Diagnostic("error", "an error", "e")
    assert exit_code(None) == 0
    assert exit_code(Checked(positions=1, evidence=1)) == 0
    assert exit_code(Checked(problems=[warning], positions=1, evidence=1)) == 0
    assert exit_code(Checked(problems=[warning, error], positions=1, evidence=1)) == 1
    assert exit_code(StandpuntError("wrong content")) == 1
    assert exit_code(ContentErrors([error])) == 1
    assert exit_code(UsageError("wrong call")) == 2
    assert exit_code(RuntimeError("a bug")) == 3
    assert exit_code(KeyboardInterrupt()) == 130


def test_init_in_another_language_sets_the_workspace_s_language(tmp_path):
    """Positions of a Dutch organisation start in Dutch: `new` takes the workspace's language;
    the worked example, written in English, keeps its own `lang: en`."""
    target = tmp_path / "nl-ws"
    result = invoke("init", str(target), "--lang", "nl-BE")
    assert result.exit_code == 0, result.output
    config = (target / "standpunt.yaml").read_text(encoding="utf-8")
    assert [line for line in config.splitlines() if line.startswith("lang:")] == ["lang: nl-BE"]
    example = (target / "positions" / "example-position.yaml").read_text(encoding="utf-8")
    assert [line for line in example.splitlines() if line.startswith("lang:")] == ["lang: en"]
    assert invoke("-C", str(target), "new", "Armoede bestrijden").exit_code == 0
    new = (target / "positions" / "armoede-bestrijden.yaml").read_text(encoding="utf-8")
    assert new.splitlines()[1].startswith("# Een nieuw standpunt.")  # the Dutch skeleton
    assert 'lang: "nl-BE"' in new.splitlines()
    check = invoke("-C", str(target), "check")
    assert check.exit_code == 0, check.output


def test_init_refuses_what_is_no_language_tag_and_writes_nothing(tmp_path):
    target = tmp_path / "ws"
    result = invoke("init", str(target), "--lang", "nl_BE")
    assert (result.exit_code, result.output.splitlines()) == (
        2,
        ["error: 'nl_BE' is not a language tag; write e.g. --lang nl-BE, nl, fr, en or de [usage]"],
    )
    assert not target.exists()


def test_a_language_without_dates_is_refused_at_init_and_by_check(make_workspace, tmp_path):
    """'be-nl' (as in Belgian web addresses) is Belarusian in the Netherlands: no dates can be
    written in it, and a build stopped with a bug report; now init and check say what to write."""
    result = invoke("init", str(tmp_path / "ws"), "--lang", "be-nl")
    assert (result.exit_code, result.output) == (
        2,
        "error: 'be-nl' is not a language Standpunt knows (did you mean nl-BE?); write a "
        "language tag such as nl-BE, nl, fr, en or de [usage]\n",
    )
    assert not (tmp_path / "ws").exists()
    root = make_workspace()
    care = root / "positions" / "care.yaml"
    care.write_text(care.read_text().replace("lang: en", "lang: xx"))
    check = invoke("-C", str(root), "check")
    assert check.exit_code == 1
    assert check.output.splitlines()[0] == (
        "positions/care.yaml:2:7: error: 'lang': 'xx' is not a language Standpunt knows; write "
        "a language tag such as nl-BE, nl, fr, en or de [invalid-value]"
    )
    build = invoke("-C", str(root), "build")
    assert build.exit_code == 1
    assert "bug" not in build.output.lower()


def test_fields_and_values_written_in_dutch_are_named_once_in_english(make_workspace):
    """A Dutch officer's first file: each word written in Dutch gets the English one, and a
    field written under another name is one error, not also "'title' is required"."""
    root = make_workspace(
        {
            "positions/care.yaml": (
                "titel: Armoede\nsamenvatting: Kort.\nstatus: concept\n"
                "sections:\n  - title: A\n    body: B\n"
            )
        }
    )
    result = invoke("-C", str(root), "check")
    assert (result.exit_code, result.output.splitlines()) == (
        1,
        [
            "evidence/refs.yaml:1:7: warning: evidence 'smith2021a' is not cited by any "
            "position [uncited-evidence]",
            "evidence/refs.yaml:10:7: warning: evidence 'smith2021b' is not cited by any "
            "position [uncited-evidence]",
            "evidence/refs.yaml:19:7: warning: evidence 'doe2019' is not cited by any position "
            "[uncited-evidence]",
            "positions/care.yaml:1:1: error: unknown field 'titel' (did you mean 'title'?) "
            "[unknown-field]",
            "positions/care.yaml:2:1: error: unknown field 'samenvatting' (did you mean "
            "'summary'? fields and values are written in English) [unknown-field]",
            "positions/care.yaml:3:9: error: 'status' cannot be 'concept' (did you mean 'draft'? "
            "fields and values are written in English); allowed: 'draft', 'consultation', "
            "'adopted' or 'withdrawn' [invalid-value]",
            "3 error(s), 3 warning(s) in 1 position(s) and 3 evidence item(s)",
        ],
    )
