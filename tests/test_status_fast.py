"""``status ID`` in a workspace ``check`` has seen: the settings of standpunt.yaml and the
signature files taken as check found them valid, by their bytes, so that no pydantic model is
imported; and never believed for other bytes."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from standpunt.cli import main

#: Runs the command line as a user does, then says on stderr whether pydantic was imported.
PROBE = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write(f'pydantic: {\"pydantic\" in sys.modules}\\n'))\n"
    "from standpunt.cli import main\n"
    "main()\n"
)


TODAY = dt.date.today().isoformat()


def run(root: Path, *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, ["-C", str(root), *args])
    assert result.exit_code == code, result.output
    return result


def command(root: Path, *args: str) -> tuple[int, str, bool]:
    """``standpunt -C root ARGS`` in a process of its own: its exit code, what it printed, and
    whether it imported pydantic."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    *said, last = done.stderr.splitlines()
    assert last in ("pydantic: True", "pydantic: False"), done.stderr
    return done.returncode, done.stdout + "\n".join(said), last == "pydantic: True"


def signed(make_workspace) -> Path:
    root = make_workspace()
    run(root, "sign", "care", "--partner", "swan", "--by", "An Peeters", "--role", "director")
    run(root, "sign", "care", "--partner", "hbh", "--by", "Bo Bakker")
    return root


def test_status_of_one_id_after_check_imports_no_pydantic_and_says_the_same(
    make_workspace,
) -> None:
    root = signed(make_workspace)
    asked = [("status", "care"), ("status", "care", "--format", "json"), ("fingerprint", "care")]
    before = [command(root, *args) for args in asked]
    # nothing kept yet: standpunt.yaml and the signature files are validated
    assert all(code == 0 and pydantic for code, _, pydantic in before)
    assert before[0][1] == (
        "care:\n"
        f"  swan                     signed this text, not verified (An Peeters, {TODAY})\n"
        f"  hbh                      signed this text, not verified (Bo Bakker, {TODAY})\n"
    )
    assert not (root / "build").exists()  # status keeps nothing; only check does
    run(root, "check")
    after = [command(root, *args) for args in asked]
    assert [said for _, said, _ in after] == [said for _, said, _ in before]
    assert [(code, pydantic) for code, _, pydantic in after] == [(0, False)] * 3


def test_a_changed_standpunt_yaml_is_validated_again(make_workspace) -> None:
    root = signed(make_workspace)
    run(root, "check")
    config = root / "standpunt.yaml"
    config.write_text(config.read_text() + "signatures: sometimes\n")
    code, said, pydantic = command(root, "status", "care")
    assert code == 1 and pydantic
    assert said == (
        "standpunt.yaml:11:13: error: 'signatures' cannot be 'sometimes'; allowed: 'recorded' "
        "or 'verified' [invalid-value]\n"
    )


def test_a_changed_signature_file_is_validated_again(make_workspace) -> None:
    root = signed(make_workspace)
    run(root, "check")
    file = root / "signatures/care/hbh.yaml"
    text = file.read_text()
    date = next(line for line in text.splitlines() if line.startswith("date: "))
    file.write_text(text.replace(date, "date: 2026-02-30"))
    code, said, pydantic = command(root, "status", "care")
    assert code == 1 and pydantic
    assert said == (  # hbh, no signatory, is not named without a signature
        "signatures/care/hbh.yaml:5:7: error: '2026-02-30' is not a valid date for 'date': "
        "month 2 of 2026 has no day 30 [invalid-date]\n"
        "care:\n"
        f"  swan                     signed this text, not verified (An Peeters, {TODAY})\n"
    )


def test_a_new_position_file_beside_the_one_asked_for_changes_nothing(make_workspace) -> None:
    """positions/ is listed by name only: an unknown id still names the known ones, and a
    position id is found in the listing whatever other files lie there."""
    root = signed(make_workspace)
    (root / "positions/other.yaml").write_text("this: [is not read\n")
    (root / "positions/sub").mkdir()
    (root / "positions/sub/care.yaml").write_text("title: not this one\n")
    run(root, "check", code=1)
    _, said, _ = command(root, "status", "care")
    assert said.splitlines()[0] == "care:"
    code, said, _ = command(root, "status", "cars")
    assert code == 2
    assert (
        said == "error: no position 'cars' in positions/ (did you mean 'care'?) [unknown-position]"
    )


def test_an_entry_beside_a_cited_one_is_not_judged_and_cannot_stop_status(make_workspace) -> None:
    """Of an evidence file read for the keys cited, only the cited entries are judged: one whose
    id is no text (a list here) is check's to report, and status goes on as before."""
    root = signed(make_workspace)
    _, before, _ = command(root, "status", "care")
    refs = root / "evidence/refs.yaml"
    refs.write_text(refs.read_text() + "- id: [odd, list]\n  type: report\n  title: Odd\n")
    assert command(root, "status", "care") == (0, before, True)
    assert "[missing-id]" in run(root, "check", code=1).output
    assert command(root, "status", "care") == (0, before, False)


def test_status_of_a_position_whose_file_is_no_file_says_why_where(make_workspace) -> None:
    """A FIFO or a link to outside as the position's file: the reason, at the file, as check
    gives it; not "no position 'x' (did you mean 'x'?)"."""
    import os

    root = make_workspace()
    os.mkfifo(root / "positions" / "fifo.yaml")
    (root / "positions" / "link.yaml").symlink_to("/etc/hostname")
    for pid in ("fifo", "link"):
        result = CliRunner().invoke(main, ["-C", str(root), "status", pid])
        assert (result.exit_code, result.output) == (
            1,
            f"positions/{pid}.yaml:1:1: error: this is a link to a file outside the workspace "
            "(or not a regular file); Standpunt reads only files inside the workspace, so copy "
            "the file in instead of linking to it [outside-workspace]\n",
        )


def test_the_evidence_is_read_only_for_a_position_someone_signed(make_workspace, monkeypatch):
    """A text's fingerprint is compared only with a signature of it: status of a position
    nobody signed (swan is invited) reads no evidence file, and of a signed one the file its
    citations need."""
    from standpunt.workspace import read

    opened: list[str] = []
    references = read._references

    def spy(workspace, path, display):  # type: ignore[no-untyped-def]
        opened.append(display)
        return references(workspace, path, display)

    monkeypatch.setattr(read, "_references", spy)
    root = make_workspace()
    assert run(root, "status", "care").output == "care:\n  swan                     not signed\n"
    assert opened == []
    run(root, "sign", "care", "--partner", "swan", "--by", "An Peeters")
    opened.clear()
    assert run(root, "status", "care").output == (
        f"care:\n  swan                     signed this text, not verified (An Peeters, {TODAY})\n"
    )
    assert opened == ["evidence/refs.yaml"]


#: What a one-id status needs not import; the probe says on stderr which of them the command
#: imported (not Python's start: a site's .pth file may import tempfile).
AVOIDED = ("logging", "tempfile", "secrets", "difflib", "traceback", "pydantic")
IMPORTS = (
    "import atexit, sys\n"
    "before = set(sys.modules)\n"
    f"said = lambda: repr([m for m in {AVOIDED!r} if m in set(sys.modules) - before])\n"
    "atexit.register(lambda: sys.stderr.write(said()))\n"
    "from standpunt.cli import main\n"
    "main()\n"
)


def test_a_one_id_status_imports_only_what_it_needs(make_workspace) -> None:
    """What a one-id status does not need is not imported: it logs nothing, writes nothing,
    signs nothing, suggests nothing and hits no bug (1-2 ms each of the 75 ms a status takes
    in 1,000 positions)."""
    root = signed(make_workspace)
    run(root, "check")

    def imported(*args: str) -> str:
        done = subprocess.run(  # in the workspace: click's parser of '-C' imports difflib
            [sys.executable, "-c", IMPORTS, *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=root,
        )
        return done.stderr.splitlines()[-1]

    assert imported("status", "care") == "[]"
    assert imported("status", "care", "--format", "json") == "[]"


def test_an_evidence_folder_that_is_not_there_stops_status_though_no_key_is_wanted(
    make_workspace,
) -> None:
    """No evidence is read for a position nobody signed, but standpunt.yaml's evidence folders
    are still checked: a missing one is the error it always was."""
    root = make_workspace()
    config = root / "standpunt.yaml"
    config.write_text(config.read_text() + "evidence:\n  - library\n")
    lines = len(config.read_text().splitlines())
    result = run(root, "status", "care", code=1)
    assert result.output == (
        f"standpunt.yaml:{lines}:5: error: evidence folder 'library' does not exist "
        "[missing-folder]\n"
    )
