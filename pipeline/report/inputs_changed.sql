-- inputs_changed: how many interactions from $span_from to $span_to (inclusive: every segment
-- window and period the report's kept tables cover) a run in $runs loaded, rescored or mapped.
-- None: customer_segments, int_customer_windows, the facts and the marts of the period stand as
-- built; any: they are built again.
with

since as (
    select unnest(cast($runs as varchar[])) as run_id
),

rewritten as (
    select source, interaction_id
    from interaction_outcomes
    where scored_run in (select run_id from since)
    union all
    select source, interaction_id
    from interaction_touchpoints
    where mapped_run in (select run_id from since)
)

select count(*) as changed
from interactions as i
where i.occurred_at between cast($span_from as timestamp) and cast($span_to as timestamp)
    and (
        i.run_id in (select run_id from since)
        or exists (
            select 1
            from rewritten as r
            where r.source = i.source and r.interaction_id = i.interaction_id
        )
    )
