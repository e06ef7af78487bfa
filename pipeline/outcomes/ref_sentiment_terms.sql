-- ref_sentiment_terms: one row per language and term of the sentiment lexicons (key: language, term)
-- (data/reference/sentiment/<language>.tsv). `term` is made as customer_words_sentiment.sql makes
-- a text's words (tp_norm_word, a letter written 3+ times one), so that they compare equal;
-- spellings that end up alike ("dont", "don't") are averaged. One-letter terms are left out.
with normalised as (
    select
        language,
        tp_squeeze(w) as term,
        valence
    from (select *, tp_norm_word(term) as w from _in_ref_sentiment_terms)
)
select
    language,
    term,
    avg(valence) as valence,
    len(string_split(term, ' ')) as n_words
from normalised
where length(term) > 1
group by language, term
order by language, term
