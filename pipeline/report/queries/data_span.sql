-- The span of the interaction data (naive UTC), for the default report period.
select
    count(*) as interactions,
    min(occurred_at) as first_at,
    max(occurred_at) as last_at
from interactions
