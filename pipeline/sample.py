"""Deterministic sample exports: what six source systems would hand the pipeline.

`python -m pipeline.sample --out data/sample` writes, per calendar month (local time), the files a
call-centre system, a helpdesk, the store tills, the letters register, a survey tool and the order
system export, then an empty `.complete` marker. Same arguments, same bytes: one
`numpy.random.default_rng(seed)` drives everything and nothing reads the clock.

Each month is generated with numpy in one go and streamed to disk (every file is written under a
temporary name and renamed), so memory is bounded by one month and 10 million interactions take
minutes.

The hidden truth the analysis should recover:
- customer types: 2% active haters (complain again and again, rate low even when the promise was
  kept fast), 5% extreme critics (complain often, about many different topics), 8% once loyal now
  upset (happy contacts early, complaints and low ratings in the last 2-3 months), 60% loyal and
  happy, the rest ordinary;
- every interaction has a promise (channel standard when the export shows none: see
  `DEFAULT_PROMISE_HOURS`) and an outcome: resolved well inside the promise (at most half of it),
  inside it, late, reopened, or unresolved at export time;
- orders: each customer has a base order rate; from a complaint on, the rate is multiplied by
  `ORDER_EFFECT` of that complaint's outcome (the latest complaint wins): fast x1.4, kept x1.1,
  late or reopened x0.7, unresolved x0.4; customers who never complained stay at x1.0.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

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

KINDS = ("complaint", "inquiry", "compliment", "feedback", "request")
COMPLAINT, INQUIRY, COMPLIMENT, FEEDBACK, REQUEST = range(5)
LANGS = ("en", "ms", "id", "nl")
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

# --- what staff must not say (the scoring lexicon looks for exactly these) -----------------

DISCOURAGED_PHRASES = {
    "en": (
        "I don't know",
        "I don't care",
        "I can't be bothered",
        "we don't like your kind here",
        "you know nothing",
        "don't come back",
        "I'm right and you're wrong",
        "hurry up",
        "just wait",
    ),
    "ms": (
        "saya tak tahu",
        "saya tak peduli",
        "malas saya nak layan",
        "kami tak suka orang macam awak",
        "awak tak tahu apa-apa",
        "jangan datang lagi",
        "saya betul, awak salah",
        "cepat sikit",
        "tunggu je",
    ),
    "id": (
        "saya tidak tahu",
        "saya tidak peduli",
        "saya malas mengurus",
        "kami tidak suka orang seperti anda",
        "anda tidak tahu apa-apa",
        "jangan datang lagi",
        "saya benar dan anda salah",
        "cepat sedikit",
        "tunggu saja",
    ),
    "nl": (
        "ik weet het niet",
        "het kan me niet schelen",
        "ik heb er geen zin in",
        "wij houden niet van uw soort",
        "u weet er niets van",
        "kom maar niet meer terug",
        "ik heb gelijk en u niet",
        "schiet op",
        "wacht maar",
    ),
}

# Benign sentences that share words with the phrases and must NOT match them (whole words).
NEAR_MISSES = {
    "en": (
        "Checked the knowledge base before answering.",
        "Customer is on the waiting list for the new model.",
        "Sender unknown, parcel sent back to the Dontknowville depot.",
        "Customer had to hurry upstairs to the pickup counter.",
        "Customer said she just waited ten minutes, which was fine.",
        "We care about every order, told the customer so.",
    ),
    "ms": (
        "Semak pangkalan pengetahuan dahulu.",
        "Pelanggan dalam senarai menunggu.",
        "Sila tunggu jemputan melalui SMS.",
        "Saya tahu prosesnya, sudah diterangkan.",
        "Alamat tidak diketahui, bungkusan dipulangkan.",
    ),
    "id": (
        "Cek basis pengetahuan dulu.",
        "Pelanggan masuk daftar tunggu.",
        "Alamat tidak diketahui, paket kembali ke gudang.",
        "Pelanggan tunggu sajian di kafe toko.",
        "Saya tahu prosesnya, sudah dijelaskan.",
    ),
    "nl": (
        "Kennisbank geraadpleegd.",
        "Klant staat op de wachtlijst.",
        "Adres onbekend, pakket terug naar Dontknowville.",
        "Bezorging schiet opvallend tekort volgens klant.",
        "Klant zegt: ik weet het nu wel, dank u.",
    ),
}

# --- free text ------------------------------------------------------------------------------

TOPIC_WORDS = {
    "en": (
        "the delivery",
        "the packaging",
        "product quality",
        "the bill",
        "a refund",
        "the website",
        "checkout",
        "store staff",
        "the queue in store",
        "opening hours",
        "account login",
        "a promotion",
        "the warranty",
    ),
    "ms": (
        "penghantaran",
        "pembungkusan",
        "kualiti produk",
        "bil",
        "bayaran balik",
        "laman web",
        "proses pembayaran",
        "kakitangan kedai",
        "barisan di kedai",
        "waktu operasi",
        "log masuk akaun",
        "promosi",
        "waranti",
    ),
    "id": (
        "pengiriman",
        "kemasan",
        "kualitas produk",
        "tagihan",
        "pengembalian dana",
        "situs web",
        "pembayaran",
        "staf toko",
        "antrean di toko",
        "jam buka",
        "login akun",
        "promo",
        "garansi",
    ),
    "nl": (
        "de bezorging",
        "de verpakking",
        "de productkwaliteit",
        "de factuur",
        "een terugbetaling",
        "de website",
        "het afrekenen",
        "het winkelpersoneel",
        "de wachtrij in de winkel",
        "de openingstijden",
        "het inloggen op het account",
        "een actie",
        "de garantie",
    ),
}

CALL_NOTES = {  # agent notes: lang -> kind -> templates ({t}: topic words)
    "en": (
        (
            "Customer complained about {t}, very upset.",
            "Caller unhappy with {t}; wants this fixed today.",
            "Complaint re {t}. Customer mentions this for the third time.",
            "Cust angry about {t}, asked for a supervisor.",
        ),
        (
            "Customer asked about {t}.",
            "Question regarding {t}, explained the process.",
            "Caller wanted information on {t}; sent a link by SMS.",
        ),
        (
            "Customer thanked us for {t}, very happy.",
            "Compliment about {t}, asked to pass on thanks to the team.",
        ),
        ("Customer gave feedback on {t}.", "Suggestion about {t}, logged for the product team."),
        ("Customer requested help with {t}.", "Request related to {t}; form submitted."),
    ),
    "ms": (
        (
            "Pelanggan mengadu tentang {t}, sangat kecewa.",
            "Pemanggil tidak puas hati dengan {t}; mahu diselesaikan hari ini.",
            "Aduan berkenaan {t}. Kali ketiga pelanggan sebut perkara ini.",
        ),
        ("Pelanggan bertanya tentang {t}.", "Soalan berkenaan {t}, sudah terangkan prosesnya."),
        (
            "Pelanggan berterima kasih atas {t}, sangat gembira.",
            "Pujian untuk {t}, minta sampaikan terima kasih kepada pasukan.",
        ),
        (
            "Pelanggan beri maklum balas tentang {t}.",
            "Cadangan berkenaan {t}, direkodkan untuk pasukan produk.",
        ),
        (
            "Pelanggan minta bantuan berkenaan {t}.",
            "Permintaan berkaitan {t}; borang telah dihantar.",
        ),
    ),
    "id": (
        (
            "Pelanggan mengeluh soal {t}, sangat kecewa.",
            "Penelepon tidak puas dengan {t}; minta diselesaikan hari ini.",
            "Keluhan terkait {t}. Sudah ketiga kalinya pelanggan menyebut hal ini.",
        ),
        ("Pelanggan bertanya tentang {t}.", "Pertanyaan mengenai {t}, sudah dijelaskan prosesnya."),
        (
            "Pelanggan berterima kasih atas {t}, sangat senang.",
            "Pujian untuk {t}, minta disampaikan ke tim.",
        ),
        ("Pelanggan memberi masukan tentang {t}.", "Saran terkait {t}, dicatat untuk tim produk."),
        ("Pelanggan minta bantuan terkait {t}.", "Permintaan terkait {t}; formulir sudah dikirim."),
    ),
    "nl": (
        (
            "Klant klaagt over {t}, erg ontevreden.",
            "Beller ontevreden over {t}; wil het vandaag opgelost hebben.",
            "Klacht over {t}. Klant meldt dit voor de derde keer.",
        ),
        ("Klant had een vraag over {t}.", "Vraag over {t}, werkwijze uitgelegd."),
        (
            "Klant bedankt ons voor {t}, erg blij.",
            "Compliment over {t}, vraagt het team te bedanken.",
        ),
        ("Klant gaf feedback over {t}.", "Suggestie over {t}, doorgezet naar het productteam."),
        ("Klant vraagt hulp bij {t}.", "Verzoek over {t}; formulier ingediend."),
    ),
}

CALL_OUTCOME_NOTES = {  # lang -> outcome -> sentences
    "en": (
        ("Solved on the call.", "Fixed right away, customer satisfied."),
        ("Resolved within the promised time.",),
        ("Resolved, but later than promised.",),
        ("Issue came back, case reopened.",),
        ("Still open, waiting for the warehouse.", "Escalated to second line."),
    ),
    "ms": (
        ("Selesai semasa panggilan.",),
        ("Diselesaikan dalam masa yang dijanjikan.",),
        ("Selesai tetapi lewat daripada janji.",),
        ("Masalah berulang, kes dibuka semula.",),
        ("Masih belum selesai, menunggu gudang.",),
    ),
    "id": (
        ("Selesai saat panggilan.",),
        ("Diselesaikan sesuai waktu yang dijanjikan.",),
        ("Selesai, tetapi terlambat dari janji.",),
        ("Masalah muncul lagi, kasus dibuka kembali.",),
        ("Belum selesai, menunggu gudang.",),
    ),
    "nl": (
        ("Direct opgelost tijdens het gesprek.",),
        ("Opgelost binnen de beloofde tijd.",),
        ("Opgelost, maar later dan beloofd.",),
        ("Probleem kwam terug, zaak heropend.",),
        ("Nog open, wachten op het magazijn.",),
    ),
}

PHRASE_NOTES = {  # a colleague's or the customer's report of what was said ({p}: the phrase)
    "en": (
        'Customer asked a follow-up question, agent said "{p}" and ended the call.',
        "Recording review: agent told the customer {p}.",
        "Customer reports staff said '{p}' when asked for help.",
    ),
    "ms": (
        'Pelanggan tanya lagi, ejen jawab "{p}" lalu tamatkan panggilan.',
        "Semakan rakaman: ejen beritahu pelanggan {p}.",
        "Pelanggan kata staf cakap '{p}' bila minta bantuan.",
    ),
    "id": (
        'Pelanggan bertanya lagi, agen menjawab "{p}" lalu menutup telepon.',
        "Tinjauan rekaman: agen bilang ke pelanggan {p}.",
        "Pelanggan bilang staf berkata '{p}' saat minta bantuan.",
    ),
    "nl": (
        'Klant stelde nog een vraag, medewerker zei "{p}" en hing op.',
        "Controle opname: medewerker zei tegen de klant {p}.",
        "Klant meldt dat personeel '{p}' zei toen om hulp werd gevraagd.",
    ),
}

DESK_SUBJECTS = {  # customer-written subject lines: lang -> kind -> templates
    "en": (
        ("Problem with {t}", "Complaint: {t}", "Still no answer about {t}"),
        ("Question about {t}",),
        ("Thank you - {t}",),
        ("Feedback on {t}",),
        ("Request: {t}",),
    ),
    "ms": (
        ("Masalah dengan {t}", "Aduan: {t}"),
        ("Soalan tentang {t}",),
        ("Terima kasih - {t}",),
        ("Maklum balas: {t}",),
        ("Permintaan: {t}",),
    ),
    "id": (
        ("Masalah dengan {t}", "Keluhan: {t}"),
        ("Pertanyaan tentang {t}",),
        ("Terima kasih - {t}",),
        ("Masukan: {t}",),
        ("Permintaan: {t}",),
    ),
    "nl": (
        ("Probleem met {t}", "Klacht: {t}"),
        ("Vraag over {t}",),
        ("Bedankt - {t}",),
        ("Feedback over {t}",),
        ("Verzoek: {t}",),
    ),
}

DESK_REPLIES = {  # the agent's public reply: lang -> kind -> templates
    "en": (
        (
            "Hi, sorry for the trouble with {t}. We are looking into it.",
            "Thank you for reporting the issue with {t}; a colleague will contact you.",
        ),
        (
            "Hi, thanks for your question about {t}. Please see our help page.",
            "Thanks for asking about {t}; here is the information you need.",
        ),
        ("Thank you for the kind words about {t}!",),
        ("Thanks for your feedback on {t}, we shared it with the team.",),
        ("We have received your request about {t} and will process it.",),
    ),
    "ms": (
        (
            "Hai, maaf atas masalah dengan {t}. Kami sedang menyemaknya.",
            "Terima kasih kerana melaporkan masalah {t}; rakan sekerja akan menghubungi anda.",
        ),
        ("Hai, terima kasih atas soalan tentang {t}. Sila lihat halaman bantuan kami.",),
        ("Terima kasih atas kata-kata baik tentang {t}!",),
        ("Terima kasih atas maklum balas tentang {t}, kami sudah kongsi dengan pasukan.",),
        ("Permintaan anda tentang {t} telah diterima dan akan diproses.",),
    ),
    "id": (
        (
            "Halo, mohon maaf atas masalah dengan {t}. Kami sedang memeriksanya.",
            "Terima kasih telah melaporkan masalah {t}; rekan kami akan menghubungi Anda.",
        ),
        ("Halo, terima kasih atas pertanyaan tentang {t}. Silakan lihat halaman bantuan kami.",),
        ("Terima kasih atas pujian tentang {t}!",),
        ("Terima kasih atas masukan tentang {t}, sudah kami teruskan ke tim.",),
        ("Permintaan Anda tentang {t} sudah kami terima dan akan diproses.",),
    ),
    "nl": (
        (
            "Hallo, excuses voor het probleem met {t}. We zoeken het uit.",
            "Bedankt voor uw melding over {t}; een collega neemt contact met u op.",
        ),
        ("Hallo, bedankt voor uw vraag over {t}. Zie onze helppagina.",),
        ("Dank u voor de vriendelijke woorden over {t}!",),
        ("Bedankt voor uw feedback over {t}, we hebben het gedeeld met het team.",),
        ("We hebben uw verzoek over {t} ontvangen en gaan ermee aan de slag.",),
    ),
}

PHRASE_REPLIES = {  # the agent writes the phrase in the reply
    "en": ("Honestly, {p}.", "Regarding your question: {p}."),
    "ms": ("Terus terang, {p}.", "Tentang soalan anda: {p}."),
    "id": ("Terus terang, {p}.", "Soal pertanyaan Anda: {p}."),
    "nl": ("Eerlijk gezegd: {p}.", "Over uw vraag: {p}."),
}

STORE_REMARKS = {  # staff notes at the counter: lang -> kind -> templates
    "en": (
        (
            "Customer at the counter upset about {t}.",
            "Complaint at the counter regarding {t}, manager informed.",
        ),
        ("Walk-in asked about {t}.",),
        ("Customer praised {t}, said thanks to the team.",),
        ("Customer shared feedback on {t}.",),
        (
            "Return/pickup handled, related to {t}.",
            "Customer came to collect an order, mentioned {t}.",
        ),
    ),
    "ms": (
        (
            "Pelanggan di kaunter marah tentang {t}.",
            "Aduan di kaunter berkenaan {t}, pengurus dimaklumkan.",
        ),
        ("Pelanggan datang bertanya tentang {t}.",),
        ("Pelanggan memuji {t}, ucap terima kasih kepada pasukan.",),
        ("Pelanggan beri maklum balas tentang {t}.",),
        ("Pemulangan/ambil barang diuruskan, berkaitan {t}.",),
    ),
    "id": (
        (
            "Pelanggan di konter kesal soal {t}.",
            "Keluhan di konter terkait {t}, manajer sudah diberi tahu.",
        ),
        ("Pelanggan datang menanyakan {t}.",),
        ("Pelanggan memuji {t}, berterima kasih ke tim.",),
        ("Pelanggan memberi masukan tentang {t}.",),
        ("Retur/pengambilan barang dilayani, terkait {t}.",),
    ),
    "nl": (
        (
            "Klant aan de balie boos over {t}.",
            "Klacht aan de balie over {t}, bedrijfsleider ingelicht.",
        ),
        ("Klant kwam langs met een vraag over {t}.",),
        ("Klant prees {t} en bedankte het team.",),
        ("Klant gaf feedback over {t}.",),
        ("Retour/afhaling afgehandeld, gaat over {t}.",),
    ),
}

STORE_OUTCOME_REMARKS = {  # lang -> (same day, later, not resolved); kept/reopened not used
    "en": (
        "Sorted out on the spot.",
        "Follow-up needed, resolved later.",
        "Not resolved, customer left unhappy.",
    ),
    "ms": (
        "Diselesaikan di situ juga.",
        "Perlu susulan, diselesaikan kemudian.",
        "Tidak selesai, pelanggan pulang tidak puas hati.",
    ),
    "id": (
        "Langsung diselesaikan di tempat.",
        "Perlu tindak lanjut, diselesaikan kemudian.",
        "Tidak selesai, pelanggan pulang kecewa.",
    ),
    "nl": (
        "Ter plekke opgelost.",
        "Opvolging nodig, later opgelost.",
        "Niet opgelost, klant vertrok ontevreden.",
    ),
}

PHRASE_REMARKS = {
    "en": (
        "Customer complained that staff said '{p}' at the counter.",
        "Supervisor note: staff told the customer {p}.",
    ),
    "ms": (
        "Pelanggan mengadu staf cakap '{p}' di kaunter.",
        "Nota penyelia: staf beritahu pelanggan {p}.",
    ),
    "id": (
        "Pelanggan mengeluh staf bilang '{p}' di konter.",
        "Catatan supervisor: staf bilang ke pelanggan {p}.",
    ),
    "nl": (
        "Klant klaagt dat personeel '{p}' zei aan de balie.",
        "Notitie leidinggevende: medewerker zei tegen de klant {p}.",
    ),
}

TEXT_DIRT = (  # appended to UTF-8 free text: markup, entities, non-ASCII, quotes, newlines
    "<b>URGENT</b>",
    "<script>alert(1)</script>",
    "Ref: Smith &amp; Sons",
    "Café au lait spilled, über-annoyed 😡",
    "客户说快递太慢了。",
    'She said "never again" twice.',
    "\nSecond line of the note: customer called back.",
    'Size 5" box, 10% off; see ticket',
    "✓ done 👍",
    "naïve façade, Zoë — ok",
)

LETTER_SUBJECTS = (
    "Formal complaint regarding {t}",
    "Complaint: {t} - request for a meeting",
    "Letter of complaint about {t}",
)
LETTER_SUMMARIES = (
    "{name} writes that {t} was unacceptable and requests a meeting.",
    "Letter from {name} about {t}; includes copies of receipts, asks for compensation.",
    '{name} complains about {t}, third letter on this matter, "very disappointed".',
    "{name} schrijft dat {t} onacceptabel was en vraagt om een gesprek.",
    "{name} menulis bahawa {t} tidak boleh diterima dan meminta pertemuan.",
)
LETTER_NAMES = (
    "Mme Hélène Dubois",
    "Herr Jürgen Weiß",
    "Ms Zoë Müller",
    "Mr José Peña",
    "Mme Françoise Lefèvre",
    "Mr Søren Østergaard",
    "Encik Ahmad bin Abdullah",
    "Puan Siti Aminah",
    "Mr Björn Ångström",
    "Mevr. Anneke Brouwer",
)
LETTER_PHRASES = (
    "{name} states that the clerk said '{p}' at the counter.",
    '{name} quotes the agent on the phone: "{p}".',
)
LETTER_DIRT = (
    "Address: Hauptstraße 5, Köln.",
    "Cost: 45,00 £ (½ refunded).",
    "Copy to: «Consumer Tribunal» ©",
    "Très déçu, señor García.",
)

# --- dirt (about 1% of rows, spread over the sources) ----------------------------------------

BAD_IDS = ("C12x", "C-0123", "c000123", "12345", "C00O123", "#N/A")
CALL_DIRT = (
    "blank_id",
    "bad_id",
    "bad_time",
    "future_time",
    "resolved_before_opened",
    "unknown_channel",
    "duplicate",
    "rating_out_of_range",
)
DESK_DIRT = (
    "blank_id",
    "bad_id",
    "nested_id",
    "bad_time",
    "future_time",
    "resolved_before_opened",
    "unknown_channel",
    "duplicate",
    "rating_out_of_range",
)
STORE_DIRT = (
    "bad_id",
    "bad_date",
    "bad_time",
    "future_time",
    "unknown_purpose",
    "duplicate",
    "rating_out_of_range",
)
LETTER_DIRT_KINDS = (
    "unknown_sender",
    "bad_time",
    "future_time",
    "resolved_before_opened",
    "duplicate",
)
SURVEY_DIRT = ("blank_id", "bad_id", "bad_time", "future_time", "duplicate", "rating_out_of_range")
ORDER_DIRT_RATE = 0.003  # duplicates and missing customer ids


# --- small helpers ----------------------------------------------------------------------------


def _cum(p: Sequence[float]) -> np.ndarray:
    c = np.cumsum(np.asarray(p, dtype=float))
    return c / c[-1]


def _categorical(rng: np.random.Generator, p: Sequence[float], n: int) -> np.ndarray:
    """n draws from one categorical distribution."""
    cum = _cum(p)
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(cum) - 1)


def _categorical_rows(rng: np.random.Generator, cum_rows: np.ndarray) -> np.ndarray:
    """One draw per row from that row's cumulative distribution (n x k)."""
    u = rng.random(len(cum_rows))
    return (u[:, None] >= cum_rows[:, :-1]).sum(axis=1)


def _local_midnight(t: np.ndarray) -> np.ndarray:
    return (t + LOCAL_OFFSET) // DAY * DAY - LOCAL_OFFSET


def _midnight_utc(d: date) -> int:
    """UTC seconds of local midnight starting day d."""
    return (d - _EPOCH).days * DAY - LOCAL_OFFSET


@dataclass(frozen=True)
class Bank:
    """Text templates grouped by key tuples, optionally expanded with one slot per topic."""

    strings: pa.Array
    start: np.ndarray
    count: np.ndarray
    per_row: int  # strings per template (one per topic when expanded by topic, else 1)

    def pick(self, rng: np.random.Generator, *keys: np.ndarray) -> np.ndarray:
        """Uniform template index within each row's group (before topic expansion)."""
        start, count = self.start[keys], self.count[keys]
        return start + (rng.random(len(start)) * count).astype(np.int64)

    def take(self, idx: np.ndarray, topic: np.ndarray | None = None) -> pa.Array:
        """The strings; idx < 0 gives null."""
        flat = idx * self.per_row + (0 if topic is None else topic)
        return pc.take(self.strings, pa.array(np.where(idx < 0, 0, flat), mask=idx < 0))


def _bank(
    groups: dict[tuple[int, ...], Sequence[str]],
    shape: tuple[int, ...],
    topic_words: dict[int, Sequence[str]] | None = None,
    lang_axis: int = 0,
) -> Bank:
    strings: list[str] = []
    start = np.zeros(shape, np.int64)
    count = np.zeros(shape, np.int64)
    n_templates = 0
    for key, templates in groups.items():
        start[key] = n_templates
        count[key] = len(templates)
        n_templates += len(templates)
        for template in templates:
            if topic_words is None:
                strings.append(template)
            else:
                strings.extend(template.format(t=w) for w in topic_words[key[lang_axis]])
    per_row = 1 if topic_words is None else len(TOPICS)
    return Bank(pa.array(strings, pa.string()), start, count, per_row)


def _by_lang_kind(
    texts: dict[str, Sequence[Sequence[str]]],
) -> dict[tuple[int, int], Sequence[str]]:
    return {
        (li, ki): texts[lang][ki]
        for li, lang in enumerate(LANGS)
        for ki in range(len(KINDS))
        if ki < len(texts[lang])
    }


def _phrase_groups(templates: dict[str, Sequence[str]]) -> dict[tuple[int], list[str]]:
    return {
        (li,): [t.format(p=p) for t in templates[lang] for p in DISCOURAGED_PHRASES[lang]]
        for li, lang in enumerate(LANGS)
    }


_TOPIC_WORDS = {li: TOPIC_WORDS[lang] for li, lang in enumerate(LANGS)}
_NOTE_BANK = _bank(_by_lang_kind(CALL_NOTES), (4, 5), _TOPIC_WORDS)
_CALL_OUTCOME_BANK = _bank(
    {(li, oi): CALL_OUTCOME_NOTES[lang][oi] for li, lang in enumerate(LANGS) for oi in range(5)},
    (4, 5),
)
_SUBJECT_BANK = _bank(_by_lang_kind(DESK_SUBJECTS), (4, 5), _TOPIC_WORDS)
_REPLY_BANK = _bank(_by_lang_kind(DESK_REPLIES), (4, 5), _TOPIC_WORDS)
_REMARK_BANK = _bank(_by_lang_kind(STORE_REMARKS), (4, 5), _TOPIC_WORDS)
_STORE_OUTCOME_BANK = _bank(
    {
        (li, oi): (STORE_OUTCOME_REMARKS[lang][j],)
        for li, lang in enumerate(LANGS)
        for oi, j in ((FAST, 0), (LATE, 1), (UNRESOLVED, 2))
    },
    (4, 5),
)
_PHRASE_NOTE_BANK = _bank(_phrase_groups(PHRASE_NOTES), (4,))
_PHRASE_REPLY_BANK = _bank(_phrase_groups(PHRASE_REPLIES), (4,))
_PHRASE_REMARK_BANK = _bank(_phrase_groups(PHRASE_REMARKS), (4,))
_NEAR_MISS_BANK = _bank({(li,): NEAR_MISSES[lang] for li, lang in enumerate(LANGS)}, (4,))
_TEXT_DIRT_BANK = _bank({(0,): TEXT_DIRT}, (1,))
_LETTER_SUBJECT_BANK = _bank({(0,): LETTER_SUBJECTS}, (1,), {0: TOPIC_WORDS["en"]})
_LETTER_SUMMARY_BANK = _bank(
    {(0,): [s.replace("{name}", name) for s in LETTER_SUMMARIES for name in LETTER_NAMES]},
    (1,),
    {0: TOPIC_WORDS["en"]},
)
_LETTER_PHRASE_BANK = _bank(
    {
        (0,): [
            t.format(name=name, p=p)
            for t in LETTER_PHRASES
            for name in LETTER_NAMES
            for p in DISCOURAGED_PHRASES["en"] + DISCOURAGED_PHRASES["ms"]
        ]
    },
    (1,),
)
_LETTER_DIRT_BANK = _bank({(0,): LETTER_DIRT}, (1,))

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


# --- the population -------------------------------------------------------------------------


@dataclass(frozen=True)
class Population:
    """One entry per customer (index i has id C{i+1:06d})."""

    ctype: np.ndarray
    lang: np.ndarray
    activity: np.ndarray
    order_rate: np.ndarray  # orders per 30 days before any complaint
    favourite: np.ndarray  # (n, 2) topic indexes
    store: np.ndarray
    sender_no: np.ndarray  # letters register sender reference number

    @property
    def size(self) -> int:
        return len(self.ctype)


def population(rng: np.random.Generator, n: int) -> Population:
    counts = np.floor(np.asarray(TYPE_SHARES) * n).astype(np.int64)
    counts[ORDINARY] = n - counts.sum() + counts[ORDINARY]
    ctype = rng.permutation(np.repeat(np.arange(len(TYPES)), counts))
    return Population(
        ctype=ctype,
        lang=_categorical(rng, LANG_WEIGHTS, n),
        activity=rng.lognormal(0.0, 0.8, n) * TYPE_ACTIVITY[ctype],
        order_rate=rng.gamma(2.0, 0.35, n),
        favourite=_categorical(rng, TOPIC_WEIGHTS, 2 * n).reshape(n, 2),
        store=_categorical(rng, STORE_P, n),
        sender_no=rng.permutation(n) + 1,
    )


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    index: int  # 0 = first month of the interaction window; negative = order history
    start: int  # UTC seconds of local midnight on the 1st
    stop: int  # exclusive

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def calendar(end: date, months: int, history: int = ORDER_HISTORY_MONTHS) -> list[Month]:
    """The months ending with end's month (the last one stops after end), oldest first."""
    stop_day = end + timedelta(days=1)
    out = []
    for back in range(months + history - 1, -1, -1):
        y, m = divmod(end.year * 12 + end.month - 1 - back, 12)
        first = date(y, m + 1, 1)
        nxt = date(y + (m + 1) // 12, (m + 1) % 12 + 1, 1)
        out.append(
            Month(
                y, m + 1, months - 1 - back, _midnight_utc(first), _midnight_utc(min(nxt, stop_day))
            )
        )
    return out


def volume_plan(total: int, window: Sequence[Month]) -> dict[str, list[int]]:
    """Interactions per source per month, proportional to the month's length, summing exactly."""
    lengths = np.array([m.stop - m.start for m in window], float)
    cum = np.concatenate([[0.0], np.cumsum(lengths) / lengths.sum()])
    return {
        s: np.diff(np.round(total * share * cum)).astype(int).tolist()
        for s, share in SOURCE_SHARES.items()
    }


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


# --- writing (the only place that touches the file system) -----------------------------------

_OUTPUTS = {  # folder -> file patterns this generator owns there
    "callcentre": ("calls_*.csv",),
    "helpdesk": ("tickets_*.jsonl",),
    "stores": ("visits_*.csv",),
    "letters": ("register_*.csv", "senders.csv"),
    "surveys": ("survey_*.csv",),
    "orders": ("orders_*.parquet",),
}
_WRITE_ROWS = 100_000  # lines formatted and written per slice


class _Out:
    """Files written under a temporary name and renamed when complete."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.open: dict[Path, BinaryIO] = {}
        (root / ".complete").unlink(missing_ok=True)
        for folder, patterns in _OUTPUTS.items():
            (root / folder).mkdir(parents=True, exist_ok=True)
            for pattern in (*patterns, "*.tmp"):
                for stale in (root / folder).glob(pattern):
                    stale.unlink()

    def start(self, rel: str, head: bytes = b"") -> Path:
        path = self.root / rel
        handle = open(path.with_name(path.name + ".tmp"), "wb")
        handle.write(head)
        self.open[path] = handle
        return path

    def write(self, path: Path, data: bytes | memoryview) -> None:
        self.open[path].write(data)

    def finish(self, path: Path) -> None:
        self.open.pop(path).close()
        os.replace(path.with_name(path.name + ".tmp"), path)

    def parquet(self, rel: str, table: pa.Table) -> None:
        path = self.root / rel
        tmp = path.with_name(path.name + ".tmp")
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)


def _write_lines(out: _Out, path: Path, lines: pa.Array, eol: str, encoding: str = "utf-8") -> None:
    for lo in range(0, len(lines), _WRITE_ROWS):
        body = _body(lines[lo : lo + _WRITE_ROWS], eol)
        out.write(
            path, body if encoding == "utf-8" else bytes(body).decode("utf-8").encode(encoding)
        )


def _sliced(n: int) -> list[slice]:
    return [slice(lo, min(lo + _WRITE_ROWS, n)) for lo in range(0, max(n, 1), _WRITE_ROWS)]


def _take(rows: dict[str, np.ndarray], part: slice) -> dict[str, np.ndarray]:
    return {k: v[part] for k, v in rows.items()}


@dataclass(frozen=True)
class _Monthly:
    """One monthly export: where it goes, how it starts and ends lines, how rows become lines."""

    source: str
    file: str  # with {label} = YYYY-MM
    head: bytes
    eol: str
    lines: Callable[[np.random.Generator, dict[str, np.ndarray], int, int], pa.Array]


_MONTHLY = (
    _Monthly(
        "callcentre",
        "callcentre/calls_{label}.csv",
        CALL_HEADER.encode() + b"\n",
        "\n",
        callcentre_lines,
    ),
    _Monthly("helpdesk", "helpdesk/tickets_{label}.jsonl", b"", "\n", helpdesk_lines),
    _Monthly(
        "stores",
        "stores/visits_{label}.csv",
        b"\xef\xbb\xbf" + STORE_HEADER.encode() + b"\r\n",
        "\r\n",
        store_lines,
    ),
    _Monthly(
        "surveys", "surveys/survey_{label}.csv", SURVEY_HEADER.encode() + b"\n", "\n", survey_lines
    ),
)


@dataclass
class SampleSummary:
    customers: int
    months: int
    lines: dict[str, int] = field(default_factory=dict)  # data lines written per export
    survey_cells: int = 0  # answered survey questions: one interaction each
    orders: int = 0
    seconds: float = 0.0

    @property
    def interactions(self) -> int:
        return sum(n for s, n in self.lines.items() if s != "surveys") + self.survey_cells


def write_sample(
    out_dir: Path,
    *,
    customers: int | None = None,
    months: int = 12,
    interactions: int = 50_000,
    seed: int = 42,
    end: date = DEFAULT_END,
    first_id: int = 1,
) -> SampleSummary:
    """Write every sample export under out_dir, then the `.complete` marker.

    `first_id` numbers interactions and orders from there, so an increment generated later
    (the benchmark's "one new day") does not reuse the ids of the data it lands on."""
    began = time.perf_counter()
    n_customers = customers if customers is not None else default_customers(interactions)
    rng = np.random.default_rng(seed)
    pop = population(rng, n_customers)
    months_all = calendar(end, months)
    window = [m for m in months_all if m.index >= 0]
    window_stop = window[-1].stop
    late_from = months - min(3, max(1, round(months / 4)))  # "upset" in the last 2-3 months
    plan = volume_plan(interactions, window)
    out = _Out(Path(out_dir))
    summary = SampleSummary(n_customers, months, dict.fromkeys(SOURCE_SHARES, 0))
    next_id = dict.fromkeys((*SOURCE_SHARES, "orders"), first_id)
    state = np.ones(pop.size)  # each customer's current order-rate multiplier
    wrote_letter = np.zeros(pop.size, bool)
    register: Path | None = None

    for month in months_all:
        if month.index < 0:  # order history before the interaction window
            orders = month_orders(rng, pop, month, state, None)
        else:
            late = month.index >= late_from
            counts = [plan[s][month.index] for s in ("callcentre", "helpdesk", "stores", "letters")]
            contacts = month_contacts(rng, pop, month, counts, late)
            by_src = [_subset(contacts, contacts["src"] == s) for s in (CALL, DESK, STORE, LETTER)]
            rows = {
                "callcentre": call_rows(rng, by_src[CALL], late, window_stop),
                "helpdesk": desk_rows(rng, by_src[DESK], late, window_stop),
                "stores": store_rows(rng, pop, by_src[STORE], late, window_stop),
                "letters": letter_rows(rng, by_src[LETTER], window_stop),
            }
            del contacts, by_src
            events = complaint_events(list(rows.values()))
            orders = month_orders(rng, pop, month, state, events)
            state = state_after(state, events)
            respondents = round(plan["surveys"][month.index] / _CELLS_PER_RESPONDENT)
            rows["surveys"] = month_surveys(rng, pop, month, orders, respondents, late)
            summary.survey_cells += int((rows["surveys"]["score"] >= 0).sum())

            for export in _MONTHLY:
                path = out.start(export.file.format(label=month.label), export.head)
                part_rows = rows[export.source]
                for part in _sliced(len(part_rows["t"])):
                    first = next_id[export.source] + part.start
                    lines = export.lines(rng, _take(part_rows, part), first, window_stop)
                    _write_lines(out, path, lines, export.eol)
                    summary.lines[export.source] += len(lines)
                next_id[export.source] += len(part_rows["t"])
                out.finish(path)

            letters = rows["letters"]
            if register is None or register.name != f"register_{month.year}.csv":
                if register is not None:
                    out.finish(register)
                register = out.start(
                    f"letters/register_{month.year}.csv", _register_head(month, end)
                )
            lines = letter_lines(rng, letters, pop, next_id["letters"], window_stop)
            _write_lines(out, register, lines, "\n", "latin-1")
            summary.lines["letters"] += len(lines)
            next_id["letters"] += len(letters["t"])
            wrote_letter[letters["cust"]] = True
            del rows, letters, events  # free the month before the next one is generated

        table = orders_table(rng, orders, next_id["orders"])
        out.parquet(f"orders/orders_{month.label}.parquet", table)
        next_id["orders"] += len(orders["t"])
        summary.orders += table.num_rows
        del orders, table

    if register is not None:
        out.finish(register)
    path = out.start("letters/senders.csv", SENDERS_HEADER.encode() + b"\n")
    _write_lines(out, path, senders_lines(rng, pop, wrote_letter), "\n")
    out.finish(path)
    (Path(out_dir) / ".complete").write_bytes(b"")
    summary.seconds = time.perf_counter() - began
    return summary


def _register_head(month: Month, end: date) -> bytes:
    exported = (end + timedelta(days=1)).strftime("%d.%m.%Y")
    junk = "\n".join(LETTER_HEADER_LINES).format(year=month.year, exported=exported)
    return (junk + "\n" + LETTER_HEADER + "\n").encode("latin-1")


def default_customers(interactions: int) -> int:
    """About ten interactions per customer a year, at least 5,000 customers."""
    return max(5_000, round(interactions / 10))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.sample",
        description="Write the deterministic sample exports (same arguments, same bytes).",
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="folder to write (e.g. data/sample)"
    )
    parser.add_argument(
        "--customers",
        type=int,
        default=None,
        help="customers (default: max(5000, interactions / 10))",
    )
    parser.add_argument("--months", type=int, default=12, help="months of interactions (12)")
    parser.add_argument(
        "--interactions",
        type=int,
        default=50_000,
        help="interactions in total across the sources (50000)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (42)")
    parser.add_argument("--first-id", type=int, default=1,
                        help="number ids from here (for increments on top of earlier data)")
    parser.add_argument(
        "--end",
        type=date.fromisoformat,
        default=DEFAULT_END,
        help="last day of the window, YYYY-MM-DD (2026-10-31)",
    )
    args = parser.parse_args(argv)
    if (
        args.months < 1
        or args.interactions < 0
        or (args.customers is not None and args.customers < 1)
    ):
        parser.error("--months and --customers must be at least 1, --interactions at least 0")
    s = write_sample(
        args.out,
        customers=args.customers,
        months=args.months,
        interactions=args.interactions,
        seed=args.seed,
        end=args.end,
        first_id=args.first_id,
    )
    per_source = ", ".join(f"{k} {v:,}" for k, v in s.lines.items() if k != "surveys")
    print(
        f"wrote {s.interactions:,} interactions ({per_source}, survey answers "
        f"{s.survey_cells:,}) and {s.orders:,} orders for "
        f"{s.customers:,} customers to {args.out} in {s.seconds:.1f}s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
