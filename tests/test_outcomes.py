"""Outcome scoring: every branch of expectation against perception, on hand-made rows.

Shipped thresholds: well inside = within 50% of the window; phone 24 h, email 48 h, in person the
same day in Asia/Kuala_Lumpur; repeat window 7 days; rating 3 falls short; compliments exceed.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from pipeline import paths
from pipeline.config import RunConfig
from pipeline.outcomes import as_of, score_outcomes
from pipeline.reference import load_reference

T0 = "2024-03-01 10:00"


def _cfg(tmp_path: Path, now: datetime, **scoring: Any) -> RunConfig:
    """The shipped reference with scoring.yaml keys overridden (dotted: 'rating.three')."""
    ref = tmp_path / "reference"
    ref.mkdir(exist_ok=True)
    for name in ("touchpoints.yaml", "lexicon.yaml"):
        shutil.copy(paths.REFERENCE / name, ref / name)
    data = yaml.safe_load((paths.REFERENCE / "scoring.yaml").read_text(encoding="utf-8"))
    for key, value in {"as_of": "clock", **scoring}.items():
        *parents, leaf = key.split(".")
        node = data
        for p in parents:
            node = node[p]
        node[leaf] = value
    (ref / "scoring.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return RunConfig(reference_dir=ref, now=now)


def _scored(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    cur = con.execute("select * from interaction_outcomes")
    cols = [d[0] for d in cur.description]
    return {r[1]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}


def _brief(row: dict[str, Any]) -> tuple:
    return row["outcome"], row["deciding_reasons"], row["dissatisfied_cause"]


# --- speed --------------------------------------------------------------------------------------

# phone, a promise 24 h after the contact; kind request and no customer: speed is the only signal
PROMISED = {"kind": "request", "occurred_at": T0, "promised_by": "2024-03-02 10:00"}


def test_speed_against_an_explicit_promise(con, add_interactions, tmp_path):
    add_interactions(
        {**PROMISED, "interaction_id": "fast", "resolved_at": "2024-03-01 20:00"},  # 10 h of 24
        {**PROMISED, "interaction_id": "half", "resolved_at": "2024-03-01 22:00"},  # exactly 50%
        {**PROMISED, "interaction_id": "inside", "resolved_at": "2024-03-02 09:00"},
        {**PROMISED, "interaction_id": "on_time", "resolved_at": "2024-03-02 10:00"},
        {**PROMISED, "interaction_id": "late", "resolved_at": "2024-03-02 10:01"},
        {**PROMISED, "interaction_id": "open_late", "status": "in_progress"},
        {**PROMISED, "interaction_id": "open_in_time", "occurred_at": "2024-03-02 09:00",
         "promised_by": "2024-03-04 09:00", "status": "in_progress"},
        {**PROMISED, "interaction_id": "closed_no_time", "status": "resolved"},
        {**PROMISED, "interaction_id": "reopened_open", "status": "reopened"},
        {**PROMISED, "interaction_id": "before_open", "resolved_at": "2024-03-01 09:00"},
    )  # fmt: skip
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 3, 3)))
    got = _scored(con)
    assert {k: (v["outcome"], v["reasons"], v["promise_kept"]) for k, v in got.items()} == {
        "fast": ("delighted", ["speed_exceeded"], True),
        "half": ("delighted", ["speed_exceeded"], True),
        "inside": ("satisfied", ["speed_met"], True),
        "on_time": ("satisfied", ["speed_met"], True),
        "late": ("dissatisfied", ["speed_missed"], False),
        "open_late": ("dissatisfied", ["unresolved_past_promise"], False),
        "open_in_time": ("unscored", [], None),
        "closed_no_time": ("unscored", [], None),
        "reopened_open": ("dissatisfied", ["reopened", "unresolved_past_promise"], False),
        "before_open": ("unscored", [], None),
    }
    assert got["fast"]["ttr_hours"] == 10.0
    assert got["fast"]["expected_hours"] == 24.0
    assert got["fast"]["deadline"] == datetime(2024, 3, 2, 10)
    assert got["fast"]["promise_source"] == "promised_by"
    assert got["late"]["dissatisfied_cause"] == "service"
    assert got["before_open"]["ttr_hours"] is None
    assert got["closed_no_time"]["is_resolved"] is True


def test_export_flag_and_channel_expectation_stand_in_for_a_promise(
    con, add_interactions, tmp_path
):
    base = {"kind": "request", "occurred_at": T0}
    add_interactions(
        {**base, "interaction_id": "flag_kept", "promise_kept": True},
        {**base, "interaction_id": "flag_broken", "promise_kept": False, "resolved_at": T0},
        {**base, "interaction_id": "phone_fast", "resolved_at": "2024-03-01 15:00"},  # 5 of 24 h
        {**base, "interaction_id": "email_met", "channel": "email",
         "resolved_at": "2024-03-03 09:00"},  # 47 of 48 h
        {**base, "interaction_id": "email_late", "channel": "email",
         "resolved_at": "2024-03-03 11:00"},
        # feedback asks for no handling: no channel expectation, nothing else -> unscored
        {**base, "interaction_id": "feedback", "kind": "feedback", "channel": "web"},
        # a null kind is held to no channel time either
        {**base, "interaction_id": "no_kind", "kind": None, "resolved_at": "2024-03-05 10:00"},
        # a store visit: promised by the end of the day, only a flag says whether it was
        {**base, "interaction_id": "store_kept", "channel": "in_person",
         "promised_by": "2024-03-01 15:59:59", "promise_kept": True, "status": "resolved"},
        {**base, "interaction_id": "store_later", "channel": "in_person",
         "promised_by": "2024-03-01 15:59:59", "promise_kept": False, "status": "resolved"},
        {**base, "interaction_id": "store_open", "channel": "in_person",
         "promised_by": "2024-03-01 15:59:59", "promise_kept": False, "status": "unresolved"},
        # time stamps outrank the flag
        {**base, "interaction_id": "flag_wrong", "promised_by": "2024-03-02 10:00",
         "promise_kept": True, "resolved_at": "2024-03-04 10:00"},
    )  # fmt: skip
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 3, 10)))
    got = _scored(con)
    assert {k: (v["outcome"], v["reasons"], v["promise_source"]) for k, v in got.items()} == {
        "flag_kept": ("satisfied", ["speed_met"], "promise_kept"),
        "flag_broken": ("dissatisfied", ["speed_missed"], "promise_kept"),
        "phone_fast": ("delighted", ["speed_exceeded"], "channel"),
        "email_met": ("satisfied", ["speed_met"], "channel"),
        "email_late": ("dissatisfied", ["speed_missed"], "channel"),
        "feedback": ("unscored", [], None),
        "no_kind": ("unscored", [], None),
        "store_kept": ("satisfied", ["speed_met"], "promised_by"),
        "store_later": ("dissatisfied", ["speed_missed"], "promised_by"),
        "store_open": ("dissatisfied", ["unresolved_past_promise"], "promised_by"),
        "flag_wrong": ("dissatisfied", ["speed_missed"], "promised_by"),
    }
    assert got["email_met"]["expected_hours"] == 48.0
    assert got["flag_kept"]["deadline"] is None


# --- time zones ---------------------------------------------------------------------------------


def test_date_only_promise_lasts_to_the_end_of_the_day(con, add_interactions, tmp_path):
    base = {"kind": "request", "occurred_at": "2024-03-04 10:00", "promised_by": "2024-03-05"}
    add_interactions(
        {**base, "interaction_id": "evening", "resolved_at": "2024-03-05 20:00"},
        {**base, "interaction_id": "next_day", "resolved_at": "2024-03-06 00:00"},
    )
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 3, 10)))
    got = _scored(con)
    assert got["evening"]["reasons"] == ["speed_met"]
    assert got["evening"]["deadline"] == datetime(2024, 3, 5, 23, 59, 59, 999999)
    assert got["evening"]["expected_hours"] == 38.0
    assert got["next_day"]["reasons"] == ["speed_missed"]


def test_a_midnight_promise_is_exact_when_configured_so(con, add_interactions, tmp_path):
    add_interactions(
        {"interaction_id": "1", "kind": "request", "occurred_at": "2024-03-04 10:00",
         "promised_by": "2024-03-05", "resolved_at": "2024-03-05 20:00"},
    )  # fmt: skip
    score_outcomes(
        con, _cfg(tmp_path, now=datetime(2024, 3, 10), **{"speed.midnight_promise_is_date": False})
    )
    assert _scored(con)["1"]["reasons"] == ["speed_missed"]


def test_promises_compare_in_utc(con, add_interactions, tmp_path):
    # Kuala Lumpur export: contact 09:00 +08, promise 17:00 +08 the same day; ingest stored UTC.
    base = {"kind": "request", "occurred_at": "2024-03-05 01:00", "promised_by": "2024-03-05 09:00"}
    add_interactions(
        {**base, "interaction_id": "by_1730_local", "resolved_at": "2024-03-05 09:30"},
        {**base, "interaction_id": "by_1630_local", "resolved_at": "2024-03-05 08:30"},
        {**base, "interaction_id": "by_1000_local", "resolved_at": "2024-03-05 02:00"},
    )
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 3, 10)))
    assert {k: v["reasons"] for k, v in _scored(con).items()} == {
        "by_1730_local": ["speed_missed"],
        "by_1630_local": ["speed_met"],
        "by_1000_local": ["speed_exceeded"],
    }


def test_in_person_is_due_the_same_local_day(con, add_interactions, tmp_path):
    base = {"kind": "request", "channel": "in_person", "source": "stores"}
    add_interactions(
        # 23:30 in Kuala Lumpur: the local day ends 30 minutes later, at 16:00 UTC
        {**base, "interaction_id": "late_evening", "occurred_at": "2024-03-05 15:30",
         "resolved_at": "2024-03-05 16:30"},
        # 10:00 local, window to 24:00 local = 14 h; resolved after 12 h (22:00 local)
        {**base, "interaction_id": "morning_met", "occurred_at": "2024-03-05 02:00",
         "resolved_at": "2024-03-05 14:00"},
        {**base, "interaction_id": "morning_fast", "occurred_at": "2024-03-05 02:00",
         "resolved_at": "2024-03-05 04:00"},
    )  # fmt: skip
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 3, 10)))
    got = _scored(con)
    assert got["late_evening"]["deadline"] == datetime(2024, 3, 5, 15, 59, 59, 999999)
    assert got["late_evening"]["reasons"] == ["speed_missed"]
    assert got["morning_met"]["reasons"] == ["speed_met"]
    assert got["morning_met"]["expected_hours"] == 14.0
    assert got["morning_fast"]["reasons"] == ["speed_exceeded"]


def test_as_of_is_the_data_time_or_the_clock_in_utc(con, add_interactions, tmp_path):
    add_interactions(
        {"interaction_id": "1", "occurred_at": "2024-03-01", "resolved_at": "2024-03-04 08:00"},
        {"interaction_id": "2", "occurred_at": "2024-03-02 10:00"},
    )  # fmt: skip
    kl = timezone(timedelta(hours=8))
    data_cfg = _cfg(tmp_path, now=datetime(2024, 3, 9, 8, tzinfo=kl), as_of="data")
    scoring = load_reference(data_cfg.reference_dir).scoring
    assert as_of(con, data_cfg, scoring) == datetime(2024, 3, 4, 8)
    early = RunConfig(reference_dir=data_cfg.reference_dir, now=datetime(2024, 3, 3, tzinfo=UTC))
    assert as_of(con, early, scoring) == datetime(2024, 3, 3)  # never later than the clock
    clock_cfg = _cfg(tmp_path, now=datetime(2024, 3, 9, 8, tzinfo=kl), as_of="clock")
    assert as_of(con, clock_cfg, load_reference(clock_cfg.reference_dir).scoring) == datetime(
        2024, 3, 9
    )


def test_open_ticket_is_judged_at_the_data_as_of_time(con, add_interactions, tmp_path):
    add_interactions(
        # phone request, due 2024-03-02 10:00, still open
        {"interaction_id": "open", "kind": "request", "occurred_at": T0, "status": "in_progress"},
        {"interaction_id": "later", "kind": "feedback", "occurred_at": "2024-03-02 09:00"},
    )
    cfg = _cfg(tmp_path, now=datetime(2030, 1, 1), as_of="data")
    assert score_outcomes(con, cfg)["as_of"] == datetime(2024, 3, 2, 9)
    assert _scored(con)["open"]["reasons"] == []  # the export was taken before the deadline
    add_interactions({"interaction_id": "later2", "kind": "feedback", "occurred_at": "2024-03-03"})
    score_outcomes(con, cfg)
    assert _scored(con)["open"]["reasons"] == ["unresolved_past_promise"]


# --- resolution ---------------------------------------------------------------------------------


def test_repeat_contact_first_contact_resolution_and_reopen(con, add_interactions, tmp_path):
    def c(iid: str, customer: str | None, topic: str, at: str, **kw: Any) -> dict[str, Any]:
        # resolved in 20 of 24 h: speed met, so the resolution codes decide
        resolved = (datetime.fromisoformat(at) + timedelta(hours=20)).isoformat()
        return {"interaction_id": iid, "customer_id": customer, "topic": topic,
                "occurred_at": at, "resolved_at": resolved, "status": "resolved", **kw}  # fmt: skip

    add_interactions(
        c("a1", "C1", "delivery", "2024-03-01 10:00"),
        c("a2", "C1", "delivery", "2024-03-04 10:00"),  # 3 days later: a1 was a repeat
        c("b1", "C1", "billing", "2024-03-01 10:00"),  # other topic: no repeat
        c("d1", "C2", "delivery", "2024-03-01 10:00"),
        c("d2", "C2", "delivery", "2024-03-08 10:00"),  # exactly 7 days: a repeat
        c("e1", "C3", "delivery", "2024-03-01 10:00"),
        c("e2", "C3", "delivery", "2024-03-09 10:00"),  # 8 days: no repeat
        c("f1", "C4", "delivery", "2024-03-01 10:00"),
        c("f2", "C4", "delivery", "2024-03-02 10:00", kind="feedback"),  # feedback is no repeat
        c("g1", "C5", "refund", "2024-03-01 10:00", status="reopened"),
        c("h1", None, "refund", "2024-03-01 10:00"),  # no customer: repeats unknowable
        c("i1", "C6", "refund", "2024-03-20 10:00"),  # window still open at as-of
        c("j1", "C7", "refund", "2024-03-01 10:00", kind="inquiry"),  # inquiry asks too
    )
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 3, 24)))
    got = _scored(con)
    fields = ("repeat_contact", "first_contact_resolution", "reopened")
    assert {k: tuple(v[f] for f in fields) + (v["reasons"],) for k, v in got.items()} == {
        "a1": (True, False, False, ["repeat_contact", "speed_met"]),
        "a2": (False, True, False, ["first_contact_resolution", "speed_met"]),
        "b1": (False, True, False, ["first_contact_resolution", "speed_met"]),
        "d1": (True, False, False, ["repeat_contact", "speed_met"]),
        "d2": (False, True, False, ["first_contact_resolution", "speed_met"]),
        "e1": (False, True, False, ["first_contact_resolution", "speed_met"]),
        "e2": (False, True, False, ["first_contact_resolution", "speed_met"]),
        "f1": (False, True, False, ["first_contact_resolution", "speed_met"]),
        "f2": (None, None, False, []),
        "g1": (False, False, True, ["reopened", "speed_met"]),
        "h1": (None, None, False, ["speed_met"]),
        "i1": (None, None, False, ["speed_met"]),
        "j1": (False, True, False, ["first_contact_resolution", "speed_met"]),
    }
    assert _brief(got["a1"]) == ("dissatisfied", ["repeat_contact"], "service")
    assert _brief(got["a2"]) == ("satisfied", ["first_contact_resolution", "speed_met"], None)
    assert _brief(got["g1"]) == ("dissatisfied", ["reopened"], "service")


def test_first_contact_resolution_can_be_worth_an_exceedance(con, add_interactions, tmp_path):
    add_interactions(
        {"interaction_id": "1", "customer_id": "C1", "topic": "delivery", "occurred_at": T0,
         "status": "resolved"},
    )  # fmt: skip
    cfg = _cfg(tmp_path, now=datetime(2024, 4, 1), **{"resolution.first_contact": "exceeds"})
    score_outcomes(con, cfg)
    assert _brief(_scored(con)["1"]) == ("delighted", ["first_contact_resolution"], None)


# --- rating -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rating", "three", "expected"),
    [
        (5, "falls_short", ("delighted", ["rating_exceeded"], None)),
        (4.6, "falls_short", ("delighted", ["rating_exceeded"], None)),  # rounds to 5
        (4, "falls_short", ("satisfied", ["rating_met"], None)),
        (3, "falls_short", ("dissatisfied", ["rating_neutral"], "rating")),
        (3, "meets", ("satisfied", ["rating_neutral"], None)),
        (2, "falls_short", ("dissatisfied", ["rating_low"], "rating")),
        (1, "falls_short", ("dissatisfied", ["rating_low"], "rating")),
        (0, "falls_short", ("unscored", [], None)),  # outside 1-5: no signal
        (None, "falls_short", ("unscored", [], None)),
    ],
)
def test_rating_bands(con, add_interactions, tmp_path, rating, three, expected):
    add_interactions(
        {"interaction_id": "1", "kind": "feedback", "channel": "web", "occurred_at": T0,
         "rating": rating},
    )  # fmt: skip
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 4, 1), **{"rating.three": three}))
    assert _brief(_scored(con)["1"]) == expected


def test_low_rating_with_every_promise_kept_is_an_expectation_gap(con, add_interactions, tmp_path):
    base = {**PROMISED, "rating": 1}
    add_interactions(
        {**base, "interaction_id": "kept", "resolved_at": "2024-03-01 12:00"},
        {**base, "interaction_id": "broken", "resolved_at": "2024-03-03 12:00"},
        {**base, "interaction_id": "kept_rude", "resolved_at": "2024-03-01 12:00",
         "text": "Agent said: I don't care."},
        {**base, "interaction_id": "no_promise_info", "kind": "feedback", "promised_by": None},
    )  # fmt: skip
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 4, 1)))
    got = _scored(con)
    assert got["kept"]["reasons"] == ["rating_low_promise_kept", "speed_exceeded"]
    assert _brief(got["kept"]) == ("dissatisfied", ["rating_low_promise_kept"], "expectation")
    assert _brief(got["broken"]) == ("dissatisfied", ["rating_low", "speed_missed"], "service")
    assert _brief(got["kept_rude"]) == (
        "dissatisfied",
        ["discouraged_phrase:dont_care", "rating_low"],
        "staff_language",
    )
    assert _brief(got["no_promise_info"]) == ("dissatisfied", ["rating_low"], "rating")


# --- staff language -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "found"),
    [
        ("Agent said “I don’t know” and hung up.", "en", [("dont_know", "en")]),
        ("agent said I DONT KNOW", "en", [("dont_know", "en")]),
        ("<p>Staff: <b>I don't</b> know&hellip;</p>", "en", [("dont_know", "en")]),
        ("Honestly, I don&#39;t care.", "en", [("dont_care", "en")]),
        (
            "Hurry up! We don't like your kind here.",
            "en",
            [("dont_like_you", "en"), ("hurry_wait", "en")],
        ),
        (
            "Pelanggan kata staf cakap 'Saya tak tahu' bila minta bantuan.",
            "ms",
            [("dont_know", "ms")],
        ),
        ("Saya betul, awak salah!", "ms", [("im_right", "ms")]),
        ("Semakan rakaman: ejen beritahu pelanggan tunggu je.", "ms", [("hurry_wait", "ms")]),
        ('Agen menjawab "saya tidak tahu" lalu menutup telepon.', "id", [("dont_know", "id")]),
        ("saya tidak tahu", "ms", [("dont_know", "ms")]),  # listed in both: the row's language
        ("saya tidak tahu", None, [("dont_know", "id")]),  # no language: the first listing it
        ("Jangan datang lagi.", "id", [("dont_come_back", "id")]),
        ("Medewerker zei: ik weet het niet.", "nl", [("dont_know", "nl")]),
        ("Klant meldt dat personeel 'schiet op' zei.", "nl", [("hurry_wait", "nl")]),
        ("Kom maar niet meer terug, zei hij. Café über 😡 客户", "nl", [("dont_come_back", "nl")]),
        # near misses: the same words inside other words, or in a different order
        ("Checked the knowledge base before answering.", "en", []),
        ("Sender unknown, parcel sent back to the Dontknowville depot.", "en", []),
        ("Customer is on the waiting list for the new model.", "en", []),
        ("Customer had to hurry upstairs to the pickup counter.", "en", []),
        ("Customer said she just waited ten minutes, which was fine.", "en", []),
        ("We care about every order, told the customer so.", "en", []),
        ("Sila tunggu jemputan melalui SMS.", "ms", []),
        ("Saya tahu prosesnya, sudah diterangkan.", "ms", []),
        ("Pelanggan tunggu sajian di kafe toko.", "id", []),
        ("Alamat tidak diketahui, paket kembali ke gudang.", "id", []),
        ("Bezorging schiet opvallend tekort volgens klant.", "nl", []),
        ("Klant zegt: ik weet het nu wel, dank u.", "nl", []),
    ],
)
def test_discouraged_phrases_in_four_languages(
    con, add_interactions, tmp_path, text, language, found
):
    add_interactions(
        # feedback: no handling time, so the phrase is the only signal
        {"interaction_id": "1", "kind": "feedback", "channel": "web", "occurred_at": T0,
         "text": text, "language": language},
    )  # fmt: skip
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 4, 1)))
    row = _scored(con)["1"]
    assert [(p["phrase_id"], p["language"]) for p in row["phrases"]] == found
    codes = [f"discouraged_phrase:{p}" for p, _ in found]
    assert [r for r in row["reasons"] if r.startswith("discouraged")] == codes
    if found:
        assert row["outcome"] == "dissatisfied"
        assert row["dissatisfied_cause"] == "staff_language"


# Texts the cheap pre-filter (phrase_pattern.sql: text_pattern on the raw text) must not drop:
# apostrophes inside words, odd separators, upper case beyond ASCII, markup, several phrases.
PREFILTER_TEXTS = [
    "I do’n’t KNOW",
    "I don`t\tknow, really",
    "I DON´T—KNOW",
    "\u0130 don't know",  # capital I with a dot: lower() makes it i
    "I don't \u212anow",  # Kelvin sign: lower() makes it k
    "Saya_tak_tahu!!",
    "SAYA  TAK\nTAHU",
    "ik\u00a0weet het niet",
    "Ik Weet Het Niet / KOM MAAR NIET MEER TERUG",
    "I do<b>n't</b> know",
    "I don&rsquo;t care, not my problem",
    "ſaya tak tahu",  # long s: lower() keeps it, so no phrase either way
    "I dont knowing",
    "Dontknowville",
]


def test_the_text_prefilter_drops_no_phrase(con, add_interactions, tmp_path):
    add_interactions(
        *(
            {"interaction_id": f"t{i}", "kind": "feedback", "channel": "web", "occurred_at": T0,
             "text": text, "language": "en"}
            for i, text in enumerate(PREFILTER_TEXTS)
        )
    )  # fmt: skip
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 4, 1)))
    got = {k: sorted({p["phrase_id"] for p in v["phrases"]}) for k, v in _scored(con).items()}
    # every text normalised and compared with every variant: what the pre-filter must not change
    brute: dict[str, list[str]] = {f"t{i}": [] for i in range(len(PREFILTER_TEXTS))}
    for iid, phrase_id in con.execute(
        "select distinct i.interaction_id, p.phrase_id from interactions as i "
        "join ref_phrases as p on contains(tp_norm(i.text), p.pattern) order by all"
    ).fetchall():
        brute[iid].append(phrase_id)
    assert got == brute
    assert brute["t0"] == brute["t3"] == brute["t4"] == ["dont_know"]
    assert brute["t8"] == ["dont_come_back", "dont_know"]
    assert brute["t10"] == ["dont_care"]
    assert brute["t11"] == brute["t12"] == brute["t13"] == []


def test_skipped_kinds_are_not_scanned(con, add_interactions, tmp_path):
    add_interactions(
        {"interaction_id": "survey", "kind": "feedback", "channel": "web", "occurred_at": T0,
         "text": "I don't know why it took so long", "rating": 4},
    )  # fmt: skip
    # any_shortfall: the phrase, when scanned, outweighs the rating
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 4, 1), precedence="any_shortfall",
                             **{"language.skip_kinds": []}))
    assert _scored(con)["survey"]["outcome"] == "dissatisfied"
    cfg = _cfg(tmp_path, now=datetime(2024, 4, 1), precedence="any_shortfall",
               **{"language.skip_kinds": ["feedback"]})
    score_outcomes(con, cfg)
    assert _brief(_scored(con)["survey"]) == ("satisfied", ["rating_met"], None)


# --- the rule as a whole ------------------------------------------------------------------------


def test_any_shortfall_beats_any_exceedance_and_no_signal_is_unscored(
    con, add_interactions, tmp_path
):
    """precedence: any_shortfall (the rule before issue 14)."""
    add_interactions(
        # exceeded speed, delighted rating, but a discouraged phrase: dissatisfied
        {**PROMISED, "interaction_id": "mixed", "resolved_at": "2024-03-01 11:00", "rating": 5,
         "text": "Jangan datang lagi", "language": "ms"},
        # met speed and a 5: delighted
        {**PROMISED, "interaction_id": "met_and_5", "resolved_at": "2024-03-02 09:00",
         "rating": 5},
        # a compliment on its own: delighted
        {"interaction_id": "compliment", "kind": "compliment", "occurred_at": T0},
        # nothing to go on: unscored, counted, never dropped
        {"interaction_id": "silent", "kind": "inquiry", "channel": "web", "occurred_at": T0,
         "status": "in_progress"},
    )  # fmt: skip
    cfg = _cfg(tmp_path, now=datetime(2024, 3, 1, 12), precedence="any_shortfall")
    summary = score_outcomes(con, cfg)
    got = _scored(con)
    assert got["mixed"]["reasons"] == [
        "discouraged_phrase:dont_come_back",
        "rating_exceeded",
        "speed_exceeded",
    ]
    assert _brief(got["mixed"]) == (
        "dissatisfied",
        ["discouraged_phrase:dont_come_back"],
        "staff_language",
    )
    assert _brief(got["met_and_5"]) == ("delighted", ["rating_exceeded"], None)
    assert got["met_and_5"]["reasons"] == ["rating_exceeded", "speed_met"]
    assert _brief(got["compliment"]) == ("delighted", ["kind_compliment"], None)
    assert _brief(got["silent"]) == ("unscored", [], None)
    assert {
        k: summary[k]
        for k in ("interactions", "delighted", "satisfied", "dissatisfied", "unscored")
    } == {  # fmt: skip
        "interactions": 4,
        "delighted": 2,
        "satisfied": 0,
        "dissatisfied": 1,
        "unscored": 1,
    }


def test_reason_lists_are_sorted_and_distinct(con, add_interactions, tmp_path):
    # the lists are built in sorted order rather than sorted: rows carrying every code family
    base = {"customer_id": "C1", "topic": "delivery", "channel": "phone"}
    add_interactions(
        {**base, "interaction_id": "a", "kind": "complaint", "occurred_at": T0,
         "promised_by": "2024-03-01 12:00", "resolved_at": "2024-03-01 11:00",
         "status": "reopened", "rating": 1, "text": "Not my problem. Hurry up! I don't know."},
        {**base, "interaction_id": "b", "kind": "complaint", "occurred_at": "2024-03-02 10:00",
         "resolved_at": "2024-03-02 11:00", "status": "resolved", "rating": 3},
        {**base, "interaction_id": "c", "kind": "compliment", "occurred_at": "2024-03-20 10:00",
         "rating": 5, "promise_kept": True},
    )  # fmt: skip
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 4, 1)))
    got = _scored(con)
    assert got["a"]["reasons"] == [
        "discouraged_phrase:dont_care",
        "discouraged_phrase:dont_know",
        "discouraged_phrase:hurry_wait",
        "rating_low",
        "reopened",
        "repeat_contact",
        "speed_exceeded",
    ]
    assert got["b"]["reasons"] == ["first_contact_resolution", "rating_neutral", "speed_exceeded"]
    assert got["c"]["reasons"] == ["kind_compliment", "rating_exceeded", "speed_met"]
    for row in got.values():
        assert row["reasons"] == sorted(set(row["reasons"]))
        assert row["deciding_reasons"] == sorted(set(row["deciding_reasons"]))
        assert set(row["deciding_reasons"]) <= set(row["reasons"])


def test_scores_are_deterministic_and_independent_of_row_order(con, add_interactions, tmp_path):
    rows = [
        {"interaction_id": str(i), "customer_id": f"C{i % 3}", "topic": "delivery",
         "occurred_at": f"2024-03-{1 + i:02d} 10:00", "resolved_at": f"2024-03-{1 + i:02d} 20:00",
         "rating": 1 + i % 5, "text": "I don't know" if i % 4 == 0 else "fine"}
        for i in range(12)
    ]  # fmt: skip
    cfg = _cfg(tmp_path, now=datetime(2024, 4, 1))
    add_interactions(*rows)
    score_outcomes(con, cfg)
    table = "select * exclude (scored_run) from interaction_outcomes order by all"  # not the run
    first = con.execute(table).fetchall()
    score_outcomes(con, cfg)
    assert con.execute(table).fetchall() == first
    con.execute("delete from interactions").fetchall()
    add_interactions(*reversed(rows))
    score_outcomes(con, cfg)
    assert con.execute(table).fetchall() == first


@pytest.mark.parametrize("later_clock,late_files", [(False, False), (True, False),
                                                    (False, True)])
def test_incremental_score_equals_a_full_rebuild(tmp_path: Path, later_clock: bool,
                                                 late_files: bool) -> None:
    """New files on a scored warehouse: only some rows are rescored, and the table is exactly
    what scoring everything again gives (threads spanning both loads, open windows, and files
    arriving late for a month long past, whose contacts fall between known ones)."""
    from pipeline.bench import add_increment
    from pipeline.run import run
    from pipeline.sample import write_sample

    data = tmp_path / "data"
    write_sample(data / "sample", interactions=3000, customers=200)
    scoring = tmp_path / "reference"
    shutil.copytree(paths.REFERENCE, scoring)
    if later_clock:  # judged at the run clock: every open window and deadline moves on
        text = (scoring / "scoring.yaml").read_text().replace("as_of: data", "as_of: clock")
        (scoring / "scoring.yaml").write_text(text)

    def cfg(now: datetime) -> RunConfig:
        return RunConfig(warehouse=tmp_path / "w.duckdb", data_dir=data, reference_dir=scoring,
                         reports_dir=tmp_path / "reports", now=now, quiet=True)

    stages = ("ingest", "map", "score")
    first = run(cfg(datetime(2026, 11, 2)), only=stages)
    assert first.stages["score"]["incremental"] is False
    if late_files:
        late = tmp_path / "late"
        write_sample(late, interactions=600, customers=200, months=1, end=date(2026, 6, 30),
                     seed=7, first_id=900_000_000)
        for name in ("callcentre/calls_2026-06.csv", "helpdesk/tickets_2026-06.jsonl"):
            target = data / "sample" / name.replace("2026-06", "2026-06-late")
            shutil.copy(late / name, target)
    else:
        add_increment(data, 400, tmp_path / "work")
    second = run(cfg(datetime(2026, 11, 9 if later_clock else 2)), only=stages)
    assert second.stages["score"]["incremental"] is True
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        con.execute("create table incremental as select * from interaction_outcomes")
        # only rows whose outcome changed were rewritten by the second run: a rescored row
        # equal to its stored one keeps the first run's stamp
        runs = con.execute("select scored_run, count(*) from incremental group by 1 order by 2 desc"
                           ).fetchall()
        assert len(runs) == 2 and runs[0][1] > runs[1][1] > 0, runs
        con.execute("delete from model_fingerprints where model = 'interaction_outcomes'")
    finally:
        con.close()
    assert run(cfg(datetime(2026, 11, 9 if later_clock else 2)), only=("score",)
               ).stages["score"]["incremental"] is False
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        total = con.execute("select count(*) from interaction_outcomes").fetchall()[0][0]
        assert total == con.execute("select count(*) from incremental").fetchall()[0][0] > 3000
        for a, b in (("interaction_outcomes", "incremental"), ("incremental",
                                                                 "interaction_outcomes")):
            assert con.execute(f"select count(*) from (select * exclude (scored_run) from {a} "
                               f"except all select * exclude (scored_run) from {b})"
                               ).fetchall() == [(0,)]
    finally:
        con.close()


# --- precedence: the customer's own verdict first (issue 14) -------------------------------------

# rated contacts whose handling says otherwise, and one nobody rated
VERDICT_ROWS = [
    # a 5-star rating on a late delivery
    {**PROMISED, "interaction_id": "late_5", "resolved_at": "2024-03-02 12:00", "rating": 5},
    # a 4 although staff said a discouraged phrase and the ticket was reopened
    {**PROMISED, "interaction_id": "rude_4", "resolved_at": "2024-03-01 12:00", "rating": 4,
     "status": "reopened", "text": "Agent: I don't know."},
    # a 2 on a contact resolved well inside the promise
    {**PROMISED, "interaction_id": "fast_2", "resolved_at": "2024-03-01 12:00", "rating": 2},
    # no rating: the handling decides
    {**PROMISED, "interaction_id": "late_unrated", "resolved_at": "2024-03-02 12:00"},
    # a 1 on a late delivery: the late delivery agrees with the verdict and decides with it
    {**PROMISED, "interaction_id": "late_1", "resolved_at": "2024-03-02 12:00", "rating": 1},
]  # fmt: skip


@pytest.mark.parametrize(
    ("precedence", "expected"),
    [
        (
            "customer_first",
            {
                "late_5": ("delighted", ["rating_exceeded"], None),
                "rude_4": ("satisfied", ["rating_met"], None),
                "fast_2": ("dissatisfied", ["rating_low_promise_kept"], "expectation"),
                "late_unrated": ("dissatisfied", ["speed_missed"], "service"),
                "late_1": ("dissatisfied", ["rating_low", "speed_missed"], "service"),
            },
        ),
        (
            "any_shortfall",
            {
                "late_5": ("dissatisfied", ["speed_missed"], "service"),
                "rude_4": (
                    "dissatisfied",
                    ["discouraged_phrase:dont_know", "reopened"],
                    "service",
                ),
                "fast_2": ("dissatisfied", ["rating_low_promise_kept"], "expectation"),
                "late_unrated": ("dissatisfied", ["speed_missed"], "service"),
                "late_1": ("dissatisfied", ["rating_low", "speed_missed"], "service"),
            },
        ),
    ],
)
def test_precedence_the_rating_decides_or_any_shortfall(
    con, add_interactions, tmp_path, precedence, expected
):
    add_interactions(*VERDICT_ROWS)
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 4, 1), precedence=precedence))
    got = _scored(con)
    assert {k: _brief(v) for k, v in got.items()} == expected
    # the handling's signals stay on the row either way, and in the speed metrics' columns
    assert got["late_5"]["reasons"] == ["rating_exceeded", "speed_missed"]
    assert got["late_5"]["promise_kept"] is False
    assert got["rude_4"]["reasons"] == [
        "discouraged_phrase:dont_know", "rating_met", "reopened", "speed_exceeded"
    ]  # fmt: skip
    assert got["rude_4"]["phrases"] == [{"phrase_id": "dont_know", "language": "en"}]


def test_customer_first_is_the_default_when_scoring_yaml_does_not_say(
    con, add_interactions, tmp_path
):
    cfg = _cfg(tmp_path, now=datetime(2024, 4, 1))
    data = yaml.safe_load((cfg.reference_dir / "scoring.yaml").read_text(encoding="utf-8"))
    assert data.pop("precedence") == "customer_first"  # shipped: customer_first
    (cfg.reference_dir / "scoring.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    add_interactions(VERDICT_ROWS[0])
    score_outcomes(con, cfg)
    assert _brief(_scored(con)["late_5"]) == ("delighted", ["rating_exceeded"], None)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("precedence", "customer", "precedence: 'customer' is not one of "
                                   "customer_first, any_shortfall"),
        ("causes.price", {"topics": ["billing"]}, "causes.price: unknown key"),
        ("causes.product", {}, "causes.product: give topics, keywords or both"),
    ],
)  # fmt: skip
def test_precedence_and_causes_are_checked_at_load(tmp_path, key, value, message):
    from pipeline.errors import UserError

    cfg = _cfg(tmp_path, now=datetime(2024, 4, 1), **{key: value})
    with pytest.raises(UserError) as e:
        load_reference(cfg.reference_dir)
    assert str(e.value).startswith(f"{cfg.reference_dir / 'scoring.yaml'}: {message}")
    assert "\n" not in str(e.value)


# --- the cause of a low rating with every promise kept (issue 14) --------------------------------

KEPT_LOW = {**PROMISED, "resolved_at": "2024-03-01 12:00", "rating": 1, "topic": "delivery"}


@pytest.mark.parametrize(
    ("text", "language", "topic", "cause"),
    [
        ("The product arrived broken.", "en", "delivery", "product"),
        ("Item was DEFECTIVE out of the box", "en", "delivery", "product"),  # defect*
        ("Barang rosak semasa sampai.", "ms", "delivery", "product"),
        ("Kualitas barangnya jelek sekali.", "id", "delivery", "product"),
        ("Het apparaat is kapot.", "nl", "delivery", "product"),
        ("The price is far too high for this.", "en", "delivery", "policy"),
        ("Fees again, what a policy!", "en", "delivery", "policy"),  # fee*
        ("Harga terlalu mahal.", "ms", "delivery", "policy"),
        ("Biaya ongkir terlalu tinggi.", "id", "delivery", "policy"),
        ("De verzendkosten zijn belachelijk.", "nl", "delivery", "policy"),
        # the customer's words first: product words on a billing topic
        ("The product broke after a day.", "en", "billing", "product"),
        # no words: the topic decides
        ("Not happy.", "en", "product_quality", "product"),
        (None, None, "refund", "policy"),
        # none of either: the expectation was set wrong
        ("Not what I hoped for.", "en", "delivery", "expectation"),
        (None, None, None, "expectation"),
        # whole words only: inside other words they say nothing
        ("I am brokenhearted, the courier was reproductive of delays.", "en", "delivery",
         "expectation"),
    ],
)  # fmt: skip
def test_low_rating_with_every_promise_kept_is_split_by_the_evidence(
    con, add_interactions, tmp_path, text, language, topic, cause
):
    add_interactions(
        {**KEPT_LOW, "interaction_id": "1", "text": text, "language": language, "topic": topic}
    )
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 4, 1)))
    row = _scored(con)["1"]
    code = {"product": "rating_low_product", "policy": "rating_low_policy",
            "expectation": "rating_low_promise_kept"}[cause]  # fmt: skip
    assert _brief(row) == ("dissatisfied", [code], cause)
    assert row["reasons"] == [code, "speed_exceeded"]
    assert row["promise_kept"] is True


def test_the_split_applies_only_when_every_promise_was_kept(con, add_interactions, tmp_path):
    # product words, but the promise was broken or staff misspoke: service and staff language,
    # as before; a 5 with product words is no complaint at all
    add_interactions(
        {**KEPT_LOW, "interaction_id": "late", "resolved_at": "2024-03-03 12:00",
         "text": "The product arrived broken."},
        {**KEPT_LOW, "interaction_id": "rude", "text": "Product broken. Agent: not my problem."},
        {**KEPT_LOW, "interaction_id": "happy", "rating": 5, "text": "Great product, fair price."},
    )  # fmt: skip
    score_outcomes(con, _cfg(tmp_path, now=datetime(2024, 4, 1)))
    got = _scored(con)
    assert _brief(got["late"]) == ("dissatisfied", ["rating_low", "speed_missed"], "service")
    assert _brief(got["rude"]) == (
        "dissatisfied", ["discouraged_phrase:dont_care", "rating_low"], "staff_language"
    )  # fmt: skip
    assert _brief(got["happy"]) == ("delighted", ["rating_exceeded", "speed_exceeded"], None)


def test_cause_words_come_from_scoring_yaml(con, add_interactions, tmp_path):
    add_interactions({**KEPT_LOW, "interaction_id": "1", "text": "The widget wobbles."})
    cfg = _cfg(tmp_path, now=datetime(2024, 4, 1),
               **{"causes.product": {"keywords": {"en": ["wobble*"]}}})  # fmt: skip
    score_outcomes(con, cfg)
    assert _brief(_scored(con)["1"]) == ("dissatisfied", ["rating_low_product"], "product")
    cfg = _cfg(tmp_path, now=datetime(2024, 4, 1), **{"causes": {}})
    score_outcomes(con, cfg)
    assert _brief(_scored(con)["1"]) == (
        "dissatisfied", ["rating_low_promise_kept"], "expectation"
    )  # fmt: skip
