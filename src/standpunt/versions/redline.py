"""What changed between two versions of a position: a redline as plain data, text and HTML.

:func:`compare` takes two versions as plain data (``to_plain(parse_yaml(...))``; a field may be
missing, of the wrong type or the whole side None, as old revisions need not be valid) and
returns a :class:`Redline`. Text is compared word by word: the words, not the whitespace
between them, are what a reader sees, so re-wrapping a paragraph in the YAML changes nothing
while a new paragraph break is shown as ``¶``. Markdown is compared and shown as written.

:func:`to_text` renders a redline for the terminal (``[-deleted-]{+inserted+}`` as in
``git diff --word-diff``); :func:`to_html` renders an HTML fragment to be wrapped in a page,
styled by :data:`REDLINE_CSS`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Literal, TypeVar

from standpunt.choices import DEFAULT_STATUS
from standpunt.cite.finder import find_citations
from standpunt.workspace.texts import ASKS, POSITION_FIELDS, SECTION_FIELDS, SECTIONS, texts

__all__ = [
    "LABELS",
    "REDLINE_CSS",
    "AskChange",
    "Counts",
    "EvidenceChange",
    "FieldChange",
    "Redline",
    "SectionChange",
    "TextDiff",
    "cited_ids",
    "compare",
    "to_html",
    "to_text",
    "word_diff",
]

Op = Literal["equal", "insert", "delete"]
Kind = Literal["added", "removed", "changed"]

#: Pairs of unmatched sections or asks at least this similar (0–1, by their words) count as
#: one changed item; less similar ones are shown as removed and added.
SIMILAR = 0.4


# --------------------------------------------------------------------------- word diff

#: A word (with inner hyphens or apostrophes: "co-sign", "don't") or one other visible
#: character, each with the whitespace after it.
_TOKEN = re.compile(r"(\w+(?:['’-]\w+)*|[^\w\s])(\s*)")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class _Token:
    key: str  # what is compared: the word, or "\n\n" for a paragraph break
    word: str
    ws: str  # the whitespace written after it


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        word, ws = match.groups()
        if _PARAGRAPH_BREAK.search(ws):
            tokens.append(_Token(word, word, ""))
            tokens.append(_Token("\n\n", "", ws))
        else:
            tokens.append(_Token(word, word, ws))
    return tokens


def _join(tokens: list[_Token]) -> str:
    """The tokens' text, without the whitespace after the last word (it goes outside)."""
    text = "".join(t.word + t.ws for t in tokens)
    return text[: len(text) - len(tokens[-1].ws)] if tokens and tokens[-1].word else text


def _words(tokens: Iterable[_Token]) -> int:
    return sum(1 for t in tokens if _WORD.search(t.word))


@dataclass(frozen=True)
class TextDiff:
    """A word-level diff: the new text in ``segments`` of ("equal"|"insert"|"delete", text).

    Whitespace stays in the equal segments, so joining all segments reads naturally;
    ``inserted`` and ``deleted`` count words (not punctuation).
    """

    segments: tuple[tuple[Op, str], ...]
    inserted: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return any(op != "equal" for op, _text in self.segments)


def word_diff(old: str, new: str) -> TextDiff:
    """Compare two texts word by word: one changed word gives one deletion and one insertion."""
    a, b = _tokens(old), _tokens(new)
    lead = new[: len(new) - len(new.lstrip())]
    segments: list[tuple[Op, str]] = [("equal", lead)]
    inserted = deleted = 0
    matcher = SequenceMatcher(None, [t.key for t in a], [t.key for t in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(("equal", "".join(t.word + t.ws for t in b[j1:j2])))
            continue
        olds, news = a[i1:i2], b[j1:j2]
        # A change right after a word the new text joins without a space (e.g. the last words
        # deleted) still needs the old separator, or the deletion would stick to that word.
        if j1 > 0 and i1 > 0 and not b[j1 - 1].ws and a[i1 - 1].ws:
            segments.append(("equal", a[i1 - 1].ws))
        segments.append(("delete", _join(olds)))
        segments.append(("insert", _join(news)))
        last = news[-1] if news else olds[-1]
        segments.append(("equal", last.ws if last.word else ""))
        inserted += _words(news)
        deleted += _words(olds)
    return TextDiff(_merge(segments), inserted, deleted)


def _merge(segments: list[tuple[Op, str]]) -> tuple[tuple[Op, str], ...]:
    out: list[tuple[Op, str]] = []
    for op, text in segments:
        if not text:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return tuple(out)


def _similarity(old: str, new: str) -> float:
    a = [t.key for t in _tokens(old)]
    b = [t.key for t in _tokens(new)]
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


# --------------------------------------------------------------------------- the redline


@dataclass(frozen=True)
class FieldChange:
    """A one-line field that changed: ``title``, ``subtitle``, ``status`` or ``version``.

    ``old``/``new`` are None when the field is absent on that side.
    """

    field: str
    old: str | None
    new: str | None
    diff: TextDiff


@dataclass(frozen=True)
class SectionChange:
    """A section added, removed or changed; numbers are 1-based (None on the side it lacks).

    ``quote`` is None when neither side has a pull quote.
    """

    kind: Kind
    old_number: int | None
    new_number: int | None
    title: TextDiff
    body: TextDiff
    quote: TextDiff | None

    @property
    def number(self) -> int | None:
        """The number a reader looks for: the new one, or the old one of a removed section."""
        return self.new_number if self.new_number is not None else self.old_number

    @property
    def body_unchanged(self) -> bool:
        """A changed section (its title, say) whose text stayed the same."""
        return self.kind == "changed" and not self.body.changed

    @property
    def quote_shown(self) -> bool:
        """Whether the pull quote belongs in the redline: changed, or part of a whole section."""
        return self.quote is not None and (self.quote.changed or self.kind != "changed")


@dataclass(frozen=True)
class AskChange:
    """A recommendation added, removed or changed; numbers are 1-based."""

    kind: Kind
    old_number: int | None
    new_number: int | None
    diff: TextDiff

    @property
    def number(self) -> int | None:
        """The number a reader looks for: the new one, or the old one of a removed ask."""
        return self.new_number if self.new_number is not None else self.old_number


@dataclass(frozen=True)
class EvidenceChange:
    """A piece of evidence that a version cites and the other does not."""

    kind: Literal["added", "removed"]
    id: str
    title: str | None = None


@dataclass(frozen=True)
class Counts:
    """The numbers on the redline's first page."""

    words_inserted: int = 0
    words_deleted: int = 0
    sections_changed: int = 0
    sections_added: int = 0
    sections_removed: int = 0
    asks_added: int = 0
    asks_removed: int = 0
    asks_changed: int = 0
    evidence_added: int = 0
    evidence_removed: int = 0


@dataclass(frozen=True)
class Redline:
    """Everything that changed between two versions of a position; unchanged parts are left out.

    ``before`` and ``after`` name the two versions for the reader ("a1b2c3d, 2026-03-01",
    "working tree"). ``dataclasses.asdict`` turns it into JSON-ready data.
    """

    lang: str
    before: str
    after: str
    title: FieldChange | None
    subtitle: FieldChange | None
    status: FieldChange | None
    version: FieldChange | None
    summary: TextDiff | None
    sections: tuple[SectionChange, ...]
    asks: tuple[AskChange, ...]
    evidence: tuple[EvidenceChange, ...]
    counts: Counts

    @property
    def changed_fields(self) -> tuple[FieldChange, ...]:
        found = (self.title, self.subtitle, self.status, self.version)
        return tuple(change for change in found if change is not None)

    @property
    def changed(self) -> bool:
        return bool(
            self.changed_fields or self.summary or self.sections or self.asks or self.evidence
        )


def compare(
    old: Any,
    new: Any,
    old_evidence: Mapping[str, Any] | Iterable[str] | None = None,
    new_evidence: Mapping[str, Any] | Iterable[str] | None = None,
    lang: str = "en",
    *,
    before: str = "",
    after: str = "",
) -> Redline:
    """The redline from ``old`` to ``new`` (plain position data; None for a missing side).

    The evidence of each side is the set of ids it cites, or a mapping from id to a title or to
    the evidence itself (a CSL dict, or anything with a ``csl`` dict), so that added and removed
    evidence can be named; :func:`cited_ids` finds the ids of a plain position.
    """
    old_texts, new_texts = _readable(old), _readable(new)
    fields = {
        name: _field_change(name, _field(old, name), _field(new, name))
        for name in ("title", "subtitle", "status", "version")
    }
    summary = word_diff(old_texts["summary"], new_texts["summary"])
    sections = _sections(old_texts[SECTIONS], new_texts[SECTIONS])
    asks = _asks(old_texts[ASKS], new_texts[ASKS])
    evidence = _evidence_changes(_evidence(old_evidence), _evidence(new_evidence))

    # Words count in the text a reader reads; status and version label are shown on their own.
    diffs = [c.diff for c in fields.values() if c and c.field in ("title", "subtitle")]
    diffs.append(summary)
    for section in sections:
        diffs.extend(d for d in (section.title, section.body, section.quote) if d)
    diffs.extend(ask.diff for ask in asks)
    counts = Counts(
        words_inserted=sum(d.inserted for d in diffs),
        words_deleted=sum(d.deleted for d in diffs),
        sections_changed=sum(s.kind == "changed" for s in sections),
        sections_added=sum(s.kind == "added" for s in sections),
        sections_removed=sum(s.kind == "removed" for s in sections),
        asks_added=sum(a.kind == "added" for a in asks),
        asks_removed=sum(a.kind == "removed" for a in asks),
        asks_changed=sum(a.kind == "changed" for a in asks),
        evidence_added=sum(e.kind == "added" for e in evidence),
        evidence_removed=sum(e.kind == "removed" for e in evidence),
    )
    return Redline(
        lang=lang,
        before=before,
        after=after,
        title=fields["title"],
        subtitle=fields["subtitle"],
        status=fields["status"],
        version=fields["version"],
        summary=summary if summary.changed else None,
        sections=tuple(sections),
        asks=tuple(asks),
        evidence=tuple(evidence),
        counts=counts,
    )


def cited_ids(position: Any) -> set[str]:
    """Every evidence id cited in a plain position's Markdown texts (also in invalid data)."""
    return {
        ref.key
        for text in texts(_readable(position))
        if "@" in text.value
        for ref in find_citations(text.value)
    }


#: A section's texts by field, as :func:`_readable` gives them.
_Section = dict[str, str]
_EMPTY_SECTION: _Section = {name: "" for name, _md in SECTION_FIELDS}
#: The text a section stands for when it was written as a single value, not a mapping.
_SECTION_BODY = "body"


def _readable(side: Any) -> dict[str, Any]:
    """A side's texts in the shape :mod:`standpunt.workspace.texts` declares, every text a
    string ("" when absent): what an old revision wrote where a text belongs is still shown
    (see :func:`_text`), a section that is not a mapping as its body, a single ask as one."""
    side = side if isinstance(side, dict) else {}
    readable: dict[str, Any] = {name: _text(side.get(name)) for name, _md in POSITION_FIELDS}
    readable[SECTIONS] = [
        {name: _text(item.get(name)) for name, _md in SECTION_FIELDS}
        if isinstance(item, dict)
        else {**_EMPTY_SECTION, _SECTION_BODY: _text(item)}
        for item in _items(side.get(SECTIONS))
    ]
    readable[ASKS] = [_text(item) for item in _items(side.get(ASKS))]
    return readable


def _items(value: Any) -> list[Any]:
    """A list as it is, nothing as an empty list, anything else as a list of one."""
    return value if isinstance(value, list) else [] if value is None else [value]


def _text(value: Any) -> str:
    """Any value as text: invalid data (a list where text belongs) is still shown, not lost."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "\n".join(_text(item) for item in value)
    if isinstance(value, dict):
        return "\n".join(f"{key}: {_text(item)}" for key, item in value.items())
    return str(value)


def _field(side: Any, name: str) -> str | None:
    if not isinstance(side, dict):
        return None
    value = side.get(name)
    if name == "status" and value is None:
        return DEFAULT_STATUS  # as in the model: no status written means this one
    text = _text(value).strip()
    return text or None


def _field_change(name: str, old: str | None, new: str | None) -> FieldChange | None:
    diff = word_diff(old or "", new or "")
    if not diff.changed and (old is None) == (new is None):
        return None
    return FieldChange(name, old, new, diff)


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


_Item = TypeVar("_Item")


def _match(
    olds: list[_Item],
    news: list[_Item],
    key: Callable[[_Item], str],
    similarity: Callable[[_Item, _Item], float],
) -> list[tuple[int | None, int | None]]:
    """Pair old and new items in order: equal keys first, then similar neighbours.

    difflib aligns the keys; inside each stretch it could not align, an old item pairs with the
    most similar new one (keeping the order) if they are at least :data:`SIMILAR` alike.
    """
    pairs: list[tuple[int | None, int | None]] = []
    matcher = SequenceMatcher(None, [key(o) for o in olds], [key(n) for n in news], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs.extend(zip(range(i1, i2), range(j1, j2), strict=True))
            continue
        next_j = j1
        for i in range(i1, i2):
            scored = [(similarity(olds[i], news[j]), j) for j in range(next_j, j2)]
            best = max(scored, default=(0.0, -1), key=lambda item: item[0])
            if best[0] < SIMILAR:
                pairs.append((i, None))
                continue
            pairs.extend((None, j) for j in range(next_j, best[1]))
            pairs.append((i, best[1]))
            next_j = best[1] + 1
        pairs.extend((None, j) for j in range(next_j, j2))
    return pairs


def _sections(olds: list[_Section], news: list[_Section]) -> list[SectionChange]:
    def similarity(a: _Section, b: _Section) -> float:
        return max(_similarity(a["title"], b["title"]), _similarity(a["body"], b["body"]))

    changes: list[SectionChange] = []
    for i, j in _match(olds, news, lambda s: _key(s["title"]), similarity):
        a = olds[i] if i is not None else _EMPTY_SECTION
        b = news[j] if j is not None else _EMPTY_SECTION
        title, body = word_diff(a["title"], b["title"]), word_diff(a["body"], b["body"])
        quoted = a["quote"].strip() or b["quote"].strip()
        quote = word_diff(a["quote"], b["quote"]) if quoted else None
        kind: Kind = "added" if i is None else "removed" if j is None else "changed"
        if kind == "changed" and not (title.changed or body.changed or (quote and quote.changed)):
            continue
        changes.append(SectionChange(kind, _number(i), _number(j), title, body, quote))
    return changes


def _asks(olds: list[str], news: list[str]) -> list[AskChange]:
    changes: list[AskChange] = []
    for i, j in _match(olds, news, _key, _similarity):
        diff = word_diff(olds[i] if i is not None else "", news[j] if j is not None else "")
        kind: Kind = "added" if i is None else "removed" if j is None else "changed"
        if kind == "changed" and not diff.changed:
            continue
        changes.append(AskChange(kind, _number(i), _number(j), diff))
    return changes


def _number(index: int | None) -> int | None:
    return None if index is None else index + 1


def _evidence(value: Mapping[str, Any] | Iterable[str] | None) -> dict[str, str | None]:
    """Evidence ids with their titles (None when unknown)."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(key): _title(item) for key, item in value.items()}
    return {str(key): None for key in value}


def _title(item: Any) -> str | None:
    """The title of a piece of evidence given as a title, a CSL dict or an EvidenceItem."""
    csl = getattr(item, "csl", None)
    if isinstance(csl, Mapping):
        item = csl
    if isinstance(item, Mapping):
        item = item.get("title")
    return (item.strip() or None) if isinstance(item, str) else None


def _evidence_changes(
    olds: dict[str, str | None], news: dict[str, str | None]
) -> list[EvidenceChange]:
    added = [EvidenceChange("added", key, news[key]) for key in sorted(news.keys() - olds.keys())]
    removed = [
        EvidenceChange("removed", key, olds[key]) for key in sorted(olds.keys() - news.keys())
    ]
    return added + removed


# --------------------------------------------------------------------------- labels

#: The English labels; ``labels=`` overrides any of them (e.g. with a translation). Keys that
#: the position template uses too (``summary``, ``recommendations``, ``references``,
#: ``status``, ``version``, ``status_<status>``) have the same names, so the labels of
#: :func:`standpunt.i18n.labels` can be passed as they are. ``{before}``, ``{after}`` and
#: ``{number}`` are replaced where shown.
LABELS: dict[str, str] = {
    "redline_heading": "What changed",
    "redline_versions": "From {before} to {after}",
    "redline_inserted": "inserted",
    "redline_deleted": "deleted",
    "redline_no_changes": "No changes.",
    "redline_words_inserted": "Words inserted",
    "redline_words_deleted": "Words deleted",
    "redline_sections_changed": "Sections changed",
    "redline_sections_added": "Sections added",
    "redline_sections_removed": "Sections removed",
    "redline_asks_added": "Asks added",
    "redline_asks_removed": "Asks removed",
    "redline_asks_changed": "Asks changed",
    "redline_evidence_added": "Evidence added",
    "redline_evidence_removed": "Evidence removed",
    "redline_title": "Title",
    "redline_subtitle": "Subtitle",
    "redline_section": "Section {number}",
    "redline_ask": "Ask {number}",
    "redline_quote": "Quote",
    "redline_added": "added",
    "redline_removed": "removed",
    "redline_changed": "changed",
    "redline_text_unchanged": "Text unchanged.",
    "redline_none": "none",
    "summary": "Summary",
    "recommendations": "Our asks",
    "references": "Evidence",
    "status": "Status",
    "version": "Version",
}

#: Count fields with their labels, in the order the overview shows them.
_COUNT_LABELS = tuple((name, f"redline_{name}") for name in Counts.__dataclass_fields__)


def _labels(overrides: Mapping[str, str] | None) -> dict[str, str]:
    return {**LABELS, **(overrides or {})}


_PLACEHOLDER = re.compile(r"\{(before|after|number)\}")


def _fill(template: str, **values: object) -> str:
    """A label with its placeholders filled in (not str.format: labels come from users)."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group())), template)


def _field_label(change: FieldChange, labels: dict[str, str]) -> str:
    return labels.get(f"redline_{change.field}") or labels[change.field]


def _value(change: FieldChange, side: str | None, labels: dict[str, str]) -> str:
    """A field's value as shown: statuses in words when the labels name them."""
    if side is None:
        return labels["redline_none"]
    if change.field == "status":
        return labels.get(f"status_{side}", side)
    return side


# --------------------------------------------------------------------------- text renderer

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_RED, _GREEN, _BOLD, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[1m", "\x1b[m"


def _safe(text: str) -> str:
    """Text without control characters, so a position cannot send escape codes to a terminal."""
    return _CONTROL.sub("\ufffd", text)


def _text_diff(diff: TextDiff, color: bool) -> str:
    parts: list[str] = []
    for op, text in diff.segments:
        text = _safe(text)
        if op == "equal":
            parts.append(text)
            continue
        shown, after = (text, "") if text.strip() else ("¶", text if op == "insert" else "")
        mark = f"[-{shown}-]" if op == "delete" else f"{{+{shown}+}}"
        # The brackets stay with colour too: they remain legible to colour-blind readers.
        if color:
            mark = f"{_RED if op == 'delete' else _GREEN}{mark}{_RESET}"
        parts.append(mark + after)
    return "".join(parts)


def to_text(redline: Redline, color: bool = False, labels: Mapping[str, str] | None = None) -> str:
    """The redline for a terminal: ``[-deleted-]{+inserted+}``, in colour when ``color``."""
    lab = _labels(labels)

    def heading(text: str) -> str:
        return f"{_BOLD}{text}{_RESET}" if color else text

    lines = [heading(_safe(lab["redline_heading"]))]
    if redline.before or redline.after:
        text = _fill(lab["redline_versions"], before=redline.before, after=redline.after)
        lines.append(_safe(text))
    if not redline.changed:
        lines.append(_safe(lab["redline_no_changes"]))
        return "\n".join(lines) + "\n"
    for change in redline.changed_fields:
        name = _safe(_field_label(change, lab))
        if change.field in ("status", "version"):
            old = _value(change, change.old, lab)
            new = _value(change, change.new, lab)
            shown = _text_diff(
                TextDiff((("delete", old), ("equal", " → "), ("insert", new))), color
            )
        else:
            shown = _text_diff(change.diff, color)
        lines.append(f"{name}: {shown}")
    lines.append("")
    width = max(len(lab[key]) for _name, key in _COUNT_LABELS)
    for name, key in _COUNT_LABELS:
        lines.append(f"  {_safe(lab[key]).ljust(width)}  {getattr(redline.counts, name)}")

    if redline.summary:
        lines += ["", heading(_safe(lab["summary"])), _text_diff(redline.summary, color)]
    for section in redline.sections:
        number = section.number
        title = _text_diff(section.title, color)
        tag = _safe(lab[f"redline_{section.kind}"])
        name = _safe(_fill(lab["redline_section"], number=number))
        lines += ["", heading(f"{name} ({tag}): ") + title]
        if section.body_unchanged:
            lines.append(_safe(lab["redline_text_unchanged"]))
        else:
            lines.append(_text_diff(section.body, color))
        if section.quote and section.quote_shown:
            lines.append(f"{_safe(lab['redline_quote'])}: {_text_diff(section.quote, color)}")
    if redline.asks:
        lines += ["", heading(_safe(lab["recommendations"]))]
        for ask in redline.asks:
            number = ask.number
            name = _safe(_fill(lab["redline_ask"], number=number))
            tag = _safe(lab[f"redline_{ask.kind}"])
            lines.append(f"  {name} ({tag}): {_text_diff(ask.diff, color)}")
    if redline.evidence:
        lines += ["", heading(_safe(lab["references"]))]
        for item in redline.evidence:
            op: Op = "insert" if item.kind == "added" else "delete"
            mark = _text_diff(TextDiff(((op, item.id),)), color)
            title = f" — {_safe(item.title)}" if item.title else ""
            lines.append(f"  {mark}{title}")
    return "\n".join(line.rstrip() for line in lines) + "\n"


# --------------------------------------------------------------------------- HTML renderer

#: Styles for :func:`to_html`: insertions underlined, deletions struck through, each also in a
#: dark colour, so that both stay distinct when printed in greyscale.
REDLINE_CSS = """\
.redline ins { text-decoration: underline; color: #1b5e20; }
.redline del { text-decoration: line-through; color: #8b0000; }
.redline ins.redline-break, .redline del.redline-break { text-decoration: none; font-weight: bold; }
.redline del + ins { margin-left: 0.25em; }
.redline .redline-text { white-space: pre-wrap; }
.redline .redline-asks ul, .redline .redline-evidence ul { list-style: none; padding-left: 0; }
.redline .redline-overview { break-after: page; }
.redline .redline-counts { border-collapse: collapse; }
.redline .redline-counts th { text-align: left; font-weight: normal; padding: 0.1em 1.5em 0.1em 0; }
.redline .redline-counts td { text-align: right; font-variant-numeric: tabular-nums; }
.redline .redline-tag { font-size: 0.8em; text-transform: uppercase; letter-spacing: 0.05em; }
.redline .redline-unchanged { font-style: italic; }
"""


def _esc(text: str) -> str:
    """Text for HTML: escaped, and without control characters (not allowed in HTML)."""
    return html.escape(_safe(text))


def _html_diff(diff: TextDiff) -> str:
    parts: list[str] = []
    for op, text in diff.segments:
        if op == "equal":
            parts.append(_esc(text))
            continue
        tag = "ins" if op == "insert" else "del"
        if text.strip():
            parts.append(f"<{tag}>{_esc(text)}</{tag}>")
        else:  # a paragraph break made or removed: a visible mark, then the break itself
            after = _esc(text) if op == "insert" else ""
            parts.append(f'<{tag} class="redline-break">¶</{tag}>{after}')
    return "".join(parts)


def to_html(redline: Redline, labels: Mapping[str, str] | None = None) -> str:
    """The redline as an HTML fragment: one ``<section class="redline">``, all text escaped.

    First an overview (the versions compared, a legend, changed fields and the counts: the
    first page), then the summary, each changed section, the asks and the evidence.
    """
    lab = _labels(labels)
    out = [f'<section class="redline" lang="{_esc(redline.lang)}">']
    out += _html_overview(redline, lab)
    if redline.summary:
        out.append('<section class="redline-part redline-summary">')
        out.append(f"<h2>{_esc(lab['summary'])}</h2>")
        out.append(f'<div class="redline-text">{_html_diff(redline.summary)}</div>')
        out.append("</section>")
    for section in redline.sections:
        out += _html_section(section, lab)
    if redline.asks:
        out += _html_asks(redline.asks, lab)
    if redline.evidence:
        out += _html_evidence(redline.evidence, lab)
    out.append("</section>")
    return "\n".join(out) + "\n"


def _html_overview(redline: Redline, lab: dict[str, str]) -> list[str]:
    """The first page: the versions compared, a legend, the changed fields and the counts."""
    out = ['<div class="redline-overview">', f"<h1>{_esc(lab['redline_heading'])}</h1>"]
    if redline.before or redline.after:
        text = _fill(lab["redline_versions"], before=redline.before, after=redline.after)
        out.append(f'<p class="redline-versions">{_esc(text)}</p>')
    out.append(
        f'<p class="redline-legend"><ins>{_esc(lab["redline_inserted"])}</ins> '
        f"<del>{_esc(lab['redline_deleted'])}</del></p>"
    )
    if not redline.changed:
        out.append(f'<p class="redline-none">{_esc(lab["redline_no_changes"])}</p>')
    if redline.changed_fields:
        out.append('<dl class="redline-fields">')
        for change in redline.changed_fields:
            out.append(f"<dt>{_esc(_field_label(change, lab))}</dt>")
            if change.field in ("status", "version"):
                old = _esc(_value(change, change.old, lab))
                new = _esc(_value(change, change.new, lab))
                out.append(f"<dd><del>{old}</del> → <ins>{new}</ins></dd>")
            else:
                out.append(f"<dd>{_html_diff(change.diff)}</dd>")
        out.append("</dl>")
    out.append('<table class="redline-counts"><tbody>')
    for name, key in _COUNT_LABELS:
        out.append(f"<tr><th>{_esc(lab[key])}</th><td>{getattr(redline.counts, name)}</td></tr>")
    out += ["</tbody></table>", "</div>"]
    return out


def _html_section(section: SectionChange, lab: dict[str, str]) -> list[str]:
    name = _esc(_fill(lab["redline_section"], number=section.number))
    out = [
        f'<section class="redline-part redline-section redline-{section.kind}">',
        f'<h2><span class="redline-number">{name}</span> '
        f'<span class="redline-tag">{_esc(lab["redline_" + section.kind])}</span> '
        f"{_html_diff(section.title)}</h2>",
    ]
    if section.body_unchanged:
        out.append(f'<p class="redline-unchanged">{_esc(lab["redline_text_unchanged"])}</p>')
    else:
        out.append(f'<div class="redline-text">{_html_diff(section.body)}</div>')
    if section.quote and section.quote_shown:
        out.append(
            f'<blockquote class="redline-quote"><span class="redline-tag">'
            f"{_esc(lab['redline_quote'])}</span> "
            f'<span class="redline-text">{_html_diff(section.quote)}</span></blockquote>'
        )
    out.append("</section>")
    return out


def _html_asks(asks: Iterable[AskChange], lab: dict[str, str]) -> list[str]:
    out = ['<section class="redline-part redline-asks">']
    out += [f"<h2>{_esc(lab['recommendations'])}</h2>", "<ul>"]
    for ask in asks:
        name = _esc(_fill(lab["redline_ask"], number=ask.number))
        out.append(
            f'<li class="redline-{ask.kind}"><span class="redline-number">{name}</span> '
            f'<span class="redline-tag">{_esc(lab["redline_" + ask.kind])}</span> '
            f'<span class="redline-text">{_html_diff(ask.diff)}</span></li>'
        )
    out += ["</ul>", "</section>"]
    return out


def _html_evidence(evidence: Iterable[EvidenceChange], lab: dict[str, str]) -> list[str]:
    out = ['<section class="redline-part redline-evidence">']
    out += [f"<h2>{_esc(lab['references'])}</h2>", "<ul>"]
    for item in evidence:
        tag = "ins" if item.kind == "added" else "del"
        title = f" — {_esc(item.title)}" if item.title else ""
        out.append(
            f'<li class="redline-{item.kind}">'
            f'<span class="redline-tag">{_esc(lab["redline_" + item.kind])}</span> '
            f"<{tag}>{_esc(item.id)}</{tag}>{title}</li>"
        )
    out += ["</ul>", "</section>"]
    return out
