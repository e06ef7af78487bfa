"""Issue 14, items 3 and 4: signals declared from any column, and whose words a text is.

Hand-made rows. Declared signals: a mapping's `signals:` turns a column's values into exceeds /
meets / falls_short (reason codes <name>_exceeded, <name>_met, <name>_fell_short); nps and ces
are the customer's own verdict by default, a map or a flag is the handling's. Whose words:
discouraged phrases count in agent_text and in `text` (author unknown), never in customer_text;
the cause of a low rating with every promise kept reads customer_text and text, never agent_text.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from test_ingest import Project
from test_outcomes import _brief, _cfg, _scored

from pipeline import paths
from pipeline.errors import UserError
from pipeline.outcomes import score_outcomes
from pipeline.report.playbook import load_playbook
from pipeline.run import run

T0 = "2024-03-01 10:00"

COMPLAINTS_MAPPING = """
    source: complaints
    files: complaints/*.csv
    format: csv
    fields:
      interaction_id: id
      occurred_at: opened
      channel: {value: web}
      kind: {value: feedback}          # no handling time: the declared signals are the evidence
      rating: {column: stars, scale: [1, 5]}
      agent_text: reply
      customer_text: narrative
    signals:
      relief:
        column: Company response to consumer
        map: {"Closed with monetary relief": exceeds, "Closed with explanation": meets,
              "Closed without relief": falls_short}
      nps: {column: Recommend, scale: nps}
      effort: {column: CES, scale: ces, default: meets}
      ftf: {column: FTF, scale: flag}
"""

COMPLAINTS = """
    id,opened,stars,Company response to consumer,Recommend,CES,FTF,reply,narrative
    1,2024-03-01,,Closed with monetary relief,10,1,yes,,
    2,2024-03-01,,closed without relief ,6,9,0,,
    3,2024-03-01,,,,,,,
    4,2024-03-01,,In progress,7,2,true,,
    5,2024-03-01,,Closed with explanation,x,2,maybe,,
    6,2024-03-01,,Closed with monetary relief,3,,,,
    7,2024-03-01,5,Closed without relief,10,,,,
    8,2024-03-01,,Closed without relief,,,,,
    9,2024-03-01,,,,,,I don't know when it ships,I don't know what to do
"""


def _run(project: Project, only: tuple[str, ...]):
    return run(project.config(), only=only)


def test_declared_signals_from_a_mapping_end_to_end(project: Project) -> None:
    project.mapping("complaints", COMPLAINTS_MAPPING)
    project.file("complaints/2024-03.csv", COMPLAINTS)
    _run(project, ("ingest", "score"))
    signals = dict(project.query("select interaction_id, signals from interactions"))
    assert signals["1"] == [
        {"name": "relief", "effect": "exceeds", "customer": False},
        {"name": "nps", "effect": "exceeds", "customer": True},
        {"name": "effort", "effect": "exceeds", "customer": True},  # CES 1: very low effort
        {"name": "ftf", "effect": "meets", "customer": False},  # a fix first time meets
    ]
    # values match case- and space-insensitively; CES 9 is no CES value: the default (meets)
    assert [(s["name"], s["effect"]) for s in signals["2"]] == [
        ("relief", "falls_short"), ("nps", "falls_short"), ("effort", "meets"),
        ("ftf", "falls_short"),
    ]  # fmt: skip
    assert signals["3"] is None  # nothing declared has a value
    # a value neither the map nor the scale knows, without a default: quarantined
    assert project.query("select source_row, reasons from quarantine order by 1") == [
        (4, ["unknown_value:signals.relief"]),
        (5, ["unknown_value:signals.nps", "unknown_value:signals.ftf"]),
    ]
    got = {
        r[0]: r[1:]
        for r in project.query(
            "select interaction_id, outcome, reasons, deciding_reasons, dissatisfied_cause "
            "from interaction_outcomes"
        )
    }
    assert got == {
        # no rating: the customer's verdicts (NPS, CES) decide; the handling agreeing decides too
        "1": ("delighted", ["effort_exceeded", "ftf_met", "nps_exceeded", "relief_exceeded"],
              ["effort_exceeded", "nps_exceeded", "relief_exceeded"], None),
        "2": ("dissatisfied", ["effort_met", "ftf_fell_short", "nps_fell_short",
                               "relief_fell_short"],
              ["ftf_fell_short", "nps_fell_short", "relief_fell_short"], "service"),
        "3": ("unscored", [], [], None),
        # a detractor overrules the relief (customer_first); nothing in the handling failed
        "6": ("dissatisfied", ["nps_fell_short", "relief_exceeded"], ["nps_fell_short"],
              "rating"),
        # the rating decides when there is one; the relief not given stays a reason
        "7": ("delighted", ["nps_exceeded", "rating_exceeded", "relief_fell_short"],
              ["nps_exceeded", "rating_exceeded"], None),
        # no verdict: the handling's shortfall decides, a service shortfall
        "8": ("dissatisfied", ["relief_fell_short"], ["relief_fell_short"], "service"),
        # the agent's "I don't know" counts against staff, the customer's would not
        "9": ("dissatisfied", ["discouraged_phrase:dont_know"], ["discouraged_phrase:dont_know"],
              "staff_language"),
    }
    assert project.query(
        "select agent_text, customer_text from interactions where interaction_id = '9'"
    ) == [("I don't know when it ships", "I don't know what to do")]


# customer_first against any_shortfall on hand-made rows: (signals, rating)
RELIEF_GIVEN = {"name": "relief", "effect": "exceeds", "customer": False}
NO_RELIEF = {"name": "relief", "effect": "falls_short", "customer": False}
PROMOTER = {"name": "nps", "effect": "exceeds", "customer": True}
DETRACTOR = {"name": "nps", "effect": "falls_short", "customer": True}
EASY = {"name": "effort", "effect": "exceeds", "customer": True}
PRECEDENCE_ROWS = {
    "promoter_no_relief": ([PROMOTER, NO_RELIEF], None),
    "detractor_relief": ([DETRACTOR, RELIEF_GIVEN], None),
    "easy_detractor": ([EASY, DETRACTOR], None),  # two verdicts: the shortfall wins
    "rated_4_detractor": ([DETRACTOR], 4),
}


@pytest.mark.parametrize(
    ("precedence", "expected"),
    [
        ("customer_first", {
            "promoter_no_relief": ("delighted", ["nps_exceeded"], None),
            "detractor_relief": ("dissatisfied", ["nps_fell_short"], "rating"),
            "easy_detractor": ("dissatisfied", ["nps_fell_short"], "rating"),
            "rated_4_detractor": ("satisfied", ["rating_met"], None),
        }),
        ("any_shortfall", {
            "promoter_no_relief": ("dissatisfied", ["relief_fell_short"], "service"),
            "detractor_relief": ("dissatisfied", ["nps_fell_short"], "rating"),
            "easy_detractor": ("dissatisfied", ["nps_fell_short"], "rating"),
            "rated_4_detractor": ("dissatisfied", ["nps_fell_short"], "rating"),
        }),
    ],
)  # fmt: skip
def test_declared_verdicts_and_precedence(con, add_interactions, tmp_path, precedence, expected):
    add_interactions(*(
        {"interaction_id": k, "kind": "feedback", "channel": "web", "occurred_at": T0,
         "signals": signals, "rating": rating}
        for k, (signals, rating) in PRECEDENCE_ROWS.items()
    ))  # fmt: skip
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 4, 1), precedence=precedence))
    assert {k: _brief(v) for k, v in _scored(con).items()} == expected


@pytest.mark.parametrize(
    ("signals", "message"),
    [
        ({"relief": {"column": "R", "map": {"given": "delighted"}}},
         "signals.relief.map: 'delighted' is not one of exceeds, meets, falls_short"),
        ({"nps": {"column": "R", "scale": "stars"}},
         "signals.nps.scale: 'stars' is not one of nps, ces, flag"),
        ({"rating": {"column": "R", "scale": "nps"}},
         "signals.rating: 'rating' is a built-in signal's name"),
        ({"nps": {"column": "R"}}, "signals.nps: needs exactly one of map"),
        ({"nps": {"column": "R", "scale": "nps", "verdict": "agent"}},
         "signals.nps.verdict: 'agent' is not one of customer, handling"),
    ],
)  # fmt: skip
def test_declared_signals_are_checked_at_load(project: Project, signals, message) -> None:
    import yaml

    from pipeline.ingest.sources import load_mapping

    doc = {"source": "s", "files": "s/*.csv", "format": "csv", "signals": signals,
           "fields": {"interaction_id": "id", "occurred_at": "at", "channel": "ch"}}  # fmt: skip
    path = project.sources / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(UserError) as e:
        load_mapping(path)
    assert str(e.value).startswith(f"{path}: {message}")


def test_a_declared_signals_column_must_be_in_the_file(project: Project) -> None:
    project.mapping("complaints", COMPLAINTS_MAPPING.replace("column: CES", "column: Effort"))
    project.file("complaints/2024-03.csv", COMPLAINTS)
    with pytest.raises(UserError) as e:
        project.run()
    assert str(e.value).startswith(
        f"{project.sources / 'complaints.yaml'}: signals.effort.column: column 'Effort' is not "
        "in 2024-03.csv (columns: id, opened, stars,")
    assert not project.snapshot().get("interactions")


def test_the_playbook_answers_a_declared_signal_that_fell_short() -> None:
    pb = load_playbook(paths.REFERENCE)
    for code in ("relief_fell_short", "nps_fell_short"):
        assert pb.action_for(code, "delivery", "physical", "other").id == "review_declared_signal"
    # the built-in codes keep their actions
    assert pb.action_for("rating_low", "delivery", "physical", "other").id == "review_low_ratings"


def test_playbook_reasons_accept_declared_codes_and_suffix_patterns(tmp_path) -> None:
    import shutil

    import yaml

    ref = tmp_path / "reference"
    shutil.copytree(paths.REFERENCE, ref)
    data = yaml.safe_load((ref / "playbook.yaml").read_text(encoding="utf-8"))
    data["actions"][0]["reasons"] = ["relief_fell_short", "*_met"]
    (ref / "playbook.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert load_playbook(ref).actions[0].reasons == ("relief_fell_short", "*_met")
    data["actions"][0]["reasons"] = ["rating_fell_short"]  # rating is built in: a typo
    (ref / "playbook.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(UserError, match="'rating_fell_short' is not a reason code"):
        load_playbook(ref)


# --- whose words (item 4) -----------------------------------------------------------------------


def test_discouraged_phrases_count_in_staff_words_only(con, add_interactions, tmp_path):
    base = {"kind": "feedback", "channel": "web", "occurred_at": T0, "language": "en"}
    add_interactions(
        {**base, "interaction_id": "agent", "agent_text": "I don't know, not my problem."},
        {**base, "interaction_id": "customer", "customer_text": "I don't know what to do."},
        {**base, "interaction_id": "unknown", "text": "I don't know."},
        # the kind is skipped for unknown-author text, never for the agent's own words
        {**base, "interaction_id": "survey_text", "kind": "compliment", "text": "I don't know"},
        {**base, "interaction_id": "survey_agent", "kind": "compliment",
         "agent_text": "I don't know"},
        # no phrase across the two texts: "...I don't" + "know..."
        {**base, "interaction_id": "split", "agent_text": "Sorry, I don't", "text": "know"},
    )  # fmt: skip
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 4, 1), precedence="any_shortfall",
                             **{"language.skip_kinds": ["compliment"]}))  # fmt: skip
    got = {k: [p["phrase_id"] for p in v["phrases"]] for k, v in _scored(con).items()}
    assert got == {
        "agent": ["dont_care", "dont_know"],
        "customer": [],
        "unknown": ["dont_know"],
        "survey_text": [],
        "survey_agent": ["dont_know"],
        "split": [],
    }
    assert _brief(_scored(con)["customer"]) == ("unscored", [], None)


def test_the_cause_of_a_low_rating_reads_the_customers_words(con, add_interactions, tmp_path):
    kept_low = {"kind": "request", "occurred_at": T0, "promised_by": "2024-03-02 10:00",
                "resolved_at": "2024-03-01 12:00", "rating": 1, "topic": "delivery"}
    add_interactions(
        {**kept_low, "interaction_id": "customer", "customer_text": "The product arrived broken."},
        # the agent's words are not the customer's: no product cause from them
        {**kept_low, "interaction_id": "agent", "agent_text": "Product replaced, price refunded."},
        {**kept_low, "interaction_id": "both", "customer_text": "Too expensive.",
         "text": "The product arrived broken."},
    )  # fmt: skip
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 4, 1)))
    got = _scored(con)
    assert _brief(got["customer"]) == ("dissatisfied", ["rating_low_product"], "product")
    assert _brief(got["agent"]) == ("dissatisfied", ["rating_low_promise_kept"], "expectation")
    # product is tried before policy, whichever text holds the words
    assert _brief(got["both"]) == ("dissatisfied", ["rating_low_product"], "product")


def test_agent_and_customer_text_are_canonical_fields(project: Project) -> None:
    project.mapping("desk", """
        source: desk
        files: desk/*.jsonl
        format: jsonl
        fields:
          interaction_id: id
          occurred_at: at
          channel: {value: email}
          customer_text: subject
          agent_text: comment.public_reply
    """)
    project.file("desk/t.jsonl", '{"id": "1", "at": "2024-03-01", "subject": "Where is it?", '
                 '"comment": {"public_reply": "On its way."}}\n')
    project.run()
    assert project.query("select text, customer_text, agent_text from interactions") == [
        (None, "Where is it?", "On its way.")
    ]


def test_a_declared_customer_verdict_counts_as_rated_in_the_matrix(con, add_interactions,
                                                                   tmp_path) -> None:
    """The matrix's rated / inferred: an outcome an NPS answer decided (no rating) is the
    customer's verdict, like a rating; one a handling signal decided is inferred. By hand, all
    feedback on the web touchpoint: promoter_no_relief and detractor_relief (nps decides) and
    rated_4_detractor (the rating decides) are rated; relief_only (a handling signal) is
    inferred: 3 / 1."""
    from dataclasses import replace

    from pipeline.marts import build_marts
    from pipeline.segments import build_segments
    from pipeline.touchpoints import map_touchpoints

    rows = {**PRECEDENCE_ROWS, "relief_only": ([RELIEF_GIVEN], None)}
    add_interactions(*(
        {"interaction_id": k, "kind": "feedback", "channel": "web", "occurred_at": T0,
         "signals": signals, "rating": rating, "topic": "website"}
        for k, (signals, rating) in rows.items()
        if k != "easy_detractor"
    ))  # fmt: skip
    cfg = replace(_cfg(tmp_path, now=datetime(2024, 4, 1)), period_from="2024-03-01",
                  period_to="2024-03-31")
    map_touchpoints(con, cfg)
    score_outcomes(con, cfg)
    build_segments(con, cfg)
    build_marts(con, cfg)
    got = con.execute("select touchpoint_id, from_customer, from_handling from mart_touchpoint "
                      "where volume > 0").fetchall()
    assert got == [("website", 3, 1)]
