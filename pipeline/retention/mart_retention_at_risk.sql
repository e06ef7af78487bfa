-- mart_retention_at_risk: one row per complaint-experience group and tick day (key: experience,
-- day; the ticks: 0, then every at_risk_every_days up to curve_days): customers still followed
-- and not yet reordered at the start of that day: the numbers printed under the reorder curves.
select experience, day, at_risk
from _in_mart_retention_at_risk
order by experience, day
