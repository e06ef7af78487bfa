-- int_interaction_facts: one row per interaction in the report period, and in the period before
-- it when one is given (key: source, interaction_id). in_period: false for the period before.
-- Only the columns the marts and the report read: dimensions (touchpoint, channel, segment,
-- month) beside outcome and measures. segment: the customer's in customer_segments, for the report
-- period's rows only (null before it). Period ends are inclusive; null: open. Kept in the
-- warehouse: every mart and the report read it, and a run that changes nothing in the periods
-- reuses it (pipeline.report.period_segments).
with

interactions as (
    select
        source,
        interaction_id,
        customer_id,
        occurred_at,
        channel,
        agent_id,
        rating,
        (cast($period_from as timestamp) is null or occurred_at >= cast($period_from as timestamp))
        and (cast($period_to as timestamp) is null or occurred_at <= cast($period_to as timestamp))
            as in_period
    from interactions
    where (
        (cast($period_from as timestamp) is null or occurred_at >= cast($period_from as timestamp))
        and (cast($period_to as timestamp) is null or occurred_at <= cast($period_to as timestamp))
    )
    or occurred_at between cast($previous_from as timestamp) and cast($previous_to as timestamp)
),

final as (
    select
        i.in_period,
        i.source,
        i.interaction_id,
        cast(date_trunc('month', i.occurred_at) as date) as month,
        lower(trim(i.channel)) as channel,
        i.agent_id,
        t.touchpoint_id,
        case when i.in_period then coalesce(s.segment, 'unsegmented') end as segment,
        o.outcome,
        o.deciding_reasons,
        o.decided_by_declared_verdict,
        o.decided_by_words,
        case when round(i.rating) between 1 and 5 then round(i.rating) end as rating,
        o.promise_kept,
        o.ttr_hours,
        o.expected_hours,
        o.is_resolved,
        o.first_contact_resolution,
        o.repeat_contact,
        o.reopened,
        o.phrases
    from interactions as i
    inner join interaction_outcomes as o
        on o.source = i.source and o.interaction_id = i.interaction_id
    inner join interaction_touchpoints as t
        on t.source = i.source and t.interaction_id = i.interaction_id
    left join customer_segments as s
        on s.customer_id = i.customer_id
)

-- no order by: the rows are a set, and sorting a million of them costs more than building them
select * from final
