-- mart_repeat_purchase: one row per reorder window (key: window_days): do customers buy again
-- after their first order? Read from orders alone, so it holds with no contacts loaded.
-- customers: with an order up to $data_end; followed: their first order at least window_days
-- before $data_end (censored otherwise: left out, never counted as "did not buy again");
-- repeated: of those followed, a second order (strictly after the first) within window_days.
-- repeat_pct and its Wilson 95% interval (ci_low, ci_high), 0-100, are over the customers
-- followed (macros/stats.sql).
with

customers as (
    select
        customer_id,
        days_to_repeat,
        (epoch(cast($data_end as timestamp)) - epoch(first_order_at)) / 86400.0 as followup_days
    from mart_customer_retention
    where first_order_at is not null
),

windows as (
    select window_days, is_primary from ref_retention_windows
),

counts as (
    select
        w.window_days,
        w.is_primary,
        count(c.customer_id) as customers,
        count(c.customer_id) filter (where c.followup_days >= w.window_days) as followed,
        count(c.customer_id) filter (
            where c.followup_days >= w.window_days and c.days_to_repeat <= w.window_days
        ) as repeated
    from windows as w
    left join customers as c
        on true
    group by w.window_days, w.is_primary
),

final as (
    select
        window_days,
        is_primary,
        customers,
        followed,
        customers - followed as censored,
        repeated,
        case when followed > 0 then 100.0 * repeated / followed end as repeat_pct,
        100 * wilson_low(repeated, followed) as ci_low,
        100 * wilson_high(repeated, followed) as ci_high
    from counts
)

select * from final
order by window_days
