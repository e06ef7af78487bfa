-- int_interaction_facts: one row per interaction in the report period (key: source,
-- interaction_id): its dimensions (touchpoint, channel, segment, month, language) beside its
-- outcome and measures, the one input every mart aggregates. Period ends are inclusive; null: open.
create or replace table int_interaction_facts as
with

interactions as (
    select * from interactions
    where (
        cast($period_from as timestamp) is null
        or occurred_at >= cast($period_from as timestamp)
    )
    and (cast($period_to as timestamp) is null or occurred_at <= cast($period_to as timestamp))
),

final as (
    select
        i.source,
        i.interaction_id,
        i.customer_id,
        i.occurred_at,
        cast(date_trunc('month', i.occurred_at) as date) as month,
        lower(trim(i.channel)) as channel,
        lower(trim(i.kind)) as kind,
        lower(trim(i.language)) as language,
        i.agent_id,
        t.touchpoint_id,
        t.rule_id,
        coalesce(s.segment, 'unsegmented') as segment,
        o.outcome,
        o.deciding_reasons,
        o.dissatisfied_cause,
        case when round(i.rating) between 1 and 5 then round(i.rating) end as rating,
        o.promise_kept,
        o.ttr_hours,
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
