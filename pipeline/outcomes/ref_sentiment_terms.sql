-- ref_sentiment_terms: one row per language and term of the sentiment lexicons (key: language, term)
-- (data/reference/sentiment/<language>.tsv). `term` is made as customer_words_sentiment.sql makes
-- a text's words (tp_norm_word, a letter written 3+ times one), so that they compare equal;
-- spellings that end up alike ("dont", "don't") are averaged. One-letter terms are left out.
with normalised as (
    select
        language,
        case
            when regexp_matches(w, 'aaa|bbb|ccc|ddd|eee|fff|ggg|hhh|iii|jjj|kkk|lll|mmm'
                || '|nnn|ooo|ppp|qqq|rrr|sss|ttt|uuu|vvv|www|xxx|yyy|zzz')
            then list_reduce(
                ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm',
                 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z'],
                lambda acc, ch: regexp_replace(acc, ch || '{3,}', ch, 'g'), w)
            else w
        end as term,
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
