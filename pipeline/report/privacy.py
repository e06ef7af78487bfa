"""Personal data in free text. The report prints aggregates only; with `--examples` it quotes a
few notes per touchpoint, and then only after masking e-mail addresses and phone numbers.

Masking is pattern-based, on a normalised reading of the text (NFKC, so full-width digits and
`＠` count; zero-width and other format characters removed; every dash a hyphen and every space,
non-breaking ones too, a space); what is not masked is returned exactly as it was written.

- An e-mail address is anything like name@domain.tld.
- A phone number is a run of 8 or more digits, optionally led by + and broken by spaces,
  dashes, dots, slashes or brackets, with an optional extension (+60 12-345 6789, 012-3456789,
  (020) 123 4567, 9123 4567, 0123456789 ext 12).
- Not phone numbers, left alone: dates (2026-03-18, 18/09/2026, 18.09.26, 20260318), times,
  amounts (1,234.50; 1234567.50), numbers after `#` (order #1001, #100123456), codes that start
  with a letter (C000123, CL00000751, O-2026-000123) and numbers of fewer than 8 digits.
  A run of 8 or more bare digits that is not a date (an amount written 12345678) is masked:
  in doubt, the number is hidden.

Names are not detected: the option is for reading on screen, not for sharing.
"""

from __future__ import annotations

import re
import unicodedata

import duckdb

from pipeline.report.gather import query
from pipeline.report.model import Example

# from the start of a word only: a long word is scanned once, not once per character
EMAIL = r"(?<![\w.%+-])[\w.%+-]+@[\w-]+(?:\.[\w-]+)+"
_MONTH, _DAY = r"(?:0?[1-9]|1[0-2])", r"(?:0?[1-9]|[12]\d|3[01])"
# a date is kept whole, so that no phone number is read into or across it
DATE = (rf"(?<!\d)(?:(?:19|20)\d\d(?P<s1>[-/.]){_MONTH}(?P=s1){_DAY}"  # 2026-03-18
        rf"|{_DAY}(?P<s2>[-/.]){_DAY}(?P=s2)(?:(?:19|20)\d\d|\d\d)"  # 18/03/2026, 03/18/26
        rf"|(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(?!\d)")  # 20260318
# not inside a word or code (C000123, O-2026-000123), not after # (an order number), not the
# date before a time (..18 10:30)
PHONE = (r"(?<![\w+#-])\+?[(]?\d[\d()./ -]*\d"
         r"(?:[ ]?(?:ext|extn|extension|x)[.]?[ ]?\d{1,6})?(?![\w:])")
PII = re.compile(rf"(?P<email>{EMAIL})|(?P<date>{DATE})|(?P<phone>{PHONE})", re.IGNORECASE)
AMOUNT = re.compile(r"\d+\.\d{1,2}")  # 1234567.50: money, not a phone number
MIN_PHONE_DIGITS = 8
DIGIT = re.compile(r"\d")
EXAMPLE_CHARS = 300  # a quote is cut to this length (after masking)
EXAMPLES_PER_TOUCHPOINT = 2


def _normalised(text: str) -> tuple[str, list[int]]:
    """The text as it is searched, and for each of its characters the position in `text` of
    the character it came from."""
    if text.isascii() and "\t" not in text:
        return text, list(range(len(text)))
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        kind = unicodedata.category(ch)
        if kind == "Cf":  # zero-width space, joiners, soft hyphen, byte-order mark
            continue
        if kind == "Zs" or ch == "\t":  # non-breaking, narrow, figure, ideographic spaces
            norm = " "
        elif kind == "Pd" or ch == "\u2212":  # en and em dashes, minus sign
            norm = "-"
        else:
            norm = unicodedata.normalize("NFKC", ch)  # full-width digits and @
        out.append(norm)
        where += [i] * len(norm)
    return "".join(out), where


def _is_phone(number: str) -> bool:
    return (sum(c.isdigit() for c in number) >= MIN_PHONE_DIGITS
            and not AMOUNT.fullmatch(number))


def mask_pii(text: str) -> str:
    """The text with e-mail addresses and phone numbers replaced by [e-mail] and [phone]
    (the rules are in the module's docstring); the rest exactly as it was."""
    if "@" not in text and "＠" not in text and not DIGIT.search(text):
        return text
    norm, where = _normalised(text)
    out, done = [], 0
    for m in PII.finditer(norm):
        if m.lastgroup == "email":
            token = "[e-mail]"
        elif m.lastgroup == "phone" and _is_phone(m.group()):
            token = "[phone]"
        else:
            continue
        start, end = where[m.start()], where[m.end() - 1] + 1
        out += [text[done:start], token]
        done = end
    return "".join(out) + text[done:]


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
