-- int_period_metrics: one row per period and group of every mart grain (key: in_period, grain and
-- its dimensions): grain = touchpoint | channel | segment | month | touchpoint_month; in_period:
-- false for the period before the report's (int_interaction_facts). Each metric is defined once,
-- here; the README of data/reference gives the one-line definitions. Percentages are 0-100.
-- Kept in the warehouse: int_mart_metrics is its report period, the previous snapshot the rest.
create or replace table int_period_metrics as
with

facts as (
    select * from int_interaction_facts
),

grouped as (
    select
        grouping(touchpoint_id, channel, segment, month) as grouping_id,
        in_period,
        touchpoint_id,
        channel,
        segment,
        month,
        count(*) as volume,
        count(*) filter (where outcome = 'delighted') as delighted,
        count(*) filter (where outcome = 'satisfied') as satisfied,
        count(*) filter (where outcome = 'dissatisfied') as dissatisfied,
        count(*) filter (where outcome = 'unscored') as unscored,
        count(rating) as rated,
        count(*) filter (where rating >= 4) as rated_4_or_5,
        count(promise_kept) as promises,
        count(*) filter (where promise_kept) as promises_kept,
        count(ttr_hours) as resolved_timed,
        percentile_cont(0.5) within group (order by ttr_hours) as median_ttr_hours,
        percentile_cont(0.9) within group (order by ttr_hours) as p90_ttr_hours,
        count(first_contact_resolution) as fcr_known,
        count(*) filter (where first_contact_resolution) as fcr,
        count(repeat_contact) as repeat_known,
        count(*) filter (where repeat_contact) as repeats,
        count(*) filter (where is_resolved) as solved,
        count(*) filter (where is_resolved and reopened) as reopens,
        count(*) filter (where len(phrases) > 0) as phrase_interactions
    from facts
    group by grouping sets (
        (in_period, touchpoint_id),
        (in_period, channel),
        (in_period, segment),
        (in_period, month),
        (in_period, touchpoint_id, month)
    )
),

final as (
    select
        -- grouping() sets a bit per column rolled up: 8 touchpoint, 4 channel, 2 segment, 1 month
        case grouping_id
            when 7 then 'touchpoint'
            when 11 then 'channel'
            when 13 then 'segment'
            when 14 then 'month'
            when 6 then 'touchpoint_month'
        end as grain,
        in_period,
        touchpoint_id,
        channel,
        segment,
        month,
        volume,
        delighted,
        satisfied,
        dissatisfied,
        unscored,
        100.0 * delighted / volume as pct_delighted,
        100.0 * satisfied / volume as pct_satisfied,
        100.0 * dissatisfied / volume as pct_dissatisfied,
        100.0 * unscored / volume as pct_unscored,
        100.0 * (delighted - dissatisfied) / volume as net_delight,
        rated,
        100.0 * rated_4_or_5 / nullif(rated, 0) as csat_pct,
        promises,
        100.0 * promises_kept / nullif(promises, 0) as promise_kept_pct,
        resolved_timed,
        median_ttr_hours,
        p90_ttr_hours,
        fcr_known,
        100.0 * fcr / nullif(fcr_known, 0) as fcr_pct,
        repeat_known,
        100.0 * repeats / nullif(repeat_known, 0) as repeat_contact_pct,
        solved,
        100.0 * reopens / nullif(solved, 0) as reopen_pct,
        phrase_interactions
    from grouped
)

select * from final
order by in_period, grain, touchpoint_id, channel, segment, month
