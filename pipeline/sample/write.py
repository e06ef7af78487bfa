"""Writing the sample: the `_Out` writer (temporary name, then rename), the monthly exports
table and `write_sample`, which drives the months and returns a `SampleSummary`."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.sample.contacts import (
    _subset,
    call_rows,
    complaint_events,
    desk_rows,
    letter_rows,
    month_contacts,
    month_orders,
    month_surveys,
    state_after,
    store_rows,
)
from pipeline.sample.exports import (
    CALL_HEADER,
    LETTER_HEADER,
    SENDERS_HEADER,
    STORE_HEADER,
    SURVEY_HEADER,
    _body,
    callcentre_lines,
    helpdesk_lines,
    letter_lines,
    orders_table,
    senders_lines,
    store_lines,
    survey_lines,
)
from pipeline.sample.parameters import (
    _CELLS_PER_RESPONDENT,
    CALL,
    DEFAULT_END,
    DESK,
    LETTER,
    LETTER_HEADER_LINES,
    SOURCE_SHARES,
    STORE,
)
from pipeline.sample.population import Month, calendar, population, volume_plan

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
