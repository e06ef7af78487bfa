"""How well the customer's-words signal agrees with labelled texts, per language.

    .venv/bin/python -m pipeline.outcomes.sentiment_eval [--prdect PATH] [--sets DIR]
        [--split dev|test]

Scores each text with customer_words_sentiment.sql (in-memory DuckDB, the shipped reference) in
the language its set declares, and prints a markdown table per language:
- signal precision: of the texts given a signal (positive -> exceeds, negative -> falls short),
  the share whose label agrees; signal recall: of the texts labelled positive or negative, the
  share given the right signal;
- precision / recall per class (neutral = no signal);
- detected: what detect_languages makes of the texts (ms/id confusion).

Sets: DIR/<language>.csv with header `text,label,origin` (label positive|negative|neutral).
PRDECT-ID (Indonesian product reviews, columns `Customer Review`, `Sentiment`): rows whose 0-based
index % 5 == 0 are the development split the id lexicon and thresholds were tuned on; the others
are the held-out test split, reported by default.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb

from pipeline import paths
from pipeline.db import install_macros
from pipeline.outcomes.sentiment import (
    NEGATIVE_AT,
    POSITIVE_AT,
    SentimentReference,
    detect_languages,
    install_sentiment_reference,
    load_sentiment_reference,
    score_texts,
)
from pipeline.reference import load_reference

LABELS = ("positive", "negative", "neutral")
PRDECT = paths.ROOT.parent / "shared" / "realdata" / "reviews_prdect_id_indonesian" / (
    "PRDECT-ID Dataset.csv"
)
SETS = paths.ROOT / "tests" / "fixtures" / "sentiment"


def predicted(sentiment: float, positive_at: float, negative_at: float) -> str:
    if sentiment >= positive_at:
        return "positive"
    if sentiment <= negative_at:
        return "negative"
    return "neutral"


def evaluate(
    rows: Iterable[dict[str, Any]],
    language: str,
    *,
    reference: SentimentReference | None = None,
    positive_at: float = POSITIVE_AT,
    negative_at: float = NEGATIVE_AT,
    detect: bool = True,
) -> dict[str, Any]:
    """Score rows ({text, label}) in `language`; return counts, precision and recall.

    Keys: n, labels (count per label), predicted (count per predicted class), signal_precision,
    signal_recall, precision / recall (per class; None when undefined), detected (count per
    detected language, None = undecided) and rows (each input row with sentiment and predicted).
    """
    rows = list(rows)
    for r in rows:
        if r.get("label") not in LABELS:
            raise ValueError(f"label {r.get('label')!r} is not one of {', '.join(LABELS)}")
    ref = reference if reference is not None else load_sentiment_reference(paths.REFERENCE)
    con = duckdb.connect()
    try:
        install_macros(con)
        install_sentiment_reference(con, ref)
        scored = score_texts(con, [
            {"source": "eval", "interaction_id": str(i), "language": language, "text": r["text"]}
            for i, r in enumerate(rows)
        ])
    finally:
        con.close()
    out_rows = []
    for r, s in zip(rows, scored, strict=True):
        out_rows.append({**r, "sentiment": s["sentiment"], "terms": s["sentiment_terms"],
                         "predicted": predicted(s["sentiment"], positive_at, negative_at)})
    pairs = [(r["label"], r["predicted"]) for r in out_rows]
    given = [(g, p) for g, p in pairs if p != "neutral"]
    polar = [(g, p) for g, p in pairs if g != "neutral"]
    result: dict[str, Any] = {
        "language": language,
        "n": len(rows),
        "labels": {k: sum(g == k for g, _ in pairs) for k in LABELS},
        "predicted": {k: sum(p == k for _, p in pairs) for k in LABELS},
        "signal_precision": _share(sum(g == p for g, p in given), len(given)),
        "signal_recall": _share(sum(g == p for g, p in polar), len(polar)),
        "precision": {},
        "recall": {},
        "rows": out_rows,
    }
    for k in LABELS:
        hit = sum(g == p == k for g, p in pairs)
        result["precision"][k] = _share(hit, sum(p == k for _, p in pairs))
        result["recall"][k] = _share(hit, sum(g == k for g, _ in pairs))
    if detect:
        found = detect_languages([r["text"] for r in rows], ref.languages)
        result["detected"] = dict(Counter(found).most_common())
    return result


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def read_set(file: Path) -> list[dict[str, str]]:
    """A labelled set: CSV with header text,label,origin."""
    with file.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = {"text", "label"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{file}: missing column(s) {', '.join(sorted(missing))}")
        return [{"text": r["text"], "label": r["label"].strip().lower(),
                 "origin": r.get("origin") or ""} for r in reader]


def read_prdect(file: Path, split: str = "test") -> list[dict[str, str]]:
    """PRDECT-ID reviews of one split: dev = 0-based row index % 5 == 0, test = the others."""
    with file.open(encoding="utf-8", errors="replace", newline="") as f:
        out = []
        for i, r in enumerate(csv.DictReader(f)):
            if (i % 5 == 0) != (split == "dev"):
                continue
            out.append({"text": r["Customer Review"], "label": r["Sentiment"].strip().lower(),
                        "origin": f"prdect:{i}"})
    return out


def table(result: dict[str, Any], title: str) -> str:
    """The result as a markdown table."""
    def pct(v: float | None) -> str:
        return "-" if v is None else f"{v:.3f}"

    labels, pred = result["labels"], result["predicted"]
    lines = [
        f"### {title} ({result['language']}, n={result['n']})",
        "",
        "| measure | value |",
        "| --- | --- |",
        f"| labelled positive / negative / neutral | {labels['positive']} / "
        f"{labels['negative']} / {labels['neutral']} |",
        f"| predicted positive / negative / no signal | {pred['positive']} / "
        f"{pred['negative']} / {pred['neutral']} |",
        f"| signal precision | {pct(result['signal_precision'])} |",
        f"| signal recall | {pct(result['signal_recall'])} |",
    ]
    for k in LABELS:
        lines.append(f"| {k}: precision / recall | {pct(result['precision'][k])} / "
                     f"{pct(result['recall'][k])} |")
    if "detected" in result:
        found = ", ".join(f"{k or 'none'} {v}" for k, v in result["detected"].items())
        lines.append(f"| detected language | {found} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.outcomes.sentiment_eval",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--prdect", type=Path, default=PRDECT, help="PRDECT-ID Dataset.csv")
    parser.add_argument("--sets", type=Path, default=SETS,
                        help="folder of <language>.csv sets (text,label,origin)")
    parser.add_argument("--split", choices=("dev", "test"), default="test",
                        help="PRDECT split (default: test, the held-out rows)")
    args = parser.parse_args(argv)
    ref = load_sentiment_reference(paths.REFERENCE)
    # the shipped thresholds (scoring.yaml customer_words), else the module's defaults
    words = load_reference(paths.REFERENCE).scoring.customer_words
    at = {"positive_at": words.positive_at if words else POSITIVE_AT,
          "negative_at": words.negative_at if words else NEGATIVE_AT}
    print(f"thresholds: positive >= {at['positive_at']}, negative <= {at['negative_at']}\n")
    if args.prdect.exists():
        rows = read_prdect(args.prdect, args.split)
        print(table(evaluate(rows, "id", reference=ref, **at), f"PRDECT-ID {args.split} split"))
    else:
        print(f"PRDECT-ID not found at {args.prdect}: skipped\n")
    files = sorted(args.sets.glob("*.csv")) if args.sets.is_dir() else []
    if not files:
        print(f"no labelled sets in {args.sets}: skipped")
    for file in files:
        print(table(evaluate(read_set(file), file.stem, reference=ref, **at), f"set {file.name}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
