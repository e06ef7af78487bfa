-- mart_retention_curves: one row per complaint-experience group and day on which the estimate
-- changes, from day 0 (key: experience, day). Kaplan-Meier estimate of the share of customers
-- who have reordered by that day since their index interaction (reordered_pct = 100 x (1 -
-- survival)), with its pointwise 95% interval (log-log), the customers still followed (at_risk)
-- and the first reorders that day (events). Censoring: customers are followed until the data's
-- end. Fitted in Python (statsmodels) from queries/retention_durations.sql.
select experience, day, at_risk, events, reordered_pct, ci_low, ci_high
from _in_mart_retention_curves
order by experience, day
