"""The one font of the report (DejaVu Sans, shipped with matplotlib: Latin with every accent, Greek,
Cyrillic) and the cleaning every text from data goes through before it is drawn."""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

import matplotlib
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_ITALIC = "DejaVuSans-Oblique"
MAX_TEXT = 400  # a name or label longer than this is cut: one table row must fit on a page


@cache
def register_fonts() -> frozenset[int]:
    """Register the font family with ReportLab once; returns the code points it can draw."""
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for name in (FONT, FONT_BOLD, FONT_ITALIC):
        pdfmetrics.registerFont(TTFont(name, str(folder / f"{name}.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC)
    return frozenset(pdfmetrics.getFont(FONT).face.charToGlyph)


def clean(text: Any, limit: int = MAX_TEXT) -> str:
    """Plain text the font can draw: controls dropped, unknown characters as '?', length capped."""
    covered = register_fonts()
    out = []
    for ch in unicodedata.normalize("NFC", str(text)):
        if ch in "\n\t":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        elif ord(ch) in covered or ch == " ":
            out.append(ch)
        else:
            out.append("?")
    s = "".join(out)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def chart_text(text: Any, limit: int = MAX_TEXT) -> str:
    """Text for matplotlib: cleaned, and a $ kept literal (matplotlib reads $...$ as maths)."""
    return clean(text, limit).replace("$", r"\$")
