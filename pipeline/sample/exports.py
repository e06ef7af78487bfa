"""Rows to export lines, one function per source format: the call-centre CSV (;), the helpdesk
JSON lines, the store CSV, the letters register and senders list, the survey CSV and the
orders parquet table, with the string helpers (time stamps, ids, CSV and JSON quoting) and
the per-row dirt they add."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.sample.parameters import (
    _EPOCH,
    CALL_RESULTS,
    DAY,
    DESK_EXTRA_TAGS,
    DESK_STATUSES,
    DESK_TYPES,
    DIRT_RATE,
    FAST,
    LANGS,
    LETTER_CATEGORIES,
    LOCAL_OFFSET,
    PURPOSES,
    QUEUES,
    REASONS,
    STORES,
    SURVEY_COLUMNS,
    TOPICS,
    UNRESOLVED,
    VIAS,
)
from pipeline.sample.population import Population
from pipeline.sample.texts import (
    _CALL_OUTCOME_BANK,
    _LETTER_DIRT_BANK,
    _LETTER_PHRASE_BANK,
    _LETTER_SUBJECT_BANK,
    _LETTER_SUMMARY_BANK,
    _NEAR_MISS_BANK,
    _NOTE_BANK,
    _PHRASE_NOTE_BANK,
    _PHRASE_REMARK_BANK,
    _PHRASE_REPLY_BANK,
    _REMARK_BANK,
    _REPLY_BANK,
    _STORE_OUTCOME_BANK,
    _SUBJECT_BANK,
    _TEXT_DIRT_BANK,
    BAD_IDS,
    CALL_DIRT,
    DESK_DIRT,
    LETTER_DIRT_KINDS,
    ORDER_DIRT_RATE,
    STORE_DIRT,
    SURVEY_DIRT,
)

# --- formatting helpers: lookup tables and Arrow string kernels ----------------------------

_TIME_TABLES = {
    "hm": [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)],
    "hmsz": [f"{h:02d}:{m:02d}:00Z" for h in range(24) for m in range(60)],
    "hms+8": [f"{h:02d}:{m:02d}:00+08:00" for h in range(24) for m in range(60)],
}
_DAY_FORMATS = {
    "dmy": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year:04d}",
    "ymd": lambda d: d.isoformat(),
    "y/m/d": lambda d: f"{d.year}/{d.month}/{d.day}",  # no zero padding
}


def _stamps(
    t: np.ndarray,
    day_format: str | None,
    time_format: str | None = None,
    sep: str = " ",
    local: bool = True,
    valid: np.ndarray | None = None,
) -> pa.Array:
    """Format epoch seconds (minute precision) through lookup tables: fast and exact."""
    valid = np.ones(len(t), bool) if valid is None else valid
    if not valid.any():
        return pa.nulls(len(t), pa.string())
    lt = t + (LOCAL_OFFSET if local else 0)
    minutes = np.where(valid, lt % DAY // 60, 0)
    if day_format is None:
        return pc.take(pa.array(_TIME_TABLES[time_format]), pa.array(minutes, mask=~valid))
    day = lt // DAY
    d0, d1 = int(day[valid].min()), int(day[valid].max())
    fmt = _DAY_FORMATS[day_format]
    table = pa.array([fmt(_EPOCH + timedelta(days=d)) for d in range(d0, d1 + 1)], pa.string())
    days = pc.take(table, pa.array(np.where(valid, day - d0, 0), mask=~valid))
    if time_format is None:
        return days
    times = pc.take(pa.array(_TIME_TABLES[time_format]), pa.array(minutes, mask=~valid))
    return pc.binary_join_element_wise(days, times, sep)


def _ids(prefix: str, numbers: np.ndarray, width: int, null: np.ndarray | None = None) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, mask=null), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _customer_ids(cust: np.ndarray) -> pa.Array:
    return _ids("C", cust + 1, 6, null=cust < 0)


def _agent_ids(agent: np.ndarray) -> pa.Array:
    return _ids("A", agent, 4)


def _codes(values: Sequence[str], idx: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pc.take(pa.array(values, pa.string()), pa.array(idx, mask=null))


def _ints(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return pc.cast(pa.array(values, mask=null), pa.string())


def _replace(
    rng: np.random.Generator, arr: pa.Array, mask: np.ndarray, choices: Sequence[str | None]
) -> pa.Array:
    """Replace the masked rows with values drawn from choices (None = missing)."""
    k = int(mask.sum())
    if k == 0:
        return arr
    picked = np.asarray(choices, dtype=object)[rng.integers(0, len(choices), k)]
    return pc.replace_with_mask(arr, pa.array(mask), pa.array(picked, pa.string()))


def _text(*pieces: pa.Array) -> pa.Array:
    """Sentences joined by a space; missing pieces skipped."""
    return pc.binary_join_element_wise(*pieces, " ", null_handling="skip")


def _csv_field(arr: pa.Array, delimiter: str) -> pa.Array:
    needs = pc.fill_null(pc.match_substring_regex(arr, f'[{re.escape(delimiter)}"\\r\\n]'), False)
    if not pc.any(needs).as_py():
        return arr
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(arr, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, arr)


def _csv_lines(columns: Sequence[pa.Array], delimiter: str) -> pa.Array:
    fields = [_csv_field(c, delimiter) for c in columns]
    return pc.binary_join_element_wise(
        *fields, delimiter, null_handling="replace", null_replacement=""
    )


def _json_string(arr: pa.Array) -> pa.Array:
    for raw, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        arr = pc.replace_substring(arr, raw, escaped)
    return pc.fill_null(pc.binary_join_element_wise('"', arr, '"', ""), "null")


def _duplicated(lines: pa.Array, dirt: np.ndarray, kind: int) -> pa.Array:
    """Write the rows marked `duplicate` twice (the same line twice)."""
    if not (dirt == kind).any():
        return lines
    return pc.take(lines, pa.array(np.repeat(np.arange(len(lines)), 1 + (dirt == kind))))


def _body(lines: pa.Array, eol: str) -> memoryview:
    """All lines, each followed by eol, as one buffer (no per-line Python objects)."""
    if len(lines) == 0:
        return memoryview(b"")
    arr = pc.binary_join_element_wise(lines, eol, "")
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    offsets = np.frombuffer(arr.buffers()[1], np.int32)
    first, last = int(offsets[arr.offset]), int(offsets[arr.offset + len(arr)])
    return memoryview(arr.buffers()[2])[first:last]


def _dirt(rng: np.random.Generator, n: int, kinds: Sequence[str]) -> np.ndarray:
    """Per row: index into kinds, or -1 for a clean row."""
    dirt = np.full(n, -1, np.int64)
    hit = rng.random(n) < DIRT_RATE
    dirt[hit] = rng.integers(0, len(kinds), int(hit.sum()))
    return dirt


def _future(
    rng: np.random.Generator, t: np.ndarray, mask: np.ndarray, window_stop: int, *others: np.ndarray
) -> None:
    """Move the masked rows' times (and their related times) past --end + 30 days, in place."""
    k = int(mask.sum())
    if k == 0:
        return
    shift = window_stop + (31 + rng.integers(0, 3 * 365, k)) * DAY - t[mask]
    t[mask] += shift
    for other in others:
        other[mask] = np.where(other[mask] >= 0, other[mask] + shift, other[mask])


# --- formatting: one function per export ------------------------------------------------------

CALL_HEADER = "CallID;CustNo;Start;End;Queue;Reason;Topic;Agent;Result;CallbackBy;Survey;Lang;Notes"
STORE_HEADER = (
    "VisitDate,VisitTime,StoreCode,VisitNo,MemberNo,Purpose,Topic,Staff,"
    "HandledSameDay,Resolved,Rating,Remarks"
)
LETTER_HEADER = (
    "LetterRef,Received,Sender Ref,Subject,Category,Reply Due,Replied,Meeting Held,"
    "Outcome,Handler,Summary"
)
SURVEY_HEADER = "RespondentID,CustomerID,SubmittedAt," + ",".join(SURVEY_COLUMNS)
SENDERS_HEADER = "sender_ref,customer_no"


def callcentre_lines(
    rng: np.random.Generator, r: dict[str, np.ndarray], first_id: int, window_stop: int
) -> pa.Array:
    n = len(r["t"])
    dirt = _dirt(rng, n, CALL_DIRT)
    t, res, promise = r["t"].copy(), r["res"].copy(), r["promise"].copy()
    _future(rng, t, dirt == CALL_DIRT.index("future_time"), window_stop, res, promise)
    backwards = dirt == CALL_DIRT.index("resolved_before_opened")
    res[backwards] = t[backwards] - rng.integers(60, 3 * 1440, int(backwards.sum())) * 60
    is_ = {k: dirt == i for i, k in enumerate(CALL_DIRT)}

    cust = _replace(rng, _customer_ids(r["cust"]), is_["blank_id"], [None])
    cust = _replace(rng, cust, is_["bad_id"], BAD_IDS)
    start = _replace(
        rng,
        _stamps(t, "dmy", "hm"),
        is_["bad_time"],
        ["32/13/2026 25:00", "yesterday", "00/00/0000 00:00", "31/02/2026 10:00"],
    )
    queue = _replace(rng, _codes(QUEUES, r["queue"]), is_["unknown_channel"], ["FAXX", "TELX"])
    callback = pc.if_else(
        pa.array(r["mode"] == 2), _stamps(promise, "y/m/d"), _stamps(promise, "dmy", "hm")
    )
    callback = pc.if_else(pa.array(r["mode"] == 0), pa.scalar(None, pa.string()), callback)
    survey = _replace(
        rng,
        _ints(r["survey"], null=~r["has_survey"]),
        is_["rating_out_of_range"],
        ["11", "-1", "99"],
    )
    notes = _text(
        _NOTE_BANK.take(r["note"], r["topic"]),
        _PHRASE_NOTE_BANK.take(r["phrase"]),
        _NEAR_MISS_BANK.take(r["near"]),
        _CALL_OUTCOME_BANK.take(r["outcome_note"]),
        _TEXT_DIRT_BANK.take(r["tdirt"]),
    )
    columns = [
        _ids("CL", first_id + np.arange(n), 8),
        cust,
        start,
        _stamps(res, "dmy", "hm", valid=res >= 0),
        queue,
        _codes(REASONS, r["kind"]),
        _codes(TOPICS, r["topic"], null=r["topic_blank"]),
        _agent_ids(r["agent"]),
        _codes(CALL_RESULTS, r["result"]),
        callback,
        survey,
        _codes(LANGS, r["lang"]),
        notes,
    ]
    return _duplicated(_csv_lines(columns, ";"), dirt, CALL_DIRT.index("duplicate"))


def helpdesk_lines(
    rng: np.random.Generator, r: dict[str, np.ndarray], first_id: int, window_stop: int
) -> pa.Array:
    n = len(r["t"])
    dirt = _dirt(rng, n, DESK_DIRT)
    t, res, promise = r["t"].copy(), r["res"].copy(), r["promise"].copy()
    _future(rng, t, dirt == DESK_DIRT.index("future_time"), window_stop, res, promise)
    backwards = dirt == DESK_DIRT.index("resolved_before_opened")
    res[backwards] = t[backwards] - rng.integers(60, 3 * 1440, int(backwards.sum())) * 60
    is_ = {k: dirt == i for i, k in enumerate(DESK_DIRT)}

    def stamp(x: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
        return _stamps(x, "ymd", "hmsz", sep="T", local=False, valid=valid)

    requester = _json_string(_replace(rng, _customer_ids(r["cust"]), is_["blank_id"], [""]))
    requester = _replace(rng, requester, is_["bad_id"], [f'"{b}"' for b in BAD_IDS] + ["null"])
    nested = is_["nested_id"]
    requester = pc.replace_with_mask(
        requester,
        pa.array(nested),
        pc.binary_join_element_wise("[", pc.filter(requester, pa.array(nested)), "]", ""),
    )
    created = _replace(
        rng,
        stamp(t),
        is_["bad_time"],
        ["yesterday", "2026-13-45T99:00:00Z", "0000-00-00T00:00:00Z"],
    )
    via = _replace(rng, _codes(VIAS, r["via"]), is_["unknown_channel"], ["pigeon", "telex"])
    score = pc.fill_null(_ints(r["score"], null=~r["has_score"]), "null")
    score = _replace(rng, score, is_["rating_out_of_range"], ["6", "0", "-1"])
    subject = _text(_SUBJECT_BANK.take(r["subject"], r["topic"]))
    reply = _text(
        _REPLY_BANK.take(r["reply"], r["topic"]),
        _PHRASE_REPLY_BANK.take(r["phrase"]),
        _NEAR_MISS_BANK.take(r["near"]),
        _TEXT_DIRT_BANK.take(r["tdirt"]),
    )
    topic = _codes(TOPICS, r["topic"])
    tags = pc.binary_join_element_wise(
        '["', topic, '"', _codes(DESK_EXTRA_TAGS, r["extra_tag"]), "]", ""
    )
    q = _json_string
    pieces = [
        '{"id": ',
        q(_ids("HD-", first_id + np.arange(n), 7)),
        ', "created_at": ',
        q(created),
        ', "via": {"channel": ',
        q(via),
        '}, "requester": {"id": ',
        requester,
        ', "locale": ',
        q(_codes(LANGS, r["lang"])),
        '}, "type": ',
        q(_codes(DESK_TYPES, r["dtype"])),
        ', "subject": ',
        q(subject),
        ', "tags": ',
        tags,
        ', "category": ',
        q(topic),
        ', "status": ',
        q(_codes(DESK_STATUSES, r["status"])),
        ', "sla": {"due_at": ',
        q(stamp(promise, valid=r["has_sla"])),
        '}, "solved_at": ',
        q(stamp(res, valid=res >= 0)),
        ', "satisfaction": {"score": ',
        score,
        '}, "assignee_id": ',
        q(_agent_ids(r["agent"])),
        ', "comment": {"public_reply": ',
        q(reply),
        "}}",
    ]
    lines = pc.binary_join_element_wise(*pieces, "")
    return _duplicated(lines, dirt, DESK_DIRT.index("duplicate"))


def store_lines(
    rng: np.random.Generator, r: dict[str, np.ndarray], first_id: int, window_stop: int
) -> pa.Array:
    n = len(r["t"])
    dirt = _dirt(rng, n, STORE_DIRT)
    t = r["t"].copy()
    _future(rng, t, dirt == STORE_DIRT.index("future_time"), window_stop)
    is_ = {k: dirt == i for i, k in enumerate(STORE_DIRT)}
    member = _replace(rng, _customer_ids(r["cust"]), is_["bad_id"], BAD_IDS)
    visit_date = _replace(
        rng, _stamps(t, "ymd"), is_["bad_date"], ["2026-02-30", "yesterday", "2026-13-01"]
    )
    visit_time = _replace(rng, _stamps(t, None, "hm"), is_["bad_time"], ["25:61", "noon"])
    purpose = _replace(
        rng, _codes(PURPOSES, r["purpose"]), is_["unknown_purpose"], ["Gossip", "???"]
    )
    rating = _replace(
        rng, _ints(r["smiley"], null=~r["has_smiley"]), is_["rating_out_of_range"], ["6", "0", "9"]
    )
    yes_no = ("N", "Y")
    remarks = _text(
        _REMARK_BANK.take(r["remark"], r["topic"]),
        _PHRASE_REMARK_BANK.take(r["phrase"]),
        _NEAR_MISS_BANK.take(r["near"]),
        _STORE_OUTCOME_BANK.take(r["outcome_remark"]),
        _TEXT_DIRT_BANK.take(r["tdirt"]),
    )
    columns = [
        visit_date,
        visit_time,
        _codes(STORES, r["store"]),
        _ids("V", first_id + np.arange(n), 8),
        member,
        purpose,
        _codes(TOPICS, r["topic"]),
        _agent_ids(r["agent"]),
        _codes(yes_no, (r["outcome"] == FAST).astype(np.int64)),
        _codes(yes_no, (r["outcome"] != UNRESOLVED).astype(np.int64)),
        rating,
        remarks,
    ]
    return _duplicated(_csv_lines(columns, ","), dirt, STORE_DIRT.index("duplicate"))


def letter_lines(
    rng: np.random.Generator,
    r: dict[str, np.ndarray],
    pop: Population,
    first_id: int,
    window_stop: int,
) -> pa.Array:
    n = len(r["t"])
    dirt = _dirt(rng, n, LETTER_DIRT_KINDS)
    t, res, promise = r["t"].copy(), r["res"].copy(), r["promise"].copy()
    _future(rng, t, dirt == LETTER_DIRT_KINDS.index("future_time"), window_stop, res, promise)
    backwards = dirt == LETTER_DIRT_KINDS.index("resolved_before_opened")
    res[backwards] = t[backwards] - rng.integers(1, 10, int(backwards.sum())) * DAY
    is_ = {k: dirt == i for i, k in enumerate(LETTER_DIRT_KINDS)}
    sender = _ids("SR-", pop.sender_no[r["cust"]], 7)
    sender = _replace(rng, sender, is_["unknown_sender"], ["SR-9999999", "SR-0000000", None])
    received = _replace(
        rng, _stamps(t, "y/m/d"), is_["bad_time"], ["2026/13/45", "yesterday", "31/02/2026"]
    )
    summary = _text(
        _LETTER_SUMMARY_BANK.take(r["summary"], r["topic"]),
        _LETTER_PHRASE_BANK.take(r["phrase"]),
        _LETTER_DIRT_BANK.take(r["tdirt"]),
    )
    categories = [LETTER_CATEGORIES[topic] for topic in TOPICS]
    columns = [
        _ids("LTR-", first_id + np.arange(n), 6),
        received,
        sender,
        _LETTER_SUBJECT_BANK.take(r["subject"], r["topic"]),
        _codes(categories, r["topic"]),
        _stamps(promise, "y/m/d"),
        _stamps(res, "y/m/d", valid=res >= 0),
        _codes(("No", "Yes"), r["meeting"].astype(np.int64)),
        _codes(
            ("Resolved", "Partially resolved", "Pending", "Escalated", "No reply"), r["verdict"]
        ),
        _agent_ids(r["agent"]),
        summary,
    ]
    return _duplicated(_csv_lines(columns, ","), dirt, LETTER_DIRT_KINDS.index("duplicate"))


def senders_lines(rng: np.random.Generator, pop: Population, wrote: np.ndarray) -> pa.Array:
    """letters/senders.csv: sender reference -> customer number, for everyone who wrote."""
    writers = np.flatnonzero(wrote)
    writers = writers[np.argsort(pop.sender_no[writers])]
    unknown = rng.random(len(writers)) < DIRT_RATE  # sender on file, customer number missing
    sender = _ids("SR-", pop.sender_no[writers], 7)
    return _csv_lines([sender, _customer_ids(np.where(unknown, -1, writers))], ",")


def survey_lines(
    rng: np.random.Generator, s: dict[str, np.ndarray], first_id: int, window_stop: int
) -> pa.Array:
    n = len(s["t"])
    dirt = _dirt(rng, n, SURVEY_DIRT)
    t = s["t"].copy()
    _future(rng, t, dirt == SURVEY_DIRT.index("future_time"), window_stop)
    is_ = {k: dirt == i for i, k in enumerate(SURVEY_DIRT)}
    cust = _replace(rng, _customer_ids(s["cust"]), is_["blank_id"], [None])
    cust = _replace(rng, cust, is_["bad_id"], BAD_IDS)
    submitted = pc.if_else(
        pa.array(s["utc"]),
        _stamps(t, "ymd", "hmsz", "T", local=False),
        _stamps(t, "ymd", "hms+8", "T"),
    )
    submitted = _replace(
        rng, submitted, is_["bad_time"], ["yesterday", "2026-02-30T10:00:00+08:00", "not submitted"]
    )
    answers = []
    out_of_range = is_["rating_out_of_range"]
    which = rng.integers(0, 4, n)
    for q in range(4):
        score = s["score"][:, q]
        cell = _ints(score, null=score < 0)
        cell = pc.if_else(pa.array((score < 0) & s["na"][:, q]), "n/a", cell)
        answers.append(_replace(rng, cell, out_of_range & (which == q), ["11", "-1", "12"]))
    columns = [_ids("R", first_id + np.arange(n), 7), cust, submitted, *answers]
    return _duplicated(_csv_lines(columns, ","), dirt, SURVEY_DIRT.index("duplicate"))


def orders_table(rng: np.random.Generator, o: dict[str, np.ndarray], first_id: int) -> pa.Table:
    n = len(o["t"])
    dirty = rng.random(n) < ORDER_DIRT_RATE
    blank = dirty & (rng.random(n) < 0.4)
    rows = np.repeat(np.arange(n), 1 + (dirty & ~blank))  # the rest: the same order twice
    cents = o["cents"][rows]
    # decimal128 from little-endian 128-bit integers: exact cents, no float rounding
    words = np.stack([cents, cents >> 63], axis=1).astype("<i8")
    amount = pa.Array.from_buffers(
        pa.decimal128(12, 2), len(rows), [None, pa.py_buffer(words.tobytes())]
    )
    return pa.table(
        {
            "order_id": _ids("ORD", first_id + rows, 9),
            "customer_id": _customer_ids(np.where(blank, -1, o["cust"])[rows]),
            "ordered_at": pa.array(o["t"][rows] * 1_000_000, pa.timestamp("us")),  # naive UTC
            "amount": amount,
            "currency": pa.array(np.full(len(rows), "MYR", object), pa.string()),
        }
    )
