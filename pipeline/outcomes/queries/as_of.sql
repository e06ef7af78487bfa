-- The latest time stamp in the data: the as-of time of the export.
select max(greatest(occurred_at, coalesce(resolved_at, occurred_at))) as data_as_of
from interactions
