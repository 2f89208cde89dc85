"""The schema of a signature file, signatures/<position-id>/<partner-key>.yaml, and of a
partner's reply: a pydantic model, imported only where such a file is validated
(:func:`standpunt.coalition.signatures.validate_signature`). A file found valid before, with
the same bytes, is taken as kept (:mod:`standpunt.workspace.verdicts`), without importing it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator

from standpunt.coalition.fingerprint import PREFIX
from standpunt.coalition.statement import one_line
from standpunt.workspace.paths import ID_RULE, valid_id, valid_key
from standpunt.workspace.schema import Model, NonEmpty

__all__ = ["SignatureFile"]


def _key(value: str) -> str:
    if not valid_key(value):
        raise ValueError(f"'{value}' is not a partner key; keys hold only {ID_RULE}")
    return value


def _position_id(value: str) -> str:
    if not valid_id(value):
        raise ValueError(f"'{value}' is not a position id; ids hold only {ID_RULE}")
    return value


def _fingerprint(value: str) -> str:
    digest = value.removeprefix(PREFIX)
    if not value.startswith(PREFIX) or len(digest) != 64 or digest.strip("0123456789abcdef"):
        raise ValueError(
            "this is not a fingerprint as 'standpunt sign' writes it ('sha256:' and 64 "
            "hexadecimal digits); sign again rather than editing it"
        )
    return value


def _name(value: str) -> str:
    # Read as the statement holds it (see standpunt.coalition.statement.one_line).
    return one_line(value)


class SignatureFile(Model):
    """signatures/<position-id>/<partner-key>.yaml, and a partner's reply file."""

    #: Only in a reply (<id>.<partner>.signature.yaml): which position it signs.
    position: Annotated[str, AfterValidator(_position_id)] | None = None
    partner: Annotated[str, AfterValidator(_key)]
    by: Annotated[NonEmpty, AfterValidator(_name)]
    role: Annotated[str, AfterValidator(_name)] | None = None
    date: dt.date
    fingerprint: Annotated[str, AfterValidator(_fingerprint)]
    title: str | None = None
    #: The signing key's fingerprint, for people; the signature itself names its key.
    key: str | None = None
    signature: str | None = None
