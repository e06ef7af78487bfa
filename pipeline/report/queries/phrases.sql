-- Staff language: mart_phrases with touchpoint names and the phrase's label in $lang (else
-- English), and what to say instead in the language the phrase was found in (else $lang, else
-- English): staff need the alternative in the language they speak to the customer.
with

phrases as (
    select * from mart_phrases
),

names as (
    select touchpoint_id, language, name from ref_touchpoint_names
),

texts as (
    select phrase_id, language, label, alternative from ref_phrase_texts
),

final as (
    select
        p.touchpoint_id,
        coalesce(n.name, ne.name, p.touchpoint_id) as touchpoint,
        t.position,
        p.language,
        p.phrase_id,
        coalesce(x.label, xe.label, p.phrase_id) as label,
        coalesce(xf.alternative, x.alternative, xe.alternative, '') as alternative,
        p.interactions
    from phrases as p
    left join mart_touchpoint as t
        on t.touchpoint_id = p.touchpoint_id
    left join names as n
        on n.touchpoint_id = p.touchpoint_id and n.language = $lang
    left join names as ne
        on ne.touchpoint_id = p.touchpoint_id and ne.language = 'en'
    left join texts as x
        on x.phrase_id = p.phrase_id and x.language = $lang
    left join texts as xe
        on xe.phrase_id = p.phrase_id and xe.language = 'en'
    left join texts as xf
        on xf.phrase_id = p.phrase_id and xf.language = p.language
)

select * from final
order by position, touchpoint_id, language, interactions desc, phrase_id
