-- The mapping the last run stored for one interaction id, if that table exists yet.
select source, touchpoint_id, rule_id
from interaction_touchpoints
where interaction_id = $interaction_id
order by source
