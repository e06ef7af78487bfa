"""Every report language is complete: the same label keys and placeholders as English, every text
of the shipped reference data in every language, and a report that builds in each.

Indonesian and Dutch came after English and Malay; a key added to en.yaml (or a catalog text
written in two languages only) would otherwise print in English without anyone noticing.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from test_report import NOW, SCHEMA, _insert, _ledger, _rows, pdf_text

from pipeline import paths
from pipeline.config import RunConfig
from pipeline.outcomes import score_outcomes
from pipeline.reference import REPORT_LANGUAGES, load_reference
from pipeline.report import build_report
from pipeline.report.labels import load_labels
from pipeline.report.playbook import load_playbook
from pipeline.touchpoints import map_touchpoints

LABELS = paths.REFERENCE / "labels"
LABEL_FILES = sorted(p for p in LABELS.glob("*.yaml") if p.stem != "en")
_LANG = re.compile(r"^[a-z]{2,3}$")


def _leaves(node: Any, key: str = "") -> dict[str, Any]:
    """Dotted key -> text (or list of texts) of a labels file."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            out.update(_leaves(v, f"{key}.{k}" if key else str(k)))
        return out
    return {key: node}


def _labels(file: Path) -> dict[str, Any]:
    return _leaves(yaml.safe_load(file.read_text(encoding="utf-8")))


def _fields(value: Any) -> set[str]:
    texts = value if isinstance(value, list) else [value]
    return {f for t in texts for _, f, _, _ in string.Formatter().parse(str(t)) if f}


def test_every_report_language_has_a_labels_file():
    assert sorted(REPORT_LANGUAGES) == sorted(p.stem for p in LABELS.glob("*.yaml"))
    assert {"en", "ms", "id", "nl"} <= set(REPORT_LANGUAGES)


@pytest.mark.parametrize("file", LABEL_FILES, ids=lambda p: p.name)
def test_labels_file_has_exactly_the_english_keys(file: Path):
    english, theirs = set(_labels(LABELS / "en.yaml")), set(_labels(file))
    assert not english - theirs, f"{file.name} lacks keys of en.yaml: {sorted(english - theirs)}"
    assert not theirs - english, f"{file.name} has keys en.yaml lacks: {sorted(theirs - english)}"


@pytest.mark.parametrize("file", LABEL_FILES, ids=lambda p: p.name)
def test_labels_keep_the_english_placeholders(file: Path):
    english, theirs = _labels(LABELS / "en.yaml"), _labels(file)
    wrong = {
        k: (sorted(_fields(v)), sorted(_fields(theirs[k])))
        for k, v in english.items()
        if k in theirs and _fields(v) != _fields(theirs[k])
    }
    assert not wrong, f"{file.name}: placeholders differ from en.yaml (en, theirs): {wrong}"


@pytest.mark.parametrize("lang", REPORT_LANGUAGES)
def test_labels_file_loads(lang: str):
    labels = load_labels(paths.REFERENCE, lang)
    assert labels.lang == lang
    assert len(labels.get("format.months")) == 12


def _language_maps(node: Any, key: str = "") -> list[tuple[str, dict]]:
    """Every mapping language -> text in a YAML document (keyword lists are not texts)."""
    if isinstance(node, dict):
        texts = all(_LANG.match(str(k)) and isinstance(v, str) for k, v in node.items())
        if "en" in node and texts:
            return [(key, node)]
        return [m for k, v in node.items() for m in _language_maps(v, f"{key}.{k}".lstrip("."))]
    if isinstance(node, list):
        return [m for i, v in enumerate(node) for m in _language_maps(v, f"{key}[{i}]")]
    return []


def test_shipped_reference_texts_have_every_report_language():
    """As loaded (what the report prints), and in every YAML file, recipe snippets included."""
    ref = load_reference(paths.REFERENCE)
    playbook = load_playbook(paths.REFERENCE)
    texts = {f"touchpoints.{t.id}.name": t.names for t in ref.catalog.touchpoints}
    for s in ref.scoring.segments:
        texts |= {f"segments.{s.id}.label": s.labels, f"segments.{s.id}.handling": s.handling}
    for p in ref.lexicon.phrases:
        texts |= {f"phrases.{p.id}.label": p.labels, f"phrases.{p.id}.alternative": p.alternatives}
    texts |= {f"actions.{a.id}.text": a.texts for a in playbook.actions}
    texts |= {f"segment_notes.{k}": v for k, v in playbook.segment_notes.items()}
    for file in sorted(paths.REFERENCE.rglob("*.yaml")):
        if LABELS not in file.parents:
            doc = yaml.safe_load(file.read_text(encoding="utf-8"))
            rel = file.relative_to(paths.REFERENCE)
            texts |= {f"{rel}: {k}": m for k, m in _language_maps(doc)}
    assert len(texts) > 60  # the walk found the catalog, segments, phrases and actions
    missing = {k: sorted(set(REPORT_LANGUAGES) - set(v)) for k, v in texts.items()}
    assert not {k: v for k, v in missing.items() if v}
    empty = [k for k, v in texts.items() if not all(str(t).strip() for t in v.values())]
    assert not empty


# --- a report in each new language, on test_report.py's hand-made warehouse -------------------


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict:
    con = duckdb.connect()
    con.execute(SCHEMA.read_text(encoding="utf-8")).fetchall()
    _insert(con, _rows())
    _ledger(con)
    cfg = RunConfig(now=NOW)
    map_touchpoints(con, cfg)
    score_outcomes(con, cfg)
    out = tmp_path_factory.mktemp("reports")
    built = {lang: build_report(con, RunConfig(now=NOW, reports_dir=out, lang=lang))
             for lang in ("id", "nl")}
    con.close()
    return built


# Words each report must print: title, section, the fixture's touchpoints (delivery, billing),
# a priority rule, a date (Q3 2024 ends 30 Sep), delivery's change in net delight (+50 -> -40)
# and the mapping coverage, numbers in the language's own format.
EXPECTED = {
    "id": ["Rencana Kerja Analisis Titik Sentuh", "Matriks titik sentuh", "Pengiriman",
           "Faktur dan penagihan", "Cara prioritas ditetapkan", "30 Sep 2024", "−90 poin",
           "100,0%"],
    "nl": ["Werkplan touchpointanalyse", "Touchpointmatrix", "Bezorging",
           "Facturen en facturering", "Zo worden prioriteiten bepaald", "30 sep 2024", "−90 pnt",
           "100,0%"],
}


@pytest.mark.parametrize("lang", ["id", "nl"])
def test_report_builds_in_the_language_with_no_english_label_left(reports, lang: str):
    result = reports[lang]
    assert result.pdf.name.endswith(f"-{lang}.pdf")
    text = pdf_text(result.pdf)
    for words in EXPECTED[lang]:
        assert words in text, words
    # An English label (a few words, no placeholder) whose translation differs must not print.
    english, theirs = _labels(LABELS / "en.yaml"), _labels(LABELS / f"{lang}.yaml")
    left = [
        v for k, v in english.items()
        if isinstance(v, str) and not _fields(v) and len(v.split()) >= 2 and v != theirs[k]
        and " ".join(v.split()) in text
    ]
    assert not left, f"English left in the {lang} report: {left}"
