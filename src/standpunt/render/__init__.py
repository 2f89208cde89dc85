"""From plain data to pages: sandboxed templates, WeasyPrint, and their worker processes."""
