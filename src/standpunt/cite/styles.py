"""A CSL style as pandoc reads it: checked once, and made ready for a position's language.

**Checked.** :func:`check_style` reads the file as XML (bounded, no DOCTYPE, a ``<style>``, not a
dependent style, whose parent pandoc would fetch over the network) and then lets pandoc itself
read it once, on an empty document, so ``check`` refuses exactly what ``build`` would. The
verdict is kept by the file's hash.

**Made ready.** pandoc's citeproc knows only the CSL locale of the position's language, so
:func:`prepare_style` gives it a copy of the style with one ``<locale>`` added: our own terms
(:data:`standpunt.cite.terms.OWN_TERMS`) where the locale lacks them or holds the English text,
and the en dash as page-range delimiter. The added locale has no language and comes after the
style's own locales, so a term the style defines always wins (citeproc looks in the style's
locales in document order, then in the locale file). Which terms the locale file holds, pandoc
tells: a small probe style that prints the terms runs once per language. A second probe, with
the prepared style's locales, gives the labels citeproc will read as locators, so that
``locators.lua`` rewrites only labels the locale does not know, into ones it does.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import re
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from standpunt.cite.terms import (
    FALLBACK,
    FORMS,
    LOCATOR_LABELS,
    LOCATOR_TERMS,
    OWN_TERMS,
    PAGE_RANGE_DELIMITER,
    STATUS_TERMS,
    STATUS_WORDS,
    Text,
)
from standpunt.cite.warm import WarmCiter
from standpunt.errors import Location, StandpuntError
from standpunt.pandoc import MARKDOWN_FORMAT, run_pandoc

CSL_NAMESPACE = "http://purl.org/net/xbiblio/csl"
#: The largest style file read; the largest style in the CSL repository is under 300 kB.
MAX_STYLE_BYTES = 4 * 1024 * 1024

#: The deepest nesting of elements read; the styles of the CSL repository nest 19 deep at most.
MAX_STYLE_DEPTH = 100

#: A term as the probe asks for it: name, form, plural.
TermKey = tuple[str, str, bool]


@dataclass(frozen=True)
class PreparedStyle:
    """A style made ready for one language.

    ``csl`` is the style file pandoc reads; ``locators`` maps each label we recognise that the
    locale does not know (lower case) to a label it knows for the same locator; ``statuses``
    maps an English status term (case-folded) to the language's.
    """

    csl: bytes
    locators: dict[str, str]
    statuses: dict[str, str]
    #: Whether it is a note style (``<style class="note">``).
    note: bool = False

    def localized(self, references: list[dict[str, object]]) -> list[dict[str, object]]:
        """``references`` with a ``status`` (or literal ``issued`` date) written as an English
        status term in the language's words; everything else as it was."""
        if not self.statuses:
            return references
        return [self._localized(item) for item in references]

    def _localized(self, item: dict[str, object]) -> dict[str, object]:
        changed = dict(item)
        for field, value in item.items():
            name = field.lower()
            if name == "status" and isinstance(value, str) and _status_key(value) in self.statuses:
                changed[field] = _case_kept(self.statuses[_status_key(value)])
            elif name == "issued" and isinstance(value, dict):
                literal = value.get("literal")
                if isinstance(literal, str) and _status_key(literal) in self.statuses:
                    changed[field] = {**value, "literal": self.statuses[_status_key(literal)]}
        return changed


def _status_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def check_style(path: Path, name: str, where: Location | None) -> None:
    """Raise a ``bad-style`` :class:`StandpuntError` at ``where`` when pandoc cannot use the
    style file at ``path`` (``name`` as standpunt.yaml writes it)."""
    data = _read(path, name, where)
    _parse(data, name, where)
    verdict = _pandoc_verdict(data)
    if verdict:
        raise StandpuntError(
            f"citation style '{name}' cannot be read by pandoc: {verdict}; download the style "
            "again (e.g. from the Zotero style repository) or correct the file",
            where,
            code="bad-style",
        )


def prepare_style(
    path: Path,
    name: str,
    lang: str,
    where: Location | None = None,
    warm: WarmCiter | None = None,
) -> PreparedStyle:
    """The style at ``path`` made ready for ``lang`` (see the module's head), kept by the
    file's hash and the language; its probes run in the warm pandoc ``warm`` if given."""
    data = _read(path, name, where)
    key = (hashlib.sha256(data).hexdigest(), lang)
    with _lock:
        known = _prepared.get(key)
        busy = _preparing.setdefault(key, threading.Lock())
    if known is not None:
        return known
    with busy:  # a style asked for by several threads at once is made ready once
        with _lock:
            known = _prepared.get(key)
        return known or _prepare(data, key, name, lang, where, warm)


def _prepare(
    data: bytes,
    key: tuple[str, str],
    name: str,
    lang: str,
    where: Location | None,
    warm: WarmCiter | None,
) -> PreparedStyle:
    root = _parse(data, name, where)
    in_locale = _probe(lang, _bare_probe(), warm)
    english = _probe("en-US", _bare_probe(), warm)
    _add_locale(root, _own_terms(lang, in_locale, english))
    merged = _probe(lang, _probe_style(root), warm)
    prepared = PreparedStyle(
        _serialized(root),
        _locator_rewrites(in_locale, merged),
        _status_terms(lang, english, merged),
        note=root.get("class") == "note",
    )
    with _lock:
        if len(_prepared) >= _KEEP:
            _preparing.pop(oldest := next(iter(_prepared)), None)
            _prepared.pop(oldest)
        _prepared[key] = prepared
    return prepared


_lock = threading.Lock()
#: Prepared styles and pandoc's verdicts, by file hash: a build or a preview prepares each
#: style once per language.
_prepared: dict[tuple[str, str], PreparedStyle] = {}
_verdicts: dict[str, str] = {}
#: The styles whose verdict a thread is asking pandoc for, by file hash.
_asking: dict[str, threading.Event] = {}
_KEEP = 32
#: One lock per style and language being made ready; the verdicts the warm pandoc is asked for.
_preparing: dict[tuple[str, str], threading.Lock] = {}
_asked: dict[str, threading.Event] = {}
_reading: dict[str, threading.Lock] = {}


def start_preparing(
    path: Path, name: str, langs: list[str], where: Location | None, warm: WarmCiter
) -> threading.Thread | None:
    """Have the warm pandoc ``warm`` read the style (the verdict :func:`check_style` would ask
    a pandoc of its own for) and make it ready for each of ``langs``, on a thread of its own:
    so the build checks the workspace while pandoc works. A style that does not even read as
    a CSL style is left to :func:`check_style`, which says what is wrong with it."""
    try:
        data = _read(path, name, where)
        _parse(data, name, where)
    except StandpuntError:
        return None
    digest = hashlib.sha256(data).hexdigest()
    with _lock:
        if digest not in _verdicts:
            _asked.setdefault(digest, threading.Event())

    def prepare() -> None:
        try:
            _warm_verdict(data, digest, warm)
        finally:
            with _lock:
                asked = _asked.pop(digest, None)
            if asked is not None:
                asked.set()
        # the build asks again, and reports it then; a build over by now has stopped pandoc
        with contextlib.suppress(StandpuntError, OSError):
            for lang in langs:
                prepare_style(path, name, lang, where, warm)

    thread = threading.Thread(target=prepare, name="standpunt-style", daemon=True)
    thread.start()
    return thread


def first_citeproc(
    warm: WarmCiter, style: Path | None = None, name: str = "", lang: str | None = None
) -> None:
    """The warm pandoc's first citeproc, and what a build will most likely ask next: the style
    at ``style`` (``name`` as standpunt.yaml writes it) read and made ready for ``lang``, the
    language standpunt.yaml names; without them, the probe of English terms every style is
    made ready with (:func:`prepare_style`). pandoc's first citeproc costs several times a
    later one, so a build has this run as soon as pandoc starts (:meth:`WarmCiter.start`),
    while it still imports and reads the workspace. It is a guess, kept by the style's hash
    and the language: a position in another language has its style made ready when asked."""
    with contextlib.suppress(StandpuntError, OSError):  # asked again when needed, and reported
        if style is not None and lang:
            data = _read(style, name, None)
            _parse(data, name, None)
            _warm_verdict(data, hashlib.sha256(data).hexdigest(), warm)
            prepare_style(style, name, lang, None, warm)
        _probe("en-US", _bare_probe(), warm)


def _warm_verdict(data: bytes, digest: str, warm: WarmCiter) -> None:
    """The style read by the warm pandoc as :func:`_pandoc_verdict` has pandoc read it (an
    empty document, cited in en-US); kept when pandoc reads it without complaint. A complaint
    is not kept: the command line's own run then gives the message, word for word."""
    with _lock:
        busy = _reading.setdefault(digest, threading.Lock())
    with busy, contextlib.suppress(StandpuntError, OSError):
        with _lock:
            if digest in _verdicts:
                return
        warm.probe("", MARKDOWN_FORMAT, data.decode("utf-8-sig"), "en-US")
        with _lock:
            _verdicts[digest] = ""


def _read(path: Path, name: str, where: Location | None) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_STYLE_BYTES + 1)
    except OSError as exc:
        raise StandpuntError(
            f"citation style file '{name}' cannot be read: {exc.strerror}", where, code="bad-style"
        ) from None
    if len(data) > MAX_STYLE_BYTES:
        raise StandpuntError(
            f"citation style file '{name}' is larger than {MAX_STYLE_BYTES // 1024 // 1024} MB; "
            "a CSL style is a few hundred kB at most",
            where,
            code="bad-style",
        )
    return data


_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parse(data: bytes, name: str, where: Location | None) -> ET.Element:
    """The style's root element; a ``bad-style`` error for anything that is not a CSL style
    pandoc can read without the network."""

    def bad(problem: str) -> StandpuntError:
        return StandpuntError(f"citation style '{name}' {problem}", where, code="bad-style")

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad("is not UTF-8 text; save it as UTF-8") from None
    if _DECLARATION.search(text):  # entities only come with a DOCTYPE; no CSL style has one
        raise bad("declares a DOCTYPE or entities, which a CSL style never does; remove them")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":")[0]
        raise bad(f"is not valid XML ({reason} at line {line}, column {column + 1})") from None
    if _depth(root) > MAX_STYLE_DEPTH:
        raise bad(f"nests elements more than {MAX_STYLE_DEPTH} levels deep; no CSL style does")
    if _local(root.tag) != "style":
        raise bad(f"is not a CSL style: its outermost element is <{_local(root.tag)}>")
    parent = _independent_parent(root)
    if parent is not None:
        raise bad(
            "is a dependent style: it only names its parent style, which pandoc would fetch "
            f"over the network; write the parent's name as the style instead ({parent})"
        )
    return root


def _depth(root: ET.Element) -> int:
    """How deep elements nest under ``root``, counted without recursion."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in element)
    return deepest


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _independent_parent(root: ET.Element) -> str | None:
    for info in _children(root, "info"):
        for link in _children(info, "link"):
            if link.get("rel") == "independent-parent":
                href = link.get("href", "")
                return href.rstrip("/").rpartition("/")[2] or href
    return None


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _pandoc_verdict(data: bytes) -> str:
    """What pandoc says when it reads the style (empty when it reads it), kept by hash; asked
    once, also when another thread asks at the same time (:func:`ask_pandoc_early`)."""
    digest = hashlib.sha256(data).hexdigest()
    with _lock:
        asked = _asked.get(digest)
    if asked is not None:  # the warm pandoc is reading it (start_preparing): its verdict first
        asked.wait()
    with _lock:
        if digest in _verdicts:
            return _verdicts[digest]
        asking = _asking.get(digest)
        if asking is None:
            _asking[digest] = threading.Event()
    if asking is not None:  # another thread is asking pandoc: its answer, or ask again
        asking.wait()
        return _pandoc_verdict(data)
    try:
        with tempfile.TemporaryDirectory(prefix="standpunt-") as tmp:
            style = Path(tmp, "style.csl")
            style.write_bytes(data)
            args = ["--from", MARKDOWN_FORMAT, "--to", "plain", "--citeproc", "--csl", str(style)]
            try:
                run_pandoc([*args, "--metadata", "lang=en-US"], "")
                verdict = ""
            except StandpuntError as exc:
                verdict = _pandoc_reason(exc.message)
        with _lock:
            _verdicts[digest] = verdict
    finally:
        with _lock:
            _asking.pop(digest).set()
    return verdict


def ask_pandoc_early(path: Path) -> threading.Thread:
    """Start asking pandoc about the style at ``path`` in a thread, so that the pandoc process
    runs while the caller reads other files; :func:`check_style` then takes its answer. Join the
    thread before the process ends (its pandoc works in a temporary folder)."""

    def ask() -> None:
        with contextlib.suppress(Exception):  # a head start only: check_style asks and reports
            _pandoc_verdict(_read(path, path.name, None))

    thread = threading.Thread(target=ask, name="standpunt-style", daemon=True)
    thread.start()
    return thread


def _pandoc_reason(message: str) -> str:
    """pandoc's message, without its prefix and its exception's name."""
    reason = message.removeprefix("pandoc failed: ").strip().splitlines()[0]
    return re.sub(r"^Citeproc\w*Error:\s*", "", reason)


def _language(lang: str) -> str:
    return lang.split("-")[0].lower()


def _own_terms(
    lang: str, in_locale: dict[TermKey, str], english: dict[TermKey, str]
) -> dict[tuple[str, str], Text]:
    """Our terms the locale of ``lang`` lacks: missing, left in English, or only there through
    the fallback to another form (a "verb" form that prints the "long" one)."""
    chosen: dict[tuple[str, str], Text] = {}
    for (name, form), text in OWN_TERMS.get(_language(lang), {}).items():
        present = in_locale.get((name, form, False), "")
        lacking = (
            not present
            or present == english.get((name, form, False))
            or (form != "long" and present == in_locale.get((name, FALLBACK[form], False)))
        )
        if lacking:
            chosen[(name, form)] = text
    return chosen


def _add_locale(root: ET.Element, terms: dict[tuple[str, str], Text]) -> None:
    """Add, after the style's own locales, a locale without language holding ``terms`` and
    the page-range delimiter."""
    namespace = root.tag.partition("}")[0] + "}" if root.tag.startswith("{") else ""
    locale = ET.Element(namespace + "locale")
    holder = ET.SubElement(locale, namespace + "terms")
    delimiter = ET.SubElement(holder, namespace + "term", {"name": "page-range-delimiter"})
    delimiter.text = PAGE_RANGE_DELIMITER
    for (name, form), text in terms.items():
        attributes = {"name": name} if form == "long" else {"name": name, "form": form}
        term = ET.SubElement(holder, namespace + "term", attributes)
        if isinstance(text, str):
            term.text = text
        else:
            ET.SubElement(term, namespace + "single").text = text[0]
            ET.SubElement(term, namespace + "multiple").text = text[1]
    children = list(root)
    before = [i for i, child in enumerate(children) if _local(child.tag) in ("info", "locale")]
    root.insert(before[-1] + 1 if before else 0, locale)


def _serialized(root: ET.Element) -> bytes:
    namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else None
    try:
        text = ET.tostring(root, encoding="unicode", default_namespace=namespace)
    except ValueError:  # elements outside the style's namespace: keep their prefixes
        text = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + text).encode("utf-8")


def _queries() -> list[TermKey]:
    """Every term a probe asks for: the locator terms in the forms labels use, the status
    terms, and every term we might supply, in each form."""
    asked: dict[TermKey, None] = {}
    for term in LOCATOR_TERMS:
        for form in ("long", "short", "symbol"):
            asked[(term, form, False)] = asked[(term, form, True)] = None
    for term in STATUS_TERMS:
        asked[(term, "long", False)] = None
    for terms in OWN_TERMS.values():
        for name, _ in terms:
            for form in FORMS:
                asked[(name, form, False)] = None
    return list(asked)


QUERIES = _queries()


def _probe_layout(namespace: str) -> ET.Element:
    citation = ET.Element(namespace + "citation")
    layout = ET.SubElement(citation, namespace + "layout")
    for index, (name, form, plural) in enumerate(QUERIES):
        ET.SubElement(layout, namespace + "text", {"value": f"\u27e6{index}\u27e7"})
        attributes = {"term": name, "form": form, "plural": "true" if plural else "false"}
        ET.SubElement(layout, namespace + "text", attributes)
    return citation


@lru_cache(maxsize=1)
def _bare_probe() -> str:
    """A probe style without locales of its own: it prints the locale file's terms."""
    root = ET.Element(f"{{{CSL_NAMESPACE}}}style", {"class": "in-text", "version": "1.0"})
    info = ET.SubElement(root, f"{{{CSL_NAMESPACE}}}info")
    ET.SubElement(info, f"{{{CSL_NAMESPACE}}}id").text = "standpunt-probe"
    ET.SubElement(info, f"{{{CSL_NAMESPACE}}}title").text = "Standpunt probe"
    root.append(_probe_layout(f"{{{CSL_NAMESPACE}}}"))
    return _serialized(root).decode("utf-8")


def _probe_style(root: ET.Element) -> str:
    """The prepared style's locales with a probe layout: it prints the terms citeproc uses."""
    probe = copy.deepcopy(root)
    for child in list(probe):
        if _local(child.tag) in ("macro", "citation", "bibliography"):
            probe.remove(child)
    namespace = root.tag.partition("}")[0] + "}" if root.tag.startswith("{") else ""
    probe.append(_probe_layout(namespace))
    return _serialized(probe).decode("utf-8")


_PROBE_INPUT = "---\nreferences:\n- id: probe\n  type: book\n---\n\n[@probe]\n"
_MARK = re.compile("\u27e6(\\d+)\u27e7")


#: What each probe printed, by language and probe style.
_probes: dict[tuple[str, str], dict[TermKey, str]] = {}


#: Languages that citeproc reads in another's locale: without a locale file of their own, it
#: reads their primary dialect's. A probe in one is a probe in the other (a test has pandoc say
#: so), so an English style is made ready with one probe fewer.
SAME_LOCALE = {"en": "en-US"}


def _probe(lang: str, style: str, warm: WarmCiter | None = None) -> dict[TermKey, str]:
    """The text citeproc prints for each of :data:`QUERIES` with ``style`` in ``lang`` (by
    ``warm`` if given, else by a pandoc of its own), kept for the process."""
    lang = SAME_LOCALE.get(lang, lang)
    with _lock:
        known = _probes.get((lang, style))
    if known is not None:
        return known
    if warm is not None:
        printed = warm.probe(_PROBE_INPUT, MARKDOWN_FORMAT, style, lang)
    else:
        with tempfile.TemporaryDirectory(prefix="standpunt-") as tmp:
            path = Path(tmp, "probe.csl")
            path.write_text(style, encoding="utf-8")
            args = ["--from", MARKDOWN_FORMAT, "--to", "plain", "--wrap", "none", "--citeproc"]
            args += ["--csl", str(path), "--metadata", f"lang={lang}"]
            printed = run_pandoc(args, _PROBE_INPUT)
    parts = _MARK.split(printed.strip())
    found: dict[TermKey, str] = {}
    for index, text in zip(parts[1::2], parts[2::2], strict=True):
        # citeproc prints apostrophes curly; its locator labels keep the locale's own
        found[QUERIES[int(index)]] = text.replace("\u2019", "'")
    with _lock:
        if len(_probes) >= 64:
            _probes.pop(next(iter(_probes)))
        _probes[(lang, style)] = found
    return found


def _locator_rewrites(in_locale: dict[TermKey, str], merged: dict[TermKey, str]) -> dict[str, str]:
    """Our labels the locale does not know, each to a label it reads as the same locator."""
    known: dict[str, str] = {}
    for term in LOCATOR_TERMS:  # the first term with a label takes it, as in pandoc
        for text in _texts(term, merged, in_locale):
            known.setdefault(text.casefold(), term)
    usable = {
        term: next(
            (t for t in _texts(term, merged) if "'" not in t and known.get(t.casefold()) == term),
            "",
        )
        for term in LOCATOR_TERMS
    }
    rewrites: dict[str, str] = {}
    for label, term in LOCATOR_LABELS.items():
        # pandoc's smart typography writes "pagina's" with a curly apostrophe, which no locale
        # term has: such labels are rewritten even when the locale knows them
        if label.casefold() in known and "'" not in label:
            continue
        if usable[term]:
            rewrites[label] = usable[term]
    return rewrites


def _texts(term: str, *tables: dict[TermKey, str]) -> Iterable[str]:
    for table in tables:
        for form in ("short", "long", "symbol"):
            for plural in (False, True):
                text = table.get((term, form, plural), "").strip()
                if text:
                    yield text


def _status_terms(
    lang: str, english: dict[TermKey, str], merged: dict[TermKey, str]
) -> dict[str, str]:
    """Each status term in English (case-folded) and in ``lang``, where they differ."""
    words = STATUS_WORDS.get(_language(lang), {})
    statuses: dict[str, str] = {}
    for term in STATUS_TERMS:
        written = english.get((term, "long", False), "")
        local = words.get(term) or merged.get((term, "long", False), "")
        if written and local and _status_key(written) != _status_key(local):
            statuses[_status_key(written)] = local
    return statuses


def _case_kept(text: str) -> str:
    """``text`` with each word after the first that starts with a capital kept as written when
    a style prints the status in lower case (APA does): German "im Erscheinen", not "im
    erscheinen". citeproc reads the ``nocase`` span in a text field of CSL-JSON (not in a
    literal date, which no style changes the case of)."""
    first, *rest = text.split(" ")
    kept = (f'<span class="nocase">{word}</span>' if word[:1].isupper() else word for word in rest)
    return " ".join([first, *kept])
