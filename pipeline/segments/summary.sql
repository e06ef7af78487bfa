-- Customers per segment, every segment listed.
select r.segment_id, count(c.customer_id) as customers
from (select distinct segment_id, position from ref_segments) as r
left join customer_segments as c
    on c.segment = r.segment_id
group by r.segment_id, r.position
order by r.position
