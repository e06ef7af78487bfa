-- ref_segments: one row per segment and language (key: segment_id, language), from scoring.yaml:
-- the guide's four kinds of complaining customer plus `other`, in the order they are tried, with
-- the recommended handling.
select segment_id, position, language, label, handling
from _in_ref_segments
order by position, language
