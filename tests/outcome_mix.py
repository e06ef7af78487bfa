"""The outcome mix of each realdata recipe (delighted / satisfied / dissatisfied / unscored), the
figures the issue-14 note quotes before and after a scoring change.

    PYTHONPATH=.:tests .venv/bin/python tests/outcome_mix.py   # ../shared/realdata or $REALDATA_DIR
    WORDS_LANGS=en,ms,id,nl ... tests/outcome_mix.py           # every sentiment language on

Not a test: it prints, asserts nothing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import test_realdata_recipes as t
import yaml
from test_ingest import Project

from pipeline.run import run

R = t.REALDATA
OUTCOMES = ("delighted", "satisfied", "dissatisfied", "unscored")
# recipe: (files, touchpoint snippets)
CASES = {
    "helpdesk_tickets": (
        [R / "helpdesk_tickets_suraj520" / "customer_support_tickets.csv"], ["twitter_support"]),
    "boston_311": ([R / "city_311_boston_2015" / n for n in t.BOSTON], ["boston_311"]),
    "twitter_support": (
        [R / "twitter_support_twcs" / "sample.csv",
         R / "twitter_support_twcs" / "twcs_first5000.csv"], ["twitter_support"]),
    "prdect_reviews": (
        [R / "reviews_prdect_id_indonesian" / "PRDECT-ID Dataset.csv"], ["prdect_reviews"]),
    "starbucks_survey": (
        [R / "survey_starbucks_malaysia" / "Starbucks satisfactory survey.csv"],
        ["starbucks_survey"]),
    "call_centre_excel": ([R / "call_centre_pwc" / "Call-Center-Dataset.xlsx"], []),
}


def main() -> None:
    for name, (files, snippets) in CASES.items():
        with tempfile.TemporaryDirectory() as d:
            p = Project(Path(d))
            loaded = t.Loaded(p, name, files, *snippets)
            if os.environ.get("WORDS_LANGS"):
                scoring = loaded.reference / "scoring.yaml"
                doc = yaml.safe_load(scoring.read_text(encoding="utf-8"))
                doc["customer_words"]["languages"] = os.environ["WORDS_LANGS"].split(",")
                scoring.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
            run(p.config(reference_dir=loaded.reference), only=("score",))
            mix = dict(p.query("select outcome, count(*) from interaction_outcomes group by 1"))
            words = p.query("select count(*) from interaction_outcomes where decided_by_words")
            total = sum(mix.values())
            shares = ", ".join(f"{k} {mix.get(k, 0):,} ({100 * mix.get(k, 0) / total:.1f}%)"
                               for k in OUTCOMES)
            print(f"{name} {total:,}: {shares}; decided by words {words[0][0]:,}")


if __name__ == "__main__":
    main()
