-- mart_complaint_orders: one row per complaint by a known customer (key: source, interaction_id),
-- with the customer's orders and revenue in the $window_days before it and after it. `followed`:
-- the window after the complaint had elapsed by $data_end (else the "after" figures are partial).
-- `experience` is this complaint's own: unresolved, else complaint_<outcome>.
create or replace table mart_complaint_orders as
with

complaints as (
    select
        i.source,
        i.interaction_id,
        i.customer_id,
        i.occurred_at,
        t.touchpoint_id,
        o.outcome,
        case
            when o.is_resolved is false then 'unresolved'
            when o.outcome in ('delighted', 'satisfied', 'dissatisfied')
                then 'complaint_' || o.outcome
            else 'complaint_unscored'
        end as experience
    from interactions as i
    inner join interaction_outcomes as o
        on o.source = i.source and o.interaction_id = i.interaction_id
    left join interaction_touchpoints as t
        on t.source = i.source and t.interaction_id = i.interaction_id
    where i.customer_id is not null
        and lower(trim(i.kind)) = 'complaint'
        and i.occurred_at <= cast($data_end as timestamp)
),

orders as (
    select customer_id, ordered_at, amount
    from orders
    where ordered_at <= cast($data_end as timestamp)
),

around as (
    select
        c.source,
        c.interaction_id,
        count(o.ordered_at) filter (where o.ordered_at <= c.occurred_at) as orders_before,
        coalesce(sum(o.amount) filter (where o.ordered_at <= c.occurred_at), 0) as revenue_before,
        count(o.ordered_at) filter (where o.ordered_at > c.occurred_at) as orders_after,
        coalesce(sum(o.amount) filter (where o.ordered_at > c.occurred_at), 0) as revenue_after
    from complaints as c
    left join orders as o
        on o.customer_id = c.customer_id
        and o.ordered_at > c.occurred_at - to_days(cast($window_days as integer))
        and o.ordered_at <= c.occurred_at + to_days(cast($window_days as integer))
    group by c.source, c.interaction_id
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
        on a.source = c.source and a.interaction_id = c.interaction_id
)

select * from final
order by customer_id, occurred_at, source, interaction_id
