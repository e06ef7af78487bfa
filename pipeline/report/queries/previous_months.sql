-- The monthly outcome mix of the previous period, as mart_month has it for the report period:
-- int_period_metrics (in_period false), one row per month with interactions.
select * exclude (in_period, grain, touchpoint_id, channel, segment)
from int_period_metrics
where not in_period and grain = 'month'
order by month
