-- mart_complaint_orders: one row per complaint by a known customer (key: source, interaction_id),
-- with the customer's orders and revenue in the $window_days before it and after it. `followed`:
-- the window after the complaint had elapsed by $data_end (else the "after" figures are partial).
-- `experience` is this complaint's own: unresolved, else complaint_<outcome>.
-- Before: orders in (occurred_at - $window_days, occurred_at], the same instant counting as
-- before; after: orders in (occurred_at, occurred_at + $window_days].
-- Not sorted (millions of rows, and a table has no order): read it with an order by.
-- Kept between runs (incremental): an incremental run replaces only the complaints of the
-- customers in `retention_scope` (int_retention_contacts and `retention_orders` hold only
-- theirs; the registry matches the scope on customer_id); the scope includes the
-- customers of the complaints whose window closed since the last build, so `followed` moves on.
with

-- contact_row: the row's number in int_retention_contacts, a compact key to group the pairs by
-- (read twice, each time only the columns needed: not materialized)
complaints as not materialized (
    select
        rowid as contact_row,
        source,
        interaction_id,
        customer_id,
        occurred_at,
        touchpoint_id,
        outcome,
        case
            when is_resolved is false then 'unresolved'
            when outcome in ('delighted', 'satisfied', 'dissatisfied')
                then 'complaint_' || outcome
            else 'complaint_unscored'
        end as experience
    from int_retention_contacts
    where kind = 'complaint'
),

orders as (
    select customer_id, ordered_at, amount
    from retention_orders
    where ordered_at <= cast($data_end as timestamp)
),

-- each complaint with the orders of its customer in the window around it (an equi-join on the
-- customer, then the time filter)
around as (
    select
        c.contact_row,
        count(o.ordered_at) filter (where o.ordered_at <= c.occurred_at) as orders_before,
        coalesce(round(sum(o.amount) filter (where o.ordered_at <= c.occurred_at), 2), 0)
            as revenue_before,
        count(o.ordered_at) filter (where o.ordered_at > c.occurred_at) as orders_after,
        coalesce(round(sum(o.amount) filter (where o.ordered_at > c.occurred_at), 2), 0)
            as revenue_after
    from complaints as c
    left join orders as o
        on o.customer_id = c.customer_id
        and o.ordered_at > c.occurred_at - to_days(cast($window_days as integer))
        and o.ordered_at <= c.occurred_at + to_days(cast($window_days as integer))
    group by c.contact_row
),

final as (
    select
        c.source,
        c.interaction_id,
        c.customer_id,
        c.occurred_at,
        c.touchpoint_id,
        c.outcome,
        c.experience,
        cast($window_days as integer) as window_days,
        c.occurred_at + to_days(cast($window_days as integer)) <= cast($data_end as timestamp)
            as followed,
        a.orders_before,
        a.revenue_before,
        a.orders_after,
        a.revenue_after
    from complaints as c
    inner join around as a
        on a.contact_row = c.contact_row
)

select * from final
