-- mart_repeat_cohorts: one row per monthly cohort and reorder window (key: cohort_month,
-- window_days). A cohort: the customers whose first order fell in that calendar month (UTC).
-- customers: the cohort's size; followed: those whose first order is at least window_days
-- before $data_end; repeated: of those, a second order within window_days; repeat_pct over the
-- customers followed (null when none is: the window has not elapsed for anyone yet).
with

customers as (
    select
        cast(date_trunc('month', first_order_at) as date) as cohort_month,
        days_to_repeat,
        (epoch(cast($data_end as timestamp)) - epoch(first_order_at)) / 86400.0 as followup_days
    from mart_customer_retention
    where first_order_at is not null
),

windows as (
    select window_days from ref_retention_windows
),

counts as (
    select
        c.cohort_month,
        w.window_days,
        count(*) as customers,
        count(*) filter (where c.followup_days >= w.window_days) as followed,
        count(*) filter (
            where c.followup_days >= w.window_days and c.days_to_repeat <= w.window_days
        ) as repeated
    from customers as c
    cross join windows as w
    group by c.cohort_month, w.window_days
),

final as (
    select
        cohort_month,
        window_days,
        customers,
        followed,
        repeated,
        case when followed > 0 then 100.0 * repeated / followed end as repeat_pct
    from counts
)

select * from final
order by cohort_month, window_days
