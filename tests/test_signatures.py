"""Co-signatures: bound to the text signed, one file per partner, merged by git without conflict."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import CONFIG, POSITION
from standpunt.coalition.fingerprint import position_fingerprint, short, workspace_fingerprints
from standpunt.coalition.signatures import (
    Signature,
    SignatureState,
    check_signatures,
    current_signers,
    read_signatures,
    sign,
    signature_path,
    signed_positions,
    status,
    unsign,
)
from standpunt.commands import signing as commands
from standpunt.errors import StandpuntError, UsageError
from standpunt.workspace.load import load_yaml
from standpunt.workspace.read import Workspace, open_workspace

DAY = dt.date(2026, 3, 1)
SIGNED, OUTDATED, UNSIGNED, INVALID = SignatureState


def states(workspace: Workspace, position: str = "care") -> list[tuple[str, str]]:
    """(partner, state) for every partner of a position, as ``standpunt status`` would show."""
    found, diagnostics = read_signatures(workspace)
    assert diagnostics == []
    current = position_fingerprint(workspace, position)
    return [(key, state) for key, state, _ in status(workspace, position, found, current)]


def edit(root: Path, old: str, new: str, file: str = "positions/care.yaml") -> Workspace:
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return open_workspace(root)


@pytest.fixture
def root(make_workspace) -> Path:
    return make_workspace()


def test_sign_records_the_text_signed(root):
    workspace = open_workspace(root)
    signature = sign(workspace, "care", "swan", "An Peeters", role="coordinator", today=DAY)
    assert signature.path == root / "signatures/care/swan.yaml"
    assert signature.fingerprint == position_fingerprint(workspace, "care")
    raw = load_yaml(signature.path)  # our own strict reader: no anchors, tags or surprises
    assert dict(raw) == {
        "partner": "swan",
        "by": "An Peeters",
        "role": "coordinator",
        "date": "2026-03-01",
        "fingerprint": signature.fingerprint,
        "title": "Care is not a market",
    }
    assert signature.path.read_text().startswith("# Co-signature of positions/care.yaml")

    found, diagnostics = read_signatures(open_workspace(root))
    assert diagnostics == []
    assert found == {"care": [signature]}
    assert states(workspace) == [("swan", SIGNED)]
    assert current_signers(workspace, "care", found, signature.fingerprint) == ["swan"]
    assert check_signatures(workspace, found, workspace_fingerprints(workspace)) == []
    assert workspace.problems.items == []  # signing did not add to the caller's problems


def test_role_is_left_out_when_not_given(root):
    signature = sign(open_workspace(root), "care", "swan", "  An   Peeters ", today=DAY)
    assert signature.by == "An Peeters"
    assert signature.role is None
    assert "role" not in load_yaml(signature.path)


def test_one_changed_word_makes_the_signature_outdated(root):
    sign(open_workspace(root), "care", "swan", "An Peeters", today=DAY)
    workspace = edit(root, "crowds out care", "crowds out kindness")
    assert states(workspace) == [("swan", OUTDATED)]

    found, _ = read_signatures(workspace)
    current = position_fingerprint(workspace, "care")
    assert current_signers(workspace, "care", found, current) == []
    [warning] = check_signatures(workspace, found, workspace_fingerprints(workspace))
    assert warning.severity == "warning"
    assert warning.code == "outdated-signature"
    assert str(warning.location) == "signatures/care/swan.yaml:6:14"
    assert warning.message == (
        "partner 'swan' signed an older text of this position (on 2026-03-01); see what "
        "changed with 'standpunt diff care --signed-by swan' and ask them to sign again: "
        "standpunt sign care --partner swan --by NAME"
    )

    # Signing again binds the signature to the new text.
    sign(workspace, "care", "swan", "Bo Janssens", today=DAY + dt.timedelta(days=3))
    assert states(workspace) == [("swan", SIGNED)]
    assert sorted(p.name for p in (root / "signatures/care").iterdir()) == ["swan.yaml"]
    assert read_signatures(workspace)[0]["care"][0].by == "Bo Janssens"


def test_a_changed_word_in_cited_evidence_makes_it_outdated(root):
    sign(open_workspace(root), "care", "swan", "An Peeters", today=DAY)
    workspace = edit(root, "Coalitions and policy", "Coalitions or policy", "evidence/refs.yaml")
    assert states(workspace) == [("swan", OUTDATED)]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("status: adopted", "status: withdrawn"),
        ("date: 2026-03-01", "date: 2026-09-01"),
        ("signatories: [swan]", "signatories:\n  - swan\n  - hbh"),
        ("title: Care is not a market\n", "# edited\ntitle: 'Care is not a market'\n"),
        ("summary: |\n  Care", "summary: >-\n    Care"),
    ],
)
def test_status_and_reformatting_keep_the_signature(root, old, new):
    sign(open_workspace(root), "care", "swan", "An Peeters", today=DAY)
    workspace = edit(root, old, new)
    assert ("swan", SIGNED) in states(workspace)


def test_invited_partners_first_then_other_signers(make_workspace):
    root = make_workspace(
        {
            "standpunt.yaml": """\
            organisation: {name: Test Organisation}
            partners:
              swan: {name: Sociaal Werk Actie Netwerk}
              hbh: {name: Hart boven Hard}
              abvv: {name: ABVV}
            """,
            "positions/care.yaml": POSITION.replace("[swan]", "[swan, hbh]"),
        }
    )
    workspace = open_workspace(root)
    sign(workspace, "care", "abvv", "Cor Daems", today=DAY)
    sign(workspace, "care", "hbh", "Dee Engels", today=DAY)
    assert states(workspace) == [("swan", UNSIGNED), ("hbh", SIGNED), ("abvv", SIGNED)]
    found, _ = read_signatures(workspace)
    current = position_fingerprint(workspace, "care")
    assert current_signers(workspace, "care", found, current) == ["hbh", "abvv"]
    [(_, _, none), *_] = status(workspace, "care", found, current)
    assert none is None


def test_unsign_withdraws(root):
    workspace = open_workspace(root)
    path = sign(workspace, "care", "swan", "An Peeters", today=DAY).path
    assert unsign(workspace, "care", "swan") == path
    assert not path.exists()
    assert not path.parent.exists()  # no empty folder left behind
    assert states(workspace) == [("swan", UNSIGNED)]
    with pytest.raises(StandpuntError) as caught:
        unsign(workspace, "care", "swan")
    assert caught.value.code == "not-signed"
    assert caught.value.message.startswith("partner 'swan' has not signed 'care'")


def test_unknown_partner_is_refused_with_a_suggestion(root):
    workspace = open_workspace(root)
    with pytest.raises(UsageError) as caught:
        sign(workspace, "care", "swna", "An Peeters")
    assert caught.value.code == "unknown-partner"
    assert "(did you mean 'swan'?)" in caught.value.message
    assert not (root / "signatures").exists()


def test_unknown_or_broken_position_is_refused(make_workspace):
    root = make_workspace({"positions/broken.yaml": POSITION.replace("[@doe2019]", "[@doe2091]")})
    workspace = open_workspace(root)
    with pytest.raises(UsageError) as caught:
        sign(workspace, "cair", "swan", "An Peeters")
    assert caught.value.code == "unknown-position"
    assert "(did you mean 'care'?)" in caught.value.message
    with pytest.raises(StandpuntError) as caught:  # the command checks before it signs
        commands.sign(root, "broken", "swan", "An Peeters")
    assert caught.value.code == "position-has-errors"
    assert str(caught.value) == (
        "positions/broken.yaml:13:25: error: position 'broken' has 1 error(s) and cannot be "
        "signed until they are fixed; run 'standpunt check broken' to see them "
        "[position-has-errors]"
    )
    with pytest.raises(UsageError) as caught:  # wrong usage is said before the errors
        commands.sign(root, "broken", "swna", "An Peeters")
    assert caught.value.code == "unknown-partner"
    with pytest.raises(UsageError) as caught:
        sign(workspace, "care", "swan", "   ")
    assert caught.value.code == "missing-signer"
    assert not (root / "signatures").exists()


def test_a_position_that_cannot_be_read_is_not_signed(make_workspace):
    root = make_workspace({"positions/broken.yaml": "title: [unclosed\n"})
    workspace = open_workspace(root)
    with pytest.raises(StandpuntError) as caught:
        sign(workspace, "broken", "swan", "An Peeters")
    assert str(caught.value) == (
        "positions/broken.yaml:1:1: error: position 'broken' cannot be read, so it cannot be "
        "signed; run 'standpunt check broken' and fix its errors [position-has-errors]"
    )
    with pytest.raises(StandpuntError) as caught:
        commands.sign(root, "broken", "swan", "An Peeters")
    assert caught.value.code == "position-has-errors"
    assert not (root / "signatures").exists()


def test_sign_only_the_text_the_partner_read(root):
    workspace = open_workspace(root)
    read = position_fingerprint(workspace, "care")
    workspace = edit(root, "crowds out care", "crowds out kindness")
    with pytest.raises(StandpuntError) as caught:
        sign(workspace, "care", "swan", "An Peeters", expect=short(read))
    assert caught.value.code == "fingerprint-mismatch"
    assert not (root / "signatures").exists()
    with pytest.raises(UsageError) as caught:
        sign(workspace, "care", "swan", "An Peeters", expect="sha256:")
    assert caught.value.code == "invalid-fingerprint"
    current = position_fingerprint(workspace, "care")
    assert sign(workspace, "care", "swan", "An Peeters", expect=short(current)).fingerprint == (
        current
    )


def _printable(text: str) -> bool:
    """No control, format, private-use or surrogate character: what a name may hold."""
    return not any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs") for c in text)


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    by=st.text(min_size=1, max_size=200).filter(lambda s: bool(s.split())),
    role=st.none() | st.text(max_size=200),
)
def test_any_name_is_written_so_that_it_reads_back(root, by, role):
    workspace = open_workspace(root)
    if not (_printable(_folded(by)) and _printable(_folded(role or ""))):
        with pytest.raises(UsageError) as caught:
            sign(workspace, "care", "swan", by, role=role, today=DAY)
        assert caught.value.message.endswith("holds a control character; write it as plain text")
        return
    sign(workspace, "care", "swan", by, role=role, today=DAY)
    found, diagnostics = read_signatures(workspace)
    assert diagnostics == []
    [signature] = found["care"]
    assert signature.by == _folded(by)
    assert signature.role == (_folded(role) or None if role is not None else None)


def git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.org",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.org",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )


def test_two_partners_signing_on_two_branches_merge_without_conflict(make_workspace):
    root = make_workspace({"positions/care.yaml": POSITION.replace("[swan]", "[swan, hbh]")})
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "workspace")

    git(root, "checkout", "-q", "-b", "a")
    sign(open_workspace(root), "care", "swan", "An Peeters", today=DAY)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "swan signs")

    git(root, "checkout", "-q", "-b", "b", "main")
    assert not (root / "signatures").exists()
    sign(open_workspace(root), "care", "hbh", "Dee Engels", today=DAY)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "hbh signs")

    git(root, "checkout", "-q", "a")
    merge = git(root, "merge", "--no-edit", "b")
    assert "CONFLICT" not in merge.stdout
    assert git(root, "status", "--porcelain").stdout == ""
    assert sorted(p.name for p in (root / "signatures/care").iterdir()) == [
        "hbh.yaml",
        "swan.yaml",
    ]
    assert states(open_workspace(root)) == [("swan", SIGNED), ("hbh", SIGNED)]


def write_signature(root: Path, text: str, name: str = "signatures/care/swan.yaml") -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


GOOD = """\
partner: swan
by: An Peeters
date: 2026-03-01
fingerprint: sha256:{}
""".format("0" * 64)


def diagnostics_of(root: Path) -> list[str]:
    found, diagnostics = read_signatures(open_workspace(root))
    assert found == {}
    return [str(d) for d in diagnostics]


def test_misspelt_field_is_reported_at_its_line(root):
    write_signature(root, GOOD.replace("date:", "# signed at the meeting\ndaet:"))
    # one mistake, one error: 'daet' is 'date' misspelt, not also a missing 'date'
    assert diagnostics_of(root) == [
        "signatures/care/swan.yaml:4:1: error: unknown field 'daet' (did you mean 'date'?) "
        "[unknown-field]",
    ]


@pytest.mark.parametrize(
    ("name", "old", "new", "expected"),
    [
        (
            "signatures/care/swann.yaml",
            "partner: swan",
            "partner: swann",
            "signatures/care/swann.yaml:1:10: error: 'swann' is not a partner in standpunt.yaml "
            "(did you mean 'swan'?); add the partner there or remove this signature "
            "[unknown-partner]",
        ),
        (
            "signatures/care/swan.yaml",
            "partner: swan",
            "partner: hbh",
            "signatures/care/swan.yaml:1:10: error: this file holds the signature of partner "
            "'swan' (its name is swan.yaml) but says partner: hbh; make them the same "
            "[signature-mismatch]",
        ),
        (
            "signatures/cair/swan.yaml",
            "",
            "",
            "signatures/cair/swan.yaml:1:1: error: this is a signature of position 'cair', but "
            "there is no positions/cair.yaml (did you mean 'care'?); if the position was "
            "renamed, move this folder to signatures/<new id>/, otherwise withdraw the "
            "signature [unknown-position]",
        ),
        (
            "signatures/care/swan.yaml",
            "sha256:0",
            "md5:0",
            "signatures/care/swan.yaml:4:14: error: 'fingerprint': this is not a fingerprint as "
            "'standpunt sign' writes it ('sha256:' and 64 hexadecimal digits); sign again "
            "rather than editing it [invalid-value]",
        ),
        (
            "signatures/care/swan.yaml",
            "date: 2026-03-01",
            "date: 2026-13-01",
            "signatures/care/swan.yaml:3:7: error: '2026-13-01' is not a valid date for 'date': "
            "there is no month 13; write it as YYYY-MM-DD, the month second [invalid-date]",
        ),
        (
            "signatures/care/swan.yaml",
            "by: An Peeters",
            "by: [An Peeters",
            "signatures/care/swan.yaml:3:5:",
        ),
        (
            "signatures/swan.yaml",
            "",
            "",
            "signatures/swan.yaml: error: signature files belong in "
            "signatures/<position-id>/<partner>.yaml; sign with 'standpunt sign' rather than "
            "writing them by hand [misplaced-signature]",
        ),
    ],
)
def test_wrong_signature_files_are_reported(root, name, old, new, expected):
    write_signature(root, GOOD.replace(old, new), name)
    [diagnostic] = diagnostics_of(root)
    assert diagnostic.startswith(expected)


def test_a_partner_signed_twice_by_hand(root):
    write_signature(root, GOOD)
    write_signature(root, GOOD, "signatures/care/swan.yml")
    found, diagnostics = read_signatures(open_workspace(root))
    assert [d.code for d in diagnostics] == ["duplicate-signature"]
    assert [s.path.name for s in found["care"]] == ["swan.yaml"]
    # Signing again replaces both with one file.
    sign(open_workspace(root), "care", "swan", "An Peeters", today=DAY)
    assert sorted(p.name for p in (root / "signatures/care").iterdir()) == ["swan.yaml"]
    assert unsign(open_workspace(root), "care", "swan").name == "swan.yaml"


def test_signature_dataclass_is_plain_data(root):
    signature = sign(open_workspace(root), "care", "swan", "An Peeters", today=DAY)
    assert isinstance(signature, Signature)
    assert signature.date == DAY
    assert signature.position == "care"
    assert signature.title == "Care is not a market"
    with pytest.raises(AttributeError):
        signature.by = "someone else"  # type: ignore[misc]


def test_an_unwritable_place_is_a_message_not_a_traceback(root):
    (root / "signatures").write_text("not a folder")
    with pytest.raises(StandpuntError) as caught:
        sign(open_workspace(root), "care", "swan", "An Peeters", today=DAY)
    assert caught.value.code == "file-unwritable"
    assert "signatures/care/swan.yaml" in caught.value.message


def test_a_link_out_of_the_workspace_is_refused(root, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / "signatures").symlink_to(outside)
    with pytest.raises(StandpuntError) as caught:
        sign(open_workspace(root), "care", "swan", "An Peeters", today=DAY)
    assert caught.value.code == "unsafe-output"
    assert list(outside.iterdir()) == []


def test_a_name_windows_reserves_is_no_position_id_and_no_partner_key(make_workspace):
    """One rule for ids and keys (workspace/paths.py), so 'con' is refused everywhere."""
    root = make_workspace({"standpunt.yaml": CONFIG + "  con:\n    name: Con\n"})
    with pytest.raises(StandpuntError) as caught:
        open_workspace(root)
    assert str(caught.value) == (
        "standpunt.yaml:11:3: error: partner key 'con' may hold only lower-case letters, "
        "digits and '-' (at most 64, starting with a letter or digit, and not a name Windows "
        "reserves such as 'con') [invalid-id]"
    )
    (root / "standpunt.yaml").write_text(CONFIG, encoding="utf-8")
    workspace = open_workspace(root)
    for position, partner in (("con", "swan"), ("care", "con")):
        with pytest.raises(UsageError) as refused:
            signature_path(workspace, position, partner)
        assert refused.value.code == "invalid-id"
    folder = root / "signatures" / "care"
    folder.mkdir(parents=True)
    (folder / "con.yaml").write_text(
        f"partner: con\nby: X\ndate: 2026-03-01\nfingerprint: sha256:{'0' * 64}\n", "utf-8"
    )
    assert [str(d) for d in read_signatures(workspace)[1]] == [
        "signatures/care/con.yaml:1:10: error: 'partner': 'con' is not a partner key; keys hold "
        "only lower-case letters, digits and '-' (at most 64, starting with a letter or digit, "
        "and not a name Windows reserves such as 'con') [invalid-value]"
    ]


def test_a_linked_signatures_folder_is_not_listed_for_what_to_read(root, tmp_path):
    """Which positions someone signed (so that status reads their evidence) is taken from the
    folder itself, never through a link: a link's folder holds no signature."""
    outside = tmp_path / "elsewhere"
    (outside / "care").mkdir(parents=True)
    (root / "signatures").symlink_to(outside)
    assert signed_positions(root) == set()
    (root / "signatures").unlink()
    (root / "signatures/care").mkdir(parents=True)
    assert signed_positions(root) == {"care"}
