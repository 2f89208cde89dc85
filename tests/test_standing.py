"""What a PDF tells an outside reader about the text's standing: a working copy says what it is a
working copy of, and a consultation always says where responses go.

Each test builds the demo (or a copy changed for the case) and reads the PDF back with pypdfium2.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner

from conftest import copy_demo, link_targets
from standpunt.cli import main

CONSULTATION = "positions/coalitions-for-social-policy.yaml"
ADOPTED = "positions/organisaties-kiezen-positie.yaml"


def build(root: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["-C", str(root), "build", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def pages(pdf: Path) -> list[str]:
    """Each page's text on one line."""
    document = pdfium.PdfDocument(str(pdf))
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in document]
    finally:
        document.close()


def git(root: Path, *args: str) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "A",
        "GIT_AUTHOR_EMAIL": "a@example.org",
        "GIT_COMMITTER_NAME": "C",
        "GIT_COMMITTER_EMAIL": "c@example.org",
        "GIT_CEILING_DIRECTORIES": str(root.parent),
    }
    subprocess.run(["git", *args], cwd=root, env=env, capture_output=True, check=True)


def edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def committed_demo(tmp_path: Path) -> Path:
    root = copy_demo(tmp_path / "ws")
    git(root, "-c", "init.defaultBranch=main", "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "Demo")
    return root


def test_a_consultation_with_uncommitted_changes_is_a_working_copy_not_yet_committed(
    tmp_path: Path,
) -> None:
    """Before, it said "not the adopted text": as if an adopted text existed."""
    root = committed_demo(tmp_path)
    edit(root, CONSULTATION, "We invite partners", "We warmly invite partners")
    build(root, "coalitions-for-social-policy")
    text = pages(root / "build/coalitions-for-social-policy.pdf")
    assert all("WORKING COPY, NOT YET COMMITTED" in page.upper() for page in text)
    assert not any("ADOPTED TEXT" in page.upper() for page in text)


def test_an_adopted_position_built_from_a_working_copy_says_so_on_every_page(
    tmp_path: Path,
) -> None:
    root = committed_demo(tmp_path)
    edit(root, ADOPTED, "title: ", "title: Nieuw, ")
    build(root, "organisaties-kiezen-positie", "--allow-modified")
    text = pages(root / "build/organisaties-kiezen-positie.pdf")
    assert all("WERKVERSIE, NIET DE GOEDGEKEURDE TEKST" in page.upper() for page in text)
    # The status and the version beside it say so too, and every page's foot: the adopted
    # version's name is never alone on changed text.
    assert "goedgekeurd · werkversie" in text[0]
    assert "1.0 — 12 maart 2026 · werkversie" in text[0]
    assert all("Versie 1.0 — 12 maart 2026 · werkversie" in page for page in text)


def respond_line(pdf: Path) -> str:
    found = re.search(r"Please respond by June 30, 2027 Send responses to (\S+)", pages(pdf)[0])
    assert found, pages(pdf)[0]
    return found.group(1)


def test_a_consultation_without_an_address_takes_responses_at_an_author_or_the_contact(
    tmp_path: Path,
) -> None:
    root = copy_demo(tmp_path / "ws")
    edit(root, CONSULTATION, "  address: standpunt@saamo.be\n", "")
    build(root, "coalitions-for-social-policy")
    pdf = root / "build/coalitions-for-social-policy.pdf"
    assert respond_line(pdf) == "info@saamo.be"  # the organisation's contact
    edit(
        root,
        CONSULTATION,
        "  - name: Lotte Verhaegen\n",
        "  - name: Lotte Verhaegen\n    email: lotte@saamo.be\n",
    )
    build(root, "coalitions-for-social-policy")
    assert respond_line(pdf) == "lotte@saamo.be"  # the first author with an address


def test_a_position_never_committed_in_a_repository_says_so(tmp_path: Path) -> None:
    """Not "without version control" in a workspace that is in git: the text is not yet
    committed, and a reader should know it is no version of record."""
    root = copy_demo(tmp_path / "ws")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "Our positions")
    (root / "positions" / "nieuw.yaml").write_text(
        "title: Een nieuw standpunt\nsections:\n  - title: Wat we zien\n    body: Tekst.\n",
        encoding="utf-8",
    )
    build(root, "nieuw")
    text = " ".join(pages(root / "build/nieuw.pdf"))
    assert "nog niet vastgelegd" in text and "zonder versiebeheer" not in text


def check(root: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["-C", str(root), "check"])
    return result.exit_code, result.output


def test_a_consultation_whose_deadline_has_passed_is_a_warning_at_the_deadline(
    tmp_path: Path,
) -> None:
    root = copy_demo(tmp_path / "ws")
    edit(root, CONSULTATION, "deadline: 2027-06-30", "deadline: 2999-06-30")
    code, output = check(root)
    assert (code, output.splitlines()[-1]) == (
        0,
        "0 error(s), 0 warning(s) in 3 position(s) and 6 evidence item(s)",
    )
    edit(root, CONSULTATION, "deadline: 2999-06-30", "deadline: 2000-06-30")
    code, output = check(root)
    assert (code, output.splitlines()) == (
        0,
        [
            f"{CONSULTATION}:9:13: warning: the consultation's deadline (2000-06-30) has passed, "
            "but the PDF still asks readers to respond by then: set a new deadline, or change "
            "'status:' to adopted or withdrawn [deadline-passed]",
            "0 error(s), 1 warning(s) in 3 position(s) and 6 evidence item(s)",
        ],
    )
    # A position no longer in consultation asks nobody to respond.
    edit(root, CONSULTATION, "status: consultation", "status: withdrawn")
    assert check(root)[1].splitlines()[-1] == (
        "0 error(s), 0 warning(s) in 3 position(s) and 6 evidence item(s)"
    )


def test_a_consultation_deadline_before_the_position_s_date_is_a_warning(tmp_path: Path) -> None:
    """Readers asked to respond before the text they read was dated: a slip in either date."""
    root = copy_demo(tmp_path / "ws")
    text = (root / CONSULTATION).read_text(encoding="utf-8")
    date = re.search(r"^date: (\S+)$", text, re.M)
    assert date is not None and date.group(1) < "2999-01-01"
    edit(root, CONSULTATION, f"date: {date.group(1)}", "date: 2999-07-01")
    edit(root, CONSULTATION, "deadline: 2027-06-30", "deadline: 2999-06-30")
    code, output = check(root)
    assert (code, output.splitlines()) == (
        0,
        [
            f"{CONSULTATION}:9:13: warning: the consultation's deadline (2999-06-30) comes "
            "before the position's date (2999-07-01): readers would be asked to respond before "
            "the text they read was dated; set a later deadline, or correct 'date:' "
            "[deadline-before-date]",
            "0 error(s), 1 warning(s) in 3 position(s) and 6 evidence item(s)",
        ],
    )
    edit(root, CONSULTATION, "deadline: 2999-06-30", "deadline: 2999-07-01")
    assert check(root)[1].splitlines()[-1] == (
        "0 error(s), 0 warning(s) in 3 position(s) and 6 evidence item(s)"
    )


def test_an_author_s_role_and_telephone_are_printed_beside_the_name(tmp_path: Path) -> None:
    """A brief's page 1 names a contact a reader can call: role, e-mail and telephone as links."""
    root = copy_demo(tmp_path / "ws")
    edit(
        root,
        CONSULTATION,
        "  - name: Karim Ouali\n",
        "  - name: Karim Ouali\n    role: policy officer\n    email: karim@saamo.be\n"
        "    phone: +32 3 123 45 67\n",
    )
    build(root, "coalitions-for-social-policy")
    pdf = root / "build/coalitions-for-social-policy.pdf"
    assert (
        # a contact on a line of their own: role, affiliation, then how to reach them
        "Karim Ouali, policy officer (SAAMO Antwerpen) · karim@saamo.be · +32 3 123 45 67 "
        "Lotte Verhaegen (SAAMO Antwerpen)"
    ) in pages(pdf)[0]
    links = link_targets(pdf, page=0)
    assert "mailto:karim@saamo.be" in links and "tel:+3231234567" in links


def test_a_telephone_number_that_is_not_one_is_a_located_error(tmp_path: Path) -> None:
    root = copy_demo(tmp_path / "ws")
    edit(
        root, CONSULTATION, "  - name: Karim Ouali\n", "  - name: Karim Ouali\n    phone: call me\n"
    )
    code, output = check(root)
    assert code == 1
    assert output.splitlines()[0] == (
        f"{CONSULTATION}:14:12: error: 'authors[1].phone': this is not a telephone number: "
        "write digits, spaces and + ( ) - . /, such as +32 3 123 45 67 [invalid-value]"
    )


def test_an_author_s_e_mail_address_that_is_not_one_is_a_located_error(tmp_path: Path) -> None:
    """Before, it vanished from the byline without a word."""
    root = copy_demo(tmp_path / "ws")
    edit(
        root,
        CONSULTATION,
        "  - name: Karim Ouali\n",
        "  - name: Karim Ouali\n    email: karim.saamo.be\n",
    )
    code, output = check(root)
    assert code == 1
    assert output.splitlines()[0] == (
        f"{CONSULTATION}:14:12: error: 'authors[1].email': this is not an e-mail address: "
        "write it as name@example.org [invalid-value]"
    )


def test_one_author_is_not_called_authors(tmp_path: Path) -> None:
    root = copy_demo(tmp_path / "ws")
    edit(root, CONSULTATION, "  - name: Lotte Verhaegen\n    affiliation: SAAMO Antwerpen\n", "")
    build(root, "coalitions-for-social-policy")
    text = pages(root / "build/coalitions-for-social-policy.pdf")[0]
    assert "WRITTEN BY Karim Ouali (SAAMO Antwerpen)" in text
    assert "AUTHORS" not in text.upper()


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("2026-13-06", ": there is no month 13; write it as YYYY-MM-DD, the month second"),
        ("2026-02-30", ": month 2 of 2026 has no day 30"),
        ("2026-4-2", "; write it as 2026-04-02, with two digits for month and day"),
        ("20 april 2026", "; write it as YYYY-MM-DD"),
    ],
)
def test_a_wrong_date_says_what_is_wrong_with_it(
    tmp_path: Path, written: str, message: str
) -> None:
    """Before, '2026-13-06' was told to be written as YYYY-MM-DD, which it was."""
    root = copy_demo(tmp_path / "ws")
    edit(root, CONSULTATION, "date: 2026-04-20", f"date: {written}")
    code, output = check(root)
    assert code == 1
    assert output.splitlines()[0] == (
        f"{CONSULTATION}:6:7: error: '{written}' is not a valid date for 'date'{message} "
        "[invalid-date]"
    )
