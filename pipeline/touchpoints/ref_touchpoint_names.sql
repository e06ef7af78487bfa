-- ref_touchpoint_names: one row per touchpoint and language (key: touchpoint_id, language).
create or replace table ref_touchpoint_names as
select touchpoint_id, language, name
from _in_ref_touchpoint_names
order by touchpoint_id, language
