-- report_reasons: one row per touchpoint and reason of its dissatisfied contacts in the period
-- (key: touchpoint_id, reason). Every discouraged_phrase:<id> counts as one reason,
-- `discouraged_phrase`, so a contact with two phrases counts once. segment: the segment of most of
-- these contacts' customers when it holds at least $segment_share of them, else `other`.
with

dissatisfied as (
    select touchpoint_id, source, interaction_id, segment, deciding_reasons
    from int_interaction_facts
    where in_period and outcome = 'dissatisfied'
),

reasons as (
    select distinct
        touchpoint_id,
        source,
        interaction_id,
        segment,
        case
            when reason like 'discouraged_phrase:%' then 'discouraged_phrase'
            else reason
        end as reason
    from (
        select touchpoint_id, source, interaction_id, segment, unnest(deciding_reasons) as reason
        from dissatisfied
    )
),

by_segment as (
    select touchpoint_id, reason, segment, count(*) as interactions
    from reasons
    group by touchpoint_id, reason, segment
),

totals as (
    select touchpoint_id, reason, sum(interactions) as interactions
    from by_segment
    group by touchpoint_id, reason
),

-- the largest known segment (ties: the first by name)
top_segment as (
    select
        touchpoint_id,
        reason,
        segment,
        interactions,
        row_number() over (
            partition by touchpoint_id, reason
            order by interactions desc, segment
        ) as n
    from by_segment
    where segment not in ('other', 'unsegmented')
),

final as (
    select
        t.touchpoint_id,
        t.reason,
        cast(t.interactions as bigint) as interactions,
        case
            when s.interactions >= $segment_share * t.interactions then s.segment
            else 'other'
        end as segment,
        cast(case
            when s.interactions >= $segment_share * t.interactions then s.interactions
            else 0
        end as bigint) as segment_interactions
    from totals as t
    left join top_segment as s
        on s.touchpoint_id = t.touchpoint_id and s.reason = t.reason and s.n = 1
)

select * from final
order by touchpoint_id, interactions desc, reason
