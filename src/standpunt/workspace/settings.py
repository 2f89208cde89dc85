"""The settings of standpunt.yaml that reading a workspace and judging its signatures need.

Reading the evidence needs the further evidence folders (and for .bib and .ris files the
language, in which pandoc reads a work that names none); judging signatures needs the partners,
each with its SSH keys, and whether a signature without a key counts. Once standpunt.yaml is
found valid these are kept by its bytes (:mod:`standpunt.workspace.verdicts`), so that a command
needing no more of it (``status ID``, ``fingerprint ID``) reads them without the schema's models;
the whole validated settings (:class:`~standpunt.workspace.schema.Config`) are made only for the
commands that use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from standpunt.workspace import verdicts
from standpunt.workspace.paths import CONFIG_FILE

if TYPE_CHECKING:
    from standpunt.workspace.schema import Config

__all__ = ["Settings", "kept_settings", "valid_settings"]

_KIND = "settings"


@dataclass(frozen=True)
class Settings:
    """What standpunt.yaml says, validated, of the further evidence folders, the partners and
    the signatures rule."""

    #: Further evidence folders, as written (``evidence:``).
    evidence: tuple[str, ...] = ()
    #: Each partner's key (in the order written) with its SSH public keys, one a line.
    partners: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: ``recorded`` or ``verified`` (``signatures:``).
    signatures: str = "recorded"
    #: The workspace's language (``lang:``).
    lang: str = "en"

    @classmethod
    def of(cls, config: Config) -> Settings:
        """The settings of a validated standpunt.yaml."""
        return cls(
            evidence=tuple(str(name) for name in config.evidence),
            partners={
                str(key): tuple(str(line) for line in partner.keys)
                for key, partner in config.partners.items()
            },
            signatures=str(config.signatures),
            lang=str(config.lang),
        )

    def plain(self) -> dict[str, Any]:
        """As plain JSON data, for :func:`keep_settings`."""
        return {
            "evidence": list(self.evidence),
            "partners": {key: list(keys) for key, keys in self.partners.items()},
            "signatures": self.signatures,
            "lang": self.lang,
        }


def kept_settings(root: Path, data: bytes) -> Settings | None:
    """The settings kept for standpunt.yaml when it held the bytes ``data`` and was found valid;
    None when there are none to believe (then it is validated)."""
    kept = verdicts.kept(root, _KIND, CONFIG_FILE, data)
    try:
        evidence, partners, rule = kept["evidence"], kept["partners"], kept["signatures"]
        lang = kept["lang"]
        if not (
            isinstance(evidence, list)
            and all(isinstance(name, str) for name in evidence)
            and isinstance(partners, dict)
            and all(
                isinstance(keys, list) and all(isinstance(line, str) for line in keys)
                for keys in partners.values()
            )
            and isinstance(rule, str)
            and isinstance(lang, str)
        ):
            return None
    except (TypeError, KeyError):
        return None
    return Settings(
        tuple(evidence), {str(key): tuple(keys) for key, keys in partners.items()}, rule, lang
    )


def valid_settings(data: bytes, settings: Settings) -> verdicts.Valid:
    """The settings of standpunt.yaml, just found valid with the bytes ``data``, to keep."""
    return verdicts.Valid(_KIND, CONFIG_FILE, data, settings.plain())
