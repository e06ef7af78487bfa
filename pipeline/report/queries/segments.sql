-- The customers section: mart_segment (every segment, in the order they are tried) with the label
-- and recommended handling in $lang (else English). `unsegmented` is left out: it holds contacts,
-- not customers of a kind.
with

segments as (
    select * from mart_segment
    where segment <> 'unsegmented'
),

texts as (
    select segment_id, language, label, handling from ref_segments
),

final as (
    select
        s.segment,
        s.position,
        s.customers,
        coalesce(t.label, en.label, s.segment) as label,
        coalesce(t.handling, en.handling, '') as handling
    from segments as s
    left join texts as t
        on t.segment_id = s.segment and t.language = $lang
    left join texts as en
        on en.segment_id = s.segment and en.language = 'en'
)

select * from final
order by position
