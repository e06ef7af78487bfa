"""The generator's settings: calendar, the vocabulary every source shares, the hidden truth
(customer types, kind and outcome probabilities, rating model, order effects), each source's
export codes, agent ranges and hours of the day."""

from __future__ import annotations

from datetime import date

import numpy as np

from pipeline.vocabulary import INTERACTION_KINDS, LEXICON_LANGUAGES

# --- calendar --------------------------------------------------------------------------------

LOCAL_OFFSET = 8 * 3600  # Asia/Kuala_Lumpur: UTC+08:00 all year (no DST since 1982)
DAY = 86_400
DEFAULT_END = date(2026, 10, 31)
ORDER_HISTORY_MONTHS = 6  # order files before the interaction window (the customers' history)
_EPOCH = date(1970, 1, 1)

# --- vocabulary shared by every source -----------------------------------------------------

TOPICS = (
    "delivery",
    "packaging",
    "product_quality",
    "billing",
    "refund",
    "website",
    "checkout",
    "store_staff",
    "store_queue",
    "opening_hours",
    "account",
    "promotion",
    "warranty",
)
TOPIC_WEIGHTS = (0.18, 0.05, 0.10, 0.09, 0.09, 0.08, 0.07, 0.07, 0.05, 0.03, 0.07, 0.06, 0.06)
STORE_TOPICS = (
    "store_staff",
    "store_queue",
    "opening_hours",
    "refund",
    "product_quality",
    "warranty",
)
STORE_TOPIC_WEIGHTS = (0.30, 0.25, 0.10, 0.15, 0.10, 0.10)
SURVEY_TOPICS = ("delivery", "checkout", "website", "packaging")
SURVEY_COLUMNS = ("Q_Delivery", "Q_Checkout", "Q_Website", "Q_Packaging")

# the domain's kinds and languages (pipeline.vocabulary), in the order the draws index them
KINDS = INTERACTION_KINDS
COMPLAINT, INQUIRY, COMPLIMENT, FEEDBACK, REQUEST = (KINDS.index(k) for k in (
    "complaint", "inquiry", "compliment", "feedback", "request"))
LANGS = LEXICON_LANGUAGES
LANG_WEIGHTS = (0.35, 0.35, 0.15, 0.15)

TYPES = ("active_hater", "extreme_critic", "once_loyal_now_upset", "loyal_happy", "ordinary")
HATER, CRITIC, UPSET, LOYAL, ORDINARY = range(5)
TYPE_SHARES = (0.02, 0.05, 0.08, 0.60, 0.25)
TYPE_ACTIVITY = np.array([4.0, 3.0, 1.2, 0.8, 1.0])  # contacts relative to an ordinary customer
UPSET_LATE_ACTIVITY = 2.5  # once-loyal customers contact more once they are upset
# P(kind) per type, for the early months and for the last 2-3 months of the window.
KIND_P = np.array(
    [
        [[0.75, 0.08, 0.00, 0.12, 0.05], [0.75, 0.08, 0.00, 0.12, 0.05]],
        [[0.70, 0.10, 0.02, 0.12, 0.06], [0.70, 0.10, 0.02, 0.12, 0.06]],
        [[0.08, 0.35, 0.25, 0.15, 0.17], [0.70, 0.12, 0.00, 0.12, 0.06]],
        [[0.15, 0.38, 0.17, 0.12, 0.18], [0.15, 0.38, 0.17, 0.12, 0.18]],
        [[0.36, 0.30, 0.06, 0.10, 0.18], [0.36, 0.30, 0.06, 0.10, 0.18]],
    ]
)

OUTCOMES = ("fast", "kept", "late", "reopened", "unresolved")
FAST, KEPT, LATE, REOPENED, UNRESOLVED = range(5)
FAST_SHARE_OF_PROMISE = 0.5  # "well inside the promise": resolved within half the promised time
ORDER_EFFECT = np.array([1.4, 1.1, 0.7, 0.7, 0.4])  # order-rate multiplier after a complaint
# resolution time as a share of the promised time, per outcome (reopened: the first close)
RATIO_LO = np.array([0.05, 0.55, 1.10, 0.10, 0.0])
RATIO_HI = np.array([0.45, 0.95, 3.00, 0.80, 0.0])
OUTCOME_P_COMPLAINT = (0.33, 0.25, 0.20, 0.05, 0.17)
OUTCOME_P_OTHER = (0.55, 0.25, 0.08, 0.02, 0.10)
STORE_OUTCOME_P_COMPLAINT = (0.60, 0.0, 0.20, 0.0, 0.20)  # in person: same day, later, never
STORE_OUTCOME_P_OTHER = (0.85, 0.0, 0.08, 0.0, 0.07)
LETTER_OUTCOME_P = (0.30, 0.35, 0.20, 0.0, 0.15)
LETTER_REPLY_DAYS = {FAST: (1, 6), KEPT: (8, 14), LATE: (15, 45)}  # reply due after 14 days

# latent rating (1-5) = base + weight * outcome effect + kind effect + noise
RATING_BASE = np.array([[1.5, 1.5], [2.7, 2.7], [4.5, 2.0], [4.4, 4.4], [3.4, 3.4]])
RATING_WEIGHT = np.array([[0.15, 0.15], [0.9, 0.9], [0.4, 0.5], [0.6, 0.6], [0.9, 0.9]])
OUTCOME_RATING = np.array([0.9, 0.3, -0.9, -1.2, -1.6])
KIND_RATING = np.array([-0.4, 0.0, 1.0, 0.0, 0.0])
SURVEY_BASE = np.array([[1.8, 1.8], [3.0, 3.0], [4.4, 2.2], [4.3, 4.3], [3.6, 3.6]])
SURVEY_TOPIC_OFFSET = np.array([-0.3, 0.2, 0.1, 0.0])

CHANNELS = ("phone", "sms", "chat", "email", "web")
PHONE, SMS, CHAT, EMAIL, WEB = range(5)
DEFAULT_PROMISE_HOURS = {"phone": 24, "sms": 24, "chat": 8, "email": 48, "web": 48}
_DEFAULT_PROMISE_S = np.array([DEFAULT_PROMISE_HOURS[c] * 3600 for c in CHANNELS])

SOURCE_SHARES = {
    "callcentre": 0.45,
    "helpdesk": 0.35,
    "stores": 0.12,
    "letters": 0.02,
    "surveys": 0.06,
}
CALL, DESK, STORE, LETTER = range(4)
FOLLOW_UP_SHARE = 0.08  # repeat contacts on the same topic within 7 days
WALK_IN_SHARE = 0.20  # store visits without a member number
DIRT_RATE = 0.01
PHRASE_RATE = 0.03
NEAR_MISS_RATE = 0.03
TEXT_DIRT_RATE = 0.015
SURVEY_ANSWER_P = 0.65
_CELLS_PER_RESPONDENT = 4 * SURVEY_ANSWER_P + (1 - SURVEY_ANSWER_P) ** 4

# call centre export codes
QUEUES = ("TEL", "SMS", "VM", "WA")
QUEUE_P = (0.70, 0.10, 0.05, 0.15)
QUEUE_CHANNEL = np.array([PHONE, SMS, PHONE, CHAT])
REASONS = ("CMP", "INQ", "CPL", "FBK", "REQ")
CALL_RESULTS = ("SOLVED", "OPEN", "ESC", "REOPEN", "WIP")
CALLBACK_MODE_P = (0.55, 0.30, 0.15)  # no promise shown, date and time, date only
# helpdesk export codes
VIAS = ("email", "chat", "sms", "web_form")
VIA_P = (0.50, 0.25, 0.05, 0.20)
VIA_CHANNEL = np.array([EMAIL, CHAT, SMS, WEB])
SLA_HOURS = ((24, 48), (1, 4), (4, 24), (24, 48))  # per via
DESK_STATUSES = ("solved", "open", "pending", "hold", "reopened")
DESK_TYPES = ("problem", "incident", "question", "task", "praise")
DESK_EXTRA_TAGS = ("", ', "vip"', ', "repeat_contact"', ', "social_media"')
# store export codes
STORES = ("KL01", "KL02", "KL03", "PJ01", "SA01", "JB01", "PG01", "IP01", "KK01", "ML01")
STORE_P = (0.18, 0.12, 0.08, 0.12, 0.08, 0.12, 0.12, 0.06, 0.06, 0.06)
PURPOSES = ("Complaint", "Enquiry", "Compliment", "Return", "Pickup")
# letters register
LETTER_CATEGORIES = {
    "delivery": "Delivery",
    "packaging": "Packaging",
    "product_quality": "Product quality",
    "billing": "Billing / invoice",
    "refund": "Refunds & returns",
    "website": "Website / app",
    "checkout": "Checkout & payment",
    "store_staff": "Store staff",
    "store_queue": "Store queue",
    "opening_hours": "Opening hours",
    "account": "Account / login",
    "promotion": "Promotion",
    "warranty": "Warranty",
}
LETTER_HEADER_LINES = (
    "Customer Relations - Letter Register {year}",
    "Exported by LetterReg 4.2 (user: cr_admin) on {exported}",
    "",
)

# agent ids: A0001-A0180 call centre, A0151-A0260 helpdesk (30 work both), A0261-A0360 store
# staff, A0361-A0375 letter handlers. A few agents account for most discouraged phrases.
AGENT_RANGES = {CALL: (1, 180), DESK: (151, 260), STORE: (261, 360), LETTER: (361, 375)}
BAD_AGENTS = {
    CALL: (7, 33, 89, 121, 170),
    DESK: (166, 201, 244),
    STORE: (277, 302, 349),
    LETTER: (366,),
}
BAD_AGENT_SHARE = 0.6

HOUR_WEIGHTS = {
    CALL: [0] * 8 + [2, 4, 6, 7, 6, 5, 5, 5, 5, 4, 4, 3, 2, 2] + [0, 0],
    DESK: [1, 1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 6, 6, 6, 6, 5, 5, 5, 5, 4, 3, 2, 1],
    STORE: [0] * 10 + [3, 4, 5, 6, 5, 5, 5, 6, 6, 5, 4, 2] + [0, 0],
    LETTER: [1] * 24,
}
