"""What pandoc keeps raw: code spans, ``$`` math and escapes, where no citation can be.

Where each ends, and their inline rules. :func:`skip_raw` is how every lookahead that
balances brackets or splits table cells (:mod:`.links`, :mod:`.blocks`) steps over them, so
that they all skip the same way.
"""

from __future__ import annotations

import bisect

from markdown_it.rules_inline import StateInline

from standpunt.cite.finder.attributes import attributes_end
from standpunt.cite.finder.lookahead import BACKTICKS, known_about
from standpunt.cite.finder.scanning import SPACE_TAB


def code_end(src: str, pos: int, end: int) -> int | None:
    """End of the pandoc code span opening at ``pos`` (with its attributes), or None.

    The closer is the next backtick run just as long as the opener (runs cut off at ``end``
    count as cut). The usual code span closes soon, so the next few hundred characters are
    read first; past them, the closer is looked up among the text's runs, so that the text is
    not read again for every backtick given back (see code_skip).
    """
    if pos >= end or src[pos] != "`":
        return None
    run_end = BACKTICKS.match(src, pos, end).end()  # type: ignore[union-attr]
    if run_end >= end:
        return None  # the opener reaches the end: nothing can close it
    n = run_end - pos
    close = None
    limit = min(end, run_end + 256)
    i = run_end
    while True:
        k = src.find("`", i, limit)
        if k < 0:
            if limit == end:
                return None
            break  # not decided within the window
        j = k + 1
        while j < limit and src[j] == "`":
            j += 1
        if j == limit < end:
            break  # the run may go on past the window
        if j - k == n:
            close = k
            break
        i = j
    if close is None:
        close = known_about(src).backtick_runs().closer(run_end, n, end)
        if close is None:
            return None
    j = close + n
    if j < end and src[j] == "{":
        attr_end = attributes_end(src, j, end)
        if attr_end is not None:
            return attr_end
    return j


def code_skip(src: str, pos: int, end: int) -> int:
    """Where to go on after the backtick run at ``pos`` found no closer: pandoc gives back
    one backtick and tries again from the next, so this is the first later position in the
    run whose (shorter) run does have a closer, or else the end of the run."""
    runs = known_about(src).backtick_runs()
    run_end = min(runs.run_end(pos), end)
    longest = run_end - pos - 1  # the longest opener still to try
    if longest <= 0 or run_end >= end:
        return max(run_end, pos + 1)
    best = 0
    if longest <= len(runs.by_length):
        for n in range(longest, 0, -1):
            if runs.closer(run_end, n, end) is not None:
                best = n
                break
    else:
        for n, same in runs.by_length.items():
            if best < n <= longest:
                k = bisect.bisect_left(same, run_end)
                if k < len(same) and same[k] + n <= end:
                    best = n
        cut = runs.cut(run_end, end)
        if cut is not None and best < end - cut <= longest:
            best = end - cut
    return run_end - best if best else run_end


def skip_raw(src: str, i: int, end: int) -> int | None:
    """Where a code span, math or escape at ``i`` ends (pandoc reads nothing inside), or
    None if ``src[i]`` starts none of them. An unclosed backtick run is skipped as
    code_skip says; a lone ``$`` or a backslash before a letter or digit is not skipped."""
    c = src[i]
    if c == "`":
        code = code_end(src, i, end)
        return code if code is not None else code_skip(src, i, end)
    if c == "$":
        return math_end(src, i, end)
    if c == "\\" and i + 1 < end and not src[i + 1].isalnum():
        return i + 2
    return None


def math_end(src: str, pos: int, end: int) -> int | None:
    """End of pandoc ``$$display$$`` or ``$inline$`` math at ``pos``, or None."""
    if src.startswith("$$", pos) and pos + 2 < end:
        k = src.find("$$", pos + 3, end)
        if k >= 0:
            return k + 2
    i = pos + 1
    if i >= end or src[i].isspace():
        return None
    first = True
    while True:
        if not first and i < end and src[i] == "$":
            return None if i + 1 < end and "0" <= src[i + 1] <= "9" else i + 1
        if i >= end:
            return None
        c = src[i]
        if c == "\\":
            if i + 1 >= end:
                return None
            i += 2
        elif c in " \t\n\r":
            j = i
            while j < end and src[j] in SPACE_TAB:
                j += 1
            if j < end and src[j] == "\n":
                j += 1
            if j < end and src[j] == "$":
                return None
            i = j
        else:
            i += 1
        first = False


def rule_code(state: StateInline, silent: bool) -> bool:
    """pandoc code span; an unmatched backtick run gives back a single backtick."""
    pos, src = state.pos, state.src
    if src[pos] != "`":
        return False
    stop = code_end(src, pos, state.posMax)
    state.pos = stop if stop is not None else code_skip(src, pos, state.posMax)
    return True


def rule_math(state: StateInline, silent: bool) -> bool:
    """pandoc ``$..$`` / ``$$..$$`` math (no citations inside)."""
    pos = state.pos
    if state.src[pos] != "$":
        return False
    stop = math_end(state.src, pos, state.posMax)
    if stop is None:
        return False
    state.pos = stop
    return True


def rule_escape(state: StateInline, silent: bool) -> bool:
    """pandoc escapes: a backslash before any non-alphanumeric character."""
    pos, src, end = state.pos, state.src, state.posMax
    if src[pos] != "\\":
        return False
    if pos + 1 < end and src[pos + 1] == "\n":
        return False  # hard line break: markdown-it's newline handling
    state.pos = pos + 2 if pos + 1 < end and not src[pos + 1].isalnum() else pos + 1
    return True
