-- ref_cause_topics: one row per cause topic (key: cause, topic), from scoring.yaml `causes`: the
-- topics that place a low rating with every promise kept in the product or in policy when the
-- customer's words do not. `position`: the cause's order (the first that matches wins).
select cause, position, topic
from _in_ref_cause_topics
order by position, topic
