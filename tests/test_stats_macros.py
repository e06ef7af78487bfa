"""The statistics macros (pipeline/macros/stats.sql): the Wilson 95% interval against bounds
computed by hand, against pipeline.report.stats.wilson (its Python counterpart), and the spill-safe
counted percentile against percentile_cont's definition."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipeline.db import install_macros
from pipeline.report.stats import wilson

PIPELINE = Path(__file__).parents[1] / "pipeline"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    install_macros(c)
    install_macros(c)  # idempotent: each stage installs them again
    return c


def sql_wilson(con: duckdb.DuckDBPyConnection, k: int | None, n: int | None) -> tuple:
    sql = "select wilson_low($k, $n), wilson_high($k, $n)"
    return con.execute(sql, {"k": k, "n": n}).fetchone()


# (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), z = 1.959963984540054, worked at 40 digits
@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (0, 10, 0.0, 0.277532799862889),
        (5, 10, 0.236593090512564, 0.763406909487436),
        (10, 10, 0.722467200137111, 1.0),
        (1, 1, 0.206549314377237, 1.0),
        (0, 1, 0.0, 0.793450685622763),
        (1, 3, 0.061491944720396, 0.792340399197952),
        (644, 766, 0.813126120606725, 0.864935568613861),
    ],
)
def test_wilson_against_hand_computed_bounds(con, k, n, low, high):
    lo, hi = sql_wilson(con, k, n)
    assert lo == pytest.approx(low, abs=1e-14)
    assert hi == pytest.approx(high, abs=1e-14)


def test_wilson_stays_within_0_and_1_and_is_null_without_customers(con):
    # at k = 0 and k = n a bound is 0 or 1 in exact arithmetic: rounding may land a hair inside,
    # never outside
    for n in (1, 2, 3, 7, 10, 999, 12345):
        lo, hi = sql_wilson(con, 0, n)
        assert 0.0 <= lo < 1e-15 and 0.0 < hi <= 1.0
        lo, hi = sql_wilson(con, n, n)
        assert 0.0 <= lo < 1.0 and 1.0 - 1e-15 < hi <= 1.0
    assert sql_wilson(con, 0, 0) == (None, None)
    assert sql_wilson(con, None, 10) == (None, None)
    assert sql_wilson(con, 3, None) == (None, None)


def test_sql_and_python_wilson_agree():
    """One definition per language: the SQL macro and report.stats.wilson give the same bounds."""
    grid = [(k, n) for n in range(0, 41) for k in range(n + 1)]
    grid += [(k, n) for n in (99, 1000, 12345) for k in (0, 1, n // 3, n // 2, n - 1, n)]
    c = duckdb.connect()
    install_macros(c)
    rows = c.execute(
        "select k, n, wilson_low(k, n), wilson_high(k, n) "
        "from (select unnest($k) as k, unnest($n) as n)",
        {"k": [k for k, _ in grid], "n": [n for _, n in grid]},
    ).fetchall()
    assert len(rows) == len(grid)
    for k, n, lo, hi in rows:
        expected = wilson(k, n)
        if n == 0:
            assert expected is None and (lo, hi) == (None, None)
            continue
        assert lo == pytest.approx(expected[0], abs=1e-15), (k, n)
        assert hi == pytest.approx(expected[1], abs=1e-15), (k, n)


# the values counted per group and ranked as the marts do (counted_percentile's inputs)
_PERCENTILE = """
with
vals as (select unnest($g) as g, unnest($v) as v),
counted as (select g, v, count(*) as n from vals group by g, v),
ranked as (
    select
        *,
        sum(case when v is not null then n else 0 end) over (
            partition by g order by v nulls last rows between unbounded preceding and current row
        ) as upto,
        sum(case when v is not null then n else 0 end) over (partition by g) as total
    from counted
)
select g, counted_percentile(v, upto, total, $p) as pct
from ranked
group by g
order by g
"""


def percentiles(con, groups: dict[str, list[float | None]], p: float) -> dict[str, float | None]:
    g = [name for name, values in groups.items() for _ in values]
    v = [x for values in groups.values() for x in values]
    return dict(con.execute(_PERCENTILE, {"g": g, "v": v, "p": p}).fetchall())


def test_counted_median_odd_even_duplicates_and_nulls(con):
    got = percentiles(
        con,
        {
            "odd": [3.0, 1.0, 2.0],  # middle value: 2
            "even": [10.0, 1.0, 3.0, 2.0],  # (2 + 3) / 2
            "duplicates": [2.0, 2.0, 1.0, 10.0],  # sorted 1 2 2 10: (2 + 2) / 2
            "one": [7.25],
            "with_nulls": [None, 4.0, None, 1.0],  # nulls ignored: (1 + 4) / 2
            "only_nulls": [None, None],  # no values: no median
        },
        0.5,
    )
    assert got == {
        "duplicates": 2.0,
        "even": 2.5,
        "odd": 2.0,
        "one": 7.25,
        "only_nulls": None,
        "with_nulls": 2.5,
    }


def test_counted_p90_interpolates_between_ranks(con):
    # 1..10: rank (10 - 1) * 0.9 = 8.1, so v[8] + (v[9] - v[8]) * 0.1 = 9 + 0.1
    got = percentiles(con, {"a": [float(x) for x in range(10, 0, -1)]}, 0.9)
    assert got["a"] == pytest.approx(9.1, abs=1e-12)


def test_counted_percentile_matches_percentile_cont(con):
    """On many repeated 4-decimal values, as ttr_hours: equal to DuckDB's own percentile_cont
    (which keeps every row in memory) once rounded at 5 decimals, as the marts round."""
    con.execute(
        "create temp table hours as select i % 7 as g, round((i * 7919 % 1000) / 37.0, 4) as v "
        "from range(5000) as t(i)"
    )
    rows = con.execute(
        """
        with counted as (select g, v, count(*) as n from hours group by g, v),
        ranked as (
            select *,
                sum(n) over (partition by g order by v
                             rows between unbounded preceding and current row) as upto,
                sum(n) over (partition by g) as total
            from counted
        ),
        ours as (
            select g, round(counted_percentile(v, upto, total, 0.5), 5) as m,
                round(counted_percentile(v, upto, total, 0.9), 5) as p90
            from ranked group by g
        ),
        theirs as (
            select g, round(median(v), 5) as m, round(quantile_cont(v, 0.9), 5) as p90
            from hours group by g
        )
        select count(*), count(*) filter (where o.m = t.m and o.p90 = t.p90)
        from ours as o join theirs as t using (g)
        """
    ).fetchone()
    assert rows == (7, 7)


def test_no_sql_file_writes_the_wilson_interval_out():
    """The interval lives in macros/stats.sql only: no other SQL squares a normal quantile."""
    written_out = [
        p.relative_to(PIPELINE)
        for p in PIPELINE.rglob("*.sql")
        if p.name != "stats.sql"
        and any(s in p.read_text(encoding="utf-8") for s in ("$z * $z", "z95() * z95()", "1.96"))
    ]
    assert written_out == []
