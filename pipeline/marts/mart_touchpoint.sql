-- mart_touchpoint: one row per catalog touchpoint, `unmapped` included, with or without
-- interactions in the period (key: touchpoint_id); position: catalog order. Metrics as defined in
-- int_mart_metrics.sql; top_reasons: the 3 commonest deciding reasons; from_customer /
-- from_handling: scored outcomes the customer's own verdict decided / inferred from the handling.
create or replace table mart_touchpoint as
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
        coalesce(m.volume, 0) as volume,
        coalesce(m.delighted, 0) as delighted,
        coalesce(m.satisfied, 0) as satisfied,
        coalesce(m.dissatisfied, 0) as dissatisfied,
        coalesce(m.unscored, 0) as unscored,
        coalesce(m.from_customer, 0) as from_customer,
        coalesce(m.from_handling, 0) as from_handling,
        m.pct_delighted,
        m.pct_satisfied,
        m.pct_dissatisfied,
        m.pct_unscored,
        m.net_delight,
        coalesce(m.rated, 0) as rated,
        m.csat_pct,
        coalesce(m.promises, 0) as promises,
        m.promise_kept_pct,
        coalesce(m.resolved_timed, 0) as resolved_timed,
        m.median_ttr_hours,
        m.p90_ttr_hours,
        coalesce(m.fcr_known, 0) as fcr_known,
        m.fcr_pct,
        coalesce(m.repeat_known, 0) as repeat_known,
        m.repeat_contact_pct,
        coalesce(m.solved, 0) as solved,
        m.reopen_pct,
        coalesce(m.phrase_interactions, 0) as phrase_interactions,
        coalesce(r.top_reasons, []::varchar[]) as top_reasons
    from touchpoints as t
    left join metrics as m
        on m.touchpoint_id = t.touchpoint_id
    left join top_reasons as r
        on r.touchpoint_id = t.touchpoint_id
)

select * from final
order by position
