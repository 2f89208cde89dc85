"""The PDF's structure tree as PDF/UA-1 asks, finished where WeasyPrint's own tagging stops.

WeasyPrint (70) tags the page's content but leaves three things a PDF/UA-1 reader needs:

- running heads and footers (the ``@page`` margin boxes) are marked as content with a number
  (an MCID) whose structure element hangs nowhere in the tree; here they become ``/Artifact``
  of type ``/Pagination`` and leave the parent tree;
- an image whose alternative text is empty is decorative: its figure leaves the tree and its
  content becomes an artifact (an image without ``alt`` at all is treated the same way);
- a footnote (``float: footnote``) is a ``/NonStruct`` or ``/Span`` like any other text; here
  it becomes a ``/Note`` with an ``/ID`` (its HTML id), its number a ``/Lbl``, and its call in
  the text a ``/Reference`` pointing at the note (``/Ref``).

The work happens in WeasyPrint's ``finisher`` hook, on the PDF objects before they are written,
so the bytes stay reproducible. Each step is one pass over the objects, the tree or the laid-out
boxes: linear in the size of the document.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pydyf
from weasyprint.formatting_structure import boxes
from weasyprint.layout.absolute import AbsolutePlaceholder

log = logging.getLogger(__name__)

#: What a footnote's parts are called among WeasyPrint's boxes (``span::footnote-call``).
CALL = "::footnote-call"
MARKER = "::footnote-marker"


@dataclass
class Tagged:
    """What :func:`finish_tags` did, for the log and the tests."""

    artifacts: int = 0
    figures_dropped: int = 0
    notes: dict[str, Any] = field(default_factory=dict)
    references: int = 0
    calls: int = 0


def finish_tags(document: Any, pdf: Any) -> Tagged:
    """Finish the structure tree of ``pdf`` (a pydyf PDF) laid out from ``document``.

    Does nothing to a PDF without a structure tree (the variants that are not tagged).
    """
    done = Tagged()
    if "StructTreeRoot" not in pdf.catalog:
        return done
    tree = _Tree(pdf)
    # Notes first: they follow the laid-out boxes, while the tree still has WeasyPrint's shape.
    _tag_notes(document, tree, done)
    artifacts = _margin_content(tree) | _decorative_figures(tree, done)
    done.artifacts = _mark_artifacts(pdf, tree, artifacts)
    if done.calls != done.references:
        log.warning(
            "%d of %d footnote calls could not be tagged as references to their notes: the "
            "PDF is complete, but a screen reader will not link those calls to their notes "
            "(the template places them where Standpunt's tagging does not follow)",
            done.calls - done.references,
            done.calls,
        )
    return done


class _Tree:
    """The structure tree among the PDF's objects: elements by reference, parents, pages."""

    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf
        root = self.get(pdf.catalog["StructTreeRoot"])
        self.document = self.get(root["K"][0])
        self.nums = self.get(root["ParentTree"])["Nums"]
        self.page_numbers = {ref: index for index, ref in enumerate(pdf.page_references)}
        self.reachable: set[int] = set()
        stack = [self.document]
        while stack:
            element = stack.pop()
            self.reachable.add(element.number)
            stack.extend(self.kids(element))

    def get(self, reference: Any) -> Any:
        """The object a reference (``b'12 0 R'``) names, or the object itself."""
        if isinstance(reference, bytes):
            return self.pdf.objects[int(reference.split()[0])]
        return reference

    def kids(self, element: Any) -> list[Any]:
        """An element's child structure elements, in order (no MCIDs, no annotations)."""
        found = []
        for kid in element.get("K", ()):
            if isinstance(kid, bytes):
                obj = self.get(kid)
                if "S" in obj:
                    found.append(obj)
        return found

    def page_map(self, page: int) -> Any:
        """The parent tree's array for ``page``: MCID → the element that holds it."""
        return self.nums[2 * page + 1]


def _margin_content(tree: _Tree) -> set[tuple[int, int, str]]:
    """(page, MCID, kind) of content whose element is in no tree: the margin boxes' text."""
    found = set()
    for page in range(len(tree.pdf.page_references)):
        for mcid, reference in enumerate(tree.page_map(page)):
            if reference != b"null" and tree.get(reference).number not in tree.reachable:
                found.add((page, mcid, "Pagination"))
    return found


def _decorative_figures(tree: _Tree, done: Tagged) -> set[tuple[int, int, str]]:
    """(page, MCID, kind) of images without alternative text, their figures taken out."""
    found: set[tuple[int, int, str]] = set()
    stack = [tree.document]
    while stack:
        element = stack.pop()
        dropped = set()
        for kid in tree.kids(element):
            if kid["S"] == "/Figure" and not _has_text(kid.get("Alt")):
                page = tree.page_numbers[kid["Pg"]]
                found.update((page, mcid, "") for mcid in kid["K"] if isinstance(mcid, int))
                dropped.add(kid.reference)
                tree.reachable.discard(kid.number)
            else:
                stack.append(kid)
        if dropped:
            element["K"] = pydyf.Array(k for k in element["K"] if k not in dropped)
            done.figures_dropped += len(dropped)
    return found


def _has_text(alt: Any) -> bool:
    return isinstance(alt, pydyf.String) and bool(str(alt.string).strip())


def _mark_artifacts(pdf: Any, tree: _Tree, artifacts: set[tuple[int, int, str]]) -> int:
    """Turn the marked content ``artifacts`` names into artifacts, out of the parent tree.

    Every content stream WeasyPrint drew a page with (the page's own and its form XObjects)
    shares that page's table of marks, which is how a stream is known to belong to its page.
    """
    by_page: dict[int, dict[int, str]] = {}
    for page, mcid, kind in artifacts:
        by_page.setdefault(page, {})[mcid] = kind
        tree.page_map(page)[mcid] = b"null"
    marks = {id(tree.get(page["Contents"])._tags): n for n, page in enumerate(_pages(pdf))}
    changed = 0
    for stream in pdf.objects:
        table = getattr(stream, "_tags", None)
        owner = marks.get(id(table)) if table is not None else None
        if owner is None or owner not in by_page:
            continue
        items = stream.stream
        for index in range(1, len(items) - 1):
            mark = items[index]
            if isinstance(mark, dict) and items[index + 1] == b"BDC":
                found = by_page[owner].get(mark.get("MCID", -1))
                if found is not None:
                    items[index - 1] = "/Artifact"
                    items[index] = pydyf.Dictionary({"Type": f"/{found}"} if found else {})
                    changed += 1
    return changed


def _pages(pdf: Any) -> Iterator[Any]:
    """The page dictionaries, in order."""
    for reference in pdf.page_references:
        yield pdf.objects[int(reference.split()[0])]


def _tag_notes(document: Any, tree: _Tree, done: Tagged) -> None:
    """Footnotes become ``/Note`` with an ``/ID``, their calls ``/Reference`` to them."""
    calls: list[tuple[Any, Any]] = []
    kids_by_page: dict[int, list[Any]] = {}
    for kid in tree.kids(tree.document):
        kids_by_page.setdefault(tree.page_numbers[kid["Pg"]], []).append(kid)
    for number, page in enumerate(document.pages):
        top = list(_yielding(page._page_box))
        kids = kids_by_page.get(number, [])
        if len(top) != len(kids):
            continue
        for box, element in zip(top, kids, strict=True):
            footnotes = {id(child) for child in getattr(box, "children", ())}
            in_area = isinstance(box, boxes.FootnoteAreaBox)
            for inner, inner_element in _pairs(box, element, tree):
                tag = inner.element_tag or ""
                if tag.endswith(CALL):
                    calls.append((inner, inner_element))
                elif tag.endswith(MARKER):
                    inner_element["S"] = "/Lbl"
                elif in_area and id(inner) in footnotes:
                    _make_note(inner, inner_element, done)
    done.calls = sum(_count_calls(page._page_box) for page in document.pages)
    for call, element in calls:
        note = done.notes.get(_note_id(call.footnote))
        if note is not None:
            element["S"] = "/Reference"
            element["Ref"] = pydyf.Array([note.reference])
            done.references += 1


def _make_note(box: Any, element: Any, done: Tagged) -> None:
    """Tag a footnote's element as ``/Note`` with a unique ``/ID``."""
    base = _note_id(box)
    key, count = base, 1
    while key in done.notes:
        count += 1
        key = f"{base}-{count}"
    element["S"] = "/Note"
    element["ID"] = pydyf.String(key)
    done.notes[key] = element


def _note_id(box: Any) -> str:
    element = getattr(box, "element", None)
    return (element.get("id") if element is not None else None) or f"note-{id(box)}"


def _count_calls(box: Any) -> int:
    """How many footnote calls a page's boxes hold."""
    count, stack = 0, [box]
    while stack:
        current = stack.pop()
        if isinstance(current, AbsolutePlaceholder):
            current = current._box
        if (current.element_tag or "").endswith(CALL) and not isinstance(current, boxes.TextBox):
            count += 1
        if isinstance(current, boxes.ParentBox):
            stack.extend(current.children)
    return count


def _yielding(box: Any) -> Iterator[Any]:
    """The boxes that give the structure elements WeasyPrint puts at ``box``'s level.

    The page, ``html`` and ``body`` give none of their own but their children's; margin boxes
    give none; every other box gives exactly one (see ``weasyprint/pdf/tags.py``).
    """
    if isinstance(box, AbsolutePlaceholder):
        box = box._box
    if isinstance(box, boxes.MarginBox):
        return
    flattened = box.element_tag in ("html", "body") or isinstance(box, boxes.PageBox)
    if flattened and isinstance(box, boxes.ParentBox) and not isinstance(box, boxes.LineBox):
        for child in box.children:
            yield from _yielding(child)
        return
    yield box


def _pairs(box: Any, element: Any, tree: _Tree) -> Iterator[tuple[Any, Any]]:
    """Every box below ``box`` with the structure element WeasyPrint made for it.

    Follows WeasyPrint's tagging: text boxes give a ``/Span`` each (none inside a ``/Link``),
    a list nested in a list item hangs in the outer list after the item, a ``dt``, ``dd`` or
    bullet-less ``li`` is wrapped in an ``/LI``, a table's wrapper and table are one ``/Table``.
    Where the shapes do not agree (a WeasyPrint that tags otherwise) the walk stops below that
    box; the caller counts what it found.
    """
    stack = [(box, element)]
    while stack:
        current, current_element = stack.pop()
        yield current, current_element
        expected = _expected_kids(current, current_element)
        kids = tree.kids(current_element)
        if len(kids) != len(expected):
            continue
        pairs = list(zip(expected, kids, strict=True))
        for child, kid in reversed(pairs):
            if child is None:
                continue
            stack.append((child, _unwrap_item(child, kid, current_element, tree)))


def _expected_kids(box: Any, element: Any) -> list[Any]:
    """The boxes ``element``'s child elements stand for, in order (``None``: not followed)."""
    expected: list[Any] = []
    if not isinstance(box, boxes.ParentBox):
        return expected
    children = box.children
    if element["S"] == "/Table" and getattr(box, "is_table_wrapper", False):
        table = box.get_wrapped_table()
        children = [part for child in children for part in _table_parts(child, table)]
    for child in children:
        for grandchild in child.children if isinstance(child, boxes.LineBox) else [child]:
            if isinstance(grandchild, AbsolutePlaceholder):
                grandchild = grandchild._box
            if isinstance(grandchild, boxes.TextBox):
                if element["S"] != "/Link":
                    expected.append(None)
                continue
            if grandchild.element_tag in ("ul", "ol") and element["S"] == "/LI":
                continue
            expected.append(grandchild)
            expected.extend(_lists_in_item(grandchild))
    return expected


def _table_parts(child: Any, table: Any) -> list[Any]:
    """A table wrapper's child as WeasyPrint tags it: the table's own children, or a caption."""
    return list(child.children) if child is table else [child]


def _lists_in_item(box: Any) -> list[Any]:
    """Lists nested in a list item, which WeasyPrint hangs after the item (and not inside)."""
    if box.element_tag != "li" or not isinstance(box, boxes.ParentBox):
        return []
    return [child for child in box.children if child.element_tag in ("ul", "ol")]


def _unwrap_item(box: Any, element: Any, parent: Any, tree: _Tree) -> Any:
    """The element for ``box`` inside the ``/LI`` WeasyPrint wraps some list items in."""
    if parent["S"] in ("/LI", "/LBody") or element["S"] != "/LI":
        return element
    dl_item = box.element_tag in ("dt", "dd")
    no_bullet = box.element_tag == "li" and (
        "list-item" not in box.style["display"] or box.style["list_style_type"] == "none"
    )
    kids = tree.kids(element)
    if (dl_item or no_bullet) and len(kids) == 1:
        return kids[0]
    return element
