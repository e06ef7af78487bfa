-- mart_cohort_retention: one row per monthly cohort, complaint-experience group and month after
-- (key: cohort_month, experience, months_since). A cohort: the customers whose index interaction
-- fell in that calendar month (UTC). retained: those with an order in the calendar month
-- months_since after it (1 = the next month), out of the cohort's customers. Only months whose
-- last day is on or before $data_end's date are listed (later ones are not over yet); at most
-- $cohort_months months.
with recursive

months_since(months_since) as (
    select 1
    union all
    select months_since + 1 from months_since where months_since < $cohort_months
),

customers as (
    select customer_id, experience, cast(date_trunc('month', index_at) as date) as cohort_month
    from mart_customer_retention
    where index_at is not null
),

sizes as (
    select cohort_month, experience, count(*) as customers
    from customers
    group by cohort_month, experience
),

grid as (
    select s.cohort_month, s.experience, s.customers, m.months_since
    from sizes as s
    cross join months_since as m
    where s.cohort_month + to_months(m.months_since + 1) - interval 1 day
        <= cast(cast($data_end as timestamp) as date)
),

active as (
    select
        c.cohort_month,
        c.experience,
        date_diff('month', c.cohort_month, cast(date_trunc('month', o.ordered_at) as date))
            as months_since,
        count(distinct c.customer_id) as retained
    from customers as c
    inner join orders as o
        on o.customer_id = c.customer_id
        and o.ordered_at >= c.cohort_month + to_months(1)
        and o.ordered_at <= cast($data_end as timestamp)
    group by all
),

final as (
    select
        g.cohort_month,
        g.experience,
        g.months_since,
        g.customers,
        coalesce(a.retained, 0) as retained,
        100.0 * coalesce(a.retained, 0) / g.customers as retained_pct
    from grid as g
    left join active as a
        on a.cohort_month = g.cohort_month
        and a.experience = g.experience
        and a.months_since = g.months_since
)

select * from final
order by cohort_month, experience, months_since
