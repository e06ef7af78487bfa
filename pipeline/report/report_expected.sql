-- report_expected: one row per touchpoint and one per channel with contacts in the period (key:
-- grain, touchpoint_id or channel): the median expected handling time of those contacts (the
-- promise, or the channel's standard when there is none). Temporary: from the period's facts,
-- read by touchpoints.sql and channels.sql, dropped after.
create or replace temp table report_expected as
with

expected as (
    select touchpoint_id, channel, expected_hours
    from int_interaction_facts
    where in_period
),

grouped as (
    select
        grouping(touchpoint_id, channel) as grouping_id,
        touchpoint_id,
        channel,
        median(expected_hours) as median_expected_hours
    from expected
    group by grouping sets ((touchpoint_id), (channel))
),

final as (
    select
        -- grouping() sets a bit per column rolled up: 2 touchpoint, 1 channel
        case grouping_id when 1 then 'touchpoint' when 2 then 'channel' end as grain,
        touchpoint_id,
        channel,
        median_expected_hours
    from grouped
)

select * from final
