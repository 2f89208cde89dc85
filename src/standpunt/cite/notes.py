"""What a medium shows of a position's cited texts, and what its rendered document must contain.

``shape.lua`` has made both media in pandoc: print has real page-foot footnotes (``<span
class="footnote">``, which WeasyPrint floats to the foot of the page), screen has pandoc's list
of notes at the end. Every citation, footnote and bibliography entry has an id, so that after
rendering the build can prove none was lost (see :func:`standpunt.render.pdf.missing_anchors`);
here each gets the name a user knows it by.
"""

from __future__ import annotations

from dataclasses import dataclass

from standpunt.cite.citeproc import Anchor, CitedText
from standpunt.errors import StandpuntError

#: What must be in the rendered document: anchor id → what the user would call it.
Expected = dict[str, str]


@dataclass(frozen=True)
class View:
    """A position's cited texts as the template shows them in one medium."""

    #: Text key → HTML.
    fields: dict[str, str]
    bibliography: str
    #: The list of notes at the end (screen); empty in print, where notes are footnotes.
    notes: str


def describe(anchor: Anchor, names: dict[str, str]) -> str:
    """What a message calls what ``anchor`` marks; ``names`` maps text keys to their names."""
    if anchor.kind == "citation":
        keys = ", ".join(f"@{key}" for key in anchor.keys)
        return f"citation [{keys}] in {names[anchor.text]}"
    if anchor.kind == "footnote":
        return f"footnote {anchor.number} in {names[anchor.text]}"
    return f"bibliography entry of @{anchor.keys[0]}"


def prepare(cited: CitedText, names: dict[str, str], medium: str) -> tuple[View, Expected]:
    """The texts as ``medium`` (``print`` or ``screen``) shows them, and what the rendered
    document must contain; an error if the style's bibliography left out a cited work (one
    whose entry vanished: a style without bibliography leaves out nothing)."""
    if cited.left_out:
        raise StandpuntError(
            "the bibliography lacks "
            + ", ".join(f"@{key}" for key in cited.left_out)
            + "; check that evidence's fields",
            code="lost-citation",
        )
    shown = cited.media[medium]
    expected = {anchor.id: describe(anchor, names) for anchor in shown.anchors}
    return View(shown.fields, cited.bibliography, shown.notes), expected
