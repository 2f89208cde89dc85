"""Word for partners: build --format docx, and a partner's copy read back with docx-import."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import CONFIG, copy_demo
from standpunt.cli import main
from standpunt.versions.redline import cited_ids
from standpunt.workspace.load import load_yaml, to_plain

DEMO = [
    "coalitions-for-social-policy",
    "diversite-dans-le-travail-social",
    "organisaties-kiezen-positie",
]
DUTCH = "organisaties-kiezen-positie"


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_demo(tmp_path_factory.mktemp("docx") / "ws")
    result = run("-C", str(root), "build", "--format", "docx")
    assert result.exit_code == 0, result.output
    return root


def part(docx: Path, name: str) -> str:
    with zipfile.ZipFile(docx) as archive:
        return archive.read(name).decode("utf-8")


def tracked_insertion(source: Path, target: Path, after: str, inserted: str) -> None:
    """A copy of ``source`` as Word saves it when a partner types ``inserted`` after the run
    holding ``after`` with track changes on."""
    with zipfile.ZipFile(source) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    xml = parts["word/document.xml"].decode("utf-8")
    run_end = re.search(r"<w:t[^>]*>[^<]*" + re.escape(after) + r"[^<]*</w:t></w:r>", xml)
    assert run_end is not None
    change = (
        '<w:ins w:id="9001" w:author="An Peeters" w:date="2026-12-01T10:00:00Z"><w:r>'
        f'<w:t xml:space="preserve">{inserted}</w:t></w:r></w:ins>'
    )
    xml = xml[: run_end.end()] + change + xml[run_end.end() :]
    parts["word/document.xml"] = xml.encode("utf-8")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_every_demo_position_gets_a_word_document(exported: Path) -> None:
    assert sorted(p.name for p in (exported / "build").glob("*.docx")) == [
        f"{pid}.docx" for pid in DEMO
    ]


def test_citations_are_zotero_fields_with_their_csl_data(exported: Path) -> None:
    xml = part(exported / "build" / f"{DUTCH}.docx", "word/document.xml")
    found = re.findall(r"ADDIN ZOTERO_ITEM CSL_CITATION (\{.*?\}) </w:instrText>", xml)
    fields = [json.loads(html.unescape(data)) for data in found]
    written = (exported / "positions" / f"{DUTCH}.yaml").read_text()
    cited = {key for group in re.findall(r"\[([^]]*@[^]]*)\]", written)
             for key in re.findall(r"@([a-z0-9]+)", group)}  # fmt: skip
    assert {item["id"] for f in fields for item in f["citationItems"]} == cited
    claessens = [
        item["itemData"] for f in fields for item in f["citationItems"]
        if item["id"] == "claessens2018"
    ]  # fmt: skip
    assert [data["author"][0]["family"] for data in claessens] == ["Claessens"] * len(claessens)
    assert all(f["properties"]["noteIndex"] == 0 for f in fields)


def test_headings_and_quotes_carry_the_structure(exported: Path) -> None:
    xml = part(exported / "build" / f"{DUTCH}.docx", "word/document.xml")
    text = re.sub(r"<[^>]+>", "", xml)
    assert "Samenvatting" in text and "Onze vragen" in text and "Bronnen" in text
    assert xml.count('<w:pStyle w:val="StandpuntQuote"') == 5
    custom = part(exported / "build" / f"{DUTCH}.docx", "docProps/custom.xml")
    assert f"<vt:lpwstr>{DUTCH}</vt:lpwstr>" in custom


def test_the_same_text_makes_the_same_bytes(exported: Path, tmp_path: Path) -> None:
    before = (exported / "build" / f"{DUTCH}.docx").read_bytes()
    again = shutil.copytree(exported, tmp_path / "again")
    assert run("-C", str(again), "build", "--format", "docx", "--force").exit_code == 0
    assert (again / "build" / f"{DUTCH}.docx").read_bytes() == before


def test_a_note_style_puts_citations_in_word_footnotes(make_workspace: Any) -> None:
    config = CONFIG.replace("style: apa", "style: chicago-notes-bibliography")
    root = make_workspace({"standpunt.yaml": config})
    assert run("-C", str(root), "build", "care", "--format", "docx").exit_code == 0
    footnotes = part(root / "build" / "care.docx", "word/footnotes.xml")
    found = re.findall(r"ADDIN ZOTERO_ITEM CSL_CITATION (\{.*?\}) </w:instrText>", footnotes)
    fields = [json.loads(html.unescape(data)) for data in found]
    # the four citations of the conftest position, each its own footnote, in the order the
    # document prints them: the summary's, the ask's, then the section's two
    assert [f["properties"]["noteIndex"] for f in fields] == [1, 2, 3, 4]
    assert [[i["id"] for i in f["citationItems"]] for f in fields] == [
        ["smith2021a"],
        ["doe2019"],
        ["smith2021a", "smith2021b"],
        ["doe2019"],
    ]
    assert "ADDIN ZOTERO_ITEM" not in part(root / "build" / "care.docx", "word/document.xml")


@pytest.mark.parametrize("pid", DEMO)
def test_an_unchanged_copy_reads_back_as_the_same_text(exported: Path, pid: str) -> None:
    root = exported
    path = root / "positions" / f"{pid}.yaml"
    before = path.read_bytes()
    fingerprint = run("-C", str(root), "fingerprint", pid).output
    result = run(
        "-C", str(root), "docx-import", str(root / "build" / f"{pid}.docx"), pid, "--apply"
    )
    assert result.exit_code == 0
    assert result.output.strip() == f"{pid}.docx says what {pid} says: nothing to apply"
    assert path.read_bytes() == before
    assert run("-C", str(root), "fingerprint", pid).output == fingerprint


def test_a_tracked_insertion_shows_in_the_redline_and_applies(
    exported: Path, tmp_path: Path
) -> None:
    root = shutil.copytree(exported, tmp_path / "ws")
    copy = tmp_path / "partner.docx"
    tracked_insertion(root / "build" / f"{DUTCH}.docx", copy, "Sociaal werk wordt", " vandaag")
    shown = run("-C", str(root), "docx-import", str(copy), DUTCH)
    assert shown.exit_code == 0
    assert "toegewijde {+vandaag+}" in shown.output
    path = root / "positions" / f"{DUTCH}.yaml"
    before_keys = cited_ids(to_plain(load_yaml(path)))
    applied = run("-C", str(root), "docx-import", str(copy), DUTCH, "--apply")
    assert applied.exit_code == 0
    body = load_yaml(path)["sections"][0]["body"]
    assert body.startswith(
        "Sociaal werk wordt graag voorgesteld als het werk van toegewijde vandaag individuen"
    )
    assert "[@claessens2018]" in body and "[@oosterlynck2022]" in body
    assert cited_ids(to_plain(load_yaml(path))) == before_keys
    checked = run("-C", str(root), "check", DUTCH)
    assert ": error: " not in checked.output
    # everything but that one text is as it was, comments included
    old = (exported / "positions" / f"{DUTCH}.yaml").read_text().splitlines()
    new = path.read_text().splitlines()
    assert [line for line in new if line.lstrip().startswith("#")] == [
        line for line in old if line.lstrip().startswith("#")
    ]
    assert new[:35] == old[:35]


def test_a_copy_of_an_older_text_is_shown_but_not_applied(exported: Path, tmp_path: Path) -> None:
    root = shutil.copytree(exported, tmp_path / "ws")
    copy = tmp_path / "partner.docx"
    tracked_insertion(root / "build" / f"{DUTCH}.docx", copy, "Sociaal werk wordt", " vandaag")
    path = root / "positions" / f"{DUTCH}.yaml"
    path.write_text(path.read_text().replace("helft van het beeld", "helft van het verhaal"))
    before = path.read_bytes()
    result = run("-C", str(root), "docx-import", str(copy), DUTCH, "--apply")
    assert "was made from an older text" in result.output
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7 not a word file", "this is not a Word document (.docx)"),
        (None, "this file would unpack to more than a Word document holds; it is not read"),
    ],
)
def test_what_is_no_word_document_is_refused(
    exported: Path, tmp_path: Path, content: bytes | None, message: str
) -> None:
    copy = tmp_path / "partner.docx"
    if content is None:  # a zip that claims far more than it holds
        with zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("word/document.xml", b"<" + b" " * (210 * 1024 * 1024) + b">")
    else:
        copy.write_bytes(content)
    result = CliRunner().invoke(main, ["-C", str(exported), "docx-import", str(copy), DUTCH])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_pandoc_reads_the_fields_back_as_citations(exported: Path) -> None:
    from standpunt.pandoc import pandoc_executable

    markdown = subprocess.run(
        [pandoc_executable(), "-f", "docx+citations", "-t", "markdown",
         str(exported / "build" / f"{DUTCH}.docx")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout  # fmt: skip
    keys = sorted(set(re.findall(r"@([a-z0-9]+)", markdown)))
    written = (exported / "positions" / f"{DUTCH}.yaml").read_text()
    assert keys == sorted(set(re.findall(r"@([a-z0-9]+)", written)))


def test_dutch_locator_labels_come_back_as_written(make_workspace: Any, tmp_path: Path) -> None:
    from conftest import POSITION

    position = POSITION.replace("p. 4]", "blz. 4]").replace("[@doe2019].", "[@doe2019, hfst. 2].")
    config = CONFIG.replace("lang: en", "lang: nl-BE")
    root = make_workspace({"standpunt.yaml": config, "positions/care.yaml": position})
    assert run("-C", str(root), "build", "care", "--format", "docx").exit_code == 0
    same = run("-C", str(root), "docx-import", str(root / "build" / "care.docx"), "care")
    assert same.output.strip() == "care.docx says what care says: nothing to apply"
    copy = tmp_path / "partner.docx"
    tracked_insertion(root / "build" / "care.docx", copy, "Market logic", " sadly")
    assert run("-C", str(root), "docx-import", str(copy), "care", "--apply").exit_code == 0
    written = (root / "positions" / "care.yaml").read_text()
    assert "sadly [@smith2021a; @smith2021b, blz. 4]." in written
    assert "[@doe2019, hfst. 2]" in written


def test_a_copy_of_another_position_is_refused(exported: Path) -> None:
    other = "coalitions-for-social-policy"
    copy = exported / "build" / f"{other}.docx"
    result = CliRunner().invoke(main, ["-C", str(exported), "docx-import", str(copy), DUTCH])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: {other}.docx is a copy of position '{other}', not of '{DUTCH}'; read it with: "
        f"standpunt docx-import {copy} {other} [wrong-position]"
    )
