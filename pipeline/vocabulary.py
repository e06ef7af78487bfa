"""The domain's closed vocabularies, each defined once; Python code imports them from here.

Files that cannot import spell the values out: the Great Expectations suites (expectations/*.json),
the report's labels (data/reference/labels/*.yaml), the reference YAML and the SQL models.
tests/test_vocabulary.py checks each of them against this module, so a value added in one place
only fails the tests. Orders matter: they are the print order of the report and the sample's.
"""

from __future__ import annotations

# --- an interaction as ingest writes it (pipeline/schema.sql; sources' `map:` targets) ---------

CHANNELS = (
    "phone", "email", "sms", "chat", "web", "social", "in_person", "letter", "fax", "app",
    "referral", "portal", "other",
)  # fmt: skip
INTERACTION_KINDS = ("complaint", "inquiry", "compliment", "feedback", "request")
STATUSES = ("resolved", "unresolved", "escalated", "reopened", "in_progress")

# --- scoring (interaction_outcomes.sql) --------------------------------------------------------

# A signal's effect on the customer's expectation; the outcome follows from the deciding effect.
EFFECTS = ("exceeds", "meets", "falls_short")
OUTCOMES = ("delighted", "satisfied", "dissatisfied", "unscored")
OUTCOME_OF_EFFECT = {"exceeds": "delighted", "meets": "satisfied", "falls_short": "dissatisfied"}
UNSCORED = "unscored"  # no signal decided
# Where a low rating lies although every promise was kept, when the words or topic say so
# (scoring.yaml `causes`); else it is `expectation`.
KEPT_PROMISE_CAUSES = ("product", "policy")
# interaction_outcomes.dissatisfied_cause: where a shortfall lies.
DISSATISFIED_CAUSES = (
    "service", "staff_language", *KEPT_PROMISE_CAUSES, "expectation", "rating", "customer_words",
)  # fmt: skip

# --- touchpoints, segments, retention, report --------------------------------------------------

# The guide's three kinds of touchpoint (touchpoints.yaml `kind`), in the report's order.
TOUCHPOINT_KINDS = ("communication", "human_contact", "physical")
# The guide's order (display); customer_segments.sql tries once_loyal_now_upset first.
SEGMENTS = ("active_hater", "extreme_critic", "once_loyal_now_upset", "still_passionate", "other")
# Complaint-experience groups of the retention stage (mart_customer_retention.experience), in
# print order; customers without any contact are `no_contact` and have no reorder rate.
EXPERIENCE_GROUPS = (
    "never_complained",
    "complaint_delighted",
    "complaint_satisfied",
    "complaint_dissatisfied",
    "unresolved",
    "complaint_unscored",
)
NO_CONTACT = "no_contact"
# What the data says of one of the guide's claims (mart_retention_claims.verdict).
CLAIM_VERDICTS = ("supported", "contradicted", "inconclusive", "not_enough_data", "no_cost_inputs")
# The priority map's quadrants (importance x performance).
QUADRANTS = ("concentrate_here", "keep_up", "low_priority", "possible_overkill")

# --- languages ---------------------------------------------------------------------------------

# Languages every phrase is written in; the report's languages (labels/<lang>.yaml, and every text
# of the shipped reference data: tests/test_report_languages.py); the languages an analyst's text
# must have: a catalog written before id and nl stays valid, the report prints English for those.
LEXICON_LANGUAGES = ("en", "ms", "id", "nl")
REPORT_LANGUAGES = ("en", "ms", "id", "nl")
TEXT_LANGUAGES = ("en", "ms")
