-- The touchpoint table for the terminal: mart_touchpoint with names in $lang (else English).
select
    coalesce(n.name, en.name, t.touchpoint_id) as touchpoint,
    t.kind,
    t.volume,
    t.pct_delighted,
    t.pct_satisfied,
    t.pct_dissatisfied,
    t.net_delight,
    t.csat_pct,
    t.promise_kept_pct
from mart_touchpoint as t
left join ref_touchpoint_names as n
    on n.touchpoint_id = t.touchpoint_id and n.language = $lang
left join ref_touchpoint_names as en
    on en.touchpoint_id = t.touchpoint_id and en.language = 'en'
order by t.position
