-- mart_month: one row per calendar month (UTC) with interactions in the period (key: month), month
-- being the month's first day. Metrics as in int_mart_metrics.sql; top_reasons: the 3 commonest
-- deciding reasons.
with

metrics as (
    select * from int_mart_metrics where grain = 'month'
),

top_reasons as (
    select month, list(reason order by rank) as top_reasons
    from int_mart_reasons
    where grain = 'month' and rank <= 3
    group by month
),

final as (
    select
        -- its dimensions and every metric, in int_mart_metrics' order
        m.* exclude (grain, touchpoint_id, channel, segment, from_customer, from_handling),
        coalesce(r.top_reasons, []::varchar[]) as top_reasons
    from metrics as m
    left join top_reasons as r
        on r.month = m.month
)

select * from final
order by month
