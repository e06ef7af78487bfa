"""Touchpoint analysis pipeline: ingest → map → score → report."""

__version__ = "0.1.0"
