-- What the report keeps of the previous period per touchpoint: volume, net delight and the
-- delighted / dissatisfied counts behind it (for the change's interval), one row
-- per catalog touchpoint as in mart_touchpoint, from int_period_metrics (in_period false).
with

touchpoints as (
    select touchpoint_id, position from ref_touchpoints
),

metrics as (
    select touchpoint_id, volume, net_delight, delighted, dissatisfied
    from int_period_metrics
    where not in_period and grain = 'touchpoint'
),

final as (
    select
        t.touchpoint_id,
        t.position,
        coalesce(m.volume, 0) as volume,
        m.net_delight,
        coalesce(m.delighted, 0) as delighted,
        coalesce(m.dissatisfied, 0) as dissatisfied
    from touchpoints as t
    left join metrics as m
        on m.touchpoint_id = t.touchpoint_id
)

select touchpoint_id, volume, net_delight, delighted, dissatisfied from final
order by position, touchpoint_id
