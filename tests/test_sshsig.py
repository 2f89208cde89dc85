"""The in-process SSH signature verifier, held to ssh-keygen: every key type it accepts, the
hardware-key (FIDO) types built here the way an authenticator signs, and hostile blobs that must
end in an SshError, never in another exception."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from standpunt.coalition.sshsig import (
    SshError,
    parse_allowed_signers,
    parse_key_entry,
    parse_public_key,
    parse_signature,
)

needs_ssh_keygen = pytest.mark.skipif(
    shutil.which("ssh-keygen") is None, reason="ssh-keygen (OpenSSH) is not installed"
)
MESSAGE = b"Standpunt co-signature, statement version 1\nposition: care\n"


def string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def mpint(number: int) -> bytes:
    raw = number.to_bytes((number.bit_length() + 8) // 8, "big")
    return string(raw)


def armor(blob: bytes) -> str:
    text = base64.b64encode(blob).decode()
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return "\n".join(["-----BEGIN SSH SIGNATURE-----", *lines, "-----END SSH SIGNATURE-----"])


def sshsig(public_blob: bytes, signature_blob: bytes, namespace: bytes = b"standpunt") -> str:
    return armor(
        b"SSHSIG"
        + struct.pack(">I", 1)
        + string(public_blob)
        + string(namespace)
        + string(b"")
        + string(b"sha512")
        + string(signature_blob)
    )


def signed_data(message: bytes) -> bytes:
    return (
        b"SSHSIG"
        + string(b"standpunt")
        + string(b"")
        + string(b"sha512")
        + string(hashlib.sha512(message).digest())
    )


def hardware_ed25519(flags: int, message: bytes = MESSAGE) -> tuple[str, str]:
    """A public key line and a signature as an sk-ssh-ed25519 authenticator makes them."""
    private = ed25519.Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    kind = b"sk-ssh-ed25519@openssh.com"
    public_blob = string(kind) + string(raw) + string(b"ssh:")
    counter = 7
    signed = (
        hashlib.sha256(b"ssh:").digest()
        + bytes([flags])
        + struct.pack(">I", counter)
        + hashlib.sha256(signed_data(message)).digest()
    )
    blob = string(kind) + string(private.sign(signed)) + bytes([flags]) + struct.pack(">I", counter)
    line = f"{kind.decode()} {base64.b64encode(public_blob).decode()}"
    return line, sshsig(public_blob, blob)


def hardware_ecdsa(flags: int, message: bytes = MESSAGE) -> tuple[str, str]:
    """The same for an sk-ecdsa-sha2-nistp256 authenticator."""
    private = ec.generate_private_key(ec.SECP256R1())
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    kind = b"sk-ecdsa-sha2-nistp256@openssh.com"
    public_blob = string(kind) + string(b"nistp256") + string(point) + string(b"ssh:")
    signed = (
        hashlib.sha256(b"ssh:").digest()
        + bytes([flags])
        + struct.pack(">I", 1)
        + hashlib.sha256(signed_data(message)).digest()
    )
    r, s = decode_dss_signature(private.sign(signed, ec.ECDSA(hashes.SHA256())))
    blob = string(kind) + string(mpint(r) + mpint(s)) + bytes([flags]) + struct.pack(">I", 1)
    line = f"{kind.decode()} {base64.b64encode(public_blob).decode()}"
    return line, sshsig(public_blob, blob)


def ssh_keygen_accepts(line: str, signature: str, tmp_path: Path) -> bool:
    (tmp_path / "allowed").write_text(f"swan {line}\n")
    (tmp_path / "s.sig").write_text(signature + "\n")
    result = subprocess.run(
        [
            "ssh-keygen",
            "-Y",
            "verify",
            "-f",
            str(tmp_path / "allowed"),
            "-I",
            "swan",
            "-n",
            "standpunt",
            "-s",
            str(tmp_path / "s.sig"),
        ],
        input=MESSAGE,
        capture_output=True,
    )
    return result.returncode == 0


def ours_accepts(line: str, signature: str) -> bool:
    try:
        key = parse_signature(signature).verify(MESSAGE)
    except SshError:
        return False
    return key.blob == parse_public_key(line).blob


@needs_ssh_keygen
@pytest.mark.parametrize("make", [hardware_ed25519, hardware_ecdsa])
@pytest.mark.parametrize("flags", [0x01, 0x05, 0x00, 0x04])
def test_hardware_key_signatures_are_judged_as_ssh_keygen_judges_them(
    tmp_path: Path, make, flags: int
) -> None:
    """Whatever the authenticator's flags (touched or not: a key made with -O
    no-touch-required signs untouched), ssh-keygen -Y verify accepts; so does Standpunt."""
    line, signature = make(flags)
    assert ssh_keygen_accepts(line, signature, tmp_path)
    assert ours_accepts(line, signature)
    other, _ = make(flags)
    assert not ours_accepts(other, signature)  # the signature names its own key


@needs_ssh_keygen
def test_a_hardware_signature_of_other_words_is_refused(tmp_path: Path) -> None:
    line, signature = hardware_ed25519(0x01, MESSAGE + b"x")
    assert not ssh_keygen_accepts(line, signature, tmp_path)
    assert not ours_accepts(line, signature)


@needs_ssh_keygen
def test_fingerprints_are_those_ssh_keygen_shows(tmp_path: Path) -> None:
    for kind in ("ed25519", "ecdsa", "rsa"):
        path = tmp_path / kind
        subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(path)], check=True)
        shown = subprocess.run(
            ["ssh-keygen", "-l", "-f", f"{path}.pub"], check=True, capture_output=True, text=True
        ).stdout.split()[1]
        assert parse_public_key(Path(f"{path}.pub").read_text()).fingerprint == shown


@needs_ssh_keygen
def test_small_rsa_keys_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "small"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "rsa", "-b", "1024", "-N", "", "-f", str(path)], check=True
    )
    with pytest.raises(SshError, match="this RSA key has 1024 bits"):
        parse_public_key(Path(f"{path}.pub").read_text())


def test_keys_listed_as_pub_lines_or_allowed_signers_lines() -> None:
    line, _ = hardware_ed25519(1)
    assert parse_key_entry(line).kind == "sk-ssh-ed25519@openssh.com"
    assert parse_key_entry(f'swan,hbh namespaces="standpunt" {line} comment').blob == (
        parse_key_entry(line).blob
    )
    lines, problems = parse_allowed_signers(
        f'# trusted\nswan {line}\n\nhbh cert-authority {line}\n*.example namespaces="git" {line}\n'
    )
    assert [entry.principals for entry in lines] == [("swan",), ("*.example",)]
    assert problems == [(4, "certificate authorities are not supported; list the key itself")]
    assert lines[0].allows("swan") and not lines[0].allows("hbh")
    assert not lines[1].allows("a.example")  # a line for git does not speak for Standpunt


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "this is not an SSH public key"),
        ("ssh-ed25519", "this is not an SSH public key"),
        ("ssh-ed25519 !!!", "not valid base64"),
        ("ssh-ed25519 AAAA", "cut short or damaged"),
        ("ssh-dss AAAAB3NzaC1kc3M=", "this is not an SSH public key"),
        (
            "ssh-rsa " + base64.b64encode(string(b"ssh-ed25519") + string(b"\0" * 32)).decode(),
            "says it is ssh-rsa but holds a ssh-ed25519 key",
        ),
        (
            "ssh-ed25519 " + base64.b64encode(string(b"ssh-ed25519") + string(b"\0" * 31)).decode(),
            "not a valid key of its type",
        ),
        (
            "ssh-ed25519 "
            + base64.b64encode(string(b"ssh-ed25519") + string(b"\0" * 32) + b"x").decode(),
            "has bytes after its end",
        ),
    ],
)
def test_wrong_keys_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(SshError, match=message):
        parse_public_key(text)


def test_wrong_signatures_say_what_is_wrong() -> None:
    line, signature = hardware_ed25519(1)
    public_blob = base64.b64decode(line.split()[1])
    blob = base64.b64decode("".join(signature.splitlines()[1:-1]))
    cases = {
        "hello": "this is not an SSH signature",
        armor(b"SSHSIX" + blob[6:]): "not an SSH signature of a version",
        armor(blob[:40]): "cut short or damaged",
        armor(blob + b"x"): "has bytes after its end",
        sshsig(public_blob, b""): "cut short or damaged",
        "x" * 20000: "too long",
    }
    for text, message in cases.items():
        with pytest.raises(SshError, match=message):
            parse_signature(text).verify(MESSAGE)
    wrong_namespace = sshsig(public_blob, string(b"sk-ssh-ed25519@openssh.com"), b"git")
    with pytest.raises(SshError, match="made for 'git', not for Standpunt"):
        parse_signature(wrong_namespace).verify(MESSAGE)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_any_blob_is_an_ssh_error_or_a_signature(blob: bytes) -> None:
    for text in (armor(blob), armor(b"SSHSIG\0\0\0\1" + blob)):
        with contextlib.suppress(SshError):
            parse_signature(text).verify(MESSAGE)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_key_line_is_an_ssh_error_or_a_key(text: str) -> None:
    with contextlib.suppress(SshError):
        parse_key_entry(text)
