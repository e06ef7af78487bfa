-- mart_retention_claims: one row per claim of the guide (key: claim_id), tested on this data. Every
-- claim compares the reorder rate within the primary window ($window_days) of two groups of
-- customers followed for all of it: a (the claim's favoured group) against b. Wilson 95% intervals
-- per rate (macros/stats.sql); the difference (points) with Newcombe's hybrid score interval; the
-- ratio a / b with the Katz log interval. The headline `estimate` is the difference (unit points),
-- the ratio (ratio), or for retention_cost how many times cheaper keeping a customer through good
-- complaint handling is than winning one: $acquisition x difference / $recovery (times; its
-- interval from the difference's). verdict: not_enough_data (a group under $min_customers),
-- no_cost_inputs, supported (the whole interval on the claim's side of no effect: 0 points, ratio
-- 1, 1 time), contradicted (the whole interval on the other side) or inconclusive. The folklore
-- figures are quoted as claims, never used as facts.
with

customers as (
    select experience, silent_dissatisfied, reordered_in_window
    from mart_customer_retention
    where reordered_in_window is not null
),

-- the groups the claims compare: each experience, all complainers, the silent dissatisfied
pools as (
    select experience as pool, count(*) as n, count(*) filter (where reordered_in_window) as k
    from customers
    group by experience
    union all
    select 'complained', count(*), count(*) filter (where reordered_in_window)
    from customers
    where experience in (
        'complaint_delighted', 'complaint_satisfied', 'complaint_dissatisfied',
        'complaint_unscored', 'unresolved'
    )
    union all
    select 'silent_dissatisfied', count(*), count(*) filter (where reordered_in_window)
    from customers
    where silent_dissatisfied
),

claims as (
    select * from (
        values
        (
            1, 'recovery_paradox',
            'Customers whose problem was solved quickly are more loyal than customers who never '
            || 'had a problem: they buy more.',
            'Ford''s research as the guide retells it; TARP surveys: 95% of customers whose minor '
            || 'problem was resolved quickly say they would buy again.',
            'difference', 'complaint_delighted', 'never_complained'
        ),
        (
            2, 'complainers_stay',
            'Customers who complain are far more likely to stay than dissatisfied customers who '
            || 'stay silent.',
            '"Up to 10 times more likely", a figure with no primary source.',
            'ratio', 'complained', 'silent_dissatisfied'
        ),
        (
            3, 'resolution_speed',
            'A complaint solved quickly brings the customer back; an unresolved one loses them.',
            'TARP surveys: would buy again 95% / 82% (minor / major problem) when resolved '
            || 'quickly, 46% / 19% when not resolved.',
            'difference', 'complaint_delighted', 'unresolved'
        ),
        (
            4, 'retention_cost',
            'Winning a new customer costs much more than keeping one.',
            '"Up to 5 times more", quoted anywhere from 3 to 10 times.',
            'cost_ratio', 'complaint_delighted', 'complaint_dissatisfied'
        )
    ) as t(position, claim_id, claim, folklore, measure, group_a, group_b)
),

paired as (
    select
        c.*,
        coalesce(a.n, 0) as customers_a,
        coalesce(a.k, 0) as reordered_a,
        coalesce(b.n, 0) as customers_b,
        coalesce(b.k, 0) as reordered_b,
        case when a.n > 0 then 1.0 * a.k / a.n end as pa,
        case when b.n > 0 then 1.0 * b.k / b.n end as pb
    from claims as c
    left join pools as a
        on a.pool = c.group_a
    left join pools as b
        on b.pool = c.group_b
),

wilson as (
    select
        *,
        wilson_low(reordered_a, customers_a) as lo_a,
        wilson_high(reordered_a, customers_a) as hi_a,
        wilson_low(reordered_b, customers_b) as lo_b,
        wilson_high(reordered_b, customers_b) as hi_b
    from paired
),

effects as (
    select
        *,
        100 * (pa - pb) as diff_points,
        100 * (pa - pb - sqrt(power(pa - lo_a, 2) + power(hi_b - pb, 2))) as diff_ci_low,
        100 * (pa - pb + sqrt(power(hi_a - pa, 2) + power(pb - lo_b, 2))) as diff_ci_high,
        pa / nullif(pb, 0) as ratio,
        -- Katz: log(ratio) +- z sqrt(1/ka - 1/na + 1/kb - 1/nb), both counts above 0
        case
            when reordered_a > 0 and reordered_b > 0
                then pa / pb * exp(-z95() * sqrt(
                    1.0 / reordered_a - 1.0 / customers_a + 1.0 / reordered_b - 1.0 / customers_b
                ))
        end as ratio_ci_low,
        case
            when reordered_a > 0 and reordered_b > 0
                then pa / pb * exp(z95() * sqrt(
                    1.0 / reordered_a - 1.0 / customers_a + 1.0 / reordered_b - 1.0 / customers_b
                ))
        end as ratio_ci_high,
        cast($acquisition as double) as acquisition_per_customer,
        cast($recovery as double) as recovery_per_complaint
    from wilson
),

headline as (
    select
        *,
        case measure
            when 'difference' then diff_points
            when 'ratio' then ratio
            else acquisition_per_customer * diff_points / 100 / recovery_per_complaint
        end as estimate,
        case measure
            when 'difference' then diff_ci_low
            when 'ratio' then ratio_ci_low
            else acquisition_per_customer * diff_ci_low / 100 / recovery_per_complaint
        end as ci_low,
        case measure
            when 'difference' then diff_ci_high
            when 'ratio' then ratio_ci_high
            else acquisition_per_customer * diff_ci_high / 100 / recovery_per_complaint
        end as ci_high,
        case measure when 'difference' then 0.0 else 1.0 end as no_effect,
        case measure when 'difference' then 'points' when 'ratio' then 'ratio' else 'times' end
            as unit
    from effects
),

final as (
    select
        claim_id,
        position,
        claim,
        folklore,
        cast($window_days as integer) as window_days,
        group_a,
        customers_a,
        reordered_a,
        100 * pa as rate_a,
        100 * lo_a as rate_a_ci_low,
        100 * hi_a as rate_a_ci_high,
        group_b,
        customers_b,
        reordered_b,
        100 * pb as rate_b,
        100 * lo_b as rate_b_ci_low,
        100 * hi_b as rate_b_ci_high,
        diff_points,
        diff_ci_low,
        diff_ci_high,
        ratio,
        ratio_ci_low,
        ratio_ci_high,
        acquisition_per_customer,
        recovery_per_complaint,
        -- what one customer kept through good complaint handling costs
        case
            when measure = 'cost_ratio' and diff_points > 0
                then recovery_per_complaint / (diff_points / 100)
        end as cost_per_customer_kept,
        unit,
        estimate,
        ci_low,
        ci_high,
        case
            when customers_a < $min_customers or customers_b < $min_customers
                then 'not_enough_data'
            when measure = 'cost_ratio'
                and (acquisition_per_customer is null or recovery_per_complaint is null)
                then 'no_cost_inputs'
            when ci_low > no_effect then 'supported'
            when ci_high < no_effect then 'contradicted'
            else 'inconclusive'
        end as verdict
    from headline
)

select * from final
order by position
