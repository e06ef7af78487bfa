-- ref_sentiment_modifiers: one row per modifier of modifiers.yaml (key: language, word, role). role: negator
-- (factor multiplies a term's valence), intensifier / intensifier_after (factor is added to its
-- absolute valence), contrast / contrast_before (weight of the terms after / before the word),
-- question_positive (weight of a positive term in a question; a weight of the language, no word:
-- its word is empty).
-- `word` is made as customer_words_sentiment.sql makes a text's words (tp_norm_word, a letter
-- written 3+ times one).
with normalised as (
    select
        language,
        tp_squeeze(w) as word,
        role, factor
    from (select *, tp_norm_word(word) as w from _in_ref_sentiment_modifiers)
)
select language, word, role, any_value(factor) as factor
from normalised
where word <> '' or role = 'question_positive'
group by language, word, role
order by language, word, role
