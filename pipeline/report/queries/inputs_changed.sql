-- inputs_changed: how many interactions from $span_from to $span_to (inclusive: every segment
-- window and period the report's kept tables cover) the runs since they were built loaded,
-- rescored or mapped (run_changes). None: customer_segments, int_customer_windows, the facts and
-- the marts of the period stand as built; any: they are built again.
select count(*) as changed
from run_changes
where occurred_at between cast($span_from as timestamp) and cast($span_to as timestamp)
