"""Issue 5, end to end: provenance stamps, reproducible bytes, history and redlines, through the
``standpunt`` command on real git repositories and real PDFs read back."""

from __future__ import annotations

import json
import os
import re
import subprocess
import textwrap
import time
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner, Result

from conftest import CONFIG, EVIDENCE, POSITION, flat_text
from standpunt.cli import main

#: 2026-03-01 12:00 UTC; every commit of a test is one hour after the one before.
T0 = 1772366400
OLD = "Market logic crowds out care"
NEW = "Market logic squeezes out care"


pytestmark = pytest.mark.usefixtures("isolated_git")  # see conftest.py


def git(cwd: Path, *args: str, **env: str) -> str:
    """Run git as a user would; GIT_OPTIONAL_LOCKS=0 so that our own looks change nothing."""
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", **env},
        capture_output=True,
        check=True,
    )
    return result.stdout.decode()


class Repo:
    """A git repository holding a workspace (at its top, or in ``subfolder``)."""

    def __init__(self, top: Path, files: dict[str, str], subfolder: str = "") -> None:
        self.top = top
        self.root = top / subfolder if subfolder else top
        self.root.mkdir(parents=True)
        self.clock = T0
        git(top, "-c", "init.defaultBranch=main", "init", "-q")
        self.write(".gitignore", "build/\n")
        for relative, text in files.items():
            self.write(relative, text)

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def replace(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    def commit(self, message: str, author: str = "Ann Author") -> str:
        """Commit every change, one hour after the previous commit; the short hash."""
        self.clock += 3600
        date = f"@{self.clock} +0100"
        git(self.top, "add", "-A")
        git(
            self.top,
            "commit",
            "-q",
            "-m",
            message,
            GIT_AUTHOR_NAME=author,
            GIT_AUTHOR_DATE=date,
            GIT_COMMITTER_DATE=date,
        )
        return self.short("HEAD")

    def short(self, rev: str) -> str:
        return git(self.top, "rev-parse", "--short", rev).strip()


def workspace_files(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The files of conftest's workspace, with ``overrides`` replacing or adding some."""
    return {
        "standpunt.yaml": CONFIG,
        "evidence/refs.yaml": EVIDENCE,
        "positions/care.yaml": POSITION,
        **(overrides or {}),
    }


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "repo", workspace_files())
    repo.commit("First version")
    return repo


def run(root: Path, *args: str, code: int = 0) -> Result:
    """``standpunt -C root ARGS``: the exit code as expected, and never a traceback."""
    result = CliRunner().invoke(main, ["-C", str(root), *args])
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, result.output
    return result


def marks(text: str) -> tuple[list[str], list[str]]:
    """The deleted and the inserted passages of a text redline."""
    return re.findall(r"\[-(.*?)-\]", text, re.S), re.findall(r"\{\+(.*?)\+\}", text, re.S)


def counts(text: str) -> dict[str, int]:
    """The numbers of the redline's overview, by label."""
    return {m[1]: int(m[2]) for m in re.finditer(r"^  (\S.*?)\s{2,}(\d+)$", text, re.M)}


def first_page_text(pdf: Path) -> str:
    document = pdfium.PdfDocument(str(pdf))
    try:
        return str(document[0].get_textpage().get_text_range())
    finally:
        document.close()


def attachment(pdf: Path, name: str) -> bytes:
    return pypdf.PdfReader(pdf).attachments[name][0]


# --------------------------------------------------------------------------- diff


def test_diff_shows_exactly_the_changed_word(repo: Repo) -> None:
    first = repo.short("HEAD")
    run(repo.root, "build")
    assert (repo.root / "build/care.pdf").is_file()
    repo.replace("positions/care.yaml", OLD, NEW)
    second = repo.commit("Sharper wording")

    # Default: the previous version → the working tree, here equal to the last commit,
    # which is then named as such.
    text = run(repo.root, "diff", "care", "--format", "text").stdout
    assert marks(text) == (["crowds"], ["squeezes"]), text
    # Named as the user knows them: no version label here, so by their dates; never by a
    # hash the user did not type.
    assert "From March 1, 2026 to March 1, 2026" in text
    assert first not in text and second not in text
    assert counts(text) == {
        "Words inserted": 1,
        "Words deleted": 1,
        "Sections changed": 1,
        "Sections added": 0,
        "Sections removed": 0,
        "Asks added": 0,
        "Asks removed": 0,
        "Asks changed": 0,
        "Sources added": 0,
        "Sources removed": 0,
    }
    # Only the changed section is shown, and its text reads as the new version around the marks.
    assert "Section 1 (changed): The problem" in text
    assert "Market logic [-crowds-]{+squeezes+} out care [@smith2021a; @smith2021b, p. 4]." in text
    for absent in ("Title:", "Status:", "Summary", "Our asks", "Ask 1", "References", "Evidence\n"):
        assert absent not in text

    # The same with both revisions named.
    named = run(repo.root, "diff", "care", first, second, "--format", "text").stdout
    assert marks(named) == (["crowds"], ["squeezes"])
    assert f"From {first} — March 1, 2026 to {second} — March 1, 2026" in named

    # The default format: a PDF whose first page counts the changes.
    result = run(repo.root, "diff", "care")
    assert "wrote build/care.diff.pdf" in result.output
    pdf = repo.root / "build/care.diff.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    whole = flat_text(pdf)
    assert "What changed" in whole
    assert "Words inserted 1" in whole and "Words deleted 1" in whole
    assert "Sections changed 1" in whole
    # The rendered text: the citations formatted by citeproc, as in the position's PDF.
    assert "Market logic crowds squeezes out care (Smith, 2021a; 2021b, p. 4)." in whole
    assert "[@" not in whole and "**" not in whole

    # HTML: <del> and <ins> around the changed words only (besides the legend).
    result = run(repo.root, "diff", "care", "--format", "html")
    assert "wrote build/care.diff.html" in result.output
    html = (repo.root / "build/care.diff.html").read_text(encoding="utf-8")
    assert re.findall(r"<del>(.*?)</del>", html) == ["deleted", "crowds"]
    assert re.findall(r"<ins>(.*?)</ins>", html) == ["inserted", "squeezes"]
    assert '<span class="redline-cite">' in html and "[@" not in html
    # Legible in greyscale: underline and strike-through, not colour alone.
    assert "text-decoration: underline" in html and "text-decoration: line-through" in html


def test_diff_of_uncommitted_edits_and_of_asks_and_evidence(repo: Repo) -> None:
    repo.replace(
        "positions/care.yaml",
        "Fund care publicly [@doe2019].",
        "Fund care publicly and fairly [@doe2019; @smith2021b].",
    )
    text = run(repo.root, "diff", "care", "--format", "text").stdout
    first = repo.short("HEAD")
    assert "From March 1, 2026 to working copy (not committed)" in text
    assert first not in text
    assert marks(text) == ([], ["and fairly", "; @smith2021b"]), text
    assert "Ask 1 (changed): Fund care publicly {+and fairly+} [@doe2019{+; @smith2021b+}]." in text
    assert counts(text)["Asks changed"] == 1
    assert counts(text)["Sections changed"] == 0
    assert counts(text)["Sources added"] == 0  # smith2021b was cited already


def test_diff_speaks_the_positions_language_and_the_workspaces_labels(tmp_path: Path) -> None:
    config = CONFIG + "labels:\n  nl:\n    redline_heading: Wat is er veranderd\n"
    position = POSITION.replace("lang: en", "lang: nl")
    repo = Repo(
        tmp_path / "nl",
        workspace_files(
            {
                "standpunt.yaml": config,
                "positions/care.yaml": position,
            }
        ),
    )
    repo.commit("Eerste versie")
    repo.replace("positions/care.yaml", "Care needs public funding", "Care needs more funding")
    repo.commit("Scherper")

    text = run(repo.root, "diff", "care", "--format", "text").stdout
    assert text.startswith("Wat is er veranderd\n"), text
    assert "\nSamenvatting\n" in text  # the summary, headed in Dutch
    assert marks(text) == (["public"], ["more"])
    run(repo.root, "diff", "care", "--format", "html")
    html = (repo.root / "build/care.diff.html").read_text(encoding="utf-8")
    assert "<h2>Wat is er veranderd</h2>" in html and "<h2>Samenvatting</h2>" in html


# --------------------------------------------------------------------------- reproducible bytes


#: Loaded by every Python process started with it on PYTHONPATH (the PDF workers included):
#: moves that process's clock by STANDPUNT_TEST_CLOCK_OFFSET seconds, and makes WeasyPrint
#: subset fonts with fontTools (its fallback, which stamps the current time into each font
#: unless SOURCE_DATE_EPOCH is set) instead of HarfBuzz.
CLOCK = """\
import os
import time

_offset = float(os.environ.get("STANDPUNT_TEST_CLOCK_OFFSET") or 0)
if _offset:
    _real = time.time
    time.time = lambda: _real() + _offset
if os.environ.get("STANDPUNT_TEST_FONTTOOLS"):
    import weasyprint.pdf.fonts

    weasyprint.pdf.fonts.harfbuzz_subset = None
"""


def test_two_clones_of_one_commit_build_identical_bytes(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = tmp_path / "clone one"
    two = tmp_path / "a second, later clone"
    git(tmp_path, "clone", "-q", str(repo.top), str(one))
    git(tmp_path, "clone", "-q", str(repo.top), str(two))
    clock = tmp_path / "clock"
    clock.mkdir()
    (clock / "sitecustomize.py").write_text(CLOCK, encoding="utf-8")
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, (str(clock), path))))
    monkeypatch.setenv("STANDPUNT_TEST_FONTTOOLS", "1")
    monkeypatch.setattr("weasyprint.pdf.fonts.harfbuzz_subset", None)  # if rendered in here

    run(one, "build")
    # The second build runs "a year later" (no sleeping in tests): in this process and in any
    # process it starts, the clock reads a year on.
    year = 365 * 86400
    monkeypatch.setenv("STANDPUNT_TEST_CLOCK_OFFSET", str(year))
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + year)
    run(two, "build")
    monkeypatch.setattr(time, "time", real)

    first, second = (one / "build/care.pdf").read_bytes(), (two / "build/care.pdf").read_bytes()
    assert first == second
    text = flat_text(one / "build/care.pdf")
    # An adopted position's pages show its version as a date; the commit is in the metadata.
    assert "Version March 1, 2026" in text and repo.short("HEAD") not in text
    meta = pypdf.PdfReader(one / "build/care.pdf").metadata["/standpuntversion"]
    assert meta == f"version {repo.short('HEAD')} · March 1, 2026"
    assert "modified" not in text


# --------------------------------------------------------------------------- the stamp


def test_the_stamp_is_the_last_commit_of_the_position_and_its_cited_evidence(
    tmp_path: Path,
) -> None:
    uncited = "- id: lee2020\n  type: book\n  title: Not cited here\n  issued: 2020\n"
    position = POSITION.replace("status: adopted", 'status: adopted\nversion: "1.2"')
    repo = Repo(
        tmp_path / "repo",
        workspace_files(
            {
                "positions/care.yaml": position,
                "evidence/other.yaml": uncited,
            }
        ),
        subfolder="policy",
    )
    repo.commit("First version")
    repo.replace(
        "evidence/refs.yaml",
        "publisher: Test Institute\n  URL",
        "publisher: The Test Institute\n  URL",
    )
    repo.commit("Evidence corrected")
    repo.replace("evidence/other.yaml", "Not cited here", "Still not cited")
    repo.replace("standpunt.yaml", "short: TO", "short: TO.")
    head = repo.commit("Unrelated work")
    # An uncommitted edit to evidence the position does not cite does not count either.
    repo.replace("evidence/other.yaml", "Still not cited", "Never cited")

    expected = git(
        repo.root, "log", "-1", "--format=%h", "--", "positions/care.yaml", "evidence/refs.yaml"
    ).strip()
    assert expected != head

    run(repo.root, "build")
    pdf = repo.root / "build/care.pdf"
    text = flat_text(pdf)
    # The pages show the label and one date; the metadata the label, the commit and its date.
    stamp = f"1.2 ({expected}) · March 1, 2026"
    assert head not in text and expected not in text and "modified" not in text
    assert text.count("1.2 — March 1, 2026") >= 3  # page 1, colophon and every page's footer
    assert "Version 1.2 — March 1, 2026" in text
    assert pypdf.PdfReader(pdf).metadata["/standpuntversion"] == f"version {stamp}"
    manifest = json.loads(attachment(pdf, "manifest.json"))
    assert manifest["version"] == {
        "label": "1.2",
        "commit": expected,
        "date": "2026-03-01",
        "modified": False,
    }

    # An uncommitted edit of cited evidence: an adopted text is no longer what was adopted.
    # The build refuses it, and leaves the PDF of the adopted text alone ...
    repo.replace(
        "evidence/refs.yaml", "title: Coalitions and policy", "title: Coalitions and public policy"
    )
    before = pdf.read_bytes()
    result = run(repo.root, "build", code=1)
    assert "'care' is adopted, but it or the evidence it cites has changes" in result.stderr
    assert "--allow-modified" in result.stderr
    assert pdf.read_bytes() == before
    # ... unless asked, when every page says it is a working copy (and the metadata, modified).
    run(repo.root, "build", "--allow-modified")
    text = flat_text(pdf)
    assert "modified" not in text
    pages = [page.extract_text() for page in pypdf.PdfReader(pdf).pages]
    assert all("WORKING COPY, NOT THE ADOPTED TEXT" in page for page in pages)
    assert pypdf.PdfReader(pdf).metadata["/standpuntversion"] == f"version {stamp} · modified"
    assert json.loads(attachment(pdf, "manifest.json"))["version"]["modified"] is True

    # Committed: the next build names the new commit, no longer modified (the text did not
    # change, so this also shows that an unchanged text is not left with a stale stamp).
    newest = repo.commit("Title of the evidence")
    run(repo.root, "build")
    text = flat_text(pdf)
    meta = pypdf.PdfReader(pdf).metadata["/standpuntversion"]
    assert meta == f"version 1.2 ({newest}) · March 1, 2026"
    assert "modified" not in text and expected not in text and newest not in text
    assert "WORKING COPY" not in text


# --------------------------------------------------------------------------- history


def test_history_lists_every_commit_of_the_position_newest_first(tmp_path: Path) -> None:
    position = POSITION.replace("status: adopted", 'status: draft\nversion: "0.1"')
    repo = Repo(tmp_path / "repo", workspace_files({"positions/care.yaml": position}))
    c1 = repo.commit("First draft", author="Ann Author")
    repo.replace("evidence/refs.yaml", "Test Institute", "Test Institute (Brussels)")
    repo.commit("Evidence only")
    repo.replace("positions/care.yaml", "status: draft", "status: consultation")
    c3 = repo.commit("Into consultation", author="Bert Bakker")
    repo.replace("positions/care.yaml", "status: consultation", "status: adopted")
    repo.replace("positions/care.yaml", 'version: "0.1"', 'version: "1.0"')
    repo.replace("positions/care.yaml", "signatories: [swan]", "signatories: [swan, hbh]")
    repo.replace("positions/care.yaml", OLD, NEW)
    c4 = repo.commit("Adopted by the board", author="Chloé Claes")

    output = run(repo.root, "history", "care").stdout
    lines = output.splitlines()
    expected = git(repo.root, "log", "--format=%h", "--", "positions/care.yaml").split()
    assert expected == [c4, c3, c1]
    assert [line.split()[0] for line in lines] == expected

    newest, middle, oldest = lines
    assert "2026-03-01" in newest and "Chloé Claes" in newest and "Adopted by the board" in newest
    assert newest.endswith("[version 1.0; status → adopted; signatories changed]")
    assert "Bert Bakker" in middle and "Into consultation" in middle
    assert middle.endswith("[version 0.1; status → consultation]")
    assert "Ann Author" in oldest and oldest.endswith("First draft  [version 0.1]")


def test_history_of_a_position_never_committed(repo: Repo) -> None:
    repo.write("positions/fresh.yaml", POSITION)
    result = run(repo.root, "history", "fresh")
    assert result.stdout == ""
    assert "positions/fresh.yaml has not been committed yet" in result.stderr
    result = run(repo.root, "diff", "fresh", code=1)
    assert "no earlier version" in result.stderr


# --------------------------------------------------------------------------- outside git


def test_outside_git_build_works_and_history_and_diff_say_why_not(
    make_workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_workspace()
    run(root, "build")
    pdf = root / "build/care.pdf"
    text = flat_text(pdf)
    # Not versioned: said in the metadata; an adopted position's pages never say it.
    assert "not versioned" not in text and "Version March 1, 2026" in text
    assert pypdf.PdfReader(pdf).metadata["/standpuntversion"] == "not versioned"
    assert json.loads(attachment(pdf, "manifest.json"))["version"]["commit"] is None

    for args in (
        ("history", "care"),
        ("diff", "care"),
        ("diff", "care", "--format", "text"),
        ("diff", "care", "HEAD~1", "HEAD"),
    ):
        result = run(root, *args, code=1)
        assert "not inside a git repository" in result.stderr, args
        assert "versions are only known for positions kept in git" in result.stderr
        assert result.stdout == ""
    assert not (root / "build/care.diff.pdf").exists()

    # Without git on the PATH at all: the same, in words.
    empty = tmp_path / "no-git-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    for args in (("history", "care"), ("diff", "care")):
        result = run(root, *args, code=1)
        assert "git is not installed" in result.stderr, args


def test_a_repository_without_commits(make_workspace) -> None:
    root = make_workspace()
    git(root, "-c", "init.defaultBranch=main", "init", "-q")
    for args in (("history", "care"), ("diff", "care")):
        result = run(root, *args, code=1)
        assert "this git repository has no commits yet" in result.stderr, args


def test_diff_of_a_file_that_is_no_longer_a_position(repo: Repo) -> None:
    """Old revisions and work in progress need not be valid: the redline still shows them."""
    repo.write("positions/care.yaml", "- just a list\n")
    text = run(repo.root, "diff", "care", "--format", "text").stdout
    assert "Title: [-Care is not a market-]" in text
    assert "Section 1 (removed): [-The problem-]" in text
    repo.write("positions/care.yaml", "lang: [en, nl]\ntitle: Care\n")
    text = run(repo.root, "diff", "care", "--format", "text").stdout
    assert "Title: Care [-is not a market-]" in text


def test_a_single_version_has_nothing_to_compare_with(repo: Repo) -> None:
    result = run(repo.root, "diff", "care", code=1)
    assert "positions/care.yaml has no earlier version to compare with" in result.stderr


# --------------------------------------------------------------------------- revisions


def test_unknown_revisions_are_named(repo: Repo) -> None:
    repo.replace("positions/care.yaml", OLD, NEW)
    repo.commit("Second")
    result = run(repo.root, "diff", "care", "nosuchrev", code=1)
    assert "'nosuchrev' is not a commit, tag or branch" in result.stderr
    result = run(repo.root, "diff", "care", "HEAD", "v9.9", "--format", "text", code=1)
    assert "'v9.9' is not a commit, tag or branch" in result.stderr
    result = run(repo.root, "diff", "care", "HEAD~7", code=1)
    assert "'HEAD~7'" in result.stderr
    assert not (repo.root / "build").exists()


def test_a_revision_without_the_position_is_named(repo: Repo) -> None:
    repo.write("positions/later.yaml", POSITION)
    repo.commit("A second position")
    repo.replace("positions/later.yaml", OLD, NEW)
    result = run(repo.root, "diff", "later", "HEAD~1", "--format", "text", code=1)
    assert "positions/later.yaml does not exist at revision 'HEAD~1'" in result.stderr


def test_tags_and_branches_name_revisions(repo: Repo) -> None:
    git(repo.top, "tag", "care/v1.0")
    repo.replace("positions/care.yaml", OLD, NEW)
    repo.commit("Second")
    text = run(repo.root, "diff", "care", "care/v1.0", "main", "--format", "text").stdout
    assert marks(text) == (["crowds"], ["squeezes"])
    # a version label names the position's version tag, as history shows it
    for label in ("1.0", "v1.0"):
        text = run(repo.root, "diff", "care", label, "--format", "text").stdout
        assert marks(text) == (["crowds"], ["squeezes"])
    result = run(repo.root, "diff", "care", "2.0", "--format", "text", code=1)
    assert "'2.0' is not a commit, tag or branch" in result.stderr


# --------------------------------------------------------------------------- read-only


def snapshot(repo: Repo) -> dict[str, object]:
    """Everything a command could disturb: the index, refs, HEAD, status, every file's bytes
    and modification time outside .git and build/."""
    files = {
        path.relative_to(repo.top).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(repo.top.rglob("*"))
        if path.is_file() and ".git" not in path.parts and "build" not in path.parts
    }
    return {
        "index": (repo.top / ".git/index").read_bytes(),  # read first: git status reads it
        "head": (repo.top / ".git/HEAD").read_bytes(),
        "refs": git(repo.top, "show-ref"),
        "status": git(repo.top, "status", "--porcelain=v1", "--untracked-files=all"),
        "files": files,
    }


def test_build_history_and_diff_leave_the_working_tree_and_index_alone(repo: Repo) -> None:
    repo.replace("positions/care.yaml", OLD, NEW)
    repo.commit("Second")
    # Work in progress of every kind: an unstaged edit, a staged edit, an untracked file, and a
    # cited evidence file whose time changed but not its content (a plain `git status` would
    # rewrite the index to record the new time).
    repo.replace("positions/care.yaml", "coalitions matter", "coalitions count")
    repo.replace("standpunt.yaml", "short: TO", "short: T.O.")
    git(repo.top, "add", "standpunt.yaml")
    repo.write("notes.txt", "not for git yet\n")
    os.utime(repo.root / "evidence/refs.yaml", ns=(T0 * 10**9, T0 * 10**9))
    before = snapshot(repo)
    assert before["status"] == " M positions/care.yaml\nM  standpunt.yaml\n?? notes.txt\n"

    run(repo.root, "build", "--allow-modified")
    run(repo.root, "history", "care")
    run(repo.root, "diff", "care", "--format", "text")
    run(repo.root, "diff", "care", "HEAD~1", "HEAD", "--format", "html")
    run(repo.root, "diff", "care", "HEAD~1")
    run(repo.root, "diff", "care", "nosuchrev", code=1)

    assert snapshot(repo) == before
    assert "WORKING COPY" in flat_text(repo.root / "build/care.pdf")


# --------------------------------------------------------------------------- known gaps


@pytest.mark.xfail(
    strict=True,
    reason="versions/history.py: evidence in a git submodule (the shared library of issue 6) is "
    "invisible to the stamp: `git status -- shared/x.yaml` and `git log -- shared/x.yaml` in "
    "the superproject see neither edits inside the submodule nor the commit that moves it",
)
def test_evidence_in_a_submodule_library_counts_for_the_stamp(tmp_path: Path) -> None:
    library = Repo(
        tmp_path / "library",
        {
            "books.yaml": "- id: lib2020\n  type: book\n  title: A shared book\n  issued: 2020\n",
        },
    )
    library.commit("The library")
    config = CONFIG + "evidence:\n  - shared\n"
    position = POSITION.replace(
        "Fund care publicly [@doe2019].", "Fund care publicly [@doe2019; @lib2020]."
    )
    repo = Repo(
        tmp_path / "repo",
        workspace_files(
            {
                "standpunt.yaml": config,
                "positions/care.yaml": position,
            }
        ),
    )
    git(
        repo.top,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(library.top),
        "shared",
    )
    first = repo.commit("Cite the shared library")

    def stamp() -> str:
        run(repo.root, "build", "--format", "html")
        html = (repo.root / "build/care.html").read_text(encoding="utf-8")
        found = re.search(r'<meta name="standpunt-version" content="([^"]*)"', html)
        assert found
        return found[1]

    assert stamp() == f"version {first} · March 1, 2026"
    # The library's book is corrected, not yet committed: the built text differs from `first`.
    books = repo.root / "shared/books.yaml"
    books.write_text(books.read_text().replace("A shared book", "A corrected book"))
    assert stamp().endswith(" · modified")
    # Committed in the library and moved to in the workspace: a new version of the position.
    git(books.parent, "commit", "-qam", "Correct the book")
    moved = repo.commit("Library update")
    assert stamp() == f"version {moved} · March 1, 2026"


# --------------------------------------------------------------------------- the redline document

DUTCH = """\
title: Zorg is geen markt
lang: nl-BE
date: 2026-03-01
status: draft
version: "1.0"
summary: |
  Zorg vraagt **publieke** financiering [@smith2021a].
sections:
  - title: Het probleem
    body: |
      Marktlogica verdringt zorg [@smith2021a; @smith2021b, p. 4]. Elke gemeente krijgt
      5.000 euro per jaar, vanaf 12-03-2026.

      Zoals @doe2019 toont, doen coalities ertoe.
recommendations:
  - Financier zorg *publiek* [@doe2019].
signatories: [swan]
"""


@pytest.fixture
def dutch(tmp_path: Path) -> Repo:
    """A Dutch position in two tagged versions: 1.0, and 1.1 with a number, a date, emphasis,
    a citation, an ask and the status changed."""
    repo = Repo(tmp_path / "nl", workspace_files({"positions/care.yaml": DUTCH}))
    repo.commit("Versie 1.0")
    git(repo.top, "tag", "care/v1.0")
    edits = [
        ('version: "1.0"', 'version: "1.1"'),
        ("status: draft", "status: adopted"),
        ("5.000 euro per jaar, vanaf 12-03-2026", "7.500 euro per jaar, vanaf 01-01-2027"),
        ("Zorg vraagt **publieke**", "Zorg vraagt **meer publieke**"),
        ("[@smith2021a; @smith2021b, p. 4]", "[@smith2021b, p. 4]"),
        ("  - Financier zorg", "  - Betaal zorgwerkers fatsoenlijk.\n  - Financier zorg"),
    ]
    for old, new in edits:
        repo.replace("positions/care.yaml", old, new)
    repo.commit("Versie 1.1")
    git(repo.top, "tag", "care/v1.1")
    return repo


def test_the_redline_of_a_dutch_position_is_a_dutch_document(dutch: Repo) -> None:
    """Every label in Dutch, the rendered text (citations by citeproc, no Markdown), the
    versions by label and date, and numbers and dates changed as whole tokens."""
    result = run(dutch.root, "diff", "care", "1.0", "1.1")
    assert "wrote build/care.diff.pdf" in result.output
    document = pdfium.PdfDocument(str(dutch.root / "build/care.diff.pdf"))
    try:
        pages = [" ".join(page.get_textpage().get_text_range().split()) for page in document]
    finally:
        document.close()
    assert pages == [
        "VERGELIJKING VAN VERSIES "
        "Zorg is geen markt "
        "Vorige versie Versie 1.0 — 1 maart 2026 "
        "Nieuwe versie Versie 1.1 — 1 maart 2026 "
        "Leeswijzer: ingevoegd geschrapt "
        "Wat is er gewijzigd "
        "Status ontwerp → goedgekeurd "
        "Versie 1.0 → 1.1 "
        "Woorden ingevoegd 7 "
        "Woorden geschrapt 3 "
        "Delen gewijzigd 1 "
        "Vragen toegevoegd 1 "
        "Samenvatting "
        "Zorg vraagt meer publieke financiering (Smith, 2021a). "
        "DEEL 1 · GEWIJZIGD "
        "Het probleem "
        "Marktlogica verdringt zorg (Smith, 2021a; 2021b, p. 4) (Smith, 2021b, p. 4). "
        "Elke gemeente krijgt 5.000 7.500 euro per jaar, vanaf 12-03-2026 01-01-2027. "
        "Zoals Doe (2019) toont, doen coalities ertoe. "
        "Onze vragen "
        "VRAAG 1 · TOEGEVOEGD "
        "Betaal zorgwerkers fatsoenlijk. "
        "Versie 1.0 — 1 maart 2026 → Versie 1.1 — 1 maart 2026 pagina 1 van 1"
    ]
    for english in ("What changed", "Section", "CHANGED", "changed", "inserted", "Summary"):
        assert english not in pages[0]
    assert dutch.short("care/v1.0") not in pages[0]


def test_the_redline_marks_numbers_dates_and_citations_as_whole_tokens(dutch: Repo) -> None:
    run(dutch.root, "diff", "care", "1.0", "1.1", "--format", "html")
    html = (dutch.root / "build/care.diff.html").read_text(encoding="utf-8")
    deleted = re.findall(r"<del>(.*?)</del>", html)
    inserted = re.findall(r"<ins>(.*?)</ins>", html)
    cite = '<span class="redline-cite">(<span>{}</span>)</span>'
    assert deleted == [
        "geschrapt",  # the legend
        "ontwerp",
        "1.0",
        cite.format("Smith, 2021a</span>; <span>2021b, p. 4"),
        "5.000",
        "12-03-2026",
    ]
    assert inserted == [
        "ingevoegd",  # the legend
        "goedgekeurd",
        "1.1",
        "<strong>meer</strong>",
        cite.format("Smith, 2021b, p. 4"),
        "7.500",
        "01-01-2027",
        "Betaal zorgwerkers fatsoenlijk.",
    ]
    assert "**" not in html and "[@" not in html and "What changed" not in html


def test_the_redline_renders_in_a_worker_under_the_workspaces_limits(dutch: Repo) -> None:
    """A page limit the redline exceeds stops it with the render workers' own error, and
    nothing is written."""
    dutch.replace("standpunt.yaml", "style: apa\n", "style: apa\nlimits: {pages: 1}\n")
    more = "".join(f"\n      Alinea {n} over zorg en over de markt.\n" for n in range(80))
    dutch.replace(
        "positions/care.yaml", "doen coalities ertoe.\n", f"doen coalities ertoe.\n{more}"
    )
    result = run(dutch.root, "diff", "care", "1.1", code=1)
    assert not (dutch.root / "build/care.diff.pdf").exists()
    assert result.output == (
        "error: this position makes 4 pages, more than the limit of 1; shorten it, or raise "
        "'limits: pages:' in standpunt.yaml [page-limit]\n"
    )
