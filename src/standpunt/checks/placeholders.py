"""Placeholders left from the skeleton ``standpunt new`` writes: each ``✎`` marks text still to
be written, which must never reach a reader unnoticed."""

from __future__ import annotations

from typing import Any

from standpunt.errors import Diagnostic
from standpunt.workspace.load import Scalar

#: The mark the skeletons put before every text to be written.
PLACEHOLDER = "✎"


def placeholders(raw: Any) -> list[Diagnostic]:
    """A warning for every value that still holds a placeholder; without recursion."""
    found = []
    stack = [raw]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, Scalar) and PLACEHOLDER in node:
            found.append(
                Diagnostic(
                    "warning",
                    f"this still holds a placeholder from 'standpunt new' ({PLACEHOLDER}): "
                    "write your own text here, or remove the field",
                    "placeholder",
                    node.loc,
                )
            )
    return found
