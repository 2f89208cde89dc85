"""Issue 6, end to end: co-signatures bound to the text, partner editions, PDFs that carry their
sources and ``import`` them again, and signatures merged by git, through the ``standpunt``
command with real PDFs read back."""

from __future__ import annotations

import json
import os
import re
import subprocess
import textwrap
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner, Result

from conftest import CONFIG, EVIDENCE, POSITION, flat_text
from standpunt.cli import main
from standpunt.workspace.load import parse_yaml, to_plain

PARTNER = "Sociaal Werk Actie Netwerk"  # swan
OTHER = "Hart boven Hard"  # hbh
OLD = "Market logic crowds out care"
NEW = "Market logic squeezes out care"


@pytest.fixture(autouse=True)
def one_author_at_one_time(isolated_git: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git as in conftest.py, with Ann committing too, always at the same moment."""
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Ann Author")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "ann@example.org")
    monkeypatch.setenv("GIT_AUTHOR_DATE", "@1772366400 +0100")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "@1772366400 +0100")


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
    )


def write_workspace(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def run(root: Path, *args: str, code: int = 0) -> Result:
    """``standpunt -C root ARGS``: the exit code as expected, and never a traceback."""
    result = CliRunner().invoke(main, ["-C", str(root), *args])
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, result.output
    return result


def edit(root: Path, old: str, new: str, file: str = "positions/care.yaml") -> None:
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def states(root: Path, position: str = "care") -> dict[str, str]:
    """What ``standpunt status`` says of each partner: {key: words}, without who signed when,
    whether it was verified and what to do next."""
    output = run(root, "status", position).stdout
    found = {}
    for line in output.splitlines()[1:]:
        match = re.fullmatch(r"  (\S+)\s+([^,:]*)(?:[,:].*)?", line)
        assert match, line
        found[match[1]] = match[2]
    return found


def sign(root: Path, partner: str = "swan", by: str = "An Peeters") -> None:
    result = run(root, "sign", "care", "--partner", partner, "--by", by, "--role", "director")
    assert f"{partner} signed care" in result.stdout


def first_page(pdf: Path) -> str:
    document = pdfium.PdfDocument(str(pdf))
    try:
        return " ".join(document[0].get_textpage().get_text_range().split())
    finally:
        document.close()


def attachments(pdf: Path) -> dict[str, bytes]:
    return {name: data[0] for name, data in pypdf.PdfReader(pdf).attachments.items()}


def tree(root: Path) -> dict[str, bytes]:
    """Every file of a workspace, to show that a refused command wrote nothing."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# --------------------------------------------------------------------------- signatures


def test_a_changed_word_outdates_the_signature_everywhere(make_workspace) -> None:
    root = make_workspace()
    sign(root)
    assert states(root) == {"swan": "signed this text"}
    run(root, "build")
    pdf = root / "build/care.pdf"
    text = flat_text(pdf)
    assert f"CO-SIGNED BY {PARTNER}" in text  # on the cover
    # At the back: the partner and who signed for it, not the publisher itself.
    assert f"Co-signed by {PARTNER} An Peeters, director" in text
    assert "Co-signed by Test Organisation" not in text

    edit(root, OLD, NEW)

    assert states(root) == {"swan": "signed an older text"}
    result = run(root, "check")  # a warning, not an error
    warnings = [line for line in result.stdout.splitlines() if "[outdated-signature]" in line]
    assert len(warnings) == 1
    assert warnings[0].startswith("signatures/care/swan.yaml:")
    assert ": warning: partner 'swan' signed an older text" in warnings[0]
    assert "0 error(s), 1 warning(s)" in result.stderr

    result = run(root, "build")
    assert "[outdated-signature]" in result.output
    text = flat_text(pdf)
    assert "squeezes" in text
    assert PARTNER not in text
    assert "co-signed by" not in text.lower()
    assert json.loads(attachments(pdf)["manifest.json"])["co_signers"] == []


def test_reformatting_the_yaml_keeps_the_signature(make_workspace) -> None:
    root = make_workspace()
    before = run(root, "fingerprint", "care").stdout
    sign(root)
    (root / "positions/care.yaml").write_text(
        textwrap.dedent(
            """\
            # Our position on care; reviewed by the board.
            signatories:
                - swan          # invited in March
            recommendations: ["Fund care publicly [@doe2019]."]
            sections:
                -   body: "Market logic   crowds out care [@smith2021a; @smith2021b, p. 4].\\n\\
                      As @doe2019 shows, coalitions matter.\\n"
                    title: 'The problem'
            summary: >
                Care needs public funding [@smith2021a].
            status: "adopted"
            date: 2026-03-01
            lang: 'en'
            title: "Care is not a market"
            """
        ),
        encoding="utf-8",
    )
    run(root, "check")
    assert run(root, "fingerprint", "care").stdout == before
    assert states(root) == {"swan": "signed this text"}
    assert "[outdated-signature]" not in run(root, "check").output

    edit(root, "coalitions matter", "coalitions count")  # and one word does count
    assert run(root, "fingerprint", "care").stdout != before
    assert states(root) == {"swan": "signed an older text"}


def test_status_reports_a_broken_signature_file_and_exits_1(make_workspace) -> None:
    root = make_workspace()
    (root / "signatures/care").mkdir(parents=True)
    (root / "signatures/care/swan.yaml").write_text("partner: [\n", encoding="utf-8")
    result = run(root, "status", code=1)  # a problem in the user's files, as check says too
    assert result.stdout == (
        "signatures/care/swan.yaml:2:1: error: a value is missing here (YAML parser: expected "
        "the node content, but found '<stream end>') [yaml-syntax]\n"
        "care:\n"
        "  swan                     not signed\n"
    )


def test_two_partners_sign_on_two_branches_and_git_merges_them(make_workspace) -> None:
    root = make_workspace(
        {"positions/care.yaml": POSITION.replace("signatories: [swan]", "signatories: [swan, hbh]")}
    )
    (root / ".gitignore").write_text("build/\n")
    assert git(root, "-c", "init.defaultBranch=main", "init", "-q").returncode == 0
    git(root, "add", "-A")
    assert git(root, "commit", "-qm", "Position for signing").returncode == 0
    assert states(root) == {"swan": "not signed", "hbh": "not signed"}

    git(root, "switch", "-qc", "swan-signs")
    sign(root, "swan", "An Peeters")
    git(root, "add", "-A")
    assert git(root, "commit", "-qm", "SWAN co-signs").returncode == 0
    git(root, "switch", "-q", "main")
    git(root, "switch", "-qc", "hbh-signs")
    sign(root, "hbh", "Bram Janssens")
    git(root, "add", "-A")
    assert git(root, "commit", "-qm", "HbH co-signs").returncode == 0

    git(root, "switch", "-q", "main")
    merged = git(root, "merge", "--no-ff", "--no-edit", "swan-signs", "hbh-signs")
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert git(root, "diff", "--name-only", "--diff-filter=U").stdout == ""
    assert git(root, "status", "--porcelain").stdout == ""
    assert states(root) == {"swan": "signed this text", "hbh": "signed this text"}
    result = run(root, "check")
    assert "0 error(s), 0 warning(s)" in result.stderr


# --------------------------------------------------------------------------- the PDF


def test_the_pdf_carries_its_sources(make_workspace) -> None:
    uncited = "- id: lee2020\n  type: book\n  title: Not cited\n  issued: 2020\n"
    root = make_workspace({"evidence/more.yaml": uncited})
    sign(root)
    fingerprint = run(root, "fingerprint", "care").stdout.strip()
    run(root, "build")
    pdf = root / "build/care.pdf"

    files = attachments(pdf)
    assert set(files) == {"care.yaml", "evidence.json", "manifest.json", "signature-swan.yaml"}
    # The position as data (normalised, without comments), the same data as written.
    assert to_plain(parse_yaml(files["care.yaml"], "x")) == to_plain(
        parse_yaml((root / "positions/care.yaml").read_bytes(), "y")
    )
    assert files["signature-swan.yaml"] == (root / "signatures/care/swan.yaml").read_bytes()
    evidence = json.loads(files["evidence.json"])
    assert sorted(item["id"] for item in evidence) == ["doe2019", "smith2021a", "smith2021b"]
    manifest = json.loads(files["manifest.json"])
    assert manifest["id"] == "care"
    assert manifest["fingerprint"] == fingerprint
    assert manifest["co_signers"] == ["swan"]
    assert manifest["version"]["commit"] is None  # not in git
    assert manifest["format"] == 2
    assert manifest["publisher"] == {"name": "Test Organisation", "short": "TO", "logo": None}
    assert manifest["partners"] == {"swan": {"name": PARTNER}}
    assert pypdf.PdfReader(pdf).metadata["/standpuntfingerprint"] == fingerprint


def test_an_edition_carries_the_partners_name_on_its_cover(make_workspace) -> None:
    config = CONFIG.replace(
        "    name: Sociaal Werk Actie Netwerk\n",
        "    name: Sociaal Werk Actie Netwerk\n    colour: '#8a2be2'\n",
    )
    root = make_workspace({"standpunt.yaml": config})
    # Nobody has signed: no edition, for anyone.
    result = run(root, "build", "--edition", "swan", code=1)
    assert "no edition for partner 'swan'" in result.stderr
    assert "(signed by: nobody yet)" in result.stderr
    assert not (root / "build/care.swan.pdf").exists()
    sign(root)
    run(root, "build", "--edition", "swan")
    pdf = root / "build/care.swan.pdf"
    assert not (root / "build/care.pdf").exists()
    cover = first_page(pdf)
    assert PARTNER in cover
    assert "Edition of Test Organisation" in cover
    assert "Care is not a market" in cover

    run(root, "build", "--edition", "swan", "--format", "html")
    html = (root / "build/care.swan.html").read_text(encoding="utf-8")
    assert "background: #8a2be2" in html

    result = run(root, "build", "--edition", "swann", code=2)
    assert "no partner 'swann' in standpunt.yaml (did you mean 'swan'?)" in result.output


def test_pending_partners_only_with_include_pending(make_workspace) -> None:
    draft = POSITION.replace("status: adopted", "status: draft").replace(
        "signatories: [swan]", "signatories: [swan, hbh]"
    )
    root = make_workspace({"positions/care.yaml": draft})
    sign(root, "hbh", "Bram Janssens")
    pdf = root / "build/care.pdf"

    run(root, "build")
    text = flat_text(pdf)
    assert OTHER in text
    assert PARTNER not in text and "pending" not in text

    official = pdf.read_bytes()
    run(root, "build", "--include-pending")
    assert pdf.read_bytes() == official  # the official build is left as it was
    pdf = root / "build/care.pending.pdf"
    text = flat_text(pdf)
    assert f"{PARTNER} (signature pending)" in text
    assert f"{OTHER} (signature pending)" not in text
    assert f"CO-SIGNED BY {OTHER}" in text  # the cover names only those who signed
    assert json.loads(attachments(pdf)["manifest.json"])["co_signers"] == ["hbh"]


# --------------------------------------------------------------------------- import


def bibliography(text: str) -> str:
    match = re.search(r" References (.*?) Published by ", text)
    assert match, text
    return match[1]


def test_import_a_pdf_into_another_workspace_and_build_the_same_text(
    make_workspace, tmp_path: Path
) -> None:
    source = make_workspace()
    assert git(source, "-c", "init.defaultBranch=main", "init", "-q").returncode == 0
    git(source, "add", "-A")
    assert git(source, "commit", "-qm", "First").returncode == 0
    run(source, "build")
    pdf = source / "build/care.pdf"

    own = "- id: lee2020\n  type: book\n  title: Our own\n  issued: 2020\n"
    other = (
        POSITION.replace("Care is not a market", "Another position")
        .replace("[@smith2021a]", "[@lee2020]")
        .replace("[@smith2021a; @smith2021b, p. 4]", "[@lee2020]")
        .replace("@doe2019", "@lee2020")
    )
    fresh = write_workspace(
        tmp_path / "fresh",
        {
            "standpunt.yaml": CONFIG,
            "evidence/own.yaml": own,
            "positions/other.yaml": other,
        },
    )
    result = run(fresh, "import", str(pdf))
    assert result.stdout.splitlines() == [
        "created positions/care.yaml",
        "created evidence/imported-care.json",
    ]
    imported = to_plain(parse_yaml((fresh / "positions/care.yaml").read_bytes(), "x"))
    origin = imported.pop("origin")
    assert imported == to_plain(parse_yaml((source / "positions/care.yaml").read_bytes(), "y"))
    fingerprint = run(source, "fingerprint", "care").stdout
    assert run(fresh, "fingerprint", "care").stdout == fingerprint
    commit = git(source, "log", "-1", "--format=%h").stdout.strip()
    assert origin == {
        "publisher": {"name": "Test Organisation", "short": "TO"},
        "commit": commit,
        "date": "2026-03-01",
        "fingerprint": fingerprint.strip(),
    }

    # Built unchanged, it names the original publisher and version: the same text exactly.
    run(fresh, "build", "care")
    copy = fresh / "build/care.pdf"
    assert flat_text(copy) == flat_text(pdf)
    assert bibliography(flat_text(copy)) == bibliography(flat_text(pdf))
    assert "Smith, J. (2021a). First report on care markets." in bibliography(flat_text(copy))
    assert attachments(copy)["evidence.json"] == attachments(pdf)["evidence.json"]

    # Again: refused, nothing written; under another id it is welcome (and the evidence, now
    # present and equal, is not written twice).
    before = tree(fresh)
    result = run(fresh, "import", str(pdf), code=1)
    assert "a position 'care' exists already" in result.stderr
    assert "--rename" in result.stderr
    assert tree(fresh) == before
    result = run(fresh, "import", str(pdf), "--rename", "care-copy")
    assert result.stdout.splitlines() == ["created positions/care-copy.yaml"]
    # Edited, it is ours, based on the original.
    edit(
        fresh,
        "Market logic crowds out care",
        "Market logic squeezes out care",
        "positions/care-copy.yaml",
    )
    run(fresh, "build", "care-copy")
    text = flat_text(fresh / "build/care-copy.pdf")
    assert "Published by Test Organisation" in text  # the same name in both workspaces
    # Based on the original's version as a reader knows it: its date, no commit on the page.
    assert "Based on Test Organisation — March 1, 2026" in text and commit not in text
    assert "not versioned" not in text
    result = run(fresh, "import", str(pdf), "--rename", "Care Copy!", code=2)
    assert "cannot be a position id" in result.stderr


def test_import_never_overwrites_other_evidence_with_the_same_id(
    make_workspace, tmp_path: Path
) -> None:
    pdf = carrier(make_workspace(), tmp_path / "care.pdf")
    changed = EVIDENCE.replace("First report on care markets", "A different first report")
    target = write_workspace(
        tmp_path / "target",
        {
            "standpunt.yaml": CONFIG,
            "evidence/refs.yaml": changed,
        },
    )
    before = tree(target)
    for extra in ((), ("--rename", "care-two")):
        result = run(target, "import", str(pdf), *extra, code=1)
        assert "evidence 'smith2021a'" in result.stderr
        assert "evidence/refs.yaml" in result.stderr
        assert "nothing was imported" in result.stderr
        assert tree(target) == before


def test_import_after_an_earlier_import_left_its_evidence_file(
    make_workspace, tmp_path: Path
) -> None:
    pdf = carrier(make_workspace(), tmp_path / "care.pdf")
    leftover = '[{"id": "old2020", "type": "book", "title": "From an earlier import"}]\n'
    target = write_workspace(
        tmp_path / "target",
        {
            "standpunt.yaml": CONFIG,
            "evidence/imported-care.json": leftover,
        },
    )
    result = run(target, "import", str(pdf))
    assert result.stdout.splitlines() == [
        "created positions/care.yaml",
        "created evidence/imported-care-2.json",
    ]
    assert (target / "evidence/imported-care.json").read_text() == leftover
    result = run(target, "check")
    assert "0 error(s)" in result.stderr


def test_import_names_signatories_that_are_not_partners_here(
    make_workspace, tmp_path: Path
) -> None:
    pdf = carrier(make_workspace(), tmp_path / "care.pdf")
    without_swan = CONFIG.replace("  swan:\n    name: Sociaal Werk Actie Netwerk\n", "")
    target = write_workspace(tmp_path / "target", {"standpunt.yaml": without_swan})
    result = run(target, "import", str(pdf))
    assert result.stdout.splitlines()[0] == "created positions/care.yaml"
    assert (
        "note: positions/care.yaml names signatories that are not partners in standpunt.yaml: "
        "swan." in " ".join(result.stderr.split())
    )
    check = run(target, "check", code=1)
    assert "positions/care.yaml:" in check.stdout + check.stderr
    assert "signatory 'swan' is not among the partners" in check.stdout + check.stderr
    # where the partner exists, nothing is said
    quiet = write_workspace(tmp_path / "quiet", {"standpunt.yaml": CONFIG})
    assert "note:" not in run(quiet, "import", str(pdf)).stderr


def carrier(root: Path, path: Path) -> Path:
    """A PDF carrying care's sources as a build embeds them (quicker than rendering one; the
    real thing is imported in test_import_a_pdf_into_another_workspace_and_build_the_same_text).
    """
    from standpunt.coalition.fingerprint import position_fingerprint
    from standpunt.workspace.read import open_workspace

    workspace = open_workspace(root)
    evidence = [workspace.evidence[key].csl for key in ("smith2021a", "smith2021b", "doe2019")]
    manifest = {
        "format": 2,
        "id": "care",
        "title": "Care is not a market",
        "fingerprint": position_fingerprint(workspace, "care"),
        "publisher": {"name": "Test Organisation"},
    }
    return crafted_pdf(
        path,
        {
            "care.yaml": (root / "positions/care.yaml").read_bytes(),
            "evidence.json": json.dumps(evidence, indent=2).encode(),
            "manifest.json": json.dumps(manifest).encode(),
        },
    )


def crafted_pdf(path: Path, files: dict[str, bytes]) -> Path:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(200, 200)
    for name, data in files.items():
        writer.add_attachment(name, data)
    with path.open("wb") as out:
        writer.write(out)
    return path


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "carries no sources"),
        ({"manifest.json": b"{not json"}, "are damaged"),
        ({"manifest.json": b"[1, 2]", "care.yaml": POSITION.encode()}, "are damaged"),
        (
            {
                "manifest.json": b'{"id": "care"}',
                "care.yaml": POSITION.encode(),
                "evidence.json": b'{"id": "x"}',
            },
            "are damaged",
        ),
        (
            {
                "manifest.json": b'{"id": "care"}',
                "care.yaml": POSITION.encode(),
                "evidence.json": b'[{"title": "no id"}]',
            },
            "are damaged",
        ),
        ({"manifest.json": b'{"id": "care"}'}, "does not carry its position file"),
    ],
)
def test_import_refuses_damaged_pdfs_in_words(
    make_workspace, tmp_path: Path, files: dict[str, bytes], message: str
) -> None:
    root = make_workspace({"positions/care.yaml": POSITION})
    (root / "positions/care.yaml").rename(root / "positions/kept.yaml")
    before = tree(root)
    pdf = crafted_pdf(tmp_path / "crafted.pdf", files)
    result = run(root, "import", str(pdf), code=1)
    assert message in result.stderr
    assert tree(root) == before


def test_import_refuses_a_file_that_is_no_pdf(make_workspace, tmp_path: Path) -> None:
    root = make_workspace()
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"this is not a PDF at all")
    result = run(root, "import", str(fake), code=1)
    assert "cannot be read as a PDF" in result.stderr
