-- customer_segments: one row per customer with an interaction in the analysis window
-- (key: customer_id), with the counts behind the segment. Segments are tried in order, the first
-- that fits wins: once_loyal_now_upset (a loyal history outweighs a recent run of low ratings),
-- active_hater, extreme_critic, still_passionate, else other. Shares are over scored contacts
-- (outcome other than unscored). Window ends are inclusive.
create or replace table customer_segments as
with

-- the window's rows of int_segment_contacts (which may cover a longer span); a filter on a scan,
-- not worth materializing
contacts as not materialized (
    select *
    from int_segment_contacts
    where occurred_at between cast($window_from as timestamp) and cast($window_to as timestamp)
),

counts as (
    select
        customer_id,
        count(*) as contacts,
        count(*) filter (where outcome <> 'unscored') as scored,
        count(*) filter (where outcome = 'delighted') as delighted,
        count(*) filter (where outcome = 'satisfied') as satisfied,
        count(*) filter (where outcome = 'dissatisfied') as dissatisfied,
        -- rated contacts where the service kept its promise, and those dissatisfied all the same
        count(*) filter (where rated_promise_kept) as rated_promise_kept,
        count(*) filter (
            where outcome = 'dissatisfied' and dissatisfied_cause = 'expectation'
        ) as dissatisfied_promise_kept,
        count(*) filter (where kind = 'complaint') as complaints,
        count(*) filter (
            where outcome in ('delighted', 'satisfied')
            and occurred_at < cast($recent_from as timestamp)
        ) as prior_positive,
        count(*) filter (
            where outcome <> 'unscored' and occurred_at < cast($recent_from as timestamp)
        ) as prior_scored,
        count(*) filter (
            where outcome <> 'unscored' and occurred_at >= cast($recent_from as timestamp)
        ) as recent_scored,
        count(*) filter (
            where outcome = 'dissatisfied' and occurred_at >= cast($recent_from as timestamp)
        ) as recent_dissatisfied,
        min(occurred_at) as first_contact_at,
        max(occurred_at) as last_contact_at,
        max(occurred_at) filter (where outcome <> 'unscored') as last_scored_at
    from contacts
    group by customer_id
),

-- touchpoints of complaints: the touchpoint lookup is needed for complaints only
complaint_touchpoints as (
    select
        c.customer_id,
        count(distinct t.touchpoint_id) as complaint_touchpoints
    from contacts as c
    inner join interaction_touchpoints as t
        on t.source = c.source and t.interaction_id = c.interaction_id
    where c.kind = 'complaint' and t.touchpoint_id <> 'unmapped'
    group by c.customer_id
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
        from contacts as c
        inner join counts as k
            on k.customer_id = c.customer_id and k.last_scored_at = c.occurred_at
        where c.outcome <> 'unscored'
    )
    where n = 1
),

final as (
    select
        c.customer_id,
        case
            when c.prior_positive >= $loyal_min_prior_positive
                and cast(c.prior_positive as double) / c.prior_scored
                >= $loyal_min_prior_positive_share
                and c.recent_dissatisfied >= $loyal_min_recent_dissatisfied
                and cast(c.recent_dissatisfied as double) / c.recent_scored
                >= $loyal_min_recent_dissatisfied_share
                then 'once_loyal_now_upset'
            when c.dissatisfied_promise_kept >= $hater_min_dissatisfied_promise_kept
                and cast(c.dissatisfied_promise_kept as double) / c.rated_promise_kept
                >= $hater_min_dissatisfied_when_kept_share
                then 'active_hater'
            when c.complaints >= $critic_min_complaints
                and coalesce(t.complaint_touchpoints, 0) >= $critic_min_touchpoints
                and cast(c.dissatisfied as double) / nullif(c.scored, 0)
                between $critic_min_dissatisfied_share and $critic_max_dissatisfied_share
                then 'extreme_critic'
            when c.scored >= $passionate_min_scored
                and cast(c.delighted + c.satisfied as double) / c.scored
                >= $passionate_min_positive_share
                then 'still_passionate'
            else 'other'
        end as segment,
        c.contacts,
        c.scored,
        c.delighted,
        c.satisfied,
        c.dissatisfied,
        c.rated_promise_kept,
        c.dissatisfied_promise_kept,
        c.complaints,
        coalesce(t.complaint_touchpoints, 0) as complaint_touchpoints,
        c.prior_positive,
        c.prior_scored,
        c.recent_scored,
        c.recent_dissatisfied,
        l.last_outcome,
        c.first_contact_at,
        c.last_contact_at
    from counts as c
    left join complaint_touchpoints as t
        on t.customer_id = c.customer_id
    left join latest as l
        on l.customer_id = c.customer_id
)

select * from final
order by customer_id
