-- int_customer_history: one row per customer (key: customer_id) with an order or a contact up
-- to $data_end: their contacts and orders summed, the index contact, and the orders before and
-- after it, and their first repeat purchase (the first order strictly after their first order):
-- everything of mart_customer_retention that depends on the customer's own rows only,
-- not on the clock. Kept between runs (incremental): an incremental run replaces only the
-- customers in `retention_scope` (reads int_retention_contacts and `retention_orders`, both
-- narrowed to them).
-- The index: a complaint beats a silent dissatisfied contact, which beats any contact; then the
-- earliest (see mart_customer_retention).
with

-- contact_row: the row's number in int_retention_contacts, a compact key for the index contact
-- (read twice, each time only the columns needed: not materialized)
contacts as not materialized (
    select
        rowid as contact_row,
        customer_id,
        source,
        interaction_id,
        occurred_at,
        kind,
        outcome,
        is_resolved,
        touchpoint_id
    from int_retention_contacts
),

orders as (
    select customer_id, ordered_at, amount
    from retention_orders
    where ordered_at <= cast($data_end as timestamp)
),

-- one row per customer with a contact: the counts, and the rank of the index contact, in one
-- pass. The index: a complaint beats a silent dissatisfied contact, which beats any contact;
-- then the earliest. The rank is one bigint (priority, then microseconds since 1900) so the
-- aggregate keeps fixed-size state and spills (one keeping text ran out of memory at 50M rows).
ranked_contacts as not materialized (
    select
        *,
        case
            when kind = 'complaint' then 1
            when outcome = 'dissatisfied' then 2
            else 3
        end * 10000000000000000
        + date_diff('microsecond', timestamp '1900-01-01', occurred_at) as index_rank
    from contacts
),

contact_totals as (
    select
        customer_id,
        count(*) as contacts,
        count(*) filter (where kind = 'complaint') as complaints,
        min(occurred_at) as first_contact_at,
        min(index_rank) as index_rank
    from ranked_contacts
    group by customer_id
),

-- the index contact: the one with that rank (source and interaction_id break ties: together
-- they are unique)
index_pick as (
    select customer_id, contact_row as index_row
    from (
        select
            c.customer_id,
            c.contact_row,
            row_number() over (
                partition by c.customer_id order by c.source, c.interaction_id
            ) as tie
        from ranked_contacts as c
        inner join contact_totals as t
            on t.customer_id = c.customer_id and t.index_rank = c.index_rank
    )
    where tie = 1
),

index_contact as (
    select
        t.customer_id,
        t.contacts,
        t.complaints,
        t.first_contact_at,
        c.source,
        c.interaction_id,
        c.occurred_at,
        c.kind,
        c.outcome,
        c.is_resolved,
        c.touchpoint_id
    from contact_totals as t
    inner join index_pick as p
        on p.customer_id = t.customer_id
    inner join contacts as c
        on c.contact_row = p.index_row
),

-- each customer's first order: a repeat purchase is the first order strictly after it
first_orders as (
    select customer_id, min(ordered_at) as first_order_at
    from orders
    group by customer_id
),

-- one row per customer with an order: totals, and orders on or before the index (before it)
-- and strictly after it (after), in one pass over the orders. Money is rounded to cents: a
-- parallel sum of doubles differs in its last bits from run to run, and tables must not.
order_totals as (
    select
        o.customer_id,
        count(*) as orders,
        round(sum(o.amount), 2) as revenue,
        min(o.ordered_at) as first_order_at,
        max(o.ordered_at) as last_order_at,
        count(*) filter (where o.ordered_at <= x.occurred_at) as orders_before,
        round(sum(o.amount) filter (where o.ordered_at <= x.occurred_at), 2) as revenue_before,
        count(*) filter (where o.ordered_at > x.occurred_at) as orders_after,
        round(sum(o.amount) filter (where o.ordered_at > x.occurred_at), 2) as revenue_after,
        min(o.ordered_at) filter (where o.ordered_at > x.occurred_at) as first_order_after,
        min(o.ordered_at) filter (where o.ordered_at > f.first_order_at) as repeat_order_at
    from orders as o
    inner join first_orders as f
        on f.customer_id = o.customer_id
    left join index_contact as x
        on x.customer_id = o.customer_id
    group by o.customer_id
),

final as (
    select
        coalesce(x.customer_id, ot.customer_id) as customer_id,
        ot.first_order_at,
        ot.last_order_at,
        coalesce(ot.orders, 0) as orders,
        coalesce(ot.revenue, 0) as revenue,
        coalesce(x.contacts, 0) as contacts,
        coalesce(x.complaints, 0) as complaints,
        x.first_contact_at,
        x.source as index_source,
        x.interaction_id as index_interaction_id,
        x.occurred_at as index_at,
        x.kind as index_kind,
        x.touchpoint_id as index_touchpoint_id,
        x.outcome as index_outcome,
        x.is_resolved as index_resolved,
        -- null without an index (no before or after); 0 with one but no orders
        case when x.customer_id is not null then coalesce(ot.orders_before, 0) end
            as orders_before,
        case when x.customer_id is not null then coalesce(ot.revenue_before, 0) end
            as revenue_before,
        case when x.customer_id is not null then coalesce(ot.orders_after, 0) end as orders_after,
        case when x.customer_id is not null then coalesce(ot.revenue_after, 0) end
            as revenue_after,
        ot.first_order_after,
        ot.repeat_order_at
    from index_contact as x
    full outer join order_totals as ot
        on ot.customer_id = x.customer_id
)

select * from final
