-- ref_channel_expectations: one row per channel (key: channel), from touchpoints.yaml `channels`:
-- the expected handling time when an interaction carries no promise of its own. Either `hours`
-- after the contact, or `same_day` (end of the contact's local day).
select channel, hours, same_day
from _in_ref_channel_expectations
order by channel
