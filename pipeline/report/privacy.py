"""Personal data in free text. The report prints aggregates only; with `--examples` it quotes a
few notes per touchpoint, and then only after masking e-mail addresses and phone numbers.

Masking is pattern-based: an e-mail address is anything like name@domain.tld; a phone number is
a run of 9 or more digits, optionally led by + and broken by spaces, dashes, dots, slashes or
brackets (+60 12-345 6789, 012-3456789, (020) 123 4567). Dates (8 digits) and codes that start
with a letter (C000123, CL00000751) are left alone. Names are not detected: the option is for
reading on screen, not for sharing.
"""

from __future__ import annotations

import re

import duckdb

from pipeline.report.gather import query
from pipeline.report.model import Example

EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# not inside a word or code (C000123, O-2026-000123), not the date before a time (..18 10:30)
PHONE = re.compile(r"(?<![\w+-])\+?[(]?\d[\d()./ -]*\d(?![\w:])")
MIN_PHONE_DIGITS = 9
EXAMPLE_CHARS = 300  # a quote is cut to this length (after masking)
EXAMPLES_PER_TOUCHPOINT = 2


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    return "[phone]" if sum(c.isdigit() for c in text) >= MIN_PHONE_DIGITS else text


def mask_pii(text: str) -> str:
    """The text with e-mail addresses and phone numbers replaced by [e-mail] and [phone]."""
    return PHONE.sub(_phone, EMAIL.sub("[e-mail]", text))


def examples(con: duckdb.DuckDBPyConnection, lang: str,
             per_touchpoint: int = EXAMPLES_PER_TOUCHPOINT) -> list[Example]:
    """A few notes of dissatisfied contacts per touchpoint in the report period, masked."""
    out = []
    for r in query(con, "examples", {"lang": lang, "per_touchpoint": per_touchpoint}):
        text = " ".join(mask_pii(r["text"]).split())
        if len(text) > EXAMPLE_CHARS:
            text = text[: EXAMPLE_CHARS - 1].rstrip() + "…"
        out.append(Example(r["touchpoint_id"], r["touchpoint"], r["outcome"], text))
    return out
