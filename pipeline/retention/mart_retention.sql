-- mart_retention: one row per complaint-experience group with an index interaction (key:
-- experience): the figures the report's retention section prints. customers: followed for the
-- whole primary window; reordered: of those, with an order within it; reorder_pct and its Wilson
-- 95% interval (ci_low, ci_high), 0-100. Wider columns: mart_retention_groups.
select
    experience,
    followed as customers,
    reordered,
    reorder_pct,
    ci_low,
    ci_high
from mart_retention_groups
where experience <> 'no_contact'
order by experience
