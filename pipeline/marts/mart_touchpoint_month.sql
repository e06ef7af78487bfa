-- mart_touchpoint_month: one row per touchpoint and month with interactions (key: touchpoint_id,
-- month). Metrics as in int_mart_metrics.sql; top_reasons: the 3 commonest deciding reasons.
with

metrics as (
    select * from int_mart_metrics where grain = 'touchpoint_month'
),

top_reasons as (
    select touchpoint_id, month, list(reason order by rank) as top_reasons
    from int_mart_reasons
    where grain = 'touchpoint_month' and rank <= 3
    group by touchpoint_id, month
),

final as (
    select
        -- its dimensions and every metric, in int_mart_metrics' order
        m.* exclude (grain, channel, segment, from_customer, from_handling),
        coalesce(r.top_reasons, []::varchar[]) as top_reasons
    from metrics as m
    left join top_reasons as r
        on r.touchpoint_id = m.touchpoint_id and r.month = m.month
)

select * from final
order by touchpoint_id, month
