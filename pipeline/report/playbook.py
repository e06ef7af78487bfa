"""The work-plan playbook (data/reference/playbook.yaml): actions, priority rule, due days, KPIs.

Loaded and checked once per report; a wrong file raises UserError naming the file and key, e.g.
`data/reference/playbook.yaml: actions.follow_up.kpi: 'nps' is not one of ...`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import UserError
from pipeline.report.labels import _load_yaml, _show
from pipeline.report.model import PRIORITIES
from pipeline.vocabulary import INTERACTION_KINDS, SEGMENTS, TOUCHPOINT_KINDS
from pipeline.vocabulary import TEXT_LANGUAGES as REQUIRED_LANGUAGES

PLAYBOOK_FILE = "playbook.yaml"
# KPI -> the figure of TouchpointStats it is measured by (see workplan.kpi_current).
KPIS = (
    "promise_kept",
    "csat",
    "net_delight",
    "dissatisfied_share",
    "first_contact",
    "phrase_free",
    "median_ttr",
)


@dataclass(frozen=True)
class Selection:
    min_scored: int
    min_reason_share: float  # 0-1
    min_reason_n: int
    max_actions_per_touchpoint: int
    segment_share: float  # 0-1
    act_first: int


@dataclass(frozen=True)
class PriorityRule:
    p1_dissatisfied: float  # 0-1 share
    p1_volume: float
    p1_reorder_drop: float
    p1_below_overall: bool  # P1 also needs net delight at or below the period's overall
    p2_dissatisfied: float
    p2_volume: float
    # fewer scored contacts than this: marked `small n` in the report and never P1
    small_n: int = 30


@dataclass(frozen=True)
class Kpi:
    id: str
    target: float | None  # 0-1 share; None with `channel`: the touchpoint's expected hours
    from_channel: bool
    lower_is_better: bool
    # where the current value already meets the target: how much better the next target is
    # (a share 0-1 for shares and net delight, a fraction of the hours for median_ttr)
    step: float = 0.05


@dataclass(frozen=True)
class Action:
    id: str
    reasons: tuple[str, ...] | None  # None: any reason; a trailing * matches a prefix
    touchpoints: tuple[str, ...] | None
    kinds: tuple[str, ...] | None
    segments: tuple[str, ...] | None
    kpi: str
    texts: Mapping[str, str]

    def matches(self, reason: str, touchpoint: str, kind: str | None, segment: str) -> bool:
        if self.reasons is not None and not any(_like(reason, p) for p in self.reasons):
            return False
        if self.touchpoints is not None and touchpoint not in self.touchpoints:
            return False
        if self.kinds is not None and kind not in self.kinds:
            return False
        return self.segments is None or segment in self.segments

    def text(self, lang: str) -> str:
        return self.texts.get(lang) or self.texts["en"]


def _like(code: str, pattern: str) -> bool:
    """discouraged_phrase:* matches discouraged_phrase:dont_know and the family name itself;
    a leading * matches the end: *_fell_short matches every declared signal that fell short."""
    if pattern.startswith("*"):
        return code.endswith(pattern[1:])
    if pattern.endswith("*"):
        prefix = pattern[:-1]
        return code.startswith(prefix) or code == prefix.rstrip(":")
    return code == pattern


@dataclass(frozen=True)
class Playbook:
    selection: Selection
    priority: PriorityRule
    due_days: Mapping[str, int]
    kpis: Mapping[str, Kpi]
    actions: tuple[Action, ...]
    segment_notes: Mapping[str, Mapping[str, str]]

    def action_for(self, reason: str, touchpoint: str, kind: str | None, segment: str) -> Action:
        """The first action whose conditions all hold (the last one has none)."""
        return next(a for a in self.actions if a.matches(reason, touchpoint, kind, segment))

    def segment_note(self, segment: str, lang: str) -> str | None:
        texts = self.segment_notes.get(segment)
        return None if texts is None else texts.get(lang) or texts["en"]


class _Reader:
    """Pull typed values out of the YAML, naming file and key in every error."""

    def __init__(self, file: Path):
        self.file = file

    def fail(self, key: str, problem: str) -> UserError:
        return UserError(f"{_show(self.file)}: {key or '(top level)'}: {problem}")

    def mapping(
        self, key: str, value: Any, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, "expected a mapping")
        for k in value:
            if k not in required and k not in optional:
                allowed = ", ".join(required + optional)
                raise self.fail(_join(key, k), f"unknown key (allowed: {allowed})")
        for k in required:
            if k not in value:
                raise self.fail(_join(key, k), "missing key")
        return value

    def number(
        self, key: str, value: Any, lo: float, hi: float | None = None, integer: bool = False
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"expected a number, got {value!r}")
        if integer and not isinstance(value, int):
            raise self.fail(key, f"expected a whole number, got {value!r}")
        if value < lo or (hi is not None and value > hi):
            bound = f"between {lo} and {hi}" if hi is not None else f">= {lo}"
            raise self.fail(key, f"{value!r} out of range (must be {bound})")
        return value

    def strings(self, key: str, value: Any, choices: tuple[str, ...] | None = None) -> tuple:
        if not isinstance(value, list) or not value:
            raise self.fail(key, "expected a non-empty list")
        for v in value:
            if not isinstance(v, str) or not v.strip():
                raise self.fail(key, f"expected texts, got {v!r}")
            if choices is not None and v not in choices:
                raise self.fail(key, f"{v!r} is not one of {', '.join(choices)}")
        return tuple(v.strip() for v in value)

    def texts(self, key: str, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self.fail(key, "expected a mapping language -> text")
        for lang in REQUIRED_LANGUAGES:
            if lang not in value:
                raise self.fail(_join(key, lang), "missing key")
        out = {}
        for lang, text in value.items():
            if not isinstance(text, str) or not text.strip():
                raise self.fail(_join(key, str(lang)), "expected a non-empty text")
            out[str(lang)] = " ".join(text.split())
        return out


def _join(key: str, sub: Any) -> str:
    return f"{key}.{sub}" if key else str(sub)


def _reasons(r: _Reader, key: str, value: Any) -> tuple[str, ...]:
    """Reason patterns, each naming a code the scorer gives (or, with a trailing *, the start of
    one): a misspelt code would silently never match."""
    from pipeline.outcomes import REASON_CODES

    exact = {c for c in REASON_CODES if "<" not in c} | {f"kind_{k}" for k in INTERACTION_KINDS}
    families = {c.split("<", 1)[0] for c in REASON_CODES if "<" in c}  # discouraged_phrase:
    exact |= {f.rstrip(":") for f in families}  # their codes counted together
    from pipeline.outcomes import declared_code

    patterns = r.strings(key, value)
    for p in patterns:
        if p.startswith("*"):  # the end of a code: *_fell_short, every declared signal's
            ok = declared_code("x" + p[1:]) or any(c.endswith(p[1:]) for c in exact)
        elif p.endswith("*"):
            ok = any(c.startswith(p[:-1]) for c in exact | families)
        else:
            ok = (p in exact or any(p.startswith(f) and len(p) > len(f) for f in families)
                  or declared_code(p))
        if not ok:
            raise r.fail(key, f"{p!r} is not a reason code the scorer gives (one of "
                              f"{', '.join(sorted(exact))}, or {', '.join(sorted(families))}"
                              "<id>, or a declared signal's <name>_exceeded, <name>_met, "
                              "<name>_fell_short; a trailing * matches the start, a leading * "
                              "the end)")
    return patterns


def load_playbook(reference_dir: Path, touchpoint_ids: tuple[str, ...] | None = None) -> Playbook:
    """Read and check playbook.yaml; `touchpoint_ids` (the catalog's) checks action conditions."""
    file = Path(reference_dir) / PLAYBOOK_FILE
    if not file.is_file():
        raise UserError(f"{_show(file)}: playbook file missing")
    r = _Reader(file)
    top = r.mapping(
        "",
        _load_yaml(file),
        ("selection", "priority", "due_days", "kpis", "actions"),
        ("segment_notes",),
    )

    s = r.mapping(
        "selection",
        top["selection"],
        (
            "min_scored",
            "min_reason_share",
            "min_reason_n",
            "max_actions_per_touchpoint",
            "segment_share",
            "act_first",
        ),
    )
    selection = Selection(
        min_scored=int(r.number("selection.min_scored", s["min_scored"], 1, integer=True)),
        min_reason_share=float(r.number("selection.min_reason_share", s["min_reason_share"], 0, 1)),
        min_reason_n=int(r.number("selection.min_reason_n", s["min_reason_n"], 1, integer=True)),
        max_actions_per_touchpoint=int(
            r.number(
                "selection.max_actions_per_touchpoint",
                s["max_actions_per_touchpoint"],
                1,
                integer=True,
            )
        ),
        segment_share=float(r.number("selection.segment_share", s["segment_share"], 0, 1)),
        act_first=int(r.number("selection.act_first", s["act_first"], 0, 20, integer=True)),
    )

    p = r.mapping("priority", top["priority"], ("p1", "p2"), ("small_n",))
    p1 = r.mapping(
        "priority.p1",
        p["p1"],
        ("min_dissatisfied_share", "min_volume_share", "min_reorder_drop"),
        ("below_overall_net_delight",),
    )
    below = p1.get("below_overall_net_delight", False)
    if not isinstance(below, bool):
        raise r.fail("priority.p1.below_overall_net_delight", "expected true or false")
    p2 = r.mapping("priority.p2", p["p2"], ("min_dissatisfied_share", "min_volume_share"))
    rule = PriorityRule(
        p1_dissatisfied=float(
            r.number("priority.p1.min_dissatisfied_share", p1["min_dissatisfied_share"], 0, 1)
        ),
        p1_volume=float(r.number("priority.p1.min_volume_share", p1["min_volume_share"], 0, 1)),
        p1_reorder_drop=float(
            r.number("priority.p1.min_reorder_drop", p1["min_reorder_drop"], 0, 1)
        ),
        p1_below_overall=below,
        p2_dissatisfied=float(
            r.number("priority.p2.min_dissatisfied_share", p2["min_dissatisfied_share"], 0, 1)
        ),
        p2_volume=float(r.number("priority.p2.min_volume_share", p2["min_volume_share"], 0, 1)),
        small_n=int(r.number("priority.small_n", p.get("small_n", 30), 1, integer=True)),
    )
    if rule.p2_dissatisfied > rule.p1_dissatisfied:
        raise r.fail("priority.p2.min_dissatisfied_share", "is above p1's: P2 would be stricter")

    d = r.mapping("due_days", top["due_days"], PRIORITIES)
    due_days = {k: int(r.number(f"due_days.{k}", d[k], 0, 3650, integer=True)) for k in PRIORITIES}

    kn = r.mapping("kpis", top["kpis"], KPIS)
    kpis: dict[str, Kpi] = {}
    for kid in KPIS:
        f = r.mapping(f"kpis.{kid}", kn[kid], ("target",), ("lower_is_better", "step"))
        lower = f.get("lower_is_better", False)
        if not isinstance(lower, bool):
            raise r.fail(f"kpis.{kid}.lower_is_better", "expected true or false")
        step = float(r.number(f"kpis.{kid}.step", f["step"], 0.001, 1)) if "step" in f else (
            0.10 if kid == "median_ttr" else 0.05
        )
        if f["target"] == "channel":
            if kid != "median_ttr":
                raise r.fail(f"kpis.{kid}.target", "only median_ttr can take `channel`")
            kpis[kid] = Kpi(kid, None, True, lower, step)
        else:
            target = r.number(f"kpis.{kid}.target", f["target"], -1, 1)
            kpis[kid] = Kpi(kid, float(target), False, lower, step)

    actions: list[Action] = []
    seen: set[str] = set()
    if not isinstance(top["actions"], list) or not top["actions"]:
        raise r.fail("actions", "expected a non-empty list")
    for i, node in enumerate(top["actions"]):
        aid = node.get("id") if isinstance(node, dict) else None
        key = f"actions.{aid}" if isinstance(aid, str) else f"actions[{i}]"
        f = r.mapping(
            key, node, ("id", "kpi", "text"), ("reasons", "touchpoints", "kinds", "segments")
        )
        if not isinstance(aid, str) or not aid.strip():
            raise r.fail(f"{key}.id", "expected a non-empty text")
        if aid in seen:
            raise r.fail(f"{key}.id", f"duplicate id {aid!r}")
        seen.add(aid)
        if f["kpi"] not in KPIS:
            raise r.fail(f"{key}.kpi", f"{f['kpi']!r} is not one of {', '.join(KPIS)}")
        tps = r.strings(f"{key}.touchpoints", f["touchpoints"]) if "touchpoints" in f else None
        if tps and touchpoint_ids is not None:
            unknown = [t for t in tps if t not in touchpoint_ids]
            if unknown:
                raise r.fail(f"{key}.touchpoints", f"unknown touchpoint {unknown[0]!r}")
        actions.append(
            Action(
                id=aid,
                reasons=_reasons(r, f"{key}.reasons", f["reasons"]) if "reasons" in f else None,
                touchpoints=tps,
                kinds=(
                    r.strings(f"{key}.kinds", f["kinds"], TOUCHPOINT_KINDS)
                    if "kinds" in f
                    else None
                ),
                segments=(
                    r.strings(f"{key}.segments", f["segments"], SEGMENTS)
                    if "segments" in f
                    else None
                ),
                kpi=f["kpi"],
                texts=r.texts(f"{key}.text", f["text"]),
            )
        )
    last = actions[-1]
    if any(c is not None for c in (last.reasons, last.touchpoints, last.kinds, last.segments)):
        raise r.fail(f"actions.{last.id}", "the last action is the fallback: give it no condition")
    for a in actions[:-1]:
        if all(c is None for c in (a.reasons, a.touchpoints, a.kinds, a.segments)):
            raise r.fail(f"actions.{a.id}", "only the last action may have no condition")

    notes: dict[str, dict[str, str]] = {}
    for seg, texts in r.mapping(
        "segment_notes", top.get("segment_notes") or {}, (), SEGMENTS
    ).items():
        notes[seg] = r.texts(f"segment_notes.{seg}", texts)

    return Playbook(selection, rule, due_days, kpis, tuple(actions), notes)
