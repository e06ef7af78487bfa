-- Customers per complaint-experience group, with reorders in the primary window.
select experience, customers, followed, reordered, reorder_pct, churn_pct
from mart_retention_groups
order by experience
