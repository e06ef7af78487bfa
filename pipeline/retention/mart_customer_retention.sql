-- mart_customer_retention: one row per customer (key: customer_id) with an order or a contact up
-- to $data_end. The index, the interaction a reorder is measured from: the customer's first
-- complaint; for a customer who never complained, their first dissatisfied contact (a problem
-- they kept to themselves), else their first contact; none for customers known only from orders.
-- A reorder is an order after the index. Follow-up runs from the index to $data_end; rates over
-- a window use only customers followed for all of it (see mart_customer_reorders).
-- Churn: no order after $churn_from (= $data_end - churn_days); censored instead when the index
-- (or, without one, the first order) is after $churn_from: too recent to tell.
-- segment: from customer_segments, over the run's analysis window (null outside it).
create or replace table mart_customer_retention as
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
    from orders
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
        count(*) filter (where outcome = 'dissatisfied') as dissatisfied_contacts,
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
        min(o.ordered_at) filter (where o.ordered_at > x.occurred_at) as first_order_after
    from orders as o
    left join index_contact as x
        on x.customer_id = o.customer_id
    group by o.customer_id
),

-- the first order in the warehouse: where the order history starts, for rates before the index
history as (
    select min(first_order_at) as data_start from order_totals
),

joined as (
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
        case
            when x.customer_id is null then 'no_contact'
            when x.kind <> 'complaint' then 'never_complained'
            when x.is_resolved is false then 'unresolved'
            when x.outcome in ('delighted', 'satisfied', 'dissatisfied')
                then 'complaint_' || x.outcome
            else 'complaint_unscored'
        end as experience,
        x.customer_id is not null and x.kind <> 'complaint'
        and x.outcome = 'dissatisfied' as silent_dissatisfied,
        s.segment,
        -- null without an index (no before or after); 0 with one but no orders
        case when x.customer_id is not null then coalesce(ot.orders_before, 0) end
            as orders_before,
        case when x.customer_id is not null then coalesce(ot.revenue_before, 0) end
            as revenue_before,
        case when x.customer_id is not null then coalesce(ot.orders_after, 0) end as orders_after,
        case when x.customer_id is not null then coalesce(ot.revenue_after, 0) end
            as revenue_after,
        (epoch(x.occurred_at) - epoch(h.data_start)) / 86400.0 as days_before,
        (epoch(cast($data_end as timestamp)) - epoch(x.occurred_at)) / 86400.0 as followup_days,
        (epoch(ot.first_order_after) - epoch(x.occurred_at)) / 86400.0 as days_to_reorder
    from index_contact as x
    full outer join order_totals as ot
        on ot.customer_id = x.customer_id
    cross join history as h
    left join customer_segments as s
        on s.customer_id = coalesce(x.customer_id, ot.customer_id)
),

final as (
    select
        *,
        -- orders per 30 days before the index (since the order history starts) and after it
        case when days_before > 0 then 30.0 * orders_before / days_before end
            as orders_per_30d_before,
        case when followup_days > 0 then 30.0 * orders_after / followup_days end
            as orders_per_30d_after,
        days_to_reorder is not null as reordered,
        cast($primary_window_days as integer) as window_days,
        case
            when followup_days >= $primary_window_days
                then coalesce(days_to_reorder <= $primary_window_days, false)
        end as reordered_in_window,
        case
            when orders = 0 then 'never_ordered'
            when last_order_at > cast($churn_from as timestamp) then 'active'
            when coalesce(index_at, first_order_at) > cast($churn_from as timestamp)
                then 'censored'
            else 'churned'
        end as churn_status
    from joined
)

select
    customer_id,
    first_order_at,
    last_order_at,
    orders,
    revenue,
    contacts,
    complaints,
    first_contact_at,
    index_source,
    index_interaction_id,
    index_at,
    index_kind,
    index_touchpoint_id,
    index_outcome,
    experience,
    silent_dissatisfied,
    segment,
    orders_before,
    revenue_before,
    orders_after,
    revenue_after,
    orders_per_30d_before,
    orders_per_30d_after,
    followup_days,
    days_to_reorder,
    reordered,
    window_days,
    reordered_in_window,
    churn_status,
    case churn_status when 'churned' then true when 'active' then false end as churned
from final
order by customer_id
