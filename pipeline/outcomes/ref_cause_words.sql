-- ref_cause_words: one row per cause keyword (key: cause, language, keyword), from scoring.yaml
-- `causes`: the customer's words that place a low rating with every promise kept in the product or
-- in policy. `position`: the cause's order (the first that matches wins). `pattern` is what
-- contains(tp_norm(text), pattern) looks for, as for touchpoints.yaml keywords (macros/text.sql).
select
    cause,
    position,
    language,
    keyword,
    prefix,
    tp_keyword_pattern(keyword, prefix) as pattern
from _in_ref_cause_words
order by position, language, keyword
