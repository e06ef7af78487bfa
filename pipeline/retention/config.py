"""data/reference/retention.yaml: reorder windows, churn, minimum counts, cost inputs.

`load_retention_config(dir)` reads and checks the file; a mistake raises UserError with one line
naming the file and the key: `data/reference/retention.yaml: churn_days: expected a whole number`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, PlainValidator

from pipeline.errors import UserError
from pipeline.reference_schema import (
    Number,
    Schema,
    Whole,
    load_model,
    model_validator,
    problem,
    show,
)

RETENTION_FILE = "retention.yaml"


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


def _date_or_none(v: Any) -> date | None:
    if v is None:
        return None
    if isinstance(v, datetime):
        raise problem((), "give a date (YYYY-MM-DD), not a time")
    if isinstance(v, date):  # YAML reads an unquoted 2026-10-31 as a date
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v.strip())
        except ValueError:
            pass
    raise problem((), f"expected a date (YYYY-MM-DD) or null, got {v!r}")


def _positive(v: float) -> float:
    if v <= 0:
        raise problem((), "must be above 0 (or null when unknown)")
    return v


Days = Whole(1, 3650)
Amount = Annotated[float, AfterValidator(_positive)] | None


class _Kano(Schema):
    min_effect_points: Number(0, 100)


class _Costs(Schema):
    acquisition_per_customer: Amount
    recovery_per_complaint: Amount
    # files written before 2026-12-06 have it; nothing ever read it (both amounts are in one
    # currency, whichever), so it is still accepted and ignored
    currency: Any = None


class RetentionFile(Schema):
    """retention.yaml as written."""

    reorder_windows_days: Annotated[list[Days], Field(min_length=1)]
    primary_window_days: Days
    churn_days: Days
    data_end: Annotated[date | None, PlainValidator(_date_or_none)]
    min_customers: Whole(1)
    curve_days: Days
    at_risk_every_days: Days
    cohort_months: Whole(1, 120)
    kano: _Kano
    costs: _Costs

    @model_validator(mode="after")
    def _windows(self) -> RetentionFile:
        windows = self.reorder_windows_days
        if len(set(windows)) != len(windows):
            raise problem("reorder_windows_days", "a window is listed twice")
        if self.primary_window_days not in windows:
            raise problem(
                "primary_window_days",
                f"{self.primary_window_days} is not one of reorder_windows_days "
                f"({', '.join(map(str, windows))})",
            )
        if self.curve_days < self.at_risk_every_days:
            raise problem(
                "curve_days",
                f"{self.curve_days} out of range (must be between {self.at_risk_every_days} "
                "and 3650: at least at_risk_every_days)",
            )
        return self


def load_retention_config(reference_dir: Path) -> RetentionConfig:
    """Read and check retention.yaml in reference_dir."""
    file = Path(reference_dir) / RETENTION_FILE
    if not file.is_file():
        raise UserError(f"{show(file)}: reference file missing")
    f = load_model(file, RetentionFile)
    return RetentionConfig(
        windows_days=tuple(sorted(f.reorder_windows_days)),
        primary_window_days=f.primary_window_days,
        churn_days=f.churn_days,
        data_end=f.data_end,
        min_customers=f.min_customers,
        curve_days=f.curve_days,
        at_risk_every_days=f.at_risk_every_days,
        cohort_months=f.cohort_months,
        min_effect_points=f.kano.min_effect_points,
        costs=Costs(
            acquisition_per_customer=f.costs.acquisition_per_customer,
            recovery_per_complaint=f.costs.recovery_per_complaint,
        ),
    )
