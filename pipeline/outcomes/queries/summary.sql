-- Counts for the run log: interactions per outcome.
select
    count(*) as interactions,
    count(*) filter (where outcome = 'delighted') as delighted,
    count(*) filter (where outcome = 'satisfied') as satisfied,
    count(*) filter (where outcome = 'dissatisfied') as dissatisfied,
    count(*) filter (where outcome = 'unscored') as unscored
from interaction_outcomes
