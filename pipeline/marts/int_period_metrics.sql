-- int_period_metrics: one row per period and group of every mart grain (key: in_period, grain,
-- touchpoint_id, channel, segment, month), the dimensions its grain does not use null:
-- grain = touchpoint | channel | segment | month | touchpoint_month; in_period: false for the
-- period before the report's (int_interaction_facts). Each metric is defined once, here; the
-- README of data/reference gives the one-line definitions. Percentages are 0-100.
-- Kept in the warehouse: int_mart_metrics is its report period, the previous snapshot the rest.
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
        -- scored outcomes the customer's own verdict decided (a rating or the kind, e.g. a
        -- compliment, among the deciding reasons, a declared verdict such as NPS, or their own
        -- words); the rest were inferred from the handling
        count(*) filter (
            where outcome <> 'unscored'
            and (decided_by_declared_verdict or decided_by_words
                 or len(list_filter(deciding_reasons, lambda r: starts_with(r, 'rating_')
                                                                or starts_with(r, 'words_')
                                                                or starts_with(r, 'kind_'))) > 0)
        ) as from_customer,
        count(rating) as rated,
        count(*) filter (where rating >= 4) as rated_4_or_5,
        count(promise_kept) as promises,
        count(*) filter (where promise_kept) as promises_kept,
        count(ttr_hours) as resolved_timed,
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

-- The median and 90th percentile of ttr_hours per group as percentile_cont defines them, from
-- each group's distinct values and their counts (counted_percentile, macros/stats.sql): a
-- percentile aggregate keeps every value of its group in memory and cannot spill (it ran out of
-- memory at 50M rows); counting values is an aggregate that spills. ttr_hours has 4 decimals, so
-- both are exact at 5: rounded there, the last bits of the interpolation do not show.
ttr_values as (
    select
        grouping(touchpoint_id, channel, segment, month) as grouping_id,
        in_period,
        touchpoint_id,
        channel,
        segment,
        month,
        ttr_hours,
        count(*) as n
    from facts
    where ttr_hours is not null
    group by grouping sets (
        (in_period, touchpoint_id, ttr_hours),
        (in_period, channel, ttr_hours),
        (in_period, segment, ttr_hours),
        (in_period, month, ttr_hours),
        (in_period, touchpoint_id, month, ttr_hours)
    )
),

-- upto: how many values of the group are at or below this one; total: how many it has
ttr_ranked as (
    select
        *,
        sum(n) over (
            partition by grouping_id, in_period, touchpoint_id, channel, segment, month
            order by ttr_hours
            rows between unbounded preceding and current row
        ) as upto,
        sum(n) over (
            partition by grouping_id, in_period, touchpoint_id, channel, segment, month
        ) as total
    from ttr_values
),

ttr_percentiles as (
    select
        grouping_id,
        in_period,
        touchpoint_id,
        channel,
        segment,
        month,
        round(counted_percentile(ttr_hours, upto, total, 0.5), 5) as median_ttr_hours,
        round(counted_percentile(ttr_hours, upto, total, 0.9), 5) as p90_ttr_hours
    from ttr_ranked
    group by grouping_id, in_period, touchpoint_id, channel, segment, month
),

with_percentiles as (
    select
        g.*,
        p.median_ttr_hours,
        p.p90_ttr_hours
    from grouped as g
    left join ttr_percentiles as p
        on p.grouping_id = g.grouping_id
        and p.in_period = g.in_period
        and p.touchpoint_id is not distinct from g.touchpoint_id
        and p.channel is not distinct from g.channel
        and p.segment is not distinct from g.segment
        and p.month is not distinct from g.month
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
        from_customer,
        delighted + satisfied + dissatisfied - from_customer as from_handling,
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
    from with_percentiles
)

select * from final
order by in_period, grain, touchpoint_id, channel, segment, month
