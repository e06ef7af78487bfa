"""A report for any data (issue 16): a warehouse with orders only, or interactions only, runs
through the real command line, exits 0, and every section says in one line what it cannot show.

Orders-only fixture (retention.yaml as shipped: windows 30 / 90 / 180 days, primary 90, churn
90 days; data end = the latest order, 2026-10-10 10:00; every order at 10:00):

  customer  orders                      first -> second   followed for (days to data end: 30/90/180)
  A         01-05, 01-20, 06-01         15 d              all three
  B         01-10, 03-01                50 d              all three
  C         02-01                       none              all three
  D         02-10, 08-01                172 d             all three
  E         03-15, 03-16                1 d               all three
  F         09-01                       none              30 only (39 days)
  G         10-01, 10-10                9 d               none (9 days)

By hand, bought again within the window, of those followed:
  30 d: 6 followed (A-F), 2 again (A 15 d, E 1 d)            -> 33%
  90 d: 5 followed (A-E), 3 again (A, B 50 d, E)             -> 60%
  180 d: 5 followed, 4 again (A, B, D 172 d, E)              -> 80%
Cohorts by first-order month: Jan (A, B) 30 d 1 of 2, 90 d 2 of 2; Feb (C, D) 180 d 1 of 2;
Mar (E) 1 of 1; Sep (F) 30 d 0 of 1, longer windows not followed; Oct (G) none followed.
Churn (no order after 2026-07-12 10:00, 90 days before the end): active D, F, G; churned A, B, C,
E -> 4 of 7. reordered (no contact: a second order within 90 days of the first): A, B, E, G.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from pypdf import PdfReader

from pipeline import paths
from pipeline.cli import main

NOW = "2026-11-01T00:00:00"

ORDERS_MAPPING = """
source: shop
target: orders
files: orders/*.csv
format: csv
fields: {order_id: order_id, customer_id: customer_id, ordered_at: ordered_at, amount: amount,
         currency: currency}
"""

ORDERS = {
    "A": ["2026-01-05", "2026-01-20", "2026-06-01"],
    "B": ["2026-01-10", "2026-03-01"],
    "C": ["2026-02-01"],
    "D": ["2026-02-10", "2026-08-01"],
    "E": ["2026-03-15", "2026-03-16"],
    "F": ["2026-09-01"],
    "G": ["2026-10-01", "2026-10-10"],
}

CALLS_MAPPING = """
source: calls
files: calls/*.csv
format: csv
timestamp_formats: ["%Y-%m-%d %H:%M"]
required: [customer_id]
fields:
  interaction_id: id
  customer_id: customer
  occurred_at: opened
  channel: {value: phone}
  kind: kind
"""


class Project:
    def __init__(self, root: Path):
        self.root = root
        self.data, self.sources = root / "data", root / "sources"
        self.reference, self.out, self.warehouse = root / "reference", root / "out", root / "w.db"
        self.data.mkdir(parents=True)
        self.sources.mkdir()
        shutil.copytree(paths.EXPECTATIONS, root / "expectations")
        shutil.copytree(paths.REFERENCE, self.reference, ignore=shutil.ignore_patterns("sources"))

    def add(self, name: str, mapping: str, file: str, text: str) -> None:
        (self.sources / f"{name}.yaml").write_text(mapping.lstrip("\n"), encoding="utf-8")
        (self.data / file).parent.mkdir(parents=True, exist_ok=True)
        (self.data / file).write_text(text, encoding="utf-8")

    def run(self) -> int:
        return main(["run", "--warehouse", str(self.warehouse), "--data-dir", str(self.data),
                     "--sources", str(self.sources), "--expectations",
                     str(self.root / "expectations"), "--reference", str(self.reference),
                     "--out", str(self.out), "--now", NOW])

    def pdf_text(self) -> str:
        (pdf,) = self.out.glob("touchpoint-workplan-*.pdf")
        return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(pdf).pages)

    def query(self, sql: str) -> list[tuple]:
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="module")
def orders_only(tmp_path_factory: pytest.TempPathFactory) -> Project:
    p = Project(tmp_path_factory.mktemp("orders") / "p")
    rows = ["order_id,customer_id,ordered_at,amount,currency"]
    rows += [f"O{c}{i},{c},{d} 10:00:00,10.0,MYR"
             for c, days in ORDERS.items() for i, d in enumerate(days)]
    p.add("orders", ORDERS_MAPPING, "orders/o.csv", "\n".join(rows) + "\n")
    assert p.run() == 0
    return p


def test_orders_only_reordered_is_a_second_order_within_the_primary_window(orders_only):
    got = dict(orders_only.query("select customer_id, reordered from mart_customer_retention"))
    assert got == {"A": True, "B": True, "C": False, "D": False, "E": True, "F": False,
                   "G": True}


def test_orders_only_repeat_purchase_tables(orders_only):
    assert orders_only.query(
        "select window_days, customers, followed, repeated, round(repeat_pct, 2) "
        "from mart_repeat_purchase order by 1"
    ) == [(30, 7, 6, 2, 33.33), (90, 7, 5, 3, 60.0), (180, 7, 5, 4, 80.0)]
    got = orders_only.query(
        "select strftime(cohort_month, '%m'), window_days, customers, followed, repeated "
        "from mart_repeat_cohorts order by 1, 2"
    )
    assert got == [
        ("01", 30, 2, 2, 1), ("01", 90, 2, 2, 2), ("01", 180, 2, 2, 2),
        ("02", 30, 2, 2, 0), ("02", 90, 2, 2, 0), ("02", 180, 2, 2, 1),
        ("03", 30, 1, 1, 1), ("03", 90, 1, 1, 1), ("03", 180, 1, 1, 1),
        ("09", 30, 1, 1, 0), ("09", 90, 1, 0, 0), ("09", 180, 1, 0, 0),
        ("10", 30, 1, 0, 0), ("10", 90, 1, 0, 0), ("10", 180, 1, 0, 0),
    ]


def test_orders_only_report_gives_repeat_purchases(orders_only):
    text = orders_only.pdf_text()
    assert "Repeat purchases" in text
    # window, customers, followed, bought again, share
    for row in ("30 days 7 6 2 33%", "90 days 7 5 3 60%", "180 days 7 5 4 80%"):
        assert row in text, row
    assert "Churn: 4 of 7 customers (57%" in text
    assert "Jan 2026 2 50% (of 2) 100% (of 2) 100% (of 2)" in text
    assert "Sep 2026 1 0% (of 1) – –" in text


@pytest.fixture(scope="module", params=["no_text", "with_text"])
def interactions_only(request, tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, str]:
    """Complaint calls in 2026-Q3, no ratings, no orders; with a staff note or none."""
    p = Project(tmp_path_factory.mktemp("calls") / "p")
    mapping, header = CALLS_MAPPING, "id,customer,opened,kind"
    if request.param == "with_text":
        mapping += "  text: notes\n"
        header += ",notes"
    note = ",late delivery - refund please" if request.param == "with_text" else ""
    rows = [header]
    for i in range(30):
        rows.append(f"R{i},C{i % 9},2026-0{7 + i % 3}-1{i % 9} 10:00,complaint{note}")
    p.add("calls", mapping, "calls/a.csv", "\n".join(rows) + "\n")
    assert p.run() == 0
    return p, request.param


def test_interactions_only_retention_says_why_in_one_line(interactions_only):
    p, _ = interactions_only
    text = p.pdf_text()
    assert "2026-Q3" in text
    assert "Retention not computed: no orders were loaded." in text
    # never a table of zeros
    assert "Complaint experience" not in text and "Repeat purchases" not in text


def test_no_ratings_csat_says_so(interactions_only):
    p, _ = interactions_only
    assert "CSAT no ratings in this period" in p.pdf_text()


def test_no_staff_texts_language_says_so(interactions_only):
    p, variant = interactions_only
    line = "No staff texts in this period (agent_text or text)"
    assert (line in p.pdf_text()) == (variant == "no_text")
