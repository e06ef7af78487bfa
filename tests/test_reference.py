"""Reference data: the shipped files load; every kind of mistake names the file and the key."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from pipeline import paths
from pipeline.errors import UserError
from pipeline.reference import (
    LEXICON_FILE,
    SCORING_FILE,
    TOUCHPOINTS_FILE,
    UNMAPPED,
    load_reference,
)

# The variants the sample generator embeds: the lexicon must hold at least these.
SAMPLE_PHRASES = {
    "en": ["I don't know", "I don't care", "I can't be bothered", "we don't like your kind here",
           "you know nothing", "don't come back", "I'm right and you're wrong", "hurry up",
           "just wait"],
    "ms": ["saya tak tahu", "saya tak peduli", "malas saya nak layan",
           "kami tak suka orang macam awak", "awak tak tahu apa-apa", "jangan datang lagi",
           "saya betul, awak salah", "cepat sikit", "tunggu je"],
    "id": ["saya tidak tahu", "saya tidak peduli", "saya malas mengurus",
           "kami tidak suka orang seperti anda", "anda tidak tahu apa-apa", "jangan datang lagi",
           "saya benar dan anda salah", "cepat sedikit", "tunggu saja"],
    "nl": ["ik weet het niet", "het kan me niet schelen", "ik heb er geen zin in",
           "wij houden niet van uw soort", "u weet er niets van", "kom maar niet meer terug",
           "ik heb gelijk en u niet", "schiet op", "wacht maar"],
}  # fmt: skip


def test_shipped_reference_loads() -> None:
    ref = load_reference(paths.REFERENCE)
    real = [t for t in ref.catalog.touchpoints if t.id != UNMAPPED]
    assert 12 <= len(real) <= 20
    assert ref.catalog.touchpoints[-1].id == UNMAPPED
    assert {t.kind for t in real} == {"communication", "human_contact", "physical"}
    assert all({"en", "ms"} <= set(t.names) for t in ref.catalog.touchpoints)
    assert [r.position for r in ref.catalog.rules] == list(range(1, len(ref.catalog.rules) + 1))
    assert {c.channel for c in ref.catalog.channels} >= {
        "phone", "sms", "chat", "email", "web", "in_person", "letter"
    }  # fmt: skip
    assert [s.id for s in ref.scoring.segments] == [
        "active_hater", "extreme_critic", "once_loyal_now_upset", "still_passionate", "other"
    ]  # fmt: skip
    assert all({"en", "ms"} <= set(s.handling) for s in ref.scoring.segments)


def test_lexicon_holds_the_guides_phrases_in_four_languages() -> None:
    lexicon = load_reference(paths.REFERENCE).lexicon
    assert [p.id for p in lexicon.phrases] == [
        "dont_know", "dont_care", "cant_be_bothered", "dont_like_you", "know_everything",
        "dont_come_back", "im_right", "hurry_wait",
    ]  # fmt: skip
    have = {(v.language, v.text) for p in lexicon.phrases for v in p.variants}
    for lang, phrases in SAMPLE_PHRASES.items():
        for phrase in phrases:
            assert (lang, phrase) in have
    for p in lexicon.phrases:
        assert {"en", "ms"} <= set(p.alternatives)
        assert {"en", "ms", "id", "nl"} <= {v.language for v in p.variants}


def test_loaded_once_until_a_file_changes(tmp_path: Path) -> None:
    ref_dir = _copy(tmp_path)
    first = load_reference(ref_dir)
    assert load_reference(ref_dir) is first
    path = ref_dir / SCORING_FILE
    path.write_text(
        path.read_text().replace("well_inside_fraction: 0.5", "well_inside_fraction: 0.4")
    )
    assert load_reference(ref_dir).scoring.speed.well_inside_fraction == 0.4


# --- one negative case per kind of mistake ------------------------------------------------------


def _copy(tmp_path: Path) -> Path:
    ref_dir = tmp_path / "reference"
    ref_dir.mkdir()
    for name in (TOUCHPOINTS_FILE, SCORING_FILE, LEXICON_FILE):
        shutil.copy(paths.REFERENCE / name, ref_dir / name)
    return ref_dir


def _edit(tmp_path: Path, name: str, change: Callable[[Any], None]) -> Path:
    ref_dir = _copy(tmp_path)
    data = yaml.safe_load((ref_dir / name).read_text(encoding="utf-8"))
    change(data)
    (ref_dir / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return ref_dir


def _touchpoint(data: dict, tid: str) -> dict:
    return next(t for t in data["touchpoints"] if t["id"] == tid)


def _rule(data: dict, rid: str) -> dict:
    return next(r for r in data["rules"] if r["id"] == rid)


def _phrase(data: dict, pid: str) -> dict:
    return next(p for p in data["phrases"] if p["id"] == pid)


CASES = [
    (
        TOUCHPOINTS_FILE,
        lambda d: _touchpoint(d, "delivery").update(colour="red"),
        "touchpoints.delivery.colour: unknown key",
    ),
    (
        TOUCHPOINTS_FILE,
        lambda d: _touchpoint(d, "delivery").pop("kind"),
        "touchpoints.delivery.kind: missing key",
    ),
    (
        TOUCHPOINTS_FILE,
        lambda d: _touchpoint(d, "delivery").update(kind="physcial"),
        "touchpoints.delivery.kind: 'physcial' is not one of communication, human_contact",
    ),
    (
        TOUCHPOINTS_FILE,
        lambda d: _touchpoint(d, "delivery")["name"].pop("ms"),
        "touchpoints.delivery.name.ms: missing key",
    ),
    (
        TOUCHPOINTS_FILE,
        lambda d: d["touchpoints"].append(dict(_touchpoint(d, "billing"))),
        "touchpoints.billing.id: duplicate id 'billing'",
    ),
    (
        TOUCHPOINTS_FILE,
        lambda d: _rule(d, "topic_delivery").update(touchpoint="deliveryy"),
        "rules.topic_delivery.touchpoint: unknown touchpoint 'deliveryy'",
    ),
    (
        TOUCHPOINTS_FILE,
        lambda d: _rule(d, "topic_delivery").update(touchpoint="unmapped"),
        "rules.topic_delivery.touchpoint: rules may not target 'unmapped'",
    ),
    (
        TOUCHPOINTS_FILE,
        lambda d: d["rules"].append(dict(_rule(d, "channel_web"))),
        "rules.channel_web.id: duplicate id 'channel_web'",
    ),
    (
        TOUCHPOINTS_FILE,
        lambda d: _rule(d, "channel_phone").update(channel=["telephone"]),
        "rules.channel_phone.channel[0]: 'telephone' is not one of phone, email",
    ),
    (
        TOUCHPOINTS_FILE,
        lambda d: _rule(d, "topic_delivery").pop("topic"),
        "rules.topic_delivery: a rule needs at least one condition",
    ),
    (
        TOUCHPOINTS_FILE,
        lambda d: _rule(d, "text_delivery")["keywords"].update(en=["de*liver"]),
        "rules.text_delivery.keywords.en: keyword 'de*liver': needs letters or digits, and * only",
    ),
    (
        TOUCHPOINTS_FILE,
        lambda d: _rule(d, "topic_delivery").update(topic=[]),
        "rules.topic_delivery.topic: needs at least 1 item",
    ),
    (
        TOUCHPOINTS_FILE,
        lambda d: d["channels"].update(pigeon={"hours": 3}),
        "channels.pigeon: unknown key",
    ),
    (
        TOUCHPOINTS_FILE,
        lambda d: d["channels"].update(phone={"hours": 24, "same_day": True}),
        "channels.phone: give either hours or same_day: true",
    ),
    (
        TOUCHPOINTS_FILE,
        lambda d: d["channels"].update(phone={"hours": -1}),
        "channels.phone.hours: -1 out of range",
    ),
    (
        SCORING_FILE,
        lambda d: d["speed"].update(well_inside_fraction=1.5),
        "speed.well_inside_fraction: 1.5 out of range (must be between 0 and 1)",
    ),
    (
        SCORING_FILE,
        lambda d: d["speed"].update(business_timezone="Asia/Kuala_Lumpurr"),
        "speed.business_timezone: unknown time zone 'Asia/Kuala_Lumpurr'",
    ),
    (
        SCORING_FILE,
        lambda d: d["resolution"].update(repeat_window_days="seven"),
        "resolution.repeat_window_days: expected a whole number, got 'seven'",
    ),
    (
        SCORING_FILE,
        lambda d: d["rating"].update(three="ok"),
        "rating.three: 'ok' is not one of meets, falls_short",
    ),
    (SCORING_FILE, lambda d: d.pop("analysis_window"), "analysis_window: missing key"),
    (
        SCORING_FILE,
        lambda d: d["segments"].pop("extreme_critic"),
        "segments.extreme_critic: missing key",
    ),
    (
        SCORING_FILE,
        lambda d: d["segments"]["active_hater"].pop("min_dissatisfied_promise_kept"),
        "segments.active_hater.min_dissatisfied_promise_kept: missing key",
    ),
    (
        SCORING_FILE,
        lambda d: d["segments"]["extreme_critic"].update(min_dissatisfied_share=0.9),
        "segments.extreme_critic.min_dissatisfied_share: is above max_dissatisfied_share",
    ),
    (
        SCORING_FILE,
        lambda d: d["kind_signals"].update(compliment="great"),
        "kind_signals.compliment: 'great' is not one of exceeds, meets, falls_short",
    ),
    (
        SCORING_FILE,
        lambda d: d["language"].update(skip_kinds=["praise"]),
        "language.skip_kinds[0]: 'praise' is not one of complaint",
    ),
    (
        LEXICON_FILE,
        lambda d: _phrase(d, "dont_care")["variants"].pop("nl"),
        "phrases.dont_care.variants.nl: missing key",
    ),
    (
        LEXICON_FILE,
        lambda d: _phrase(d, "dont_care")["variants"]["en"].append("I DON'T KNOW"),
        'phrases.dont_care.variants.en: variant "I DON\'T KNOW" is also listed under phrase '
        "'dont_know'",
    ),
    (
        LEXICON_FILE,
        lambda d: _phrase(d, "dont_care")["variants"]["en"].append("i don't care"),
        'phrases.dont_care.variants.en: "i don\'t care" listed twice',
    ),
    (
        LEXICON_FILE,
        lambda d: _phrase(d, "im_right")["alternative"].pop("ms"),
        "phrases.im_right.alternative.ms: missing key",
    ),
    (
        LEXICON_FILE,
        lambda d: d["phrases"].append({"label": {"en": "x", "ms": "x"}}),
        "phrases[8].id: missing key",
    ),
]


@pytest.mark.parametrize(("name", "change", "message"), CASES, ids=[c[2][:50] for c in CASES])
def test_mistake_names_file_and_key(tmp_path: Path, name: str, change, message: str) -> None:
    ref_dir = _edit(tmp_path, name, change)
    with pytest.raises(UserError) as err:
        load_reference(ref_dir)
    text = str(err.value)
    assert "\n" not in text
    assert text.startswith(str(ref_dir / name) + ": "), text
    assert message in text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "touchpoints: []\ntouchpoints: []\n",
            "not valid YAML: line 2: duplicate key 'touchpoints'",
        ),
        ("touchpoints: [\n", "not valid YAML: line 2"),
        ("- just\n- a list\n", "(top level): expected a mapping, got list"),
    ],
)
def test_unreadable_file_names_the_file(tmp_path: Path, text: str, message: str) -> None:
    ref_dir = _copy(tmp_path)
    (ref_dir / TOUCHPOINTS_FILE).write_text(text)
    with pytest.raises(UserError, match=r"touchpoints\.yaml: ") as err:
        load_reference(ref_dir)
    assert message in str(err.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    ref_dir = _copy(tmp_path)
    (ref_dir / LEXICON_FILE).unlink()
    with pytest.raises(UserError, match=r"lexicon\.yaml: reference file missing"):
        load_reference(ref_dir)
