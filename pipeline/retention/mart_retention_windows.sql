-- mart_retention_windows: one row per complaint-experience group and reorder window (key:
-- experience, window_days). customers: with an index interaction; followed: the window had
-- elapsed; reordered: of those followed. reorder_pct and its Wilson score interval (ci_low,
-- ci_high, 0-100) at the normal quantile $z (1.96: 95%) are over the customers followed.
create or replace table mart_retention_windows as
with

reorders as (
    select * from mart_customer_reorders
),

counts as (
    select
        experience,
        window_days,
        count(*) as customers,
        count(*) filter (where followed) as followed,
        count(*) filter (where not followed) as censored,
        count(*) filter (where reordered) as reordered
    from reorders
    group by experience, window_days
),

rates as (
    select
        *,
        case when followed > 0 then 1.0 * reordered / followed end as p,
        case when followed > 0 then $z * $z / followed end as z2n
    from counts
),

final as (
    select
        experience,
        window_days,
        customers,
        followed,
        censored,
        reordered,
        100 * p as reorder_pct,
        -- Wilson score interval: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)
        greatest(0, 100 * (p + z2n / 2 - $z * sqrt(p * (1 - p) / followed + z2n / followed / 4))
            / (1 + z2n)) as ci_low,
        least(100, 100 * (p + z2n / 2 + $z * sqrt(p * (1 - p) / followed + z2n / followed / 4))
            / (1 + z2n)) as ci_high
    from rates
)

select * from final
order by experience, window_days
