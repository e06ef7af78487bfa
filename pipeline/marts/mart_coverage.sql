-- mart_coverage: one row per source plus one for all sources, '(all)' (key: source): how many
-- interactions in the period a mapping rule placed on a touchpoint.
with

grouped as (
    select
        grouping(source) as grouping_id,
        source,
        count(*) as volume,
        count(*) filter (where touchpoint_id <> 'unmapped') as mapped,
        count(*) filter (where touchpoint_id = 'unmapped') as unmapped
    from int_interaction_facts
    where in_period
    group by grouping sets ((source), ())
),

final as (
    select
        case when grouping_id = 1 then '(all)' else source end as source,
        volume,
        mapped,
        unmapped,
        100.0 * mapped / nullif(volume, 0) as coverage_pct
    from grouped
)

select * from final
order by source = '(all)', source
