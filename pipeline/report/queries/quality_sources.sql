-- Rows per source over every file loaded so far (files seen again are counted once), with the
-- interactions that carry no customer id and whether the mapping declared the dates.
with files as (
    select
        source,
        count(*) as files,
        sum(rows_read) as rows_read,
        sum(staged) as staged,
        sum(quarantined) as quarantined,
        sum(duplicates) as duplicates,
        coalesce(bool_or(dates_declared), false) as dates_declared
    from run_files
    where status = 'loaded'
    group by source
),

anonymous as (
    select source, count(*) as without_customer
    from interactions
    where customer_id is null
    group by source
),

final as (
    select f.*, coalesce(a.without_customer, 0) as without_customer
    from files f
    left join anonymous a using (source)
)

select * from final
order by source
