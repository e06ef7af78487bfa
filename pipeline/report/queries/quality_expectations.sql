-- Expectations that failed, how often, and how many rows they caught.
-- A batch-share expectation (one with `mostly`) is judged on the sums over every run, as if all
-- the rows had come in one batch (GX's rule: (judged - unexpected) / judged >= mostly), so the
-- same files loaded in one run or in many small ones get the same verdict; its `runs` is empty
-- (a share of all the data belongs to no single run). Any other expectation is listed with the
-- runs where it failed, as are runs recorded before the rows judged were kept.
with shares as (
    select
        suite,
        expectation,
        column_name,
        severity,
        null::bigint as runs,
        sum(unexpected_count) as unexpected
    from validations
    where evaluated is not null and mostly is not null
    group by suite, expectation, column_name, severity, mostly
    having sum(evaluated) > 0
        and (sum(evaluated) - sum(unexpected_count)) / sum(evaluated) < any_value(mostly)
),

per_run as (
    select
        suite,
        expectation,
        column_name,
        severity,
        count(distinct run_id) as runs,
        sum(unexpected_count) as unexpected
    from validations
    where not success and (evaluated is null or mostly is null)
    group by suite, expectation, column_name, severity
),

final as (
    select * from shares
    union all
    select * from per_run
)

select * from final
order by
    case severity when 'critical' then 0 when 'warning' then 1 else 2 end,
    suite,
    expectation,
    column_name
