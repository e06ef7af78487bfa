"""The one validator of the reference YAML files (pipeline/reference_schema.py).

For each file checked by it (touchpoints, scoring, lexicon, retention, playbook and
sentiment/modifiers.yaml): an
unknown key, a wrong type, a missing key, an out-of-range number and a YAML syntax error each give
one line `<file>: <key path>: <problem>` (the messages below are written out by hand).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline import paths
from pipeline.errors import UserError
from pipeline.outcomes.sentiment import load_sentiment_reference
from pipeline.reference import load_reference
from pipeline.reference_schema import Schema, Whole, load_model, show
from pipeline.report.playbook import load_playbook
from pipeline.retention.config import load_retention_config


def _copy(tmp_path: Path) -> Path:
    ref = tmp_path / "reference"
    shutil.copytree(paths.REFERENCE, ref)
    return ref


# file (below the reference folder), loader
FILES: dict[str, tuple[str, Callable[[Path], object]]] = {
    "touchpoints": ("touchpoints.yaml", load_reference),
    "scoring": ("scoring.yaml", load_reference),
    "lexicon": ("lexicon.yaml", load_reference),
    "retention": ("retention.yaml", load_retention_config),
    "modifiers": ("sentiment/modifiers.yaml", load_sentiment_reference),
    "playbook": ("playbook.yaml", load_playbook),
}

CASES = [
    # touchpoints.yaml
    ("touchpoints", "unknown key",
     ("    owner: Digital\n", "    owner: Digital\n    colour: red\n"),
     "touchpoints.website.colour: unknown key (allowed: id, name, kind, stage, owner)"),
    ("touchpoints", "wrong type", ("    stage: pre_purchase", "    stage: 3"),
     "touchpoints.website.stage: expected a non-empty text, got int"),
    ("touchpoints", "missing key", ("    owner: Digital\n", ""),
     "touchpoints.website.owner: missing key"),
    ("touchpoints", "out of range", ("chat: {hours: 8}", "chat: {hours: 0}"),
     "channels.chat.hours: 0 out of range (must be >= 0.01)"),
    ("touchpoints", "not an id", ("  - id: website", "  - id: Website"),
     "touchpoints.Website.id: 'Website' is not an id (lower-case letters, digits, _)"),
    ("touchpoints", "unmapped has a name only", ("touchpoints:\n", "touchpoints:\n"
     "  - {id: unmapped, name: {en: None, ms: Tiada}, kind: physical}\n"),
     "touchpoints.unmapped.kind: unknown key (allowed: id, name)"),
    # scoring.yaml
    ("scoring", "unknown key", ("  three: meets", "  three: meets\n  four: meets"),
     "rating.four: unknown key (allowed: three)"),
    ("scoring", "wrong type", ("date: true", "date: yes please"),
     "speed.midnight_promise_is_date: expected true or false, got 'yes please'"),
    ("scoring", "missing key", ("  first_contact: meets\n", ""),
     "resolution.first_contact: missing key"),
    ("scoring", "out of range", ("repeat_window_days: 7", "repeat_window_days: 400"),
     "resolution.repeat_window_days: 400 out of range (must be between 1 and 365)"),
    ("scoring", "a language without a lexicon", ("languages: [ms, id, nl]", "languages: [ms, xx]"),
     "customer_words.languages[1]: no sentiment lexicon for 'xx'; use some of en, ms, id, nl"),
    # lexicon.yaml
    ("lexicon", "unknown key", ("    alternative:", "    note: x\n    alternative:"),
     "phrases.dont_know.note: unknown key (allowed: id, label, variants, alternative)"),
    ("lexicon", "wrong type", ('      nl: ["ik weet het niet"]', '      nl: "ik weet het niet"'),
     "phrases.dont_know.variants.nl: expected a list, got 'ik weet het niet'"),
    ("lexicon", "missing key", ('      nl: ["ik weet het niet"]\n', ""),
     "phrases.dont_know.variants.nl: missing key"),
    ("lexicon", "too few", ('      nl: ["ik weet het niet"]', "      nl: []"),
     "phrases.dont_know.variants.nl: needs at least 1 item(s)"),
    ("lexicon", "language code", ('      nl: ["ik weet het niet"]',
                                  '      nl: ["ik weet het niet"]\n      Dutch: [weet niet]'),
     "phrases.dont_know.variants.Dutch: not a language code (e.g. en, ms, id, nl)"),
    # retention.yaml
    ("retention", "unknown key", ("  min_effect_points: 5", "  min_effect_pts: 5"),
     "kano.min_effect_pts: unknown key (allowed: min_effect_points)"),
    ("retention", "wrong type", ("churn_days: 90", "churn_days: 90.5"),
     "churn_days: expected a whole number, got 90.5"),
    ("retention", "missing key", ("cohort_months: 12\n", ""), "cohort_months: missing key"),
    ("retention", "out of range", ("cohort_months: 12", "cohort_months: 121"),
     "cohort_months: 121 out of range (must be between 1 and 120)"),
    ("retention", "list item", ("[30, 90, 180]", "[30, 0, 180]"),
     "reorder_windows_days[1]: 0 out of range (must be between 1 and 3650)"),
    ("retention", "across keys", ("curve_days: 180", "curve_days: 20"),
     "curve_days: 20 out of range (must be between 30 and 3650: at least at_risk_every_days)"),
    ("retention", "not a mapping", ("kano:\n  min_effect_points: 5", "kano: 5"),
     "kano: expected a mapping, got int"),
    # sentiment/modifiers.yaml
    ("modifiers", "unknown key", ("  contrast_after: 1.5", "  contrast_afterwards: 1.5"),
     "weights.contrast_afterwards: unknown key (allowed: negation, contrast_before, "
     "contrast_after, question_positive)"),
    ("modifiers", "wrong type", ("negation: -0.74", "negation: lots"),
     "weights.negation: expected a number, got 'lots'"),
    ("modifiers", "missing key", ("  contrast_before: 0.5\n", ""),
     "weights.contrast_before: missing key"),
    ("modifiers", "out of range", ("negation: -0.74", "negation: 0.74"),
     "weights.negation: 0.74 out of range (must be between -1 and 0)"),
    ("modifiers", "dictionary key", ("    very: 0.293", "    very: 3"),
     "en.intensifiers.very: 3 out of range (must be between -2 and 2)"),
    ("modifiers", "listed twice", ("    very: 0.293", "    very: 0.293\n    Very: 0.2"),
     "en.intensifiers.Very: 'very' is listed twice under intensifiers; keep one"),
    ("modifiers", "language code", ("\nen:\n", "\nEnglish:\n"),
     "English: not a language code (e.g. en, ms, id, nl)"),
    # playbook.yaml
    ("playbook", "unknown key", ("  act_first: 3", "  act_frist: 3"),
     "selection.act_frist: unknown key (allowed: min_scored, min_reason_share, min_reason_n, "
     "max_actions_per_touchpoint, segment_share, act_first)"),
    ("playbook", "wrong type", ("below_overall_net_delight: true", "below_overall_net_delight: 1"),
     "priority.p1.below_overall_net_delight: expected true or false, got 1"),
    ("playbook", "missing key", ("  P2: 45\n", ""), "due_days.P2: missing key"),
    ("playbook", "out of range", ("min_reorder_drop: 0.10", "min_reorder_drop: 1.5"),
     "priority.p1.min_reorder_drop: 1.5 out of range (must be between 0 and 1)"),
    ("playbook", "an action by its id", ("kpi: csat", "kpi: 7"),
     "actions.set_expectations.kpi: expected a non-empty text, got int"),
    ("playbook", "a missing language",
     ("      ms: >-\n        Tetapkan", "      xx: >-\n        Tetapkan"),
     "actions.set_expectations.text.ms: missing key"),
    ("playbook", "across keys",
     ("    min_dissatisfied_share: 0.15", "    min_dissatisfied_share: 0.5"),
     "priority.p2.min_dissatisfied_share: is above p1's: P2 would be stricter"),
    ("playbook", "channel target", ("csat: {target: 0.80}", "csat: {target: channel}"),
     "kpis.csat.target: only median_ttr can take `channel`"),
]


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [(FILES[f][0], change, m) for f, _, change, m in CASES],
    ids=[f"{f}: {what}" for f, what, _, _ in CASES],
)
def test_a_mistake_is_one_line_naming_file_and_key(tmp_path, file, change, message):
    ref = _copy(tmp_path)
    target = ref / file
    text = target.read_text(encoding="utf-8")
    assert text.count(change[0]) >= 1, change[0]
    target.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    load = next(load for name, load in FILES.values() if name == file)
    with pytest.raises(UserError) as e:
        load(ref)
    assert str(e.value) == f"{target}: {message}"


@pytest.mark.parametrize("file", [name for name, _ in FILES.values()])
def test_a_yaml_syntax_error_names_file_and_line(tmp_path, file):
    ref = _copy(tmp_path)
    target = ref / file
    lines = target.read_text(encoding="utf-8").splitlines()
    first = next(i for i, line in enumerate(lines) if line and not line.startswith("#"))
    lines.insert(first + 1, "key: [unclosed")  # a flow list that never closes
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load = next(load for name, load in FILES.values() if name == file)
    with pytest.raises(UserError) as e:
        load(ref)
    msg = str(e.value)
    assert msg.startswith(f"{target}: not valid YAML: line ") and "\n" not in msg


@pytest.mark.parametrize("file", [name for name, _ in FILES.values()])
def test_a_key_given_twice_names_file_and_line(tmp_path, file):
    ref = _copy(tmp_path)
    target = ref / file
    text = target.read_text(encoding="utf-8")
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line and not line.startswith(("#", " ")))
    target.write_text(text + lines[first] + "\n", encoding="utf-8")
    load = next(load for name, load in FILES.values() if name == file)
    with pytest.raises(UserError) as e:
        load(ref)
    key = lines[first].split(":")[0]
    assert str(e.value) == f"{target}: not valid YAML: line {len(lines) + 1}: duplicate key {key!r}"


def test_an_empty_file_is_no_mapping(tmp_path):
    ref = _copy(tmp_path)
    (ref / "retention.yaml").write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(UserError) as e:
        load_retention_config(ref)
    assert str(e.value) == f"{ref / 'retention.yaml'}: (top level): expected a mapping, got nothing"


class _Window(Schema):
    days: Whole(1, 10)


class _Windows(Schema):
    windows: list[_Window]


def test_list_items_are_named_by_id_when_they_have_one(tmp_path):
    f = tmp_path / "w.yaml"
    f.write_text("windows:\n  - days: 3\n  - {id: long, days: 30}\n", encoding="utf-8")
    with pytest.raises(UserError) as e:
        load_model(f, _Windows)
    # the id is not a declared key: refused first, under the item's id
    assert str(e.value) == f"{f}: windows.long.id: unknown key (allowed: days)"
    f.write_text("windows:\n  - days: 3\n  - days: 30\n", encoding="utf-8")
    with pytest.raises(UserError) as e:
        load_model(f, _Windows)
    assert str(e.value) == f"{f}: windows[1].days: 30 out of range (must be between 1 and 10)"
    f.write_text("windows:\n  - days: 3\n", encoding="utf-8")
    assert load_model(f, _Windows).windows[0].days == 3


def test_files_inside_the_project_are_shown_relative():
    assert show(paths.REFERENCE / "retention.yaml") == "data/reference/retention.yaml"
