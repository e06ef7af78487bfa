"""The guide's claims in words: what a row of mart_retention_claims says, with its numbers.

The claim is always labelled as a claim; the sentence reports what this data shows, with the
interval and the counts behind it, never the folklore figure as a fact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GROUP_NAMES = {
    "never_complained": "never complained",
    "complaint_delighted": "complaint handled, delighted",
    "complaint_satisfied": "complaint handled, satisfied",
    "complaint_dissatisfied": "complaint handled, dissatisfied",
    "complaint_unscored": "complaint handled, not scored",
    "unresolved": "complaint unresolved",
    "complained": "complained (any outcome)",
    "silent_dissatisfied": "dissatisfied, never complained",
}

_VERDICT_WORDS = {
    "supported": "This data supports the claim",
    "contradicted": "This data contradicts the claim",
    "inconclusive": "This data cannot tell (the interval includes no difference)",
    "not_enough_data": "Not enough customers to tell",
    "no_cost_inputs": "Set costs.acquisition_per_customer and costs.recovery_per_complaint "
    "in retention.yaml to test this claim",
}


def says(row: Mapping[str, Any]) -> str:
    """One plain-English paragraph: the two groups' reorder rates, the estimate, the verdict."""
    a = GROUP_NAMES.get(row["group_a"], row["group_a"])
    b = GROUP_NAMES.get(row["group_b"], row["group_b"])
    days = row["window_days"]
    rates = (
        f"Reordered within {days} days: {a} {_pct(row['rate_a'])} "
        f"(n = {row['customers_a']:,}), {b} {_pct(row['rate_b'])} (n = {row['customers_b']:,})."
    )
    diff = (
        f" Difference {_signed(row['diff_points'])} points "
        f"(95% interval {_signed(row['diff_ci_low'])} to {_signed(row['diff_ci_high'])})"
    )
    if row["unit"] == "ratio":
        diff += (
            f"; {a} reorder {_num(row['ratio'], 2)} times as often "
            f"({_num(row['ratio_ci_low'], 2)} to {_num(row['ratio_ci_high'], 2)})"
        )
    elif row["unit"] == "times" and _known(row.get("cost_per_customer_kept")):
        diff += (
            f"; one customer kept by good complaint handling costs "
            f"{_num(row['cost_per_customer_kept'], 0)}, winning one costs "
            f"{_num(row['acquisition_per_customer'], 0)}: keeping is "
            f"{_num(row['estimate'], 1)} times cheaper ({_num(row['ci_low'], 1)} to "
            f"{_num(row['ci_high'], 1)})"
        )
    return f"{rates}{diff}. {_VERDICT_WORDS.get(row['verdict'], row['verdict'])}."


def _known(v: Any) -> bool:
    return v is not None and v == v  # NaN (pandas' missing value) is not equal to itself


def _num(v: float | None, decimals: int) -> str:
    return "n/a" if v is None or v != v else f"{v:,.{decimals}f}"


def _pct(v: float | None) -> str:
    return "n/a" if v is None or v != v else f"{v:.1f}%"


def _signed(v: float | None) -> str:
    return "n/a" if v is None or v != v else f"{v:+.1f}"
