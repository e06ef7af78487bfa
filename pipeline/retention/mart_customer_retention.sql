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

contacts as (
    select
        i.customer_id,
        i.source,
        i.interaction_id,
        i.occurred_at,
        lower(trim(i.kind)) as kind,
        o.outcome,
        o.is_resolved,
        t.touchpoint_id
    from interactions as i
    inner join interaction_outcomes as o
        on o.source = i.source and o.interaction_id = i.interaction_id
    left join interaction_touchpoints as t
        on t.source = i.source and t.interaction_id = i.interaction_id
    where i.customer_id is not null
        and i.occurred_at <= cast($data_end as timestamp)
),

orders as (
    select customer_id, ordered_at, amount
    from orders
    where ordered_at <= cast($data_end as timestamp)
),

-- the first order in the warehouse: where the order history starts, for rates before the index
history as (
    select min(ordered_at) as data_start from orders
),

-- a complaint beats a silent dissatisfied contact, which beats any contact; then the earliest
index_contact as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by customer_id
                order by
                    case
                        when kind = 'complaint' then 1
                        when outcome = 'dissatisfied' then 2
                        else 3
                    end,
                    occurred_at,
                    source,
                    interaction_id
            ) as n
        from contacts
    )
    where n = 1
),

contact_totals as (
    select
        customer_id,
        count(*) as contacts,
        count(*) filter (where kind = 'complaint') as complaints,
        min(occurred_at) as first_contact_at,
        count(*) filter (where outcome = 'dissatisfied') as dissatisfied_contacts
    from contacts
    group by customer_id
),

order_totals as (
    select
        customer_id,
        count(*) as orders,
        sum(amount) as revenue,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at
    from orders
    group by customer_id
),

customers as (
    select customer_id from contact_totals
    union
    select customer_id from order_totals
),

-- orders on or before the index count as before it; strictly after it, as after
around_index as (
    select
        x.customer_id,
        count(*) filter (where o.ordered_at <= x.occurred_at) as orders_before,
        sum(o.amount) filter (where o.ordered_at <= x.occurred_at) as revenue_before,
        count(*) filter (where o.ordered_at > x.occurred_at) as orders_after,
        sum(o.amount) filter (where o.ordered_at > x.occurred_at) as revenue_after,
        min(o.ordered_at) filter (where o.ordered_at > x.occurred_at) as first_order_after
    from index_contact as x
    inner join orders as o
        on o.customer_id = x.customer_id
    group by x.customer_id
),

joined as (
    select
        c.customer_id,
        ot.first_order_at,
        ot.last_order_at,
        coalesce(ot.orders, 0) as orders,
        coalesce(ot.revenue, 0) as revenue,
        coalesce(ct.contacts, 0) as contacts,
        coalesce(ct.complaints, 0) as complaints,
        ct.first_contact_at,
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
        case when x.customer_id is not null then coalesce(a.orders_before, 0) end
            as orders_before,
        case when x.customer_id is not null then coalesce(a.revenue_before, 0) end
            as revenue_before,
        case when x.customer_id is not null then coalesce(a.orders_after, 0) end as orders_after,
        case when x.customer_id is not null then coalesce(a.revenue_after, 0) end
            as revenue_after,
        (epoch(x.occurred_at) - epoch(h.data_start)) / 86400.0 as days_before,
        (epoch(cast($data_end as timestamp)) - epoch(x.occurred_at)) / 86400.0 as followup_days,
        (epoch(a.first_order_after) - epoch(x.occurred_at)) / 86400.0 as days_to_reorder
    from customers as c
    cross join history as h
    left join order_totals as ot
        on ot.customer_id = c.customer_id
    left join contact_totals as ct
        on ct.customer_id = c.customer_id
    left join index_contact as x
        on x.customer_id = c.customer_id
    left join around_index as a
        on a.customer_id = c.customer_id
    left join customer_segments as s
        on s.customer_id = c.customer_id
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
