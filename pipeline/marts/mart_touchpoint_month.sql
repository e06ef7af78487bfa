-- mart_touchpoint_month: one row per touchpoint and month with interactions (key: touchpoint_id,
-- month). Metrics as in int_mart_metrics.sql; top_reasons: the 3 commonest deciding reasons.
create or replace table mart_touchpoint_month as
with

metrics as (
    select * from int_mart_metrics where grain = 'touchpoint_month'
),

top_reasons as (
    select touchpoint_id, month, list(reason order by rank) as top_reasons
    from int_mart_reasons
    where grain = 'touchpoint_month' and rank <= 3
    group by touchpoint_id, month
),

final as (
    select
        m.touchpoint_id,
        m.month,
        m.volume,
        m.delighted,
        m.satisfied,
        m.dissatisfied,
        m.unscored,
        m.pct_delighted,
        m.pct_satisfied,
        m.pct_dissatisfied,
        m.pct_unscored,
        m.net_delight,
        m.rated,
        m.csat_pct,
        m.promises,
        m.promise_kept_pct,
        m.resolved_timed,
        m.median_ttr_hours,
        m.p90_ttr_hours,
        m.fcr_known,
        m.fcr_pct,
        m.repeat_known,
        m.repeat_contact_pct,
        m.solved,
        m.reopen_pct,
        m.phrase_interactions,
        coalesce(r.top_reasons, []::varchar[]) as top_reasons
    from metrics as m
    left join top_reasons as r
        on r.touchpoint_id = m.touchpoint_id and r.month = m.month
)

select * from final
order by touchpoint_id, month
