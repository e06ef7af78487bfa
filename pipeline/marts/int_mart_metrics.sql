-- int_mart_metrics: one row per group of every mart grain in the report period (key: grain,
-- touchpoint_id, channel, segment, month), the dimensions its grain does not use null:
-- grain = touchpoint | channel | segment | month | touchpoint_month. The metrics are defined once,
-- in int_period_metrics.sql. Percentages are 0-100.
select * exclude (in_period)
from int_period_metrics
where in_period
order by grain, touchpoint_id, channel, segment, month
