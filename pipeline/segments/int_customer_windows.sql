-- int_customer_windows: one row per customer with an interaction in an analysis window, and window
-- (key: previous, customer_id; previous: false for the window customer_segments holds, true for
-- the one ending with the period before, when given), with the counts behind the segment and the
-- segment. Both windows come from one pass over int_segment_contacts. Segments are tried in order,
-- the first that fits wins: once_loyal_now_upset (a loyal history outweighs a recent run of low
-- ratings), active_hater, extreme_critic, still_passionate, else other. Shares are over scored
-- contacts (outcome other than unscored). Window ends are inclusive. Kept in the warehouse:
-- customer_segments and the summaries read it, and a run that changes nothing in the windows
-- reuses it (pipeline.report.period_segments).
with

-- each window's rows of int_segment_contacts (which may cover a longer span); a contact in both
-- windows counts in both. Filters on a scan, not worth materializing
contacts as not materialized (
    select false as previous, cast($recent_from as timestamp) as recent_from, *
    from int_segment_contacts
    where occurred_at between cast($window_from as timestamp) and cast($window_to as timestamp)
    union all
    select true as previous, cast($previous_recent_from as timestamp) as recent_from, *
    from int_segment_contacts
    where occurred_at between cast($previous_window_from as timestamp)
        and cast($previous_window_to as timestamp)
),

counts as (
    select
        previous,
        customer_id,
        count(*) as contacts,
        count(*) filter (where outcome <> 'unscored') as scored,
        count(*) filter (where outcome = 'delighted') as delighted,
        count(*) filter (where outcome = 'satisfied') as satisfied,
        count(*) filter (where outcome = 'dissatisfied') as dissatisfied,
        -- rated contacts where the service kept its promise, and those dissatisfied all the same
        count(*) filter (where rated_promise_kept) as rated_promise_kept,
        count(*) filter (
            where outcome = 'dissatisfied'
                and dissatisfied_cause in ('expectation', 'product', 'policy')
        ) as dissatisfied_promise_kept,
        count(*) filter (where kind = 'complaint') as complaints,
        count(*) filter (
            where outcome in ('delighted', 'satisfied') and occurred_at < recent_from
        ) as prior_positive,
        count(*) filter (where outcome <> 'unscored' and occurred_at < recent_from) as prior_scored,
        count(*) filter (
            where outcome <> 'unscored' and occurred_at >= recent_from
        ) as recent_scored,
        count(*) filter (
            where outcome = 'dissatisfied' and occurred_at >= recent_from
        ) as recent_dissatisfied,
        min(occurred_at) as first_contact_at,
        max(occurred_at) as last_contact_at,
        max(occurred_at) filter (where outcome <> 'unscored') as last_scored_at
    from contacts
    group by previous, customer_id
),

-- the touchpoints complained about: distinct by a group-by, then counted (a distinct aggregate
-- over millions of customers ran out of memory at 50M rows; a group-by spills)
complaint_touchpoints as (
    select previous, customer_id, count(*) as complaint_touchpoints
    from (
        select distinct previous, customer_id, complaint_touchpoint_id
        from contacts
        where complaint_touchpoint_id <> 'unmapped'
    )
    group by previous, customer_id
),

final as (
    select
        c.previous,
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
        c.first_contact_at,
        c.last_contact_at,
        c.last_scored_at
    from counts as c
    left join complaint_touchpoints as t
        on t.previous = c.previous and t.customer_id = c.customer_id
)

select * from final
