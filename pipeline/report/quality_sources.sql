-- Rows per source over every file loaded so far (files seen again are counted once).
select
    source,
    count(*) as files,
    sum(rows_read) as rows_read,
    sum(staged) as staged,
    sum(quarantined) as quarantined,
    sum(duplicates) as duplicates
from run_files
where status = 'loaded'
group by source
order by source
