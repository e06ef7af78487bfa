"""What happens in one month, as numpy rows: who contacted which source when and about what, the
call, helpdesk, store and letter rows with promise, outcome, rating and text picks, the
complaint events, the orders they drive, and the post-purchase surveys."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.sample.parameters import (
    _DEFAULT_PROMISE_S,
    AGENT_RANGES,
    BAD_AGENT_SHARE,
    BAD_AGENTS,
    CALL,
    CALLBACK_MODE_P,
    CHAT,
    COMPLAINT,
    CRITIC,
    DAY,
    DESK,
    FAST,
    FEEDBACK,
    FOLLOW_UP_SHARE,
    HOUR_WEIGHTS,
    INQUIRY,
    KIND_P,
    KIND_RATING,
    LANG_WEIGHTS,
    LATE,
    LETTER,
    LETTER_OUTCOME_P,
    LETTER_REPLY_DAYS,
    LOCAL_OFFSET,
    LOYAL,
    NEAR_MISS_RATE,
    ORDER_EFFECT,
    ORDINARY,
    OUTCOME_P_COMPLAINT,
    OUTCOME_P_OTHER,
    OUTCOME_RATING,
    PHRASE_RATE,
    QUEUE_CHANNEL,
    QUEUE_P,
    RATING_BASE,
    RATING_WEIGHT,
    RATIO_HI,
    RATIO_LO,
    REOPENED,
    REQUEST,
    SLA_HOURS,
    STORE,
    STORE_OUTCOME_P_COMPLAINT,
    STORE_OUTCOME_P_OTHER,
    STORE_P,
    STORE_TOPIC_WEIGHTS,
    STORE_TOPICS,
    SURVEY_ANSWER_P,
    SURVEY_BASE,
    SURVEY_TOPIC_OFFSET,
    TEXT_DIRT_RATE,
    TOPIC_WEIGHTS,
    TOPICS,
    UNRESOLVED,
    UPSET,
    UPSET_LATE_ACTIVITY,
    VIA_CHANNEL,
    VIA_P,
    WALK_IN_SHARE,
)
from pipeline.sample.population import (
    Month,
    Population,
    _categorical,
    _categorical_rows,
    _cum,
    _local_midnight,
)
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
    Bank,
)

# --- one month of interactions ----------------------------------------------------------------


def month_contacts(
    rng: np.random.Generator, pop: Population, month: Month, counts: Sequence[int], late: bool
) -> dict[str, np.ndarray]:
    """Who contacted which source when, about what (sources CALL, DESK, STORE, LETTER)."""
    src = np.repeat(np.arange(4), counts)
    n = len(src)
    phase = int(late)
    act = pop.activity * np.where((pop.ctype == UPSET) & late, UPSET_LATE_ACTIVITY, 1.0)
    cust = np.empty(n, np.int64)
    letter = src == LETTER
    cust[~letter] = rng.choice(pop.size, int((~letter).sum()), p=act / act.sum())
    writes = act * KIND_P[pop.ctype, phase, COMPLAINT]  # letter writers are complainers
    cust[letter] = rng.choice(pop.size, int(letter.sum()), p=writes / writes.sum())
    cust[(src == STORE) & (rng.random(n) < WALK_IN_SHARE)] = -1
    member = cust >= 0
    ctype = np.where(member, pop.ctype[np.maximum(cust, 0)], ORDINARY)
    lang = np.where(member, pop.lang[np.maximum(cust, 0)], _categorical(rng, LANG_WEIGHTS, n))

    day = rng.integers(0, (month.stop - month.start) // DAY, n)
    hour = np.empty(n, np.int64)
    for s, weights in HOUR_WEIGHTS.items():
        hour[src == s] = _categorical(rng, weights, int((src == s).sum()))
    t = month.start + day * DAY + np.where(letter, 0, hour * 3600 + rng.integers(0, 60, n) * 60)

    kind = _categorical_rows(rng, np.cumsum(KIND_P[ctype, phase], axis=1))
    kind[letter] = COMPLAINT

    general = _categorical(rng, TOPIC_WEIGHTS, n)
    u = rng.random(n)
    fav = pop.favourite[np.maximum(cust, 0)]
    topic = np.where(u < 0.5, fav[:, 0], np.where(u < 0.7, fav[:, 1], general))
    topic = np.where(member, topic, general)
    critic = ctype == CRITIC
    topic[critic] = rng.integers(0, len(TOPICS), int(critic.sum()))
    swap = (src == STORE) & (rng.random(n) < 0.55)
    store_topics = np.array([TOPICS.index(s) for s in STORE_TOPICS])
    topic[swap] = store_topics[_categorical(rng, STORE_TOPIC_WEIGHTS, int(swap.sum()))]

    # repeat contacts: same customer and topic, any channel, within 7 days of an earlier one
    follow = (~letter) & (rng.random(n) < FOLLOW_UP_SHARE)
    eligible = np.flatnonzero(~letter & member & ~follow)
    f = np.flatnonzero(follow) if len(eligible) else np.array([], np.int64)
    parent = eligible[rng.integers(0, max(len(eligible), 1), len(f))]
    # 1-6 days after (or, at the end of the month, before) the earlier contact, at the follow-up
    # channel's own time of day: always less than 7 days apart
    days = rng.integers(1, 7, len(f)) * DAY
    time_of_day = t[f] - _local_midnight(t[f])
    after = _local_midnight(t[parent]) + days + time_of_day
    before = _local_midnight(t[parent]) - days + time_of_day
    for a in (cust, ctype, lang, topic):
        a[f] = a[parent]
    t[f] = np.clip(np.where(after < month.stop, after, before), month.start, month.stop - 60)
    kind[f] = np.where(rng.random(len(f)) < 0.75, COMPLAINT, INQUIRY)
    kind[(src == DESK) & (kind == FEEDBACK)] = INQUIRY  # the helpdesk has no feedback type
    return {
        "src": src,
        "cust": cust,
        "ctype": ctype,
        "lang": lang,
        "t": t,
        "kind": kind,
        "topic": topic,
        "follow_up": follow,
    }


def _subset(rows: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    idx = np.flatnonzero(mask)
    idx = idx[np.argsort(rows["t"][idx], kind="stable")]
    return {k: v[idx] for k, v in rows.items()}


def _resolve(
    rng: np.random.Generator, t: np.ndarray, promise: np.ndarray, kind: np.ndarray, window_stop: int
) -> tuple[np.ndarray, np.ndarray]:
    """Outcome and resolution time (-1: none) for time-stamped channels."""
    cum = np.where((kind == COMPLAINT)[:, None], _cum(OUTCOME_P_COMPLAINT), _cum(OUTCOME_P_OTHER))
    outcome = _categorical_rows(rng, cum)
    ratio = RATIO_LO[outcome] + (RATIO_HI[outcome] - RATIO_LO[outcome]) * rng.random(len(t))
    res = t + np.ceil((promise - t) * ratio / 60).astype(np.int64) * 60
    open_at_export = (outcome == UNRESOLVED) | (res >= window_stop)
    outcome[open_at_export] = UNRESOLVED
    res[open_at_export] = -1
    return outcome, res


def _ratings(
    rng: np.random.Generator, ctype: np.ndarray, late: bool, outcome: np.ndarray, kind: np.ndarray
) -> np.ndarray:
    """Latent satisfaction on 1-5 (float)."""
    phase = int(late)
    r = (
        RATING_BASE[ctype, phase]
        + RATING_WEIGHT[ctype, phase] * OUTCOME_RATING[outcome]
        + KIND_RATING[kind]
        + rng.normal(0.0, 0.6, len(ctype))
    )
    return np.clip(r, 1.0, 5.0)


def _agents(rng: np.random.Generator, source: int, phrase: np.ndarray) -> np.ndarray:
    lo, hi = AGENT_RANGES[source]
    agent = rng.integers(lo, hi + 1, len(phrase))
    bad = phrase & (rng.random(len(phrase)) < BAD_AGENT_SHARE)
    agent[bad] = np.asarray(BAD_AGENTS[source])[
        rng.integers(0, len(BAD_AGENTS[source]), int(bad.sum()))
    ]
    return agent


def _extras(rng: np.random.Generator, lang: np.ndarray, phrase_bank: Bank) -> dict[str, np.ndarray]:
    """Discouraged phrase (3%), near-miss sentence (3%) and text dirt (1.5%) picks, -1 = none."""
    n = len(lang)
    u = rng.random(n)
    phrase = np.where(u < PHRASE_RATE, phrase_bank.pick(rng, lang), -1)
    near = np.where(
        (u >= PHRASE_RATE) & (u < PHRASE_RATE + NEAR_MISS_RATE), _NEAR_MISS_BANK.pick(rng, lang), -1
    )
    zero = np.zeros(n, np.int64)
    dirt = np.where(rng.random(n) < TEXT_DIRT_RATE, _TEXT_DIRT_BANK.pick(rng, zero), -1)
    return {"phrase": phrase, "near": near, "tdirt": dirt}


def call_rows(
    rng: np.random.Generator, c: dict[str, np.ndarray], late: bool, window_stop: int
) -> dict[str, np.ndarray]:
    n = len(c["t"])
    t = c["t"]
    queue = _categorical(rng, QUEUE_P, n)
    channel = QUEUE_CHANNEL[queue]
    mode = _categorical(rng, CALLBACK_MODE_P, n)
    hours = np.where(channel == CHAT, rng.choice([1, 2, 4], n), rng.choice([2, 4, 24, 48], n))
    local_hour = (t + LOCAL_OFFSET) % DAY // 3600
    days = rng.integers(0, 3, n)
    days = np.where(local_hour >= 17, np.maximum(days, 1), days)
    end_of_day = _local_midnight(t) + (days + 1) * DAY - 1
    promise = np.select(
        [mode == 0, mode == 1], [t + _DEFAULT_PROMISE_S[channel], t + hours * 3600], end_of_day
    )
    outcome, res = _resolve(rng, t, promise, c["kind"], window_stop)
    still_promised = promise >= window_stop
    result = np.select(
        [outcome <= LATE, outcome == REOPENED, still_promised],
        [0, 3, 4],
        np.where(rng.random(n) < 0.6, 1, 2),
    )
    rating = _ratings(rng, c["ctype"], late, outcome, c["kind"])
    survey = np.clip(np.rint((rating - 1) * 2.5 + rng.normal(0, 0.7, n)), 0, 10).astype(np.int64)
    extras = _extras(rng, c["lang"], _PHRASE_NOTE_BANK)
    return {
        **c,
        **extras,
        "queue": queue,
        "mode": mode,
        "promise": promise,
        "outcome": outcome,
        "res": res,
        "result": result,
        "survey": survey,
        "has_survey": rng.random(n) < 0.30,
        "topic_blank": rng.random(n) < 0.05,
        "agent": _agents(rng, CALL, extras["phrase"] >= 0),
        "note": _NOTE_BANK.pick(rng, c["lang"], c["kind"]),
        "outcome_note": np.where(
            rng.random(n) < 0.7, _CALL_OUTCOME_BANK.pick(rng, c["lang"], outcome), -1
        ),
    }


def desk_rows(
    rng: np.random.Generator, c: dict[str, np.ndarray], late: bool, window_stop: int
) -> dict[str, np.ndarray]:
    n = len(c["t"])
    t = c["t"]
    via = _categorical(rng, VIA_P, n)
    channel = VIA_CHANNEL[via]
    sla_choice = rng.integers(0, 2, n)
    hours = np.asarray(SLA_HOURS)[via, sla_choice]
    has_sla = rng.random(n) < 0.80
    promise = np.where(has_sla, t + hours * 3600, t + _DEFAULT_PROMISE_S[channel])
    outcome, res = _resolve(rng, t, promise, c["kind"], window_stop)
    still_promised = promise >= window_stop
    status = np.select(
        [outcome <= LATE, outcome == REOPENED, still_promised],
        [0, 4, 2],
        np.where(rng.random(n) < 0.6, 1, 3),
    )
    dtype = np.array([0, 2, 4, 2, 3])[c["kind"]]  # complaint→problem, inquiry→question, ...
    dtype[(c["kind"] == COMPLAINT) & (rng.random(n) < 0.4)] = 1  # incident
    rating = _ratings(rng, c["ctype"], late, outcome, c["kind"])
    extra_tag = np.where(c["follow_up"], 2, np.where(c["ctype"] == LOYAL, 1, 0))
    extra_tag[rng.random(n) < 0.05] = 3
    extras = _extras(rng, c["lang"], _PHRASE_REPLY_BANK)
    return {
        **c,
        **extras,
        "via": via,
        "has_sla": has_sla,
        "promise": promise,
        "outcome": outcome,
        "res": res,
        "status": status,
        "dtype": dtype,
        "score": np.rint(rating).astype(np.int64),
        "has_score": rng.random(n) < 0.35,
        "extra_tag": extra_tag,
        "agent": _agents(rng, DESK, extras["phrase"] >= 0),
        "subject": _SUBJECT_BANK.pick(rng, c["lang"], c["kind"]),
        "reply": _REPLY_BANK.pick(rng, c["lang"], c["kind"]),
    }


def store_rows(
    rng: np.random.Generator,
    pop: Population,
    c: dict[str, np.ndarray],
    late: bool,
    window_stop: int,
) -> dict[str, np.ndarray]:
    n = len(c["t"])
    t = c["t"]
    promise = _local_midnight(t) + DAY - 1  # in person: the same day
    cum = np.where(
        (c["kind"] == COMPLAINT)[:, None],
        _cum(STORE_OUTCOME_P_COMPLAINT),
        _cum(STORE_OUTCOME_P_OTHER),
    )
    outcome = _categorical_rows(rng, cum)
    res = np.where(
        outcome == FAST,
        np.minimum(t + rng.integers(5, 120, n) * 60, promise),
        t + rng.integers(1, 6, n) * DAY,
    )
    open_at_export = (outcome == UNRESOLVED) | (res >= window_stop)
    outcome[open_at_export] = UNRESOLVED
    res[open_at_export] = -1
    purpose = np.array([0, 1, 2, 1, 3])[c["kind"]]
    purpose[(c["kind"] == REQUEST) & (rng.random(n) < 0.5)] = 4  # pickup
    member = c["cust"] >= 0
    store = np.where(
        member & (rng.random(n) < 0.8),
        pop.store[np.maximum(c["cust"], 0)],
        _categorical(rng, STORE_P, n),
    )
    rating = _ratings(rng, c["ctype"], late, outcome, c["kind"])
    extras = _extras(rng, c["lang"], _PHRASE_REMARK_BANK)
    return {
        **c,
        **extras,
        "promise": promise,
        "outcome": outcome,
        "res": res,
        "purpose": purpose,
        "store": store,
        "smiley": np.rint(rating).astype(np.int64),
        "has_smiley": rng.random(n) < 0.40,
        "agent": _agents(rng, STORE, extras["phrase"] >= 0),
        "remark": _REMARK_BANK.pick(rng, c["lang"], c["kind"]),
        "outcome_remark": np.where(
            rng.random(n) < 0.7, _STORE_OUTCOME_BANK.pick(rng, c["lang"], outcome), -1
        ),
    }


def letter_rows(
    rng: np.random.Generator, c: dict[str, np.ndarray], window_stop: int
) -> dict[str, np.ndarray]:
    n = len(c["t"])
    t = c["t"]  # local midnight of the day received
    promise = t + 15 * DAY - 1  # reply due 14 days after receipt, end of that day
    outcome = _categorical(rng, LETTER_OUTCOME_P, n)
    reply_days = np.zeros(n, np.int64)
    for o, (lo, hi) in LETTER_REPLY_DAYS.items():
        sel = outcome == o
        reply_days[sel] = rng.integers(lo, hi + 1, int(sel.sum()))
    res = np.where(outcome == UNRESOLVED, -1, t + reply_days * DAY)
    open_at_export = res >= window_stop
    outcome[open_at_export] = UNRESOLVED
    res[open_at_export] = -1
    resolved = outcome != UNRESOLVED
    meeting = resolved & (rng.random(n) < 0.8)  # the reply usually comes with a meeting
    verdict = np.where(
        resolved,
        np.where(rng.random(n) < 0.75, 0, 1),
        np.where(promise >= window_stop, 2, np.where(rng.random(n) < 0.4, 3, 4)),
    )
    zero = np.zeros(n, np.int64)
    u = rng.random(n)
    return {
        **c,
        "promise": promise,
        "outcome": outcome,
        "res": res,
        "meeting": meeting,
        "verdict": verdict,
        "agent": _agents(rng, LETTER, u < PHRASE_RATE),
        "subject": _LETTER_SUBJECT_BANK.pick(rng, zero),
        "summary": _LETTER_SUMMARY_BANK.pick(rng, zero),
        "phrase": np.where(u < PHRASE_RATE, _LETTER_PHRASE_BANK.pick(rng, zero), -1),
        "tdirt": np.where(rng.random(n) < 0.05, _LETTER_DIRT_BANK.pick(rng, zero), -1),
    }


# --- orders and surveys -----------------------------------------------------------------------


@dataclass(frozen=True)
class Events:
    """Complaints by known customers, sorted by (customer, time), with their order effect."""

    cust: np.ndarray
    t: np.ndarray
    effect: np.ndarray


def complaint_events(parts: Sequence[dict[str, np.ndarray]]) -> Events:
    cust = np.concatenate([p["cust"] for p in parts])
    t = np.concatenate([p["t"] for p in parts])
    outcome = np.concatenate([p["outcome"] for p in parts])
    kind = np.concatenate([p["kind"] for p in parts])
    keep = (kind == COMPLAINT) & (cust >= 0)
    cust, t, outcome = cust[keep], t[keep], outcome[keep]
    order = np.lexsort((t, cust))
    return Events(cust[order], t[order], ORDER_EFFECT[outcome[order]])


def month_orders(
    rng: np.random.Generator,
    pop: Population,
    month: Month,
    state: np.ndarray,
    events: Events | None,
) -> dict[str, np.ndarray]:
    """Orders placed in the month: base rate x effect of the latest complaint (by thinning)."""
    top = ORDER_EFFECT.max()
    lam = pop.order_rate * (month.stop - month.start) / (30 * DAY) * top
    cust = np.repeat(np.arange(pop.size), rng.poisson(lam))
    t = month.start + rng.integers(0, month.stop - month.start, len(cust))
    effect = state[cust]
    if events is not None and len(events.cust):
        span = np.int64(1) << 40
        ev_key = events.cust * span + (events.t - month.start)
        j = np.searchsorted(ev_key, cust * span + (t - month.start), side="right") - 1
        hit = (j >= 0) & (events.cust[np.maximum(j, 0)] == cust)
        effect = np.where(hit, events.effect[np.maximum(j, 0)], effect)
    keep = rng.random(len(cust)) * top < effect
    cust, t = cust[keep], t[keep]
    order = np.argsort(t, kind="stable")
    cents = np.maximum(np.rint(rng.lognormal(4.4, 0.7, len(t)) * 100), 500).astype(np.int64)
    return {"cust": cust[order], "t": t[order], "cents": cents}


def state_after(state: np.ndarray, events: Events) -> np.ndarray:
    """Each customer's order effect after the month: that of their latest complaint."""
    if len(events.cust) == 0:
        return state
    last = np.append(events.cust[1:] != events.cust[:-1], True)
    out = state.copy()
    out[events.cust[last]] = events.effect[last]
    return out


def month_surveys(
    rng: np.random.Generator,
    pop: Population,
    month: Month,
    orders: dict[str, np.ndarray],
    respondents: int,
    late: bool,
) -> dict[str, np.ndarray]:
    """Post-purchase survey answers (0-10 per topic, -1 = not answered), after an order."""
    n = respondents if len(orders["cust"]) else 0
    pick = rng.choice(len(orders["cust"]), n, replace=n > len(orders["cust"]))
    cust = orders["cust"][pick]
    t = orders["t"][pick] // 60 * 60 + rng.integers(60, 5 * 1440, n) * 60
    t = np.minimum(t, month.stop - 60)
    answered = rng.random((n, 4)) < SURVEY_ANSWER_P
    none = ~answered.any(axis=1)
    answered[np.flatnonzero(none), rng.integers(0, 4, int(none.sum()))] = True
    latent = (
        SURVEY_BASE[pop.ctype[cust], int(late)][:, None]
        + SURVEY_TOPIC_OFFSET[None, :]
        + rng.normal(0.0, 0.9, (n, 4))
    )
    score = np.clip(np.rint((latent - 1) * 2.5), 0, 10).astype(np.int64)
    score[~answered] = -1
    order = np.argsort(t, kind="stable")
    return {
        "cust": cust[order],
        "t": t[order],
        "score": score[order],
        "utc": (rng.random(n) < 0.4)[order],
        "na": (rng.random((n, 4)) < 0.03)[order],
    }
