-- mart_segment: one row per customer segment, every segment listed, plus `unsegmented` for
-- interactions of no known customer or of customers outside the analysis window (key: segment).
-- customers: from customer_segments; the metrics (int_mart_metrics.sql) are over the interactions
-- of the segment's customers in the report period; top_reasons: the 3 commonest deciding reasons.
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
        -- every metric, in int_mart_metrics' order; a segment without interactions counts 0
        m.* exclude (grain, touchpoint_id, channel, segment, month, from_customer, from_handling)
        replace (
            coalesce(m.volume, 0) as volume,
            coalesce(m.delighted, 0) as delighted,
            coalesce(m.satisfied, 0) as satisfied,
            coalesce(m.dissatisfied, 0) as dissatisfied,
            coalesce(m.unscored, 0) as unscored,
            coalesce(m.rated, 0) as rated,
            coalesce(m.promises, 0) as promises,
            coalesce(m.resolved_timed, 0) as resolved_timed,
            coalesce(m.fcr_known, 0) as fcr_known,
            coalesce(m.repeat_known, 0) as repeat_known,
            coalesce(m.solved, 0) as solved,
            coalesce(m.phrase_interactions, 0) as phrase_interactions
        ),
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
