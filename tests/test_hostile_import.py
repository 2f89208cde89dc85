"""Hostile PDFs handed to ``import``, ``verify`` and ``statement FILE.pdf`` (issue 14, item 8).

Each PDF is made here, with pypdf or byte by byte, and given to the real command in a child
process: it must end with one line on stderr that says what is wrong (in our words, not
pypdf's), exit code 1, nothing on stdout, and not one file of the workspace changed. Where the
danger is work (a bomb), the evidence is memory: the peak of what Python allocated while the
command read the PDF, far below what inflating it would take.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tracemalloc
import zlib
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

import standpunt
from conftest import CONFIG, EVIDENCE, POSITION
from standpunt.cli import main

#: The source tree of the standpunt these tests import, for the child processes to run.
SRC = Path(standpunt.__file__).resolve().parent.parent
MANIFEST = b'{"format": 2, "id": "care", "fingerprint": "x"}'


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    for relative, text in {
        "standpunt.yaml": CONFIG,
        "evidence/refs.yaml": EVIDENCE,
        "positions/other.yaml": POSITION,
    }.items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text, encoding="utf-8")
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def refused(root: Path, pdf: Path) -> list[str]:
    """Run import, verify and statement on ``pdf``; each must refuse it cleanly and write
    nothing. Returns the one line each printed on stderr."""
    before = snapshot(root)
    lines = []
    for args in (
        ["import", str(pdf)],
        ["verify", str(pdf)],
        ["statement", str(pdf), "--partner", "swan", "--by", "An"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "standpunt", "-C", str(root), *args],
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(SRC)},
            timeout=300,
            check=False,
        )
        assert (done.returncode, done.stdout) == (1, b""), (args, done)
        text = done.stderr.decode("utf-8")
        assert text.count("\n") == 1 and text.endswith("\n"), (args, text)
        lines.append(text.rstrip("\n"))
    assert snapshot(root) == before
    return lines


def with_attachments(path: Path, files: dict[str, bytes]) -> Path:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    for name, data in files.items():
        writer.add_attachment(name, data)
    with path.open("wb") as out:
        writer.write(out)
    return path


def embedded_tree(path: Path, entries: list[tuple[str, object]]) -> Path:
    """A PDF whose name tree of embedded files holds ``entries`` (name, file specification)
    as given, well formed or not."""
    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    names = ArrayObject()
    for name, spec in entries:
        names.append(TextStringObject(name))
        names.append(writer._add_object(spec))  # type: ignore[arg-type]
    tree = DictionaryObject({NameObject("/Names"): names})
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/EmbeddedFiles"): tree}
    )
    with path.open("wb") as out:
        writer.write(out)
    return path


def stream(data: bytes, declared: int | None = None, deflated: bytes | None = None) -> StreamObject:
    """An embedded file, deflated; ``declared`` is the size its parameters claim."""
    body = StreamObject()
    body._data = deflated if deflated is not None else zlib.compress(data, 9)
    body[NameObject("/Filter")] = NameObject("/FlateDecode")
    body[NameObject("/Type")] = NameObject("/EmbeddedFile")
    if declared is not None:
        body[NameObject("/Params")] = DictionaryObject(
            {NameObject("/Size"): NumberObject(declared)}
        )
    return body


def filespec(name: str, body: object) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Filespec"),
            NameObject("/F"): TextStringObject(name),
            NameObject("/EF"): DictionaryObject({NameObject("/F"): body}),
        }
    )


def test_hostile_json_deeply_nested_manifest(root: Path, tmp_path: Path) -> None:
    pdf = with_attachments(tmp_path / "deep.pdf", {"manifest.json": b"[" * 50_000 + b"]" * 50_000})
    why = "manifest.json: lists and objects are nested more than 64 levels deep"
    assert (
        refused(root, pdf)
        == [f"error: the sources inside 'deep.pdf' are damaged: {why} [bad-pdf]"] * 3
    )


def test_hostile_json_nested_just_past_the_bound(root: Path, tmp_path: Path) -> None:
    """Deep enough to pass Python's recursion limit's guard, too deep for ours."""
    evidence = b"[" + b'{"a": ' * 70 + b"1" + b"}" * 70 + b"]"
    pdf = with_attachments(
        tmp_path / "nest.pdf", {"manifest.json": MANIFEST, "evidence.json": evidence}
    )
    why = "evidence.json: lists and objects are nested more than 64 levels deep"
    assert (
        refused(root, pdf)
        == [f"error: the sources inside 'nest.pdf' are damaged: {why} [bad-pdf]"] * 3
    )


def test_hostile_json_5000_digit_integer(root: Path, tmp_path: Path) -> None:
    manifest = b'{"format": 2, "id": "care", "version": ' + b"9" * 5000 + b"}"
    pdf = with_attachments(tmp_path / "digits.pdf", {"manifest.json": manifest})
    why = "manifest.json: a number is longer than 20 digits"
    assert (
        refused(root, pdf)
        == [f"error: the sources inside 'digits.pdf' are damaged: {why} [bad-pdf]"] * 3
    )


def test_hostile_json_5000_digit_decimal(root: Path, tmp_path: Path) -> None:
    manifest = b'{"format": 2, "id": "care", "version": 0.' + b"1" * 5000 + b"}"
    pdf = with_attachments(tmp_path / "decimal.pdf", {"manifest.json": manifest})
    why = "manifest.json: a number is longer than 40 characters"
    assert (
        refused(root, pdf)
        == [f"error: the sources inside 'decimal.pdf' are damaged: {why} [bad-pdf]"] * 3
    )


def test_hostile_json_not_utf8(root: Path, tmp_path: Path) -> None:
    pdf = with_attachments(tmp_path / "latin.pdf", {"manifest.json": b'{"id": "caf\xe9"}'})
    why = "manifest.json: it is not UTF-8 text"
    assert (
        refused(root, pdf)
        == [f"error: the sources inside 'latin.pdf' are damaged: {why} [bad-pdf]"] * 3
    )


def test_hostile_pdf_not_a_pdf_at_all(root: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(b"Dear partner,\nthis is no PDF.\n" * 20)
    why = "it is no PDF at all (a PDF begins with '%PDF-')"
    assert (
        refused(root, pdf) == [f"error: 'letter.pdf' cannot be read as a PDF: {why} [bad-pdf]"] * 3
    )


def test_hostile_pdf_truncated(root: Path, tmp_path: Path) -> None:
    whole = with_attachments(tmp_path / "whole.pdf", {"manifest.json": MANIFEST * 200})
    pdf = tmp_path / "cut.pdf"
    pdf.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    why = "it is damaged or incomplete (was it cut off?)"
    assert refused(root, pdf) == [f"error: 'cut.pdf' cannot be read as a PDF: {why} [bad-pdf]"] * 3


def test_hostile_pdf_encrypted(root: Path, tmp_path: Path) -> None:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    writer.add_attachment("manifest.json", MANIFEST)
    writer.encrypt("secret")
    pdf = tmp_path / "locked.pdf"
    with pdf.open("wb") as out:
        writer.write(out)
    why = "it is encrypted, and a PDF Standpunt builds never is"
    assert (
        refused(root, pdf) == [f"error: 'locked.pdf' cannot be read as a PDF: {why} [bad-pdf]"] * 3
    )


def test_hostile_filespec_embedded_file_is_a_number(root: Path, tmp_path: Path) -> None:
    spec = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Filespec"),
            NameObject("/F"): TextStringObject("manifest.json"),
            NameObject("/EF"): DictionaryObject({NameObject("/F"): NumberObject(3)}),
        }
    )
    pdf = embedded_tree(tmp_path / "spec.pdf", [("manifest.json", spec)])
    why = "its list of embedded files is malformed"
    assert refused(root, pdf) == [f"error: 'spec.pdf' cannot be read as a PDF: {why} [bad-pdf]"] * 3


def test_hostile_filespec_without_embedded_file(root: Path, tmp_path: Path) -> None:
    spec = DictionaryObject(
        {NameObject("/Type"): NameObject("/Filespec"), NameObject("/F"): TextStringObject("m")}
    )
    pdf = embedded_tree(tmp_path / "empty-spec.pdf", [("manifest.json", spec)])
    why = "its list of embedded files is malformed"
    assert (
        refused(root, pdf)
        == [f"error: 'empty-spec.pdf' cannot be read as a PDF: {why} [bad-pdf]"] * 3
    )


def test_hostile_flate_bomb_undeclared(root: Path, tmp_path: Path) -> None:
    """200 MB of zeros in 200 KB, its size not declared: inflating stops at the 8 MB bound."""
    pdf = embedded_tree(
        tmp_path / "bomb.pdf",
        [("manifest.json", filespec("manifest.json", stream(b"\0" * (200 << 20))))],
    )
    assert pdf.stat().st_size < 400_000
    why = "an embedded file is larger than 8 MB"
    assert (
        refused(root, pdf)
        == [f"error: the sources inside 'bomb.pdf' are damaged: {why} [bad-pdf]"] * 3
    )


def sixty(path: Path, declared: int | None) -> Path:
    """60 embedded files of 74 MB each, deflated into a PDF of about 4.5 MB."""
    deflated = zlib.compress(b"\0" * (74 << 20), 9)
    files = [
        (f"file-{n}.bin", filespec(f"file-{n}.bin", stream(b"", declared, deflated)))
        for n in range(60)
    ]
    return embedded_tree(path, files)


def test_hostile_sixty_files_of_74_mb_declared(root: Path, tmp_path: Path) -> None:
    """Each declares its 74 MB: refused by the declared size, before anything is inflated."""
    pdf = sixty(tmp_path / "sixty.pdf", 74 << 20)
    assert pdf.stat().st_size < 6 << 20
    why = "the embedded file 'file-0.bin' is too large"
    assert (
        refused(root, pdf)
        == [f"error: the sources inside 'sixty.pdf' are damaged: {why} [bad-pdf]"] * 3
    )


def test_hostile_sixty_files_of_74_mb_lying_about_their_size(root: Path, tmp_path: Path) -> None:
    """Each claims 1 KB: inflating the first stops at the bound, and the peak of memory the
    read allocates stays below one 74 MB file (counted in process by tracemalloc)."""
    pdf = sixty(tmp_path / "liars.pdf", 1024)
    before = snapshot(root)
    tracemalloc.start()
    try:
        result = CliRunner().invoke(main, ["-C", str(root), "verify", str(pdf)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.exit_code == 1
    assert result.output == (
        "error: the sources inside 'liars.pdf' are damaged: an embedded file is larger than "
        "8 MB [bad-pdf]\n"
    )
    assert peak < 40 << 20, peak
    assert snapshot(root) == before


def test_hostile_too_many_embedded_files(root: Path, tmp_path: Path) -> None:
    files = [(f"f{number}", filespec(f"f{number}", stream(b"x"))) for number in range(200)]
    pdf = embedded_tree(tmp_path / "many.pdf", files)
    why = "it embeds more than 64 files"
    assert (
        refused(root, pdf)
        == [f"error: the sources inside 'many.pdf' are damaged: {why} [bad-pdf]"] * 3
    )


def test_hostile_pypdf_says_nothing_of_its_own(tmp_path: Path) -> None:
    """pypdf logs what it repairs ("incorrect startxref pointer"); the user reads nothing of
    it: a PDF it can repair is read, quietly."""
    from standpunt.coalition.share import read_attachments
    from standpunt.errors import StandpuntError

    whole = with_attachments(tmp_path / "whole.pdf", {"manifest.json": MANIFEST})
    pdf = tmp_path / "moved.pdf"
    pdf.write_bytes(re.sub(rb"startxref\s+\d+", b"startxref\n7", whole.read_bytes()))
    stream_ = io.StringIO()
    import logging

    handler = logging.StreamHandler(stream_)
    logging.getLogger().addHandler(handler)
    try:
        try:
            files = read_attachments(pdf)
        except StandpuntError as exc:
            files = {"error": exc.message.encode()}
    finally:
        logging.getLogger().removeHandler(handler)
    assert stream_.getvalue() == ""
    assert files == {"manifest.json": MANIFEST}
