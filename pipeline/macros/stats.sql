-- Statistics macros, each defined once for every stage's SQL (installed by pipeline.db
-- install_macros: temporary, so on each connection). pipeline/report/stats.py is the Python
-- counterpart of the Wilson interval; tests/test_stats_macros.py checks that the two agree.

-- The two-sided 95% normal quantile, as a double (Z95 in Python).
create or replace temp macro z95() as cast(1.959963984540054 as double);

-- One bound of the Wilson score interval of k successes in n, as a share 0-1, unclamped;
-- side -1 the lower, +1 the upper: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n).
create or replace temp macro wilson_bound(k, n, side) as
    (
        1.0 * k / n + z95() * z95() / n / 2
        + side * z95() * sqrt(1.0 * k / n * (1 - 1.0 * k / n) / n + z95() * z95() / n / n / 4)
    ) / (1 + z95() * z95() / n);

-- The Wilson 95% interval of k in n as shares 0-1, clamped to 0-1 (at k = 0 or k = n the rounding
-- can step a hair outside); null when n is 0 or either is null.
create or replace temp macro wilson_low(k, n) as
    case
        when n > 0 then
            case when wilson_bound(k, n, -1) < 0 then 0 else wilson_bound(k, n, -1) end
    end;

create or replace temp macro wilson_high(k, n) as
    case
        when n > 0 then
            case when wilson_bound(k, n, 1) > 1 then 1 else wilson_bound(k, n, 1) end
    end;

-- The p-th percentile (0-1) of a group's values as percentile_cont defines it, an aggregate over
-- the group's distinct values and their counts rather than its rows (spill-safe: a percentile
-- aggregate keeps every value of its group in memory and cannot spill; counting values spills,
-- and the distinct values are far fewer than the rows). Per value row: `value` (null rows are
-- ignored), `upto` how many of the group's values are at or below it, `total` how many values
-- the group has (the same on every row). With sorted values v[0..n-1] and rank rn = (n - 1) * p:
-- v[floor(rn)] + (v[ceil(rn)] - v[floor(rn)]) * (rn - floor(rn)); the value at rank r is the
-- smallest whose upto exceeds r. Null for a group without values. Callers round the result at
-- one digit past their values' (the interpolation's last bits differ between engines).
create or replace temp macro counted_percentile(value, upto, total, p) as
    min(value) filter (where upto > floor(cast(total - 1 as double) * cast(p as double)))
    + (
        min(value) filter (where upto > ceil(cast(total - 1 as double) * cast(p as double)))
        - min(value) filter (where upto > floor(cast(total - 1 as double) * cast(p as double)))
    )
    * (
        max(cast(total - 1 as double) * cast(p as double))
        - floor(max(cast(total - 1 as double) * cast(p as double)))
    );
