-- int_mart_reasons: one row per group of every mart grain in the report period and deciding reason
-- code (key: grain, touchpoint_id, channel, segment, month, reason), the dimensions its grain does
-- not use null; ranked by interactions (ties: by code). Deciding reasons are the codes that set the
-- outcome (the shortfalls of a dissatisfied interaction, and so on).
with

reasons as (
    select touchpoint_id, channel, segment, month, unnest(deciding_reasons) as reason
    from int_interaction_facts
    where in_period
),

grouped as (
    select
        grouping(touchpoint_id, channel, segment, month) as grouping_id,
        touchpoint_id,
        channel,
        segment,
        month,
        reason,
        count(*) as interactions
    from reasons
    group by grouping sets (
        (touchpoint_id, reason),
        (channel, reason),
        (segment, reason),
        (month, reason),
        (touchpoint_id, month, reason)
    )
),

final as (
    select
        case grouping_id
            when 7 then 'touchpoint'
            when 11 then 'channel'
            when 13 then 'segment'
            when 14 then 'month'
            when 6 then 'touchpoint_month'
        end as grain,
        touchpoint_id,
        channel,
        segment,
        month,
        reason,
        interactions,
        row_number() over (
            partition by grouping_id, touchpoint_id, channel, segment, month
            order by interactions desc, reason
        ) as rank
    from grouped
)

select * from final
order by grain, touchpoint_id, channel, segment, month, rank
