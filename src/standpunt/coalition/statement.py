"""The statement a partner signs: short, unambiguous, versioned text.

A co-signature is an SSH signature (:mod:`standpunt.coalition.sshsig`) over these bytes::

    Standpunt co-signature, statement version 1
    position: care
    fingerprint: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
    partner: swan
    signer: An Peeters
    role: director

one ``name: value`` line each, in this order, UTF-8 (NFC), each line ending in a newline; the
``role`` line only when there is a role. Every value is one line: the position id and partner key
hold only ``[a-z0-9-]``, the fingerprint is fixed, and names are folded onto one line with no
control characters (:func:`one_line`), so no two statements can read the same. The date is kept
beside the statement, not in it, so the same statement can be signed on any day. The first line
names the version: if what is signed ever changes, the number goes up and older statements still
read as what they were.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["STATEMENT_VERSION", "Statement", "one_line"]

STATEMENT_VERSION = 1
_FIRST_LINE = f"Standpunt co-signature, statement version {STATEMENT_VERSION}"
#: The longest name or role a statement holds.
MAX_NAME = 200


def one_line(text: str | None, what: str = "name") -> str:
    """A name or role as a statement holds it: NFC, blank space folded to single spaces.

    Control characters (a terminal's escape sequences among them) are refused, since a name is
    printed by ``status`` and ``verify``: :class:`ValueError` says so.
    """
    folded = " ".join(unicodedata.normalize("NFC", text or "").split())
    if any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs") for c in folded):
        raise ValueError(f"the {what} holds a control character; write it as plain text")
    if len(folded) > MAX_NAME:
        raise ValueError(f"the {what} is longer than {MAX_NAME} characters")
    return folded


@dataclass(frozen=True)
class Statement:
    """What one partner's signer says of one text of one position."""

    position: str
    fingerprint: str
    partner: str
    signer: str
    role: str | None = None

    def text(self) -> str:
        lines = [
            _FIRST_LINE,
            f"position: {self.position}",
            f"fingerprint: {self.fingerprint}",
            f"partner: {self.partner}",
            f"signer: {self.signer}",
        ]
        if self.role:
            lines.append(f"role: {self.role}")
        return "".join(f"{line}\n" for line in lines)

    def encode(self) -> bytes:
        """The exact bytes signed (``standpunt statement`` prints them)."""
        return self.text().encode("utf-8")
