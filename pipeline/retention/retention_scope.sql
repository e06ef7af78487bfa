-- retention_scope: the customers an incremental retention run rebuilds (key: customer_id): those
-- with an interaction loaded, rescored or mapped by a run since retention was last built
-- (run_changes), with an order loaded by one of those runs ($runs, this one included), or with an
-- interaction or order after the last build's data end ($previous_end) up to this one's
-- ($data_end): every row their retention figures are made of is new or changed; and those with
-- a complaint in mart_complaint_orders (as the last build left it) whose window closed in
-- between, so that its `followed` moves on. Everyone else's rows in the kept tables stand as
-- built.
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
    union all
    select customer_id
    from mart_complaint_orders
    where occurred_at + to_days(window_days) > cast($previous_end as timestamp)
        and occurred_at + to_days(window_days) <= cast($data_end as timestamp)
)

select distinct customer_id
from touched
where customer_id is not null
