"""Touchpoint mapping: rule order, conditions, keywords, `unmapped`, explain."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipeline import paths
from pipeline.config import RunConfig
from pipeline.errors import UserError
from pipeline.touchpoints import explain, map_touchpoints

T0 = "2024-03-01 10:00"

SMALL_CATALOG = """
touchpoints:
  - {id: delivery, name: {en: Delivery, ms: Penghantaran}, kind: physical, stage: delivery, owner: Logistics}
  - {id: call_centre, name: {en: Call centre, ms: Pusat panggilan}, kind: human_contact, stage: after_sales, owner: CS}
  - {id: letters, name: {en: Letters, ms: Surat}, kind: communication, stage: after_sales, owner: CR}
  - {id: vip_desk, name: {en: VIP desk, ms: Meja VIP}, kind: human_contact, stage: after_sales, owner: CS}
channels:
  phone: {hours: 24}
rules:
  - {id: vip_phone, touchpoint: vip_desk, source: [VIP], channel: [phone]}
  - {id: topic_delivery, touchpoint: delivery, topic: [delivery, shipping]}
  - id: text_delivery
    touchpoint: delivery
    keywords: {en: ["deliver*", late parcel], ms: [penghantaran], nl: ["bezorg*"]}
  - {id: phone, touchpoint: call_centre, channel: [phone]}
  - {id: letter, touchpoint: letters, channel: [letter], kind: [complaint]}
"""  # noqa: E501


def _cfg(tmp_path: Path, catalog: str | None = None) -> RunConfig:
    ref = tmp_path / "reference"
    ref.mkdir(exist_ok=True)
    for name in ("touchpoints.yaml", "scoring.yaml", "lexicon.yaml"):
        shutil.copy(paths.REFERENCE / name, ref / name)
    if catalog is not None:
        (ref / "touchpoints.yaml").write_text(catalog, encoding="utf-8")
    return RunConfig(reference_dir=ref, now=datetime(2024, 6, 1))


def _mapping(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[str, str | None]]:
    rows = con.execute(
        "select source, interaction_id, touchpoint_id, rule_id from interaction_touchpoints"
    ).fetchall()
    return {(s, i): (tp, rule) for s, i, tp, rule in rows}


def test_first_matching_rule_wins_and_no_match_is_unmapped(con, add_interactions, tmp_path):
    add_interactions(
        # matches vip_phone (1), topic_delivery (2) and phone (4): the first wins
        {"interaction_id": "1", "source": "VIP", "topic": "delivery", "occurred_at": T0},
        # topic_delivery (2) before phone (4)
        {"interaction_id": "2", "topic": "Delivery ", "occurred_at": T0},
        # a topic no rule names, no keyword: the channel rule
        {"interaction_id": "3", "topic": "billing", "text": "Refund?", "occurred_at": T0},
        # a letter that is not a complaint, with no keyword: nothing matches
        {"interaction_id": "4", "source": "letters", "channel": "letter", "kind": "inquiry",
         "text": "Question about opening hours", "occurred_at": T0},
        # the same letter as a complaint: kind AND channel hold
        {"interaction_id": "5", "source": "letters", "channel": "letter", "occurred_at": T0},
        # source values compare case-insensitively
        {"interaction_id": "6", "source": "vip", "channel": "PHONE", "occurred_at": T0},
    )  # fmt: skip
    summary = map_touchpoints(con, _cfg(tmp_path, SMALL_CATALOG))
    assert _mapping(con) == {
        ("VIP", "1"): ("vip_desk", "vip_phone"),
        ("callcentre", "2"): ("delivery", "topic_delivery"),
        ("callcentre", "3"): ("call_centre", "phone"),
        ("letters", "4"): ("unmapped", None),
        ("letters", "5"): ("letters", "letter"),
        ("vip", "6"): ("vip_desk", "vip_phone"),
    }
    assert summary == {
        "interactions": 6,
        "mapped": 5,
        "unmapped": 1,
        "touchpoints": 4,
        "coverage_pct": 83.33,
    }


def test_reordering_rules_changes_the_winner(con, add_interactions, tmp_path):
    add_interactions(
        {"interaction_id": "1", "source": "VIP", "topic": "delivery", "occurred_at": T0}
    )
    swapped = (
        SMALL_CATALOG.replace(
            "  - {id: vip_phone, touchpoint: vip_desk, source: [VIP], channel: [phone]}\n", ""
        )
        + "  - {id: vip_phone, touchpoint: vip_desk, source: [VIP], channel: [phone]}\n"
    )
    map_touchpoints(con, _cfg(tmp_path, swapped))
    assert _mapping(con) == {("VIP", "1"): ("delivery", "topic_delivery")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The parcel was never DELIVERED", "text_delivery"),  # prefix keyword, any case
        ("<p>Penghantaran&nbsp;lambat</p>", "text_delivery"),  # markup around the word
        ("Waar blijft mijn bezorging?", "text_delivery"),  # Dutch prefix keyword
        ("Another late   parcel, again", "text_delivery"),  # phrase, spaces collapse
        ("Undelivered mail", "phone"),  # never inside a word
        ("penghantarannya", "phone"),  # whole-word keyword: no suffix
        ("late parcels", "phone"),  # whole-word phrase: no suffix
        (None, "phone"),
    ],
)
def test_keywords_match_whole_words_or_word_starts(con, add_interactions, tmp_path, text, expected):
    add_interactions({"interaction_id": "1", "text": text, "occurred_at": T0})
    map_touchpoints(con, _cfg(tmp_path, SMALL_CATALOG))
    assert _mapping(con)[("callcentre", "1")][1] == expected


def test_mapping_is_rebuilt_and_independent_of_row_order(con, add_interactions, tmp_path):
    cfg = _cfg(tmp_path, SMALL_CATALOG)
    rows = [
        {"interaction_id": str(i), "topic": t, "text": x, "occurred_at": T0}
        for i, (t, x) in enumerate(
            [("delivery", None), (None, "bezorgd"), (None, None), ("billing", "late parcel")]
        )
    ]
    add_interactions(*rows)
    map_touchpoints(con, cfg)
    first = con.execute("select * from interaction_touchpoints order by all").fetchall()
    con.execute("delete from interactions").fetchall()
    add_interactions(*reversed(rows))
    map_touchpoints(con, cfg)
    assert con.execute("select * from interaction_touchpoints order by all").fetchall() == first
    con.execute("delete from interactions where interaction_id = '0'").fetchall()
    assert map_touchpoints(con, cfg)["interactions"] == 3


def test_shipped_catalog_maps_the_sample_vocabulary(con, add_interactions):
    add_interactions(
        {"interaction_id": "c1", "topic": "store_queue", "occurred_at": T0},
        {"interaction_id": "c2", "channel": "chat", "occurred_at": T0},
        {"interaction_id": "s1", "source": "survey", "channel": "web", "kind": "feedback",
         "topic": "checkout", "occurred_at": T0},
        {"interaction_id": "l1", "source": "helpdesk", "channel": "email",
         "text": "Encik Ahmad menulis bahawa penghantaran tidak boleh diterima", "occurred_at": T0},
        {"interaction_id": "l2", "source": "helpdesk", "channel": "email",
         "text": "Mevr. Brouwer schrijft dat de bezorging onacceptabel was", "occurred_at": T0},
        {"interaction_id": "l3", "source": "letters", "channel": "letter",
         "text": "Formal complaint regarding the warranty", "occurred_at": T0},
        {"interaction_id": "h1", "source": "helpdesk", "channel": "email",
         "text": "Masalah dengan pengiriman", "occurred_at": T0},
        {"interaction_id": "q1", "channel": "phone", "kind": "inquiry", "topic": "delivery",
         "occurred_at": T0},
        {"interaction_id": "q2", "channel": "in_person", "kind": "request", "topic": "refund",
         "occurred_at": T0},
        {"interaction_id": "x1", "source": "social", "channel": "social", "occurred_at": T0},
    )  # fmt: skip
    map_touchpoints(con, RunConfig(now=datetime(2024, 6, 1)))
    assert {k[1]: v[0] for k, v in _mapping(con).items()} == {
        "c1": "store_counter",
        "c2": "chat_agent",
        "s1": "checkout",
        "l1": "delivery",
        "l2": "delivery",
        # a letter is answered with a meeting whatever it is about: its own touchpoint
        "l3": "formal_letters",
        "h1": "delivery",
        # a question or request is judged on the contact: the channel's touchpoint
        "q1": "call_centre",
        "q2": "store_counter",
        "x1": "unmapped",
    }


def test_explain_names_the_rule_and_why(con, add_interactions, tmp_path):
    add_interactions(
        {"interaction_id": "42", "topic": "billing", "text": "Bezorging laat", "occurred_at": T0},
        {"interaction_id": "42", "source": "letters", "channel": "letter", "kind": "inquiry",
         "occurred_at": T0},
    )  # fmt: skip
    cfg = _cfg(tmp_path, SMALL_CATALOG)
    map_touchpoints(con, cfg)
    text = explain(con, cfg, "42")
    call, letter = text.split("\n\n")
    assert call.startswith("interaction 42 (source callcentre): channel=phone kind=complaint")
    assert "rule  1 vip_phone -> vip_desk: no, source 'callcentre' not in ['vip']" in call
    assert (
        "rule  2 topic_delivery -> delivery: no, topic 'billing' not in ['delivery', 'shipping']"
        in call
    )
    assert "rule  3 text_delivery -> delivery: matched on keywords bezorg [nl]" in call
    assert call.endswith("=> delivery (Delivery) by rule text_delivery (#3, first match wins)")
    assert letter.startswith("interaction 42 (source letters)")
    assert "rule  5 letter -> letters: no, kind 'inquiry' not in ['complaint']" in letter
    assert letter.endswith("=> unmapped: no rule matched")


def test_explain_unknown_id_is_a_user_error(con, add_interactions, tmp_path):
    add_interactions({"interaction_id": "1", "occurred_at": T0})
    with pytest.raises(UserError, match="no interaction with id 'nope'"):
        explain(con, _cfg(tmp_path, SMALL_CATALOG), "nope")


def test_explain_writes_nothing_and_runs_on_a_read_only_warehouse(tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as rw:
        rw.execute((paths.ROOT / "pipeline" / "schema.sql").read_text()).fetchall()
        rw.execute(
            "insert into interactions (interaction_id, source, occurred_at, channel, text, "
            "source_file, source_row, file_hash, run_id) values "
            "('7', 'letters', timestamp '2024-03-01', 'letter', 'Bezorging te laat', 'f', 1, "
            "'h', 'r')"
        ).fetchall()
    cfg = _cfg(tmp_path, SMALL_CATALOG)
    with duckdb.connect(str(path), read_only=True) as ro:
        assert explain(ro, cfg, "7").endswith("by rule text_delivery (#3, first match wins)")
        tables = ro.execute("select table_name from information_schema.tables").fetchall()
    assert ("interactions",) in tables
    assert not [t for (t,) in tables if t.startswith("ref_")]


def test_new_rows_are_mapped_alone_and_a_catalog_change_remaps_everything(
    con, add_interactions, tmp_path
):
    cfg = _cfg(tmp_path, SMALL_CATALOG)
    add_interactions({"interaction_id": "1", "topic": "delivery", "occurred_at": T0},
                     {"interaction_id": "2", "text": "late parcel", "occurred_at": T0})
    map_touchpoints(con, cfg)
    # a stored row the incremental path must keep as it is (a full rebuild would redo it)
    con.execute("update interaction_touchpoints set rule_id = 'kept' where interaction_id = '1'")
    add_interactions({"interaction_id": "3", "text": "bezorging", "occurred_at": T0},
                     {"interaction_id": "4", "occurred_at": T0})
    assert map_touchpoints(con, cfg)["interactions"] == 4
    assert _mapping(con) == {
        ("callcentre", "1"): ("delivery", "kept"),
        ("callcentre", "2"): ("delivery", "text_delivery"),
        ("callcentre", "3"): ("delivery", "text_delivery"),
        ("callcentre", "4"): ("call_centre", "phone"),
    }
    # the catalog changes: every row is mapped again under the new rules
    cfg = _cfg(tmp_path, SMALL_CATALOG.replace("topic: [delivery, shipping]", "topic: [billing]"))
    map_touchpoints(con, cfg)
    assert _mapping(con)[("callcentre", "1")] == ("call_centre", "phone")
