"""Analyst-editable reference data: touchpoint catalog, scoring thresholds, discouraged phrases.

`load_reference(dir)` reads and checks the three YAML files once (cached on their modification
times) and returns typed, frozen objects. A wrong file raises `UserError` with one line naming the
file and the key: `touchpoints.yaml: rules.topic_delivery.touchpoint: unknown touchpoint 'x'`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from pipeline import paths
from pipeline.errors import UserError

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

_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
_LANG = re.compile(r"^[a-z]{2,3}$")
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
        catalog = _catalog(_Node.load(files[0]))
        scoring = _scoring(_Node.load(files[1]))
        lexicon = _lexicon(_Node.load(files[2]))
        _cross_check(catalog, scoring, files[1])
        _cache.clear()
        _cache[key] = Reference(catalog=catalog, scoring=scoring, lexicon=lexicon)
    return _cache[key]


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""


def _construct_mapping(
    loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False
) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Node:
    """A value read from a YAML file, with the file and key path every error message names."""

    def __init__(self, file: Path, path: str, value: Any):
        self.file, self.path, self.value = file, path, value

    @classmethod
    def load(cls, file: Path) -> _Node:
        try:
            value = yaml.load(file.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark else ""
            problem = getattr(e, "problem", None) or str(e).splitlines()[0]
            raise UserError(f"{_show(file)}: not valid YAML: {where}{problem}") from None
        except UnicodeDecodeError:
            raise UserError(f"{_show(file)}: not UTF-8 text") from None
        return cls(file, "", value)

    def fail(self, problem: str) -> UserError:
        return UserError(f"{_show(self.file)}: {self.path or '(top level)'}: {problem}")

    def child(self, key: str | int, value: Any) -> _Node:
        part = f"[{key}]" if isinstance(key, int) else key
        sep = "" if isinstance(key, int) or not self.path else "."
        return _Node(self.file, f"{self.path}{sep}{part}", value)

    def mapping(
        self, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, _Node]:
        if not isinstance(self.value, dict):
            raise self.fail(f"expected a mapping, got {_kind(self.value)}")
        for k in self.value:
            if k not in required and k not in optional:
                raise self.child(str(k), None).fail(
                    f"unknown key (allowed: {', '.join(required + optional)})"
                )
        for k in required:
            if k not in self.value:
                raise self.child(k, None).fail("missing key")
        return {k: self.child(k, v) for k, v in self.value.items()}

    def items(self, min_len: int = 1) -> Iterator[_Node]:
        if not isinstance(self.value, list):
            raise self.fail(f"expected a list, got {_kind(self.value)}")
        if len(self.value) < min_len:
            raise self.fail(f"needs at least {min_len} item(s)")
        for i, v in enumerate(self.value):
            yield self.child(i, v)

    def string(self) -> str:
        if not isinstance(self.value, str) or not self.value.strip():
            raise self.fail(f"expected a non-empty text, got {_kind(self.value)}")
        return self.value.strip()

    def slug(self) -> str:
        s = self.string()
        if not _SLUG.match(s):
            raise self.fail(f"{s!r} is not an id (lower-case letters, digits, _)")
        return s

    def choice(self, options: tuple[str, ...]) -> str:
        s = self.string()
        if s not in options:
            raise self.fail(f"{s!r} is not one of {', '.join(options)}")
        return s

    def number(self, minimum: float, maximum: float | None = None, integer: bool = False) -> float:
        v = self.value
        if (
            isinstance(v, bool)
            or not isinstance(v, int | float)
            or (integer and not isinstance(v, int))
        ):
            raise self.fail(f"expected {'a whole number' if integer else 'a number'}, got {v!r}")
        if v < minimum or (maximum is not None and v > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise self.fail(f"{v!r} out of range (must be {bound})")
        return v

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.fail(f"expected true or false, got {self.value!r}")
        return self.value

    def strings(
        self, check: Callable[[_Node], str] | None = None, min_len: int = 1
    ) -> tuple[str, ...]:
        out = tuple((check or _Node.string)(n) for n in self.items(min_len))
        dup = _first_duplicate(s.casefold() for s in out)
        if dup is not None:
            raise self.fail(f"{dup!r} listed twice")
        return out

    def texts(self, required: tuple[str, ...]) -> dict[str, str]:
        """A mapping language -> text that must hold at least the `required` languages."""
        nodes = self.mapping((), tuple(self.value) if isinstance(self.value, dict) else ())
        for lang in required:
            if lang not in nodes:
                raise self.child(lang, None).fail("missing key")
        out = {}
        for lang, n in nodes.items():
            if not _LANG.match(str(lang)):
                raise n.fail("not a language code (e.g. en, ms, id, nl)")
            out[lang] = n.string()
        return out


def _show(file: Path) -> str:
    """The file as the user knows it: relative to the project when inside it."""
    try:
        return str(file.resolve().relative_to(paths.ROOT))
    except ValueError:
        return str(file)


def _kind(v: Any) -> str:
    return "nothing" if v is None else type(v).__name__ if not isinstance(v, str) else repr(v)


def _first_duplicate(values: Iterator[str] | Any) -> str | None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            return v
        seen.add(v)
    return None


def _with_id(items: Iterator[_Node]) -> Iterator[tuple[_Node, str]]:
    """Yield (item, id), naming each item by its id in error paths and refusing duplicate ids."""
    seen: set[str] = set()
    for n in items:
        raw = n.value.get("id") if isinstance(n.value, dict) else None
        if raw is None:
            n.mapping(("id",), tuple(n.value) if isinstance(n.value, dict) else ())
        id_ = n.child("id", raw).slug()
        named = _Node(n.file, n.path.rsplit("[", 1)[0] + "." + id_, n.value)
        if id_ in seen:
            raise named.child("id", raw).fail(f"duplicate id {id_!r}")
        seen.add(id_)
        yield named, id_


# --- touchpoints.yaml ----------------------------------------------------------------------------


def _catalog(root: _Node) -> Catalog:
    top = root.mapping(("touchpoints", "channels", "rules"))
    touchpoints: list[Touchpoint] = []
    for n, tid in _with_id(top["touchpoints"].items()):
        if tid == UNMAPPED:
            f = n.mapping(("id", "name"))
            touchpoints.append(Touchpoint(tid, f["name"].texts(TEXT_LANGUAGES), None, None, None))
            continue
        f = n.mapping(("id", "name", "kind", "stage", "owner"))
        touchpoints.append(
            Touchpoint(
                id=tid,
                names=f["name"].texts(TEXT_LANGUAGES),
                kind=f["kind"].choice(TOUCHPOINT_KINDS),
                stage=f["stage"].slug(),
                owner=f["owner"].string(),
            )
        )
    if not any(t.id == UNMAPPED for t in touchpoints):
        touchpoints.append(
            Touchpoint(UNMAPPED, {"en": "Unmapped", "ms": "Tidak dipetakan"}, None, None, None)
        )
    known = {t.id for t in touchpoints}

    channels: list[ChannelExpectation] = []
    for ch, n in top["channels"].mapping((), CHANNELS).items():
        f = n.mapping((), ("hours", "same_day"))
        if ("hours" in f) == ("same_day" in f):
            raise n.fail("give either hours or same_day: true")
        if "same_day" in f and not f["same_day"].boolean():
            raise f["same_day"].fail("only same_day: true is meaningful; give hours instead")
        hours = f["hours"].number(minimum=0.01) if "hours" in f else None
        channels.append(ChannelExpectation(ch, float(hours) if hours else None, "same_day" in f))

    rules: list[Rule] = []
    conditions = ("source", "channel", "kind", "topic", "keywords")
    for pos, (n, rid) in enumerate(_with_id(top["rules"].items()), start=1):
        f = n.mapping(("id", "touchpoint"), conditions)
        tp = f["touchpoint"].string()
        if tp not in known:
            raise f["touchpoint"].fail(f"unknown touchpoint {tp!r}")
        if tp == UNMAPPED:
            raise f["touchpoint"].fail(
                "rules may not target 'unmapped'; it is where no rule matched"
            )
        if not any(c in f for c in conditions):
            raise n.fail("a rule needs at least one condition: " + ", ".join(conditions))
        rules.append(
            Rule(
                id=rid,
                position=pos,
                touchpoint=tp,
                sources=f["source"].strings() if "source" in f else None,
                channels=_choices(f.get("channel"), CHANNELS),
                kinds=_choices(f.get("kind"), INTERACTION_KINDS),
                topics=f["topic"].strings() if "topic" in f else None,
                keywords=_keywords(f["keywords"]) if "keywords" in f else None,
            )
        )
    return Catalog(tuple(touchpoints), tuple(channels), tuple(rules))


def _choices(node: _Node | None, options: tuple[str, ...]) -> tuple[str, ...] | None:
    return None if node is None else node.strings(lambda n: n.choice(options))


def _keywords(node: _Node) -> tuple[Keyword, ...]:
    out: list[Keyword] = []
    langs = node.mapping((), tuple(node.value) if isinstance(node.value, dict) else ())
    if not langs:
        raise node.fail("needs at least one language with keywords")
    for lang, n in langs.items():
        if not _LANG.match(str(lang)):
            raise n.fail("not a language code (e.g. en, ms, id, nl)")
        for k in n.strings():
            text, prefix = (k[:-1].rstrip(), True) if k.endswith("*") else (k, False)
            if "*" in text or not _WORDISH.search(text):
                raise n.fail(f"keyword {k!r}: needs letters or digits, and * only at the end")
            out.append(Keyword(lang, text, prefix))
    return tuple(out)


# --- scoring.yaml ------------------------------------------------------------------------------


def _scoring(root: _Node) -> Scoring:
    top = root.mapping(
        ("as_of", "speed", "resolution", "rating", "language", "analysis_window", "segments"),
        ("kind_signals", "precedence", "causes", "customer_words"),
    )
    sp = top["speed"].mapping(
        (
            "well_inside_fraction",
            "channel_expectation_kinds",
            "midnight_promise_is_date",
            "business_timezone",
        )
    )
    tz = sp["business_timezone"].string()
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise sp["business_timezone"].fail(f"unknown time zone {tz!r}") from None
    speed = SpeedRules(
        well_inside_fraction=float(sp["well_inside_fraction"].number(0, 1)),
        channel_expectation_kinds=_kinds(sp["channel_expectation_kinds"]),
        midnight_promise_is_date=sp["midnight_promise_is_date"].boolean(),
        business_timezone=tz,
    )
    rs = top["resolution"].mapping(("repeat_window_days", "kinds", "first_contact"))
    resolution = ResolutionRules(
        repeat_window_days=int(rs["repeat_window_days"].number(1, 365, integer=True)),
        kinds=_kinds(rs["kinds"]),
        first_contact=rs["first_contact"].choice(("meets", "exceeds")),
    )
    rating = top["rating"].mapping(("three",))
    kind_signals: dict[str, str] = {}
    if "kind_signals" in top:
        for k, n in top["kind_signals"].mapping((), INTERACTION_KINDS).items():
            kind_signals[k] = n.choice(EFFECTS)
    lang = top["language"].mapping(("skip_kinds",))
    win = top["analysis_window"].mapping(("days", "recent_days"))
    days = int(win["days"].number(1, integer=True))
    recent = int(win["recent_days"].number(1, days, integer=True))

    seg_nodes = top["segments"].mapping(SEGMENTS)
    segments = []
    for sid in SEGMENTS:
        spec = _SEGMENT_THRESHOLDS[sid]
        f = seg_nodes[sid].mapping(("label", "handling", *spec))
        thresholds = {}
        for name, (typ, minimum) in spec.items():
            if name.endswith("_share"):
                thresholds[name] = float(f[name].number(minimum, 1))
            else:
                thresholds[name] = f[name].number(minimum, integer=typ is int)
        segments.append(
            Segment(
                sid,
                f["label"].texts(TEXT_LANGUAGES),
                f["handling"].texts(TEXT_LANGUAGES),
                thresholds,
            )
        )
    ec = next(s for s in segments if s.id == "extreme_critic")
    if ec.thresholds["min_dissatisfied_share"] > ec.thresholds["max_dissatisfied_share"]:
        raise (
            seg_nodes["extreme_critic"]
            .child("min_dissatisfied_share", None)
            .fail("is above max_dissatisfied_share")
        )
    return Scoring(
        as_of=top["as_of"].choice(("data", "clock")),
        speed=speed,
        resolution=resolution,
        rating_three=rating["three"].choice(("meets", "falls_short")),
        kind_signals=kind_signals,
        skip_kinds=_kinds(lang["skip_kinds"]),
        window_days=days,
        recent_days=recent,
        segments=tuple(segments),
        precedence=(
            top["precedence"].choice(PRECEDENCES) if "precedence" in top else "customer_first"
        ),
        causes=_causes(top["causes"]) if "causes" in top else (),
        customer_words=(
            _customer_words(top["customer_words"]) if "customer_words" in top else None
        ),
    )


def _customer_words(node: _Node) -> CustomerWords:
    """customer_words: the sentiment signal's languages and thresholds."""
    f = node.mapping(("languages", "positive_at", "negative_at"), ("detect_language",))
    langs = f["languages"].strings(min_len=0) if f["languages"].value else ()
    for i, lang in enumerate(langs):
        if lang not in LEXICON_LANGUAGES:
            raise f["languages"].child(i, lang).fail(
                f"no sentiment lexicon for {lang!r}; use some of {', '.join(LEXICON_LANGUAGES)}"
            )
    positive = float(f["positive_at"].number(0, 1))
    negative = float(f["negative_at"].number(-1, 0))
    return CustomerWords(
        languages=tuple(langs),
        positive_at=positive,
        negative_at=negative,
        detect_language=f["detect_language"].boolean() if "detect_language" in f else True,
    )


def _causes(node: _Node) -> tuple[Cause, ...]:
    """causes.<product|policy>: topics and/or keywords per language (CAUSES order)."""
    nodes = node.mapping((), CAUSES)
    out = []
    for cid in CAUSES:
        if cid not in nodes:
            continue
        f = nodes[cid].mapping((), ("topics", "keywords"))
        if not f:
            raise nodes[cid].fail("give topics, keywords or both")
        topics = f["topics"].strings() if "topics" in f else ()
        keywords = _keywords(f["keywords"]) if "keywords" in f else ()
        out.append(Cause(cid, tuple(t.lower() for t in topics), keywords))
    return tuple(out)


def _kinds(node: _Node) -> tuple[str, ...]:
    return node.strings(lambda n: n.choice(INTERACTION_KINDS), min_len=0)


# --- lexicon.yaml ------------------------------------------------------------------------------


def _lexicon(root: _Node) -> Lexicon:
    top = root.mapping(("phrases",))
    phrases: list[Phrase] = []
    owner: dict[str, str] = {}  # variant (case-folded) -> phrase id, across phrases
    for n, pid in _with_id(top["phrases"].items()):
        f = n.mapping(("id", "label", "variants", "alternative"))
        vnodes = f["variants"].mapping(
            LEXICON_LANGUAGES,
            tuple(k for k in f["variants"].value if k not in LEXICON_LANGUAGES)
            if isinstance(f["variants"].value, dict)
            else (),
        )
        variants: list[Variant] = []
        for lang, vn in vnodes.items():
            if not _LANG.match(str(lang)):
                raise vn.fail("not a language code (e.g. en, ms, id, nl)")
            for text in vn.strings():
                if not _WORDISH.search(text):
                    raise vn.fail(f"variant {text!r} has no letters")
                other = owner.setdefault(text.casefold(), pid)
                if other != pid:
                    raise vn.fail(f"variant {text!r} is also listed under phrase {other!r}")
                variants.append(Variant(lang, text))
        phrases.append(
            Phrase(
                id=pid,
                labels=f["label"].texts(TEXT_LANGUAGES),
                variants=tuple(variants),
                alternatives=f["alternative"].texts(TEXT_LANGUAGES),
            )
        )
    return Lexicon(tuple(phrases))


def _cross_check(catalog: Catalog, scoring: Scoring, scoring_file: Path) -> None:
    """Every kind held to a channel expectation needs the channel's time to be known somewhere."""
    if scoring.speed.channel_expectation_kinds and not catalog.channels:
        raise UserError(
            f"{_show(scoring_file)}: speed.channel_expectation_kinds: "
            f"{TOUCHPOINTS_FILE} gives no channel expectations"
        )
