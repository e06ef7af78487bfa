-- customer_segments: one row per customer with an interaction in the analysis window
-- (key: customer_id), with the counts behind the segment: int_customer_windows's window (previous
-- false), where the segment rules are, with the outcome of the customer's latest scored contact.
with

customers as (
    select * from int_customer_windows
    where not previous
),

-- the outcome of the latest scored contact; contacts at the same time: the greatest source, then
-- interaction_id. Only the contacts at each customer's last scored time are ranked.
latest as (
    select customer_id, outcome as last_outcome
    from (
        select
            c.customer_id,
            c.outcome,
            row_number() over (
                partition by c.customer_id
                order by c.source desc, c.interaction_id desc
            ) as n
        from int_segment_contacts as c
        inner join customers as k
            on k.customer_id = c.customer_id and k.last_scored_at = c.occurred_at
        where c.outcome <> 'unscored'
    )
    where n = 1
),

final as (
    select
        c.customer_id,
        c.segment,
        c.contacts,
        c.scored,
        c.delighted,
        c.satisfied,
        c.dissatisfied,
        c.rated_promise_kept,
        c.dissatisfied_promise_kept,
        c.complaints,
        c.complaint_touchpoints,
        c.prior_positive,
        c.prior_scored,
        c.recent_scored,
        c.recent_dissatisfied,
        l.last_outcome,
        c.first_contact_at,
        c.last_contact_at
    from customers as c
    left join latest as l
        on l.customer_id = c.customer_id
)

select * from final
order by customer_id
