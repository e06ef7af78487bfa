-- The touchpoint matrix: mart_touchpoint (one row per catalog touchpoint, catalog order) with the
-- name in $lang (else English, else the id) and the median expected handling time of its
-- contacts in the period (the promise, or the channel's standard when there is none), from
-- report_expected.
with

touchpoints as (
    select * from mart_touchpoint
),

names as (
    select touchpoint_id, language, name from ref_touchpoint_names
),

expected as (
    select touchpoint_id, median_expected_hours
    from report_expected
    where grain = 'touchpoint'
),

final as (
    select
        t.*,
        coalesce(n.name, en.name, t.touchpoint_id) as name,
        e.median_expected_hours
    from touchpoints as t
    left join names as n
        on n.touchpoint_id = t.touchpoint_id and n.language = $lang
    left join names as en
        on en.touchpoint_id = t.touchpoint_id and en.language = 'en'
    left join expected as e
        on e.touchpoint_id = t.touchpoint_id
)

select * from final
order by position, touchpoint_id
