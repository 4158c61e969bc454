"""Turn a folder of paper records into a curated, searchable survey website."""

__version__ = "0.1.0"
