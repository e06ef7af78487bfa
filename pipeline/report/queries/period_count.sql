-- Interactions in a period, both ends inclusive (whole days).
select count(*) as interactions
from interactions
where occurred_at >= cast($period_from as date)
    and occurred_at < cast($period_to as date) + interval 1 day
