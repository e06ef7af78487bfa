"""The work-plan playbook (data/reference/playbook.yaml): actions, priority rule, due days, KPIs.

Loaded and checked once per report; a wrong file raises UserError naming the file and key, e.g.
`data/reference/playbook.yaml: actions.follow_up.kpi: 'nps' is not one of ...`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, PlainValidator, ValidationInfo

from pipeline.errors import UserError
from pipeline.reference_schema import (
    KeysOf,
    Number,
    OneOf,
    Schema,
    Text,
    Whole,
    keyed,
    load_model,
    model_validator,
    problem,
    show,
)
from pipeline.reference_schema import Texts as TextsOf
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


def _reasons(patterns: list[str]) -> list[str]:
    """Reason patterns, each naming a code the scorer gives (or, with a trailing *, the start of
    one): a misspelt code would silently never match."""
    from pipeline.outcomes import REASON_CODES, declared_code

    exact = {c for c in REASON_CODES if "<" not in c} | {f"kind_{k}" for k in INTERACTION_KINDS}
    families = {c.split("<", 1)[0] for c in REASON_CODES if "<" in c}  # discouraged_phrase:
    exact |= {f.rstrip(":") for f in families}  # their codes counted together
    for p in patterns:
        if p.startswith("*"):  # the end of a code: *_fell_short, every declared signal's
            ok = declared_code("x" + p[1:]) or any(c.endswith(p[1:]) for c in exact)
        elif p.endswith("*"):
            ok = any(c.startswith(p[:-1]) for c in exact | families)
        else:
            ok = (p in exact or any(p.startswith(f) and len(p) > len(f) for f in families)
                  or declared_code(p))
        if not ok:
            raise problem((), f"{p!r} is not a reason code the scorer gives (one of "
                              f"{', '.join(sorted(exact))}, or {', '.join(sorted(families))}"
                              "<id>, or a declared signal's <name>_exceeded, <name>_met, "
                              "<name>_fell_short; a trailing * matches the start, a leading * "
                              "the end)")
    return patterns


def _known_touchpoints(ids: list[str], info: ValidationInfo) -> list[str]:
    """The catalog's touchpoint ids, when the caller gives them (load_playbook's argument)."""
    known = (info.context or {}).get("touchpoint_ids")
    unknown = [t for t in ids if known is not None and t not in known]
    if unknown:
        raise problem((), f"unknown touchpoint {unknown[0]!r}")
    return ids


Texts = TextsOf(REQUIRED_LANGUAGES, squeeze=True)
Share = Number(0, 1)
Some = Field(min_length=1)  # a condition with an empty list could never hold


class _Selection(Schema):
    min_scored: Whole(1)
    min_reason_share: Share
    min_reason_n: Whole(1)
    max_actions_per_touchpoint: Whole(1)
    segment_share: Share
    act_first: Whole(0, 20)


class _P1(Schema):
    min_dissatisfied_share: Share
    min_volume_share: Share
    min_reorder_drop: Share
    below_overall_net_delight: bool = False


class _P2(Schema):
    min_dissatisfied_share: Share
    min_volume_share: Share


class _Priority(Schema):
    p1: _P1
    p2: _P2
    small_n: Whole(1) = 30

    @model_validator(mode="after")
    def _p2_not_stricter(self) -> _Priority:
        if self.p2.min_dissatisfied_share > self.p1.min_dissatisfied_share:
            raise problem(("p2", "min_dissatisfied_share"), "is above p1's: P2 would be stricter")
        return self


def _target(v: Any) -> float | str:
    """A KPI target: a share (-1..1 for net delight) or `channel` (the expected hours)."""
    if v == "channel":
        return v
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise problem((), f"expected a number or channel, got {v!r}")
    if not -1 <= v <= 1:
        raise problem((), f"{v!r} out of range (must be between -1 and 1)")
    return float(v)


class _Kpi(Schema):
    target: Annotated[float | str, PlainValidator(_target)]
    lower_is_better: bool = False
    step: Number(0.001, 1) | None = None


class _Action(Schema):
    id: Text
    kpi: OneOf(KPIS)
    text: Texts
    reasons: Annotated[list[Text], Some, AfterValidator(_reasons)] | None = None
    touchpoints: Annotated[list[Text], Some, AfterValidator(_known_touchpoints)] | None = None
    kinds: Annotated[list[OneOf(TOUCHPOINT_KINDS)], Some] | None = None
    segments: Annotated[list[OneOf(SEGMENTS)], Some] | None = None

    def conditions(self) -> tuple:
        return self.reasons, self.touchpoints, self.kinds, self.segments


_Kpis = keyed("kpis", KPIS, _Kpi)
_DueDays = keyed("due_days", PRIORITIES, Whole(0, 3650))


class PlaybookFile(Schema):
    """playbook.yaml as written."""

    selection: _Selection
    priority: _Priority
    due_days: _DueDays
    kpis: _Kpis
    actions: Annotated[list[_Action], Some]
    segment_notes: KeysOf(SEGMENTS, Texts) | None = None

    @model_validator(mode="after")
    def _actions_in_order(self) -> PlaybookFile:
        seen: set[str] = set()
        for i, a in enumerate(self.actions):
            if a.id in seen:
                raise problem(("actions", i, "id"), f"duplicate id {a.id!r}")
            seen.add(a.id)
        last = len(self.actions) - 1
        if any(c is not None for c in self.actions[last].conditions()):
            raise problem(("actions", last),
                          "the last action is the fallback: give it no condition")
        for i, a in enumerate(self.actions[:last]):
            if all(c is None for c in a.conditions()):
                raise problem(("actions", i), "only the last action may have no condition")
        return self

    @model_validator(mode="after")
    def _channel_target(self) -> PlaybookFile:
        for kid in KPIS:
            if getattr(self.kpis, kid).target == "channel" and kid != "median_ttr":
                raise problem(("kpis", kid, "target"), "only median_ttr can take `channel`")
        return self


def load_playbook(reference_dir: Path, touchpoint_ids: tuple[str, ...] | None = None) -> Playbook:
    """Read and check playbook.yaml; `touchpoint_ids` (the catalog's) checks action conditions."""
    file = Path(reference_dir) / PLAYBOOK_FILE
    if not file.is_file():
        raise UserError(f"{show(file)}: playbook file missing")
    f = load_model(file, PlaybookFile, context={"touchpoint_ids": touchpoint_ids})
    s, p = f.selection, f.priority
    selection = Selection(
        min_scored=s.min_scored,
        min_reason_share=s.min_reason_share,
        min_reason_n=s.min_reason_n,
        max_actions_per_touchpoint=s.max_actions_per_touchpoint,
        segment_share=s.segment_share,
        act_first=s.act_first,
    )
    rule = PriorityRule(
        p1_dissatisfied=p.p1.min_dissatisfied_share,
        p1_volume=p.p1.min_volume_share,
        p1_reorder_drop=p.p1.min_reorder_drop,
        p1_below_overall=p.p1.below_overall_net_delight,
        p2_dissatisfied=p.p2.min_dissatisfied_share,
        p2_volume=p.p2.min_volume_share,
        small_n=p.small_n,
    )
    kpis: dict[str, Kpi] = {}
    for kid in KPIS:
        k = getattr(f.kpis, kid)
        step = k.step if k.step is not None else 0.10 if kid == "median_ttr" else 0.05
        channel = k.target == "channel"
        kpis[kid] = Kpi(kid, None if channel else k.target, channel, k.lower_is_better, step)
    actions = tuple(
        Action(
            id=a.id,
            reasons=_tuple(a.reasons),
            touchpoints=_tuple(a.touchpoints),
            kinds=_tuple(a.kinds),
            segments=_tuple(a.segments),
            kpi=a.kpi,
            texts=a.text,
        )
        for a in f.actions
    )
    notes = dict(f.segment_notes or {})
    due_days = {k: getattr(f.due_days, k) for k in PRIORITIES}
    return Playbook(selection, rule, due_days, kpis, actions, notes)


def _tuple(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)
