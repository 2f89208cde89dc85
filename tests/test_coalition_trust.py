"""Issue 13, end to end: co-signatures a partner can prove with the SSH keys it has, a reply it
can send back, imports that keep their origin, editions only for signers, attachments that carry
only what is public, and ``verify``. Keys are made with ssh-keygen and every signature is
cross-checked with it both ways; real PDFs are built and read back."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner, Result

from conftest import CONFIG, EVIDENCE, POSITION, flat_text
from standpunt.cli import main
from standpunt.workspace.load import parse_yaml, to_plain

pytestmark = pytest.mark.skipif(
    shutil.which("ssh-keygen") is None, reason="ssh-keygen (OpenSSH) is not installed"
)

SWAN = "Sociaal Werk Actie Netwerk"
HBH = "Hart boven Hard"


@pytest.fixture(autouse=True)
def quiet_git(isolated_git: None) -> None:
    """Git as conftest.py sets it up: no user configuration, no repository around tmp_path."""


def run(root: Path | None, *args: str, code: int = 0, cwd: Path | None = None) -> Result:
    """``standpunt [-C root] ARGS``: the exit code as expected, and never a traceback."""
    prefix = ["-C", str(root)] if root is not None else []
    old = Path.cwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, [*prefix, *args])
    finally:
        os.chdir(old)
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, result.output
    return result


def workspace_at(folder: Path, files: dict[str, str]) -> Path:
    """A second workspace beside the one make_workspace writes."""
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def keygen(folder: Path, name: str, kind: str = "ed25519") -> Path:
    """A new SSH key pair without passphrase: the private key's path (.pub beside it)."""
    path = folder / name
    extra = {
        "ecdsa256": ["-t", "ecdsa", "-b", "256"],
        "ecdsa384": ["-t", "ecdsa", "-b", "384"],
        "ecdsa521": ["-t", "ecdsa", "-b", "521"],
        "rsa": ["-t", "rsa", "-b", "2048"],
    }
    args = extra.get(kind, ["-t", kind])
    subprocess.run(
        ["ssh-keygen", "-q", *args, "-N", "", "-C", f"{name}@example.org", "-f", str(path)],
        check=True,
        capture_output=True,
    )
    return path


def public(key: Path) -> str:
    return key.with_suffix(".pub").read_text().strip()


def with_keys(config: str, keys: dict[str, list[Path]]) -> str:
    """CONFIG with ``keys:`` (a block of lines) under each partner named."""
    names = {"swan": SWAN, "hbh": HBH}
    for partner, paths in keys.items():
        block = "".join(f"      {public(p)}\n" for p in paths)
        config = config.replace(
            f"    name: {names[partner]}\n", f"    name: {names[partner]}\n    keys: |\n{block}"
        )
    return config


def ssh_sign(key: Path, data: bytes, folder: Path) -> Path:
    """What a partner without Standpunt does: ssh-keygen -Y sign -n standpunt over the bytes."""
    message = folder / "statement.txt"
    message.write_bytes(data)
    subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-n", "standpunt", "-f", str(key), str(message)],
        check=True,
        capture_output=True,
    )
    return folder / "statement.txt.sig"


def ssh_verify(key: Path, principal: str, data: bytes, signature: str, folder: Path) -> bool:
    """``ssh-keygen -Y verify`` of a signature Standpunt made."""
    allowed = folder / "allowed_signers"
    allowed.write_text(f"{principal} {public(key)}\n")
    sig = folder / "check.sig"
    sig.write_text(signature)
    result = subprocess.run(
        [
            "ssh-keygen",
            "-Y",
            "verify",
            "-f",
            str(allowed),
            "-I",
            principal,
            "-n",
            "standpunt",
            "-s",
            str(sig),
        ],
        input=data,
        capture_output=True,
    )
    return result.returncode == 0


def signature_block(path: Path) -> str:
    """The armored signature a signature file holds."""
    return to_plain(parse_yaml(path.read_bytes(), path.name))["signature"]


def attachments(pdf: Path) -> dict[str, bytes]:
    return {name: data[0] for name, data in pypdf.PdfReader(pdf).attachments.items()}


def statement(root: Path, partner: str = "swan", by: str = "An Peeters") -> bytes:
    return run(
        root, "statement", "care", "--partner", partner, "--by", by, "--role", "director"
    ).stdout_bytes


# --------------------------------------------------------------------------- the statement


def test_the_statement_is_the_exact_bytes_signed(make_workspace) -> None:
    root = make_workspace()
    fingerprint = run(root, "fingerprint", "care").stdout.strip()
    assert (
        statement(root, by="  An   Peeters ")
        == (
            "Standpunt co-signature, statement version 1\n"
            "position: care\n"
            f"fingerprint: {fingerprint}\n"
            "partner: swan\n"
            "signer: An Peeters\n"
            "role: director\n"
        ).encode()
    )
    no_role = run(root, "statement", "care", "--partner", "swan", "--by", "An").stdout_bytes
    assert no_role.endswith(b"signer: An\n")
    result = run(root, "statement", "care", "--partner", "swan", "--by", "An\x1b[31m", code=2)
    assert "holds a control character" in result.stderr


# --------------------------------------------------------------------------- both ways


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa256", "ecdsa384", "ecdsa521", "rsa"])
def test_ssh_keygen_and_standpunt_accept_each_others_signatures(
    make_workspace, tmp_path: Path, kind: str
) -> None:
    key = keygen(tmp_path, f"swan-{kind}", kind)
    root = make_workspace({"standpunt.yaml": with_keys(CONFIG, {"swan": [key]})})

    # A partner without Standpunt signs the statement with ssh-keygen: verified.
    data = statement(root)
    sig = ssh_sign(key, data, tmp_path)
    run(
        root,
        "sign",
        "care",
        "--partner",
        "swan",
        "--by",
        "An Peeters",
        "--role",
        "director",
        "--signature",
        str(sig),
    )
    assert "signed this text, verified (An Peeters" in run(root, "status").stdout

    # standpunt sign --key makes a signature that ssh-keygen -Y verify accepts.
    run(
        root,
        "sign",
        "care",
        "--partner",
        "swan",
        "--by",
        "An Peeters",
        "--role",
        "director",
        "--key",
        str(key),
    )
    made = signature_block(root / "signatures/care/swan.yaml")
    assert ssh_verify(key, "swan", data, made, tmp_path)
    assert not ssh_verify(key, "swan", data.replace(b"An Peeters", b"Bo Peeters"), made, tmp_path)
    assert "signed this text, verified" in run(root, "status").stdout


def test_a_signature_over_other_words_or_in_another_namespace_is_refused(
    make_workspace, tmp_path: Path
) -> None:
    key = keygen(tmp_path, "swan")
    root = make_workspace({"standpunt.yaml": with_keys(CONFIG, {"swan": [key]})})
    wrong = ssh_sign(key, statement(root, by="Someone Else"), tmp_path)
    result = run(
        root,
        "sign",
        "care",
        "--partner",
        "swan",
        "--by",
        "An Peeters",
        "--role",
        "director",
        "--signature",
        str(wrong),
        code=1,
    )
    assert "nothing was signed: the signature does not hold: the signature does not match" in (
        result.stderr
    )
    message = tmp_path / "git.txt"
    message.write_bytes(statement(root))
    subprocess.run(
        ["ssh-keygen", "-Y", "sign", "-n", "git", "-f", str(key), str(message)],
        check=True,
        capture_output=True,
    )
    result = run(
        root,
        "sign",
        "care",
        "--partner",
        "swan",
        "--by",
        "An Peeters",
        "--role",
        "director",
        "--signature",
        f"{message}.sig",
        code=1,
    )
    assert "the signature was made for 'git', not for Standpunt" in result.stderr
    assert not (root / "signatures").exists()


# --------------------------------------------------------------------------- invalid signatures


def test_a_hand_written_signature_for_a_partner_with_keys_is_invalid(
    make_workspace, tmp_path: Path
) -> None:
    key = keygen(tmp_path, "swan")
    root = make_workspace({"standpunt.yaml": with_keys(CONFIG, {"swan": [key]})})
    fingerprint = run(root, "fingerprint", "care").stdout.strip()
    forged = root / "signatures/care/swan.yaml"
    forged.parent.mkdir(parents=True)
    forged.write_text(
        f"partner: swan\nby: Somebody\ndate: 2026-03-01\nfingerprint: {fingerprint}\n"
    )
    result = run(root, "check", code=1)
    assert (
        "signatures/care/swan.yaml:1:1: error: this signature of partner 'swan' is invalid, so "
        "the partner is not named as co-signer: partner 'swan' lists keys in standpunt.yaml "
        "and this signature was not made with one; sign again with --key or --signature "
        "[invalid-signature]"
    ) in result.stdout
    assert "swan                     invalid signature:" in run(root, "status").stdout
    run(root, "build", code=1)  # the position builds; the invalid signature is an error
    text = flat_text(root / "build/care.pdf")
    assert SWAN not in text
    assert "signature-swan.yaml" not in attachments(root / "build/care.pdf")


def test_a_signature_by_another_partners_key_is_invalid(make_workspace, tmp_path: Path) -> None:
    swan, hbh = keygen(tmp_path, "swan"), keygen(tmp_path, "hbh")
    root = make_workspace({"standpunt.yaml": with_keys(CONFIG, {"swan": [swan], "hbh": [hbh]})})
    # Refused when signing...
    result = run(root, "sign", "care", "--partner", "swan", "--by", "An", "--key", str(hbh), code=1)
    assert (
        "the signature was made with a key of partner 'hbh', not with one of the keys of "
        "partner 'swan'"
    ) in result.stderr
    # ... and found when a file is put in place by hand.
    run(root, "sign", "care", "--partner", "hbh", "--by", "An", "--key", str(hbh))
    taken = (root / "signatures/care/hbh.yaml").read_text().replace("partner: hbh", "partner: swan")
    (root / "signatures/care/swan.yaml").write_text(taken)
    result = run(root, "check", code=1)
    assert "signatures/care/swan.yaml:1:1: error: this signature of partner 'swan' is invalid" in (
        result.stdout
    )
    # (the statement names hbh, so the signature does not even hold for swan's words)
    assert "the signature does not match the signed text" in result.stdout


def test_signatures_verified_refuses_recorded_ones(make_workspace) -> None:
    root = make_workspace()
    run(root, "sign", "care", "--partner", "swan", "--by", "An Peeters")
    assert "signed this text, not verified" in run(root, "status").stdout
    run(root, "check")  # recorded signatures count by default
    strict = CONFIG + "signatures: verified\n"
    (root / "standpunt.yaml").write_text(strict)
    result = run(root, "check", code=1)
    assert (
        "asks for verified signatures (signatures: verified) and partner 'swan' lists no keys"
        in (result.stdout)
    )
    result = run(root, "sign", "care", "--partner", "hbh", "--by", "Bo", code=1)
    assert "nothing was signed" in result.stderr


def test_a_key_that_is_no_key_is_an_error_at_its_line(make_workspace) -> None:
    config = CONFIG.replace(
        f"    name: {SWAN}\n",
        f"    name: {SWAN}\n    keys:\n      - ssh-ed25519 AAAAnotakey swan\n      - hello\n",
    )
    root = make_workspace({"standpunt.yaml": config})
    result = run(root, "check", code=1)
    assert (
        "standpunt.yaml:10:9: error: key 1 of partner 'swan' cannot be used: the public key is"
        in (result.stdout)
    )
    assert (
        "standpunt.yaml:11:9: error: key 2 of partner 'swan' cannot be used: this is not an SSH"
        in (result.stdout)
    )


# --------------------------------------------------------------------------- the round trip


def test_the_round_trip_build_reply_accept_build(make_workspace, tmp_path: Path) -> None:
    key = keygen(tmp_path, "swan")
    root = make_workspace({"standpunt.yaml": with_keys(CONFIG, {"swan": [key]})})
    run(root, "build")
    sent = tmp_path / "sent.pdf"
    shutil.copy(root / "build/care.pdf", sent)
    assert SWAN not in flat_text(sent)

    # The partner, with no workspace, signs the PDF it received.
    partner = tmp_path / "partner"
    partner.mkdir()
    result = run(
        None,
        "sign",
        str(sent),
        "--partner",
        "swan",
        "--by",
        "An Peeters",
        "--role",
        "director",
        "--key",
        str(key),
        cwd=partner,
    )
    reply = partner / "care.swan.signature.yaml"
    assert f"→ {reply.name}; send this file back to the organisation" in result.stdout
    assert result.stderr == ""  # the PDF lists this key for swan: nothing to warn about

    # The organisation accepts the reply: verified, and for the current text.
    result = run(root, "accept", str(reply))
    assert result.stdout.startswith("accepted: swan (An Peeters, ")
    assert "signed the current text of care, verified → signatures/care/swan.yaml" in result.stdout
    run(root, "build")
    text = flat_text(root / "build/care.pdf")
    assert re.search(rf"{SWAN} An Peeters, director \w+ \d+, \d{{4}} · signature verified", text)
    verified = run(None, "verify", str(root / "build/care.pdf")).stdout
    assert "text: the copy this PDF carries is intact (fingerprint sha256:" in verified
    assert "note: the pages you read are not compared with that copy" in verified
    assert "swan: signed this text, verified with SHA256:" in verified

    # A reply to a text that has changed since is stored as an older text, and said so.
    (root / "positions/care.yaml").write_text(POSITION.replace("crowds out", "squeezes out"))
    result = run(root, "accept", str(reply))
    assert "signed an older text of care" in result.stdout
    assert "standpunt diff care --signed-by swan" in result.stderr


def test_a_reply_signed_with_an_unlisted_key_is_refused_by_accept(
    make_workspace, tmp_path: Path
) -> None:
    listed, other = keygen(tmp_path, "swan"), keygen(tmp_path, "other")
    root = make_workspace({"standpunt.yaml": with_keys(CONFIG, {"swan": [listed]})})
    run(root, "build")
    result = run(
        None,
        "sign",
        str(root / "build/care.pdf"),
        "--partner",
        "swan",
        "--by",
        "An",
        "--key",
        str(other),
        "--output",
        str(tmp_path),
    )
    assert "the PDF lists other keys for 'swan' than the one you signed with" in result.stderr
    result = run(root, "accept", str(tmp_path / "care.swan.signature.yaml"), code=1)
    assert "was not accepted: the signature was made with the key SHA256:" in result.stderr
    assert not (root / "signatures").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "a signature file must hold fields"),
        ("partner: swan\n", "'by' is required but missing"),
        ("{[", "care.swan.signature.yaml:1:"),
        (
            "partner: swan\nby: An\ndate: 2026-03-01\nfingerprint: sha256:" + "0" * 64 + "\n",
            "is a signature but not a reply",
        ),
        (
            "position: care\npartner: swan\nby: An\ndate: 2026-03-01\nfingerprint: sha256:"
            + "0" * 64
            + "\nsignature: |\n  -----BEGIN SSH SIGNATURE-----\n  AAAA\n"
            "  -----END SSH SIGNATURE-----\n",
            "the signature is cut short or damaged",
        ),
        (
            "position: care\npartner: swan\nby: An\ndate: 2026-03-01\nfingerprint: sha256:"
            + "0" * 64
            + "\nsignature: hello\n",
            "this is not an SSH signature",
        ),
        (
            "position: nope\npartner: swan\nby: An\ndate: 2026-03-01\nfingerprint: sha256:"
            + "0" * 64
            + "\n",
            "no position 'nope'",
        ),
    ],
)
def test_a_malformed_reply_is_refused_in_words(
    make_workspace, tmp_path: Path, text: str, message: str
) -> None:
    root = make_workspace()
    reply = tmp_path / "care.swan.signature.yaml"
    reply.write_text(text)
    result = run(root, "accept", str(reply), code=2 if "no position" in message else 1)
    assert message in result.output
    assert not (root / "signatures").exists()


# --------------------------------------------------------------------------- what changed


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def test_diff_signed_by_redlines_from_the_text_the_partner_signed(make_workspace) -> None:
    root = make_workspace()
    git(root, "-c", "init.defaultBranch=main", "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "First")
    first = git(root, "log", "-1", "--format=%h").strip()
    run(root, "sign", "care", "--partner", "swan", "--by", "An")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "Signed")
    (root / "positions/care.yaml").write_text(POSITION.replace("crowds out", "squeezes out"))
    git(root, "commit", "-qam", "Second")
    refs = root / "evidence/refs.yaml"
    refs.write_text(EVIDENCE.replace("Coalitions and policy", "Coalitions or policy"))

    status = run(root, "status").stdout
    assert "signed an older text, not verified (An, " in status
    assert "see what changed: standpunt diff care --signed-by swan" in status
    result = run(root, "diff", "care", "--signed-by", "swan", "--format", "text")
    assert f"From {first} — " in result.stdout  # the commit with the text swan signed
    assert "[-crowds-]{+squeezes+}" in result.stdout

    result = run(root, "diff", "care", "--signed-by", "hbh", "--format", "text", code=2)
    assert "partner 'hbh' has not signed 'care'" in result.stderr
    run(root, "sign", "care", "--partner", "swan", "--by", "An")
    result = run(root, "diff", "care", "--signed-by", "swan", "--format", "text", code=1)
    assert "signed the current text of 'care': nothing changed since" in result.stderr


@pytest.mark.parametrize("lang", ["en", "nl-BE"])
def test_diff_signed_by_finds_the_signed_text_of_a_position_citing_a_bib_file(
    make_workspace, lang: str
) -> None:
    """The committed .bib file is read as the workspace reads it (in its language): a position
    citing it has, at the signed commit, the fingerprint the partner signed."""
    root = make_workspace(
        {
            "standpunt.yaml": CONFIG.replace("lang: en", f"lang: {lang}"),
            "evidence/gent.bib": (
                "@report{ocmw2021,\n  title = {Jaarverslag OCMW Gent},\n"
                "  author = {{OCMW Gent}},\n  year = {2021}\n}\n"
            ),
            "positions/care.yaml": POSITION.replace(
                "As @doe2019 shows", "As @doe2019 and @ocmw2021 show"
            ),
        }
    )
    git(root, "-c", "init.defaultBranch=main", "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.name=A", "-c", "user.email=a@example.org", "commit", "-qm", "First")
    first = git(root, "log", "-1", "--format=%h").strip()
    run(root, "sign", "care", "--partner", "swan", "--by", "An")
    git(root, "add", "-A")
    git(root, "-c", "user.name=A", "-c", "user.email=a@example.org", "commit", "-qm", "Signed")
    (root / "positions/care.yaml").write_text(
        (root / "positions/care.yaml").read_text().replace("crowds out", "squeezes out")
    )
    result = run(root, "diff", "care", "--signed-by", "swan", "--format", "text")
    assert f"From {first} — " in result.stdout
    assert "[-crowds-]{+squeezes+}" in result.stdout


# --------------------------------------------------------------------------- import


def test_three_signatories_import_into_a_fresh_workspace_and_build(
    make_workspace, tmp_path: Path
) -> None:
    swan, hbh, uantwerpen = (keygen(tmp_path, n) for n in ("swan", "hbh", "uantwerpen"))
    config = with_keys(CONFIG, {"swan": [swan], "hbh": [hbh]}).replace(
        "organisation:\n  name: Test Organisation\n  short: TO\n",
        "organisation:\n  name: SAAMO Antwerpen\n  short: SAAMO\n  website: https://saamo.be\n"
        "  logo: assets/saamo.svg\n",
    ) + (
        "  uantwerpen:\n    name: Universiteit Antwerpen\n    short: UA\n"
        "    logo: assets/ua.svg\n    keys:\n"
        f"      - {public(uantwerpen)}\n"
    )
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<rect width="10" height="10" fill="#{}"/></svg>\n'
    )
    position = POSITION.replace("signatories: [swan]", "signatories: [swan, hbh, uantwerpen]")
    position = position.replace("status: adopted", "status: adopted\nversion: '2.1'")
    source = make_workspace(
        {
            "standpunt.yaml": config,
            "positions/care.yaml": position,
            "assets/saamo.svg": svg.format("123456"),
            "assets/ua.svg": svg.format("abcdef"),
        }
    )
    git(source, "-c", "init.defaultBranch=main", "init", "-q")
    git(source, "add", "-A")
    git(source, "commit", "-qm", "Care")
    commit = git(source, "log", "-1", "--format=%h").strip()
    for partner, key in (("swan", swan), ("hbh", hbh), ("uantwerpen", uantwerpen)):
        run(
            source,
            "sign",
            "care",
            "--partner",
            partner,
            "--by",
            f"Signer of {partner}",
            "--key",
            str(key),
        )
    run(source, "build")
    pdf = source / "build/care.pdf"

    fresh = tmp_path / "fresh"
    run(None, "init", str(fresh))
    result = run(fresh, "import", str(pdf))
    assert result.stdout.splitlines() == [
        "created positions/care.yaml",
        "created evidence/imported-care.json",
        "changed standpunt.yaml",
        "created signatures/care/hbh.yaml",
        "created signatures/care/swan.yaml",
        "created signatures/care/uantwerpen.yaml",
    ]
    assert "added partners to standpunt.yaml: swan, hbh, uantwerpen" in result.stderr
    # after the line that names its schema to an editor
    settings = (fresh / "standpunt.yaml").read_text().splitlines()
    assert settings[1] == "# Standpunt workspace settings."
    assert "# logo: assets/example-network.svg" in (fresh / "standpunt.yaml").read_text()
    run(fresh, "check")
    status = run(fresh, "status", "care").stdout
    assert status.count("signed this text, verified") == 3
    run(fresh, "build", "care")
    text = flat_text(fresh / "build/care.pdf")
    assert "Published by SAAMO Antwerpen" in text
    assert "Example Organisation" not in text
    # the origin's version as its readers see it: the label and a date; the commit is in the
    # metadata, not on the pages of an adopted position
    assert re.search(r"Version 2\.1 — \w+ \d+, \d{4}", text)
    assert commit not in text
    for name in (SWAN, HBH, "Universiteit Antwerpen"):
        assert re.search(rf"{name} Signer of \S+ \w+ \d+, \d{{4}} · signature verified", text)
    assert text == flat_text(pdf)


def test_a_partner_defined_otherwise_here_is_not_overwritten(
    make_workspace, tmp_path: Path
) -> None:
    source = make_workspace()
    run(source, "sign", "care", "--partner", "swan", "--by", "An")
    run(source, "build")
    other = CONFIG.replace(f"name: {SWAN}", "name: SWAN vzw")
    target = workspace_at(tmp_path / "target", {"standpunt.yaml": other})
    result = run(target, "import", str(source / "build/care.pdf"))
    assert (
        f"note: partner 'swan' is defined otherwise here than in the PDF (name '{SWAN}' (here "
        "'SWAN vzw')); standpunt.yaml was left as it is"
    ) in result.stderr
    assert (target / "standpunt.yaml").read_text() == other


def test_an_altered_pdf_is_not_imported(make_workspace, tmp_path: Path) -> None:
    root = make_workspace()
    run(root, "build")
    altered = tamper(root / "build/care.pdf", tmp_path / "altered.pdf")
    target = workspace_at(tmp_path / "target", {"standpunt.yaml": CONFIG})
    result = run(target, "import", str(altered), code=1)
    assert "the PDF was changed after it was built. Nothing was imported" in result.stderr
    assert not (target / "positions/care.yaml").exists()


# --------------------------------------------------------------------------- editions and drafts


def test_editions_only_for_signers_and_pending_builds_apart(make_workspace) -> None:
    draft = POSITION.replace("signatories: [swan]", "signatories: [swan, hbh]")
    root = make_workspace({"positions/care.yaml": draft})
    run(root, "sign", "care", "--partner", "hbh", "--by", "Bo")
    result = run(root, "build", "--edition", "swan", code=1)
    assert (
        "no edition for partner 'swan': its signature does not hold the current text of 'care' "
        "(signed by: hbh)"
    ) in result.stderr
    assert not (root / "build/care.swan.pdf").exists()
    run(root, "build", "--edition", "hbh")

    care = root / "positions/care.yaml"  # a report: a cover and a body page, each marked
    care.write_text(care.read_text() + "layout: report\n")
    run(root, "build")
    official = (root / "build/care.pdf").read_bytes()
    run(root, "build", "--include-pending")
    assert (root / "build/care.pdf").read_bytes() == official
    document = pdfium.PdfDocument(str(root / "build/care.pending.pdf"))
    try:
        texts = [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()
    assert len(texts) >= 2
    assert all("DRAFT: CO-SIGNATURES PENDING" in " ".join(t.split()) for t in texts)
    assert "PENDING" not in flat_text(root / "build/care.pdf").upper().replace(
        "SIGNATURE PENDING", ""
    )


# --------------------------------------------------------------------------- attachments


SECRET_CONFIG = CONFIG
SECRET_POSITION = POSITION.replace(
    "title: Care is not a market\n",
    "# VERTROUWELIJK: nog niet publiceren\ntitle: Care is not a market\n",
)
SECRET_EVIDENCE = EVIDENCE.replace(
    "  URL: https://example.org/first\n",
    "  URL: https://example.org/first\n"
    "  note: VERTROUWELIJK, vervang door de definitieve gegevens\n"
    "  quote: VERTROUWELIJK citaat\n",
)


def test_attachments_carry_only_what_is_public(make_workspace, tmp_path: Path) -> None:
    root = make_workspace(
        {"positions/care.yaml": SECRET_POSITION, "evidence/refs.yaml": SECRET_EVIDENCE}
    )
    run(root, "sign", "care", "--partner", "swan", "--by", "An")
    run(root, "build")
    pdf = root / "build/care.pdf"
    files = attachments(pdf)
    assert set(files) == {"care.yaml", "evidence.json", "manifest.json", "signature-swan.yaml"}
    for name, data in files.items():
        assert b"VERTROUWELIJK" not in data, name
    assert "VERTROUWELIJK" not in flat_text(pdf)
    # and the PDF still verifies: what it carries is what was signed
    assert "swan: signed this text" in run(None, "verify", str(pdf)).stdout

    # attach: {notes: true} carries the evidence's note and quote; never the comment
    (root / "standpunt.yaml").write_text(CONFIG + "attach: {notes: true}\n")
    run(root, "build")
    files = attachments(pdf)
    evidence = json.loads(files["evidence.json"])
    assert evidence[0]["note"].startswith("VERTROUWELIJK")
    assert b"VERTROUWELIJK" not in files["care.yaml"]
    run(None, "verify", str(pdf))

    # attach: false embeds nothing, and import says why there is nothing to take
    (root / "standpunt.yaml").write_text(CONFIG + "attach: false\n")
    run(root, "build")
    assert attachments(pdf) == {}
    target = workspace_at(tmp_path / "target", {"standpunt.yaml": CONFIG})
    result = run(target, "import", str(pdf), code=1)
    assert "carries no sources (no manifest.json inside): it was built with 'attach: false'" in (
        result.stderr
    )


# --------------------------------------------------------------------------- verify


def tamper(
    pdf: Path,
    out: Path,
    edit: tuple[bytes, bytes] = (b"crowds out", b"pushes out"),
    name: str = "care.yaml",
) -> Path:
    """A copy of ``pdf`` whose embedded ``name`` was edited, everything else kept."""
    reader = pypdf.PdfReader(pdf)
    writer = pypdf.PdfWriter(clone_from=reader)
    files = attachments(pdf)
    writer._root_object.pop("/Names", None)
    for attached, data in files.items():
        if attached == name:
            assert edit[0] in data
            data = data.replace(*edit)
        writer.add_attachment(attached, data)
    with out.open("wb") as handle:
        writer.write(handle)
    return out


def test_verify_finds_an_altered_position_and_trusts_only_given_keys(
    make_workspace, tmp_path: Path
) -> None:
    swan, stranger = keygen(tmp_path, "swan"), keygen(tmp_path, "stranger")
    root = make_workspace({"standpunt.yaml": with_keys(CONFIG, {"swan": [swan]})})
    run(root, "sign", "care", "--partner", "swan", "--by", "An", "--key", str(swan))
    run(root, "build")
    pdf = root / "build/care.pdf"
    result = run(None, "verify", str(pdf))
    assert "keys the PDF itself lists" in result.stdout

    altered = tamper(pdf, tmp_path / "altered.pdf")
    result = run(None, "verify", str(altered), code=1)
    assert "text: NOT the text its fingerprint names" in result.stdout
    assert "altered.pdf: the position or evidence it carries has the fingerprint" in result.stdout
    assert "swan: signed the original text, NOT the changed text this PDF holds, verified" in (
        result.stdout
    )
    assert "signed this text" not in result.stdout

    forged = tamper(pdf, tmp_path / "forged.pdf", (b"by: An", b"by: Al"), "signature-swan.yaml")
    result = run(None, "verify", str(forged), code=1)
    assert "swan: INVALID: the signature does not hold" in result.stdout

    trusted = tmp_path / "allowed_signers"
    trusted.write_text(f"# our partners\nswan {public(swan)}\n")
    result = run(None, "verify", str(pdf), "--keys", str(trusted))
    assert "verified with SHA256:" in result.stdout and "(keys you trust (--keys))" in result.stdout
    trusted.write_text(f'swan namespaces="standpunt" {public(stranger)}\n')
    result = run(None, "verify", str(pdf), "--keys", str(trusted), code=1)
    assert "swan: INVALID: the signature was made with the key" in result.stdout
    assert "which is not among the keys allowed_signers lists for partner 'swan'" in result.stdout


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"%PDF-1.7\n" + b"\x00" * 100,
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Names << /EmbeddedFiles 2 0 R >> >> endobj\n"
        b"2 0 obj << /Names [(a) 3 0 R] >> endobj\n3 0 obj << /Type /Filespec >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n",
    ],
)
def test_verify_and_sign_refuse_what_is_no_standpunt_pdf_in_words(
    tmp_path: Path, data: bytes
) -> None:
    pdf = tmp_path / "received.pdf"
    pdf.write_bytes(data)
    result = run(None, "verify", str(pdf), code=1)
    assert "'received.pdf'" in result.stderr
    result = run(
        None, "sign", str(pdf), "--partner", "swan", "--by", "An", "--signature", str(pdf), code=1
    )
    assert "'received.pdf'" in result.stderr


def test_hostile_json_inside_a_pdf_is_refused_in_words(tmp_path: Path) -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    writer.add_attachment("manifest.json", b"[" * 100_000 + b"]" * 100_000)
    writer.add_attachment("evidence.json", b"[" + b"9" * 5000 + b"]")
    pdf = tmp_path / "deep.pdf"
    with pdf.open("wb") as out:
        writer.write(out)
    result = run(None, "verify", str(pdf), code=1)
    assert "the sources inside 'deep.pdf' are damaged: manifest.json" in result.stderr


def test_a_pdf_with_too_many_embedded_files_is_refused(tmp_path: Path) -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    for number in range(70):
        writer.add_attachment(f"f{number}.txt", b"x")
    pdf = tmp_path / "many.pdf"
    with pdf.open("wb") as out:
        writer.write(out)
    result = run(None, "verify", str(pdf), code=1)
    assert "it embeds more than 64 files" in result.stderr


def test_no_workspace_is_needed_to_verify_or_reply(make_workspace, tmp_path: Path) -> None:
    root = make_workspace()
    run(root, "build")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(None, "verify", str(root / "build/care.pdf"), cwd=empty)
    assert "no signatures" in result.stdout
    data = run(
        None,
        "statement",
        str(root / "build/care.pdf"),
        "--partner",
        "swan",
        "--by",
        "An",
        cwd=empty,
    ).stdout_bytes
    assert data.startswith(b"Standpunt co-signature, statement version 1\nposition: care\n")


def test_an_embedded_file_that_inflates_beyond_the_bound_is_refused(tmp_path: Path) -> None:
    """A hundred kilobytes that would inflate to 100 MB: stopped at the bound."""
    bomb = zlib.compress(b" " * (100 * 1024 * 1024), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names "
        b"[(manifest.json) 4 0 R (evidence.json) 6 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] >>",
        b"<< /Type /Filespec /F (manifest.json) /EF << /F 5 0 R >> >>",
        b"<< /Type /EmbeddedFile /Length 2 >>\nstream\n{}\nendstream",
        b"<< /Type /Filespec /F (evidence.json) /EF << /F 7 0 R >> >>",
        b"<< /Type /EmbeddedFile /Filter /FlateDecode /Length %d >>\nstream\n" % len(bomb)
        + bomb
        + b"\nendstream",
    ]
    data = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(data))
        data += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(data)
    data += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    data += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    data += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    pdf = tmp_path / "bomb.pdf"
    pdf.write_bytes(data)
    assert len(data) < 1024 * 1024
    result = run(None, "verify", str(pdf), code=1)
    assert "'bomb.pdf'" in result.stderr
    assert "the sources inside 'bomb.pdf' are damaged: an embedded file is larger than 8 MB" in (
        result.stderr
    )


def test_a_partner_s_rebuild_of_an_import_names_the_publisher_s_responsible_publisher(
    make_workspace, tmp_path: Path
) -> None:
    """The law wants the responsible publisher on every copy; the partner's rebuild of an
    unchanged import lost it (the origin kept the publisher's name, site and contact only)."""
    config = CONFIG.replace(
        "  short: TO\n",
        "  short: TO\n  responsible_publisher:\n    name: Lotte Verhaegen\n"
        "    address: Voorbeeldstraat 1, 2000 Antwerpen\n",
    )
    source = make_workspace({"standpunt.yaml": config})
    run(source, "build")
    fresh = tmp_path / "fresh"
    run(None, "init", str(fresh))
    run(fresh, "import", str(source / "build/care.pdf"))
    assert (
        "    responsible_publisher:\n      name: Lotte Verhaegen\n"
        "      address: Voorbeeldstraat 1, 2000 Antwerpen\n"
    ) in (fresh / "positions/care.yaml").read_text(encoding="utf-8")
    run(fresh, "build", "care")
    text = flat_text(fresh / "build/care.pdf")
    assert "Published by Test Organisation" in text
    assert "Responsible publisher Lotte Verhaegen, Voorbeeldstraat 1, 2000 Antwerpen" in text
