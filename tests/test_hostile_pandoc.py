"""pandoc contained: a position's Markdown or a workspace's style sets no option of pandoc's,
reads no file and reaches no network, and pandoc runs under the memory, time and output caps.

Evidence: a canary file outside the workspace whose content must not appear, a canary server on
127.0.0.1 that must get no request, and pandoc's own view of its address-space limit.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from conftest import CONFIG, POSITION, counting_server
from standpunt import pandoc
from standpunt.cite.citeproc import Style, cite, resolve_style
from standpunt.cite.warm import WarmCiter
from standpunt.cli import main
from standpunt.errors import StandpuntError
from standpunt.limits import Limits
from standpunt.pandoc import LuaProcess

CANARY = "CANARY-7f3a9 the first line of a file outside the workspace"


@pytest.fixture
def canary_server() -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.1 that counts the requests it gets: its URL and the paths."""
    with counting_server(b"[]") as served:
        yield served


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    """A file outside the workspace (which is tmp_path/ws)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    path = outside / "secret.txt"
    path.write_text(CANARY + "\nsecond line\n", encoding="utf-8")
    return path


def build(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["-C", str(root), "build", "--format", "html", *args])


def with_body(body: str) -> str:
    """The test position with ``body`` as its section's text (indented into the YAML)."""
    indented = textwrap.indent(body, " " * 6)
    return POSITION.replace(
        "      Market logic crowds out care [@smith2021a; @smith2021b, p. 4].\n"
        "      As @doe2019 shows, coalitions matter.\n",
        indented,
    )


def section_html(root: Path) -> str:
    page = (root / "build" / "care.html").read_text(encoding="utf-8")
    return page


def test_hostile_metadata_citation_abbreviations_file_is_text(make_workspace, canary):
    body = (
        f"---\ncitation-abbreviations: {canary}\n---\n\n"
        "Market logic crowds out care [@smith2021a].\n"
    )
    root = make_workspace({"positions/care.yaml": with_body(body)})
    result = build(root)
    assert result.exit_code == 0, result.output
    page = section_html(root)
    assert CANARY not in page and CANARY not in result.output
    # The block is the text it is: a one-cell table between two lines of dashes.
    assert f"<td>citation-abbreviations: {canary}</td>" in page


def test_hostile_metadata_urls_reach_no_server(make_workspace, canary_server):
    url, hits = canary_server
    body = (
        f"---\nbibliography: {url}/refs.json\ncsl: {url}/style.csl\n"
        f"citation-abbreviations: {url}/abbreviations.json\n---\n\n"
        "Market logic crowds out care [@smith2021a].\n"
    )
    root = make_workspace({"positions/care.yaml": with_body(body)})
    result = build(root)
    assert result.exit_code == 0, result.output
    assert hits == []


EVIL_STYLE = """\
<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
  <info><title>Evil</title><id>evil</id><updated>2024-01-01T00:00:00+00:00</updated></info>
  <citation><layout><text value="EVIL-STYLE"/></layout></citation>
</style>
"""


def test_hostile_metadata_csl_path_changes_no_style(make_workspace, tmp_path):
    outside = tmp_path / "outside-style"
    outside.mkdir()
    evil = outside / "evil.csl"
    evil.write_text(EVIL_STYLE, encoding="utf-8")
    references = [{"id": "a", "type": "book", "title": "Work", "issued": {"date-parts": [[2001]]}}]
    # The style would show itself, were it the style given.
    shown = cite([("body", "[@a]")], references, Style("evil", evil), "en-US")
    assert shown.media["print"].fields["body"].count("EVIL-STYLE") == 1
    body = f"---\ncsl: {evil}\n...\n\nMarket logic crowds out care [@smith2021a].\n"
    root = make_workspace({"positions/care.yaml": with_body(body)})
    result = build(root)
    assert result.exit_code == 0, result.output
    page = section_html(root)
    assert "EVIL-STYLE" not in page
    assert f"<p>csl: {evil}" in page  # the block is text
    assert "care (Smith, 2021)." in re.sub(r"<[^>]+>", "", page)


def test_hostile_metadata_references_replace_no_evidence(make_workspace):
    body = (
        "---\nreferences:\n- id: smith2021a\n  type: book\n  title: INJECTED TITLE\n---\n\n"
        "Market logic crowds out care [@smith2021a].\n"
    )
    root = make_workspace({"positions/care.yaml": with_body(body)})
    result = build(root)
    assert result.exit_code == 0, result.output
    page = section_html(root)
    bibliography = page[page.index('id="refs"') :]
    assert "INJECTED TITLE" not in bibliography
    assert "First report on care markets" in bibliography


def test_hostile_metadata_a_horizontal_rule_stays_a_rule() -> None:
    style = resolve_style("apa", Path("."))
    references = [{"id": "a", "type": "book", "title": "Work", "issued": {"date-parts": [[2001]]}}]
    cited = cite([("body", "Before.\n\n---\n\nAfter [@a].")], references, style, "en-US")
    assert cited.media["print"].fields["body"] == (
        "<p>Before.</p>\n<hr/>\n<p>After "
        '<span id="cite-1" class="citation" data-cites="a">(<a href="#ref-a" '
        'role="doc-biblioref"><em>Work</em>, 2001</a>)</span>.</p>'
    )


def _dependent(href: str) -> str:
    return textwrap.dedent(f"""\
        <?xml version="1.0" encoding="utf-8"?>
        <style xmlns="http://purl.org/net/xbiblio/csl" version="1.0" default-locale="en-US">
          <info>
            <title>Dependent</title>
            <id>http://www.zotero.org/styles/dependent</id>
            <link href="{href}" rel="independent-parent"/>
            <updated>2024-01-01T00:00:00+00:00</updated>
          </info>
        </style>
        """)


def test_hostile_style_dependent_parent_url_is_never_fetched(make_workspace, canary_server):
    url, hits = canary_server
    root = make_workspace(
        {
            "house.csl": _dependent(f"{url}/styles/apa"),
            "standpunt.yaml": "organisation: {name: Org}\nlang: en\nstyle: house.csl\n",
        }
    )
    result = build(root)
    assert result.exit_code == 1
    assert "standpunt.yaml:3:" in result.output
    assert "is a dependent style" in result.output and "(apa)" in result.output
    assert hits == []


def test_hostile_style_dependent_parent_path_is_never_read(make_workspace, canary):
    root = make_workspace(
        {
            "house.csl": _dependent(canary.as_uri()),
            "standpunt.yaml": "organisation: {name: Org}\nlang: en\nstyle: house.csl\n",
        }
    )
    result = build(root)
    assert result.exit_code == 1
    assert "is a dependent style" in result.output
    assert CANARY not in result.output


NESTED = "x" + "^[" * 1000 + "deep" + "]" * 1000


def test_hostile_notes_nested_a_thousand_deep_is_a_located_memory_error(make_workspace):
    assert len(NESTED) < 3100
    root = make_workspace(
        {
            "standpunt.yaml": CONFIG + "limits: {memory_mb: 256}\n",
            "positions/deep.yaml": with_body(NESTED + "\n"),
        }
    )
    result = build(root)
    assert result.exit_code == 1
    # the other position is built: one pandoc failed, the next one went on
    assert (root / "build" / "care.html").is_file()
    assert not (root / "build" / "deep.html").exists()
    assert result.output == (
        "positions/deep.yaml:1:1: error: pandoc needed more than the 256 MB memory limit and "
        "was stopped; look for deeply nested notes, brackets or lists in the text, or raise "
        "'limits: memory_mb:' in standpunt.yaml [pandoc-memory]\n"
        "built care → build/care.html\n"
        "1 built, 1 failed\n"
    )


def test_hostile_memory_cap_is_pandocs_own_address_space_limit(tmp_path):
    # pandoc itself reads its limits: the cap is in the process, not a watcher's hope.
    script = tmp_path / "limits.lua"
    script.write_text(
        textwrap.dedent("""\
            function Reader()
              while true do
                local size = io.stdin:read 'l'
                if size == nil then break end
                io.stdin:read(tonumber(size))
                local handle = io.open('/proc/self/limits')
                local text = handle:read 'a'
                handle:close()
                local line = text:match 'Max address space[^\\n]*'
                local answer = pandoc.json.encode { line = line }
                io.stdout:write(#answer, '\\n', answer)
                io.stdout:flush()
              end
              return pandoc.Pandoc {}
            end
            """),
        encoding="utf-8",
    )
    process = LuaProcess(script, {}, Limits(memory_mb=300))
    try:
        answer = process.ask({})
    finally:
        process.close()
    cap = 300 * 1024 * 1024
    assert answer["line"].split() == ["Max", "address", "space", str(cap), str(cap), "bytes"]


def _server(tmp_path: Path, body: str) -> Path:
    """A warm pandoc script: the hello, then ``body`` for each request."""
    script = tmp_path / "server.lua"
    script.write_text(
        textwrap.dedent("""\
            local function receive()
              local size = io.stdin:read 'l'
              if size == nil then return nil end
              return pandoc.json.decode(io.stdin:read(tonumber(size)), false)
            end
            local function send(answer)
              local text = pandoc.json.encode(answer)
              io.stdout:write(#text, '\\n', text)
              io.stdout:flush()
            end
            function Reader()
              receive()
              send { ready = true }
              while true do
                local request = receive()
                if request == nil then break end
            """)
        + textwrap.indent(body, "    ")
        + "  end\n  return pandoc.Pandoc {}\nend\n",
        encoding="utf-8",
    )
    return script


def test_hostile_warm_pandoc_that_hangs_is_stopped_and_started_again(tmp_path):
    script = _server(tmp_path, "if request.hang then while true do end end\nsend { ok = 1 }\n")
    process = LuaProcess(script, {}, Limits(seconds=1.5))
    try:
        assert process.ask({}) == {"ok": 1}
        with pytest.raises(StandpuntError) as stopped:
            process.ask({"hang": True})
        assert stopped.value.code == "pandoc-timeout"
        assert "longer than 1.5 seconds" in stopped.value.message
        assert process.ask({}) == {"ok": 1}
        assert process.starts == 2
    finally:
        process.close()


def test_hostile_warm_pandoc_that_writes_too_much_is_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(pandoc, "MAX_OUTPUT", 100_000)
    script = _server(
        tmp_path,
        "if request.flood then io.stdout:write(string.rep('x', 10000000)) io.stdout:flush() end\n"
        "send { ok = 1 }\n",
    )
    process = LuaProcess(script, {}, Limits())
    try:
        with pytest.raises(StandpuntError) as stopped:
            process.ask({"flood": True})
        assert stopped.value.code == "pandoc-output"
        assert process.ask({}) == {"ok": 1}
        assert process.starts == 2
    finally:
        process.close()


def test_hostile_one_off_pandoc_output_is_bounded(monkeypatch):
    monkeypatch.setattr(pandoc, "MAX_OUTPUT", 1000)
    with pytest.raises(StandpuntError) as stopped:
        pandoc.run_pandoc(["--from", "markdown", "--to", "html"], "word " * 5000)
    assert stopped.value.code == "pandoc-output"


def test_hostile_warm_citer_dies_on_one_position_and_cites_the_next(tmp_path):
    style = resolve_style("apa", Path("."))
    references = [{"id": "a", "type": "book", "title": "Work", "issued": {"date-parts": [[2001]]}}]
    with WarmCiter(Limits(memory_mb=256)) as warm:
        with pytest.raises(StandpuntError) as died:
            cite([("body", NESTED)], references, style, "en-US", warm=warm)
        assert died.value.code == "pandoc-memory"
        after = cite([("body", "Fine [@a].")], references, style, "en-US", warm=warm)
        assert after == cite([("body", "Fine [@a].")], references, style, "en-US")
        assert warm.starts == 2
