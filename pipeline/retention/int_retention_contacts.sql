-- int_retention_contacts: one row per interaction of a customer in the retention scope up to
-- $data_end, with its outcome (key: source, interaction_id), narrowed to what the retention
-- tables read: the joins of interactions, interaction_outcomes and interaction_touchpoints are
-- done once here, not once per table. Reads `retention_interactions`: every interaction, or on
-- an incremental run those of the customers in `retention_scope`. A temporary table: built and
-- dropped within the retention stage.
-- `mapped`: the interaction has a row in interaction_touchpoints (touchpoint_id may still be
-- null there); marts that need a touchpoint keep only mapped rows.
with

interactions as (
    select source, interaction_id, customer_id, occurred_at, lower(trim(kind)) as kind
    from retention_interactions
    where customer_id is not null
        and occurred_at <= cast($data_end as timestamp)
),

outcomes as (
    select source, interaction_id, outcome, is_resolved
    from interaction_outcomes
),

touchpoints as (
    select source, interaction_id, touchpoint_id
    from interaction_touchpoints
),

final as (
    select
        i.customer_id,
        i.source,
        i.interaction_id,
        i.occurred_at,
        i.kind,
        o.outcome,
        o.is_resolved,
        t.touchpoint_id,
        t.interaction_id is not null as mapped
    from interactions as i
    inner join outcomes as o
        on o.source = i.source and o.interaction_id = i.interaction_id
    left join touchpoints as t
        on t.source = i.source and t.interaction_id = i.interaction_id
)

select * from final
