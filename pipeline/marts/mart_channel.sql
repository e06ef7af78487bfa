-- mart_channel: one row per channel with interactions in the period (key: channel).
-- Metrics as defined in int_mart_metrics.sql; top_reasons: the 3 commonest deciding reasons.
with

metrics as (
    select * from int_mart_metrics where grain = 'channel'
),

top_reasons as (
    select channel, list(reason order by rank) as top_reasons
    from int_mart_reasons
    where grain = 'channel' and rank <= 3
    group by channel
),

final as (
    select
        -- its dimensions and every metric, in int_mart_metrics' order
        m.* exclude (grain, touchpoint_id, segment, month, from_customer, from_handling),
        coalesce(r.top_reasons, []::varchar[]) as top_reasons
    from metrics as m
    left join top_reasons as r
        on r.channel = m.channel
)

select * from final
order by channel
