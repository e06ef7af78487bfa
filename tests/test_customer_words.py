"""Issue 14, item 5: the customer's own words as a signal, on hand-made rows.

A contact with customer_text and no rating gets the sentiment of those words (data/reference/
sentiment/, scoring.yaml customer_words): clearly negative falls short (words_negative, split like
a low rating when every promise was kept), clearly positive exceeds (words_positive), otherwise no
signal. With precedence customer_first the words decide after a rating and a declared verdict,
before the handling; with any_shortfall they are one more signal. Text of unknown author and
staff's words are never read for sentiment.
"""

from __future__ import annotations

import shutil
from datetime import datetime

import pytest
import yaml
from test_outcomes import _brief, _cfg, _scored

from pipeline import paths
from pipeline.outcomes import score_outcomes

T0 = "2024-03-01 10:00"
# a request promised for 24 h later: speed is the only handling signal
PROMISED = {"kind": "request", "occurred_at": T0, "promised_by": "2024-03-02 10:00"}
ON_TIME = {**PROMISED, "resolved_at": "2024-03-02 09:00"}  # 23 h of 24: met, not well inside
LATE = {**PROMISED, "resolved_at": "2024-03-02 12:00"}

NEGATIVE_EN = "Terrible service, I am very disappointed and angry."
POSITIVE_EN = "Thank you so much, excellent help, I am very happy!"
NEUTRAL_EN = "I would like to ask about my order number."
NEGATIVE_ID = "Pelayanan sangat buruk, saya kecewa sekali."
POSITIVE_ID = "Pelayanan bagus sekali, terima kasih, saya puas."
NEGATIVE_NL = "Slechte service, ik ben erg teleurgesteld."


def _words_cfg(tmp_path, **scoring):
    """The shipped reference (sentiment lexicons included), every lexicon language switched on
    (the shipped scoring.yaml lists only those precise enough), scoring.yaml keys overridden."""
    cfg = _cfg(tmp_path, now=datetime(2024, 4, 1),
               **{"customer_words.languages": ["en", "ms", "id", "nl"], **scoring})
    shutil.copytree(paths.REFERENCE / "sentiment", cfg.reference_dir / "sentiment")
    return cfg


def test_the_words_decide_a_contact_nobody_rated(con, add_interactions, tmp_path):
    add_interactions(
        # negative words although the promise was kept, nothing about product or price
        {**ON_TIME, "interaction_id": "neg_kept", "customer_text": NEGATIVE_EN},
        # ... and about the product: the product owner's, never staff's
        {**ON_TIME, "interaction_id": "neg_product",
         "customer_text": "The product broke after one day, terrible quality, very disappointed."},
        # positive words on a late contact: the customer's words outweigh the clock
        {**LATE, "interaction_id": "pos_late", "customer_text": POSITIVE_EN},
        # negative words on a late contact: both fell short, both decide
        {**LATE, "interaction_id": "neg_late", "customer_text": NEGATIVE_EN},
        # no promise, no resolution asked (feedback): the words are all there is
        {"kind": "feedback", "occurred_at": T0, "interaction_id": "neg_alone",
         "customer_text": NEGATIVE_EN},
        # neither clearly: no signal, the handling decides
        {**LATE, "interaction_id": "neutral_late", "customer_text": NEUTRAL_EN},
    )  # fmt: skip
    score_outcomes(con, _words_cfg(tmp_path))
    got = _scored(con)
    assert {k: _brief(v) for k, v in got.items()} == {
        "neg_kept": ("dissatisfied", ["words_negative_promise_kept"], "expectation"),
        "neg_product": ("dissatisfied", ["words_negative_product"], "product"),
        "pos_late": ("delighted", ["words_positive"], None),
        "neg_late": ("dissatisfied", ["speed_missed", "words_negative"], "service"),
        "neg_alone": ("dissatisfied", ["words_negative"], "customer_words"),
        "neutral_late": ("dissatisfied", ["speed_missed"], "service"),
    }
    # the clock stays on the row as a reason, and in the speed columns
    assert got["pos_late"]["reasons"] == ["speed_missed", "words_positive"]
    assert got["pos_late"]["promise_kept"] is False
    assert [k for k, v in got.items() if v["decided_by_words"]] == [
        "neg_kept", "neg_product", "pos_late", "neg_late", "neg_alone"]
    assert got["neg_kept"]["words_sentiment"] < -0.5 < 0.5 < got["pos_late"]["words_sentiment"]
    assert -0.5 < got["neutral_late"]["words_sentiment"] < 0.5


def test_any_shortfall_counts_the_words_as_one_more_signal(con, add_interactions, tmp_path):
    add_interactions(
        {**LATE, "interaction_id": "pos_late", "customer_text": POSITIVE_EN},
        {**ON_TIME, "interaction_id": "pos_on_time", "customer_text": POSITIVE_EN},
        {**ON_TIME, "interaction_id": "neg_on_time", "customer_text": NEGATIVE_EN},
    )  # fmt: skip
    score_outcomes(con, _words_cfg(tmp_path, precedence="any_shortfall"))
    got = _scored(con)
    assert {k: _brief(v) for k, v in got.items()} == {
        "pos_late": ("dissatisfied", ["speed_missed"], "service"),
        "pos_on_time": ("delighted", ["words_positive"], None),
        "neg_on_time": ("dissatisfied", ["words_negative_promise_kept"], "expectation"),
    }
    assert not any(v["decided_by_words"] for v in got.values())


def test_only_the_customers_own_words_without_a_rating_are_read(con, add_interactions, tmp_path):
    add_interactions(
        # a rating is the customer's verdict: their words are not read
        {**ON_TIME, "interaction_id": "rated", "rating": 4, "customer_text": NEGATIVE_EN},
        # text of unknown author and staff's words are never the customer's
        {**ON_TIME, "interaction_id": "unknown_author", "text": NEGATIVE_EN},
        {**ON_TIME, "interaction_id": "staff", "agent_text": NEGATIVE_EN},
    )  # fmt: skip
    score_outcomes(con, _words_cfg(tmp_path))
    got = _scored(con)
    assert {k: _brief(v) for k, v in got.items()} == {
        "rated": ("satisfied", ["rating_met", "speed_met"], None),
        "unknown_author": ("satisfied", ["speed_met"], None),
        "staff": ("satisfied", ["speed_met"], None),
    }
    assert {k: v["words_sentiment"] for k, v in got.items()} == dict.fromkeys(got)


def test_languages_given_detected_or_switched_off(con, add_interactions, tmp_path):
    add_interactions(
        {**ON_TIME, "interaction_id": "id_given", "language": "id", "customer_text": NEGATIVE_ID},
        {**ON_TIME, "interaction_id": "id_region", "language": "ID-id",
         "customer_text": POSITIVE_ID},
        {**ON_TIME, "interaction_id": "nl_detected", "customer_text": NEGATIVE_NL},
        {**ON_TIME, "interaction_id": "en_detected", "customer_text": POSITIVE_EN},
        # a language without a lexicon: no signal, whatever the words
        {**ON_TIME, "interaction_id": "fr_given", "language": "fr",
         "customer_text": NEGATIVE_EN},
    )  # fmt: skip
    score_outcomes(con, _words_cfg(tmp_path))
    got = {k: _brief(v) for k, v in _scored(con).items()}
    assert got == {
        "id_given": ("dissatisfied", ["words_negative_promise_kept"], "expectation"),
        "id_region": ("delighted", ["words_positive"], None),
        "nl_detected": ("dissatisfied", ["words_negative_promise_kept"], "expectation"),
        "en_detected": ("delighted", ["words_positive"], None),
        "fr_given": ("satisfied", ["speed_met"], None),
    }


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        # English only: the Indonesian words give no signal
        ({"customer_words.languages": ["en"]},
         {"en": "dissatisfied", "id": "satisfied", "unknown": "dissatisfied"}),
        # no detection: a text without a language gives no signal
        ({"customer_words.detect_language": False},
         {"en": "dissatisfied", "id": "dissatisfied", "unknown": "satisfied"}),
        # stricter thresholds than any of these texts reaches
        ({"customer_words.negative_at": -1.0},
         {"en": "satisfied", "id": "satisfied", "unknown": "satisfied"}),
    ],
)  # fmt: skip
def test_the_setting_decides_which_words_count(con, add_interactions, tmp_path, setting,
                                               expected):
    add_interactions(
        {**ON_TIME, "interaction_id": "en", "language": "en", "customer_text": NEGATIVE_EN},
        {**ON_TIME, "interaction_id": "id", "language": "id", "customer_text": NEGATIVE_ID},
        {**ON_TIME, "interaction_id": "unknown", "customer_text": NEGATIVE_EN},
    )  # fmt: skip
    score_outcomes(con, _words_cfg(tmp_path, **setting))
    assert {k: v["outcome"] for k, v in _scored(con).items()} == expected


def test_without_the_block_or_the_lexicons_no_words_are_read(con, add_interactions, tmp_path):
    add_interactions({**ON_TIME, "interaction_id": "neg", "customer_text": NEGATIVE_EN})
    cfg = _words_cfg(tmp_path)
    data = yaml.safe_load((cfg.reference_dir / "scoring.yaml").read_text(encoding="utf-8"))
    del data["customer_words"]
    (cfg.reference_dir / "scoring.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    score_outcomes(con, cfg)
    assert _brief(_scored(con)["neg"]) == ("satisfied", ["speed_met"], None)
    # the block back, the lexicon folder gone: still no signal, and no error
    shutil.rmtree(cfg.reference_dir / "sentiment")
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 4, 1),
                             **{"customer_words.languages": ["en"]}))
    assert _brief(_scored(con)["neg"]) == ("satisfied", ["speed_met"], None)


def test_a_lexicon_change_rescores(con, add_interactions, tmp_path):
    add_interactions({**ON_TIME, "interaction_id": "w", "language": "en",
                      "customer_text": "The courier was zorbly."})
    cfg = _words_cfg(tmp_path)
    score_outcomes(con, cfg)
    assert _scored(con)["w"]["outcome"] == "satisfied"
    with (cfg.reference_dir / "sentiment" / "en.tsv").open("a", encoding="utf-8") as fh:
        fh.write("zorbly\t-3.5\n")
    score_outcomes(con, cfg)
    assert _brief(_scored(con)["w"]) == ("dissatisfied", ["words_negative_promise_kept"],
                                         "expectation")


# Signal precision and recall on the held-out hand-labelled sets (tests/fixtures/sentiment/), as
# the README's table quotes them: `python -m pipeline.outcomes.sentiment_eval` prints them.
HELD_OUT = {
    "en": (0.781, 0.543),
    "id": (0.863, 0.656),
    "ms": (0.885, 0.719),
    "nl": (0.859, 0.573),
}


def test_the_shipped_languages_are_those_precise_enough_on_their_held_out_set():
    """A lexicon change re-measures: the README's numbers must be updated with it, and a language
    whose precision falls below 0.8 must come out of scoring.yaml customer_words.languages."""
    from pipeline.outcomes.sentiment_eval import SETS, evaluate, read_set
    from pipeline.reference import load_reference

    words = load_reference(paths.REFERENCE).scoring.customer_words
    measured = {}
    for file in sorted(SETS.glob("*.csv")):
        result = evaluate(read_set(file), file.stem, positive_at=words.positive_at,
                          negative_at=words.negative_at, detect=False)
        assert result["n"] >= 100, file
        measured[file.stem] = (round(result["signal_precision"], 3),
                               round(result["signal_recall"], 3))
    assert measured == HELD_OUT
    assert sorted(words.languages) == sorted(k for k, (p, _) in measured.items() if p >= 0.8)
