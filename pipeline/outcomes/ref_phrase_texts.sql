-- ref_phrase_texts: one row per phrase and language (key: phrase_id, language): the phrase's
-- label and what to say instead, for the report and work plan.
select phrase_id, language, label, alternative
from _in_ref_phrase_texts
order by phrase_id, language
