"""Helpers for the analysts' notebooks (notebooks/): open the warehouse read-only, query it into
small data frames, and draw the plots a person wants to see.

The notebooks hold queries and calls to this module, never pipeline logic. Plots take a
matplotlib Axes, so a notebook decides the figure; nothing here picks a backend (importing
pipeline.report.charts would switch to Agg and hide inline plots, so this module does not).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from pipeline import paths
from pipeline.retention.claims import GROUP_NAMES
from pipeline.retention.curves import curves_from_rows, draw_reorder_curves
from pipeline.vocabulary import EXPERIENCE_GROUPS, NO_CONTACT, OUTCOMES

OUTCOME_COLORS = {
    "delighted": "#1f4e79",
    "satisfied": "#9dc3e6",
    "dissatisfied": "#c55a11",
    "unscored": "#d9d9d9",
}


def resolve_warehouse(warehouse: str | Path) -> Path:
    """The warehouse file: a relative path is taken from the project root (where the Makefile
    is), whatever folder the notebook runs in."""
    path = Path(warehouse).expanduser()
    if not path.is_absolute():
        path = paths.ROOT / path
    if not path.is_file():
        raise FileNotFoundError(f"no warehouse at {path}: run `make report` first")
    return path


def connect(warehouse: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection: exploring never changes the warehouse."""
    return duckdb.connect(str(resolve_warehouse(warehouse)), read_only=True)


def query(
    con: duckdb.DuckDBPyConnection, sql: str, params: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """The result as a data frame (fetched in full). Values go in as bound parameters."""
    return con.execute(sql, dict(params or {})).df()


def has_tables(con: duckdb.DuckDBPyConnection, *tables: str) -> bool:
    found = con.execute(
        "select count(distinct table_name) from information_schema.tables "
        "where table_name in (select unnest($t))",
        {"t": list(tables)},
    ).fetchall()[0][0]
    return found == len(tables)


def require_tables(con: duckdb.DuckDBPyConnection, *tables: str, stage: str) -> None:
    """Stop with a clear message when a stage has not built its tables yet."""
    if not has_tables(con, *tables):
        raise RuntimeError(
            f"the warehouse has no {', '.join(tables)}: run the pipeline with the {stage} stage"
        )


def masked_text(texts: pd.Series) -> pd.Series:
    """Free text with e-mail addresses and phone numbers masked, as the report's --examples does
    (pipeline.report.privacy): notes and transcripts may hold personal data."""
    import matplotlib

    backend = matplotlib.get_backend()
    from pipeline.report.privacy import mask_pii

    # importing pipeline.report selects Agg for the report's charts: give the notebook its
    # inline plots back (in IPython through its magic, which also re-hooks the display)
    shell = _ipython()
    if shell is not None and "inline" in backend:
        shell.run_line_magic("matplotlib", "inline")
    else:
        matplotlib.use(backend)
    return texts.map(lambda t: None if t is None or t != t else mask_pii(str(t)))


def _ipython() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def group_name(group: str) -> str:
    return GROUP_NAMES.get(group, group).capitalize()


def in_group_order(df: pd.DataFrame, column: str = "experience") -> pd.DataFrame:
    """Rows in the report's order of complaint-experience groups (others last)."""
    rank = {g: i for i, g in enumerate((*EXPERIENCE_GROUPS, NO_CONTACT))}
    return df.sort_values(column, key=lambda s: s.map(lambda g: rank.get(g, len(rank))))


# --- plots -----------------------------------------------------------------------------------


def plot_outcome_mix(ax: Any, df: pd.DataFrame, label: str = "name") -> None:
    """Stacked horizontal bars of pct_<outcome> per row (first row on top)."""
    y = np.arange(len(df))[::-1]
    left = np.zeros(len(df))
    for o in OUTCOMES:
        values = df[f"pct_{o}"].fillna(0).to_numpy(dtype=float)
        ax.barh(y, values, left=left, color=OUTCOME_COLORS[o], edgecolor="white", label=o)
        for yi, lv, v in zip(y, left, values, strict=True):
            if v >= 8:
                ax.text(
                    lv + v / 2,
                    yi,
                    f"{v:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if o in ("delighted", "dissatisfied") else "black",
                )
        left += values
    ax.set_yticks(y, df[label])
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of contacts (%)")
    ax.legend(ncol=4, loc="lower right", bbox_to_anchor=(1, 1), frameon=False)


def plot_heatmap(
    ax: Any, table: pd.DataFrame, fmt: str = "{:.0f}", cmap: str = "RdBu", center: float | None = 0
) -> Any:
    """A labelled heatmap of a pivot table (rows x columns), blank where there is no value."""
    values = table.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    if center is not None and finite.size:
        span = max(abs(finite.min() - center), abs(finite.max() - center)) or 1.0
        vmin, vmax = center - span, center + span
    else:
        vmin, vmax = (finite.min(), finite.max()) if finite.size else (0, 1)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(table.shape[1]), [str(c) for c in table.columns], rotation=45, ha="right")
    ax.set_yticks(range(table.shape[0]), [str(i) for i in table.index])
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=7)
    return image


def plot_rates(
    ax: Any,
    df: pd.DataFrame,
    rate: str = "reorder_pct",
    low: str = "ci_low",
    high: str = "ci_high",
    n: str = "followed",
    label: str = "experience",
) -> None:
    """Horizontal bars of a rate (%) with its interval and the n behind it, first row on top."""
    y = np.arange(len(df))[::-1]
    rates = df[rate].to_numpy(dtype=float)
    err = np.vstack([rates - df[low].to_numpy(dtype=float), df[high].to_numpy(dtype=float) - rates])
    ax.barh(y, rates, color="#9dc3e6", edgecolor="#1f4e79")
    ax.errorbar(rates, y, xerr=err, fmt="none", ecolor="black", capsize=3, linewidth=1)
    for yi, r, hi, k in zip(y, rates, df[high], df[n], strict=True):
        if np.isfinite(r):
            ax.text(hi + 1, yi, f"{r:.1f}%  (n = {int(k):,})", va="center", fontsize=8)
    ax.set_yticks(y, [group_name(g) for g in df[label]])
    ax.set_xlim(0, 115)
    ax.set_xlabel(f"{rate.replace('_', ' ')} with 95% interval")


def plot_reorder_curves(
    ax: Any, curves: pd.DataFrame, at_risk: pd.DataFrame, horizon: int | None = None
) -> None:
    """mart_retention_curves as Kaplan-Meier steps with bands, numbers at risk underneath."""
    found = curves_from_rows(curves.to_dict("records"))
    risk: dict[str, dict[int, int]] = {}
    for r in at_risk.itertuples():
        risk.setdefault(r.experience, {})[int(r.day)] = int(r.at_risk)
    end = horizon or int(at_risk["day"].max())
    names = {g: group_name(g) for g in found}
    draw_reorder_curves(ax, found, risk, names, end, order=EXPERIENCE_GROUPS)
    ax.set_xlabel("days since the index interaction (first complaint, or first problem/contact)")
    ax.set_ylabel("share who ordered again (%)")
    ax.legend(loc="lower right", frameon=False, fontsize=8)


def plot_kano(ax: Any, df: pd.DataFrame, label: str = "touchpoint_id") -> None:
    """Reorder drop after a dissatisfied contact (x) against lift after a delighted one (y), per
    touchpoint, with both intervals. Below the diagonal failure hurts more than success helps
    (must-be); above it, the reverse (attractive)."""
    d = df.dropna(subset=["reorder_drop", "reorder_lift"])
    classes = sorted(d["kano_class"].unique())
    markers = dict(zip(classes, "osD^v<>", strict=False))
    for c in classes:
        part = d[d["kano_class"] == c]
        ax.errorbar(
            part["reorder_drop"],
            part["reorder_lift"],
            xerr=[
                part["reorder_drop"] - part["drop_ci_low"],
                part["drop_ci_high"] - part["reorder_drop"],
            ],
            yerr=[
                part["reorder_lift"] - part["lift_ci_low"],
                part["lift_ci_high"] - part["reorder_lift"],
            ],
            fmt=markers[c],
            capsize=2,
            elinewidth=0.6,
            alpha=0.85,
            label=c,
        )
    for r in d.itertuples():
        ax.annotate(
            getattr(r, label),
            (r.reorder_drop, r.reorder_lift),
            xytext=(4, 3),
            textcoords="offset points",
            fontsize=7,
        )
    lims = (
        [
            min(d["drop_ci_low"].min(), d["lift_ci_low"].min(), 0) - 2,
            max(d["drop_ci_high"].max(), d["lift_ci_high"].max(), 0) + 2,
        ]
        if len(d)
        else [-10, 10]
    )
    ax.plot(lims, lims, color="grey", linewidth=0.8, linestyle="--")
    ax.axhline(0, color="grey", linewidth=0.6)
    ax.axvline(0, color="grey", linewidth=0.6)
    ax.set_xlim(lims)
    ax.set_ylim(lims)
    ax.set_xlabel("reorder drop after a dissatisfied contact (points vs satisfied)")
    ax.set_ylabel("reorder lift after a delighted contact (points vs satisfied)")
    ax.legend(frameon=False, fontsize=8)


def plot_claims(ax: Any, claims: pd.DataFrame) -> None:
    """Each claim's difference in reorder rate (points) with its 95% interval: right of zero, the
    claim's favoured group reorders more."""
    y = np.arange(len(claims))[::-1]
    est = claims["diff_points"].to_numpy(dtype=float)
    err = np.vstack(
        [
            est - claims["diff_ci_low"].to_numpy(dtype=float),
            claims["diff_ci_high"].to_numpy(dtype=float) - est,
        ]
    )
    ax.errorbar(est, y, xerr=err, fmt="o", color="#1f4e79", capsize=4)
    ax.axvline(0, color="grey", linestyle="--", linewidth=0.8)
    labels = [
        f"{c}\n{group_name(a)} vs {group_name(b).lower()}"
        for c, a, b in zip(claims["claim_id"], claims["group_a"], claims["group_b"], strict=True)
    ]
    ax.set_yticks(y, labels, fontsize=8)
    for yi, e, v in zip(y, est, claims["verdict"], strict=True):
        if np.isfinite(e):
            ax.annotate(
                v,
                (e, yi),
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                fontsize=7,
                style="italic",
            )
    ax.set_xlabel("difference in reorder rate, points (95% interval)")


def pivot(
    df: pd.DataFrame, index: str, columns: str, values: str, order: Sequence[Any] | None = None
) -> pd.DataFrame:
    """A pivot table for plot_heatmap, rows in `order` when given."""
    table = df.pivot_table(index=index, columns=columns, values=values, aggfunc="sum")
    return table.reindex([o for o in order if o in table.index]) if order is not None else table
