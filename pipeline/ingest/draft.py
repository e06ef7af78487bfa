"""`python -m pipeline sources draft FILE`: look at an export and write a draft source mapping.

The draft is read from a sample of the file (its first SAMPLE_BYTES after decompression, at most
MAX_ROWS records): how to read it (compression, encoding, delimiter, junk lines, header, sheet,
JSON shape) and which column feeds each canonical field, guessed from the column names and
values. Every guess carries a comment saying why; fields it could not find are listed commented
out with a hint. The user edits the draft instead of writing a mapping from nothing.

Nothing here trusts the file: anything that cannot be read ends in one UserError line.
"""

from __future__ import annotations

import codecs
import csv
import glob
import gzip
import json
import math
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb

from pipeline.errors import UserError
from pipeline.ingest.sources import ALWAYS_REQUIRED, ENUMS

SAMPLE_BYTES = 8 << 20
MAX_ROWS = 20_000
# Distinct values per column tried against the time formats.
MAX_TIME_VALUES = 2_000
# A whole JSON document (not JSON lines) is parsed at once up to this size.
MAX_JSON_DOCUMENT = 256 << 20
EXCEL_EXTENSIONS = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd"}
DELIMITERS = (",", ";", "\t", "|")
NULL_WORDS = ("NA", "N/A", "n/a", "#N/A", "NULL", "null", "None", "none", "nan", "NaN", "-", "--")

# ---------------------------------------------------------------------------------------------
# Time formats: candidates in order of preference (a tie goes to the earlier one).

_DATES = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%m-%d-%Y",
          "%d.%m.%Y", "%d/%m/%y", "%m/%d/%y", "%d-%b-%Y", "%d-%b-%y", "%d %b %Y", "%d %B %Y",
          "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%Y%m%d")
_TIMES = ("%H:%M:%S", "%H:%M", "%H:%M:%S.%f", "%I:%M:%S %p", "%I:%M %p", "%I:%M:%S%p", "%I:%M%p")
_SPECIAL = ("%a %b %d %H:%M:%S %z %Y", "%a, %d %b %Y %H:%M:%S %z", "%Y%m%d%H%M%S",
            "%Y%m%d %H%M%S")


def _time_candidates() -> tuple[str, ...]:
    out: list[str] = []
    for d in _DATES:
        joiners = (" ", "T") if d.startswith("%Y-") else (" ",)
        for j in joiners:
            for t in _TIMES:
                out.append(f"{d}{j}{t}")
                if d.startswith("%Y-") and "%p" not in t:
                    out += [f"{d}{j}{t}Z", f"{d}{j}{t}%z", f"{d}{j}{t} %z"]
        out.append(d)
    return tuple(dict.fromkeys([*out, *_SPECIAL]))


TIME_CANDIDATES = _time_candidates()
TIME_ONLY = _TIMES
_DATE_LIKE = re.compile(
    r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}:\d{2}|[A-Za-z]{3,9}\.? \d{1,2},? \d{4}"
    r"|\d{1,2}[ -][A-Za-z]{3,9}\.?[ -]\d{2,4}|^\d{8}(\d{6})?$")
# A zone written after the time: "2019/10/01 12:38:43 PM GMT+8".
_ZONE_SUFFIX = re.compile(r"\s+((?:GMT|UTC)(?:[+-]\d{1,2}(?::?\d{2})?)?|[A-Z]{3,4})$")
_ZONE_NAMES = {"UTC": "UTC", "GMT": "UTC", "MYT": "Asia/Kuala_Lumpur", "SGT": "Asia/Singapore",
               "WIB": "Asia/Jakarta", "HKT": "Asia/Hong_Kong", "JST": "Asia/Tokyo",
               "IST": "Asia/Kolkata", "CET": "Europe/Amsterdam", "CEST": "Europe/Amsterdam",
               "BST": "Europe/London", "EST": "America/New_York", "EDT": "America/New_York",
               "CST": "America/Chicago", "CDT": "America/Chicago",
               "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
               "AEST": "Australia/Sydney"}
# Offsets → a city in that zone, for the comment.
_OFFSET_CITIES = {8: "Asia/Kuala_Lumpur or Asia/Singapore", 7: "Asia/Jakarta or Asia/Bangkok",
                  9: "Asia/Tokyo", 1: "Europe/Amsterdam (winter)", 0: "Europe/London (winter)",
                  -5: "America/New_York (winter)", -8: "America/Los_Angeles (winter)"}

# ---------------------------------------------------------------------------------------------
# Words: column names and values → canonical fields and codes.

CHANNEL_WORDS = {
    # English, then Malay / Indonesian / Dutch (the guide's languages)
    "phone": ("phone", "call", "calls", "telephone", "tel", "voice", "voicemail", "ivr",
              "hotline", "callcentre", "callcenter", "inbound call", "outbound call",
              "telefon", "telepon", "telefoon", "panggilan", "pusat panggilan", "bellen"),
    "email": ("email", "e-mail", "e mail", "mail in", "inbound email", "emel", "e-mel",
              "surel"),
    "sms": ("sms", "text message", "txt", "pesanan ringkas", "sms-bericht"),
    "chat": ("chat", "live chat", "webchat", "web chat", "whatsapp", "messenger", "wa",
             "sembang", "obrolan", "livechat"),
    "web": ("web", "web form", "webform", "website", "online", "self service", "self-service",
            "selfservice", "internet", "form", "online form", "laman web", "borang", "situs",
            "situs web", "formulir", "webformulier", "dalam talian", "daring"),
    "social": ("social", "social media", "twitter", "tweet", "facebook", "instagram", "x",
               "linkedin", "tiktok", "media sosial", "sosial media", "sociale media"),
    "in_person": ("in person", "in-person", "walk in", "walk-in", "walkin", "store", "counter",
                  "branch", "face to face", "visit", "kaunter", "loket", "cawangan", "cabang",
                  "kedai", "toko", "winkel", "balie", "bersemuka", "tatap muka"),
    "letter": ("letter", "post", "postal", "mail", "surat", "brief"),
    "fax": ("fax", "faks"),
    "app": ("app", "mobile app", "mobile", "ios", "android", "aplikasi", "apl"),
    "referral": ("referral", "referred"),
    "portal": ("portal", "customer portal", "self service portal", "help center",
               "help centre"),
    "other": ("other", "others"),
}
# A single word inside a longer value ("Constituent Call" → phone).
CHANNEL_TOKENS = {"call": "phone", "phone": "phone", "telephone": "phone", "email": "email",
                  "voice": "phone", "mobile": "app", "messaging": "chat", "widget": "web",
                  "form": "web",
                  "chat": "chat", "sms": "sms", "web": "web", "website": "web", "twitter": "social",
                  "facebook": "social", "social": "social", "app": "app", "fax": "fax",
                  "letter": "letter", "portal": "portal", "referral": "referral",
                  "whatsapp": "chat", "store": "in_person", "walk": "in_person",
                  "telefon": "phone", "telepon": "phone", "telefoon": "phone",
                  "panggilan": "phone", "emel": "email", "surel": "email", "sembang": "chat",
                  "obrolan": "chat", "aplikasi": "app", "surat": "letter", "kaunter": "in_person",
                  "loket": "in_person"}
KIND_TOKENS = {  # in priority order
    "complaint": ("complaint", "complaints", "problem", "incident", "issue", "fault", "defect",
                  "cmp", "aduan", "keluhan", "komplain", "klacht", "klachten"),
    "compliment": ("compliment", "compliments", "praise", "kudos", "thanks", "pujian",
                   "penghargaan", "complimenten"),
    "inquiry": ("inquiry", "inquiries", "enquiry", "enquiries", "question", "query", "info",
                "information", "inq", "pertanyaan", "pertanyaan umum", "vraag", "vragen"),
    "request": ("request", "requests", "task", "return", "refund", "cancellation", "req",
                "permintaan", "permohonan", "verzoek", "aanvraag"),
    "feedback": ("feedback", "comment", "comments", "suggestion", "review", "reviews", "survey",
                 "fbk", "maklum balas", "umpan balik", "ulasan", "cadangan", "saran",
                 "terugkoppeling"),
}
STATUS_TOKENS = {
    "reopened": ("reopened", "reopen", "re-opened", "dibuka semula", "dibuka kembali",
                 "heropend"),
    "escalated": ("escalated", "escalation", "esc", "dieskalasi", "escalatie", "geëscaleerd"),
    "in_progress": ("pending", "progress", "wip", "hold", "waiting", "assigned", "working",
                    "dalam proses", "sedang diproses", "tertunda", "in behandeling"),
    "unresolved": ("open", "new", "unresolved", "unsolved", "no reply", "not resolved",
                   "terbuka", "baru", "belum selesai", "nieuw", "niet opgelost"),
    "resolved": ("resolved", "closed", "solved", "done", "completed", "complete", "fixed",
                 "selesai", "ditutup", "tutup", "diselesaikan", "opgelost", "gesloten",
                 "afgehandeld"),
}
YES = ("y", "yes", "true", "t", "1", "ontime", "on time", "met", "kept", "within", "within sla")
NO = ("n", "no", "false", "f", "0", "overdue", "late", "breached", "breach", "missed")
LANGUAGE_WORDS = {
    "en": {"the", "and", "is", "to", "you", "my", "it", "not", "for", "of", "this", "with", "was",
           "have", "your", "please", "i"},
    "id": {"tidak", "gak", "nggak", "ga", "banget", "bgt", "udah", "sudah", "tapi", "bisa",
           "karena", "sesuai", "barang", "bagus", "sangat", "dan", "yang", "yg", "dengan"},
    "ms": {"tak", "boleh", "kerana", "nak", "saja", "awak", "sangat", "dan", "yang", "dengan",
           "barang", "sudah", "tetapi"},
    "nl": {"de", "het", "een", "en", "niet", "ik", "van", "dat", "voor", "met", "op", "zijn"},
}


def _words(name: str) -> list[str]:
    """Column name → lower-case words: `CASE_ENQUIRY_ID`, `customerId`, `Call Id` → words."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return re.findall(r"[a-z]+|\d+", spaced.lower())


def _norm(value: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", value.lower()))


# ---------------------------------------------------------------------------------------------
# The table read from the sample.


@dataclass
class Column:
    name: str
    values: list[str | None]
    auto_name: bool = False           # named column<N> because the header cell was empty
    typed_time: str = ""              # "datetime" | "date" | "time" from Excel/Parquet cells
    array: bool = False               # JSON arrays where a scalar is expected
    # filled by _profile
    nonnull: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    words: list[str] = field(default_factory=list)
    ints: tuple[int, int] | None = None   # min, max when every value is a whole number
    numeric: bool = False
    formats: list[str] = field(default_factory=list)   # time formats covering the values
    time_note: str = ""
    time_kind: str = ""               # "datetime" | "date" | "time" | "epoch"
    zone: str = ""                    # a literal zone written after the values
    long_text: bool = False
    avg_len: float = 0.0

    @property
    def unique(self) -> bool:
        return bool(self.nonnull) and len(self.counts) == len(self.values) == len(self.nonnull)


@dataclass
class Table:
    fmt: str
    columns: list[Column]
    rows: int
    complete: bool                    # the sample is the whole file
    block: str = ""                   # csv | excel | json | fixed_width
    options: list[tuple[str, Any, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    null_tokens: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Raw:
    data: bytes
    complete: bool
    compression: str                  # "" | gzip | zstd
    inner: str                        # the file name without the compression extension
    notes: list[str] = field(default_factory=list)


def _n_rows(n: int) -> str:
    return f"{n:,} row{'' if n == 1 else 's'}"


def _show(value: Any, width: int = 40) -> str:
    """A value as it may appear inside a comment: one line, quoted, shortened."""
    text = str(value).replace("\r", "\\r").replace("\n", "\\n")
    if len(text) > width:
        text = text[: width - 1] + "…"
    return "'" + text + "'"


# ---------------------------------------------------------------------------------------------
# Bytes: compression and the sample.


def _read_raw(path: Path) -> Raw:
    if not path.exists():
        raise UserError(f"{path}: no such file")
    if not path.is_file():
        raise UserError(f"{path}: not a file")
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if size == 0:
        raise UserError(f"{path}: file is empty (0 bytes)")
    ext = path.suffix.lower()
    by_magic = ("gzip" if magic[:2] == b"\x1f\x8b"
                else "zstd" if magic == b"\x28\xb5\x2f\xfd" else "")
    by_name = COMPRESSIONS.get(ext, "")
    notes: list[str] = []
    if by_name and by_magic != by_name:
        raise UserError(f"{path}: named {ext} but not {by_name}-compressed; rename it to what "
                        "it is")
    if by_magic and not by_name:
        want = {v: k for k, v in COMPRESSIONS.items()}[by_magic]
        notes.append(f"the file is {by_magic}-compressed but not named {want}: rename it to "
                     f"{path.name}{want} (the reader goes by the extension)")
    inner = path.name[: -len(ext)] if by_name else path.name
    try:
        if by_magic == "gzip":
            data, complete = _gunzip(path)
        elif by_magic == "zstd":
            import zstandard

            with path.open("rb") as fh:
                reader = zstandard.ZstdDecompressor().stream_reader(fh)
                data = reader.read(SAMPLE_BYTES + 1)
                while len(data) <= SAMPLE_BYTES and (more := reader.read(SAMPLE_BYTES + 1
                                                                          - len(data))):
                    data += more
            complete = len(data) <= SAMPLE_BYTES
        else:
            with path.open("rb") as fh:
                data = fh.read(SAMPLE_BYTES + 1)
            complete = len(data) <= SAMPLE_BYTES
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc})") from None
    except Exception as exc:  # zstandard.ZstdError and friends
        raise UserError(f"{path}: cannot be decompressed ({_first_line(exc)})") from None
    if by_magic and not data:
        raise UserError(f"{path}: decompresses to nothing (0 bytes)")
    return Raw(data[:SAMPLE_BYTES], complete, by_magic, inner, notes)


def _gunzip(path: Path) -> tuple[bytes, bool]:
    """The first SAMPLE_BYTES of a gzip file (members one after another, as gzip reads them)."""
    out = bytearray()
    inflater = zlib.decompressobj(wbits=47)
    with path.open("rb") as fh:
        pending = b""
        while len(out) <= SAMPLE_BYTES:
            chunk, pending = pending or fh.read(1 << 16), b""
            if not chunk:
                break
            if inflater.eof:  # a second member (concatenated files)
                if not chunk.strip(b"\x00"):
                    continue
                inflater = zlib.decompressobj(wbits=47)
            out += inflater.decompress(chunk, SAMPLE_BYTES + 1 - len(out))
            pending = inflater.unused_data if inflater.eof else b""
    if not out:
        try:  # a clear message for a broken header
            gzip.decompress(path.read_bytes()[:1 << 16])
        except (OSError, EOFError, zlib.error) as exc:
            raise UserError(f"{path}: cannot be decompressed ({_first_line(exc)})") from None
    truncated = len(out) <= SAMPLE_BYTES and not inflater.eof
    if truncated and len(out) < 4096:
        raise UserError(f"{path}: cannot be decompressed (it ends before the compressed data "
                        "does: a truncated download?)")
    return bytes(out), len(out) <= SAMPLE_BYTES and not truncated


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


# ---------------------------------------------------------------------------------------------
# Text: encoding and lines.


def _decode(path: Path, raw: Raw) -> tuple[str, str, str]:
    """(text, encoding for the mapping, comment)."""
    data = raw.data
    if data.startswith(codecs.BOM_UTF8):
        text = data[3:].decode("utf-8", errors="replace")
        return text, "utf-8", "UTF-8 with a byte-order mark (the reader skips it)"
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        body = data[: len(data) - len(data) % 2]
        return body.decode("utf-16", errors="replace"), "utf-16", "byte-order mark of UTF-16"
    head = data[:4000]
    if head and head.count(0) > len(head) // 4:
        odd, even = head[1::2].count(0), head[0::2].count(0)
        if max(odd, even) > len(head) // 4 and min(odd, even) < len(head) // 40:
            body = data[: len(data) - len(data) % 2]
            enc = "utf-16-le" if odd > even else "utf-16-be"
            return (body.decode(enc, errors="replace"), "utf-16",
                    f"UTF-16 without a byte-order mark ({enc[-2:].upper()}); save it with one "
                    "if the reader rejects it")
        raise UserError(f"{path}: holds NUL bytes: a binary file, not a text export")
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(data, final=raw.complete)
        return text, "utf-8", "valid UTF-8"
    except UnicodeDecodeError as exc:
        bad = data[exc.start]
        around = data[max(0, exc.start - 15): exc.start + 15].decode("latin-1")
        return (data.decode("latin-1"), "latin-1",
                f"not UTF-8 (byte {bad:#04x} at offset {exc.start:,}, in {_show(around)}); "
                "latin-1 reads every byte: check accented letters")


def _check_text(path: Path, text: str) -> None:
    head = text[:20000]
    control = sum(1 for ch in head if ord(ch) < 32 and ch not in "\t\n\r\f")
    if head and control > len(head) // 100 + 2:
        raise UserError(f"{path}: does not look like a text export ({control} control "
                        "characters in its first lines); is it a binary file?")


def _split_lines(text: str, complete: bool, notes: list[str]) -> list[str]:
    if "\n" in text:
        lines = text.split("\n")
        if not complete:
            lines = lines[:-1]  # the sample ends inside a line
        lines = [ln[:-1] if ln.endswith("\r") else ln for ln in lines]
        bare = [i for i, ln in enumerate(lines) if "\r" in ln]
        if bare:
            notes.append(
                f"{len(bare)} line(s) hold a bare carriage return (CR) inside the line (first "
                f"at line {bare[0] + 1}): the reader ends records at LF only; if that row is "
                "quarantined, repair it in the export")
            lines = [ln.replace("\r", " ") for ln in lines]
    else:
        lines = text.split("\r")
        if len(lines) > 1:
            notes.append("lines end in CR only (old Mac style); save it with LF or CRLF ends "
                         "if the reader rejects it")
        if not complete:
            lines = lines[:-1]
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


# ---------------------------------------------------------------------------------------------
# Delimited text.


@dataclass
class _Dialect:
    delimiter: str
    width: int
    consistency: float
    skip: int           # lines before the first record of `width` fields (header or data)
    records: list[tuple[int, list[str]]]  # (first line index, fields)


def _records(lines: list[str], delimiter: str, limit: int) -> list[tuple[int, list[str]]]:
    old_limit = csv.field_size_limit(1 << 30)  # a long note is one field
    try:
        return _parse(lines, delimiter, limit)
    finally:
        csv.field_size_limit(old_limit)


def _parse(lines: list[str], delimiter: str, limit: int) -> list[tuple[int, list[str]]]:
    reader = csv.reader((ln + "\n" for ln in lines), delimiter=delimiter, quotechar='"',
                        doublequote=True, strict=False)
    out: list[tuple[int, list[str]]] = []
    start = 0
    try:
        for rec in reader:
            if rec:
                out.append((start, rec))
            start = reader.line_num
            if len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


def _dialect(lines: list[str], delimiter: str) -> _Dialect | None:
    recs = _records(lines, delimiter, 2000)
    if not recs:
        return None
    widths = Counter(len(r) for _, r in recs)
    width = widths.most_common(1)[0][0]
    if width < 2:
        return None
    # The first record of the usual width after which nearly every record has it: junk lines
    # above the header have another number of fields.
    ok_after = [0] * (len(recs) + 1)
    for i in range(len(recs) - 1, -1, -1):
        ok_after[i] = ok_after[i + 1] + (len(recs[i][1]) == width)
    first = None
    for i, (line, rec) in enumerate(recs[:50]):
        if len(rec) != width:
            continue
        share = ok_after[i] / (len(recs) - i)
        first = first or (i, line, share)
        if share >= 0.9 and (len(recs) - i >= 3 or i == 0):
            return _Dialect(delimiter, width, share, line, recs)
    if first is None:
        return None
    # ragged: the first record of the usual width is the header
    return _Dialect(delimiter, width, first[2], first[1], recs)


def _sniff_duckdb(path: Path, raw: Raw, encoding: str) -> dict[str, Any] | None:
    """DuckDB's own sniffer on the file, told its encoding: a second opinion, not the answer
    (it gives up on some real files, e.g. a bare CR inside an unquoted field)."""
    if raw.compression == "zstd":
        return None
    options = ", compression='gzip'" if raw.compression == "gzip" else ""
    try:
        con = duckdb.connect()
        try:
            r = con.execute(f"select * from sniff_csv(?, sample_size=20000, encoding=?{options})",
                            [str(path), encoding])
            names = [d[0] for d in r.description]
            row = r.fetchone()
        finally:
            con.close()
    except duckdb.Error as exc:
        return {"error": _first_line(exc)}
    return dict(zip(names, row, strict=False)) if row else None


def _looks_typed(value: str) -> str:
    v = value.strip()
    if not v:
        return "empty"
    if re.fullmatch(r"[-+]?(\d+|\d{1,3}(,\d{3})+)([.,]\d+)?", v):
        return "number"
    if _DATE_LIKE.search(v) and re.search(r"\d{4}|\d{1,2}:\d{2}", v):
        return "time"
    return "text"


def _has_header(first: list[str], rest: list[list[str]], sniffed: dict | None) -> tuple[bool,
                                                                                         str]:
    """Whether the first record names the columns, and why."""
    for_header = against = 0
    seen_elsewhere = 0
    for j, cell in enumerate(first):
        col = [r[j] for r in rest[:500] if j < len(r) and r[j].strip()]
        if not col:
            continue
        kinds = Counter(_looks_typed(v) for v in col)
        main, n = kinds.most_common(1)[0]
        mine = _looks_typed(cell)
        if main in ("number", "time") and n >= 0.9 * len(col):
            if mine == "text":
                for_header += 1
            elif mine == main:
                against += 1
        if cell.strip() and cell in set(col):
            seen_elsewhere += 1
    if against and not for_header:
        return False, (f"{against} value(s) of the first line look like the data below them "
                       "(numbers or dates), so the file has no header")
    if for_header:
        return True, (f"the first line holds names above {for_header} column(s) of numbers "
                      "or dates")
    if seen_elsewhere >= max(2, len(first) // 2):
        return False, "the first line's values repeat further down: data, not a header"
    if sniffed and sniffed.get("HasHeader") is False:
        return False, "every column holds text; DuckDB's sniffer reads the first line as data"
    return True, "every column holds text; the first line is taken as the header (check it)"


def _more_header_rows(rest: list[list[str]]) -> int:
    """How many records right under the header are more header: text where the columns below
    hold numbers or dates (the question texts and import ids of survey tools)."""
    body = rest[3:503]
    if len(body) < 2:
        return 0
    width = max(len(r) for r in body)
    typed = []
    for j in range(width):
        col = [r[j] for r in body if j < len(r) and r[j].strip()]
        if col:
            main, n = Counter(_looks_typed(v) for v in col).most_common(1)[0]
            if main in ("number", "time") and n >= 0.9 * len(col):
                typed.append(j)
    more = 0
    for r in rest[:3] if typed else ():
        cells = [r[j] for j in typed if j < len(r) and r[j].strip()]
        if sum(_looks_typed(c) == "text" for c in cells) < max(1, len(typed) / 2):
            break
        more += 1
    return more


def _header_names(cells: list[str]) -> tuple[list[str], list[bool], list[str]]:
    """The design's header rules: trimmed, empty → column<N>, repeats → name_2, name_3."""
    names, auto, notes = [], [], []
    seen: Counter = Counter()
    for i, cell in enumerate(cells, start=1):
        name = cell.strip()
        is_auto = not name
        if is_auto:
            name = f"column{i}"
            notes.append(f"header cell {i} is empty: that column is named {name}")
        seen[name] += 1
        if seen[name] > 1:
            notes.append(f"'{name}' names more than one column: the later one is "
                         f"{name}_{seen[name]}")
            name = f"{name}_{seen[name]}"
        names.append(name)
        auto.append(is_auto)
    return names, auto, notes


def _delimited(path: Path, raw: Raw, lines: list[str], encoding: str, enc_note: str,
               notes: list[str]) -> Table:
    found = [d for d in (_dialect(lines, d) for d in DELIMITERS) if d]
    sniffed = _sniff_duckdb(path, raw, encoding)
    best = max(found, key=lambda d: (d.width, d.consistency), default=None) if found else None
    if best is None:
        ws = _whitespace(lines)
        if ws is not None:
            return _whitespace_table(lines, ws, encoding, enc_note, notes, raw, sniffed)
        fw = _fixed_width(lines)
        if fw is not None:
            return _fixed_width_table(lines, fw, encoding, enc_note, notes, raw)
        if sniffed and "error" not in sniffed and sniffed.get("Delimiter") in DELIMITERS:
            d = _dialect(lines[int(sniffed.get("SkipRows") or 0):], sniffed["Delimiter"])
            if d:
                best = d
        if best is None:
            notes.append("no delimiter splits the lines into the same number of fields: read "
                         "as one column; set csv.delimiter if that is wrong")
            best = _Dialect(",", 1, 1.0, 0, [(i, [ln]) for i, ln in enumerate(lines)
                                              if ln.strip()][:MAX_ROWS + 1])
    recs = best.records if len(best.records) < 2000 else _records(lines, best.delimiter,
                                                                   MAX_ROWS + 60)
    recs = [r for r in recs if r[0] >= best.skip]
    first = recs[0][1] if recs else []
    rest = [r for _, r in recs[1:]]
    header, why_header = _has_header(first, rest, sniffed) if best.width > 1 else (True, "")
    options: list[tuple[str, Any, str]] = []
    others = [f"'{_delim_name(d.delimiter)}'" for d in found if d is not best]
    why = (f"{best.width} fields on {best.consistency:.0%} of the records"
           if best.width > 1 else "no delimiter found")
    if others:
        why += f" (also tried {', '.join(others)}: fewer fields)"
    options.append(("delimiter", best.delimiter, why))
    if sniffed:
        if "error" in sniffed:
            notes.append(f"DuckDB's CSV sniffer rejects this file ({sniffed['error']}); "
                         "the draft is from Python's own reading")
        elif sniffed.get("Delimiter") not in (best.delimiter, None) and best.width > 1:
            notes.append(f"DuckDB's sniffer reads the delimiter as "
                         f"'{_delim_name(sniffed['Delimiter'])}' (this draft: "
                         f"'{_delim_name(best.delimiter)}'); check")
        elif sniffed.get("SkipRows") not in (best.skip, None):
            notes.append(f"DuckDB's sniffer skips {sniffed['SkipRows']} line(s) at the top "
                         f"(this draft: {best.skip}); check")
    if best.skip:
        junk = " | ".join(_show(ln, 30) for ln in lines[: min(best.skip, 3)])
        options.append(("skip_lines", best.skip,
                        f"{best.skip} line(s) above the {'header' if header else 'data'}: "
                        f"{junk}"))
    options.append(("encoding", encoding, enc_note))
    more = _more_header_rows(rest) if header else 0
    if more:
        # Rows under the header that are more header (question texts, import ids): a mapping
        # skips lines only above the header, so the header goes too and its names are given.
        names, auto, hnotes = _header_names(first)
        notes += hnotes
        data = rest[more:]
        skip = recs[1 + more][0]
        options = [o for o in options if o[0] != "skip_lines"]
        options.append(("header", False, f"the header line and {more} more line(s) of header "
                                         f"under it ({_show(' '.join(rest[0]), 30)}): all skipped"))
        options.append(("skip_lines", skip, (f"{best.skip} line(s) above the header, " if best.skip
                                             else "") + f"the header and {more} under it"))
        options.append(("columns", names, "the header's names"))
    elif header:
        names, auto, hnotes = _header_names(first)
        notes += hnotes
        data = rest
        if why_header.startswith("every column holds text"):
            options.append(("header", True, why_header))
    else:
        names = [f"column{i}" for i in range(1, best.width + 1)]
        auto = [False] * len(names)
        data = [r for _, r in recs]
        options.append(("header", False, why_header))
        options.append(("columns", names, "no header: named by position; rename them here "
                                          "and in fields"))
    complete = raw.complete and len(data) <= MAX_ROWS
    data = data[:MAX_ROWS]
    bad = sum(1 for r in data if len(r) != best.width)
    if bad:
        notes.append(f"{bad:,} record(s) of the {len(data):,} looked at do not have "
                     f"{best.width} fields: they will be quarantined")
    columns = [Column(n, [(r[j] if j < len(r) else None) for r in data], auto_name=a)
               for j, (n, a) in enumerate(zip(names, auto, strict=True))]
    return Table("csv", columns, len(data), complete, "csv", options, notes)


def _delim_name(d: str) -> str:
    return {"\t": "\\t", " ": "space"}.get(d, d)


def _whitespace(lines: list[str]) -> int | None:
    """Skip lines before columns separated by runs of spaces (same count on ~every line)."""
    body = [ln for ln in lines[:2000] if ln.strip()]
    if len(body) < 2 or not any(re.search(r"\S {2,}\S|^ +\S|\t", ln) for ln in body[:50]):
        return None
    widths = [len(ln.split()) for ln in lines[:2000]]
    nonblank = [w for w in widths if w]
    width = Counter(nonblank).most_common(1)[0][0]
    if width < 2:
        return None
    for i, w in enumerate(widths[:50]):
        if w == width:
            after = [x for x in widths[i:] if x]
            if sum(x == width for x in after) / len(after) >= 0.95:
                return i
    return None


def _whitespace_table(lines: list[str], skip: int, encoding: str, enc_note: str,
                      notes: list[str], raw: Raw, sniffed: dict | None) -> Table:
    recs = [ln.split() for ln in lines[skip:] if ln.strip()]
    header, why_header = _has_header(recs[0], recs[1:], None)
    options: list[tuple[str, Any, str]] = [
        ("delimiter", "whitespace", f"{len(recs[0])} columns separated by runs of spaces")]
    if skip:
        options.append(("skip_lines", skip, f"{skip} line(s) above the table"))
    options.append(("encoding", encoding, enc_note))
    if header:
        names, auto, hnotes = _header_names(recs[0])
        notes += hnotes
        data = recs[1:]
    else:
        names = [f"column{i}" for i in range(1, len(recs[0]) + 1)]
        auto = [False] * len(names)
        data = recs
        options.append(("header", False, why_header))
        options.append(("columns", names, "no header: named by position"))
    complete = raw.complete and len(data) <= MAX_ROWS
    data = data[:MAX_ROWS]
    columns = [Column(n, [(r[j] if j < len(r) else None) for r in data], auto_name=a)
               for j, (n, a) in enumerate(zip(names, auto, strict=True))]
    return Table("csv", columns, len(data), complete, "csv",
                 options, notes)


def _fixed_width(lines: list[str]) -> tuple[int, list[tuple[int, int]]] | None:
    """(skip, spans): columns at fixed character positions, blank between them on every line."""
    body = [(i, ln) for i, ln in enumerate(lines[:2000]) if ln.strip()]
    if len(body) < 3 or not any("  " in ln.strip() for _, ln in body[:50]):
        return None
    # junk lines above the table are usually shorter or differently laid out: start where the
    # lines reach the usual length
    lengths = Counter(len(ln.rstrip()) for _, ln in body)
    usual = max(lengths, key=lambda k: (lengths[k], k))
    start = next((i for i, ln in body if len(ln.rstrip()) >= 0.6 * usual), body[0][0])
    table = [ln for i, ln in body if i >= start][:500]
    width = max(len(ln) for ln in table)
    if width > 2000:
        return None
    blank = [all(c >= len(ln) or ln[c] == " " for ln in table) for c in range(width)]
    data_blank = [all(c >= len(ln) or ln[c] == " " for ln in table[1:]) for c in range(width)]
    spans: list[list[int]] = []
    c = 0
    while c < width:
        if blank[c]:
            c += 1
            continue
        s = c
        while c < width and not blank[c]:
            c += 1
        spans.append([s, c - 1])
    merged: list[list[int]] = []
    for s, e in spans:
        head = table[0][s: e + 1].strip()
        no_data = all(data_blank[s: e + 1])
        if merged and (not head or no_data):
            merged[-1][1] = e
        else:
            merged.append([s, e])
    if len(merged) < 2:
        return None
    # each column runs up to the next one (longer values in rows not looked at still fit)
    for a, b in zip(merged, merged[1:], strict=False):
        a[1] = b[0] - 1
    merged[-1][1] = max(merged[-1][1], width - 1)
    return start, [(s, e) for s, e in merged]


def _fixed_width_table(lines: list[str], fw: tuple[int, list[tuple[int, int]]], encoding: str,
                       enc_note: str, notes: list[str], raw: Raw) -> Table:
    skip, spans = fw
    recs = [[ln[s: e + 1].strip() for s, e in spans] for ln in lines[skip:] if ln.strip()]
    header, _ = _has_header(recs[0], recs[1:], None)
    if header:
        names, auto, hnotes = _header_names(recs[0])
        notes += hnotes
        data = recs[1:]
    else:
        names = [f"column{i}" for i in range(1, len(spans) + 1)]
        auto = [False] * len(names)
        data = recs
    cols = {n: [s + 1, e + 1] for n, (s, e) in zip(names, spans, strict=True)}
    options: list[tuple[str, Any, str]] = [
        ("columns", cols, "first and last character of each column, from the blanks that run "
                          "down every line; widen the last one if values can be longer")]
    skip_total = skip + (1 if header else 0)
    if skip_total:
        options.append(("skip_lines", skip_total,
                        f"{skip} line(s) above the table" + (" and the header line"
                                                             if header else "")))
    options.append(("encoding", encoding, enc_note))
    complete = raw.complete and len(data) <= MAX_ROWS
    data = data[:MAX_ROWS]
    columns = [Column(n, [r[j] or None for r in data], auto_name=a)
               for j, (n, a) in enumerate(zip(names, auto, strict=True))]
    notes.append("columns separated by spaces, with spaces inside values: read by position "
                 "(fixed width)")
    return Table("fixed_width", columns, len(data), complete,
                 "fixed_width", options, notes)


# ---------------------------------------------------------------------------------------------
# JSON.


def _flatten(obj: Any, prefix: str, out: dict[str, Any], arrays: set[str], depth: int = 0) -> None:
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < 4:
            _flatten(value, name + ".", out, arrays, depth + 1)
        elif isinstance(value, list):
            if value and isinstance(value[0], dict) and depth < 4:
                _flatten(value[0], name + ".0.", out, arrays, depth + 1)
            else:
                arrays.add(name)
                out.setdefault(name, None)
        else:
            out[name] = value


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _records_table(fmt: str, records: list[Any], complete: bool, options: list,
                   notes: list[str], where: str) -> Table:
    flat: list[dict[str, Any]] = []
    arrays: set[str] = set()
    skipped = 0
    for rec in records[:MAX_ROWS]:
        if not isinstance(rec, dict):
            skipped += 1
            continue
        row: dict[str, Any] = {}
        _flatten(rec, "", row, arrays)
        flat.append(row)
    if not flat:
        raise UserError(f"{where}: holds no JSON objects (records) to map")
    if skipped:
        notes.append(f"{skipped:,} of the records looked at are not JSON objects: they will "
                     "be quarantined")
    names = list(dict.fromkeys(k for row in flat for k in row))
    columns = []
    for n in names:
        col = Column(n, [_json_text(row.get(n)) if n not in arrays else None for row in flat])
        col.array = n in arrays
        columns.append(col)
    if arrays:
        notes.append(f"array value(s), not mapped (a field takes one value; "
                     f"`name.0` picks the first): {', '.join(sorted(arrays))}")
    return Table(fmt, columns, len(flat), complete and len(records) <= MAX_ROWS,
                 "json" if fmt == "json" else "", options, notes)


def _find_records(doc: Any, path: str = "", depth: int = 0) -> tuple[str, list] | None:
    """The dotted path to the longest array of objects in a document."""
    best: tuple[str, list] | None = None
    if isinstance(doc, list) and doc and isinstance(doc[0], dict):
        return path, doc
    if isinstance(doc, dict) and depth < 4:
        for key, value in doc.items():
            found = _find_records(value, f"{path}.{key}" if path else str(key), depth + 1)
            if found and (best is None or len(found[1]) > len(best[1])):
                best = found
    return best


def _json(path: Path, raw: Raw, text: str, encoding: str, notes: list[str]) -> Table:
    if encoding != "utf-8":
        notes.append(f"the JSON is {encoding}: JSON should be UTF-8; re-save it as UTF-8 if the "
                     "reader rejects it")
    body = text.lstrip("\ufeff \t\r\n")
    first_line = body.split("\n", 1)[0].strip()
    if body.startswith("{"):
        try:
            one = json.loads(first_line)
        except ValueError:
            one = None
        if isinstance(one, dict):
            lines = [ln.strip() for ln in body.split("\n")]
            if not raw.complete:
                lines = lines[:-1]
            records: list[Any] = []
            bad = 0
            for ln in lines:
                if not ln:
                    continue
                try:
                    records.append(json.loads(ln))
                except ValueError:
                    bad += 1
                if len(records) > MAX_ROWS:
                    break
            if bad:
                notes.append(f"{bad:,} line(s) are not JSON: they will be quarantined")
            notes.insert(0, "one JSON object per line: JSON lines")
            return _records_table("jsonl", records, raw.complete, [], notes, str(path))
        # a document: parse it whole
        if not raw.complete:
            if raw.compression or path.stat().st_size > MAX_JSON_DOCUMENT:
                raise UserError(f"{path}: a JSON document over {SAMPLE_BYTES >> 20} MB; "
                                "the draft reads documents up to that size (JSON lines have "
                                "no limit)")
            body = path.read_bytes().decode(encoding.replace("utf-16", "utf-16"), "replace")
        try:
            doc = json.loads(body)
        except ValueError as exc:
            raise UserError(f"{path}: not valid JSON ({exc})") from None
        found = _find_records(doc)
        if found is None:
            raise UserError(f"{path}: a JSON document with no array of objects (records) in "
                            "it; the readers take an array of records, or JSON lines")
        where, records = found
        options = [("records", where, f"the array of {len(records):,} objects in the document"
                    + (" (the longest of several)" if _count_arrays(doc) > 1 else ""))]
        notes.insert(0, f"a JSON document with its records under '{where}'")
        return _records_table("json", records, True, options, notes, str(path))
    if body.startswith("["):
        records, complete = _json_array(path, body, raw.complete)
        notes.insert(0, "a JSON document that is an array of records")
        if records and not isinstance(records[0], dict):
            raise UserError(f"{path}: a JSON array of {type(records[0]).__name__} values, not "
                            "of objects (records)")
        return _records_table("json", records, complete, [], notes, str(path))
    raise UserError(f"{path}: does not start with '{{' or '[': not JSON")


def _count_arrays(doc: Any, depth: int = 0) -> int:
    if isinstance(doc, list) and doc and isinstance(doc[0], dict):
        return 1
    if isinstance(doc, dict) and depth < 4:
        return sum(_count_arrays(v, depth + 1) for v in doc.values())
    return 0


def _json_array(path: Path, body: str, complete: bool) -> tuple[list[Any], bool]:
    """Records of a top-level array, decoded one at a time (a sample may end inside one)."""
    decoder = json.JSONDecoder()
    records: list[Any] = []
    i = 1
    n = len(body)
    while len(records) <= MAX_ROWS:
        while i < n and body[i] in " \t\r\n,":
            i += 1
        if i >= n or body[i] == "]":
            break
        try:
            obj, i = decoder.raw_decode(body, i)
        except ValueError as exc:
            if complete:
                raise UserError(f"{path}: not valid JSON ({exc})") from None
            return records, False
        records.append(obj)
    return records, complete and len(records) <= MAX_ROWS


# ---------------------------------------------------------------------------------------------
# Excel and Parquet.


def _cell_text(value: Any) -> tuple[str | None, str]:
    """A cell → (text, native type: datetime | date | time | '')."""
    if value is None or value == "":
        return None, ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S"), "datetime"
    if isinstance(value, date):
        return value.isoformat(), "date"
    if isinstance(value, time):
        return value.strftime("%H:%M:%S"), "time"
    if isinstance(value, timedelta):
        return str(value), ""
    if isinstance(value, bool):
        return ("true" if value else "false"), ""
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return str(int(value)), ""
        return repr(value), ""
    return str(value), ""


def _excel(path: Path, notes: list[str]) -> Table:
    try:
        from python_calamine import CalamineWorkbook

        wb = CalamineWorkbook.from_path(str(path))
        names = list(wb.sheet_names)
        sheets = [(n, wb.get_sheet_by_name(n).to_python(skip_empty_area=False,
                                                         nrows=MAX_ROWS + 40)) for n in names]
    except Exception as exc:
        raise UserError(f"{path}: cannot be read as a workbook ({_first_line(exc)})") from None
    filled = [(n, rows) for n, rows in sheets
              if sum(1 for r in rows if any(c not in (None, "") for c in r)) >= 2]
    if not filled:
        raise UserError(f"{path}: no sheet holds a table (a header and at least one row)")
    sheet, rows = filled[0]
    if len(names) > 1:
        notes.append(f"sheets: {', '.join(names)}; drafted from '{sheet}'")
    header_at = 0
    widest = max(sum(1 for c in r if c not in (None, "")) for r in rows[:30])
    for i, r in enumerate(rows[:30]):
        cells = [c for c in r if c not in (None, "")]
        if len(cells) >= max(2, 0.6 * widest) and all(isinstance(c, str) for c in cells):
            header_at = i
            break
    header = [_cell_text(c)[0] or "" for c in rows[header_at]]
    while header and not header[-1]:
        header.pop()
    names_, auto, hnotes = _header_names(header)
    notes += hnotes
    data = [r for r in rows[header_at + 1:] if any(c not in (None, "") for c in r)]
    complete = len(data) <= MAX_ROWS
    data = data[:MAX_ROWS]
    columns = []
    for j, (n, a) in enumerate(zip(names_, auto, strict=True)):
        cells = [_cell_text(r[j] if j < len(r) else None) for r in data]
        col = Column(n, [t for t, _ in cells], auto_name=a)
        kinds = Counter(k for t, k in cells if t is not None)
        if kinds and kinds.most_common(1)[0][0] and kinds.most_common(1)[0][1] >= 0.95 * sum(
                kinds.values()):
            col.typed_time = kinds.most_common(1)[0][0]
        columns.append(col)
    options: list[tuple[str, Any, str]] = [
        ("sheet", sheet, "the first sheet with a table" if len(names) > 1 else "the only sheet"),
        ("header_row", header_at + 1, "the first row of names" + (
            f" ({header_at} row(s) above it)" if header_at else "")),
    ]
    return Table("excel", columns, len(data), complete, "excel", options, notes)


def _parquet(path: Path, notes: list[str]) -> Table:
    try:
        con = duckdb.connect()
        try:
            # the file itself: DuckDB would read `x[1].parquet` as the pattern matching x1.parquet
            literal = glob.escape(str(path))
            r = con.execute("select * from read_parquet(?) limit ?", [literal, MAX_ROWS])
            desc = r.description
            data = r.fetchall()
            total = con.execute("select count(*) from read_parquet(?)", [literal]).fetchone()[0]
        finally:
            con.close()
    except duckdb.Error as exc:
        raise UserError(f"{path}: cannot be read as Parquet ({_first_line(exc)})") from None
    columns = []
    for j, d in enumerate(desc):
        cells = [_cell_text(row[j]) for row in data]
        col = Column(str(d[0]), [t for t, _ in cells])
        kinds = Counter(k for t, k in cells if t is not None)
        if kinds and kinds.most_common(1)[0][0]:
            col.typed_time = kinds.most_common(1)[0][0]
        columns.append(col)
    return Table("parquet", columns, len(data), total <= MAX_ROWS, "", [], notes)


# ---------------------------------------------------------------------------------------------
# Reading: which reader, then the table.


def _read_table(path: Path) -> Table:
    raw = _read_raw(path)
    notes = list(raw.notes)
    inner_ext = Path(raw.inner).suffix.lower()
    magic = raw.data[:8]
    if not raw.compression and (inner_ext in EXCEL_EXTENSIONS
                                or magic.startswith(b"\xd0\xcf\x11\xe0")):
        return _excel(path, notes)
    if magic.startswith(b"PK\x03\x04"):
        if raw.compression:
            raise UserError(f"{path}: a zip archive inside {raw.compression}; unpack it first")
        try:
            return _excel(path, notes)
        except UserError:
            raise UserError(f"{path}: a zip archive, not a workbook; unzip it and draft the "
                            "file inside") from None
    if magic.startswith(b"PAR1") or inner_ext == ".parquet":
        if raw.compression:
            raise UserError(f"{path}: Parquet is compressed inside; do not {raw.compression} it")
        return _parquet(path, notes)
    text, encoding, enc_note = _decode(path, raw)
    _check_text(path, text)
    start = text.lstrip("\ufeff \t\r\n")[:1]
    if inner_ext in (".json", ".jsonl", ".ndjson") or start in ("{", "["):
        return _json(path, raw, text, encoding, notes)
    lines = _split_lines(text, raw.complete, notes)
    if not lines:
        raise UserError(f"{path}: holds only blank lines")
    return _delimited(path, raw, lines, encoding, enc_note, notes)


# ---------------------------------------------------------------------------------------------
# Profiling the columns.


def _profile(table: Table) -> None:
    # Null words (NA, N/A, NULL, …) in columns that otherwise hold numbers or dates.
    tokens: dict[str, list[str]] = {}
    for col in table.columns:
        present = Counter(v.strip() for v in col.values if v is not None and v.strip())
        words = {w: n for w, n in present.items() if w in NULL_WORDS}
        others = [v for v in present if v not in words]
        if words and others:
            typed = sum(present[v] for v in others if _looks_typed(v) in ("number", "time"))
            if typed >= 0.9 * sum(present[v] for v in others):
                for w in words:
                    tokens.setdefault(w, []).append(col.name)
    for w, cols in tokens.items():
        n = sum(1 for c in table.columns if c.name in cols for v in c.values
                if v is not None and v.strip() == w)
        table.null_tokens.append((w, f"'{w}' stands for a missing value in "
                                     f"{', '.join(cols[:3])} ({_n_rows(n)})"))
    nulls = {"", *tokens}
    for col in table.columns:
        col.values = [None if v is None or v.strip() in nulls else v for v in col.values]
        col.nonnull = [v for v in col.values if v is not None]
        col.counts = Counter(col.nonnull)
        col.words = [] if col.auto_name else _words(col.name)
        if col.nonnull:
            col.avg_len = sum(len(v) for v in col.nonnull) / len(col.nonnull)
        nums = [_number(v) for v in col.nonnull]
        col.numeric = bool(nums) and all(x is not None for x in nums)
        if col.numeric and all(float(x).is_integer() for x in nums if x is not None):
            ints = [int(x) for x in nums if x is not None]
            col.ints = (min(ints), max(ints))
        spaced = sum(1 for v in col.nonnull if " " in v.strip())
        distinct = len(col.counts) / len(col.nonnull) if col.nonnull else 0
        col.long_text = (not col.numeric and col.avg_len >= 25
                         and spaced >= 0.6 * len(col.nonnull) and distinct >= 0.3
                         and not any(v.startswith(("http://", "https://"))
                                     for v in col.nonnull[:50]))
    _time_formats(table)
    for col in table.columns:
        col.long_text = col.long_text and not col.time_kind


def _number(value: str) -> float | None:
    v = value.strip()
    if not re.fullmatch(r"[-+]?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?([eE][-+]?\d+)?", v):
        return None
    try:
        return float(v.replace(",", ""))
    except ValueError:
        return None


_TIME_NAME = {"time", "date", "at", "ts", "timestamp", "stamp", "created", "updated", "opened",
              "closed", "datetime", "dt", "epoch", "when", "day", "submitted", "received",
              "sent", "resolved", "due", "start", "end", "tarikh", "tanggal", "datum", "masa",
              "waktu", "tijd", "dibuat", "aangemaakt"}


def _time_formats(table: Table) -> None:
    con = duckdb.connect()
    try:
        for col in table.columns:
            if not col.nonnull or col.array:
                continue
            if col.typed_time:
                # the readers write such cells as ISO text (YYYY-MM-DD HH:MM:SS)
                col.time_kind = col.typed_time
                col.formats = {"datetime": ["%Y-%m-%d %H:%M:%S"], "date": ["%Y-%m-%d"],
                               "time": ["%H:%M:%S"]}[col.typed_time]
                col.time_note = f"{col.typed_time} cells, read as ISO text"
                continue
            _epoch(col, table.fmt)
            if col.time_kind:
                continue
            sample = [v for v in col.nonnull[:500]]
            if sum(1 for v in sample if _DATE_LIKE.search(v)) < 0.9 * len(sample):
                continue
            _match_formats(con, col)
    finally:
        con.close()


def _epoch(col: Column, fmt: str) -> None:
    named = bool(set(col.words) & _TIME_NAME) or not col.words
    if not named or not col.numeric:
        return
    nums = [_number(v) or 0.0 for v in col.nonnull]
    lo, hi = min(nums), max(nums)
    if 946_684_800 <= lo and hi <= 4_102_444_800:
        col.time_kind, col.formats = "epoch", ["epoch"]
        col.time_note = "numbers in the range of seconds since 1970 (2000–2100)"
    elif 946_684_800_000 <= lo and hi <= 4_102_444_800_000:
        col.time_kind, col.formats = "epoch", ["epoch_ms"]
        col.time_note = "numbers in the range of milliseconds since 1970 (2000–2100)"
    elif fmt == "excel" and 20_000 <= lo and hi <= 80_000:
        col.time_kind, col.formats = "epoch", ["excel_serial"]
        col.time_note = "numbers in the range of Excel day serials (1954–2119)"


def _match_formats(con: duckdb.DuckDBPyConnection, col: Column) -> None:
    counts = Counter(v.strip() for v in col.nonnull)
    values = [v for v, _ in counts.most_common(MAX_TIME_VALUES)]
    # A zone written as text after every value ("... PM GMT+8"): matched as a literal.
    suffixes = Counter(m.group(1) if (m := _ZONE_SUFFIX.search(v)) else "" for v in values)
    zone, n = suffixes.most_common(1)[0]
    if zone and n >= 0.95 * len(values) and not re.fullmatch(r"AM|PM", zone):
        values = [_ZONE_SUFFIX.sub("", v) for v in values if v.endswith(zone)]
        col.zone = zone
    con.execute("create or replace temp table vals (v varchar, n bigint)")
    con.executemany("insert into vals values (?, ?)", [(v, counts.get(v, counts.get(
        f"{v} {zone}", 1))) for v in values])
    # Every candidate on a few values of each shape, then the survivors on all values.
    # try_strptime takes a constant format: one branch per candidate, each a bound parameter.
    shapes: dict[str, list[str]] = {}
    for v in values:
        shape = re.sub(r"[A-Za-z]+", "a", re.sub(r"\d+", "9", v))
        if len(shapes.setdefault(shape, [])) < 3:
            shapes[shape].append(v)
    few = [v for vs in shapes.values() for v in vs][:200]
    con.execute("create or replace temp table few (v varchar)")
    con.executemany("insert into few values (?)", [(v,) for v in few])
    alive = [i for i, _ in _strptime_hits(con, "few", range(len(TIME_CANDIDATES)))]
    hits = _strptime_hits(con, "vals", sorted(set(alive))) if alive else []
    by_format: dict[int, set[str]] = {}
    for i, v in hits:
        by_format.setdefault(i, set()).add(v)
    weight = {v: n for v, n in con.execute("select v, n from vals").fetchall()}
    total = sum(weight.values())
    left = set(weight)
    chosen: list[int] = []
    while left and len(chosen) < 3:
        gain = {i: sum(weight[v] for v in vs & left) for i, vs in by_format.items()
                if i not in chosen}
        if not gain:
            break
        best = min(gain, key=lambda i: (-gain[i], i))
        if gain[best] == 0:
            break
        chosen.append(best)
        left -= by_format[best]
    covered = total - sum(weight[v] for v in left)
    if not chosen or covered < 0.95 * total:
        return
    formats = [TIME_CANDIDATES[i] for i in chosen]
    only_time = all(f in TIME_ONLY for f in formats)
    col.time_kind = "time" if only_time else (
        "date" if all(not re.search(r"%[HIMS]", f) for f in formats) else "datetime")
    notes = []
    for i in chosen:
        f = TIME_CANDIDATES[i]
        swapped = _swap_day_month(f)
        if swapped and swapped in TIME_CANDIDATES:
            j = TIME_CANDIDATES.index(swapped)
            if by_format.get(j, set()) >= by_format[i]:
                notes.append(f"day and month order is ambiguous (no value has a part above 12): "
                             f"{f} was chosen; if the export is {'US' if '%d/%m' in f else ''}"
                             f" style use {swapped}")
            elif "%m/%d" in f or "%m-%d" in f:
                notes.append("month first: some values have a day above 12 in second place")
            elif "%d/%m" in f or "%d-%m" in f or "%d.%m" in f:
                notes.append("day first: some values have a day above 12 in first place")
    if col.zone:
        formats = [f"{f} {col.zone}" for f in formats]
    col.formats = formats
    missed = left and [v for v in values if v in left][:2]
    share = "every value" if not left else f"{covered / total:.1%} of the values"
    col.time_note = f"{share} matches" + (f" (not: {', '.join(map(_show, missed))})"
                                          if missed else "")
    if notes:
        col.time_note += "; " + "; ".join(notes)


def _strptime_hits(con: duckdb.DuckDBPyConnection, table: str, formats) -> list[tuple[int, str]]:
    formats = list(formats)
    query = " union all ".join(
        f"select {i} as i, v from {table} where try_strptime(v, ?) is not null" for i in formats)
    return con.execute(query, [TIME_CANDIDATES[i] for i in formats]).fetchall()


def _swap_day_month(f: str) -> str | None:
    for a, b in (("%d/%m", "%m/%d"), ("%d-%m", "%m-%d"), ("%d.%m", "%m.%d")):
        if a in f:
            return f.replace(a, b)
        if b in f:
            return f.replace(b, a)
    return None


# ---------------------------------------------------------------------------------------------
# Guessing the fields.


@dataclass
class Guess:
    spec: Any                 # a column name, or a dict of field options
    why: str
    extra: list[str] = field(default_factory=list)    # comment lines under the field
    map_lines: list[tuple[str, str, str]] = field(default_factory=list)  # block-style map
    unknown: list[tuple[str, int]] = field(default_factory=list)


def _has(col: Column, *words: str) -> bool:
    return any(w in col.words for w in words)


_ID_WORDS = ("id", "no", "nr", "num", "number", "ref", "reference", "key", "code", "uuid", "guid")
_ID_THINGS = ("ticket", "case", "call", "tweet", "interaction", "contact", "message", "request",
              "enquiry", "inquiry", "respondent", "response", "visit", "letter", "complaint",
              "conversation", "chat", "incident", "issue", "record", "survey", "review")
_CUSTOMER_WORDS = ("customer", "cust", "client", "member", "user", "author", "requester",
                   "requestor", "reporter", "respondent", "caller", "sender", "buyer",
                   "consumer", "subscriber", "account", "patron", "pelanggan", "nasabah",
                   "klant", "ahli", "lid")
_NOT_CUSTOMER = ("name", "age", "gender", "sex", "type", "segment", "since", "rating", "score",
                 "review", "satisfaction", "feedback", "comment", "country", "city", "address",
                 "status", "tier", "group", "phone", "location", "zip", "postcode", "state",
                 "effort", "ces", "nps")
_TEXT_WORDS = ("text", "description", "comment", "comments", "note", "notes", "message", "body",
               "review", "remarks", "remark", "summary", "details", "detail", "feedback",
               "transcript", "content", "verbatim", "reason", "closure", "subject", "title",
               "catatan", "nota", "keterangan", "ulasan", "komen", "mesej", "pesan", "perkara",
               "subjek", "opmerking", "omschrijving", "bericht", "toelichting")
_NOT_TEXT = ("name", "email", "url", "link", "photo", "address", "location", "street", "city",
             "product", "geocoded", "image", "file", "path")

# Whose words a text column holds, from its name (English, Malay, Indonesian, Dutch). It matters:
# discouraged staff phrases are looked for in agent_text and text, never in customer_text; the
# customer's sentiment is read only in customer_text.
# Who wrote it, said outright ("Agent Reply", "Opmerking klant").
_STAFF_AUTHORS = ("agent", "agents", "staff", "employee", "officer", "advisor", "adviser", "rep",
                  "representative", "csr", "operator", "technician", "internal", "support",
                  "helpdesk", "company", "brand", "ejen", "agen", "petugas", "pegawai",
                  "kakitangan", "staf", "karyawan", "medewerker", "behandelaar", "intern",
                  "interne")
_CUSTOMER_AUTHORS = ("customer", "customers", "cust", "client", "consumer", "user", "requester",
                     "requestor", "reporter", "caller", "respondent", "complainant", "member",
                     "buyer", "guest", "pelanggan", "nasabah", "pengadu", "pelapor", "responden",
                     "klant", "klanten", "melder")
# "Reply to customer": the customer is who it is written to, not its author.
_ADDRESSED = ("to", "for", "kepada", "untuk", "aan", "naar", "voor")
# What staff write.
_STAFF_SAID = ("reply", "replies", "replied", "response", "responses", "answer", "answers",
               "resolution", "solution", "closure", "closing", "close", "workaround", "balasan",
               "jawapan", "penyelesaian", "jawaban", "tanggapan", "respon", "tindakan",
               "antwoord", "oplossing", "reactie", "afhandeling")
_STAFF_PHRASES = ("internal note", "work note", "work notes", "action taken")
# A survey's "Response" / "Answer" is the respondent's.
_ANSWER = ("response", "responses", "answer", "answers", "jawapan", "jawaban", "tanggapan",
           "respon", "antwoord")
# What customers write.
_CUSTOMER_SAID = ("review", "reviews", "comment", "comments", "feedback", "complaint",
                  "complaints", "verbatim", "suggestion", "suggestions", "testimonial", "why",
                  "ulasan", "komen", "komentar", "aduan", "keluhan", "komplain", "cadangan",
                  "saran", "masukan", "pendapat", "opmerking", "opmerkingen", "klacht",
                  "klachten", "toelichting", "suggestie")
_CUSTOMER_PHRASES = ("anything else", "tell us", "any other", "in your own words",
                     "maklum balas", "umpan balik")
# On a ticket or complaint, its subject and description are the customer's.
_TICKET_SAID = ("subject", "description", "desc", "subjek", "perkara", "keterangan", "huraian",
                "deskripsi", "uraian", "onderwerp", "omschrijving", "beschrijving")
_TICKET = ("ticket", "tickets", "tiket", "complaint", "complaints", "aduan", "keluhan",
           "komplain", "klacht", "klachten", "melding", "meldingen", "incident", "incidents",
           "issue", "issues")
_SURVEY = ("survey", "surveys", "questionnaire", "respondent", "respondents", "tinjauan",
           "survei", "kuesioner", "soal", "selidik", "enquete", "vragenlijst")
_TEXT_WORDS += tuple(w for w in (*_STAFF_SAID, *_CUSTOMER_SAID) if w not in ("why", "close"))
# The lines under a text column whose author the name does not say.
_AUTHOR_UNKNOWN = ("whose words these are the name does not say: move it to customer_text if "
                   "the customer wrote them (the customer's sentiment is read only there, staff "
                   "phrases never) or to agent_text if staff did (discouraged phrases are looked "
                   "for there)")


def _whose_words(col: Column, ticket: bool, survey: bool) -> tuple[str, str]:
    """(customer_text | agent_text | text, why) for a free-text column, from its name."""
    words = col.words
    spaced = f" {' '.join(words)} "
    staff = [w for w in words if w in _STAFF_AUTHORS]
    customer = [w for i, w in enumerate(words) if w in _CUSTOMER_AUTHORS
                and not (i and words[i - 1] in _ADDRESSED)]
    if staff and not customer:
        return "agent_text", f"its name says staff wrote it ({staff[0]})"
    if customer and not staff:
        return "customer_text", f"its name says the customer wrote it ({customer[0]})"
    if any(w.isdigit() for w in words):  # comments.0.body: one entry of a thread, either side's
        return "text", ""
    said = [w for w in words if w in _STAFF_SAID and not (survey and w in _ANSWER)]
    said += [p for p in _STAFF_PHRASES if f" {p} " in spaced]
    if said:  # staff's words about the customer's ("Complaint resolution", "Review reply")
        return "agent_text", f"its name says a reply/resolution, staff's words ({said[0]})"
    said = [w for w in words if w in _CUSTOMER_SAID or (survey and w in _ANSWER)]
    said += [p for p in _CUSTOMER_PHRASES if f" {p} " in spaced]
    if said:
        return "customer_text", f"its name says the customer's review/comment ({said[0]})"
    said = [w for w in words if w in _TICKET_SAID]
    if said and ticket:
        return "customer_text", f"a ticket's {said[0]}: the customer's words"
    return "text", ""


def _declared_signals(cols: list[Column], used: set[str]) -> list[tuple[str, dict, str,
                                                                        list[str]]]:
    """Columns that are a signal of their own (FORMAT.md, "Declared signals"): an NPS question,
    a customer effort score, a first-contact-resolution flag. (name, spec, why, comment lines)."""
    out: list[tuple[str, dict, str, list[str]]] = []
    for c in cols:
        if c.name in used or not c.nonnull or c.time_kind:
            continue
        spaced = f" {' '.join(c.words)} "
        names = {n for n, *_ in out}
        lo, hi = c.ints or (None, None)
        if ("nps" not in names and c.ints and 0 <= lo and hi <= 10
                and (_has(c, "nps", "recommend", "recommendation", "promoter", "cadangkan",
                          "syorkan", "mengesyorkan", "rekomendasi", "rekomendasikan",
                          "merekomendasikan", "aanbevelen", "aanraden")
                     or " net promoter " in spaced)):
            notes = ([f"its values only reach {hi}: if the question is asked 1–5, map it as the "
                      "rating instead"] if hi <= 5 else [])
            out.append(("nps", {"column": c.name, "scale": "nps"},
                        f"named like a likely-to-recommend question, whole numbers {lo}–{hi}: "
                        "NPS (9–10 exceeds, 7–8 meets, 0–6 falls short), the customer's "
                        "verdict; not the rating", notes))
        elif ("effort" not in names and c.ints and 1 <= lo and hi <= 7
              and _has(c, "ces", "effort", "usaha", "moeite")):
            out.append(("effort", {"column": c.name, "scale": "ces"},
                        f"named like customer effort, whole numbers {lo}–{hi}: CES (1 = very "
                        "easy; 1–2 exceeds, 3–4 meets, 5–7 falls short)",
                        ["a 1–7 agreement scale where 7 is good ('it was easy to…') is the "
                         "other way round: replace scale with a map {1: falls_short, …, "
                         "7: exceeds}"]))
        elif "fcr" not in names and _categorical(c, 4) and _first_contact_resolution(c):
            values = [v.strip() for v in c.counts]
            why = ("named like first contact resolution, yes/no values: a handling signal "
                   "(yes meets, no falls short)")
            if all(v.lower() in _FLAG_WORDS for v in values):
                spec: dict[str, Any] = {"column": c.name, "scale": "flag", "verdict": "handling"}
            elif all(_flag_word(v) is not None for v in values):
                spec = {"column": c.name, "map": {v: "meets" if _flag_word(v) else "falls_short"
                                                  for v in values}, "verdict": "handling"}
            else:
                continue
            out.append(("fcr", spec, why, []))
        else:
            continue
        used.add(c.name)
    return out


# The values scale: flag reads (stage.py); other yes/no words need a map.
_FLAG_WORDS = ("true", "t", "yes", "y", "1", "false", "f", "no", "n", "0")
_MORE_YES_NO = {"ya": True, "tidak": False, "tak": False, "ja": True, "nee": False}


def _flag_word(value: str) -> bool | None:
    v = value.strip().lower()
    return _MORE_YES_NO[v] if v in _MORE_YES_NO else _yes_no(v) if v in _FLAG_WORDS else None


def _first_contact_resolution(col: Column) -> bool:
    w = set(col.words)
    if w & {"fcr", "ftf", "ftr"}:
        return True
    if "first" in w and w & {"resolution", "resolved", "fix", "fixed", "solved", "right"} \
            and w & {"contact", "call", "time"}:
        return True
    if "pertama" in w and w & {"selesai", "diselesaikan", "penyelesaian"}:
        return True
    return "eerste" in w and bool(w & {"opgelost", "oplossing", "goed"})


def _score_id(col: Column) -> int:
    score = 0
    if _has(col, *_ID_WORDS):
        score += 3
    if _has(col, *_ID_THINGS, "order", "invoice", "transaction"):
        score += 2
    if col.auto_name:
        score -= 3  # an unnamed leading column is a leftover index (pandas)
    if col.time_kind:
        score -= 2
    if col.long_text:
        score -= 5
    if _has(col, *_CUSTOMER_WORDS, "email"):
        score -= 2
    return score


def _guess_id(cols: list[Column], rows: int, complete: bool) -> tuple[Column | list[Column],
                                                                      str] | None:
    unique = [c for c in cols if c.unique and len(c.nonnull) == rows and not c.array
              and not (_has(c, *_RATING_WORDS) and c.ints and c.ints[1] <= 10)]
    where = f"all {rows:,} rows" if complete else f"the {rows:,} rows looked at"
    if unique:
        best = max(unique, key=lambda c: (_score_id(c), -cols.index(c)))
        why = f"unique on {where}"
        if best.time_kind:
            why += ("; no id column: the time stamp is the only unique value (two answers in "
                    "the same second would collide)")
        others = [c.name for c in unique if c is not best and not c.long_text]
        if best.auto_name:
            why += " (an unnamed leftover index column: is there a real id?)"
        elif any(c.auto_name for c in unique):
            why += "; the unnamed first column is a leftover row index, not used"
        elif others and len(others) <= 3:
            why += f" (also unique: {', '.join(others)})"
        return best, why
    # no single column: the fewest columns that together are unique
    candidates = [c for c in cols if len(c.nonnull) == rows and not c.array and not c.auto_name
                  and len(c.counts) > 1]
    candidates.sort(key=lambda c: (c.long_text, -len(c.counts)))
    candidates = candidates[:15]
    for i, a in enumerate(candidates):
        for b in candidates[i + 1:]:
            if len(set(zip(a.values, b.values, strict=True))) == rows:
                return [a, b], (f"no single column is unique; together these are on {where} "
                                "(a content key: check that it names one contact)")
    return None


def _guess_customer(cols: list[Column], used: set[str]) -> tuple[Column, str] | None:
    best, best_score, why = None, 2, ""
    for c in cols:
        if c.name in used or c.long_text or c.time_kind or c.array or not c.nonnull:
            continue
        score, reasons = 0, []
        if _has(c, *_CUSTOMER_WORDS):
            score += 3
            reasons.append("its name says who the customer is")
        if _has(c, "email", "mail") or "e-mail" in c.name.lower():
            score += 3
            reasons.append("its name says e-mail")
        if _has(c, *_ID_WORDS, "handle"):
            score += 2
        emails = sum(1 for v in c.nonnull[:500] if re.fullmatch(r"[^@\s]+@[^@\s]+\.\w+", v))
        if emails >= 0.9 * min(500, len(c.nonnull)):
            score += 3
            reasons.append("its values are e-mail addresses")
        if _has(c, *_NOT_CUSTOMER) and not _has(c, "email", "mail"):
            score -= 4
        if score > best_score:
            best, best_score, why = c, score, "; ".join(reasons)
    if best is None:
        return None
    repeat = len(best.nonnull) - len(best.counts)
    why += (f"; {len(best.counts):,} distinct in {len(best.nonnull):,} rows" if repeat
            else "; no value repeats in the rows looked at")
    if len(best.nonnull) < len(best.values):
        why += f"; empty on {_n_rows(len(best.values) - len(best.nonnull))}"
    return best, why


_OCCURRED = {"created": 3, "creation": 3, "opened": 3, "open": 3, "start": 3, "started": 3,
             "submitted": 3, "received": 3, "timestamp": 3, "sent": 3, "logged": 3,
             "reported": 3, "raised": 3, "occurred": 3, "posted": 3, "registered": 3,
             "arrival": 3, "visit": 2, "call": 2, "contact": 2, "date": 1, "time": 1,
             "datetime": 1, "dt": 1, "at": 1, "when": 1, "day": 1, "dibuat": 3, "diterima": 3,
             "aangemaakt": 3, "ontvangen": 3, "tarikh": 1, "tanggal": 1, "datum": 1,
             "waktu": 1, "masa": 1}
_PROMISED = ("due", "target", "sla", "promise", "promised", "deadline", "callback", "expected",
             "committed")
_RESOLVED = ("closed", "close", "resolved", "resolution", "solved", "end", "ended", "completed",
             "complete", "finished", "replied", "reply", "fixed", "done")
# Times of something else than the contact: a purchase or a birthday (-3), a later step (-2).
_NOT_OCCURRED = {"purchase": 3, "purchased": 3, "birth": 3, "dob": 3, "first": 2, "response": 2,
                 "updated": 2, "modified": 2, "last": 2}


@dataclass
class TimeSource:
    columns: list[Column]
    formats: list[str]
    kind: str
    note: str

    @property
    def name(self) -> str:
        return self.columns[0].name

    @property
    def words(self) -> list[str]:
        return self.columns[0].words

    @property
    def filled(self) -> int:
        return sum(1 for vs in zip(*(c.values for c in self.columns), strict=True)
                   if all(v is not None for v in vs))


def _time_sources(table: Table) -> list[TimeSource]:
    """Time columns, with a date column and a time-of-day column joined into one."""
    dated = [c for c in table.columns if c.time_kind in ("datetime", "date", "epoch")]
    clocks = [c for c in table.columns if c.time_kind == "time"]
    sources = []
    for c in dated:
        pair = None
        if c.time_kind == "date" and clocks:
            stem = [w for w in c.words if w not in ("date", "day", "dt")]
            for t in clocks:
                if [w for w in t.words if w not in ("time", "hour")] == stem:
                    pair = t
                    break
        if pair is None:
            sources.append(TimeSource([c], c.formats, c.time_kind, c.time_note))
            continue
        clocks.remove(pair)
        joined = Column(c.name, [f"{a} {b}" if a is not None and b is not None else None
                                 for a, b in zip(c.values, pair.values, strict=True)])
        joined.nonnull = [v for v in joined.values if v is not None]
        _time_formats(Table(table.fmt, [joined], len(joined.values), True))
        formats = joined.formats or [f"{f} %H:%M:%S" for f in c.formats]
        sources.append(TimeSource([c, pair], formats, "datetime",
                                  f"the date in {c.name} and the time of day in {pair.name}: "
                                  + (joined.time_note or "joined")))
    return sources


def _score_time(src: TimeSource, words: dict[str, int] | tuple[str, ...]) -> int:
    if isinstance(words, dict):
        return max((words.get(w, 0) for w in src.words), default=0)
    return 3 if any(w in words for w in src.words) else 0


def _guess_times(sources: list[TimeSource], target: str) -> dict[str, tuple[TimeSource, str]]:
    out: dict[str, tuple[TimeSource, str]] = {}
    left = list(sources)
    if target == "interactions":
        for name, words, what in (("resolved_at", _RESOLVED, "closed/resolved"),
                                  ("promised_by", _PROMISED, "due/target/SLA")):
            cands = [s for s in left if _score_time(s, words)]
            if cands:
                s = max(cands, key=lambda s: s.filled)
                out[name] = (s, f"its name says {what}; {s.note}")
                left.remove(s)
    occurred = {**_OCCURRED}
    if target == "orders":
        occurred.update({"order": 3, "ordered": 3, "invoice": 3, "purchase": 3})
    def score(s: TimeSource) -> int:
        base = _score_time(s, occurred)
        if target == "interactions":
            base -= max((_NOT_OCCURRED.get(w, 0) for w in s.words), default=0)
        return base
    if left:
        s = max(left, key=lambda s: (score(s), s.filled, -sources.index(s)))
        if score(s) >= 1:
            why = "its name says when it was created/opened" if score(s) >= 3 else (
                "a date/time column")
        else:
            why = ("the only time column" if len(left) == 1
                   else "no time column is named like created/opened: the likeliest one")
        if target == "interactions" and any(w in _NOT_OCCURRED for w in s.words):
            why += f" (its name says {'/'.join(w for w in s.words if w in _NOT_OCCURRED)}: " \
                   "check it is when the contact happened)"
        empty = len(s.columns[0].values) - s.filled
        if empty:
            why += f"; empty on {_n_rows(empty)} (quarantined: the field is required)"
        out["ordered_at" if target == "orders" else "occurred_at"] = (s, f"{why}; {s.note}")
    return out


def _code_map(col: Column, lookup) -> tuple[list[tuple[str, str, str]], list[tuple[str, int]],
                                            float]:
    """Each distinct value → canonical code (or None); with the share of rows mapped."""
    known, unknown = [], []
    mapped = 0
    for value, n in col.counts.most_common(60):
        code = lookup(value)
        if code:
            known.append((value.strip(), code, ""))
            mapped += n
        else:
            unknown.append((value.strip(), n))
    return known, unknown, mapped / max(1, len(col.nonnull))


def _canonical(name: str):
    """Keep only codes the mapping format knows (ENUMS is the contract)."""
    def wrap(lookup):
        def inner(*args, **kw):
            code = lookup(*args, **kw)
            return code if code in ENUMS[name] else None
        return inner
    return wrap


@_canonical("channel")
def _channel_of(value: str, exact_only: bool = False) -> str | None:
    v = _norm(value)
    for code, words in CHANNEL_WORDS.items():
        if v in words or v == code.replace("_", " "):
            return code
    if exact_only:
        return None
    for w in v.split():
        if w in CHANNEL_TOKENS:
            return CHANNEL_TOKENS[w]
    if "self service" in v:
        return "web"
    return None


@_canonical("kind")
def _kind_of(value: str) -> str | None:
    v = _norm(value)
    words = v.split()
    for code, tokens in KIND_TOKENS.items():
        if code in words or any(t in v if " " in t else t in words for t in tokens):
            return code
    return None


@_canonical("status")
def _status_of(value: str) -> str | None:
    v = _norm(value)
    for code, tokens in STATUS_TOKENS.items():
        if v == code.replace("_", " ") or v in tokens:
            return code
    words = v.split()
    for code, tokens in STATUS_TOKENS.items():
        if any(t in words for t in tokens if " " not in t):
            return code
    return None


def _yes_no(value: str) -> bool | None:
    v = _norm(value)
    if v in YES or v.replace(" ", "") in YES:
        return True
    if v in NO:
        return False
    return None


def _categorical(col: Column, limit: int = 60) -> bool:
    return bool(col.nonnull) and not col.long_text and not col.time_kind and not col.array \
        and len(col.counts) <= limit


_CHANNEL_NAMES = ("channel", "source", "via", "medium", "media", "origin", "method", "mode",
                  "queue", "contact", "saluran", "kanal", "sumber", "bron")


def _guess_code(cols: list[Column], used: set[str], names: tuple[str, ...], lookup,
                min_share: float, value_only_share: float) -> tuple[Column, list, list,
                                                                    float] | None:
    best = None
    for c in cols:
        if c.name in used or not _categorical(c):
            continue
        known, unknown, share = _code_map(c, lookup)
        if not known:
            continue
        named = _has(c, *names)
        if (named and share >= min_share) or share >= value_only_share:
            # a column that tells rows apart beats a constant one
            key = (named, len({code for _, code, _ in known}) > 1, share, -cols.index(c))
            if best is None or key > best[0]:
                best = (key, c, known, unknown, share)
    return None if best is None else best[1:]


def _hint(texts: list[str], table: dict[str, str]) -> tuple[str, str] | None:
    for text in texts:
        for w in _words(text):
            if w in table:
                return table[w], w
    return None


_CHANNEL_HINTS = {"tweet": "social", "tweets": "social", "twitter": "social", "call": "phone",
                  "calls": "phone", "phone": "phone", "callcentre": "phone", "chat": "chat",
                  "email": "email", "emails": "email", "sms": "sms", "letter": "letter",
                  "letters": "letter", "survey": "web", "review": "web", "reviews": "web",
                  "form": "web", "store": "in_person", "visit": "in_person",
                  "visits": "in_person", "app": "app"}
_KIND_HINTS = {"complaint": "complaint", "complaints": "complaint", "survey": "feedback",
               "review": "feedback", "reviews": "feedback", "feedback": "feedback",
               "enquiry": "inquiry", "inquiry": "inquiry",
               "question": "inquiry", "compliment": "compliment", "request": "request"}
_RATING_WORDS = ("rating", "rate", "rated", "score", "satisfaction", "satisfied", "csat", "nps",
                 "stars", "star", "recommend", "easy", "effort", "ces")


def _scale(col: Column) -> tuple[list[int], str] | None:
    if col.ints is None:
        return None
    lo, hi = col.ints
    seen = f"values {lo}–{hi}"
    if _has(col, "nps", "recommend") and lo >= 0 and hi <= 10:
        return [0, 10], f"{seen}; NPS-style question: 0–10"
    if lo >= 1 and hi <= 5:
        return [1, 5], seen
    if lo >= 0 and hi <= 10 and lo == 0:
        return [0, 10], seen
    if lo >= 1 and hi <= 10:
        return [1, 10], seen
    return None


def _slug(text: str, common: set[str], words: int = 2) -> str:
    stop = {"how", "would", "you", "your", "rate", "the", "of", "to", "at", "in", "a", "an",
            "is", "are", "do", "does", "will", "for", "as", "on", "and", "or", "with", "what",
            "be", "q", "question", "rating", "score", "please", "our", "we", "us", "it",
            "compared", "other", "likely", "important", "doing", "choose", "satisfied", "were",
            "was", "easy", "my", "me", "this", "that", "by", "from"}
    ws = [w for w in re.findall(r"[a-z]+", text.lower())
          if w not in stop and w not in common and len(w) > 1]
    return "_".join(ws[:words]) or "question"


def _language(cols: list[Column]) -> tuple[str, str] | None:
    texts = [v for c in cols for v in c.nonnull[:400]]
    if not texts:
        return None
    votes: Counter = Counter()
    for t in texts:
        words = set(re.findall(r"[a-z]+", t.lower()))
        scores = {lang: len(words & ws) for lang, ws in LANGUAGE_WORDS.items()}
        lang, n = max(scores.items(), key=lambda kv: kv[1])
        if n >= 2 and list(scores.values()).count(n) == 1:
            votes[lang] += 1
    if not votes:
        return None
    lang, n = votes.most_common(1)[0]
    if n >= 0.7 * sum(votes.values()) and n >= 0.3 * len(texts):
        return lang, (f"{n:,} of {len(texts):,} texts looked at use common '{lang}' words "
                      "(a guess: check it, or map a language column)")
    return None


# ---------------------------------------------------------------------------------------------
# YAML output.


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_ ./()*-]*")
# Characters YAML does not allow anywhere, not even in a comment (PyYAML's printable set).
_NOT_YAML = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd"
                       "\U00010000-\U0010ffff]")
_YAML_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null", "none", "~"}


def _scalar(value: Any) -> str:
    """A scalar that reads back as itself in block and in flow context."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    if (_PLAIN.fullmatch(text) and text == text.strip() and text.lower() not in _YAML_WORDS
            and "  " not in text):
        return text
    quoted = json.dumps(text, ensure_ascii=False)
    return _NOT_YAML.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


class _Out:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def comment(self, text: str, indent: int = 0) -> None:
        text = _NOT_YAML.sub("?", text)
        for part in _wrap(text, 98 - indent):
            self.lines.append(" " * indent + "# " + part)

    def item(self, key: str, value: Any, why: str = "", indent: int = 0) -> None:
        text = " " * indent + f"{key}: {_flow(value)}"
        if len(text) > 100 and isinstance(value, list | dict) and len(value) > 1:
            # a long flow collection continues on more lines, under its first item
            lead = " " * indent + f"{key}: "
            parts = ([_flow(v) for v in value] if isinstance(value, list)
                     else [f"{_scalar(k)}: {_flow(v)}" for k, v in value.items()])
            opener, closer = ("[", "]") if isinstance(value, list) else ("{", "}")
            lines, cur = [], lead + opener
            for i, part in enumerate(parts):
                piece = part + (", " if i < len(parts) - 1 else closer)
                if len(cur) + len(piece.rstrip()) > 98 and cur.strip() not in (
                        lead.strip() + opener, ""):
                    lines.append(cur.rstrip())
                    cur = " " * (len(lead) + 1)
                cur += piece
            lines.append(cur)
            if why:
                self.comment(why, indent)
            self.lines.extend(lines)
            return
        self.add(text, why)

    def add(self, text: str, why: str = "") -> None:
        if why:
            why = _NOT_YAML.sub("?", why.replace("\n", " "))
            pad = max(2, 44 - len(text))
            line = f"{text}{' ' * pad}# {why}"
            if len(line) > 100 and len(text) < 100:
                indent = len(text) - len(text.lstrip())
                self.comment(why, indent)
                self.lines.append(text)
                return
            self.lines.append(line)
        else:
            self.lines.append(text)


def _wrap(text: str, width: int) -> list[str]:
    words, lines, cur = text.split(" "), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    if cur:
        lines.append(cur)
    return lines or [""]


# ---------------------------------------------------------------------------------------------
# The draft.


def _files_pattern(path: Path, data_dir: Path) -> tuple[str, str]:
    """The mapping's `files:` and a comment."""
    try:
        rel = path.resolve().relative_to(data_dir.resolve())
    except ValueError:
        slug = _source_name(path)
        return (f"{slug}/{glob.escape(path.name)}",
                f"{path} is outside the data folder {data_dir}: copy it to "
                f"{data_dir / slug / path.name} (patterns may not leave the data folder)")
    exact = glob.escape(rel.as_posix())
    named = _DATE_IN_NAME.search(rel.name)
    if named:
        folder = "" if rel.parent == Path(".") else glob.escape(rel.parent.as_posix()) + "/"
        dated = (folder + glob.escape(rel.name[: named.start()]) + "*"
                 + glob.escape(rel.name[named.end():]))
        return dated, f"the date in the name as * so later exports match too ({rel.name})"
    return exact, "this one file; use * for the part that changes between exports"


_DATE_IN_NAME = re.compile(
    r"(?<![\d.:])((?:19|20)\d{2})([-_.]?)(\d{2})(?:\2(\d{2}))?(?![\d:]|[.:]\d)")


def _date_in_name(name: str) -> tuple[str, str, str] | None:
    """(regex with the date as its group, its strptime format, the date as written)."""
    m = _DATE_IN_NAME.search(name)
    if not m or not 1 <= int(m.group(3)) <= 12:
        return None
    sep = m.group(2)
    esc = re.escape(sep) if sep else ""
    group = r"\d{4}" + esc + r"\d{2}" + (esc + r"\d{2}" if m.group(4) else "")
    fmt = "%Y" + sep + "%m" + (sep + "%d" if m.group(4) else "")
    prefix = re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", name[: m.start()])
    return f"{prefix}({group})", fmt, m.group(0)


def _source_name(path: Path) -> str:
    stem = _DATE_IN_NAME.sub("", path.name)
    for ext in (*COMPRESSIONS, ".csv", ".tsv", ".txt", ".json", ".jsonl", ".ndjson", ".parquet",
                *EXCEL_EXTENSIONS, ".dat"):
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
    slug = re.sub(r"[^A-Za-z0-9]+", "_", stem).strip("_").lower()
    return (slug or "export")[:40].rstrip("_")


def _is_orders(path: Path, cols: list[Column]) -> bool:
    """Order lines or orders: an order number (or a file named so) and money, and nothing of a
    customer contact (channel, rating, ticket)."""
    order_id = any(_has(c, "order", "invoice", "transaction") and _has(c, *_ID_WORDS)
                   for c in cols) or bool(set(_words(path.name)) & {"order", "orders", "invoice",
                                                                   "invoices", "sales"})
    money = any(_has(c, "amount", "total", "subtotal", "price", "revenue", "sales") and c.numeric
                for c in cols)
    contact = any(_has(c, "channel", "rating", "satisfaction", "ticket", "complaint", "case",
                       "survey") for c in cols)
    return order_id and money and not contact


def draft_mapping(path: Path, data_dir: Path) -> str:
    """A draft source mapping (YAML text with comments) for the export at `path`."""
    path = Path(path)
    try:
        table = _read_table(path)
        if not table.columns or not table.rows:
            raise UserError(f"{path}: no data rows found under the header")
        _profile(table)
        return _write(path, Path(data_dir), table)
    except UserError:
        raise
    except RecursionError:
        raise UserError(f"{path}: nested too deeply to read") from None
    except Exception as exc:  # never a traceback for an odd file
        raise UserError(f"{path}: cannot draft a mapping ({exc.__class__.__name__}: "
                        f"{_first_line(exc)})") from None


def _write(path: Path, data_dir: Path, table: Table) -> str:
    cols = table.columns
    target = "orders" if _is_orders(path, cols) else "interactions"
    used: set[str] = set()
    fields: dict[str, Guess] = {}
    missing: dict[str, str] = {}
    extra_top: list[str] = []
    unpivot: dict[str, Any] | None = None
    rows_text = (f"all {table.rows:,} rows" if table.complete
                 else f"the first {table.rows:,} rows")

    # ids
    if target == "orders":
        order = next((c for c in cols if _has(c, "order", "invoice", "transaction")
                      and _has(c, *_ID_WORDS) and len(c.nonnull) == table.rows), None)
        if order is not None:
            why = "its name says order/invoice number"
            if not order.unique:
                why += (f"; {len(order.counts):,} distinct in {table.rows:,} rows: one row per "
                        "order line (only the first line of an order is kept; the rest count "
                        "as duplicates)")
            fields["order_id"] = Guess(order.name, why)
            used.add(order.name)
    found = _guess_id(cols, table.rows, table.complete) if target == "interactions" else None
    if found:
        col, why = found
        if isinstance(col, list):
            fields["interaction_id"] = Guess({"columns": [c.name for c in col]}, why)
            used.update(c.name for c in col)
        else:
            fields["interaction_id"] = Guess(col.name, why)
            used.add(col.name)
    key = "order_id" if target == "orders" else "interaction_id"
    if key not in fields:
        missing[key] = ("no column (or pair of columns) is unique on every row: an id is "
                        "required; add one to the export")

    cust = _guess_customer(cols, used)
    if cust:
        fields["customer_id"] = Guess(cust[0].name, cust[1])
        used.add(cust[0].name)
        for c in cols:
            if _has(c, "inbound", "outbound", "direction") and _categorical(c, 5):
                fields["customer_id"].extra.append(
                    f"{c.name} ({', '.join(map(_show, c.counts))}) tells the customer's rows "
                    "from the company's replies: the replies' author is not a customer")
    else:
        missing["customer_id"] = ("no column names the customer (e-mail, customer/user/member "
                                  "id); leave it out for anonymous contacts"
                                  + ("" if target == "interactions" else " (orders need one)"))

    # times
    sources = _time_sources(table)
    times = _guess_times(sources, target)
    for name, (src, why) in times.items():
        spec: Any = (src.name if len(src.columns) == 1
                     else {"columns": [c.name for c in src.columns]})
        fields[name] = Guess(spec, why)
        used.update(c.name for c in src.columns)
    formats_by_field = {n: s.formats for n, (s, _) in times.items() if s.formats}
    time_field = "ordered_at" if target == "orders" else "occurred_at"
    if time_field not in times:
        named = _date_in_name(path.name)
        if named:
            regex, fmt, text = named
            fields[time_field] = Guess(
                {"from_file_name": regex, "formats": [fmt]},
                f"no time column: the date in the file name ({text}); the report says such "
                "dates are declared, not observed")
        else:
            missing[time_field] = ("no time column found: required; give a constant "
                                   "({value: '2024-01-31'}) or from_file_name")
    for name, hint in (("promised_by", "a due/target/SLA time column (or hours: {column: X, "
                                       "hours_after: occurred_at})"),
                       ("resolved_at", "a closed/resolved time column")):
        if target == "interactions" and name not in fields:
            sla = next((c for c in cols if name == "promised_by" and c.numeric
                        and _has(c, *_PROMISED) and _has(c, "hours", "hrs", "hour", "h")), None)
            if sla is not None and "occurred_at" in fields:
                fields[name] = Guess({"column": sla.name, "hours_after": "occurred_at"},
                                     "a number of hours named like a due/SLA time")
                used.add(sla.name)
            else:
                missing[name] = hint

    # declared signals (NPS, effort, first contact resolution) before the rating: never both
    signals = _declared_signals(cols, used) if target == "interactions" else []
    # rating(s): wide surveys unpivot
    ratings = []
    for c in cols:
        if c.name in used or not _has(c, *_RATING_WORDS):
            continue
        sc = _scale(c)
        if sc:
            ratings.append((c, *sc))
        elif c.numeric and c.nonnull:
            extra_top.append(f"{c.name}: named like a rating but its values are not whole "
                             f"numbers on a 1–5, 0–10 or 1–10 scale (e.g. "
                             f"{', '.join(map(_show, list(c.counts)[:3]))}); not mapped")
    if target == "interactions" and len(ratings) >= 2:
        scales = Counter(tuple(s) for _, s, _ in ratings)
        ranges = sorted({f"{a}–{b}" for _, (a, b), _ in ratings})
        scale = list(scales.most_common(1)[0][0])
        topics, seen_slugs = {}, Counter()
        # words most questions share ("Starbucks") do not tell the topics apart
        shared = Counter(w for c, _, _ in ratings for w in set(re.findall(r"[a-z]+",
                                                                           c.name.lower())))
        common = {w for w, n in shared.items() if n >= max(2, len(ratings) / 2)}
        for c, _, _ in ratings:
            slug = _slug(re.sub(r"^\s*(q\s*)?\d+[.):]?\s*", "", c.name, flags=re.I), common)
            seen_slugs[slug] += 1
            topics[c.name] = slug if seen_slugs[slug] == 1 else f"{slug}_{seen_slugs[slug]}"
            used.add(c.name)
        unpivot = {"columns": topics, "value_to": "rating", "name_to": "topic",
                   "value": {"scale": scale},
                   "_why": f"{len(ratings)} rating columns ({', '.join(ranges)}): a wide "
                           "survey, one interaction per answered question; rename the topics"}
        if len(scales) > 1:
            unpivot["_why"] += "; the columns use different scales: split them into two sources"
    elif ratings and target == "interactions":
        c, sc, seen = ratings[0]
        fields["rating"] = Guess({"column": c.name, "scale": sc},
                                 f"whole numbers named like a rating; {seen}")
        used.add(c.name)
    if target == "interactions" and "rating" not in fields and unpivot is None:
        missing["rating"] = "a 1–5, 0–10 or 1–10 score column named like rating/score/csat"
        if signals:
            missing["rating"] += ("; without one, the declared signals below decide "
                                  "(an NPS or effort answer is the customer's verdict)")

    # codes
    def add_code(name: str, found, what: str) -> None:
        col, known, unknown, share = found
        spec: dict[str, Any] = {"column": col.name}
        g = Guess(spec, f"{what}; {share:.0%} of rows map to a {name}")
        g.map_lines = known
        g.unknown = unknown
        fields[name] = g
        used.add(col.name)

    if target == "interactions":
        ch = _guess_code(cols, used, _CHANNEL_NAMES, _channel_of, 0.3, 2.0)
        ch = ch or _guess_code(cols, used, (), lambda v: _channel_of(v, True), 2.0, 0.8)
        if ch:
            add_code("channel", ch, "its values are channel names"
                     if not _has(ch[0], *_CHANNEL_NAMES) else "its name says channel/source")
        else:
            # the file's name, or a column named after the contact (tweet_id, Call Id, Review)
            h = _hint([path.name], _CHANNEL_HINTS) or _hint(
                [c.name for c in cols], {w: _CHANNEL_HINTS[w] for w in (
                    "tweet", "tweets", "twitter", "call", "calls", "review", "reviews")})
            if h:
                fields["channel"] = Guess({"value": h[0]},
                                          f"no channel column; '{h[1]}' in the file or column "
                                          f"names: every row is {h[0]} (check)")
            else:
                missing["channel"] = ("required: no channel column; set a constant "
                                      "({value: phone}) for a single-channel export")
        kd = _guess_code(cols, used, ("type", "kind", "reason", "purpose", "nature", "class",
                                      "intent", "category", "jenis", "tipe", "kategori",
                                      "sebab", "alasan", "soort", "categorie", "reden"),
                         _kind_of, 0.5, 2.0)
        if kd:
            add_code("kind", kd, f"its name says type/kind ({kd[0].name})")
        else:
            h = _hint([path.name, *[c.name for c in cols]], _KIND_HINTS)
            if h or unpivot:
                value = h[0] if h else "feedback"
                fields["kind"] = Guess({"value": value},
                                       f"'{h[1]}' in the file or column names" if h
                                       else "a survey's answers are feedback")
            else:
                missing["kind"] = ("a type column (complaint / inquiry / request …), or a "
                                   "constant ({value: complaint})")
        st = _guess_code(cols, used, ("status", "state", "result", "outcome", "resolved",
                                      "solved", "closed", "keadaan", "hasil", "resultaat"),
                         _status_of, 0.5, 2.0)
        yes_no = next((c for c in cols if c.name not in used and _categorical(c, 3)
                       and _has(c, "resolved", "solved", "closed", "fixed")
                       and all(_yes_no(v) is not None for v in c.counts)), None)
        if st is None and yes_no is not None:
            known = [(v.strip(), "resolved" if _yes_no(v) else "unresolved", "")
                     for v in yes_no.counts]
            st = (yes_no, known, [], 1.0)
        if st:
            add_code("status", st, f"its name says status ({st[0].name})")
        else:
            missing["status"] = "a status column (open / closed / pending …)"
        pk = next((c for c in cols if c.name not in used and _categorical(c, 4)
                   and (_has(c, "ontime", "sla", "met", "kept", "within", "late", "overdue")
                        or "on time" in " ".join(c.words) or "same day" in " ".join(c.words))
                   and all(_yes_no(v) is not None for v in c.counts)), None)
        if pk is not None:
            fields["promise_kept"] = Guess(
                {"column": pk.name, "map": {v.strip(): bool(_yes_no(v)) for v in pk.counts}},
                "its name says on time / SLA met")
            used.add(pk.name)
        else:
            missing["promise_kept"] = "a yes/no column saying whether the promise was met"
        agent = next((c for c in cols if c.name not in used and not c.long_text
                      and not c.time_kind and c.nonnull
                      and _has(c, "agent", "assignee", "assigned", "owner", "handler",
                               "handled", "staff", "employee", "rep", "representative",
                               "operator", "advisor", "csr", "technician", "officer")), None)
        if agent is not None:
            fields["agent_id"] = Guess(agent.name, f"its name says agent/assignee; "
                                                   f"{len(agent.counts):,} distinct")
            used.add(agent.name)
        else:
            missing["agent_id"] = "an agent/assignee column"
        if unpivot is None:
            topic_words = {"topic": 5, "category": 4, "reason": 3, "subject": 2, "issue": 2,
                           "product": 1, "queue": 1, "department": 1, "service": 1}
            cands = [(max(topic_words.get(w, 0) for w in c.words or [""]), c) for c in cols
                     if c.name not in used and _categorical(c, max(60, table.rows // 20))]
            cands = [(s, c) for s, c in cands if s > 0]
            if cands:
                # a column that tells rows apart beats a constant one
                s, c = max(cands, key=lambda sc: (len(sc[1].counts) > 1, sc[0],
                                                  -cols.index(sc[1])))
                fields["topic"] = Guess(c.name, f"its name says topic/category; "
                                                f"{len(c.counts):,} distinct value"
                                                + ("" if len(c.counts) == 1 else "s"))
                used.add(c.name)
            else:
                missing["topic"] = "a topic/category column (the catalog maps topics)"
        texts = [c for c in cols if c.name not in used and not c.array and c.nonnull
                 and not _has(c, *_NOT_TEXT) and not c.time_kind
                 and (c.long_text or (_has(c, *_TEXT_WORDS) and not _has(c, *_ID_WORDS)
                                      and c.avg_len >= 10 and not c.numeric
                                      and len(c.counts) > 20))]
        texts.sort(key=lambda c: (not _has(c, "subject", "title"), cols.index(c)))
        # a column repeating another (Zendesk's subject and raw_subject) once
        texts = [c for i, c in enumerate(texts)
                 if not any(c.values == d.values for d in texts[:i])]
        # whose words: a ticket's subject is the customer's, a survey's "Answer" too
        names = [path.name, *[c.name for c in cols]]
        kind = fields.get("kind")
        ticket = bool(_hint(names, dict.fromkeys(_TICKET, ""))) or (
            kind is not None and kind.spec == {"value": "complaint"})
        survey = bool(unpivot or signals or _hint(names, dict.fromkeys(_SURVEY, "")))
        by_role: dict[str, list[tuple[Column, str]]] = {}
        for c in texts:
            role, why = _whose_words(c, ticket, survey)
            if len(by_role.setdefault(role, [])) < 3:
                by_role[role].append((c, why))
        for role, found in by_role.items():
            spec = (found[0][0].name if len(found) == 1
                    else {"columns": [c.name for c, _ in found]})
            avg = ", ".join(f"{c.name} {c.avg_len:.0f}" for c, _ in found)
            why = f"free text (average length: {avg} characters)" + (
                "; empty parts are skipped" if len(found) > 1 else "")
            whose = "; ".join(w if len(found) == 1 else f"{c.name}: {w}" for c, w in found if w)
            fields[role] = Guess(spec, f"{whose}; {why}" if whose else why)
            if role == "text":
                fields[role].extra.append(_AUTHOR_UNKNOWN)
            used.update(c.name for c, _ in found)
        texts = [c for found in by_role.values() for c, _ in found]
        if not texts:
            missing["text"] = ("a free-text column (description, notes, comment); the "
                               "customer's own words go to customer_text, staff's to agent_text")
        lang_col = next((c for c in cols if c.name not in used and _categorical(c)
                         and _has(c, "language", "lang", "locale")), None)
        if lang_col is not None:
            fields["language"] = Guess(lang_col.name, "its name says language")
            used.add(lang_col.name)
        else:
            lang = _language(texts)
            if lang:
                fields["language"] = Guess({"value": lang[0]}, lang[1])
            else:
                missing["language"] = "a language column, or a constant ({value: en})"
    else:
        amount = None
        for words in (("amount", "total", "revenue", "sales", "value"), ("price",)):
            amount = next((c for c in cols if c.name not in used and c.numeric
                           and _has(c, *words)), None)
            if amount is not None:
                break
        if amount is not None:
            why = "a number named like the order amount"
            qty = next((c for c in cols if c.numeric and _has(c, "quantity", "qty")), None)
            if _has(amount, "price", "unit") and qty is not None:
                why = (f"{amount.name} is a unit price and {qty.name} a quantity: the order "
                       f"amount is their product, summed over the order's lines; that needs "
                       f"a sql source (format: sql) — this maps the unit price")
            fields["amount"] = Guess(amount.name, why)
            used.add(amount.name)
        else:
            missing["amount"] = "the order amount column"
        cur = next((c for c in cols if c.name not in used and _has(c, "currency", "cur")), None)
        if cur is not None:
            fields["currency"] = Guess(cur.name, "its name says currency")
            used.add(cur.name)
        else:
            missing["currency"] = "a currency column, or a constant ({value: GBP})"

    return _render(path, data_dir, table, target, fields, missing, unpivot, extra_top, used,
                   formats_by_field, rows_text, signals)


def _render(path: Path, data_dir: Path, table: Table, target: str, fields: dict[str, Guess],
            missing: dict[str, str], unpivot: dict[str, Any] | None, extra_top: list[str],
            used: set[str], formats_by_field: dict[str, list[str]], rows_text: str,
            signals: list[tuple[str, dict, str, list[str]]]) -> str:
    out = _Out()
    slug = _source_name(path)
    out.comment(f"Draft mapping for {path.name}, from {rows_text} "
                "(`python -m pipeline sources draft`).")
    out.comment(f"Check every guess, then save it as data/reference/sources/{slug}.yaml.")
    todo = [f for f in ALWAYS_REQUIRED[target] if f not in fields
            and not (unpivot and f in ("rating", "topic"))]
    if todo:
        out.comment(f"TO DO before it loads: {', '.join(todo)} not found (see below).")
    for note in table.notes:
        out.comment(note)
    out.item("source", slug)
    out.item("target", target, "orders: order numbers and amounts" if target == "orders" else "")
    pattern, why = _files_pattern(path, data_dir)
    out.item("files", pattern, why)
    fmt_why = {"csv": "delimited text", "jsonl": "one JSON object per line",
               "json": "a JSON document", "parquet": "Parquet", "excel": "a workbook",
               "fixed_width": "columns at fixed positions"}[table.fmt]
    raw_comp = path.suffix.lower() in COMPRESSIONS
    if raw_comp:
        fmt_why += f" ({COMPRESSIONS[path.suffix.lower()]}-compressed: read as it is)"
    out.item("format", table.fmt, fmt_why)
    if table.block:
        opts = [o for o in table.options if not (o[0] == "encoding" and o[1] == "utf-8"
                                                 and "byte-order" not in o[2])]
        if opts:
            out.add(f"{table.block}:")
            for k, v, why in opts:
                out.item(k, v, why, indent=2)
    if table.null_tokens:
        out.item("null_tokens", ["", *[w for w, _ in table.null_tokens]],
                 "; ".join(why for _, why in table.null_tokens))
    # time zone and formats
    zones = {c.zone for c in table.columns if c.zone and c.name in used}
    offsets = bool(formats_by_field) and all(
        all("%z" in f or f.endswith("Z") or f in ("epoch", "epoch_ms") for f in fs)
        for fs in formats_by_field.values())
    if zones:
        zone = sorted(zones)[0]
        tz, why = _zone_for(zone)
        out.item("timezone", tz, why)
    elif offsets:
        out.item("timezone", "UTC", "the time stamps carry their own offset")
    elif any(c.typed_time for c in table.columns if c.name in used) and table.fmt == "parquet":
        out.item("timezone", "UTC", "Parquet time stamps without zone: check they are UTC")
    else:
        out.item("timezone", "UTC", "no zone in the values: set the zone the export's clock "
                                    "runs in (e.g. Asia/Kuala_Lumpur)")
    main = formats_by_field.get("occurred_at") or formats_by_field.get("ordered_at") or []
    field_formats: dict[str, list[str]] = {}
    all_formats = list(main)
    for n, fs in formats_by_field.items():
        if n in ("occurred_at", "ordered_at"):
            continue
        if set(fs) <= set(all_formats) or not _conflicts(all_formats, fs):
            all_formats += [f for f in fs if f not in all_formats]
        else:
            field_formats[n] = fs
    if all_formats:
        out.item("timestamp_formats", all_formats,
                 "the formats the time columns' values match")
    # fields
    out.add("fields:")
    order = ("interaction_id", "order_id", "customer_id", "occurred_at", "ordered_at",
             "channel", "kind", "topic", "promised_by", "promise_kept", "resolved_at", "status",
             "rating", "agent_id", "customer_text", "agent_text", "text", "language", "amount",
             "currency")
    for name in order:
        if name in fields:
            g = fields[name]
            spec = g.spec
            if name in field_formats and isinstance(spec, str):
                spec = {"column": spec, "formats": field_formats[name]}
            elif name in field_formats and isinstance(spec, dict):
                spec = {**spec, "formats": field_formats[name]}
            for line in g.extra:
                out.comment(line, 2)
            if g.map_lines or g.unknown:
                _render_code(out, name, spec, g)
            else:
                out.item(name, spec, g.why, indent=2)
        elif name in missing:
            out.comment(f"{name}: not found; {missing[name]}", 2)
    if unpivot:
        why = unpivot.pop("_why")
        out.add("unpivot:", why)
        out.add("  columns:")
        for col, topic in unpivot["columns"].items():
            out.add(f"    {_scalar(col)}: {_scalar(topic)}")
        out.item("value_to", "rating", indent=2)
        out.item("name_to", "topic", indent=2)
        out.item("value", unpivot["value"], indent=2)
    if signals:
        out.add("signals:", "columns that are a signal of their own: each answer exceeds, "
                            "meets or falls short (FORMAT.md, Declared signals)")
        for name, spec, why, notes in signals:
            out.item(name, spec, why, indent=2)
            for line in notes:
                out.comment(line, 2)
    rest = [c.name for c in table.columns if c.name not in used]
    for line in extra_top:
        out.comment(line)
    if rest:
        out.comment(f"not mapped: {', '.join(rest)}")
    return "\n".join(out.lines) + "\n"


def _render_code(out: _Out, name: str, spec: dict[str, Any], g: Guess) -> None:
    out.add(f"  {name}:", g.why)
    out.item("column", spec["column"], indent=4)
    flow = "    map: " + _flow({k: v for k, v, _ in g.map_lines})
    if len(flow) <= 100 and not g.unknown:
        out.add(flow)
    else:
        out.add("    map:")
        for k, v, _ in g.map_lines:
            out.add(f"      {_scalar(k)}: {_scalar(v)}")
        for k, n in g.unknown:
            out.comment(f"{_scalar(k)}: ?   ({_n_rows(n)}: not a {name} this draft knows)", 6)
    if g.unknown and name == "channel" and "other" in ENUMS["channel"]:
        out.item("default", "other", "values not in the map (the ones above) become other",
                 indent=4)
    elif g.unknown:
        out.comment(f"the values above without a {name} are quarantined "
                    f"(unknown_value:{name}) until mapped", 4)


def _conflicts(a: list[str], b: list[str]) -> bool:
    """Two format lists that would read the same text differently (day/month order), or read
    numbers two ways (epoch and epoch_ms)."""
    numeric = ("epoch", "epoch_ms", "excel_serial")
    if {f for f in a if f in numeric} ^ {f for f in b if f in numeric} and any(
            f in numeric for f in a) and any(f in numeric for f in b):
        return True
    for f in b:
        s = _swap_day_month(f)
        if s and any(s == x for x in a):
            return True
    return False


def _zone_for(zone: str) -> tuple[str, str]:
    m = re.fullmatch(r"(GMT|UTC)([+-])(\d{1,2})(?::?(\d{2}))?", zone)
    if m:
        hours = int(m.group(3))
        sign = 1 if m.group(2) == "+" else -1
        if m.group(4) and m.group(4) != "00":
            return "UTC", (f"the values end in the literal {zone}: no fixed-hour zone fits; "
                           "set the city's zone")
        etc = "UTC" if hours == 0 else f"Etc/GMT{'-' if sign > 0 else '+'}{hours}"
        city = _OFFSET_CITIES.get(sign * hours)
        return etc, (f"the values end in the literal {zone} (kept in the format): UTC"
                     f"{m.group(2)}{hours}; {etc} is that offset (its sign is inverted by "
                     "convention)" + (f"; or a city zone such as {city}" if city else ""))
    if zone in _ZONE_NAMES:
        return _ZONE_NAMES[zone], f"the values end in the literal {zone} (kept in the format)"
    return "UTC", f"the values end in {zone}: kept in the format; set the zone it stands for"
