"""Standpunt: policy positions kept as YAML in git, rendered into PDFs with every citation kept."""

__version__ = "0.1.0"
