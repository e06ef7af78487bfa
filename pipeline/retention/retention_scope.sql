-- retention_scope: the customers an incremental retention run rebuilds (key: customer_id): those
-- with an interaction loaded, rescored or mapped by a run since retention was last built
-- (run_changes), with an order loaded by one of those runs ($runs, this one included), or with an
-- interaction or order after the last build's data end ($previous_end) up to this one's
-- ($data_end): every row their retention figures are made of is new or changed. Everyone else's
-- rows in the kept tables stand as built.
create or replace temp table retention_scope as
with

touched as (
    select customer_id
    from run_changes
    union all
    select customer_id
    from interactions
    where occurred_at > cast($previous_end as timestamp)
        and occurred_at <= cast($data_end as timestamp)
    union all
    select customer_id
    from orders
    where run_id in (select unnest(cast($runs as varchar[])))
        or (
            ordered_at > cast($previous_end as timestamp)
            and ordered_at <= cast($data_end as timestamp)
        )
)

select distinct customer_id
from touched
where customer_id is not null
