"""pandoc's emphasis, followed only to know where a ``*`` or ``_`` enclosure closes.

That matters for citations in one way: the closing marker ends a string, and ``@`` right after
a string is no citation (``*a*@b``; see :func:`~.reading.after_string`). No emphasis tokens
are made.
"""

from __future__ import annotations

from markdown_it.rules_inline import StateInline

from standpunt.cite.finder.reading import after_string, context_of
from standpunt.cite.finder.scanning import SPACE_TAB


def _ender(src: str, i: int, end: int, c: str, n: int) -> bool:
    """pandoc's ``ender c n`` at ``i``: n markers, and for ``_`` no letter after them."""
    if i + n > end or src[i : i + n] != c * n:
        return False
    return c == "*" or i + n >= end or not src[i + n].isalnum()


def rule_emphasis(state: StateInline, silent: bool) -> bool:
    """Track pandoc's ``*``/``_`` enclosures, only to know where one closes.

    pandoc parses emphasis by recursive descent: an opened enclosure closes at the next
    matching marker run (for ``_`` one not followed by a letter) and a closer counts as the
    end of a string, so ``*a*@b`` is no citation. Emphasis tokens are not needed here.
    """
    if silent:
        return False
    pos, src, end = state.pos, state.src, state.posMax
    c = src[pos]
    if c not in "*_":
        return False
    context = context_of(state)
    stack = context.emphasis
    strends = context.emphasis_ends
    run_end = pos
    while run_end < end and src[run_end] == c:
        run_end += 1
    i = pos
    while i < run_end:
        top = stack[-1] if stack else None
        if top is not None and top[0] == c:
            n = top[1]
            if n == 1 and _ender(src, i, end, c, 1):
                if src.startswith(c * 2, i) and not _ender(src, i + 2, end, c, 1):
                    stack.append([c, 2])
                    i += 2
                    continue
                stack.pop()
                i += 1
                strends.add(i)
                continue
            if n == 2 and _ender(src, i, end, c, 2):
                stack.pop()
                i += 2
                strends.add(i)
                continue
            if n == 3 and _ender(src, i, end, c, 1):
                for k, rest in ((3, None), (2, 1), (1, 2)):
                    if _ender(src, i, end, c, k):
                        stack.pop()
                        if rest is not None:
                            stack.append([c, rest])
                        i += k
                        strends.add(i)
                        break
                continue
        # an opening enclosure
        if c == "_" and after_string(state, i):
            i += 1
            continue
        if run_end < end and src[run_end] in SPACE_TAB:
            break
        if run_end - i <= 3:
            stack.append([c, run_end - i])
        break
    state.pos = run_end
    return True
