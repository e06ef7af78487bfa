-- ref_touchpoint_names: one row per touchpoint and language (key: touchpoint_id, language).
select touchpoint_id, language, name
from _in_ref_touchpoint_names
order by touchpoint_id, language
