"""A work fetched by its DOI: ``standpunt evidence add DOI``.

The DOI system answers content negotiation: asked at ``https://doi.org/<DOI>`` with ``Accept:
application/vnd.citationstyles.csl+json``, the resolver sends the request on to the agency that
registered the DOI (Crossref, DataCite, mEDRA …), which answers with the work as CSL-JSON. The
resolver's address is ``doi_resolver:`` in standpunt.yaml (default ``https://doi.org/``).

This is the only place Standpunt uses the network, and only when asked: ``check`` and ``build``
never do. The answer is read with a size cap and a time limit, and only over http(s).
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.client import HTTPMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from standpunt import __version__
from standpunt.errors import Location, StandpuntError, UsageError
from standpunt.evidence.entries import clean_item
from standpunt.evidence.writing import Written, append_entries
from standpunt.workspace.citekeys import KeyMaker
from standpunt.workspace.dois import doi_index, normalise_doi
from standpunt.workspace.paths import EVIDENCE_DIR, YAML_SUFFIXES, readable_file
from standpunt.workspace.read import Workspace, evidence_folders

#: What is asked for: CSL-JSON, the format pandoc's citeproc reads.
CSL_JSON = "application/vnd.citationstyles.csl+json"
#: The largest answer read: a work with a long reference list is some hundred kB.
MAX_ANSWER = 2 * 1024 * 1024
#: Seconds the whole exchange may take.
TIMEOUT = 20.0
#: The evidence file ``add`` appends to unless told otherwise.
DEFAULT_FILE = f"{EVIDENCE_DIR}/doi.yaml"
#: Fields a registration agency sends that an evidence file is better without: long, often in
#: JATS markup, and printed by no common style.
_LEFT_OUT = frozenset({"abstract"})


@dataclass(frozen=True)
class Added:
    """A work added: its key, its DOI, and where its entry was written."""

    key: str
    doi: str
    written: Written


class _HttpOnly(urllib.request.HTTPRedirectHandler):
    """Follow a resolver's redirects (doi.org sends the request on to the agency), but only to
    http and https addresses."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise urllib.error.HTTPError(newurl, code, "redirect to a non-web address", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_csl(
    doi: str, resolver: str, timeout: float | None = None, cap: int | None = None
) -> dict[str, Any]:
    """The work with this DOI (normalised) as CSL-JSON, from ``resolver``, within ``timeout``
    seconds and ``cap`` bytes (default :data:`TIMEOUT`, :data:`MAX_ANSWER`); a
    :class:`StandpuntError` saying what went wrong otherwise."""
    timeout = TIMEOUT if timeout is None else timeout
    cap = MAX_ANSWER if cap is None else cap
    address = resolver + quote(doi, safe="/")
    request = urllib.request.Request(
        address,
        headers={"Accept": CSL_JSON, "User-Agent": f"Standpunt/{__version__} (evidence add)"},
    )
    opener = urllib.request.build_opener(_HttpOnly)
    deadline = time.monotonic() + timeout
    try:
        with opener.open(request, timeout=timeout) as answer:
            kind = answer.headers.get_content_type()
            body = _read(answer, deadline, cap, doi, resolver)
    except urllib.error.HTTPError as exc:
        raise _http_error(exc, doi, resolver) from None
    except urllib.error.URLError as exc:
        raise _unreachable(exc.reason, doi, resolver, timeout) from None
    except (TimeoutError, OSError, ValueError, http.client.HTTPException) as exc:
        raise _unreachable(exc, doi, resolver, timeout) from None
    return _csl(body, kind, doi, resolver)


def _read(answer: Any, deadline: float, cap: int, doi: str, resolver: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError("the answer came too slowly")
        chunk = answer.read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > cap:
            raise StandpuntError(
                f"the answer of {resolver} for {doi} is larger than {cap // 1024} kB, which no "
                "citation data is; check the doi_resolver setting in standpunt.yaml",
                code="doi-answer-too-large",
            )
        chunks.append(chunk)


def _http_error(exc: urllib.error.HTTPError, doi: str, resolver: str) -> StandpuntError:
    exc.close()
    if exc.code == 404:
        return StandpuntError(
            f"the DOI {doi} was not found at {resolver} (404): check it for typos; a DOI "
            "looks like 10.1080/13501763.2018.1449887",
            code="doi-not-found",
        )
    if 300 <= exc.code < 400:
        return StandpuntError(
            f"{resolver} sent the request for {doi} on to an address Standpunt does not follow "
            f"({exc.reason}); check the doi_resolver setting in standpunt.yaml",
            code="doi-resolver-failed",
        )
    if exc.code in (406, 415):
        return StandpuntError(
            f"the agency that registered {doi} offers no citation data (CSL-JSON) for it "
            f"({exc.code}); write its entry in evidence/ yourself",
            code="doi-no-citation-data",
        )
    return StandpuntError(
        f"{resolver} answered {exc.code} {exc.reason} for {doi}; try again later",
        code="doi-resolver-failed",
    )


def _unreachable(reason: object, doi: str, resolver: str, timeout: float) -> StandpuntError:
    if isinstance(reason, TimeoutError):
        return StandpuntError(
            f"{resolver} did not answer for {doi} within {timeout:g} seconds; check the "
            "network connection and try again",
            code="doi-timeout",
        )
    detail = getattr(reason, "strerror", None) or str(reason)
    return StandpuntError(
        f"could not reach {resolver} to look up {doi} ({detail}); check the network "
        "connection, or the doi_resolver setting in standpunt.yaml",
        code="doi-unreachable",
    )


def _csl(body: bytes, kind: str, doi: str, resolver: str) -> dict[str, Any]:
    """The answer as one CSL-JSON item, or an error saying what it was instead."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        data = None
    if isinstance(data, list) and len(data) == 1:
        data = data[0]  # some agencies answer with a list of one item
    if not isinstance(data, dict) or not isinstance(data.get("title", ""), (str, list)):
        what = "JSON, but not a CSL-JSON item" if data is not None else f"not JSON ({kind})"
        raise StandpuntError(
            f"the answer of {resolver} for {doi} is {what}; the agency that registered "
            "this DOI may not offer citation data: write its entry in evidence/ yourself",
            code="doi-not-csl-json",
        )
    return data


def _target(workspace: Workspace, target: Path | None) -> tuple[Path, str]:
    """The evidence file to append to, and its name as the user sees it; it must be a
    CSL-YAML file in an evidence folder."""
    path = target if target is not None else workspace.root / DEFAULT_FILE
    display = workspace.display(path.absolute())
    if not path.name.lower().endswith(YAML_SUFFIXES):
        raise UsageError(f"'{display}' should be a .yaml file (CSL-YAML)", code="usage")
    folders = [f.resolve() for f in evidence_folders(workspace)]
    if not any(path.parent.resolve().is_relative_to(f) for f in folders):
        raise UsageError(
            f"'{display}' is not in evidence/ (or a folder 'evidence:' lists in standpunt.yaml), "
            "so Standpunt would not read it; choose a file there",
            code="usage",
        )
    if (path.exists() or path.is_symlink()) and not readable_file(path, [workspace.root]):
        raise StandpuntError(
            f"{display} is a link to a file outside the workspace (or not a regular file); "
            "add to another file with --to",
            Location(display),
            "outside-workspace",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    return path, display


def add_doi(workspace: Workspace, written: str, target: Path | None = None) -> Added:
    """Fetch the work with the DOI ``written`` and append it, with a readable key, to
    ``target`` (default ``evidence/doi.yaml``)."""
    doi = normalise_doi(written)
    if doi is None:
        raise UsageError(
            f"'{written}' is not a DOI; a DOI starts with 10. and holds a '/', such as "
            "10.1080/13501763.2018.1449887 (https://doi.org/… is fine too)",
            code="usage",
        )
    present = doi_index(workspace.evidence).entries.get(doi)
    if present is not None:
        raise StandpuntError(
            f"the DOI {doi} is in the evidence already, as '{present.key}'; cite it as "
            f"[@{present.key}] or [@doi:{doi}]",
            present.location,
            "doi-present",
        )
    path, display = _target(workspace, target)
    data = fetch_csl(doi, workspace.config.doi_resolver)
    entry = {k: v for k, v in clean_item(data).entry.items() if k not in _LEFT_OUT}
    entry.setdefault("DOI", doi)
    key = KeyMaker(workspace.evidence).make(entry)
    return Added(key, doi, append_entries(path, display, [{"id": key, **entry}]))
