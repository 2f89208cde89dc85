"""A position's texts, declared once: which fields hold the words a reader reads.

Each text has a key (``summary``, ``sections.2.body``, ``recommendations.3``), the path where it
stands in the YAML file, and a name for messages. ``check`` finds citations in the Markdown
texts, the build sends them to pandoc and the template takes each back by its key, the
fingerprint hashes the texts a partner signs, and the redline compares them. Anything that
walks a position's texts walks :func:`texts`, so they all see the same texts in the same order.

A page may print a text in two *parts*: a section's body is printed as its first paragraph (its
lead) and the rest, so that the pull quote can stand between them. What pandoc reads and the
template prints are therefore *pieces* (:func:`pieces`): a whole text, or one part of a text
that is split. The template decides the order in which the pieces are read (see
:func:`standpunt.render.template.reading_order`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: The position's own texts, in order: (field, holds Markdown). Which texts hold Markdown is
#: said here; the schema's ``Markdown`` type validates them and a test holds it to this.
POSITION_FIELDS: tuple[tuple[str, bool], ...] = (
    ("title", False),
    ("subtitle", False),
    ("summary", True),
)
#: Each section's texts, in order.
SECTION_FIELDS: tuple[tuple[str, bool], ...] = (
    ("title", False),
    ("body", True),
    ("quote", True),
)
#: The list of asks; each item is Markdown.
ASKS = "recommendations"
SECTIONS = "sections"
#: The section texts a page prints in two parts, :data:`LEAD` and :data:`REST`.
SPLIT_SECTION_FIELDS = frozenset({"body"})
#: A split text's first paragraph (with any heading before it) and everything after it.
LEAD, REST = "lead", "rest"
PARTS = (LEAD, REST)


@dataclass(frozen=True)
class Text:
    """One text of a position."""

    #: Unique within a position: ``summary``, ``sections.2.quote``, ``recommendations.1``.
    key: str
    #: Where it stands in the YAML, list indexes from 0: ``("sections", 1, "quote")``.
    path: tuple[str | int, ...]
    #: What a message calls it: "the summary", "section 2 ('Wonen')", "ask 1".
    name: str
    #: Whether it is pandoc Markdown (and may cite).
    markdown: bool
    #: The text as read: a located :class:`~standpunt.workspace.load.Scalar` or a plain string.
    value: str


@dataclass(frozen=True)
class Piece:
    """What pandoc reads as one unit and a template prints in one place: a whole text or one
    part of a split text."""

    #: ``summary``, ``recommendations.1``, ``sections.2.body.lead``.
    key: str
    #: The text it is (part of).
    text: Text
    #: ``""`` for a whole text, else :data:`LEAD` or :data:`REST`.
    part: str = ""


def part_key(key: str, part: str) -> str:
    """The key of a part of a split text: ``sections.2.body.lead``."""
    return f"{key}.{part}"


def pieces(position: Any) -> list[Piece]:
    """The pieces of ``position``'s Markdown texts, in the declared order."""
    found: list[Piece] = []
    for text in texts(position):
        if is_split(text):
            found.extend(Piece(part_key(text.key, part), text, part) for part in PARTS)
        else:
            found.append(Piece(text.key, text))
    return found


def is_split(text: Text) -> bool:
    """Whether a page prints ``text`` in two parts."""
    path = text.path
    return len(path) == 3 and path[0] == SECTIONS and path[2] in SPLIT_SECTION_FIELDS


def section_key(number: int, field: str) -> str:
    """The key of a section's text: ``sections.2.body`` for the body of section 2 (from 1)."""
    return f"{SECTIONS}.{number}.{field}"


def ask_key(number: int) -> str:
    """The key of an ask: ``recommendations.3`` for the third (counted from 1)."""
    return f"{ASKS}.{number}"


def texts(position: Any, markdown_only: bool = True) -> Iterator[Text]:
    """Every text of ``position`` in the declared order, skipping what is absent or not text.

    ``position`` is a position's YAML, located or plain, or its validated model.
    """
    for name, is_markdown in POSITION_FIELDS:
        value = _get(position, name)
        if isinstance(value, str) and (is_markdown or not markdown_only):
            yield Text(name, (name,), _POSITION_NAMES[name], is_markdown, value)
    sections = _get(position, SECTIONS)
    for index, section in enumerate(sections if isinstance(sections, list) else []):
        number = index + 1
        title = _get(section, "title")
        for name, is_markdown in SECTION_FIELDS:
            value = _get(section, name)
            if isinstance(value, str) and (is_markdown or not markdown_only):
                label = _section_name(name, number, title if isinstance(title, str) else None)
                path = (SECTIONS, index, name)
                yield Text(section_key(number, name), path, label, is_markdown, value)
    asks = _get(position, ASKS)
    for index, ask in enumerate(asks if isinstance(asks, list) else []):
        if isinstance(ask, str):
            yield Text(ask_key(index + 1), (ASKS, index), f"ask {index + 1}", True, ask)


_POSITION_NAMES = {"title": "the title", "subtitle": "the subtitle", "summary": "the summary"}


def _section_name(field: str, number: int, title: str | None) -> str:
    if field == "body":
        return f"section {number} ('{title}')" if title is not None else f"section {number}"
    if field == "quote":
        return f"the pull quote of section {number}"
    return f"the title of section {number}"


def _get(container: Any, name: str) -> Any:
    """A field of a mapping or of a validated model; None when absent or not a container."""
    if isinstance(container, dict):
        return container.get(name)
    if container is None or isinstance(container, str | int | float | list):
        return None
    return getattr(container, name, None)
