"""Report labels per language (data/reference/labels/<lang>.yaml) and number formatting from them.

en.yaml is the reference: every other language file must have the same keys, with the same kind of
value (text or list), and may only use placeholders the English text uses. Errors name the file
and the key: `data/reference/labels/ms.yaml: workplan.finding_text: missing key`.
"""

from __future__ import annotations

import math
import re
import string
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from pipeline.errors import UserError
from pipeline.outcomes import DECLARED_SUFFIXES, declared_code
from pipeline.reference_schema import read_yaml, show

LABELS_DIR = "labels"
REFERENCE_LANG = "en"
_LANG = re.compile(r"^[a-z]{2,3}$")


_show = show  # the file as the user knows it


def _fields(text: str) -> set[str]:
    try:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}
    except ValueError as e:
        raise ValueError(f"bad placeholder ({e})") from None


def _check(file: Path, key: str, ref: Any, value: Any) -> None:
    """Compare one language's value with the English one, recursively."""
    where = f"{_show(file)}: {key or '(top level)'}"
    if isinstance(ref, dict):
        if not isinstance(value, dict):
            raise UserError(f"{where}: expected a mapping")
        for k, v in ref.items():
            sub = f"{key}.{k}" if key else str(k)
            if k not in value:
                raise UserError(f"{_show(file)}: {sub}: missing key")
            _check(file, sub, v, value[k])
        for k in value:
            if k not in ref:
                sub = f"{key}.{k}" if key else str(k)
                raise UserError(f"{_show(file)}: {sub}: unknown key (not in {REFERENCE_LANG}.yaml)")
    elif isinstance(ref, list):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise UserError(f"{where}: expected a list of texts")
        if key == "format.months" and len(value) != 12:
            raise UserError(f"{where}: expected 12 month names, got {len(value)}")
    else:
        if not isinstance(value, str) or not value.strip():
            raise UserError(f"{where}: expected a non-empty text")
        try:
            extra = _fields(value) - _fields(str(ref))
        except ValueError as e:
            raise UserError(f"{where}: {e}") from None
        if extra:
            raise UserError(f"{where}: unknown placeholder {{{sorted(extra)[0]}}}")


class MissingLabel(UserError, KeyError):
    """A key the report needs is not in the labels file (a KeyError too, for `has`)."""

    __str__ = UserError.__str__


class Labels:
    """The labels of one language, looked up by dotted key; `fmt` formats numbers and dates."""

    def __init__(self, lang: str, data: dict[str, Any], file: Path):
        self.lang, self._data, self.file = lang, data, file
        self.fmt = Formatter(data["format"])

    def get(self, key: str) -> Any:
        node: Any = self._data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                raise MissingLabel(f"{_show(self.file)}: {key}: missing label; add it (the "
                                   "labels files shipped with the pipeline have every key)")
            node = node[part]
        return node

    def has(self, key: str) -> bool:
        try:
            self.get(key)
        except KeyError:
            return False
        return True

    def __call__(self, key: str, **values: Any) -> str:
        """The label, with {placeholders} filled in (plain text: escape it when rendering)."""
        text = " ".join(str(self.get(key)).split())
        return text.format_map(values) if values else text

    def reason(self, code: str) -> str:
        """What a reason code says about the dissatisfied contacts behind it."""
        family = code.split(":", 1)[0]
        if self.has(f"reasons.{family}"):
            return self(f"reasons.{family}")
        if family.startswith("kind_"):
            return self("reasons.kind", kind=family.removeprefix("kind_"))
        if declared_code(family):
            # a source mapping's own signal: its name, and how it compared
            for suffix in DECLARED_SUFFIXES:
                if family.endswith(suffix):
                    signal = family.removesuffix(suffix).replace("_", " ")
                    key = f"reasons.declared{suffix}"
                    if self.has(key):
                        return self(key, signal=signal)
        return code


def available_languages(reference_dir: Path) -> list[str]:
    folder = Path(reference_dir) / LABELS_DIR
    return sorted(p.stem for p in folder.glob("*.yaml") if _LANG.match(p.stem))


def load_labels(reference_dir: Path, lang: str) -> Labels:
    """Read and check labels/<lang>.yaml against labels/en.yaml."""
    folder = Path(reference_dir) / LABELS_DIR
    ref_file = folder / f"{REFERENCE_LANG}.yaml"
    if not _LANG.match(lang or ""):
        raise UserError(f"report language {lang!r} is not a language code (e.g. en, ms)")
    file = folder / f"{lang}.yaml"
    if not ref_file.is_file():
        raise UserError(f"{_show(ref_file)}: labels file missing")
    if not file.is_file():
        known = ", ".join(available_languages(reference_dir)) or "none"
        raise UserError(f"{_show(file)}: no labels for language {lang!r} (available: {known})")
    ref = read_yaml(ref_file)
    data = ref if file == ref_file else read_yaml(file)
    if not isinstance(ref, dict):
        raise UserError(f"{_show(ref_file)}: (top level): expected a mapping")
    _check(file, "", ref, data)
    if data.get("lang") != lang:
        raise UserError(f"{_show(file)}: lang: should be {lang!r}, the file's name")
    Formatter.check(file, data["format"])
    return Labels(lang, data, file)


class Formatter:
    """Numbers, percentages and dates written the language's way (format: in the labels file)."""

    def __init__(self, spec: dict[str, Any]):
        self.spec = spec

    @staticmethod
    def check(file: Path, spec: dict[str, Any]) -> None:
        for key in ("percent", "points", "hours", "days"):
            if "{value}" not in spec[key]:
                raise UserError(f"{_show(file)}: format.{key}: needs {{value}}")
        if spec["decimal"] == spec["thousands"]:
            raise UserError(f"{_show(file)}: format.thousands: same as format.decimal")

    def number(self, value: float | None, decimals: int = 0, signed: bool = False) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return self.spec["missing"]
        # half up, as people round (Python's format would round 22.5 to 22)
        exact = Decimal(repr(abs(float(value)))).quantize(
            Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP
        )
        text = f"{exact:,.{decimals}f}"
        # swap separators through a placeholder so "," -> "." and "." -> "," never collide
        text = text.replace(",", "\0").replace(".", self.spec["decimal"])
        text = text.replace("\0", self.spec["thousands"])
        negative = value < 0 and exact != 0
        if negative:
            return self.spec["minus"] + text
        if signed and text.strip("0" + self.spec["decimal"] + self.spec["thousands"]):
            return "+" + text
        return text

    def int(self, value: int | None) -> str:
        return self.number(value, 0)

    def pct(self, value: float | None, decimals: int = 0) -> str:
        """A percentage given 0-100."""
        if value is None:
            return self.spec["missing"]
        return self.spec["percent"].format(value=self.number(value, decimals))

    def points(self, value: float | None, signed: bool = True) -> str:
        if value is None:
            return self.spec["missing"]
        return self.spec["points"].format(value=self.number(value, 0, signed=signed))

    def signed(self, value: float | None) -> str:
        return self.number(value, 0, signed=True)

    def hours(self, value: float | None) -> str:
        if value is None:
            return self.spec["missing"]
        if value >= 72:
            days = value / 24
            whole = abs(days - round(days)) < 0.05
            return self.spec["days"].format(value=self.number(days, 0 if whole else 1))
        whole = value >= 10 or abs(value - round(value)) < 0.05
        return self.spec["hours"].format(value=self.number(value, 0 if whole else 1))

    def date(self, d: date | None) -> str:
        if d is None:
            return self.spec["missing"]
        return self.spec["date"].format(
            day=d.day, month=self.spec["months"][d.month - 1], year=d.year
        )

    def month(self, d: date) -> str:
        return self.spec["month_year"].format(month=self.spec["months"][d.month - 1], year=d.year)

    def range(self, start: str, end: str) -> str:
        return self.spec["range"].format(start=start, end=end)
