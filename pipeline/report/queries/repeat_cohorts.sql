-- Repeat purchases per first-order month and window (mart_repeat_cohorts): the latest $months
-- months with customers, oldest first.
with

months as (
    select distinct cohort_month
    from mart_repeat_cohorts
    order by cohort_month desc
    limit $months
)

select c.cohort_month, c.window_days, c.customers, c.followed, c.repeated, c.repeat_pct
from mart_repeat_cohorts as c
inner join months as m
    on m.cohort_month = c.cohort_month
order by c.cohort_month, c.window_days
