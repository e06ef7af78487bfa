-- mart_touchpoint_retention: one row per touchpoint with scored contacts by known customers (key:
-- touchpoint_id). Each customer counts once per touchpoint, at their first scored contact there
-- (delighted, satisfied or dissatisfied), when the $window_days after it had elapsed by $data_end;
-- reordered: an order within those days. Baseline: the rate after a satisfied contact (expectation
-- met). reorder_drop = satisfied - dissatisfied and reorder_lift = delighted - satisfied, in
-- points, with Newcombe's hybrid score interval built from the Wilson 95% intervals
-- (macros/stats.sql); importance = drop + lift, the reorder swing between the worst and the best
-- experience there. A rate needs at least $min_customers customers, else it is null. kano_class,
-- Kano-like from behaviour: a drop "hurts" and a lift "helps" when it is at least $min_effect
-- points and its interval lies above zero. not_enough_data (drop or lift unknown); indifferent
-- (neither); must_be (failure hurts, success does not help, or hurts more by $min_effect points);
-- attractive (the reverse); performance (both, within $min_effect).
with

-- those followed for the whole window, from each customer's first scored contact there
followed as (
    select touchpoint_id, outcome, customer_id, reordered
    from int_touchpoint_firsts
    where first_at + to_days(cast($window_days as integer)) <= cast($data_end as timestamp)
),

-- one row per touchpoint and outcome: the rate (0-1) and its Wilson bounds, with enough customers
per_outcome as (
    select
        touchpoint_id,
        outcome,
        count(*) as n,
        count(*) filter (where reordered) as k,
        case
            when count(*) >= $min_customers
                then 1.0 * count(*) filter (where reordered) / count(*)
        end as p
    from followed
    group by touchpoint_id, outcome
),

wilson as (
    select
        *,
        case when p is not null then wilson_low(k, n) end as lo,
        case when p is not null then wilson_high(k, n) end as hi
    from per_outcome
),

pivoted as (
    select
        t.touchpoint_id,
        coalesce(max(w.n) filter (where w.outcome = 'delighted'), 0) as n_delighted,
        coalesce(max(w.k) filter (where w.outcome = 'delighted'), 0) as reordered_delighted,
        max(w.p) filter (where w.outcome = 'delighted') as p_del,
        max(w.lo) filter (where w.outcome = 'delighted') as lo_del,
        max(w.hi) filter (where w.outcome = 'delighted') as hi_del,
        coalesce(max(w.n) filter (where w.outcome = 'satisfied'), 0) as n_satisfied,
        coalesce(max(w.k) filter (where w.outcome = 'satisfied'), 0) as reordered_satisfied,
        max(w.p) filter (where w.outcome = 'satisfied') as p_sat,
        max(w.lo) filter (where w.outcome = 'satisfied') as lo_sat,
        max(w.hi) filter (where w.outcome = 'satisfied') as hi_sat,
        coalesce(max(w.n) filter (where w.outcome = 'dissatisfied'), 0) as n_dissatisfied,
        coalesce(max(w.k) filter (where w.outcome = 'dissatisfied'), 0) as reordered_dissatisfied,
        max(w.p) filter (where w.outcome = 'dissatisfied') as p_dis,
        max(w.lo) filter (where w.outcome = 'dissatisfied') as lo_dis,
        max(w.hi) filter (where w.outcome = 'dissatisfied') as hi_dis
    from (select distinct touchpoint_id from int_touchpoint_firsts) as t
    left join wilson as w
        on w.touchpoint_id = t.touchpoint_id
    group by t.touchpoint_id
),

-- Newcombe: a - b runs from (a - b) - sqrt((a - lo_a)² + (hi_b - b)²)
-- to (a - b) + sqrt((hi_a - a)² + (b - lo_b)²)
effects as (
    select
        *,
        100 * (p_sat - p_dis) as reorder_drop,
        100 * (p_sat - p_dis - sqrt(power(p_sat - lo_sat, 2) + power(hi_dis - p_dis, 2)))
            as drop_ci_low,
        100 * (p_sat - p_dis + sqrt(power(hi_sat - p_sat, 2) + power(p_dis - lo_dis, 2)))
            as drop_ci_high,
        100 * (p_del - p_sat) as reorder_lift,
        100 * (p_del - p_sat - sqrt(power(p_del - lo_del, 2) + power(hi_sat - p_sat, 2)))
            as lift_ci_low,
        100 * (p_del - p_sat + sqrt(power(hi_del - p_del, 2) + power(p_sat - lo_sat, 2)))
            as lift_ci_high
    from pivoted
),

judged as (
    select
        *,
        coalesce(reorder_drop >= $min_effect and drop_ci_low > 0, false) as hurts,
        coalesce(reorder_lift >= $min_effect and lift_ci_low > 0, false) as helps
    from effects
),

final as (
    select
        touchpoint_id,
        cast($window_days as integer) as window_days,
        n_delighted,
        reordered_delighted,
        100 * p_del as pct_delighted,
        n_satisfied,
        reordered_satisfied,
        100 * p_sat as pct_satisfied,
        n_dissatisfied,
        reordered_dissatisfied,
        100 * p_dis as pct_dissatisfied,
        reorder_drop,
        drop_ci_low,
        drop_ci_high,
        reorder_lift,
        lift_ci_low,
        lift_ci_high,
        reorder_drop + reorder_lift as importance,
        case
            when reorder_drop is null or reorder_lift is null then 'not_enough_data'
            when not hurts and not helps then 'indifferent'
            when hurts and (not helps or reorder_drop - reorder_lift >= $min_effect) then 'must_be'
            when helps and (not hurts or reorder_lift - reorder_drop >= $min_effect)
                then 'attractive'
            else 'performance'
        end as kano_class
    from judged
)

select * from final
order by touchpoint_id
