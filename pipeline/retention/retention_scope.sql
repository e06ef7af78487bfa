-- retention_scope: the customers an incremental retention run rebuilds (key: customer_id): those
-- with an interaction or order loaded, an outcome rescored or an interaction mapped by a run in
-- $runs (the runs since retention was last built, this one included), and those with an
-- interaction or order after the last build's data end ($previous_end) up to this one's
-- ($data_end): every row their retention figures are made of is new or changed. Everyone
-- else's rows in the kept tables stand as built.
create or replace temp table retention_scope as
with

since as (
    select unnest(cast($runs as varchar[])) as run_id
),

changed_interactions as (
    select source, interaction_id
    from interaction_outcomes
    where scored_run in (select run_id from since)
    union all
    select source, interaction_id
    from interaction_touchpoints
    where mapped_run in (select run_id from since)
),

touched as (
    select customer_id
    from interactions
    where run_id in (select run_id from since)
        or (
            occurred_at > cast($previous_end as timestamp)
            and occurred_at <= cast($data_end as timestamp)
        )
    union all
    select i.customer_id
    from interactions as i
    where exists (
        select 1
        from changed_interactions as c
        where c.source = i.source and c.interaction_id = i.interaction_id
    )
    union all
    select customer_id
    from orders
    where run_id in (select run_id from since)
        or (
            ordered_at > cast($previous_end as timestamp)
            and ordered_at <= cast($data_end as timestamp)
        )
)

select distinct customer_id
from touched
where customer_id is not null
