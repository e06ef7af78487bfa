-- mart_customer_retention: one row per customer (key: customer_id) with an order or a contact up
-- to $data_end. The index, the interaction a reorder is measured from: the customer's first
-- complaint; for a customer who never complained, their first dissatisfied contact (a problem
-- they kept to themselves), else their first contact; none for customers known only from orders.
-- A reorder is an order after the index. Follow-up runs from the index to $data_end; rates over
-- a window use only customers followed for all of it (see mart_customer_reorders).
-- Churn: no order after $churn_from (= $data_end - churn_days); censored instead when the index
-- (or, without one, the first order) is after $churn_from: too recent to tell.
-- reordered: an order after the index; for a customer known only from orders (no index), an
-- order within $primary_window_days after their first order (their repeat purchase, which
-- mart_repeat_purchase rates per window).
-- segment: from customer_segments, over the run's analysis window (null outside it).
-- Reads int_customer_history (each customer's own rows summed) and adds what depends on
-- $data_end, the order history's start and the segments: cheap, so rebuilt on every run.
with

customers as (
    select * from int_customer_history
),

-- the first order in the warehouse: where the order history starts, for rates before the index
history as (
    select min(first_order_at) as data_start from customers
),

joined as (
    select
        c.customer_id,
        c.first_order_at,
        c.last_order_at,
        c.orders,
        c.revenue,
        c.contacts,
        c.complaints,
        c.first_contact_at,
        c.index_source,
        c.index_interaction_id,
        c.index_at,
        c.index_kind,
        c.index_touchpoint_id,
        c.index_outcome,
        case
            when c.index_at is null then 'no_contact'
            when c.index_kind <> 'complaint' then 'never_complained'
            when c.index_resolved is false then 'unresolved'
            when c.index_outcome in ('delighted', 'satisfied', 'dissatisfied')
                then 'complaint_' || c.index_outcome
            else 'complaint_unscored'
        end as experience,
        c.index_at is not null and c.index_kind <> 'complaint'
        and c.index_outcome = 'dissatisfied' as silent_dissatisfied,
        s.segment,
        c.orders_before,
        c.revenue_before,
        c.orders_after,
        c.revenue_after,
        (epoch(c.index_at) - epoch(h.data_start)) / 86400.0 as days_before,
        (epoch(cast($data_end as timestamp)) - epoch(c.index_at)) / 86400.0 as followup_days,
        (epoch(c.first_order_after) - epoch(c.index_at)) / 86400.0 as days_to_reorder,
        c.repeat_order_at,
        (epoch(c.repeat_order_at) - epoch(c.first_order_at)) / 86400.0 as days_to_repeat
    from customers as c
    cross join history as h
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
        case
            when index_at is null then coalesce(days_to_repeat <= $primary_window_days, false)
            else days_to_reorder is not null
        end as reordered,
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
    repeat_order_at,
    days_to_repeat,
    churn_status,
    case churn_status when 'churned' then true when 'active' then false end as churned
from final
order by customer_id
