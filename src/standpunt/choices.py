"""The fixed vocabularies of a workspace, each declared once.

Each is a ``Literal`` type, which the schema validates a file's value against, and the tuple of
its values, for messages and the command line's choices: one list, so they cannot drift apart.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

#: Where a position stands: written, out for comment, the organisation's own, or given up.
Status = Literal["draft", "consultation", "adopted", "withdrawn"]
STATUSES: tuple[Status, ...] = get_args(Status)
#: The status of a position whose file names none.
DEFAULT_STATUS: Status = "draft"

#: The PDF standard a build conforms to: accessible (PDF/UA-1), archival (PDF/A-3b), or neither.
PdfVariant = Literal["pdf/ua-1", "pdf/a-3b", "none"]
PDF_VARIANTS: tuple[PdfVariant, ...] = get_args(PdfVariant)
#: The variant of a workspace whose standpunt.yaml names none.
DEFAULT_PDF_VARIANT: PdfVariant = "pdf/ua-1"

#: What a page is made for: print (the PDF, notes at the foot of the page) or screen (the HTML
#: page, notes listed at the end).
Medium = Literal["print", "screen"]
MEDIA: tuple[Medium, ...] = get_args(Medium)

#: What ``build --format`` can make: each format's medium and file suffix, in the order a build
#: makes them (a Word document is made for print: its notes are footnotes).
OUTPUTS: dict[str, tuple[Medium, str]] = {
    "html": ("screen", ".html"),
    "pdf": ("print", ".pdf"),
    "docx": ("print", ".docx"),
}

#: An e-mail address as a reader's mail program takes it: the schema accepts an author's address
#: only in this shape, and the page links only an address in this shape (one rule for both, so
#: an accepted address is never left out of the page).
EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[A-Za-z]{2,}")
