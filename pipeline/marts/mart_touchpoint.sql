-- mart_touchpoint: one row per catalog touchpoint, `unmapped` included, with or without
-- interactions in the period (key: touchpoint_id); position: catalog order. Metrics as defined in
-- int_mart_metrics.sql; top_reasons: the 3 commonest deciding reasons; from_customer /
-- from_handling: scored outcomes the customer's own verdict decided / inferred from the handling.
with

touchpoints as (
    select * from ref_touchpoints
),

metrics as (
    select * from int_mart_metrics where grain = 'touchpoint'
),

top_reasons as (
    select touchpoint_id, list(reason order by rank) as top_reasons
    from int_mart_reasons
    where grain = 'touchpoint' and rank <= 3
    group by touchpoint_id
),

final as (
    select
        t.touchpoint_id,
        t.position,
        t.kind,
        t.stage,
        t.owner,
        -- every metric, in int_mart_metrics' order; a touchpoint without interactions counts 0
        m.* exclude (grain, touchpoint_id, channel, segment, month) replace (
            coalesce(m.volume, 0) as volume,
            coalesce(m.delighted, 0) as delighted,
            coalesce(m.satisfied, 0) as satisfied,
            coalesce(m.dissatisfied, 0) as dissatisfied,
            coalesce(m.unscored, 0) as unscored,
            coalesce(m.from_customer, 0) as from_customer,
            coalesce(m.from_handling, 0) as from_handling,
            coalesce(m.rated, 0) as rated,
            coalesce(m.promises, 0) as promises,
            coalesce(m.resolved_timed, 0) as resolved_timed,
            coalesce(m.fcr_known, 0) as fcr_known,
            coalesce(m.repeat_known, 0) as repeat_known,
            coalesce(m.solved, 0) as solved,
            coalesce(m.phrase_interactions, 0) as phrase_interactions
        ),
        coalesce(r.top_reasons, []::varchar[]) as top_reasons
    from touchpoints as t
    left join metrics as m
        on m.touchpoint_id = t.touchpoint_id
    left join top_reasons as r
        on r.touchpoint_id = t.touchpoint_id
)

select * from final
order by position
