-- ref_touchpoints: one row per catalog touchpoint (key: touchpoint_id), from touchpoints.yaml.
-- kind is communication | human_contact | physical, null for 'unmapped'.
select touchpoint_id, position, kind, stage, owner
from _in_ref_touchpoints
order by position
