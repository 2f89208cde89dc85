"""PDFs that carry their sources, read back: what ``import``, ``verify`` and a reply read.

A PDF Standpunt builds embeds (unless ``attach: false``) the position's YAML, normalised and
without comments; the evidence it cites as CSL-JSON, without the internal ``note`` and
``quote``; the signatures of this very text; the logos of its publisher and partners; and a
manifest (:data:`MANIFEST`) naming the position, its fingerprint and version, its publisher, and
the definitions of its partners (name, short name, website, logo, SSH keys). The names of the
embedded files are declared here, once, for the build that writes them
(:mod:`standpunt.build.attachments`) and the commands that read them.

A PDF may come from anyone, so reading one is bounded: the file's size, the number of embedded
files, each one's declared and decoded size, JSON's depth and numbers. Anything wrong ends in a
:class:`StandpuntError` naming the PDF, never in another exception.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from standpunt.coalition.fingerprint import carried_fingerprint
from standpunt.errors import StandpuntError
from standpunt.workspace.load import parse_yaml, to_plain
from standpunt.workspace.paths import valid_id, valid_key

MANIFEST = "manifest.json"
EVIDENCE = "evidence.json"
#: What the manifest's layout is; PDFs from before it (no ``format``) carry no partners, no
#: publisher and a fingerprint of another format.
MANIFEST_FORMAT = 2
PUBLISHER_LOGO = "publisher-logo"
PARTNER_LOGO = "partner-logo-"
SIGNATURE_PREFIX = "signature-"

#: The largest PDF read.
MAX_PDF_BYTES = 200 * 1024 * 1024
#: How many files a PDF may embed, and how large each may be once decoded.
MAX_ATTACHMENTS = 64
MAX_ATTACHMENT_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 32 * 1024 * 1024
#: The longest number a JSON file may hold, in digits.
MAX_JSON_DIGITS = 20


#: The deepest nesting of lists and objects a JSON file may have (as in a workspace's YAML).
MAX_JSON_DEPTH = 64
#: Where a PDF's header must begin, at the latest.
_HEADER_WITHIN = 1024

#: pypdf's decompression limits, by the name of its configuration and of the module constant
#: that older versions read instead.
_PYPDF_LIMITS = {
    "zlib_maximum_output_length": "ZLIB_MAX_OUTPUT_LENGTH",
    "lzw_maximum_output_length": "LZW_MAX_OUTPUT_LENGTH",
    "run_length_maximum_output_length": "RUN_LENGTH_MAX_OUTPUT_LENGTH",
    "array_based_stream_maximum_output_length": "MAX_ARRAY_BASED_STREAM_OUTPUT_LENGTH",
}


@contextlib.contextmanager
def _bounded_pypdf() -> Iterator[None]:
    """pypdf's own decompression limits, lowered to what one embedded file may be, and its
    log quiet: what it would say about a damaged file is said once, in our words."""
    import logging

    import pypdf
    from pypdf import filters

    limit = MAX_ATTACHMENT_BYTES + 1
    log = logging.getLogger("pypdf")  # its modules log to loggers below this one
    level = log.level
    log.setLevel(logging.CRITICAL + 1)
    apply = getattr(pypdf, "apply_configuration", None)
    try:
        if apply is not None:  # pypdf 7
            with apply(**dict.fromkeys(_PYPDF_LIMITS, limit)):
                yield
            return
        saved = {name: getattr(filters, name, None) for name in _PYPDF_LIMITS.values()}
        for name in saved:
            setattr(filters, name, limit)
        try:
            yield
        finally:
            for name, value in saved.items():
                setattr(filters, name, value)
    finally:
        log.setLevel(level)


def _unreadable(pdf: Path, why: str) -> StandpuntError:
    return StandpuntError(f"'{pdf.name}' cannot be read as a PDF: {why}", code="bad-pdf")


def _header(pdf: Path) -> bytes:
    try:
        with pdf.open("rb") as file:
            return file.read(_HEADER_WITHIN + 8)
    except OSError as exc:
        raise _unreadable(pdf, exc.strerror or str(exc)) from None


def read_attachments(pdf: Path) -> dict[str, bytes]:
    """The files embedded in a PDF, by name, each read within the bounds above."""
    try:
        size = pdf.stat().st_size
    except OSError as exc:
        raise _unreadable(pdf, exc.strerror or str(exc)) from None
    if not pdf.is_file():
        raise _unreadable(pdf, "it is not a regular file")
    if size > MAX_PDF_BYTES:
        raise _unreadable(pdf, f"it is larger than {MAX_PDF_BYTES // 2**20} MB")
    if b"%PDF-" not in _header(pdf)[: _HEADER_WITHIN + 5]:
        raise _unreadable(pdf, "it is no PDF at all (a PDF begins with '%PDF-')")
    # Only the commands that read a PDF pay for pypdf's import.
    from pypdf import PdfReader

    with _bounded_pypdf(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reader = PdfReader(pdf)
            encrypted = reader.is_encrypted
        except Exception as exc:  # pypdf raises many kinds on a damaged or hostile file
            raise _failure(pdf, exc, "it is damaged or incomplete (was it cut off?)") from None
        if encrypted:
            raise _unreadable(pdf, "it is encrypted, and a PDF Standpunt builds never is")
        try:
            return _embedded(pdf, reader.attachment_list)
        except StandpuntError:
            raise
        except Exception as exc:
            raise _failure(pdf, exc, "its list of embedded files is malformed") from None


def _failure(pdf: Path, exc: Exception, why: str) -> StandpuntError:
    """What pypdf's failure means to the user; never its own words, which name its classes."""
    if type(exc).__name__ == "LimitReachedError":  # pypdf's own bound, set above
        return _damaged(pdf, f"an embedded file is larger than {MAX_ATTACHMENT_BYTES // 2**20} MB")
    if isinstance(exc, MemoryError):
        return _damaged(pdf, "reading it needs more memory than a PDF of sources may")
    return _unreadable(pdf, why)


def _embedded(pdf: Path, entries: Iterator[Any]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for count, entry in enumerate(entries, 1):
        if count > MAX_ATTACHMENTS:
            raise _damaged(pdf, f"it embeds more than {MAX_ATTACHMENTS} files")
        name = str(entry.name)
        declared = entry.size
        if isinstance(declared, int) and declared > MAX_ATTACHMENT_BYTES:
            raise _damaged(pdf, f"the embedded file '{name[:60]}' is too large")
        data = entry.content
        total += len(data)
        if len(data) > MAX_ATTACHMENT_BYTES or total > MAX_TOTAL_BYTES:
            raise _damaged(pdf, f"the embedded file '{name[:60]}' is too large")
        if name in files:
            raise _damaged(pdf, f"it embeds two files named '{name[:60]}'")
        files[name] = data
    return files


def _damaged(pdf: Path, why: str) -> StandpuntError:
    return StandpuntError(f"the sources inside '{pdf.name}' are damaged: {why}", code="bad-pdf")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_JSON_DIGITS:
        raise ValueError(f"a number is longer than {MAX_JSON_DIGITS} digits")
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_JSON_DIGITS * 2:
        raise ValueError(f"a number is longer than {MAX_JSON_DIGITS * 2} characters")
    return float(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(value: Any) -> int:
    """How deeply ``value``'s lists and objects nest (one pass, no recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                break
            stack.extend((child, depth + 1) for child in children)
    return deepest


def load_json(data: bytes, name: str, pdf: Path) -> Any:
    """JSON embedded in ``pdf``: strict, with bounded numbers and depth."""
    too_deep = f"{name}: lists and objects are nested more than {MAX_JSON_DEPTH} levels deep"
    try:
        value = json.loads(
            data.decode("utf-8"),
            parse_int=_bounded_int,
            parse_float=_bounded_float,
            parse_constant=_no_constant,
        )
    except RecursionError:
        raise _damaged(pdf, too_deep) from None
    except UnicodeDecodeError:
        raise _damaged(pdf, f"{name}: it is not UTF-8 text") from None
    except ValueError as exc:
        raise _damaged(pdf, f"{name}: {str(exc)[:200]}") from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise _damaged(pdf, too_deep)
    return value


@dataclass(frozen=True)
class Sources:
    """What a Standpunt PDF carries, each part checked for its shape."""

    pdf: Path
    position_id: str
    position_yaml: bytes
    #: The position file as located YAML (parsed with the same rules as a workspace's files).
    position: Any
    evidence: list[dict[str, Any]]
    manifest: dict[str, Any]
    #: Every embedded file by name (signatures and logos among them).
    files: dict[str, bytes] = field(repr=False)

    @property
    def fingerprint(self) -> str | None:
        """The fingerprint the manifest gives."""
        value = self.manifest.get("fingerprint")
        return value if isinstance(value, str) else None

    @property
    def current_format(self) -> bool:
        """Whether the PDF was made by a Standpunt whose fingerprint and manifest this one
        reads (older PDFs carry their text, but nothing about signatures can be checked).
        Its position id is then one a statement can name (``import`` judges the id itself,
        since ``--rename`` may give another)."""
        return self.manifest.get("format") == MANIFEST_FORMAT and valid_id(self.position_id)

    def carried_fingerprint(self) -> str:
        """The fingerprint of the position and evidence the PDF carries."""
        return carried_fingerprint(self.position, self.evidence)

    def intact(self) -> bool:
        """Whether what the PDF carries is the text its manifest's fingerprint names."""
        return self.current_format and self.carried_fingerprint() == self.fingerprint

    def signatures(self) -> dict[str, bytes]:
        """The embedded signature files, by partner key."""
        found = {}
        for name, data in self.files.items():
            key = name.removeprefix(SIGNATURE_PREFIX).removesuffix(".yaml")
            if name.startswith(SIGNATURE_PREFIX) and name.endswith(".yaml") and valid_key(key):
                found[key] = data
        return found

    def partners(self) -> dict[str, dict[str, Any]]:
        """The partner definitions the manifest carries, by key (only well-formed ones)."""
        listed = self.manifest.get("partners")
        if not isinstance(listed, dict):
            return {}
        return {
            key: value
            for key, value in listed.items()
            if isinstance(key, str) and valid_key(key) and isinstance(value, dict)
        }

    def publisher(self) -> dict[str, Any] | None:
        """The publisher the manifest names."""
        value = self.manifest.get("publisher")
        return value if isinstance(value, dict) else None


def read_sources(pdf: Path) -> Sources:
    """The sources embedded in a PDF Standpunt built; anything else is refused, and said why."""
    files = read_attachments(pdf)
    if MANIFEST not in files:
        raise no_sources(pdf)
    manifest = load_json(files[MANIFEST], MANIFEST, pdf)
    evidence = load_json(files.get(EVIDENCE, b"[]"), EVIDENCE, pdf)
    # Valid JSON of the wrong shape is damaged too (and must not end in a traceback).
    if (
        not isinstance(manifest, dict)
        or not isinstance(evidence, list)
        or not all(
            isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"].strip()
            for item in evidence
        )
    ):
        raise _damaged(
            pdf, f"{MANIFEST} must be an object and {EVIDENCE} a list of items that each have an id"
        )
    source_id = manifest.get("id")
    if not isinstance(source_id, str):
        raise _damaged(pdf, f"{MANIFEST} names no position id")
    position_yaml = files.get(f"{source_id}.yaml")
    if position_yaml is None:
        raise StandpuntError(f"'{pdf.name}' does not carry its position file", code="bad-pdf")
    position = parse_yaml(position_yaml, f"{pdf.name}:{source_id}.yaml")
    return Sources(pdf, source_id, position_yaml, position, evidence, manifest, files)


def no_sources(pdf: Path) -> StandpuntError:
    """The error for a PDF that embeds no sources: built with ``attach: false``, or not by
    Standpunt."""
    return StandpuntError(
        f"'{pdf.name}' carries no sources (no {MANIFEST} inside): it was built with 'attach: "
        "false', or not by Standpunt. Ask its publisher for the position file instead",
        code="not-standpunt-pdf",
    )


def plain_position(sources: Sources) -> Any:
    """The carried position as plain data."""
    return to_plain(sources.position)


class _Dumper(yaml.SafeDumper):  # type: ignore[misc]
    """YAML as people write it: texts of several lines as literal blocks."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def normalised_yaml(value: Any) -> bytes:
    """Plain data as YAML without comments, in the order given; read back by the workspace's
    loader it gives the same values (so the same fingerprint)."""
    text = yaml.dump(
        value,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1 << 30,
    )
    return str(text).encode("utf-8")
