-- run_changes: the interactions a run in $runs loaded, rescored or mapped (key: source,
-- interaction_id), with their customer and time: what a table kept between runs (retention's
-- per-customer tables, the report period's segments and marts) must revisit. Map and score stamp
-- the rows they write (mapped_run, scored_run). A temporary table, dropped by its reader.
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

select i.source, i.interaction_id, i.customer_id, i.occurred_at
from interactions as i
where i.run_id in (select run_id from since)
    or exists (
        select 1
        from rewritten as r
        where r.source = i.source and r.interaction_id = i.interaction_id
    )
