-- int_touchpoint_firsts: one row per customer and touchpoint with a scored contact there
-- (key: customer_id, touchpoint_id; touchpoint_id may be null, unmapped), at the customer's first
-- scored contact there (delighted, satisfied or dissatisfied; source and interaction_id break
-- ties): when it was, its outcome, and whether the customer ordered within $window_days after
-- it (orders up to $data_end). Kept between runs: an incremental run rebuilds only the customers
-- in `retention_scope` (int_retention_contacts and `retention_orders` hold only theirs); the
-- stage replaces those customers' rows (by customer, not by key: a null touchpoint_id would not
-- match a delete by key). mart_touchpoint_retention keeps the firsts whose window had elapsed by
-- its $data_end.
with

contacts as (
    select customer_id, source, interaction_id, occurred_at, touchpoint_id, outcome
    from int_retention_contacts
    where mapped
        and outcome in ('delighted', 'satisfied', 'dissatisfied')
),

orders as (
    select customer_id, ordered_at
    from retention_orders
    where ordered_at <= cast($data_end as timestamp)
),

-- each customer's first scored contact per touchpoint (source and interaction_id break ties):
-- the earliest time by a fixed-size aggregate, then the tie-break among the contacts at that time
-- (an aggregate keeping text per group cannot spill: it ran out of memory at 50M rows)
first_times as (
    select customer_id, touchpoint_id, min(occurred_at) as first_at
    from contacts
    group by customer_id, touchpoint_id
),

firsts as (
    select customer_id, touchpoint_id, occurred_at, outcome
    from (
        select
            c.customer_id,
            c.touchpoint_id,
            c.occurred_at,
            c.outcome,
            row_number() over (
                partition by c.customer_id, c.touchpoint_id order by c.source, c.interaction_id
            ) as tie
        from contacts as c
        inner join first_times as f
            on f.customer_id is not distinct from c.customer_id
            and f.touchpoint_id is not distinct from c.touchpoint_id
            and f.first_at = c.occurred_at
    )
    where tie = 1
),

-- reordered: an order within the window (a semi-join on the customer, then the time filter: no
-- pairs are kept)
final as (
    select
        f.customer_id,
        f.touchpoint_id,
        f.occurred_at as first_at,
        f.outcome,
        exists (
            select 1
            from orders as o
            where o.customer_id = f.customer_id
                and o.ordered_at > f.occurred_at
                and o.ordered_at <= f.occurred_at + to_days(cast($window_days as integer))
        ) as reordered
    from firsts as f
)

select * from final
