"""Finding pandoc citations in Markdown text, in process and with exact source positions."""

from standpunt.cite.finder.lookahead import CitationRef, find_citations

__all__ = ["CitationRef", "find_citations"]
