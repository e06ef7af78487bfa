-- Quarantined rows per source and first reason, most frequent first.
select source, reason, count(*) as rows
from quarantine
group by source, reason
order by source, rows desc, reason
