"""Free text in four languages (en, ms, id, nl): the discouraged phrases and their near misses,
the note, subject, reply, remark and letter templates, the text dirt and the row dirt kinds,
and the banks that expand them once at import for picking by index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.sample.parameters import FAST, KINDS, LANGS, LATE, TOPICS, UNRESOLVED

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


# --- text banks: every template expanded once, picked per row by index -----------------------


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
