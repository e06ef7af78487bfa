-- What the report keeps of the previous period per touchpoint: volume and net delight from
-- mart_touchpoint (one row per catalog touchpoint).
select touchpoint_id, volume, net_delight
from mart_touchpoint
order by position, touchpoint_id
