-- Customers per segment in a window of int_customer_windows ($previous: the window ending with the
-- period before), every segment listed.
select r.segment_id, count(c.customer_id) as customers
from (select distinct segment_id, position from ref_segments) as r
left join int_customer_windows as c
    on c.segment = r.segment_id and c.previous = $previous
group by r.segment_id, r.position
order by r.position
