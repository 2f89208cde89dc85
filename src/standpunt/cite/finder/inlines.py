"""The inline rules and the loop that runs them: where citations and note references are found.

Our own markdown-it inline rules (``rule(state, silent) -> bool``), driven by a loop
(:func:`_scan`) that jumps from one character that may start a rule to the next and makes no
text tokens. They follow pandoc's parser: citations ``[@a]``, ``@a``, ``-@a``, ``@a [p. 3]``
(parsed by :mod:`.citations`); links, spans, images, inline notes ``^[..]``, sub- and
superscripts, whose text is read again with the same rules; note references ``[^1]``; and the
rules of :mod:`.raw`, :mod:`.angle_brackets` and :mod:`.emphasis`. :func:`read_inlines` is the
core rule that runs them over every paragraph, heading and table cell that may cite.

What is found goes to each source's :class:`~.reading.Context` and from there to the inline
token's ``meta["pandoc"]``, for :mod:`.results`.
"""

from __future__ import annotations

import re
from itertools import pairwise

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType

from standpunt.cite.finder.angle_brackets import rule_angle
from standpunt.cite.finder.citations import bareloc, cite_key, normal_cite
from standpunt.cite.finder.emphasis import rule_emphasis
from standpunt.cite.finder.keys import LABEL_RE
from standpunt.cite.finder.links import balanced_end, continuation, note_label
from standpunt.cite.finder.raw import rule_code, rule_escape, rule_math
from standpunt.cite.finder.reading import (
    MAX_DEPTH,
    NESTING,
    Context,
    Found,
    ParsedCitation,
    Rule,
    TooDeep,
    chain_list,
    context_of,
)
from standpunt.cite.finder.scanning import escaped, spnl


def _push_cites(state: StateInline, cites: list[ParsedCitation]) -> None:
    """Emit one token for ``cites`` and tokenize their prefixes and suffixes."""
    context_of(state).found.append(cites)
    for cite in cites:
        for part in (cite.prefix, cite.suffix):
            if part and _SPECIAL.search(state.src, part[0], part[1]):
                _tokenize(state, part[0], part[1], fresh=False)


def _tokenize(state: StateInline, start: int, stop: int, fresh: bool = True) -> None:
    """Parse ``src[start:stop]`` as inlines into the current token stream.

    ``fresh`` parses it as pandoc's ``parseFromString`` does (link labels, notes): as its own
    text, so emphasis opened outside cannot close inside.
    """
    context = context_of(state)
    old_pos, old_max, old_emph = state.pos, state.posMax, context.emphasis
    if fresh:
        context.emphasis = []
    try:
        _scan(state, start, stop)
    finally:
        state.pos, state.posMax = old_pos, old_max
        context.emphasis = old_emph


def _rule_cite(state: StateInline, silent: bool, brackets: bool = True) -> bool:
    """``@key``, ``-@key``, ``@key [p. 3]`` and ``@key [@other]``; else pandoc's ``@label``.

    Without ``brackets``, a bracket after the key is not tried (see TooDeep).
    """
    pos, src, end = state.pos, state.src, state.posMax
    c = src[pos]
    if c == "-":
        if pos + 1 >= end or src[pos + 1] != "@":
            return False
        start = pos
        while start > 0 and src[start - 1] == "-":
            start -= 1
        if escaped(src, start):
            start += 1
        if (pos - start + 1) % 3 != 1:
            return False
    elif c != "@":
        return False
    found = cite_key(state, pos)
    if found is None:
        if c == "-":
            return False
        # pandoc's exampleRef: '@' plus a label, kept as text
        m = LABEL_RE.match(src, pos + 1, end)
        stop = m.end() if m else pos + 1
        context_of(state).key_ends.add(stop)
        state.pos = stop
        return True
    suppress, key, at, key_end = found
    context_of(state).key_ends.add(key_end)
    stop = key_end
    normal = bare = None
    i = spnl(src, key_end, end) if brackets else None
    if i is not None and i < end and src[i] == "[":
        normal = normal_cite(state, i)
        if normal is not None:
            stop = normal[1]
        else:
            bare = bareloc(state, i)
            if bare is not None:
                stop = bare[2]
    if not silent:
        first = ParsedCitation(key, at, True, suppress)
        cites = [first]
        if normal is not None:
            cites.extend(normal[0])
        elif bare is not None:
            first.suffix = bare[0]
            cites.extend(chain_list(bare[1]))
        first.plain = stop == key_end
        _push_cites(state, cites)
    state.pos = stop
    return True


def _rule_bracket(state: StateInline, silent: bool) -> bool:
    """``[`` : note reference, link/span, citation, or reference/shortcut link."""
    pos, src, end = state.pos, state.src, state.posMax
    if src[pos] != "[":
        return False
    label = note_label(src, pos, end) if src.startswith("[^", pos) else None
    if label is not None:
        if not silent:
            context_of(state).found.append(label)
        state.pos = pos + len(label) + 3
        return True
    note_like = src.startswith("[^", pos)
    close = None if note_like else balanced_end(src, pos, end)
    if close is not None:
        cont = continuation(src, close + 1, end)
        if cont is not None:
            if not silent:
                _tokenize(state, pos + 1, close)
            state.pos = close + 1 if cont[0] == "label" else cont[1]
            return True
    normal = normal_cite(state, pos)
    if normal is not None:
        if not silent:
            _push_cites(state, normal[0])
        state.pos = normal[1]
        return True
    if close is not None:
        if not silent:
            _tokenize(state, pos + 1, close)
        state.pos = close + 1
        return True
    return False


def _rule_image(state: StateInline, silent: bool) -> bool:
    """``![alt](src)``: the alt text is parsed, the destination is not."""
    pos, src, end = state.pos, state.src, state.posMax
    if not src.startswith("![", pos) or src.startswith("![^", pos):
        return False
    close = balanced_end(src, pos + 1, end)
    if close is None or close + 1 >= end or src[close + 1] != "(":
        return False
    cont = continuation(src, close + 1, end)
    if cont is None:
        return False
    if not silent:
        _tokenize(state, pos + 2, close)
    state.pos = cont[1]
    return True


def _rule_script(state: StateInline, silent: bool) -> bool:
    """pandoc ``^superscript^`` and ``~subscript~``: text up to the next marker, no spaces,
    parsed on its own (so ``~k_@c~d`` cites ``c``)."""
    pos, src, end = state.pos, state.src, state.posMax
    c = src[pos]
    if c == "~" and (src.startswith("~~", pos) or (pos > 0 and src[pos - 1] == "~")):
        return False  # strikeout: its content is parsed in place
    j = pos + 1
    while j < end and src[j] != c and src[j] not in " \t\n":
        j += 1
    if j == pos + 1 or j >= end or src[j] != c:
        return False
    if not silent:
        _tokenize(state, pos + 1, j)
    state.pos = j + 1
    return True


def _rule_inline_note(state: StateInline, silent: bool) -> bool:
    """``^[inline note]``."""
    pos, src, end = state.pos, state.src, state.posMax
    if not src.startswith("^[", pos):
        return False
    close = balanced_end(src, pos + 1, end)
    if close is None or continuation(src, close + 1, end) is not None:
        return False  # (pandoc 3.9: then '^' is text and the bracket a link or span)
    if not silent:
        _tokenize(state, pos + 2, close)
    state.pos = close + 1
    return True


def _rule_caret(state: StateInline, silent: bool) -> bool:
    """``^``: a superscript, else an inline note (pandoc's order)."""
    return _rule_script(state, silent) or _rule_inline_note(state, silent)


#: The inline rules by the character they start at. Plain text needs no rule: we produce no
#: text tokens, only the tokens for citations and note references.
_RULES: dict[str, Rule] = {
    "\\": rule_escape,
    "`": rule_code,
    "$": rule_math,
    "[": _rule_bracket,
    "!": _rule_image,
    "^": _rule_caret,
    "~": _rule_script,
    "@": _rule_cite,
    "-": _rule_cite,
    "*": rule_emphasis,
    "_": rule_emphasis,
    "<": rule_angle,
}
_SPECIAL = re.compile(r"[\\`$\[!^~@*_<]|-(?=@)")
#: The same, but for the rules that nest: only ``@`` and ``-@``.
_SPECIAL_DEEP = re.compile(r"[\\`$@*_<]|-(?=@)")
#: For skipping one inline while scanning ahead: emphasis is left out (one char at a time).
_SKIP_RULES = {c: rule for c, rule in _RULES.items() if c not in "*_"}


def inline_state(
    src: str, md: MarkdownIt, env: EnvType, tokens: list[Token], found: Found
) -> StateInline:
    """A markdown-it state for reading the inline source ``src`` with these rules; what they
    find goes to ``found``."""
    state = StateInline(src, md, env, tokens)
    state.pandoc_context = Context(src, found, _SKIP_RULES)  # type: ignore[attr-defined]
    return state


def _scan(state: StateInline, start: int, stop: int) -> None:
    """Run the inline rules over ``src[start:stop]``, jumping from one special char to the next.

    This is markdown-it's inline tokenizer loop without the text rule: the rules are
    markdown-it inline rules (``rule(state, silent) -> bool``). A rule that would nest too
    deep reads as text, an ``@key`` as a plain citation (see TooDeep).
    """
    src = state.src
    state.posMax = stop
    context = context_of(state)
    known = context.known
    depth = context.depth
    # as deep as rules may go (or out of budget): brackets and the like are text
    deep = depth >= MAX_DEPTH - 1 or known.budget < 0
    search = (_SPECIAL_DEEP if deep else _SPECIAL).search
    pos = start
    while pos < stop:
        m = search(src, pos, stop)
        if m is None:
            break
        pos = m.start()
        state.pos = pos
        c = src[pos]
        if c not in NESTING:
            matched = _RULES[c](state, False)
        elif deep:
            matched = _rule_cite(state, False, brackets=False)
        else:
            context.depth = depth + 1
            try:
                matched = _RULES[c](state, False)
            except TooDeep:
                state.pos, state.posMax = pos, stop
                matched = _rule_cite(state, False, brackets=False)
            finally:
                context.depth = depth
            if known.budget < 0:
                deep = True
                search = _SPECIAL_DEEP.search
        pos = state.pos if matched else pos + 1
    state.pos = stop


def read_inlines(state: StateCore) -> None:
    """Parse inline content, but only where a citation or a note reference can be.

    What is found goes to the inline token's ``meta["pandoc"]``: lists of citations and
    labels of note references, in order. No other inline tokens are made.
    """
    md, env = state.md, state.env
    for token in state.tokens:
        if token.type != "inline":
            continue
        token.children = []
        content = token.content
        if "@" not in content and "[^" not in content:
            continue
        found: Found = []
        segments = (token.meta or {}).get("segments") or [0]
        starts = [0]
        for line in content.split("\n"):
            starts.append(starts[-1] + len(line) + 1)
        bounds = [starts[n] for n in segments if n < len(starts) - 1] + [len(content) + 1]
        for start, stop in pairwise(bounds):
            _scan(inline_state(content, md, env, token.children, found), start, stop - 1)
        if found:
            token.meta = {**(token.meta or {}), "pandoc": found}
