"""The retention stage on hand-made customers, orders and scored contacts, then on a sample.

Fixture (retention.yaml: windows 30 and 90 days, primary 30, churn 60 days, data end 2024-12-31
inclusive, at least 2 customers per rate); all contacts at 10:00 on the day, touchpoint delivery:

  customer  contacts (kind outcome, resolved unless said)        orders after the index
  N1        06-01 inquiry satisfied                              06-10 (9 d)          -> yes
  N2        06-01 inquiry delighted                              08-15 (75 d)         -> no (30 d)
  N3        06-01 inquiry satisfied, 07-01 inquiry dissatisfied  07-05 (4 d, from 07-01) -> yes
  D1        06-01 complaint delighted                            06-20, 12-10         -> yes
  D2        06-01 complaint delighted, 06-15 compl. dissatisfied 06-25 (24 d)         -> yes
  D3        12-20 complaint delighted                            none (11 d followed) -> censored
  S1        06-01 complaint satisfied                            06-30 (29 d)         -> yes
  S2        06-01 complaint satisfied                            07-01 10:00 (30 d)   -> yes
  S3        06-01 complaint satisfied                            06-01 10:00 (same instant: before)
  X1        06-01 complaint dissatisfied                         07-15 (44 d)         -> no (30 d)
  X2        06-01 complaint dissatisfied                         none (one on 03-01)  -> no
  U1        06-01 complaint dissatisfied, not resolved           06-05 (4 d)          -> yes
  U2, U3    06-01 complaint dissatisfied, not resolved           none                 -> no
  O1        no contact                                           12-01

By hand, reordered within 30 days / followed: never complained 2/3 (N1, N3), delighted 2/2 (D3
censored), satisfied 2/3, dissatisfied 0/2, unresolved 1/3.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from _samples import sample_warehouse as build_sample_warehouse

from pipeline import paths
from pipeline.config import RunConfig
from pipeline.errors import UserError
from pipeline.retention import build_retention
from pipeline.retention.claims import says
from pipeline.retention.config import load_retention_config

NOW = datetime(2025, 1, 15)
Z = 1.959963984540054

RETENTION_YAML = """
reorder_windows_days: [30, 90]
primary_window_days: 30
churn_days: 60
data_end: 2024-12-31
min_customers: 2
curve_days: 90
at_risk_every_days: 30
cohort_months: 12
kano:
  min_effect_points: 5
costs:
  currency: MYR
  acquisition_per_customer: 100
  recovery_per_complaint: 10
"""

_OUTCOME_COLUMNS = (
    "source varchar, interaction_id varchar, outcome varchar, reasons varchar[], "
    "deciding_reasons varchar[], dissatisfied_cause varchar, promise_source varchar, "
    "deadline timestamp, expected_hours double, ttr_hours double, promise_kept boolean, "
    "is_resolved boolean, first_contact_resolution boolean, repeat_contact boolean, "
    "reopened boolean, phrases struct(phrase_id varchar, language varchar)[]"
)


def reference(tmp_path: Path, text: str = RETENTION_YAML) -> Path:
    ref = tmp_path / "reference"
    shutil.copytree(paths.REFERENCE, ref)
    (ref / "retention.yaml").write_text(text.lstrip(), encoding="utf-8")
    return ref


class World:
    """Scored contacts and orders written straight into the warehouse tables."""

    def __init__(self, con: duckdb.DuckDBPyConnection, add_interactions) -> None:
        self.con, self.add = con, add_interactions
        con.execute(f"create table interaction_outcomes ({_OUTCOME_COLUMNS})").fetchall()
        con.execute(
            "create table interaction_touchpoints "
            "(source varchar, interaction_id varchar, touchpoint_id varchar, rule_id varchar)"
        ).fetchall()
        self.n = 0

    def contact(
        self,
        customer: str,
        day: str,
        kind: str,
        outcome: str,
        resolved: bool = True,
        touchpoint: str = "delivery",
    ) -> None:
        self.n += 1
        iid = f"I{self.n:04d}"
        at = datetime.fromisoformat(f"2024-{day}T10:00")
        self.add({"interaction_id": iid, "customer_id": customer, "occurred_at": at, "kind": kind})
        self.con.execute(
            "insert into interaction_outcomes (source, interaction_id, outcome, is_resolved) "
            "values ('callcentre', $i, $o, $r)",
            {"i": iid, "o": outcome, "r": resolved},
        ).fetchall()
        self.con.execute(
            "insert into interaction_touchpoints values ('callcentre', $i, $t, 'r')",
            {"i": iid, "t": touchpoint},
        ).fetchall()

    def order(self, customer: str, day: str, amount: float = 10.0, at: str = "12:00") -> None:
        self.n += 1
        self.con.execute(
            "insert into orders (order_id, source, customer_id, ordered_at, amount, currency, "
            "source_file, source_row, file_hash, run_id) "
            "values ($id, 'shop', $c, $t, $a, 'MYR', 'o.csv', $n, 'h', 'r')",
            {
                "id": f"O{self.n:04d}",
                "c": customer,
                "t": datetime.fromisoformat(f"2024-{day}T{at}"),
                "a": amount,
                "n": self.n,
            },
        ).fetchall()


@pytest.fixture
def world(con, add_interactions) -> World:
    w = World(con, add_interactions)
    w.contact("N1", "06-01", "inquiry", "satisfied")
    w.order("N1", "05-01")
    w.order("N1", "06-10", 25.0)
    w.contact("N2", "06-01", "inquiry", "delighted")
    w.order("N2", "08-15")
    w.contact("N3", "06-01", "inquiry", "satisfied")
    w.contact("N3", "07-01", "inquiry", "dissatisfied")
    w.order("N3", "07-05")
    w.contact("D1", "06-01", "complaint", "delighted")
    w.order("D1", "06-20")
    w.order("D1", "12-10")
    w.contact("D2", "06-01", "complaint", "delighted")
    w.contact("D2", "06-15", "complaint", "dissatisfied")
    w.order("D2", "06-25")
    w.contact("D3", "12-20", "complaint", "delighted")
    w.order("D3", "06-01", at="09:00")
    w.contact("S1", "06-01", "complaint", "satisfied")
    w.order("S1", "06-30")
    w.contact("S2", "06-01", "complaint", "satisfied")
    w.order("S2", "07-01", at="10:00")  # exactly 30 days after: inside the window
    w.contact("S3", "06-01", "complaint", "satisfied")
    w.order("S3", "06-01", at="10:00")  # the same instant as the complaint: before it
    w.contact("X1", "06-01", "complaint", "dissatisfied")
    w.order("X1", "07-15")
    w.contact("X2", "06-01", "complaint", "dissatisfied")
    w.order("X2", "03-01", 40.0)
    w.contact("U1", "06-01", "complaint", "dissatisfied", resolved=False)
    w.order("U1", "06-05")
    w.contact("U2", "06-01", "complaint", "dissatisfied", resolved=False)
    w.contact("U3", "06-01", "complaint", "dissatisfied", resolved=False)
    w.order("O1", "12-01")
    return w


def build(con: duckdb.DuckDBPyConnection, tmp_path: Path, text: str = RETENTION_YAML) -> dict:
    ref = reference(tmp_path / f"ref{len(list(tmp_path.glob('ref*')))}", text)
    return build_retention(con, RunConfig(now=NOW, reference_dir=ref))


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_reorder_rates_per_group(world, con, tmp_path):
    result = build(con, tmp_path)
    assert result["data_end"] == datetime(2024, 12, 31, 23, 59, 59, 999999)
    got = rows(
        con,
        "select experience, customers, reordered, round(reorder_pct, 2) from mart_retention "
        "order by experience",
    )
    assert got == [
        ("complaint_delighted", 2, 2, 100.0),
        ("complaint_dissatisfied", 2, 0, 0.0),
        ("complaint_satisfied", 3, 2, 66.67),
        ("never_complained", 3, 2, 66.67),
        ("unresolved", 3, 1, 33.33),
    ]
    # the report's contract: exactly these columns
    cols = [r[0] for r in rows(con, "describe mart_retention")]
    assert cols == ["experience", "customers", "reordered", "reorder_pct", "ci_low", "ci_high"]


def test_wilson_interval_by_hand(world, con, tmp_path):
    build(con, tmp_path)
    # never complained: 2 of 3. Wilson: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)
    p, n = 2 / 3, 3
    centre = p + Z * Z / (2 * n)
    half = Z * (p * (1 - p) / n + Z * Z / (4 * n * n)) ** 0.5
    low, high = 100 * (centre - half) / (1 + Z * Z / n), 100 * (centre + half) / (1 + Z * Z / n)
    assert (round(low, 2), round(high, 2)) == (20.77, 93.85)
    ((lo, hi),) = rows(
        con, "select ci_low, ci_high from mart_retention where experience = 'never_complained'"
    )
    assert lo == pytest.approx(low, abs=1e-9) and hi == pytest.approx(high, abs=1e-9)
    # 0 of 2 and 2 of 2 stay inside 0-100
    assert rows(
        con,
        "select experience, round(ci_low, 2), round(ci_high, 2) from mart_retention "
        "where experience in ('complaint_dissatisfied', 'complaint_delighted') order by 1",
    ) == [("complaint_delighted", 34.24, 100.0), ("complaint_dissatisfied", 0.0, 65.76)]


def test_customer_rows_index_censoring_and_boundaries(world, con, tmp_path):
    build(con, tmp_path)
    got = {
        r[0]: r[1:]
        for r in rows(
            con,
            "select customer_id, experience, index_kind, strftime(index_at, '%m-%d'), "
            "silent_dissatisfied, orders_before, orders_after, revenue_after, "
            "round(days_to_reorder, 3), reordered_in_window from mart_customer_retention",
        )
    }
    # never complained: the first dissatisfied contact is the index, else the first contact
    assert got["N1"] == ("never_complained", "inquiry", "06-01", False, 1, 1, 25.0, 9.083, True)
    assert got["N3"] == ("never_complained", "inquiry", "07-01", True, 0, 1, 10.0, 4.083, True)
    # the first complaint is the index, not the later one
    assert got["D2"][:3] == ("complaint_delighted", "complaint", "06-01")
    # followed 11 days of a 30-day window: censored, not "did not reorder"
    assert got["D3"][-1] is None
    assert got["S2"][-2:] == (30.0, True)  # exactly on the window's edge
    assert got["S3"][4:] == (1, 0, 0.0, None, False)  # the same instant counts as before
    assert got["U2"][0] == "unresolved" and got["U2"][-1] is False
    assert got["O1"][:3] == ("no_contact", None, None)
    assert got["O1"][-1] is None


def test_longer_window_and_censoring(world, con, tmp_path):
    build(con, tmp_path)
    got = rows(
        con,
        "select customer_id, window_days, followed, reordered from mart_customer_reorders "
        "where customer_id in ('X1', 'D3', 'N2') order by 1, 2",
    )
    assert got == [
        ("D3", 30, False, None),
        ("D3", 90, False, None),
        ("N2", 30, True, False),
        ("N2", 90, True, True),
        ("X1", 30, True, False),
        ("X1", 90, True, True),
    ]
    windows = rows(
        con,
        "select window_days, customers, followed, censored, reordered from mart_retention_windows"
        " where experience = 'complaint_delighted' order by 1",
    )
    assert windows == [(30, 3, 2, 1, 2), (90, 3, 2, 1, 2)]


def test_churn(world, con, tmp_path):
    build(con, tmp_path)
    got = dict(rows(con, "select customer_id, churn_status from mart_customer_retention"))
    assert got == {
        "N1": "churned",  # last order 06-10, more than 60 days before the end
        "N2": "churned",
        "N3": "churned",
        "D1": "active",  # ordered 12-10
        "D2": "churned",
        "D3": "censored",  # complained 12-20: too recent to tell
        "S1": "churned",
        "S2": "churned",
        "S3": "churned",
        "X1": "churned",
        "X2": "churned",
        "U1": "churned",
        "U2": "never_ordered",
        "U3": "never_ordered",
        "O1": "active",
    }
    assert rows(
        con,
        "select experience, active, churned, churn_censored, round(churn_pct, 2) "
        "from mart_retention_groups where experience in ('complaint_delighted', 'no_contact') "
        "order by 1",
    ) == [("complaint_delighted", 1, 1, 1, 50.0), ("no_contact", 1, 0, 0, 0.0)]


def test_claims(world, con, tmp_path):
    build(con, tmp_path)
    got = {
        r[0]: r[1:]
        for r in rows(
            con,
            "select claim_id, group_a, customers_a, group_b, customers_b, round(diff_points, 2), "
            "round(estimate, 4), verdict from mart_retention_claims",
        )
    }
    # delighted 2/2 against never complained 2/3: +33.3 points, the interval includes 0
    assert got["recovery_paradox"] == (
        "complaint_delighted",
        2,
        "never_complained",
        3,
        33.33,
        33.3333,
        "inconclusive",
    )
    # the 10 complainers followed (5 reordered) against N3, the one silent dissatisfied: too few
    assert got["complainers_stay"][:4] == ("complained", 10, "silent_dissatisfied", 1)
    assert got["complainers_stay"][-1] == "not_enough_data"
    assert got["resolution_speed"][-3:] == (66.67, 66.6667, "inconclusive")
    # keeping through good handling: 100 acquisition x (100% - 0%) / 10 per complaint = 10 times
    assert got["retention_cost"][-3:] == (100.0, 10.0, "inconclusive")
    (kept,) = rows(
        con,
        "select cost_per_customer_kept from mart_retention_claims "
        "where claim_id = 'retention_cost'",
    )
    assert kept == (10.0,)
    row = dict(
        zip(
            [d[0] for d in con.execute("from mart_retention_claims").description],
            con.execute(
                "from mart_retention_claims where claim_id = 'recovery_paradox'"
            ).fetchall()[0],
            strict=True,
        )
    )
    assert says(row).startswith(
        "Reordered within 30 days: complaint handled, delighted 100.0% (n = 2), "
        "never complained 66.7% (n = 3). Difference +33.3 points"
    )


def test_claims_without_costs_or_enough_customers(world, con, tmp_path):
    no_cost = RETENTION_YAML.replace(
        "acquisition_per_customer: 100", "acquisition_per_customer: null"
    )
    build(con, tmp_path, no_cost)
    assert rows(
        con,
        "select verdict, estimate, cost_per_customer_kept from mart_retention_claims "
        "where claim_id = 'retention_cost'",
    ) == [("no_cost_inputs", None, 10.0)]  # what keeping one costs is known, winning one not
    build(con, tmp_path, RETENTION_YAML.replace("min_customers: 2", "min_customers: 3"))
    assert dict(rows(con, "select claim_id, verdict from mart_retention_claims")) == {
        "recovery_paradox": "not_enough_data",  # 2 delighted customers followed
        "complainers_stay": "not_enough_data",
        "resolution_speed": "not_enough_data",
        "retention_cost": "not_enough_data",
    }


def test_cohorts(world, con, tmp_path):
    build(con, tmp_path)
    got = rows(
        con,
        "select strftime(cohort_month, '%Y-%m'), months_since, customers, retained "
        "from mart_cohort_retention where experience = 'never_complained' order by 1, 2",
    )
    # June: N1 and N2 (N2 ordered in August); July: N3 (ordered in July, the index month itself)
    assert got[:3] == [("2024-06", 1, 2, 0), ("2024-06", 2, 2, 1), ("2024-06", 3, 2, 0)]
    assert max(m for c, m, _, _ in got if c == "2024-06") == 6  # up to December, which is over
    assert [m for c, m, _, _ in got if c == "2024-07"] == [1, 2, 3, 4, 5]


def test_complaint_orders_window_edges(con, add_interactions, tmp_path):
    """Orders around each complaint (primary window 30 days): before is (t - 30 d, t], after is
    (t, t + 30 d], to the microsecond; two complaints at the same instant are two rows."""
    w = World(con, add_interactions)
    w.contact("K1", "06-01", "complaint", "delighted")  # I0001
    w.contact("K1", "06-01", "complaint", "dissatisfied", resolved=False)  # I0002, same instant
    for at, amount in [
        ("05-02T10:00", 1.0),  # exactly 30 days before: outside
        ("05-02T10:00:00.000001", 2.0),  # 1 µs later: inside, before
        ("06-01T10:00", 4.0),  # the complaint's instant: before
        ("06-01T10:00:00.000001", 8.0),  # 1 µs after it: after
        ("07-01T10:00", 16.0),  # exactly 30 days after: inside, after
        ("07-01T10:00:00.000001", 32.0),  # 1 µs later: outside
    ]:
        day, time = at.split("T")
        w.order("K1", day, amount, at=time)
    w.contact("K2", "06-01", "complaint", "satisfied")  # no orders at all
    w.order("K9", "06-02", 64.0)  # another customer's order in K2's window
    w.contact("K3", "12-20", "complaint", "delighted")  # window not over by 12-31
    w.order("K3", "12-25", 128.0)
    w.contact("K3", "06-01", "inquiry", "dissatisfied")  # not a complaint: no row
    w.contact(None, "06-01", "complaint", "dissatisfied")  # no customer: no row
    build(con, tmp_path)
    got = rows(
        con,
        "select customer_id, interaction_id, experience, window_days, followed, orders_before, "
        "revenue_before, orders_after, revenue_after from mart_complaint_orders order by 1, 2",
    )
    assert got == [
        ("K1", "I0001", "complaint_delighted", 30, True, 2, 6.0, 2, 24.0),
        ("K1", "I0002", "unresolved", 30, True, 2, 6.0, 2, 24.0),
        ("K2", "I0009", "complaint_satisfied", 30, True, 0, 0.0, 0, 0.0),
        ("K3", "I0011", "complaint_delighted", 30, False, 0, 0.0, 1, 128.0),
    ]


def test_reorder_curves_kaplan_meier(world, con, tmp_path):
    build(con, tmp_path)
    # unresolved: U1 reorders on day 4; U2 and U3 are followed to the end, then censored
    got = rows(
        con,
        "select day, at_risk, events, round(reordered_pct, 2) from mart_retention_curves "
        "where experience = 'unresolved' order by day",
    )
    # (days counted in whole days, rounded up for a reorder: 4 days 2 hours is day 5)
    assert got == [(0, 3, 0, 0.0), (5, 3, 1, 33.33)]
    # delighted: D3 censored at day 11 leaves 2 at risk; D1 reorders on day 20, D2 on day 25
    got = rows(
        con,
        "select day, at_risk, round(reordered_pct, 2) from mart_retention_curves "
        "where experience = 'complaint_delighted' order by day",
    )
    assert got == [(0, 3, 0.0), (20, 2, 50.0), (25, 1, 100.0)]
    assert rows(
        con,
        "select day, at_risk from mart_retention_at_risk "
        "where experience = 'complaint_delighted' order by day",
    ) == [(0, 3), (30, 0), (60, 0), (90, 0)]
    # the 95% band holds the estimate
    assert rows(
        con,
        "select count(*) from mart_retention_curves "
        "where ci_low > reordered_pct or ci_high < reordered_pct",
    ) == [(0,)]


def touchpoint_world(w: World) -> None:
    """Per touchpoint n customers per outcome, each with one contact there on 06-01; k of them
    reorder 10 days later."""
    plan = {
        # n, and how many reorder after a dissatisfied, satisfied, delighted contact
        "website": (10, (1, 8, 9)),  # drop 70, lift 10 (interval includes 0): must_be
        "checkout": (10, (2, 2, 10)),  # drop 0, lift 80: attractive
        "billing": (10, (5, 5, 5)),  # nothing moves: indifferent
        "refund": (20, (2, 11, 20)),  # drop 45, lift 45, both sure: performance
    }
    for tp, (n, counts) in plan.items():
        for outcome, k in zip(("dissatisfied", "satisfied", "delighted"), counts, strict=True):
            for i in range(n):
                c = f"{tp}-{outcome}-{i}"
                w.contact(c, "06-01", "inquiry", outcome, touchpoint=tp)
                if i < k:
                    w.order(c, "06-11")
    # one touchpoint with too few customers for a class
    w.contact("few-1", "06-01", "inquiry", "dissatisfied", touchpoint="packaging")
    w.contact("few-2", "06-01", "inquiry", "satisfied", touchpoint="packaging")


def test_touchpoint_drop_lift_and_class(con, add_interactions, tmp_path):
    touchpoint_world(World(con, add_interactions))
    build(con, tmp_path)
    got = {
        r[0]: r[1:]
        for r in rows(
            con,
            "select touchpoint_id, n_dissatisfied, n_satisfied, n_delighted, "
            "round(reorder_drop, 2), round(reorder_lift, 2), round(importance, 2), kano_class "
            "from mart_touchpoint_retention",
        )
    }
    assert got == {
        "website": (10, 10, 10, 70.0, 10.0, 80.0, "must_be"),
        "checkout": (10, 10, 10, 0.0, 80.0, 80.0, "attractive"),
        "billing": (10, 10, 10, 0.0, 0.0, 0.0, "indifferent"),
        "refund": (20, 20, 20, 45.0, 45.0, 90.0, "performance"),
        "packaging": (1, 1, 0, None, None, None, "not_enough_data"),
    }

    # Newcombe's interval for website's drop (80% of 10 against 10% of 10), by hand
    def wilson(k: int, n: int) -> tuple[float, float]:
        p = k / n
        centre, half = p + Z * Z / (2 * n), Z * (p * (1 - p) / n + Z * Z / (4 * n * n)) ** 0.5
        return (centre - half) / (1 + Z * Z / n), (centre + half) / (1 + Z * Z / n)

    sat_lo, _ = wilson(8, 10)
    _, dis_hi = wilson(1, 10)
    expected = 100 * (0.7 - ((0.8 - sat_lo) ** 2 + (dis_hi - 0.1) ** 2) ** 0.5)
    ((low,),) = rows(
        con, "select drop_ci_low from mart_touchpoint_retention where touchpoint_id = 'website'"
    )
    assert low == pytest.approx(expected, abs=1e-9)
    assert round(expected, 2) == 26.58


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("primary_window_days: 30", "primary_window_days: 45"),
            "retention.yaml: primary_window_days: 45 is not one of reorder_windows_days (30, 90)",
        ),
        (("churn_days: 60", "churn_days: soon"), "retention.yaml: churn_days: expected a whole"),
        (("data_end: 2024-12-31", "data_end: 31/12/2024"), "retention.yaml: data_end: expected"),
        (("  min_effect_points: 5", "  min_effect: 5"), "retention.yaml: kano.min_effect: unknown"),
        (
            ("recovery_per_complaint: 10", "recovery_per_complaint: 0"),
            "retention.yaml: costs.recovery_per_complaint: must be above 0",
        ),
        (("reorder_windows_days: [30, 90]", "reorder_windows_days: [30, 30]"), "listed twice"),
    ],
)
def test_config_mistakes_name_the_file_and_key(tmp_path, change, message):
    ref = reference(tmp_path, RETENTION_YAML.replace(*change))
    with pytest.raises(UserError, match="^.*" + message.replace("(", r"\(").replace(")", r"\)")):
        load_retention_config(ref)


def test_missing_config_file(tmp_path):
    with pytest.raises(UserError, match="retention.yaml: reference file missing"):
        load_retention_config(tmp_path)


def test_shipped_config_loads():
    rc = load_retention_config(paths.REFERENCE)
    assert rc.windows_days == (30, 90, 180) and rc.primary_window_days == 90


def test_costs_currency_of_an_older_file_is_accepted_and_ignored(tmp_path):
    # RETENTION_YAML still has `currency: MYR` (nothing ever read it); the same file without it
    old = load_retention_config(reference(tmp_path / "old"))
    new = load_retention_config(reference(tmp_path / "new", RETENTION_YAML.replace(
        "  currency: MYR\n", "")))
    assert old.costs == new.costs
    assert (new.costs.acquisition_per_customer, new.costs.recovery_per_complaint) == (100, 10)


@pytest.fixture(scope="module")
def sample_warehouse(tmp_path_factory) -> Path:
    """A generated sample (seed 42) run through every stage, retention included."""
    return build_sample_warehouse(tmp_path_factory.mktemp("retention_sample"), 20_000, 2_000)


def test_sample_hidden_truth(sample_warehouse):
    """The sample multiplies a customer's order rate after a complaint: solved fast x1.4, late
    x0.7, unresolved x0.4 (never complained x1.0). The mart must find that order."""
    con = duckdb.connect(str(sample_warehouse), read_only=True)
    try:
        rate = dict(rows(con, "select experience, reorder_pct from mart_retention"))
        assert rate["complaint_delighted"] > rate["never_complained"]
        assert rate["complaint_dissatisfied"] < rate["never_complained"]
        assert rate["unresolved"] < rate["complaint_dissatisfied"]
        # buying after the index, per 30 days, follows the same order
        per_30d = dict(
            rows(con, "select experience, orders_per_30d_after from mart_retention_groups")
        )
        assert per_30d["complaint_delighted"] > per_30d["never_complained"] > per_30d["unresolved"]
        verdicts = dict(rows(con, "select claim_id, verdict from mart_retention_claims"))
        assert verdicts["resolution_speed"] == "supported"
        # before the complaint the groups bought alike: the difference comes after it
        before = dict(
            rows(con, "select experience, orders_per_30d_before from mart_retention_groups")
        )
        assert abs(before["complaint_delighted"] - before["unresolved"]) < 0.1
    finally:
        con.close()


def test_report_reads_the_touchpoint_behaviour(sample_warehouse, tmp_path):
    """gather sets reorder_drop (when its interval is above zero), lift, importance and class;
    the priority map then uses the behaviour-derived importance."""
    from pipeline import models
    from pipeline.report import gather
    from pipeline.report.workplan import importance_basis

    shutil.copy(sample_warehouse, tmp_path / "w.duckdb")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        # the report's facts (all data, no previous period), then what touchpoints() reads from
        # them
        models.build(con, "int_interaction_facts", {
            "period_from": None, "period_to": None, "previous_from": None, "previous_to": None})
        gather.expected_hours(con)
        tps = gather.touchpoints(con, "en", None)
        behaviour = gather.touchpoint_retention(con)
    finally:
        con.close()
    assert importance_basis(tps) == "reorder"
    for t in tps:
        b = behaviour.get(t.touchpoint_id)
        if b is None:
            continue
        assert t.reorder_importance == b["importance"] and t.kano_class == b["kano_class"]
        sure = b["drop_ci_low"] is not None and b["drop_ci_low"] > 0
        assert t.reorder_drop == (b["reorder_drop"] if sure else None)


def test_needs_the_earlier_stages(con, tmp_path):
    with pytest.raises(UserError, match="retention needs table 'interaction_touchpoints'"):
        build(con, tmp_path)


def test_an_empty_warehouse_gives_empty_tables(con, add_interactions, tmp_path):
    World(con, add_interactions)  # the scored tables, no rows
    result = build(con, tmp_path, RETENTION_YAML.replace("data_end: 2024-12-31", "data_end: null"))
    assert result["customers"] == 0 and result["data_end"] == NOW
    assert rows(con, "select count(*) from mart_retention") == [(0,)]
    assert rows(con, "select count(*) from mart_retention_curves") == [(0,)]
    assert set(result["claims"].values()) == {"not_enough_data"}


_KEPT_AND_MARTS = ("int_customer_history", "int_touchpoint_firsts", *__import__(
    "pipeline.retention", fromlist=["TABLES"]).TABLES)


@pytest.mark.parametrize("change", ["new_day", "late_files", "later_clock"])
def test_incremental_retention_equals_a_full_rebuild(tmp_path: Path, change: str) -> None:
    """A second run over new files (a new day; files arriving late for a month long past; the
    same files judged at a later clock) rebuilds only the customers it touched, and every
    retention table is exactly what building everything again gives."""
    from datetime import date

    from pipeline.bench import add_increment
    from pipeline.run import run
    from pipeline.sample import write_sample

    data = tmp_path / "data"
    write_sample(data / "sample", interactions=4000, customers=1000)
    ref = tmp_path / "reference"
    shutil.copytree(paths.REFERENCE, ref)
    if change == "later_clock":  # judged at the run clock: open windows and deadlines move on
        text = (ref / "scoring.yaml").read_text().replace("as_of: data", "as_of: clock")
        (ref / "scoring.yaml").write_text(text)

    def cfg(now: datetime) -> RunConfig:
        return RunConfig(warehouse=tmp_path / "w.duckdb", data_dir=data, reference_dir=ref,
                         reports_dir=tmp_path / "reports", now=now, quiet=True)

    stages = ("ingest", "map", "score", "retention")
    first = run(cfg(datetime(2026, 11, 2)), only=stages)
    assert first.stages["retention"]["incremental"] is False
    if change == "late_files":
        late = tmp_path / "late"
        write_sample(late, interactions=600, customers=200, months=1, end=date(2026, 6, 30),
                     seed=7, first_id=900_000_000)
        for name in ("callcentre/calls_2026-06.csv", "orders/orders_2026-06.parquet"):
            shutil.copy(late / name, data / "sample" / name.replace("2026-06", "2026-06-late"))
    elif change == "new_day":
        add_increment(data, 400, tmp_path / "work")
    second = run(cfg(datetime(2026, 11, 9 if change == "later_clock" else 2)), only=stages)
    assert second.stages["retention"]["incremental"] is True
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    try:
        customers = con.execute("select count(*) from int_customer_history").fetchall()[0][0]
        for table in _KEPT_AND_MARTS:
            con.execute(f"create table incremental_{table} as select * from {table}")
        con.execute("delete from model_fingerprints where model = 'int_customer_history'")
    finally:
        con.close()
    third = run(cfg(datetime(2026, 11, 9 if change == "later_clock" else 2)),
                only=("retention",))
    assert third.stages["retention"]["incremental"] is False
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    try:
        assert customers > 900
        for table in _KEPT_AND_MARTS:
            n = con.execute(f"select count(*) from {table}").fetchall()[0][0]
            assert n == con.execute(f"select count(*) from incremental_{table}"
                                    ).fetchall()[0][0], table
            for a, b in ((table, f"incremental_{table}"), (f"incremental_{table}", table)):
                assert con.execute(f"select count(*) from (from {a} except all from {b})"
                                   ).fetchall() == [(0,)], (table, a)
    finally:
        con.close()
