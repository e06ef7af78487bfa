-- Touchpoint mapping coverage in the period: mart_coverage, the '(all)' row last.
select source, volume, mapped, unmapped, coverage_pct
from mart_coverage
order by source = '(all)', source
