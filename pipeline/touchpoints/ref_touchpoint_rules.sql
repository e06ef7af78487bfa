-- ref_touchpoint_rules: one row per mapping rule (key: rule_id), tried in `position` order.
-- A null list means no condition on that field; list values are trimmed and lower-case.
select rule_id, position, touchpoint_id, sources, channels, kinds, topics, has_keywords
from _in_ref_touchpoint_rules
order by position
