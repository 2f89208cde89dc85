"""Citations: found in a position's Markdown, located in its file, formatted by citeproc."""
