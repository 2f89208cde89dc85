"""The one markdown-it parser the finder uses, with pandoc's rules put in place.

Block rules from :mod:`.blocks` replace or join commonmark's; two core rules follow the block
parse: :func:`~.block_markers.block_markers` (pandoc blocks inside paragraphs), then
:func:`~.inlines.read_inlines` (citations and note references) in place of markdown-it's
inline parsing.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_block import blockquote, heading, hr
from markdown_it.rules_block import reference as _commonmark_reference

from standpunt.cite.finder.block_markers import block_markers
from standpunt.cite.finder.blocks import (
    fence,
    interrupts,
    list_rule,
    note_definition,
    paragraph,
    pipe_table,
    reference_unless_cited,
)
from standpunt.cite.finder.inlines import read_inlines


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    """The one configured markdown-it instance (built on first use)."""
    md = MarkdownIt("commonmark", {"html": False})
    # find_citations normalizes the text itself; read_inlines makes no inline tokens to join
    md.disable(["html_block", "lheading", "normalize", "text_join"])
    md.enable("table")
    block = md.block.ruler
    block.at("table", pipe_table)  # as in pandoc: a table does not interrupt a paragraph
    # what may interrupt a paragraph is decided by interrupts alone (as pandoc; and faster)
    block.at("fence", fence, {"alt": ["reference", "blockquote", "list"]})
    block.at("blockquote", blockquote, {"alt": ["reference", "blockquote", "list"]})
    block.at("hr", hr, {"alt": ["reference", "blockquote", "list"]})
    block.at("list", list_rule, {"alt": ["reference", "blockquote"]})
    block.at("heading", heading, {"alt": ["reference", "blockquote"]})
    block.at("reference", reference_unless_cited(_commonmark_reference))
    block.at("paragraph", paragraph)
    block.before("reference", "pandoc_note", note_definition)
    block.before("paragraph", "pandoc_interrupts", interrupts, {"alt": ["paragraph"]})
    md.core.ruler.before("inline", "pandoc_block_markers", block_markers)
    md.core.ruler.at("inline", read_inlines)
    return md
