-- Time to resolve against the promise by channel: mart_channel with the median expected handling
-- time of the channel's contacts in the period.
with

channels as (
    select * from mart_channel
),

expected as (
    select f.channel, median(o.expected_hours) as median_expected_hours
    from int_interaction_facts as f
    inner join interaction_outcomes as o
        on o.source = f.source and o.interaction_id = f.interaction_id
    group by f.channel
),

final as (
    select c.*, e.median_expected_hours
    from channels as c
    left join expected as e
        on e.channel is not distinct from c.channel
)

select * from final
order by channel
