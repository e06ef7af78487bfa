"""The report's four charts, drawn with matplotlib's Agg canvas (no pyplot state), readable in grey.

Each outcome has its own grey level and hatch as well as a colour, and the priority map marks a
touchpoint's kind by marker shape, so a black-and-white print loses nothing. Every chart comes
with the table it was drawn from; the caller writes both (PNG at CHART_DPI, and CSV).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; must precede any pyplot import elsewhere in the process

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.ticker import MaxNLocator, NullLocator  # noqa: E402

from pipeline.report.fonts import chart_text, clean  # noqa: E402
from pipeline.report.labels import Labels  # noqa: E402
from pipeline.report.model import ReportData, TouchpointStats  # noqa: E402
from pipeline.report.workplan import importance, importance_basis, importance_cut  # noqa: E402
from pipeline.retention.curves import Curve, draw_reorder_curves  # noqa: E402
from pipeline.vocabulary import (  # noqa: E402
    EXPERIENCE_GROUPS,
    OUTCOMES,
    TOUCHPOINT_KINDS,
)

CHART_DPI = 200
WIDTH_IN = 10.0
MAX_BARS = 30  # the outcome-mix chart shows this many touchpoints at most (the CSV has all)
MAX_NAMED_POINTS = 18  # more points than this on the priority map are labelled by number

# colour for the screen, grey level (luminance) and hatch for print: all four differ
STYLE = {
    "delighted": {"color": "#1f4e79", "hatch": ""},  # dark
    "satisfied": {"color": "#9dc3e6", "hatch": ""},  # light
    "dissatisfied": {"color": "#c55a11", "hatch": "////"},  # middle, striped
    "unscored": {"color": "#f2f2f2", "hatch": "...."},  # near white, dotted
}
# ticks of the resolution chart: an hour, a working day, a day, two days, a week, two weeks, a month
_HOUR_TICKS = (0.25, 1, 4, 8, 24, 48, 168, 336, 720, 2160)
KIND_MARKERS = {"communication": "o", "human_contact": "s", "physical": "^"}
RC = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.linewidth": 0.6,
    "hatch.color": "#333333",
    "svg.hashsalt": "report",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}


@dataclass(frozen=True)
class Chart:
    name: str  # file stem: outcome_mix, priority_map, monthly_trend, resolution_by_channel
    title: str
    png: bytes | None  # None: no data to draw
    width_in: float
    height_in: float
    header: list[str]
    rows: list[list[Any]]
    note: str | None = None


def build_charts(data: ReportData, labels: Labels) -> list[Chart]:
    """The four charts, and the reorder curves once the retention stage has drawn them."""
    with matplotlib.rc_context(RC):
        charts = [
            outcome_mix(data, labels),
            priority_map(data, labels),
            monthly_trend(data, labels),
            resolution_by_channel(data, labels),
        ]
        # no orders loaded: every curve would be flat at 0 (the section says why instead)
        if data.retention and data.orders != 0 and any(r.curve for r in data.retention):
            charts.append(reorder_curves(data, labels))
        return charts


def matrix_order(touchpoints: list[TouchpointStats]) -> list[TouchpointStats]:
    """The matrix's rows and numbers, as the charts use them: the touchpoints with contacts in the
    period or the one before (a catalog touchpoint with none says nothing: see `silent`), by kind
    (communication, human contact, physical, unmapped), then in catalog order."""
    rank = {k: i for i, k in enumerate(TOUCHPOINT_KINDS)}
    listed = [t for t in touchpoints if t.metrics.volume or t.prev_volume]
    return sorted(listed, key=lambda t: (rank.get(t.kind, len(TOUCHPOINT_KINDS)), t.position))


def silent(touchpoints: list[TouchpointStats]) -> int:
    """Catalog touchpoints (not `unmapped`) with no contacts in the period nor the one before."""
    return sum(1 for t in touchpoints if t.kind is not None and not t.metrics.volume
               and not t.prev_volume)


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    # no Software/time stamps: the same data gives the same bytes
    fig.savefig(buf, format="png", dpi=CHART_DPI, metadata={"Software": None})
    return buf.getvalue()


def _short(name: str, width: int) -> str:
    """A name from data, shortened and made safe to draw."""
    name = clean(name)
    name = name if len(name) <= width else name[: width - 1].rstrip() + "…"
    return chart_text(name)


def _mix_legend(ax: Any, labels: Labels) -> None:
    """The outcome legend on the title's line, at the right (keeps the plot area free)."""
    handles = [
        Patch(
            facecolor=STYLE[o]["color"],
            hatch=STYLE[o]["hatch"],
            edgecolor="#333333",
            linewidth=0.4,
            label=labels(f"outcomes.{o}"),
        )
        for o in OUTCOMES
    ]
    ax.legend(
        handles=handles,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncol=4,
        frameon=False,
        borderaxespad=0.2,
    )


def _title_clear_of_legend(fig: Figure, ax: Any) -> None:
    """Lift the title above the legend where it would run under it (a longer title or legend in
    another language); call after tight_layout, which it repeats."""
    FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    title = ax.get_title(loc="left")
    legend = ax.get_legend().get_window_extent(renderer)
    width = ax.set_title(title, loc="left").get_window_extent(renderer)
    if width.x1 > legend.x0 - 4:
        ax.set_title(title, loc="left", pad=6 + legend.height * 72 / fig.dpi)
        fig.tight_layout()


def outcome_mix(data: ReportData, labels: Labels) -> Chart:
    tps = [t for t in matrix_order(data.touchpoints) if t.metrics.volume > 0]
    header = ["touchpoint_id", "touchpoint", "kind", "volume"]
    header += list(OUTCOMES) + [f"pct_{o}" for o in OUTCOMES]
    rows = [
        [t.touchpoint_id, t.name, t.kind, t.metrics.volume]
        + [t.metrics.mix.count(o) for o in OUTCOMES]
        + [t.metrics.pct.get(o) for o in OUTCOMES]
        for t in tps
    ]
    title = labels("charts.mix.title")
    if not tps:
        return Chart("outcome_mix", title, None, WIDTH_IN, 1.0, header, rows)
    shown = tps
    note = None
    if len(tps) > MAX_BARS:
        keep = {t.touchpoint_id for t in sorted(tps, key=lambda t: -t.metrics.volume)[:MAX_BARS]}
        shown = [t for t in tps if t.touchpoint_id in keep]
        note = labels("charts.mix.top", shown=MAX_BARS, total=len(tps))
    height = 1.1 + 0.27 * len(shown)
    fig = Figure(figsize=(WIDTH_IN, height))
    ax = fig.add_subplot()
    y = list(range(len(shown)))[::-1]
    left = [0.0] * len(shown)
    for o in OUTCOMES:
        values = [t.metrics.pct.get(o) or 0.0 for t in shown]
        ax.barh(
            y,
            values,
            left=left,
            height=0.72,
            color=STYLE[o]["color"],
            hatch=STYLE[o]["hatch"],
            edgecolor="#333333",
            linewidth=0.3,
        )
        # the share written on the bar where it is wide enough to read
        for yi, lv, v in zip(y, left, values, strict=True):
            if v >= 7:
                dark = o == "delighted"
                ax.text(
                    lv + v / 2,
                    yi,
                    labels.fmt.pct(v),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if dark else "black",
                    bbox=None if dark else {"fc": "white", "ec": "none", "pad": 0.6, "alpha": 0.85},
                )
        left = [a + b for a, b in zip(left, values, strict=True)]
    # every share with its n: the contacts beside each touchpoint's name
    ax.set_yticks(
        y, [f"{_short(t.name, 34)} (n = {labels.fmt.int(t.metrics.volume)})" for t in shown]
    )
    ax.set_xlim(0, 100)
    ax.set_xlabel(labels("charts.mix.x"))
    ax.xaxis.set_major_formatter(lambda v, _: labels.fmt.pct(v))
    ax.set_title(title, loc="left")
    _mix_legend(ax, labels)
    fig.tight_layout()
    _title_clear_of_legend(fig, ax)
    return Chart("outcome_mix", title, _png(fig), WIDTH_IN, height, header, rows, note)


def priority_map(data: ReportData, labels: Labels) -> Chart:
    """Importance against performance. Importance is behaviour-derived (the reorder swing) once
    the retention stage gives it for at least two touchpoints, else the share of contacts."""
    ordered = matrix_order(data.touchpoints)
    number = {t.touchpoint_id: i for i, t in enumerate(ordered, start=1)}
    points = [t for t in ordered if t.quadrant is not None]
    basis = importance_basis(data.touchpoints)
    x_cut = importance_cut(data.touchpoints)
    y_cut = data.overall.net_delight if data.overall else None
    header = [
        "number",
        "touchpoint_id",
        "touchpoint",
        "kind",
        "volume",
        "volume_share_pct",
        "net_delight",
        "quadrant",
        "importance_cut",
        "performance_cut",
        "importance_basis",
        "importance",
        "reorder_drop",
        "reorder_lift",
        "kano_class",
    ]
    rows = [
        [
            number[t.touchpoint_id],
            t.touchpoint_id,
            t.name,
            t.kind,
            t.metrics.volume,
            t.volume_share,
            t.metrics.net_delight,
            t.quadrant,
            x_cut,
            y_cut,
            basis,
            importance(t, basis),
            t.reorder_drop,
            t.reorder_lift,
            t.kano_class,
        ]
        for t in points
    ]
    title = labels("charts.priority.title")
    if not points or x_cut is None or y_cut is None:
        return Chart("priority_map", title, None, WIDTH_IN, 1.0, header, rows)
    height = 5.6
    fig = Figure(figsize=(WIDTH_IN, height))
    ax = fig.add_subplot()
    xs = [_x(t, basis) for t in points]
    ys = [t.metrics.net_delight for t in points]
    x_max = max(xs + [x_cut]) * 1.15 + 0.5
    y_lo = min(ys + [y_cut]) - 12
    y_hi = max(ys + [y_cut]) + 12
    # a reorder swing can be negative (customers reordered more after a dissatisfied contact)
    x_min = 0.0 if basis == "volume" else min(0.0, min(xs) * 1.15 - 0.5)
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(max(-105, y_lo), min(105, y_hi))
    ax.axvline(x_cut, color="#555555", linewidth=0.8, linestyle="--")
    ax.axhline(y_cut, color="#555555", linewidth=0.8, linestyle="--")
    corners = {
        "concentrate_here": (0.99, 0.02, "right", "bottom"),
        "keep_up": (0.99, 0.98, "right", "top"),
        "low_priority": (0.01, 0.02, "left", "bottom"),
        "possible_overkill": (0.01, 0.98, "left", "top"),
    }
    corner_texts = []
    for q, (cx, cy, ha, va) in corners.items():
        corner_text = ax.text(
            cx,
            cy,
            labels(f"quadrants.{q}"),
            transform=ax.transAxes,
            ha=ha,
            va=va,
            fontsize=9,
            color="#666666",
            style="italic",
        )
        corner_texts.append(corner_text)
    for kind in TOUCHPOINT_KINDS:
        ks = [t for t in points if t.kind == kind]
        if not ks:
            continue
        ax.scatter(
            [_x(t, basis) for t in ks],
            [t.metrics.net_delight for t in ks],
            marker=KIND_MARKERS[kind],
            s=46,
            facecolor="white" if kind == "communication" else "#444444",
            edgecolor="black",
            linewidth=0.8,
            label=labels(f"kinds.{kind}"),
            zorder=3,
        )
    ax.set_xlabel(labels("charts.priority.x" if basis == "volume" else "charts.priority.x_reorder"))
    ax.set_ylabel(labels("charts.priority.y"))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, steps=[1, 2, 5, 10]))
    if basis == "volume":
        ax.xaxis.set_major_formatter(lambda v, _: labels.fmt.pct(v, 0 if v == int(v) else 1))
    else:
        ax.xaxis.set_major_formatter(lambda v, _: labels.fmt.signed(v))
    ax.yaxis.set_major_formatter(lambda v, _: labels.fmt.signed(v))
    ax.set_title(title, loc="left")
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=3, frameon=False)
    # labels last: their placement needs the final layout
    by_name = len(points) <= MAX_NAMED_POINTS
    texts = [_short(t.name, 26) if by_name else str(number[t.touchpoint_id]) for t in points]
    _place_labels(fig, ax, points, texts, 7.5 if by_name else 6.5, corner_texts, basis)
    note = labels("charts.priority.note" if basis == "volume" else "charts.priority.note_reorder")
    if basis == "reorder":
        left_off = [
            t.name
            for t in ordered
            if t.kind is not None and t.metrics.volume > 0 and t.quadrant is None
        ]
        if left_off:
            note += " " + labels("charts.priority.left_off", touchpoints=", ".join(left_off))
    if not by_name:
        note += " " + labels("charts.priority.numbers")
    return Chart("priority_map", title, _png(fig), WIDTH_IN, height, header, rows, note)


def _x(t: TouchpointStats, basis: str) -> float:
    """The point's place on the importance axis (only touchpoints with a quadrant are drawn)."""
    value = importance(t, basis)
    return 0.0 if value is None else value


# Label positions tried around a point, in points: beside, above/below, diagonal, then farther out
# (those get a thin leader line).
_OFFSETS = [
    (dx * k, dy * k)
    for k in (1, 2, 3, 4, 5, 6)
    for dx, dy in ((7, 0), (-7, 0), (0, 8), (0, -8), (7, 8), (-7, 8), (7, -8), (-7, -8))
]


def _place_labels(
    fig: Figure,
    ax: Any,
    points: list[TouchpointStats],
    texts: list[str],
    fontsize: float,
    obstacles: list[Any],
    basis: str = "volume",
) -> None:
    """Greedy placement: biggest touchpoints first, each label at the first offset where it
    overlaps no label or marker placed so far and stays inside the axes."""
    FigureCanvasAgg(fig)
    fig.tight_layout()
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    taken = []
    for o in obstacles:
        b = o.get_window_extent(renderer)
        taken.append(((b.x0, b.y0), (b.x1, b.y1)))
    for t in points:
        x, y = ax.transData.transform((_x(t, basis), t.metrics.net_delight))
        taken.append(((x - 5, y - 5), (x + 5, y + 5)))
    order = sorted(range(len(points)), key=lambda i: (-points[i].metrics.volume, i))
    for i in order:
        t = points[i]
        xy = (_x(t, basis), t.metrics.net_delight)
        chosen = None
        for k, (dx, dy) in enumerate(_OFFSETS):
            ha = "left" if dx > 0 else "right" if dx < 0 else "center"
            va = "bottom" if dy > 0 else "top" if dy < 0 else "center"
            far = k >= 8
            ann = ax.annotate(
                texts[i],
                xy,
                xytext=(dx, dy),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=fontsize,
                zorder=4,
                arrowprops=(
                    {"arrowstyle": "-", "lw": 0.6, "color": "#333333", "shrinkA": 1, "shrinkB": 4}
                    if far
                    else None
                ),
            )
            box = _text_box(ann, renderer)
            inside = box.x0 >= frame.x0 and box.x1 <= frame.x1
            inside = inside and box.y0 >= frame.y0 and box.y1 <= frame.y1
            clash = any(
                box.x0 < b[1][0] and box.x1 > b[0][0] and box.y0 < b[1][1] and box.y1 > b[0][1]
                for b in taken
            )
            if inside and not clash:
                chosen = ann
                break
            ann.remove()
        if chosen is None:  # nowhere free: right beside the point, overlapping if it must
            chosen = ax.annotate(
                texts[i],
                xy,
                xytext=(7, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=fontsize,
                zorder=4,
            )
        box = _text_box(chosen, renderer)
        taken.append(((box.x0 - 1, box.y0 - 1), (box.x1 + 1, box.y1 + 1)))


def _text_box(ann: Any, renderer: Any) -> Any:
    """The label's own box, without its leader line (which always reaches its point)."""
    ann.update_positions(renderer)
    return Text.get_window_extent(ann, renderer)


def monthly_trend(data: ReportData, labels: Labels) -> Chart:
    months = data.months
    header = ["month", "in_period", "volume"] + list(OUTCOMES) + [f"pct_{o}" for o in OUTCOMES]
    rows = [
        [m.month, m.in_period, m.metrics.volume]
        + [m.metrics.mix.count(o) for o in OUTCOMES]
        + [m.metrics.pct.get(o) for o in OUTCOMES]
        for m in months
    ]
    title = labels("charts.trend.title")
    if not months:
        return Chart("monthly_trend", title, None, WIDTH_IN, 1.0, header, rows)
    height = 3.3
    fig = Figure(figsize=(WIDTH_IN, height))
    ax = fig.add_subplot()
    xs = list(range(len(months)))
    bottom = [0.0] * len(months)
    for o in OUTCOMES:
        values = [m.metrics.pct.get(o) or 0.0 for m in months]
        ax.bar(
            xs,
            values,
            bottom=bottom,
            width=0.62,
            color=STYLE[o]["color"],
            hatch=STYLE[o]["hatch"],
            edgecolor="#333333",
            linewidth=0.3,
        )
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    # the dissatisfied share written above each month, the figure ops managers track
    for x, m in zip(xs, months, strict=True):
        ax.text(
            x,
            101.5,
            labels.fmt.pct(m.metrics.pct.get("dissatisfied")),
            ha="center",
            va="bottom",
            fontsize=7,
            color="#7f3a0b",
        )
    first_in = next((i for i, m in enumerate(months) if m.in_period), None)
    if first_in:
        ax.axvline(first_in - 0.5, color="black", linewidth=1.0, linestyle="--")
    ax.set_xticks(
        xs, [f"{labels.fmt.month(m.month)}\nn = {labels.fmt.int(m.metrics.volume)}" for m in months]
    )
    ax.set_ylim(0, 108)
    ax.set_ylabel(labels("charts.trend.y"))
    ax.yaxis.set_major_formatter(lambda v, _: labels.fmt.pct(v) if v <= 100 else "")
    ax.set_title(title, loc="left")
    _mix_legend(ax, labels)
    fig.tight_layout()
    _title_clear_of_legend(fig, ax)
    note = labels("charts.trend.note")
    return Chart("monthly_trend", title, _png(fig), WIDTH_IN, height, header, rows, note)


def resolution_by_channel(data: ReportData, labels: Labels) -> Chart:
    chans = [c for c in data.channels if c.metrics.volume > 0]
    header = [
        "channel",
        "volume",
        "resolved_timed",
        "median_ttr_hours",
        "median_expected_hours",
        "promises",
        "promise_kept_pct",
    ]
    rows = [
        [
            c.channel,
            c.metrics.volume,
            c.metrics.resolved_timed,
            c.metrics.median_ttr_hours,
            c.median_expected_hours,
            c.metrics.promises,
            c.metrics.promise_kept_pct,
        ]
        for c in chans
    ]
    title = labels("charts.ttr.title")
    drawn = [c for c in chans if c.metrics.median_ttr_hours is not None or c.median_expected_hours]
    if not drawn:
        return Chart("resolution_by_channel", title, None, WIDTH_IN, 1.0, header, rows)
    height = 1.1 + 0.3 * len(drawn)
    fig = Figure(figsize=(WIDTH_IN, height))
    ax = fig.add_subplot()
    y = list(range(len(drawn)))[::-1]
    bar = 0.38
    series = [
        ("resolved", [c.metrics.median_ttr_hours for c in drawn], "#404040", ""),
        ("promised", [c.median_expected_hours for c in drawn], "white", "////"),
    ]
    values = [v for _, vals, _, _ in series for v in vals if v]
    lo = max(min(values, default=1.0) / 2, 0.1)
    hi = max(values, default=1.0) * 2.5
    # a log scale: chat answers in hours and letters in weeks must both be readable
    ax.set_xscale("log")
    ax.set_xlim(lo, hi)
    for k, (key, vals, color, hatch) in enumerate(series):
        ys = [yi + (bar / 2 if k == 0 else -bar / 2) for yi in y]
        ax.barh(
            ys,
            [max(v, lo) - lo if v else 0 for v in vals],  # bars start at the axis' left end
            left=lo,
            height=bar,
            color=color,
            hatch=hatch,
            edgecolor="black",
            linewidth=0.5,
            label=labels(f"charts.ttr.{key}"),
        )
        for yi, v in zip(ys, vals, strict=True):
            text = labels.fmt.hours(v) if v is not None else labels.fmt.spec["missing"]
            ax.text(max(v or lo, lo) * 1.06, yi, text, va="center", fontsize=7)
    ticks = [t for t in _HOUR_TICKS if lo <= t <= hi]
    ax.set_xticks(ticks, [labels.fmt.hours(t) for t in ticks])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_yticks(
        y,
        [
            labels(f"channels.{c.channel}")
            if labels.has(f"channels.{c.channel}")
            else _short(str(c.channel), 20)
            for c in drawn
        ],
    )
    ax.set_xlabel(labels("charts.ttr.x"))
    ax.set_title(title, loc="left")
    ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, frameon=False)
    fig.tight_layout()
    return Chart("resolution_by_channel", title, _png(fig), WIDTH_IN, height, header, rows)


def reorder_curves(data: ReportData, labels: Labels) -> Chart:
    """Share of customers who have reordered, by days since their index interaction, per
    complaint experience (Kaplan-Meier, 95% bands), with the numbers at risk under the axis."""
    rows_in = data.retention or []
    order = {g: i for i, g in enumerate(EXPERIENCE_GROUPS)}
    groups = sorted(
        (r for r in rows_in if r.curve), key=lambda r: (order.get(r.group, 99), r.group)
    )
    header = ["experience", "day", "reordered_pct", "ci_low", "ci_high"]
    rows = [[r.group, d, p, lo, hi] for r in groups for d, p, lo, hi in r.curve]
    title = labels("charts.reorder.title")
    curves = {
        r.group: Curve(
            r.group,
            tuple(d for d, _, _, _ in r.curve),
            (),
            (),
            tuple(p for _, p, _, _ in r.curve),
            tuple(lo for _, _, lo, _ in r.curve),
            tuple(hi for _, _, _, hi in r.curve),
        )
        for r in groups
    }
    at_risk = {r.group: dict(r.at_risk) for r in groups}
    ticks = sorted({d for r in groups for d, _ in r.at_risk})
    horizon = max(ticks) if ticks else max(d for r in groups for d, _, _, _ in r.curve)
    names = {
        r.group: _short(
            labels(f"retention.groups.{r.group}")
            if labels.has(f"retention.groups.{r.group}")
            else r.group,
            34,
        )
        for r in groups
    }
    height = 3.3 + 0.16 * len(groups)
    fig = Figure(figsize=(WIDTH_IN, height))
    ax = fig.add_subplot()
    draw_reorder_curves(
        ax,
        curves,
        at_risk,
        names,
        horizon,
        order=EXPERIENCE_GROUPS,
        fmt_int=labels.fmt.int,
        at_risk_label=labels("charts.reorder.at_risk"),
    )
    ax.set_xlabel(labels("charts.reorder.x"))
    ax.set_ylabel(labels("charts.reorder.y"))
    ax.yaxis.set_major_formatter(lambda v, _: labels.fmt.pct(v))
    ax.set_title(title, loc="left")
    ax.legend(loc="lower right", frameon=False, fontsize=7.5)
    fig.tight_layout()
    note = labels("charts.reorder.note")
    return Chart("reorder_curves", title, _png(fig), WIDTH_IN, height, header, rows, note)
