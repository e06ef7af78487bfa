-- Time to resolve against the promise by channel: mart_channel with the median expected handling
-- time of the channel's contacts in the period (report_expected).
with

channels as (
    select * from mart_channel
),

expected as (
    select channel, median_expected_hours
    from report_expected
    where grain = 'channel'
),

final as (
    select c.*, e.median_expected_hours
    from channels as c
    left join expected as e
        on e.channel is not distinct from c.channel
)

select * from final
order by channel
