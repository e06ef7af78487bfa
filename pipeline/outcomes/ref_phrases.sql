-- ref_phrases: one row per discouraged-phrase variant (key: phrase_id, language, variant), from
-- lexicon.yaml. `pattern` is what contains(tp_norm(text), pattern) looks for: whole words only.
select
    phrase_id,
    language,
    variant,
    ' ' || tp_norm_word(variant) || ' ' as pattern
from _in_ref_phrases
order by phrase_id, language, variant
