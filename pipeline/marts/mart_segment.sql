-- mart_segment: one row per customer segment, every segment listed, plus `unsegmented` for
-- interactions of no known customer or of customers outside the analysis window (key: segment).
-- customers: from customer_segments; the metrics (int_mart_metrics.sql) are over the interactions
-- of the segment's customers in the report period; top_reasons: the 3 commonest deciding reasons.
create or replace table mart_segment as
with

segments as (
    select distinct segment_id as segment, position from ref_segments
    union all
    select 'unsegmented', 1000
),

customers as (
    select segment, count(*) as customers
    from customer_segments
    group by segment
),

metrics as (
    select * from int_mart_metrics where grain = 'segment'
),

top_reasons as (
    select segment, list(reason order by rank) as top_reasons
    from int_mart_reasons
    where grain = 'segment' and rank <= 3
    group by segment
),

final as (
    select
        s.segment,
        s.position,
        coalesce(c.customers, 0) as customers,
        coalesce(m.volume, 0) as volume,
        coalesce(m.delighted, 0) as delighted,
        coalesce(m.satisfied, 0) as satisfied,
        coalesce(m.dissatisfied, 0) as dissatisfied,
        coalesce(m.unscored, 0) as unscored,
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
    from segments as s
    left join customers as c
        on c.segment = s.segment
    left join metrics as m
        on m.segment = s.segment
    left join top_reasons as r
        on r.segment = s.segment
)

select * from final
order by position
