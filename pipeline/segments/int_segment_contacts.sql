-- int_segment_contacts: one row per interaction of a known customer in the window, with an outcome
-- (key: source, interaction_id): only the columns customer_segments counts. Window ends are
-- inclusive. A plain table, written and dropped within the run (customer_segments reads it more
-- than once): stored compressed and paged from disk, where a temporary table of 35M rows at 50M
-- held the memory the next statements needed.
with

window_interactions as (
    select
        source,
        interaction_id,
        customer_id,
        occurred_at,
        lower(trim(kind)) as kind,
        rating
    from interactions
    where customer_id is not null
        and occurred_at between cast($contacts_from as timestamp) and cast($contacts_to as timestamp)
),

final as (
    select
        i.customer_id,
        i.source,
        i.interaction_id,
        i.occurred_at,
        i.kind,
        o.outcome,
        o.dissatisfied_cause,
        -- the customer gave a verdict (a rating, or words clear enough to be a signal) on a
        -- promise kept: where an active hater's expectation/product/policy shortfalls come from
        o.promise_kept and (
            round(i.rating) between 1 and 5
            or len(list_filter(o.reasons, lambda r: starts_with(r, 'words_'))) > 0
        ) as rated_promise_kept,
        -- complaints only: the extreme-critic rule counts the touchpoints complained about
        case when i.kind = 'complaint' then t.touchpoint_id end as complaint_touchpoint_id
    from window_interactions as i
    inner join interaction_outcomes as o
        on o.source = i.source and o.interaction_id = i.interaction_id
    left join interaction_touchpoints as t
        on t.source = i.source and t.interaction_id = i.interaction_id
)

select * from final
