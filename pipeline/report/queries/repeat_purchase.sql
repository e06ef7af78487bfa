-- Repeat purchases per reorder window (mart_repeat_purchase), shortest window first.
select window_days, is_primary, customers, followed, repeated, repeat_pct, ci_low, ci_high
from mart_repeat_purchase
order by window_days
