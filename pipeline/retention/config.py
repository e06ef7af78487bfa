"""data/reference/retention.yaml: reorder windows, churn, minimum counts, cost inputs.

`load_retention_config(dir)` reads and checks the file; a mistake raises UserError with one line
naming the file and the key: `data/reference/retention.yaml: churn_days: expected a whole number`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pipeline.errors import UserError
from pipeline.reference import _Node, _show

RETENTION_FILE = "retention.yaml"

_KEYS = (
    "reorder_windows_days",
    "primary_window_days",
    "churn_days",
    "data_end",
    "min_customers",
    "curve_days",
    "at_risk_every_days",
    "cohort_months",
    "kano",
    "costs",
)


@dataclass(frozen=True)
class Costs:
    acquisition_per_customer: float | None
    recovery_per_complaint: float | None


@dataclass(frozen=True)
class RetentionConfig:
    windows_days: tuple[int, ...]  # ascending
    primary_window_days: int
    churn_days: int
    data_end: date | None  # None: the latest order
    min_customers: int
    curve_days: int
    at_risk_every_days: int
    cohort_months: int
    min_effect_points: float
    costs: Costs


def load_retention_config(reference_dir: Path) -> RetentionConfig:
    """Read and check retention.yaml in reference_dir."""
    file = Path(reference_dir) / RETENTION_FILE
    if not file.is_file():
        raise UserError(f"{_show(file)}: reference file missing")
    root = _Node.load(file)
    keys = root.mapping(_KEYS)

    windows = tuple(
        int(n.number(1, 3650, integer=True)) for n in keys["reorder_windows_days"].items()
    )
    if len(set(windows)) != len(windows):
        raise keys["reorder_windows_days"].fail("a window is listed twice")
    primary = int(keys["primary_window_days"].number(1, 3650, integer=True))
    if primary not in windows:
        raise keys["primary_window_days"].fail(
            f"{primary} is not one of reorder_windows_days ({', '.join(map(str, windows))})"
        )
    kano = keys["kano"].mapping(("min_effect_points",))
    # costs.currency: files written before 2026-12-06 have it; nothing ever read it (both amounts
    # are in one currency, whichever), so it is still accepted and ignored
    costs = keys["costs"].mapping(
        ("acquisition_per_customer", "recovery_per_complaint"), optional=("currency",)
    )
    every = int(keys["at_risk_every_days"].number(1, 3650, integer=True))
    return RetentionConfig(
        windows_days=tuple(sorted(windows)),
        primary_window_days=primary,
        churn_days=int(keys["churn_days"].number(1, 3650, integer=True)),
        data_end=_date_or_none(keys["data_end"]),
        min_customers=int(keys["min_customers"].number(1, integer=True)),
        curve_days=int(keys["curve_days"].number(every, 3650, integer=True)),
        at_risk_every_days=every,
        cohort_months=int(keys["cohort_months"].number(1, 120, integer=True)),
        min_effect_points=float(kano["min_effect_points"].number(0, 100)),
        costs=Costs(
            acquisition_per_customer=_positive_or_none(costs["acquisition_per_customer"]),
            recovery_per_complaint=_positive_or_none(costs["recovery_per_complaint"]),
        ),
    )


def _positive_or_none(node: _Node) -> float | None:
    if node.value is None:
        return None
    value = float(node.number(0))
    if value == 0:
        raise node.fail("must be above 0 (or null when unknown)")
    return value


def _date_or_none(node: _Node) -> date | None:
    v = node.value
    if v is None:
        return None
    if isinstance(v, datetime):
        raise node.fail("give a date (YYYY-MM-DD), not a time")
    if isinstance(v, date):  # YAML reads an unquoted 2026-10-31 as a date
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise node.fail(f"expected a date (YYYY-MM-DD) or null, got {v!r}")
