-- Time to the first reorder per complaint-experience group, counted per whole day (rounded up;
-- a follow-up without a reorder rounded down) for Kaplan-Meier: one row per group, day and
-- event (true: the first reorder that day; false: followed until that day, then censored).
select
    experience,
    case
        when reordered then cast(ceil(days_to_reorder) as integer)
        else cast(floor(followup_days) as integer)
    end as day,
    reordered as event,
    count(*) as customers
from mart_customer_retention
where index_at is not null
group by all
order by experience, day, event
