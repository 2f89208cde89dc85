"""The preview reads again only what a save changed, and builds what depends on it.

The kept workspace must be the workspace a build would read (:func:`open_positions`): the same
positions, the same references, the same problems, after any sequence of saves.
"""

from __future__ import annotations

from standpunt.preview.kept import KeptWorkspace
from standpunt.workspace.read import Workspace, open_positions


def same(kept: Workspace, fresh: Workspace) -> None:
    """``kept`` holds what a fresh read holds, field by field."""
    assert kept.config == fresh.config
    assert kept.partial == fresh.partial
    assert kept.listed == fresh.listed
    assert {pid: (p.display, p.model) for pid, p in kept.positions.items()} == {
        pid: (p.display, p.model) for pid, p in fresh.positions.items()
    }
    assert {key: (e.location, e.csl) for key, e in kept.evidence.items()} == {
        key: (e.location, e.csl) for key, e in fresh.evidence.items()
    }
    assert kept.problems.sorted() == fresh.problems.sorted()


def test_a_save_reads_again_only_the_file_it_changed(make_workspace) -> None:
    second = (make_workspace().joinpath("positions/care.yaml")).read_text("utf-8")
    root = make_workspace({"positions/second.yaml": second.replace("Care is not", "Work is")})
    kept = KeptWorkspace(root)
    ids = ["care", "second"]
    same(kept.open(ids), open_positions(root, ids))
    assert kept.reads == {"config": 1, "position": 2, "evidence": 1}

    same(kept.open(ids), open_positions(root, ids))  # nothing changed: nothing read
    assert kept.reads == {"config": 1, "position": 2, "evidence": 1}

    care = root / "positions/care.yaml"
    care.write_text(care.read_text("utf-8").replace("market", "right"), "utf-8")
    opened = kept.open(ids)
    same(opened, open_positions(root, ids))
    assert opened.positions["care"].model is not None
    assert opened.positions["care"].model.title == "Care is not a right"
    assert kept.reads == {"config": 1, "position": 3, "evidence": 1}

    refs = root / "evidence/refs.yaml"
    refs.write_text(refs.read_text("utf-8").replace("Coalitions and", "Alliances and"), "utf-8")
    opened = kept.open(ids)
    same(opened, open_positions(root, ids))
    assert opened.evidence["doe2019"].csl["title"] == "Alliances and policy"
    assert kept.reads == {"config": 1, "position": 3, "evidence": 2}

    config = root / "standpunt.yaml"
    config.write_text(config.read_text("utf-8").replace("lang: en", "lang: nl"), "utf-8")
    same(kept.open(ids), open_positions(root, ids))
    assert kept.reads == {"config": 2, "position": 5, "evidence": 3}


def test_problems_are_kept_with_what_was_read_and_a_new_file_counts(make_workspace) -> None:
    root = make_workspace()
    kept = KeptWorkspace(root)
    care = root / "positions/care.yaml"
    care.write_text(care.read_text("utf-8").replace("[@doe2019]", "[@doe2091]") + "colour: red\n")
    refs = root / "evidence/refs.yaml"
    refs.write_text(refs.read_text("utf-8") + "- type: report\n  title: No id\n", "utf-8")
    first = kept.open(["care"])
    same(first, open_positions(root, ["care"]))
    assert [p.code for p in first.problems.sorted()] == ["missing-id", "unknown-field"]
    again = kept.open(["care"])
    assert again.problems.sorted() == first.problems.sorted()
    assert kept.reads == {"config": 1, "position": 1, "evidence": 1}

    # a twin appears (care.yml beside care.yaml) and a new evidence file: both are read
    (root / "positions/care.yml").write_text(care.read_text("utf-8"), "utf-8")
    (root / "evidence/more.json").write_text('[{"id": "more2020", "type": "book"}]', "utf-8")
    opened = kept.open(["care"])
    same(opened, open_positions(root, ["care"]))
    assert "more2020" in opened.evidence
    codes = [p.code for p in opened.problems.sorted()]
    assert codes == ["missing-id", "unknown-field", "duplicate-id"]
    assert kept.reads == {"config": 1, "position": 2, "evidence": 2}


def test_an_evidence_save_rebuilds_the_page_citing_it(make_workspace) -> None:
    from standpunt.preview.serve import Preview

    root = make_workspace()
    preview = Preview(root, ["care"])
    try:
        preview.show("care", "html")
        page = root / "build/care.html"
        assert "Coalitions and policy" in page.read_text("utf-8")
        refs = root / "evidence/refs.yaml"
        refs.write_text(refs.read_text("utf-8").replace("Coalitions and", "Alliances and"))
        assert preview.refresh().built == ["care"]
        assert "Alliances and policy" in page.read_text("utf-8")
        assert "Coalitions and policy" not in page.read_text("utf-8")
    finally:
        preview.close()


def test_a_pdf_is_made_again_on_a_save_once_it_was_asked_for(make_workspace) -> None:
    from standpunt.preview.serve import Preview

    root = make_workspace()
    preview = Preview(root, ["care"])
    try:
        preview.show("care", "html")
        seen = preview.state.generation
        preview.refresh()
        assert preview.state.generation == seen + 1  # the page only
        assert not (root / "build/care.pdf").exists()
        preview.show("care", "pdf")
        made = (root / "build/care.pdf").stat().st_mtime_ns
        care = root / "positions/care.yaml"
        care.write_text(care.read_text("utf-8").replace("market", "right"), "utf-8")
        seen = preview.state.generation
        preview.refresh()
        assert preview.state.generation == seen + 2  # the page, then the PDF
        assert (root / "build/care.pdf").stat().st_mtime_ns != made
    finally:
        preview.close()
