-- mart_touchpoint_reasons: one row per touchpoint and deciding reason code (key: touchpoint_id,
-- reason): why customers leave the touchpoint delighted, satisfied or dissatisfied. effect: what
-- the reason did to the outcome; pct_of_touchpoint: interactions / touchpoint volume, 0-100.
with

reasons as (
    select touchpoint_id, reason, interactions, rank
    from int_mart_reasons
    where grain = 'touchpoint'
),

-- the outcome each deciding reason led to (a code only ever decides one outcome)
effects as (
    select distinct unnest(deciding_reasons) as reason, outcome
    from int_interaction_facts
    where in_period
),

volume as (
    select touchpoint_id, volume
    from int_mart_metrics
    where grain = 'touchpoint'
),

final as (
    select
        r.touchpoint_id,
        r.reason,
        e.outcome,
        r.interactions,
        100.0 * r.interactions / v.volume as pct_of_touchpoint,
        r.rank
    from reasons as r
    inner join volume as v
        on v.touchpoint_id = r.touchpoint_id
    left join effects as e
        on e.reason = r.reason
)

select * from final
order by touchpoint_id, rank
