"""Analyst-editable reference data: touchpoint catalog, scoring thresholds, discouraged phrases.

`load_reference(dir)` reads and checks the three YAML files once (cached on their modification
times) and returns typed, frozen objects. A wrong file raises `UserError` with one line naming the
file and the key: `touchpoints.yaml: rules.topic_delivery.touchpoint: unknown touchpoint 'x'`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, create_model

from pipeline.errors import UserError
from pipeline.reference_schema import (
    Id,
    KeysOf,
    Languages,
    Number,
    OneOf,
    Schema,
    Strings,
    Text,
    Texts,
    Whole,
    load_model,
    model_validator,
    problem,
)
from pipeline.reference_schema import show as _show

# The vocabularies (pipeline/vocabulary.py); rules naming other channels or kinds could never match.
from pipeline.vocabulary import (
    CHANNELS,
    EFFECTS,
    INTERACTION_KINDS,
    LEXICON_LANGUAGES,
    SEGMENTS,
    TEXT_LANGUAGES,
    TOUCHPOINT_KINDS,
)

# Causes of a low rating although every promise was kept, besides `expectation` (none matched).
from pipeline.vocabulary import KEPT_PROMISE_CAUSES as CAUSES
from pipeline.vocabulary import REPORT_LANGUAGES as REPORT_LANGUAGES  # tests import it from here

TOUCHPOINTS_FILE = "touchpoints.yaml"
SCORING_FILE = "scoring.yaml"
LEXICON_FILE = "lexicon.yaml"

UNMAPPED = "unmapped"
PRECEDENCES = ("customer_first", "any_shortfall")

_WORDISH = re.compile(r"\w")

# Thresholds each segment takes: name -> (type, minimum).
_SEGMENT_THRESHOLDS: dict[str, dict[str, tuple[type, float]]] = {
    "active_hater": {
        "min_dissatisfied_promise_kept": (int, 1),
        "min_dissatisfied_when_kept_share": (float, 0),
    },
    "once_loyal_now_upset": {
        "min_prior_positive": (int, 1),
        "min_prior_positive_share": (float, 0),
        "min_recent_dissatisfied": (int, 1),
        "min_recent_dissatisfied_share": (float, 0),
    },
    "extreme_critic": {
        "min_complaints": (int, 1),
        "min_touchpoints": (int, 1),
        "min_dissatisfied_share": (float, 0),
        "max_dissatisfied_share": (float, 0),
    },
    "still_passionate": {"min_scored": (int, 1), "min_positive_share": (float, 0)},
    "other": {},
}


# --- typed reference objects -------------------------------------------------------------------


@dataclass(frozen=True)
class Touchpoint:
    id: str
    names: Mapping[str, str]
    kind: str | None  # None only for `unmapped`
    stage: str | None
    owner: str | None


@dataclass(frozen=True)
class ChannelExpectation:
    channel: str
    hours: float | None  # calendar hours after the contact ...
    same_day: bool  # ... or the end of the contact's local day


@dataclass(frozen=True)
class Keyword:
    language: str
    text: str  # as written, without the trailing *
    prefix: bool  # True: matches the start of a word


@dataclass(frozen=True)
class Rule:
    id: str
    position: int  # 1-based order in the file: the first match wins
    touchpoint: str
    sources: tuple[str, ...] | None  # None: no condition on this field
    channels: tuple[str, ...] | None
    kinds: tuple[str, ...] | None
    topics: tuple[str, ...] | None
    keywords: tuple[Keyword, ...] | None


@dataclass(frozen=True)
class Catalog:
    touchpoints: tuple[Touchpoint, ...]
    channels: tuple[ChannelExpectation, ...]
    rules: tuple[Rule, ...]

    def touchpoint(self, touchpoint_id: str) -> Touchpoint:
        return next(t for t in self.touchpoints if t.id == touchpoint_id)


@dataclass(frozen=True)
class Variant:
    language: str
    text: str


@dataclass(frozen=True)
class Phrase:
    id: str
    labels: Mapping[str, str]
    variants: tuple[Variant, ...]
    alternatives: Mapping[str, str]


@dataclass(frozen=True)
class Lexicon:
    phrases: tuple[Phrase, ...]


@dataclass(frozen=True)
class SpeedRules:
    well_inside_fraction: float
    channel_expectation_kinds: tuple[str, ...]
    midnight_promise_is_date: bool
    business_timezone: str


@dataclass(frozen=True)
class ResolutionRules:
    repeat_window_days: int
    kinds: tuple[str, ...]
    first_contact: str  # meets | exceeds


@dataclass(frozen=True)
class Segment:
    id: str
    labels: Mapping[str, str]
    handling: Mapping[str, str]
    thresholds: Mapping[str, float]


@dataclass(frozen=True)
class Cause:
    id: str  # product | policy
    topics: tuple[str, ...]  # lower-case topic values
    keywords: tuple[Keyword, ...]  # the customer's words, matched like touchpoints.yaml keywords


@dataclass(frozen=True)
class Scoring:
    as_of: str  # data | clock
    speed: SpeedRules
    resolution: ResolutionRules
    rating_three: str  # meets | falls_short
    kind_signals: Mapping[str, str]  # interaction kind -> effect
    skip_kinds: tuple[str, ...]  # kinds whose text is not scanned for discouraged phrases
    window_days: int
    recent_days: int
    segments: tuple[Segment, ...]  # in SEGMENTS order
    # customer_first: a rating, when given, decides the outcome; any_shortfall: any signal short
    precedence: str = "customer_first"
    # where "low rating, every promise kept" lies: CAUSES order, first match wins (words, topic)
    causes: tuple[Cause, ...] = ()
    # the customer's own words as a signal (no rating): sentiment thresholds and languages
    customer_words: CustomerWords | None = None

    def segment(self, segment_id: str) -> Segment:
        return next(s for s in self.segments if s.id == segment_id)


@dataclass(frozen=True)
class CustomerWords:
    languages: tuple[str, ...]  # sentiment is read in these (LEXICON_LANGUAGES), none else
    positive_at: float  # sentiment >= this: exceeds
    negative_at: float  # sentiment <= this: falls short
    detect_language: bool  # detect a missing language (py3langid) among `languages`


@dataclass(frozen=True)
class Reference:
    catalog: Catalog
    scoring: Scoring
    lexicon: Lexicon


# --- loading -----------------------------------------------------------------------------------

_cache: dict[tuple, Reference] = {}


def load_reference(reference_dir: Path) -> Reference:
    """Read and check the three reference files; cached until one of them changes."""
    reference_dir = Path(reference_dir).resolve()
    files = [reference_dir / n for n in (TOUCHPOINTS_FILE, SCORING_FILE, LEXICON_FILE)]
    for f in files:
        if not f.is_file():
            raise UserError(f"{_show(f)}: reference file missing")
    key = (reference_dir, tuple((f.stat().st_mtime_ns, f.stat().st_size) for f in files))
    if key not in _cache:
        catalog = _catalog(load_model(files[0], TouchpointsFile))
        scoring = _scoring(load_model(files[1], ScoringFile))
        lexicon = _lexicon(load_model(files[2], LexiconFile))
        _cross_check(catalog, scoring, files[1])
        _cache.clear()
        _cache[key] = Reference(catalog=catalog, scoring=scoring, lexicon=lexicon)
    return _cache[key]


def _unique_ids(items: list[Any], field: str) -> None:
    """Refuse an id given twice in a list of items (each named by its id in messages)."""
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.id in seen:
            raise problem((field, i, "id"), f"duplicate id {item.id!r}")
        seen.add(item.id)


def _keyword_texts(v: dict[str, list[str]]) -> dict[str, list[str]]:
    if not v:
        raise problem((), "needs at least one language with keywords")
    for lang, words in v.items():
        for k in words:
            text = k[:-1].rstrip() if k.endswith("*") else k
            if "*" in text or not _WORDISH.search(text):
                raise problem(
                    lang, f"keyword {k!r}: needs letters or digits, and * only at the end"
                )
    return v


# language -> words; a trailing * matches the start of a word
Keywords = Annotated[Languages(Strings()), AfterValidator(_keyword_texts)]
Kinds = Strings(OneOf(INTERACTION_KINDS), min_len=0)
Names = Texts(TEXT_LANGUAGES)


def _keywords(by_language: dict[str, list[str]]) -> tuple[Keyword, ...]:
    return tuple(
        Keyword(lang, k[:-1].rstrip(), True) if k.endswith("*") else Keyword(lang, k, False)
        for lang, words in by_language.items()
        for k in words
    )


# --- touchpoints.yaml ----------------------------------------------------------------------------


class _Touchpoint(Schema):
    id: Id
    name: Names
    kind: OneOf(TOUCHPOINT_KINDS) | None = None
    stage: Id | None = None
    owner: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _fields_for_id(cls, data: Any) -> Any:
        # `unmapped` is where no rule matched: a name only; every other touchpoint is complete
        if isinstance(data, dict):
            if data.get("id") == UNMAPPED:
                for key in data:
                    if key not in ("id", "name"):
                        raise problem(key, "unknown key (allowed: id, name)")
            else:
                for key in ("id", "name", "kind", "stage", "owner"):
                    if key not in data:
                        raise problem(key, "missing key")
        return data


class _Channel(Schema):
    hours: Number(0.01) | None = None
    same_day: bool | None = None

    @model_validator(mode="after")
    def _one_of_two(self) -> _Channel:
        if (self.hours is None) == (self.same_day is None):
            raise problem((), "give either hours or same_day: true")
        if self.same_day is False:
            raise problem("same_day", "only same_day: true is meaningful; give hours instead")
        return self


_CONDITIONS = ("source", "channel", "kind", "topic", "keywords")


class _Rule(Schema):
    id: Id
    touchpoint: Text
    source: Strings() | None = None
    channel: Strings(OneOf(CHANNELS)) | None = None
    kind: Strings(OneOf(INTERACTION_KINDS)) | None = None
    topic: Strings() | None = None
    keywords: Keywords | None = None

    @model_validator(mode="after")
    def _a_condition(self) -> _Rule:
        if all(getattr(self, c) is None for c in _CONDITIONS):
            raise problem((), "a rule needs at least one condition: " + ", ".join(_CONDITIONS))
        return self


class TouchpointsFile(Schema):
    """touchpoints.yaml as written."""

    touchpoints: Annotated[list[_Touchpoint], Field(min_length=1)]
    channels: KeysOf(CHANNELS, _Channel)
    rules: Annotated[list[_Rule], Field(min_length=1)]

    @model_validator(mode="after")
    def _ids_and_targets(self) -> TouchpointsFile:
        _unique_ids(self.touchpoints, "touchpoints")
        _unique_ids(self.rules, "rules")
        known = {t.id for t in self.touchpoints} | {UNMAPPED}
        for i, r in enumerate(self.rules):
            if r.touchpoint not in known:
                raise problem(("rules", i, "touchpoint"), f"unknown touchpoint {r.touchpoint!r}")
            if r.touchpoint == UNMAPPED:
                raise problem(("rules", i, "touchpoint"),
                              "rules may not target 'unmapped'; it is where no rule matched")
        return self


def _catalog(f: TouchpointsFile) -> Catalog:
    touchpoints = [Touchpoint(t.id, t.name, t.kind, t.stage, t.owner) for t in f.touchpoints]
    if not any(t.id == UNMAPPED for t in touchpoints):
        touchpoints.append(
            Touchpoint(UNMAPPED, {"en": "Unmapped", "ms": "Tidak dipetakan"}, None, None, None)
        )
    channels = tuple(
        ChannelExpectation(ch, c.hours, c.same_day is True) for ch, c in f.channels.items()
    )
    rules = tuple(
        Rule(
            id=r.id,
            position=pos,
            touchpoint=r.touchpoint,
            sources=_tuple(r.source),
            channels=_tuple(r.channel),
            kinds=_tuple(r.kind),
            topics=_tuple(r.topic),
            keywords=_keywords(r.keywords) if r.keywords is not None else None,
        )
        for pos, r in enumerate(f.rules, start=1)
    )
    return Catalog(tuple(touchpoints), channels, rules)


def _tuple(values: list[str] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(values)


# --- scoring.yaml ------------------------------------------------------------------------------


def _time_zone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise problem((), f"unknown time zone {tz!r}") from None
    return tz


class _Speed(Schema):
    well_inside_fraction: Number(0, 1)
    channel_expectation_kinds: Kinds
    midnight_promise_is_date: bool
    business_timezone: Annotated[Text, AfterValidator(_time_zone)]


class _Resolution(Schema):
    repeat_window_days: Whole(1, 365)
    kinds: Kinds
    first_contact: OneOf(("meets", "exceeds"))


class _Rating(Schema):
    three: OneOf(("meets", "falls_short"))


class _Language(Schema):
    skip_kinds: Kinds


class _Window(Schema):
    days: Whole(1)
    recent_days: Whole(1)

    @model_validator(mode="after")
    def _recent_inside(self) -> _Window:
        if self.recent_days > self.days:
            raise problem("recent_days", f"{self.recent_days} out of range "
                                         f"(must be between 1 and {self.days}, the days)")
        return self


def _segment_model(sid: str) -> type[Schema]:
    """label, handling and the segment's thresholds (a share 0..1, or a count)."""
    fields: dict[str, Any] = {"label": (Names, ...), "handling": (Names, ...)}
    for name, (typ, minimum) in _SEGMENT_THRESHOLDS[sid].items():
        if name.endswith("_share"):
            fields[name] = (Number(minimum, 1), ...)
        else:
            fields[name] = (Whole(int(minimum)) if typ is int else Number(minimum), ...)
    return create_model(f"_Segment_{sid}", __base__=Schema, **fields)


class _ExtremeCritic(_segment_model("extreme_critic")):  # type: ignore[misc]
    @model_validator(mode="after")
    def _min_below_max(self) -> _ExtremeCritic:
        if self.min_dissatisfied_share > self.max_dissatisfied_share:
            raise problem("min_dissatisfied_share", "is above max_dissatisfied_share")
        return self


_Segments = create_model(
    "_Segments",
    __base__=Schema,
    **{s: (_ExtremeCritic if s == "extreme_critic" else _segment_model(s), ...) for s in SEGMENTS},
)


def _some_causes(v: Any) -> Any:
    if isinstance(v, dict) and not v:
        raise problem((), "give topics, keywords or both")
    return v


class _Cause(Schema):
    topics: Strings() | None = None
    keywords: Keywords | None = None


class _CustomerWords(Schema):
    languages: Strings(min_len=0) | None
    positive_at: Number(0, 1)
    negative_at: Number(-1, 0)
    detect_language: bool = True

    @model_validator(mode="after")
    def _with_a_lexicon(self) -> _CustomerWords:
        for i, lang in enumerate(self.languages or ()):
            if lang not in LEXICON_LANGUAGES:
                raise problem(("languages", i), f"no sentiment lexicon for {lang!r}; use some "
                                                f"of {', '.join(LEXICON_LANGUAGES)}")
        return self


class ScoringFile(Schema):
    """scoring.yaml as written."""

    as_of: OneOf(("data", "clock"))
    speed: _Speed
    resolution: _Resolution
    rating: _Rating
    language: _Language
    analysis_window: _Window
    segments: _Segments
    kind_signals: KeysOf(INTERACTION_KINDS, OneOf(EFFECTS)) = {}
    precedence: OneOf(PRECEDENCES) = "customer_first"
    causes: KeysOf(CAUSES, Annotated[_Cause, BeforeValidator(_some_causes)]) = {}
    customer_words: _CustomerWords | None = None


def _scoring(f: ScoringFile) -> Scoring:
    segments = []
    for sid in SEGMENTS:
        s = getattr(f.segments, sid)
        thresholds = {name: getattr(s, name) for name in _SEGMENT_THRESHOLDS[sid]}
        segments.append(Segment(sid, s.label, s.handling, thresholds))
    cw = f.customer_words
    return Scoring(
        as_of=f.as_of,
        speed=SpeedRules(
            well_inside_fraction=f.speed.well_inside_fraction,
            channel_expectation_kinds=tuple(f.speed.channel_expectation_kinds),
            midnight_promise_is_date=f.speed.midnight_promise_is_date,
            business_timezone=f.speed.business_timezone,
        ),
        resolution=ResolutionRules(
            repeat_window_days=f.resolution.repeat_window_days,
            kinds=tuple(f.resolution.kinds),
            first_contact=f.resolution.first_contact,
        ),
        rating_three=f.rating.three,
        kind_signals=dict(f.kind_signals),
        skip_kinds=tuple(f.language.skip_kinds),
        window_days=f.analysis_window.days,
        recent_days=f.analysis_window.recent_days,
        segments=tuple(segments),
        precedence=f.precedence,
        # CAUSES order, first match wins
        causes=tuple(
            Cause(cid, tuple(t.lower() for t in c.topics or ()), _keywords(c.keywords or {}))
            for cid in CAUSES
            if (c := f.causes.get(cid)) is not None
        ),
        customer_words=None if cw is None else CustomerWords(
            languages=tuple(cw.languages or ()),
            positive_at=cw.positive_at,
            negative_at=cw.negative_at,
            detect_language=cw.detect_language,
        ),
    )


# --- lexicon.yaml ------------------------------------------------------------------------------


def _variant_texts(v: dict[str, list[str]]) -> dict[str, list[str]]:
    for lang, texts in v.items():
        for text in texts:
            if not _WORDISH.search(text):
                raise problem(lang, f"variant {text!r} has no letters")
    return v


class _Phrase(Schema):
    id: Id
    label: Names
    variants: Annotated[Languages(Strings(), LEXICON_LANGUAGES), AfterValidator(_variant_texts)]
    alternative: Names


class LexiconFile(Schema):
    """lexicon.yaml as written."""

    phrases: Annotated[list[_Phrase], Field(min_length=1)]

    @model_validator(mode="after")
    def _one_phrase_per_variant(self) -> LexiconFile:
        _unique_ids(self.phrases, "phrases")
        owner: dict[str, str] = {}  # variant (case-folded) -> phrase id, across phrases
        for i, p in enumerate(self.phrases):
            for lang, texts in p.variants.items():
                for text in texts:
                    other = owner.setdefault(text.casefold(), p.id)
                    if other != p.id:
                        raise problem(("phrases", i, "variants", lang),
                                      f"variant {text!r} is also listed under phrase {other!r}")
        return self


def _lexicon(f: LexiconFile) -> Lexicon:
    return Lexicon(
        tuple(
            Phrase(
                id=p.id,
                labels=p.label,
                variants=tuple(Variant(lang, t) for lang, ts in p.variants.items() for t in ts),
                alternatives=p.alternative,
            )
            for p in f.phrases
        )
    )


def _cross_check(catalog: Catalog, scoring: Scoring, scoring_file: Path) -> None:
    """Every kind held to a channel expectation needs the channel's time to be known somewhere."""
    if scoring.speed.channel_expectation_kinds and not catalog.channels:
        raise UserError(
            f"{_show(scoring_file)}: speed.channel_expectation_kinds: "
            f"{TOUCHPOINTS_FILE} gives no channel expectations"
        )
