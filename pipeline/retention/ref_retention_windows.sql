-- ref_retention_windows: one row per reorder window (key: window_days), from retention.yaml;
-- `is_primary` marks the window the report, the touchpoints and the claims use.
select window_days, is_primary
from _in_ref_retention_windows
order by window_days
