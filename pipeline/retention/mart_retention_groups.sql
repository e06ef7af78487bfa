-- mart_retention_groups: one row per complaint-experience group (key: experience), `no_contact`
-- included (customers known only from orders: no index, so no reorder rate). Reorders in the
-- primary window (from mart_retention_windows), spend before and after the index, and churn:
-- churn_pct is over customers whose churn is known (active or churned, not censored), with its
-- Wilson 95% interval (macros/stats.sql).
with

customers as (
    select * from mart_customer_retention
),

primary_window as (
    select w.*
    from mart_retention_windows as w
    inner join ref_retention_windows as r
        on r.window_days = w.window_days and r.is_primary
),

-- sums and means rounded (cents; 9 decimals): parallel float sums differ in their last bits
per_group as (
    select
        experience,
        count(*) as customers,
        count(*) filter (where silent_dissatisfied) as silent_dissatisfied,
        sum(orders_before) as orders_before,
        round(sum(revenue_before), 2) as revenue_before,
        sum(orders_after) as orders_after,
        round(sum(revenue_after), 2) as revenue_after,
        round(avg(orders_per_30d_before), 9) as orders_per_30d_before,
        round(avg(orders_per_30d_after), 9) as orders_per_30d_after,
        count(*) filter (where churn_status = 'active') as active,
        count(*) filter (where churn_status = 'churned') as churned,
        count(*) filter (where churn_status = 'censored') as churn_censored,
        count(*) filter (where churn_status = 'never_ordered') as never_ordered
    from customers
    group by experience
),

churn as (
    select
        *,
        active + churned as churn_known,
        case when active + churned > 0 then 1.0 * churned / (active + churned) end as p
    from per_group
),

final as (
    select
        c.experience,
        c.customers,
        c.silent_dissatisfied,
        w.window_days,
        coalesce(w.followed, 0) as followed,
        coalesce(w.censored, 0) as censored,
        coalesce(w.reordered, 0) as reordered,
        w.reorder_pct,
        w.ci_low,
        w.ci_high,
        c.orders_before,
        c.revenue_before,
        c.orders_after,
        c.revenue_after,
        c.orders_per_30d_before,
        c.orders_per_30d_after,
        c.active,
        c.churned,
        c.churn_censored,
        c.never_ordered,
        c.churn_known,
        100 * c.p as churn_pct,
        100 * wilson_low(c.churned, c.churn_known) as churn_ci_low,
        100 * wilson_high(c.churned, c.churn_known) as churn_ci_high
    from churn as c
    left join primary_window as w
        on w.experience = c.experience
)

select * from final
order by experience
