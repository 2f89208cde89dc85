"""Finding pandoc citations in Markdown text, in process, each at its exact line and column.

``standpunt check`` has to report every citation key at ``line:col`` without starting a pandoc
process per field, and pandoc's Markdown reader tells no line or column. So this package
re-implements what pandoc 3.9's reader (format ``markdown-raw_html-raw_tex-raw_attribute``,
see :data:`standpunt.pandoc.MARKDOWN_FORMAT`) decides about citations, on markdown-it's
rule machinery: :func:`find_citations` gives every :class:`FoundCitation` pandoc would see.

A text goes through these modules, in this order:

* :mod:`.parser`: the one markdown-it parser. Its block rules (:mod:`.blocks`) follow pandoc's
  block structure; :mod:`.block_markers` then finds the pandoc blocks that commonmark reads as
  paragraph text; then :mod:`.inlines` runs the inline rules over every paragraph, heading and
  table cell that may cite.
* :mod:`.inlines`: the inline rules and their loop. :mod:`.citations` holds pandoc's citation
  parsers, :mod:`.emphasis` follows ``*``/``_``, and what pandoc keeps raw is read by
  :mod:`.raw` (code, math, escapes), :mod:`.links` (link destinations, titles, note labels),
  :mod:`.angle_brackets` (tags, autolinks) and :mod:`.attributes`; :mod:`.keys` spells keys
  and example labels; :mod:`.scanning` has the smallest scanners.
* :mod:`.reading`: what the rules share while reading one inline source, and
  :mod:`.lookahead`: what is known about the whole text (remembered lookaheads, the budget).
* :mod:`.results`: the tokens become found citations (:class:`FoundCitation`), at the line and
  column :mod:`.source_map` maps them to in the raw text.

What pandoc decides, in the main (each module says the rest):

* Citations: ``[@a]``, ``[see @a, p. 3; -@b]``, ``@a``, ``-@a``, ``@a [p. 3]``, ``@a [@b]``,
  ``@{key}``. Whatever pandoc keeps raw (code, math, destinations and titles, attributes,
  autolinks, note labels, span attributes) never yields a citation.
* pandoc 3.9 reads a bracket followed directly by a valid ``(destination)``, ``[label]`` or
  ``{attributes}`` as a link or span, not a citation: ``[@a](http://x)`` is a link whose text
  holds the narrative citation ``@a``. Bracket balancing skips code and math.
* ``@`` right after a pandoc "string" is no citation (``jan@example.org``, ``x.@a``, ``*a*@b``);
  after the end of a key or of ``@label`` it is (``@a@b`` cites both), and so is ``@user`` in a
  bare URL (``https://x.org/@user``), exactly as in pandoc.
* Example lists: ``(@label)``, ``@label.``, ``@label)`` plus a space at the start of a block is
  a list marker, not a citation, and a plain ``@label`` elsewhere then refers to the example.
* Footnotes: citations in a note definition count only if the note is referenced from the
  main text (pandoc drops unused notes); of a label defined twice only the last counts.

Positions are mapped back to the raw text, so columns are exact inside list items, block
quotes, table cells, footnote definitions and after inline markup.

Any text is read in linear time and with a bounded stack (``check`` and ``build`` read every
field without a time limit): lookaheads are remembered (see :class:`.lookahead.Known`), parses
already tried are not tried again (see :class:`.reading.Memo`), rules nest at most
:data:`.reading.MAX_DEPTH` deep (see :class:`.reading.TooDeep`), and a budget of work per text
is the last line of defence.

Known divergences from pandoc (exotic input; the equivalence test leaves them out):

* Order: pandoc moves a note's content to its reference and repeats it for every reference;
  we report each citation once, in source order.
* Superscripts (``^x^``) and subscripts are not parsed; pandoc tries a superscript before an
  inline note, which changes ``^[..]`` or a code span followed by another ``^`` on the line.
* Emphasis inside citation brackets is scanned one character at a time, so an unbalanced
  ``*`` or a ``;``/``]`` inside emphasis within ``[...]`` can split a citation differently.
* ``$`` inside citation keys meets pandoc's ``$`` math, which pandoc may even read across
  lines of a list item or rows of a table while balancing brackets.
* Block structure: an example-list item or a definition list followed by an indented block
  (pandoc continues the list, we see code); an image alone in a paragraph (pandoc's figure
  repeats the alt text, so its citations twice); a footnote definition with an empty first
  line; ``![..][ref]`` image references; a defined reference label holding ``@``; a title
  block (``% ...``) or YAML metadata at the start; ``@`` in attributes of raw HTML tags other
  than ``<span>``/``<div>``; a textual citation of an example label followed by a bracket.
* Autolinks accept any URI scheme here, pandoc only known ones (``<foo:@x>``).
* Rules nested more than :data:`.reading.MAX_DEPTH` deep (brackets in brackets, unclosed
  brackets one after the other), where pandoc takes minutes or more, read as text, and a key
  there as a plain citation; so does everything in a text past its budget of work (no real
  text comes near).
"""

from __future__ import annotations

from typing import Any

from standpunt.cite.finder.plain import plain_citations
from standpunt.cite.finder.results import FoundCitation

__all__ = ["FoundCitation", "find_citations", "parsed_citations"]


def find_citations(text: str) -> list[FoundCitation]:
    """Every citation pandoc would see in ``text``, in document (source) order."""
    if "@" not in text:
        return []
    known = plain_citations(text)  # the commonest shape, known without parsing
    return parsed_citations(text) if known is None else known


def parsed_citations(text: str) -> list[FoundCitation]:
    """:func:`find_citations` by markdown-it's parse, whatever the text's shape."""
    if "@" not in text:
        return []
    # markdown-it and the rules: imported only when a text is not in the plain shape
    from standpunt.cite.finder.lookahead import KNOWN
    from standpunt.cite.finder.parser import markdown_parser
    from standpunt.cite.finder.results import collect

    # as markdown-it's normalize rule (disabled in markdown_parser: the text comes normalized)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")
    lines = text.split("\n")
    env: dict[str, Any] = {"_pc_lines": lines}
    texts = KNOWN.set({})
    try:
        tokens = markdown_parser().parse(text, env)
    finally:
        KNOWN.reset(texts)
    return collect(tokens, lines, env)
