-- ref_touchpoint_keywords: one row per rule keyword (key: rule_id, language, keyword).
-- `pattern` is what contains(tp_norm(text), pattern) looks for (macros/text.sql).
select
    rule_id,
    language,
    keyword,
    prefix,
    tp_keyword_pattern(keyword, prefix) as pattern
from _in_ref_touchpoint_keywords
order by rule_id, language, keyword
