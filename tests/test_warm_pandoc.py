"""One warm pandoc for a build and for the preview: the same bytes as a pandoc per position, one
process for a whole build, and a preview that renders only what is open."""

from __future__ import annotations

import http.client
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import POSITION
from standpunt.build import cite as build_cite
from standpunt.cite import warm as warm_module
from standpunt.cite.citeproc import cite, resolve_style
from standpunt.cite.warm import WarmCiter
from standpunt.cli import main
from standpunt.limits import Limits

REFERENCES = [
    {
        "id": "smith",
        "type": "book",
        "title": "The *care* market",
        "author": [{"family": "Smith", "given": "Jane"}],
        "issued": {"date-parts": [[2001]]},
        "publisher": "Press",
    },
    {
        "id": "doe",
        "type": "article-journal",
        "title": "Coalitions",
        "author": [{"family": "Doe", "given": "Alex"}],
        "container-title": "Journal",
        "page": "3-9",
        "issued": {"date-parts": [[2019]]},
        "DOI": "10.1234/x",
    },
]

TEXTS = [
    (
        "body",
        "# Context\n\nMr. Smith argues [@smith, p. 4] and @doe agrees.^[See [@smith; @doe, "
        "pp. 3-5].]\n\n---\n\nfoo: bar\n---\n\n```python\nx = 1\n```\n\n| a | b |\n|---|---|\n"
        "| 1 | 2 |\n\n[A link](https://example.org) and ![an image](https://example.org/x.png)",
    ),
    ("quote", "Ibid [@smith]. Again [@smith, hfst. 2]."),
]


@pytest.mark.parametrize("style", ["apa", "chicago-notes-bibliography", "ieee"])
@pytest.mark.parametrize("lang", ["en-US", "nl-BE", "fr-FR"])
def test_warm_pandoc_writes_what_a_pandoc_per_position_writes(style: str, lang: str) -> None:
    chosen = resolve_style(style, Path("."))
    once = cite(TEXTS, REFERENCES, chosen, lang)
    with WarmCiter(Limits()) as warm:
        first = cite(TEXTS, REFERENCES, chosen, lang, warm=warm)
        second = cite(TEXTS, REFERENCES, chosen, lang, warm=warm)
        assert warm.starts == 1
    assert first.to_json() == once.to_json()
    assert second.to_json() == once.to_json()


def test_a_build_starts_one_pandoc_for_all_its_positions(make_workspace, monkeypatch) -> None:
    made: list[WarmCiter] = []
    real = warm_module.WarmCiter

    class Counted(real):  # type: ignore[misc, valid-type]
        def __init__(self, limits: Limits) -> None:
            super().__init__(limits)
            made.append(self)

    monkeypatch.setattr(warm_module, "WarmCiter", Counted)
    positions = {
        f"positions/p{n}.yaml": POSITION.replace("Care is not a market", f"Position {n}")
        for n in range(4)
    }
    root = make_workspace(positions)
    result = CliRunner().invoke(main, ["-C", str(root), "build", "--format", "html"])
    assert result.exit_code == 0, result.output
    assert [citer.starts for citer in made] == [1]


def test_a_build_reads_its_style_in_its_warm_pandoc_only(make_workspace, monkeypatch) -> None:
    # check asks a pandoc command of its own whether it reads the style; a build has its warm
    # pandoc read it (and make it ready) while it checks, and runs no other pandoc
    from standpunt.cite import styles

    commands: list[list[str]] = []
    real = styles.run_pandoc

    def counted(args: list[str], stdin: str, *rest: object, **options: object) -> str:
        commands.append(args)
        return real(args, stdin, *rest, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(styles, "run_pandoc", counted)
    for kept in ("_verdicts", "_prepared", "_probes"):
        monkeypatch.setattr(styles, kept, {})
    root = make_workspace()
    result = CliRunner().invoke(main, ["-C", str(root), "build"])
    assert result.exit_code == 0, result.output
    assert commands == []
    monkeypatch.setattr(styles, "_verdicts", {})
    assert CliRunner().invoke(main, ["-C", str(root), "check"]).exit_code == 0
    assert [args[args.index("--csl") - 1] for args in commands] == ["--citeproc"]


def test_the_citation_cache_key_holds_the_lua_and_the_terms() -> None:
    assert set(build_cite.FILTER_FILES) == {
        "read.lua", "shape.lua", "locators.lua", "warm.lua",
        "citeproc.py", "styles.py", "terms.py", "warm.py",
    }  # fmt: skip
    folder = Path(warm_module.__file__).parent
    for name in build_cite.FILTER_FILES:
        assert (folder / name).is_file()


def outputs(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "build").iterdir() if not p.name.startswith("."))


def test_the_preview_builds_nothing_before_a_page_is_asked_for(make_workspace) -> None:
    from standpunt.preview.serve import preview_server

    second = POSITION.replace("Care is not a market", "A second position")
    root = make_workspace({"positions/second.yaml": second})
    with preview_server(root, None, port=0) as (server, preview):
        port = server.server_address[1]

        def get(path: str) -> str:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
            return conn.getresponse().read().decode("utf-8", "replace")

        assert not (root / "build").exists()
        index = get("/")
        assert '<a href="/care">care</a>' in index and '<a href="/second">second</a>' in index
        assert not (root / "build").exists()
        assert "A second position" in get("/second")
        assert outputs(root) == ["second.html"]
        assert list(preview.open) == ["second"]
        (root / "positions" / "second.yaml").write_text(
            second.replace("A second position", "An edited position")
        )
        preview.refresh()
        assert "An edited position" in get("/second")
        assert outputs(root) == ["second.html"]  # a PDF is made when it is asked for
        assert get("/second.pdf").startswith("%PDF-")
        assert outputs(root) == ["second.html", "second.pdf"]
        get("/nothing-here")  # no such position: nothing opens, nothing is built
        assert outputs(root) == ["second.html", "second.pdf"]
        assert list(preview.open) == ["second"]


@pytest.mark.parametrize("name", ["apa", "chicago-notes-bibliography"])
def test_an_english_style_is_made_ready_with_one_probe_fewer_and_the_same(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 'en' has no locale file of its own: citeproc reads en-US's, so the probe in 'en' and the
    # one in 'en-US' (which every style is made ready with) are one probe
    from standpunt.cite import styles

    chosen = resolve_style(name, Path("."))
    asked: list[str] = []
    real = WarmCiter.probe

    def counted(self: WarmCiter, markdown: str, format: str, csl: str, lang: str) -> str:
        asked.append(lang)
        return real(self, markdown, format, csl, lang)

    monkeypatch.setattr(WarmCiter, "probe", counted)
    made = {}
    for same in (styles.SAME_LOCALE, {}):
        monkeypatch.setattr(styles, "SAME_LOCALE", same)
        monkeypatch.setattr(styles, "_prepared", {})
        monkeypatch.setattr(styles, "_probes", {})
        with WarmCiter(Limits()) as warm:
            made[bool(same)] = styles.prepare_style(chosen.path, chosen.name, "en", warm=warm)
    assert asked == ["en-US", "en-US", "en", "en-US", "en"]
    assert made[True] == made[False]


@pytest.mark.parametrize("lang", ["en-US", "nl-BE", "de-DE"])
def test_a_style_made_ready_by_the_warm_pandoc_is_the_same(lang: str, monkeypatch) -> None:
    from standpunt.cite import styles

    chosen = resolve_style("chicago-notes-bibliography", Path("."))
    monkeypatch.setattr(styles, "_prepared", {})
    monkeypatch.setattr(styles, "_probes", {})
    once = styles.prepare_style(chosen.path, chosen.name, lang)
    monkeypatch.setattr(styles, "_prepared", {})
    monkeypatch.setattr(styles, "_probes", {})
    with WarmCiter(Limits()) as warm:
        warmed = styles.prepare_style(chosen.path, chosen.name, lang, warm=warm)
        assert warm.starts == 1
    assert warmed == once
    assert warmed.locators and b"page-range-delimiter" in warmed.csl


def test_a_pandoc_launched_early_is_greeted_by_its_first_request() -> None:
    # the build launches its warm pandoc and, while pandoc starts, reads its style: the
    # greeting waits for the first request, which gets the answer a started pandoc gives
    from standpunt.cite.styles import _PROBE_INPUT, _bare_probe

    with WarmCiter(Limits()) as started:
        started._lua().start()
        expected = started.probe(_PROBE_INPUT, "markdown", _bare_probe(), "en-US")
    with WarmCiter(Limits()) as warm:
        lua = warm._lua()
        lua.launch()
        lua.launch()  # running already: not started again
        assert (lua.starts, lua._greeted) == (1, False)
        assert warm.probe(_PROBE_INPUT, "markdown", _bare_probe(), "en-US") == expected
        assert (lua.starts, lua._greeted) == (1, True)
    assert expected.strip() != ""


def test_closing_does_not_wait_for_ever_for_a_start_that_cannot_go_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A Ctrl-C or SIGTERM that lands in an import can leave Python's import lock held; the
    # thread that starts pandoc, importing the style machinery, then waits for it for ever.
    # The build stopping must not wait with it (it hung there, in a futex wait).
    import threading

    monkeypatch.setattr(warm_module, "START_WAIT_SECONDS", 0.5)
    never = threading.Event()
    citer = WarmCiter(Limits())
    citer.start(then=lambda _: never.wait())
    closing = threading.Thread(target=citer.close, daemon=True)
    closing.start()
    closing.join(timeout=60)  # only so that a hang fails the test instead of stopping it
    stuck = citer._starting is not None and citer._starting.is_alive()
    never.set()
    assert (closing.is_alive(), stuck) == (False, True)
    assert citer._process is None and not citer._folder.exists()


def test_a_pandoc_that_ended_took_its_folder_and_the_next_gets_one_again() -> None:
    # pandoc removes the folder of the files written for it when its input ends (so that a
    # killed build leaves none); a pandoc stopped at a limit and started again gets them anew
    import shutil

    from standpunt.cite.styles import _PROBE_INPUT, _bare_probe

    with WarmCiter(Limits()) as warm:
        first = warm.probe(_PROBE_INPUT, "markdown", _bare_probe(), "en-US")
        process = warm._lua()._process
        assert process is not None and process.stdin is not None
        process.stdin.close()  # its input ends: it removes the folder, and ends
        assert process.wait(timeout=60) == 0
        assert not warm._folder.exists()
        again = warm.probe(_PROBE_INPUT, "markdown", _bare_probe(), "en-US")
        assert (again, warm.starts) == (first, 2)
        shutil.rmtree(warm._folder)  # as the ending pandoc left it: without the folder
        assert warm.probe(_PROBE_INPUT, "markdown", _bare_probe(), "en-US") == first
