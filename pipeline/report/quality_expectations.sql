-- Expectations that failed in any run: how often, and how many rows they caught.
select
    suite,
    expectation,
    column_name,
    severity,
    count(distinct run_id) as runs,
    sum(unexpected_count) as unexpected
from validations
where not success
group by suite, expectation, column_name, severity
order by
    case severity when 'critical' then 0 when 'warning' then 1 else 2 end,
    suite,
    expectation,
    column_name
