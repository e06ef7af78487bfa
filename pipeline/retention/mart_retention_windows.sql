-- mart_retention_windows: one row per complaint-experience group and reorder window (key:
-- experience, window_days). customers: with an index interaction; followed: the window had
-- elapsed; reordered: of those followed. reorder_pct and its Wilson 95% interval (ci_low,
-- ci_high, 0-100; macros/stats.sql) are over the customers followed.
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
        case when followed > 0 then 1.0 * reordered / followed end as p
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
        100 * wilson_low(reordered, followed) as ci_low,
        100 * wilson_high(reordered, followed) as ci_high
    from rates
)

select * from final
order by experience, window_days
