"""SSH keys and SSH signatures (the SSHSIG format of ``ssh-keygen -Y sign``), verified in process.

Partners sign with the keys they already have, the way git signs commits with SSH: a signature is
``ssh-keygen -Y sign -n standpunt`` over a short statement, and anyone holding the partner's
public key can check it, with ``ssh-keygen -Y verify`` or with this module. Verifying needs no
program: the armored blob is parsed here and checked with the ``cryptography`` package, so
``check`` and ``build`` verify every signature in the workspace without a process per signature.

Supported, as OpenSSH makes them: ``ssh-ed25519``, ``ecdsa-sha2-nistp256/384/521``, ``ssh-rsa``
keys signing with ``rsa-sha2-256`` or ``rsa-sha2-512`` (2048 bits or more; the SHA-1 ``ssh-rsa``
signature is refused, as OpenSSH refuses it), and the hardware-key (FIDO) types
``sk-ssh-ed25519@openssh.com`` and ``sk-ecdsa-sha2-nistp256@openssh.com``, judged as
``ssh-keygen -Y verify`` judges them (a key made with ``-O no-touch-required`` signs without
being touched, and its signatures count too).

Everything read here may come from a stranger (a PDF, a reply file): every length is checked
against what is left before it is used, sizes are bounded, and every problem is a
:class:`SshError` with a sentence for people, never another exception.

The format: https://github.com/openssh/openssh-portable/blob/master/PROTOCOL.sshsig and, for
hardware keys, PROTOCOL.u2f in the same repository.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a key or signature is read: most commands meet none
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

__all__ = [
    "NAMESPACE",
    "PublicKey",
    "SshError",
    "SshSignature",
    "parse_allowed_signers",
    "parse_key_entry",
    "parse_public_key",
    "parse_signature",
    "sign_with_ssh_keygen",
]

#: The namespace every Standpunt signature is made in (``ssh-keygen -Y sign -n standpunt``), so
#: that a signature made for git, or for e-mail, can never pass for a co-signature.
NAMESPACE = "standpunt"

#: The longest armored signature or public key line read; real ones are a few hundred bytes
#: (an RSA key of 16384 bits is about 2.8 kB in base64).
MAX_TEXT = 16 * 1024

_MAGIC = b"SSHSIG"
_BEGIN = "-----BEGIN SSH SIGNATURE-----"
_END = "-----END SSH SIGNATURE-----"
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")

_CURVE_NAMES = ("nistp256", "nistp384", "nistp521")


@functools.cache
def _curves() -> dict[str, tuple[ec.EllipticCurve, hashes.HashAlgorithm]]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    return {
        "nistp256": (ec.SECP256R1(), hashes.SHA256()),
        "nistp384": (ec.SECP384R1(), hashes.SHA384()),
        "nistp521": (ec.SECP521R1(), hashes.SHA512()),
    }


@functools.cache
def _rsa_hashes() -> dict[str, hashes.HashAlgorithm]:
    from cryptography.hazmat.primitives import hashes

    return {"rsa-sha2-256": hashes.SHA256(), "rsa-sha2-512": hashes.SHA512()}


_SK_ED25519 = "sk-ssh-ed25519@openssh.com"
_SK_ECDSA = "sk-ecdsa-sha2-nistp256@openssh.com"
_MIN_RSA_BITS = 2048
_MAX_RSA_BITS = 16384
KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
    _SK_ED25519,
    _SK_ECDSA,
)


class SshError(ValueError):
    """A key or a signature that cannot be read or does not verify; the message says why."""


class _Reader:
    """The SSH wire format: big-endian lengths, each checked against what is left."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.pos = 0
        self.what = what

    def take(self, count: int) -> bytes:
        if count < 0 or count > len(self.data) - self.pos:
            raise SshError(f"the {self.what} is cut short or damaged")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def uint32(self) -> int:
        value: int = struct.unpack(">I", self.take(4))[0]
        return value

    def byte(self) -> int:
        return self.take(1)[0]

    def string(self) -> bytes:
        return self.take(self.uint32())

    def text(self) -> str:
        try:
            return self.string().decode("ascii")
        except UnicodeDecodeError:
            raise SshError(f"the {self.what} is damaged") from None

    def mpint(self) -> int:
        raw = self.string()
        if raw and raw[0] & 0x80:
            raise SshError(f"the {self.what} holds a negative number")
        return int.from_bytes(raw, "big")

    def end(self) -> None:
        if self.pos != len(self.data):
            raise SshError(f"the {self.what} has bytes after its end")


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


@dataclass(frozen=True)
class PublicKey:
    """An SSH public key: its type, its wire blob, and the comment written after it."""

    kind: str
    blob: bytes
    comment: str = ""

    @property
    def fingerprint(self) -> str:
        """``SHA256:…`` as ``ssh-keygen -l`` shows it."""
        digest = base64.b64encode(hashlib.sha256(self.blob).digest()).decode().rstrip("=")
        return f"SHA256:{digest}"

    @property
    def line(self) -> str:
        """The key as one line of a ``.pub`` file (without its comment)."""
        return f"{self.kind} {base64.b64encode(self.blob).decode()}"

    def verify(self, signature: bytes, data: bytes) -> None:
        """Check an SSH signature blob over ``data``; :class:`SshError` when it does not hold."""
        from cryptography.exceptions import InvalidSignature

        reader = _Reader(signature, "signature")
        algorithm = reader.text()
        try:
            _verifiers[self.kind](self, algorithm, reader, data)
        except InvalidSignature:
            raise SshError("the signature does not match the signed text") from None
        reader.end()


def _key_reader(key: PublicKey) -> _Reader:
    reader = _Reader(key.blob, "public key")
    reader.string()  # the type, checked when the key was read
    return reader


def _verify_ed25519(key: PublicKey, algorithm: str, reader: _Reader, data: bytes) -> None:
    if algorithm != key.kind:
        raise SshError(f"a {key.kind} key cannot make a {algorithm} signature")
    raw = _key_reader(key).string()
    sig = reader.string()
    if key.kind == _SK_ED25519:
        data = _sk_message(key, reader, data)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    Ed25519PublicKey.from_public_bytes(raw).verify(sig, data)


def _ecdsa_signature(blob: bytes) -> bytes:
    inner = _Reader(blob, "signature")
    r, s = inner.mpint(), inner.mpint()
    inner.end()
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    return encode_dss_signature(r, s)


def _verify_ecdsa(key: PublicKey, algorithm: str, reader: _Reader, data: bytes) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    if algorithm != key.kind:
        raise SshError(f"a {key.kind} key cannot make a {algorithm} signature")
    source = _key_reader(key)
    curve, digest = _curves()[source.text()]
    point = source.string()
    sig = _ecdsa_signature(reader.string())
    if key.kind == _SK_ECDSA:
        data = _sk_message(key, reader, data)
    public = ec.EllipticCurvePublicKey.from_encoded_point(curve, point)
    public.verify(sig, data, ec.ECDSA(digest))


def _sk_message(key: PublicKey, reader: _Reader, data: bytes) -> bytes:
    """What a hardware key signs: hashes of its application and the data, with its flags."""
    flags = reader.byte()
    counter = reader.uint32()
    source = _key_reader(key)
    source.string()  # the curve name or key
    if key.kind == _SK_ECDSA:
        source.string()
    application = source.string()
    return (
        hashlib.sha256(application).digest()
        + bytes([flags])
        + struct.pack(">I", counter)
        + hashlib.sha256(data).digest()
    )


def _verify_rsa(key: PublicKey, algorithm: str, reader: _Reader, data: bytes) -> None:
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    digest = _rsa_hashes().get(algorithm)
    if digest is None:
        raise SshError(
            f"RSA signatures made with {algorithm} are refused (SHA-1); sign again with a "
            "current ssh-keygen"
        )
    source = _key_reader(key)
    e, n = source.mpint(), source.mpint()
    public = rsa.RSAPublicNumbers(e, n).public_key()
    public.verify(reader.string(), data, padding.PKCS1v15(), digest)


_verifiers = {
    "ssh-ed25519": _verify_ed25519,
    _SK_ED25519: _verify_ed25519,
    "ecdsa-sha2-nistp256": _verify_ecdsa,
    "ecdsa-sha2-nistp384": _verify_ecdsa,
    "ecdsa-sha2-nistp521": _verify_ecdsa,
    _SK_ECDSA: _verify_ecdsa,
    "ssh-rsa": _verify_rsa,
}


def key_from_blob(blob: bytes, comment: str = "") -> PublicKey:
    """A public key from its wire blob, checked to be a key of a supported type."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    reader = _Reader(blob, "public key")
    kind = reader.text()
    if kind not in KEY_TYPES:
        known = ", ".join(KEY_TYPES[:5])
        raise SshError(f"'{kind[:40]}' keys are not supported; use one of {known}")
    try:
        if kind in ("ssh-ed25519", _SK_ED25519):
            Ed25519PublicKey.from_public_bytes(reader.string())
        elif kind == "ssh-rsa":
            e, n = reader.mpint(), reader.mpint()
            if not _MIN_RSA_BITS <= n.bit_length() <= _MAX_RSA_BITS:
                raise SshError(
                    f"this RSA key has {n.bit_length()} bits; keys of {_MIN_RSA_BITS} to "
                    f"{_MAX_RSA_BITS} bits are accepted"
                )
            rsa.RSAPublicNumbers(e, n).public_key()
        else:
            curve_name = reader.text()
            named = f"nistp{kind.rsplit('nistp', 1)[-1][:3]}"
            if named != curve_name or curve_name not in _CURVE_NAMES:
                raise SshError("the public key names another curve than its type")
            ec.EllipticCurvePublicKey.from_encoded_point(_curves()[curve_name][0], reader.string())
        if kind in (_SK_ED25519, _SK_ECDSA):
            reader.string()  # the application, usually "ssh:"
    except (ValueError, TypeError) as exc:
        if isinstance(exc, SshError):
            raise
        raise SshError("the public key is not a valid key of its type") from None
    reader.end()
    return PublicKey(kind, blob, comment)


def _decode(text: str, what: str) -> bytes:
    if not _BASE64.fullmatch(text):
        raise SshError(f"the {what} is not valid base64")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SshError(f"the {what} is not valid base64") from None


def parse_public_key(line: str) -> PublicKey:
    """One key as a ``.pub`` file holds it: ``TYPE BASE64 [COMMENT]``."""
    if len(line) > MAX_TEXT:
        raise SshError("this line is too long to be a public key")
    parts = line.strip().split(None, 2)
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        raise SshError(
            "this is not an SSH public key; copy the whole line of the partner's .pub file, "
            "e.g. 'ssh-ed25519 AAAAC3Nza… name@example.org'"
        )
    key = key_from_blob(_decode(parts[1], "public key"), parts[2] if len(parts) > 2 else "")
    if key.kind != parts[0]:
        raise SshError(f"the key says it is {parts[0]} but holds a {key.kind} key")
    return key


def parse_key_entry(line: str) -> PublicKey:
    """A key as standpunt.yaml lists it: a ``.pub`` line or an ``allowed_signers`` line (whose
    principals and options are left aside: the partner the key is listed under is who it is)."""
    first = line.split(None, 1)[0] if line.strip() else ""
    if first in KEY_TYPES:
        return parse_public_key(line)
    return _allowed_signer(line.strip()).key


@dataclass(frozen=True)
class AllowedSigner:
    """One line of an ``allowed_signers`` file: who (patterns), with which key, for what."""

    principals: tuple[str, ...]
    key: PublicKey
    namespaces: tuple[str, ...] | None = None

    def allows(self, principal: str) -> bool:
        """Whether this line speaks for ``principal`` in the Standpunt namespace."""
        if self.namespaces is not None and not any(_glob(n, NAMESPACE) for n in self.namespaces):
            return False
        return any(_glob(pattern, principal) for pattern in self.principals)


#: Longer principals and patterns match nothing: OpenSSH's are short, and matching stays cheap.
MAX_PRINCIPAL = 1024


def _glob(pattern: str, name: str) -> bool:
    """OpenSSH's patterns: ``*`` and ``?``, nothing else (a leading ``!`` negates nothing here).

    Each piece between stars has a fixed length, so the first place it fits is the right one:
    the pieces are found left to right, never tried again (``.*a.*a.*…`` as one regular
    expression backtracks without end over a long name).
    """
    pattern, name = pattern.lower(), name.lower()
    if len(pattern) > MAX_PRINCIPAL or len(name) > MAX_PRINCIPAL:
        return False
    pieces = [
        re.compile("".join("." if c == "?" else re.escape(c) for c in piece), re.DOTALL)
        for piece in pattern.split("*")
    ]
    if len(pieces) == 1:
        return pieces[0].fullmatch(name) is not None
    first = pieces[0].match(name)
    tail = len(name) - len(pattern.rsplit("*", 1)[1])
    if first is None or tail < first.end() or not pieces[-1].fullmatch(name, tail):
        return False
    position = first.end()
    for piece in pieces[1:-1]:
        found = piece.search(name, position, tail)
        if found is None:
            return False
        position = found.end()
    return True


_OPTION = re.compile(r'([A-Za-z-]+)(?:="([^"]*)")?')


def parse_allowed_signers(text: str) -> tuple[list[AllowedSigner], list[tuple[int, str]]]:
    """The lines of an ``allowed_signers`` file (``PRINCIPALS [OPTIONS] TYPE BASE64``), and
    the problems found, each with its line number. ``namespaces="…"`` is honoured;
    ``cert-authority`` lines are refused (certificates are not supported)."""
    found: list[AllowedSigner] = []
    problems: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            found.append(_allowed_signer(line))
        except SshError as exc:
            problems.append((number, str(exc)))
    return found, problems


def _allowed_signer(line: str) -> AllowedSigner:
    principals, _, rest = line.partition(" ")
    rest = rest.strip()
    namespaces: tuple[str, ...] | None = None
    if rest and rest.split(None, 1)[0] not in KEY_TYPES:
        options, _, rest = rest.partition(" ")
        for match in _OPTION.finditer(options):
            name, value = match.group(1).lower(), match.group(2)
            if name == "cert-authority":
                raise SshError("certificate authorities are not supported; list the key itself")
            if name == "namespaces" and value is not None:
                namespaces = tuple(v.strip() for v in value.split(",") if v.strip())
    key = parse_public_key(rest)
    return AllowedSigner(tuple(p for p in principals.split(",") if p), key, namespaces)


@dataclass(frozen=True)
class SshSignature:
    """An SSHSIG signature: the key that made it, its namespace and hash, and the signature."""

    key: PublicKey
    namespace: str
    hash_algorithm: str
    signature: bytes
    #: The whole signature as read, for :meth:`armored`.
    blob: bytes = b""

    def armored(self) -> str:
        """The signature as ssh-keygen writes it, lines of 70 characters between the markers."""
        text = base64.b64encode(self.blob).decode()
        lines = [text[i : i + 70] for i in range(0, len(text), 70)]
        return "\n".join([_BEGIN, *lines, _END]) + "\n"

    def signed_data(self, message: bytes) -> bytes:
        """What the key signed: the namespace, the hash algorithm and the message's hash."""
        digest = hashlib.new(self.hash_algorithm, message).digest()
        return (
            _MAGIC
            + _string(self.namespace.encode())
            + _string(b"")
            + _string(self.hash_algorithm.encode())
            + _string(digest)
        )

    def verify(self, message: bytes) -> PublicKey:
        """Check that this signature is of ``message`` in the Standpunt namespace; returns the
        key that made it (whether that key may speak for anyone is the caller's question)."""
        if self.namespace != NAMESPACE:
            raise SshError(
                f"the signature was made for '{self.namespace[:40]}', not for Standpunt; "
                f"sign with ssh-keygen -Y sign -n {NAMESPACE}"
            )
        self.key.verify(self.signature, self.signed_data(message))
        return self.key


def parse_signature(text: str) -> SshSignature:
    """An armored SSHSIG signature (``-----BEGIN SSH SIGNATURE-----`` …), as ssh-keygen writes."""
    if len(text) > MAX_TEXT:
        raise SshError("this is too long to be an SSH signature")
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) < 3 or lines[0] != _BEGIN or lines[-1] != _END:
        raise SshError(
            f"this is not an SSH signature: it must start with '{_BEGIN}' and end with '{_END}'"
        )
    blob = _decode("".join(lines[1:-1]), "signature")
    reader = _Reader(blob, "signature")
    if reader.take(6) != _MAGIC or reader.uint32() != 1:
        raise SshError("this is not an SSH signature of a version Standpunt reads")
    key = key_from_blob(reader.string())
    namespace = reader.text()
    reader.string()  # reserved
    hash_algorithm = reader.text()
    if hash_algorithm not in ("sha256", "sha512"):
        raise SshError(f"the signature uses the hash '{hash_algorithm[:20]}'; sha256 or sha512")
    signature = reader.string()
    reader.end()
    return SshSignature(key, namespace, hash_algorithm, signature, blob)


def sign_with_ssh_keygen(key_file: Path, message: bytes) -> str:
    """``message`` signed with ``ssh-keygen -Y sign -n standpunt -f KEY``: the armored signature.

    ssh-keygen does the signing, so ssh-agent, passphrases and hardware keys work as they do
    for git. It asks for a passphrase on the terminal when the key has one. This runs only on
    the user's explicit command (``sign --key``), never from anything a workspace says.
    """
    # Imported here: reading and verifying signatures (every status of a signed position)
    # needs none of them.
    import shutil
    import subprocess
    import tempfile

    program = shutil.which("ssh-keygen")
    if program is None:
        raise SshError(
            "ssh-keygen was not found; install OpenSSH, or sign the statement elsewhere "
            "('standpunt statement') and give the signature with --signature FILE.sig"
        )
    if not key_file.is_file():
        raise SshError(f"there is no key file {key_file}")
    with tempfile.TemporaryDirectory(prefix="standpunt-sign-") as folder:
        statement = Path(folder) / "statement"
        statement.write_bytes(message)
        result = subprocess.run(
            [program, "-Y", "sign", "-n", NAMESPACE, "-f", str(key_file), str(statement)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        signature = statement.with_name("statement.sig")
        if result.returncode != 0 or not signature.is_file():
            said = result.stderr.decode("utf-8", "replace").strip().splitlines()
            reason = said[-1] if said else f"exit status {result.returncode}"
            raise SshError(f"ssh-keygen could not sign with {key_file}: {reason}")
        return signature.read_text(encoding="ascii", errors="replace")
