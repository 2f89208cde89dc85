"""pandoc shapes a position's texts itself (cite/read.lua, cite/shape.lua): HTML by text key for
print and for screen, notes as footnotes or as a list, only safe attributes and targets, and the
cited keys and anchors the rendered PDF must contain. One pandoc run per test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from standpunt.cite.citeproc import CitedText, cite, resolve_style
from standpunt.cite.notes import View, prepare
from standpunt.errors import StandpuntError

REFERENCES: list[dict[str, object]] = [
    {
        "id": "doe2019",
        "type": "book",
        "title": "Care",
        "author": [{"family": "Doe", "given": "Alex"}],
        "issued": {"date-parts": [[2019]]},
    },
    {
        "id": "roe2020",
        "type": "report",
        "title": "Markets",
        "author": [{"family": "Roe", "given": "Sam"}],
        "issued": {"date-parts": [[2020]]},
    },
]
BIBLIOGRAPHY = (
    '<div id="refs" class="references csl-bib-body hanging-indent" data-entry-spacing="0" '
    'data-line-spacing="2" role="list">\n'
    '<div id="ref-doe2019" class="csl-entry" role="listitem">\n'
    "Doe, A. (2019). <em>Care</em>.\n"
    "</div>\n"
    '<div id="ref-roe2020" class="csl-entry" role="listitem">\n'
    "Roe, S. (2020). <em>Markets</em>.\n"
    "</div>\n"
    "</div>\n"
)
ENTRIES = {
    "ref-doe2019": "bibliography entry of @doe2019",
    "ref-roe2020": "bibliography entry of @roe2020",
}


def shaped(
    texts: dict[str, str],
    style: str = "apa",
    references: list[dict[str, object]] = REFERENCES,
) -> CitedText:
    return cite(list(texts.items()), references, resolve_style(style, Path.cwd()), "en")


def shown(cited: CitedText, medium: str) -> tuple[View, dict[str, str]]:
    """The medium's view and expected anchors, each text named by its key in capitals."""
    return prepare(cited, {key: key.upper() for key in cited.media[medium].fields}, medium)


def cited_as(key: str, number: int, shown: str) -> str:
    """Citation ``number`` of ``key`` as a text shows it; ``{link}`` in ``shown`` opens its link."""
    text = shown.format(link=f'<a href="#ref-{key}" role="doc-biblioref">')
    return f'<span id="cite-{number}" class="citation" data-cites="{key}">{text}</span>'


def test_each_text_comes_back_by_its_key_with_its_citations_numbered() -> None:
    cited = shaped(
        {
            "summary": "Care needs funding [@doe2019].  \nNext line.",
            "sections.1.body": "As @roe2020 shows [see @doe2019, p. 4; @roe2020].",
            "recommendations.1": "Fund care.",
        }
    )
    fields = {
        "summary": "<p>Care needs funding "
        + cited_as("doe2019", 1, "({link}Doe, 2019</a>)")
        + ".<br/>\nNext line.</p>",
        "sections.1.body": "<p>As "
        + cited_as("roe2020", 2, "Roe ({link}2020</a>)")
        + ' shows <span id="cite-3" class="citation" data-cites="doe2019 roe2020">(see '
        '<a href="#ref-doe2019" role="doc-biblioref">Doe, 2019, p. 4</a>; '
        '<a href="#ref-roe2020" role="doc-biblioref">Roe, 2020</a>)</span>.</p>',
        "recommendations.1": "<p>Fund care.</p>",
    }
    expected = {
        "cite-1": "citation [@doe2019] in SUMMARY",
        "cite-2": "citation [@roe2020] in SECTIONS.1.BODY",
        "cite-3": "citation [@doe2019, @roe2020] in SECTIONS.1.BODY",
        **ENTRIES,
    }
    for medium in ("print", "screen"):
        assert shown(cited, medium) == (View(fields, BIBLIOGRAPHY, ""), expected)
    assert cited.cited_keys == ["doe2019", "roe2020"]
    assert cited.left_out == []


def test_a_note_is_a_footnote_in_print_and_an_entry_of_the_list_on_screen() -> None:
    cited = shaped(
        {
            "summary": "Care matters.[^1] Really^[An inline note citing @doe2019.]\n\n"
            "[^1]: First paragraph [@roe2020].\n\n    Second paragraph.\n\n    - one\n    - two"
        }
    )
    in_notes = {
        "roe2020": '<span class="citation" data-cites="roe2020">(<a href="#ref-roe2020" '
        'role="doc-biblioref">Roe, 2020</a>)</span>',
        "doe2019": '<span class="citation" data-cites="doe2019">Doe (<a href="#ref-doe2019" '
        'role="doc-biblioref">2019</a>)</span>',
    }
    printed, expected = shown(cited, "print")
    assert printed == View(
        {
            "summary": '<p>Care matters.<span class="footnote" id="fn-1">First paragraph '
            f"{in_notes['roe2020']}. Second paragraph. <ul>\n<li>one</li>\n<li>two</li>\n"
            '</ul></span> Really<span class="footnote" id="fn-2">An inline note citing '
            f"{in_notes['doe2019']}.</span></p>"
        },
        BIBLIOGRAPHY,
        "",
    )
    assert expected == {
        "fn-1": "footnote 1 in SUMMARY",
        "fn-2": "footnote 2 in SUMMARY",
        "ref-roe2020": "bibliography entry of @roe2020",
        "ref-doe2019": "bibliography entry of @doe2019",
    }
    on_screen, expected = shown(cited, "screen")
    backlink = '<a href="#fnref{0}" class="footnote-back" role="doc-backlink">↩\ufe0e</a>'
    assert on_screen == View(
        {
            "summary": '<p>Care matters.<a href="#fn1" class="footnote-ref" id="fnref1" '
            'role="doc-noteref"><sup>1</sup></a> Really<a href="#fn2" class="footnote-ref" '
            'id="fnref2" role="doc-noteref"><sup>2</sup></a></p>'
        },
        BIBLIOGRAPHY,
        '<section id="footnotes" class="footnotes footnotes-end-of-document" '
        'role="doc-endnotes">\n<hr/>\n<ol>\n'
        f'<li id="fn1"><p>First paragraph {in_notes["roe2020"]}.</p>\n'
        "<p>Second paragraph.</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
        f"{backlink.format(1)}</li>\n"
        f'<li id="fn2"><p>An inline note citing {in_notes["doe2019"]}.{backlink.format(2)}'
        "</p></li>\n</ol>\n</section>\n",
    )
    assert expected == {
        "ref-roe2020": "bibliography entry of @roe2020",
        "ref-doe2019": "bibliography entry of @doe2019",
    }
    assert cited.cited_keys == ["roe2020", "doe2019"]  # as they stand in the screen page


def test_a_note_style_puts_each_citation_in_a_footnote() -> None:
    cited = shaped(
        {"summary": "Care needs funding [@doe2019, p. 4].", "sections.1.body": "Markets fail."},
        style="chicago-notes-bibliography",
    )
    printed, expected = shown(cited, "print")
    assert printed.fields == {
        "summary": '<p>Care needs funding.<span id="cite-1" class="citation" '
        'data-cites="doe2019"><span class="footnote" id="fn-1">Alex Doe, <em>Care</em> '
        "(2019), 4.</span></span></p>",
        "sections.1.body": "<p>Markets fail.</p>",
    }
    assert expected == {
        "cite-1": "citation [@doe2019] in SUMMARY",
        "fn-1": "footnote 1 in SUMMARY",
        "ref-doe2019": "bibliography entry of @doe2019",
    }
    assert shown(cited, "screen")[0].fields["summary"] == (
        '<p>Care needs funding.<span id="cite-1" class="citation" data-cites="doe2019">'
        '<a href="#fn1" class="footnote-ref" id="fnref1" role="doc-noteref"><sup>1</sup></a>'
        "</span></p>"
    )


def test_markdown_keeps_only_safe_attributes() -> None:
    cited = shaped(
        {
            "summary": '[a]{onclick="steal()" style="display:none" rel=x Title=t tabindex=1} '
            '[b]{#i .c lang=nl dir=rtl title="T<" role=note aria-label=L cites=k data-x=1} '
            '[c]{href="javascript:x" src="http://h/x.png"} [d]{href="#x" src="a.png"}'
        }
    )
    assert cited.media["print"].fields["summary"] == (
        '<p><span>a</span> <span id="i" class="c" lang="nl" dir="rtl" title="T&lt;" '
        'role="note" aria-label="L" data-cites="k">b</span> <span>c</span> '
        '<span href="#x" src="a.png">d</span></p>'
    )


def test_links_lead_only_to_safe_places() -> None:
    cited = shaped(
        {
            "summary": '[page](#top) [web](https://example.org/a "T") [mail](mailto:a@b.org) '
            "[file](../x.pdf) [js](javascript:alert(1)){.c} [tab](java\tscript:x) "
            "[ftp](ftp://host/f) [local](file:///etc/passwd) [host](//host/x) "
            "[urn](urn:nbn:de:101:1-2019) [text](data:text/html,x) [image](data:image/png,x)"
        }
    )
    assert cited.media["print"].fields["summary"] == (
        '<p><a href="#top">page</a> <a href="https://example.org/a" title="T">web</a> '
        '<a href="mailto:a@b.org">mail</a> <a href="../x.pdf">file</a> <a class="c">js</a> '
        '<a>tab</a> <a href="ftp://host/f">ftp</a> <a>local</a> <a>host</a> '
        '<a href="urn:nbn:de:101:1-2019">urn</a> <a>text</a> '
        '<a href="data:image/png,x">image</a></p>'
    )


def test_images_come_only_from_the_workspace_or_inline_data() -> None:
    cited = shaped(
        {
            "summary": "![workspace](assets/a.png) ![inline](data:image/png;base64,iVBOR) "
            "![web](https://host/a.png) ![other host](//host/b.png) ![slashes](\\\\\\\\host/c.png) "
            "![file](file:///etc/hostname) ![text](data:text/html;base64,PGI+) "
            "![up](../../etc/passwd) ![absolute](/etc/hostname) "
            "![encoded](assets/%2E%2e/..%5c/x.png) "
            "![in place](assets/./b..png) "
            '![its own alt](https://host/d.png){alt="Own words"}\n\n'
            "![A chart from the web](https://host/chart.png)"
        }
    )
    assert cited.media["print"].fields["summary"] == (
        '<p><img src="assets/a.png" alt="workspace"/> '
        '<img src="data:image/png;base64,iVBOR" alt="inline"/> <img alt="web"/> '
        '<img alt="other host"/> <img alt="slashes"/> <img alt="file"/> <embed/> '
        '<img alt="up"/> <img alt="absolute"/> <img alt="encoded"/> '
        '<img src="assets/./b..png" alt="in place"/> '
        '<img alt="Own words"/></p>\n'
        '<figure>\n<img alt="A chart from the web"/>\n'
        '<figcaption aria-hidden="true">A chart from the web</figcaption>\n</figure>'
    )


def test_each_text_is_read_on_its_own() -> None:
    cited = shaped(
        {
            "summary": "An unclosed fence:\n\n```\ncode [@roe2020]",
            "sections.1.body": "A text of its own [@doe2019].[^1]\n\n[^1]: A note of this text.",
            # A YAML block is text (here a one-cell table pandoc's Markdown reads between two
            # lines of dashes), and it does not change how the position is cited.
            "sections.2.body": "---\nnocite: everything\n---\n\nThe same label.[^1]\n\n"
            "[^1]: A note of the other text.\n\n:::\n",
        },
        references=[*REFERENCES, {"id": "uncited", "type": "book", "title": "Not cited"}],
    )
    printed, expected = shown(cited, "print")
    assert printed.fields == {
        "summary": "<p>An unclosed fence:</p>\n<p>``` code "
        + cited_as("roe2020", 1, "({link}Roe, 2020</a>)")
        + "</p>",
        "sections.1.body": "<p>A text of its own "
        + cited_as("doe2019", 2, "({link}Doe, 2019</a>)")
        + '.<span class="footnote" id="fn-1">A note of this text.</span></p>',
        "sections.2.body": "<table>\n<tbody>\n<tr>\n<td>nocite: everything</td>\n</tr>\n</tbody>\n"
        "</table>\n"
        '<p>The same label.<span class="footnote" id="fn-2">A note of the '
        "other text.</span></p>\n<p>:::</p>",
    }
    assert printed.bibliography == BIBLIOGRAPHY
    assert list(expected) == ["cite-1", "cite-2", "fn-1", "fn-2", "ref-roe2020", "ref-doe2019"]


def test_heading_ids_and_code_blocks_are_numbered_across_texts() -> None:
    cited = shaped(
        {
            "summary": "# Context\n\n```python\nx = 1\n```\n\n```\nplain\n```",
            "sections.1.body": "# Context\n\n## Context {#context-2}\n\n# Context\n\n"
            "```r\ny <- 2\n```",
        }
    )

    def highlighted(number: int, code: str) -> str:
        return (
            f'<div class="sourceCode" id="cb{number}"><pre class="sourceCode {code[0]}"><code '
            f'class="sourceCode {code[0]}"><span id="cb{number}-1"><a href="#cb{number}-1" '
            f'aria-hidden="true" tabindex="-1"></a>{code[1]}</span></code></pre></div>'
        )

    assert cited.media["screen"].fields == {
        "summary": '<h1 id="context">Context</h1>\n'
        + highlighted(1, ("python", 'x <span class="op">=</span> <span class="dv">1</span>'))
        + "\n<pre><code>plain</code></pre>",
        "sections.1.body": '<h1 id="context-1">Context</h1>\n<h2 id="context-2">Context</h2>\n'
        '<h1 id="context-3">Context</h1>\n'
        + highlighted(3, ("r", 'y <span class="ot">&lt;-</span> <span class="dv">2</span>')),
    }


def test_a_span_dressed_as_a_citation_is_no_citation() -> None:
    cited = shaped({"summary": '[x]{.citation cites="ghost"} and [@doe2019].'})
    assert cited.cited_keys == ["doe2019"]
    assert shown(cited, "print")[1] == {
        "cite-1": "citation [@doe2019] in SUMMARY",
        "ref-doe2019": "bibliography entry of @doe2019",
    }


def test_a_work_left_out_of_the_bibliography_stops_the_build() -> None:
    cited = shaped({"summary": "Both [@doe2019; @roe2020]."}, references=REFERENCES[:1])
    assert (cited.cited_keys, cited.left_out) == (["doe2019", "roe2020"], ["roe2020"])
    for medium in ("print", "screen"):
        with pytest.raises(StandpuntError) as info:
            prepare(cited, {"summary": "the summary"}, medium)
        assert info.value.code == "lost-citation"
        assert info.value.message == (
            "the bibliography lacks @roe2020; check that evidence's fields"
        )


def test_the_cached_form_reads_back_and_nothing_else_does() -> None:
    cited = shaped({"summary": "Note^[With @doe2019.] and [@roe2020]."})
    assert CitedText.from_json(json.loads(json.dumps(cited.to_json()))) == cited
    for broken in (None, [], {}, {**cited.to_json(), "left_out": "roe2020"}):
        with pytest.raises(ValueError):
            CitedText.from_json(broken)


WITH_DOI: list[dict[str, object]] = [
    {**REFERENCES[0], "DOI": "10.1000/care"},
    {
        "id": "smith2021",
        "type": "personal_communication",
        "author": [{"family": "Smith", "given": "Jo"}],
        "issued": {"date-parts": [[2021, 3, 4]]},
    },
]
DOI_LINK = '<a href="https://doi.org/10.1000/care">https://doi.org/10.1000/care</a>'


def test_a_style_without_bibliography_builds_with_live_links_in_its_notes() -> None:
    cited = shaped(
        {"summary": "Care [@doe2019, p. 4]. Again [@doe2019].^[Compare @doe2019 [p. 5].]"},
        style="chicago-notes",
        references=WITH_DOI,
    )
    assert (cited.cited_keys, cited.left_out, cited.bibliography) == (["doe2019"], [], "")
    printed, expected = shown(cited, "print")
    assert printed == View(
        {
            "summary": '<p>Care.<span id="cite-1" class="citation" data-cites="doe2019">'
            f'<span class="footnote" id="fn-1">Alex Doe, <em>Care</em> (2019), 4, {DOI_LINK}.'
            '</span></span> Again.<span id="cite-2" class="citation" data-cites="doe2019">'
            '<span class="footnote" id="fn-2">Doe, <em>Care</em>.</span></span>'
            '<span class="footnote" id="fn-3">Compare <span class="citation" '
            'data-cites="doe2019">Doe, <em>Care</em>, 5</span>.</span></p>'
        },
        "",
        "",
    )
    assert expected == {
        "cite-1": "citation [@doe2019] in SUMMARY",
        "cite-2": "citation [@doe2019] in SUMMARY",
        "fn-1": "footnote 1 in SUMMARY",
        "fn-2": "footnote 2 in SUMMARY",
        "fn-3": "footnote 3 in SUMMARY",
    }


def test_a_note_links_neither_as_a_whole_nor_to_an_entry_and_keeps_its_own_links() -> None:
    cited = shaped(
        {"summary": "Care [@doe2019]."}, style="chicago-notes-bibliography", references=WITH_DOI
    )
    screen = cited.media["screen"].notes
    assert "#ref-" not in screen
    assert f'<li id="fn1"><p>Alex Doe, <em>Care</em> (2019), {DOI_LINK}.' in screen
    assert f"Doe, Alex. <em>Care</em>. 2019. {DOI_LINK}." in cited.bibliography


def test_a_work_the_style_lists_under_no_entry_has_none_and_is_linked_nowhere() -> None:
    cited = shaped({"summary": "Care [@smith2021; @doe2019]."}, references=WITH_DOI)
    assert (cited.cited_keys, cited.left_out) == (["smith2021", "doe2019"], [])
    printed, expected = shown(cited, "print")
    assert printed == View(
        {
            "summary": '<p>Care <span id="cite-1" class="citation" data-cites="smith2021 '
            'doe2019">(<a href="#ref-doe2019" role="doc-biblioref">Doe, 2019</a>; J. Smith, '
            "personal communication, March 4, 2021)</span>.</p>"
        },
        '<div id="refs" class="references csl-bib-body hanging-indent" data-entry-spacing="0" '
        'data-line-spacing="2" role="list">\n<div id="ref-doe2019" class="csl-entry" '
        f'role="listitem">\nDoe, A. (2019). <em>Care</em>. {DOI_LINK.replace(".</a>", "</a>")}'
        "\n</div>\n</div>\n",
        "",
    )
    assert expected == {
        "cite-1": "citation [@smith2021, @doe2019] in SUMMARY",
        "ref-doe2019": "bibliography entry of @doe2019",
    }
    only = shaped({"summary": "Told [@smith2021]."}, references=WITH_DOI)
    assert (only.left_out, only.bibliography) == ([], "")


def test_a_note_style_with_a_bibliography_still_stops_on_a_lost_work() -> None:
    cited = shaped(
        {"summary": "Both [@doe2019; @roe2020]."},
        style="chicago-notes-bibliography",
        references=REFERENCES[:1],
    )
    assert (cited.cited_keys, cited.left_out) == (["doe2019", "roe2020"], ["roe2020"])


def test_a_numeric_bibliography_keeps_its_columns_and_spacing() -> None:
    cited = shaped({"summary": "Care [@doe2019]."}, style="ieee", references=WITH_DOI)
    assert cited.bibliography == (
        '<div id="refs" class="references csl-bib-body" data-entry-spacing="0" role="list">\n'
        '<div id="ref-doe2019" class="csl-entry" role="listitem">\n'
        '<div class="csl-left-margin">[1] </div><div class="csl-right-inline">A. Doe, '
        '<em>Care</em>. 2019. doi: <a href="https://doi.org/10.1000/care">10.1000/care</a>.'
        "</div>\n</div>\n</div>\n"
    )
