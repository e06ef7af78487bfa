"""The report period as a user writes it: parsed in one place.

`--period` takes a calendar year (2019), quarter (2019-Q4), month (2019-10) or `all` (every day
with data); `--from`/`--to` take days. The report settles the period against the data
(pipeline.report.resolve_period): by default the last complete quarter with data.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime

from pipeline.errors import UserError

ALL = "all"
_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_period(text: str) -> tuple[date, date] | None:
    """(first day, last day) of a year, quarter or month; None for `all`."""
    value = text.strip()
    if value.lower() == ALL:
        return None
    if m := _YEAR.match(value):
        year = int(m.group(1))
        return date(year, 1, 1), date(year, 12, 31)
    if m := _QUARTER.match(value):
        year, q = int(m.group(1)), int(m.group(2))
        first = date(year, 3 * q - 2, 1)
        return first, _month_end(year, 3 * q)
    if (m := _MONTH.match(value)) and 1 <= int(m.group(2)) <= 12:
        year, month = int(m.group(1)), int(m.group(2))
        return date(year, month, 1), _month_end(year, month)
    raise UserError(f"--period: '{text}' is not a year (2019), a quarter (2019-Q4), a month "
                    "(2019-10) or all")


def parse_day(option: str, value: str) -> date:
    """A --from / --to day."""
    try:
        return datetime.fromisoformat(value.strip()).date()
    except ValueError:
        raise UserError(f"{option}: '{value}' is not a date like 2026-07-01") from None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])
