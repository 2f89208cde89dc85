"""What changed between two versions of a position: a redline as plain data, text and a view.

:func:`compare` takes two versions as plain data (``to_plain(parse_yaml(...))``; a field may be
missing, of the wrong type or the whole side None, as old revisions need not be valid) and
returns a :class:`Redline`. Text is compared token by token (:mod:`standpunt.versions.tokens`):
the words, numbers and citations a reader sees, not the whitespace between them, so re-wrapping
a paragraph in the YAML changes nothing while a new paragraph break is shown as ``¶``. Given the
HTML citeproc made of each side's Markdown (``rendered``), the rendered text is compared: what
the position's PDF shows, emphasis as emphasis and each formatted citation as one token.
Without it the Markdown is compared as written. The comparison's work is linear in the text; a
text rewritten beyond its budget is compared by paragraphs, and the redline says so.

:func:`to_text` renders a redline for the terminal (``[-deleted-]{+inserted+}`` as in
``git diff --word-diff``); :func:`view` makes it the plain data the redline template receives.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from markupsafe import Markup

from standpunt.choices import DEFAULT_STATUS
from standpunt.cite.finder import find_citations
from standpunt.i18n import labels as catalogue
from standpunt.versions.tokens import (
    Op,
    Token,
    Work,
    budget,
    diff,
    diff_keys,
    html_tokens,
    plain_tokens,
    similarity,
    stretches,
)
from standpunt.workspace.texts import (
    ASKS,
    POSITION_FIELDS,
    SECTION_FIELDS,
    SECTIONS,
    ask_key,
    section_key,
    texts,
)

__all__ = [
    "AskChange",
    "Block",
    "Counts",
    "EvidenceChange",
    "FieldChange",
    "Redline",
    "Rendered",
    "SectionChange",
    "TextDiff",
    "cited_ids",
    "compare",
    "to_text",
    "view",
    "word_diff",
]

Kind = Literal["added", "removed", "changed"]

#: Pairs of unmatched sections or asks at least this similar (0–1, by their words) count as
#: one changed item; less similar ones are shown as removed and added.
SIMILAR = 0.4


# --------------------------------------------------------------------------- word diff


@dataclass(frozen=True)
class Rendered:
    """A Markdown text with the HTML citeproc made of it (what the position's PDF shows)."""

    source: str
    html: str


#: A text to compare: as written, or rendered.
Text = str | Rendered


def _tokens(text: Text) -> list[Token]:
    return html_tokens(text.html) if isinstance(text, Rendered) else plain_tokens(text)


def _join(tokens: list[Token], shown: Callable[[Token], str]) -> str:
    """The tokens as shown, without the whitespace after the last one (it goes outside)."""
    parts = [shown(t) + t.ws for t in tokens]
    if parts and not tokens[-1].is_break:
        parts[-1] = shown(tokens[-1])
    return "".join(parts)


def _plain(token: Token) -> str:
    return token.text


def _html(token: Token) -> str:
    return token.html


@dataclass(frozen=True)
class Block:
    """A paragraph (or list item, heading, quote) as the redline shows it: ``kind`` is "p",
    "li", "h" or "quote"; ``segments`` are (op, HTML) with the changes marked by op."""

    kind: str
    segments: tuple[tuple[Op, str], ...]


@dataclass(frozen=True)
class TextDiff:
    """A token-level diff: the new text in ``segments`` of ("equal"|"insert"|"delete", text),
    and in ``blocks`` of HTML by paragraph.

    Whitespace stays in the equal segments, so joining all segments reads naturally;
    ``inserted`` and ``deleted`` count words (a number or citation is one; punctuation none).
    ``coarse`` says the texts differed too much to be compared word by word everywhere: some
    changed paragraphs are shown whole.
    """

    segments: tuple[tuple[Op, str], ...]
    inserted: int = 0
    deleted: int = 0
    blocks: tuple[Block, ...] = ()
    coarse: bool = False

    @property
    def changed(self) -> bool:
        return any(op != "equal" for op, _text in self.segments)


def word_diff(old: Text, new: Text, work: Work | None = None) -> TextDiff:
    """Compare two texts token by token: one changed word (or number, or citation) gives one
    deletion and one insertion."""
    work = work if work is not None else Work()
    a, b = _tokens(old), _tokens(new)
    work.spend(len(a) + len(b))
    compared = diff(a, b, work)
    source = new.source if isinstance(new, Rendered) else new
    lead = source[: len(source) - len(source.lstrip())] if not isinstance(new, Rendered) else ""
    segments: list[tuple[Op, str]] = [("equal", lead)]
    steps: list[tuple[Op, Token]] = []
    inserted = deleted = 0
    for tag, i1, i2, j1, j2 in stretches(compared.codes):
        if tag == "equal":
            segments.append(("equal", "".join(t.text + t.ws for t in b[j1:j2])))
            steps += [("equal", t) for t in b[j1:j2]]
            continue
        olds, news = a[i1:i2], b[j1:j2]
        # A change right after a word the new text joins without a space (e.g. the last words
        # deleted) still needs the old separator, or the deletion would stick to that word.
        if j1 > 0 and i1 > 0 and not b[j1 - 1].ws and a[i1 - 1].ws:
            segments.append(("equal", a[i1 - 1].ws))
        segments.append(("delete", _join(olds, _plain)))
        segments.append(("insert", _join(news, _plain)))
        last = news[-1] if news else olds[-1]
        segments.append(("equal", last.ws if not last.is_break else ""))
        steps += [("delete", t) for t in olds] + [("insert", t) for t in news]
        inserted += sum(t.is_word for t in news)
        deleted += sum(t.is_word for t in olds)
    return TextDiff(_merge(segments), inserted, deleted, _blocks(steps, old, new), compared.coarse)


def _merge(segments: Iterable[tuple[Op, str]]) -> tuple[tuple[Op, str], ...]:
    out: list[tuple[Op, str]] = []
    for op, text in segments:
        if not text:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return tuple(out)


def _blocks(steps: list[tuple[Op, Token]], old: Text, new: Text) -> tuple[Block, ...]:
    """The diff by paragraph, as HTML: every break (kept, made or removed) starts a block; a
    break made or removed within kept text is marked with a ``¶`` of its own."""
    blocks: list[Block] = []
    kind = "quote" if _starts_quote(new) or _starts_quote(old) else "p"
    current: list[tuple[Op, str]] = []
    previous: Op | None = None
    for index, (op, token) in enumerate(steps):
        if token.is_break:
            after = steps[index + 1][0] if index + 1 < len(steps) else None
            if op != "equal" and previous == "equal" and after == "equal":
                current.append((op, "¶"))
            if current:
                blocks.append(Block(kind, _merge(current)))
            kind, current, previous = token.block, [], op
            continue
        current.append((op, token.html))
        if token.ws:
            space: Op = op if index + 1 < len(steps) and steps[index + 1][0] == op else "equal"
            current.append((space, " "))
        previous = op
    if current:
        blocks.append(Block(kind, _merge(current)))
    return tuple(blocks)


def _starts_quote(text: Text) -> bool:
    return isinstance(text, Rendered) and text.html.lstrip().startswith("<blockquote")


def _similarity(a: list[Token], b: list[Token], work: Work) -> float:
    return similarity([t for t in a if not t.is_break], [t for t in b if not t.is_break], work)


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

    ``before`` and ``after`` name the two versions for the reader ("Versie 1.0 — 12 maart
    2026"). ``work`` is the steps the comparison took (linear in the text); ``coarse`` is True
    when some text differed too much to be compared word by word and is shown by paragraphs.
    ``dataclasses.asdict`` turns it into JSON-ready data.
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
    work: int = 0
    coarse: bool = False

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
    rendered: tuple[Mapping[str, str], Mapping[str, str]] | None = None,
) -> Redline:
    """The redline from ``old`` to ``new`` (plain position data; None for a missing side).

    The evidence of each side is the set of ids it cites, or a mapping from id to a title or to
    the evidence itself (a CSL dict, or anything with a ``csl`` dict), so that added and removed
    evidence can be named; :func:`cited_ids` finds the ids of a plain position. ``rendered``
    holds each side's Markdown texts as citeproc formatted them, as HTML by text key
    (``summary``, ``sections.2.body``, ``recommendations.1``): then the rendered texts are
    compared, not their Markdown.
    """
    work = Work()
    olds, news = rendered or ({}, {})
    old_texts, new_texts = _readable(old, olds), _readable(new, news)
    fields = {
        name: _field_change(name, _field(old, name), _field(new, name), work)
        for name in ("title", "subtitle", "status", "version")
    }
    summary = word_diff(old_texts["summary"], new_texts["summary"], work)
    sections = _sections(old_texts[SECTIONS], new_texts[SECTIONS], work)
    asks = _asks(old_texts[ASKS], new_texts[ASKS], work)
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
        work=work.steps,
        coarse=any(d.coarse for d in diffs),
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
_Section = dict[str, Text]
_EMPTY_SECTION: _Section = {name: "" for name, _md in SECTION_FIELDS}
#: The text a section stands for when it was written as a single value, not a mapping.
_SECTION_BODY = "body"


def _readable(side: Any, rendered: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A side's texts in the shape :mod:`standpunt.workspace.texts` declares, every text a
    string ("" when absent): what an old revision wrote where a text belongs is still shown
    (see :func:`_text`), a section that is not a mapping as its body, a single ask as one.
    A Markdown text that ``rendered`` holds by its key is a :class:`Rendered` text."""
    shown = rendered or {}

    def text(value: Any, key: str) -> Text:
        plain = _text(value)
        html = shown.get(key)
        return Rendered(plain, html) if isinstance(value, str) and html is not None else plain

    side = side if isinstance(side, dict) else {}
    readable: dict[str, Any] = {
        name: text(side.get(name), name) if markdown else _text(side.get(name))
        for name, markdown in POSITION_FIELDS
    }
    readable[SECTIONS] = [
        {
            name: text(item.get(name), section_key(number, name))
            if markdown
            else _text(item.get(name))
            for name, markdown in SECTION_FIELDS
        }
        if isinstance(item, dict)
        else {**_EMPTY_SECTION, _SECTION_BODY: text(item, section_key(number, _SECTION_BODY))}
        for number, item in enumerate(_items(side.get(SECTIONS)), 1)
    ]
    readable[ASKS] = [
        text(item, ask_key(number)) for number, item in enumerate(_items(side.get(ASKS)), 1)
    ]
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


def _source(text: Text) -> str:
    return text.source if isinstance(text, Rendered) else text


def _field(side: Any, name: str) -> str | None:
    if not isinstance(side, dict):
        return None
    value = side.get(name)
    if name == "status" and value is None:
        return DEFAULT_STATUS  # as in the model: no status written means this one
    text = _text(value).strip()
    return text or None


def _field_change(name: str, old: str | None, new: str | None, work: Work) -> FieldChange | None:
    diff = word_diff(old or "", new or "", work)
    if not diff.changed and (old is None) == (new is None):
        return None
    return FieldChange(name, old, new, diff)


def _key(text: Text) -> str:
    return " ".join(_source(text).split()).casefold()


_Item = TypeVar("_Item")


def _match(
    olds: list[_Item],
    news: list[_Item],
    key: Callable[[_Item], str],
    words: Callable[[_Item], list[Token]],
    work: Work,
) -> list[tuple[int | None, int | None]]:
    """Pair old and new items in order: equal keys first, then similar neighbours.

    The keys are aligned (:func:`~standpunt.versions.tokens.diff_keys`, bounded); inside each
    stretch not aligned, an old item pairs with the most similar new one (keeping the order) if
    they are at least :data:`SIMILAR` alike. Similarity is tried within a budget linear in the
    items' words; past it, the rest of a stretch is shown as removed and added.
    """
    pairs: list[tuple[int | None, int | None]] = []
    keys_a, keys_b = [key(o) for o in olds], [key(n) for n in news]
    size = len(olds) + len(news)
    codes = diff_keys(keys_a, keys_b, work, budget(size))
    if codes is None:
        codes = [("delete", 0, len(olds), 0, 0), ("insert", 0, 0, 0, len(news))]
    old_words = [words(o) for o in olds]
    new_words = [words(n) for n in news]
    limit = work.steps + budget(sum(map(len, old_words)) + sum(map(len, new_words)))
    for tag, i1, i2, j1, j2 in stretches(codes):
        if tag == "equal":
            pairs.extend(zip(range(i1, i2), range(j1, j2), strict=True))
            continue
        next_j = j1
        for i in range(i1, i2):
            scored: list[tuple[float, int]] = []
            for j in range(next_j, j2):
                if work.steps >= limit:  # past the budget: no more pairs are tried
                    break
                scored.append((_similarity(old_words[i], new_words[j], work), j))
            best = max(scored, default=(0.0, -1), key=lambda item: item[0])
            if best[0] < SIMILAR:
                pairs.append((i, None))
                continue
            pairs.extend((None, j) for j in range(next_j, best[1]))
            pairs.append((i, best[1]))
            next_j = best[1] + 1
        pairs.extend((None, j) for j in range(next_j, j2))
    return pairs


def _sections(olds: list[_Section], news: list[_Section], work: Work) -> list[SectionChange]:
    def words(section: _Section) -> list[Token]:
        return _tokens(section["title"]) + _tokens(section["body"])

    changes: list[SectionChange] = []
    for i, j in _match(olds, news, lambda s: _key(s["title"]), words, work):
        a = olds[i] if i is not None else _EMPTY_SECTION
        b = news[j] if j is not None else _EMPTY_SECTION
        title = word_diff(a["title"], b["title"], work)
        body = word_diff(a["body"], b["body"], work)
        quoted = _source(a["quote"]).strip() or _source(b["quote"]).strip()
        quote = word_diff(a["quote"], b["quote"], work) if quoted else None
        kind: Kind = "added" if i is None else "removed" if j is None else "changed"
        if kind == "changed" and not (title.changed or body.changed or (quote and quote.changed)):
            continue
        changes.append(SectionChange(kind, _number(i), _number(j), title, body, quote))
    return changes


def _asks(olds: list[Text], news: list[Text], work: Work) -> list[AskChange]:
    changes: list[AskChange] = []
    for i, j in _match(olds, news, _key, _tokens, work):
        diff = word_diff(olds[i] if i is not None else "", news[j] if j is not None else "", work)
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

#: Count fields with their labels, in the order the overview shows them.
_COUNT_LABELS = tuple((name, f"redline_{name}") for name in Counts.__dataclass_fields__)


def _labels(lang: str, overrides: Mapping[str, str] | None) -> dict[str, str]:
    """The labels of :mod:`standpunt.i18n` in ``lang``, with ``overrides`` on top (e.g. a
    workspace's own)."""
    return {**catalogue(lang), **(overrides or {})}


_PLACEHOLDER = re.compile(r"\{(before|after|number|label)\}")


def fill(template: str, **values: object) -> str:
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
    lab = _labels(redline.lang, labels)

    def heading(text: str) -> str:
        return f"{_BOLD}{text}{_RESET}" if color else text

    lines = [heading(_safe(lab["redline_heading"]))]
    if redline.before or redline.after:
        text = fill(lab["redline_versions"], before=redline.before, after=redline.after)
        lines.append(_safe(text))
    if not redline.changed:
        lines.append(_safe(lab["redline_no_changes"]))
        return "\n".join(lines) + "\n"
    if redline.coarse:
        lines.append(_safe(lab["redline_coarse"]))
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
        name = _safe(fill(lab["redline_section"], number=number))
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
            name = _safe(fill(lab["redline_ask"], number=number))
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


# --------------------------------------------------------------------------- the view


def view(redline: Redline, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The redline as the plain data its template receives (``redline.html``; documented in
    the README): every label already in the position's language, every text as blocks of
    (op, HTML) segments, the HTML escaped and holding only emphasis and formatted citations."""
    lab = _labels(redline.lang, labels)
    return {
        "lang": redline.lang,
        "labels": lab,
        "before": redline.before,
        "after": redline.after,
        "changed": redline.changed,
        "coarse": redline.coarse,
        "fields": [_field_view(change, lab) for change in redline.changed_fields],
        "counts": [
            {"label": lab[key], "value": getattr(redline.counts, name)}
            for name, key in _COUNT_LABELS
        ],
        "summary": _diff_view(redline.summary) if redline.summary else None,
        "sections": [_section_view(section, lab) for section in redline.sections],
        "asks": [
            {
                "name": fill(lab["redline_ask"], number=ask.number),
                "kind": ask.kind,
                "tag": lab[f"redline_{ask.kind}"],
                "text": _diff_view(ask.diff),
            }
            for ask in redline.asks
        ],
        "evidence": [
            {
                "kind": item.kind,
                "op": "insert" if item.kind == "added" else "delete",
                "tag": lab[f"redline_{item.kind}"],
                "id": item.id,
                "title": item.title,
            }
            for item in redline.evidence
        ],
    }


def _diff_view(diff: TextDiff) -> list[dict[str, Any]]:
    """A text's blocks: each one's kind and its (op, HTML) segments, the HTML marked safe (it is
    escaped text and the emphasis :func:`~standpunt.versions.tokens.html_tokens` keeps)."""
    return [
        {
            "kind": block.kind,
            "changed": any(op != "equal" for op, _html in block.segments),
            "segments": [{"op": op, "html": Markup(html)} for op, html in block.segments],
        }
        for block in diff.blocks
    ]


def _field_view(change: FieldChange, lab: dict[str, str]) -> dict[str, Any]:
    whole = change.field in ("status", "version")
    return {
        "field": change.field,
        "label": _field_label(change, lab),
        "old": _value(change, change.old, lab) if whole else None,
        "new": _value(change, change.new, lab) if whole else None,
        "text": None if whole else _diff_view(change.diff),
    }


def _section_view(section: SectionChange, lab: dict[str, str]) -> dict[str, Any]:
    return {
        "name": fill(lab["redline_section"], number=section.number),
        "kind": section.kind,
        "tag": lab[f"redline_{section.kind}"],
        "title": _diff_view(section.title),
        "unchanged": section.body_unchanged,
        "body": _diff_view(section.body),
        "quote": _diff_view(section.quote) if section.quote and section.quote_shown else None,
    }
