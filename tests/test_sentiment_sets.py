"""Shape of the hand-labelled sentiment sets in tests/fixtures/sentiment/ (see its README.md).

The sets measure the sentiment signal; these tests only check that the files are well formed and
balanced, and that every English row is a real inbound customer tweet whose words were kept.
"""

from __future__ import annotations

import csv
import html
import io
import os
import re
from collections import Counter
from pathlib import Path

import pytest

SETS = Path(__file__).parent / "fixtures" / "sentiment"
LANGUAGES = ("en", "ms", "id", "nl")
LABELS = {"positive", "negative", "neutral"}
REALDATA = Path(os.environ.get("REALDATA_DIR")
                or Path(__file__).resolve().parents[2] / "shared" / "realdata")
TWCS = REALDATA / "twitter_support_twcs" / "twcs_first5000.csv"
TWCS_ORIGIN = re.compile(r"twcs:tweet_id=(\d+)")


def read_set(lang: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(SETS / f"{lang}.csv", encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_header_labels_and_size(lang: str) -> None:
    header, rows = read_set(lang)
    assert header == ["text", "label", "origin"]
    assert len(rows) >= 130
    assert {r["label"] for r in rows} <= LABELS
    assert all(r["text"].strip() for r in rows)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_duplicate_texts(lang: str) -> None:
    _, rows = read_set(lang)
    texts = Counter(" ".join(r["text"].casefold().split()) for r in rows)
    assert [t for t, n in texts.items() if n > 1] == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_label_is_at_least_a_fifth(lang: str) -> None:
    _, rows = read_set(lang)
    counts = Counter(r["label"] for r in rows)
    assert {label: counts[label] / len(rows) >= 0.20 for label in LABELS} == dict.fromkeys(
        LABELS, True), counts


@pytest.mark.parametrize("lang", ("ms", "id", "nl"))
def test_written_sets_say_so(lang: str) -> None:
    _, rows = read_set(lang)
    assert {r["origin"] for r in rows} == {"written"}


def test_english_origins_are_tweet_ids() -> None:
    _, rows = read_set("en")
    assert all(TWCS_ORIGIN.fullmatch(r["origin"]) for r in rows)


def _cleaned(tweet: str) -> str:
    """The README's rule: drop @handles and links, unescape HTML entities, squeeze spaces."""
    tweet = re.sub(r"https?://\S+", "", re.sub(r"@\w+", "", tweet))
    return " ".join(html.unescape(tweet).split())


def test_english_rows_are_inbound_tweets_with_their_words() -> None:
    if not TWCS.is_file():
        pytest.skip(f"../shared/realdata not present: {TWCS} (set REALDATA_DIR to check the "
                    "English set against the tweets)")
    # Tweet 3399 holds bare CRs in an unquoted field; LF is the only record separator.
    raw = TWCS.read_text(encoding="utf-8").replace("\r", " ")
    tweets = {r["tweet_id"]: r for r in csv.DictReader(io.StringIO(raw))}
    assert len(tweets) == 5000
    _, rows = read_set("en")
    problems = []
    for r in rows:
        tweet_id = TWCS_ORIGIN.fullmatch(r["origin"]).group(1)
        tweet = tweets.get(tweet_id)
        if tweet is None:
            problems.append(f"{tweet_id}: not in twcs_first5000.csv")
        elif tweet["inbound"] != "True":
            problems.append(f"{tweet_id}: not an inbound (customer) tweet")
        elif _cleaned(tweet["text"]) != r["text"]:
            problems.append(f"{tweet_id}: text differs from the tweet")
    assert problems == []
