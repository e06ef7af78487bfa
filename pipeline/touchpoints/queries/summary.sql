-- Counts for the run log: how many interactions found a touchpoint.
select
    count(*) as interactions,
    count(*) filter (where touchpoint_id <> 'unmapped') as mapped,
    count(*) filter (where touchpoint_id = 'unmapped') as unmapped,
    count(distinct touchpoint_id) filter (where touchpoint_id <> 'unmapped') as touchpoints
from interaction_touchpoints
