"""What text pasted from a word processor, or a habit from other formats, does to YAML without
an error: caught here, with what to do.

- A value that starts with ``#`` is a comment, so ``quote: #housing now`` leaves ``quote``
  empty. A field left empty that way gets a warning at its line.
- Non-breaking spaces and curly quotes look like spaces and quotes but are not to YAML; when
  a line holding one fails to parse, the message says which character it is
  (:func:`pasted_characters`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from standpunt.errors import Diagnostic, Location

#: Characters that look like a space but are not one to YAML, by what a person calls them.
SPACES = {
    "\u00a0": "a non-breaking space",
    "\u202f": "a narrow non-breaking space",
    "\u2007": "a figure space",
    "\u3000": "an ideographic space",
    "\ufeff": "an invisible zero-width character",
    "\u200b": "an invisible zero-width space",
}
#: Quotes a word processor types, which YAML does not read as quotes.
CURLY_QUOTES = "“”„‘’‚«»"


def pasted_characters(source: str, index: int) -> tuple[str, int | None]:
    """A hint for a YAML error at ``index`` of ``source`` when characters pasted from a word
    processor may be its cause (on the error's line, or for a space on the last line before it
    that holds one), and where that character is when it is on an earlier line (the place to
    report). ("", None) when there are none. Linear in the length of the source."""
    start = source.rfind("\n", 0, index) + 1
    end = source.find("\n", index)
    line = source[start : end if end >= 0 else len(source)]
    hints = []
    earlier: int | None = None
    for char, name in SPACES.items():
        if char in line:
            where = "this line"
        elif (before := source.rfind(char, 0, start)) >= 0:
            where = "this line"
            earlier = before if earlier is None else max(earlier, before)
        else:
            continue
        hints.append(
            f"{where} holds {name} (as word processors paste them), which YAML does not read "
            "as a space: retype it as an ordinary space"
        )
    if any(char in line for char in CURLY_QUOTES):
        hints.append(
            "this line holds curly quotes (“ ” ‘ ’), which do not quote a value in YAML: use "
            "straight quotes (\" or ') around a value that needs them, or none"
        )
    return "; ".join(hints), earlier


def comment_emptied(raw: Any, lines: Callable[[], list[str]]) -> list[Diagnostic]:
    """A warning for each field left empty because its value starts with ``#``.

    ``lines`` gives the file's lines; it is called only when some field is empty, so a file
    without empty fields is not read again. Linear in the size of the data and the file.
    """
    empty = _empty_fields(raw)
    if not empty:
        return []
    text = lines()
    found = []
    for key, loc in empty:
        if not 0 < loc.line <= len(text):
            continue
        line = text[loc.line - 1]
        after = line.partition(":")[2] if ":" in line else ""
        if after.strip().startswith("#") and after[:1] in (" ", "\t"):
            comment = _short(after.strip())
            advice = f'if it is the value, put it in quotes: {key}: "{comment}"'
            message = (
                f"'{key}' is empty: YAML reads '{comment}' as a comment, because it starts "
                f"with '#'; {advice}"
            )
            found.append(Diagnostic("warning", message, "emptied-by-comment", loc))
    return found


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


def _empty_fields(raw: Any) -> list[tuple[str, Location]]:
    """Every key whose value is empty, with the key's place (the loader's mappings keep it in
    ``key_locs``; this module sits below the loader, which uses its hints); without recursion."""
    found: list[tuple[str, Location]] = []
    stack = [raw]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            key_locs = getattr(node, "key_locs", {})
            for key, value in node.items():
                if value is None and key in key_locs:
                    found.append((str(key), key_locs[key]))
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(item for item in node if isinstance(item, dict | list))
    found.sort(key=lambda item: (item[1].line, item[1].col))
    return found
