-- followup_ttr: one row per asked touchpoint (key: touchpoint_id): the resolution times at ranks
-- $lo_ranks and $hi_ranks (1-based, ascending) of its contacts in the report period
-- (int_interaction_facts, in_period), the ends of its median's distribution-free 95% interval
-- (pipeline.report.followup.median_ranks). Counted per distinct value, as int_period_metrics
-- does its percentiles: a sort of every value would not spill.
with

asked as (
    select
        unnest($touchpoints) as touchpoint_id,
        unnest($lo_ranks) as lo_rank,
        unnest($hi_ranks) as hi_rank
),

counted as (
    select f.touchpoint_id, f.ttr_hours, count(*) as n
    from int_interaction_facts as f
    inner join asked as a on a.touchpoint_id = f.touchpoint_id
    where f.in_period and f.ttr_hours is not null
    group by f.touchpoint_id, f.ttr_hours
),

-- upto: how many of the touchpoint's values are at or below this one
ranked as (
    select
        *,
        sum(n) over (
            partition by touchpoint_id
            order by ttr_hours
            rows between unbounded preceding and current row
        ) as upto
    from counted
),

final as (
    select
        a.touchpoint_id,
        min(r.ttr_hours) filter (where r.upto >= a.lo_rank) as ttr_low,
        min(r.ttr_hours) filter (where r.upto >= a.hi_rank) as ttr_high
    from asked as a
    left join ranked as r on r.touchpoint_id = a.touchpoint_id
    group by a.touchpoint_id
)

select * from final
order by touchpoint_id
