-- The coverage line under the touchpoint table.
select volume, mapped, unmapped, coverage_pct
from mart_coverage
where source = '(all)'
