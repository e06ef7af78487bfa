-- report_expected: one row per touchpoint and one per channel with contacts in the period (key:
-- grain, touchpoint_id, channel), the one of the two its grain does not use null: the median
-- expected handling time of those contacts (the promise, or the channel's standard when there is
-- none). Temporary: from the period's facts, read by queries/touchpoints.sql and
-- queries/channels.sql, dropped after.
with

expected as (
    select touchpoint_id, channel, expected_hours
    from int_interaction_facts
    where in_period
),

-- The median as percentile_cont / median define it, from each group's distinct values and their
-- counts (counted_percentile, macros/stats.sql): a median aggregate keeps every value in memory
-- and cannot spill; counting values spills. Hours have 4 decimals, so the median is exact at 5
-- (rounded there). A group whose contacts have no expected hours keeps its row, with no median.
counted as (
    select
        grouping(touchpoint_id, channel) as grouping_id,
        touchpoint_id,
        channel,
        expected_hours,
        count(*) as n
    from expected
    group by grouping sets ((touchpoint_id, expected_hours), (channel, expected_hours))
),

ranked as (
    select
        *,
        sum(case when expected_hours is not null then n else 0 end) over (
            partition by grouping_id, touchpoint_id, channel
            order by expected_hours nulls last
            rows between unbounded preceding and current row
        ) as upto,
        sum(case when expected_hours is not null then n else 0 end) over (
            partition by grouping_id, touchpoint_id, channel
        ) as total
    from counted
),

grouped as (
    select
        grouping_id,
        touchpoint_id,
        channel,
        round(counted_percentile(expected_hours, upto, total, 0.5), 5) as median_expected_hours
    from ranked
    group by grouping_id, touchpoint_id, channel
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
