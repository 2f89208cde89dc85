"""What is known about a text while it is read: remembered lookaheads and a budget of work.

The rules look ahead a lot (where does this bracket close? has this backtick run a closer?),
and often from many places over the same stretch of text. Every lookahead that depends only on
the text and on where the span read ends is remembered in the text's :class:`Known`, so that no
input makes reading it more than linear. Each text also has a budget of lookahead work, a last
line of defence: once it is spent, lookaheads find nothing and rules no longer nest, so that
even a hostile text is read in linear time (its citations as plain ``@key``s).

This is the bottom of the finder: the scanners (:mod:`.links`, :mod:`.keys`, :mod:`.raw`,
:mod:`.angle_brackets`) ask it where pairs close (:func:`pair_close`) and where the next stop
character is (:func:`next_stop`); ``find_citations`` opens a record of the texts of one call
(:data:`KNOWN`).
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Callable
from contextvars import ContextVar

#: Work allowed per character of a text (and in any case): real texts need less than one
#: unit per character, the hostile ones known (see the tests) less than five.
BUDGET_PER_CHAR = 32
BUDGET_BASE = 100_000


def _lower_base(base: int, size: int, pos: int) -> int:
    """Where dense storage from ``base`` (``size`` long) starts once it takes ``pos`` too:
    at least twice as long, so that growing it costs linear time overall."""
    return max(0, min(pos, base - size))


class Flags:
    """Small bit flags per position (up to ``end``) of a text: a dict while there are few,
    then a bytearray from the lowest flagged position on (growing down as needed)."""

    __slots__ = ("base", "dense", "end", "sparse")

    def __init__(self, end: int) -> None:
        self.end = end
        self.sparse: dict[int, int] = {}
        self.dense: bytearray | None = None
        self.base = 0

    def get(self, pos: int) -> int:
        dense = self.dense
        if dense is not None and self.base <= pos <= self.end:
            return dense[pos - self.base]
        return self.sparse.get(pos, 0)

    def set(self, pos: int, bits: int = 1) -> None:
        dense = self.dense
        if dense is not None and 0 <= pos <= self.end:
            if pos < self.base:
                base = _lower_base(self.base, len(dense), pos)
                self.dense = dense = bytearray(self.base - base) + dense
                self.base = base
            dense[pos - self.base] |= bits
            return
        sparse = self.sparse
        sparse[pos] = sparse.get(pos, 0) | bits
        if dense is None and len(sparse) > 1024:
            base = min(sparse)
            if 0 <= base <= self.end:
                self.base = base
                self.dense = dense = bytearray(self.end - base + 1)
                for at in [at for at in sparse if at <= self.end]:
                    dense[at - base] = sparse.pop(at)


class _Closes:
    """Where openers close, each with the end that the walk finding it read up to: a dict
    while there are few, then arrays over the text (from the lowest opener on)."""

    __slots__ = ("base", "closes", "ends", "size", "sparse")

    def __init__(self, size: int) -> None:
        self.size = size
        self.sparse: dict[int, tuple[int, int]] = {}
        self.closes: array[int] | None = None
        self.ends: array[int] | None = None
        self.base = 0

    def get(self, pos: int) -> tuple[int, int] | None:
        closes, ends = self.closes, self.ends
        if closes is not None and ends is not None and self.base <= pos < self.size:
            close = closes[pos - self.base]
            return None if close < 0 else (close, ends[pos - self.base])
        return self.sparse.get(pos)

    def set(self, pos: int, close: int, end: int) -> None:
        """Note a close (keeping the one found reading furthest, which holds for more)."""
        closes, ends, sparse = self.closes, self.ends, self.sparse
        if closes is not None and ends is not None and 0 <= pos < self.size:
            if pos < self.base:
                base = _lower_base(self.base, len(closes), pos)
                self.closes = closes = array("i", [-1]) * (self.base - base) + closes
                self.ends = ends = array("i", [0]) * (self.base - base) + ends
                self.base = base
            at = pos - self.base
            if closes[at] < 0 or ends[at] < end:
                closes[at], ends[at] = close, end
            return
        known = sparse.get(pos)
        if known is None or known[1] < end:
            sparse[pos] = (close, end)
        if closes is None and len(sparse) > 4096 and self.size < 2**31:
            self.base = base = min(sparse)
            self.closes = closes = array("i", [-1]) * (self.size - base)
            self.ends = ends = array("i", [0]) * (self.size - base)
            for at, (close, end) in sparse.items():
                closes[at - base], ends[at - base] = close, end
            sparse.clear()


class _Pairs:
    """For one kind of pair read up to one end: openers whose closer is known, and openers
    known to stay open."""

    __slots__ = ("closes", "never")

    def __init__(self, end: int, closes: _Closes) -> None:
        self.closes = closes
        self.never = Flags(end)


class _Stops:
    """The last search for the next stop character (remembered as the stretch it crossed)."""

    __slots__ = ("start", "stop")

    def __init__(self) -> None:
        self.start = self.stop = -1


class _Span:
    """What is known about a text read up to one end (each part made when first needed)."""

    __slots__ = ("_destinations", "_pairs", "_stops", "_tags", "end", "known")

    def __init__(self, known: Known, end: int) -> None:
        self.known = known
        self.end = end
        self._pairs: dict[str, _Pairs] = {}
        self._stops: dict[str, _Stops] = {}
        self._destinations: dict[int, int] | None = None
        self._tags: dict[int, int | None] | None = None

    def pairs(self, opener: str) -> _Pairs:
        """Pairs opened by ``opener`` (``[``, ``(``, or a title's quote)."""
        pairs = self._pairs.get(opener)
        if pairs is None:  # the closes are shared by all ends: see pair_close
            pairs = self._pairs[opener] = _Pairs(self.end, self.known.closes(opener))
        return pairs

    def stops(self, name: str) -> _Stops:
        """The last search for ``name``'s stop characters (autolink, angle, note, value)."""
        stops = self._stops.get(name)
        if stops is None:
            stops = self._stops[name] = _Stops()
        return stops

    def destinations(self) -> dict[int, int]:
        """Where a link destination stops, from some of the unclosed ``(`` it went over."""
        if self._destinations is None:
            self._destinations = {}
        return self._destinations

    def tags(self) -> dict[int, int | None]:
        """Where the attributes of a tag end (or None), from some of the attributes read."""
        if self._tags is None:
            self._tags = {}
        return self._tags


BACKTICKS = re.compile(r"`+")


class _Runs:
    """The backtick runs of a text: starts and ends, and the starts of the runs of each
    length (all ascending)."""

    __slots__ = ("by_length", "ends", "starts")

    def __init__(self, src: str) -> None:
        self.starts = array("q")
        self.ends = array("q")
        self.by_length: dict[int, array[int]] = {}
        for m in BACKTICKS.finditer(src):
            start, end = m.span()
            self.starts.append(start)
            self.ends.append(end)
            same = self.by_length.get(end - start)
            if same is None:
                same = self.by_length[end - start] = array("q")
            same.append(start)

    def run_end(self, pos: int) -> int:
        """End of the backtick run holding ``pos`` (``pos`` itself if it holds none)."""
        k = bisect.bisect_right(self.starts, pos) - 1
        return self.ends[k] if k >= 0 and self.ends[k] > pos else pos

    def closer(self, after: int, n: int, end: int) -> int | None:
        """Start of the first run from ``after`` on that is ``n`` long as cut off at ``end``."""
        same = self.by_length.get(n)
        if same:
            k = bisect.bisect_left(same, after)
            if k < len(same) and same[k] + n <= end:
                return same[k]
        cut = self.cut(after, end)
        return cut if cut is not None and end - cut == n else None

    def cut(self, after: int, end: int) -> int | None:
        """Start of the run that ``end`` cuts off (if it starts at ``after`` or later)."""
        k = bisect.bisect_left(self.starts, end) - 1
        if k >= 0 and self.starts[k] >= after and self.ends[k] > end:
            return self.starts[k]
        return None


class Known:
    """What is known about one text: see the module's docstring."""

    __slots__ = ("_closes", "budget", "runs", "span_closes", "spans", "src")

    def __init__(self, src: str) -> None:
        self.src = src
        self.budget = BUDGET_PER_CHAR * len(src) + BUDGET_BASE
        self._closes: dict[str, _Closes] = {}
        self.runs: _Runs | None = None
        self.span_closes: tuple[list[int], list[int]] | None = None
        self.spans: dict[int, _Span] = {}

    def closes(self, opener: str) -> _Closes:
        """Where the pairs opened by ``opener`` close, as found reading up to any end."""
        closes = self._closes.get(opener)
        if closes is None:
            closes = self._closes[opener] = _Closes(len(self.src))
        return closes

    def spend(self, work: int) -> bool:
        """Charge ``work``; False once the budget is spent."""
        self.budget -= work
        return self.budget >= 0

    def at(self, end: int) -> _Span:
        """What is known about the text read up to ``end``."""
        span = self.spans.get(end)
        if span is None:
            span = self.spans[end] = _Span(self, end)
        return span

    def backtick_runs(self) -> _Runs:
        if self.runs is None:
            self.runs = _Runs(self.src)
        return self.runs


#: The texts of the find_citations call under way (a call on another thread has its own).
KNOWN: ContextVar[dict[str, Known] | None] = ContextVar("standpunt_markdown", default=None)


def known_about(src: str) -> Known:
    """What is known about ``src`` (outside find_citations: a fresh, unremembered record)."""
    texts = KNOWN.get()
    if texts is None:
        return Known(src)
    known = texts.get(src)
    if known is None:
        known = texts[src] = Known(src)
    return known


#: What a character met by :func:`pair_close`'s walk is, as its ``kind`` says (0: something
#: else, to be stepped over).
OPENER, CLOSER, STOP = 1, 2, 3

#: What may follow the end of a span read, for a bracket's close found reading further to
#: hold up to it (a backtick run or ``$`` math could end just there, or a digit after ``$``).
_UNSAFE_END = frozenset("`$0123456789")


def pair_close(
    known: Known,
    pairs: _Pairs,
    pos: int,
    end: int,
    special: re.Pattern[str],
    kind: Callable[[str, int, int], tuple[int, int]],
) -> int | None:
    """Index of the closer of the opener at ``pos`` in ``known.src[:end]``, or None.

    The walk looks only at the ``special`` characters; ``kind`` says what one is (OPENER,
    CLOSER, STOP, or 0 for something else) and where the walk goes on from it. With a
    stack of openers, one walk learns about every opener it meets: where it closes, or that it
    never does. A later walk jumps over a pair known to close, and stops at an opener known to
    stay open: being outside that opener, it cannot close either. So the walks together are
    linear in the text.

    A close found reading up to some end also holds reading up to a nearer end past it (the
    walk sees the same text; only a code span or math reaching exactly that end could differ,
    hence _UNSAFE_END): so nested link texts, each read up to its own ``]``, share the closes
    of their brackets.
    """
    src = known.src
    closes = pairs.closes
    found = closes.get(pos)
    if found is not None and _holds(src, found, end):
        return found[0]
    never = pairs.never
    if never.get(pos) or known.budget < 0:
        return None
    search = special.search
    stack = [pos]
    i = pos + 1
    result = None
    steps = 0
    while True:
        m = search(src, i, end)
        if m is None:
            break
        i = m.start()
        steps += 1
        what, after = kind(src, i, end)
        if what == CLOSER:
            closes.set(stack.pop(), i, end)
            if not stack:
                result = i
                break
        elif what == OPENER:
            jump = closes.get(i)
            if jump is not None and _holds(src, jump, end):
                after = jump[0] + 1
            elif never.get(i):
                break
            else:
                stack.append(i)
        elif what == STOP:
            break
        i = after
    known.spend(steps)
    if result is None:
        for opener in stack:
            never.set(opener)
    return result


def _holds(src: str, found: tuple[int, int], end: int) -> bool:
    """Does a close found reading up to ``found[1]`` hold reading up to ``end``?"""
    close, read = found
    return close < end <= read and (end == read or src[end] not in _UNSAFE_END)


def next_stop(
    known: Known, memo: _Stops, pos: int, end: int, special: re.Pattern[str], escapes: bool
) -> int:
    """The first ``special`` character from ``pos`` on (or ``end``); with ``escapes`` a
    backslash before a non-alphanumeric character hides it. A search starting inside the
    stretch crossed by the last one ends where it ended (unless it starts right after a
    backslash, which may have hidden its first character)."""
    src = known.src
    if memo.start <= pos <= memo.stop and (pos == memo.start or src[pos - 1] != "\\"):
        return memo.stop
    i = pos
    while True:
        m = special.search(src, i, end)
        if m is None:
            stop = end
            break
        k = m.start()
        if escapes and src[k] == "\\":
            i = k + 2 if k + 1 < end and not src[k + 1].isalnum() else k + 1
            continue
        stop = k
        break
    known.spend(stop - pos)
    memo.start, memo.stop = pos, stop
    return stop
